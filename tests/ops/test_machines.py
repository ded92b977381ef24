"""Classifying the machine API's failure messages and the advice that fits each."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster_capacity.ops.pools.machines import advise, classify, machine_problem
from tests.emulator import openshift


@pytest.mark.parametrize("failure", sorted(openshift.AWS_FAILURES))
def test_every_seeded_failure_is_recognised(failure: str) -> None:
    ms = openshift.gpu_machineset(spot=True)
    http = openshift.AWS_FAILURES[failure][0]
    machine = openshift.machine(ms, 1, "Provisioning" if http >= 500 else "Failed", failure=failure)
    problem = machine_problem(machine, now=dt.datetime(2026, 11, 2, 9, 20, tzinfo=dt.timezone.utc))
    assert problem is not None and problem.reason == failure
    assert problem.phase == ("Provisioning" if http >= 500 else "Failed")


def test_advice_names_the_quota_to_raise() -> None:
    on_demand = advise(
        "VcpuLimitExceeded", instance_type="p4d.24xlarge", zone="us-east-1a", region="us-east-1", spot=False
    )
    assert (
        "L-417A185B" in on_demand
        and "Running On-Demand P instances" in on_demand
        and "us-east-1" in on_demand
    )
    spot = advise(
        "VcpuLimitExceeded", instance_type="inf2.xlarge", zone="us-east-1a", region="us-east-1", spot=True
    )
    assert "L-B5D1601B" in spot and "switch the pool to On-Demand" in spot


def test_unknown_messages_get_generic_advice() -> None:
    assert classify("error creating EC2 instance: RequestLimitExceeded: Request limit exceeded.") is None
    text = advise(None, instance_type="g5.xlarge", zone="us-west-2a", region="us-west-2", spot=False)
    assert "oc describe machine" in text


def test_running_machine_has_no_problem() -> None:
    machine = openshift.machine(openshift.gpu_machineset(), 0, "Running")
    assert machine_problem(machine, now=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)) is None
