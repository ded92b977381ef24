"""pool_demands of fanned-out pools and their On-Demand twins: what each rendered MachineSet may ask of AWS."""

from __future__ import annotations

from typing import Any

from cluster_capacity.aws.quota import PoolDemand, check_pools, pool_demands
from cluster_capacity.aws.snapshot import InstanceTypeInfo, Quota, RunningInstance, Snapshot
from cluster_capacity.render import render
from tests.render.conftest import make_values, pool

ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"]


def fanned(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "zones": ZONES,
        "replicas": 1,
        "onDemandFallback": True,
        "autoscaler": {"enabled": True, "minReplicas": 0, "maxReplicas": 5},
        "providerSpec": {"spotMarketOptions": {}},
    }
    fields.update(overrides)
    return make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [pool("gpu-a", **fields)],
            "autoscaling": {"clusterAutoscaler": {"enabled": True}},
        }
    )


def snap(
    spot: int, on_demand: int, *, offered: tuple[str, ...] = tuple(ZONES), instances: tuple = ()
) -> Snapshot:
    info = InstanceTypeInfo("g5.xlarge", 4, 16384, accelerator="nvidia", accelerator_count=1)
    return Snapshot(
        "us-west-2",
        {"g5.xlarge": info},
        {"g5.xlarge": frozenset(offered)},
        {},
        {("g", "spot"): Quota("g", "spot", spot), ("g", "on-demand"): Quota("g", "on-demand", on_demand)},
        instances,
    )


def test_one_demand_per_rendered_machineset_with_its_share() -> None:
    values = fanned()
    demands = pool_demands(values)
    rendered = {o["metadata"]["name"]: o for o in render(values, env="prod") if o["kind"] == "MachineSet"}
    assert sorted(str(d.machineset) for d in demands) == sorted(rendered)
    autoscalers = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]["maxReplicas"]
        for o in render(values, env="prod")
        if o["kind"] == "MachineAutoscaler"
    }
    # each demand's maximum is what its MachineAutoscaler allows, its replicas what its MachineSet says
    for d in demands:
        assert d.max_replicas == autoscalers[d.machineset]
        assert d.replicas == rendered[d.machineset]["spec"]["replicas"]
    assert [(d.name, d.zone, d.market, d.peak) for d in demands] == [
        ("gpu-a-us-west-2a", "us-west-2a", "spot", 2),
        ("gpu-a-us-west-2b", "us-west-2b", "spot", 2),
        ("gpu-a-us-west-2c", "us-west-2c", "spot", 1),
        ("gpu-a-us-west-2a-ondemand", "us-west-2a", "on-demand", 2),
        ("gpu-a-us-west-2b-ondemand", "us-west-2b", "on-demand", 2),
        ("gpu-a-us-west-2c-ondemand", "us-west-2c", "on-demand", 1),
    ]
    assert sum(d.peak for d in demands if d.spot) == 5  # the pool's maxReplicas, not 3 x 5
    assert {d.pool_name for d in demands} == {"gpu-a"}
    assert demands[3].fallback_for == "gpu-a-us-west-2a" and demands[0].fallback_for is None


def test_twins_count_against_the_on_demand_quota() -> None:
    demands = pool_demands(fanned())
    # Spot: 5 x 4 = 20 vCPUs fit 20; On-Demand twins: 20 vCPUs do not fit 8
    problems = [str(p) for p in check_pools(demands, snap(20, 8))]
    assert problems == [
        "pools gpu-a-us-west-2a-ondemand, gpu-a-us-west-2b-ondemand, gpu-a-us-west-2c-ondemand: together "
        "their maximums need 20 G and VT On-Demand vCPUs (quota L-DB2E81BA), the quota is 8 (headroom 8)"
    ]
    assert check_pools(demands, snap(20, 20)) == []
    # one vCPU less of Spot: the Spot zones together no longer fit, each alone does
    (spot,) = check_pools(demands, snap(19, 20))
    assert spot.pools == ("gpu-a-us-west-2a", "gpu-a-us-west-2b", "gpu-a-us-west-2c")
    assert "G and VT Spot vCPUs (quota L-3819A6DF)" in str(spot)


def test_the_pools_own_instances_do_not_count_against_it() -> None:
    demands = pool_demands(fanned())
    mine = (
        RunningInstance("g5.xlarge", "us-west-2a", True, 4, "prod-x-gpu-a-us-west-2a-7xk2p"),
        RunningInstance("g5.xlarge", "us-west-2b", False, 4, "prod-x-gpu-a-us-west-2b-ondemand-9qz1t"),
    )
    assert check_pools(demands, snap(20, 20, instances=mine)) == []
    other = (RunningInstance("g5.xlarge", "us-west-2b", False, 4, "someone-else"),)
    (problem,) = check_pools(demands, snap(20, 20, instances=other))
    assert "4 in use by other instances (headroom 16)" in str(problem)


def test_a_zone_without_the_type_is_named_alone() -> None:
    demands = pool_demands(fanned(onDemandFallback=False))
    assert len(demands) == 3
    problems = [str(p) for p in check_pools(demands, snap(20, 0, offered=("us-west-2a", "us-west-2c")))]
    assert problems == [
        "pool gpu-a-us-west-2b: g5.xlarge is not offered in us-west-2b (offered in us-west-2a, us-west-2c)"
    ]


def test_a_plain_pool_and_a_fallback_without_zones() -> None:
    plain = make_values({"enabled": True, "infraID": "prod-x", "machineSets": [pool("gpu-a", replicas=2)]})
    assert pool_demands(plain) == [
        PoolDemand("gpu-a", "g5.xlarge", "us-west-2a", False, 2, None, "prod-x-gpu-a")
    ]
    values = fanned(zones=None)
    assert [(d.name, d.market, d.peak, d.machineset) for d in pool_demands(values)] == [
        ("gpu-a", "spot", 5, "prod-x-gpu-a"),
        ("gpu-a-ondemand", "on-demand", 5, "prod-x-gpu-a-ondemand"),
    ]
