"""``cluster-capacity migrate``: a checkout of the Helm chart's GitOps repo becomes a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cluster_capacity.cli._cluster import say


def migrate_cmd(
    checkout: Annotated[
        Path, typer.Argument(metavar="CHECKOUT", help="The GitOps repo that holds the chart (its root).")
    ] = Path("."),
    to: Annotated[
        Path | None,
        typer.Option("--to", metavar="DIR", help="Write the project here (default: the checkout itself)."),
    ] = None,
    chart: Annotated[
        str, typer.Option("--chart", metavar="PATH", help="The chart's folder in the checkout.")
    ] = "charts/cluster-capacity",
    apps_values: Annotated[
        str,
        typer.Option("--apps-values", metavar="FILE", help="The Argo CD apps values that enable it per env."),
    ] = "charts/argocd-apps/values.yaml",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be written; write nothing.")
    ] = False,
) -> None:
    """Write cluster-capacity.yaml and values/ from the Helm chart's files; say how to switch over."""
    from cluster_capacity.ops.migrate.checkout import plan_migration, write_migration

    plan = plan_migration(checkout, to, chart_dir=chart, apps_values=apps_values)
    if not dry_run:
        write_migration(plan)
    for line in plan.report():
        print(line.replace("wrote ", "would write ", 1) if dry_run and line.startswith("wrote ") else line)
    if dry_run:
        say("dry run: nothing written")


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate_cmd)
