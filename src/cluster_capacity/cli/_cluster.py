"""Options and output shared by the commands that read the cluster (discover, status, diff, init, add-pool)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cluster_capacity.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from cluster_capacity.kube import Kube

KubeconfigOpt = Annotated[
    Path | None,
    typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)."),
]
ContextOpt = Annotated[str | None, typer.Option("--context", help="Kubeconfig context to use.")]
OutputOpt = Annotated[str, typer.Option("-o", "--output", help="table, yaml or json.")]
ProjectOpt = Annotated[
    Path | None, typer.Option("--project", help="Project file (default ./cluster-capacity.yaml).")
]
EnvOpt = Annotated[str, typer.Option("--env", help="Env of the project: values-<env>.yaml.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the unified diff; write nothing.")]

FORMATS = ("table", "yaml", "json")


def check_format(fmt: str) -> str:
    """``-o`` must be table, yaml or json."""
    if fmt not in FORMATS:
        raise ConfigError(f"-o {fmt}: must be one of {', '.join(FORMATS)}")
    return fmt


def connect(kubeconfig: Path | None, context: str | None) -> Kube:
    """The cluster client for the standard kubeconfig / in-cluster rules."""
    from cluster_capacity import kube

    return kube.connect(kubeconfig, context)


def emit(data: Any, fmt: str) -> None:
    """Data on stdout as YAML or JSON."""
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
        return
    import yaml

    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120))


def console() -> Console:
    """A Rich console on stdout, as wide as its tables (``cli._console``); colour off when not a terminal."""
    from cluster_capacity.cli._console import make_console

    # markup off: provider messages contain brackets ("The image id '[ami-0abc]' does not exist").
    return make_console()


def table(title: str, *columns: str) -> Table:
    """A plain table with a title; cells never wrap (names and messages are copied into commands)."""
    from rich import box
    from rich.table import Table

    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in columns:
        t.add_column(column, no_wrap=True)
    return t


def say(message: str) -> None:
    """Talk on stderr."""
    print(message, file=sys.stderr)
