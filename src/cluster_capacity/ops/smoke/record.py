"""What a smoke run changed, written on the objects themselves before it changes them, and undoing it.

A run that scales a pool first puts an annotation on the MachineSet (``RECORD``: the run id, the replicas
before and after, when and where it started, until when it may run) and labels its pod with the run id.
A run that ends, however it ends, restores the replicas and removes the annotation; one that cannot
(SIGKILL, a lost node, a dead laptop) leaves the annotation, and with it everything needed to undo the run:
``smoke --cleanup``, ``status`` and the next ``smoke`` on the pool read it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cluster_capacity import labels
from cluster_capacity.errors import CapacityError
from cluster_capacity.ops.smoke.options import SmokeCluster
from cluster_capacity.ops.smoke.pod import RUN_LABEL, SMOKE_LABEL, SmokeTarget

__all__ = [
    "RECORD",
    "RUN_LABEL",
    "CleanupReport",
    "SmokeRecord",
    "clean_up_pool",
    "cleanup_command",
    "read_record",
]

Obj = dict[str, Any]

#: MachineSet annotation: JSON of ``SmokeRecord``.
RECORD = "cluster-capacity/smoke-run"
#: How long after its timeout a run may still be cleaning up before its record counts as abandoned.
CLEANUP_MARGIN = dt.timedelta(minutes=5)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class SmokeRecord:
    """One run's changes to a pool, as the MachineSet annotation holds them."""

    run_id: str
    original_replicas: int
    scaled_to: int
    started: str  # UTC, ISO 8601
    deadline: str  # started + timeout + cleanup margin: after it, nobody is cleaning up any more
    host: str
    pid: int
    pod_namespace: str
    kept: bool = False  # ``--keep``: left scaled up on purpose

    @classmethod
    def new(
        cls,
        run_id: str,
        original: int,
        scaled_to: int,
        *,
        now: float,
        timeout: float,
        pod_namespace: str,
    ) -> SmokeRecord:
        started = dt.datetime.fromtimestamp(now, dt.timezone.utc)
        deadline = started + dt.timedelta(seconds=timeout) + CLEANUP_MARGIN
        return cls(
            run_id,
            original,
            scaled_to,
            _iso(started),
            _iso(deadline),
            socket.gethostname(),
            os.getpid(),
            pod_namespace,
        )

    def annotation(self) -> str:
        data = {
            "runId": self.run_id,
            "originalReplicas": self.original_replicas,
            "scaledTo": self.scaled_to,
            "started": self.started,
            "deadline": self.deadline,
            "host": self.host,
            "pid": self.pid,
            "podNamespace": self.pod_namespace,
            "kept": self.kept,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def kept_up(self) -> SmokeRecord:
        return replace(self, kept=True)

    def abandoned(self, now: float, *, alive: Callable[[int], bool] | None = None) -> bool:
        """Whether no run is looking after this record any more: its process is gone, or its time is up."""
        if self.kept:
            return False
        if self.host == socket.gethostname() and not (alive or _alive)(self.pid):
            return True
        deadline = _parse(self.deadline)
        return deadline is not None and dt.datetime.fromtimestamp(now, dt.timezone.utc) > deadline

    def describe(self) -> str:
        return f"smoke run {self.run_id} (started {self.started} on {self.host}, pid {self.pid})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def read_record(machineset: Obj | None) -> SmokeRecord | None:
    """The smoke record on a MachineSet, or None (also for an annotation that is not ours to read)."""
    annotations = ((machineset or {}).get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(RECORD)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return SmokeRecord(
            run_id=str(data["runId"]),
            original_replicas=int(data["originalReplicas"]),
            scaled_to=int(data["scaledTo"]),
            started=str(data.get("started", "")),
            deadline=str(data.get("deadline", "")),
            host=str(data.get("host", "")),
            pid=int(data.get("pid", 0)),
            pod_namespace=str(data.get("podNamespace", "default")),
            kept=bool(data.get("kept", False)),
        )
    except (ValueError, KeyError, TypeError):
        return None


def cleanup_command(env: str, pool: str) -> str:
    """The command that undoes what an interrupted smoke run left on pool ``pool`` of ``env``."""
    return f"cluster-capacity smoke --cleanup --env {env} --pool {pool}"


def pod_selector(target: SmokeTarget) -> str:
    return f"{SMOKE_LABEL}=true,{labels.POOL}={target.pool}"


@dataclass
class CleanupReport:
    """What ``clean_up_pool`` did, and what it could not do."""

    record: SmokeRecord | None = None
    done: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return self.record is None and not self.done and not self.errors


def clean_up_pool(
    cluster: SmokeCluster, target: SmokeTarget, *, namespaces: tuple[str, ...] = ("default",)
) -> CleanupReport:
    """Undo what interrupted smoke runs left on a pool: their pods, and the replicas their record names.

    Pods are found by their labels in ``namespaces`` and in the namespace the record names; the replicas
    are put back only when they are still what the run set (someone else's later change is left alone).
    """
    t = target
    report = CleanupReport()
    ms = cluster.machineset(t.namespace, t.machineset)
    record = report.record = read_record(ms)
    wanted = dict.fromkeys([*namespaces, *([record.pod_namespace] if record else [])])
    for ns in wanted:
        try:
            pods = cluster.pods(ns, pod_selector(t))
        except CapacityError as exc:
            report.errors.append(f"list smoke pods in {ns}: {exc}")
            continue
        for pod in pods:
            pod_env = ((pod.get("metadata") or {}).get("labels") or {}).get(labels.ENV)
            if pod_env not in (None, t.env):
                continue
            name = pod["metadata"]["name"]
            try:
                cluster.delete_pod(ns, name)
                report.done.append(f"deleted smoke pod {ns}/{name}")
            except CapacityError as exc:
                report.errors.append(f"delete pod {ns}/{name}: {exc}")
    if record is None or ms is None:
        return report
    current = int((ms.get("spec") or {}).get("replicas") or 0)
    try:
        if current == record.scaled_to and current != record.original_replicas:
            cluster.scale_machineset(t.namespace, t.machineset, record.original_replicas)
            report.done.append(
                f"restored MachineSet {t.machineset} replicas to {record.original_replicas} "
                f"(left at {current} by {record.describe()})"
            )
        elif current != record.original_replicas:
            report.done.append(
                f"MachineSet {t.machineset} is at {current} replicas, not the {record.scaled_to} "
                f"{record.describe()} set: someone changed it since; left as is "
                f"(it was {record.original_replicas} before the run)"
            )
        cluster.annotate_machineset(t.namespace, t.machineset, RECORD, None)
        report.done.append(f"removed the smoke record of run {record.run_id} from MachineSet {t.machineset}")
    except CapacityError as exc:
        report.errors.append(f"restore MachineSet {t.machineset}: {exc}")
    return report
