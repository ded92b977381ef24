"""A pool as the MachineSets it becomes: one per zone (``zones``), each with an On-Demand twin
(``onDemandFallback``), with replicas and autoscaler bounds split over the zones.

Pure functions over the config models, shared by render (what is written), the rules (what is refused),
``plan --check`` (what each MachineSet may ask of AWS), ``status`` and ``smoke`` (which live MachineSets
belong to a pool). The zone rewrite of a providerSpec is the one ``add-pool`` uses, so a fanned-out pool
gets exactly the subnet a person would get by adding the pool zone by zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cluster_capacity.config.models import MachineSetPool


__all__ = [
    "TWIN_SUFFIX",
    "ZONE_NAME",
    "PoolMachineSet",
    "ZoneRewriteError",
    "copy_data",
    "pool_machinesets",
    "rewrite_zone",
    "split",
    "twin_name",
    "zone_region",
]

#: An availability zone name (``us-west-2a``; Local Zones ``us-west-2-lax-1a``).
ZONE_NAME = re.compile(r"^(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)(?:-[a-z]+-\d+)?[a-z]$")
#: Appended to a Spot MachineSet's name to name its On-Demand twin.
TWIN_SUFFIX = "-ondemand"


def copy_data(value: Any) -> Any:
    """A deep copy of plain data (what YAML and ``--set`` give: dicts, lists, scalars).

    Several times faster than ``copy.deepcopy``, which a fleet paid for every MachineSet; a mapping an
    alias shared is copied twice instead of staying shared, which the output cannot tell apart.
    """
    kind = type(value)
    if kind is dict:
        return {k: copy_data(v) for k, v in value.items()}
    if kind is list:
        return [copy_data(v) for v in value]
    return value


class ZoneRewriteError(ValueError):
    """The subnet of another zone cannot be derived from a providerSpec's subnet."""


@dataclass(frozen=True)
class PoolMachineSet:
    """One MachineSet of a pool, with what it renders."""

    name: str
    #: The zone of a fanned-out pool's MachineSet; None for a pool without ``zones``.
    zone: str | None
    provider_spec: dict[str, Any]
    replicas: int
    min_replicas: int
    max_replicas: int
    spot: bool
    #: For an On-Demand twin: the name of the Spot MachineSet it stands in for.
    fallback_for: str | None = None


def zone_region(zone: str) -> str | None:
    """``us-west-2a`` -> ``us-west-2``; None when ``zone`` is not a zone name."""
    match = ZONE_NAME.match(zone)
    return match["region"] if match else None


def split(total: int, parts: int) -> list[int]:
    """``total`` over ``parts`` as evenly as possible, the remainder to the first: ``split(5, 3) == [2, 2, 1]``."""
    if parts < 1:
        raise ValueError("parts must be >= 1")
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def twin_name(name: str) -> str:
    """The On-Demand twin of MachineSet ``name``."""
    return f"{name}{TWIN_SUFFIX}"


def rewrite_zone(value: dict[str, Any], old: str, new: str) -> None:
    """Move a providerSpec (in place) from zone ``old`` to ``new``: placement, and the subnet filter's tag.

    The installer names subnets ``<infraID>-subnet-private-<zone>`` (and tags them so), so the subnet of
    another zone is the filter with the zone replaced. A subnet given by id or ARN says nothing about other
    zones: `ZoneRewriteError`, as when the filter does not mention ``old`` at all.
    """
    placement = value.setdefault("placement", {})
    placement["availabilityZone"] = new
    subnet = value.get("subnet") or {}
    if subnet.get("id") or subnet.get("arn"):
        raise ZoneRewriteError(
            f"the subnet is given by id ({subnet.get('id') or subnet.get('arn')}), so the subnet of {new} "
            "cannot be derived from it"
        )
    filters = subnet.get("filters") or []
    rewritten = False
    for flt in filters:
        values = flt.get("values") or []
        new_values = [v.replace(old, new) for v in values]
        rewritten = rewritten or new_values != values
        flt["values"] = new_values
    if filters and not rewritten:
        raise ZoneRewriteError(
            f"the subnet filter does not mention zone {old}, so the subnet of {new} cannot be derived from it"
        )


def _zone_spec(pool: MachineSetPool, zone: str) -> dict[str, Any]:
    spec: dict[str, Any] = copy_data(pool.effective_provider_spec)
    source = pool.zone
    if zone in pool.subnets:
        spec.setdefault("placement", {})["availabilityZone"] = zone
        spec["subnet"] = copy_data(pool.subnets[zone])
    elif source != zone:
        if source is None:
            raise ZoneRewriteError(
                "providerSpec.placement.availabilityZone is not set, so there is no zone to rewrite from"
            )
        rewrite_zone(spec, source, zone)
    return spec


def _on_demand(spec: dict[str, Any]) -> dict[str, Any]:
    twin: dict[str, Any] = copy_data(spec)
    twin.pop("spotMarketOptions", None)
    if twin.get("marketType") == "Spot":
        twin.pop("marketType")
    return twin


def pool_machinesets(pool: MachineSetPool, infra_id: str) -> list[PoolMachineSet]:
    """Every MachineSet ``pool`` renders: per zone (or the one), then the On-Demand twins.

    Raises `ZoneRewriteError` for a zone whose subnet cannot be derived; the config rules refuse such a
    pool first, with its file and line.
    """
    base = pool.machineset_name(infra_id)
    auto = pool.autoscaler
    zones: list[str | None] = list(pool.zones) if pool.zones else [None]
    count = len(zones)
    replicas, lows, highs = (
        split(pool.replicas, count),
        split(auto.min_replicas, count),
        split(auto.max_replicas, count),
    )
    spot = pool.spot
    primary = []
    for i, zone in enumerate(zones):
        if zone is None:
            name, spec = base, copy_data(pool.effective_provider_spec)
        else:
            name, spec = f"{base}-{zone}", _zone_spec(pool, zone)
        primary.append(PoolMachineSet(name, zone, spec, replicas[i], lows[i], highs[i], spot))
    twins = []
    if pool.on_demand_fallback and spot:
        for ms in primary:
            twins.append(
                PoolMachineSet(
                    twin_name(ms.name),
                    ms.zone,
                    _on_demand(ms.provider_spec),
                    replicas=0,
                    min_replicas=0,
                    max_replicas=ms.max_replicas,
                    spot=False,
                    fallback_for=ms.name,
                )
            )
    return [*primary, *twins]
