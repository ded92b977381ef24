"""Run one per-env job over a fleet's clusters at once, with a bounded pool; a failing cluster is a row.

Each env is reached through its own kube context (``kubeContext``, else its ``cluster.name``, else the
given default). Jobs are independent and I/O bound (API round trips), so threads suffice; the pool
bounds how many clusters are talked to at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster_capacity.errors import EXIT_DRIFT, EXIT_FAILED, CapacityError

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig

__all__ = ["DEFAULT_PARALLEL", "FleetRow", "fleet_exit_code", "run_fleet"]

DEFAULT_PARALLEL = 8


@dataclass(frozen=True)
class FleetRow:
    """One env's outcome: its exit code as the one-env command would return it, and a one-line summary."""

    env: str
    context: str | None
    exit_code: int
    summary: str
    #: Not run: the job does not apply to this env (``summary`` says why); counts as ok.
    skipped: bool = False

    @property
    def state(self) -> str:
        if self.skipped:
            return "skipped"
        return {0: "ok", EXIT_DRIFT: "drift"}.get(self.exit_code, "FAILED")


Job = Callable[["EnvConfig", "str | None"], tuple[int, str]]


def run_fleet(
    cfgs: Sequence[EnvConfig],
    job: Job,
    *,
    default_context: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    progress: Callable[[int, int], None] | None = None,
    skip: Callable[[EnvConfig], str | None] | None = None,
) -> list[FleetRow]:
    """``job(cfg, context)`` for every env, at most ``parallel`` at once; rows in the envs' order.

    A ``CapacityError`` (cluster unreachable, forbidden, bad kubeconfig context) becomes that env's row
    with exit code 1 and the error's first line; the other envs go on. An env for which ``skip``
    returns a reason is not run: its row is ``skipped`` with that reason.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    if parallel < 1:
        raise ValueError("parallel must be >= 1")

    def one(cfg: EnvConfig) -> FleetRow:
        context = cfg.env.context or default_context
        try:
            code, summary = job(cfg, context)
        except CapacityError as exc:
            lines = exc.lines()
            return FleetRow(
                cfg.env.name, context, exc.exit_code or EXIT_FAILED, lines[0] if lines else str(exc)
            )
        return FleetRow(cfg.env.name, context, code, summary)

    rows: dict[str, FleetRow] = {}
    todo = []
    for cfg in cfgs:
        reason = skip(cfg) if skip is not None else None
        if reason is None:
            todo.append(cfg)
        else:
            context = cfg.env.context or default_context
            rows[cfg.env.name] = FleetRow(cfg.env.name, context, 0, reason, skipped=True)
    with ThreadPoolExecutor(max_workers=min(parallel, max(1, len(todo)))) as pool:
        futures = [pool.submit(one, cfg) for cfg in todo]
        for done, future in enumerate(as_completed(futures), 1):
            row = future.result()
            rows[row.env] = row
            if progress is not None:
                progress(done, len(todo))
    return [rows[cfg.env.name] for cfg in cfgs]


def fleet_exit_code(rows: Sequence[FleetRow]) -> int:
    """1 when any env failed (or was unreachable), else 3 when any drifted, else 0."""
    codes = {r.exit_code for r in rows}
    if codes - {0, EXIT_DRIFT}:
        return EXIT_FAILED
    return EXIT_DRIFT if EXIT_DRIFT in codes else 0
