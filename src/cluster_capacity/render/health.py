"""MachineHealthChecks: one per pool with ``healthCheck`` (on by default for Spot pools).

A Machine whose node never becomes Ready within ``nodeStartupTimeout`` (45 minutes by default: the GPU
Operator builds and loads the driver on a new node first), or that goes NotReady or Unknown for
``notReadyTimeout``, is deleted and its MachineSet makes a new one. ``maxUnhealthy`` stops that when many
go at once (a zone outage), so a cluster-wide fault does not turn into a wave of replacements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster_capacity import labels
from cluster_capacity.config._records import default_record
from cluster_capacity.config.fanout import pool_machinesets
from cluster_capacity.render._meta import WAVE_MACHINES, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import MachineSetPool, Values

__all__ = ["machine_health_check", "render_health"]


def machine_health_check(pool: MachineSetPool, infra_id: str, env: str | None = None) -> Manifest:
    """The MachineHealthCheck over every Machine of ``pool`` (all its zones, and the On-Demand twins)."""
    check = pool.health_check or default_record("HealthCheck")
    names = sorted(unit.name for unit in pool_machinesets(pool, infra_id))
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineHealthCheck",
        "metadata": metadata(
            pool.machineset_name(infra_id),
            pool.namespace,
            env=env,
            wave=WAVE_MACHINES,
            extra_labels={labels.POOL: pool.name_suffix},
        ),
        "spec": {
            "selector": {
                "matchLabels": {labels.CLUSTER: infra_id},
                "matchExpressions": [{"key": labels.MACHINESET, "operator": "In", "values": names}],
            },
            "unhealthyConditions": [
                {"type": "Ready", "status": status, "timeout": check.not_ready_timeout}
                for status in ("False", "Unknown")
            ],
            "maxUnhealthy": check.max_unhealthy,
            "nodeStartupTimeout": check.node_startup_timeout,
        },
    }


def render_health(values: Values, env: str | None = None) -> list[Manifest]:
    infra_id = values.infra_id or ""
    return [
        machine_health_check(pool, infra_id, env)
        for pool in values.enabled_pools
        if pool.health_check_enabled
    ]
