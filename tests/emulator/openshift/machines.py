"""The machine API: MachineSets, Machines, Nodes, and playing the machine controller."""

from __future__ import annotations

import hashlib
from typing import Any

from cluster_capacity import labels as L

from ..server import KubeEmulator
from .facts import (
    AMI,
    AWS_FAILURES,
    INFRA_ID,
    INSTANCE_FACTS,
    MACHINE_API_NS,
    REGION,
    TS,
    _address,
    _instance_id,
    _managed_fields,
    _request_id,
    _uid,
)

Obj = dict[str, Any]


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
