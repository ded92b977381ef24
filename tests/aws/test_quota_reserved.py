"""``aws.quota`` around reservations and Capacity Blocks: what each check says, word for word, the order
of notes, fan-out zones and blocks on sale, and the demands a pool renders."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from cluster_capacity.aws.blocks import BlockOffering
from cluster_capacity.aws.quota import (
    PoolDemand,
    PoolProblem,
    blocks_on_sale,
    capacity_blocks_wanted,
    check_pools,
    fan_out_zones,
    pool_demands,
    reservation_notes,
)
from cluster_capacity.aws.snapshot import InstanceTypeInfo, Quota, Reservation, Snapshot
from cluster_capacity.config import Values
from cluster_capacity.config.project import chart_defaults
from cluster_capacity.config.sources import merge
from tests.render.conftest import make_values, pool

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)
BLOCK_ID = "cr-0f9e8d7c6b5a43210"
ODCR_ID = "cr-0a1b2c3d4e5f60718"

G5 = InstanceTypeInfo("g5.xlarge", 4, 16384, accelerator="nvidia", accelerator_count=1)
G6 = InstanceTypeInfo("g6.xlarge", 4, 16384, accelerator="nvidia", accelerator_count=1)
P5 = InstanceTypeInfo("p5.48xlarge", 192, 2097152, accelerator="nvidia", accelerator_count=8)


def snap(
    *reservations: Reservation,
    quotas: dict[tuple[str, str], int] | None = None,
    offerings: dict[str, frozenset[str]] | None = None,
    prices: dict[str, dict[str, float]] | None = None,
    blocks: tuple[BlockOffering, ...] = (),
) -> Snapshot:
    if quotas is None:
        quotas = {("g", "on-demand"): 64, ("p", "on-demand"): 384}
    if offerings is None:
        offerings = {
            "g5.xlarge": frozenset({"us-west-2a", "us-west-2b", "us-west-2c"}),
            "g6.xlarge": frozenset({"us-west-2a", "us-west-2b", "us-west-2c"}),
            "p5.48xlarge": frozenset({"us-west-2b"}),
        }
    return Snapshot(
        "us-west-2",
        {"g5.xlarge": G5, "g6.xlarge": G6, "p5.48xlarge": P5},
        offerings,
        prices or {},
        {k: Quota(k[0], k[1], v) for k, v in quotas.items()},  # type: ignore[arg-type]
        (),
        {r.id: r for r in reservations},
        blocks,
    )


def demand(name: str = "train", **kw: Any) -> PoolDemand:
    fields: dict[str, Any] = {
        "instance_type": "p5.48xlarge",
        "zone": "us-west-2b",
        "spot": False,
        "max_replicas": 2,
        **kw,
    }
    return PoolDemand(name, **fields)


def block(rid: str = BLOCK_ID, instance_type: str = "p5.48xlarge", zone: str = "us-west-2b", total: int = 2):
    return Reservation(
        rid, instance_type, zone, total, total, "active", "capacity-block", "2026-12-05T11:30:00Z"
    )


def odcr(rid: str = ODCR_ID, instance_type: str = "g5.xlarge", zone: str = "us-west-2a", total: int = 4):
    return Reservation(rid, instance_type, zone, total, total, "active")


# --- the values types -----------------------------------------------------------------------------------


def test_demands_and_problems_are_frozen_and_hashable() -> None:
    d = demand()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.zone = "us-west-2a"  # type: ignore[misc]
    assert {d, demand()} == {d}
    p = PoolProblem(("train",), "pool train: too big")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.message = "fine"  # type: ignore[misc]
    assert {p, PoolProblem(("train",), "pool train: too big")} == {p}
    assert (str(p), p.invalid) == ("pool train: too big", False)


def test_pool_name_is_the_demands_own_name_unless_a_pool_is_given() -> None:
    assert demand("gpu-a").pool == ""
    assert demand("gpu-a").pool_name == "gpu-a"
    assert demand("gpu-a-us-west-2a", pool="gpu-a").pool_name == "gpu-a"
    assert (demand().market, demand(spot=True).market) == ("on-demand", "spot")


# --- check_pools: reservations ----------------------------------------------------------------------------


def test_a_missing_capacity_block_is_named_as_a_capacity_block() -> None:
    gone = demand(reservation="cr-0123456789abcdef0", capacity_block=True)
    assert check_pools([gone], snap()) == [
        PoolProblem(
            ("train",),
            "pool train: Capacity Block cr-0123456789abcdef0 is not an active or scheduled reservation in "
            "us-west-2 (`cluster-capacity plan` lists them)",
        )
    ]


def test_a_reservation_of_another_type_and_zone() -> None:
    wrong = demand("gpu", instance_type="g5.xlarge", zone="us-west-2c", max_replicas=1, reservation=BLOCK_ID)
    assert check_pools([wrong], snap(block())) == [
        PoolProblem(
            ("gpu",),
            f"pool gpu: capacity reservation {BLOCK_ID} is in us-west-2b, the pool in us-west-2c: set "
            "providerSpec.placement.availabilityZone to us-west-2b",
        ),
        PoolProblem(
            ("gpu",),
            f"pool gpu: capacity reservation {BLOCK_ID} reserves p5.48xlarge, the pool runs g5.xlarge",
        ),
    ]
    # the same as a Capacity Block pool
    as_block = dataclasses.replace(wrong, capacity_block=True)
    assert [p.message for p in check_pools([as_block], snap(block()))] == [
        f"pool gpu: Capacity Block {BLOCK_ID} is in us-west-2b, the pool in us-west-2c: set "
        "providerSpec.placement.availabilityZone to us-west-2b",
        f"pool gpu: Capacity Block {BLOCK_ID} reserves p5.48xlarge, the pool runs g5.xlarge",
    ]


def test_a_pool_without_a_zone_is_told_the_reservations_zone() -> None:
    nowhere = demand("gpu", instance_type="g5.xlarge", zone="", max_replicas=1, reservation=ODCR_ID)
    assert [p.message for p in check_pools([nowhere], snap(odcr()))] == [
        "pool gpu: g5.xlarge is not offered in (no zone) (offered in us-west-2a, us-west-2b, us-west-2c)",
        f"pool gpu: capacity reservation {ODCR_ID} is in us-west-2a, the pool in no zone: set "
        "providerSpec.placement.availabilityZone to us-west-2a",
    ]


def test_a_capacity_block_holds_only_its_instances() -> None:
    fits = demand(max_replicas=2, reservation=BLOCK_ID, capacity_block=True)
    assert check_pools([fits], snap(block())) == []
    fixed = demand(max_replicas=None, replicas=3, reservation=BLOCK_ID, capacity_block=True)
    assert check_pools([fixed], snap(block())) == [
        PoolProblem(
            ("train",),
            f"pool train: replicas 3 exceeds the 2 instances of Capacity Block {BLOCK_ID}: a Capacity Block "
            "launches no more than it holds",
        ),
        PoolProblem(
            ("train",),
            "pool train: replicas 3 of p5.48xlarge needs 576 P On-Demand vCPUs (quota L-417A185B), the quota "
            "is 384 (headroom 384)",
        ),
    ]
    # an On-Demand Capacity Reservation does not cap the pool: beyond it, instances launch On-Demand
    beyond = demand(
        "gpu",
        instance_type="g5.xlarge",
        zone="us-west-2a",
        max_replicas=None,
        replicas=6,
        reservation=ODCR_ID,
    )
    assert check_pools([beyond], snap(odcr())) == []


# --- check_pools: unknown quotas ----------------------------------------------------------------------


def test_an_unknown_quota_names_every_pool_that_needs_it() -> None:
    pools = [
        demand("a", instance_type="g5.xlarge", zone="us-west-2a", spot=True),
        demand("b", instance_type="g6.xlarge", zone="us-west-2b", spot=True),
    ]
    problems = check_pools(pools, snap())
    assert problems == [
        PoolProblem(
            ("a", "b"),
            "pool a, b: the G and VT Spot vCPU quota (L-3819A6DF) is unknown; give it with --quota g:spot=VCPUS",
        )
    ]
    # the names stay readable after the message was built from them
    assert problems[0].pools == ("a", "b")
    assert list(problems[0].pools) == ["a", "b"]


# --- pool_demands -----------------------------------------------------------------------------------------


def test_a_single_zone_capacity_block_pool_renders_one_demand_with_its_block() -> None:
    values = make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [
                pool(
                    "train",
                    zones=["us-west-2b"],
                    capacityReservationId=BLOCK_ID,
                    marketType="CapacityBlock",
                    replicas=2,
                )
            ],
        }
    )
    assert pool_demands(values) == [
        PoolDemand(
            "train-us-west-2b",
            "g5.xlarge",
            "us-west-2b",
            False,
            2,
            None,
            "prod-x-train-us-west-2b",
            reservation=BLOCK_ID,
            capacity_block=True,
            pool="train",
        )
    ]


def test_a_fanned_out_pool_with_an_empty_reservation_id_has_none() -> None:
    values = make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [
                pool("gpu-a", zones=["us-west-2a", "us-west-2b"], providerSpec={"capacityReservationId": ""})
            ],
        }
    )
    demands = pool_demands(values)
    assert [(d.name, d.reservation, d.capacity_block) for d in demands] == [
        ("gpu-a-us-west-2a", None, False),
        ("gpu-a-us-west-2b", None, False),
    ]
    assert check_pools(demands, snap()) == []


def test_a_fallback_pool_without_a_zone() -> None:
    spec = pool("gpu-a", providerSpec={"spotMarketOptions": {}})
    del spec["providerSpec"]["placement"]["availabilityZone"]
    values = make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [
                {
                    **spec,
                    "onDemandFallback": True,
                    "autoscaler": {"enabled": True, "minReplicas": 0, "maxReplicas": 3},
                }
            ],
            "autoscaling": {"clusterAutoscaler": {"enabled": True}},
        }
    )
    assert [(d.name, d.zone, d.spot, d.max_replicas, d.fallback_for) for d in pool_demands(values)] == [
        ("gpu-a", "", True, 3, None),
        ("gpu-a-ondemand", "", False, 3, "gpu-a"),
    ]


def test_a_plain_pool_without_a_zone() -> None:
    spec = pool("gpu-a", replicas=1)
    del spec["providerSpec"]["placement"]["availabilityZone"]
    values = make_values({"enabled": True, "infraID": "prod-x", "machineSets": [spec]})
    assert pool_demands(values) == [PoolDemand("gpu-a", "g5.xlarge", "", False, 1, None, "prod-x-gpu-a")]


def unchecked(data: dict[str, Any]) -> Values:
    """Values as the model reads them, before the cross-field rules (which would refuse these)."""
    return Values.model_validate(merge(chart_defaults(), data))


def test_without_an_infra_id_no_machineset_names_are_known() -> None:
    values = unchecked(
        {"enabled": True, "machineSets": [pool("gpu-a", replicas=1), pool("gpu-b", zones=["us-west-2a"])]}
    )
    assert [(d.name, d.machineset) for d in pool_demands(values)] == [
        ("gpu-a", None),
        ("gpu-b-us-west-2a", None),
    ]


def test_a_pool_without_an_instance_type_is_skipped() -> None:
    typeless = pool("gpu-b")
    del typeless["providerSpec"]["instanceType"]
    values = unchecked({"enabled": True, "infraID": "prod-x", "machineSets": [typeless, pool("gpu-a")]})
    assert [d.name for d in pool_demands(values)] == ["gpu-a"]


# --- reservation_notes ----------------------------------------------------------------------------------


def test_notes_are_ordered_by_type_zone_and_id_and_filtered_by_type() -> None:
    reservations = (
        odcr("cr-0000000000000000c", zone="us-west-2b", total=1),
        block(zone="us-west-2a"),
        odcr("cr-0000000000000000b", zone="us-west-2a", total=2),
        odcr("cr-0000000000000000a", zone="us-west-2b", total=3),
    )
    lines = reservation_notes(snap(*reservations), NOW - dt.timedelta(days=7))
    assert lines == [
        "reserved: capacity reservation cr-0000000000000000b: 2 x g5.xlarge in us-west-2a (active, 2 available)",
        "reserved: capacity reservation cr-0000000000000000a: 3 x g5.xlarge in us-west-2b (active, 3 available)",
        "reserved: capacity reservation cr-0000000000000000c: 1 x g5.xlarge in us-west-2b (active, 1 available)",
        f"reserved: Capacity Block {BLOCK_ID}: 2 x p5.48xlarge in us-west-2a (active, 2 available, ends "
        "2026-12-05T11:30:00Z)",
    ]
    assert reservation_notes(snap(*reservations), NOW - dt.timedelta(days=7), ["p5.48xlarge"]) == lines[3:]
    assert reservation_notes(snap(*reservations), NOW - dt.timedelta(days=7), ["g5.xlarge"]) == lines[:3]
    assert reservation_notes(snap(*reservations), NOW, ["g6.xlarge"]) == []


# --- fan_out_zones ---------------------------------------------------------------------------------------

EIGHT = frozenset(f"us-west-2{z}" for z in "abcdefgh")


def test_fan_out_zones_without_prices_or_reservations_go_by_name() -> None:
    # eight zones: the chance that a set happens to iterate them in name order is 1 in 40320
    offered = {"g5.xlarge": EIGHT}
    assert fan_out_zones(snap(offerings=offered), "g5.xlarge", limit=8) == sorted(EIGHT)
    assert fan_out_zones(snap(offerings=offered), "g5.xlarge") == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert fan_out_zones(snap(offerings=offered), "g6.xlarge") == []


def test_a_zone_with_one_reserved_instance_comes_before_a_cheaper_one() -> None:
    offered = {"g5.xlarge": frozenset({"us-west-2a", "us-west-2b", "us-west-2c"})}
    prices = {"g5.xlarge": {"us-west-2a": 0.5, "us-west-2b": 0.9, "us-west-2c": 0.4}}
    reserved = odcr(zone="us-west-2b", total=1)
    assert fan_out_zones(snap(reserved, offerings=offered, prices=prices), "g5.xlarge") == [
        "us-west-2b",
        "us-west-2c",
        "us-west-2a",
    ]
    # more reserved instances first
    more = odcr("cr-0000000000000000a", zone="us-west-2a", total=2)
    assert fan_out_zones(snap(reserved, more, offerings=offered, prices=prices), "g5.xlarge", limit=2) == [
        "us-west-2a",
        "us-west-2b",
    ]


# --- blocks_on_sale and capacity_blocks_wanted ----------------------------------------------------------


def offering(
    oid: str, zone: str, start: str, count: int = 2, instance_type: str = "p5.48xlarge"
) -> BlockOffering:
    return BlockOffering(oid, instance_type, zone, count, start, "2026-12-09T11:30:00Z", 24)


def test_blocks_on_sale_hold_the_pools_maximum_its_zone_first_then_earliest() -> None:
    later_here = offering("cb-0", "us-west-2b", "2026-12-05T11:30:00Z")
    sooner_here_b = offering("cb-2", "us-west-2b", "2026-12-04T11:30:00Z")
    sooner_here_a = offering("cb-1", "us-west-2b", "2026-12-04T11:30:00Z")
    soonest_elsewhere = offering("cb-9", "us-west-2a", "2026-12-03T11:30:00Z")
    too_small = offering("cb-4", "us-west-2b", "2026-12-03T11:30:00Z", count=1)
    other_type = offering("cb-5", "us-west-2b", "2026-12-03T11:30:00Z", count=8, instance_type="g5.xlarge")
    blocks = (later_here, too_small, soonest_elsewhere, other_type, sooner_here_b, sooner_here_a)
    found = blocks_on_sale(snap(blocks=blocks), demand(max_replicas=2))
    assert [o.id for o in found] == ["cb-1", "cb-2", "cb-0", "cb-9"]
    assert blocks_on_sale(snap(blocks=blocks), demand(max_replicas=9)) == []


def test_capacity_blocks_wanted_once_per_type_and_count() -> None:
    pools = [
        demand("a", max_replicas=2, capacity_block=True),
        demand("b", max_replicas=2, capacity_block=True),
        demand("c", max_replicas=None, replicas=0, capacity_block=True),
        demand("d", max_replicas=4, capacity_block=False),
        demand("e", instance_type="g5.xlarge", max_replicas=3, capacity_block=True),
    ]
    wanted = capacity_blocks_wanted(pools)
    assert type(wanted) is list
    assert wanted == [("p5.48xlarge", 2), ("p5.48xlarge", 1), ("g5.xlarge", 3)]
    assert capacity_blocks_wanted([]) == []
