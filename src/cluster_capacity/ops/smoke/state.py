"""What a smoke run holds while it runs (what it changed, what it saw) and its clock, progress and waits."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cluster_capacity.ops.smoke.options import SmokeCluster, SmokeOptions
from cluster_capacity.ops.smoke.pod import SmokeTarget
from cluster_capacity.ops.smoke.record import SmokeRecord
from cluster_capacity.ops.smoke.report import Phase, SmokeResult

T = TypeVar("T")
Obj = dict[str, Any]

# Container waiting reasons that will not fix themselves while we wait.
STUCK_REASONS = {
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
}


class SmokeFailure(Exception):
    """The smoke test failed for a reason a person can act on."""

    def __init__(self, reason: str, advice: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice or []


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(max(0.0, seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def condition(obj: Obj, kind: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def quantity(value: object) -> float:
    """Extended resources are whole numbers ("1", 4); anything unreadable counts as none."""
    try:
        return float(str(value))
    except ValueError:
        return 0.0


@dataclass
class RunState:
    """One run's state: what it changed (so cleanup can undo exactly that) and what it saw."""

    cluster: SmokeCluster
    target: SmokeTarget
    options: SmokeOptions
    result: SmokeResult
    start: float
    armed: bool = True
    last_mark: float = 0.0
    marked: set[str] = field(default_factory=set)
    known_machines: set[str] = field(default_factory=set)
    watched_machine: str | None = None
    usable_since: float | None = None
    plan: str = ""
    pod_name: str | None = None
    pod_created: bool = False
    scale_requested: bool = False
    live_node_labels: dict[str, str] | None = None
    live_taints: list[Obj] | None = None
    waiting_for: str = ""
    run_id: str = ""
    #: The record this run wrote on the MachineSet (before scaling it).
    record: SmokeRecord | None = None

    # -- time and progress ---------------------------------------------------------------------------

    def now(self) -> float:
        return self.options.clock() - self.start

    def say(self, message: str) -> None:
        # After SIGHUP the terminal is gone and writing to it fails; cleanup must go on regardless.
        with contextlib.suppress(OSError):
            self.options.progress(f"[{duration(self.now()):>6}] {message}")

    def mark(self, name: str, detail: str = "") -> None:
        if name in self.marked:
            return
        now = self.now()
        self.marked.add(name)
        self.result.phases.append(Phase(name, now - self.last_mark, now, detail))
        self.last_mark = now
        self.say(f"{name.replace('_', ' ')}" + (f": {detail}" if detail else ""))

    def wait(self, what: str, check: Callable[[], T | None]) -> T:
        """Poll ``check`` until it returns a value; it may raise SmokeFailure to end the run early."""
        self.waiting_for = what
        announced = False
        while True:
            value = check()
            if value is not None:
                return value
            remaining = self.options.timeout - self.now()
            if remaining <= 0:
                raise SmokeFailure(
                    f"timed out after {duration(self.options.timeout)} waiting for {self.waiting_for}",
                    [
                        "raise --timeout if this is only slow, or look at: "
                        f"cluster-capacity status --env {self.target.env}"
                    ],
                )
            if not announced:
                self.say(f"waiting for {self.waiting_for}")
                announced = True
            self.options.sleep(min(self.options.poll, remaining))
