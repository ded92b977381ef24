"""What to do about a Machine that failed to launch, from the provider's error message.

Kept here until ``ops.status`` (built on another branch) offers the same advice; the lead may replace
``machine_failure_advice`` with that one. The AWS error codes come first in the messages the machine
controller copies from the EC2 API (``error launching instance: VcpuLimitExceeded: You have requested ...``)
but the matching also recognises the human text, which older controllers copy without the code.
"""

from __future__ import annotations

from cluster_capacity import instances

__all__ = ["machine_failure_advice"]


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
    """Advice lines for a failed Machine's ``errorMessage`` (capacity, quota, AMI, permissions...)."""
    text = message.lower()
    what = instance_type or "this instance type"
    where = zone or "this zone"
    if (
        "insufficientinstancecapacity" in text
        or "sufficient" in text
        and "capacity" in text
        or ("no spot capacity" in text)
    ):
        advice = [
            f"AWS has no {what} capacity in {where} right now: add a pool in another zone or with another "
            "instance type (cluster-capacity plan lists where it is offered), or retry later"
        ]
        if spot:
            advice.append("this is a Spot pool: On-Demand often has capacity when Spot does not")
        return advice
    if "vcpulimitexceeded" in text or "vcpu limit" in text:
        quota = _quota(instance_type, spot)
        return [
            f"the account's vCPU quota is too low: raise {quota} with aws service-quotas "
            "request-service-quota-increase (cluster-capacity plan --target-gpus N prints the command)",
            "or switch the pool between Spot and On-Demand if the other market has headroom",
        ]
    if "maxspotinstancecountexceeded" in text:
        return [
            f"the account's Spot limit is reached: raise {_quota(instance_type, True)}, "
            "or make the pool On-Demand"
        ]
    if "unauthorizedoperation" in text or "not authorized" in text or "accessdenied" in text:
        return [
            "the machine-api credentials are missing an IAM permission: check the machine-api "
            "CredentialsRequest and the IAM role or user it maps to (the message names the action)"
        ]
    if "invalidamiid" in text or ("ami" in text and ("not found" in text or "does not exist" in text)):
        return [
            "the AMI in the pool's providerSpec does not exist in this region: copy the ami from a working "
            "worker MachineSet of this cluster (cluster-capacity add-pool does this)"
        ]
    if "invalidsubnet" in text or ("subnet" in text and "not found" in text):
        return [
            "the subnet in the pool's providerSpec does not exist: copy it from a worker MachineSet in that zone"
        ]
    if "unsupported" in text and ("instance" in text or "availability zone" in text):
        return [f"{what} is not offered in {where}: pick a zone that offers it (cluster-capacity plan)"]
    return [
        "see the Machine's status and the machine-api controller logs: oc describe machine -n openshift-machine-api"
    ]
