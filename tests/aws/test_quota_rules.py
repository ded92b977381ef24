"""``check_pools`` and ``pool_demands`` rules the corner tests leave open."""

from __future__ import annotations

from cluster_capacity.aws.plan import PoolDemand, check_pools
from tests.aws.test_plan import snapshot


def test_a_demand_without_replicas_or_maximum_needs_nothing() -> None:
    idle = PoolDemand("gpu-a", "g5.xlarge", "eu-west-1a", True)
    assert (idle.replicas, idle.max_replicas, idle.peak) == (0, None, 0)
    assert check_pools([idle], snapshot({("g", "spot"): 0})) == []
