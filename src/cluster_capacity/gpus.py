"""NVIDIA GPUs of EC2 instance types: how many per instance, and which can be partitioned with MIG.

Counts follow the EC2 instance-type catalog (``GpuInfo.Count``; a test holds them to moto's copy of it).
MIG facts: NVIDIA's MIG User Guide ("Supported GPUs": A100, A30, H100, H200, B200, GB200, B300 and the
RTX PRO Blackwell GPUs; T4, A10G, L4, L40S, V100, K80 and M60 have no MIG) and the profiles of MIG
Manager's default config in the GPU Operator (``assets/state-mig-manager/0400_configmap.yaml``,
``default-mig-parted-config``), read 2026-12-01.
"""

from __future__ import annotations

from cluster_capacity.instances import accelerator_kind, split_instance_type

__all__ = ["MIG_PROFILES", "gpu_count", "mig_families", "mig_gpu", "mig_profiles"]
#: GPUs per instance, by family: the sizes that differ from the usual 1.
_GPU_COUNTS: dict[str, dict[str, int]] = {
    "g4dn": {"12xlarge": 4, "metal": 8},
    "gr6": {},
    "g5": {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8},
    "g5g": {"16xlarge": 2, "metal": 2},
    "g6": {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8},
    "g6e": {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8},
    "g7e": {"12xlarge": 2, "24xlarge": 4, "48xlarge": 8},
    "p3": {"8xlarge": 4, "16xlarge": 8},
    "p5": {"48xlarge": 8},
}
#: Families whose every size has 8 GPUs.
_EIGHT_GPUS = {"p3dn", "p4d", "p4de", "p5e", "p5en", "p6-b200", "p6-b300"}

#: MIG-capable GPUs on EC2 and their memory per GPU, by family (NVIDIA MIG User Guide, "Supported GPUs":
#: Ampere A100 and newer data-center GPUs; T4, A10G, L4, L40S, V100, K80 and M60 have no MIG).
_MIG_GPUS: dict[str, str] = {
    "p4d": "A100 40GB",
    "p4de": "A100 80GB",
    "p5": "H100 80GB",
    "p5e": "H200 141GB",
    "p5en": "H200 141GB",
    "p6-b200": "B200 180GB",
    "p6-b300": "B300 288GB",
    "p6e-gb200": "GB200 186GB",
    "g7e": "RTX PRO 6000 96GB",
}

# MIG Manager's default profiles (NVIDIA/gpu-operator assets/state-mig-manager/0400_configmap.yaml,
# default-mig-parted-config): the nvidia.com/mig.config value -> MIG devices it makes on each GPU.
_A100_80 = {
    "all-1g.10gb": {"1g.10gb": 7},
    "all-1g.20gb": {"1g.20gb": 4},
    "all-2g.20gb": {"2g.20gb": 3},
    "all-3g.40gb": {"3g.40gb": 2},
    "all-4g.40gb": {"4g.40gb": 1},
    "all-7g.80gb": {"7g.80gb": 1},
    "all-balanced": {"1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1},
}
MIG_PROFILES: dict[str, dict[str, dict[str, int]]] = {
    "A100 40GB": {
        "all-1g.5gb": {"1g.5gb": 7},
        "all-1g.10gb": {"1g.10gb": 4},
        "all-2g.10gb": {"2g.10gb": 3},
        "all-3g.20gb": {"3g.20gb": 2},
        "all-4g.20gb": {"4g.20gb": 1},
        "all-7g.40gb": {"7g.40gb": 1},
        "all-balanced": {"1g.5gb": 2, "2g.10gb": 1, "3g.20gb": 1},
    },
    "A100 80GB": _A100_80,
    "H100 80GB": _A100_80,
    "H200 141GB": {
        "all-1g.18gb": {"1g.18gb": 7},
        "all-1g.35gb": {"1g.35gb": 4},
        "all-2g.35gb": {"2g.35gb": 3},
        "all-3g.71gb": {"3g.71gb": 2},
        "all-4g.71gb": {"4g.71gb": 1},
        "all-7g.141gb": {"7g.141gb": 1},
        "all-balanced": {"1g.18gb": 2, "2g.35gb": 1, "3g.71gb": 1},
    },
    "B200 180GB": {
        "all-1g.23gb": {"1g.23gb": 7},
        "all-1g.45gb": {"1g.45gb": 4},
        "all-2g.45gb": {"2g.45gb": 3},
        "all-3g.90gb": {"3g.90gb": 2},
        "all-4g.90gb": {"4g.90gb": 1},
        "all-7g.180gb": {"7g.180gb": 1},
        "all-balanced": {"1g.23gb": 2, "2g.45gb": 1, "3g.90gb": 1},
    },
    "RTX PRO 6000 96GB": {
        "all-1g.24gb": {"1g.24gb": 4},
        "all-2g.48gb": {"2g.48gb": 2},
        "all-4g.96gb": {"4g.96gb": 1},
        "all-balanced": {"1g.24gb": 2, "2g.48gb": 1},
    },
}


def gpu_count(instance_type: str) -> int | None:
    """Physical NVIDIA GPUs in an instance type (``g5.12xlarge`` -> 4); None when not known here."""
    family, size = split_instance_type(instance_type)
    if accelerator_kind(instance_type) != "nvidia":
        return None
    if family in _EIGHT_GPUS:
        return 8
    if family not in _GPU_COUNTS:
        return None  # older or fractional-GPU families (g6f: a slice of an L4) are not counted here
    return _GPU_COUNTS[family].get(size, 1)


def mig_gpu(instance_type: str) -> str | None:
    """The MIG-capable GPU of an instance type (``p5.48xlarge`` -> ``H100 80GB``), None when it has none."""
    family, _ = split_instance_type(instance_type)
    return _MIG_GPUS.get(family)


def mig_profiles(instance_type: str) -> dict[str, dict[str, int]]:
    """MIG Manager's default profiles for the instance type's GPU (empty: no MIG, or none known)."""
    gpu = mig_gpu(instance_type)
    return MIG_PROFILES.get(gpu, {}) if gpu else {}


def mig_families() -> list[str]:
    """Instance families whose GPU has MIG, for messages."""
    return sorted(_MIG_GPUS)
