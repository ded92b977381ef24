"""Render: config in, a deterministic list of manifest dicts out. Pure; no I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster_capacity.render._meta import Manifest
from cluster_capacity.render.argocd import application_name, render_application, render_application_set
from cluster_capacity.render.autoscaling import render_autoscaling
from cluster_capacity.render.health import render_health
from cluster_capacity.render.machines import render_machinesets
from cluster_capacity.render.monitoring import render_monitoring
from cluster_capacity.render.neuron import render_neuron
from cluster_capacity.render.nfd import render_nfd
from cluster_capacity.render.nvidia import render_nvidia
from cluster_capacity.render.rbac import render_rbac

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig, Values

__all__ = [
    "Manifest",
    "application_name",
    "render",
    "render_application",
    "render_application_set",
    "render_env",
    "sort_key",
]

# Order within a sync wave, for a stable, readable output.
_KIND_ORDER = [
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "OperatorGroup",
    "Subscription",
    "ConfigMap",
    "NodeFeatureDiscovery",
    "NodeFeatureRule",
    "ClusterPolicy",
    "DeviceConfig",
    "ServiceMonitor",
    "MachineSet",
    "MachineAutoscaler",
    "MachineHealthCheck",
    "ClusterAutoscaler",
    "Application",
]


def sort_key(obj: Manifest) -> tuple[int, int, str, str]:
    """Objects sort by sync wave, then kind, namespace and name."""
    meta = obj.get("metadata", {})
    wave = int(meta.get("annotations", {}).get("argocd.argoproj.io/sync-wave", 0))
    kind = str(obj.get("kind"))
    rank = _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
    return wave, rank, str(meta.get("namespace", "")), str(meta.get("name", ""))


def render(values: Values, env: str | None = None) -> list[Manifest]:
    """Every manifest for one env's values, in a stable order. ``env`` labels objects in project mode."""
    if not values.enabled:
        return []
    objects: list[Manifest] = [
        *render_nvidia(values, env),
        *render_nfd(values, env),
        *render_neuron(values, env),
        *render_monitoring(values, env),
        *render_machinesets(values, env),
        *render_health(values, env),
        *render_autoscaling(values, env),
    ]
    objects.extend(render_rbac(values, objects, env))
    return _dedupe(sorted(objects, key=sort_key))


def render_env(cfg: EnvConfig, *, with_application: bool = True) -> list[Manifest]:
    """An env of a project: its manifests, then (when enabled) its Argo CD Application."""
    objects = render(cfg.values, cfg.env.name)
    app = render_application(cfg) if with_application else None
    return [*objects, app] if app is not None else objects


def _dedupe(objects: list[Manifest]) -> list[Manifest]:
    """Drop exact repeats (a Namespace shared by two operators), keeping the first."""
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for obj in objects:
        meta = obj["metadata"]
        key = (str(obj["apiVersion"]), str(obj["kind"]), str(meta.get("namespace", "")), str(meta["name"]))
        if key in seen:
            continue
        seen.add(key)
        out.append(obj)
    return out
