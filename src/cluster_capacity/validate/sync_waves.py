"""Sync-wave rules: capacity never waits on an operator's health.

Argo CD applies wave N+1 only once every object of waves <= N is healthy, and its built-in health of a
Subscription is Progressing while an InstallPlan waits for Manual approval (Degraded when a catalog is
unhealthy). A MachineSet in a later wave than a Subscription therefore waits, change after change, for
that operator: a stuck GPU Operator upgrade would freeze every scale-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cluster_capacity import labels
from cluster_capacity.validate.findings import Finding

Manifest = dict[str, Any]

#: The kinds that are capacity: they must sync no later than any Subscription.
CAPACITY_KINDS = ("MachineSet", "MachineAutoscaler", "ClusterAutoscaler")


def wave_of(obj: Manifest) -> int:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    try:
        return int(annotations.get(labels.SYNC_WAVE, "0"))
    except (TypeError, ValueError):
        return 0


def capacity_first(objects: Sequence[Manifest]) -> list[Finding]:
    """MachineSets, MachineAutoscalers and the ClusterAutoscaler sync in a wave <= every Subscription's."""
    subs = [o for o in objects if o.get("kind") == "Subscription"]
    if not subs:
        return []
    first = min(subs, key=wave_of)
    limit = wave_of(first)
    name = str((first.get("metadata") or {}).get("name"))
    return [
        Finding.for_object(
            obj,
            f"metadata.annotations.{labels.SYNC_WAVE}",
            f"sync wave {wave_of(obj)} is later than the {name} Subscription's ({limit}): Argo CD would hold "
            f"this {obj['kind']} until that operator is healthy (a Manual InstallPlan or a broken catalog "
            f"blocks every capacity change); use wave {limit} or lower",
            rule="capacity-first",
        )
        for obj in objects
        if obj.get("kind") in CAPACITY_KINDS and wave_of(obj) > limit
    ]


def manual_approval(objects: Sequence[Manifest]) -> list[Finding]:
    """``installPlanApproval: Manual``: every install and upgrade waits for a person, and so do later waves."""
    out = []
    for sub in objects:
        if sub.get("kind") != "Subscription":
            continue
        if (sub.get("spec") or {}).get("installPlanApproval") != "Manual":
            continue
        ns = (sub.get("metadata") or {}).get("namespace", "")
        later = sorted(
            {
                str(o.get("kind"))
                for o in objects
                if wave_of(o) > wave_of(sub) and o.get("kind") != "Subscription"
            }
        )
        held = f" ({', '.join(later)} included)" if later else ""
        out.append(
            Finding.for_object(
                sub,
                "spec.installPlanApproval",
                "Manual: each InstallPlan waits until someone approves it (oc patch installplan NAME -n "
                f'{ns} --type merge -p \'{{"spec":{{"approved":true}}}}\'); until then Argo CD reports the '
                f"Subscription Progressing and holds every later sync wave{held}",
                severity="warning",
                rule="olm-approval",
            )
        )
    return out
