"""run_fleet: bounded concurrency, rows in the envs' order, errors as rows; the fleet's exit code."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cluster_capacity.config import EnvConfig, load_envs
from cluster_capacity.errors import ClusterError
from cluster_capacity.ops.fleet import FleetRow, fleet_exit_code, run_fleet
from tests.conftest import EXAMPLES


def test_rows_in_order_at_most_parallel_at_once_and_errors_as_rows(tmp_path: Path) -> None:
    cfgs = load_envs(EXAMPLES) * 5  # prod, dev, prod, dev, ...
    running, peak, lock = 0, 0, threading.Lock()
    seen: list[int] = []

    def job(cfg: EnvConfig, context: str | None) -> tuple[int, str]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        if cfg.env.name == "dev":
            raise ClusterError("cannot connect: connection refused")
        return 0, f"ok via {context}"

    rows = run_fleet(cfgs[:2], job, default_context="ctx", parallel=3, progress=lambda d, t: seen.append(d))
    assert rows == [
        FleetRow("prod", "ctx", 0, "ok via ctx"),
        FleetRow("dev", "ctx", 1, "cannot connect: connection refused"),
    ]
    assert seen == [1, 2]
    run_fleet(cfgs, job, parallel=3)
    assert peak == 3


def test_fleet_exit_code() -> None:
    def rows(*codes: int) -> list[FleetRow]:
        return [FleetRow(f"e{i}", None, c, "") for i, c in enumerate(codes)]

    assert fleet_exit_code(rows(0, 0)) == 0
    assert fleet_exit_code(rows(0, 3)) == 3
    assert fleet_exit_code(rows(3, 1, 0)) == 1
    assert fleet_exit_code(rows(2)) == 1
    assert [r.state for r in rows(0, 3, 1)] == ["ok", "drift", "FAILED"]
