"""Small helpers every render module shares: metadata, sync waves, and helm-style deep merge."""

from __future__ import annotations

from typing import Any

from cluster_capacity import labels
from cluster_capacity.config.sources import merge as deep_merge  # re-exported for the render modules

Manifest = dict[str, Any]

__all__ = ["Manifest", "deep_merge", "metadata"]

# Sync waves: Argo CD applies wave N+1 only once every object of waves <= N is healthy. A Subscription
# stays Progressing while its InstallPlan waits for Manual approval (Degraded when its catalog is
# unhealthy), so capacity shares the first operator wave instead of queueing behind operator health:
# one stuck operator must never block a MachineSet change. ``validate`` holds this rule (capacity-first).
WAVE_RBAC = -1  # the controller needs its permissions before it writes operator CRs or autoscalers
WAVE_OPERATORS = 0  # Namespaces, OperatorGroups, Subscriptions
WAVE_CAPACITY = 0  # MachineSets, MachineAutoscalers, the ClusterAutoscaler: never behind a Subscription
WAVE_MACHINES = WAVE_CAPACITY
WAVE_AUTOSCALING = WAVE_CAPACITY
WAVE_OPERATOR_CRS = 1  # NodeFeatureDiscovery, ClusterPolicy: their CRDs arrive with their operators
WAVE_NFD = WAVE_OPERATOR_CRS
WAVE_OPERANDS = 2  # what needs an operator's CR: ServiceMonitor (DCGM exporter), DeviceConfig

SKIP_DRY_RUN = "SkipDryRunOnMissingResource=true"


def metadata(
    name: str,
    namespace: str | None = None,
    *,
    env: str | None = None,
    wave: int | None = None,
    skip_dry_run: bool = False,
    extra_labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``metadata`` with our managed-by/env labels and Argo CD sync annotations."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    lbl = {labels.MANAGED_BY: labels.MANAGED_BY_VALUE}
    if env:
        lbl[labels.ENV] = env
    lbl.update(extra_labels or {})
    meta["labels"] = lbl
    ann = dict(annotations or {})
    if wave is not None:
        ann[labels.SYNC_WAVE] = str(wave)
    if skip_dry_run:
        ann[labels.SYNC_OPTIONS] = SKIP_DRY_RUN
    if ann:
        meta["annotations"] = ann
    return meta
