"""``argocd-health``: the Argo CD instance's health checks and ClusterPolicy diff settings, as an
``argoproj.io/v1beta1`` ``ArgoCD`` fragment for OpenShift GitOps.

Argo CD ships no health check for the kinds the GPU stack adds, so an Application is Healthy while its
ClusterPolicy is notReady, and sync waves do not wait for it. The Lua checks live next to this module
(``health/*.lua``); Argo CD runs each with the object as the global ``obj`` and reads the table it
returns (``status``: Healthy, Progressing, Degraded; ``message``).
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import Manifest
from cluster_capacity.render.nvidia import render_nvidia

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig, LoadedProject

__all__ = [
    "CLUSTERPOLICY_DEFAULTS",
    "HEALTH_CHECKS",
    "argocd_health",
    "health_script",
    "render_argocd_health",
]

#: (group, kind, script): the kinds this tool renders that Argo CD cannot judge by itself.
HEALTH_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("nvidia.com", "ClusterPolicy", "clusterpolicy.lua"),
    ("nfd.openshift.io", "NodeFeatureDiscovery", "nodefeaturediscovery.lua"),
    ("machine.openshift.io", "MachineSet", "machineset.lua"),
    ("autoscaling.openshift.io", "MachineAutoscaler", "machineautoscaler.lua"),
    ("k8s.aws", "DeviceConfig", "deviceconfig.lua"),
)

#: Fields of the ClusterPolicy spec that its CRD defaults (nvidia.com_clusterpolicies.yaml, `default:`),
#: as JSON pointers; ``[]`` marks a list whose every item carries the default.
CLUSTERPOLICY_DEFAULTS: tuple[str, ...] = (
    "/spec/cdi/default",
    "/spec/cdi/enabled",
    "/spec/cdi/nriPluginEnabled",
    "/spec/daemonsets/updateStrategy",
    "/spec/dcgmExporter/serviceMonitor/relabelings/[]/action",
    "/spec/devicePlugin/mps/root",
    "/spec/driver/kernelModuleType",
    "/spec/driver/upgradePolicy/autoUpgrade",
    "/spec/driver/upgradePolicy/drain/deleteEmptyDir",
    "/spec/driver/upgradePolicy/drain/enable",
    "/spec/driver/upgradePolicy/drain/force",
    "/spec/driver/upgradePolicy/drain/timeoutSeconds",
    "/spec/driver/upgradePolicy/maxParallelUpgrades",
    "/spec/driver/upgradePolicy/maxUnavailable",
    "/spec/driver/upgradePolicy/podDeletion/deleteEmptyDir",
    "/spec/driver/upgradePolicy/podDeletion/force",
    "/spec/driver/upgradePolicy/podDeletion/timeoutSeconds",
    "/spec/driver/upgradePolicy/waitForCompletion/timeoutSeconds",
    "/spec/hostPaths/kubeletRootDir",
    "/spec/kataManager/config/artifactsDir",
    "/spec/migManager/config/default",
    "/spec/operator/metrics/serviceMonitor/relabelings/[]/action",
    "/spec/operator/runtimeClass",
    "/spec/sandboxWorkloads/defaultWorkload",
    "/spec/sandboxWorkloads/mode",
    "/spec/toolkit/installDir",
    "/spec/vgpuDeviceManager/config/default",
)


@functools.cache
def health_script(name: str) -> str:
    """The Lua source of one health check shipped in the package."""
    return importlib.resources.files("cluster_capacity.render").joinpath("health", name).read_text("utf-8")


def argocd_health(project: LoadedProject, envs: Sequence[EnvConfig]) -> Manifest:
    """The fragment for a project's Argo CD instance, from what its ``envs`` render."""
    specs = [
        obj["spec"]
        for cfg in envs
        for obj in render_nvidia(cfg.values, cfg.env.name)
        if obj["kind"] == "ClusterPolicy"
    ]
    p = project.project
    return render_argocd_health(p.argocd_instance or p.gitops_namespace, p.gitops_namespace, specs)


def render_argocd_health(
    name: str, namespace: str, cluster_policy_specs: Iterable[dict[str, Any]] = ()
) -> Manifest:
    """The ``ArgoCD`` fragment: health checks for every kind above, and the ClusterPolicy fields its CRD
    defaults that none of ``cluster_policy_specs`` (the rendered ones) sets, so defaulting is no drift."""
    specs = list(cluster_policy_specs)
    pointers, jq = [], []
    for pointer in CLUSTERPOLICY_DEFAULTS:
        if any(_sets(spec, pointer) for spec in specs):
            continue  # Git sets it: a difference there is real drift
        if "/[]/" in pointer:
            head, _, tail = pointer.partition("/[]/")
            jq.append("." + head.strip("/").replace("/", ".") + "[]?." + tail.replace("/", "."))
        else:
            pointers.append(pointer)
    customization: dict[str, list[str]] = {"jsonPointers": pointers}
    if jq:
        customization["jqPathExpressions"] = jq
    return {
        "apiVersion": "argoproj.io/v1beta1",
        "kind": "ArgoCD",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "resourceHealthChecks": [
                {"group": group, "kind": kind, "check": health_script(script)}
                for group, kind, script in HEALTH_CHECKS
            ],
            "resourceIgnoreDifferences": {
                "resourceIdentifiers": [
                    {"group": "nvidia.com", "kind": "ClusterPolicy", "customization": customization}
                ]
            },
        },
    }


def _sets(spec: dict[str, Any], pointer: str) -> bool:
    """Whether the ClusterPolicy ``spec`` sets the field at ``pointer`` (any list item, for ``[]``)."""
    parts = pointer.split("/")[2:]  # drop "" and "spec"

    def walk(node: Any, rest: list[str]) -> bool:
        if not rest:
            return True
        key, *more = rest
        if key == "[]":
            return isinstance(node, list) and any(walk(item, more) for item in node)
        return isinstance(node, dict) and key in node and walk(node[key], more)

    return walk(spec, parts)
