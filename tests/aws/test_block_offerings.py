"""Capacity Block offerings: read with Stubber (the response shape of botocore's EC2 service model for
DescribeCapacityBlockOfferings; moto lacks the call), kept in snapshots, and reported by plan --check for
a pool with ``marketType: CapacityBlock``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cluster_capacity.aws.blocks import BlockOffering
from cluster_capacity.aws.client import Aws
from cluster_capacity.aws.snapshot import Reservation, Snapshot, load_snapshot
from cluster_capacity.cli import main
from cluster_capacity.errors import AwsError, ConfigError
from tests.conftest import EXAMPLES

#: Two items as EC2 returns them (the members of botocore's CapacityBlockOffering shape).
ANSWER: dict[str, Any] = {
    "CapacityBlockOfferings": [
        {
            "CapacityBlockOfferingId": "cb-0b2f4e6a8c1d3e5f7",
            "InstanceType": "g5.xlarge",
            "AvailabilityZone": "us-west-2b",
            "InstanceCount": 2,
            "StartDate": dt.datetime(2026, 12, 4, 11, 30, tzinfo=dt.timezone.utc),
            "EndDate": dt.datetime(2026, 12, 5, 11, 30, tzinfo=dt.timezone.utc),
            "CapacityBlockDurationHours": 24,
            "CapacityBlockDurationMinutes": 0,
            "UpfrontFee": "48.96",
            "CurrencyCode": "USD",
            "Tenancy": "default",
            "ZoneType": "availability-zone",
        },
        {
            "CapacityBlockOfferingId": "cb-0a1c3e5f7b9d2f4a6",
            "InstanceType": "g5.xlarge",
            "AvailabilityZone": "us-west-2a",
            "InstanceCount": 2,
            "StartDate": dt.datetime(2026, 12, 3, 11, 30, tzinfo=dt.timezone.utc),
            "EndDate": dt.datetime(2026, 12, 4, 11, 30, tzinfo=dt.timezone.utc),
            "CapacityBlockDurationHours": 24,
            "UpfrontFee": "51.20",
            "CurrencyCode": "USD",
            "Tenancy": "default",
        },
    ]
}
IN_2A = BlockOffering(
    "cb-0a1c3e5f7b9d2f4a6",
    "g5.xlarge",
    "us-west-2a",
    2,
    "2026-12-03T11:30:00Z",
    "2026-12-04T11:30:00Z",
    24,
    "51.20",
)
IN_2B = BlockOffering(
    "cb-0b2f4e6a8c1d3e5f7",
    "g5.xlarge",
    "us-west-2b",
    2,
    "2026-12-04T11:30:00Z",
    "2026-12-05T11:30:00Z",
    24,
    "48.96",
)


def test_offerings_read_from_ec2(aws_credentials: None) -> None:
    client = boto3.client("ec2", region_name="us-west-2")
    with Stubber(client) as stub:
        stub.add_response(
            "describe_capacity_block_offerings",
            ANSWER,
            {"InstanceType": "g5.xlarge", "InstanceCount": 2, "CapacityDurationHours": 24},
        )
        found = Aws(region="us-west-2", clients={"ec2": client}).capacity_block_offerings("g5.xlarge", 2)
        stub.assert_no_pending_responses()
    assert found == [IN_2A, IN_2B]  # soonest first
    assert IN_2A.describe() == (
        "Capacity Block offering cb-0a1c3e5f7b9d2f4a6: 2 x g5.xlarge in us-west-2a, 2026-12-03T11:30:00Z to "
        "2026-12-04T11:30:00Z (24 h), 51.20 USD upfront"
    )


def test_refusals_are_translated(aws_credentials: None) -> None:
    client = boto3.client("ec2", region_name="us-west-2")
    with Stubber(client) as stub:
        stub.add_client_error("describe_capacity_block_offerings", "UnauthorizedOperation", "not allowed")
        with pytest.raises(AwsError, match="may not call ec2:DescribeCapacityBlockOfferings"):
            Aws(region="us-west-2", clients={"ec2": client}).capacity_block_offerings("g5.xlarge", 2)
        stub.add_client_error(
            "describe_capacity_block_offerings",
            "InvalidInstanceType",
            "The instance type 'g5.xlarg' is invalid",
        )
        with pytest.raises(ConfigError, match=r"g5\.xlarg"):
            Aws(region="us-west-2", clients={"ec2": client}).capacity_block_offerings("g5.xlarg", 2)


def test_snapshot_keeps_offerings(tmp_path: Path) -> None:
    snap = Snapshot("us-west-2", block_offerings=(IN_2A, IN_2B))
    file = tmp_path / "s.json"
    file.write_text(json.dumps(snap.to_dict()))
    assert load_snapshot(file).block_offerings == (IN_2A, IN_2B)
    data = snap.to_dict()
    data["capacityBlockOfferings"][1]["start"] = "tomorrow"
    file.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"capacityBlockOfferings\[1\]: malformed snapshot \(ValueError"):
        load_snapshot(file)


BLOCK = Reservation(
    "cr-0f9e8d7c6b5a43210",
    "g5.xlarge",
    "us-west-2a",
    1,
    1,
    "active",
    "capacity-block",
    "2026-12-05T11:30:00Z",
)


@pytest.mark.usefixtures("moto")
def test_plan_check_reports_blocks_on_sale_for_a_capacity_block_pool(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    project = tmp_path / "repo" / "cluster-capacity.yaml"
    values = tmp_path / "repo" / "values" / "values-prod.yaml"
    values.write_text(
        values.read_text().replace(
            "      spotMarketOptions: {}\n",
            f"      marketType: CapacityBlock\n      capacityReservationId: {BLOCK.id}\n",
        )
    )
    asked: list[tuple[str, int]] = []

    def offerings(self: Aws, instance_type: str, count: int, hours: int = 24) -> list[BlockOffering]:
        asked.append((instance_type, count))
        return [IN_2A, IN_2B]

    monkeypatch.setattr(Aws, "reservations", lambda self: {BLOCK.id: BLOCK})
    monkeypatch.setattr(Aws, "capacity_block_offerings", offerings)
    saved = tmp_path / "s.json"
    args = ["plan", "--check", "--env", "prod", "--project", str(project), "--quota", "g:on-demand=64"]
    code = main([*args, "--save-snapshot", str(saved)])
    out, err = capsys.readouterr()
    assert code == 1  # the block holds 1 instance, the pool's maximum is 2
    assert asked == [("g5.xlarge", 2)]
    assert "maxReplicas 2 exceeds the 1 instances of Capacity Block cr-0f9e8d7c6b5a43210" in out
    lines = err.splitlines()
    assert f"pool gpu-g5-xlarge-us-west-2a: on sale: {IN_2A.describe()}" in lines
    assert (
        f"pool gpu-g5-xlarge-us-west-2a: on sale: {IN_2B.describe()} (not the pool's zone us-west-2a)"
        in lines
    )
    # offline: the saved snapshot answers, in JSON too
    code = main([*args, "--snapshot", str(saved), "-o", "json"])
    (pool,) = json.loads(capsys.readouterr().out)["pools"]
    assert code == 1 and asked == [("g5.xlarge", 2)]
    assert [o["id"] for o in pool["capacityBlockOfferings"]] == [IN_2A.id, IN_2B.id]
    # none on sale
    saved.write_text(json.dumps({**json.loads(saved.read_text()), "capacityBlockOfferings": []}))
    main([*args, "--snapshot", str(saved)])
    err = capsys.readouterr().err
    assert (
        "pool gpu-g5-xlarge-us-west-2a: no Capacity Block of 2 x g5.xlarge is on sale in us-west-2 now "
        "(DescribeCapacityBlockOfferings, 24 h)" in err
    )


def test_the_fleet_check_looks_up_blocks_once_per_account_and_region() -> None:
    from cluster_capacity.ops.quota_check import check_fleet
    from tests.render.conftest import make_values, pool

    def values(suffix: str, peak: int) -> Any:
        block = pool(
            suffix,
            replicas=peak,
            marketType="CapacityBlock",
            capacityReservationId=BLOCK.id,
        )
        return make_values({"enabled": True, "infraID": "prod-x", "machineSets": [block, pool("plain")]})

    asked: list[list[tuple[str, int]]] = []

    def snapshot_for(key: Any, families: Any, markets: Any, types: Any, blocks: Any) -> tuple[Snapshot, None]:
        asked.append(list(blocks))
        return Snapshot("us-west-2", block_offerings=(IN_2A,), reservations={BLOCK.id: BLOCK}), None

    envs = [("prod", values("train", 2), None), ("lab", values("train", 1), None)]
    results = check_fleet(
        envs, region=None, key_for=lambda env, profile, region: region, snapshot_for=snapshot_for
    )
    assert asked == [[("g5.xlarge", 2), ("g5.xlarge", 1)]]  # one snapshot for both envs, each pool's size
    assert [r.env for r in results] == ["prod", "lab"]
