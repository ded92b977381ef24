"""status of a pool fanned out over zones with an On-Demand fallback, over real HTTP: one row per
MachineSet under the pool, per zone why Machines are not coming, and when the twin has taken over."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity import kube
from cluster_capacity.cli import main
from cluster_capacity.config import EnvConfig, load_env
from cluster_capacity.ops.pools.status import pool_status
from cluster_capacity.render import render
from tests.emulator import KubeEmulator, openshift
from tests.emulator.openshift import MACHINE_API_NS

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)
INFRA = "prod-nkqd9"
BASE = f"{INFRA}-gpu-g5"
FAN_OUT = [
    "machineSets[0].nameSuffix=gpu-g5",
    "machineSets[0].zones={us-west-2a,us-west-2b,us-west-2c}",
    "machineSets[0].onDemandFallback=true",
    "machineSets[0].autoscaler.maxReplicas=3",
]


@pytest.fixture
def fanned(project: Path) -> EnvConfig:
    return load_env(project, "prod", FAN_OUT)


def live(emu: KubeEmulator, cfg: EnvConfig, replicas: dict[str, int]) -> dict[str, dict[str, Any]]:
    """The env's rendered MachineSets as the cluster holds them, at ``replicas`` (name suffix -> count)."""
    openshift.seed_cluster(emu, infra_id=INFRA, with_gpu_pool=False)
    return openshift.add_machinesets(emu, render(cfg.values, env="prod"), replicas, prefix=f"{BASE}-")


def running(emu: KubeEmulator, ms: dict[str, Any], index: int = 0) -> None:
    m = emu.add(openshift.machine(ms, index, "Running"))
    emu.add(openshift.node_for(m, gpus=1))
    emu.update("MachineSet", ms["metadata"]["name"], MACHINE_API_NS, patch={"status": {"readyReplicas": 1}})


def starved(emu: KubeEmulator, ms: dict[str, Any], index: int = 1) -> str:
    m = emu.add(openshift.machine(ms, index, "Provisioning", failure="InsufficientInstanceCapacity"))
    return str(m["metadata"]["name"])


def test_zones_and_a_twin_that_has_taken_over(
    client: kube.Kube, kube_emulator: KubeEmulator, fanned: EnvConfig
) -> None:
    sets = live(kube_emulator, fanned, {"us-west-2a": 1, "us-west-2b": 1, "us-west-2b-ondemand": 1})
    running(kube_emulator, sets[f"{BASE}-us-west-2a"])
    stuck = starved(kube_emulator, sets[f"{BASE}-us-west-2b"])
    running(kube_emulator, sets[f"{BASE}-us-west-2b-ondemand"])

    (pool,) = pool_status(client, fanned, now=NOW).pools
    rows = {m.machineset.removeprefix(f"{BASE}-"): m for m in pool.machine_sets}
    assert list(rows) == [
        "us-west-2a",
        "us-west-2b",
        "us-west-2c",
        "us-west-2a-ondemand",
        "us-west-2b-ondemand",
        "us-west-2c-ondemand",
    ]
    # per zone: Git's share (0..1 each), what runs
    assert [(m.zone, m.spot, m.live, m.nodes_ready, m.autoscaler) for m in pool.machine_sets] == [
        ("us-west-2a", True, 1, 1, (0, 1)),
        ("us-west-2b", True, 1, 0, (0, 1)),
        ("us-west-2c", True, 0, 0, (0, 1)),
        ("us-west-2a", False, 0, 0, (0, 1)),
        ("us-west-2b", False, 1, 1, (0, 1)),
        ("us-west-2c", False, 0, 0, (0, 1)),
    ]
    spot_b, twin_b = rows["us-west-2b"], rows["us-west-2b-ondemand"]
    assert spot_b.no_capacity == "InsufficientInstanceCapacity" and spot_b.fallback_active
    assert spot_b.fallback == twin_b.machineset and twin_b.fallback_for == spot_b.machineset
    assert [p.machine for p in spot_b.problems] == [stuck]  # the fact stays, as data
    assert spot_b.issues == [] and spot_b.healthy
    assert pool.notes == [
        f"us-west-2b: Spot in us-west-2b has no capacity (InsufficientInstanceCapacity); the On-Demand "
        f"twin {twin_b.machineset} has taken over: 1 replica(s), 1 node(s) Ready"
    ]
    assert not rows["us-west-2a"].fallback_active and rows["us-west-2a"].no_capacity is None
    # the pool's row: sums over its MachineSets, its own bounds
    assert (pool.machineset, pool.zone, pool.autoscaler) == (BASE, "us-west-2a,us-west-2b,us-west-2c", (0, 3))
    assert (pool.live, pool.nodes_ready, pool.gpus) == (3, 2, 2)
    assert pool.machines == {"Running": 2, "Provisioning": 1}
    assert pool.healthy


def test_a_starved_zone_whose_twin_has_not_moved_is_not_healthy(
    client: kube.Kube, kube_emulator: KubeEmulator, fanned: EnvConfig
) -> None:
    sets = live(kube_emulator, fanned, {"us-west-2c": 1})
    stuck = starved(kube_emulator, sets[f"{BASE}-us-west-2c"])
    (pool,) = pool_status(client, fanned, now=NOW).pools
    spot_c = next(m for m in pool.machine_sets if m.machineset == f"{BASE}-us-west-2c")
    assert spot_c.no_capacity == "InsufficientInstanceCapacity" and not spot_c.fallback_active
    assert not pool.healthy
    assert pool.issues == [
        f"{BASE}-us-west-2c: 0 of 1 nodes Ready",
        f"{BASE}-us-west-2c: Machine {stuck} Provisioning: InsufficientInstanceCapacity",
        f"{BASE}-us-west-2c: Spot in us-west-2c has no capacity (InsufficientInstanceCapacity) and the "
        f"On-Demand twin {BASE}-us-west-2c-ondemand is not scaled up yet: the cluster autoscaler moves to it "
        "once the Spot scale-up has given no node within the ClusterAutoscaler's maxNodeProvisionTime (15m by "
        "default)",
    ]


def test_a_zone_not_synced_and_a_plain_pool_unchanged(
    client: kube.Kube, kube_emulator: KubeEmulator, fanned: EnvConfig, project: Path
) -> None:
    sets = live(kube_emulator, fanned, {})
    kube_emulator.delete("MachineSet", f"{BASE}-us-west-2a-ondemand", MACHINE_API_NS)
    (pool,) = pool_status(client, fanned, now=NOW).pools
    assert pool.issues == [
        f"{BASE}-us-west-2a-ondemand: MachineSet {BASE}-us-west-2a-ondemand does not exist: Argo CD has not "
        "synced it (or it was deleted)"
    ]
    assert pool.live == 0 and len(sets) == 6
    # a pool without zones or fallback keeps its one row
    plain = load_env(project, "prod")
    (one,) = pool_status(client, plain, now=NOW).pools
    assert one.machine_sets == [] and one.machineset == f"{INFRA}-gpu-g5-xlarge-us-west-2a"


def test_status_table_and_json(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
    project: Path,
    fanned: EnvConfig,
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    values.write_text(
        values.read_text()
        .replace("nameSuffix: gpu-g5-xlarge-us-west-2a", "nameSuffix: gpu-g5")
        .replace("maxReplicas: 2", "maxReplicas: 3")
        .replace(
            "    providerSpec:\n",
            "    zones: [us-west-2a, us-west-2b, us-west-2c]\n    onDemandFallback: true\n    providerSpec:\n",
        )
    )
    sets = live(kube_emulator, fanned, {"us-west-2b": 1, "us-west-2b-ondemand": 1})
    starved(kube_emulator, sets[f"{BASE}-us-west-2b"])
    running(kube_emulator, sets[f"{BASE}-us-west-2b-ondemand"])
    args = ["status", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project)]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert (
        "gpu-g5 g5.xlarge us-west-2a,us-west-2b,us-west-2c Spot 0 2 Provisioning 1 1/1 gpu 1 0..3 ok" in lines
    )
    assert (
        "gpu-g5-us-west-2b us-west-2b Spot 0 1 Provisioning 1 0/0 gpu 0 0..1 no capacity, fallback in use"
        in lines
    )
    assert "gpu-g5-us-west-2b-ondemand us-west-2b On-Demand 0 1 Running 1 1/1 gpu 1 0..1 ok, in use" in lines
    assert (
        f"gpu-g5-us-west-2b: Spot in us-west-2b has no capacity (InsufficientInstanceCapacity); the On-Demand "
        f"twin {BASE}-us-west-2b-ondemand has taken over: 1 replica(s), 1 node(s) Ready" in lines
    )
    assert "advice:" not in out  # "add an On-Demand fallback" is what is already there
    assert main([*args, "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (pool,) = data["pools"]
    assert pool["healthy"] is True and pool["autoscaler"] == {"min": 0, "max": 3}
    spot_b = pool["machineSets"][1]
    assert spot_b["machineset"] == f"{BASE}-us-west-2b"
    assert (spot_b["noCapacity"], spot_b["fallbackActive"], spot_b["fallback"]) == (
        "InsufficientInstanceCapacity",
        True,
        f"{BASE}-us-west-2b-ondemand",
    )
    assert spot_b["autoscaler"] == {"min": 0, "max": 1} and spot_b["healthy"] is True
    assert pool["machineSets"][4]["fallbackFor"] == f"{BASE}-us-west-2b"
