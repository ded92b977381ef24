"""``cluster-capacity inferentia check``: the Neuron feasibility gate, checked against the cluster and AWS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cluster_capacity.cli._cluster import (
    ContextOpt,
    EnvOpt,
    KubeconfigOpt,
    OutputOpt,
    ProjectOpt,
    check_format,
    connect,
    console,
    emit,
    say,
)
from cluster_capacity.errors import EXIT_FAILED, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.ops.inferentia.check import CheckReport

app = typer.Typer(
    name="inferentia",
    help="Inferentia / Trainium pools: the feasibility gate.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

_MARK = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}


def register(root: typer.Typer) -> None:
    """Add ``inferentia`` (with ``check``) to the app."""
    root.add_typer(app, name="inferentia")


@app.command("check")
def check_cmd(
    env: EnvOpt,
    project: ProjectOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    region: Annotated[
        str | None, typer.Option(help="AWS region (default: the cluster's, from its Infrastructure).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile from the standard config files.")] = None,
    quota: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FAMILY:MARKET=VCPUS",
            help="What-if quota replacing what AWS reports, e.g. inf:on-demand=16 (as in plan).",
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Record the result in values-<env>.yaml (a pass opens the gate).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --write: print the unified diff, write nothing.")
    ] = False,
    output: OutputOpt = "table",
) -> None:
    """Check that the AWS Neuron stack can run on the cluster; exit 1 when a row fails."""
    from cluster_capacity.aws import plan as planning
    from cluster_capacity.ops.inferentia import check as inferentia

    fmt = check_format(output)
    if dry_run and not write:
        raise ConfigError("--dry-run shows what --write would change: use it with --write")
    overrides = dict(planning.parse_quota_override(q) for q in quota or [])
    config = inferentia.load_env_for_check(project, env)
    with connect(kubeconfig, context) as kube:
        report = inferentia.check(kube, config, quota_overrides=overrides, region=region, profile=profile)
    written: dict[str, Any] | None = None
    if write:
        values_file = config.files[-1]  # values-<env>.yaml, the env's own layer
        doc = inferentia.record(report, values_file)
        diff = doc.diff()
        saved = False if dry_run else doc.save()
        written = {"file": str(values_file), "written": saved, "dryRun": dry_run, "diff": diff}
    if fmt == "table":
        _print(report, written)
    else:
        data = report.to_dict()
        if written is not None:
            data["write"] = {**written, "gate": str(report.gate_after_record())}
        emit(data, fmt)
    if written is not None and not dry_run:
        done = "recorded the check" if written["written"] else "already records this check"
        say(f"{written['file']}: {done}; gate {report.gate_after_record()}")
    raise typer.Exit(EXIT_OK if report.passed else EXIT_FAILED)


def _print(report: CheckReport, written: dict[str, Any] | None) -> None:
    from rich import box
    from rich.table import Table

    out = console()
    where = f", region {report.region}" if report.region else ""
    out.print(
        f"Env {report.env}: OpenShift {report.cluster_version or 'unknown'} on "
        f"{report.platform or 'unknown'}{where}"
    )
    rows = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    rows.add_column("Check", no_wrap=True)
    rows.add_column("Result", no_wrap=True)
    rows.add_column("Found", no_wrap=True)
    for row in report.rows:
        rows.add_row(row.title, _MARK[row.status], row.found)
    out.print(rows)
    todo = [r for r in report.rows if r.action and r.status != "pass"]
    if todo:
        out.print("What to do:")
        for row in todo:
            # one line each, never wrapped: the commands in them are meant to be copied
            out.print(f"  {row.title}: {row.action}", soft_wrap=True)
    out.print(f"Verdict: {report.verdict.upper()}")
    out.print(f"Gate: {report.gate}", soft_wrap=True)
    if written is not None:
        if written["dryRun"]:
            out.print(f"--dry-run: {written['file']} not changed; --write would change:", soft_wrap=True)
            out.print(written["diff"] or "(nothing)\n", soft_wrap=True, end="")
        return
    if report.passed and not report.gate.open:
        out.print(
            f"Record it to open the gate: cluster-capacity inferentia check --env {report.env} --write",
            soft_wrap=True,
        )
    elif not report.passed and report.gate.open:
        out.print(
            "The values record an open gate, but the cluster fails the check now: fix the failing rows, "
            "or record this result with --write to close the gate.",
            soft_wrap=True,
        )
