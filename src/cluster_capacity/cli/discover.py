"""``cluster-capacity discover``: the facts of the current cluster (and, with --env, what differs)."""

from __future__ import annotations

from typing import Annotated

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
from cluster_capacity.errors import EXIT_FAILED, ConfigError


def discover_cmd(
    project: ProjectOpt = None,
    env: Annotated[str | None, typer.Option("--env", help="Also compare with this env's config.")] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = "table",
    write: Annotated[
        bool,
        typer.Option(
            "--write", help="With --env: record the OpenShift version in the project file (for validate)."
        ),
    ] = False,
) -> None:
    """Show the cluster's infraID, region, version, MachineSets, operators and Argo CD Application."""
    from cluster_capacity.ops.discovery.compare import compare
    from cluster_capacity.ops.discovery.discover import discover

    fmt = check_format(output)
    if write and not env:
        raise ConfigError("--write records the cluster's version for an env: give --env NAME")
    cfg = None
    gitops_ns = "openshift-gitops"
    if env:
        from cluster_capacity.config import load_env

        cfg = load_env(project, env)
        gitops_ns = cfg.project.project.gitops_namespace
    with connect(kubeconfig, context) as kube:
        facts = discover(kube, env=env, gitops_namespace=gitops_ns)
    if cfg is not None and env:
        facts.mismatches.extend(compare(facts, cfg.values, env))
    if fmt != "table":
        emit(facts.to_dict(), fmt)
    else:
        _print(facts, env)
    for advice in facts.compatibility:
        say(f"warning: {advice}")
    if write and cfg is not None and env:
        from cluster_capacity.ops.discovery.record import record_openshift_version

        doc = record_openshift_version(cfg.project.path, env, facts.openshift_version)
        if doc.save():
            say(f"recorded openshiftVersion {facts.openshift_version} for env {env} in {cfg.project.path}")
    if facts.platform != "AWS":
        say(
            f"the cluster's platform is {facts.platform or 'unknown'}, not AWS: cluster-capacity manages AWS pools"
        )
        raise typer.Exit(EXIT_FAILED)


def _print(facts: object, env: str | None) -> None:
    from cluster_capacity.ops.discovery.discover import ClusterFacts

    assert isinstance(facts, ClusterFacts)
    out = console()
    summary = table("Cluster", "Fact", "Value")
    for key, value in (
        ("API server", facts.api_server),
        ("infraID", facts.infra_id),
        ("Platform", facts.platform),
        ("Region", facts.region),
        (
            "OpenShift",
            f"{facts.openshift_version} ({facts.channel})" if facts.channel else facts.openshift_version,
        ),
        ("Worker zones", ", ".join(facts.worker_zones) or "none"),
    ):
        summary.add_row(key, value)
    out.print(summary)
    sets = table(
        "MachineSets", "Name", "Role", "Instance type", "Zone", "Market", "Replicas", "Ready", "Managed"
    )
    for m in facts.machinesets:
        managed = (f"env {m.env}" if m.env else "yes") if m.managed else "no"
        sets.add_row(
            m.name, m.role, m.instance_type, m.zone, m.market, str(m.replicas), str(m.ready_replicas), managed
        )
    out.print(sets)
    ops = table("Operators", "Operator", "Installed", "Namespace", "Channel", "CSV", "Phase", "State")
    for o in facts.operators:
        ops.add_row(
            o.name,
            "yes" if o.installed else "no",
            o.namespace,
            o.channel,
            o.csv,
            o.csv_phase,
            operator_state(o),
        )
    out.print(ops)
    if env:
        app = facts.application
        if app is None:
            out.print(f"Argo CD Application cluster-capacity-{env}: not found")
        else:
            out.print(
                f"Argo CD Application {app.namespace}/{app.name}: sync {app.sync}, health {app.health}, "
                f"replicas ignored: {'yes' if app.ignores_replicas else 'no'}"
            )
        if facts.mismatches:
            out.print(f"Differences from values-{env}.yaml:")
            for d in facts.mismatches:
                out.print(f"  {d.field}: {d.message}")
        else:
            out.print(f"values-{env}.yaml agrees with the cluster")


def operator_state(o: object) -> str:
    """``cluster-policy notReady (driver, device-plugin)``: the operand's state and what it waits for."""
    from cluster_capacity.ops.discovery.discover import OperatorFact

    assert isinstance(o, OperatorFact)
    state = f"{o.instance} {o.instance_state}".strip()
    if o.not_ready_states:
        state += f" ({', '.join(s.removeprefix('state-') for s in o.not_ready_states)})"
    return state


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_cmd)
