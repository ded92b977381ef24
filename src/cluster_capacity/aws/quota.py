"""Whether an env's pools can ever reach their maximums: each pool's demand against the vCPU quotas.

Pure logic over a `Snapshot`, like `plan`; `validate --quota-file`, `plan --check` and `inferentia check`
use it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster_capacity.aws.blocks import BlockOffering
from cluster_capacity.aws.snapshot import MARKET_NAMES, InstanceTypeInfo, QuotaKey, Snapshot, describe_quota
from cluster_capacity.instances import QUOTA_CODES, Market

#: A Machine's name, which the AWS provider gives its instance as the Name tag: its MachineSet's name,
#: ``-`` and the five characters Kubernetes' ``generateName`` appends.
_MACHINE_NAME = re.compile(r"^(?P<machineset>.+)-[a-z0-9]{5}$")


def machineset_of(instance_name: str) -> str | None:
    """The MachineSet an instance's Machine belongs to, from its Name tag; None for other instances.

    Exact, not a prefix: the instances of MachineSet ``c-gpu-a-b`` are not ``c-gpu-a``'s.
    """
    match = _MACHINE_NAME.match(instance_name)
    return match["machineset"] if match else None


if TYPE_CHECKING:
    from cluster_capacity.config import Values

__all__ = [
    "PoolDemand",
    "PoolProblem",
    "blocks_on_sale",
    "capacity_blocks_wanted",
    "check_pools",
    "fan_out_zones",
    "pool_demands",
    "reservation_notes",
]


@dataclass(frozen=True)
class PoolDemand:
    """What one MachineSet of an enabled pool can ask of AWS: ``max_replicas`` instances of
    ``instance_type`` in ``zone``.

    A pool without ``zones`` or fallback is one demand named by its nameSuffix; a fanned-out pool is one
    per zone (``<nameSuffix>-<zone>``) and a fallback adds one per On-Demand twin (``...-ondemand``), each
    with the share of replicas and maximum the render gives that MachineSet.
    """

    name: str
    instance_type: str
    zone: str
    spot: bool
    replicas: int = 0
    #: The autoscaler maximum; None when the pool has no autoscaler (then ``replicas`` is the maximum).
    max_replicas: int | None = None
    #: MachineSet name; instances whose Name tag starts with it are the pool's own and do not count
    #: against its headroom.
    machineset: str | None = None
    #: The capacity reservation (or Capacity Block) the pool launches into.
    reservation: str | None = None
    capacity_block: bool = False
    #: The pool's nameSuffix (``name`` is the MachineSet's part of it); empty means ``name``.
    pool: str = ""
    #: For an On-Demand twin: the ``name`` of the Spot demand it stands in for.
    fallback_for: str | None = None

    @property
    def pool_name(self) -> str:
        return self.pool or self.name

    @property
    def peak(self) -> int:
        return max(self.replicas, self.max_replicas or 0)

    @property
    def market(self) -> Market:
        return "spot" if self.spot else "on-demand"


def pool_demands(values: Values) -> list[PoolDemand]:
    """The MachineSets of the enabled pools as `PoolDemand`, as render writes them: one per zone of a
    fanned-out pool and one per On-Demand twin, each with its share of replicas and maximum (pools
    without an instance type are skipped)."""
    from cluster_capacity.config.fanout import ZoneRewriteError, pool_machinesets

    infra_id = values.infra_id or ""
    demands = []
    for pool in values.enabled_pools:
        if not pool.instance_type:
            continue
        autoscaled = pool.autoscaler.enabled
        try:
            units = pool_machinesets(pool, infra_id)
        except ZoneRewriteError:
            units = []  # the config rules refuse such a pool with its file and line; check the pool whole
        if not units or (len(units) == 1 and units[0].zone is None):
            demands.append(
                PoolDemand(
                    name=pool.name_suffix,
                    instance_type=pool.instance_type,
                    zone=pool.zone or "",
                    spot=pool.spot,
                    replicas=pool.replicas,
                    max_replicas=pool.autoscaler.max_replicas if autoscaled else None,
                    machineset=pool.machineset_name(infra_id) if infra_id else None,
                    reservation=pool.capacity_reservation,
                    capacity_block=pool.capacity_block,
                )
            )
            continue
        prefix = f"{infra_id}-"
        for unit in units:
            spec = unit.provider_spec
            reservation = spec.get("capacityReservationId")
            demands.append(
                PoolDemand(
                    name=unit.name.removeprefix(prefix),
                    instance_type=pool.instance_type,
                    zone=unit.zone or pool.zone or "",
                    spot=unit.spot,
                    replicas=unit.replicas,
                    max_replicas=unit.max_replicas if autoscaled else None,
                    machineset=unit.name if infra_id else None,
                    reservation=reservation if isinstance(reservation, str) and reservation else None,
                    capacity_block=spec.get("marketType") == "CapacityBlock",
                    pool=pool.name_suffix,
                    fallback_for=unit.fallback_for.removeprefix(prefix) if unit.fallback_for else None,
                )
            )
    return demands


@dataclass(frozen=True)
class PoolProblem:
    """Why a pool (or a group of pools) can never reach its maximum; ``invalid`` marks bad input."""

    pools: tuple[str, ...]
    message: str
    invalid: bool = False

    def __str__(self) -> str:
        return self.message


def check_pools(pools: Sequence[PoolDemand], snapshot: Snapshot) -> list[PoolProblem]:
    """Every reason a pool can never reach its maximum: unknown type, zone, market, quota (alone or summed).

    Headroom for a pool is the quota minus what instances outside the checked pools already use.
    """
    problems: list[PoolProblem] = []
    groups: dict[QuotaKey, list[tuple[PoolDemand, InstanceTypeInfo]]] = {}
    for pool in pools:
        where = f"pool {pool.name}"
        info = snapshot.catalog.get(pool.instance_type)
        if info is None:
            problems.append(
                PoolProblem(
                    (pool.name,),
                    f"{where}: instance type {pool.instance_type} does not exist in {snapshot.region}",
                    invalid=True,
                )
            )
            continue
        zones = sorted(snapshot.offerings.get(pool.instance_type, frozenset()))
        if pool.zone not in zones:
            elsewhere = (
                f"offered in {', '.join(zones)}" if zones else f"offered in no zone of {snapshot.region}"
            )
            problems.append(
                PoolProblem(
                    (pool.name,),
                    f"{where}: {pool.instance_type} is not offered in {pool.zone or '(no zone)'} ({elsewhere})",
                )
            )
        if pool.market not in info.usage_classes:
            problems.append(
                PoolProblem(
                    (pool.name,), f"{where}: {pool.instance_type} cannot run as {MARKET_NAMES[pool.market]}"
                )
            )
        problems.extend(_check_reservation(pool, snapshot))
        groups.setdefault((info.quota_family, pool.market), []).append((pool, info))

    for key, members in groups.items():
        family, market = key
        quota = snapshot.quotas.get(key)
        title = describe_quota(family, market)
        code = QUOTA_CODES[key]
        if quota is None:
            names = tuple(p.name for p, _ in members)
            problems.append(
                PoolProblem(
                    names,
                    f"pool {', '.join(names)}: the {title} vCPU quota ({code}) is unknown; "
                    f"give it with --quota {family}:{market}=VCPUS",
                )
            )
            continue
        own = {p.machineset for p, _ in members if p.machineset}
        others = sum(i.vcpus for i in snapshot.instances if i.key == key and machineset_of(i.name) not in own)
        headroom = max(quota.value - others, 0)
        in_use = f", {others} in use by other instances" if others else ""
        total = 0
        for pool, info in members:
            need = pool.peak * info.vcpus
            total += need
            if need > headroom:
                label = "maxReplicas" if pool.max_replicas is not None else "replicas"
                problems.append(
                    PoolProblem(
                        (pool.name,),
                        f"pool {pool.name}: {label} {pool.peak} of {pool.instance_type} needs {need} {title} "
                        f"vCPUs (quota {code}), the quota is {quota.value}{in_use} (headroom {headroom})",
                    )
                )
        if len(members) > 1 and total > headroom:
            names = tuple(p.name for p, _ in members)
            problems.append(
                PoolProblem(
                    names,
                    f"pools {', '.join(names)}: together their maximums need {total} {title} vCPUs "
                    f"(quota {code}), the quota is {quota.value}{in_use} (headroom {headroom})",
                )
            )
    return problems


def _check_reservation(pool: PoolDemand, snapshot: Snapshot) -> list[PoolProblem]:
    """The pool's reservation exists, is of its type and zone, and a Capacity Block holds its maximum."""
    if pool.reservation is None:
        return []
    found = snapshot.reservations.get(pool.reservation)
    where = f"pool {pool.name}"
    what = "Capacity Block" if pool.capacity_block else "capacity reservation"
    if found is None:
        return [
            PoolProblem(
                (pool.name,),
                f"{where}: {what} {pool.reservation} is not an active or scheduled reservation in "
                f"{snapshot.region} (`cluster-capacity plan` lists them)",
            )
        ]
    out = []
    if found.zone != pool.zone:
        out.append(
            PoolProblem(
                (pool.name,),
                f"{where}: {what} {found.id} is in {found.zone}, the pool in {pool.zone or 'no zone'}: "
                f"set providerSpec.placement.availabilityZone to {found.zone}",
            )
        )
    if found.instance_type != pool.instance_type:
        out.append(
            PoolProblem(
                (pool.name,),
                f"{where}: {what} {found.id} reserves {found.instance_type}, the pool runs {pool.instance_type}",
            )
        )
    if pool.capacity_block and pool.peak > found.total:
        label = "maxReplicas" if pool.max_replicas is not None else "replicas"
        out.append(
            PoolProblem(
                (pool.name,),
                f"{where}: {label} {pool.peak} exceeds the {found.total} instances of Capacity Block "
                f"{found.id}: a Capacity Block launches no more than it holds",
            )
        )
    return out


def reservation_notes(snapshot: Snapshot, now: dt.datetime, types: Sequence[str] = ()) -> list[str]:
    """One line per reservation (of ``types``, or all): what it holds, and a warning when it ends within a week."""
    lines = []
    for r in sorted(snapshot.reservations.values(), key=lambda r: (r.instance_type, r.zone, r.id)):
        if types and r.instance_type not in types:
            continue
        what = "Capacity Block" if r.capacity_block else "capacity reservation"
        end = f", ends {r.end}" if r.end else ""
        lines.append(
            f"reserved: {what} {r.id}: {r.total} x {r.instance_type} in {r.zone} ({r.state}, "
            f"{r.available} available{end})"
        )
        if r.ends_within(now):
            lines.append(
                f"warning: {what} {r.id} ends {r.end}, within a week: pools launched into it lose that "
                "capacity then"
            )
    return lines


def fan_out_zones(snapshot: Snapshot, instance_type: str, limit: int = 3) -> list[str]:
    """Zones to fan a pool of ``instance_type`` out to: those that offer it, zones with reserved capacity
    first, then the cheapest Spot price, then by name; at most ``limit``."""
    reserved = snapshot.reserved(instance_type)
    prices = snapshot.spot_prices.get(instance_type, {})
    zones = sorted(
        snapshot.offerings.get(instance_type, frozenset()),
        key=lambda z: (-reserved.get(z, 0), prices.get(z, float("inf")), z),
    )
    return zones[:limit]


def blocks_on_sale(snapshot: Snapshot, pool: PoolDemand) -> list[BlockOffering]:
    """The Capacity Blocks on sale (read for ``plan --check``) that hold ``pool``'s maximum, its zone first."""
    found = [
        o for o in snapshot.block_offerings if o.instance_type == pool.instance_type and o.count >= pool.peak
    ]
    return sorted(found, key=lambda o: (o.zone != pool.zone, o.start, o.id))


def capacity_blocks_wanted(pools: Sequence[PoolDemand]) -> list[tuple[str, int]]:
    """(instance type, count) of the pools that launch into a Capacity Block: what to look up on sale."""
    return list(dict.fromkeys((p.instance_type, max(p.peak, 1)) for p in pools if p.capacity_block))
