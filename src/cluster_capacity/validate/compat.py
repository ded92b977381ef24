"""NVIDIA's guidance on the GPU Operator for an OpenShift version, as findings on the rendered objects.

Offline: the version comes from ``validate --openshift-version`` or from the project file, where
``discover --env NAME --write`` recorded it. Warnings only: the table is as old as ``compat.CHECKED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cluster_capacity import compat
from cluster_capacity.validate.findings import Finding

__all__ = ["compat_findings"]

GPU_OPERATOR_PACKAGE = "gpu-operator-certified"

Manifest = dict[str, Any]


def compat_findings(objects: Sequence[Manifest], openshift_version: str) -> list[Finding]:
    """Warnings for the GPU Operator Subscription (and a pinned driver tag) on ``openshift_version``."""
    subs = [
        o
        for o in objects
        if o.get("kind") == "Subscription" and (o.get("spec") or {}).get("name") == GPU_OPERATOR_PACKAGE
    ]
    if not subs:
        return []  # no GPU Operator rendered: nothing NVIDIA's guidance applies to
    sub = subs[0]
    policy = next((o for o in objects if o.get("kind") == "ClusterPolicy"), None)
    driver = ((policy or {}).get("spec") or {}).get("driver") or {}
    pinned = str(driver.get("version") or "") if isinstance(driver, dict) else ""
    out = []
    for advice in compat.check_version(
        openshift_version, channel=str((sub.get("spec") or {}).get("channel") or ""), driver_image=pinned
    ):
        target, path = sub, ""
        if advice.subject == "channel":
            path = "spec.channel"
        elif advice.subject == "driver" and policy is not None:
            target, path = policy, "spec.driver.version"
        out.append(Finding.for_object(target, path, str(advice), severity="warning", rule="openshift-compat"))
    return out
