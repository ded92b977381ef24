"""Capacity reservations and Capacity Blocks: read with Stubber (moto lacks DescribeCapacityReservations),
kept in the snapshot, checked against the pools, and shown by plan."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cluster_capacity.aws.client import Aws
from cluster_capacity.aws.quota import PoolDemand, check_pools, fan_out_zones, pool_demands, reservation_notes
from cluster_capacity.aws.snapshot import InstanceTypeInfo, Quota, Reservation, Snapshot, load_snapshot
from cluster_capacity.errors import ConfigError
from tests.render.conftest import make_values, pool

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)

#: Two items as EC2 returns them (fields from the botocore service model of DescribeCapacityReservations).
ANSWER: dict[str, Any] = {
    "CapacityReservations": [
        {
            "CapacityReservationId": "cr-0a1b2c3d4e5f60718",
            "InstanceType": "g5.xlarge",
            "InstancePlatform": "Linux/UNIX",
            "AvailabilityZone": "us-west-2a",
            "Tenancy": "default",
            "TotalInstanceCount": 4,
            "AvailableInstanceCount": 3,
            "State": "active",
            "EndDateType": "unlimited",
            "InstanceMatchCriteria": "targeted",
            "ReservationType": "default",
        },
        {
            "CapacityReservationId": "cr-0f9e8d7c6b5a43210",
            "InstanceType": "p5.48xlarge",
            "InstancePlatform": "Linux/UNIX",
            "AvailabilityZone": "us-west-2b",
            "TotalInstanceCount": 2,
            "AvailableInstanceCount": 2,
            "State": "active",
            "StartDate": dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.timezone.utc),
            "EndDate": dt.datetime(2026, 12, 5, 11, 30, tzinfo=dt.timezone.utc),
            "EndDateType": "limited",
            "InstanceMatchCriteria": "targeted",
            "ReservationType": "capacity-block",
        },
    ]
}

ODCR = Reservation("cr-0a1b2c3d4e5f60718", "g5.xlarge", "us-west-2a", 4, 3, "active")
BLOCK = Reservation(
    "cr-0f9e8d7c6b5a43210",
    "p5.48xlarge",
    "us-west-2b",
    2,
    2,
    "active",
    "capacity-block",
    "2026-12-05T11:30:00Z",
)


def test_reservations_read_from_ec2(aws_credentials: None) -> None:
    client = boto3.client("ec2", region_name="us-west-2")
    with Stubber(client) as stub:
        stub.add_response(
            "describe_capacity_reservations",
            ANSWER,
            {"Filters": [{"Name": "state", "Values": ["active", "scheduled"]}]},
        )
        found = Aws(region="us-west-2", clients={"ec2": client}).reservations()
        stub.assert_no_pending_responses()
    assert found == {ODCR.id: ODCR, BLOCK.id: BLOCK}
    assert BLOCK.capacity_block and not ODCR.capacity_block


def test_reservations_refused_is_an_aws_error(aws_credentials: None) -> None:
    from cluster_capacity.errors import AwsError

    client = boto3.client("ec2", region_name="us-west-2")
    with Stubber(client) as stub:
        stub.add_client_error("describe_capacity_reservations", "UnauthorizedOperation", "not allowed")
        with pytest.raises(AwsError, match="DescribeCapacityReservations"):
            Aws(region="us-west-2", clients={"ec2": client}).reservations()


def snapshot(*reservations: Reservation) -> Snapshot:
    catalog = {
        "g5.xlarge": InstanceTypeInfo("g5.xlarge", 4, 16384, accelerator="nvidia", accelerator_count=1),
        "p5.48xlarge": InstanceTypeInfo(
            "p5.48xlarge", 192, 2097152, accelerator="nvidia", accelerator_count=8
        ),
    }
    offerings = {
        "g5.xlarge": frozenset({"us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}),
        "p5.48xlarge": frozenset({"us-west-2b"}),
    }
    quotas = {
        ("g", "on-demand"): Quota("g", "on-demand", 64),
        ("p", "on-demand"): Quota("p", "on-demand", 384),
    }
    prices = {"g5.xlarge": {"us-west-2c": 0.4, "us-west-2d": 0.5, "us-west-2b": 0.45}}
    return Snapshot(
        "us-west-2",
        catalog,
        offerings,
        prices,
        quotas,
        (),
        {r.id: r for r in reservations},  # type: ignore[arg-type]
    )


def test_snapshot_file_keeps_reservations(tmp_path: Path) -> None:
    snap = snapshot(ODCR, BLOCK)
    file = tmp_path / "s.json"
    file.write_text(json.dumps(snap.to_dict()))
    assert load_snapshot(file).reservations == snap.reservations
    data = snap.to_dict()
    data["reservations"][1]["end"] = "next friday"
    file.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"reservations\[1\]: malformed snapshot \(ValueError"):
        load_snapshot(file)


def demand(name: str, instance_type: str, zone: str, peak: int, reservation: str, block: bool) -> PoolDemand:
    return PoolDemand(
        name, instance_type, zone, False, 0, peak, reservation=reservation, capacity_block=block
    )


def test_capacity_block_replicas_and_zone_are_checked() -> None:
    snap = snapshot(ODCR, BLOCK)
    pools = [
        demand("train", "p5.48xlarge", "us-west-2b", 2, BLOCK.id, True),
        demand("big", "p5.48xlarge", "us-west-2b", 3, BLOCK.id, True),
        demand("moved", "g5.xlarge", "us-west-2c", 1, ODCR.id, False),
        demand("gone", "g5.xlarge", "us-west-2a", 1, "cr-0123456789abcdef0", False),
    ]
    problems = [str(p) for p in check_pools(pools, snap)]
    assert problems[:3] == [
        "pool big: maxReplicas 3 exceeds the 2 instances of Capacity Block cr-0f9e8d7c6b5a43210: a Capacity "
        "Block launches no more than it holds",
        "pool moved: capacity reservation cr-0a1b2c3d4e5f60718 is in us-west-2a, the pool in us-west-2c: set "
        "providerSpec.placement.availabilityZone to us-west-2a",
        "pool gone: capacity reservation cr-0123456789abcdef0 is not an active or scheduled reservation in "
        "us-west-2 (`cluster-capacity plan` lists them)",
    ]
    assert not any(p.startswith("pool train:") for p in problems)


def test_pool_demands_carry_the_reservation() -> None:
    values = make_values(
        {
            "enabled": True,
            "infraID": "prod-x",
            "machineSets": [
                pool("train", capacityReservationId=BLOCK.id, marketType="CapacityBlock", replicas=2)
            ],
        }
    )
    (one,) = pool_demands(values)
    assert (one.reservation, one.capacity_block, one.peak) == (BLOCK.id, True, 2)


def test_plan_notes_and_fan_out_zones() -> None:
    snap = snapshot(ODCR, BLOCK)
    assert reservation_notes(snap, NOW) == [
        "reserved: capacity reservation cr-0a1b2c3d4e5f60718: 4 x g5.xlarge in us-west-2a (active, 3 available)",
        "reserved: Capacity Block cr-0f9e8d7c6b5a43210: 2 x p5.48xlarge in us-west-2b (active, 2 available, "
        "ends 2026-12-05T11:30:00Z)",
        "warning: Capacity Block cr-0f9e8d7c6b5a43210 ends 2026-12-05T11:30:00Z, within a week: pools "
        "launched into it lose that capacity then",
    ]
    assert reservation_notes(snap, NOW - dt.timedelta(days=7))[-1].startswith("reserved: Capacity Block")
    # reserved zone first, then by Spot price
    assert fan_out_zones(snap, "g5.xlarge") == ["us-west-2a", "us-west-2c", "us-west-2b"]
    assert fan_out_zones(snap, "p5.48xlarge") == ["us-west-2b"]
