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
from collections.abc import Iterable, Mapping
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
        (
            r"InsufficientInstanceCapacity",
            r"do not have sufficient .* capacity",
            r"no Spot capacity available that matches your request",
        ),
    ),
    (
        "ServiceLinkedRoleCreationNotPermitted",
        (
            r"ServiceLinkedRoleCreationNotPermitted",
            r"permission to create the service-linked role for EC2 Spot",
        ),
    ),
    ("NoSubnets", (r"no subnet IDs were found",)),
    (
        "ArchitectureMismatch",
        (
            r"architecture '[^']*' of the specified instance type does not match the architecture",
            r"instance type's architecture \(\w+\) does not match the architecture in the manifest",
        ),
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


def advise(
    reason: str | None,
    *,
    instance_type: str,
    zone: str,
    region: str,
    spot: bool,
    message: str = "",
    subnet: str = "",
    offered_zones: Iterable[str] | None = None,
) -> str:
    """What to do about a Machine that failed for ``reason``.

    ``message`` is the provider's text (EC2 names the zones that have capacity, and the architectures);
    ``offered_zones`` are the zones that offer the type, from a ``plan`` snapshot, when one is at hand.
    """
    market: instances.Market = "spot" if spot else "on-demand"
    family = _quota_family(instance_type)
    what = instance_type or "instance"
    if reason == "InsufficientInstanceCapacity":
        others = _other_zones(message, zone, offered_zones)
        where = (
            f"another zone that offers it ({', '.join(others)}): cluster-capacity add-pool --zone {others[0]}"
            if others
            else "another zone (cluster-capacity add-pool --zone ...; `cluster-capacity plan` lists the zones "
            "that offer it)"
        )
        if spot:
            return (
                f"AWS has no spare Spot capacity for {what} in {zone or 'this zone'} right now: switch the pool "
                "to On-Demand (drop providerSpec.spotMarketOptions, or set onDemandFallback: true for an "
                f"On-Demand twin the autoscaler falls back to), or use {where}, or another instance type"
            )
        return (
            f"AWS has no spare {what} capacity in {zone or 'this zone'} right now: use {where}, or another "
            "instance type, or retry later"
        )
    if reason == "ServiceLinkedRoleCreationNotPermitted":
        return (
            "EC2 needs the Spot service-linked role (AWSServiceRoleForEC2Spot) once per account, and the machine "
            "API's credentials may not create it: create it once with `aws iam create-service-linked-role "
            "--aws-service-name spot.amazonaws.com`, or grant iam:CreateServiceLinkedRole to the "
            "openshift-machine-api-aws CredentialsRequest, or run the pool On-Demand (drop "
            "providerSpec.spotMarketOptions)"
        )
    if reason == "NoSubnets":
        named = f" ({subnet})" if subnet else ""
        return (
            f"providerSpec.subnet{named} matches no subnet in {zone or 'the zone'}: a subnet filter rewritten "
            "for another zone names a subnet that does not exist there. Look it up with `aws ec2 "
            f"describe-subnets --filters Name=availability-zone,Values={zone or '<zone>'}` and set "
            "providerSpec.subnet to a subnet of that zone (a filter on tag:Name, or its id), or pick a zone "
            "that has a worker MachineSet"
        )
    if reason == "ArchitectureMismatch":
        found = _ARCHITECTURES.search(message)
        type_arch, ami_arch = (found["type"], found["ami"]) if found else ("", "")
        which = f" ({type_arch}; the AMI is {ami_arch})" if found else ""
        return (
            f"the AMI in providerSpec.ami.id is not built for {what}'s architecture{which}: use the RHCOS AMI of "
            f"that architecture for {region or 'the region'} (`openshift-install coreos print-stream-json`, "
            "on a multi-architecture cluster), or an instance type of the AMI's architecture; "
            "cluster-capacity add-pool checks this"
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


_ARCHITECTURES = re.compile(
    r"architecture '(?P<type>[^']*)' of the specified instance type does not match the architecture "
    r"'(?P<ami>[^']*)' of the specified AMI"
)
#: EC2's capacity message names the zones that have it: "... or choosing us-west-2b, us-west-2c."
_CAPACITY_ZONES = re.compile(r"choosing ((?:[a-z]{2}-[a-z-]+-\d[a-z](?:, | or |, or )?)+)")


def _other_zones(message: str, zone: str, offered: Iterable[str] | None) -> list[str]:
    found = _CAPACITY_ZONES.search(message)
    named = re.findall(r"[a-z]{2}-[a-z-]+-\d[a-z]", found[1]) if found else []
    zones = named or sorted(offered or [])
    return [z for z in dict.fromkeys(zones) if z != zone]


def machine_problem(
    machine: dict[str, Any],
    *,
    region: str = "",
    now: dt.datetime | None = None,
    offerings: Mapping[str, Iterable[str]] | None = None,
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
            advise(
                reason,
                instance_type=instance_type,
                zone=zone,
                region=region,
                spot=spot,
                message=message,
                subnet=_subnet(value),
                offered_zones=(offerings or {}).get(instance_type),
            ),
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


def _subnet(value: dict[str, Any]) -> str:
    subnet = value.get("subnet") or {}
    if subnet.get("id"):
        return f"id {subnet['id']}"
    return ", ".join(
        f"{f.get('name')}={','.join(f.get('values') or [])}" for f in subnet.get("filters") or []
    )


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
