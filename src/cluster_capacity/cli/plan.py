"""``cluster-capacity plan``: which accelerator instances fit the account's vCPU quotas, where, how many.

Also ``plan --check --env NAME``: can every enabled pool of an env reach its maximum?
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cluster_capacity.errors import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.aws import Aws
    from cluster_capacity.instances import Market, QuotaFamily
    from cluster_capacity.plan import FamilyPlan, Plan, PoolDemand, PoolProblem, QuotaKey, Snapshot


class Family(str, enum.Enum):
    nvidia = "nvidia"
    neuron = "neuron"
    all = "all"


class MarketChoice(str, enum.Enum):
    spot = "spot"
    on_demand = "on-demand"
    both = "both"


class Arch(str, enum.Enum):
    x86_64 = "x86_64"
    arm64 = "arm64"
    all = "all"


class Output(str, enum.Enum):
    table = "table"
    json = "json"
    yaml = "yaml"


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the app."""
    app.command("plan")(plan)


def plan(
    region: Annotated[
        str | None,
        typer.Option(metavar="REGION", help="AWS region (default: the profile's or AWS_DEFAULT_REGION)."),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(metavar="NAME", help="AWS profile from the standard config files.")
    ] = None,
    family: Annotated[Family, typer.Option(help="Accelerators to plan for.")] = Family.all,
    market: Annotated[MarketChoice, typer.Option(help="Spot, On-Demand or both.")] = MarketChoice.both,
    zones: Annotated[
        list[str] | None,
        typer.Option(metavar="ZONES", help="Only these availability zones (comma-separated or repeated)."),
    ] = None,
    min_accelerator_memory: Annotated[
        float, typer.Option(metavar="GIB", min=0, help="Least memory per GPU / Neuron device, in GiB.")
    ] = 0.0,
    target_gpus: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="GPUs wanted: the vCPUs and quota increase they need."),
    ] = None,
    target_neuron_devices: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", help="Neuron devices wanted: the vCPUs and quota increase they need."
        ),
    ] = None,
    quota: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FAMILY:MARKET=VCPUS",
            help="What-if quota replacing what AWS reports, e.g. g:spot=16 (g p inf trn dl standard).",
        ),
    ] = None,
    arch: Annotated[Arch, typer.Option(help="CPU architecture of the cluster's nodes.")] = Arch.x86_64,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            "--catalog",
            metavar="FILE",
            help="Plan offline from a snapshot saved with --save-snapshot.",
        ),
    ] = None,
    save_snapshot: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write what was read from AWS to FILE (JSON).")
    ] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="table, json or yaml.")] = Output.table,
    check: Annotated[
        bool, typer.Option("--check", help="Check the enabled pools of --env against quotas and zones.")
    ] = False,
    env: Annotated[str | None, typer.Option(metavar="NAME", help="Env to check (with --check).")] = None,
    project: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Project file (default ./cluster-capacity.yaml), with --check."),
    ] = None,
) -> None:
    """Which GPU / Inferentia instance types fit the vCPU quotas, in which zones, and how many."""
    from cluster_capacity import plan as planning

    overrides: dict[QuotaKey, int] = dict(planning.parse_quota_override(q) for q in quota or [])
    zone_list = sorted({z.strip() for item in zones or [] for z in item.split(",") if z.strip()})
    if check:
        if env is None:
            raise ConfigError("--check needs --env NAME")
        code = _check(project, env, region, profile, overrides, snapshot, save_snapshot, output)
        raise typer.Exit(code)
    if env is not None:
        raise ConfigError("--env is only used with --check")
    if target_gpus is not None and family is Family.neuron:
        raise ConfigError("--target-gpus needs --family nvidia or all")
    if target_neuron_devices is not None and family is Family.nvidia:
        raise ConfigError("--target-neuron-devices needs --family neuron or all")

    families = planning.ACCELERATOR_FAMILIES[family.value]
    markets = _markets(market)
    snap = _snapshot(families, markets, zone_list, region, profile, overrides, snapshot, save_snapshot, ())
    known = set(snap.zones())
    for zone in zone_list:
        if zone not in known:
            _say(f"{zone}: no accelerator instance type is offered there")
    result = planning.make_plan(
        snap,
        family=family.value,
        markets=markets,
        zones=zone_list,
        min_accelerator_memory_gib=min_accelerator_memory,
        target_gpus=target_gpus,
        target_neuron_devices=target_neuron_devices,
        architecture=arch.value,
        profile=profile,
    )
    if output is Output.table:
        _print_table(result)
    else:
        _dump(result.to_dict(), output)
    if not result.fits:
        _say(
            "nothing fits the headroom"
            if not any(f.recommendation for f in result.families)
            else "the target does not fit the headroom of any family and market: see the quota increase above"
        )
    raise typer.Exit(EXIT_OK if result.fits else EXIT_FAILED)


def _markets(choice: MarketChoice) -> tuple[Market, ...]:
    if choice is MarketChoice.spot:
        return ("spot",)
    if choice is MarketChoice.on_demand:
        return ("on-demand",)
    return ("spot", "on-demand")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _snapshot(
    families: Sequence[QuotaFamily],
    markets: Sequence[Market],
    zones: Sequence[str],
    region: str | None,
    profile: str | None,
    overrides: dict[QuotaKey, int],
    snapshot_file: Path | None,
    save_to: Path | None,
    types: Sequence[str],
) -> Snapshot:
    """The data to plan over: from a snapshot file (no AWS call at all), or read from AWS."""
    from cluster_capacity import plan as planning

    if snapshot_file is not None:
        snap = planning.load_snapshot(snapshot_file).with_quotas(overrides)
        if region is not None and region != snap.region:
            raise ConfigError(f"--region {region}: the snapshot {snapshot_file} is of {snap.region}")
        for zone in zones:
            if planning.region_of_zone(zone) != snap.region:
                raise ConfigError(f"--zones: {zone} is not an availability zone of {snap.region}")
        offered = {snap.catalog[t].quota_family for t in snap.offerings if t in snap.catalog}
        missing = [
            f"--quota {f}:{m}=VCPUS"
            for f in families
            for m in markets
            if f in offered and (f, m) not in snap.quotas
        ]
        if missing:
            raise ConfigError(
                f"{snapshot_file}: the snapshot has no value for {', '.join(missing)}; give them"
            )
    else:
        from cluster_capacity.aws import Aws, fetch_snapshot

        progress = _say if sys.stderr.isatty() else None
        aws: Aws = Aws(profile, region)
        snap = fetch_snapshot(
            aws, families, markets, zones=zones, quota_overrides=overrides, types=types, progress=progress
        )
    if save_to is not None:
        try:
            save_to.write_text(json.dumps(snap.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--save-snapshot {save_to}: {exc.strerror or exc}") from exc
        _say(f"wrote {save_to}")
    return snap


def _dump(data: Any, output: Output) -> None:
    if output is Output.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


def _console() -> Any:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def _accelerators(count: int, fraction: float) -> str:
    if fraction < 1.0:
        return f"1/{round(1 / fraction)}"
    return str(count)


def _zones(zones: Sequence[str], region: str) -> str:
    return ",".join(z.removeprefix(region) for z in zones)


def _print_table(result: Plan) -> None:
    from rich import box
    from rich.table import Table

    console = _console()
    console.print(f"Region {result.region}, zones {', '.join(result.zones) or '(none)'}")
    if result.min_accelerator_memory_gib:
        console.print(f"Accelerator memory at least {result.min_accelerator_memory_gib:g} GiB")
    for fp in result.families:
        console.print()
        console.print(_heading(fp), markup=False)
        if fp.smallest is None:
            console.print(f"  no {fp.title} type is offered in the selected zones", markup=False)
            continue
        if fp.fits:
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            for column in (
                "Type",
                "Accel.",
                "Model",
                "Accel. memory",
                "vCPUs",
                "Max replicas",
                f"Zones ({result.region})",
            ):
                table.add_column(
                    column, justify="right" if column in ("Accel.", "vCPUs", "Max replicas") else "left"
                )
            if fp.market == "spot":
                table.add_column("Spot $/h", justify="right")
            for c in fp.fits:
                row = [
                    c.instance_type,
                    _accelerators(c.accelerators, c.accelerator_fraction),
                    c.accelerator_name,
                    f"{c.accelerator_memory_gib:.1f} GiB",
                    str(c.vcpus),
                    str(c.max_replicas),
                    _zones(c.zones, result.region),
                ]
                if fp.market == "spot":
                    row.append("-" if c.spot_price is None else f"{c.spot_price:.4f}")
                table.add_row(*row)
            console.print(table)
        if fp.recommendation is not None:
            r = fp.recommendation
            console.print(
                f"  recommended: {r.instance_type} ({r.accelerators} x {r.accelerator_name}, "
                f"{r.vcpus} vCPUs, up to {r.max_replicas} replicas)",
                markup=False,
            )
        else:
            s = fp.smallest
            what = (
                "no recommendation: the smallest with whole accelerators"
                if fp.fits
                else "nothing fits: the smallest"
            )
            console.print(f"  {what}, {s.instance_type}, needs {s.vcpus} vCPUs", markup=False)
        if fp.target is not None:
            t = fp.target
            unit = "GPUs" if t.unit == "gpus" else "Neuron devices"
            console.print(
                f"  target {t.count} {unit}: {t.instances} x {t.instance_type} = {t.vcpus_needed} vCPUs",
                markup=False,
            )
            if t.command is None:
                console.print(f"  the quota ({t.quota}, {t.used} used) already covers it", markup=False)
            else:
                console.print(f"  raise {t.quota_code} to {t.desired_value}:", markup=False)
                console.print(f"    {t.command}", markup=False, soft_wrap=True)


def _heading(fp: FamilyPlan) -> str:
    if fp.quota is None:
        return f"{fp.title} vCPUs ({fp.code}): quota not read, used {fp.used}"
    source = {
        "account": "",
        "aws-default": " (AWS default)",
        "override": " (what-if)",
        "snapshot": " (snapshot)",
    }
    return (
        f"{fp.title} vCPUs ({fp.code}): quota {fp.quota.value}{source[fp.quota.source]}, used {fp.used}, "
        f"headroom {fp.headroom}"
    )


# --- plan --check ---------------------------------------------------------------------------------------


def _check(
    project: Path | None,
    env: str,
    region: str | None,
    profile: str | None,
    overrides: dict[QuotaKey, int],
    snapshot_file: Path | None,
    save_to: Path | None,
    output: Output,
) -> int:
    from cluster_capacity import plan as planning
    from cluster_capacity.config import load_env

    config = load_env(project, env)
    pools = planning.pool_demands(config.values)
    if not pools:
        _say(f"env {env}: no enabled pool with an instance type; nothing to check")
        return EXIT_OK
    regions = {planning.region_of_zone(p.zone) for p in pools if p.zone}
    if region is None:
        if len(regions) != 1 or None in regions:
            raise ConfigError(f"env {env}: cannot tell the region from the pools' zones; pass --region")
        region = regions.pop()
    from cluster_capacity.instances import quota_family

    try:
        families = sorted({quota_family(p.instance_type) for p in pools})
    except ValueError as exc:
        raise ConfigError(f"env {env}: {exc}") from exc
    markets = sorted({p.market for p in pools})
    snap = _snapshot(
        families,
        markets,
        (),
        region,
        profile,
        overrides,
        snapshot_file,
        save_to,
        sorted({p.instance_type for p in pools}),
    )
    absent = sorted({p.instance_type for p in pools} - set(snap.catalog))
    if snapshot_file is not None and absent:
        # A snapshot knows only what was read when it was saved; that is not proof a type does not exist.
        raise ConfigError(
            f"{snapshot_file}: the snapshot does not describe {', '.join(absent)}; save a new one"
        )
    problems = planning.check_pools(pools, snap)
    _report_check(env, snap, pools, problems, output)
    if any(p.invalid for p in problems):
        return EXIT_INVALID_INPUT
    return EXIT_FAILED if problems else EXIT_OK


def _report_check(
    env: str, snap: Snapshot, pools: Sequence[PoolDemand], problems: Sequence[PoolProblem], output: Output
) -> None:
    failing = {name for p in problems for name in p.pools}
    rows = [
        {
            "pool": p.name,
            "instanceType": p.instance_type,
            "zone": p.zone,
            "market": p.market,
            "maxReplicas": p.peak,
            "ok": p.name not in failing,
        }
        for p in pools
    ]
    if output is not Output.table:
        _dump(
            {"env": env, "region": snap.region, "pools": rows, "problems": [str(p) for p in problems]}, output
        )
        return
    for row in rows:
        status = "ok" if row["ok"] else "FAIL"
        print(
            f"{status:4}  pool {row['pool']}: {row['maxReplicas']} x {row['instanceType']} "
            f"{row['market']} in {row['zone']}"
        )
    for problem in problems:
        print(str(problem))
