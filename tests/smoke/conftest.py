"""Fixtures for the smoke tests: the API emulator, and a player that acts as the rest of the cluster.

The player stands in for the machine controller, the kubelet, the device plugin, the scheduler and the
cluster autoscaler. It runs on the smoke test's injected clock: each ``sleep`` advances the clock and
lets the player do whatever is due, so a 10-minute node launch takes milliseconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.ops.smoke.cluster import KubeSmokeCluster, connect
from cluster_capacity.ops.smoke.pod import SMOKE_LABEL, SmokeTarget, Toleration
from cluster_capacity.ops.smoke.run import SmokeOptions
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403

Obj = dict[str, Any]
NS = openshift.MACHINE_API_NS
POOL = "gpu-g5-xlarge-us-west-2a"
MS = f"{openshift.INFRA_ID}-{POOL}"


def fixtures_dir() -> Path:
    """``$CLUSTER_CAPACITY_FIXTURES``, else ``<repo>/../shared/fixtures``, else ``/work/shared/fixtures``."""
    repo = Path(__file__).resolve().parents[2]
    for candidate in (os.environ.get("CLUSTER_CAPACITY_FIXTURES"), repo.parent / "shared" / "fixtures"):
        if candidate and (Path(candidate) / "nvidia-smi").is_dir():
            return Path(candidate)
    return Path("/work/shared/fixtures")


def nvidia_smi_log(name: str = "h100-default.txt") -> str:
    path = fixtures_dir() / "nvidia-smi" / name
    if not path.is_file():
        pytest.skip(f"no nvidia-smi fixture at {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 5000.0
        self.on_sleep: Callable[[float], None] = lambda now: None
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the smoke test must never busy-loop"
        self.sleeps.append(seconds)
        self.now += seconds
        self.on_sleep(self.now)


@dataclass
class Step:
    delay: float
    name: str
    action: Callable[[], None]


@dataclass
class Sequence:
    """Steps that start once ``trigger`` holds, each ``delay`` seconds after the one before."""

    trigger: Callable[[], bool]
    steps: list[Step]
    last: float | None = None


@dataclass
class Player:
    """Plays the cluster around the smoke test on the fake clock."""

    emu: KubeEmulator
    clock: FakeClock
    #: What the player did and when (clock seconds), for timing assertions.
    events: dict[str, float] = field(default_factory=dict)
    sequences: list[Sequence] = field(default_factory=list)
    scheduler: bool = True
    kubelet_log: str = ""
    pod_seconds: tuple[float, float] = (8.0, 4.0)  # bound -> Running, Running -> Succeeded
    autoscaler: bool = False
    #: Node taints the MachineSet does not declare (e.g. added by hand).
    extra_node_taints: list[Obj] = field(default_factory=list)
    gpus: int = 1
    neuron: int = 0
    machine: str | None = None
    node: str | None = None
    _pods: dict[str, float] = field(default_factory=dict)

    def tick(self, now: float) -> None:
        for seq in self.sequences:
            if seq.last is None:
                if not seq.trigger():
                    continue
                seq.last = now
            while seq.steps and now >= seq.last + seq.steps[0].delay:
                step = seq.steps.pop(0)
                seq.last += step.delay
                self.events[step.name] = seq.last
                step.action()
        if self.autoscaler:
            self.autoscale()
        if self.scheduler:
            self.schedule(now)

    # -- machine controller, kubelet, device plugin ---------------------------------------------------

    def replicas(self) -> int:
        ms = self.emu.get("MachineSet", MS, NS)
        return int(ms["spec"]["replicas"]) if ms else 0

    def machine_launch(
        self,
        *,
        created: float = 5,
        provisioned: float = 55,
        running: float = 60,
        node_ready: float = 90,
        gpu: float = 240,
        fail: tuple[str, float] | None = None,
    ) -> None:
        """The Machine's life after the MachineSet goes to 1 replica (delays from the step before)."""
        steps = [Step(created, "machine_created", self.create_machine)]
        if fail is not None:
            failure, after = fail
            steps.append(
                Step(
                    after,
                    "machine_failed",
                    lambda: openshift.fail_machine(self.emu, self.machine or "", failure),
                )
            )
        else:
            steps += [
                Step(provisioned, "machine_provisioned", lambda: self.advance("Provisioned")),
                Step(running, "machine_running", self.run_machine),
                Step(node_ready, "node_ready", lambda: self.node_update(ready=True)),
                Step(gpu, "gpu_allocatable", lambda: self.node_update(ready=True, accelerators=True)),
            ]
        self.sequences.append(Sequence(lambda: self.replicas() >= 1, steps))

    def create_machine(self) -> None:
        ms = self.emu.get("MachineSet", MS, NS)
        assert ms is not None
        m = openshift.machine(ms, 7, "Provisioning")
        self.machine = m["metadata"]["name"]
        self.emu.add(m)

    def advance(self, phase: str) -> None:
        assert self.machine is not None
        openshift.advance_machine(self.emu, self.machine, phase)

    def run_machine(self) -> None:
        m = openshift.advance_machine(self.emu, self.machine or "", "Running")
        node = openshift.node_for(m, ready=False)
        node["spec"]["taints"] = list(node["spec"].get("taints") or []) + self.extra_node_taints
        self.node = node["metadata"]["name"]
        self.emu.add(node)

    def node_update(self, *, ready: bool, accelerators: bool = False) -> None:
        m = self.emu.get("Machine", self.machine or "", NS)
        assert m is not None
        gpus, neuron = (self.gpus, self.neuron) if accelerators else (0, 0)
        node = openshift.node_for(m, ready=ready, gpus=gpus, neuron=neuron)
        node["spec"]["taints"] = list(node["spec"].get("taints") or []) + self.extra_node_taints
        self.emu.add(node)

    # -- cluster autoscaler --------------------------------------------------------------------------

    def autoscale(self) -> None:
        pending = [p for p in self.smoke_pods() if self.unschedulable(p)]
        if pending and self.replicas() == 0:
            self.emu.update("MachineSet", MS, NS, {"spec": {"replicas": 1}})
            self.events.setdefault("autoscaler_scaled", self.clock.now)

    # -- scheduler and kubelet -----------------------------------------------------------------------

    def smoke_pods(self) -> list[Obj]:
        return self.emu.list("Pod", "default", f"{SMOKE_LABEL}=true")

    @staticmethod
    def unschedulable(pod: Obj) -> bool:
        for cond in pod.get("status", {}).get("conditions") or []:
            if cond["type"] == "PodScheduled":
                return bool(cond["status"] == "False")
        return False

    def fits(self, pod: Obj, node: Obj) -> str | None:
        """Why ``pod`` cannot go to ``node`` (in the scheduler's words), or None when it fits."""
        spec = pod["spec"]
        labels = node["metadata"].get("labels") or {}
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            return "didn't match Pod's node affinity/selector"
        for taint in node["spec"].get("taints") or []:
            if taint["effect"] not in ("NoSchedule", "NoExecute"):
                continue
            tolerated = any(
                t.get("key") == taint["key"]
                and t.get("effect") in (None, "", taint["effect"])
                and (t.get("operator") == "Exists" or t.get("value") == taint.get("value", ""))
                for t in spec.get("tolerations") or []
            )
            if not tolerated:
                return f"had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
        if not ready:
            return "had untolerated taint {node.kubernetes.io/not-ready: }"
        want = spec["containers"][0]["resources"]["limits"]
        for resource, count in want.items():
            if float(node["status"]["allocatable"].get(resource, 0)) < float(count):
                return f"Insufficient {resource}"
        return None

    def schedule(self, now: float) -> None:
        for pod in self.smoke_pods():
            name = pod["metadata"]["name"]
            if pod["spec"].get("nodeName"):
                self.kubelet(pod, now)
                continue
            nodes = self.emu.list("Node")
            reasons: dict[str, int] = {}
            for node in nodes:
                why = self.fits(pod, node)
                if why is None:
                    self.emu.update(
                        "Pod",
                        name,
                        "default",
                        {
                            "spec": {"nodeName": node["metadata"]["name"]},
                            "status": {"conditions": [{"type": "PodScheduled", "status": "True"}]},
                        },
                    )
                    self._pods[name] = now
                    self.events.setdefault("pod_bound", now)
                    break
                reasons[why] = reasons.get(why, 0) + 1
            else:
                detail = ", ".join(f"{n} node(s) {why}" for why, n in sorted(reasons.items()))
                count = len(nodes)
                message = (
                    f"0/{count} nodes are available: {detail}. preemption: 0/{count} nodes are "
                    f"available: {count} Preemption is not helpful for scheduling."
                )
                self.emu.update(
                    "Pod",
                    name,
                    "default",
                    {
                        "status": {
                            "conditions": [
                                {
                                    "type": "PodScheduled",
                                    "status": "False",
                                    "reason": "Unschedulable",
                                    "message": message,
                                }
                            ]
                        }
                    },
                )

    def kubelet(self, pod: Obj, now: float) -> None:
        name = pod["metadata"]["name"]
        bound = self._pods.setdefault(name, now)
        phase = pod["status"].get("phase")
        to_running, to_done = self.pod_seconds
        if phase == "Pending" and now >= bound + to_running:
            self.emu.update("Pod", name, "default", {"status": {"phase": "Running"}})
            self.events.setdefault("pod_running", now)
        elif phase == "Running" and now >= bound + to_running + to_done:
            self.emu.set_pod_log("default", name, self.kubelet_log)
            self.emu.update(
                "Pod",
                name,
                "default",
                {
                    "status": {
                        "phase": "Succeeded",
                        "containerStatuses": [
                            {"name": "smoke", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
                        ],
                    }
                },
            )
            self.events.setdefault("pod_succeeded", now)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cluster(kube_emulator: KubeEmulator) -> KubeEmulator:
    """An OpenShift cluster with the GPU Operator ready, the env's Application, and a GPU pool at 0."""
    openshift.seed_cluster(kube_emulator, with_gpu_pool=False)
    kube_emulator.add(openshift.gpu_machineset(POOL, replicas=0))
    return kube_emulator


@pytest.fixture
def player(cluster: KubeEmulator, clock: FakeClock) -> Player:
    p = Player(cluster, clock, kubelet_log=nvidia_smi_log())
    clock.on_sleep = p.tick
    return p


@pytest.fixture
def smoke_cluster(kubeconfig: Path) -> KubeSmokeCluster:
    return connect(str(kubeconfig))


@pytest.fixture
def target() -> SmokeTarget:
    return SmokeTarget(
        env="prod",
        pool=POOL,
        machineset=MS,
        namespace=NS,
        accelerator="nvidia",
        instance_type="g5.xlarge",
        zone="us-west-2a",
        node_labels={"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/gpu": ""},
        taints=(Toleration("nvidia.com/gpu", "true", "NoSchedule"),),
        application="cluster-capacity-prod",
        ignore_replicas_in_git=True,
    )


@pytest.fixture
def options(clock: FakeClock) -> Callable[..., SmokeOptions]:
    messages: list[str] = []

    def make(**kw: Any) -> SmokeOptions:
        base: dict[str, Any] = {
            "timeout": 1800.0,
            "poll": 10.0,
            "clock": clock,
            "sleep": clock.sleep,
            "progress": messages.append,
        }
        base.update(kw)
        return SmokeOptions(**base)

    make.messages = messages  # type: ignore[attr-defined]
    return make
