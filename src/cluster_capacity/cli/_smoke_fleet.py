"""``smoke --all --pool P``: the smoke test of pool P in every env that has it, over each env's cluster.

Runs go through the ``--all`` machinery (bounded pool, one table, the fleet's exit code, an unreachable
cluster is a row). Runs happen in worker threads, where a run cannot install signal handlers, so this
module owns SIGINT/SIGTERM/SIGHUP for the fleet: the first one stops every run at its next wait, and
each run then cleans up (pod deleted, replicas restored) as a one-env run does.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from cluster_capacity.cli._fleet import run_all
from cluster_capacity.errors import EXIT_FAILED, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.aws.snapshot import Snapshot
    from cluster_capacity.config import EnvConfig
    from cluster_capacity.ops.smoke.report import SmokeResult


#: The event the signal handlers set (a seam for tests).
_new_stop = threading.Event


def _pool_names(cfg: EnvConfig, *, enabled: bool = False) -> list[str]:
    return [p.name_suffix for p in cfg.values.machine_sets if p.enabled or not enabled]


def smoke_all(
    project: Path | None,
    pool: str | None,
    *,
    kubeconfig: Path | None,
    context: str | None,
    parallel: int,
    timeout: float,
    poll: float,
    keep: bool,
    image: str | None,
    namespace: str,
    report: Path | None,
    cleanup: bool,
    zone: str | None = None,
    snapshot: Snapshot | None = None,
) -> None:
    """Smoke-test (or ``--cleanup``) pool ``pool`` in every env of the project that has it."""
    from cluster_capacity.ops.smoke.cluster import connect
    from cluster_capacity.ops.smoke.pod import targets_from_env
    from cluster_capacity.ops.smoke.run import SmokeOptions, run_smoke
    from cluster_capacity.ops.smoke.state import SmokeFailure
    from cluster_capacity.ops.smoke.zones import choose_zone

    if pool is None:
        raise ConfigError("smoke --all needs --pool NAME: the nameSuffix of the pool to test in every env")

    def check(cfgs: Sequence[EnvConfig]) -> None:
        known = sorted({name for cfg in cfgs for name in _pool_names(cfg)})
        if pool not in known:
            from cluster_capacity.validate._checker import did_you_mean

            guess = did_you_mean(pool, known)
            hint = f"; did you mean {guess}?" if guess else f" (pools: {', '.join(known) or 'none'})"
            raise ConfigError(f"--pool {pool}: no env of the project has a pool with that nameSuffix{hint}")
        if not any(pool in _pool_names(cfg, enabled=True) for cfg in cfgs):
            raise ConfigError(f"--pool {pool}: the pool is not enabled in any env")

    def skip(cfg: EnvConfig) -> str | None:
        if pool not in _pool_names(cfg):
            return f"no pool {pool}"
        return None if pool in _pool_names(cfg, enabled=True) else f"pool {pool} is not enabled"

    stop = _new_stop()
    results: dict[str, SmokeResult] = {}
    lock = threading.Lock()

    def job(cfg: EnvConfig, kube_context: str | None) -> tuple[int, str]:
        from cluster_capacity.cli._smoke_cleanup import clean_up

        if stop.is_set():
            return EXIT_FAILED, "not run: the fleet run was stopped"
        targets = targets_from_env(cfg, pool, zone)
        env = cfg.env.name
        cluster = connect(kubeconfig, kube_context)
        if cleanup:
            code = clean_up(cluster, targets, namespace)
            return code, "cleaned up" if code == 0 else "cleanup FAILED (see above)"

        def sleep(seconds: float) -> None:
            if stop.wait(seconds):
                raise SmokeFailure("interrupted: the fleet run was stopped (SIGINT, SIGTERM or SIGHUP)")

        options = SmokeOptions(
            timeout=timeout,
            poll=poll,
            keep=keep,
            image=image,
            namespace=namespace,
            allow_neuron=cfg.values.inferentia.gate_open,
            sleep=sleep,
            progress=lambda message: print(f"{env}: {message}", file=sys.stderr, flush=True),
            handle_signals=False,
            run_id=None,
        )
        choice = choose_zone(cluster, targets, snapshot)
        if len(targets) > 1:
            options.progress(f"testing MachineSet {choice.target.machineset} ({choice.why})")
        result = run_smoke(cluster, choice.target, options)
        with lock:
            results[env] = result
        return result.exit_code, _summary(result)

    with _stop_on_signals(stop):
        try:
            run_all(
                project,
                job,
                context=context,
                parallel=parallel,
                title=f"Smoke test of pool {pool} in every env",
                skip=skip,
                check=check,
            )
        finally:
            if report is not None and results:
                from cluster_capacity.ops.smoke.report import write_report

                write_report([results[name] for name in sorted(results)], report)
                print(f"report written to {report}", file=sys.stderr)


def _summary(result: SmokeResult) -> str:
    from cluster_capacity.ops.smoke.report import format_summary

    if result.passed:
        gpu = format_summary(result).splitlines()
        facts = next((line.strip() for line in gpu if line.strip().startswith(("gpu:", "neuron:"))), "")
        return f"PASS {facts}".strip() + f" ({result.total_seconds:.0f}s)"
    problems = [result.reason or "failed", *(f"cleanup FAILED: {c}" for c in result.cleanup_errors)]
    return "FAIL " + "; ".join(problems)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        if not stop.is_set():
            print(
                f"{signal.Signals(signum).name} received; stopping every env's run and cleaning up first",
                file=sys.stderr,
                flush=True,
            )
        stop.set()

    from cluster_capacity.ops.smoke.run import stop_signals_handled

    with stop_signals_handled(handler):
        yield
