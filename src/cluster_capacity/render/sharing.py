"""GPU sharing in the rendered GPU Operator: the device-plugin ConfigMap and the ClusterPolicy settings.

The pools' node labels (``nvidia.com/device-plugin.config``, ``nvidia.com/mig.config``) come with the
MachineSet template (``MachineSetPool.effective_node_labels``); this module renders the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity import labels
from cluster_capacity.config._logic import time_slicing_key
from cluster_capacity.config.sharing import mig_strategy
from cluster_capacity.render._meta import WAVE_OPERATOR_CRS, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import Values
    from cluster_capacity.config.models import TimeSlicing

__all__ = ["DEFAULT_KEY", "DEVICE_PLUGIN_CONFIGMAP", "device_plugin_configmap", "sharing_spec"]

DEVICE_PLUGIN_CONFIGMAP = "device-plugin-config"
#: The key that nodes without the label get: the device plugin's plain behaviour, no sharing.
DEFAULT_KEY = "default"


def device_plugin_data(values: Values, strategy: str = "single") -> dict[str, str]:
    """``default`` plus one device-plugin config per time-slicing profile in use (empty when none is).

    ``flags.migStrategy`` repeats the ClusterPolicy's ``mig.strategy`` (``strategy``): the operator
    also hands it to the plugin, and one value in both places leaves nothing to reconcile.
    """
    profiles: dict[str, TimeSlicing] = {}
    for pool in values.enabled_pools:
        if pool.gpu_sharing is not None and pool.gpu_sharing.time_slicing is not None:
            profiles[time_slicing_key(pool.gpu_sharing.time_slicing)] = pool.gpu_sharing.time_slicing
    if not profiles:
        return {}
    flags = f"version: v1\nflags:\n  migStrategy: {strategy}\n"
    data = {DEFAULT_KEY: flags}
    for key in sorted(profiles):
        ts = profiles[key]
        data[key] = (
            f"{flags}sharing:\n  timeSlicing:\n"
            f"    renameByDefault: {_bool(ts.rename_by_default)}\n"
            f"    failRequestsGreaterThanOne: {_bool(ts.fail_requests_greater_than_one)}\n"
            f"    resources:\n    - name: {labels.GPU_RESOURCE}\n      replicas: {ts.replicas}\n"
        )
    return data


def device_plugin_configmap(
    values: Values, namespace: str, env: str | None, strategy: str = "single"
) -> Manifest | None:
    """The ConfigMap the ClusterPolicy's ``devicePlugin.config`` names, when a pool time-slices."""
    data = device_plugin_data(values, strategy)
    if not data:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(DEVICE_PLUGIN_CONFIGMAP, namespace, env=env, wave=WAVE_OPERATOR_CRS),
        "data": data,
    }


def sharing_spec(values: Values) -> dict[str, Any]:
    """What the pools' sharing sets in the ClusterPolicy spec (merged over the rest of it)."""
    spec: dict[str, Any] = {}
    if device_plugin_data(values):
        spec["devicePlugin"] = {"config": {"name": DEVICE_PLUGIN_CONFIGMAP, "default": DEFAULT_KEY}}
    strategy = mig_strategy(values)
    if strategy:
        spec["mig"] = {"strategy": strategy}
        spec["migManager"] = {"enabled": True}
    return spec


def _bool(value: bool) -> str:
    return "true" if value else "false"
