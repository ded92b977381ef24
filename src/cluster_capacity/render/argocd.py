"""The Argo CD Application ``cluster-capacity-<env>`` that syncs an env's rendered folder."""

from __future__ import annotations

from typing import Any

from cluster_capacity.config import EnvConfig
from cluster_capacity.render._meta import Manifest, metadata

REPLICAS_POINTER = "/spec/replicas"


def application_name(env: str) -> str:
    return f"cluster-capacity-{env}"


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
        "destination": {"server": project.destination_server},
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
