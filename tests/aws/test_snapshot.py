"""The snapshot model: what-if quota parsing, zones, and the snapshot file format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cluster_capacity.aws.snapshot import (
    Quota,
    RunningInstance,
    load_snapshot,
    parse_quota_override,
    region_of_zone,
)
from cluster_capacity.errors import ConfigError

from .test_plan import snapshot


@pytest.mark.parametrize(
    ("text", "expected"),
    [("g:spot=16", (("g", "spot"), 16)), ("INF:on-demand=0", (("inf", "on-demand"), 0)),
     (" trn : spot = 32 ", (("trn", "spot"), 32)), ("standard:on-demand=5", (("standard", "on-demand"), 5))],
)  # fmt: skip
def test_parse_quota_override(text: str, expected: object) -> None:
    assert parse_quota_override(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("g=16", "expected FAMILY:MARKET=VCPUS"), ("x:spot=4", "unknown quota family 'x'"),
     ("g:reserved=4", "unknown market 'reserved'"), ("g:spot=-1", "expected FAMILY:MARKET=VCPUS")],
)  # fmt: skip
def test_parse_quota_override_rejects(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_quota_override(text)


def test_snapshot_round_trips_through_json(tmp_path: Path) -> None:
    running = (RunningInstance("g5.xlarge", "eu-west-1a", True, 4, "n"),)
    snap = snapshot({("g", "spot"): 4}, instances=running, prices={"g5.xlarge": {"eu-west-1a": 0.4}})
    file = tmp_path / "snap.json"
    file.write_text(json.dumps(snap.to_dict()))
    back = load_snapshot(file)
    assert back.region == "eu-west-1"
    assert back.catalog == snap.catalog
    assert back.offerings == snap.offerings
    assert back.spot_prices == snap.spot_prices
    assert back.instances == running
    assert back.quotas == {("g", "spot"): Quota("g", "spot", 4, "snapshot")}


def test_malformed_snapshot_names_the_part(tmp_path: Path) -> None:
    file = tmp_path / "snap.json"
    file.write_text(json.dumps({"region": "eu-west-1", "instanceTypes": [{"name": "g5.xlarge"}]}))
    with pytest.raises(ConfigError, match=r"instanceTypes\[0\]: malformed snapshot"):
        load_snapshot(file)
    file.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_snapshot(file)
    with pytest.raises(ConfigError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("zone", "region"),
    [("us-west-2a", "us-west-2"), ("eu-central-1c", "eu-central-1"), ("us-west-2-lax-1a", "us-west-2"),
     ("us-gov-west-1b", "us-gov-west-1"), ("us-west-2", None), ("nowhere", None)],
)  # fmt: skip
def test_region_of_zone(zone: str, region: str | None) -> None:
    assert region_of_zone(zone) == region
