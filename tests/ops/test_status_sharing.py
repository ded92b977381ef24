"""status on a shared pool counts the resource its nodes advertise, not only nvidia.com/gpu."""

from __future__ import annotations

from pathlib import Path

import yaml

from cluster_capacity import kube
from cluster_capacity.config import load_env
from cluster_capacity.ops.pools.status import pool_status
from tests.emulator import KubeEmulator
from tests.emulator.openshift import SeededCluster


def share(project: Path, sharing: dict[str, object]) -> None:
    path = project.parent / "values" / "values-prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["machineSets"][0]["gpuSharing"] = sharing
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def advertise(emu: KubeEmulator, node: str, allocatable: dict[str, str]) -> None:
    emu.update("Node", node, patch={"status": {"allocatable": allocatable, "capacity": allocatable}})


def test_renamed_time_slicing_counts_gpu_shared(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, project: Path
) -> None:
    share(project, {"timeSlicing": {"replicas": 4, "renameByDefault": True}})
    (node,) = cluster.gpu_nodes
    advertise(kube_emulator, node, {"nvidia.com/gpu": "0", "nvidia.com/gpu.shared": "4"})
    (pool,) = pool_status(client, load_env(project, "prod")).pools
    assert (pool.gpus, pool.issues, pool.healthy) == (4, [], True)

    advertise(
        kube_emulator, node, {"nvidia.com/gpu": "1", "nvidia.com/gpu.shared": None}
    )  # config not applied
    (pool,) = pool_status(client, load_env(project, "prod")).pools
    assert pool.gpus == 0 and not pool.healthy
    assert pool.issues == [
        "Ready nodes show no allocatable nvidia.com/gpu.shared: GPU Operator driver or device plugin not running"
    ]


def test_plain_time_slicing_counts_every_replica(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, project: Path
) -> None:
    share(project, {"timeSlicing": {"replicas": 4}})
    (node,) = cluster.gpu_nodes
    advertise(kube_emulator, node, {"nvidia.com/gpu": "4"})
    (pool,) = pool_status(client, load_env(project, "prod")).pools
    assert (pool.gpus, pool.healthy) == (4, True)
