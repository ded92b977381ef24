"""``inferentia check``: is the AWS Neuron stack feasible on this cluster, and is the gate open?

Each row of the verdict reads the live cluster (through `cluster_capacity.kube`) or AWS (through
`cluster_capacity.aws.client` and the planner) and says pass, warn or fail, what it found and what to do.
A check with no failing row may be recorded in the env's values file (`record`), which opens the gate
that ``render`` and ``validate`` enforce; a failing one recorded there keeps it closed.

Requests: GETs of Infrastructure and ClusterVersion, one LIST of worker Nodes (a page per 500) and one of
Subscriptions, then per operator one GET of its CSV (when subscribed) or of its PackageManifest (when
not), and one discovery GET for the NodeFeatureRule API: eight on a cluster with up to 500 workers
(``benchmarks/bench_inferentia.py``). AWS: the planner's ``fetch_snapshot`` for the pools' families and
markets only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cluster_capacity.errors import AwsError, ConfigError
from cluster_capacity.ops.inferentia import aws_rows, cluster_rows
from cluster_capacity.ops.inferentia import rows as rows_
from cluster_capacity.ops.inferentia.rows import BEST_EFFORT_MIN, SUPPORTED_MIN, Row, Status

if TYPE_CHECKING:
    from cluster_capacity.aws.client import Aws
    from cluster_capacity.aws.snapshot import QuotaKey, Snapshot
    from cluster_capacity.config import EnvConfig, MachineSetPool, Values
    from cluster_capacity.config.edit import YamlDocument
    from cluster_capacity.config.operators import InferentiaConfig
    from cluster_capacity.kube import Kube

__all__ = [
    "BEST_EFFORT_MIN",
    "SUPPORTED_MIN",
    "CheckReport",
    "Gate",
    "Row",
    "check",
    "gate_state",
    "load_env_for_check",
    "record",
]

_RANK: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Gate:
    """Whether the feasibility gate is open for the live cluster, and why."""

    open: bool
    reason: str

    def __str__(self) -> str:
        return f"{'OPEN' if self.open else 'CLOSED'}: {self.reason}"


@dataclass(frozen=True)
class CheckReport:
    """What ``inferentia check`` found: the rows, the cluster's facts, and the gate as the values record it."""

    env: str
    checked_at: dt.date
    cluster_version: str
    platform: str
    region: str
    kernels: tuple[str, ...]
    rows: tuple[Row, ...]
    #: The gate as the values record it, held against the live cluster (before any ``--write``).
    gate: Gate
    pools: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> Status:
        """The worst row: ``fail``, ``warn`` or ``pass``."""
        return max((r.status for r in self.rows), key=_RANK.__getitem__, default="pass")

    @property
    def passed(self) -> bool:
        """No row fails (warnings do not block)."""
        return self.verdict != "fail"

    def findings(self) -> list[str]:
        """One line per row, as recorded in the values file."""
        return [f"{r.status}: {r.title}: {r.found}" for r in self.rows]

    def feasibility(self) -> dict[str, Any]:
        """The ``inferentia.feasibility`` mapping this check records (camelCase, as in the values file)."""
        return {
            "passed": self.passed,
            "clusterVersion": self.cluster_version or "unknown",
            "checkedAt": self.checked_at,
            "platform": self.platform or "unknown",
            "findings": self.findings(),
        }

    def gate_after_record(self) -> Gate:
        """The gate once this check is recorded with `record`."""
        if self.passed:
            return Gate(True, f"a passed check for OpenShift {self.cluster_version} is recorded")
        return Gate(False, "the recorded check did not pass; fix the failing rows and check again")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``-o json|yaml``."""
        return {
            "env": self.env,
            "checkedAt": self.checked_at.isoformat(),
            "clusterVersion": self.cluster_version,
            "platform": self.platform,
            "region": self.region,
            "kernels": list(self.kernels),
            "pools": list(self.pools),
            "verdict": self.verdict,
            "passed": self.passed,
            "gate": {"open": self.gate.open, "reason": self.gate.reason},
            "rows": [r.to_dict() for r in self.rows],
        }


# --- loading the env --------------------------------------------------------------------------------------


def load_env_for_check(project_path: str | Path | None, env_name: str, sets: Sequence[str] = ()) -> EnvConfig:
    """Like `config.load_env`, but an env whose only problem is the closed gate still loads.

    The gate refuses enabled Neuron pools until a check is recorded, and the check needs those pools:
    every other rule still applies (a bad config is still exit 2).
    """
    from cluster_capacity.config import load_env

    return load_env(project_path, env_name, sets, gate=False)


# --- the gate ---------------------------------------------------------------------------------------------


def gate_state(inferentia: InferentiaConfig, live_version: str | None) -> Gate:
    """The gate the values record, held against the cluster's version (None: not known)."""
    feas = inferentia.feasibility
    if not inferentia.enabled:
        return Gate(False, "inferentia.enabled is not set in the values")
    if feas is None:
        return Gate(False, "no feasibility check is recorded in the values")
    when = f"{feas.checked_at}"
    if not feas.passed:
        return Gate(False, f"the check recorded on {when} (OpenShift {feas.cluster_version}) did not pass")
    if live_version and feas.cluster_version != live_version:
        return Gate(
            False,
            f"the recorded check (on {when}) is for OpenShift {feas.cluster_version}, but the cluster runs "
            f"{live_version}: check again",
        )
    return Gate(True, f"a passed check for OpenShift {feas.cluster_version} is recorded (on {when})")


# --- the check --------------------------------------------------------------------------------------------


def check(
    kube: Kube,
    config: EnvConfig,
    *,
    aws: Aws | None = None,
    snapshot: Snapshot | None = None,
    quota_overrides: Mapping[QuotaKey, int] | None = None,
    pools: Sequence[MachineSetPool] | None = None,
    region: str | None = None,
    profile: str | None = None,
    today: dt.date | None = None,
) -> CheckReport:
    """Run every feasibility row against the cluster and AWS for the env's Neuron pools.

    ``pools`` defaults to the env's enabled Neuron pools (or, when none is enabled, every Neuron pool it
    declares). AWS facts come from ``snapshot`` when given, else from ``aws`` (default: a session for
    ``profile`` in ``region``, else the cluster's region, else the pools'); ``quota_overrides`` are
    what-if quotas as in ``plan --quota``. An unreachable cluster raises `ClusterError`; what the API or
    AWS refuse (RBAC, credentials) becomes a failing row.
    """
    values = config.values
    facts = rows_.ClusterFacts()
    rows = [
        rows_.guard("platform", "Platform", cluster_rows.platform_row, kube, facts),
        rows_.guard("openshift", "OpenShift version", cluster_rows.version_row, kube, facts),
        rows_.guard("kernel", "Worker kernel", cluster_rows.kernel_row, kube, facts),
        *cluster_rows.operator_rows(kube, values),
    ]
    chosen = list(pools) if pools is not None else _neuron_pools(values)
    if chosen:
        rows.extend(_aws_rows(values, chosen, facts, aws, snapshot, quota_overrides, region, profile))
    else:
        rows.append(rows_.no_pools(config.env.name))
    return CheckReport(
        env=config.env.name,
        checked_at=today or dt.date.today(),
        cluster_version=facts.version,
        platform=facts.platform,
        region=facts.region,
        kernels=facts.kernels,
        rows=tuple(rows),
        gate=gate_state(values.inferentia, facts.version or None),
        pools=tuple(p.name_suffix for p in chosen),
    )


def _neuron_pools(values: Values) -> list[MachineSetPool]:
    neuron = [p for p in values.machine_sets if p.accelerator == "neuron"]
    enabled = [p for p in neuron if p.enabled and values.enabled]
    return enabled or neuron


def _aws_rows(
    values: Values,
    chosen: Sequence[MachineSetPool],
    facts: rows_.ClusterFacts,
    aws: Aws | None,
    snapshot: Snapshot | None,
    overrides: Mapping[QuotaKey, int] | None,
    region: str | None,
    profile: str | None,
) -> list[Row]:
    from cluster_capacity.aws import plan as planning
    from cluster_capacity.instances import quota_family

    demands = [
        planning.PoolDemand(
            name=p.name_suffix,
            instance_type=p.instance_type or "",
            zone=p.zone or "",
            spot=p.spot,
            replicas=p.replicas,
            max_replicas=p.autoscaler.max_replicas if p.autoscaler.enabled else None,
            machineset=p.machineset_name(values.infra_id) if values.infra_id else None,
        )
        for p in chosen
    ]
    overrides = dict(overrides or {})
    try:
        if snapshot is not None:
            snap = snapshot.with_quotas(overrides)
        else:
            from cluster_capacity.aws.client import Aws
            from cluster_capacity.aws.fetch import fetch_snapshot

            if aws is None:
                zone_regions = {planning.region_of_zone(d.zone) for d in demands} - {None}
                pools_region = zone_regions.pop() if len(zone_regions) == 1 else None
                aws = Aws(profile, region or facts.region or pools_region)
            # Every Neuron type matches the inf*/trn* name patterns: a type that does not exist is simply
            # absent from the catalog and gets its own failing row (no exact lookup that would raise).
            snap = fetch_snapshot(
                aws,
                sorted({quota_family(d.instance_type) for d in demands}),
                sorted({d.market for d in demands}),
                quota_overrides=overrides,
            )
    except AwsError as exc:
        return [rows_.aws_failure(str(exc))]
    out = [aws_rows.offered_row(d, snap, facts) for d in demands]
    out.extend(aws_rows.quota_rows(demands, snap, profile))
    return out


# --- recording ------------------------------------------------------------------------------------------


def record(report: CheckReport, values_file: str | Path) -> YamlDocument:
    """Edit ``values_file`` (round trip) to record ``report``; the caller saves or diffs the document.

    A passed check sets ``inferentia.enabled: true`` and the feasibility; a failed one records
    ``passed: false`` with its findings, which keeps (or puts) the gate closed.
    """
    from cluster_capacity.config.edit import YamlDocument, to_yaml

    doc = YamlDocument.load(values_file)
    if doc.get(["inferentia"]) is not None and not isinstance(doc.get(["inferentia"]), dict):
        raise ConfigError(f"{values_file}: inferentia must be a mapping to record the check")
    if report.passed:
        doc.set(["inferentia", "enabled"], True)
    feasibility = report.feasibility()
    current = doc.get(["inferentia", "feasibility"])
    if current is not None and not isinstance(current, dict):
        doc.set(["inferentia", "feasibility"], to_yaml(feasibility))
        return doc
    for name, value in feasibility.items():
        doc.set(["inferentia", "feasibility", name], to_yaml(value))
    return doc
