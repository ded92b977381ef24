"""Which MachineSet of a pool a smoke run uses: for a pool fanned out over zones (or with an On-Demand
twin), the one that can get capacity now.

Best first: a MachineSet that already has a Ready node with the accelerator (no scale-up at all); then
the pool's own MachineSets before the On-Demand twins (a twin is tested only when no Spot zone can be);
among those, an On-Demand MachineSet in a zone with reserved capacity of the type (from a ``plan``
snapshot), then the pool's zone order. A MachineSet is skipped when it does
not exist, when its zone does not offer the type (snapshot), or when one of its Machines shows an EC2
launch error (no capacity, quota, ...): a new Machine would meet the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cluster_capacity.errors import CapacityError
from cluster_capacity.ops.pools.machines import machine_problem
from cluster_capacity.ops.smoke.options import SmokeCluster
from cluster_capacity.ops.smoke.pod import SmokeTarget
from cluster_capacity.ops.smoke.state import condition, quantity

if TYPE_CHECKING:
    from cluster_capacity.aws.snapshot import Snapshot

__all__ = ["NoZoneError", "ZoneChoice", "choose_zone", "snapshot_facts"]


class NoZoneError(CapacityError):
    """No MachineSet of the pool can get capacity now (exit 1): each one's reason is in the message."""


@dataclass(frozen=True)
class ZoneChoice:
    """The MachineSet to test, why, and why the others were passed over."""

    target: SmokeTarget
    why: str
    skipped: list[str] = field(default_factory=list)


def choose_zone(
    cluster: SmokeCluster,
    targets: Sequence[SmokeTarget],
    snapshot: Snapshot | None = None,
) -> ZoneChoice:
    """The best of ``targets`` (see the module docstring); one target is returned as it is.

    With a ``plan`` ``snapshot``, zones that do not offer the type are skipped and On-Demand MachineSets
    in zones with reserved capacity come first. Raises `NoZoneError` when every MachineSet is skipped.
    """
    if len(targets) == 1:
        return ZoneChoice(targets[0], "the pool's only MachineSet")
    offered: frozenset[str] | None = None
    reserved: Mapping[str, int] = {}
    if snapshot is not None:
        offered, reserved = snapshot_facts(snapshot, targets[0].instance_type)
    ranked: list[tuple[tuple[int, int, int, int], SmokeTarget, str]] = []
    skipped: list[str] = []
    for order, t in enumerate(targets):
        where = _label(t)
        if offered is not None and t.zone and t.zone not in offered:
            skipped.append(f"{where}: {t.instance_type} is not offered in {t.zone} (plan snapshot)")
            continue
        if cluster.machineset(t.namespace, t.machineset) is None:
            skipped.append(f"{where}: MachineSet {t.machineset} does not exist (has Argo CD synced it?)")
            continue
        failing, usable = None, False
        for m in cluster.machines(t.namespace, t.machineset):
            problem = machine_problem(m)
            if problem is not None and problem.reason != "Stuck":
                failing = failing or f"Machine {problem.machine} {problem.phase}: {problem.reason}"
            ref = ((m.get("status") or {}).get("nodeRef") or {}).get("name")
            node = cluster.node(ref) if ref else None
            usable = usable or (node is not None and _ready(node) and _allocatable(node, t.resource) > 0)
        if usable:
            ranked.append(((0, 0, 0, order), t, f"a Ready node with {t.resource} already runs there"))
            continue
        if failing is not None:
            skipped.append(f"{where}: {failing}")
            continue
        held = reserved.get(t.zone or "", 0) if not t.spot else 0
        if held > 0:
            ranked.append(
                ((1, _twin(t), 0, order), t, f"{held} reserved {t.instance_type} available in {t.zone}")
            )
        else:
            ranked.append(((1, _twin(t), 1, order), t, "no launch errors there"))
    if not ranked:
        pool = targets[0].pool
        raise NoZoneError(f"pool {pool}: no MachineSet can get capacity now: " + "; ".join(skipped))
    _, target, why = min(ranked, key=lambda r: r[0])
    return ZoneChoice(target, why, skipped)


def _label(t: SmokeTarget) -> str:
    market = "Spot" if t.spot else "On-Demand"
    return f"{t.zone or t.machineset} {market}" if t.zone else t.machineset


def _twin(t: SmokeTarget) -> int:
    return 1 if t.fallback_for else 0


def _ready(node: dict[str, object]) -> bool:
    cond = condition(node, "Ready")
    return cond is not None and cond.get("status") == "True"


def _allocatable(node: dict[str, object], resource: str) -> float:
    status = node.get("status")
    allocatable = status.get("allocatable") if isinstance(status, dict) else None
    return quantity(allocatable.get(resource, 0)) if isinstance(allocatable, dict) else 0.0


def snapshot_facts(snapshot: Snapshot, instance_type: str | None) -> tuple[frozenset[str], dict[str, int]]:
    """From a ``plan`` snapshot: the zones that offer ``instance_type``, and its reserved instances
    available per zone (active On-Demand Capacity Reservations and Capacity Blocks)."""
    if not instance_type:
        return frozenset(snapshot.zones()), {}
    reserved: dict[str, int] = {}
    for r in snapshot.reservations.values():
        if r.instance_type == instance_type and r.state == "active" and r.available > 0:
            reserved[r.zone] = reserved.get(r.zone, 0) + r.available
    return snapshot.offerings.get(instance_type, frozenset()), reserved
