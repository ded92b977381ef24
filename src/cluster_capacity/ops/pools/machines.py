"""Why a Machine is not becoming a Node, and what to do about it.

The machine API reports an EC2 refusal in two places: a 4xx answer makes the Machine ``Failed`` with
``status.errorMessage: "error launching instance: <EC2 message>"``; a 5xx answer (no capacity) leaves it
``Provisioning`` with the SDK error (``InsufficientInstanceCapacity: ...``) in
``status.providerStatus.conditions[type=MachineCreation]``. EC2's 4xx messages do not carry the error
code, so both the code and the message wording are matched.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from cluster_capacity import instances

__all__ = ["STUCK_AFTER", "MachineProblem", "advise", "classify", "machine_problem"]

#: A Machine still Provisioning / Provisioned after this long is stuck, even without an error.
STUCK_AFTER = dt.timedelta(minutes=20)

#: (reason, patterns): the first match wins; patterns are the EC2 code and the message wording.
_KINDS: list[tuple[str, tuple[str, ...]]] = [
    (
        "InsufficientInstanceCapacity",
        (r"InsufficientInstanceCapacity", r"do not have sufficient .* capacity"),
    ),
    ("MaxSpotInstanceCountExceeded", (r"MaxSpotInstanceCountExceeded", r"max spot instance count exceeded")),
    (
        "VcpuLimitExceeded",
        (r"VcpuLimitExceeded", r"requested more vCPU capacity than your current vCPU limit"),
    ),
    ("UnauthorizedOperation", (r"UnauthorizedOperation", r"not authorized to perform")),
    ("InvalidAMIID.NotFound", (r"InvalidAMIID", r"image id '?\[?ami-[0-9a-f]+\]?'? does not exist")),
    ("Unsupported", (r"\bUnsupported\b", r"not supported in your requested Availability Zone")),
    ("SpotMaxPriceTooLow", (r"SpotMaxPriceTooLow", r"lower than the minimum required Spot request")),
    ("InstanceLimitExceeded", (r"InstanceLimitExceeded",)),
]


@dataclass(frozen=True)
class MachineProblem:
    """A Machine that failed or is stuck, with the provider's message and advice."""

    machine: str
    phase: str
    reason: str  # EC2 error code when known, else "Failed" / "Stuck"
    message: str
    advice: str


def classify(message: str) -> str | None:
    """The EC2 error behind a machine API message, or None."""
    for reason, patterns in _KINDS:
        if any(re.search(p, message, re.IGNORECASE) for p in patterns):
            return reason
    return None


def advise(reason: str | None, *, instance_type: str, zone: str, region: str, spot: bool) -> str:
    """What to do about a Machine that failed for ``reason``."""
    market: instances.Market = "spot" if spot else "on-demand"
    family = _quota_family(instance_type)
    if reason == "InsufficientInstanceCapacity":
        return (
            f"AWS has no spare {instance_type or 'instance'} capacity in {zone or 'this zone'} right now: try "
            "another zone (cluster-capacity add-pool --zone ...) or another instance type, or retry later"
        )
    if reason in ("MaxSpotInstanceCountExceeded", "VcpuLimitExceeded", "InstanceLimitExceeded"):
        if reason == "MaxSpotInstanceCountExceeded":
            market = "spot"
        code = instances.QUOTA_CODES[(family, market)] if family else "(see cluster-capacity plan)"
        name = instances.QUOTA_FAMILY_NAMES[family] if family else "the instance family"
        market_name = "Spot" if market == "spot" else "On-Demand"
        switch = (
            "On-Demand (drop providerSpec.spotMarketOptions)"
            if market == "spot"
            else "Spot (add providerSpec.spotMarketOptions: {}; Spot has its own quota)"
        )
        return (
            f"vCPU quota exhausted: raise Service Quotas code {code} (Running {market_name} {name} instances, "
            f"service ec2) in {region or 'the region'}, or switch the pool to {switch}"
        )
    if reason == "UnauthorizedOperation":
        return (
            "the machine API's AWS credentials may not launch this instance: check the IAM policy of the "
            "openshift-machine-api-aws CredentialsRequest (ec2:RunInstances; for Spot also "
            "iam:CreateServiceLinkedRole) and decode the message with `aws sts decode-authorization-message`"
        )
    if reason == "InvalidAMIID.NotFound":
        return (
            f"the AMI in providerSpec.ami.id does not exist in {region or 'this region'}: copy the AMI of a "
            "current worker MachineSet (re-create the pool with cluster-capacity add-pool)"
        )
    if reason == "Unsupported":
        return (
            f"{instance_type or 'this type'} is not offered in {zone or 'this zone'}: pick a zone that offers "
            "it (cluster-capacity plan shows them)"
        )
    if reason == "SpotMaxPriceTooLow":
        return (
            "the Spot maxPrice is below the current Spot price: raise spotMarketOptions.maxPrice or remove it"
        )
    return "see `oc describe machine` and the machine-api controller logs for the provider's full message"


def machine_problem(
    machine: dict[str, Any],
    *,
    region: str = "",
    now: dt.datetime | None = None,
) -> MachineProblem | None:
    """The problem with a Machine, or None when it is fine (or still within its normal start time)."""
    meta = machine.get("metadata") or {}
    status = machine.get("status") or {}
    phase = str(status.get("phase") or "")
    value = ((machine.get("spec") or {}).get("providerSpec") or {}).get("value") or {}
    instance_type = str(value.get("instanceType") or "")
    zone = str((value.get("placement") or {}).get("availabilityZone") or "")
    region = region or str((value.get("placement") or {}).get("region") or "")
    spot = value.get("spotMarketOptions") is not None
    failed_condition = next(
        (
            c
            for c in ((status.get("providerStatus") or {}).get("conditions") or [])
            if c.get("type") == "MachineCreation" and c.get("status") == "False"
        ),
        None,
    )
    message = str(status.get("errorMessage") or (failed_condition or {}).get("message") or "")
    name = str(meta.get("name", ""))
    if phase == "Failed" or (phase in ("", "Provisioning", "Provisioned") and failed_condition is not None):
        reason = classify(message)
        return MachineProblem(
            name,
            phase or "Pending",
            reason or ("Failed" if phase == "Failed" else "Stuck"),
            message.strip() or "no message from the provider",
            advise(reason, instance_type=instance_type, zone=zone, region=region, spot=spot),
        )
    if phase in ("", "Provisioning", "Provisioned") and now is not None:
        created = _timestamp(meta.get("creationTimestamp"))
        if created is not None and now - created > STUCK_AFTER:
            minutes = int((now - created).total_seconds() // 60)
            return MachineProblem(
                name,
                phase or "Pending",
                "Stuck",
                f"{phase or 'Pending'} for {minutes} minutes",
                "the instance does not join: check the Machine's events and the node's "
                "console log (`oc describe machine`, CSRs pending with `oc get csr`)",
            )
    return None


def _quota_family(instance_type: str) -> instances.QuotaFamily | None:
    if not instance_type or not instances.is_instance_type(instance_type):
        return None
    return instances.quota_family(instance_type)


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
