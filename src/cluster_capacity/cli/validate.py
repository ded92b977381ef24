"""``cluster-capacity validate``: render, then check against the CRD schemas and the policy rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cluster_capacity.cli._inputs import AllOpt, EnvOpt, ProjectOpt, SetOpt, ValuesOpt, resolve
from cluster_capacity.errors import EXIT_FAILED


def validate_cmd(
    values: ValuesOpt = None,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    all_envs: AllOpt = False,
    sets: SetOpt = None,
    crds: Annotated[
        Path | None,
        typer.Option(
            "--crds", metavar="DIR", help="Folder of CRD YAML files (default: $CLUSTER_CAPACITY_CRDS)."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
) -> None:
    """Validate rendered manifests offline: CRD schemas (types, required, enums, unknown fields) and policy."""
    from cluster_capacity.validate import validate_objects
    from cluster_capacity.validate.schemas import SchemaRegistry

    registry = SchemaRegistry.from_env_or(crds)
    targets, _ = resolve(values, project, env, all_envs, sets)
    failed = False
    total = 0
    for t in targets:
        docs = [*t.objects, t.application] if t.application else t.objects
        total += len(docs)
        for finding in validate_objects(docs, registry):
            prefix = f"[{t.env}] " if t.env and len(targets) > 1 else ""
            print(f"{prefix}{finding}")
            failed = failed or finding.severity == "error" or strict
    if failed:
        raise typer.Exit(EXIT_FAILED)
    print(f"{total} object(s) valid", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_cmd)
