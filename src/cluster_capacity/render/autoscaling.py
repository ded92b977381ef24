"""MachineAutoscalers (one per autoscaled pool) and the ClusterAutoscaler."""

from __future__ import annotations

import copy

from cluster_capacity import labels
from cluster_capacity.config import Values
from cluster_capacity.render._meta import WAVE_AUTOSCALING, Manifest, metadata


def render_autoscaling(values: Values, env: str | None = None) -> list[Manifest]:
    out: list[Manifest] = []
    infra_id = values.infra_id or ""
    for pool in values.enabled_pools:
        if not pool.autoscaler.enabled:
            continue
        name = pool.machineset_name(infra_id)
        out.append(
            {
                "apiVersion": "autoscaling.openshift.io/v1beta1",
                "kind": "MachineAutoscaler",
                "metadata": metadata(
                    name,
                    pool.namespace,
                    env=env,
                    wave=WAVE_AUTOSCALING,
                    extra_labels={labels.POOL: pool.name_suffix},
                ),
                "spec": {
                    "minReplicas": pool.autoscaler.min_replicas,
                    "maxReplicas": pool.autoscaler.max_replicas,
                    "scaleTargetRef": {
                        "apiVersion": "machine.openshift.io/v1beta1",
                        "kind": "MachineSet",
                        "name": name,
                    },
                },
            }
        )
    ca = values.autoscaling.cluster_autoscaler
    if ca.enabled and values.enabled:
        out.append(
            {
                "apiVersion": "autoscaling.openshift.io/v1",
                "kind": "ClusterAutoscaler",
                "metadata": metadata(ca.name, env=env, wave=WAVE_AUTOSCALING),
                "spec": copy.deepcopy(ca.spec),
            }
        )
    return out
