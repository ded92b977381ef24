"""RBAC for the Argo CD application controller, for exactly the API groups an env renders.

OpenShift GitOps' default controller may not write these groups, so without this the first sync fails
with "forbidden" on the ClusterPolicy, NodeFeatureDiscovery, ServiceMonitor or MachineAutoscaler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster_capacity.render._meta import WAVE_RBAC, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import Values

#: API groups the default OpenShift GitOps controller is not granted.
UNGRANTED_GROUPS = frozenset(
    {
        "nvidia.com",
        "nfd.openshift.io",
        "nfd.k8s-sigs.io",
        "monitoring.coreos.com",
        "autoscaling.openshift.io",
        "k8s.aws",
    }
)

PLURALS = {
    "ClusterPolicy": "clusterpolicies",
    "NodeFeatureDiscovery": "nodefeaturediscoveries",
    "NodeFeatureRule": "nodefeaturerules",
    "ServiceMonitor": "servicemonitors",
    "MachineAutoscaler": "machineautoscalers",
    "ClusterAutoscaler": "clusterautoscalers",
    "DeviceConfig": "deviceconfigs",
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
ROLE_NAME = "cluster-capacity-argocd-application-controller"


def needed_rules(objects: list[Manifest]) -> list[dict[str, list[str]]]:
    """One rule per ungranted API group that ``objects`` use, naming exactly the resources rendered."""
    by_group: dict[str, set[str]] = {}
    for obj in objects:
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        if group in UNGRANTED_GROUPS:
            by_group.setdefault(group, set()).add(PLURALS[str(obj["kind"])])
    return [
        {"apiGroups": [group], "resources": sorted(resources), "verbs": list(VERBS)}
        for group, resources in sorted(by_group.items())
    ]


def render_rbac(values: Values, objects: list[Manifest], env: str | None = None) -> list[Manifest]:
    rbac = values.nvidia.rbac
    rules = needed_rules(objects)
    if not (values.enabled and rbac.create and rules):
        return []
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": metadata(ROLE_NAME, env=env, wave=WAVE_RBAC),
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": metadata(ROLE_NAME, env=env, wave=WAVE_RBAC),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ROLE_NAME},
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": rbac.application_controller_service_account,
                    "namespace": rbac.argocd_namespace,
                }
            ],
        },
    ]
