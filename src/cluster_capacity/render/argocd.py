"""The Argo CD Application ``cluster-capacity-<env>`` that syncs an env's rendered folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig

REPLICAS_POINTER = "/spec/replicas"


def application_name(env: str) -> str:
    return f"cluster-capacity-{env}"


def destination(cfg: EnvConfig) -> dict[str, str]:
    """The env's ``cluster`` (by Argo CD cluster name or by server), else the project's in-cluster server."""
    cluster = cfg.env.cluster
    if cluster is not None and cluster.name:
        return {"name": cluster.name}
    return {"server": (cluster.server if cluster else None) or cfg.project.project.destination_server}


def render_application(cfg: EnvConfig) -> Manifest | None:
    """The env's Application, or ``None`` when the env has ``capacityEnabled: false``.

    Auto-prune stays off so that removing a pool from Git never deletes running nodes; replica drift of
    autoscaled MachineSets is ignored, and ``RespectIgnoreDifferences`` makes the sync itself honour that
    (without it Argo CD still resets replicas on every sync).
    """
    if not cfg.env.capacity_enabled:
        return None
    project = cfg.project.project
    spec: dict[str, Any] = {
        "project": project.argocd_project,
        "source": {
            "repoURL": project.repo_url,
            "targetRevision": project.target_revision,
            "path": cfg.project.env_source_path(cfg.env.name),
        },
        "destination": destination(cfg),
        "syncPolicy": {
            "automated": {"prune": False, "selfHeal": True},
            "retry": {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
        },
    }
    if cfg.ignore_machineset_replicas:
        spec["syncPolicy"]["syncOptions"] = ["RespectIgnoreDifferences=true"]
        spec["ignoreDifferences"] = [
            {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": [REPLICAS_POINTER]}
        ]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata(application_name(cfg.env.name), project.gitops_namespace, env=cfg.env.name),
        "spec": spec,
    }


APPLICATION_SET = "cluster-capacity"

#: Applied to an env's Application when it ignores MachineSet replicas; Argo CD merges it over the template.
_REPLICAS_PATCH = """{{- if .ignoreMachineSetReplicas }}
spec:
  ignoreDifferences:
  - group: machine.openshift.io
    jsonPointers:
    - /spec/replicas
    kind: MachineSet
  syncPolicy:
    syncOptions:
    - RespectIgnoreDifferences=true
{{- end }}
"""


def render_application_set(cfgs: list[EnvConfig]) -> Manifest | None:
    """One ApplicationSet whose list generator yields exactly the Applications ``render_application`` would.

    Its own sync policy never deletes: Applications of envs dropped from the list stay
    (``create-update``), and deleting the ApplicationSet leaves their resources
    (``preserveResourcesOnDeletion``), for the same reason auto-prune is off.
    """
    apps = [(cfg, render_application(cfg)) for cfg in cfgs]
    elements = []
    for cfg, app in apps:
        if app is None:
            continue
        dest = app["spec"]["destination"]
        elements.append(
            {
                "env": cfg.env.name,
                "path": app["spec"]["source"]["path"],
                "server": dest.get("server", ""),
                "cluster": dest.get("name", ""),
                "ignoreMachineSetReplicas": "ignoreDifferences" in app["spec"],
            }
        )
    if not elements:
        return None
    project = cfgs[0].project.project
    spec: dict[str, Any] = {
        "project": project.argocd_project,
        "source": {
            "repoURL": project.repo_url,
            "targetRevision": project.target_revision,
            "path": "{{.path}}",
        },
        "destination": {"server": "{{.server}}", "name": "{{.cluster}}"},
        "syncPolicy": {
            "automated": {"prune": False, "selfHeal": True},
            "retry": {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
        },
    }
    template_meta = metadata("cluster-capacity-{{.env}}", project.gitops_namespace, env="{{.env}}")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": metadata(APPLICATION_SET, project.gitops_namespace),
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "template": {"metadata": template_meta, "spec": spec},
            "templatePatch": _REPLICAS_PATCH,
            "syncPolicy": {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True},
        },
    }
