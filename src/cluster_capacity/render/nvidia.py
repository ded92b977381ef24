"""NVIDIA GPU Operator through OLM: Namespace, OperatorGroup, Subscription, ClusterPolicy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import (
    WAVE_OPERATOR_CRS,
    Manifest,
    deep_merge,
    metadata,
)
from cluster_capacity.render.olm import namespace, operator_group, subscription
from cluster_capacity.render.sharing import device_plugin_configmap, sharing_spec

if TYPE_CHECKING:
    from cluster_capacity.config import Values


def default_cluster_policy_spec() -> dict[str, Any]:
    """A ClusterPolicy spec for OpenShift that holds every field the CRD requires.

    It follows the spec the OpenShift console proposes: the Driver Toolkit builds the driver for the
    RHCOS kernel (``use_ocp_driver_toolkit``), CRI-O is the runtime.
    """
    return {
        "operator": {"defaultRuntime": "crio", "use_ocp_driver_toolkit": True, "initContainer": {}},
        "daemonsets": {"updateStrategy": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "1"}},
        "driver": {
            "enabled": True,
            "useNvidiaDriverCRD": False,
            "kernelModuleType": "auto",
            "certConfig": {"name": ""},
            "licensingConfig": {"nlsEnabled": True, "configMapName": ""},
            "repoConfig": {"configMapName": ""},
            "virtualTopology": {"config": ""},
            "kernelModuleConfig": {"name": ""},
            "upgradePolicy": {
                "autoUpgrade": True,
                "maxParallelUpgrades": 1,
                "maxUnavailable": "25%",
                "drain": {"enable": False, "force": False, "deleteEmptyDir": False, "timeoutSeconds": 300},
                "podDeletion": {"force": False, "deleteEmptyDir": False, "timeoutSeconds": 300},
                "waitForCompletion": {"timeoutSeconds": 0},
            },
        },
        "toolkit": {"enabled": True},
        "devicePlugin": {
            "enabled": True,
            "config": {"name": "", "default": ""},
            "mps": {"root": "/run/nvidia/mps"},
        },
        "dcgm": {"enabled": True},
        "dcgmExporter": {"enabled": True, "config": {"name": ""}, "serviceMonitor": {"enabled": False}},
        "gfd": {"enabled": True},
        "migManager": {"enabled": True},
        "mig": {"strategy": "single"},
        "nodeStatusExporter": {"enabled": True},
        "gds": {"enabled": False},
        "gdrcopy": {"enabled": False},
        "vgpuManager": {"enabled": False},
        "vgpuDeviceManager": {"enabled": True},
        "sandboxDevicePlugin": {"enabled": True},
        "sandboxWorkloads": {"enabled": False, "defaultWorkload": "container"},
        "vfioManager": {"enabled": True},
        "validator": {"plugin": {"env": [{"name": "WITH_WORKLOAD", "value": "false"}]}},
    }


def gpu_tolerations(values: Values) -> list[dict[str, str]]:
    """Tolerations for the operator's daemonsets: one per distinct taint on the enabled NVIDIA pools."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for pool in values.enabled_pools:
        if pool.accelerator != "nvidia":
            continue
        for taint in pool.taints:
            seen[(taint.key, taint.effect)] = {"key": taint.key, "operator": "Exists", "effect": taint.effect}
    return [seen[k] for k in sorted(seen)]


def render_nvidia(values: Values, env: str | None = None) -> list[Manifest]:
    nv = values.nvidia
    if not (values.enabled and nv.enabled):
        return []
    ns = nv.install_namespace
    out: list[Manifest] = []
    if nv.renders_namespace:
        out.append(namespace(ns, env))
    if nv.operator_group.create:
        out.append(operator_group(nv.operator_group, ns, env, nv.target_namespaces))
    out.append(subscription(nv.subscription, ns, env))
    if nv.cluster_policy.create:
        spec = deep_merge(
            deep_merge(default_cluster_policy_spec(), nv.cluster_policy.spec), sharing_spec(values)
        )
        strategy = str((spec.get("mig") or {}).get("strategy") or "single")
        configmap = device_plugin_configmap(values, ns, env, strategy)
        if configmap is not None:
            out.append(configmap)
        tolerations = gpu_tolerations(values)
        if tolerations and "tolerations" not in (nv.cluster_policy.spec.get("daemonsets") or {}):
            spec["daemonsets"] = {**spec.get("daemonsets", {}), "tolerations": tolerations}
        out.append(
            {
                "apiVersion": nv.cluster_policy.api_version,
                "kind": "ClusterPolicy",
                "metadata": metadata(
                    nv.cluster_policy.name, env=env, wave=WAVE_OPERATOR_CRS, skip_dry_run=True
                ),
                "spec": spec,
            }
        )
    return out
