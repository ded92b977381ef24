"""Fan-out, fallback, reservation and health-check rules: every broken one is FILE:LINE: path: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_capacity.config import load_values
from cluster_capacity.errors import ConfigError

HEAD = """enabled: true
infraID: prod-x
autoscaling:
  clusterAutoscaler: {enabled: true}
machineSets:
  - enabled: true
    nameSuffix: gpu
"""
SPEC = """    providerSpec:
      instanceType: g5.xlarge
      placement: {availabilityZone: us-west-2a, region: us-west-2}
      subnet: {filters: [{name: "tag:Name", values: [prod-x-subnet-private-us-west-2a]}]}
"""


def errors(tmp_path: Path, pool_lines: str, spec: str = SPEC, head: str = HEAD) -> list[str]:
    path = tmp_path / "values-prod.yaml"
    path.write_text(head + pool_lines + spec)
    with pytest.raises(ConfigError) as info:
        load_values([path])
    assert info.value.exit_code == 2
    return [line.replace(str(tmp_path) + "/", "") for line in info.value.lines()]


def test_fewer_max_replicas_than_zones(tmp_path: Path) -> None:
    lines = errors(
        tmp_path,
        "    zones: [us-west-2a, us-west-2b, us-west-2c]\n"
        "    autoscaler: {enabled: true, minReplicas: 0, maxReplicas: 2}\n",
    )
    assert lines == [
        "values-prod.yaml:9: machineSets[0].autoscaler.maxReplicas: maxReplicas (2) is less than the number "
        "of zones (3): each zone's MachineAutoscaler needs maxReplicas >= 1; raise it to 3 or list fewer zones"
    ]


def test_subnet_by_id_needs_subnets_per_zone(tmp_path: Path) -> None:
    spec = SPEC.replace(
        'subnet: {filters: [{name: "tag:Name", values: [prod-x-subnet-private-us-west-2a]}]}',
        "subnet: {id: subnet-0abc}",
    )
    lines = errors(tmp_path, "    zones: [us-west-2a, us-west-2b]\n", spec)
    assert lines == [
        "values-prod.yaml:6: machineSets[0].subnets: the subnet is given by id (subnet-0abc), so the subnet "
        "of us-west-2b cannot be derived from it: give subnets: {us-west-2b: ...} (an id, arn or filters "
        "per zone)"
    ]
    # given per zone, it loads
    path = tmp_path / "ok.yaml"
    path.write_text(
        HEAD + "    zones: [us-west-2a, us-west-2b]\n    subnets: {us-west-2b: {id: subnet-0def}}\n" + spec
    )
    assert load_values([path]).machine_sets[0].subnets == {"us-west-2b": {"id": "subnet-0def"}}


def test_bad_zone_names_and_regions(tmp_path: Path) -> None:
    lines = errors(tmp_path, "    zones: [us-west-2a, us-east-1b, nowhere, us-west-2a]\n")
    assert sorted(lines) == [
        "values-prod.yaml:8: machineSets[0].zones: zones must be in one region, got us-east-1, us-west-2",
        "values-prod.yaml:8: machineSets[0].zones[2]: 'nowhere' is not an availability zone name "
        "(e.g. us-west-2a)",
        "values-prod.yaml:8: machineSets[0].zones[3]: us-west-2a is listed twice",
    ]


def test_subnets_without_zones_and_unknown_zone(tmp_path: Path) -> None:
    assert errors(tmp_path, "    subnets: {us-west-2b: {id: subnet-1}}\n") == [
        "values-prod.yaml:8: machineSets[0].subnets: only used with zones: list the zones the pool fans "
        "out to"
    ]
    assert sorted(
        errors(tmp_path, "    zones: [us-west-2a]\n    subnets: {us-west-2c: {id: s-1, arn: x}}\n")
    ) == [
        "values-prod.yaml:9: machineSets[0].subnets.us-west-2c: must be an AWS resource reference with "
        "exactly one of id, arn or filters",
        "values-prod.yaml:9: machineSets[0].subnets.us-west-2c: us-west-2c is not one of zones (us-west-2a)",
    ]


def test_name_too_long_per_zone(tmp_path: Path) -> None:
    head = HEAD.replace("nameSuffix: gpu", "nameSuffix: gpu-g6e-12xlarge-training-pool-x123456")
    spot = SPEC + "      spotMarketOptions: {}\n"
    pool = "    zones: [us-west-2a]\n    onDemandFallback: true\n    autoscaler: {enabled: true}\n"
    assert errors(tmp_path, pool, spot, head) == [
        "values-prod.yaml:7: machineSets[0].nameSuffix: MachineSet name "
        "'prod-x-gpu-g6e-12xlarge-training-pool-x123456-us-west-2a-ondemand' is 65 characters; it is a label "
        "value and must be <= 63: shorten nameSuffix"
    ]


def test_fallback_needs_spot_and_autoscaling(tmp_path: Path) -> None:
    lines = errors(tmp_path, "    onDemandFallback: true\n")
    assert lines == [
        "values-prod.yaml:8: machineSets[0].onDemandFallback: only for a Spot pool "
        "(providerSpec.spotMarketOptions): the twin is its On-Demand copy"
    ]
    spot = SPEC + "      spotMarketOptions: {}\n"
    head = HEAD.replace("  clusterAutoscaler: {enabled: true}", "  clusterAutoscaler: {enabled: false}")
    assert errors(tmp_path, "    onDemandFallback: true\n", spot, head) == [
        "values-prod.yaml:8: machineSets[0].onDemandFallback: needs autoscaler.enabled: the Priority "
        "expander only chooses between MachineSets on a scale-up, so a twin without a MachineAutoscaler "
        "never takes over",
        "values-prod.yaml:8: machineSets[0].onDemandFallback: needs autoscaling.clusterAutoscaler.enabled: "
        "the ClusterAutoscaler's Priority expander ranks Spot above On-Demand (OpenShift 4.16+)",
    ]


def test_priority_must_be_the_first_expander(tmp_path: Path) -> None:
    head = HEAD.replace(
        "  clusterAutoscaler: {enabled: true}",
        "  clusterAutoscaler:\n    enabled: true\n    spec: {expanders: [LeastWaste, Priority]}",
    )
    spot = SPEC + "      spotMarketOptions: {}\n"
    lines = errors(
        tmp_path,
        "    onDemandFallback: true\n    autoscaler: {enabled: true, maxReplicas: 2}\n",
        spot,
        head,
    )
    assert lines == [
        "values-prod.yaml:6: autoscaling.clusterAutoscaler.spec.expanders: Priority must come first when a "
        "pool has onDemandFallback: later expanders only choose among what the first one picked"
    ]


def test_capacity_reservation_rules(tmp_path: Path) -> None:
    spot = SPEC + "      spotMarketOptions: {}\n"
    assert errors(tmp_path, "    capacityReservationId: cr-0123456789abcdef0\n", spot) == [
        "values-prod.yaml:8: machineSets[0].capacityReservationId: Spot and a capacity reservation cannot "
        "be used together"
    ]
    assert errors(tmp_path, "    marketType: CapacityBlock\n") == [
        "values-prod.yaml:8: machineSets[0].marketType: CapacityBlock needs capacityReservationId: the id of "
        "the Capacity Block's reservation (`cluster-capacity plan` lists them)"
    ]
    assert errors(
        tmp_path, "    capacityReservationId: cr-0123456789abcdef0\n    zones: [us-west-2a, us-west-2b]\n"
    ) == [
        "values-prod.yaml:9: machineSets[0].zones: a capacity reservation lives in one zone; "
        "cr-0123456789abcdef0 cannot serve 2 zones (give the pool the reservation's zone only)"
    ]
    assert errors(tmp_path, "    capacityReservationId: res-1\n") == [
        "values-prod.yaml:8: machineSets[0].capacityReservationId: 'res-1' is not a capacity reservation id "
        "(cr-...)"
    ]
    assert errors(tmp_path, "    marketType: Reserved\n")[0].startswith(
        "values-prod.yaml:8: machineSets[0].marketType: must be one of OnDemand, Spot, CapacityBlock"
    )


def test_health_check_values(tmp_path: Path) -> None:
    assert errors(tmp_path, "    healthCheck: {maxUnhealthy: 140%}\n") == [
        "values-prod.yaml:8: machineSets[0].healthCheck.maxUnhealthy: must be a count >= 0 or a percentage "
        "like \"40%\", got '140%'"
    ]
    lines = errors(tmp_path, "    healthCheck: {nodeStartupTimeout: 45 minutes}\n")
    assert len(lines) == 1 and lines[0].startswith(
        "values-prod.yaml:8: machineSets[0].healthCheck.nodeStartupTimeout: "
    )
