"""``cluster-capacity init``: create or repair an env's values file (and project entry) from the cluster."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cluster_capacity.cli._cluster import (
    ContextOpt,
    DryRunOpt,
    EnvOpt,
    KubeconfigOpt,
    ProjectOpt,
    connect,
    say,
)


def init_cmd(
    env: EnvOpt,
    project: ProjectOpt = None,
    repo_url: Annotated[
        str | None,
        typer.Option("--repo-url", help="Git URL for a new project file (default: origin remote)."),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Write values-<env>.yaml with the cluster's infraID; on existing files fix only what is wrong."""
    from cluster_capacity.ops.discovery.discover import discover, require_aws
    from cluster_capacity.ops.discovery.init import plan_init

    with connect(kubeconfig, context) as kube:
        facts = discover(kube)
    require_aws(facts)
    plan = plan_init(facts, env, project or Path("."), repo_url=repo_url)
    for note in plan.notes:
        say(f"note: {note}")
    if not plan.changed:
        say(f"env {env} already matches cluster {facts.infra_id}: nothing to change")
        return
    if dry_run:
        for doc in plan.changed:
            sys.stdout.write(doc.diff())
        say("dry run: nothing written")
        return
    for doc in plan.changed:
        doc.save()
    for change in plan.changes:
        say(change)


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
