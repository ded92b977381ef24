"""What render and validate work on: the targets the input flags name, loaded and rendered (no Typer).

Kept apart from the flags (``_inputs``) so that ``render`` can run without importing Typer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_capacity.errors import ConfigError


@dataclass(frozen=True)
class Target:
    """One thing to render: an env of a project, or a plain stack of values files."""

    env: str | None
    objects: list[dict[str, Any]]
    application: dict[str, Any] | None
    output_dir: Path | None  # the env's folder under the project's outputDir
    values: Any = None  # the env's Values
    config: Any = None  # the env's EnvConfig (project mode)


def resolve(
    values: list[Path] | None,
    project: Path | None,
    env: str | None,
    all_envs: bool,
    sets: list[str] | None,
) -> tuple[list[Target], Any]:
    """Load and render what the flags name. Returns the targets and the loaded project (or None)."""
    from cluster_capacity.config import load_envs, load_project, load_values
    from cluster_capacity.render import render, render_application

    sets = sets or []
    if values and (project or env or all_envs):
        raise ConfigError("use either -f FILE... or --project/--env/--all, not both")
    if values:
        vals = load_values(values, sets)
        return [Target(None, render(vals), None, None, vals)], None
    if not env and not all_envs:
        raise ConfigError("nothing to render: give -f FILE, or --env NAME (or --all) with a project file")
    if env and all_envs:
        raise ConfigError("use either --env NAME or --all")
    loaded = load_project(project)
    cfgs = load_envs(loaded, None if all_envs else [env or ""], sets)  # each problem names its envs
    targets = [
        Target(
            cfg.env.name,
            render(cfg.values, cfg.env.name),
            render_application(cfg),
            loaded.env_output_dir(cfg.env.name),
            cfg.values,
            cfg,
        )
        for cfg in cfgs
    ]
    return targets, loaded


def argocd_objects(targets: list[Target], loaded: Any) -> list[dict[str, Any]]:
    """What ``<outputDir>/argocd`` holds: one Application per env, or the project's one ApplicationSet."""
    if loaded.project.application_set:
        from cluster_capacity.render import render_application_set

        appset = render_application_set([t.config for t in targets])
        return [appset] if appset is not None else []
    return [t.application for t in targets if t.application is not None]
