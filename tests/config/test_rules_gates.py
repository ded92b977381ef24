"""Cross-field rules the first round left unproven: the Neuron pool floor and a failed feasibility check,
an upper-case instance type, and an OperatorGroup in the namespace that already has the global one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.config.test_rules import pool, problems, values

HINT = "run `cluster-capacity inferentia check --env ENV --write` against the cluster to open the gate"


def opened(passed: bool = True) -> dict[str, Any]:
    return {
        "enabled": True,
        "feasibility": {"passed": passed, "clusterVersion": "4.18.3", "checkedAt": "2026-12-01"},
    }


def neuron(min_replicas: int, *, autoscaled: bool = True) -> dict[str, Any]:
    return pool(
        "inf2",
        providerSpec={"instanceType": "inf2.xlarge"},
        autoscaler={"enabled": autoscaled, "minReplicas": min_replicas, "maxReplicas": 4},
    )


def test_an_autoscaled_neuron_pool_keeps_at_least_one_node(tmp_path: Path) -> None:
    floor = (
        "machineSets[0].autoscaler.minReplicas",
        "must be >= 1 for a Neuron pool: the cluster autoscaler cannot scale it up from zero "
        "(there is no capacity annotation for Neuron devices)",
    )
    assert problems(tmp_path, values(neuron(0), inferentia=opened())) == [floor]
    assert problems(tmp_path, values(neuron(1), inferentia=opened())) == []
    assert problems(tmp_path, values(neuron(2), inferentia=opened())) == []
    # not autoscaled: the pool's replicas are set by hand, zero is allowed
    assert problems(tmp_path, values(neuron(0, autoscaled=False), inferentia=opened())) == []
    # a GPU pool may scale from zero
    gpu = pool(autoscaler={"enabled": True, "minReplicas": 0, "maxReplicas": 4})
    assert problems(tmp_path, values(gpu)) == []


def test_a_failed_feasibility_check_keeps_the_gate_closed(tmp_path: Path) -> None:
    assert problems(tmp_path, values(neuron(1), inferentia=opened(passed=False))) == [
        (
            "inferentia.feasibility.passed",
            f"the recorded feasibility check did not pass; fix what it found and {HINT}",
        )
    ]
    assert problems(tmp_path, values(neuron(1), inferentia=opened(passed=True))) == []


def test_instance_types_are_lower_case(tmp_path: Path) -> None:
    assert problems(tmp_path, values(pool(providerSpec={"instanceType": "G5.XLarge"}))) == [
        (
            "machineSets[0].providerSpec.instanceType",
            "'G5.XLarge': EC2 instance types are lower case ('g5.xlarge'); AWS refuses any other",
        )
    ]


def test_no_second_operator_group_in_openshift_operators(tmp_path: Path) -> None:
    def refused(path: str) -> tuple[str, str]:
        return (
            f"{path}.installNamespace",
            "openshift-operators already has the cluster's global OperatorGroup, and a second one makes OLM "
            "refuse every operator there (TooManyOperatorGroups; the chart rendered one anyway): set "
            f"{path}.operatorGroup.create: false",
        )

    # (the target namespaces differ from the install namespace too: only the one problem is reported)
    shared = {"installNamespace": "openshift-operators", "operatorGroup": {"targetNamespaces": ["x"]}}
    assert problems(tmp_path, values(nvidia={"enabled": True, **shared})) == [refused("nvidia")]
    assert problems(tmp_path, values(nvidia={"enabled": True, "nfd": shared})) == [refused("nvidia.nfd")]
    # not creating one there is the fix
    fixed = {"installNamespace": "openshift-operators", "operatorGroup": {"create": False}}
    assert problems(tmp_path, values(nvidia={"enabled": True, **fixed})) == []


def test_the_neuron_operators_own_no_group_in_openshift_operators(tmp_path: Path) -> None:
    def stack(**operators: Any) -> dict[str, Any]:
        return values(neuron(1), inferentia={**opened(), **operators})

    shared = {"installNamespace": "openshift-operators"}
    assert problems(tmp_path, stack(kmm=shared, operator=shared)) == [
        (
            f"inferentia.{name}.installNamespace",
            "openshift-operators already has the cluster's global OperatorGroup, and a second one makes OLM "
            f"refuse every operator there (TooManyOperatorGroups): set inferentia.{name}.operatorGroup.create: false",
        )
        for name in ("kmm", "operator")
    ]
    no_group = {**shared, "operatorGroup": {"create": False}}
    assert problems(tmp_path, stack(kmm=no_group, operator=no_group)) == []
    # with the gate closed the stack does not render, and its settings are not checked
    closed = values(inferentia={"kmm": shared, "operator": shared})
    assert problems(tmp_path, closed) == []
