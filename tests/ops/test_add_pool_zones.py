"""add-pool --zones / --on-demand-fallback / --health-check: the keys written, byte for byte, and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.config import load_env
from cluster_capacity.errors import ClusterError, ConfigError
from cluster_capacity.ops.pools.add import PoolRequest, build_pool, parse_zones
from cluster_capacity.ops.pools.add_values import plan_add_pool
from cluster_capacity.render import render
from tests.emulator import openshift

INFRA = "prod-nkqd9"
THREE = ("us-west-2b", "us-west-2c", "us-west-2a")


def workers(*zones: str) -> list[dict[str, Any]]:
    return [openshift.worker_machineset(z, infra_id=INFRA) for z in zones]


def fan_out(zone: str = "", **kw: Any) -> PoolRequest:
    args: dict[str, Any] = {"spot": True, "autoscale": (0, 3), "zones": THREE}
    args.update(kw)
    return PoolRequest("g6.xlarge", zone, **args)


ENTRY = """\
  - enabled: true
    nameSuffix: gpu-g6-xlarge
    replicas: 0
    machineRole: gpu
    nodeLabels:
      node-role.kubernetes.io/worker: ""
      node-role.kubernetes.io/gpu: ""
      cluster-api/accelerator: nvidia-l4
    taints:
      - key: nvidia.com/gpu
        value: "true"
        effect: NoSchedule
    autoscaler:
      enabled: true
      minReplicas: 0
      maxReplicas: 3
    zones:
      - us-west-2b
      - us-west-2c
      - us-west-2a
    onDemandFallback: true
    healthCheck:
      enabled: true
      nodeStartupTimeout: 45m
      maxUnhealthy: 1
    providerSpec:
      ami:
        id: ami-0c65d71e89d43ad60
      apiVersion: machine.openshift.io/v1beta1
      blockDevices:
        - ebs:
            encrypted: true
            iops: 0
            volumeSize: 120
            volumeType: gp3
      credentialsSecret:
        name: aws-cloud-credentials
      deviceIndex: 0
      iamInstanceProfile:
        id: prod-nkqd9-worker-profile
      instanceType: g6.xlarge
      kind: AWSMachineProviderConfig
      placement:
        availabilityZone: us-west-2b
        region: us-west-2
      securityGroups:
        - filters:
            - name: tag:Name
              values:
                - prod-nkqd9-node
        - filters:
            - name: tag:Name
              values:
                - prod-nkqd9-lb
      spotMarketOptions: {}
      subnet:
        filters:
          - name: tag:Name
            values:
              - prod-nkqd9-subnet-private-us-west-2b
      tags:
        - name: kubernetes.io/cluster/prod-nkqd9
          value: owned
        - name: cost-center
          value: ml-platform
      userDataSecret:
        name: worker-user-data
"""

LIMIT = """\
          - type: nvidia-l4
            min: 0
            max: 3
"""


def test_fan_out_with_fallback_and_health_check_written_exactly(project: Path) -> None:
    values_file = project.parent / "values" / "values-prod.yaml"
    before = values_file.read_text()
    new = build_pool(
        INFRA,
        "us-west-2",
        workers("us-west-2a", "us-west-2b"),
        fan_out(on_demand_fallback=True, health_check=True),
    )
    # us-west-2b is the first listed zone with a worker MachineSet: its providerSpec is copied as it is
    assert new.source == "prod-nkqd9-worker-us-west-2b"
    assert new.notes == [
        "no worker MachineSet in us-west-2c: its subnet is derived (prod-nkqd9-subnet-private-us-west-2c); "
        "check that it exists"
    ]
    doc, _ = plan_add_pool(project, "prod", new, INFRA)
    head, tail = before.split("\n\nautoscaling:", 1)
    limits_at = tail.index("      scaleDown:")
    expected = head + "\n" + ENTRY + "\nautoscaling:" + tail[:limits_at] + LIMIT + tail[limits_at:]
    assert doc.text() == expected
    doc.save()
    assert values_file.read_bytes() == expected.encode()

    cfg = load_env(project, "prod")
    names = [o["metadata"]["name"] for o in render(cfg.values, "prod") if o["kind"] == "MachineSet"]
    base = "prod-nkqd9-gpu-g6-xlarge"
    assert sorted(names) == [
        "prod-nkqd9-gpu-g5-xlarge-us-west-2a",
        *(f"{base}-{z}{twin}" for z in sorted(THREE) for twin in ("", "-ondemand")),
    ]


def test_no_health_check_and_a_zone_with_its_own_subnet(project: Path) -> None:
    ws = workers("us-west-2a", "us-west-2b")
    ws[1]["spec"]["template"]["spec"]["providerSpec"]["value"]["subnet"] = {"id": "subnet-0b2"}
    new = build_pool(
        INFRA,
        "us-west-2",
        ws,
        PoolRequest("g6.xlarge", "", zones=("us-west-2a", "us-west-2b"), health_check=False, name="l4"),
    )
    assert new.entry["zones"] == ["us-west-2a", "us-west-2b"]
    assert new.entry["subnets"] == {"us-west-2b": {"id": "subnet-0b2"}}
    assert new.entry["healthCheck"] == {"enabled": False}
    assert "onDemandFallback" not in new.entry and "autoscaler" not in new.entry
    assert new.notes == ["subnets.us-west-2b: copied from MachineSet prod-nkqd9-worker-us-west-2b"]
    doc, _ = plan_add_pool(project, "prod", new, INFRA)
    assert (
        "    zones:\n      - us-west-2a\n      - us-west-2b\n"
        "    subnets:\n      us-west-2b:\n        id: subnet-0b2\n"
        "    healthCheck:\n      enabled: false\n    providerSpec:\n"
    ) in doc.text()
    doc.save()
    sets = [o for o in render(load_env(project, "prod").values, "prod") if o["kind"] == "MachineSet"]
    subnet = sets[-1]["spec"]["template"]["spec"]["providerSpec"]["value"]["subnet"]
    assert sets[-1]["metadata"]["name"] == "prod-nkqd9-l4-us-west-2b" and subnet == {"id": "subnet-0b2"}
    checks = [o for o in render(load_env(project, "prod").values) if o["kind"] == "MachineHealthCheck"]
    assert [c["metadata"]["name"] for c in checks] == [
        "prod-nkqd9-gpu-g5-xlarge-us-west-2a"
    ]  # the Spot pool's


def test_a_subnet_by_id_and_no_worker_in_the_zone() -> None:
    (ms,) = workers("us-west-2a")
    ms["spec"]["template"]["spec"]["providerSpec"]["value"]["subnet"] = {"id": "subnet-0a1"}
    with pytest.raises(
        ClusterError,
        match=r"^zone us-west-2b: the subnet is given by id \(subnet-0a1\), so the subnet of us-west-2b cannot "
        r"be derived from it \(MachineSet prod-nkqd9-worker-us-west-2a\) and no worker MachineSet runs in "
        r"us-west-2b",
    ):
        build_pool(INFRA, "us-west-2", [ms], PoolRequest("g6.xlarge", "", zones=("us-west-2a", "us-west-2b")))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (fan_out(spot=False, on_demand_fallback=True), "--on-demand-fallback needs --spot"),
        (fan_out(autoscale=None, on_demand_fallback=True), "--on-demand-fallback needs --autoscale MIN:MAX"),
        (
            fan_out(autoscale=(0, 2)),
            r"--autoscale 0:2: MAX must be at least the number of zones \(3\)",
        ),
        (
            fan_out(zone="us-west-2d"),
            "--zone us-west-2d: not one of --zones us-west-2b,us-west-2c,us-west-2a",
        ),
        (
            fan_out(zones=("us-west-2a", "us-east-1a")),
            r"--zones us-east-1a: unknown zone for this cluster in region us-west-2",
        ),
        (
            fan_out(name="x" * 33, on_demand_fallback=True),
            r"MachineSet name prod-nkqd9-x{33}-us-west-2b-ondemand is 64 characters; the limit is 63",
        ),
    ],
)
def test_bad_fan_out_requests(request_: PoolRequest, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_pool(INFRA, "us-west-2", workers("us-west-2a"), request_)


def test_zones_not_offered_are_named() -> None:
    with pytest.raises(
        ConfigError, match=r"^instance type g6.xlarge is not offered in us-west-2c, us-west-2a; try"
    ):
        build_pool(
            INFRA,
            "us-west-2",
            workers("us-west-2a"),
            fan_out(),
            offered=lambda _t, zone: zone == "us-west-2b",
        )


def test_parse_zones() -> None:
    assert parse_zones(" us-west-2a,US-WEST-2B ") == ("us-west-2a", "us-west-2b")
    for text, message in [
        ("us-west-2a", "a fan-out needs two zones or more"),
        ("us-west-2a,,us-west-2b", "expected zones separated by commas"),
        ("us-west-2a,us-west-2a", "us-west-2a listed twice"),
    ]:
        with pytest.raises(ConfigError, match=f"^--zones {text}: {message}"):
            parse_zones(text)
