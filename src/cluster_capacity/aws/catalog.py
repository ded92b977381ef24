"""One EC2 instance type as the planner sees it: read from ``DescribeInstanceTypes`` or a snapshot file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from cluster_capacity.instances import QuotaFamily, quota_family, split_instance_type

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import InstanceTypeInfoTypeDef

__all__ = [
    "MIB_PER_GIB",
    "AcceleratorKind",
    "InstanceTypeInfo",
    "info_from_api",
    "info_from_dict",
    "info_to_dict",
]

AcceleratorKind = Literal["nvidia", "neuron", "amd", "other"]
MIB_PER_GIB = 1024
_GENERATION = re.compile(r"^[a-z]+(\d+)")


@dataclass(frozen=True)
class InstanceTypeInfo:
    """What the planner needs to know about one EC2 instance type (from ``DescribeInstanceTypes``)."""

    name: str
    vcpus: int
    memory_mib: int
    architectures: tuple[str, ...] = ("x86_64",)
    accelerator: AcceleratorKind | None = None
    accelerator_name: str = ""
    #: Whole accelerators (GPUs or Neuron devices) per instance; 0 for a fractional GPU.
    accelerator_count: int = 0
    #: Share of one GPU an instance gets (``GpuPartitionSize``): 1.0, or 0.125 for g6f.large.
    accelerator_fraction: float = 1.0
    #: Memory of one accelerator (of the share, for a fractional GPU).
    accelerator_memory_mib: int = 0
    neuron_cores: int = 0
    usage_classes: tuple[str, ...] = ("on-demand", "spot")

    @property
    def quota_family(self) -> QuotaFamily:
        return quota_family(self.name)

    @property
    def generation(self) -> int:
        match = _GENERATION.match(split_instance_type(self.name)[0])
        return int(match[1]) if match else 0

    @property
    def whole_accelerators(self) -> bool:
        return self.accelerator_count >= 1 and self.accelerator_fraction >= 1.0

    @property
    def accelerator_memory_gib(self) -> float:
        return self.accelerator_memory_mib / MIB_PER_GIB


def info_to_dict(info: InstanceTypeInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "vcpus": info.vcpus,
        "memoryMiB": info.memory_mib,
        "architectures": list(info.architectures),
        "accelerator": info.accelerator,
        "acceleratorName": info.accelerator_name,
        "acceleratorCount": info.accelerator_count,
        "acceleratorFraction": info.accelerator_fraction,
        "acceleratorMemoryMiB": info.accelerator_memory_mib,
        "neuronCores": info.neuron_cores,
        "usageClasses": list(info.usage_classes),
    }


def info_from_dict(data: Mapping[str, Any]) -> InstanceTypeInfo:
    accelerator = data.get("accelerator")
    if accelerator not in (None, "nvidia", "neuron", "amd", "other"):
        raise ValueError(f"accelerator must be nvidia, neuron, amd, other or null, not {accelerator!r}")
    return InstanceTypeInfo(
        name=str(data["name"]),
        vcpus=int(data["vcpus"]),
        memory_mib=int(data.get("memoryMiB", 0)),
        architectures=tuple(str(a) for a in data.get("architectures", ["x86_64"])),
        accelerator=cast("AcceleratorKind | None", accelerator),
        accelerator_name=str(data.get("acceleratorName", "")),
        accelerator_count=int(data.get("acceleratorCount", 0)),
        accelerator_fraction=float(data.get("acceleratorFraction", 1.0)),
        accelerator_memory_mib=int(data.get("acceleratorMemoryMiB", 0)),
        neuron_cores=int(data.get("neuronCores", 0)),
        usage_classes=tuple(str(u) for u in data.get("usageClasses", ["on-demand", "spot"])),
    )


def info_from_api(item: InstanceTypeInfoTypeDef) -> InstanceTypeInfo:
    """Our view of one ``DescribeInstanceTypes`` entry: vCPUs, memory, GPU or Neuron devices."""
    name = str(item["InstanceType"])
    accelerator: Any = None
    acc_name, count, fraction, memory, cores = "", 0, 1.0, 0, 0
    gpus = item.get("GpuInfo", {}).get("Gpus", [])
    neuron = item.get("NeuronInfo", {}).get("NeuronDevices", [])
    inference = item.get("InferenceAcceleratorInfo", {}).get("Accelerators", [])
    if gpus:
        gpu = gpus[0]
        maker = str(gpu.get("Manufacturer", ""))
        accelerator = "nvidia" if maker.upper() == "NVIDIA" else "amd" if maker.upper() == "AMD" else "other"
        acc_name = str(gpu.get("Name", ""))
        count = sum(int(g.get("Count", 0)) for g in gpus)
        fraction = float(gpu.get("GpuPartitionSize", 1.0))
        memory = int(gpu.get("MemoryInfo", {}).get("SizeInMiB", 0))
    elif neuron:
        device = neuron[0]
        accelerator = "neuron"
        acc_name = str(device.get("Name", ""))
        count = sum(int(d.get("Count", 0)) for d in neuron)
        memory = int(device.get("MemoryInfo", {}).get("SizeInMiB", 0))
        cores = sum(int(d.get("Count", 0)) * int(d.get("CoreInfo", {}).get("Count", 0)) for d in neuron)
    elif inference:
        # Older answers describe Inferentia only here; other makers (Qualcomm on dl2q) are not planned.
        first = inference[0]
        accelerator = "neuron" if str(first.get("Manufacturer", "")).upper() == "AWS" else "other"
        acc_name = str(first.get("Name", ""))
        count = sum(int(d.get("Count", 0)) for d in inference)
        memory = int(first.get("MemoryInfo", {}).get("SizeInMiB", 0))
    return InstanceTypeInfo(
        name=name,
        vcpus=int(item.get("VCpuInfo", {}).get("DefaultVCpus", 0)),
        memory_mib=int(item.get("MemoryInfo", {}).get("SizeInMiB", 0)),
        architectures=tuple(item.get("ProcessorInfo", {}).get("SupportedArchitectures", [])),
        accelerator=accelerator,
        accelerator_name=acc_name,
        accelerator_count=count,
        accelerator_fraction=fraction,
        accelerator_memory_mib=memory,
        neuron_cores=cores,
        usage_classes=tuple(item.get("SupportedUsageClasses", [])),
    )
