"""Builders for render tests, and the schema check every render test applies to its output."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.config import Values
from cluster_capacity.config.project import chart_defaults, values_from_layered
from cluster_capacity.config.sources import Layered, Source, merge

PROVIDER_SPEC: dict[str, Any] = {
    "apiVersion": "machine.openshift.io/v1beta1",
    "kind": "AWSMachineProviderConfig",
    "ami": {"id": "ami-0a4c9e2ab2cf5e5c7"},
    "instanceType": "g5.xlarge",
    "placement": {"availabilityZone": "us-west-2a", "region": "us-west-2"},
    "subnet": {"filters": [{"name": "tag:Name", "values": ["prod-x-subnet-private-us-west-2a"]}]},
    "credentialsSecret": {"name": "aws-cloud-credentials"},
    "userDataSecret": {"name": "worker-user-data"},
    "iamInstanceProfile": {"id": "prod-x-worker-profile"},
}


def pool(suffix: str = "gpu-a", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "enabled": True,
        "nameSuffix": suffix,
        "providerSpec": copy.deepcopy(PROVIDER_SPEC),
    }
    return merge(base, overrides)


def make_values(data: dict[str, Any]) -> Values:
    """Values from a plain mapping, through the same validation and rules as files."""
    return values_from_layered(Layered(copy.deepcopy(data), [Source("test.yaml", data)]))


def gpu_values(**overrides: Any) -> Values:
    data: dict[str, Any] = {
        "enabled": True,
        "infraID": "prod-x",
        "machineSets": [pool(taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}])],
        "nvidia": {"enabled": True},
    }
    return make_values(merge(data, overrides))


@pytest.fixture(scope="session")
def schema_check(crds_dir: Path) -> Callable[[list[dict[str, Any]]], None]:
    """Assert that objects validate cleanly against the real CRDs and the policy rules."""
    from cluster_capacity.validate import validate_objects
    from cluster_capacity.validate.schemas import SchemaRegistry

    registry = SchemaRegistry.from_directory(crds_dir)

    def check(objects: list[dict[str, Any]]) -> None:
        findings = [f for f in validate_objects(objects, registry) if f.severity == "error"]
        assert findings == [], "\n".join(str(f) for f in findings)

    return check


__all__ = ["PROVIDER_SPEC", "chart_defaults", "gpu_values", "make_values", "pool"]
