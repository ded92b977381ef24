"""Inferentia/Trainium: the gate, and the Neuron stack once it is open, against the real CRDs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.errors import ConfigError
from cluster_capacity.render import render
from tests.render.conftest import make_values, pool

Check = Callable[[list[dict[str, Any]]], None]
FEASIBLE = {
    "passed": True,
    "clusterVersion": "4.19.7",
    "checkedAt": "2026-11-28",
    "findings": ["platform AWS"],
}


def neuron_data(**inferentia: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "infraID": "prod-x",
        "machineSets": [pool("neuron-inf2", providerSpec={"instanceType": "inf2.xlarge"})],
        "inferentia": inferentia,
    }


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        make_values(data)
    return info.value.lines()


def test_gate_closed_without_inferentia_section() -> None:
    (line,) = problems(neuron_data())
    assert (
        "machineSets[0].providerSpec.instanceType: inf2.xlarge is a Neuron (Inferentia/Trainium) type, which is gated"
        in line
    )
    assert "cluster-capacity inferentia check --env ENV --write" in line


def test_gate_closed_when_enabled_without_a_passed_check() -> None:
    assert any(
        "inferentia.enabled: the gate is closed: no feasibility check is recorded" in p
        for p in problems(neuron_data(enabled=True))
    )
    failed = problems(neuron_data(enabled=True, feasibility={**FEASIBLE, "passed": False}))
    assert any(
        "inferentia.feasibility.passed: the recorded feasibility check did not pass" in p for p in failed
    )


def test_disabled_neuron_pool_is_not_gated() -> None:
    data = neuron_data()
    data["machineSets"][0]["enabled"] = False
    assert render(make_values(data)) == []


def test_neuron_autoscaling_needs_min_one() -> None:
    data = neuron_data(enabled=True, feasibility=FEASIBLE)
    data["machineSets"][0]["autoscaler"] = {"enabled": True, "minReplicas": 0, "maxReplicas": 2}
    (line,) = problems(data)
    assert "machineSets[0].autoscaler.minReplicas: must be >= 1 for a Neuron pool" in line
    assert "cannot scale it up from zero" in line


def test_open_gate_renders_the_neuron_stack(schema_check: Check) -> None:
    objects = render(make_values(neuron_data(enabled=True, feasibility=FEASIBLE)), "prod")
    schema_check(objects)
    kinds = [o["kind"] for o in objects]
    for kind in ("DeviceConfig", "NodeFeatureRule", "NodeFeatureDiscovery", "MachineSet"):
        assert kind in kinds, kind
    assert "ClusterPolicy" not in kinds  # no GPU Operator for a Neuron-only env
    packages = {s["spec"]["name"]: s for s in objects if s["kind"] == "Subscription"}
    assert set(packages) == {"nfd", "kernel-module-management", "aws-neuron-operator"}
    wave = lambda o: int(o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])  # noqa: E731
    assert wave(packages["aws-neuron-operator"]) > wave(packages["kernel-module-management"])

    ms = next(o for o in objects if o["kind"] == "MachineSet")
    spec = ms["spec"]["template"]["spec"]
    assert spec["taints"] == [{"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}]
    assert "cluster-api/accelerator" not in spec["metadata"]["labels"]

    dc = next(o for o in objects if o["kind"] == "DeviceConfig")
    assert dc["metadata"]["namespace"] == "aws-neuron-operator"
    assert dc["spec"]["driverVersion"] == "2.28.0.0"
    assert dc["spec"]["selector"] == {"feature.node.kubernetes.io/aws-neuron": "true"}
    assert (
        dc["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "SkipDryRunOnMissingResource=true"
    )

    ogs = {o["metadata"]["namespace"]: o["spec"] for o in objects if o["kind"] == "OperatorGroup"}
    assert ogs["openshift-kmm"] == {} and ogs["aws-neuron-operator"] == {}  # AllNamespaces
    assert ogs["openshift-nfd"] == {"targetNamespaces": ["openshift-nfd"]}

    rules = next(o for o in objects if o["kind"] == "ClusterRole")["rules"]
    assert {"apiGroups": ["k8s.aws"], "resources": ["deviceconfigs"], "verbs": rules[0]["verbs"]} in rules
    assert any(r["apiGroups"] == ["nfd.openshift.io"] and "nodefeaturerules" in r["resources"] for r in rules)


def test_released_operator_schemas_accept_the_device_config(crds_dir: Path) -> None:
    """v1.2.0 of the operator requires more images than main; what we render satisfies both."""
    from cluster_capacity.validate.schemas import SchemaRegistry

    objects = render(make_values(neuron_data(enabled=True, feasibility=FEASIBLE)))
    dc = next(o for o in objects if o["kind"] == "DeviceConfig")
    nfr = next(o for o in objects if o["kind"] == "NodeFeatureRule")
    released = SchemaRegistry.from_directory(crds_dir / "variants" / "awslabs-v1.2.0")
    assert released.validate(dc) == []
    nfr_k8s = {**nfr, "apiVersion": "nfd.k8s-sigs.io/v1alpha1"}
    assert (
        SchemaRegistry.from_directory(crds_dir / "variants" / "cluster-nfd-operator").validate(nfr_k8s) == []
    )


def test_device_config_spec_overrides_and_missing_image(schema_check: Check, crds_dir: Path) -> None:
    from cluster_capacity.validate.schemas import SchemaRegistry

    data = neuron_data(
        enabled=True, feasibility=FEASIBLE, deviceConfig={"spec": {"imageRepoSecret": {"name": "pull"}}}
    )
    dc = next(o for o in render(make_values(data)) if o["kind"] == "DeviceConfig")
    assert dc["spec"]["imageRepoSecret"] == {"name": "pull"}
    del dc["spec"]["customSchedulerImage"]  # what a hand edit might do: the released schema catches it
    findings = SchemaRegistry.from_directory(crds_dir / "variants" / "awslabs-v1.2.0").validate(dc)
    assert [f.path for f in findings] == ["spec.customSchedulerImage"]


def test_gpu_limits_ignore_neuron_pools() -> None:
    data = neuron_data(enabled=True, feasibility=FEASIBLE)
    data["machineSets"].append(pool("gpu-a"))
    data["autoscaling"] = {
        "clusterAutoscaler": {
            "enabled": True,
            "spec": {"resourceLimits": {"gpus": [{"type": "nvidia-a10g", "min": 0, "max": 2}]}},
        }
    }
    objects = render(make_values(data))  # no complaint that the Neuron pool has no GPU limit
    assert sum(o["kind"] == "MachineSet" for o in objects) == 2
