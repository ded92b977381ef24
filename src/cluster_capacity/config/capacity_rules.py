"""Rules for getting GPU capacity where it is scarce: zone fan-out, On-Demand fallback, capacity
reservations and Capacity Blocks, health checks. Each broken rule is a located problem (exit 2).

Checks that need AWS data (the reservation's zone, type and size) live with the quota checks in
``aws.quota``; these need only the values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cluster_capacity.config.fanout import (
    TWIN_SUFFIX,
    ZoneRewriteError,
    pool_machinesets,
    zone_region,
)

if TYPE_CHECKING:
    from cluster_capacity.config.models import MachineSetPool, Values

__all__ = ["check_capacity", "fallback_pools", "fans_out"]

Path = tuple[str | int, ...]
Add = Callable[[Path, str], None]

MAX_NAME = 63
_PERCENT = re.compile(r"^(100|[0-9]{1,2})%$")
_RESERVATION_ID = re.compile(r"^cr-[0-9a-z]+$")
_SUBNET_KEYS = ("id", "arn", "filters")


def fans_out(values: Values) -> bool:
    """Some enabled pool spreads over more than one zone (the ClusterAutoscaler should balance them)."""
    return any(p.zones and len(p.zones) > 1 for p in values.enabled_pools)


def fallback_pools(values: Values) -> list[MachineSetPool]:
    """Enabled Spot pools with an On-Demand twin."""
    return [p for p in values.enabled_pools if p.on_demand_fallback and p.spot]


def check_capacity(values: Values, add: Add) -> None:
    """Every fan-out, fallback, reservation and health-check problem of ``values``."""
    for i, pool in enumerate(values.machine_sets):
        base: Path = ("machineSets", i)
        _check_health(pool, base, add)
        if not (pool.enabled and values.enabled):
            continue
        _check_market(pool, base, add)
        _check_zones(pool, values.infra_id or "", base, add)
        if pool.on_demand_fallback:
            _check_fallback(pool, values, base, add)
    _check_expanders(values, add)
    _check_rendered_names(values, add)


def _rendered_names(pool: MachineSetPool, infra_id: str) -> list[str]:
    base = pool.machineset_name(infra_id)
    names = [f"{base}-{z}" for z in pool.zones] if pool.zones else [base]
    if pool.on_demand_fallback and pool.spot:
        names += [f"{n}{TWIN_SUFFIX}" for n in names]
    return names


def _check_rendered_names(values: Values, add: Add) -> None:
    """Two pools must not render one MachineSet name (a fan-out appends zones, a fallback its twin)."""
    if not values.enabled:
        return
    owner: dict[str, int] = {}
    for i, pool in enumerate(values.machine_sets):
        if not pool.enabled:
            continue
        for name in _rendered_names(pool, values.infra_id or ""):
            other = owner.setdefault(name, i)
            if other != i and values.machine_sets[other].name_suffix != pool.name_suffix:
                add(
                    ("machineSets", i, "nameSuffix"),
                    f"renders MachineSet {name}, as machineSets[{other}] "
                    f"({values.machine_sets[other].name_suffix}) does: choose another nameSuffix",
                )
                break


def _check_market(pool: MachineSetPool, base: Path, add: Add) -> None:
    spec = pool.provider_spec or {}
    for key, pool_key in (
        ("capacityReservationId", "capacity_reservation_id"),
        ("marketType", "market_type"),
    ):
        mine = getattr(pool, pool_key)
        if mine is not None and key in spec and spec[key] != mine:
            add(
                (*base, key),
                f"is {mine!r} but providerSpec.{key} is {spec[key]!r}: set it in one place",
            )
    market = pool.effective_provider_spec.get("marketType")
    where = (*base, "marketType") if pool.market_type else (*base, "providerSpec", "marketType")
    if market not in (None, "", "OnDemand", "Spot", "CapacityBlock"):
        add(where, f"must be one of OnDemand, Spot, CapacityBlock, got {market!r}")
    reservation = pool.capacity_reservation
    res_where = (
        (*base, "capacityReservationId")
        if pool.capacity_reservation_id
        else (*base, "providerSpec", "capacityReservationId")
    )
    if reservation is not None and not _RESERVATION_ID.match(reservation):
        add(res_where, f"{reservation!r} is not a capacity reservation id (cr-...)")
    if market == "CapacityBlock":
        if reservation is None:
            add(
                where,
                "CapacityBlock needs capacityReservationId: the id of the Capacity Block's reservation "
                "(`cluster-capacity plan` lists them)",
            )
        if pool.spot or (pool.provider_spec or {}).get("spotMarketOptions") is not None:
            add(where, "a Capacity Block is not Spot: remove spotMarketOptions")
    elif reservation is not None and pool.spot and not _reported_by_provider_spec_rule(spec):
        add(res_where, "Spot and a capacity reservation cannot be used together")
    if reservation is not None and pool.zones and len(pool.zones) > 1:
        add(
            (*base, "zones"),
            f"a capacity reservation lives in one zone; {reservation} cannot serve {len(pool.zones)} zones "
            "(give the pool the reservation's zone only)",
        )


def _reported_by_provider_spec_rule(spec: dict[str, Any]) -> bool:
    return spec.get("spotMarketOptions") is not None and bool(spec.get("capacityReservationId"))


def _check_zones(pool: MachineSetPool, infra_id: str, base: Path, add: Add) -> None:
    if pool.zones is None:
        if pool.subnets:
            add((*base, "subnets"), "only used with zones: list the zones the pool fans out to")
        return
    if not pool.zones:
        add((*base, "zones"), "must list at least one zone (or leave zones out)")
        return
    regions = set()
    seen: set[str] = set()
    for j, zone in enumerate(pool.zones):
        region = zone_region(zone)
        if region is None:
            add((*base, "zones", j), f"{zone!r} is not an availability zone name (e.g. us-west-2a)")
            continue
        if zone in seen:
            add((*base, "zones", j), f"{zone} is listed twice")
        seen.add(zone)
        regions.add(region)
    placement = (pool.provider_spec or {}).get("placement") or {}
    spec_region = placement.get("region") if isinstance(placement, dict) else None
    if len(regions) > 1:
        add((*base, "zones"), f"zones must be in one region, got {', '.join(sorted(regions))}")
    elif spec_region and regions and spec_region not in regions:
        add(
            (*base, "zones"),
            f"zones are in {regions.pop()} but providerSpec.placement.region is {spec_region}",
        )
    for zone in pool.subnets:
        if zone not in pool.zones:
            add((*base, "subnets", zone), f"{zone} is not one of zones ({', '.join(pool.zones)})")
    for zone, subnet in pool.subnets.items():
        keys = [k for k in _SUBNET_KEYS if subnet.get(k)]
        if len(keys) != 1 or set(subnet) - set(_SUBNET_KEYS):
            add(
                (*base, "subnets", zone),
                "must be an AWS resource reference with exactly one of id, arn or filters",
            )
    for zone in pool.zones:
        name = f"{pool.machineset_name(infra_id)}-{zone}"
        longest = f"{name}{TWIN_SUFFIX}" if pool.on_demand_fallback else name
        if len(longest) > MAX_NAME:
            add(
                (*base, "nameSuffix"),
                f"MachineSet name {longest!r} is {len(longest)} characters; it is a label value and must "
                f"be <= {MAX_NAME}: shorten nameSuffix",
            )
            break
    if any(zone_region(z) is None for z in pool.zones):
        return
    try:
        pool_machinesets(pool, infra_id)
    except ZoneRewriteError as exc:
        missing = [z for z in pool.zones if z not in pool.subnets and z != pool.zone]
        add(
            (*base, "subnets"),
            f"{exc}: give subnets: {{{', '.join(f'{z}: ...' for z in missing)}}} (an id, arn or filters "
            "per zone)",
        )
    auto = pool.autoscaler
    if auto.enabled and auto.max_replicas < len(pool.zones):
        add(
            (*base, "autoscaler", "maxReplicas"),
            f"maxReplicas ({auto.max_replicas}) is less than the number of zones ({len(pool.zones)}): "
            f"each zone's MachineAutoscaler needs maxReplicas >= 1; raise it to {len(pool.zones)} or list "
            "fewer zones",
        )
    if pool.accelerator == "neuron" and auto.enabled and auto.min_replicas < len(pool.zones):
        add(
            (*base, "autoscaler", "minReplicas"),
            f"must be >= {len(pool.zones)} (one per zone) for a Neuron pool: the autoscaler cannot scale "
            "a zone up from zero",
        )


def _check_fallback(pool: MachineSetPool, values: Values, base: Path, add: Add) -> None:
    where = (*base, "onDemandFallback")
    if not pool.spot:
        add(where, "only for a Spot pool (providerSpec.spotMarketOptions): the twin is its On-Demand copy")
        return
    if not pool.autoscaler.enabled:
        add(
            where,
            "needs autoscaler.enabled: the Priority expander only chooses between MachineSets on a "
            "scale-up, so a twin without a MachineAutoscaler never takes over",
        )
    ca = values.autoscaling.cluster_autoscaler
    if not ca.enabled:
        add(
            where,
            "needs autoscaling.clusterAutoscaler.enabled: the ClusterAutoscaler's Priority expander ranks "
            "Spot above On-Demand (OpenShift 4.16+)",
        )


def _check_expanders(values: Values, add: Add) -> None:
    if not fallback_pools(values):
        return
    ca = values.autoscaling.cluster_autoscaler
    expanders = ca.spec.get("expanders")
    path: Path = ("autoscaling", "clusterAutoscaler", "spec", "expanders")
    if expanders is None:
        return
    if not isinstance(expanders, list):
        add(path, "must be a list, e.g. [Priority, LeastWaste]")
        return
    if "Priority" in expanders and expanders[0] != "Priority":
        add(
            path,
            "Priority must come first when a pool has onDemandFallback: later expanders only choose among "
            "what the first one picked",
        )
    elif "Priority" not in expanders and len(expanders) >= 3:
        add(path, "has no room for Priority (at most 3 expanders): drop one, Priority goes first")


def _check_health(pool: MachineSetPool, base: Path, add: Add) -> None:
    check = pool.health_check
    if check is None:
        return
    value: Any = check.max_unhealthy
    where = (*base, "healthCheck", "maxUnhealthy")
    if (
        isinstance(value, bool)
        or (isinstance(value, int) and value < 0)
        or (isinstance(value, str) and not _PERCENT.match(value))
    ):
        add(where, f'must be a count >= 0 or a percentage like "40%", got {value!r}')
