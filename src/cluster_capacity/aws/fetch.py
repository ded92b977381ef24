"""What the commands ask of AWS in one go: a whole `Snapshot` (or one from a file), one type's facts, a type's zone offerings."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cluster_capacity.aws.client import Aws
from cluster_capacity.aws.snapshot import (
    MARKETS,
    InstanceTypeInfo,
    QuotaKey,
    Snapshot,
    load_snapshot,
    region_of_zone,
)
from cluster_capacity.errors import ConfigError
from cluster_capacity.instances import Market, QuotaFamily

__all__ = ["fetch_snapshot", "get_snapshot", "instance_type_info", "offered_in"]


def fetch_snapshot(
    aws: Aws,
    families: Sequence[QuotaFamily],
    markets: Sequence[Market] = MARKETS,
    *,
    zones: Sequence[str] = (),
    quota_overrides: Mapping[QuotaKey, int] | None = None,
    types: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    blocks: Sequence[tuple[str, int]] = (),
) -> Snapshot:
    """Read everything a plan needs, with one paginated call per API.

    Quotas given in ``quota_overrides`` are not read (no Service Quotas permission needed for them), nor
    are those of families with no type offered in the region. ``types`` adds exact instance types (pools
    being checked) to the catalog; a type that does not exist is a `ConfigError`. ``blocks`` are the
    (instance type, count) of pools that launch into a Capacity Block: the blocks on sale for them are read.
    """
    say = progress or (lambda _: None)
    overrides = dict(quota_overrides or {})
    region = aws.region
    for zone in zones:
        if region_of_zone(zone) != region:
            raise ConfigError(f"--zones: {zone} is not an availability zone of {region}")
    say(f"reading the instance catalog in {region}")
    catalog = aws.catalog(families, types)
    wanted = set(families)
    relevant = sorted(n for n, i in catalog.items() if i.quota_family in wanted or n in types)
    offerings = aws.offerings(relevant, zones)
    say("reading running instances")
    instances = aws.instances(catalog)
    offered_families = {catalog[t].quota_family for t in offerings}
    to_read = [(f, m) for f in families for m in markets if (f, m) not in overrides and f in offered_families]
    if to_read:
        say(f"reading {len(to_read)} vCPU quotas")
    quotas = aws.quotas(to_read)
    prices: dict[str, dict[str, float]] = {}
    if "spot" in markets:
        spot_types = [t for t in sorted(offerings) if "spot" in catalog[t].usage_classes]
        if spot_types:
            say("reading Spot prices")
            prices = aws.spot_prices(spot_types, zones)
    say("reading capacity reservations and Capacity Blocks")
    reservations = aws.reservations()
    on_sale = []
    for instance_type, count in dict.fromkeys(blocks):
        say(f"reading Capacity Block offerings of {count} x {instance_type}")
        on_sale += aws.capacity_block_offerings(instance_type, count)
    snapshot = Snapshot(
        region, catalog, offerings, prices, quotas, tuple(instances), reservations, tuple(on_sale)
    )
    return snapshot.with_quotas(overrides) if overrides else snapshot


def instance_type_info(instance_type: str, aws: Aws) -> InstanceTypeInfo:
    """One instance type from AWS; a type that does not exist in the region is a `ConfigError`."""
    found = aws.catalog(types=[instance_type])
    if instance_type not in found:
        raise ConfigError(f"instance type {instance_type} does not exist in {aws.region}")
    return found[instance_type]


def offered_in(
    instance_type: str,
    zone: str,
    *,
    profile: str | None = None,
    region: str | None = None,
    aws: Aws | None = None,
) -> bool:
    """Whether AWS offers ``instance_type`` in availability zone ``zone`` (for ``add-pool``).

    The region defaults to the zone's. Unknown instance types and zones outside the region are a
    `ConfigError`.
    """
    if aws is None:
        aws = Aws(profile, region or region_of_zone(zone))
    if region_of_zone(zone) != aws.region:
        raise ConfigError(f"{zone} is not an availability zone of {aws.region}")
    instance_type_info(instance_type, aws)
    return zone in aws.offerings([instance_type], [zone]).get(instance_type, frozenset())


def get_snapshot(
    families: Sequence[QuotaFamily],
    markets: Sequence[Market],
    zones: Sequence[str],
    region: str | None,
    profile: str | None,
    overrides: dict[QuotaKey, int],
    snapshot_file: Path | None,
    save_to: Path | None,
    types: Sequence[str],
    say: Callable[[str], None],
    progress: Callable[[str], None] | None = None,
    blocks: Sequence[tuple[str, int]] = (),
) -> Snapshot:
    """The data to plan over: from a snapshot file (no AWS call at all), or read from AWS (and saved)."""
    if snapshot_file is not None:
        snap = load_snapshot(snapshot_file).with_quotas(overrides)
        if region is not None and region != snap.region:
            raise ConfigError(f"--region {region}: the snapshot {snapshot_file} is of {snap.region}")
        for zone in zones:
            if region_of_zone(zone) != snap.region:
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
        aws = Aws(profile, region)
        snap = fetch_snapshot(
            aws,
            families,
            markets,
            zones=zones,
            quota_overrides=overrides,
            types=types,
            progress=progress,
            blocks=blocks,
        )
    if save_to is not None:
        try:
            save_to.write_text(json.dumps(snap.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--save-snapshot {save_to}: {exc.strerror or exc}") from exc
        say(f"wrote {save_to}")
    return snap


def instance_architecture(
    instance_type: str, *, profile: str | None = None, region: str | None = None, aws: Aws | None = None
) -> str:
    """The CPU architecture EC2 gives ``instance_type`` (``x86_64`` or ``arm64``), for ``add-pool``."""
    if aws is None:
        aws = Aws(profile, region)
    architectures = instance_type_info(instance_type, aws).architectures
    return "arm64" if "arm64" in architectures else "x86_64"
