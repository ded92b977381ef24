"""MachineAutoscalers (one per autoscaled MachineSet), the ClusterAutoscaler, and the Priority
expander's ConfigMap that ranks Spot MachineSets above their On-Demand twins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster_capacity import labels
from cluster_capacity.config.capacity_rules import fallback_pools, fans_out
from cluster_capacity.config.fanout import copy_data, pool_machinesets
from cluster_capacity.render._meta import WAVE_AUTOSCALING, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import Values

__all__ = [
    "PRIORITY_CONFIGMAP",
    "PRIORITY_FALLBACK",
    "PRIORITY_OTHERS",
    "PRIORITY_PREFERRED",
    "node_group_id",
    "render_autoscaling",
]

#: The cluster autoscaler reads its priorities from this ConfigMap in its own namespace.
PRIORITY_CONFIGMAP = "cluster-autoscaler-priority-expander"
AUTOSCALER_NAMESPACE = "openshift-machine-api"
#: Higher wins. Spot MachineSets and every other autoscaled MachineSet this env renders rank first, the
#: On-Demand twins below them, and anything else in the cluster last (a node group no regex matches is
#: never chosen over one that matches, and every such choice logs a warning event).
PRIORITY_PREFERRED = 20
PRIORITY_FALLBACK = 10
PRIORITY_OTHERS = 1


def node_group_id(namespace: str, name: str) -> str:
    """The id the cluster autoscaler's Cluster API provider gives a MachineSet: ``MachineSet/<ns>/<name>``."""
    return f"MachineSet/{namespace}/{name}"


def _exact(namespace: str, name: str) -> str:
    # Names are DNS labels (letters, digits, '-'): nothing in them is special to a regular expression.
    return f"^{node_group_id(namespace, name)}$"


def render_autoscaling(values: Values, env: str | None = None) -> list[Manifest]:
    out: list[Manifest] = []
    infra_id = values.infra_id or ""
    preferred: list[str] = []
    fallback: list[str] = []
    for pool in values.enabled_pools:
        if not pool.autoscaler.enabled:
            continue
        for unit in pool_machinesets(pool, infra_id):
            (fallback if unit.fallback_for else preferred).append(_exact(pool.namespace, unit.name))
            out.append(
                {
                    "apiVersion": "autoscaling.openshift.io/v1beta1",
                    "kind": "MachineAutoscaler",
                    "metadata": metadata(
                        unit.name,
                        pool.namespace,
                        env=env,
                        wave=WAVE_AUTOSCALING,
                        extra_labels={labels.POOL: pool.name_suffix},
                    ),
                    "spec": {
                        "minReplicas": unit.min_replicas,
                        "maxReplicas": unit.max_replicas,
                        "scaleTargetRef": {
                            "apiVersion": "machine.openshift.io/v1beta1",
                            "kind": "MachineSet",
                            "name": unit.name,
                        },
                    },
                }
            )
    ca = values.autoscaling.cluster_autoscaler
    with_fallback = bool(fallback_pools(values)) and bool(fallback)
    if with_fallback:
        out.append(_priority_configmap(sorted(preferred), sorted(fallback), env))
    if ca.enabled and values.enabled:
        spec = copy_data(ca.spec)
        if fans_out(values):
            spec.setdefault("balanceSimilarNodeGroups", True)
        if with_fallback:
            given = [e for e in spec.get("expanders") or [] if e != "Priority"]
            spec["expanders"] = ["Priority", *given]
        out.append(
            {
                "apiVersion": "autoscaling.openshift.io/v1",
                "kind": "ClusterAutoscaler",
                "metadata": metadata(ca.name, env=env, wave=WAVE_AUTOSCALING),
                "spec": spec,
            }
        )
    return out


def _priority_configmap(preferred: list[str], fallback: list[str], env: str | None) -> Manifest:
    lines = []
    for priority, regexes in (
        (PRIORITY_PREFERRED, preferred),
        (PRIORITY_FALLBACK, fallback),
        (PRIORITY_OTHERS, [".*"]),
    ):
        lines.append(f"{priority}:")
        lines.extend(f"  - '{regex}'" for regex in regexes)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(PRIORITY_CONFIGMAP, AUTOSCALER_NAMESPACE, env=env, wave=WAVE_AUTOSCALING),
        "data": {"priorities": "\n".join(lines) + "\n"},
    }
