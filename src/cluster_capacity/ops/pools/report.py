"""What ``status`` reports: one `PoolStatus` per pool (with one per MachineSet of a fanned-out pool or a
pool with an On-Demand fallback), and the whole `StatusReport`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cluster_capacity.ops.discovery.discover import ApplicationFact, OperatorFact
from cluster_capacity.ops.pools.machines import MachineProblem

__all__ = ["PoolStatus", "StatusReport"]


@dataclass(frozen=True)
class PoolStatus:
    """One pool (or one MachineSet of a pool): desired from Git, and what runs.

    A pool that renders several MachineSets (``zones``, ``onDemandFallback``) holds one `PoolStatus` per
    MachineSet in ``machine_sets`` and the sums over them in its own fields.
    """

    name_suffix: str
    machineset: str
    enabled: bool
    instance_type: str
    zone: str
    spot: bool
    desired: int  # replicas in Git
    live: int | None  # spec.replicas of the live MachineSet; None when it does not exist
    ready: int  # status.readyReplicas
    machines: dict[str, int]  # phase -> count
    nodes_ready: int
    nodes: int
    gpus: int  # allocatable nvidia.com/gpu on Ready nodes (the shared resource when the pool shares)
    neuron: int  # allocatable aws.amazon.com/neuron on Ready nodes
    autoscaler: tuple[int, int] | None  # min/max in Git
    live_autoscaler: tuple[int, int] | None  # min/max of the live MachineAutoscaler
    accelerator: str | None
    problems: list[MachineProblem] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)  # pool-level reasons it is not healthy
    #: What the pool is doing that is not a fault: the On-Demand fallback standing in for Spot.
    notes: list[str] = field(default_factory=list)
    #: A fanned-out pool's (or a fallback pool's) MachineSets, Spot ones first, then the twins.
    machine_sets: list[PoolStatus] = field(default_factory=list)
    #: An On-Demand twin: the Spot MachineSet it stands in for.
    fallback_for: str | None = None
    #: A Spot MachineSet with a twin: the twin's name, and whether the twin has taken over (scaled up).
    fallback: str | None = None
    fallback_active: bool = False
    #: Why this MachineSet gets no capacity (an EC2 error: ``InsufficientInstanceCapacity``, ...).
    no_capacity: str | None = None

    @property
    def healthy(self) -> bool:
        """Disabled pools are not judged; enabled ones need no issue."""
        return not self.enabled or not self.issues

    def to_dict(self) -> dict[str, Any]:
        """Plain data (snake_case; ``StatusReport.to_dict`` turns it camelCase)."""
        raw = asdict(self)
        _plain(self, raw)
        return raw


def _plain(pool: PoolStatus, raw: dict[str, Any]) -> None:
    raw["healthy"] = pool.healthy
    for key in ("autoscaler", "live_autoscaler"):
        value = raw[key]
        raw[key] = {"min": value[0], "max": value[1]} if value else None
    for member, member_raw in zip(pool.machine_sets, raw["machine_sets"], strict=True):
        _plain(member, member_raw)


@dataclass(frozen=True)
class StatusReport:
    """Everything ``status`` shows."""

    env: str
    infra_id: str
    pools: list[PoolStatus]
    operators: list[OperatorFact]
    application: ApplicationFact | None
    gitops_namespace: str
    openshift_version: str = ""
    #: NVIDIA's guidance on this OpenShift version with the installed GPU Operator (``compat``).
    compatibility: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Every enabled pool healthy."""
        return all(p.healthy for p in self.pools)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``-o yaml|json``."""
        from cluster_capacity.ops.camel import camel_keys

        data = asdict(self)
        data["pools"] = [p.to_dict() for p in self.pools]
        data["healthy"] = self.healthy
        out: dict[str, Any] = camel_keys(data)
        return out
