"""plan shows reserved capacity next to what the quota allows: a column in the table, fields in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cluster_capacity.aws.plan import make_plan
from cluster_capacity.aws.snapshot import InstanceTypeInfo, Quota, Reservation, Snapshot
from cluster_capacity.cli import main

G5 = InstanceTypeInfo(
    "g5.xlarge", 4, 16384, accelerator="nvidia", accelerator_name="A10G", accelerator_count=1,
    accelerator_memory_mib=22888, usage_classes=("on-demand", "spot"),
)  # fmt: skip
G6 = InstanceTypeInfo(
    "g6.xlarge", 4, 16384, accelerator="nvidia", accelerator_name="L4", accelerator_count=1,
    accelerator_memory_mib=22888, usage_classes=("on-demand", "spot"),
)  # fmt: skip
ODCR = Reservation("cr-0a1b2c3d4e5f60718", "g5.xlarge", "us-west-2a", 4, 3, "active")
ENDED = Reservation("cr-0123456789abcdef0", "g5.xlarge", "us-west-2b", 8, 8, "scheduled")
ELSEWHERE = Reservation("cr-0fedcba9876543210", "g5.xlarge", "us-west-2c", 2, 0, "active")


def snapshot() -> Snapshot:
    zones = frozenset({"us-west-2a", "us-west-2b", "us-west-2c"})
    return Snapshot(
        "us-west-2",
        {"g5.xlarge": G5, "g6.xlarge": G6},
        {"g5.xlarge": zones, "g6.xlarge": zones},
        {"g5.xlarge": {"us-west-2a": 0.5}, "g6.xlarge": {"us-west-2a": 0.4}},
        {("g", "on-demand"): Quota("g", "on-demand", 16), ("g", "spot"): Quota("g", "spot", 16)},
        reservations={r.id: r for r in (ODCR, ENDED, ELSEWHERE)},
    )


def test_candidates_carry_the_active_reservations_of_their_zones() -> None:
    plan = make_plan(snapshot(), family="nvidia", markets=["on-demand", "spot"])
    on_demand = {c.instance_type: c for c in plan.families[0].fits}
    assert (on_demand["g5.xlarge"].reserved, on_demand["g5.xlarge"].reserved_available) == (6, 3)
    assert (on_demand["g6.xlarge"].reserved, on_demand["g6.xlarge"].reserved_available) == (0, 0)
    # Spot does not launch into reservations
    assert all(c.reserved == 0 for c in plan.families[1].fits)
    only_2a = make_plan(snapshot(), family="nvidia", markets=["on-demand"], zones=["us-west-2a"])
    g5 = next(c for c in only_2a.families[0].fits if c.instance_type == "g5.xlarge")
    assert (g5.reserved, g5.reserved_available) == (4, 3)


def test_table_column_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    file = tmp_path / "s.json"
    file.write_text(json.dumps(snapshot().to_dict()))
    args = ["plan", "--snapshot", str(file), "--family", "nvidia"]
    assert main(args) == 0
    out = capsys.readouterr().out
    rows = [" ".join(line.split()) for line in out.splitlines()]
    header = next(i for i, r in enumerate(rows) if r.startswith("Type") and "Reserved (free)" in r)
    assert rows[header + 2 : header + 4] == [
        "g6.xlarge 1 L4 22.4 GiB 4 4 a,b,c -",
        "g5.xlarge 1 A10G 22.4 GiB 4 4 a,b,c 6 (3)",
    ]
    spot_header = [r for r in rows if r.startswith("Type") and "Spot $/h" in r]
    assert spot_header and "Reserved" not in spot_header[0]
    assert main([*args, "-o", "json"]) == 0
    families = json.loads(capsys.readouterr().out)["families"]
    by_market = {(f["family"], f["market"]): f for f in families}
    g5 = next(c for c in by_market["g", "on-demand"]["fits"] if c["instanceType"] == "g5.xlarge")
    assert (g5["reserved"], g5["reservedAvailable"]) == (6, 3)
    spot_g5 = next(c for c in by_market["g", "spot"]["fits"] if c["instanceType"] == "g5.xlarge")
    assert spot_g5["reserved"] == 0
