"""Input options shared by render and validate: values files, or a project and its envs (``_targets``
loads what they name)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ValuesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "-f", "--values", metavar="FILE", help="Values file; repeat to layer them like helm -f a -f b."
    ),
]
ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        metavar="PATH",
        help="Project file (default ./cluster-capacity.yaml when --env or --all is given).",
    ),
]
EnvOpt = Annotated[
    str | None, typer.Option("--env", metavar="NAME", help="Env of the project: values-<env>.yaml.")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every env of the project.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a value, as helm: --set machineSets[0].replicas=1 (repeatable).",
    ),
]
