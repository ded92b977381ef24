"""Policy rules for shared GPUs, read from the rendered manifests (so hand edits are judged too).

A time-sliced or MIG node advertises more ``nvidia.com/gpu`` than it has GPUs, and the cluster
autoscaler counts what running nodes advertise against ``resourceLimits.gpus``; a node that advertises
none (``nvidia.com/gpu.shared``, MIG ``mixed``) but carries ``cluster-api/accelerator`` stays unready to
the autoscaler, which waits for ``nvidia.com/gpu`` on such nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from cluster_capacity import gpus, labels
from cluster_capacity.render.sharing import DEVICE_PLUGIN_CONFIGMAP
from cluster_capacity.validate.findings import Finding

__all__ = ["autoscaled_shared_pools_count", "gpu_limits_count_shares", "node_shares"]

Manifest = dict[str, Any]


def node_shares(ms: Manifest, objects: Sequence[Manifest]) -> tuple[str, int, str] | None:
    """For a shared GPU MachineSet: the resource its nodes advertise, how many per GPU, and how (text)."""
    spec = (ms.get("spec") or {}).get("template", {}).get("spec") or {}
    node_labels = (spec.get("metadata") or {}).get("labels") or {}
    it = str((((spec.get("providerSpec") or {}).get("value")) or {}).get("instanceType") or "")
    key = node_labels.get(labels.DEVICE_PLUGIN_CONFIG)
    if key:
        config = _device_plugin_config(objects, key)
        slicing = (config.get("sharing") or {}).get("timeSlicing") or {}
        for resource in slicing.get("resources") or []:
            if isinstance(resource, dict) and resource.get("name") == labels.GPU_RESOURCE:
                replicas = int(resource.get("replicas") or 1)
                name = (
                    f"{labels.GPU_RESOURCE}.shared" if slicing.get("renameByDefault") else labels.GPU_RESOURCE
                )
                return name, replicas, f"{replicas} time-slicing replicas"
        return None
    profile = node_labels.get(labels.MIG_CONFIG)
    if profile and it:
        devices = gpus.mig_profiles(it).get(str(profile), {})
        if not devices:
            return None
        if _mig_strategy(objects) == "mixed":
            return "nvidia.com/mig-*", sum(devices.values()), f"MIG {profile}, mixed strategy"
        return labels.GPU_RESOURCE, sum(devices.values()), f"MIG {profile}"
    return None


def gpu_limits_count_shares(objects: Sequence[Manifest]) -> list[Finding]:
    """``resourceLimits.gpus[].max`` must leave room for what shared pools advertise (N per GPU)."""
    needed: dict[str, list[tuple[int, str]]] = {}
    maxima = _autoscaler_max(objects)
    for ms in _of(objects, "MachineSet"):
        accel = _node_labels(ms).get(labels.ACCELERATOR)
        shares = node_shares(ms, objects)
        it = _instance_type(ms)
        count = gpus.gpu_count(it) if it else None
        if not accel or count is None:
            continue
        nodes = maxima.get(str(ms["metadata"]["name"]), int((ms.get("spec") or {}).get("replicas") or 0))
        per_gpu = shares[1] if shares and shares[0] == labels.GPU_RESOURCE else 1
        how = f"{nodes} node(s) x {count} GPU(s)" + (f" x {shares[2]}" if shares else "")
        needed.setdefault(str(accel), []).append((nodes * count * per_gpu, how if shares else ""))
    out = []
    for ca in _of(objects, "ClusterAutoscaler"):
        limits = ((ca.get("spec") or {}).get("resourceLimits") or {}).get("gpus") or []
        for i, entry in enumerate(limits):
            if not isinstance(entry, dict) or entry.get("type") not in needed:
                continue
            pools = needed[str(entry["type"])]
            if not any(how for _, how in pools):
                continue  # no shared pool of this type: counting is the plain one
            total = sum(n for n, _ in pools)
            maximum = entry.get("max")
            if isinstance(maximum, int) and maximum < total:
                ways = "; ".join(how for _, how in pools if how)
                out.append(
                    Finding.for_object(
                        ca,
                        f"spec.resourceLimits.gpus[{i}].max",
                        f"{maximum} is below the {total} {labels.GPU_RESOURCE} the {entry['type']} pools "
                        f"reach ({ways}): the autoscaler counts every shared GPU a running node "
                        "advertises, so it stops scaling before maxReplicas",
                        severity="warning",
                        rule="gpu-sharing",
                    )
                )
    return out


def autoscaled_shared_pools_count(objects: Sequence[Manifest]) -> list[Finding]:
    """An autoscaled GPU pool must advertise ``nvidia.com/gpu``, or the autoscaler never sees it ready."""
    out = []
    maxima = _autoscaler_max(objects)
    for ms in _of(objects, "MachineSet"):
        name = str(ms["metadata"]["name"])
        shares = node_shares(ms, objects)
        if name not in maxima or not _node_labels(ms).get(labels.ACCELERATOR) or shares is None:
            continue
        if shares[0] != labels.GPU_RESOURCE:
            out.append(
                Finding.for_object(
                    ms,
                    "spec.template.spec.metadata.labels",
                    f"the pool autoscales but its nodes advertise {shares[0]}, not {labels.GPU_RESOURCE} "
                    f"({shares[2]}): the cluster autoscaler waits for {labels.GPU_RESOURCE} on nodes "
                    f"labelled {labels.ACCELERATOR} and treats these as unready (use renameByDefault: false, "
                    "or a uniform MIG profile with the single strategy)",
                    severity="warning",
                    rule="gpu-sharing",
                )
            )
    return out


def _of(objects: Sequence[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o.get("kind") == kind]


def _node_labels(ms: Manifest) -> dict[str, str]:
    spec = ((ms.get("spec") or {}).get("template") or {}).get("spec") or {}
    return dict((spec.get("metadata") or {}).get("labels") or {})


def _instance_type(ms: Manifest) -> str:
    spec = ((ms.get("spec") or {}).get("template") or {}).get("spec") or {}
    return str((((spec.get("providerSpec") or {}).get("value")) or {}).get("instanceType") or "")


def _autoscaler_max(objects: Sequence[Manifest]) -> dict[str, int]:
    out = {}
    for ma in _of(objects, "MachineAutoscaler"):
        spec = ma.get("spec") or {}
        target = str((spec.get("scaleTargetRef") or {}).get("name") or "")
        if target and isinstance(spec.get("maxReplicas"), int):
            out[target] = int(spec["maxReplicas"])
    return out


def _device_plugin_config(objects: Sequence[Manifest], key: str) -> dict[str, Any]:
    for cm in _of(objects, "ConfigMap"):
        if cm.get("metadata", {}).get("name") == DEVICE_PLUGIN_CONFIGMAP:
            text = (cm.get("data") or {}).get(key)
            try:
                parsed = yaml.safe_load(text) if isinstance(text, str) else None
            except yaml.YAMLError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
    return {}


def _mig_strategy(objects: Sequence[Manifest]) -> str:
    for cp in _of(objects, "ClusterPolicy"):
        return str(((cp.get("spec") or {}).get("mig") or {}).get("strategy") or "single")
    return "single"
