"""Facts about EC2 instance types that do not need an AWS call: family, quota family, accelerator.

One place for them, shared by render (accelerator labels, the Neuron gate), plan (quota codes) and the
cluster commands (advice on quota errors).
"""

from __future__ import annotations

import re
from typing import Literal

AcceleratorKind = Literal["nvidia", "neuron", "amd"]
QuotaFamily = Literal["g", "p", "inf", "trn", "dl", "standard"]
Market = Literal["spot", "on-demand"]

#: EC2 vCPU quota codes (service code ``ec2``) per quota family and market.
QUOTA_CODES: dict[tuple[QuotaFamily, Market], str] = {
    ("g", "on-demand"): "L-DB2E81BA",
    ("g", "spot"): "L-3819A6DF",
    ("inf", "on-demand"): "L-1945791B",
    ("inf", "spot"): "L-B5D1601B",
    ("p", "on-demand"): "L-417A185B",
    ("p", "spot"): "L-7212CCBC",
    ("trn", "on-demand"): "L-2C3B7624",
    ("trn", "spot"): "L-6B0D517C",
    ("dl", "on-demand"): "L-6E869C2A",
    ("dl", "spot"): "L-85EED4F7",
    ("standard", "on-demand"): "L-1216C47A",
    ("standard", "spot"): "L-34B43A08",
}

#: Human names of the quota families, as the Service Quotas console shows them.
QUOTA_FAMILY_NAMES: dict[QuotaFamily, str] = {
    "g": "G and VT",
    "p": "P",
    "inf": "Inf",
    "trn": "Trn",
    "dl": "DL",
    "standard": "Standard (A, C, D, H, I, M, R, T, Z)",
}

# Instance family -> value of the ``cluster-api/accelerator`` node label (the GPU model, lower case).
_NVIDIA_LABELS: dict[str, str] = {
    "g3": "nvidia-m60",
    "g3s": "nvidia-m60",
    "g4dn": "nvidia-t4",
    "g5": "nvidia-a10g",
    "g5g": "nvidia-t4g",
    "g6": "nvidia-l4",
    "g6f": "nvidia-l4",
    "gr6": "nvidia-l4",
    "gr6f": "nvidia-l4",
    "g6e": "nvidia-l40s",
    "g7e": "nvidia-rtx-pro-6000",
    "p2": "nvidia-k80",
    "p3": "nvidia-v100",
    "p3dn": "nvidia-v100",
    "p4d": "nvidia-a100",
    "p4de": "nvidia-a100",
    "p5": "nvidia-h100",
    "p5e": "nvidia-h200",
    "p5en": "nvidia-h200",
    "p6-b200": "nvidia-b200",
    "p6-b300": "nvidia-b300",
    "p6e-gb200": "nvidia-gb200",
}
_AMD_FAMILIES = {"g4ad"}
_NEURON_FAMILY = re.compile(r"^(inf|trn)\d+[a-z]*$")
_TYPE = re.compile(r"^(?P<family>[a-z][a-z0-9-]*?)\.(?P<size>[a-z0-9-]+)$")


def split_instance_type(instance_type: str) -> tuple[str, str]:
    """``g5.xlarge`` -> ``("g5", "xlarge")``; ``p6-b200.48xlarge`` -> ``("p6-b200", "48xlarge")``."""
    match = _TYPE.match(instance_type.strip().lower())
    if not match:
        raise ValueError(
            f"not an EC2 instance type: {instance_type!r} (expected FAMILY.SIZE, e.g. g5.xlarge)"
        )
    return match["family"], match["size"]


def is_instance_type(value: str) -> bool:
    """Whether ``value`` has the shape of an EC2 instance type."""
    return bool(_TYPE.match(value.strip().lower()))


def accelerator_kind(instance_type: str) -> AcceleratorKind | None:
    """Which accelerator an instance type carries: ``nvidia``, ``neuron``, ``amd`` or ``None``."""
    family, _ = split_instance_type(instance_type)
    if family in _NVIDIA_LABELS:
        return "nvidia"
    if _NEURON_FAMILY.match(family):
        return "neuron"
    if family in _AMD_FAMILIES:
        return "amd"
    return None


def accelerator_label(instance_type: str) -> str | None:
    """Default ``cluster-api/accelerator`` label value for an NVIDIA type (``nvidia-a10g`` for g5).

    ``None`` for everything else, Neuron included: the cluster autoscaler treats a node carrying this
    label as a GPU node and holds it unready until ``nvidia.com/gpu`` is allocatable, which a Neuron
    node never reports.
    """
    family, _ = split_instance_type(instance_type)
    return _NVIDIA_LABELS.get(family)


def quota_family(instance_type: str) -> QuotaFamily:
    """The vCPU quota an instance type counts against (G and VT, P, Inf, Trn, DL or Standard)."""
    family, _ = split_instance_type(instance_type)
    if family.startswith("inf"):
        return "inf"
    if family.startswith("trn"):
        return "trn"
    if family.startswith("dl"):
        return "dl"
    if family.startswith(("g", "vt")):
        return "g"
    if family.startswith("p") and family[1:2].isdigit():
        return "p"
    return "standard"


def quota_code(instance_type: str, market: Market) -> str:
    """Service Quotas code of the vCPU quota ``instance_type`` counts against in ``market``."""
    return QUOTA_CODES[(quota_family(instance_type), market)]


Architecture = Literal["x86_64", "arm64"]

# Graviton families carry a "g" right after the generation (m6g, c7gn, r8gd, t4g, g5g, x2gd, im4gn,
# is4gen, hpc7g); Grace-based GPU families are named for it (p6e-gb200). Everything else is x86_64.
_ARM_FAMILY = re.compile(r"^(?:a1|[a-z]+\d+g[a-z]*|[a-z0-9]+-gb\d+)$")


def architecture(instance_type: str) -> Architecture:
    """The CPU architecture of an instance type, as EC2 names it (``x86_64`` or ``arm64``)."""
    family, _ = split_instance_type(instance_type)
    return "arm64" if _ARM_FAMILY.match(family) else "x86_64"
