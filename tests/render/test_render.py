"""Render rules from DESIGN.md section 3, each checked on the output, which must also pass the real CRDs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.config import load_env
from cluster_capacity.render import render, render_application, render_env
from tests.conftest import EXAMPLES
from tests.render.conftest import gpu_values, make_values, pool

Check = Callable[[list[dict[str, Any]]], None]


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (obj,) = of(objects, kind)
    return obj


def wave(obj: dict[str, Any]) -> int:
    return int(obj["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def test_machineset_shape(schema_check: Check) -> None:
    objects = render(gpu_values(), "prod")
    schema_check(objects)
    ms = one(objects, "MachineSet")
    name = "prod-x-gpu-a"
    assert ms["metadata"]["name"] == name and ms["metadata"]["namespace"] == "openshift-machine-api"
    assert ms["spec"]["replicas"] == 0  # explicit even when 0
    assert ms["spec"]["selector"]["matchLabels"] == {
        "machine.openshift.io/cluster-api-cluster": "prod-x",
        "machine.openshift.io/cluster-api-machineset": name,
    }
    tmpl = ms["spec"]["template"]
    assert tmpl["metadata"]["labels"] == {
        "machine.openshift.io/cluster-api-cluster": "prod-x",
        "machine.openshift.io/cluster-api-machine-role": "worker",
        "machine.openshift.io/cluster-api-machine-type": "worker",
        "machine.openshift.io/cluster-api-machineset": name,
    }
    assert tmpl["spec"]["metadata"]["labels"]["cluster-api/accelerator"] == "nvidia-a10g"
    assert tmpl["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert "spotMarketOptions" not in tmpl["spec"]["providerSpec"]["value"]  # On-Demand
    assert ms["metadata"]["labels"]["cluster-capacity/pool"] == "gpu-a"


def test_spot_and_roles_and_accelerator_override(schema_check: Check) -> None:
    values = make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [
                pool(
                    machineRole="gpu",
                    machineType="gpu-spot",
                    nodeLabels={"node-role.kubernetes.io/gpu": "", "cluster-api/accelerator": "a10g-custom"},
                    providerSpec={"spotMarketOptions": {"maxPrice": "0.60"}},
                )
            ],
        }
    )
    objects = render(values)
    schema_check(objects)
    tmpl = one(objects, "MachineSet")["spec"]["template"]
    assert tmpl["metadata"]["labels"]["machine.openshift.io/cluster-api-machine-role"] == "gpu"
    assert tmpl["metadata"]["labels"]["machine.openshift.io/cluster-api-machine-type"] == "gpu-spot"
    assert tmpl["spec"]["metadata"]["labels"] == {
        "node-role.kubernetes.io/gpu": "",
        "cluster-api/accelerator": "a10g-custom",
    }
    assert tmpl["spec"]["providerSpec"]["value"]["spotMarketOptions"] == {"maxPrice": "0.60"}


def test_non_gpu_pool_has_no_accelerator_label() -> None:
    values = make_values(
        {"enabled": True, "infraID": "x", "machineSets": [pool(providerSpec={"instanceType": "m6i.2xlarge"})]}
    )
    labels = one(render(values), "MachineSet")["spec"]["template"]["spec"]["metadata"]["labels"]
    assert labels == {"node-role.kubernetes.io/worker": ""}


def test_disabled_pools_and_master_switch_render_nothing() -> None:
    values = make_values({"enabled": True, "infraID": "x", "machineSets": [pool(enabled=False), pool("b")]})
    assert [m["metadata"]["name"] for m in of(render(values), "MachineSet")] == ["x-b"]
    off = make_values(
        {"enabled": False, "infraID": "x", "machineSets": [pool()], "nvidia": {"enabled": True}}
    )
    assert render(off) == []


def test_autoscalers(schema_check: Check) -> None:
    values = gpu_values(
        machineSets=[
            pool(autoscaler={"enabled": True, "minReplicas": 0, "maxReplicas": 3}),
            pool("cpu", providerSpec={"instanceType": "m6i.xlarge"}),
        ],
        autoscaling={
            "clusterAutoscaler": {
                "enabled": True,
                "spec": {
                    "resourceLimits": {
                        "maxNodesTotal": 20,
                        "gpus": [{"type": "nvidia-a10g", "min": 0, "max": 3}],
                    }
                },
            }
        },
    )
    objects = render(values)
    schema_check(objects)
    ma = one(objects, "MachineAutoscaler")
    assert ma["spec"] == {
        "minReplicas": 0,
        "maxReplicas": 3,
        "scaleTargetRef": {
            "apiVersion": "machine.openshift.io/v1beta1",
            "kind": "MachineSet",
            "name": "prod-x-gpu-a",
        },
    }
    ca = one(objects, "ClusterAutoscaler")
    assert ca["metadata"]["name"] == "default" and "namespace" not in ca["metadata"]
    assert ca["spec"]["resourceLimits"]["gpus"][0]["type"] == "nvidia-a10g"
    gpu_ms = next(m for m in of(objects, "MachineSet") if m["metadata"]["name"] == "prod-x-gpu-a")
    # capacity shares the first wave: no operator's health ever holds it back
    assert wave(ma) == wave(gpu_ms) == wave(ca) == 0


def test_gpu_operator_stack(schema_check: Check, crds_dir: Path) -> None:
    objects = render(gpu_values())
    schema_check(objects)
    ns = next(n for n in of(objects, "Namespace") if n["metadata"]["name"] == "nvidia-gpu-operator")
    assert ns["metadata"]["labels"]["openshift.io/cluster-monitoring"] == "true"
    og = next(o for o in of(objects, "OperatorGroup") if o["metadata"]["namespace"] == "nvidia-gpu-operator")
    assert og["spec"] == {"targetNamespaces": ["nvidia-gpu-operator"]}
    sub = next(s for s in of(objects, "Subscription") if s["spec"]["name"] == "gpu-operator-certified")
    assert (
        sub["spec"]["source"] == "certified-operators" and sub["spec"]["installPlanApproval"] == "Automatic"
    )
    assert "startingCSV" not in sub["spec"]

    cp = one(objects, "ClusterPolicy")
    crd = yaml.safe_load((crds_dir / "nvidia.com_clusterpolicies.yaml").read_text())
    required = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"]
    assert set(required) <= set(cp["spec"])
    assert cp["spec"]["operator"]["use_ocp_driver_toolkit"] is True
    assert cp["spec"]["daemonsets"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    annotations = cp["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/sync-options"] == "SkipDryRunOnMissingResource=true"
    assert wave(cp) > wave(sub)

    nfd = one(objects, "NodeFeatureDiscovery")
    assert (
        nfd["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
        == "SkipDryRunOnMissingResource=true"
    )
    assert wave(nfd) > wave(sub)
    nfd_sub = next(s for s in of(objects, "Subscription") if s["spec"]["name"] == "nfd")
    assert (
        nfd_sub["metadata"]["namespace"] == "openshift-nfd"
        and nfd_sub["spec"]["source"] == "redhat-operators"
    )

    sm = one(objects, "ServiceMonitor")
    assert sm["spec"]["selector"]["matchLabels"] == {"app": "nvidia-dcgm-exporter"}
    assert cp["spec"]["dcgmExporter"]["serviceMonitor"]["enabled"] is False  # ours replaces the operator's


def test_cluster_policy_spec_overrides_merge_deeply(schema_check: Check) -> None:
    values = gpu_values(
        nvidia={
            "clusterPolicy": {
                "spec": {"driver": {"useOpenKernelModules": True}, "mig": {"strategy": "mixed"}}
            }
        }
    )
    cp = one(render(values), "ClusterPolicy")
    assert cp["spec"]["driver"]["useOpenKernelModules"] is True
    assert cp["spec"]["driver"]["enabled"] is True  # the rest of the default stays
    assert cp["spec"]["mig"] == {"strategy": "mixed"}
    schema_check(render(values))


def test_optional_parts_can_be_turned_off(schema_check: Check) -> None:
    values = gpu_values(
        nvidia={"nfd": {"enabled": False}, "monitoring": {"serviceMonitor": False}, "createNamespace": False}
    )
    objects = render(values)
    kinds = {o["kind"] for o in objects}
    assert "NodeFeatureDiscovery" not in kinds and "ServiceMonitor" not in kinds
    assert [n["metadata"]["name"] for n in of(objects, "Namespace")] == []


def test_dashboard_configmap(schema_check: Check) -> None:
    objects = render(gpu_values(nvidia={"dashboards": {"enabled": True}}))
    schema_check(objects)
    cm = one(objects, "ConfigMap")
    assert cm["metadata"]["namespace"] == "openshift-config-managed"
    assert cm["metadata"]["labels"]["console.openshift.io/dashboard"] == "true"
    import json

    dashboard = json.loads(cm["data"]["nvidia-dcgm-exporter-dashboard.json"])
    assert any("DCGM_FI_DEV_GPU_UTIL" in t["expr"] for p in dashboard["panels"] for t in p["targets"])


def test_rbac_covers_exactly_the_groups_rendered(schema_check: Check) -> None:
    full = render(
        gpu_values(
            machineSets=[pool(autoscaler={"enabled": True, "maxReplicas": 2})],
            autoscaling={"clusterAutoscaler": {"enabled": True}},
        )
    )
    schema_check(full)
    rules = one(full, "ClusterRole")["rules"]
    assert {(r["apiGroups"][0], tuple(r["resources"])) for r in rules} == {
        ("autoscaling.openshift.io", ("clusterautoscalers", "machineautoscalers")),
        ("monitoring.coreos.com", ("servicemonitors",)),
        ("nfd.openshift.io", ("nodefeaturediscoveries",)),
        ("nvidia.com", ("clusterpolicies",)),
    }
    binding = one(full, "ClusterRoleBinding")
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": "openshift-gitops-argocd-application-controller",
            "namespace": "openshift-gitops",
        }
    ]
    assert wave(binding) < min(
        wave(o) for o in full if o["kind"] not in ("ClusterRole", "ClusterRoleBinding")
    )

    only_autoscaling = render(
        make_values({"enabled": True, "infraID": "x", "machineSets": [pool(autoscaler={"enabled": True})]})
    )
    (rule,) = one(only_autoscaling, "ClusterRole")["rules"]
    assert rule["apiGroups"] == ["autoscaling.openshift.io"] and rule["resources"] == ["machineautoscalers"]

    plain = render(make_values({"enabled": True, "infraID": "x", "machineSets": [pool()]}))
    assert of(plain, "ClusterRole") == []  # MachineSets alone need nothing extra


def test_application_for_the_example(schema_check: Check) -> None:
    cfg = load_env(EXAMPLES, "prod")
    objects = render_env(cfg)
    schema_check(objects)
    app = objects[-1]
    assert app["metadata"] == {
        "name": "cluster-capacity-prod",
        "namespace": "openshift-gitops",
        "labels": {"app.kubernetes.io/managed-by": "cluster-capacity", "cluster-capacity/env": "prod"},
    }
    spec = app["spec"]
    assert spec["source"] == {
        "repoURL": "https://github.com/example-org/cluster-gitops.git",
        "targetRevision": "main",
        "path": "rendered/prod",
    }
    assert spec["destination"] == {"server": "https://kubernetes.default.svc"}
    assert spec["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}
    assert spec["syncPolicy"]["retry"]["backoff"]["factor"] == 2
    assert spec["ignoreDifferences"] == [
        {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
    ]
    assert spec["syncPolicy"]["syncOptions"] == ["RespectIgnoreDifferences=true"]


def test_application_without_ignoring_replicas_and_disabled_env(tmp_path: Path) -> None:
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "values-a.yaml").write_text("enabled: false\n")
    (tmp_path / "values" / "values-b.yaml").write_text("enabled: false\n")
    (tmp_path / "cluster-capacity.yaml").write_text(
        "repoURL: https://git.example/repo.git\nenvs:\n  - {name: a, capacityIgnoreMachineSetReplicas: false}\n  - {name: b, capacityEnabled: false}\n"
    )
    app = render_application(load_env(tmp_path, "a"))
    assert app is not None
    assert "ignoreDifferences" not in app["spec"] and "syncOptions" not in app["spec"]["syncPolicy"]
    assert app["spec"]["source"]["targetRevision"] == "HEAD"
    assert render_application(load_env(tmp_path, "b")) is None


def test_example_env_renders_clean(schema_check: Check) -> None:
    for env in ("prod", "dev"):
        schema_check(render_env(load_env(EXAMPLES, env)))


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_golden_files_match(env: str) -> None:
    """The committed example output is exactly what render produces (byte for byte)."""
    from cluster_capacity.output import files_for

    files = files_for(render(load_env(EXAMPLES, env).values, env))
    folder = EXAMPLES / "rendered" / env
    assert sorted(files) == sorted(p.name for p in folder.iterdir())
    for name, content in files.items():
        assert (folder / name).read_text() == content, name
