"""diff at its corners: orphan MachineAutoscalers, the GET fallback's namespace, a live Application's
ignoreDifferences, and the report's plain-data form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cluster_capacity import kube
from cluster_capacity.config import EnvConfig, load_env
from cluster_capacity.ops.diff import diff_env
from tests.emulator import KubeEmulator
from tests.ops.test_diff import sync

MAS = "openshift-machine-api"
POOL = "prod-nkqd9-gpu-g5-xlarge-us-west-2a"


def machine_autoscaler(name: str, env: str | None) -> dict[str, Any]:
    labels = {"app.kubernetes.io/managed-by": "cluster-capacity"}
    if env:
        labels["cluster-capacity/env"] = env
    return {
        "apiVersion": "autoscaling.openshift.io/v1beta1",
        "kind": "MachineAutoscaler",
        "metadata": {"name": name, "namespace": MAS, "labels": labels},
        "spec": {
            "minReplicas": 0,
            "maxReplicas": 1,
            "scaleTargetRef": {
                "apiVersion": "machine.openshift.io/v1beta1",
                "kind": "MachineSet",
                "name": name,
            },
        },
    }


def test_orphan_machine_autoscalers_of_this_env_only(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    kube_emulator.add(machine_autoscaler("prod-nkqd9-old-pool", "prod"))
    kube_emulator.add(machine_autoscaler("prod-nkqd9-dev-pool", "dev"))
    kube_emulator.add(machine_autoscaler("prod-nkqd9-no-env", None))
    report = diff_env(client, prod)
    assert report.to_dict()["objects"] == [
        {
            "kind": "MachineAutoscaler",
            "namespace": MAS,
            "name": "prod-nkqd9-old-pool",
            "state": "orphan",
            "diff": "",
            "command": f"oc delete machineautoscaler.autoscaling.openshift.io prod-nkqd9-old-pool -n {MAS}",
        }
    ]
    assert report.drift and report.to_dict()["drift"] is True


def test_orphans_are_found_when_git_renders_no_pool_any_more(
    client: kube.Kube, kube_emulator: KubeEmulator, project: Path
) -> None:
    cfg = load_env(project, "prod")
    sync(kube_emulator, cfg)
    values = project.parent / "values" / "values-prod.yaml"
    values.write_text(
        values.read_text().replace("  - enabled: true\n    nameSuffix", "  - enabled: false\n    nameSuffix")
    )
    diffs = diff_env(client, load_env(project, "prod")).diffs
    # the ClusterPolicy's tolerations and the ClusterRole change with the pool; the pool itself is orphaned
    states = {(d.kind, d.name): (d.state, d.command) for d in diffs if d.state == "orphan"}
    assert sorted(d.state for d in diffs) == ["changed", "changed", "orphan", "orphan"]
    assert states == {
        ("MachineSet", POOL): ("orphan", f"oc delete machineset.machine.openshift.io {POOL} -n {MAS}"),
        ("MachineAutoscaler", POOL): (
            "orphan",
            f"oc delete machineautoscaler.autoscaling.openshift.io {POOL} -n {MAS}",
        ),
    }


def test_the_get_fallback_looks_in_the_objects_namespace(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    unlabel = {"metadata": {"labels": {"app.kubernetes.io/managed-by": None}}}
    kube_emulator.update("Subscription", "nfd", "openshift-nfd", patch=unlabel)
    kube_emulator.update("ClusterPolicy", "cluster-policy", patch=unlabel)
    kube_emulator.clear_requests()
    report = diff_env(client, prod)
    assert sorted((d.kind, d.namespace, d.name, d.state) for d in report.diffs) == [
        ("ClusterPolicy", "", "cluster-policy", "changed"),
        ("Subscription", "openshift-nfd", "nfd", "changed"),
    ]
    # looked up where they live, not cluster-wide
    assert kube_emulator.count(verb="get", path="/apis/operators.coreos.com/v1alpha1/subscriptions/nfd") == 0
    assert (
        kube_emulator.count(
            verb="get", path="/apis/operators.coreos.com/v1alpha1/namespaces/openshift-nfd/subscriptions/nfd"
        )
        == 1
    )
    assert kube_emulator.count(verb="get", path="/apis/nvidia.com/v1/clusterpolicies/cluster-policy") == 1


def test_a_live_applications_ignore_differences_are_honoured(
    client: kube.Kube, kube_emulator: KubeEmulator, project: Path
) -> None:
    # capacityEnabled: false renders no Application, yet one (made by hand) may sync the folder
    text = project.read_text()
    project.write_text(text.replace("capacityEnabled: true", "capacityEnabled: false", 1))
    cfg = load_env(project, "prod")
    assert cfg.env.capacity_enabled is False
    sync(kube_emulator, cfg)
    kube_emulator.update("MachineSet", POOL, MAS, patch={"spec": {"replicas": 2}})
    (drift,) = diff_env(client, cfg).diffs
    assert (drift.kind, drift.state) == ("MachineSet", "changed")
    assert "-  replicas: 2\n+  replicas: 0\n" in drift.diff

    kube_emulator.add(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "cluster-capacity-prod", "namespace": "openshift-gitops"},
            "spec": {
                "ignoreDifferences": [
                    {
                        "group": "machine.openshift.io",
                        "kind": "MachineSet",
                        "jsonPointers": ["/spec/replicas"],
                    }
                ]
            },
        }
    )
    kube_emulator.clear_requests()
    report = diff_env(client, cfg)
    assert report.diffs == []
    assert report.ignored == ["machine.openshift.io/MachineSet /spec/replicas"]
    assert (
        kube_emulator.count(
            verb="get",
            path="/apis/argoproj.io/v1alpha1/namespaces/openshift-gitops/applications/cluster-capacity-prod",
        )
        >= 1
    )


def test_report_as_plain_data(client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig) -> None:
    applied = sync(kube_emulator, prod)
    kube_emulator.delete("ServiceMonitor", "nvidia-dcgm-exporter", "nvidia-gpu-operator")
    kube_emulator.update("Subscription", "nfd", "openshift-nfd", patch={"spec": {"channel": "beta"}})
    data = json.loads(json.dumps(diff_env(client, prod).to_dict()))
    assert {k: v for k, v in data.items() if k != "objects"} == {
        "env": "prod",
        "compared": len(applied),
        "drift": True,
        "ignored": ["machine.openshift.io/MachineSet /spec/replicas"],
    }
    changed, missing = sorted(data["objects"], key=lambda o: o["state"])
    assert {k: v for k, v in changed.items() if k != "diff"} == {
        "kind": "Subscription",
        "namespace": "openshift-nfd",
        "name": "nfd",
        "state": "changed",
    }
    assert changed["diff"].startswith(
        "--- live/Subscription/openshift-nfd/nfd\n+++ git/Subscription/openshift-nfd/nfd\n"
    )
    assert "-  channel: beta\n+  channel: stable\n" in changed["diff"]
    assert {k: v for k, v in missing.items() if k != "diff"} == {
        "kind": "ServiceMonitor",
        "namespace": "nvidia-gpu-operator",
        "name": "nvidia-dcgm-exporter",
        "state": "missing",
    }
    assert "+  endpoints:\n" in missing["diff"]


def test_in_sync_report_as_plain_data(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    applied = sync(kube_emulator, prod)
    assert diff_env(client, prod).to_dict() == {
        "env": "prod",
        "compared": len(applied),
        "drift": False,
        "ignored": ["machine.openshift.io/MachineSet /spec/replicas"],
        "objects": [],
    }


def ms(replicas: int, **annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {"name": "pool", "namespace": MAS, "annotations": dict(annotations)},
        "spec": {"replicas": replicas},
    }


def test_ignore_rules_match_group_kind_name_and_namespace() -> None:
    from cluster_capacity.ops.diff import diff_objects

    replicas = {"kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
    for rule in (
        {**replicas, "group": "machine.openshift.io"},
        {**replicas, "group": "machine.openshift.io", "name": "pool", "namespace": MAS},
    ):
        assert diff_objects(ms(0), ms(3), [rule]) == "", rule
    for rule in (
        replicas,  # no group: the core group, not machine.openshift.io
        {**replicas, "group": "apps"},
        {**replicas, "group": "machine.openshift.io", "kind": "Machine"},
        {**replicas, "group": "machine.openshift.io", "name": "other"},
        {**replicas, "group": "machine.openshift.io", "namespace": "elsewhere"},
    ):
        assert "-  replicas: 3\n+  replicas: 0\n" in diff_objects(ms(0), ms(3), [rule]), rule


def test_json_pointers_unescape_slash_and_tilde() -> None:
    from cluster_capacity.ops.diff import diff_objects

    rule = {
        "group": "machine.openshift.io",
        "kind": "MachineSet",
        "jsonPointers": ["/metadata/annotations/example.com~1owner", "/metadata/annotations/a~0b"],
    }
    want = ms(0, **{"example.com/owner": "git", "a~b": "git", "keep": "git"})
    have = ms(0, **{"example.com/owner": "live", "a~b": "live", "keep": "git"})
    assert diff_objects(want, have, [rule]) == ""
    have["metadata"]["annotations"]["keep"] = "live"
    assert "-    keep: live\n+    keep: git\n" in diff_objects(want, have, [rule])
    # a pointer into something absent, or through a scalar, changes nothing
    odd = {**rule, "jsonPointers": ["/spec/missing/deeper", "/spec/replicas/x", "/"]}
    assert diff_objects(ms(0), ms(0), [odd]) == ""


def test_status_and_server_metadata_are_not_drift() -> None:
    from cluster_capacity.ops.diff import diff_objects

    live = ms(0)
    live["status"] = {"replicas": 5}
    live["metadata"].update({"uid": "u", "resourceVersion": "9", "generation": 4, "managedFields": []})
    assert diff_objects(ms(0), live) == ""
    want = ms(0)
    want["status"] = {"replicas": 1}  # even when the desired object carries one
    assert diff_objects(want, live) == ""


def _applied_by_kubectl(obj: dict[str, Any], **annotations: str) -> dict[str, Any]:
    """``obj`` as ``kubectl apply`` leaves it: its record of the apply holds ``annotations: {}`` when the
    object had none, and other writers may have added annotations of their own."""
    record = json.loads(json.dumps(obj))
    record["metadata"].setdefault("annotations", {})
    live = json.loads(json.dumps(obj))
    live["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(record),
        **annotations,
    }
    live["metadata"]["resourceVersion"] = "7"
    return live


APP = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "cluster-capacity-prod", "namespace": "openshift-gitops"},
    "spec": {"project": "default"},
}


def test_kubectls_own_record_of_an_apply_is_not_drift() -> None:
    from cluster_capacity.ops.diff import diff_objects

    assert diff_objects(APP, _applied_by_kubectl(APP)) == ""
    # another writer's annotation on an object Git gives none is not Git's business either
    assert diff_objects(APP, _applied_by_kubectl(APP, **{"example.com/note": "x"})) == ""


def test_an_annotation_git_dropped_since_the_last_apply_is_drift() -> None:
    from cluster_capacity.ops.diff import diff_objects

    before = json.loads(json.dumps(APP))
    before["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": "5"}
    live = _applied_by_kubectl(before, **{"example.com/note": "x"})
    live["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = "5"
    text = diff_objects(APP, live)  # Git no longer sets the sync wave
    assert (
        "-    argocd.argoproj.io/sync-wave: '5'" in text or '-    argocd.argoproj.io/sync-wave: "5"' in text
    )
    assert "example.com/note" not in text and "last-applied" not in text
