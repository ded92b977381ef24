"""``plan --check``: can every enabled pool of an env reach its maximum, given the account's quotas?"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cluster_capacity.errors import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.aws.quota import PoolDemand, PoolProblem
    from cluster_capacity.aws.snapshot import Snapshot
    from cluster_capacity.config import Values
    from cluster_capacity.instances import Market, QuotaFamily

__all__ = ["EnvCheck", "check_env"]

#: Reads the snapshot for the quota families, markets, region and instance types the pools need.
SnapshotFor = Callable[[Sequence["QuotaFamily"], Sequence["Market"], str, Sequence[str]], "Snapshot"]


@dataclass(frozen=True)
class EnvCheck:
    """The env's pools, what AWS said, and every reason a pool cannot reach its maximum."""

    snapshot: Snapshot
    pools: list[PoolDemand]
    problems: list[PoolProblem]

    @property
    def exit_code(self) -> int:
        if any(p.invalid for p in self.problems):
            return EXIT_INVALID_INPUT
        return EXIT_FAILED if self.problems else EXIT_OK


def check_env(
    values: Values, env: str, *, region: str | None, snapshot_for: SnapshotFor, from_file: Path | None = None
) -> EnvCheck | None:
    """Check the env's enabled pools (None when it has none with an instance type)."""
    from cluster_capacity.aws.quota import check_pools, pool_demands
    from cluster_capacity.aws.snapshot import region_of_zone
    from cluster_capacity.instances import quota_family

    pools = pool_demands(values)
    if not pools:
        return None
    regions = {region_of_zone(p.zone) for p in pools if p.zone}
    if region is None:
        found = regions.pop() if len(regions) == 1 else None
        if found is None:
            raise ConfigError(f"env {env}: cannot tell the region from the pools' zones; pass --region")
        region = found
    try:
        families = sorted({quota_family(p.instance_type) for p in pools})
    except ValueError as exc:
        raise ConfigError(f"env {env}: {exc}") from exc
    markets = sorted({p.market for p in pools})
    snap = snapshot_for(families, markets, region, sorted({p.instance_type for p in pools}))
    absent = sorted({p.instance_type for p in pools} - set(snap.catalog))
    if from_file is not None and absent:
        # A snapshot knows only what was read when it was saved; that is not proof a type does not exist.
        raise ConfigError(f"{from_file}: the snapshot does not describe {', '.join(absent)}; save a new one")
    return EnvCheck(snap, pools, check_pools(pools, snap))
