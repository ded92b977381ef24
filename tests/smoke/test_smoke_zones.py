"""smoke on a pool fanned out over zones: its MachineSets as targets, --zone, and the zone chosen from
what the cluster (emulator) and a plan snapshot say."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.aws.snapshot import InstanceTypeInfo, Reservation, Snapshot
from cluster_capacity.cli import main
from cluster_capacity.config import EnvConfig, load_env
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.smoke.cluster import KubeSmokeCluster, connect
from cluster_capacity.ops.smoke.pod import ZONE_LABEL, build_pod, targets_from_env
from cluster_capacity.ops.smoke.zones import NoZoneError, choose_zone
from cluster_capacity.render import render
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, ResourceType, openshift

from .conftest import nvidia_smi_log

INFRA = "prod-nkqd9"
BASE = f"{INFRA}-gpu-g5"
NS = openshift.MACHINE_API_NS


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    values = dest / "values" / "values-prod.yaml"
    values.write_text(
        values.read_text()
        .replace("nameSuffix: gpu-g5-xlarge-us-west-2a", "nameSuffix: gpu-g5")
        .replace("maxReplicas: 2", "maxReplicas: 3")
        .replace(
            "    providerSpec:\n",
            "    zones: [us-west-2a, us-west-2b, us-west-2c]\n    onDemandFallback: true\n    providerSpec:\n",
        )
    )
    return dest


@pytest.fixture
def fanned(project: Path) -> EnvConfig:
    return load_env(project / "cluster-capacity.yaml", "prod")


def test_every_machineset_is_a_target(fanned: EnvConfig) -> None:
    targets = targets_from_env(fanned, "gpu-g5")
    assert [(t.machineset.removeprefix(f"{BASE}-"), t.zone, t.spot) for t in targets] == [
        ("us-west-2a", "us-west-2a", True),
        ("us-west-2b", "us-west-2b", True),
        ("us-west-2c", "us-west-2c", True),
        ("us-west-2a-ondemand", "us-west-2a", False),
        ("us-west-2b-ondemand", "us-west-2b", False),
        ("us-west-2c-ondemand", "us-west-2c", False),
    ]
    # each target's MachineSet is one render writes, and its pod lands only on that MachineSet's nodes
    rendered = {
        o["metadata"]["name"]: o for o in render(fanned.values, env="prod") if o["kind"] == "MachineSet"
    }
    for t in targets:
        node_labels = rendered[t.machineset]["spec"]["template"]["spec"]["metadata"]["labels"]
        selector = build_pod(t)["spec"]["nodeSelector"]
        assert selector[ZONE_LABEL] == t.zone
        assert {k: v for k, v in selector.items() if k in node_labels} == node_labels
    assert targets[4].fallback_for == targets[1].machineset and targets[1].fanned_out
    only_b = targets_from_env(fanned, "gpu-g5", "us-west-2b")
    assert [t.machineset for t in only_b] == [f"{BASE}-us-west-2b", f"{BASE}-us-west-2b-ondemand"]


def test_a_zone_the_pool_does_not_run_in(fanned: EnvConfig, project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        targets_from_env(fanned, "gpu-g5", "us-west-2d")
    assert str(caught.value) == (
        "--zone us-west-2d: pool gpu-g5 does not run there; it fans out over us-west-2a, us-west-2b, us-west-2c"
    )
    with pytest.raises(ConfigError, match=r"^--zone west: not an availability zone name"):
        targets_from_env(fanned, "gpu-g5", "west")
    plain = load_env(EXAMPLES / "cluster-capacity.yaml", "prod")
    with pytest.raises(
        ConfigError, match=r"pool gpu-g5-xlarge-us-west-2a does not run there; it runs only in us-west-2a$"
    ):
        targets_from_env(plain, None, "us-west-2b")
    assert [t.machineset for t in targets_from_env(plain, None, "us-west-2a")] == [
        f"{INFRA}-gpu-g5-xlarge-us-west-2a"
    ]


def synced(emu: KubeEmulator, cfg: EnvConfig) -> dict[str, dict[str, Any]]:
    openshift.seed_cluster(emu, infra_id=INFRA, with_gpu_pool=False)
    return openshift.add_machinesets(emu, render(cfg.values, env="prod"))


def fail(emu: KubeEmulator, ms: dict[str, Any], failure: str = "InsufficientInstanceCapacity") -> str:
    http = openshift.AWS_FAILURES[failure][0]
    m = emu.add(openshift.machine(ms, 3, "Provisioning" if http >= 500 else "Failed", failure=failure))
    return str(m["metadata"]["name"])


def gpu_node(emu: KubeEmulator, ms: dict[str, Any]) -> str:
    m = emu.add(openshift.machine(ms, 0, "Running"))
    node = emu.add(openshift.node_for(m, gpus=1))
    return str(node["metadata"]["name"])


@pytest.fixture
def smoke_cluster(kubeconfig: Path) -> KubeSmokeCluster:
    return connect(kubeconfig)


def test_a_zone_without_capacity_is_passed_over(
    kube_emulator: KubeEmulator, smoke_cluster: KubeSmokeCluster, fanned: EnvConfig
) -> None:
    sets = synced(kube_emulator, fanned)
    stuck = fail(kube_emulator, sets[f"{BASE}-us-west-2a"])
    targets = targets_from_env(fanned, "gpu-g5")
    choice = choose_zone(smoke_cluster, targets)
    assert choice.target.machineset == f"{BASE}-us-west-2b" and choice.why == "no launch errors there"
    assert choice.skipped == [f"us-west-2a Spot: Machine {stuck} Provisioning: InsufficientInstanceCapacity"]
    # a node that already runs wins over a clean zone, a twin's included
    gpu_node(kube_emulator, sets[f"{BASE}-us-west-2c-ondemand"])
    choice = choose_zone(smoke_cluster, targets)
    assert choice.target.machineset == f"{BASE}-us-west-2c-ondemand"
    assert choice.why == "a Ready node with nvidia.com/gpu already runs there"


def test_a_snapshot_skips_zones_without_the_type_and_prefers_reserved_capacity(
    kube_emulator: KubeEmulator, smoke_cluster: KubeSmokeCluster, fanned: EnvConfig
) -> None:
    sets = synced(kube_emulator, fanned)
    for zone in ("us-west-2a", "us-west-2c"):
        fail(kube_emulator, sets[f"{BASE}-{zone}"], "MaxSpotInstanceCountExceeded")
    info = InstanceTypeInfo("g5.xlarge", 4, 16384, accelerator="nvidia", accelerator_count=1)
    odcr = Reservation("cr-0a1b2c3d4e5f60718", "g5.xlarge", "us-west-2c", 2, 1, "active")
    snap = Snapshot(
        "us-west-2",
        {"g5.xlarge": info},
        {"g5.xlarge": frozenset({"us-west-2a", "us-west-2c"})},
        reservations={odcr.id: odcr},
    )
    targets = targets_from_env(fanned, "gpu-g5")
    choice = choose_zone(smoke_cluster, targets, snap)
    # Spot: 2a and 2c refuse, 2b does not offer g5.xlarge; of the twins, 2c holds a reservation
    assert choice.target.machineset == f"{BASE}-us-west-2c-ondemand"
    assert choice.why == "1 reserved g5.xlarge available in us-west-2c"
    assert "us-west-2b Spot: g5.xlarge is not offered in us-west-2b (plan snapshot)" in choice.skipped
    assert "us-west-2b On-Demand: g5.xlarge is not offered in us-west-2b (plan snapshot)" in choice.skipped
    assert choose_zone(smoke_cluster, targets).target.machineset == f"{BASE}-us-west-2b"  # no snapshot


def test_no_zone_can_get_capacity(
    kube_emulator: KubeEmulator, smoke_cluster: KubeSmokeCluster, fanned: EnvConfig
) -> None:
    sets = synced(kube_emulator, fanned)
    kube_emulator.delete("MachineSet", f"{BASE}-us-west-2b-ondemand", NS)
    targets = targets_from_env(fanned, "gpu-g5", "us-west-2b")
    stuck = fail(kube_emulator, sets[f"{BASE}-us-west-2b"])
    with pytest.raises(NoZoneError) as caught:
        choose_zone(smoke_cluster, targets)
    assert str(caught.value) == (
        f"pool gpu-g5: no MachineSet can get capacity now: us-west-2b Spot: Machine {stuck} Provisioning: "
        f"InsufficientInstanceCapacity; us-west-2b On-Demand: MachineSet {BASE}-us-west-2b-ondemand does not "
        "exist (has Argo CD synced it?)"
    )
    assert caught.value.exit_code == 1


def test_smoke_runs_in_the_zone_that_has_capacity(
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
    project: Path,
    fanned: EnvConfig,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sets = synced(kube_emulator, fanned)
    stuck = fail(kube_emulator, sets[f"{BASE}-us-west-2a"])
    node = gpu_node(kube_emulator, sets[f"{BASE}-us-west-2b"])
    log = nvidia_smi_log("l40s-default.txt")
    bound: list[dict[str, Any]] = []

    def kubelet(verb: str, rtype: ResourceType, obj: dict[str, Any]) -> None:
        if verb == "create" and rtype.kind == "Pod":
            bound.append(obj)
            name = obj["metadata"]["name"]
            kube_emulator.set_pod_log("default", name, log)
            kube_emulator.update(
                "Pod",
                name,
                "default",
                {
                    "spec": {"nodeName": node},
                    "status": {
                        "phase": "Succeeded",
                        "conditions": [{"type": "PodScheduled", "status": "True"}],
                    },
                },
            )

    kube_emulator.on_write(kubelet)
    args = [
        "smoke",
        "--project",
        str(project),
        "--env",
        "prod",
        "--kubeconfig",
        str(kubeconfig),
        "--poll",
        "0.01s",
    ]
    code = main([*args, "--pool", "gpu-g5"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (
        f"pool gpu-g5: testing MachineSet {BASE}-us-west-2b (a Ready node with nvidia.com/gpu already runs there)"
        in err
    )
    assert f"  passed over us-west-2a Spot: Machine {stuck} Provisioning: InsufficientInstanceCapacity" in err
    assert f"smoke PASS: env prod, pool gpu-g5 (MachineSet {BASE}-us-west-2b)" in err
    (pod,) = bound
    assert pod["spec"]["nodeSelector"][ZONE_LABEL] == "us-west-2b"
    # --zone: an unknown zone is bad input, before any cluster call
    code = main([*args, "--pool", "gpu-g5", "--zone", "us-west-2d"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--zone us-west-2d: pool gpu-g5 does not run there; it fans out over us-west-2a" in err
    assert "Traceback" not in err
    # --zone of the failing zone: no other MachineSet there can get capacity either (its twin can)
    kube_emulator.delete("MachineSet", f"{BASE}-us-west-2a-ondemand", NS)
    code = main([*args, "--pool", "gpu-g5", "--zone", "us-west-2a"])
    err = capsys.readouterr().err
    assert code == 1 and "pool gpu-g5: no MachineSet can get capacity now: us-west-2a Spot: Machine" in err
