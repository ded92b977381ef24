"""What to do about a Machine that failed to launch, from the provider's error message.

Kept here until ``ops.status`` (built on another branch) offers the same advice; the lead may replace
``machine_failure_advice`` with that one. The machine controller copies EC2's answer into the Machine:
``errorMessage: "error launching instance: <message>"`` when EC2 refused the request (4xx; the Machine is
``Failed``), or the whole SDK error (``InsufficientInstanceCapacity: ...``) into the ``MachineCreation``
condition of ``providerStatus`` when EC2 had no capacity (5xx; the Machine stays ``Provisioning`` and the
controller retries). Both are matched by code and by the human text, since the code is not always there.
"""

from __future__ import annotations

from typing import Literal

from cluster_capacity import instances

__all__ = ["FailureKind", "classify_machine_failure", "machine_failure_advice"]

FailureKind = Literal["capacity", "quota", "spot-quota", "permissions", "ami", "subnet", "unsupported"]

_PATTERNS: list[tuple[FailureKind, tuple[str, ...]]] = [
    ("capacity", ("insufficientinstancecapacity", "insufficient capacity", "no spot capacity")),
    ("quota", ("vcpulimitexceeded", "vcpu limit", "more vcpu capacity")),
    ("spot-quota", ("maxspotinstancecountexceeded", "max spot instance count")),
    ("permissions", ("unauthorizedoperation", "not authorized to perform", "accessdenied")),
    ("ami", ("invalidamiid", "image id")),
    ("subnet", ("invalidsubnet",)),
    ("unsupported", ("is not supported in your requested availability zone", "unsupported:")),
]


def classify_machine_failure(message: str) -> FailureKind | None:
    """Which known launch failure a provider message is, or None for one we do not know."""
    text = message.lower()
    if "do not have sufficient" in text and "capacity" in text:
        return "capacity"
    for kind, needles in _PATTERNS:
        if any(n in text for n in needles):
            return kind
    return None


def _quota(instance_type: str | None, spot: bool) -> str:
    if not instance_type or not instances.is_instance_type(instance_type):
        return "the EC2 vCPU quota of the instance family (cluster-capacity plan shows which)"
    market: instances.Market = "spot" if spot else "on-demand"
    family = instances.QUOTA_FAMILY_NAMES[instances.quota_family(instance_type)]
    code = instances.quota_code(instance_type, market)
    return f"the {family} {'Spot' if spot else 'On-Demand'} vCPU quota ({code})"


def machine_failure_advice(
    message: str, instance_type: str | None = None, zone: str | None = None, *, spot: bool = False
) -> list[str]:
    """Advice lines for a failed Machine's provider message (capacity, quota, AMI, permissions...)."""
    kind = classify_machine_failure(message)
    what = instance_type or "this instance type"
    where = zone or "this zone"
    if kind == "capacity":
        advice = [
            f"AWS has no {what} capacity in {where} right now: add a pool in another zone or with "
            "another instance type (cluster-capacity plan lists where it is offered), or retry later"
        ]
        if spot:
            advice.append("this is a Spot pool: On-Demand often has capacity when Spot does not")
        return advice
    if kind == "quota":
        return [
            f"the account's vCPU quota is too low: raise {_quota(instance_type, spot)} "
            "(cluster-capacity plan --target-gpus N prints the request command)",
            "or switch the pool between Spot and On-Demand if the other market has headroom",
        ]
    if kind == "spot-quota":
        return [f"the account's Spot limit is reached: raise {_quota(instance_type, True)}, or go On-Demand"]
    if kind == "permissions":
        return [
            "the machine-api credentials lack an IAM permission (the message names the action): check "
            "the machine-api CredentialsRequest and the IAM role it maps to"
        ]
    if kind == "ami":
        return [
            "the AMI in the pool's providerSpec does not exist in this region: copy it from a working "
            "worker MachineSet of this cluster (cluster-capacity add-pool does this)"
        ]
    if kind == "subnet":
        return ["the subnet in the pool's providerSpec does not exist: copy it from a worker MachineSet"]
    if kind == "unsupported":
        return [f"{what} is not offered in {where}: pick a zone that offers it (cluster-capacity plan)"]
    return [
        "read the Machine's status and the machine-api controller log: oc describe machine -n <namespace>"
    ]
