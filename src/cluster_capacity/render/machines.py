"""MachineSets: one per enabled pool."""

from __future__ import annotations

import copy

from cluster_capacity import labels
from cluster_capacity.config import MachineSetPool, Values
from cluster_capacity.render._meta import WAVE_MACHINES, Manifest, metadata


def machineset(pool: MachineSetPool, infra_id: str, env: str | None = None) -> Manifest:
    """The MachineSet for ``pool``; ``replicas`` is always explicit (the CRD defaults a missing one to 1)."""
    name = pool.machineset_name(infra_id)
    selector = {labels.CLUSTER: infra_id, labels.MACHINESET: name}
    template_labels = {
        **pool.template_labels,
        labels.CLUSTER: infra_id,
        labels.MACHINE_ROLE: pool.machine_role,
        labels.MACHINE_TYPE: pool.effective_machine_type,
        labels.MACHINESET: name,
    }
    node_spec: dict[str, object] = {"metadata": {"labels": pool.effective_node_labels}}
    taints = pool.effective_taints
    if taints:
        node_spec["taints"] = [t.model_dump(exclude_defaults=True) for t in taints]
    node_spec["providerSpec"] = {"value": copy.deepcopy(pool.provider_spec or {})}
    meta = metadata(
        name,
        pool.namespace,
        env=env,
        wave=WAVE_MACHINES,
        extra_labels={**pool.labels, labels.CLUSTER: infra_id, labels.POOL: pool.name_suffix},
    )
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": meta,
        "spec": {
            "replicas": pool.replicas,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": template_labels}, "spec": node_spec},
        },
    }


def render_machinesets(values: Values, env: str | None = None) -> list[Manifest]:
    infra_id = values.infra_id or ""
    return [machineset(pool, infra_id, env) for pool in values.enabled_pools]
