"""Offline validation of rendered manifests: CRD schemas and policy rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cluster_capacity.validate.apiserver import check_api_rules
from cluster_capacity.validate.findings import Finding
from cluster_capacity.validate.policies import check_policies

if TYPE_CHECKING:
    from cluster_capacity.validate.schemas import SchemaRegistry

__all__ = ["Finding", "check_api_rules", "check_policies", "validate_objects"]


def validate_objects(objects: Sequence[dict[str, Any]], registry: SchemaRegistry) -> list[Finding]:
    """Schema and API-server findings for each object, then policy findings; errors before warnings."""
    findings = [f for obj in objects for f in registry.validate(obj)]
    findings.extend(check_api_rules(objects))
    findings.extend(check_policies(objects))
    return sorted(findings, key=lambda f: f.severity != "error")
