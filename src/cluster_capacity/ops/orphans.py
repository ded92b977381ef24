"""Orphans: live objects the env's Argo CD Application tracks that Git no longer renders.

Auto-prune is off by design, so every rename or removal leaves the old object running (a MachineSet keeps
its nodes billing, the chart's ClusterRole keeps its grants). An object belongs to an Application the way
Argo CD decides it, as the instance is configured in ``argocd-cm``:

- ``application.resourceTrackingMethod: label`` (Argo CD < 3.0's default): the label
  ``application.instanceLabelKey`` (default ``app.kubernetes.io/instance``) holds the Application's name;
- ``annotation`` or ``annotation+label`` (the default from Argo CD 3.0): the annotation
  ``argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>`` names the Application and
  the object itself (a copied annotation naming another object does not count), and when ``installationID``
  is set, ``argocd.argoproj.io/installation-id`` must carry it.

When ``argocd-cm`` cannot be read (or names no method) either mark counts. Objects with an owner are
never orphans (Argo CD tracks only top-level objects). Kinds this tool or the Helm chart render are
listed (one LIST each; with label tracking the server selects); kinds only the live Application knows
come from its ``status.resources`` (``requiresPruning``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cluster_capacity.kube import Kube, Resource

__all__ = ["ARGOCD_CM", "Orphan", "Tracking", "find_orphans", "read_tracking", "removal_command"]

Obj = dict[str, Any]
ARGOCD_CM = "argocd-cm"
TRACKING_ID = "argocd.argoproj.io/tracking-id"
INSTALLATION_ID = "argocd.argoproj.io/installation-id"
DEFAULT_LABEL = "app.kubernetes.io/instance"


@dataclass(frozen=True)
class Tracking:
    """How the Argo CD instance marks what an Application owns. ``method`` "" means unknown: either."""

    method: str = ""
    label_key: str = DEFAULT_LABEL
    installation_id: str = ""

    @property
    def by_label(self) -> bool:
        return self.method in ("", "label")

    @property
    def by_annotation(self) -> bool:
        return self.method in ("", "annotation", "annotation+label")

    def tracks(self, obj: Obj, app: str) -> bool:
        """Whether Argo CD counts ``obj`` as the Application ``app``'s own."""
        meta = obj.get("metadata") or {}
        if meta.get("ownerReferences"):
            return False
        annotations = meta.get("annotations") or {}
        installed_here = not self.installation_id or annotations.get(INSTALLATION_ID) == self.installation_id
        if (
            self.by_annotation
            and installed_here
            and _tracking_id_names(annotations.get(TRACKING_ID, ""), app, obj)
        ):
            return True
        return self.by_label and (meta.get("labels") or {}).get(self.label_key) == app[:63]

    def describe(self) -> str:
        if self.method == "label":
            return f"label {self.label_key}"
        if self.method:
            return f"annotation {TRACKING_ID}"
        return f"label {self.label_key} or annotation {TRACKING_ID} (argocd-cm not readable)"


def _tracking_id_names(value: str, app: str, obj: Obj) -> bool:
    """``<app>:<group>/<kind>:<namespace>/<name>`` naming ``app`` and this very object."""
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[0] != app:
        return False
    group, _, kind = parts[1].partition("/")
    namespace, _, name = parts[2].partition("/")
    meta = obj.get("metadata") or {}
    api_group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    # a cluster-scoped object's id carries the Application's destination namespace, or none
    same_ns = not meta.get("namespace") or namespace == meta.get("namespace")
    return group == api_group and kind == obj.get("kind") and name == meta.get("name") and same_ns


def read_tracking(kube: Kube, gitops_namespace: str) -> Tracking:
    """The tracking settings of the Argo CD instance in ``gitops_namespace`` (``argocd-cm``)."""
    from cluster_capacity import kube as k

    try:
        cm = kube.get(k.CONFIGMAPS, ARGOCD_CM, gitops_namespace)
    except k.ApiError:  # absent, or not readable with these credentials: accept either mark
        return Tracking()
    data = cm.get("data") or {}
    method = str(data.get("application.resourceTrackingMethod") or "").strip()
    return Tracking(
        method=method if method in ("label", "annotation", "annotation+label") else "",
        label_key=str(data.get("application.instanceLabelKey") or DEFAULT_LABEL),
        installation_id=str(data.get("installationID") or ""),
    )


@dataclass(frozen=True)
class Orphan:
    """A live object the Application tracks that Git does not render, and the command that removes it."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @property
    def command(self) -> str:
        return removal_command(self.api_version, self.kind, self.name, self.namespace)


def removal_command(api_version: str, kind: str, name: str, namespace: str = "") -> str:
    """``oc delete <kind>.<group> NAME [-n NS]``: group-qualified, as ``machineset`` alone can mean
    ``machinesets.cluster.x-k8s.io`` on a cluster that serves Cluster API."""
    group = api_version.rpartition("/")[0]
    what = f"{kind.lower()}.{group}" if group else kind.lower()
    return f"oc delete {what} {name}" + (f" -n {namespace}" if namespace else "")


def scanned_resources(desired: list[Obj]) -> list[Resource]:
    """Every kind this tool or the Helm chart renders, and the kinds of ``desired``."""
    from cluster_capacity import kube as k
    from cluster_capacity.errors import ClusterError

    out = [
        k.MACHINESETS,
        k.MACHINEAUTOSCALERS,
        k.CLUSTERAUTOSCALERS,
        k.NAMESPACES,
        k.CONFIGMAPS,
        k.OPERATORGROUPS,
        k.SUBSCRIPTIONS,
        k.CLUSTERPOLICIES,
        k.NODEFEATUREDISCOVERIES,
        k.NODEFEATURERULES,
        k.DEVICECONFIGS,
        k.SERVICEMONITORS,
        k.CLUSTERROLES,
        k.CLUSTERROLEBINDINGS,
    ]
    for obj in desired:
        if obj.get("kind") == "Application":
            continue
        try:
            resource = k.resource_for(str(obj["apiVersion"]), str(obj["kind"]))
        except ClusterError:
            continue
        if resource not in out:
            out.append(resource)
    return out


def find_orphans(
    kube: Kube, app: str, desired: list[Obj], tracking: Tracking, live_app: Obj | None = None
) -> list[Orphan]:
    """Objects ``app`` tracks that are not in ``desired``, sorted by kind, namespace and name."""
    from cluster_capacity import kube as k

    rendered = {_identity(_ref(o)) for o in desired}
    found: dict[tuple[str, str, str, str], Orphan] = {}
    resources = scanned_resources(desired)
    selector = f"{tracking.label_key}={app[:63]}" if tracking.method == "label" else ""
    for resource in resources:
        try:
            items = kube.list(resource, label_selector=selector)
        except k.NotServedError:  # the kind's CRD is not installed: nothing of it can be left over
            continue
        for obj in items:
            ref = _ref(obj, resource.api_version, resource.kind)
            if _identity(ref) in rendered or not tracking.tracks(
                {**obj, "apiVersion": ref[0], "kind": ref[1]}, app
            ):
                continue
            found[ref] = Orphan(*ref)
    scanned = {(r.group, r.kind) for r in resources}
    for entry in ((live_app or {}).get("status") or {}).get("resources") or []:
        group, kind = str(entry.get("group") or ""), str(entry.get("kind") or "")
        if not entry.get("requiresPruning") or (group, kind) in scanned:
            continue
        version = str(entry.get("version") or "v1")
        api_version = f"{group}/{version}" if group else version
        ref = (api_version, kind, str(entry.get("namespace") or ""), str(entry.get("name") or ""))
        if _identity(ref) not in rendered:
            found[ref] = Orphan(*ref)
    return [found[r] for r in sorted(found, key=lambda r: (r[1], r[2], r[3]))]


def _ref(obj: Obj, api_version: str = "", kind: str = "") -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (
        str(api_version or obj.get("apiVersion")),
        str(kind or obj.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def _identity(ref: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
    """Group, kind, namespace, name: the same object whatever version it is read at."""
    return (ref[0].rpartition("/")[0], ref[1], ref[2], ref[3])
