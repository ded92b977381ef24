"""The "Hello GPU" smoke test of one pool: get a node, run ``nvidia-smi`` on it, clean up, report.

    preflight   MachineSet exists and is this env's; Argo CD would not revert a replica change;
                the GPU Operator's ClusterPolicy is ``ready`` (waits for it)
    capacity    a Ready node with allocatable accelerators already, or scale 0 -> 1 (recording the
                replicas), or, for an autoscaled pool, the pending pod makes the autoscaler add one
    waits       Machine created -> Provisioned -> Running, Node Ready, allocatable ``nvidia.com/gpu`` > 0;
                a ``Failed`` Machine or an unschedulable pod ends the run at the next poll
    pod         run the smoke pod, read its log, parse it (``nvidia_smi``)
    cleanup     always, also on timeout, error, SIGINT, SIGTERM and SIGHUP: delete the pod, restore the
                replicas, remove the record (``record``) written on the MachineSet before scaling it

All cluster access goes through a ``SmokeCluster`` (``ops.smoke.cluster.KubeSmokeCluster`` in real use),
and all waiting through the injected clock and sleep, so tests drive a whole run in milliseconds.
"""

from __future__ import annotations

import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from cluster_capacity.errors import CapacityError, ConfigError
from cluster_capacity.ops.smoke.options import SmokeCluster, SmokeOptions
from cluster_capacity.ops.smoke.pod import DEFAULT_IMAGES, SmokeTarget
from cluster_capacity.ops.smoke.report import SmokeResult
from cluster_capacity.ops.smoke.steps import SmokeFailure, SmokeRun

__all__ = ["SmokeCluster", "SmokeFailure", "SmokeOptions", "run_smoke"]

Obj = dict[str, Any]


class _Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived; a BaseException so no ``except Exception`` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals(run: SmokeRun) -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into ``_Interrupted`` while armed; restore the previous handlers after."""
    if not run.options.handle_signals or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        if run.armed:
            run.armed = False
            raise _Interrupted(signum)
        run.say(f"{signal.Signals(signum).name} received; cleaning up first, please wait")

    with stop_signals_handled(handler):
        yield


@contextmanager
def stop_signals_handled(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """Route SIGINT, SIGTERM and SIGHUP to ``handler``; restore the previous handlers after.

    SIGHUP is a closed terminal or SSH session: a run must clean up then too, not die with the pool up.
    """
    handled = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.getsignal(sig) for sig in handled}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


def run_smoke(cluster: SmokeCluster, target: SmokeTarget, options: SmokeOptions | None = None) -> SmokeResult:
    """Run the smoke test of ``target``; never raises for a failed check (see ``SmokeResult.verdict``)."""
    options = options or SmokeOptions()
    if target.accelerator == "neuron" and not options.allow_neuron:
        raise ConfigError(
            f"pool {target.pool} is a Neuron pool and the Inferentia gate is closed for env {target.env}: "
            f"open it with cluster-capacity inferentia check --env {target.env} --write"
        )
    result = SmokeResult(
        env=target.env,
        pool=target.pool,
        machineset=target.machineset,
        accelerator=target.accelerator,
        image=options.image or DEFAULT_IMAGES[target.accelerator],
        pod_namespace=options.namespace,
    )
    run = SmokeRun(
        cluster, target, options, result, start=options.clock(), run_id=options.run_id or secrets.token_hex(3)
    )
    with _signals(run):
        try:
            plan = run.plan = run.preflight()
            if plan == "scale":
                run.scale()
            elif plan == "autoscaler":
                result.capacity = "autoscaler (the pending smoke pod triggers a scale-up)"
                run.say(
                    f"pool {target.pool} autoscales: the pending smoke pod asks the autoscaler for a node"
                )
            elif plan != "existing node":
                result.capacity = plan
            if plan != "autoscaler":
                run.wait_capacity()
            run.create_pod()
            pod = run.wait("the smoke pod", run.pod_check)
            run.finish_pod(pod)
            result.verdict = "pass"
        except SmokeFailure as exc:
            result.reason, result.advice = exc.reason, exc.advice
        except _Interrupted as exc:
            name = signal.Signals(exc.signum).name
            result.reason = f"interrupted by {name} while waiting for {run.waiting_for or 'the cluster'}"
        except CapacityError as exc:
            result.reason = str(exc)
        finally:
            run.armed = False
            run.cleanup()
            if result.cleanup_errors and result.passed:
                result.verdict = "fail"
                result.reason = "cleanup failed: " + "; ".join(result.cleanup_errors)
            result.total_seconds = run.now()
    return result
