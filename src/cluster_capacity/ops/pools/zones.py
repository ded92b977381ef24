"""A pool that renders several MachineSets (``zones``, ``onDemandFallback``) seen as one pool.

Each MachineSet has its own `PoolStatus` (Git's share of replicas and bounds, what runs, why Machines are
not coming); the pool's row sums them, and says per zone when Spot has no capacity and whether the
On-Demand twin has taken over. A twin that has taken over is the fallback working as designed: the Spot
MachineSet's capacity errors (and its missing nodes) are then notes, not issues, so the pool is healthy
as long as the twin's nodes come.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cluster_capacity.ops.pools.report import PoolStatus

__all__ = ["STARVED", "group_pool"]

#: EC2 answers that mean "no Spot capacity for this MachineSet now": what the On-Demand twin is for.
STARVED = frozenset({"InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded", "SpotMaxPriceTooLow"})


def group_pool(pool: PoolStatus, members: Sequence[PoolStatus], *, autoscaled: bool) -> PoolStatus:
    """``pool`` (the pool's own fields: name, type, market, Git's bounds) over its MachineSets ``members``."""
    twins = {m.fallback_for: m for m in members if m.fallback_for}
    judged: list[PoolStatus] = []
    notes: list[str] = []
    for member in members:
        if member.fallback_for:
            judged.append(member)
            continue
        member = _starved(member)
        twin = twins.get(member.machineset)
        if twin is not None:
            member = _with_twin(member, twin, autoscaled=autoscaled)
        notes += [f"{_where(member)}: {n}" for n in member.notes]
        judged.append(member)
    live = [m.live for m in judged if m.live is not None]
    scalers = [m.live_autoscaler for m in judged if m.live_autoscaler is not None]
    phases: dict[str, int] = {}
    for m in judged:
        for phase, count in m.machines.items():
            phases[phase] = phases.get(phase, 0) + count
    zones = list(dict.fromkeys(m.zone for m in judged if m.zone))
    return replace(
        pool,
        zone=",".join(zones),
        desired=sum(m.desired for m in judged if not m.fallback_for),
        live=sum(live) if live else None,
        ready=sum(m.ready for m in judged),
        machines=phases,
        nodes_ready=sum(m.nodes_ready for m in judged),
        nodes=sum(m.nodes for m in judged),
        gpus=sum(m.gpus for m in judged),
        neuron=sum(m.neuron for m in judged),
        live_autoscaler=(sum(s[0] for s in scalers), sum(s[1] for s in scalers)) if scalers else None,
        problems=[p for m in judged for p in m.problems],
        issues=[f"{m.machineset}: {issue}" for m in judged for issue in m.issues],
        notes=notes,
        machine_sets=judged,
    )


def _starved(member: PoolStatus) -> PoolStatus:
    if not member.spot:
        return member
    reason = next((p.reason for p in member.problems if p.reason in STARVED), None)
    return replace(member, no_capacity=reason) if reason else member


def _where(member: PoolStatus) -> str:
    return member.zone or member.machineset


def _with_twin(member: PoolStatus, twin: PoolStatus, *, autoscaled: bool) -> PoolStatus:
    """The Spot MachineSet ``member`` beside its On-Demand ``twin``: has the twin taken over?"""
    where = f"Spot in {member.zone}" if member.zone else "Spot"
    twin_runs = f"{twin.live} replica(s), {twin.nodes_ready} node(s) Ready"
    if twin.live:
        if member.no_capacity is None:
            note = f"the On-Demand twin {twin.machineset} runs {twin_runs} beside Spot"
            return replace(
                member, fallback=twin.machineset, fallback_active=True, notes=[*member.notes, note]
            )
        starved = {p.machine for p in member.problems if p.reason in STARVED}
        # The twin covers what Spot cannot get: those Machines, and the nodes they never became, are no fault.
        issues = [
            i
            for i in member.issues
            if not any(i.startswith(f"Machine {name} ") for name in starved)
            and not i.endswith(" nodes Ready")
        ]
        note = (
            f"{where} has no capacity ({member.no_capacity}); the On-Demand twin {twin.machineset} has "
            f"taken over: {twin_runs}"
        )
        return replace(
            member, fallback=twin.machineset, fallback_active=True, issues=issues, notes=[*member.notes, note]
        )
    if member.no_capacity is not None and autoscaled:
        issue = (
            f"{where} has no capacity ({member.no_capacity}) and the On-Demand twin {twin.machineset} is "
            "not scaled up yet: the cluster autoscaler moves to it once the Spot scale-up has given no node "
            "within the ClusterAutoscaler's maxNodeProvisionTime (15m by default)"
        )
        return replace(member, fallback=twin.machineset, issues=[*member.issues, issue])
    return replace(member, fallback=twin.machineset)
