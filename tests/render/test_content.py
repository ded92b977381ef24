"""Rendered content pinned value by value: what a changed default or a dropped switch would break."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cluster_capacity.render import render, sort_key
from tests.render.conftest import gpu_values, make_values, pool
from tests.render.test_mutation_pins import NODE_FEATURE_RULE
from tests.render.test_mutation_pins_argocd import DASHBOARD

Check = Callable[[list[dict[str, Any]]], None]
Obj = dict[str, Any]

FEASIBLE = {"passed": True, "clusterVersion": "4.19.7", "checkedAt": "2026-11-28"}
NEURON_TAINT = {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}


def of(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[Obj], kind: str) -> Obj:
    (obj,) = of(objects, kind)
    return obj


def refs(objects: list[Obj]) -> list[str]:
    return [f"{o['kind']} {o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in objects]


def neuron_values(**overrides: Any) -> Any:
    data: dict[str, Any] = {
        "enabled": True,
        "infraID": "prod-x",
        "machineSets": [
            pool("gpu-a", taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]),
            pool("inf2", providerSpec={"instanceType": "inf2.xlarge"}),
            pool(
                "cpu",
                providerSpec={"instanceType": "m6i.xlarge"},
                taints=[{"key": "batch", "effect": "NoExecute"}],
            ),
        ],
        "nvidia": {"enabled": True},
        "inferentia": {"enabled": True, "feasibility": FEASIBLE},
    }
    for key, value in overrides.items():
        data[key] = value if not isinstance(value, dict) else {**data.get(key, {}), **value}
    return make_values(data)


def test_neuron_node_feature_rule_matches_the_neuron_pci_devices(schema_check: Check) -> None:
    objects = render(neuron_values(), "prod")
    schema_check(objects)
    rule = one(objects, "NodeFeatureRule")
    assert rule["apiVersion"] == "nfd.openshift.io/v1alpha1"
    assert rule["metadata"]["name"] == "neuron-nfd-rule"
    assert rule["metadata"]["namespace"] == "aws-neuron-operator"
    assert rule["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-wave": "1",
        "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
    }
    assert rule["spec"] == NODE_FEATURE_RULE["spec"]  # the Neuron PCI vendor and device ids, exactly


def test_node_feature_rule_api_version_can_be_upstream_nfd(schema_check: Check) -> None:
    values = neuron_values(inferentia={"nodeFeatureRule": {"apiVersion": "nfd.k8s-sigs.io/v1alpha1"}})
    objects = render(values, "prod")
    schema_check(objects)
    assert one(objects, "NodeFeatureRule")["apiVersion"] == "nfd.k8s-sigs.io/v1alpha1"
    rules = {r["apiGroups"][0]: r["resources"] for r in one(objects, "ClusterRole")["rules"]}
    assert rules["nfd.k8s-sigs.io"] == ["nodefeaturerules"]
    assert rules["nfd.openshift.io"] == ["nodefeaturediscoveries"]


def test_device_config_images_and_selector(schema_check: Check) -> None:
    dc = one(render(neuron_values(), "prod"), "DeviceConfig")
    assert dc["apiVersion"] == "k8s.aws/v1beta1"
    assert (dc["metadata"]["name"], dc["metadata"]["namespace"]) == ("neuron", "aws-neuron-operator")
    assert dc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "2"
    assert dc["spec"] == {
        "driversImage": "public.ecr.aws/os-partners/neuron-openshift/neuron-kernel-module:2.28.0.0",
        "driverVersion": "2.28.0.0",
        "devicePluginImage": "public.ecr.aws/neuron/neuron-device-plugin:2.30.0.0",
        "customSchedulerImage": "public.ecr.aws/eks-distro/kubernetes/kube-scheduler:v1.35.5-eks-1-35-10",
        "schedulerExtensionImage": "public.ecr.aws/neuron/neuron-scheduler:2.30.0.0",
        "nodeMetricsImage": "public.ecr.aws/neuron/neuron-monitor:1.10.0",
        "selector": {"feature.node.kubernetes.io/aws-neuron": "true"},
    }
    mirrored = neuron_values(
        inferentia={"deviceConfig": {"images": {"drivers": "registry.example/neuron-kmod:2.28.0.0"}}}
    )
    assert (
        one(render(mirrored), "DeviceConfig")["spec"]["driversImage"]
        == "registry.example/neuron-kmod:2.28.0.0"
    )


def test_kmm_and_neuron_operator_namespaces_and_subscriptions(schema_check: Check) -> None:
    objects = render(neuron_values(), "prod")
    namespaces = {n["metadata"]["name"]: n["metadata"]["labels"] for n in of(objects, "Namespace")}
    assert set(namespaces) == {"openshift-kmm", "aws-neuron-operator", "nvidia-gpu-operator", "openshift-nfd"}
    # the Neuron namespaces are not scraped by the cluster monitoring stack; the NVIDIA and NFD ones are
    assert "openshift.io/cluster-monitoring" not in namespaces["openshift-kmm"]
    assert "openshift.io/cluster-monitoring" not in namespaces["aws-neuron-operator"]
    assert namespaces["nvidia-gpu-operator"]["openshift.io/cluster-monitoring"] == "true"
    subs = {s["spec"]["name"]: s for s in of(objects, "Subscription")}
    assert subs["kernel-module-management"]["metadata"]["namespace"] == "openshift-kmm"
    assert subs["kernel-module-management"]["spec"] == {
        "channel": "stable",
        "installPlanApproval": "Automatic",
        "name": "kernel-module-management",
        "source": "redhat-operators",
        "sourceNamespace": "openshift-marketplace",
    }
    assert subs["aws-neuron-operator"]["metadata"]["namespace"] == "aws-neuron-operator"
    assert subs["aws-neuron-operator"]["spec"]["channel"] == "Stable"
    assert subs["aws-neuron-operator"]["spec"]["source"] == "community-operators"
    waves = {name: s["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for name, s in subs.items()}
    assert waves == {
        "kernel-module-management": "0",
        "aws-neuron-operator": "1",
        "gpu-operator-certified": "0",
        "nfd": "0",
    }
    ogs = {
        o["metadata"]["namespace"]: (o["metadata"]["name"], o["spec"]) for o in of(objects, "OperatorGroup")
    }
    assert ogs["openshift-kmm"] == ("kernel-module-management", {})
    assert ogs["aws-neuron-operator"] == ("aws-neuron-operator", {})


def test_gpu_tolerations_come_from_nvidia_pools_only() -> None:
    cp = one(render(neuron_values()), "ClusterPolicy")
    # the Neuron pool's and the CPU pool's taints do not leak into the GPU Operator's daemonsets
    assert cp["spec"]["daemonsets"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert (
        one(render(neuron_values()), "ClusterPolicy")["spec"]["daemonsets"]["updateStrategy"]
        == "RollingUpdate"
    )


def test_gpu_tolerations_are_distinct_and_sorted() -> None:
    taints_a = [
        {"key": "zeta", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
    ]
    taints_b = [
        {"key": "nvidia.com/gpu", "value": "other", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "effect": "NoExecute"},
    ]
    disabled = pool("off", enabled=False, taints=[{"key": "disabled-pool", "effect": "NoSchedule"}])
    values = gpu_values(machineSets=[pool("a", taints=taints_a), pool("b", taints=taints_b), disabled])
    assert one(render(values), "ClusterPolicy")["spec"]["daemonsets"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"},
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "zeta", "operator": "Exists", "effect": "NoSchedule"},
    ]


def test_untainted_pools_give_no_tolerations() -> None:
    cp = one(render(gpu_values(machineSets=[pool()])), "ClusterPolicy")
    assert cp["spec"]["daemonsets"] == {
        "updateStrategy": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "1"},
    }


def test_users_own_daemonset_tolerations_are_kept(schema_check: Check) -> None:
    mine = [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]
    values = gpu_values(
        nvidia={"clusterPolicy": {"spec": {"daemonsets": {"tolerations": mine, "priorityClassName": "x"}}}}
    )
    objects = render(values)
    schema_check(objects)
    daemonsets = one(objects, "ClusterPolicy")["spec"]["daemonsets"]
    assert daemonsets == {
        "updateStrategy": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "1"},
        "tolerations": mine,
        "priorityClassName": "x",
    }
    # other daemonsets settings keep the derived tolerations next to them
    other = gpu_values(nvidia={"clusterPolicy": {"spec": {"daemonsets": {"priorityClassName": "x"}}}})
    assert one(render(other), "ClusterPolicy")["spec"]["daemonsets"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]


def test_rbac_create_false_renders_no_role_and_validate_warns() -> None:
    objects = render(gpu_values(nvidia={"rbac": {"create": False}}))
    assert of(objects, "ClusterRole") == [] and of(objects, "ClusterRoleBinding") == []
    from cluster_capacity.validate import check_policies

    assert sorted({(f.rule, f.severity) for f in check_policies(objects)}) == [("rbac", "warning")]


def test_rbac_subject_follows_the_config() -> None:
    values = gpu_values(
        nvidia={
            "rbac": {"argocdNamespace": "gitops", "applicationControllerServiceAccount": "argocd-controller"}
        }
    )
    objects = render(values, "prod")
    role, binding = one(objects, "ClusterRole"), one(objects, "ClusterRoleBinding")
    assert (
        role["metadata"]
        == binding["metadata"]
        == {
            "name": "cluster-capacity-argocd-application-controller",
            "labels": {"app.kubernetes.io/managed-by": "cluster-capacity", "cluster-capacity/env": "prod"},
            "annotations": {"argocd.argoproj.io/sync-wave": "-1"},
        }
    )
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "cluster-capacity-argocd-application-controller",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "argocd-controller", "namespace": "gitops"}
    ]
    assert role["rules"][0]["verbs"] == ["create", "delete", "get", "list", "patch", "update", "watch"]


def test_a_namespace_shared_by_two_operators_renders_once(schema_check: Check) -> None:
    shared = "gpu-stack"
    values = gpu_values(
        nvidia={
            "installNamespace": shared,
            "operatorGroup": {"targetNamespaces": [shared]},
            "nfd": {"installNamespace": shared, "operatorGroup": {"create": False}},
        }
    )
    objects = render(values)
    schema_check(objects)
    assert [n["metadata"]["name"] for n in of(objects, "Namespace")] == [shared]
    assert [s["metadata"]["namespace"] for s in of(objects, "Subscription")] == [shared, shared]
    assert len({(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}) == len(
        objects
    )
    assert objects == sorted(objects, key=sort_key)


SWITCHES: list[tuple[dict[str, Any], list[str]]] = [
    ({"nvidia": {"createNamespace": False}}, ["Namespace /nvidia-gpu-operator"]),
    (
        {"nvidia": {"operatorGroup": {"create": False}}},
        ["OperatorGroup nvidia-gpu-operator/nvidia-gpu-operator"],
    ),
    ({"nvidia": {"clusterPolicy": {"create": False}}}, ["ClusterPolicy /cluster-policy"]),
    ({"nvidia": {"nfd": {"createNamespace": False}}}, ["Namespace /openshift-nfd"]),
    (
        {"nvidia": {"nfd": {"operatorGroup": {"create": False}}}},
        ["OperatorGroup openshift-nfd/openshift-nfd"],
    ),
    (
        {"nvidia": {"nfd": {"instance": {"create": False}}}},
        ["NodeFeatureDiscovery openshift-nfd/nfd-instance"],
    ),
    (
        {"nvidia": {"monitoring": {"serviceMonitor": False}}},
        ["ServiceMonitor nvidia-gpu-operator/nvidia-dcgm-exporter"],
    ),
    ({"inferentia": {"kmm": {"createNamespace": False}}}, ["Namespace /openshift-kmm"]),
    (
        {"inferentia": {"kmm": {"operatorGroup": {"create": False}}}},
        ["OperatorGroup openshift-kmm/kernel-module-management"],
    ),
    ({"inferentia": {"operator": {"createNamespace": False}}}, ["Namespace /aws-neuron-operator"]),
    (
        {"inferentia": {"operator": {"operatorGroup": {"create": False}}}},
        ["OperatorGroup aws-neuron-operator/aws-neuron-operator"],
    ),
    (
        {"inferentia": {"nodeFeatureRule": {"create": False}}},
        ["NodeFeatureRule aws-neuron-operator/neuron-nfd-rule"],
    ),
    ({"inferentia": {"deviceConfig": {"create": False}}}, ["DeviceConfig aws-neuron-operator/neuron"]),
]


def deep(data: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key, value in override.items():
        out[key] = deep(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


@pytest.mark.parametrize(("switch", "gone"), SWITCHES, ids=[g[0] for _, g in SWITCHES])
def test_every_create_false_switch_removes_exactly_its_object(
    switch: dict[str, Any], gone: list[str]
) -> None:
    base = {
        "enabled": True,
        "infraID": "prod-x",
        "machineSets": [pool(), pool("inf2", providerSpec={"instanceType": "inf2.xlarge"})],
        "nvidia": {"enabled": True},
        "inferentia": {"enabled": True, "feasibility": FEASIBLE},
    }
    everything = refs(render(make_values(base)))
    without = refs(render(make_values(deep(base, switch))))
    assert [r for r in everything if r not in without] == gone
    assert [r for r in without if r not in everything] == []


def test_starting_csv_and_manual_approval_are_rendered(schema_check: Check) -> None:
    values = gpu_values(
        nvidia={
            "subscription": {
                "startingCSV": "gpu-operator-certified.v25.3.2",
                "approval": "Manual",
                "channel": "v25.3",
            },
            "nfd": {"subscription": {"startingCSV": "nfd.4.19.0-202511"}},
        }
    )
    objects = render(values)
    schema_check(objects)
    subs = {s["spec"]["name"]: s["spec"] for s in of(objects, "Subscription")}
    assert subs["gpu-operator-certified"] == {
        "channel": "v25.3",
        "installPlanApproval": "Manual",
        "name": "gpu-operator-certified",
        "source": "certified-operators",
        "sourceNamespace": "openshift-marketplace",
        "startingCSV": "gpu-operator-certified.v25.3.2",
    }
    assert subs["nfd"]["startingCSV"] == "nfd.4.19.0-202511"


def test_dashboard_structure(schema_check: Check) -> None:
    objects = render(gpu_values(nvidia={"dashboards": {"enabled": True, "namespace": "dash"}}), "prod")
    schema_check(objects)
    cm = one(objects, "ConfigMap")
    assert cm["metadata"] == {
        "name": "grafana-dashboard-nvidia-dcgm-exporter",  # the chart's name (dashboards.configMapName)
        "namespace": "dash",
        "labels": {
            "app.kubernetes.io/managed-by": "cluster-capacity",
            "cluster-capacity/env": "prod",
            "console.openshift.io/dashboard": "true",
            "app.kubernetes.io/name": "cluster-capacity",
            "app.kubernetes.io/part-of": "cluster-capacity",
        },
        "annotations": {"argocd.argoproj.io/sync-wave": "0"},
    }
    assert list(cm["data"]) == ["nvidia-dcgm-exporter-dashboard.json"]  # the chart's data key
    text = cm["data"]["nvidia-dcgm-exporter-dashboard.json"]
    assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert json.loads(text) == DASHBOARD  # every panel, query, position and unit
    # off by default
    assert of(render(gpu_values()), "ConfigMap") == []


def test_service_monitor_content() -> None:
    sm = one(render(gpu_values(), "prod"), "ServiceMonitor")
    assert sm["metadata"]["namespace"] == "nvidia-gpu-operator"
    assert sm["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-wave": "2",
        "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
    }
    assert sm["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "cluster-capacity",
        "cluster-capacity/env": "prod",
        "app": "nvidia-dcgm-exporter",
        "app.kubernetes.io/name": "cluster-capacity",
        "app.kubernetes.io/part-of": "cluster-capacity",
    }
    assert sm["spec"] == {
        "jobLabel": "app",
        "selector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}},
        "namespaceSelector": {"matchNames": ["nvidia-gpu-operator"]},
        "endpoints": [{"port": "gpu-metrics", "path": "/metrics", "interval": "30s"}],
    }
