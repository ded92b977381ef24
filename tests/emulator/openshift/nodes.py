"""Nodes as a 4.19 cluster's kubelets register them: labels, capacity, conditions, addresses."""

from __future__ import annotations

from typing import Any

from cluster_capacity import labels as L

from .facts import (
    INSTANCE_FACTS,
    MACHINE_API_NS,
    REGION,
    TS,
    _instance_id,
    _uid,
)

Obj = dict[str, Any]


def node(
    name: str,
    *,
    zone: str = "us-west-2a",
    instance_type: str = "m6i.xlarge",
    ready: bool = True,
    gpus: int = 0,
    neuron: int = 0,
    machine_name: str | None = None,
    extra_labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
    role: str = "worker",
) -> Obj:
    """A Node as the kubelet and the machine API report it; ``gpus`` sets allocatable ``nvidia.com/gpu``."""
    memory, vcpu, _ = INSTANCE_FACTS.get(instance_type, (16384, 4, 0))
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": instance_type,
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": REGION,
        "failure-domain.beta.kubernetes.io/zone": zone,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name.split(".")[0],
        "kubernetes.io/os": "linux",
        f"node-role.kubernetes.io/{role}": "",
        "node.kubernetes.io/instance-type": instance_type,
        "node.openshift.io/os_id": "rhcos",
        "topology.ebs.csi.aws.com/zone": zone,
        "topology.kubernetes.io/region": REGION,
        "topology.kubernetes.io/zone": zone,
        **(extra_labels or {}),
    }
    if role != "worker":
        labels["node-role.kubernetes.io/worker"] = ""
    allocatable = {
        "cpu": f"{vcpu * 1000 - 500}m",
        "ephemeral-storage": "115470533646",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory - 1100}Mi",
        "pods": "250",
    }
    if gpus:
        allocatable["nvidia.com/gpu"] = str(gpus)
        labels.update(
            {
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.count": str(gpus),
                "nvidia.com/gpu.product": "NVIDIA-A10G",
                "nvidia.com/gpu.memory": "23028",
            }
        )
    if neuron:
        allocatable["aws.amazon.com/neuron"] = str(neuron)
        allocatable["aws.amazon.com/neuroncore"] = str(neuron * 2)
    annotations = {
        "machineconfiguration.openshift.io/state": "Done",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    if machine_name:
        annotations["machine.openshift.io/machine"] = f"{MACHINE_API_NS}/{machine_name}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": annotations,
            "creationTimestamp": TS,
            "labels": labels,
            "name": name,
            "uid": _uid("node", name),
        },
        "spec": {
            "providerID": f"aws:///{zone}/{_instance_id(machine_name or name)}",
            **({"taints": taints} if taints else {}),
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": "10.0.1.10"},
                {"type": "Hostname", "address": name},
            ],
            "allocatable": allocatable,
            "capacity": {**allocatable, "cpu": str(vcpu), "memory": f"{memory * 1024}Ki"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
                {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID"},
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "KubeletReady" if ready else "KubeletNotReady",
                    "message": "kubelet is posting ready status"
                    if ready
                    else "container runtime network not ready",
                },
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": _uid("boot", name),
                "kubeProxyVersion": "",
                "machineID": _uid("machine-id", name).replace("-", ""),
                "systemUUID": _uid("ec2", name),
                "containerRuntimeVersion": "cri-o://1.32.6-3.rhaos4.19",
                "kernelVersion": "5.14.0-427.81.1.el9_4.x86_64",
                "kubeletVersion": "v1.32.6",
                "operatingSystem": "linux",
                "osImage": "Red Hat Enterprise Linux CoreOS 9.6",
            },
        },
    }


def node_for(m: Obj, *, ready: bool = True, gpus: int = 0, neuron: int = 0) -> Obj:
    """The Node a Running Machine points at (same name, zone, type, labels and taints)."""
    value = m["spec"]["providerSpec"]["value"]
    role = m["metadata"]["labels"].get(L.MACHINE_ROLE, "worker")
    spec_labels = dict((m["spec"].get("metadata") or {}).get("labels") or {})
    return node(
        m["status"]["nodeRef"]["name"],
        zone=value["placement"]["availabilityZone"],
        instance_type=value["instanceType"],
        ready=ready,
        gpus=gpus,
        neuron=neuron,
        machine_name=m["metadata"]["name"],
        extra_labels=spec_labels,
        taints=m["spec"].get("taints"),
        role=role,
    )
