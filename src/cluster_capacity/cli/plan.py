"""``cluster-capacity plan``: which accelerator instances fit the account's vCPU quotas, where, how many.

Also ``plan --check --env NAME``: can every enabled pool of an env reach its maximum?
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cluster_capacity.errors import EXIT_FAILED, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.aws.plan import PoolDemand, PoolProblem, QuotaKey, Snapshot
    from cluster_capacity.instances import Market, QuotaFamily


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
            help="Plan offline from a snapshot saved with --save-snapshot (--check --all: a FILE or a DIR).",
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
    all_envs: Annotated[
        bool,
        typer.Option(
            "--all",
            help="With --check: every env of the project, against its account's (awsProfile) region quotas.",
        ),
    ] = False,
    project: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Project file (default ./cluster-capacity.yaml), with --check."),
    ] = None,
) -> None:
    """Which GPU / Inferentia instance types fit the vCPU quotas, in which zones, and how many."""
    from cluster_capacity.aws import plan as planning

    overrides: dict[QuotaKey, int] = dict(planning.parse_quota_override(q) for q in quota or [])
    zone_list = sorted({z.strip() for item in zones or [] for z in item.split(",") if z.strip()})
    if all_envs and not check:
        raise ConfigError("--all is only used with --check")
    if check and all_envs:
        if env is not None:
            raise ConfigError("use either --env NAME or --all")
        if save_snapshot is not None:
            raise ConfigError("--save-snapshot is for one env; with --all, give --snapshot FILE or DIR")
        from cluster_capacity.cli._plan_fleet import check_all

        raise typer.Exit(check_all(project, region, profile, overrides, snapshot, output.value))
    if check:
        if env is None:
            raise ConfigError("--check needs --env NAME, or --all for every env of the project")
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
    from cluster_capacity.aws.fetch import get_snapshot

    snap = get_snapshot(
        families,
        markets,
        zone_list,
        region,
        profile,
        overrides,
        snapshot,
        save_snapshot,
        (),
        _say,
        _progress(),
    )
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
        from cluster_capacity.cli._plan_table import print_plan

        print_plan(result)
    else:
        _dump(result.to_dict(), output)
    _say_reservations(snap, [f.recommendation.instance_type for f in result.families if f.recommendation])
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


def _say_reservations(snap: Snapshot, recommended: Sequence[str]) -> None:
    """Reserved capacity next to the quotas, reservations ending soon, and zones for a fan-out."""
    import datetime as dt

    from cluster_capacity.aws.quota import fan_out_zones, reservation_notes

    for line in reservation_notes(snap, dt.datetime.now(dt.timezone.utc)):
        _say(line)
    for instance_type in dict.fromkeys(recommended):
        zones = fan_out_zones(snap, instance_type)
        if len(zones) > 1:
            _say(
                f"fan-out for {instance_type}: add-pool --instance-type {instance_type} --zones {','.join(zones)}"
            )


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _progress() -> Callable[[str], None] | None:
    return _say if sys.stderr.isatty() else None


def _dump(data: Any, output: Output) -> None:
    if output is Output.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


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
    from cluster_capacity.aws.fetch import get_snapshot
    from cluster_capacity.aws.quota import capacity_blocks_wanted, pool_demands
    from cluster_capacity.config import load_env
    from cluster_capacity.ops.quota_check import check_env

    config = load_env(project, env)
    # Pools that launch into a Capacity Block: the blocks on sale for their maximum are read too.
    blocks = capacity_blocks_wanted(pool_demands(config.values))

    def snapshot_for(
        families: Sequence[QuotaFamily], markets: Sequence[Market], region: str, types: Sequence[str]
    ) -> Snapshot:
        return get_snapshot(
            families,
            markets,
            (),
            region,
            profile,
            overrides,
            snapshot_file,
            save_to,
            types,
            _say,
            _progress(),
            blocks,
        )

    result = check_env(config.values, env, region=region, snapshot_for=snapshot_for, from_file=snapshot_file)
    if result is None:
        _say(f"env {env}: no enabled pool with an instance type; nothing to check")
        return EXIT_OK
    _report_check(env, result.snapshot, result.pools, result.problems, output)
    return result.exit_code


def _report_check(
    env: str, snap: Snapshot, pools: Sequence[PoolDemand], problems: Sequence[PoolProblem], output: Output
) -> None:
    from cluster_capacity.aws.quota import blocks_on_sale

    failing = {name for p in problems for name in p.pools}
    rows = [
        {
            "pool": p.pool_name,
            "name": p.name,
            "machineSet": p.machineset,
            "instanceType": p.instance_type,
            "zone": p.zone,
            "market": p.market,
            "maxReplicas": p.peak,
            "fallbackFor": p.fallback_for,
            "ok": p.name not in failing,
            **(
                {"capacityBlockOfferings": [o.to_dict() for o in blocks_on_sale(snap, p)]}
                if p.capacity_block
                else {}
            ),
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
        twin = f" (On-Demand fallback of {row['fallbackFor']})" if row["fallbackFor"] else ""
        print(
            f"{status:4}  pool {row['name']}: {row['maxReplicas']} x {row['instanceType']} "
            f"{row['market']} in {row['zone']}{twin}"
        )
    for problem in problems:
        print(str(problem))
    _say_reservations(snap, ())
    for p in pools:
        if p.capacity_block:
            _say_block_offerings(snap, p)


def _say_block_offerings(snap: Snapshot, pool: PoolDemand, limit: int = 3) -> None:
    """Up to ``limit`` Capacity Blocks on sale for ``pool`` (stderr), or that none is."""
    from cluster_capacity.aws.quota import blocks_on_sale

    found = blocks_on_sale(snap, pool)
    if not found:
        _say(
            f"pool {pool.name}: no Capacity Block of {max(pool.peak, 1)} x {pool.instance_type} is on sale in "
            f"{snap.region} now (DescribeCapacityBlockOfferings, 24 h)"
        )
        return
    for offering in found[:limit]:
        where = "" if offering.zone == pool.zone else f" (not the pool's zone {pool.zone})"
        _say(f"pool {pool.name}: on sale: {offering.describe()}{where}")
    if len(found) > limit:
        _say(f"pool {pool.name}: {len(found) - limit} more Capacity Block offering(s) in the JSON output")
