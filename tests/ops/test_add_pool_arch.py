"""add-pool refuses a pool whose copied AMI cannot boot the instance type's architecture (unless --ami)."""

from __future__ import annotations

from typing import Any

import pytest

from cluster_capacity import instances
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.pools.add import PoolRequest, build_pool
from cluster_capacity.ops.pools.arch import CAPACITY_LABELS, machineset_architecture
from tests.emulator import openshift

INFRA = "prod-nkqd9"
ZONE = "us-west-2a"


def _workers(instance_type: str = "m6i.xlarge", arch_label: str | None = None) -> list[dict[str, Any]]:
    ms = openshift.worker_machineset(ZONE, infra_id=INFRA, instance_type=instance_type)
    if arch_label is not None:
        ms["metadata"].setdefault("annotations", {})[CAPACITY_LABELS] = f"kubernetes.io/arch={arch_label}"
    return [ms]


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("g5g.xlarge", "arm64"),
        ("p6e-gb200.36xlarge", "arm64"),
        ("m6g.large", "arm64"),
        ("c7gn.2xlarge", "arm64"),
        ("t4g.micro", "arm64"),
        ("a1.large", "arm64"),
        ("g5.xlarge", "x86_64"),
        ("g4dn.xlarge", "x86_64"),
        ("g6e.xlarge", "x86_64"),
        ("p5.48xlarge", "x86_64"),
        ("inf2.xlarge", "x86_64"),
        ("m6i.xlarge", "x86_64"),
    ],
)
def test_catalog_architecture(instance_type: str, arch: str) -> None:
    assert instances.architecture(instance_type) == arch


@pytest.mark.parametrize("instance_type", ["g5g.xlarge", "p6e-gb200.36xlarge"])
def test_arm64_gpu_on_an_x86_64_cluster_is_refused_with_what_to_do(instance_type: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_pool(INFRA, "us-west-2", _workers(), PoolRequest(instance_type, ZONE))
    message = str(err.value)
    assert message.startswith(
        f"--instance-type {instance_type} is arm64, but the AMI add-pool would copy from MachineSet "
        f"{INFRA}-worker-{ZONE} ({openshift.AMI}) is x86_64 ({CAPACITY_LABELS} says kubernetes.io/arch=amd64)"
    )
    assert "--ami" in message and ".architectures.aarch64.images.aws.regions" in message
    assert "multi-architecture compute" in message and "choose a x86_64 instance type" in message


def test_ami_flag_replaces_the_copied_ami_and_the_check() -> None:
    new = build_pool(
        INFRA, "us-west-2", _workers(), PoolRequest("g5g.xlarge", ZONE, ami="ami-0a1b2c3d4e5f60718")
    )
    assert new.entry["providerSpec"]["ami"] == {"id": "ami-0a1b2c3d4e5f60718"}
    assert new.notes[0].startswith("AMI ami-0a1b2c3d4e5f60718 from --ami instead of MachineSet")
    with pytest.raises(ConfigError, match=r"--ami ami-xyz: not an AMI id"):
        build_pool(INFRA, "us-west-2", _workers(), PoolRequest("g5g.xlarge", ZONE, ami="ami-xyz"))


def test_the_machineset_controllers_annotation_wins_and_ec2_can_decide() -> None:
    arm_workers = _workers("m6g.xlarge", arch_label="arm64")
    assert machineset_architecture(arm_workers[0]) == (
        "arm64",
        f"{CAPACITY_LABELS} says kubernetes.io/arch=arm64",
    )
    assert build_pool(INFRA, "us-west-2", arm_workers, PoolRequest("g5g.xlarge", ZONE)).notes == []
    with pytest.raises(ConfigError, match=r"g5\.xlarge is x86_64, but .* is arm64"):
        build_pool(INFRA, "us-west-2", arm_workers, PoolRequest("g5.xlarge", ZONE))
    # With AWS at hand (--check-offering), EC2's answer is used instead of the catalog.
    asked: list[str] = []

    def ec2(instance_type: str) -> str:
        asked.append(instance_type)
        return "arm64"

    new = build_pool(INFRA, "us-west-2", arm_workers, PoolRequest("g5.xlarge", ZONE), architecture=ec2)
    assert asked == ["g5.xlarge"] and new.notes == []


def test_x86_gpu_on_x86_workers_passes() -> None:
    assert build_pool(INFRA, "us-west-2", _workers(), PoolRequest("g5.xlarge", ZONE)).notes == []


def test_without_the_annotation_the_source_instance_type_decides() -> None:
    (ms,) = _workers()
    ms["metadata"].get("annotations", {}).pop(CAPACITY_LABELS, None)
    assert machineset_architecture(ms) == ("x86_64", "it runs m6i.xlarge")
