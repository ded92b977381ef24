"""Capacity planning against EC2 vCPU quotas: pure logic over a snapshot of what AWS said.

`cluster_capacity.aws.client` fills a `Snapshot` (quotas, running instances, the accelerator catalog, zone
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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cluster_capacity.aws.catalog import MIB_PER_GIB
from cluster_capacity.aws.quota import PoolDemand, PoolProblem, check_pools, pool_demands
from cluster_capacity.aws.snapshot import (
    MARKETS,
    AcceleratorKind,
    InstanceTypeInfo,
    Quota,
    QuotaKey,
    RunningInstance,
    Snapshot,
    describe_quota,
    load_snapshot,
    parse_quota_override,
    region_of_zone,
)
from cluster_capacity.instances import QUOTA_CODES, Market, QuotaFamily

# The snapshot and quota-check names are re-exported: callers plan with one import.
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
    #: Instances of the type held by active capacity reservations and Capacity Blocks in the zones
    #: (On-Demand only: Spot does not launch into reservations), and how many of them are free.
    reserved: int = 0
    reserved_available: int = 0

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
            "reserved": self.reserved,
            "reservedAvailable": self.reserved_available,
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
    floor_mib = min_accelerator_memory_gib * MIB_PER_GIB
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
                candidate = _candidate(info, replicas, offered, price)
                if market == "on-demand":
                    candidate = _with_reserved(candidate, snapshot, offered)
                every.append((rank_key(info, price), candidate, info))
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
        memory_gib=info.memory_mib / MIB_PER_GIB,
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


def _with_reserved(candidate: Candidate, snapshot: Snapshot, zones: tuple[str, ...]) -> Candidate:
    from dataclasses import replace

    held = [
        r
        for r in snapshot.reservations.values()
        if r.instance_type == candidate.instance_type and r.state == "active" and r.zone in zones
    ]
    if not held:
        return candidate
    return replace(
        candidate, reserved=sum(r.total for r in held), reserved_available=sum(r.available for r in held)
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
