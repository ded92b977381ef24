"""``cluster-capacity render``: values in, manifests out (stdout, a folder, or every env's folder)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cluster_capacity.cli._inputs import (
    AllOpt,
    EnvOpt,
    ProjectOpt,
    SetOpt,
    ValuesOpt,
    argocd_objects,
    resolve,
)
from cluster_capacity.errors import EXIT_FAILED, ConfigError


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
    from cluster_capacity import output

    targets, loaded = resolve(values, project, env, all_envs, sets)
    if all_envs and output_dir:
        raise ConfigError("--all writes each env into the project's outputDir; -o is for one env")
    if check and not (all_envs or output_dir):
        raise ConfigError("--check compares with files on disk: use it with --all or -o DIR")

    plan: list[tuple[Path, dict[str, str]]] = []
    if all_envs:
        for t in targets:
            assert t.output_dir is not None
            plan.append((t.output_dir, output.files_for(t.objects)))
        plan.append((loaded.apps_output_dir, output.files_for(argocd_objects(targets, loaded))))
    elif output_dir:
        if output_dir.exists() and not output_dir.is_dir():
            raise ConfigError(f"-o {output_dir}: is a file; give a folder to render into")
        plan.append((output_dir, output.files_for(targets[0].objects)))
    else:
        (t,) = targets
        docs = [*t.objects, t.application] if t.application else t.objects
        sys.stdout.write(output.to_stream(docs))
        return

    if check:
        diffs = [d for folder, files in plan for d in output.compare(folder, files)]
        for d in diffs:
            print(d, file=sys.stderr)
        if diffs:
            print(
                f"{len(diffs)} rendered file(s) out of date: run cluster-capacity render again",
                file=sys.stderr,
            )
            raise typer.Exit(EXIT_FAILED)
        print("rendered output is up to date", file=sys.stderr)
        return
    unchanged = 0
    for result in output.write_folders(plan):
        if not result.changed:
            unchanged += 1  # nothing to write: the files (and their mtimes) stay as they are
            continue
        print(f"{result.folder}: {len(result.files) - 1} object(s) + {output.KUSTOMIZATION}", file=sys.stderr)
    if unchanged:
        print(f"{unchanged} folder(s) already up to date", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("render")(render_cmd)
