"""``cluster-capacity render``: values in, manifests out (stdout, a folder, or every env's folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cluster_capacity.cli import _render_run
from cluster_capacity.cli._inputs import AllOpt, EnvOpt, ProjectOpt, SetOpt, ValuesOpt


def render_cmd(
    values: ValuesOpt = None,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    all_envs: AllOpt = False,
    sets: SetOpt = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("-o", "--output-dir", metavar="DIR", help="Write one file per object here, not stdout."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 listing what differs from the files on disk."),
    ] = False,
) -> None:
    """Render the manifests Argo CD applies."""
    code = _render_run.render(values, project, env, all_envs, sets, output_dir, check)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("render")(render_cmd)
