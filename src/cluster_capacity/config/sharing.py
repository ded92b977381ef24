"""GPU sharing per pool (``machineSets[].gpuSharing``): what it means for the cluster, and its rules.

How the NVIDIA GPU Operator takes it (NVIDIA GPU Operator docs, "Time-Slicing GPUs in Kubernetes",
"GPU Operator with MIG"; on OpenShift "Time-slicing NVIDIA GPUs in OpenShift"):

- time-slicing: a ConfigMap in the operator's namespace holds one device-plugin config per key;
  ``ClusterPolicy.spec.devicePlugin.config`` names it and the key for unlabelled nodes (``default``); a
  node labelled ``nvidia.com/device-plugin.config: <key>`` advertises ``replicas`` ``nvidia.com/gpu``
  per physical GPU (``nvidia.com/gpu.shared`` with ``renameByDefault``).
- MIG: a node labelled ``nvidia.com/mig.config: <profile>`` is partitioned by MIG Manager;
  ``ClusterPolicy.spec.mig.strategy`` is cluster-wide: ``single`` advertises every MIG device as
  ``nvidia.com/gpu``, ``mixed`` as ``nvidia.com/mig-<slice>`` (needed for ``all-balanced``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cluster_capacity import gpus, labels

if TYPE_CHECKING:
    from cluster_capacity.config.models import MachineSetPool, Values

__all__ = ["BALANCED", "MigStrategy", "Shares", "check_sharing", "mig_strategy", "pool_shares"]

#: The MIG profile that mixes slice sizes on each GPU; it needs the ``mixed`` strategy.
BALANCED = "all-balanced"

MigStrategy = Literal["single", "mixed"]

_MIG_MEMORY = re.compile(r"^all-\d+g\.(\d+)gb")
_SLICE = re.compile(r"^(\d+)g\.(\d+)gb")


@dataclass(frozen=True)
class Shares:
    """What one node of a pool advertises: ``per_gpu`` of ``resource`` for each physical GPU."""

    resource: str
    per_gpu: int

    @property
    def shared(self) -> bool:
        return self.per_gpu != 1 or self.resource != labels.GPU_RESOURCE


def mig_strategy(values: Values) -> MigStrategy | None:
    """``mixed`` when a pool uses ``all-balanced``, ``single`` for uniform profiles, None without MIG."""
    profiles = [
        p.gpu_sharing.mig.profile
        for p in values.enabled_pools
        if p.gpu_sharing is not None and p.gpu_sharing.mig is not None
    ]
    if not profiles:
        return None
    return "mixed" if BALANCED in profiles else "single"


def pool_shares(pool: MachineSetPool, strategy: MigStrategy | None) -> Shares:
    """The extended resource a pool's nodes advertise, and how many per physical GPU (1: not shared)."""
    sharing = pool.gpu_sharing
    if sharing is not None and sharing.time_slicing is not None:
        ts = sharing.time_slicing
        name = f"{labels.GPU_RESOURCE}.shared" if ts.rename_by_default else labels.GPU_RESOURCE
        return Shares(name, ts.replicas)
    if sharing is not None and sharing.mig is not None and pool.instance_type:
        devices = gpus.mig_profiles(pool.instance_type).get(sharing.mig.profile, {})
        if devices and strategy == "mixed":
            smallest = min(devices, key=_slice_size)  # the one a smoke pod asks for
            return Shares(f"nvidia.com/mig-{smallest}", devices[smallest])
        if devices:
            return Shares(labels.GPU_RESOURCE, sum(devices.values()))
    return Shares(labels.GPU_RESOURCE, 1)


def check_sharing(values: Values, add: Any) -> None:
    """Sharing only on NVIDIA pools, MIG only on MIG GPUs with one of their profiles, one ClusterPolicy."""
    shared = False
    for i, pool in enumerate(values.machine_sets):
        sharing = pool.gpu_sharing
        if sharing is None or not (pool.enabled and values.enabled):
            continue
        shared = True
        base: tuple[str | int, ...] = ("machineSets", i, "gpuSharing")
        if sharing.time_slicing is not None and sharing.mig is not None:
            add(base, "choose timeSlicing or mig, not both")
            continue
        if sharing.time_slicing is None and sharing.mig is None:
            add(base, "give timeSlicing: {replicas: N} or mig: {profile: ...}")
            continue
        if pool.accelerator != "nvidia":
            add(
                base,
                f"GPU sharing needs an NVIDIA GPU pool; {pool.instance_type or 'this pool'} has no NVIDIA GPU",
            )
            continue
        for key in (labels.DEVICE_PLUGIN_CONFIG, labels.MIG_CONFIG):
            if key in (pool.node_labels or {}):
                add(("machineSets", i, "nodeLabels", key), "is set by gpuSharing; remove it here")
        if sharing.mig is not None:
            _check_mig(pool, sharing.mig.profile, (*base, "mig", "profile"), add)
    if shared:
        _check_cluster_policy(values, add)


def _check_mig(pool: MachineSetPool, profile: str, path: tuple[str | int, ...], add: Any) -> None:
    it = pool.instance_type or ""
    gpu = gpus.mig_gpu(it)
    if gpu is None:
        add(
            path,
            f"{it} has an {pool.accelerator_label or 'NVIDIA GPU'} without MIG; MIG needs an A100, H100, "
            f"H200, B200 or RTX PRO 6000 ({', '.join(gpus.mig_families())}); use timeSlicing instead",
        )
        return
    profiles = gpus.mig_profiles(it)
    if not profiles:
        add(path, f"no MIG profiles are known for the {gpu} of {it}; partition it by hand (MIG Manager)")
        return
    if profile in profiles:
        return
    memory = _MIG_MEMORY.match(profile)
    size = int(gpu.rpartition(" ")[2].removesuffix("GB"))
    if memory and int(memory[1]) > size:
        add(path, f"{profile} needs {memory[1]} GB of GPU memory; the {gpu} of {it} has {size} GB")
    else:
        add(path, f"{profile} is not a MIG profile of the {gpu} ({it}): {', '.join(profiles)}")


def _check_cluster_policy(values: Values, add: Any) -> None:
    """Sharing is set through the ClusterPolicy this tool renders; a conflicting setting there is an error."""
    nv = values.nvidia
    if not (nv.enabled and nv.cluster_policy.create):
        add(
            ("nvidia", "enabled") if not nv.enabled else ("nvidia", "clusterPolicy", "create"),
            "GPU sharing is applied through the ClusterPolicy this tool renders: set nvidia.enabled and "
            "nvidia.clusterPolicy.create",
        )
        return
    spec = nv.cluster_policy.spec
    config = ((spec.get("devicePlugin") or {}).get("config") or {}) if isinstance(spec, dict) else {}
    slicing = any(
        p.gpu_sharing is not None and p.gpu_sharing.time_slicing is not None for p in values.enabled_pools
    )
    if slicing and isinstance(config, dict) and config.get("name"):
        add(
            ("nvidia", "clusterPolicy", "spec", "devicePlugin", "config", "name"),
            "is set by the pools' gpuSharing.timeSlicing (ConfigMap device-plugin-config); remove it here",
        )
    strategy = mig_strategy(values)
    given = (spec.get("mig") or {}).get("strategy") if isinstance(spec, dict) else None
    if strategy and given and given != strategy:
        add(
            ("nvidia", "clusterPolicy", "spec", "mig", "strategy"),
            f"is {given!r} but the pools' MIG profiles need {strategy!r} "
            f"({BALANCED} needs mixed; uniform profiles alone, single); remove it here",
        )


def _slice_size(name: str) -> tuple[int, int]:
    match = _SLICE.match(name)
    return (int(match[1]), int(match[2])) if match else (99, 0)
