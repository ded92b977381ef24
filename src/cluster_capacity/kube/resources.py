"""The API resource types this tool reads and writes, and where their objects live (REST paths)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cluster_capacity.errors import ClusterError

Obj = dict[str, Any]

#: The read-only ClusterRole shipped in ``docs/rbac-readonly-clusterrole.yaml``.
READONLY_CLUSTERROLE = "cluster-capacity-readonly"
READONLY_CLUSTERROLE_FILE = "docs/rbac-readonly-clusterrole.yaml"


@dataclass(frozen=True)
class Resource:
    """A served resource type: where its objects live in the API."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        """``group/version``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``plural.group`` as kubectl and RBAC messages spell it (``machinesets.machine.openshift.io``)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The REST path of the collection, or of one object (and its subresource)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if subresource:
                base += f"/{subresource}"
        return base


MACHINESETS = Resource("machine.openshift.io", "v1beta1", "machinesets", "MachineSet")
MACHINES = Resource("machine.openshift.io", "v1beta1", "machines", "Machine")
MACHINEHEALTHCHECKS = Resource("machine.openshift.io", "v1beta1", "machinehealthchecks", "MachineHealthCheck")
MACHINEAUTOSCALERS = Resource(
    "autoscaling.openshift.io", "v1beta1", "machineautoscalers", "MachineAutoscaler"
)
CLUSTERAUTOSCALERS = Resource(
    "autoscaling.openshift.io", "v1", "clusterautoscalers", "ClusterAutoscaler", False
)
INFRASTRUCTURES = Resource("config.openshift.io", "v1", "infrastructures", "Infrastructure", False)
CLUSTERVERSIONS = Resource("config.openshift.io", "v1", "clusterversions", "ClusterVersion", False)
NODES = Resource("", "v1", "nodes", "Node", False)
PODS = Resource("", "v1", "pods", "Pod")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace", False)
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
EVENTS = Resource("", "v1", "events", "Event")
SUBSCRIPTIONS = Resource("operators.coreos.com", "v1alpha1", "subscriptions", "Subscription")
CSVS = Resource("operators.coreos.com", "v1alpha1", "clusterserviceversions", "ClusterServiceVersion")
OPERATORGROUPS = Resource("operators.coreos.com", "v1", "operatorgroups", "OperatorGroup")
PACKAGEMANIFESTS = Resource("packages.operators.coreos.com", "v1", "packagemanifests", "PackageManifest")
CLUSTERPOLICIES = Resource("nvidia.com", "v1", "clusterpolicies", "ClusterPolicy", False)
NODEFEATUREDISCOVERIES = Resource("nfd.openshift.io", "v1", "nodefeaturediscoveries", "NodeFeatureDiscovery")
APPLICATIONS = Resource("argoproj.io", "v1alpha1", "applications", "Application")
SERVICEMONITORS = Resource("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor")
CLUSTERROLES = Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False)
CLUSTERROLEBINDINGS = Resource(
    "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False
)
DEVICECONFIGS = Resource("k8s.aws", "v1beta1", "deviceconfigs", "DeviceConfig")
NODEFEATURERULES = Resource("nfd.openshift.io", "v1alpha1", "nodefeaturerules", "NodeFeatureRule")

_KNOWN: dict[tuple[str, str], Resource] = {
    (r.api_version, r.kind): r
    for r in (
        MACHINESETS,
        MACHINES,
        MACHINEHEALTHCHECKS,
        MACHINEAUTOSCALERS,
        CLUSTERAUTOSCALERS,
        INFRASTRUCTURES,
        CLUSTERVERSIONS,
        NODES,
        PODS,
        NAMESPACES,
        CONFIGMAPS,
        EVENTS,
        SUBSCRIPTIONS,
        CSVS,
        OPERATORGROUPS,
        PACKAGEMANIFESTS,
        CLUSTERPOLICIES,
        NODEFEATUREDISCOVERIES,
        APPLICATIONS,
        SERVICEMONITORS,
        CLUSTERROLES,
        CLUSTERROLEBINDINGS,
        DEVICECONFIGS,
        NODEFEATURERULES,
    )
}


def resource_for(api_version: str, kind: str) -> Resource:
    """The resource of a manifest's ``apiVersion``/``kind`` (every kind this tool renders or reads)."""
    try:
        return _KNOWN[(api_version, kind)]
    except KeyError:
        raise ClusterError(f"no API resource known for {kind} ({api_version})") from None
