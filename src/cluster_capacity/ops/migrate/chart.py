"""What the Helm chart (bitiq-io/gitops ``charts/cluster-capacity``) rendered for a set of values.

Written from the chart's template logic (not from its files) so that ``migrate`` can say which live
objects this tool updates in place and which it replaces, and tests can hold every field the chart set
against ours. It reads the raw merged values, as the templates did: a switch is on when
``lower(printf "%v" x) == "true"``, ``create`` switches default to on, ``enabled`` ones to off.

The chart changed over its history; ``ChartFeatures`` says which of its templates a checkout has.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ChartFeatures", "chart_objects", "rbac_name"]

Obj = dict[str, Any]
_WAVE = "argocd.argoproj.io/sync-wave"
_SKIP = {"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}
_MONITORING_LABELS = {
    "app.kubernetes.io/name": "cluster-capacity",
    "app.kubernetes.io/part-of": "cluster-capacity",
}
_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]


@dataclass(frozen=True)
class ChartFeatures:
    """Which templates the chart had. The default is its newest shape."""

    waves: bool = True  # sync-wave annotations on the operator objects (from "avoid ClusterPolicy sync")
    rbac_groups: tuple[str, ...] = ("nvidia.com", "monitoring.coreos.com", "nfd.openshift.io")
    single_namespace_default: bool = True  # OperatorGroup targets default to the install namespace
    nfd: bool = True
    dashboard: bool = True
    service_monitor: bool = True

    @classmethod
    def from_templates(cls, folder: Path) -> ChartFeatures:
        """Read a checkout's ``templates/`` folder for the features it has (none there: the newest)."""
        if not folder.is_dir():
            return cls()

        def text(name: str) -> str:
            path = folder / name
            return path.read_text(encoding="utf-8") if path.is_file() else ""

        operator = text("nvidia-operator.yaml")
        rbac = text("nvidia-rbac.yaml")
        groups = tuple(
            g for g in ("nvidia.com", "monitoring.coreos.com", "nfd.openshift.io") if f"- {g}" in rbac
        )
        return cls(
            waves="sync-wave" in operator,
            rbac_groups=groups,
            single_namespace_default="default (list $ns)" in operator,
            nfd=bool(text("nvidia-nfd.yaml")),
            dashboard=bool(text("nvidia-dashboard-dcgm-exporter.yaml")),
            service_monitor=bool(text("nvidia-servicemonitor-dcgm-exporter.yaml")),
        )


def _on(mapping: Any, key: str, default: bool) -> bool:
    if not isinstance(mapping, dict) or key not in mapping:
        return default
    value = mapping[key]
    text = "true" if value is True else "false" if value is False else str(value)
    return text.lower() == "true"


def _get(mapping: Any, key: str, default: Any) -> Any:
    """Helm's ``x | default d``: empty values (``""``, ``[]``, ``{}``, ``0``, ``false``) take the default."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if value not in (None, "", [], {}, 0, False) else default


def _dict(mapping: Any, key: str) -> dict[str, Any]:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, dict) else {}


def rbac_name(argocd_namespace: str) -> str:
    """The chart's ClusterRole (and binding) name: ``<argocdNamespace>-argocd-nvidia-clusterpolicy``."""
    return f"{argocd_namespace}-argocd-nvidia-clusterpolicy"[:63].rstrip("-")


def _meta(name: str, ns: str | None = None, wave: str | None = None, **extra: Any) -> Obj:
    meta: Obj = {"name": name}
    if ns:
        meta["namespace"] = ns
    annotations = dict(extra.pop("annotations", {}))
    if wave is not None:
        annotations[_WAVE] = wave
    if annotations:
        meta["annotations"] = annotations
    meta.update(extra)
    return meta


def chart_objects(values: dict[str, Any], features: ChartFeatures | None = None) -> list[Obj]:
    """Every object the chart rendered for ``values`` (the merged values of one env), in template order."""
    f = features or ChartFeatures()
    if not values.get("enabled") or values.get("enabled") in ("", 0):
        return []
    out: list[Obj] = []
    out.extend(_autoscaler(values))
    out.extend(_machinesets(values))
    nv = _dict(values, "nvidia")
    if _on(nv, "enabled", False):
        out.extend(_clusterpolicy(nv, f))
        if f.dashboard:
            out.extend(_dashboard(nv))
        if f.nfd:
            out.extend(_nfd(nv, f))
        out.extend(_operator(nv, f))
        if f.rbac_groups:
            out.extend(_rbac(nv, f))
        if f.service_monitor:
            out.append(_service_monitor(nv))
    return out


def _autoscaler(values: dict[str, Any]) -> list[Obj]:
    ca = _dict(_dict(values, "autoscaling"), "clusterAutoscaler")
    if not _on(ca, "enabled", False):
        return []
    name = _get(ca, "name", "default")
    return [
        {
            "apiVersion": "autoscaling.openshift.io/v1",
            "kind": "ClusterAutoscaler",
            "metadata": {"name": name},
            "spec": copy.deepcopy(ca.get("spec") or {}),
        }
    ]


def _machinesets(values: dict[str, Any]) -> list[Obj]:
    out: list[Obj] = []
    infra = values.get("infraID") or ""
    for ms in values.get("machineSets") or []:
        if not _on(ms, "enabled", False):
            continue
        name = f"{infra}-{ms.get('nameSuffix')}"
        ns = _get(ms, "namespace", "openshift-machine-api")
        role = _get(ms, "machineRole", "worker")
        node: Obj = {}
        if ms.get("nodeLabels"):
            node["metadata"] = {"labels": copy.deepcopy(ms["nodeLabels"])}
        if ms.get("taints"):
            node["taints"] = copy.deepcopy(ms["taints"])
        node["providerSpec"] = {"value": copy.deepcopy(ms.get("providerSpec") or {})}
        out.append(
            {
                "apiVersion": "machine.openshift.io/v1beta1",
                "kind": "MachineSet",
                "metadata": _meta(
                    name,
                    ns,
                    labels={"machine.openshift.io/cluster-api-cluster": infra, **(ms.get("labels") or {})},
                ),
                "spec": {
                    "replicas": _get(ms, "replicas", 0),
                    "selector": {
                        "matchLabels": {
                            "machine.openshift.io/cluster-api-cluster": infra,
                            "machine.openshift.io/cluster-api-machineset": name,
                        }
                    },
                    "template": {
                        "metadata": {
                            "labels": {
                                "machine.openshift.io/cluster-api-cluster": infra,
                                "machine.openshift.io/cluster-api-machine-role": role,
                                "machine.openshift.io/cluster-api-machine-type": _get(
                                    ms, "machineType", role
                                ),
                                "machine.openshift.io/cluster-api-machineset": name,
                                **(ms.get("templateLabels") or {}),
                            }
                        },
                        "spec": node,
                    },
                },
            }
        )
        autoscaler = _dict(ms, "autoscaler")
        if _on(autoscaler, "enabled", False):
            out.append(
                {
                    "apiVersion": "autoscaling.openshift.io/v1beta1",
                    "kind": "MachineAutoscaler",
                    "metadata": _meta(name, ns),
                    "spec": {
                        "minReplicas": autoscaler.get("minReplicas"),
                        "maxReplicas": autoscaler.get("maxReplicas"),
                        "scaleTargetRef": {
                            "apiVersion": "machine.openshift.io/v1beta1",
                            "kind": "MachineSet",
                            "name": name,
                        },
                    },
                }
            )
    return out


def _clusterpolicy(nv: dict[str, Any], f: ChartFeatures) -> list[Obj]:
    cp = _dict(nv, "clusterPolicy")
    if not _on(cp, "create", True):
        return []
    meta = _meta(
        _get(cp, "name", "cluster-policy"),
        wave="1" if f.waves else None,
        annotations=_SKIP if f.waves else {},
    )
    return [
        {
            "apiVersion": _get(cp, "apiVersion", "nvidia.com/v1"),
            "kind": "ClusterPolicy",
            "metadata": meta,
            "spec": copy.deepcopy(cp.get("spec") or {}),
        }
    ]


def _dashboard(nv: dict[str, Any]) -> list[Obj]:
    dash = _dict(nv, "dashboards")
    if not _on(dash, "enabled", False):
        return []
    meta = _meta(
        _get(dash, "configMapName", "grafana-dashboard-nvidia-dcgm-exporter"),
        _get(dash, "namespace", "openshift-config-managed"),
        "2",
        labels={"console.openshift.io/dashboard": "true", **_MONITORING_LABELS},
    )
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}]


def _olm(
    cfg: dict[str, Any], ns: str, og_name: str, source: str, f: ChartFeatures, *, what: str
) -> list[Obj]:
    wave = "0" if f.waves else None
    out: list[Obj] = []
    if _on(cfg, "createNamespace", True) and ns != "openshift-operators":
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta(ns, wave=wave, labels={"app.kubernetes.io/managed-by": "Helm"}),
            }
        )
    og = _dict(cfg, "operatorGroup")
    if _on(og, "create", True):
        if f.single_namespace_default:
            targets = _get(og, "targetNamespaces", [ns])
        else:
            targets = og.get("targetNamespaces") or []
        out.append(
            {
                "apiVersion": "operators.coreos.com/v1",
                "kind": "OperatorGroup",
                "metadata": _meta(_get(og, "name", og_name), ns, wave),
                "spec": {"targetNamespaces": list(targets)},
            }
        )
    sub = _dict(cfg, "subscription")
    spec: Obj = {
        "channel": _get(sub, "channel", "stable"),
        "name": sub.get("name"),
        "source": _get(sub, "source", source),
        "sourceNamespace": _get(sub, "sourceNamespace", "openshift-marketplace"),
        "installPlanApproval": _get(sub, "approval", "Automatic"),
    }
    if sub.get("startingCSV"):
        spec["startingCSV"] = sub["startingCSV"]
    out.append(
        {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "Subscription",
            "metadata": _meta(str(sub.get("name") or what), ns, wave),
            "spec": spec,
        }
    )
    return out


def _nfd(nv: dict[str, Any], f: ChartFeatures) -> list[Obj]:
    nfd = _dict(nv, "nfd")
    if not _on(nfd, "enabled", False):
        return []
    ns = _get(nfd, "installNamespace", "openshift-nfd")
    out = _olm(nfd, ns, "openshift-nfd", "redhat-operators", f, what="nfd")
    inst = _dict(nfd, "instance")
    if _on(inst, "create", True):
        out.append(
            {
                "apiVersion": _get(inst, "apiVersion", "nfd.openshift.io/v1"),
                "kind": "NodeFeatureDiscovery",
                "metadata": _meta(_get(inst, "name", "nfd-instance"), ns, "1", annotations=_SKIP),
                "spec": copy.deepcopy(inst.get("spec") or {}),
            }
        )
    return out


def _operator(nv: dict[str, Any], f: ChartFeatures) -> list[Obj]:
    ns = _get(nv, "installNamespace", "nvidia-gpu-operator")
    return _olm(nv, ns, "nvidia-gpu-operator", "certified-operators", f, what="gpu-operator-certified")


def _rbac(nv: dict[str, Any], f: ChartFeatures) -> list[Obj]:
    rbac = _dict(nv, "rbac")
    if not _on(rbac, "create", True):
        return []
    argocd_ns = _get(rbac, "argocdNamespace", "openshift-gitops")
    sa = _get(rbac, "applicationControllerServiceAccount", "openshift-gitops-argocd-application-controller")
    name = rbac_name(argocd_ns)
    plurals = {
        "nvidia.com": "clusterpolicies",
        "monitoring.coreos.com": "servicemonitors",
        "nfd.openshift.io": "nodefeaturediscoveries",
    }
    rules = [{"apiGroups": [g], "resources": [plurals[g]], "verbs": list(_VERBS)} for g in f.rbac_groups]
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(name, wave="0"),
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(name, wave="0"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": argocd_ns}],
        },
    ]


def _service_monitor(nv: dict[str, Any]) -> Obj:
    ns = _get(nv, "installNamespace", "nvidia-gpu-operator")
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _meta(
            "nvidia-dcgm-exporter",
            ns,
            "2",
            labels={"app": "nvidia-dcgm-exporter", **_MONITORING_LABELS},
        ),
        "spec": {
            "jobLabel": "app",
            "namespaceSelector": {"matchNames": [ns]},
            "selector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}},
            "endpoints": [{"port": "gpu-metrics", "path": "/metrics"}],
        },
    }
