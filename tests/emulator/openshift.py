"""Builders for realistic OpenShift-on-AWS objects as a 4.19 cluster returns them (server-set noise included).

``seed_cluster(emu)`` loads a whole cluster: Infrastructure, ClusterVersion, three worker MachineSets in
us-west-2a/b/c with their Machines and Nodes, one GPU pool managed by this tool with Machines in every
phase, the GPU Operator and NFD (Subscription, CSV, ClusterPolicy, NodeFeatureDiscovery), the Argo CD
Application and PackageManifests. Every builder is a plain function returning a dict, so a test can build
variants (``machine(..., phase="Failed", failure="VcpuLimitExceeded")``) and ``emu.add()`` them.

Playing the cluster: ``advance_machine(emu, name, "Running", node=...)``, ``fail_machine(emu, name,
"InsufficientInstanceCapacity")``, ``emu.update("Node", name, patch=...)``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from cluster_capacity import labels as L

from .server import KubeEmulator

Obj = dict[str, Any]

INFRA_ID = "ocp-prod-7x2kq"
REGION = "us-west-2"
ZONES = ("us-west-2a", "us-west-2b", "us-west-2c")
OCP_VERSION = "4.19.9"
AMI = "ami-0c65d71e89d43ad60"  # RHCOS 4.19 us-west-2 (from the installer's stream metadata shape)
ACCOUNT = "123456789012"
MACHINE_API_NS = "openshift-machine-api"
GITOPS_NS = "openshift-gitops"
GPU_NS = "nvidia-gpu-operator"
NFD_NS = "openshift-nfd"
TS = "2026-11-02T09:14:07Z"

#: Memory (MiB), vCPUs and GPUs per instance type: what the machine API's annotations carry.
INSTANCE_FACTS: dict[str, tuple[int, int, int]] = {
    "m6i.xlarge": (16384, 4, 0),
    "m6i.2xlarge": (32768, 8, 0),
    "m5.xlarge": (16384, 4, 0),
    "g5.xlarge": (16384, 4, 1),
    "g5.12xlarge": (196608, 48, 4),
    "g6.xlarge": (16384, 4, 1),
    "g4dn.xlarge": (16384, 4, 1),
    "p4d.24xlarge": (1179648, 96, 8),
    "inf2.xlarge": (16384, 4, 0),
}

#: What EC2 answers for the failures the issue names ({type}, {zone}, {ami} filled in from the Machine),
#: and how the machine API reports each one.
#: 4xx answers make the Machine ``Failed`` (InvalidMachineConfiguration) with
#: ``errorMessage: "error launching instance: <message>"``; 5xx answers (capacity) leave it
#: ``Provisioning`` with the full SDK error in ``providerStatus.conditions[MachineCreation]``.
AWS_FAILURES: dict[str, tuple[int, str]] = {
    "InsufficientInstanceCapacity": (
        500,
        "We currently do not have sufficient {type} capacity in the Availability Zone you requested "
        "({zone}). Our system will be working on provisioning additional capacity. You can currently get "
        "{type} capacity by not specifying an Availability Zone in your request or choosing us-west-2b, "
        "us-west-2c.",
    ),
    "MaxSpotInstanceCountExceeded": (400, "Max spot instance count exceeded"),
    "VcpuLimitExceeded": (
        400,
        "You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance "
        "bucket that the specified instance type belongs to. Please visit "
        "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.",
    ),
    "UnauthorizedOperation": (
        403,
        "You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/"
        "ocp-prod-7x2kq-openshift-machine-api-aws-cloud-credentials/1732785412345678901 is not authorized to "
        "perform: ec2:RunInstances on resource: arn:aws:ec2:us-west-2:123456789012:instance/* because no "
        "identity-based policy allows the ec2:RunInstances action. Encoded authorization failure message: "
        "rBxnGqKc0Zk3sR8fV2uQbHn7yLdW5mXpTa9e",
    ),
    "InvalidAMIID.NotFound": (400, "The image id '[{ami}]' does not exist"),
    "Unsupported": (
        400,
        "Your requested instance type ({type}) is not supported in your requested Availability Zone "
        "({zone}). Please retry your request by not specifying an Availability Zone or choosing "
        "us-west-2a, us-west-2b, us-west-2c.",
    ),
}


def _uid(*parts: str) -> str:
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _instance_id(*parts: str) -> str:
    return "i-0" + hashlib.sha1("/".join(parts).encode()).hexdigest()[:16]


def _address(machine_name: str, region: str) -> tuple[str, str]:
    """A stable private IP and the EC2 private DNS name that becomes the Node name."""
    h = hashlib.sha1(machine_name.encode()).digest()
    ip = f"10.{h[0] % 128}.{h[1]}.{h[2] % 250 + 4}"
    return ip, f"ip-{ip.replace('.', '-')}.{region}.compute.internal"


def _request_id(*parts: str) -> str:
    return _uid("request", *parts)


def _managed_fields(manager: str, operation: str = "Update", subresource: str | None = None) -> Obj:
    entry: Obj = {
        "apiVersion": "machine.openshift.io/v1beta1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:spec": {".": {}, "f:replicas": {}}},
        "manager": manager,
        "operation": operation,
        "time": TS,
    }
    if subresource:
        entry["subresource"] = subresource
        entry["fieldsV1"] = {"f:status": {".": {}, "f:replicas": {}, "f:observedGeneration": {}}}
    return entry


# --- cluster-scoped facts ---------------------------------------------------------------------------


def infrastructure(infra_id: str = INFRA_ID, region: str = REGION, platform: str = "AWS") -> Obj:
    """``Infrastructure`` ``cluster`` (config.openshift.io/v1)."""
    platform_status: Obj = {"type": platform}
    if platform == "AWS":
        platform_status["aws"] = {
            "region": region,
            "resourceTags": [{"key": "cost-center", "value": "ml-platform"}],
        }
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "Infrastructure",
        "metadata": {"name": "cluster", "uid": _uid("infra", infra_id), "generation": 1},
        "spec": {"cloudConfig": {"name": ""}, "platformSpec": {"type": platform, platform.lower(): {}}},
        "status": {
            "apiServerInternalURI": f"https://api-int.{infra_id.rsplit('-', 1)[0]}.example.com:6443",
            "apiServerURL": f"https://api.{infra_id.rsplit('-', 1)[0]}.example.com:6443",
            "controlPlaneTopology": "HighlyAvailable",
            "cpuPartitioning": "None",
            "etcdDiscoveryDomain": "",
            "infrastructureName": infra_id,
            "infrastructureTopology": "HighlyAvailable",
            "platform": platform,
            "platformStatus": platform_status,
        },
    }


def cluster_version(version: str = OCP_VERSION, channel: str | None = None) -> Obj:
    """``ClusterVersion`` ``version``: the desired and the completed history entry."""
    minor = ".".join(version.split(".")[:2])
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterVersion",
        "metadata": {"name": "version", "uid": _uid("cv")},
        "spec": {"channel": channel or f"stable-{minor}", "clusterID": _uid("cluster-id")},
        "status": {
            "availableUpdates": None,
            "desired": {
                "version": version,
                "image": f"quay.io/openshift-release-dev/ocp-release@sha256:{'ab' * 32}",
            },
            "history": [
                {
                    "state": "Completed",
                    "version": version,
                    "startedTime": TS,
                    "completionTime": TS,
                    "verified": True,
                    "image": f"quay.io/openshift-release-dev/ocp-release@sha256:{'ab' * 32}",
                }
            ],
            "observedGeneration": 3,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastTransitionTime": TS,
                    "message": f"Done applying {version}",
                }
            ],
        },
    }


# --- machine API ----------------------------------------------------------------------------------


def provider_spec(
    infra_id: str = INFRA_ID,
    zone: str = "us-west-2a",
    instance_type: str = "m6i.xlarge",
    *,
    region: str = REGION,
    role: str = "worker",
    spot: bool = False,
    ami: str = AMI,
) -> Obj:
    """An ``AWSMachineProviderConfig`` as the installer writes it for a worker MachineSet (4.16+ names)."""
    value: Obj = {
        "ami": {"id": ami},
        "apiVersion": "machine.openshift.io/v1beta1",
        "blockDevices": [
            {
                "ebs": {
                    "encrypted": True,
                    "iops": 0,
                    "kmsKey": {"arn": ""},
                    "volumeSize": 120,
                    "volumeType": "gp3",
                }
            }
        ],
        "capacityReservationId": "",
        "credentialsSecret": {"name": "aws-cloud-credentials"},
        "deviceIndex": 0,
        "iamInstanceProfile": {"id": f"{infra_id}-worker-profile"},
        "instanceType": instance_type,
        "kind": "AWSMachineProviderConfig",
        "metadata": {"creationTimestamp": None},
        "metadataServiceOptions": {},
        "placement": {"availabilityZone": zone, "region": region},
        "securityGroups": [
            {"filters": [{"name": "tag:Name", "values": [f"{infra_id}-node"]}]},
            {"filters": [{"name": "tag:Name", "values": [f"{infra_id}-lb"]}]},
        ],
        "subnet": {"filters": [{"name": "tag:Name", "values": [f"{infra_id}-subnet-private-{zone}"]}]},
        "tags": [
            {"name": f"kubernetes.io/cluster/{infra_id}", "value": "owned"},
            {"name": "cost-center", "value": "ml-platform"},
        ],
        "userDataSecret": {
            "name": f"{role}-user-data" if role in ("worker", "master") else "worker-user-data"
        },
    }
    if spot:
        value["spotMarketOptions"] = {}
    return value


def machineset(
    name: str,
    *,
    infra_id: str = INFRA_ID,
    zone: str = "us-west-2a",
    instance_type: str = "m6i.xlarge",
    replicas: int = 1,
    ready: int | None = None,
    role: str = "worker",
    spot: bool = False,
    extra_labels: dict[str, str] | None = None,
    template_labels: dict[str, str] | None = None,
    node_labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
) -> Obj:
    """A MachineSet as a live cluster returns it: annotations, managedFields, status and all."""
    memory, vcpu, gpus = INSTANCE_FACTS.get(instance_type, (16384, 4, 0))
    ready = replicas if ready is None else ready
    selector = {L.CLUSTER: infra_id, L.MACHINESET: name}
    tmpl_labels = {
        L.CLUSTER: infra_id,
        L.MACHINE_ROLE: role,
        L.MACHINE_TYPE: role,
        L.MACHINESET: name,
        **(template_labels or {}),
    }
    spec_meta: Obj = {
        "labels": node_labels if node_labels is not None else {f"node-role.kubernetes.io/{role}": ""}
    }
    template_spec: Obj = {
        "lifecycleHooks": {},
        "metadata": spec_meta,
        "providerSpec": {"value": provider_spec(infra_id, zone, instance_type, role=role, spot=spot)},
    }
    if taints:
        template_spec["taints"] = taints
    annotations = {
        "capacity.cluster-autoscaler.kubernetes.io/labels": "kubernetes.io/arch=amd64",
        "machine.openshift.io/GPU": str(gpus),
        "machine.openshift.io/memoryMb": str(memory),
        "machine.openshift.io/vCPU": str(vcpu),
    }
    if gpus:
        annotations["machine.openshift.io/GPU-type"] = "nvidia.com/gpu"
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {
            "annotations": annotations,
            "creationTimestamp": TS,
            "generation": 2,
            "labels": {L.CLUSTER: infra_id, **(extra_labels or {})},
            "managedFields": [
                _managed_fields("cluster-bootstrap", "Update"),
                _managed_fields("machineset-controller", "Update", "status"),
            ],
            "name": name,
            "namespace": MACHINE_API_NS,
            "uid": _uid("machineset", name),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": tmpl_labels}, "spec": template_spec},
        },
        "status": {
            "availableReplicas": ready,
            "fullyLabeledReplicas": replicas,
            "labelSelector": ",".join(f"{k}={v}" for k, v in selector.items()),
            "observedGeneration": 2,
            "readyReplicas": ready,
            "replicas": replicas,
        },
    }


def worker_machineset(
    zone: str, *, infra_id: str = INFRA_ID, replicas: int = 1, instance_type: str = "m6i.xlarge"
) -> Obj:
    """The installer's ``<infraID>-worker-<zone>`` MachineSet."""
    return machineset(
        f"{infra_id}-worker-{zone}",
        infra_id=infra_id,
        zone=zone,
        replicas=replicas,
        instance_type=instance_type,
    )


def gpu_machineset(
    suffix: str = "gpu-g5-xlarge-us-west-2a",
    *,
    infra_id: str = INFRA_ID,
    env: str | None = "prod",
    zone: str = "us-west-2a",
    instance_type: str = "g5.xlarge",
    replicas: int = 1,
    ready: int | None = None,
    spot: bool = False,
    accelerator: str = "nvidia-a10g",
) -> Obj:
    """A GPU MachineSet as this tool renders it (managed-by, env and pool labels), live."""
    ours = {L.MANAGED_BY: L.MANAGED_BY_VALUE, L.POOL: suffix, **({L.ENV: env} if env else {})}
    return machineset(
        f"{infra_id}-{suffix}",
        infra_id=infra_id,
        zone=zone,
        instance_type=instance_type,
        replicas=replicas,
        ready=ready,
        role="gpu",
        spot=spot,
        extra_labels=ours,
        template_labels={L.POOL: suffix, L.MANAGED_BY: L.MANAGED_BY_VALUE},
        node_labels={
            "node-role.kubernetes.io/worker": "",
            "node-role.kubernetes.io/gpu": "",
            L.ACCELERATOR: accelerator,
        },
        taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
    )


def machine(
    ms: Obj,
    index: int,
    phase: str = "Running",
    *,
    failure: str | None = None,
    node_name: str | None = None,
) -> Obj:
    """A Machine of MachineSet ``ms`` in ``phase`` (``Provisioning``, ``Provisioned``, ``Running``,
    ``Deleting``, ``Failed``); ``failure`` is a key of ``AWS_FAILURES``."""
    ms_name = ms["metadata"]["name"]
    suffix = hashlib.sha1(f"{ms_name}/{index}".encode()).hexdigest()[:5]
    name = f"{ms_name}-{suffix}"
    value = ms["spec"]["template"]["spec"]["providerSpec"]["value"]
    zone, instance_type = value["placement"]["availabilityZone"], value["instanceType"]
    region = value["placement"]["region"]
    instance_id = _instance_id(name)
    ip, host = _address(name, region)
    launched = phase in ("Provisioned", "Running", "Deleting")
    labels = {**ms["spec"]["template"]["metadata"]["labels"]}
    if launched or phase == "Failed":
        labels.update(
            {
                "machine.openshift.io/instance-type": instance_type,
                "machine.openshift.io/region": region,
                "machine.openshift.io/zone": zone,
            }
        )
    if "spotMarketOptions" in value:
        labels[L.INTERRUPTIBLE] = ""
    creation: Obj = {
        "type": "MachineCreation",
        "status": "True",
        "reason": "MachineCreationSucceeded",
        "message": "Machine successfully created",
        "lastTransitionTime": TS,
    }
    status: Obj = {"phase": phase, "lastUpdated": TS}
    if failure is not None:
        http, template = AWS_FAILURES[failure]
        message = template.format(type=instance_type, zone=zone, ami=(value.get("ami") or {}).get("id", ""))
        if http >= 500:
            sdk_error = f"{failure}: {message}\n\tstatus code: {http}, request id: {_request_id(name)}"
            creation = {
                "type": "MachineCreation",
                "status": "False",
                "reason": "MachineCreationFailed",
                "message": f"error creating EC2 instance: {sdk_error}",
                "lastTransitionTime": TS,
            }
        else:
            creation = {
                "type": "MachineCreation",
                "status": "False",
                "reason": "MachineCreationFailed",
                "message": f"error launching instance: {message}",
                "lastTransitionTime": TS,
            }
            status["errorReason"] = "InvalidConfiguration"
            status["errorMessage"] = f"error launching instance: {message}"
    provider_status: Obj = {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "AWSMachineProviderStatus",
        "conditions": [creation],
    }
    if launched:
        provider_status["instanceId"] = instance_id
        provider_status["instanceState"] = "running" if phase != "Deleting" else "shutting-down"
        status["addresses"] = [
            {"type": "InternalIP", "address": ip},
            {"type": "InternalDNS", "address": host},
        ]
    status["providerStatus"] = provider_status
    conditions = [
        {
            "type": "InstanceExists",
            "status": "True" if launched else "False",
            "lastTransitionTime": TS,
            **(
                {}
                if launched
                else {
                    "reason": "InstanceMissing",
                    "severity": "Warning",
                    "message": "Instance not found on provider",
                }
            ),
        }
    ]
    status["conditions"] = conditions
    if phase in ("Running", "Deleting"):
        node = node_name or host
        status["nodeRef"] = {"kind": "Node", "name": node, "uid": _uid("node", node)}
    metadata: Obj = {
        "annotations": {
            "machine.openshift.io/instance-state": provider_status.get("instanceState", "pending")
        },
        "creationTimestamp": TS,
        "finalizers": ["machine.machine.openshift.io"],
        "generation": 1,
        "labels": labels,
        "name": name,
        "namespace": MACHINE_API_NS,
        "ownerReferences": [
            {
                "apiVersion": "machine.openshift.io/v1beta1",
                "kind": "MachineSet",
                "name": ms_name,
                "uid": ms["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
        "uid": _uid("machine", name),
    }
    if phase == "Deleting":
        metadata["deletionTimestamp"] = TS
        metadata["deletionGracePeriodSeconds"] = 0
    spec: Obj = {
        "lifecycleHooks": {},
        "metadata": ms["spec"]["template"]["spec"].get("metadata", {}),
        "providerSpec": {"value": value},
    }
    if ms["spec"]["template"]["spec"].get("taints"):
        spec["taints"] = ms["spec"]["template"]["spec"]["taints"]
    if launched:
        spec["providerID"] = f"aws:///{zone}/{instance_id}"
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "Machine",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    }


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


def advance_machine(emu: KubeEmulator, name: str, phase: str, *, node_name: str | None = None) -> Obj:
    """Move a stored Machine to ``phase`` the way the machine controller would (instance, nodeRef)."""
    current = emu.get("Machine", name, MACHINE_API_NS)
    if current is None:
        raise KeyError(name)
    owner = current["metadata"]["ownerReferences"][0]["name"]
    ms = emu.get("MachineSet", owner, MACHINE_API_NS)
    assert ms is not None
    fresh = machine(ms, 0, phase, node_name=node_name)
    patch = {
        "metadata": {"labels": fresh["metadata"]["labels"], "annotations": fresh["metadata"]["annotations"]},
        "spec": {"providerID": fresh["spec"].get("providerID")},
        "status": fresh["status"],
    }
    if phase in ("Running", "Deleting") and node_name is None:
        patch["status"]["nodeRef"]["name"] = _address(name, REGION)[1]
    return emu.update("Machine", name, MACHINE_API_NS, patch)


def fail_machine(emu: KubeEmulator, name: str, failure: str) -> Obj:
    """Make a stored Machine fail the way EC2 refused it (``failure`` is a key of ``AWS_FAILURES``)."""
    current = emu.get("Machine", name, MACHINE_API_NS)
    if current is None:
        raise KeyError(name)
    ms = emu.get("MachineSet", current["metadata"]["ownerReferences"][0]["name"], MACHINE_API_NS)
    assert ms is not None
    http = AWS_FAILURES[failure][0]
    fresh = machine(ms, 0, "Provisioning" if http >= 500 else "Failed", failure=failure)
    return emu.update("Machine", name, MACHINE_API_NS, {"status": fresh["status"]})


# --- operators, Argo CD -----------------------------------------------------------------------------


def subscription(
    name: str,
    namespace: str,
    csv: str,
    *,
    package: str | None = None,
    channel: str = "stable",
    source: str = "certified-operators",
    state: str = "AtLatestKnown",
) -> Obj:
    """An OLM Subscription with the status OLM writes."""
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": _uid("sub", name),
            "creationTimestamp": TS,
            "labels": {f"operators.coreos.com/{package or name}.{namespace}": ""},
        },
        "spec": {
            "channel": channel,
            "installPlanApproval": "Automatic",
            "name": package or name,
            "source": source,
            "sourceNamespace": "openshift-marketplace",
        },
        "status": {
            "currentCSV": csv,
            "installedCSV": csv,
            "state": state,
            "lastUpdated": TS,
            "catalogHealth": [
                {
                    "healthy": True,
                    "lastUpdated": TS,
                    "catalogSourceRef": {"name": source, "namespace": "openshift-marketplace"},
                }
            ],
            "conditions": [
                {"type": "CatalogSourcesUnhealthy", "status": "False", "reason": "AllCatalogSourcesHealthy"}
            ],
        },
    }


def csv(name: str, namespace: str, phase: str = "Succeeded", *, display: str = "") -> Obj:
    """A ClusterServiceVersion in ``phase`` (Pending, InstallReady, Installing, Succeeded, Failed)."""
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {"name": name, "namespace": namespace, "uid": _uid("csv", name), "creationTimestamp": TS},
        "spec": {"displayName": display or name, "version": name.split(".v", 1)[-1]},
        "status": {
            "phase": phase,
            "reason": "InstallSucceeded" if phase == "Succeeded" else "InstallWaiting",
            "message": "install strategy completed with no errors"
            if phase == "Succeeded"
            else "installing: waiting for deployment gpu-operator to become ready",
            "lastUpdateTime": TS,
        },
    }


def cluster_policy(state: str = "ready", name: str = "cluster-policy") -> Obj:
    """NVIDIA ClusterPolicy with ``status.state`` (ready / notReady / ignored)."""
    return {
        "apiVersion": "nvidia.com/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name, "uid": _uid("cp", name), "creationTimestamp": TS, "generation": 1},
        "spec": {
            "operator": {"defaultRuntime": "crio", "use_ocp_driver_toolkit": True},
            "driver": {"enabled": True},
            "devicePlugin": {"enabled": True},
            "dcgm": {"enabled": True},
            "dcgmExporter": {"enabled": True},
            "gfd": {"enabled": True},
            "toolkit": {"enabled": True},
            "daemonsets": {},
            "nodeStatusExporter": {"enabled": True},
        },
        "status": {
            "namespace": GPU_NS,
            "state": state,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if state == "ready" else "False",
                    "reason": "Reconciled" if state == "ready" else "OperandNotReady",
                    "lastTransitionTime": TS,
                    "message": ""
                    if state == "ready"
                    else "ClusterPolicy is not ready, states not ready: [state-driver]",
                }
            ],
        },
    }


def nfd_instance(available: bool = True, name: str = "nfd-instance") -> Obj:
    """NodeFeatureDiscovery with its Available/Degraded conditions."""
    return {
        "apiVersion": "nfd.openshift.io/v1",
        "kind": "NodeFeatureDiscovery",
        "metadata": {"name": name, "namespace": NFD_NS, "uid": _uid("nfd", name), "creationTimestamp": TS},
        "spec": {"operand": {"servicePort": 12000}, "workerConfig": {"configData": ""}},
        "status": {
            "conditions": [
                {"type": "Available", "status": "True" if available else "False", "lastTransitionTime": TS},
                {"type": "Degraded", "status": "False" if available else "True", "lastTransitionTime": TS},
            ]
        },
    }


def argocd_application(
    env: str = "prod",
    *,
    sync: str = "Synced",
    health: str = "Healthy",
    ignore_replicas: bool = True,
    repo: str = "https://github.com/example/gitops.git",
) -> Obj:
    """The Argo CD Application ``cluster-capacity-<env>`` with sync and health status."""
    spec: Obj = {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc"},
        "source": {"repoURL": repo, "targetRevision": "main", "path": f"rendered/{env}"},
        "syncPolicy": {
            "automated": {"prune": False, "selfHeal": True},
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
        },
    }
    if ignore_replicas:
        spec["ignoreDifferences"] = [
            {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
        ]
        spec["syncPolicy"]["syncOptions"] = ["RespectIgnoreDifferences=true"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"cluster-capacity-{env}",
            "namespace": GITOPS_NS,
            "uid": _uid("app", env),
            "creationTimestamp": TS,
            "generation": 14,
        },
        "spec": spec,
        "status": {
            "sync": {"status": sync, "revision": "4f1c2a9e0b7d3c5e8f6a1b2c3d4e5f6a7b8c9d0e"},
            "health": {"status": health},
            "reconciledAt": TS,
            "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
        },
    }


def package_manifest(
    name: str, default_channel: str, channels: list[str], *, source: str = "certified-operators"
) -> Obj:
    """A PackageManifest (packages.operators.coreos.com) as the catalog serves it."""
    return {
        "apiVersion": "packages.operators.coreos.com/v1",
        "kind": "PackageManifest",
        "metadata": {
            "name": name,
            "namespace": "openshift-marketplace",
            "creationTimestamp": TS,
            "labels": {"catalog": source, "catalog-namespace": "openshift-marketplace"},
        },
        "spec": {},
        "status": {
            "catalogSource": source,
            "catalogSourceNamespace": "openshift-marketplace",
            "defaultChannel": default_channel,
            "packageName": name,
            "channels": [
                {"name": c, "currentCSV": f"{name}.{c if c.startswith('v') else 'v25.3.2'}"} for c in channels
            ],
        },
    }


# --- whole clusters -----------------------------------------------------------------------------------


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
