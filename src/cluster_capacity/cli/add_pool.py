"""``cluster-capacity add-pool``: add a pool to an env's values, copied from a live worker MachineSet."""

from __future__ import annotations

import sys
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


def add_pool_cmd(
    env: EnvOpt,
    instance_type: Annotated[str, typer.Option("--instance-type", help="EC2 instance type, e.g. g5.xlarge.")],
    zone: Annotated[
        str | None,
        typer.Option(
            "--zone", help="Availability zone, e.g. us-west-2a (with --zones: the zone to copy from)."
        ),
    ] = None,
    zones: Annotated[
        str | None,
        typer.Option(
            "--zones",
            help="Fan out: one MachineSet per zone, e.g. us-west-2a,us-west-2b,us-west-2c.",
        ),
    ] = None,
    spot: Annotated[bool, typer.Option("--spot", help="Spot instead of On-Demand.")] = False,
    max_price: Annotated[
        str | None, typer.Option("--max-price", help="Spot maxPrice in USD/hour (default: On-Demand price).")
    ] = None,
    autoscale: Annotated[
        str | None, typer.Option("--autoscale", help="MIN:MAX: add a MachineAutoscaler, e.g. 0:2.")
    ] = None,
    on_demand_fallback: Annotated[
        bool,
        typer.Option(
            "--on-demand-fallback",
            help="With --spot: an On-Demand twin of each MachineSet, ranked below Spot (OpenShift 4.16+).",
        ),
    ] = False,
    health_check: Annotated[
        bool | None,
        typer.Option(
            "--health-check/--no-health-check",
            help="Write healthCheck (a MachineHealthCheck; default: on for Spot pools).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="nameSuffix (default <family>-<type>-<zone>; no zone with --zones)."),
    ] = None,
    check_offering: Annotated[
        bool,
        typer.Option("--check-offering", help="Ask AWS whether the zone offers the type (AWS credentials)."),
    ] = False,
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile for --check-offering.")
    ] = None,
    ami: Annotated[
        str | None,
        typer.Option(
            "--ami",
            help="AMI id for the pool instead of the source MachineSet's (skips the architecture check).",
        ),
    ] = None,
    project: ProjectOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Add a pool (replicas 0) to values-<env>.yaml from a worker MachineSet's providerSpec."""
    from cluster_capacity.errors import ConfigError
    from cluster_capacity.ops.pools.add import (
        PoolRequest,
        parse_autoscale,
        parse_zones,
        pool_from_cluster,
    )
    from cluster_capacity.ops.pools.add_values import plan_add_pool

    if zone is None and zones is None:
        raise ConfigError("give --zone ZONE, or --zones ZONE,ZONE,... to fan the pool out")
    fan_out = parse_zones(zones) if zones is not None else ()
    request = PoolRequest(
        instance_type=instance_type,
        zone=zone or "",
        zones=fan_out,
        on_demand_fallback=on_demand_fallback,
        health_check=health_check,
        spot=spot,
        max_price=max_price,
        autoscale=parse_autoscale(autoscale) if autoscale else None,
        name=name,
        ami=ami,
    )
    offered = architecture = None
    if check_offering:
        from cluster_capacity.aws.fetch import instance_architecture, offered_in
        from cluster_capacity.aws.snapshot import region_of_zone

        first = (fan_out or (zone or "",))[0]

        def offered(instance: str, where: str) -> bool:
            return offered_in(instance, where, profile=profile)

        def architecture(instance: str) -> str:
            return instance_architecture(instance, profile=profile, region=region_of_zone(first))

    with connect(kubeconfig, context) as kube:
        pool, infra_id = pool_from_cluster(kube, request, offered=offered, architecture=architecture)
    doc, notes = plan_add_pool(project, env, pool, infra_id)
    for note in [*pool.notes, *notes]:
        say(f"note: {note}")
    if dry_run:
        sys.stdout.write(doc.diff())
        say(f"dry run: {doc.path} not changed")
        return
    doc.save()
    where = ", ".join(fan_out) if fan_out else request.zone
    market = "Spot" if request.spot else "On-Demand"
    if on_demand_fallback:
        market += " with On-Demand fallback"
    say(
        f"{doc.path}: added pool {pool.name_suffix} ({request.instance_type}, {where}, {market}, "
        f"replicas 0) from MachineSet {pool.source}"
    )
    say("next: cluster-capacity render --env " + env + ", commit, and let Argo CD sync")


def register(app: typer.Typer) -> None:
    app.command("add-pool")(add_pool_cmd)
