"""Capacity planning against EC2 vCPU quotas: pure logic over a snapshot of what AWS said.

`cluster_capacity.aws` fills a `Snapshot` (quotas, running instances, the accelerator catalog, zone
offerings, Spot prices); everything here is plain computation over it, so it is fast, testable without
AWS, and can run from a snapshot file saved earlier.

**Which type is recommended.** Among the types that fit the headroom, carry whole accelerators, meet the
accelerator-memory floor, run in the market and are offered in at least one selected zone, the smallest
wins, ranked by:

1. fewest vCPUs: quotas are counted in vCPUs, so this gives the most replicas per quota;
2. newest generation (the number in the family: g6 > g5 > g4dn, inf2 > inf1): more accelerator per
   vCPU of quota at a similar price;
3. least memory per accelerator that still meets the floor: do not pay for memory nobody asked for
   (g6 before g6e);
4. lowest Spot price in the selected zones (Spot only; unknown prices last);
5. the type name, so the answer is deterministic.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from cluster_capacity.errors import ConfigError
from cluster_capacity.instances import (
    QUOTA_CODES,
    QUOTA_FAMILY_NAMES,
    Market,
    QuotaFamily,
    quota_family,
    split_instance_type,
)

if TYPE_CHECKING:
    from cluster_capacity.config import Values

__all__ = [
    "ACCELERATOR_FAMILIES",
    "MARKETS",
    "Candidate",
    "FamilyPlan",
    "InstanceTypeInfo",
    "Plan",
    "PoolDemand",
    "PoolProblem",
    "Quota",
    "QuotaKey",
    "RunningInstance",
    "Snapshot",
    "TargetAdvice",
    "check_pools",
    "increase_command",
    "load_snapshot",
    "make_plan",
    "parse_quota_override",
    "pool_demands",
    "rank_key",
    "region_of_zone",
]

AcceleratorFamily = Literal["nvidia", "neuron", "all"]
AcceleratorKind = Literal["nvidia", "neuron", "amd", "other"]
QuotaSource = Literal["account", "aws-default", "override", "snapshot"]
QuotaKey = tuple[QuotaFamily, Market]

#: Quota families planned for each ``--family`` choice.
ACCELERATOR_FAMILIES: dict[AcceleratorFamily, tuple[QuotaFamily, ...]] = {
    "nvidia": ("g", "p"),
    "neuron": ("inf", "trn"),
    "all": ("g", "p", "inf", "trn"),
}
_KIND_OF_FAMILY: dict[QuotaFamily, AcceleratorKind] = {
    "g": "nvidia",
    "p": "nvidia",
    "inf": "neuron",
    "trn": "neuron",
}
MARKETS: tuple[Market, ...] = ("spot", "on-demand")
_MARKET_NAMES: dict[Market, str] = {"spot": "Spot", "on-demand": "On-Demand"}
_GENERATION = re.compile(r"^[a-z]+(\d+)")
_ZONE = re.compile(r"^(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)(?:-[a-z]+-\d+)?[a-z]$")
_MIB_PER_GIB = 1024


@dataclass(frozen=True)
class InstanceTypeInfo:
    """What the planner needs to know about one EC2 instance type (from ``DescribeInstanceTypes``)."""

    name: str
    vcpus: int
    memory_mib: int
    architectures: tuple[str, ...] = ("x86_64",)
    accelerator: AcceleratorKind | None = None
    accelerator_name: str = ""
    #: Whole accelerators (GPUs or Neuron devices) per instance; 0 for a fractional GPU.
    accelerator_count: int = 0
    #: Share of one GPU an instance gets (``GpuPartitionSize``): 1.0, or 0.125 for g6f.large.
    accelerator_fraction: float = 1.0
    #: Memory of one accelerator (of the share, for a fractional GPU).
    accelerator_memory_mib: int = 0
    neuron_cores: int = 0
    usage_classes: tuple[str, ...] = ("on-demand", "spot")

    @property
    def quota_family(self) -> QuotaFamily:
        return quota_family(self.name)

    @property
    def generation(self) -> int:
        match = _GENERATION.match(split_instance_type(self.name)[0])
        return int(match[1]) if match else 0

    @property
    def whole_accelerators(self) -> bool:
        return self.accelerator_count >= 1 and self.accelerator_fraction >= 1.0

    @property
    def accelerator_memory_gib(self) -> float:
        return self.accelerator_memory_mib / _MIB_PER_GIB


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
            "instanceTypes": [_info_to_dict(info) for _, info in sorted(self.catalog.items())],
            "offerings": {t: sorted(z) for t, z in sorted(self.offerings.items())},
            "spotPrices": {t: dict(sorted(p.items())) for t, p in sorted(self.spot_prices.items())},
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
                info = _info_from_dict(t)
                catalog[info.name] = info
            path = "offerings"
            offerings = {str(t): frozenset(str(z) for z in zs) for t, zs in data.get("offerings", {}).items()}
            path = "spotPrices"
            prices = {
                str(t): {str(z): float(p) for z, p in zp.items()}
                for t, zp in data.get("spotPrices", {}).items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source}: {path}: malformed snapshot ({type(exc).__name__}: {exc})") from exc
        return cls(region, catalog, offerings, prices, quotas, tuple(instances))


def _info_to_dict(info: InstanceTypeInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "vcpus": info.vcpus,
        "memoryMiB": info.memory_mib,
        "architectures": list(info.architectures),
        "accelerator": info.accelerator,
        "acceleratorName": info.accelerator_name,
        "acceleratorCount": info.accelerator_count,
        "acceleratorFraction": info.accelerator_fraction,
        "acceleratorMemoryMiB": info.accelerator_memory_mib,
        "neuronCores": info.neuron_cores,
        "usageClasses": list(info.usage_classes),
    }


def _info_from_dict(data: Mapping[str, Any]) -> InstanceTypeInfo:
    accelerator = data.get("accelerator")
    if accelerator not in (None, "nvidia", "neuron", "amd", "other"):
        raise ValueError(f"accelerator must be nvidia, neuron, amd, other or null, not {accelerator!r}")
    return InstanceTypeInfo(
        name=str(data["name"]),
        vcpus=int(data["vcpus"]),
        memory_mib=int(data.get("memoryMiB", 0)),
        architectures=tuple(str(a) for a in data.get("architectures", ["x86_64"])),
        accelerator=cast("AcceleratorKind | None", accelerator),
        accelerator_name=str(data.get("acceleratorName", "")),
        accelerator_count=int(data.get("acceleratorCount", 0)),
        accelerator_fraction=float(data.get("acceleratorFraction", 1.0)),
        accelerator_memory_mib=int(data.get("acceleratorMemoryMiB", 0)),
        neuron_cores=int(data.get("neuronCores", 0)),
        usage_classes=tuple(str(u) for u in data.get("usageClasses", ["on-demand", "spot"])),
    )


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
    return f"{name} {_MARKET_NAMES[market]}"


@dataclass(frozen=True)
class Candidate:
    """One instance type that runs in a family and market, with what the headroom allows of it."""

    instance_type: str
    vcpus: int
    memory_gib: float
    accelerator: str
    accelerator_name: str
    accelerators: int
    accelerator_fraction: float
    accelerator_memory_gib: float
    neuron_cores: int
    max_replicas: int
    zones: tuple[str, ...]
    spot_price: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instanceType": self.instance_type,
            "vcpus": self.vcpus,
            "memoryGiB": round(self.memory_gib, 2),
            "accelerator": self.accelerator,
            "acceleratorName": self.accelerator_name,
            "accelerators": self.accelerators,
            "acceleratorFraction": self.accelerator_fraction,
            "acceleratorMemoryGiB": round(self.accelerator_memory_gib, 2),
            "neuronCores": self.neuron_cores,
            "maxReplicas": self.max_replicas,
            "zones": list(self.zones),
            "spotPrice": self.spot_price,
        }


@dataclass(frozen=True)
class TargetAdvice:
    """What a target (``--target-gpus`` / ``--target-neuron-devices``) needs in one family and market."""

    unit: Literal["gpus", "neuron-devices"]
    count: int
    instance_type: str
    instances: int
    vcpus_needed: int
    quota_code: str
    quota: int | None
    used: int
    #: The quota value to ask for (``None`` when the current quota already covers the target).
    desired_value: int | None
    command: str | None

    @property
    def fits(self) -> bool:
        return self.desired_value is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "count": self.count,
            "instanceType": self.instance_type,
            "instances": self.instances,
            "vcpusNeeded": self.vcpus_needed,
            "quotaCode": self.quota_code,
            "quota": self.quota,
            "used": self.used,
            "fits": self.fits,
            "desiredValue": self.desired_value,
            "command": self.command,
        }


@dataclass(frozen=True)
class FamilyPlan:
    """Quota, usage, headroom and what fits, for one quota family and market."""

    family: QuotaFamily
    market: Market
    quota: Quota | None
    used: int
    fits: tuple[Candidate, ...]
    recommendation: Candidate | None
    #: Best type for this family and market ignoring the headroom (what a quota increase should target).
    smallest: Candidate | None
    target: TargetAdvice | None = None

    @property
    def code(self) -> str:
        return QUOTA_CODES[(self.family, self.market)]

    @property
    def title(self) -> str:
        return describe_quota(self.family, self.market)

    @property
    def headroom(self) -> int | None:
        return None if self.quota is None else max(self.quota.value - self.used, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "market": self.market,
            "name": self.title,
            "quotaCode": self.code,
            "quota": None if self.quota is None else self.quota.value,
            "quotaSource": None if self.quota is None else self.quota.source,
            "used": self.used,
            "headroom": self.headroom,
            "fits": [c.to_dict() for c in self.fits],
            "recommendation": None if self.recommendation is None else self.recommendation.instance_type,
            "smallest": None if self.smallest is None else self.smallest.instance_type,
            "target": None if self.target is None else self.target.to_dict(),
        }


@dataclass(frozen=True)
class Plan:
    """The answer of ``cluster-capacity plan``."""

    region: str
    zones: tuple[str, ...]
    min_accelerator_memory_gib: float
    families: tuple[FamilyPlan, ...]

    @property
    def fits(self) -> bool:
        """Something fits, and every target asked for fits in at least one family and market."""
        if not any(f.recommendation for f in self.families):
            return False
        targets = [f.target for f in self.families if f.target is not None]
        for unit in ("gpus", "neuron-devices"):
            asked = [t for t in targets if t.unit == unit]
            if asked and not any(t.fits for t in asked):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "zones": list(self.zones),
            "minAcceleratorMemoryGiB": self.min_accelerator_memory_gib,
            "fits": self.fits,
            "families": [f.to_dict() for f in self.families],
        }


def rank_key(info: InstanceTypeInfo, spot_price: float | None) -> tuple[int, int, int, float, str]:
    """Sort key of the recommendation rule (see the module docstring): smallest first."""
    price = math.inf if spot_price is None else spot_price
    return (info.vcpus, -info.generation, info.accelerator_memory_mib, price, info.name)


def increase_command(code: str, value: int, region: str, profile: str | None = None) -> str:
    """The AWS CLI command that asks for a quota increase (printed for a person, never run)."""
    command = (
        f"aws service-quotas request-service-quota-increase --service-code ec2 --quota-code {code} "
        f"--desired-value {value} --region {region}"
    )
    return f"{command} --profile {profile}" if profile else command


def make_plan(
    snapshot: Snapshot,
    *,
    family: AcceleratorFamily = "all",
    markets: Sequence[Market] = MARKETS,
    zones: Sequence[str] = (),
    min_accelerator_memory_gib: float = 0.0,
    target_gpus: int | None = None,
    target_neuron_devices: int | None = None,
    architecture: str = "x86_64",
    profile: str | None = None,
) -> Plan:
    """Per family and market: quota, used, headroom, the types that fit, the recommendation, targets.

    ``zones`` limits where a type counts as offered (all zones of the snapshot when empty);
    ``architecture`` is ``x86_64``, ``arm64`` or ``all``; ``profile`` only goes into printed commands.
    """
    selected = tuple(sorted(zones)) if zones else tuple(snapshot.zones())
    floor_mib = min_accelerator_memory_gib * _MIB_PER_GIB
    by_family: dict[QuotaFamily, list[InstanceTypeInfo]] = {}
    for info in snapshot.catalog.values():
        if info.accelerator not in ("nvidia", "neuron"):
            continue
        if architecture != "all" and architecture not in info.architectures:
            continue
        by_family.setdefault(info.quota_family, []).append(info)

    plans = []
    for qfamily in ACCELERATOR_FAMILIES[family]:
        for market in markets:
            key = (qfamily, market)
            quota = snapshot.quotas.get(key)
            used = snapshot.used(key)
            headroom = None if quota is None else max(quota.value - used, 0)
            every: list[tuple[tuple[int, int, int, float, str], Candidate, InstanceTypeInfo]] = []
            for info in by_family.get(qfamily, []):
                if info.accelerator != _KIND_OF_FAMILY[qfamily] or market not in info.usage_classes:
                    continue
                offered = tuple(z for z in selected if z in snapshot.offerings.get(info.name, frozenset()))
                if not offered or info.accelerator_memory_mib < floor_mib:
                    continue
                price = snapshot.spot_price(info.name, offered) if market == "spot" else None
                replicas = 0 if headroom is None else headroom // info.vcpus
                every.append((rank_key(info, price), _candidate(info, replicas, offered, price), info))
            every.sort(key=lambda item: item[0])
            fits = tuple(c for _, c, _ in every if c.max_replicas >= 1)
            whole = [c for _, c, info in every if info.whole_accelerators]
            smallest = whole[0] if whole else None
            recommendation = smallest if smallest is not None and smallest.max_replicas >= 1 else None
            target = _target(
                snapshot, qfamily, market, quota, used, smallest, target_gpus, target_neuron_devices, profile
            )
            plans.append(FamilyPlan(qfamily, market, quota, used, fits, recommendation, smallest, target))
    return Plan(snapshot.region, selected, min_accelerator_memory_gib, tuple(plans))


def _candidate(
    info: InstanceTypeInfo, replicas: int, zones: tuple[str, ...], price: float | None
) -> Candidate:
    return Candidate(
        instance_type=info.name,
        vcpus=info.vcpus,
        memory_gib=info.memory_mib / _MIB_PER_GIB,
        accelerator=info.accelerator or "",
        accelerator_name=info.accelerator_name,
        accelerators=info.accelerator_count,
        accelerator_fraction=info.accelerator_fraction,
        accelerator_memory_gib=info.accelerator_memory_gib,
        neuron_cores=info.neuron_cores,
        max_replicas=replicas,
        zones=zones,
        spot_price=price,
    )


def _target(
    snapshot: Snapshot,
    family: QuotaFamily,
    market: Market,
    quota: Quota | None,
    used: int,
    smallest: Candidate | None,
    target_gpus: int | None,
    target_neuron_devices: int | None,
    profile: str | None,
) -> TargetAdvice | None:
    unit: Literal["gpus", "neuron-devices"]
    if _KIND_OF_FAMILY[family] == "nvidia":
        unit, count = "gpus", target_gpus
    else:
        unit, count = "neuron-devices", target_neuron_devices
    if count is None or smallest is None:
        return None
    instances = math.ceil(count / smallest.accelerators)
    needed = instances * smallest.vcpus
    code = QUOTA_CODES[(family, market)]
    # Other instances already hold part of the quota; the target comes on top of them.
    required = used + needed
    desired = (
        None if quota is not None and quota.value >= required else max(required, quota.value if quota else 0)
    )
    command = None if desired is None else increase_command(code, desired, snapshot.region, profile)
    return TargetAdvice(
        unit,
        count,
        smallest.instance_type,
        instances,
        needed,
        code,
        None if quota is None else quota.value,
        used,
        desired,
        command,
    )


@dataclass(frozen=True)
class PoolDemand:
    """What one enabled pool can ask of AWS: ``max_replicas`` instances of ``instance_type`` in ``zone``."""

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

    @property
    def peak(self) -> int:
        return max(self.replicas, self.max_replicas or 0)

    @property
    def market(self) -> Market:
        return "spot" if self.spot else "on-demand"


def pool_demands(values: Values) -> list[PoolDemand]:
    """The enabled pools of an env's values as `PoolDemand` (pools without an instance type are skipped)."""
    demands = []
    for pool in values.enabled_pools:
        if not pool.instance_type:
            continue
        autoscaled = pool.autoscaler.enabled
        demands.append(
            PoolDemand(
                name=pool.name_suffix,
                instance_type=pool.instance_type,
                zone=pool.zone or "",
                spot=pool.spot,
                replicas=pool.replicas,
                max_replicas=pool.autoscaler.max_replicas if autoscaled else None,
                machineset=pool.machineset_name(values.infra_id) if values.infra_id else None,
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
                    (pool.name,), f"{where}: {pool.instance_type} is not offered in {pool.zone} ({elsewhere})"
                )
            )
        if pool.market not in info.usage_classes:
            problems.append(
                PoolProblem(
                    (pool.name,), f"{where}: {pool.instance_type} cannot run as {_MARKET_NAMES[pool.market]}"
                )
            )
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
        prefixes = tuple(f"{p.machineset}-" for p, _ in members if p.machineset)
        others = sum(
            i.vcpus
            for i in snapshot.instances
            if i.key == key and not (prefixes and i.name.startswith(prefixes))
        )
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
