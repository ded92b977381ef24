"""The whole smoke flow over real HTTP against the API emulator, the test playing the cluster."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from cluster_capacity.ops.smoke.cluster import KubeSmokeCluster
from cluster_capacity.ops.smoke.pod import SmokeTarget
from cluster_capacity.ops.smoke.report import format_summary, write_report
from cluster_capacity.ops.smoke.run import SmokeOptions, run_smoke
from tests.emulator import KubeEmulator, openshift

from .conftest import MS, NS, FakeClock, Player

MakeOptions = Callable[..., SmokeOptions]


def replicas(emu: KubeEmulator) -> int:
    ms = emu.get("MachineSet", MS, NS)
    assert ms is not None
    return int(ms["spec"]["replicas"])


def scale_writes(emu: KubeEmulator) -> int:
    return emu.count(
        method="PATCH", path=f"/apis/machine.openshift.io/v1beta1/namespaces/{NS}/machinesets/*/scale"
    )


def phase_at(result_phases: list[object], name: str) -> float:
    for phase in result_phases:
        if getattr(phase, "name", None) == name:
            return float(getattr(phase, "at"))  # noqa: B009
    raise AssertionError(f"no phase {name}")


def test_happy_path_scales_runs_nvidia_smi_and_restores(
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
    tmp_path: Path,
) -> None:
    player.machine_launch()
    start = clock.now
    result = run_smoke(smoke_cluster, target, options())

    assert result.verdict == "pass", result.reason
    assert result.exit_code == 0
    assert result.gpu is not None
    assert result.gpu.as_dict()["models"] == ["NVIDIA H100 80GB HBM3"]
    assert result.gpu.as_dict()["driverVersion"] == "590.48.01"
    assert result.gpu.as_dict()["cudaVersion"] == "13.1"
    assert result.machine == player.machine
    assert result.node == player.node
    assert result.original_replicas == 0
    # The run scaled to 1 and put it back to 0; the pod is gone.
    assert replicas(cluster) == 0
    assert scale_writes(cluster) == 2
    assert cluster.list("Pod", "default") == []
    assert result.cleanup == [f"deleted pod default/{result.pod}", f"restored MachineSet {MS} replicas to 0"]

    # Every phase is seen at the first poll after the player made it happen (poll = 10 s).
    names = [p.name for p in result.phases]
    assert names == [
        "preflight",
        "clusterpolicy_ready",
        "scaled",
        "machine_created",
        "machine_provisioned",
        "machine_running",
        "node_ready",
        "gpu_allocatable",
        "pod_created",
        "pod_scheduled",
        "pod_completed",
    ]
    for phase in (
        "machine_created",
        "machine_provisioned",
        "machine_running",
        "node_ready",
        "gpu_allocatable",
    ):
        happened = player.events[phase] - start
        assert happened <= phase_at(result.phases, phase) <= happened + 10.0, phase
    # Durations add up to the time of the last phase.
    assert sum(p.seconds for p in result.phases) == pytest.approx(result.phases[-1].at)
    assert 450 <= result.total_seconds <= 500  # 5 + 55 + 60 + 90 + 240 s of launch, then the pod

    summary = format_summary(result)
    assert summary.splitlines()[0] == f"smoke PASS: env prod, pool {target.pool} (MachineSet {MS})"
    assert "1 x NVIDIA H100 80GB HBM3, 81559 MiB, driver 590.48.01, CUDA 13.1" in summary

    write_report(result, tmp_path / "smoke.json")
    data = json.loads((tmp_path / "smoke.json").read_text())
    assert data["verdict"] == "pass"
    assert data["gpu"]["memoryTotalMiB"] == 81559
    assert [p["name"] for p in data["phases"]] == names
    write_report(result, tmp_path / "smoke.xml")
    suite = ET.parse(tmp_path / "smoke.xml").getroot()
    assert suite.get("failures") == "0"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["gpu.driverVersion"] == "590.48.01"
    assert float(props["phase.gpu_allocatable.seconds"]) > 0


def test_pod_is_pinned_to_the_pool_and_admitted_by_restricted_v2(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch()
    created: list[dict[str, object]] = []
    cluster.on_write(
        lambda verb, rtype, obj: created.append(obj) if verb == "create" and rtype.kind == "Pod" else None
    )
    result = run_smoke(smoke_cluster, target, options(keep=True, image="registry.example.com/cuda:12"))
    assert result.passed, result.reason
    (pod,) = created
    spec = pod["spec"]
    assert isinstance(spec, dict)
    assert spec["nodeSelector"] == {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/gpu": "",
        "cluster-api/accelerator": "nvidia-a10g",
        "node.kubernetes.io/instance-type": "g5.xlarge",
        "topology.kubernetes.io/zone": "us-west-2a",
    }
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    (container,) = spec["containers"]
    assert container["image"] == "registry.example.com/cuda:12"
    assert container["command"] == ["nvidia-smi"]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert spec["restartPolicy"] == "Never"
    # --keep: the node stays for the next run, the pod does not.
    assert replicas(cluster) == 1
    assert cluster.list("Pod", "default") == []
    assert "kept MachineSet" in result.cleanup[-1]


def test_existing_ready_node_is_used_without_scaling(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    cluster.update("MachineSet", MS, NS, {"spec": {"replicas": 1}})
    ms = cluster.get("MachineSet", MS, NS)
    assert ms is not None
    running = openshift.machine(ms, 0, "Running")
    cluster.add(running)
    cluster.add(openshift.node_for(running, gpus=1))
    result = run_smoke(smoke_cluster, target, options())
    assert result.passed, result.reason
    assert result.capacity == "existing node"
    assert scale_writes(cluster) == 0
    assert replicas(cluster) == 1
    assert [p.name for p in result.phases][:3] == ["preflight", "clusterpolicy_ready", "pod_created"]


@pytest.mark.parametrize(
    ("failure", "advice"),
    [
        ("InsufficientInstanceCapacity", "AWS has no spare g5.xlarge capacity in us-west-2a right now"),
        ("VcpuLimitExceeded", "vCPU quota exhausted: raise Service Quotas code L-DB2E81BA"),
    ],
)
def test_machine_failure_ends_the_run_within_one_poll_with_advice(
    failure: str,
    advice: str,
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch(fail=(failure, 30))
    start = clock.now
    result = run_smoke(smoke_cluster, target, options())
    assert result.verdict == "fail"
    assert result.exit_code == 1
    assert result.reason is not None
    assert result.reason.startswith(f"Machine {player.machine} ")
    assert openshift.AWS_FAILURES[failure][1].split("{")[0][:30] in result.reason
    assert any(advice in line for line in result.advice), result.advice
    failed_at = player.events["machine_failed"] - start
    assert failed_at <= result.total_seconds <= failed_at + 10.0
    assert replicas(cluster) == 0
    assert cluster.count(method="POST", path="/api/v1/namespaces/default/pods") == 0


def test_untolerated_taint_fails_with_the_scheduler_reason(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.extra_node_taints = [{"key": "dedicated", "value": "ml-team", "effect": "NoSchedule"}]
    player.machine_launch()
    result = run_smoke(smoke_cluster, target, options())
    assert result.verdict == "fail"
    assert result.reason is not None
    assert result.reason.startswith("smoke pod cannot be scheduled: 0/")
    assert "had untolerated taint {dedicated: ml-team}" in result.reason
    assert "--print-pod" in result.advice[0]
    assert cluster.list("Pod", "default") == []
    assert replicas(cluster) == 0


def test_cluster_policy_never_ready_times_out_before_scaling(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    cluster.add(openshift.cluster_policy("notReady"))
    player.machine_launch()
    result = run_smoke(smoke_cluster, target, options(timeout=600.0))
    assert result.verdict == "fail"
    assert result.reason == (
        "timed out after 10m00s waiting for ClusterPolicy cluster-policy to be ready (state: notReady)"
    )
    assert 600.0 <= result.total_seconds <= 610.0
    assert scale_writes(cluster) == 0
    assert replicas(cluster) == 0
    assert result.cleanup == []


def test_no_cluster_policy_at_all(
    cluster: KubeEmulator, smoke_cluster: KubeSmokeCluster, target: SmokeTarget, options: MakeOptions
) -> None:
    cluster.delete("ClusterPolicy", "cluster-policy")
    result = run_smoke(smoke_cluster, target, options())
    assert result.reason == "no GPU Operator ClusterPolicy in the cluster"


@pytest.mark.parametrize("in_git", [False, True])
def test_argocd_that_would_revert_replicas_stops_before_scaling(
    in_git: bool,
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    cluster.add(openshift.argocd_application("prod", ignore_replicas=False))
    player.machine_launch()
    target = SmokeTarget(**{**target.__dict__, "ignore_replicas_in_git": in_git})
    result = run_smoke(smoke_cluster, target, options())
    assert result.verdict == "fail"
    assert result.reason == (
        "Argo CD Application cluster-capacity-prod syncs automatically with selfHeal and lacks "
        "ignoreDifferences on MachineSet /spec/replicas: it would put MachineSet "
        f"{MS} back to its Git replicas while the smoke test runs; nothing was scaled"
    )
    if in_git:
        assert "the live Application does not have it yet" in result.advice[0]
    else:
        assert result.advice[0].startswith("set capacityIgnoreMachineSetReplicas: true for env prod")
        assert "or scale in Git" in result.advice[1]
    assert scale_writes(cluster) == 0
    assert result.total_seconds == 0.0


def test_argocd_without_respect_ignore_differences_also_stops(
    cluster: KubeEmulator, smoke_cluster: KubeSmokeCluster, target: SmokeTarget, options: MakeOptions
) -> None:
    app = openshift.argocd_application("prod", ignore_replicas=True)
    app["spec"]["syncPolicy"].pop("syncOptions")
    cluster.add(app)
    result = run_smoke(smoke_cluster, target, options())
    assert result.reason is not None
    assert "lacks RespectIgnoreDifferences=true" in result.reason
    assert scale_writes(cluster) == 0


def test_timeout_while_the_machine_never_launches_restores_replicas(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch(provisioned=10_000)
    result = run_smoke(smoke_cluster, target, options(timeout=900.0))
    assert result.verdict == "fail"
    assert result.reason == (
        f"timed out after 15m00s waiting for Machine {player.machine} to get a Node (phase Provisioning)"
    )
    assert result.total_seconds == pytest.approx(900.0)
    assert replicas(cluster) == 0
    assert result.cleanup == [f"restored MachineSet {MS} replicas to 0"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_in_the_middle_cleans_up_and_restores_handlers(
    signum: int,
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch()
    player.pod_seconds = (8.0, 10_000.0)  # the pod runs "forever"
    seen: list[str] = []

    def interrupt_once_pod_runs(now: float) -> None:
        player.tick(now)
        if "pod_running" in player.events and not seen:
            seen.append(str(len(cluster.list("Pod", "default"))))
            signal.raise_signal(signum)

    clock.on_sleep = interrupt_once_pod_runs
    before = signal.getsignal(signum)
    result = run_smoke(smoke_cluster, target, options())

    assert seen == ["1"]  # the pod existed when the signal came
    assert result.verdict == "fail"
    assert result.reason is not None
    assert result.reason.startswith(
        f"interrupted by {signal.Signals(signum).name} while waiting for smoke pod {result.pod} to finish"
    )
    assert cluster.list("Pod", "default") == []
    assert replicas(cluster) == 0
    assert signal.getsignal(signum) is before


def test_autoscaled_pool_lets_the_pending_pod_trigger_the_autoscaler(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.autoscaler = True
    player.machine_launch()
    target = SmokeTarget(**{**target.__dict__, "autoscaled": True})
    result = run_smoke(smoke_cluster, target, options())
    assert result.passed, result.reason
    assert result.capacity.startswith("autoscaler")
    assert scale_writes(cluster) == 0  # only the autoscaler (the player) changed replicas
    assert "machine_created" in [p.name for p in result.phases]
    assert result.cleanup == [f"deleted pod default/{result.pod}"]


def test_image_that_cannot_be_pulled_fails_fast(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch()
    player.pod_seconds = (10_000.0, 1.0)

    def pull_fails(now: float) -> None:
        player.tick(now)
        for pod in player.smoke_pods():
            if pod["spec"].get("nodeName") and not pod["status"].get("containerStatuses"):
                cluster.update(
                    "Pod",
                    pod["metadata"]["name"],
                    "default",
                    {
                        "status": {
                            "containerStatuses": [
                                {
                                    "name": "smoke",
                                    "state": {
                                        "waiting": {
                                            "reason": "ImagePullBackOff",
                                            "message": 'Back-off pulling image "nope:1"',
                                        }
                                    },
                                }
                            ]
                        }
                    },
                )

    player.clock.on_sleep = pull_fails
    result = run_smoke(smoke_cluster, target, options(image="nope:1"))
    assert result.reason == 'smoke pod cannot start: ImagePullBackOff: Back-off pulling image "nope:1"'
    assert cluster.list("Pod", "default") == []


def test_missing_or_foreign_machineset(
    cluster: KubeEmulator, smoke_cluster: KubeSmokeCluster, target: SmokeTarget, options: MakeOptions
) -> None:
    other = SmokeTarget(**{**target.__dict__, "env": "staging"})
    result = run_smoke(smoke_cluster, other, options())
    assert result.reason == f"MachineSet {MS} belongs to env prod, not staging"
    cluster.delete("MachineSet", MS, NS)
    result = run_smoke(smoke_cluster, target, options())
    assert result.reason == f"MachineSet {NS}/{MS} (pool {target.pool}) does not exist in the cluster"


def test_api_errors_become_a_failed_run_and_cleanup_still_runs(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch()
    cluster.fault(verb="create", resource="pods", status=403, times=None)
    result = run_smoke(smoke_cluster, target, options())
    assert result.verdict == "fail"
    assert result.reason is not None
    assert result.reason.startswith("create pods in namespace default: forbidden (403)")
    assert replicas(cluster) == 0


def test_gated_neuron_pool_is_refused_as_bad_input(
    smoke_cluster: KubeSmokeCluster, target: SmokeTarget, options: MakeOptions
) -> None:
    from cluster_capacity.errors import ConfigError

    neuron = SmokeTarget(**{**target.__dict__, "accelerator": "neuron", "instance_type": "inf2.xlarge"})
    with pytest.raises(ConfigError, match="Inferentia gate is closed"):
        run_smoke(smoke_cluster, neuron, options())


INF2_NEURON_LS = """\
instance-type: inf2.xlarge
instance-id: i-0c1d2e3f4a5b6c7d8
+--------+--------+--------+---------+
| NEURON | NEURON | NEURON |   PCI   |
| DEVICE | CORES  | MEMORY |   BDF   |
+--------+--------+--------+---------+
| 0      | 2      | 32 GB  | 00:1f.0 |
+--------+--------+--------+---------+
"""


def test_neuron_pool_runs_neuron_ls_when_the_caller_opened_the_gate(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    neuron_taint = {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}

    def to_inf2(ms: dict[str, object]) -> None:
        spec = ms["spec"]["template"]["spec"]  # type: ignore[index]
        spec["providerSpec"]["value"]["instanceType"] = "inf2.xlarge"
        spec["taints"] = [neuron_taint]
        spec["metadata"]["labels"].pop("cluster-api/accelerator")

    cluster.update("MachineSet", MS, NS, fn=to_inf2)
    cluster.delete("ClusterPolicy", "cluster-policy")  # no GPU Operator needed for Neuron
    player.gpus, player.neuron = 0, 1
    player.kubelet_log = INF2_NEURON_LS
    player.machine_launch()
    neuron = SmokeTarget(
        **{**target.__dict__, "accelerator": "neuron", "instance_type": "inf2.xlarge", "taints": ()}
    )
    result = run_smoke(smoke_cluster, neuron, options(allow_neuron=True))
    assert result.passed, result.reason
    assert result.gpu is not None
    assert result.gpu.as_dict() == {
        "kind": "neuron",
        "instanceType": "inf2.xlarge",
        "deviceCount": 1,
        "coreCount": 2,
        "devices": [{"index": 0, "cores": 2, "memoryGB": 32}],
    }
    assert "neuron_allocatable" in [p.name for p in result.phases]
    assert "clusterpolicy_ready" not in [p.name for p in result.phases]
    assert "neuron: 1 Neuron device(s), 2 NeuronCores, 32 GB each" in format_summary(result)
    assert replicas(cluster) == 0


def test_pod_that_fails_reports_exit_code_and_last_log_line(
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
    tmp_path: Path,
) -> None:
    player.machine_launch()
    player.kubelet_log = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"

    def fails(now: float) -> None:
        player.tick(now)
        for pod in player.smoke_pods():
            if pod["status"].get("phase") == "Succeeded":
                cluster.update(
                    "Pod",
                    pod["metadata"]["name"],
                    "default",
                    {
                        "status": {
                            "phase": "Failed",
                            "containerStatuses": [
                                {"name": "smoke", "state": {"terminated": {"exitCode": 9, "reason": "Error"}}}
                            ],
                        }
                    },
                )

    clock.on_sleep = fails
    result = run_smoke(smoke_cluster, target, options())
    assert result.reason == (
        "smoke pod failed (exit code 9, Error): NVIDIA-SMI has failed because it couldn't communicate "
        "with the NVIDIA driver."
    )
    write_report(result, tmp_path / "r.xml")
    suite = ET.parse(tmp_path / "r.xml").getroot()
    assert suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == result.reason
    out = suite.find("testcase/system-out")
    assert out is not None and out.text is not None
    assert "couldn't communicate with the NVIDIA driver" in out.text


def test_unreadable_nvidia_smi_output_fails_the_run(
    cluster: KubeEmulator,
    player: Player,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.machine_launch()
    player.kubelet_log = "hello\n"
    result = run_smoke(smoke_cluster, target, options())
    assert result.verdict == "fail"
    assert result.reason == "cannot read the smoke pod's output: not nvidia-smi output: 'hello'"
    assert result.log == "hello\n"
    assert replicas(cluster) == 0


def test_autoscaler_that_will_not_scale_up_ends_the_run(
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    message = (
        "pod didn't trigger scale-up: 1 max node group size reached, "
        "2 node(s) didn't match Pod's node affinity/selector"
    )

    def autoscaler_refuses(now: float) -> None:
        player.tick(now)
        for pod in player.smoke_pods():
            name = pod["metadata"]["name"]
            if player.unschedulable(pod) and cluster.get("Event", f"{name}.nts", "default") is None:
                cluster.add(
                    {
                        "apiVersion": "v1",
                        "kind": "Event",
                        "metadata": {"name": f"{name}.nts", "namespace": "default"},
                        "involvedObject": {"kind": "Pod", "name": name, "namespace": "default"},
                        "reason": "NotTriggerScaleUp",
                        "message": message,
                        "type": "Normal",
                        "source": {"component": "cluster-autoscaler"},
                    }
                )

    clock.on_sleep = autoscaler_refuses
    target = SmokeTarget(**{**target.__dict__, "autoscaled": True})
    result = run_smoke(smoke_cluster, target, options())
    assert result.reason == f"the autoscaler will not add a node for the smoke pod: {message}"
    assert result.total_seconds <= 20.0  # unschedulable at the first poll, the event by the second
    assert cluster.list("Pod", "default") == []
    assert replicas(cluster) == 0


def test_autoscaled_pool_with_an_untolerated_taint_fails_after_the_grace(
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.autoscaler = True
    player.extra_node_taints = [{"key": "dedicated", "value": "ml-team", "effect": "NoSchedule"}]
    player.machine_launch()
    start = clock.now
    target = SmokeTarget(**{**target.__dict__, "autoscaled": True})
    result = run_smoke(smoke_cluster, target, options(unschedulable_grace=60.0))
    assert result.reason is not None
    assert result.reason.startswith("smoke pod cannot be scheduled on the pool's node: 0/")
    assert "had untolerated taint {dedicated: ml-team}" in result.reason
    usable_at = player.events["gpu_allocatable"] - start
    assert usable_at + 60.0 <= result.total_seconds <= usable_at + 80.0
    assert cluster.list("Pod", "default") == []


def test_timeout_when_no_machine_is_ever_created(
    cluster: KubeEmulator, smoke_cluster: KubeSmokeCluster, target: SmokeTarget, options: MakeOptions
) -> None:
    result = run_smoke(smoke_cluster, target, options(timeout=300.0))
    assert result.reason == f"timed out after 5m00s waiting for a new Machine of MachineSet {MS}"
    assert replicas(cluster) == 0
