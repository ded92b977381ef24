"""Advice for failed Machines, on the messages the machine controller really copies from EC2."""

from __future__ import annotations

import pytest

from cluster_capacity.ops.smoke_advice import classify_machine_failure, machine_failure_advice
from tests.emulator.openshift import AWS_FAILURES


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("InsufficientInstanceCapacity", "capacity"),
        ("VcpuLimitExceeded", "quota"),
        ("MaxSpotInstanceCountExceeded", "spot-quota"),
        ("UnauthorizedOperation", "permissions"),
        ("InvalidAMIID.NotFound", "ami"),
        ("Unsupported", "unsupported"),
    ],
)
def test_every_known_ec2_failure_is_recognised_without_its_code(code: str, kind: str) -> None:
    # 4xx failures reach the Machine as "error launching instance: <message>", without the code.
    message = f"error launching instance: {AWS_FAILURES[code][1]}"
    assert classify_machine_failure(message) == kind
    assert classify_machine_failure(f"{code}: {AWS_FAILURES[code][1]}") == kind


def test_unknown_message_gets_generic_advice() -> None:
    assert classify_machine_failure("RequestLimitExceeded: Request limit exceeded.") is None
    assert machine_failure_advice("something else")[0].startswith("read the Machine's status")


def test_quota_advice_names_the_code_for_the_market() -> None:
    on_demand = machine_failure_advice("VcpuLimitExceeded: ...", "g5.xlarge", "us-west-2a")
    spot = machine_failure_advice("VcpuLimitExceeded: ...", "g5.xlarge", "us-west-2a", spot=True)
    assert "G and VT On-Demand vCPU quota (L-DB2E81BA)" in on_demand[0]
    assert "G and VT Spot vCPU quota (L-3819A6DF)" in spot[0]
    inf = machine_failure_advice("VcpuLimitExceeded: ...", "inf2.xlarge")
    assert "Inf On-Demand vCPU quota (L-1945791B)" in inf[0]


def test_capacity_advice_mentions_zone_and_spot() -> None:
    advice = machine_failure_advice("InsufficientInstanceCapacity: ...", "g5.xlarge", "us-west-2a", spot=True)
    assert advice[0].startswith("AWS has no g5.xlarge capacity in us-west-2a right now")
    assert "On-Demand often has capacity" in advice[1]
