"""Smoke on a shared pool: the pod asks for the shared resource, and a node must advertise N per GPU."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

from cluster_capacity.config import load_env
from cluster_capacity.ops.smoke.cluster import KubeSmokeCluster
from cluster_capacity.ops.smoke.pod import SmokeTarget, build_pod, target_from_env
from cluster_capacity.ops.smoke.run import SmokeOptions, run_smoke
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator

from .conftest import FakeClock, Player

MakeOptions = Callable[..., SmokeOptions]


def share(tmp_path: Path, sharing: dict[str, object], instance_type: str = "g5.xlarge") -> SmokeTarget:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    path = dest / "values" / "values-prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["machineSets"][0]["gpuSharing"] = sharing
    data["machineSets"][0]["providerSpec"]["instanceType"] = instance_type
    data["machineSets"][0]["autoscaler"]["enabled"] = False  # a renamed resource would warn, not fail
    data.pop("autoscaling", None)  # its GPU limit names the example's A10G
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target_from_env(load_env(dest, "prod"), None)


def test_time_sliced_target_asks_for_the_shared_resource(tmp_path: Path) -> None:
    target = share(tmp_path, {"timeSlicing": {"replicas": 4, "renameByDefault": True}}, "g5.12xlarge")
    assert target.resource == "nvidia.com/gpu.shared"
    assert target.expected_allocatable == 16  # 4 GPUs x 4 replicas
    assert target.sharing == "time-slicing, 4 replicas per GPU"
    pod = build_pod(target)
    (container,) = pod["spec"]["containers"]
    assert container["resources"]["limits"] == {"nvidia.com/gpu.shared": "1"}
    assert pod["spec"]["nodeSelector"]["nvidia.com/device-plugin.config"] == "time-sliced-4-renamed"


def test_mig_target_counts_slices(tmp_path: Path) -> None:
    target = share(tmp_path, {"mig": {"profile": "all-1g.10gb"}}, "p5.48xlarge")
    assert (target.resource, target.expected_allocatable) == ("nvidia.com/gpu", 56)  # 8 GPUs x 7 slices
    assert target.sharing == "MIG all-1g.10gb, 7 nvidia.com/gpu per GPU"
    plain = target_from_env(load_env(EXAMPLES, "prod"), None)
    assert (plain.resource, plain.expected_allocatable, plain.sharing) == ("nvidia.com/gpu", None, "")


def shared(target: SmokeTarget) -> SmokeTarget:
    return dataclasses.replace(target, expected_allocatable=4, sharing="time-slicing, 4 replicas per GPU")


def test_shared_node_advertising_n_per_gpu_passes(
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.gpus = 4
    player.machine_launch()
    result = run_smoke(smoke_cluster, shared(target), options())
    assert result.verdict == "pass", result.reason
    (applied,) = [p for p in result.phases if p.name == "sharing_applied"]
    assert applied.detail == "4 nvidia.com/gpu"


def test_shared_node_without_the_config_fails_with_advice(
    cluster: KubeEmulator,
    player: Player,
    clock: FakeClock,
    smoke_cluster: KubeSmokeCluster,
    target: SmokeTarget,
    options: MakeOptions,
) -> None:
    player.gpus = 1  # the device plugin ignored the pool's config
    player.machine_launch()
    result = run_smoke(smoke_cluster, shared(target), options())
    assert result.verdict == "fail"
    assert result.reason == (
        f"Node {player.node} advertises 1 nvidia.com/gpu, expected 4 (g5.xlarge: time-slicing, 4 replicas per GPU)"
    )
    assert "nvidia.com/device-plugin.config" in result.advice[0]
    assert cluster.list("Pod", "default") == []  # cleaned up all the same
