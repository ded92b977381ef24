"""Pool status: desired (Git) against live (MachineSets, Machines, Nodes), operators and Argo CD.

Requests: one LIST each of MachineSets, Machines, MachineAutoscalers and Nodes, four for the operators
(Subscriptions, CSVs, ClusterPolicies, NodeFeatureDiscoveries), one GET of the Application and one of the
ClusterVersion (NVIDIA's guidance is checked against the live OpenShift version): ten,
whatever the size of the cluster (up to 1,000 objects of a kind per page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cluster_capacity import labels
from cluster_capacity.config.fanout import PoolMachineSet, ZoneRewriteError, pool_machinesets
from cluster_capacity.config.sharing import mig_strategy, pool_shares
from cluster_capacity.ops.discovery.discover import (
    MACHINE_API_NAMESPACE,
    gpu_operator_advice,
    openshift_version,
    read_application,
    read_operators,
)
from cluster_capacity.ops.pools.machines import MachineProblem, machine_problem
from cluster_capacity.ops.pools.report import PoolStatus, StatusReport
from cluster_capacity.ops.pools.zones import group_pool

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig, MachineSetPool
    from cluster_capacity.kube import Kube

__all__ = ["PHASES", "PoolStatus", "StatusReport", "pool_status"]

PHASES = ("Provisioning", "Provisioned", "Running", "Deleting", "Failed")
GPU = labels.GPU_RESOURCE
NEURON = labels.NEURON_RESOURCE

Obj = dict[str, Any]


def pool_status(
    kube: Kube,
    cfg: EnvConfig,
    *,
    now: dt.datetime | None = None,
    offerings: Mapping[str, Iterable[str]] | None = None,
) -> StatusReport:
    """Status of every pool in the env's values (enabled or not) against the live cluster.

    ``offerings`` (instance type -> zones, from a ``plan`` snapshot) lets capacity advice name the zones
    that offer the type.
    """
    from cluster_capacity import kube as k

    values = cfg.values
    infra_id = values.infra_id or ""
    env = cfg.env.name
    now = now or dt.datetime.now(dt.timezone.utc)
    pools = list(values.machine_sets)
    units = {id(p): _units(p, infra_id) for p in pools}
    names = {u.name: p for p in pools for u in units[id(p)]}

    live_sets = {
        m["metadata"]["name"]: m
        for m in kube.list(
            k.MACHINESETS,
            MACHINE_API_NAMESPACE,
            label_selector=f"{labels.MANAGED_BY}={labels.MANAGED_BY_VALUE}",
        )
    }
    machines: list[Obj] = []
    if names:
        selector = f"{labels.MACHINESET} in ({','.join(sorted(names))})"
        machines = kube.list(k.MACHINES, MACHINE_API_NAMESPACE, label_selector=selector)
    autoscalers = {
        ((a.get("spec") or {}).get("scaleTargetRef") or {}).get("name"): a
        for a in _optional(kube, k.MACHINEAUTOSCALERS, MACHINE_API_NAMESPACE)
    }
    nodes = {n["metadata"]["name"]: n for n in kube.list(k.NODES)} if machines else {}
    operators = read_operators(kube)
    gitops_ns = cfg.project.project.gitops_namespace
    application = read_application(kube, env, gitops_ns)

    by_set: dict[str, list[Obj]] = {}
    for m in machines:
        by_set.setdefault((m["metadata"].get("labels") or {}).get(labels.MACHINESET, ""), []).append(m)
    region = ""
    for pool in pools:
        region = region or str(((pool.provider_spec or {}).get("placement") or {}).get("region") or "")

    strategy = mig_strategy(values)
    results = []
    for pool in pools:
        members = [
            _left_by_smoke(
                _one_pool(
                    pool,
                    unit,
                    live_sets.get(unit.name),
                    by_set.get(unit.name, []),
                    nodes,
                    autoscalers.get(unit.name),
                    region,
                    now,
                    offerings,
                    gpu_resource=pool_shares(pool, strategy).resource,
                ),
                live_sets.get(unit.name),
                env,
            )
            for unit in units[id(pool)]
        ]
        if len(members) == 1 and units[id(pool)][0].zone is None:
            results.append(members[0])
            continue
        whole = replace(
            members[0],
            machineset=pool.machineset_name(infra_id),
            spot=pool.spot,
            autoscaler=(
                (pool.autoscaler.min_replicas, pool.autoscaler.max_replicas)
                if pool.autoscaler.enabled
                else None
            ),
            fallback=None,
        )
        results.append(group_pool(whole, members, autoscaled=pool.autoscaler.enabled))
    version = openshift_version(kube.get_or_none(k.CLUSTERVERSIONS, "version") or {})
    return StatusReport(
        env,
        infra_id,
        results,
        operators,
        application,
        gitops_ns,
        openshift_version=version,
        compatibility=gpu_operator_advice(version, operators),
    )


def _left_by_smoke(pool: PoolStatus, live: Obj | None, env: str) -> PoolStatus:
    """A pool an interrupted smoke run left scaled up bills for a node nobody asked for: say so, and how."""
    from cluster_capacity.ops.smoke.record import cleanup_command, read_record

    record = read_record(live)
    if record is None or record.kept:
        return pool
    issue = (
        f"left at {pool.live} replicas by {record.describe()}, which has not put it back to "
        f"{record.original_replicas}; unless that run is still going: "
        f"{cleanup_command(env, pool.name_suffix)}"
    )
    return replace(pool, issues=[*pool.issues, issue])


def _units(pool: MachineSetPool, infra_id: str) -> list[PoolMachineSet]:
    """The MachineSets ``pool`` renders; a pool whose zones cannot be rendered (the rules refuse it) as one."""
    try:
        return pool_machinesets(pool, infra_id)
    except ZoneRewriteError:
        return [PoolMachineSet(pool.machineset_name(infra_id), None, {}, pool.replicas, 0, 0, pool.spot)]


def _one_pool(
    pool: MachineSetPool,
    unit: PoolMachineSet,
    live: Obj | None,
    machines: list[Obj],
    nodes: dict[str, Obj],
    autoscaler: Obj | None,
    region: str,
    now: dt.datetime,
    offerings: Mapping[str, Iterable[str]] | None = None,
    *,
    gpu_resource: str = GPU,
) -> PoolStatus:
    """One MachineSet ``unit`` of ``pool``; ``gpu_resource`` is what its nodes advertise
    (``nvidia.com/gpu.shared`` when shared so)."""
    name = unit.name
    phases = {phase: 0 for phase in PHASES}
    problems: list[MachineProblem] = []
    ready_nodes = total_nodes = gpus = neuron = 0
    for m in sorted(machines, key=lambda m: m["metadata"]["name"]):
        status = m.get("status") or {}
        phase = str(status.get("phase") or "Provisioning")
        if m["metadata"].get("deletionTimestamp"):
            phase = "Deleting"
        phases[phase] = phases.get(phase, 0) + 1
        problem = machine_problem(m, region=region, now=now, offerings=offerings)
        if problem is not None:
            problems.append(problem)
        node = nodes.get(((status.get("nodeRef") or {}).get("name")) or "")
        if node is None:
            continue
        total_nodes += 1
        if _ready(node):
            ready_nodes += 1
            allocatable = (node.get("status") or {}).get("allocatable") or {}
            gpus += _int(allocatable.get(gpu_resource))
            neuron += _int(allocatable.get(NEURON))
    live_replicas = int((live.get("spec") or {}).get("replicas") or 0) if live else None
    ready = int((live.get("status") or {}).get("readyReplicas") or 0) if live else 0
    git_autoscaler = (unit.min_replicas, unit.max_replicas) if pool.autoscaler.enabled else None
    live_autoscaler = None
    if autoscaler is not None:
        spec = autoscaler.get("spec") or {}
        live_autoscaler = (int(spec.get("minReplicas") or 0), int(spec.get("maxReplicas") or 0))
    issues: list[str] = []
    accelerator = pool.accelerator
    if pool.enabled:
        if live is None:
            issues.append(f"MachineSet {name} does not exist: Argo CD has not synced it (or it was deleted)")
        else:
            if ready_nodes < (live_replicas or 0):
                issues.append(f"{ready_nodes} of {live_replicas} nodes Ready")
            if accelerator == "nvidia" and ready_nodes and gpus == 0:
                issues.append(
                    f"Ready nodes show no allocatable {gpu_resource}: GPU Operator driver or device "
                    "plugin not running"
                )
            if accelerator == "neuron" and ready_nodes and neuron == 0:
                issues.append(
                    "Ready nodes show no allocatable aws.amazon.com/neuron: Neuron operator not running"
                )
        issues.extend(f"Machine {p.machine} {p.phase}: {p.reason}" for p in problems)
    return PoolStatus(
        name_suffix=pool.name_suffix,
        machineset=name,
        enabled=pool.enabled,
        instance_type=pool.instance_type or "",
        zone=unit.zone or pool.zone or "",
        spot=unit.spot,
        desired=unit.replicas,
        live=live_replicas,
        ready=ready,
        machines={k: v for k, v in phases.items() if v},
        nodes_ready=ready_nodes,
        nodes=total_nodes,
        gpus=gpus,
        neuron=neuron,
        autoscaler=git_autoscaler,
        live_autoscaler=live_autoscaler,
        accelerator=accelerator,
        problems=problems,
        issues=issues,
        fallback_for=unit.fallback_for,
    )


def _ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _optional(kube: Kube, resource: Any, namespace: str) -> list[Obj]:
    from cluster_capacity import kube as k

    try:
        return kube.list(resource, namespace, label_selector=f"{labels.MANAGED_BY}={labels.MANAGED_BY_VALUE}")
    except k.NotServedError:
        return []
