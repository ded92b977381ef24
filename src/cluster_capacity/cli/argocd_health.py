"""``cluster-capacity argocd-health``: the Argo CD health checks and ClusterPolicy diff settings to add."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from cluster_capacity.cli._inputs import EnvOpt, ProjectOpt
from cluster_capacity.errors import ConfigError


def argocd_health_cmd(
    project: ProjectOpt = None,
    env: EnvOpt = None,
    output: Annotated[str, typer.Option("-o", "--output", help="yaml or json.")] = "yaml",
) -> None:
    """Print an ArgoCD (OpenShift GitOps) fragment: Lua health checks for the GPU stack's kinds, and the
    ClusterPolicy fields its CRD defaults as ignored differences (every env's, or --env's)."""
    from cluster_capacity.config import load_env, load_project
    from cluster_capacity.render.argocd_health import argocd_health

    if output not in ("yaml", "json"):
        raise ConfigError(f"-o {output}: must be one of yaml, json")
    loaded = load_project(project)
    names = [env] if env else [e.name for e in loaded.project.envs]
    fragment = argocd_health(loaded, [load_env(loaded.path, name) for name in names])
    if output == "json":
        sys.stdout.write(json.dumps(fragment, indent=2) + "\n")
        return
    from cluster_capacity import output as out

    sys.stdout.write(out.dump(fragment))


def register(app: typer.Typer) -> None:
    app.command("argocd-health")(argocd_health_cmd)
