"""MachineSets: one per enabled pool, or one per zone of a fanned-out pool, plus On-Demand twins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster_capacity import labels
from cluster_capacity.config.fanout import PoolMachineSet, copy_data, pool_machinesets
from cluster_capacity.render._meta import WAVE_MACHINES, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import MachineSetPool, Taint, Values


def machineset(
    pool: MachineSetPool, infra_id: str, env: str | None = None, unit: PoolMachineSet | None = None
) -> Manifest:
    """A MachineSet of ``pool`` (``unit``: which one; the first by default); ``replicas`` is always
    explicit (the CRD defaults a missing one to 1)."""
    unit = unit or pool_machinesets(pool, infra_id)[0]
    name = unit.name
    selector = {labels.CLUSTER: infra_id, labels.MACHINESET: name}
    template_labels = {
        **pool.template_labels,
        labels.CLUSTER: infra_id,
        labels.MACHINE_ROLE: pool.machine_role,
        labels.MACHINE_TYPE: pool.effective_machine_type,
        labels.MACHINESET: name,
    }
    node_labels = pool.effective_node_labels
    if pool.on_demand_fallback and pool.spot:
        node_labels[labels.MARKET] = "spot" if unit.spot else "on-demand"
    node_spec: dict[str, object] = {"metadata": {"labels": node_labels}}
    taints = pool.effective_taints
    if taints:
        node_spec["taints"] = [taint_data(t) for t in taints]
    node_spec["providerSpec"] = {"value": copy_data(unit.provider_spec)}
    extra = {**pool.labels, labels.CLUSTER: infra_id, labels.POOL: pool.name_suffix}
    if unit.fallback_for:
        extra[labels.FALLBACK_FOR] = unit.fallback_for
    meta = metadata(name, pool.namespace, env=env, wave=WAVE_MACHINES, extra_labels=extra)
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": meta,
        "spec": {
            "replicas": unit.replicas,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": template_labels}, "spec": node_spec},
        },
    }


def render_machinesets(values: Values, env: str | None = None) -> list[Manifest]:
    infra_id = values.infra_id or ""
    return [
        machineset(pool, infra_id, env, unit)
        for pool in values.enabled_pools
        for unit in pool_machinesets(pool, infra_id)
    ]


def taint_data(taint: Taint) -> dict[str, str]:
    """A taint as a Node carries it: ``value`` only when set (an empty one is the default)."""
    data = {"key": taint.key}
    if taint.value:
        data["value"] = taint.value
    data["effect"] = taint.effect
    return data
