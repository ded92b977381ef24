"""diff over real HTTP: server-set fields are not drift, ignoreDifferences honoured, orphans listed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity import kube
from cluster_capacity.config import EnvConfig, load_env
from cluster_capacity.errors import ClusterError
from cluster_capacity.ops.diff import diff_env, diff_objects
from cluster_capacity.ops.orphans import scanned_resources
from cluster_capacity.render import render_env
from tests.emulator import KubeEmulator, openshift
from tests.emulator.openshift import MACHINE_API_NS


def sync(emu: KubeEmulator, cfg: EnvConfig) -> list[dict[str, Any]]:
    """Play Argo CD and the controllers: apply what Git renders, then add what servers add."""
    applied = []
    for obj in render_env(cfg):
        live = copy.deepcopy(obj)
        meta = live["metadata"]
        meta.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(
            obj, sort_keys=True
        )
        group = obj["apiVersion"].rpartition("/")[0]
        meta["annotations"]["argocd.argoproj.io/tracking-id"] = (
            f"cluster-capacity-{cfg.env.name}:{group}/{obj['kind']}:{meta.get('namespace', '')}/{meta['name']}"
        )
        meta["managedFields"] = [{"manager": "argocd-controller", "operation": "Update"}]
        kind = obj["kind"]
        if kind == "MachineSet":
            meta["annotations"].update(
                {
                    "machine.openshift.io/GPU": "1",
                    "machine.openshift.io/memoryMb": "16384",
                    "machine.openshift.io/vCPU": "4",
                }
            )
            live["spec"]["template"]["spec"]["providerSpec"]["value"]["metadata"] = {
                "creationTimestamp": None
            }
            live["spec"]["template"]["spec"]["lifecycleHooks"] = {}
            live["status"] = {"replicas": 1, "readyReplicas": 1, "observedGeneration": 2}
        elif kind == "Namespace":
            meta["labels"]["kubernetes.io/metadata.name"] = meta["name"]
            meta["annotations"]["openshift.io/sa.scc.uid-range"] = "1000720000/10000"
            live["spec"] = {"finalizers": ["kubernetes"]}
            live["status"] = {"phase": "Active"}
        elif kind == "Subscription":
            meta["labels"][f"operators.coreos.com/{obj['spec']['name']}.{meta['namespace']}"] = ""
            live["status"] = {"state": "AtLatestKnown"}
        elif kind == "Application":
            live["status"] = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
        emu.add(live)
        applied.append(obj)
    return applied


def test_in_sync_is_no_drift(client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig) -> None:
    applied = sync(kube_emulator, prod)
    kube_emulator.clear_requests()
    report = diff_env(client, prod)
    assert report.diffs == [] and not report.drift
    assert report.compared == len(applied)
    kinds = {(o["apiVersion"], o["kind"]) for o in applied}
    scanned = {(r.api_version, r.kind) for r in scanned_resources(applied)}
    # one LIST per rendered kind, one per kind looked through for orphans, the Application and argocd-cm
    # (the emulator serves no k8s.aws: that LIST is answered 404 and not counted as a list)
    assert kube_emulator.count(verb="list") == len(kinds) + len(scanned) - 1
    assert kube_emulator.count(verb="get") == 2
    assert {r.query.get("labelSelector") for r in kube_emulator.requests} == {
        "app.kubernetes.io/managed-by=cluster-capacity",
        None,  # argocd-cm is not there: either tracking mark counts, so nothing is selected
    }


def test_changed_field_shows_a_unified_diff(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    name = "prod-nkqd9-gpu-g5-xlarge-us-west-2a"

    def bigger(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["spec"]["providerSpec"]["value"]["instanceType"] = "g5.2xlarge"

    kube_emulator.update("MachineSet", name, MACHINE_API_NS, fn=bigger)
    (d,) = diff_env(client, prod).diffs
    assert (d.kind, d.namespace, d.name, d.state) == ("MachineSet", MACHINE_API_NS, name, "changed")
    assert f"--- live/MachineSet/{MACHINE_API_NS}/{name}" in d.diff
    assert (
        "-          instanceType: g5.2xlarge\n" in d.diff and "+          instanceType: g5.xlarge\n" in d.diff
    )
    assert "machine.openshift.io/GPU" not in d.diff and "resourceVersion" not in d.diff


def test_autoscaled_replicas_are_not_drift(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    kube_emulator.update(
        "MachineSet", "prod-nkqd9-gpu-g5-xlarge-us-west-2a", MACHINE_API_NS, {"spec": {"replicas": 2}}
    )
    report = diff_env(client, prod)
    assert report.diffs == []
    assert report.ignored == ["machine.openshift.io/MachineSet /spec/replicas"]


def test_replicas_are_drift_when_not_ignored(
    client: kube.Kube, kube_emulator: KubeEmulator, project: Path
) -> None:
    text = project.read_text().replace(
        "capacityIgnoreMachineSetReplicas: true", "capacityIgnoreMachineSetReplicas: false"
    )
    project.write_text(text)
    cfg = load_env(project, "prod")
    sync(kube_emulator, cfg)
    kube_emulator.update(
        "MachineSet", "prod-nkqd9-gpu-g5-xlarge-us-west-2a", MACHINE_API_NS, {"spec": {"replicas": 2}}
    )
    (d,) = diff_env(client, cfg).diffs
    assert "-  replicas: 2\n" in d.diff and "+  replicas: 0\n" in d.diff


def test_field_removed_from_git_is_drift(
    client: kube.Kube, kube_emulator: KubeEmulator, project: Path
) -> None:
    sync(kube_emulator, load_env(project, "prod", ["machineSets[0].labels.team=ml"]))  # last apply had it
    (d,) = diff_env(client, load_env(project, "prod")).diffs
    assert "-    team: ml\n" in d.diff


def test_label_added_by_someone_else_is_not_drift(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    kube_emulator.update(
        "MachineSet",
        "prod-nkqd9-gpu-g5-xlarge-us-west-2a",
        MACHINE_API_NS,
        {"metadata": {"labels": {"cost-center": "ml-platform"}}},
    )
    assert diff_env(client, prod).diffs == []


def test_missing_objects_and_missing_crds(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    kube_emulator.delete("NodeFeatureDiscovery", "nfd-instance", "openshift-nfd")
    kube_emulator.unserve_group("nvidia.com")
    report = diff_env(client, prod)
    states = {(d.kind, d.name): d.state for d in report.diffs}
    assert states == {
        ("NodeFeatureDiscovery", "nfd-instance"): "missing",
        ("ClusterPolicy", "cluster-policy"): "missing",
    }
    # the unserved kind is not looked up object by object
    assert kube_emulator.count(verb="get", path="/apis/nvidia.com/*") == 0
    missing = next(d for d in report.diffs if d.kind == "ClusterPolicy")
    assert missing.diff.startswith(
        "--- live (absent)/ClusterPolicy/cluster-policy\n+++ git/ClusterPolicy/cluster-policy"
    )


def test_unlabelled_live_object_is_found_by_name(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    kube_emulator.update(
        "Namespace",
        "openshift-nfd",
        patch={"metadata": {"labels": {"app.kubernetes.io/managed-by": None, "cluster-capacity/env": None}}},
    )
    (d,) = diff_env(client, prod).diffs
    assert (d.kind, d.name, d.state) == ("Namespace", "openshift-nfd", "changed")
    assert "+    app.kubernetes.io/managed-by: cluster-capacity\n" in d.diff
    assert kube_emulator.count(verb="get") == 3  # the object, the Application, argocd-cm


def test_pools_git_no_longer_renders(client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig) -> None:
    sync(kube_emulator, prod)
    kube_emulator.add(
        openshift.gpu_machineset(
            "gpu-g6-xlarge-us-west-2b",
            infra_id="prod-nkqd9",
            env="prod",
            zone="us-west-2b",
            instance_type="g6.xlarge",
        )
    )
    kube_emulator.add(
        openshift.gpu_machineset(
            "gpu-g6-xlarge-us-west-2c",
            infra_id="prod-nkqd9",
            env="dev",
            zone="us-west-2c",
            instance_type="g6.xlarge",
        )
    )
    report = diff_env(client, prod)
    (orphan,) = report.diffs
    assert (orphan.state, orphan.name) == ("orphan", "prod-nkqd9-gpu-g6-xlarge-us-west-2b")
    assert (
        orphan.command
        == "oc delete machineset.machine.openshift.io prod-nkqd9-gpu-g6-xlarge-us-west-2b -n openshift-machine-api"
    )
    assert report.drift


def test_list_order_and_server_defaults_inside_items() -> None:
    desired = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "x", "labels": {"a": "1"}},
        "spec": {"tolerations": [{"key": "k", "effect": "NoSchedule"}]},
    }
    live = copy.deepcopy(desired)
    live["spec"]["tolerations"][0]["operator"] = "Equal"  # a default the server fills in
    live["metadata"]["uid"] = "u"
    assert diff_objects(desired, live) == ""
    live["spec"]["tolerations"].append({"key": "extra"})
    assert "+  tolerations:" not in diff_objects(desired, live) and "-  - key: extra" in diff_objects(
        desired, live
    )


def test_faults(client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig) -> None:
    sync(kube_emulator, prod)
    kube_emulator.fault(verb="list", resource="machinesets", status=500, times=1)
    assert diff_env(client, prod).diffs == []
    kube_emulator.fault(verb="list", resource="clusterpolicies", status=503, times=None)
    with pytest.raises(ClusterError, match=r"list clusterpolicies\.nvidia\.com failed after 5 attempts"):
        diff_env(client, prod)
