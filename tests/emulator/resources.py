"""The API resources the emulator serves: group, version, plural, kind, scope and subresources."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceType:
    """One served resource, as discovery describes it."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    subresources: tuple[str, ...] = ()  # "status", "scale", "log"
    short_names: tuple[str, ...] = ()
    #: Dotted paths of the scale subresource (spec replicas, status replicas, label selector in status).
    scale_paths: tuple[str, str, str] = ("spec.replicas", "status.replicas", "status.labelSelector")
    verbs: tuple[str, ...] = field(
        default=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    )
    categories: tuple[str, ...] = ()
    #: Served by kube-apiserver itself (not a CRD): unconditional PUT allowed, strategic merge patch.
    builtin: bool = False
    #: The server keeps ``metadata.generation`` (CRs, and built-ins whose spec a controller acts on).
    generation: bool = True
    #: DELETE answers with the object (pods, namespaces, deployments); otherwise a ``Status`` Success.
    returns_deleted: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


def _r(group: str, version: str, plural: str, kind: str, **kw: object) -> ResourceType:
    return ResourceType(group, version, plural, kind, **kw)  # type: ignore[arg-type]


def _core(group: str, version: str, plural: str, kind: str, **kw: object) -> ResourceType:
    """A built-in kind (served by kube-apiserver itself); most keep no ``generation``."""
    kw.setdefault("generation", False)
    return ResourceType(group, version, plural, kind, builtin=True, **kw)  # type: ignore[arg-type]


#: What a 4.19 OpenShift cluster with the GPU Operator, NFD and OpenShift GitOps serves (the part we use).
OPENSHIFT_RESOURCES: tuple[ResourceType, ...] = (
    _core(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        subresources=("status",),
        short_names=("ns",),
        returns_deleted=True,
    ),
    _core("", "v1", "nodes", "Node", namespaced=False, subresources=("status",), short_names=("no",)),
    _core(
        "",
        "v1",
        "pods",
        "Pod",
        subresources=("status", "log"),
        short_names=("po",),
        categories=("all",),
        returns_deleted=True,
    ),
    _core("", "v1", "secrets", "Secret"),
    _core("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    _core("", "v1", "events", "Event", short_names=("ev",)),
    _core("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    _core(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        subresources=("status", "scale"),
        short_names=("deploy",),
        categories=("all",),
        generation=True,
        returns_deleted=True,
    ),
    _core(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        subresources=("status",),
        short_names=("ds",),
        categories=("all",),
        generation=True,
    ),
    _core("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _core("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    _core(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        subresources=("status",),
        short_names=("crd", "crds"),
        generation=True,
    ),
    _r(
        "config.openshift.io",
        "v1",
        "infrastructures",
        "Infrastructure",
        namespaced=False,
        subresources=("status",),
    ),
    _r(
        "config.openshift.io",
        "v1",
        "clusterversions",
        "ClusterVersion",
        namespaced=False,
        subresources=("status",),
    ),
    _r("machine.openshift.io", "v1beta1", "machinesets", "MachineSet", subresources=("status", "scale")),
    _r("machine.openshift.io", "v1beta1", "machines", "Machine", subresources=("status",)),
    _r(
        "machine.openshift.io",
        "v1beta1",
        "machinehealthchecks",
        "MachineHealthCheck",
        subresources=("status",),
        short_names=("mhc", "mhcs"),
    ),
    _r(
        "autoscaling.openshift.io",
        "v1beta1",
        "machineautoscalers",
        "MachineAutoscaler",
        subresources=("status",),
        short_names=("ma",),
    ),
    _r(
        "autoscaling.openshift.io",
        "v1",
        "clusterautoscalers",
        "ClusterAutoscaler",
        namespaced=False,
        subresources=("status",),
        short_names=("ca",),
    ),
    _r("operators.coreos.com", "v1alpha1", "subscriptions", "Subscription", subresources=("status",)),
    _r(
        "operators.coreos.com",
        "v1alpha1",
        "clusterserviceversions",
        "ClusterServiceVersion",
        subresources=("status",),
    ),
    _r("operators.coreos.com", "v1alpha1", "installplans", "InstallPlan", subresources=("status",)),
    _r("operators.coreos.com", "v1", "operatorgroups", "OperatorGroup", subresources=("status",)),
    _r("packages.operators.coreos.com", "v1", "packagemanifests", "PackageManifest", verbs=("get", "list")),
    _r("nvidia.com", "v1", "clusterpolicies", "ClusterPolicy", namespaced=False, subresources=("status",)),
    _r("nfd.openshift.io", "v1", "nodefeaturediscoveries", "NodeFeatureDiscovery", subresources=("status",)),
    _r("nfd.openshift.io", "v1alpha1", "nodefeaturerules", "NodeFeatureRule"),
    _r("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor", short_names=("smon",)),
    _r("argoproj.io", "v1alpha1", "applications", "Application", short_names=("app", "apps")),
    _r("argoproj.io", "v1alpha1", "appprojects", "AppProject", short_names=("appproj", "appprojs")),
)
