"""Whole clusters: ``seed_cluster`` (a realistic 4.19 cluster), broken Machines, and a large one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..server import KubeEmulator
from .facts import AWS_FAILURES, GITOPS_NS, GPU_NS, INFRA_ID, MACHINE_API_NS, NFD_NS, REGION, ZONES
from .machines import gpu_machineset, machine, worker_machineset
from .nodes import node, node_for
from .operators import argocd_application, cluster_policy, csv, nfd_instance, package_manifest, subscription
from .platform import cluster_version, infrastructure

Obj = dict[str, Any]


@dataclass
class SeededCluster:
    """Names of what ``seed_cluster`` loaded, for assertions."""

    infra_id: str
    region: str
    zones: tuple[str, ...]
    worker_machinesets: list[str]
    gpu_machineset: str
    gpu_pool: str
    machines: dict[str, str] = field(default_factory=dict)  # phase/failure label -> Machine name
    gpu_nodes: list[str] = field(default_factory=list)


def seed_cluster(
    emu: KubeEmulator,
    *,
    infra_id: str = INFRA_ID,
    env: str = "prod",
    with_gpu_pool: bool = True,
    with_operators: bool = True,
    with_application: bool = True,
) -> SeededCluster:
    """Load a realistic 4.19 OpenShift-on-AWS cluster into ``emu``."""
    emu.add(infrastructure(infra_id))
    emu.add(cluster_version())
    for ns in ("default", MACHINE_API_NS, GITOPS_NS, GPU_NS, NFD_NS, "openshift-marketplace"):
        emu.add(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "status": {"phase": "Active"}}
        )
    # A Secret exists, as on every cluster: tests assert nobody reads it.
    emu.add(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "aws-cloud-credentials", "namespace": MACHINE_API_NS},
            "data": {"aws_access_key_id": "QUtJQUVYQU1QTEU=", "aws_secret_access_key": "c2VjcmV0"},
        }
    )
    seeded = SeededCluster(infra_id, REGION, ZONES, [], "", "")
    for zone in ZONES:
        ms = worker_machineset(zone, infra_id=infra_id, replicas=2)
        emu.add(ms)
        seeded.worker_machinesets.append(ms["metadata"]["name"])
        for i in range(2):
            m = machine(ms, i, "Running")
            emu.add(m)
            emu.add(node_for(m))
    if with_gpu_pool:
        pool = "gpu-g5-xlarge-us-west-2a"
        gms = gpu_machineset(pool, infra_id=infra_id, env=env, replicas=1, ready=1)
        emu.add(gms)
        seeded.gpu_machineset, seeded.gpu_pool = gms["metadata"]["name"], pool
        running = machine(gms, 0, "Running")
        emu.add(running)
        gpu_node = node_for(running, gpus=1)
        emu.add(gpu_node)
        seeded.gpu_nodes.append(gpu_node["metadata"]["name"])
        seeded.machines["Running"] = running["metadata"]["name"]
    if with_operators:
        emu.add(subscription("gpu-operator-certified", GPU_NS, "gpu-operator-certified.v25.3.2"))
        emu.add(csv("gpu-operator-certified.v25.3.2", GPU_NS, display="NVIDIA GPU Operator"))
        emu.add(subscription("nfd", NFD_NS, "nfd.4.19.0-202510211040", source="redhat-operators"))
        emu.add(csv("nfd.4.19.0-202510211040", NFD_NS, display="Node Feature Discovery Operator"))
        emu.add(cluster_policy("ready"))
        emu.add(nfd_instance())
        emu.add(package_manifest("gpu-operator-certified", "v25.3", ["stable", "v24.9", "v25.3"]))
        emu.add(package_manifest("nfd", "stable", ["stable"], source="redhat-operators"))
    if with_application:
        emu.add(argocd_application(env))
    return seeded


def add_broken_machines(emu: KubeEmulator, ms_name: str) -> dict[str, str]:
    """Add Machines in every other phase and every AWS failure to MachineSet ``ms_name``; label -> name."""
    ms = emu.get("MachineSet", ms_name, MACHINE_API_NS)
    assert ms is not None
    made: dict[str, str] = {}
    index = 10
    for phase in ("Provisioning", "Provisioned", "Deleting"):
        m = machine(ms, index, phase)
        emu.add(m)
        made[phase] = m["metadata"]["name"]
        index += 1
    for failure, (http, _) in AWS_FAILURES.items():
        m = machine(ms, index, "Provisioning" if http >= 500 else "Failed", failure=failure)
        emu.add(m)
        made[failure] = m["metadata"]["name"]
        index += 1
    return made


def seed_large(
    emu: KubeEmulator,
    *,
    machinesets: int = 50,
    machines: int = 500,
    nodes: int = 500,
    infra_id: str = INFRA_ID,
    env: str = "prod",
) -> list[str]:
    """A big cluster for request budgets: ``machinesets`` pools of ours spread over the zones, with
    ``machines`` Machines and ``nodes`` Nodes (GPU nodes among them); returns the pool suffixes."""
    emu.add(infrastructure(infra_id))
    emu.add(cluster_version())
    pools: list[str] = []
    made_ms: list[Obj] = []
    for i in range(machinesets):
        zone = ZONES[i % len(ZONES)]
        suffix = f"gpu-g5-xlarge-{zone}-{i:02d}"
        ms = gpu_machineset(suffix, infra_id=infra_id, env=env, zone=zone, replicas=machines // machinesets)
        emu.add(ms)
        made_ms.append(ms)
        pools.append(suffix)
    for j in range(machines):
        ms = made_ms[j % machinesets]
        m = machine(ms, j, "Running")
        emu.add(m)
        if j < nodes:
            emu.add(node_for(m, gpus=1))
    for k in range(machines, nodes):
        emu.add(node(f"ip-10-1-{k % 250}-{k // 250}.{REGION}.compute.internal"))
    emu.add(subscription("gpu-operator-certified", GPU_NS, "gpu-operator-certified.v25.3.2"))
    emu.add(csv("gpu-operator-certified.v25.3.2", GPU_NS))
    emu.add(subscription("nfd", NFD_NS, "nfd.4.19.0-202510211040", source="redhat-operators"))
    emu.add(csv("nfd.4.19.0-202510211040", NFD_NS))
    emu.add(cluster_policy("ready"))
    emu.add(nfd_instance())
    emu.add(argocd_application(env))
    return pools


def add_machinesets(
    emu: KubeEmulator,
    objects: Iterable[dict[str, Any]],
    replicas: Mapping[str, int] | None = None,
    prefix: str = "",
) -> dict[str, dict[str, Any]]:
    """The MachineSets among rendered ``objects`` as a synced cluster holds them, none of their nodes ready.

    ``replicas`` (keyed by the name without ``prefix``) sets each one's count, 0 for those it leaves out;
    without it they keep the rendered count.
    """
    stored = {}
    for obj in objects:
        if obj["kind"] != "MachineSet":
            continue
        name = obj["metadata"]["name"]
        if replicas is not None:
            obj["spec"]["replicas"] = replicas.get(name.removeprefix(prefix), 0)
        obj["status"] = {"replicas": obj["spec"].get("replicas", 0), "readyReplicas": 0}
        stored[name] = emu.add(obj)
    return stored
