"""``check_pools`` arithmetic at its edges: whose instances count, exact fits, pools without an autoscaler."""

from __future__ import annotations

import pytest

from cluster_capacity.aws.plan import PoolDemand, RunningInstance, check_pools
from cluster_capacity.aws.quota import machineset_of
from tests.aws.test_plan import snapshot


def spot_pool(name: str = "gpu-a", **kw: object) -> PoolDemand:
    fields: dict[str, object] = {"spot": True, "max_replicas": 2, "machineset": f"prod-x-{name}", **kw}
    return PoolDemand(name, "g5.xlarge", "eu-west-1a", **fields)  # type: ignore[arg-type]


def test_an_exact_fit_is_no_problem() -> None:
    assert check_pools([spot_pool()], snapshot({("g", "spot"): 8})) == []  # 2 x 4 vCPUs = 8
    [problem] = check_pools([spot_pool()], snapshot({("g", "spot"): 7}))
    assert str(problem) == (
        "pool gpu-a: maxReplicas 2 of g5.xlarge needs 8 G and VT Spot vCPUs (quota L-3819A6DF), "
        "the quota is 7 (headroom 7)"
    )
    # two pools that together fill the quota exactly pass too
    pools = [spot_pool("a", max_replicas=1), spot_pool("b", max_replicas=1)]
    assert check_pools(pools, snapshot({("g", "spot"): 8})) == []
    assert [p.pools for p in check_pools(pools, snapshot({("g", "spot"): 7}))] == [("a", "b")]


def test_instances_of_another_family_or_market_do_not_count() -> None:
    running = (
        RunningInstance("g5.xlarge", "eu-west-1a", False, 4, "on-demand-neighbour"),  # same family, On-Demand
        RunningInstance("inf2.xlarge", "eu-west-1a", True, 4, "inf-neighbour"),  # Spot, another family
        RunningInstance("m5.xlarge", "eu-west-1a", True, 4, "standard"),
    )
    assert check_pools([spot_pool()], snapshot({("g", "spot"): 8}, instances=running)) == []
    same = (*running, RunningInstance("g4dn.xlarge", "eu-west-1b", True, 4, "g-spot-neighbour"))
    [problem] = check_pools([spot_pool()], snapshot({("g", "spot"): 8}, instances=same))
    assert str(problem).endswith("the quota is 8, 4 in use by other instances (headroom 4)")


def test_headroom_never_goes_below_zero() -> None:
    running = (RunningInstance("g5.2xlarge", "eu-west-1a", True, 8, "big"),)
    [problem] = check_pools([spot_pool(max_replicas=1)], snapshot({("g", "spot"): 4}, instances=running))
    assert str(problem).endswith("the quota is 4, 8 in use by other instances (headroom 0)")


def test_instances_of_a_similarly_named_machineset_are_not_the_pools() -> None:
    running = (
        RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "prod-x-gpu-a-x7k2p"),  # the pool's own
        RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "prod-x-gpu-ab-h2k9z"),  # another pool's
        RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "prod-x-gpu-a"),  # no machine suffix
        RunningInstance(
            "g5.xlarge", "eu-west-1a", True, 4, "prod-x-gpu-a-b-q7x2z"
        ),  # MachineSet prod-x-gpu-a-b
        RunningInstance(
            "g5.xlarge", "eu-west-1a", True, 4, "prod-x-gpu-a-x7k2"
        ),  # four characters: not a Machine
    )
    [problem] = check_pools([spot_pool()], snapshot({("g", "spot"): 20}, instances=running))
    assert str(problem).endswith("the quota is 20, 16 in use by other instances (headroom 4)")
    # without a MachineSet name (no infraID) every instance counts
    [problem] = check_pools([spot_pool(machineset=None)], snapshot({("g", "spot"): 20}, instances=running))
    assert str(problem).endswith("the quota is 20, 20 in use by other instances (headroom 0)")


@pytest.mark.parametrize(
    ("name", "machineset"),
    [
        ("prod-x-gpu-a-x7k2p", "prod-x-gpu-a"),
        ("prod-x-gpu-a-b-q7x2z", "prod-x-gpu-a-b"),
        ("prod-x-gpu-a-us-west-2a-ondemand-9qz1t", "prod-x-gpu-a-us-west-2a-ondemand"),
        ("prod-x-gpu-a", None),  # no generated suffix
        ("prod-x-gpu-a-x7k2", None),
        ("prod-x-gpu-a-X7K2P", None),  # generateName writes lower case
        ("-x7k2p", None),
        ("", None),
    ],
)
def test_the_machineset_of_an_instance_is_its_name_less_the_generated_suffix(
    name: str, machineset: str | None
) -> None:
    assert machineset_of(name) == machineset


def test_pool_without_an_autoscaler_needs_its_replicas() -> None:
    fixed = spot_pool(max_replicas=None, replicas=3)
    assert fixed.peak == 3
    [problem] = check_pools([fixed], snapshot({("g", "spot"): 8}))
    assert str(problem).startswith("pool gpu-a: replicas 3 of g5.xlarge needs 12 G and VT Spot vCPUs")
    assert spot_pool(max_replicas=None, replicas=0).peak == 0
    assert check_pools([spot_pool(max_replicas=None, replicas=0)], snapshot({("g", "spot"): 0})) == []
    # replicas above the autoscaler's maximum (a scaled-up pool) count as the peak
    assert spot_pool(max_replicas=1, replicas=2).peak == 2
    assert spot_pool(max_replicas=3, replicas=2).peak == 3


def test_each_market_has_its_own_quota() -> None:
    pools = [spot_pool("s", max_replicas=2), spot_pool("o", spot=False, max_replicas=2)]
    assert check_pools(pools, snapshot({("g", "spot"): 8, ("g", "on-demand"): 8})) == []
    [problem] = check_pools(pools, snapshot({("g", "spot"): 8, ("g", "on-demand"): 4}))
    assert problem.pools == ("o",)
    assert "G and VT On-Demand vCPUs (quota L-DB2E81BA), the quota is 4" in str(problem)
