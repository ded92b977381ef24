"""diff's rules, one by one: what is never drift (server metadata, wherever it appears), what always is
(a field the last apply set and Git dropped), which live pools are orphans even untracked, and a report
whose order and wording do not depend on the server."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity import kube
from cluster_capacity.config import load_env
from cluster_capacity.ops.diff import DiffReport, ObjectDiff, diff_env, diff_objects
from tests.emulator import KubeEmulator, openshift
from tests.ops.test_diff import sync
from tests.ops.test_diff_corners import machine_autoscaler

MAS = "openshift-machine-api"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

#: ObjectMeta fields that the API server (or a controller) owns: Git saying otherwise is not drift.
SERVER_FIELDS = {
    "uid": "0c8f1a1e-5b7e-4a43-9f1a-3f0f5b7e2a10",
    "resourceVersion": "48213",
    "generation": 7,
    "creationTimestamp": "2026-11-30T08:00:00Z",
    "managedFields": [{"manager": "kube-controller-manager", "operation": "Update"}],
    "selfLink": "/apis/machine.openshift.io/v1beta1/namespaces/openshift-machine-api/machinesets/pool",
    "deletionTimestamp": "2026-12-01T08:00:00Z",
    "deletionGracePeriodSeconds": 0,
    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "x"}],
    "finalizers": ["machine.machine.openshift.io"],
}


def machineset(**meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {"name": "pool", "namespace": MAS, **meta},
        "spec": {"replicas": 0},
    }


@pytest.mark.parametrize("field", sorted(SERVER_FIELDS))
def test_server_metadata_in_git_is_not_drift(field: str) -> None:
    # e.g. `creationTimestamp: null`, which `oc create --dry-run -o yaml` writes into every file
    desired = machineset(**{field: None})
    live = machineset(**{field: SERVER_FIELDS[field]})
    assert diff_objects(desired, live) == ""
    # ... while the rest of the object is still compared
    live["spec"]["replicas"] = 3
    assert "-  replicas: 3\n+  replicas: 0\n" in diff_objects(desired, live)


@pytest.mark.parametrize("field", sorted(SERVER_FIELDS))
def test_server_metadata_in_the_last_apply_is_not_drift(field: str) -> None:
    applied = machineset(**{field: None})
    live = machineset(**{field: SERVER_FIELDS[field]})
    live["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(applied)}
    assert diff_objects(machineset(), live) == ""


def test_a_mapping_the_last_apply_set_and_git_dropped_is_drift() -> None:
    applied = machineset()
    applied["spec"]["selector"] = {"matchLabels": {"team": "ml"}}
    live = copy.deepcopy(applied)
    live["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(applied)}
    text = diff_objects(machineset(), live)
    assert "-  selector:\n-    matchLabels:\n-      team: ml\n" in text
    added = [line for line in text.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added == []  # only the dropped mapping


def test_a_mapping_someone_else_set_is_not_drift() -> None:
    live = machineset()
    live["spec"]["selector"] = {"matchLabels": {"team": "ml"}}
    assert diff_objects(machineset(), live) == ""


@pytest.fixture
def no_pools(project: Path) -> Path:
    values = project.parent / "values" / "values-prod.yaml"
    values.write_text(
        values.read_text().replace("  - enabled: true\n    nameSuffix", "  - enabled: false\n    nameSuffix")
    )
    return project


def test_untracked_pools_of_the_env_are_orphans_when_git_renders_no_pool(
    client: kube.Kube, kube_emulator: KubeEmulator, no_pools: Path
) -> None:
    cfg = load_env(no_pools, "prod")
    sync(kube_emulator, cfg)
    assert kube_emulator.list("MachineSet") == []  # Git renders none
    # labelled as ours by an earlier render, but Argo CD does not track them (no tracking mark)
    kube_emulator.add(openshift.gpu_machineset("gpu-old", infra_id="prod-nkqd9", env="prod"))
    kube_emulator.add(machine_autoscaler("prod-nkqd9-gpu-old", "prod"))
    kube_emulator.add(openshift.gpu_machineset("gpu-dev", infra_id="prod-nkqd9", env="dev"))
    found = {(d.kind, d.name, d.state) for d in diff_env(client, cfg).diffs}
    assert found == {
        ("MachineSet", "prod-nkqd9-gpu-old", "orphan"),
        ("MachineAutoscaler", "prod-nkqd9-gpu-old", "orphan"),
    }


class _Shuffled:
    """The client, with every LIST answered in reverse order (the order of a LIST is the server's)."""

    def __init__(self, inner: kube.Kube) -> None:
        self._inner = inner

    def list(self, *args: Any, **kwargs: Any) -> Any:
        return list(reversed(self._inner.list(*args, **kwargs)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_orphans_are_reported_in_name_order_whatever_the_server_lists(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: Any
) -> None:
    sync(kube_emulator, prod)
    for suffix in ("gpu-c", "gpu-a", "gpu-b"):
        kube_emulator.add(openshift.gpu_machineset(suffix, infra_id="prod-nkqd9", env="prod"))
    want = ["prod-nkqd9-gpu-a", "prod-nkqd9-gpu-b", "prod-nkqd9-gpu-c"]
    for c in (client, _Shuffled(client)):
        report = diff_env(c, prod)  # type: ignore[arg-type]
        assert [d.name for d in report.diffs if d.state == "orphan"] == want


def test_the_ignored_rules_are_reported_as_group_kind_and_pointers(
    client: kube.Kube, kube_emulator: KubeEmulator, project: Path
) -> None:
    project.write_text(project.read_text().replace("capacityEnabled: true", "capacityEnabled: false", 1))
    cfg = load_env(project, "prod")
    sync(kube_emulator, cfg)
    rules = [
        {"kind": "ConfigMap", "jsonPointers": ["/data/a", "/data/b"]},  # the core group: no group key
        {"group": "machine.openshift.io", "kind": "MachineSet", "jqPathExpressions": [".spec.replicas"]},
        {"group": "apps", "name": "x", "jsonPointers": ["/spec"]},  # no kind: matches nothing, shown empty
    ]
    kube_emulator.add(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "cluster-capacity-prod", "namespace": "openshift-gitops"},
            "spec": {"ignoreDifferences": rules},
        }
    )
    assert diff_env(client, cfg).ignored == [
        "/ConfigMap /data/a,/data/b",
        "machine.openshift.io/MachineSet ",
        "apps/ /spec",
    ]


def test_object_refs_name_the_namespace_only_when_there_is_one() -> None:
    assert (
        ObjectDiff("Subscription", "openshift-nfd", "nfd", "changed").ref == "Subscription/openshift-nfd/nfd"
    )
    assert ObjectDiff("ClusterPolicy", "", "cluster-policy", "missing").ref == "ClusterPolicy/cluster-policy"


def test_a_report_is_a_value() -> None:
    d = ObjectDiff("MachineSet", MAS, "pool", "orphan", command="oc delete ...")
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.state = "changed"  # type: ignore[misc]
    report = DiffReport("prod", 1, [d])
    assert report.drift and report.to_dict()["objects"][0]["command"] == "oc delete ..."
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.env = "dev"  # type: ignore[misc]
    assert {d, ObjectDiff("MachineSet", MAS, "pool", "orphan", command="oc delete ...")} == {d}


def test_diff_before_argo_cd_is_installed(client: kube.Kube, kube_emulator: KubeEmulator, prod: Any) -> None:
    sync(kube_emulator, prod)
    kube_emulator.unserve_group("argoproj.io")
    report = diff_env(client, prod)
    (missing,) = report.diffs
    assert (missing.kind, missing.name, missing.state) == ("Application", "cluster-capacity-prod", "missing")
    header, body = missing.diff.splitlines()[:3], missing.diff.splitlines()[3:]
    assert header[:2] == [
        "--- live (absent)/Application/openshift-gitops/cluster-capacity-prod",
        "+++ git/Application/openshift-gitops/cluster-capacity-prod",
    ]
    # nothing on the live side: every line of the object is an addition
    assert body and all(line.startswith("+") for line in body)
    assert "+kind: Application" in body


def test_a_field_the_last_apply_set_inside_a_list_item_and_git_dropped_is_drift() -> None:
    applied = machineset()
    applied["spec"]["taints"] = [{"key": "gpu", "effect": "NoSchedule", "value": "true"}]
    live = copy.deepcopy(applied)
    live["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(applied)}
    desired = machineset()
    desired["spec"]["taints"] = [{"key": "gpu", "effect": "NoSchedule"}]
    assert "-    value: 'true'\n" in diff_objects(desired, live)
    # a default the server filled into the item, which no apply set, is not drift
    live = copy.deepcopy(desired)
    live["spec"]["taints"][0]["timeAdded"] = "2026-12-01T08:00:00Z"
    assert diff_objects(desired, live) == ""


def test_an_ignore_rule_without_a_group_is_for_the_core_group() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {"a": "git"}}}
    live = copy.deepcopy(ns)
    live["metadata"]["labels"]["a"] = "live"
    assert diff_objects(ns, live, [{"kind": "Namespace", "jsonPointers": ["/metadata/labels/a"]}]) == ""
    assert (
        diff_objects(ns, live, [{"group": "", "kind": "Namespace", "jsonPointers": ["/metadata/labels"]}])
        == ""
    )
    assert "-    a: live\n+    a: git\n" in diff_objects(ns, live, [])


def test_the_diff_text_does_not_depend_on_key_order() -> None:
    def pool(order: list[str]) -> dict[str, Any]:
        spec = {"replicas": 0, "minReadySeconds": 10, "deletePolicy": "Oldest"}
        return {**machineset(), "spec": {k: spec[k] for k in order}}

    live = pool(["replicas", "minReadySeconds", "deletePolicy"])
    live["spec"]["replicas"] = 2
    texts = {
        diff_objects(pool(order), live)
        for order in (
            ["replicas", "minReadySeconds", "deletePolicy"],
            ["deletePolicy", "replicas", "minReadySeconds"],
        )
    }
    (text,) = texts
    body = [line[1:] for line in text.splitlines()[3:]]  # the hunk, without the +/-/space column
    keys = [
        line.strip().split(":")[0] for line in body if line.startswith("  ") and not line.startswith("   ")
    ]
    assert keys == sorted(keys)
