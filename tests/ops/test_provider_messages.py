"""Advice for the machine API's real failure messages (texts as machine-api-provider-aws and EC2 word them).

The provider reports an EC2 4xx as ``Failed`` with ``errorMessage`` "error launching instance: <EC2
message>" (no error code), a 5xx as ``Provisioning`` with the SDK error in the MachineCreation condition,
and its own checks ("no subnet IDs were found") as ``Failed`` too.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from cluster_capacity.ops.pools.machines import machine_problem
from tests.emulator import openshift
from tests.emulator.fixtures import *  # noqa: F403

NOW = dt.datetime(2026, 11, 2, 9, 20, tzinfo=dt.timezone.utc)
MACHINE = "ocp-prod-7x2kq-gpu-g5-xlarge-us-west-2a-x7k2p"
PREFIX = f"{MACHINE}: reconciler failed to Create machine: failed to launch instance: "

SPOT_ROLE = "The provided credentials do not have permission to create the service-linked role for EC2 Spot Instances."
ARCH = (
    "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the "
    "specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You "
    "can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type "
    "or AMI."
)
SPOT_ICE = (
    "error creating EC2 instance: InsufficientInstanceCapacity: There is no Spot capacity available that "
    "matches your request.\n\tstatus code: 500, request id: 1f7c3b2a-9d1e-4c1b-8f0a-2b6e5d4c3a21"
)


def _machine(*, spot: bool, failed: str | None = None, provisioning: str | None = None) -> dict[str, Any]:
    ms = openshift.gpu_machineset(spot=spot)
    m = copy.deepcopy(openshift.machine(ms, 1, "Failed" if failed else "Provisioning"))
    condition = {
        "type": "MachineCreation",
        "status": "False",
        "reason": "MachineCreationFailed",
        "message": failed or provisioning,
    }
    m["status"]["providerStatus"]["conditions"] = [condition]
    if failed:
        m["status"]["errorReason"] = "InvalidConfiguration"
        m["status"]["errorMessage"] = PREFIX + failed
    return m


def test_spot_service_linked_role() -> None:
    problem = machine_problem(_machine(spot=True, failed=f"error launching instance: {SPOT_ROLE}"), now=NOW)
    assert problem is not None and problem.reason == "ServiceLinkedRoleCreationNotPermitted"
    assert "aws iam create-service-linked-role --aws-service-name spot.amazonaws.com" in problem.advice
    assert "iam:CreateServiceLinkedRole" in problem.advice and "On-Demand" in problem.advice


def test_no_subnet_ids_names_the_filter_that_matched_nothing() -> None:
    machine = _machine(spot=False, failed="error getting subnet IDs: no subnet IDs were found")
    problem = machine_problem(machine, now=NOW)
    assert problem is not None and problem.reason == "NoSubnets" and problem.phase == "Failed"
    assert "providerSpec.subnet (tag:Name=ocp-prod-7x2kq-subnet-private-us-west-2a) matches no subnet" in (
        problem.advice
    )
    assert "Name=availability-zone,Values=us-west-2a" in problem.advice


def test_architecture_mismatch() -> None:
    problem = machine_problem(_machine(spot=False, failed=f"error launching instance: {ARCH}"), now=NOW)
    assert problem is not None and problem.reason == "ArchitectureMismatch"
    assert "(arm64; the AMI is x86_64)" in problem.advice and "add-pool checks this" in problem.advice


@pytest.mark.parametrize(
    ("offerings", "zones"),
    [
        (None, "another zone (cluster-capacity add-pool --zone ...; `cluster-capacity plan`"),
        (
            {"g5.xlarge": ["us-west-2a", "us-west-2c", "us-west-2b"]},
            "another zone that offers it (us-west-2b, us-west-2c): cluster-capacity add-pool --zone us-west-2b",
        ),
    ],
)
def test_spot_capacity_suggests_on_demand_and_other_zones(
    offerings: dict[str, list[str]] | None, zones: str
) -> None:
    problem = machine_problem(_machine(spot=True, provisioning=SPOT_ICE), now=NOW, offerings=offerings)
    assert problem is not None and problem.reason == "InsufficientInstanceCapacity"
    assert problem.phase == "Provisioning"
    assert problem.advice.startswith(
        "AWS has no spare Spot capacity for g5.xlarge in us-west-2a right now: switch the pool to On-Demand "
        "(drop providerSpec.spotMarketOptions, or set onDemandFallback: true"
    )
    assert zones in problem.advice


def test_on_demand_capacity_uses_the_zones_ec2_names() -> None:
    machine = openshift.machine(
        openshift.gpu_machineset(), 1, "Provisioning", failure="InsufficientInstanceCapacity"
    )
    problem = machine_problem(machine, now=NOW, offerings={"g5.xlarge": ["us-west-2d"]})
    assert problem is not None
    # EC2's own message ("... or choosing us-west-2b, us-west-2c.") wins over the snapshot.
    assert "another zone that offers it (us-west-2b, us-west-2c)" in problem.advice
    assert "On-Demand" not in problem.advice


def test_status_snapshot_names_the_zones_that_offer_the_type(
    capsys: pytest.CaptureFixture[str], kube_emulator: Any, tmp_path: Any
) -> None:
    import json
    import shutil

    from cluster_capacity.aws.snapshot import Snapshot
    from cluster_capacity.cli import main
    from tests.conftest import EXAMPLES

    project = tmp_path / "repo"
    shutil.copytree(EXAMPLES, project)
    cluster = openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9")
    ms = kube_emulator.get("MachineSet", cluster.gpu_machineset, openshift.MACHINE_API_NS)
    stuck = _machine(spot=True, provisioning=SPOT_ICE)
    stuck["metadata"]["name"] = f"{cluster.gpu_machineset}-ice01"
    stuck["metadata"]["labels"] = dict(ms["spec"]["template"]["metadata"]["labels"])
    kube_emulator.add(stuck)
    snapshot = tmp_path / "snapshot.json"
    offered = Snapshot("us-west-2", offerings={"g5.xlarge": frozenset({"us-west-2a", "us-west-2c"})})
    snapshot.write_text(json.dumps(offered.to_dict()))
    kubeconfig = kube_emulator.write_kubeconfig(tmp_path / "kubeconfig")
    args = ["status", "--env", "prod", "--project", str(project / "cluster-capacity.yaml")]
    code = main([*args, "--kubeconfig", str(kubeconfig), "--snapshot", str(snapshot), "-o", "json"])
    out, _ = capsys.readouterr()
    assert code == 1
    (problem,) = json.loads(out)["pools"][0]["problems"]
    assert problem["reason"] == "InsufficientInstanceCapacity"
    assert (
        "another zone that offers it (us-west-2c): cluster-capacity add-pool --zone us-west-2c"
        in (problem["advice"])
    )
