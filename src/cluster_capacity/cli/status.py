"""``cluster-capacity status``: each pool desired against live, Machines by phase, operators, Argo CD."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cluster_capacity.cli._cluster import (
    ContextOpt,
    KubeconfigOpt,
    OutputOpt,
    ProjectOpt,
    check_format,
    connect,
    console,
    emit,
    say,
    table,
)
from cluster_capacity.cli._fleet import AllOpt, ParallelOpt, one_env, run_all
from cluster_capacity.errors import EXIT_FAILED
from cluster_capacity.ops.fleet import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig
    from cluster_capacity.ops.pools.report import PoolStatus


def status_cmd(
    env: Annotated[str | None, typer.Option("--env", help="Env of the project: values-<env>.yaml.")] = None,
    all_envs: AllOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    project: ProjectOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = "table",
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            help="A `plan --save-snapshot` file: capacity advice names the zones that offer the type.",
        ),
    ] = None,
) -> None:
    """Pool status; exit 0 when every enabled pool is healthy, 1 otherwise."""
    from cluster_capacity.config import load_env
    from cluster_capacity.ops.pools.status import pool_status

    fmt = check_format(output)
    one_env(env, all_envs)
    offerings = None
    if snapshot is not None:
        from cluster_capacity.aws.snapshot import load_snapshot

        offerings = load_snapshot(snapshot).offerings
    if all_envs:

        def job(cfg: EnvConfig, kube_context: str | None) -> tuple[int, str]:
            with connect(kubeconfig, kube_context) as kube:
                report = pool_status(kube, cfg, offerings=offerings)
            bad = [p.name_suffix for p in report.pools if not p.healthy]
            if bad:
                return EXIT_FAILED, f"not healthy: {', '.join(bad)}"
            return 0, f"{sum(p.enabled for p in report.pools)} pool(s) healthy"

        run_all(project, job, context=context, parallel=parallel, title="Pools of every env")
        return
    assert env is not None
    cfg = load_env(project, env)
    with connect(kubeconfig, context) as kube:
        report = pool_status(kube, cfg, offerings=offerings)
    if fmt != "table":
        emit(report.to_dict(), fmt)
    else:
        _print(report)
    for advice in report.compatibility:
        say(f"warning: {advice}")
    if not report.pools:
        say(f"values-{env}.yaml has no pools")
    if not report.healthy:
        bad = [p.name_suffix for p in report.pools if not p.healthy]
        say(f"not healthy: {', '.join(bad)}")
        raise typer.Exit(EXIT_FAILED)


def _print(report: object) -> None:
    from cluster_capacity.cli.discover import operator_state
    from cluster_capacity.ops.discovery.gpu_operator import not_ready_operands
    from cluster_capacity.ops.pools.status import StatusReport

    assert isinstance(report, StatusReport)
    out = console()
    pools = table(
        f"Pools of {report.env} ({report.infra_id})",
        "Pool",
        "Type",
        "Zone",
        "Market",
        "Git",
        "Live",
        "Machines",
        "Ready",
        "Accel.",
        "Autoscale",
        "Health",
    )
    for p in report.pools:
        pools.add_row(*_row(p, p.name_suffix, p.instance_type, p.zone))
        for m in p.machine_sets:
            pools.add_row(*_row(m, f"  {_short(m, report.infra_id)}", "", m.zone))
    out.print(pools)
    for p in report.pools:
        for issue in p.issues if not p.machine_sets else ():
            if not issue.startswith("Machine "):
                out.print(f"{p.name_suffix}: {issue}")
        _print_problems(out, p.name_suffix, p)
        for m in p.machine_sets:
            where = _short(m, report.infra_id)
            for issue in m.issues:
                if not issue.startswith("Machine "):
                    out.print(f"{where}: {issue}", soft_wrap=True)
            for note in m.notes:
                out.print(f"{where}: {note}", soft_wrap=True)
            _print_problems(out, where, m)
    ops = table("Operators", "Operator", "Namespace", "Channel", "CSV", "Phase", "State")
    for o in report.operators:
        if not o.installed:
            ops.add_row(o.name, "not installed", "", "", "", "")
            continue
        ops.add_row(
            o.name,
            o.namespace,
            o.channel,
            o.csv,
            o.csv_phase,
            operator_state(o),
        )
    out.print(ops)
    for o in report.operators:
        for operand in not_ready_operands(o.namespace, o.not_ready_states):
            out.print(f"{o.name}: {operand.state} not ready" + (f": {operand.hint}" if operand.hint else ""))
            out.print(f"    look:     {operand.command}")
    app = report.application
    if app is None:
        out.print(
            f"Argo CD Application cluster-capacity-{report.env}: not found in {report.gitops_namespace}"
        )
    else:
        line = f"Argo CD Application {app.namespace}/{app.name}: sync {app.sync}, health {app.health}"
        if app.revision:
            line += f", revision {app.revision[:12]}"
        out.print(line)
        if app.orphans:
            out.print(
                f"{app.orphans} object(s) tracked by {app.name} are no longer in Git and keep running "
                f"(auto-prune is off): `cluster-capacity diff --env {report.env}` lists them with the "
                "command that removes each"
            )


def _short(m: PoolStatus, infra_id: str) -> str:
    """A pool's MachineSet by the part of its name after the infraID: ``gpu-a-us-west-2b-ondemand``."""
    return m.machineset.removeprefix(f"{infra_id}-")


def _row(p: PoolStatus, label: str, instance_type: str, zone: str) -> list[str]:
    machines = "\n".join(f"{phase} {n}" for phase, n in p.machines.items()) or "-"
    accel = (
        f"gpu {p.gpus}"
        if p.accelerator == "nvidia"
        else f"neuron {p.neuron}"
        if p.accelerator == "neuron"
        else "-"
    )
    scaler = f"{p.autoscaler[0]}..{p.autoscaler[1]}" if p.autoscaler else "-"
    if p.autoscaler and p.live_autoscaler and p.live_autoscaler != p.autoscaler:
        scaler += f" (live {p.live_autoscaler[0]}..{p.live_autoscaler[1]})"
    health = "disabled" if not p.enabled else "ok" if p.healthy else "NOT OK"
    if p.enabled and p.no_capacity:
        health = "no capacity, fallback in use" if p.fallback_active else f"NOT OK: {p.no_capacity}"
    elif p.enabled and p.fallback_for and p.live:
        health += ", in use"
    return [
        label,
        instance_type,
        zone,
        "Spot" if p.spot else "On-Demand",
        str(p.desired),
        "-" if p.live is None else str(p.live),
        machines,
        f"{p.nodes_ready}/{p.nodes}",
        accel,
        scaler,
        health,
    ]


def _print_problems(out: Any, where: str, p: PoolStatus) -> None:
    """Each failing Machine with the provider's message and advice; for a fanned-out pool, per MachineSet."""
    from cluster_capacity.ops.pools.zones import STARVED

    if p.machine_sets:
        return
    for problem in p.problems:
        if p.fallback_active and problem.reason in STARVED:
            continue  # the note says the twin has taken over; the advice (add a fallback) is done
        out.print(f"{where}: Machine {problem.machine} {problem.phase} ({problem.reason})")
        out.print(f"    provider: {problem.message}")
        out.print(f"    advice:   {problem.advice}")


def register(app: typer.Typer) -> None:
    app.command("status")(status_cmd)
