"""``cluster-capacity inferentia check``: the Neuron feasibility gate, checked against the cluster and AWS."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cluster_capacity.errors import EXIT_FAILED, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.ops.inferentia import CheckReport

app = typer.Typer(
    name="inferentia",
    help="Inferentia / Trainium pools: the feasibility gate.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class Output(str, enum.Enum):
    table = "table"
    json = "json"
    yaml = "yaml"


def register(root: typer.Typer) -> None:
    """Add ``inferentia`` (with ``check``) to the app."""
    root.add_typer(app, name="inferentia")


@app.command("check")
def check_cmd(
    env: Annotated[str, typer.Option(help="Env of the project: values-<env>.yaml.")],
    project: Annotated[
        Path | None, typer.Option(help="Project file (default ./cluster-capacity.yaml).")
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option(help="Kubeconfig file (default $KUBECONFIG, ~/.kube/config).")
    ] = None,
    context: Annotated[str | None, typer.Option(help="Kubeconfig context.")] = None,
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
        bool, typer.Option(help="Record the result in values-<env>.yaml (a pass opens the gate).")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="With --write: show the diff, write nothing.")] = False,
    output: Annotated[Output, typer.Option("--output", "-o", help="table, json or yaml.")] = Output.table,
) -> None:
    """Check that the AWS Neuron stack can run on the cluster; exit 1 when a row fails."""
    from cluster_capacity import kube as k
    from cluster_capacity import plan as planning
    from cluster_capacity.ops import inferentia

    if dry_run and not write:
        raise ConfigError("--dry-run shows what --write would change: use it with --write")
    overrides = dict(planning.parse_quota_override(q) for q in quota or [])
    config = inferentia.load_env_for_check(project, env)
    with k.connect(kubeconfig, context) as kube:
        report = inferentia.check(kube, config, quota_overrides=overrides, region=region, profile=profile)
    written: dict[str, Any] | None = None
    if write:
        values_file = config.files[-1]  # values-<env>.yaml: the env's own layer
        doc = inferentia.record(report, values_file)
        diff = doc.diff()
        saved = False if dry_run else doc.save()
        written = {"file": str(values_file), "written": saved, "dryRun": dry_run, "diff": diff}
    if output is Output.table:
        _print_table(report, written)
    else:
        data = report.to_dict()
        if written is not None:
            data["write"] = {**written, "gate": str(report.gate_after_record())}
        _dump(data, output)
    if written is not None and not dry_run:
        state = "nothing changed" if not written["written"] else "recorded"
        _say(f"{written['file']}: {state}; gate {report.gate_after_record()}")
    raise typer.Exit(EXIT_OK if report.passed else EXIT_FAILED)


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _dump(data: Any, output: Output) -> None:
    if output is Output.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


_MARK = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}


def _print_table(report: CheckReport, written: dict[str, Any] | None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    where = f", region {report.region}" if report.region else ""
    console.print(
        f"Env {report.env}: OpenShift {report.cluster_version or 'unknown'} on "
        f"{report.platform or 'unknown'}{where}",
        markup=False,
    )
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Found")
    for row in report.rows:
        table.add_row(row.title, _MARK[row.status], row.found)
    console.print(table)
    todo = [r for r in report.rows if r.action and r.status != "pass"]
    if todo:
        console.print("What to do:", markup=False)
        for row in todo:
            console.print(f"  {row.title}: {row.action}", markup=False, soft_wrap=True)
    console.print(f"Verdict: {report.verdict.upper()}", markup=False)
    console.print(f"Gate: {report.gate}", markup=False, soft_wrap=True)
    if written is not None:
        if written["dryRun"]:
            console.print(f"--dry-run: {written['file']} is not changed; --write would record:", markup=False)
            console.print(written["diff"] or "(no change)", markup=False, soft_wrap=True, end="")
        return
    if report.passed and not report.gate.open:
        console.print(
            f"Run `cluster-capacity inferentia check --env {report.env} --write` to record this check and "
            "open the gate.",
            markup=False,
            soft_wrap=True,
        )
    elif not report.passed and report.gate.open:
        console.print(
            "The values record an open gate, but the cluster fails the check now: fix the failing rows, or "
            "record this result with --write to close the gate.",
            markup=False,
            soft_wrap=True,
        )
