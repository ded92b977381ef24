"""Operators (Subscription, CSV, ClusterPolicy, NFD), the Argo CD Application, PackageManifests."""

from __future__ import annotations

from typing import Any

from .facts import GITOPS_NS, GPU_NS, NFD_NS, TS, _uid

Obj = dict[str, Any]


def subscription(
    name: str,
    namespace: str,
    csv: str,
    *,
    package: str | None = None,
    channel: str = "stable",
    source: str = "certified-operators",
    state: str = "AtLatestKnown",
) -> Obj:
    """An OLM Subscription with the status OLM writes."""
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": _uid("sub", name),
            "creationTimestamp": TS,
            "labels": {f"operators.coreos.com/{package or name}.{namespace}": ""},
        },
        "spec": {
            "channel": channel,
            "installPlanApproval": "Automatic",
            "name": package or name,
            "source": source,
            "sourceNamespace": "openshift-marketplace",
        },
        "status": {
            "currentCSV": csv,
            "installedCSV": csv,
            "state": state,
            "lastUpdated": TS,
            "catalogHealth": [
                {
                    "healthy": True,
                    "lastUpdated": TS,
                    "catalogSourceRef": {"name": source, "namespace": "openshift-marketplace"},
                }
            ],
            "conditions": [
                {"type": "CatalogSourcesUnhealthy", "status": "False", "reason": "AllCatalogSourcesHealthy"}
            ],
        },
    }


def csv(name: str, namespace: str, phase: str = "Succeeded", *, display: str = "") -> Obj:
    """A ClusterServiceVersion in ``phase`` (Pending, InstallReady, Installing, Succeeded, Failed)."""
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {"name": name, "namespace": namespace, "uid": _uid("csv", name), "creationTimestamp": TS},
        "spec": {"displayName": display or name, "version": name.split(".v", 1)[-1]},
        "status": {
            "phase": phase,
            "reason": "InstallSucceeded" if phase == "Succeeded" else "InstallWaiting",
            "message": "install strategy completed with no errors"
            if phase == "Succeeded"
            else "installing: waiting for deployment gpu-operator to become ready",
            "lastUpdateTime": TS,
        },
    }


def cluster_policy(state: str = "ready", name: str = "cluster-policy") -> Obj:
    """NVIDIA ClusterPolicy with ``status.state`` (ready / notReady / ignored)."""
    return {
        "apiVersion": "nvidia.com/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name, "uid": _uid("cp", name), "creationTimestamp": TS, "generation": 1},
        "spec": {
            "operator": {"defaultRuntime": "crio", "use_ocp_driver_toolkit": True},
            "driver": {"enabled": True},
            "devicePlugin": {"enabled": True},
            "dcgm": {"enabled": True},
            "dcgmExporter": {"enabled": True},
            "gfd": {"enabled": True},
            "toolkit": {"enabled": True},
            "daemonsets": {},
            "nodeStatusExporter": {"enabled": True},
        },
        "status": {
            "namespace": GPU_NS,
            "state": state,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if state == "ready" else "False",
                    "reason": "Reconciled" if state == "ready" else "OperandNotReady",
                    "lastTransitionTime": TS,
                    "message": ""
                    if state == "ready"
                    else "ClusterPolicy is not ready, states not ready: [state-driver]",
                }
            ],
        },
    }


def nfd_instance(available: bool = True, name: str = "nfd-instance") -> Obj:
    """NodeFeatureDiscovery with its Available/Degraded conditions."""
    return {
        "apiVersion": "nfd.openshift.io/v1",
        "kind": "NodeFeatureDiscovery",
        "metadata": {"name": name, "namespace": NFD_NS, "uid": _uid("nfd", name), "creationTimestamp": TS},
        "spec": {"operand": {"servicePort": 12000}, "workerConfig": {"configData": ""}},
        "status": {
            "conditions": [
                {"type": "Available", "status": "True" if available else "False", "lastTransitionTime": TS},
                {"type": "Degraded", "status": "False" if available else "True", "lastTransitionTime": TS},
            ]
        },
    }


def argocd_application(
    env: str = "prod",
    *,
    sync: str = "Synced",
    health: str = "Healthy",
    ignore_replicas: bool = True,
    repo: str = "https://github.com/example/gitops.git",
) -> Obj:
    """The Argo CD Application ``cluster-capacity-<env>`` with sync and health status."""
    spec: Obj = {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc"},
        "source": {"repoURL": repo, "targetRevision": "main", "path": f"rendered/{env}"},
        "syncPolicy": {
            "automated": {"prune": False, "selfHeal": True},
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
        },
    }
    if ignore_replicas:
        spec["ignoreDifferences"] = [
            {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
        ]
        spec["syncPolicy"]["syncOptions"] = ["RespectIgnoreDifferences=true"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"cluster-capacity-{env}",
            "namespace": GITOPS_NS,
            "uid": _uid("app", env),
            "creationTimestamp": TS,
            "generation": 14,
        },
        "spec": spec,
        "status": {
            "sync": {"status": sync, "revision": "4f1c2a9e0b7d3c5e8f6a1b2c3d4e5f6a7b8c9d0e"},
            "health": {"status": health},
            "reconciledAt": TS,
            "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
        },
    }


def package_manifest(
    name: str, default_channel: str, channels: list[str], *, source: str = "certified-operators"
) -> Obj:
    """A PackageManifest (packages.operators.coreos.com) as the catalog serves it."""
    return {
        "apiVersion": "packages.operators.coreos.com/v1",
        "kind": "PackageManifest",
        "metadata": {
            "name": name,
            "namespace": "openshift-marketplace",
            "creationTimestamp": TS,
            "labels": {"catalog": source, "catalog-namespace": "openshift-marketplace"},
        },
        "spec": {},
        "status": {
            "catalogSource": source,
            "catalogSourceNamespace": "openshift-marketplace",
            "defaultChannel": default_channel,
            "packageName": name,
            "channels": [
                {"name": c, "currentCSV": f"{name}.{c if c.startswith('v') else 'v25.3.2'}"} for c in channels
            ],
        },
    }
