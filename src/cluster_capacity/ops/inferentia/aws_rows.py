"""The AWS rows of ``inferentia check``: is each Neuron pool's type offered in its zone, and does it fit the quota."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cluster_capacity.ops.inferentia.rows import (
    NAMED_FAMILIES,
    ClusterFacts,
    Row,
    RowBuilder,
)

if TYPE_CHECKING:
    from cluster_capacity.aws.plan import PoolDemand
    from cluster_capacity.aws.snapshot import QuotaKey, Snapshot


# --- AWS: offerings and quotas ----------------------------------------------------------------------------


def offered_row(pool: PoolDemand, snap: Snapshot, facts: ClusterFacts) -> Row:
    """The pool's instance type exists, is offered in its zone and runs in its market."""
    from cluster_capacity.instances import split_instance_type

    r = RowBuilder(f"offered/{pool.name}", f"Offered: {pool.name}")
    market = "Spot" if pool.spot else "On-Demand"
    info = snap.catalog.get(pool.instance_type)
    if info is None:
        return r.fail(
            f"{pool.instance_type} does not exist in {snap.region}",
            "use an Inferentia/Trainium type that exists: `cluster-capacity plan --family neuron`",
        )
    zones = sorted(snap.offerings.get(pool.instance_type, frozenset()))
    if pool.zone not in zones:
        elsewhere = f"offered in {', '.join(zones)}" if zones else f"offered in no zone of {snap.region}"
        return r.fail(
            f"{pool.instance_type} is not offered in {pool.zone or '(no zone)'} ({elsewhere})",
            f"move the pool to {zones[0]} (zone and subnet of its providerSpec)"
            if zones
            else "pick another type: `cluster-capacity plan --family neuron`",
        )
    if pool.market not in info.usage_classes:
        return r.fail(f"{pool.instance_type} cannot run as {market}", "change the pool's market")
    found = (
        f"{pool.instance_type} ({info.accelerator_count} x {info.accelerator_name or 'Neuron'}, "
        f"{info.neuron_cores} NeuronCores, {info.vcpus} vCPUs) offered in {pool.zone}, {market}"
    )
    family = split_instance_type(pool.instance_type)[0]
    if family not in NAMED_FAMILIES:
        return r.warn(
            found,
            f"the Neuron operator names {', '.join(NAMED_FAMILIES)}: {family} is best effort (check that "
            "the NodeFeatureRule's PCI device ids match it)",
        )
    if facts.worker_zones and pool.zone not in facts.worker_zones:
        return r.warn(
            f"{found}; no worker node runs in {pool.zone}",
            f"make sure the cluster has a private subnet in {pool.zone}, or move the pool to "
            f"{', '.join(sorted(facts.worker_zones))}",
        )
    return r.ok(found)


def quota_rows(demands: Sequence[PoolDemand], snap: Snapshot, profile: str | None) -> list[Row]:
    """Per quota family and market: does the headroom cover every pool's maximum (the planner's rule)?"""
    from cluster_capacity.aws import plan as planning
    from cluster_capacity.aws.snapshot import describe_quota
    from cluster_capacity.instances import QUOTA_CODES

    problems = planning.check_pools(demands, snap)
    groups: dict[QuotaKey, list[tuple[PoolDemand, int]]] = {}
    for d in demands:
        info = snap.catalog.get(d.instance_type)
        if info is not None:
            groups.setdefault((info.quota_family, d.market), []).append((d, info.vcpus))
    rows = []
    for key in sorted(groups):
        family, market = key
        members, code = groups[key], QUOTA_CODES[key]
        r = RowBuilder(f"quota/{family}-{market}", f"Quota: {describe_quota(family, market)}")
        need = sum(d.peak * vcpus for d, vcpus in members)
        asks = ", ".join(f"{d.peak} x {d.instance_type}" for d, _ in members)
        quota = snap.quotas.get(key)
        if quota is None:
            rows.append(
                r.fail(
                    f"the vCPU quota {code} is unknown; the pools' maximum needs {need} ({asks})",
                    f"give it with --quota {family}:{market}=VCPUS, or allow servicequotas:GetServiceQuota",
                )
            )
            continue
        # The pools' own instances are part of what they need, not of what others use (as in plan --check).
        from cluster_capacity.aws.quota import machineset_of

        own = {d.machineset for d, _ in members if d.machineset}
        others = sum(i.vcpus for i in snap.instances if i.key == key and machineset_of(i.name) not in own)
        headroom = max(quota.value - others, 0)
        source = {"override": " (what-if)", "aws-default": " (AWS default)"}.get(quota.source, "")
        found = (
            f"{code} {quota.value} vCPUs{source}, {others} used by other instances, headroom {headroom}; "
            f"the pools' maximum needs {need} ({asks})"
        )
        # The planner decides; its problems name the quota code they are about.
        if any(code in p.message for p in problems):
            desired = others + need
            rows.append(
                r.fail(
                    found,
                    f"lower maxReplicas, or raise {code} to {desired}: "
                    + planning.increase_command(code, desired, snap.region, profile),
                )
            )
        elif quota.source == "override":
            rows.append(r.warn(found, "a what-if quota (--quota): check again without it before recording"))
        else:
            rows.append(r.ok(found))
    return rows
