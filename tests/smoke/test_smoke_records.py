"""A smoke run never strands a GPU node: its record on the MachineSet, SIGHUP, SIGKILL, --cleanup, status.

The CLI runs in its own process against the emulator (served from this process), and is interrupted the
way people and CI interrupt it: a closed terminal (SIGHUP) and a hard kill (SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.labels import MACHINESET
from cluster_capacity.ops.smoke.pod import RUN_LABEL, SMOKE_LABEL
from cluster_capacity.ops.smoke.record import RECORD, SmokeRecord, read_record
from tests.conftest import REPO
from tests.emulator import KubeEmulator, ResourceType, openshift

from .test_smoke_cli import INFRA, MS, POOL, project, run  # noqa: F401

NS = openshift.MACHINE_API_NS
Obj = dict[str, Any]


@pytest.fixture
def pool_at_zero(kube_emulator: KubeEmulator, project: Path) -> list[tuple[str, Obj]]:  # noqa: F811
    """The example env with a pool the smoke test scales itself; returns the MachineSet writes seen."""
    path = project / "values" / "values-prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["machineSets"][0]["autoscaler"]["enabled"] = False
    data["autoscaling"]["clusterAutoscaler"]["enabled"] = False
    path.write_text(yaml.safe_dump(data))
    openshift.seed_cluster(kube_emulator, infra_id=INFRA, with_gpu_pool=False)
    kube_emulator.add(openshift.gpu_machineset(POOL, infra_id=INFRA, replicas=0, spot=True))
    writes: list[tuple[str, Obj]] = []

    def machine_controller(verb: str, rtype: ResourceType, obj: Obj) -> None:
        if rtype.kind != "MachineSet" or obj["metadata"]["name"] != MS:
            return
        writes.append((verb, obj))
        # Scaled to 1: a Machine comes, and its Node with a GPU (the pod then waits, Pending, forever).
        if obj["spec"].get("replicas") == 1 and not kube_emulator.list("Machine", NS, f"{MACHINESET}={MS}"):
            machine = openshift.machine(obj, 0, "Running")
            kube_emulator.add(machine)
            kube_emulator.add(openshift.node_for(machine, gpus=1))

    kube_emulator.on_write(machine_controller)
    return writes


def _start(kubeconfig: Path, project: Path, *extra: str) -> subprocess.Popen[str]:  # noqa: F811
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from cluster_capacity.cli import main; sys.exit(main(sys.argv[1:]))",
            *("smoke", "--project", str(project), "--env", "prod", "--kubeconfig", str(kubeconfig)),
            *("--poll", "0.05s", *extra),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen[str], what: str, check: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if check():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the smoke run never got to: {what}: {proc.communicate()[1]}")


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _pods(emu: KubeEmulator) -> list[Obj]:
    return emu.list("Pod", "default", f"{SMOKE_LABEL}=true")


def _machineset(emu: KubeEmulator) -> Obj:
    ms = emu.get("MachineSet", MS, NS)
    assert ms is not None
    return ms


def test_sighup_cleans_up_like_sigterm_and_the_record_came_first(
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
    project: Path,  # noqa: F811
    pool_at_zero: list[tuple[str, Obj]],
    procs: list[subprocess.Popen[str]],
) -> None:
    proc = _start(kubeconfig, project)
    procs.append(proc)
    _wait_for(proc, "the smoke pod", lambda: bool(_pods(kube_emulator)))
    proc.send_signal(signal.SIGHUP)  # the terminal or SSH session closed
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert "interrupted by SIGHUP while waiting for" in err
    assert f"cleanup: restored MachineSet {MS} replicas to 0" in err
    ms = _machineset(kube_emulator)
    assert ms["spec"]["replicas"] == 0
    assert RECORD not in (ms["metadata"].get("annotations") or {})
    assert _pods(kube_emulator) == []
    # The record was on the MachineSet before its replicas changed, and gone once they were back.
    first_change = next(i for i, (_, obj) in enumerate(pool_at_zero) if obj["spec"]["replicas"] == 1)
    recorded = read_record(pool_at_zero[first_change - 1][1])
    assert first_change > 0 and pool_at_zero[first_change - 1][1]["spec"]["replicas"] == 0
    assert recorded is not None and (recorded.original_replicas, recorded.scaled_to) == (0, 1)
    assert recorded.pid == proc.pid and recorded.host == socket.gethostname()
    assert read_record(pool_at_zero[-1][1]) is None


def _killed_run(emu: KubeEmulator, kubeconfig: Path, project: Path, procs: list[Any]) -> SmokeRecord:  # noqa: F811
    proc = _start(kubeconfig, project, "--timeout", "10m")
    procs.append(proc)
    _wait_for(proc, "the smoke pod", lambda: bool(_pods(emu)))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    ms = _machineset(emu)
    record = read_record(ms)
    assert ms["spec"]["replicas"] == 1 and record is not None  # the billing node, and what says so
    assert (record.original_replicas, record.scaled_to, record.pid) == (0, 1, proc.pid)
    (pod,) = _pods(emu)
    assert pod["metadata"]["labels"][RUN_LABEL] == record.run_id
    assert pod["metadata"]["name"] == f"cluster-capacity-smoke-{record.run_id}"
    return record


def test_sigkill_leaves_a_record_that_status_shows_and_cleanup_undoes(
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
    project: Path,  # noqa: F811
    pool_at_zero: list[tuple[str, Obj]],
    procs: list[subprocess.Popen[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = _killed_run(kube_emulator, kubeconfig, project, procs)
    cleanup = f"cluster-capacity smoke --cleanup --env prod --pool {POOL}"
    files = ("--project", str(project / "cluster-capacity.yaml"), "--kubeconfig", str(kubeconfig))
    code, out, err = run(capsys, "status", "--env", "prod", *files, "-o", "json")
    assert code == 1 and err.strip() == f"not healthy: {POOL}"
    (pool,) = json.loads(out)["pools"]
    assert pool["issues"][-1] == (
        f"left at 1 replicas by smoke run {record.run_id} (started {record.started} on "
        f"{record.host}, pid {record.pid}), which has not put it back to 0; unless that run is still "
        f"going: {cleanup}"
    )

    code, _, err = run(capsys, "smoke", "--cleanup", "--env", "prod", "--pool", POOL, *files)
    assert code == 0, err
    assert err.splitlines() == [
        f"deleted smoke pod default/cluster-capacity-smoke-{record.run_id}",
        f"restored MachineSet {MS} replicas to 0 (left at 1 by {record.describe()})",
        f"removed the smoke record of run {record.run_id} from MachineSet {MS}",
    ]
    ms = _machineset(kube_emulator)
    assert ms["spec"]["replicas"] == 0 and read_record(ms) is None
    assert _pods(kube_emulator) == []
    code, _, err = run(capsys, "smoke", "--cleanup", "--env", "prod", "--pool", POOL, *files)
    assert code == 0 and err.startswith("nothing to clean up: MachineSet")
    code, _, err = run(capsys, "status", "--env", "prod", *files)
    assert code == 0, err


def test_the_next_run_cleans_up_after_a_killed_one_first(
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
    project: Path,  # noqa: F811
    pool_at_zero: list[tuple[str, Obj]],
    procs: list[subprocess.Popen[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = _killed_run(kube_emulator, kubeconfig, project, procs)
    files = ("--project", str(project / "cluster-capacity.yaml"), "--kubeconfig", str(kubeconfig))
    code, _, err = run(capsys, "smoke", "--env", "prod", *files, "--timeout", "1s", "--poll", "0.2s")
    assert code == 1  # the new pod never runs: no kubelet here
    assert (
        f"{record.describe()} did not finish and left MachineSet {MS} at 1 replicas (it was 0): "
        "cleaning up first"
    ) in err
    assert f"cleanup: before the run: deleted smoke pod default/cluster-capacity-smoke-{record.run_id}" in err
    assert f"cleanup: before the run: restored MachineSet {MS} replicas to 0" in err
    ms = _machineset(kube_emulator)
    assert ms["spec"]["replicas"] == 0 and read_record(ms) is None
    assert _pods(kube_emulator) == []


def test_a_run_still_going_elsewhere_is_left_alone(
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
    project: Path,  # noqa: F811
    pool_at_zero: list[tuple[str, Obj]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # This very process holds the record: it is alive, and its deadline is an hour away.
    other = SmokeRecord.new("abc123", 0, 1, now=time.time(), timeout=3600, pod_namespace="default")
    kube_emulator.update(
        "MachineSet",
        MS,
        NS,
        {"spec": {"replicas": 1}, "metadata": {"annotations": {RECORD: other.annotation()}}},
    )
    pool_at_zero.clear()
    files = ("--project", str(project / "cluster-capacity.yaml"), "--kubeconfig", str(kubeconfig))
    code, _, err = run(capsys, "smoke", "--env", "prod", *files, "--timeout", "1s")
    assert code == 1
    assert f"{other.describe()} is testing pool {POOL}" in err
    assert pool_at_zero == []  # nothing written
    assert read_record(_machineset(kube_emulator)) == other


def test_record_round_trip_and_when_it_is_abandoned() -> None:
    now = 1_800_000_000.0
    record = SmokeRecord.new("r1", 2, 1, now=now, timeout=600, pod_namespace="smoke")
    ms = {"metadata": {"annotations": {RECORD: record.annotation()}}}
    assert read_record(ms) == record
    assert record.started == "2027-01-15T08:00:00Z" and record.deadline == "2027-01-15T08:15:00Z"
    assert record.abandoned(now, alive=lambda pid: True) is False
    assert record.abandoned(now, alive=lambda pid: False) is True  # same host, process gone
    assert record.abandoned(now + 901, alive=lambda pid: True) is True  # past the deadline
    assert record.kept_up().abandoned(now + 10_000, alive=lambda pid: False) is False
    assert read_record({"metadata": {"annotations": {RECORD: "not json"}}}) is None
