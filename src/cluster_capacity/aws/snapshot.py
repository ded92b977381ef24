"""What the planner knows about one region: the accelerator catalog, zone offerings, Spot prices,
vCPU quotas and running instances, as read by `cluster_capacity.aws.client` or from a snapshot file.

Plain frozen dataclasses, no boto3: `Snapshot.to_dict` / `load_snapshot` are the ``--save-snapshot`` /
``--snapshot`` file format (JSON, camelCase keys).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cluster_capacity.aws.blocks import BlockOffering
from cluster_capacity.aws.catalog import (
    AcceleratorKind,
    InstanceTypeInfo,
    info_from_api,
    info_from_dict,
    info_to_dict,
)
from cluster_capacity.errors import ConfigError
from cluster_capacity.instances import (
    QUOTA_CODES,
    QUOTA_FAMILY_NAMES,
    Market,
    QuotaFamily,
    quota_family,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "MARKETS",
    "AcceleratorKind",
    "InstanceTypeInfo",
    "Quota",
    "QuotaKey",
    "QuotaSource",
    "Reservation",
    "RunningInstance",
    "Snapshot",
    "describe_quota",
    "info_from_api",
    "load_snapshot",
    "parse_quota_override",
    "region_of_zone",
]

QuotaSource = Literal["account", "aws-default", "override", "snapshot"]
QuotaKey = tuple[QuotaFamily, Market]

MARKETS: tuple[Market, ...] = ("spot", "on-demand")
MARKET_NAMES: dict[Market, str] = {"spot": "Spot", "on-demand": "On-Demand"}
_ZONE = re.compile(r"^(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)(?:-[a-z]+-\d+)?[a-z]$")


@dataclass(frozen=True)
class Quota:
    """One vCPU quota and where its value came from."""

    family: QuotaFamily
    market: Market
    value: int
    source: QuotaSource = "account"

    @property
    def code(self) -> str:
        return QUOTA_CODES[(self.family, self.market)]


@dataclass(frozen=True)
class RunningInstance:
    """A pending or running instance: what it costs in quota and, by its Name tag, who owns it."""

    instance_type: str
    zone: str
    spot: bool
    vcpus: int
    name: str = ""

    @property
    def key(self) -> QuotaKey:
        return (quota_family(self.instance_type), "spot" if self.spot else "on-demand")


@dataclass(frozen=True)
class Reservation:
    """An On-Demand Capacity Reservation or a Capacity Block (``DescribeCapacityReservations``)."""

    id: str
    instance_type: str
    zone: str
    total: int
    available: int
    state: str
    #: ``capacity-block`` for a Capacity Block for ML, ``default`` for an On-Demand Capacity Reservation.
    kind: str = "default"
    #: When it ends (UTC, ISO 8601); empty when it does not (``EndDateType: unlimited``).
    end: str = ""

    @property
    def capacity_block(self) -> bool:
        return self.kind == "capacity-block"

    def ends_within(self, now: dt.datetime, days: int = 7) -> bool:
        """Whether it ends less than ``days`` days after ``now``."""
        if not self.end:
            return False
        end = dt.datetime.fromisoformat(self.end.replace("Z", "+00:00"))
        return end - now < dt.timedelta(days=days)

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Reservation:
        """From one ``CapacityReservations[]`` item of the EC2 API."""
        end = item.get("EndDate") if item.get("EndDateType") == "limited" else None
        return cls(
            id=str(item["CapacityReservationId"]),
            instance_type=str(item.get("InstanceType", "")),
            zone=str(item.get("AvailabilityZone", "")),
            total=int(item.get("TotalInstanceCount", 0)),
            available=int(item.get("AvailableInstanceCount", 0)),
            state=str(item.get("State", "")),
            kind=str(item.get("ReservationType", "default")),
            end=end.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if end else "",
        )


@dataclass(frozen=True)
class Snapshot:
    """Everything the planner reads from AWS for one region, so planning needs no further call."""

    region: str
    catalog: Mapping[str, InstanceTypeInfo] = field(default_factory=dict)
    #: instance type -> availability zones that offer it
    offerings: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: instance type -> zone -> latest Spot price (USD per hour, Linux/UNIX)
    spot_prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    quotas: Mapping[QuotaKey, Quota] = field(default_factory=dict)
    instances: tuple[RunningInstance, ...] = ()
    #: Capacity reservations and Capacity Blocks that are active or scheduled, by id.
    reservations: Mapping[str, Reservation] = field(default_factory=dict)
    #: Capacity Blocks that can be bought, read for the pools that ask for one (``plan --check``).
    block_offerings: tuple[BlockOffering, ...] = ()

    def reserved(self, instance_type: str) -> dict[str, int]:
        """Zone -> instances of ``instance_type`` reserved there (active reservations and blocks)."""
        out: dict[str, int] = {}
        for r in self.reservations.values():
            if r.instance_type == instance_type and r.state == "active":
                out[r.zone] = out.get(r.zone, 0) + r.total
        return out

    def used(self, key: QuotaKey) -> int:
        """vCPUs that pending and running instances take from the quota ``key``."""
        return sum(i.vcpus for i in self.instances if i.key == key)

    def zones(self) -> list[str]:
        """Every zone that offers at least one type in the snapshot."""
        return sorted({z for zones in self.offerings.values() for z in zones})

    def offered_in(self, instance_type: str, zone: str) -> bool:
        """Whether ``instance_type`` is offered in availability zone ``zone``."""
        return zone in self.offerings.get(instance_type, frozenset())

    def spot_price(self, instance_type: str, zones: Iterable[str]) -> float | None:
        """Lowest latest Spot price of ``instance_type`` over ``zones``; None when AWS gave none."""
        prices = self.spot_prices.get(instance_type, {})
        found = [prices[z] for z in zones if z in prices]
        return min(found) if found else None

    def with_quotas(self, values: Mapping[QuotaKey, int]) -> Snapshot:
        """A copy where ``values`` (what-if ``--quota`` overrides) replace what AWS reported."""
        quotas = dict(self.quotas)
        for (family, market), value in values.items():
            quotas[(family, market)] = Quota(family, market, value, "override")
        return replace(self, quotas=quotas)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, read back by `Snapshot.from_dict` (the ``--snapshot`` file)."""
        return {
            "region": self.region,
            "quotas": [
                {"family": q.family, "market": q.market, "code": q.code, "value": q.value, "source": q.source}
                for _, q in sorted(self.quotas.items())
            ],
            "instances": [
                {
                    "instanceType": i.instance_type,
                    "zone": i.zone,
                    "spot": i.spot,
                    "vcpus": i.vcpus,
                    "name": i.name,
                }
                for i in self.instances
            ],
            "instanceTypes": [info_to_dict(info) for _, info in sorted(self.catalog.items())],
            "offerings": {t: sorted(z) for t, z in sorted(self.offerings.items())},
            "spotPrices": {t: dict(sorted(p.items())) for t, p in sorted(self.spot_prices.items())},
            "reservations": [
                {
                    "id": r.id,
                    "instanceType": r.instance_type,
                    "zone": r.zone,
                    "total": r.total,
                    "available": r.available,
                    "state": r.state,
                    "kind": r.kind,
                    "end": r.end,
                }
                for _, r in sorted(self.reservations.items())
            ],
            "capacityBlockOfferings": [o.to_dict() for o in self.block_offerings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "snapshot") -> Snapshot:
        """Read a snapshot written by `to_dict`; any malformed part is a `ConfigError` naming it."""
        path = ""
        try:
            path = "region"
            region = str(data["region"])
            quotas: dict[QuotaKey, Quota] = {}
            for n, q in enumerate(data.get("quotas", [])):
                path = f"quotas[{n}]"
                key = _quota_key(str(q["family"]), str(q["market"]))
                quotas[key] = Quota(key[0], key[1], int(q["value"]), "snapshot")
            instances = []
            for n, i in enumerate(data.get("instances", [])):
                path = f"instances[{n}]"
                instances.append(
                    RunningInstance(
                        str(i["instanceType"]),
                        str(i["zone"]),
                        bool(i["spot"]),
                        int(i["vcpus"]),
                        str(i.get("name", "")),
                    )
                )
            catalog = {}
            for n, t in enumerate(data.get("instanceTypes", [])):
                path = f"instanceTypes[{n}]"
                info = info_from_dict(t)
                catalog[info.name] = info
            path = "offerings"
            offerings = {str(t): frozenset(str(z) for z in zs) for t, zs in data.get("offerings", {}).items()}
            path = "spotPrices"
            prices = {
                str(t): {str(z): float(p) for z, p in zp.items()}
                for t, zp in data.get("spotPrices", {}).items()
            }
            reservations = {}
            for n, r in enumerate(data.get("reservations", [])):
                path = f"reservations[{n}]"
                found = Reservation(
                    str(r["id"]),
                    str(r["instanceType"]),
                    str(r["zone"]),
                    int(r["total"]),
                    int(r["available"]),
                    str(r["state"]),
                    str(r.get("kind", "default")),
                    str(r.get("end", "")),
                )
                if found.end:
                    dt.datetime.fromisoformat(found.end.replace("Z", "+00:00"))
                reservations[found.id] = found
            blocks = []
            for n, o in enumerate(data.get("capacityBlockOfferings", [])):
                path = f"capacityBlockOfferings[{n}]"
                blocks.append(BlockOffering.from_dict(o))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source}: {path}: malformed snapshot ({type(exc).__name__}: {exc})") from exc
        return cls(region, catalog, offerings, prices, quotas, tuple(instances), reservations, tuple(blocks))


def load_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot JSON file (written by ``plan --save-snapshot``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a snapshot is a JSON object")
    return Snapshot.from_dict(data, source=str(path))


def _quota_key(family: str, market: str) -> QuotaKey:
    families = tuple(QUOTA_FAMILY_NAMES)
    if family not in families:
        raise ValueError(f"unknown quota family {family!r} (one of {', '.join(families)})")
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r} (spot or on-demand)")
    return family, market


def parse_quota_override(text: str) -> tuple[QuotaKey, int]:
    """``g:spot=16`` -> ``(("g", "spot"), 16)``; anything else is a `ConfigError` saying what is expected."""
    match = re.fullmatch(r"\s*([a-z]+)\s*:\s*([a-z-]+)\s*=\s*(\d+)\s*", text.lower())
    if not match:
        raise ConfigError(f"--quota {text!r}: expected FAMILY:MARKET=VCPUS, for example g:spot=16")
    try:
        key = _quota_key(match[1], match[2])
    except ValueError as exc:
        raise ConfigError(f"--quota {text!r}: {exc}") from exc
    return key, int(match[3])


def region_of_zone(zone: str) -> str | None:
    """``us-west-2a`` -> ``us-west-2`` (also Local Zones: ``us-west-2-lax-1a``); None if not a zone name."""
    match = _ZONE.match(zone)
    return match["region"] if match else None


def describe_quota(family: QuotaFamily, market: Market) -> str:
    """``G and VT Spot``: how the Service Quotas console names a family and market."""
    name = "Standard" if family == "standard" else QUOTA_FAMILY_NAMES[family]
    return f"{name} {MARKET_NAMES[market]}"
