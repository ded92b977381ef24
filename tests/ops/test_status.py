"""Pool status over real HTTP: phases, nodes, GPUs, failures with advice, operators, request budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cluster_capacity import kube
from cluster_capacity.config import EnvConfig, load_env
from cluster_capacity.ops.pools.status import pool_status
from tests.emulator import KubeEmulator, openshift
from tests.emulator.openshift import MACHINE_API_NS, SeededCluster

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)  # 16 minutes after the seed's timestamps


def test_healthy_pool(client: kube.Kube, cluster: SeededCluster, prod: EnvConfig) -> None:
    report = pool_status(client, prod, now=NOW)
    (pool,) = report.pools
    assert pool.name_suffix == cluster.gpu_pool and pool.machineset == cluster.gpu_machineset
    assert (pool.desired, pool.live, pool.ready) == (0, 1, 1)  # autoscaled: Git says 0, the autoscaler 1
    assert pool.machines == {"Running": 1}
    assert (pool.nodes_ready, pool.nodes, pool.gpus, pool.neuron) == (1, 1, 1, 0)
    assert pool.autoscaler == (0, 2) and pool.live_autoscaler is None
    assert pool.spot and pool.accelerator == "nvidia"
    assert pool.healthy and report.healthy
    assert [o.healthy for o in report.operators] == [True, True]
    assert report.application is not None and report.application.sync == "Synced"


def test_every_phase_and_every_aws_failure(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig
) -> None:
    made = openshift.add_broken_machines(kube_emulator, cluster.gpu_machineset)
    (pool,) = pool_status(client, prod, now=NOW).pools
    assert pool.machines == {"Provisioning": 2, "Provisioned": 1, "Running": 1, "Deleting": 1, "Failed": 5}
    assert not pool.healthy
    problems = {p.machine: p for p in pool.problems}
    assert made["Provisioning"] not in problems and made["Provisioned"] not in problems  # not stuck yet
    capacity = problems[made["InsufficientInstanceCapacity"]]
    assert (capacity.phase, capacity.reason) == ("Provisioning", "InsufficientInstanceCapacity")
    assert "We currently do not have sufficient g5.xlarge capacity" in capacity.message
    assert "use another zone that offers it (us-west-2b, us-west-2c)" in capacity.advice
    vcpu = problems[made["VcpuLimitExceeded"]]
    assert vcpu.phase == "Failed" and vcpu.message.startswith(
        "error launching instance: You have requested more"
    )
    # the live Machine is On-Demand: the On-Demand G quota, or switch to Spot
    assert "L-DB2E81BA" in vcpu.advice and "switch the pool to Spot" in vcpu.advice
    spot = problems[made["MaxSpotInstanceCountExceeded"]]
    assert "L-3819A6DF" in spot.advice and "On-Demand" in spot.advice
    assert "ec2:RunInstances" in problems[made["UnauthorizedOperation"]].advice
    ami = problems[made["InvalidAMIID.NotFound"]]
    assert ami.reason == "InvalidAMIID.NotFound" and "providerSpec.ami.id" in ami.advice
    assert problems[made["Unsupported"]].reason == "Unsupported"


def test_machines_stuck_too_long(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig
) -> None:
    ms = kube_emulator.get("MachineSet", cluster.gpu_machineset, MACHINE_API_NS)
    stuck = kube_emulator.add(openshift.machine(ms, 3, "Provisioned"))
    later = NOW + dt.timedelta(hours=1)
    (pool,) = pool_status(client, prod, now=later).pools
    (problem,) = pool.problems
    assert problem.machine == stuck["metadata"]["name"] and problem.reason == "Stuck"
    assert problem.message == "Provisioned for 75 minutes"  # 09:14:07 -> 10:30


def test_not_ready_node_and_missing_gpus(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig
) -> None:
    (node,) = cluster.gpu_nodes
    kube_emulator.update("Node", node, patch={"status": {"allocatable": {"nvidia.com/gpu": None}}})
    (pool,) = pool_status(client, prod, now=NOW).pools
    assert pool.gpus == 0 and not pool.healthy
    assert any("no allocatable nvidia.com/gpu" in issue for issue in pool.issues)

    def not_ready(obj: dict) -> None:
        obj["status"]["conditions"][-1]["status"] = "False"

    kube_emulator.update("Node", node, fn=not_ready)
    (pool,) = pool_status(client, prod, now=NOW).pools
    assert (pool.nodes_ready, pool.nodes) == (0, 1)
    assert "0 of 1 nodes Ready" in pool.issues


def test_pool_not_synced_yet(client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig) -> None:
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9", with_gpu_pool=False)
    (pool,) = pool_status(client, prod, now=NOW).pools
    assert pool.live is None and not pool.healthy
    assert pool.issues == [
        "MachineSet prod-nkqd9-gpu-g5-xlarge-us-west-2a does not exist: Argo CD has not synced it "
        "(or it was deleted)"
    ]


def test_disabled_pool_is_not_judged(client: kube.Kube, kube_emulator: KubeEmulator, project: Path) -> None:
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9", with_gpu_pool=False)
    cfg = load_env(project, "prod", ["machineSets[0].enabled=false"])
    report = pool_status(client, cfg, now=NOW)
    assert report.pools[0].enabled is False and report.healthy


def test_live_autoscaler_is_reported(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig
) -> None:
    kube_emulator.add(
        {
            "apiVersion": "autoscaling.openshift.io/v1beta1",
            "kind": "MachineAutoscaler",
            "metadata": {
                "name": cluster.gpu_machineset,
                "namespace": MACHINE_API_NS,
                "labels": {"app.kubernetes.io/managed-by": "cluster-capacity"},
            },
            "spec": {
                "minReplicas": 1,
                "maxReplicas": 4,
                "scaleTargetRef": {
                    "apiVersion": "machine.openshift.io/v1beta1",
                    "kind": "MachineSet",
                    "name": cluster.gpu_machineset,
                },
            },
        }
    )
    (pool,) = pool_status(client, prod, now=NOW).pools
    assert pool.live_autoscaler == (1, 4)


@pytest.mark.parametrize(
    "fault",
    [
        {"verb": "list", "resource": "machines", "status": 500, "times": 2},
        {"verb": "list", "resource": "nodes", "status": 429, "times": 1, "retry_after": 2},
        {"verb": "list", "resource": "machinesets", "drop": True, "times": 1},
        {"verb": "get", "resource": "applications", "status": 503, "times": 1},
    ],
)
def test_transient_faults_do_not_change_the_answer(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig, fault: dict
) -> None:
    kube_emulator.fault(**fault)
    report = pool_status(client, prod, now=NOW)
    assert report.healthy and report.pools[0].gpus == 1


def test_forbidden_machines(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig
) -> None:
    kube_emulator.fault(verb="list", resource="machines", status=403)
    with pytest.raises(kube.ForbiddenError, match=r"not allowed to list machines\.machine\.openshift\.io"):
        pool_status(client, prod, now=NOW)


def test_request_budget_at_scale(client: kube.Kube, kube_emulator: KubeEmulator, project: Path) -> None:
    pools = openshift.seed_large(
        kube_emulator, machinesets=50, machines=500, nodes=500, infra_id="prod-nkqd9"
    )
    template = load_env(project, "prod").values.machine_sets[0].model_dump(by_alias=True)
    cfg = _with_pools(project, pools, template)
    kube_emulator.clear_requests()
    report = pool_status(client, cfg, now=NOW)
    assert len(report.pools) == 50 and report.healthy
    assert sum(p.machines.get("Running", 0) for p in report.pools) == 500
    assert sum(p.gpus for p in report.pools) == 500
    assert kube_emulator.count() <= 11, [r.path for r in kube_emulator.requests]
    # the Application and the ClusterVersion (NVIDIA's guidance per version); no per-object GETs
    assert kube_emulator.count(verb="get") <= 2


def _with_pools(project: Path, suffixes: list[str], template: dict) -> EnvConfig:
    """The example env with 50 enabled pools named like the seeded ones (zone from the suffix)."""
    import yaml

    values = project.parent / "values" / "values-prod.yaml"
    data = yaml.safe_load(values.read_text())
    pools = []
    for suffix in suffixes:
        zone = suffix.split("-xlarge-")[1][:10]
        pool = {k: v for k, v in template.items() if v is not None}
        pool["nameSuffix"] = suffix
        pool["autoscaler"] = {"enabled": False}
        pool["providerSpec"] = {
            **template["providerSpec"],
            "placement": {"availabilityZone": zone, "region": "us-west-2"},
        }
        pools.append(pool)
    data["machineSets"] = pools
    data["autoscaling"]["clusterAutoscaler"]["enabled"] = False
    values.write_text(yaml.safe_dump(data))
    return load_env(project, "prod")


def test_status_lists_each_kind_in_one_request_per_thousand_objects(
    client: kube.Kube, kube_emulator: KubeEmulator, project: Path
) -> None:
    """1,500 Machines and Nodes: two pages each (1,000 + 500), not three as with pages of 500."""
    pools = openshift.seed_large(
        kube_emulator, machinesets=30, machines=1500, nodes=1500, infra_id="prod-nkqd9"
    )
    template = load_env(project, "prod").values.machine_sets[0].model_dump(by_alias=True)
    cfg = _with_pools(project, pools, template)
    kube_emulator.clear_requests()
    report = pool_status(client, cfg, now=NOW)
    assert sum(p.machines.get("Running", 0) for p in report.pools) == 1500
    lists = [r for r in kube_emulator.requests if r.verb == "list"]
    per_kind: dict[str, int] = {}
    for r in lists:
        per_kind[r.resource] = per_kind.get(r.resource, 0) + 1
    assert per_kind["machines"] == 2 and per_kind["nodes"] == 2
    assert per_kind["machinesets"] == 1
    assert all(n <= 2 for n in per_kind.values()), per_kind
