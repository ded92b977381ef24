"""The one package that talks to the Kubernetes API.

It uses the official ``kubernetes`` client for what it is good at (kubeconfig and in-cluster loading,
authentication, TLS, the connection pool) and sends plain REST calls over resource paths, so every
object is a JSON dict and every kind (core, OpenShift, operators, Argo CD) goes through one code path.

- ``resources``: the resource types and their REST paths;
- ``errors``: the API server's error answers translated into ``ClusterError`` subclasses;
- ``client``: ``Kube``, the verbs (get, list, create, patch, scale, delete, logs) with bounded retries;
- ``config``: ``connect``, from a kubeconfig or the pod's service account.

Secrets are never read: a request for them is refused before it is sent.
"""

from cluster_capacity.kube.client import Kube, RetryPolicy
from cluster_capacity.kube.config import connect
from cluster_capacity.kube.errors import ApiError, ForbiddenError, NotFoundError, NotServedError
from cluster_capacity.kube.resources import (
    APPLICATIONS,
    CLUSTERAUTOSCALERS,
    CLUSTERPOLICIES,
    CLUSTERROLEBINDINGS,
    CLUSTERROLES,
    CLUSTERVERSIONS,
    CONFIGMAPS,
    CSVS,
    DEVICECONFIGS,
    EVENTS,
    INFRASTRUCTURES,
    MACHINEAUTOSCALERS,
    MACHINES,
    MACHINESETS,
    NAMESPACES,
    NODEFEATUREDISCOVERIES,
    NODEFEATURERULES,
    NODES,
    OPERATORGROUPS,
    PACKAGEMANIFESTS,
    PODS,
    READONLY_CLUSTERROLE,
    READONLY_CLUSTERROLE_FILE,
    SERVICEMONITORS,
    SUBSCRIPTIONS,
    Obj,
    Resource,
    resource_for,
)

__all__ = [
    "APPLICATIONS",
    "CLUSTERAUTOSCALERS",
    "CLUSTERPOLICIES",
    "CLUSTERROLEBINDINGS",
    "CLUSTERROLES",
    "CLUSTERVERSIONS",
    "CONFIGMAPS",
    "CSVS",
    "DEVICECONFIGS",
    "EVENTS",
    "INFRASTRUCTURES",
    "MACHINEAUTOSCALERS",
    "MACHINES",
    "MACHINESETS",
    "NAMESPACES",
    "NODEFEATUREDISCOVERIES",
    "NODEFEATURERULES",
    "NODES",
    "OPERATORGROUPS",
    "PACKAGEMANIFESTS",
    "PODS",
    "READONLY_CLUSTERROLE",
    "READONLY_CLUSTERROLE_FILE",
    "SERVICEMONITORS",
    "SUBSCRIPTIONS",
    "ApiError",
    "ForbiddenError",
    "Kube",
    "NotFoundError",
    "NotServedError",
    "Obj",
    "Resource",
    "RetryPolicy",
    "connect",
    "resource_for",
]
