"""The table ``cluster-capacity plan`` prints: per quota family, the types that fit, the recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cluster_capacity.aws.plan import FamilyPlan, Plan


def _console() -> Any:
    from cluster_capacity.cli._console import make_console

    return make_console(markup=True)


def _accelerators(count: int, fraction: float) -> str:
    if fraction < 1.0:
        return f"1/{round(1 / fraction)}"
    return str(count)


def _zones(zones: Sequence[str], region: str) -> str:
    return ",".join(z.removeprefix(region) for z in zones)


def print_plan(result: Plan) -> None:
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
                    column,
                    justify="right" if column in ("Accel.", "vCPUs", "Max replicas") else "left",
                    no_wrap=True,
                )
            if fp.market == "spot":
                table.add_column("Spot $/h", justify="right", no_wrap=True)
            reserved = any(c.reserved for c in fp.fits)
            if reserved:
                table.add_column("Reserved (free)", justify="right", no_wrap=True)
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
                if reserved:
                    row.append(f"{c.reserved} ({c.reserved_available})" if c.reserved else "-")
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
