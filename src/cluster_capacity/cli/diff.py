"""``cluster-capacity diff``: rendered objects against live ones; exit 0 none, 3 drift, 1 error."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cluster_capacity.cli._cluster import (
    ContextOpt,
    KubeconfigOpt,
    OutputOpt,
    ProjectOpt,
    check_format,
    connect,
    emit,
    say,
)
from cluster_capacity.cli._fleet import AllOpt, ParallelOpt, one_env, run_all
from cluster_capacity.errors import EXIT_DRIFT
from cluster_capacity.ops.fleet import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig


def diff_cmd(
    env: Annotated[str | None, typer.Option("--env", help="Env of the project: values-<env>.yaml.")] = None,
    all_envs: AllOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    project: ProjectOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = "table",
) -> None:
    """Show drift between Git and the cluster, and live pools Git no longer renders."""
    from cluster_capacity.config import load_env
    from cluster_capacity.ops.diff import diff_env

    fmt = check_format(output)
    one_env(env, all_envs)
    if all_envs:

        def job(cfg: EnvConfig, kube_context: str | None) -> tuple[int, str]:
            with connect(kubeconfig, kube_context) as kube:
                report = diff_env(kube, cfg)
            counts = {s: sum(d.state == s for d in report.diffs) for s in ("changed", "missing", "orphan")}
            if not report.drift:
                return 0, f"no drift ({report.compared} objects compared)"
            return EXIT_DRIFT, (
                f"{counts['changed']} changed, {counts['missing']} missing, "
                f"{counts['orphan']} no longer in Git ({report.compared} objects compared)"
            )

        run_all(project, job, context=context, parallel=parallel, title="Drift of every env")
        return
    assert env is not None
    cfg = load_env(project, env)
    with connect(kubeconfig, context) as kube:
        report = diff_env(kube, cfg)
    if fmt != "table":
        emit(report.to_dict(), fmt)
    else:
        for d in report.diffs:
            if d.state == "orphan":
                continue
            sys.stdout.write(d.diff if d.diff.endswith("\n") else d.diff + "\n")
        orphans = [d for d in report.diffs if d.state == "orphan"]
        if orphans:
            print(f"# Live in the cluster, tracked by cluster-capacity-{env}, but no longer rendered by Git.")
            print("# Auto-prune is off, so they keep running (and billing). To remove them:")
            for d in orphans:
                print(d.command)
    changed = sum(d.state == "changed" for d in report.diffs)
    missing = sum(d.state == "missing" for d in report.diffs)
    orphaned = sum(d.state == "orphan" for d in report.diffs)
    if report.drift:
        say(
            f"drift in env {env}: {changed} changed, {missing} missing, {orphaned} no longer in Git "
            f"({report.compared} objects compared)"
        )
        raise typer.Exit(EXIT_DRIFT)
    say(f"no drift in env {env} ({report.compared} objects compared)")


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_cmd)
