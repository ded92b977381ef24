"""``cluster-capacity smoke``: the "Hello GPU" test of one pool, or ``--print-pod`` for the manual path."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from cluster_capacity.cli._fleet import ParallelOpt, one_env
from cluster_capacity.cli._inputs import ProjectOpt
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.fleet import DEFAULT_PARALLEL

_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str, flag: str) -> float:
    """``30m``, ``1h30m``, ``90s`` or plain seconds ``90`` -> seconds (> 0)."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match:
        raise ConfigError(f"{flag} {text}: not a duration (examples: 30m, 1h30m, 90s)")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + float(match["s"] or 0)
    if seconds <= 0:
        raise ConfigError(f"{flag} {text}: must be longer than zero")
    return seconds


def smoke_cmd(
    env: Annotated[str | None, typer.Option("--env", help="Env of the project whose pool to test.")] = None,
    all_envs: Annotated[
        bool,
        typer.Option(
            "--all", help="Every env of the project that has --pool, each over its own kube context."
        ),
    ] = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    project: ProjectOpt = None,
    pool: Annotated[
        str | None, typer.Option("--pool", help="nameSuffix of the pool (needed when the env has several).")
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option(
            "--zone",
            help="For a pool fanned out over zones: test in this zone (default: the one that can get capacity).",
        ),
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            help="A `plan --save-snapshot` file: pick a zone that offers the type, reserved capacity first.",
        ),
    ] = None,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Give up after this long (30m, 1h, 90s).")
    ] = "30m",
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the pool scaled up for the next run (the pod is deleted).")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the result as JSON (.json) or JUnit XML (.xml)."),
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", help="Image for the smoke pod (default: a CUDA base image).")
    ] = None,
    namespace: Annotated[str, typer.Option("--namespace", help="Namespace of the smoke pod.")] = "default",
    poll: Annotated[str, typer.Option("--poll", help="How often to look at the cluster.")] = "10s",
    kubeconfig: Annotated[Path | None, typer.Option("--kubeconfig", help="Kubeconfig file.")] = None,
    context: Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")] = None,
    print_pod: Annotated[
        bool, typer.Option("--print-pod", help="Print the smoke pod's manifest and exit; no cluster needed.")
    ] = False,
    cleanup: Annotated[
        bool,
        typer.Option(
            "--cleanup",
            help="Undo what an interrupted run left: restore the replicas its record names, delete smoke pods.",
        ),
    ] = False,
) -> None:
    """Scale a pool to one node, run nvidia-smi on it, report, and clean up: the "Hello GPU" test."""
    from cluster_capacity.config import load_env
    from cluster_capacity.ops.smoke.pod import build_pod, targets_from_env

    one_env(env, all_envs)
    seconds = parse_duration(timeout, "--timeout")
    interval = parse_duration(poll, "--poll")
    if report is not None and report.suffix.lower() not in (".json", ".xml"):
        raise ConfigError(f"--report {report}: use a .json or .xml (JUnit) file name")
    if report is not None and not report.parent.is_dir():
        raise ConfigError(f"--report {report}: folder {report.parent} does not exist")
    snap = None
    if snapshot is not None:
        from cluster_capacity.aws.snapshot import load_snapshot

        snap = load_snapshot(snapshot)
    if all_envs:
        if print_pod:
            raise ConfigError("--print-pod is for one env: use --env NAME")
        from cluster_capacity.cli._smoke_fleet import smoke_all

        smoke_all(
            project,
            pool,
            kubeconfig=kubeconfig,
            context=context,
            parallel=parallel,
            timeout=seconds,
            poll=interval,
            keep=keep,
            image=image,
            namespace=namespace,
            report=report,
            cleanup=cleanup,
            zone=zone,
            snapshot=snap,
        )
        return
    assert env is not None
    config = load_env(project, env)
    targets = targets_from_env(config, pool, zone)

    if print_pod:
        from cluster_capacity import output

        sys.stdout.write(output.to_stream([build_pod(targets[0], image=image, namespace=namespace)]))
        return

    from cluster_capacity.ops.smoke.cluster import connect
    from cluster_capacity.ops.smoke.report import format_summary, write_report
    from cluster_capacity.ops.smoke.run import SmokeOptions, run_smoke

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    cluster = connect(kubeconfig, context)
    if cleanup:
        from cluster_capacity.cli._smoke_cleanup import clean_up

        raise typer.Exit(clean_up(cluster, targets, namespace))
    options = SmokeOptions(
        timeout=seconds,
        poll=interval,
        keep=keep,
        image=image,
        namespace=namespace,
        # Loading already refuses a gated Neuron pool; this keeps run_smoke's own check in step.
        allow_neuron=config.values.inferentia.gate_open,
        progress=progress,
    )
    from cluster_capacity.ops.smoke.zones import choose_zone

    choice = choose_zone(cluster, targets, snap)
    if len(targets) > 1:
        progress(f"pool {choice.target.pool}: testing MachineSet {choice.target.machineset} ({choice.why})")
        for line in choice.skipped:
            progress(f"  passed over {line}")
    result = run_smoke(cluster, choice.target, options)
    print(format_summary(result), file=sys.stderr)
    if report is not None:
        write_report(result, report)
        print(f"report written to {report}", file=sys.stderr)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("smoke")(smoke_cmd)
