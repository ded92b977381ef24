"""The architecture check of ``add-pool``: an AMI copied from a worker MachineSet boots one architecture.

The source MachineSet's AMI runs on its own instance type, so its architecture is that type's: the one the
machine API's MachineSet controller writes into ``capacity.cluster-autoscaler.kubernetes.io/labels``
(``kubernetes.io/arch=amd64``), else the instance catalog's. A new pool of the other architecture (g5g,
p6e-gb200 on an x86_64 cluster) would copy an AMI EC2 refuses to launch on every try ("The architecture
'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cluster_capacity import instances
from cluster_capacity.errors import ConfigError

__all__ = ["CAPACITY_LABELS", "check_architecture", "machineset_architecture"]

Obj = dict[str, Any]

#: Annotation the MachineSet controller sets from EC2's instance-type facts (scale from zero).
CAPACITY_LABELS = "capacity.cluster-autoscaler.kubernetes.io/labels"
_ARCH_LABEL = re.compile(r"(?:^|,)\s*kubernetes\.io/arch=(?P<arch>[a-z0-9_]+)")
_K8S_TO_EC2 = {"amd64": "x86_64", "arm64": "arm64"}
_AMI = re.compile(r"^ami-[0-9a-f]{8,17}$")
Lookup = Callable[[str], str]


def machineset_architecture(ms: Obj) -> tuple[str, str]:
    """The architecture of a MachineSet's AMI (EC2 spelling) and how it was found."""
    annotations = (ms.get("metadata") or {}).get("annotations") or {}
    found = _ARCH_LABEL.search(str(annotations.get(CAPACITY_LABELS) or ""))
    if found and found["arch"] in _K8S_TO_EC2:
        return _K8S_TO_EC2[found["arch"]], f"{CAPACITY_LABELS} says kubernetes.io/arch={found['arch']}"
    value = (
        (((ms.get("spec") or {}).get("template") or {}).get("spec") or {}).get("providerSpec") or {}
    ).get("value") or {}
    source_type = str(value.get("instanceType") or "")
    if instances.is_instance_type(source_type):
        return instances.architecture(source_type), f"it runs {source_type}"
    return "x86_64", "no instance type or capacity annotation: assumed"


def check_architecture(
    instance_type: str, source: Obj, ami: str | None, *, lookup: Lookup | None = None
) -> list[str]:
    """Notes for the new pool; a ``ConfigError`` when the copied AMI cannot boot ``instance_type``.

    ``lookup`` asks EC2 for the type's architecture (``add-pool --check-offering``); without it the
    instance catalog decides. ``ami`` (``--ami``) replaces the copied AMI, and the check with it.
    """
    name = source["metadata"]["name"]
    if ami is not None:
        if not _AMI.match(ami):
            raise ConfigError(f"--ami {ami}: not an AMI id (ami- and 8 or 17 hex digits)")
        return [
            f"AMI {ami} from --ami instead of MachineSet {name}'s: make sure it is RHCOS for the pool's CPU"
        ]
    wanted = lookup(instance_type) if lookup is not None else instances.architecture(instance_type)
    have, how = machineset_architecture(source)
    if wanted == have:
        return []
    value = (((source.get("spec") or {}).get("template") or {}).get("spec") or {}).get("providerSpec") or {}
    copied = str((((value.get("value") or {}).get("ami")) or {}).get("id") or "its AMI")
    rhcos_arch = "aarch64" if wanted == "arm64" else "x86_64"
    raise ConfigError(
        f"--instance-type {instance_type} is {wanted}, but the AMI add-pool would copy from MachineSet {name} "
        f"({copied}) is {have} ({how}): EC2 refuses to launch it on {instance_type}. Either pass the RHCOS "
        f"{wanted} AMI of the region with --ami (`openshift-install coreos print-stream-json | jq -r "
        f"'.architectures.{rhcos_arch}.images.aws.regions[\"<region>\"].image'`), on a cluster that runs "
        f"multi-architecture compute (`oc adm release info -o jsonpath='{{.metadata.metadata}}'` shows "
        f"release.openshift.io/architecture: multi), or choose a {have} instance type"
    )
