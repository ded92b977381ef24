"""The GPU facts of instance types: counts held to the EC2 catalog moto ships, MIG only where NVIDIA has it."""

from __future__ import annotations

import gzip
import json
import os

import moto
import pytest

from cluster_capacity import gpus, instances


def catalog() -> dict[str, dict[str, object]]:
    path = os.path.join(os.path.dirname(moto.__file__), "ec2", "resources", "instance_types.json.gz")
    with gzip.open(path) as handle:
        data: dict[str, dict[str, object]] = json.load(handle)
    return data


def test_gpu_counts_match_the_ec2_catalog() -> None:
    checked = 0
    for name, info in sorted(catalog().items()):
        gpu_info = info.get("GpuInfo")
        if not isinstance(gpu_info, dict) or instances.accelerator_kind(name) != "nvidia":
            continue
        count = gpu_info["Gpus"][0]["Count"]
        if count == 0:  # fractional GPUs (g6f, gr6f): nothing whole to share
            assert gpus.gpu_count(name) is None, name
            continue
        assert gpus.gpu_count(name) == count, name
        checked += 1
    assert checked >= 50  # g4dn, g5, g5g, g6, g6e, g7e, gr6, p3dn, p4d, p4de, p5, p5e, p5en, p6-*


def test_gpu_memory_of_mig_gpus_matches_the_catalog() -> None:
    """The MIG table's GPU names carry the memory the profiles are cut from."""
    for name, info in catalog().items():
        gpu = gpus.mig_gpu(name)
        if gpu is None or gpu not in gpus.MIG_PROFILES or not isinstance(info.get("GpuInfo"), dict):
            continue
        mib = info["GpuInfo"]["Gpus"][0]["MemoryInfo"]["SizeInMiB"]  # type: ignore[index]
        named = int(gpu.rpartition(" ")[2].removesuffix("GB"))
        assert abs(mib / 1024 - named) / named < 0.06, (name, gpu, mib)


@pytest.mark.parametrize(
    ("instance_type", "mig"),
    [
        ("g4dn.xlarge", None),  # T4
        ("g5.48xlarge", None),  # A10G
        ("g6.xlarge", None),  # L4
        ("g6e.xlarge", None),  # L40S
        ("p3.2xlarge", None),  # V100
        ("p4d.24xlarge", "A100 40GB"),
        ("p4de.24xlarge", "A100 80GB"),
        ("p5.48xlarge", "H100 80GB"),
        ("p5en.48xlarge", "H200 141GB"),
        ("p6-b200.48xlarge", "B200 180GB"),
        ("m5.xlarge", None),
    ],
)
def test_mig_only_on_mig_gpus(instance_type: str, mig: str | None) -> None:
    assert gpus.mig_gpu(instance_type) == mig
    assert bool(gpus.mig_profiles(instance_type)) == (mig is not None)


def test_mig_profiles_fit_their_gpu() -> None:
    """Every uniform profile's slices add up to at most the GPU's 7 (A30: 4) compute slices and memory."""
    for gpu, profiles in gpus.MIG_PROFILES.items():
        memory = int(gpu.rpartition(" ")[2].removesuffix("GB"))
        for profile, devices in profiles.items():
            slices = sum(int(d.split("g.")[0]) * n for d, n in devices.items())
            used = sum(int(d.split("g.")[1].removesuffix("gb")) * n for d, n in devices.items())
            assert slices <= 7 and used <= memory * 1.02, (gpu, profile)
    assert gpus.MIG_PROFILES["H100 80GB"]["all-1g.10gb"] == {"1g.10gb": 7}
    assert gpus.MIG_PROFILES["A100 40GB"]["all-1g.10gb"] == {"1g.10gb": 4}
