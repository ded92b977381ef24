"""``cluster-capacity schema``: the JSON Schema of the values format, for editors."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated

import typer


class SchemaKind(str, Enum):
    values = "values"
    project = "project"


def schema_cmd(
    kind: Annotated[
        SchemaKind, typer.Option("--kind", help="values files or the project file.")
    ] = SchemaKind.values,
) -> None:
    """Print the JSON Schema of values files (or of cluster-capacity.yaml), for yaml-language-server."""
    from cluster_capacity.config import Project, Values

    model = Values if kind is SchemaKind.values else Project
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cluster-capacity values" if kind is SchemaKind.values else "cluster-capacity project",
        **{k: v for k, v in schema.items() if k != "title"},
    }
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def register(app: typer.Typer) -> None:
    app.command("schema")(schema_cmd)
