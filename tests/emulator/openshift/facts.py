"""The constants every builder shares: the cluster's identity, instance facts, EC2's failure messages, ids."""

from __future__ import annotations

import hashlib
from typing import Any

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
