"""Builders for realistic OpenShift-on-AWS objects as a 4.19 cluster returns them (server-set noise included).

``seed_cluster(emu)`` loads a whole cluster: Infrastructure, ClusterVersion, three worker MachineSets in
us-west-2a/b/c with their Machines and Nodes, one GPU pool managed by this tool with Machines in every
phase, the GPU Operator and NFD (Subscription, CSV, ClusterPolicy, NodeFeatureDiscovery), the Argo CD
Application and PackageManifests. Every builder is a plain function returning a dict, so a test can build
variants (``machine(..., phase="Failed", failure="VcpuLimitExceeded")``) and ``emu.add()`` them.

Playing the cluster: ``advance_machine(emu, name, "Running", node=...)``, ``fail_machine(emu, name,
"InsufficientInstanceCapacity")``, ``emu.update("Node", name, patch=...)``.
"""

from .clusters import SeededCluster, add_broken_machines, add_machinesets, seed_cluster, seed_large
from .facts import (
    ACCOUNT,
    AMI,
    AWS_FAILURES,
    GITOPS_NS,
    GPU_NS,
    INFRA_ID,
    INSTANCE_FACTS,
    MACHINE_API_NS,
    NFD_NS,
    OCP_VERSION,
    REGION,
    TS,
    ZONES,
    _address,
    _instance_id,
    _managed_fields,
    _request_id,
    _uid,
)
from .machines import (
    advance_machine,
    fail_machine,
    gpu_machineset,
    machine,
    machineset,
    provider_spec,
    worker_machineset,
)
from .nodes import node, node_for
from .operators import argocd_application, cluster_policy, csv, nfd_instance, package_manifest, subscription
from .platform import cluster_version, infrastructure

__all__ = [
    "ACCOUNT",
    "AMI",
    "AWS_FAILURES",
    "GITOPS_NS",
    "GPU_NS",
    "INFRA_ID",
    "INSTANCE_FACTS",
    "MACHINE_API_NS",
    "NFD_NS",
    "OCP_VERSION",
    "REGION",
    "TS",
    "ZONES",
    "SeededCluster",
    "_address",
    "_instance_id",
    "_managed_fields",
    "_request_id",
    "_uid",
    "add_broken_machines",
    "add_machinesets",
    "advance_machine",
    "argocd_application",
    "cluster_policy",
    "cluster_version",
    "csv",
    "fail_machine",
    "gpu_machineset",
    "infrastructure",
    "machine",
    "machineset",
    "nfd_instance",
    "node",
    "node_for",
    "package_manifest",
    "provider_spec",
    "seed_cluster",
    "seed_large",
    "subscription",
    "worker_machineset",
]
