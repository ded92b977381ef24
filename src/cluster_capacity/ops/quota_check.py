"""``plan --check``: can every enabled pool of an env reach its maximum, given the account's quotas?"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cluster_capacity.errors import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_OK, CapacityError, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.aws.quota import PoolDemand, PoolProblem
    from cluster_capacity.aws.snapshot import Snapshot
    from cluster_capacity.config import Values
    from cluster_capacity.instances import Market, QuotaFamily

__all__ = ["EnvCheck", "FleetEnvCheck", "check_env", "check_fleet"]

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
    from cluster_capacity.aws.quota import check_pools

    demand = _demand(values, env, region)
    if demand is None:
        return None
    pools, region, families, markets = demand
    snap = snapshot_for(families, markets, region, sorted({p.instance_type for p in pools}))
    _known_types(pools, snap, from_file)
    return EnvCheck(snap, pools, check_pools(pools, snap))


def _demand(
    values: Values, env: str, region: str | None
) -> tuple[list[PoolDemand], str, list[QuotaFamily], list[Market]] | None:
    from cluster_capacity.aws.quota import pool_demands
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
    return pools, region, families, sorted({p.market for p in pools})


def _known_types(pools: Sequence[PoolDemand], snap: Snapshot, from_file: Path | None) -> None:
    absent = sorted({p.instance_type for p in pools} - set(snap.catalog))
    if from_file is not None and absent:
        # A snapshot knows only what was read when it was saved; that is not proof a type does not exist.
        raise ConfigError(f"{from_file}: the snapshot does not describe {', '.join(absent)}; save a new one")


# --- plan --check --all -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FleetEnvCheck:
    """One env of ``plan --check --all``: its region, its check (None: no pool to check) or why none ran.

    ``shared`` holds the problems of quotas that envs of one account and region share: pools that fit
    each env alone but not all of them together.
    """

    env: str
    region: str | None
    check: EnvCheck | None = None
    error: CapacityError | None = None
    shared: tuple[PoolProblem, ...] = ()

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code or EXIT_FAILED
        if self.check is not None and self.check.exit_code:
            return self.check.exit_code
        return EXIT_FAILED if self.shared else EXIT_OK


#: ``key_for(env, profile, region)``: which snapshot an env is checked against (envs with equal keys share
#: one snapshot, and their pools share its quotas); raises ``ConfigError`` when there is none.
KeyFor = Callable[[str, "str | None", str], Hashable]
#: ``snapshot_for(key, families, markets, types, blocks)``: the snapshot for a key, with the union of its
#: envs' needs (``blocks``: the Capacity Blocks to look up on sale, as ``(instance type, count)``).
FleetSnapshotFor = Callable[
    [Hashable, Sequence["QuotaFamily"], Sequence["Market"], Sequence[str], Sequence[tuple[str, int]]],
    "tuple[Snapshot, Path | None]",
]


def check_fleet(
    envs: Sequence[tuple[str, Values, str | None]],
    *,
    region: str | None,
    key_for: KeyFor,
    snapshot_for: FleetSnapshotFor,
) -> list[FleetEnvCheck]:
    """Check every ``(env, values, aws_profile)``: one snapshot per key, each env's pools, then the sums.

    Quotas are per account and region, so the pools of all envs under one key are also checked together:
    a quota that each env fits alone but the envs together exceed is a ``shared`` problem of each of them.
    """
    from dataclasses import replace

    from cluster_capacity.aws.quota import capacity_blocks_wanted, check_pools

    outcomes: dict[str, FleetEnvCheck] = {}
    groups: dict[Hashable, list[tuple[str, list[PoolDemand], list[QuotaFamily], list[Market], str]]] = {}
    for env, values, profile in envs:
        try:
            demand = _demand(values, env, region)
            if demand is None:
                outcomes[env] = FleetEnvCheck(env, region)
                continue
            pools, env_region, families, markets = demand
            key = key_for(env, profile, env_region)
        except CapacityError as exc:
            outcomes[env] = FleetEnvCheck(env, region, error=exc)
            continue
        groups.setdefault(key, []).append((env, pools, families, markets, env_region))
    for key, members in groups.items():
        families = sorted({f for m in members for f in m[2]})
        markets = sorted({k for m in members for k in m[3]})
        types = sorted({p.instance_type for m in members for p in m[1]})
        blocks = capacity_blocks_wanted([p for m in members for p in m[1]])
        try:
            snap, from_file = snapshot_for(key, families, markets, types, blocks)
        except CapacityError as exc:
            for env, *_, env_region in members:
                outcomes[env] = FleetEnvCheck(env, env_region, error=exc)
            continue
        together: list[PoolDemand] = []
        for env, pools, *_, env_region in members:
            try:
                _known_types(pools, snap, from_file)
            except CapacityError as exc:
                outcomes[env] = FleetEnvCheck(env, env_region, error=exc)
                continue
            outcomes[env] = FleetEnvCheck(
                env, env_region, check=EnvCheck(snap, pools, check_pools(pools, snap))
            )
            together += [replace(p, name=f"{env}/{p.name}") for p in pools]
        if len({p.name.split("/", 1)[0] for p in together}) > 1:
            for problem in check_pools(together, snap):
                involved = {name.split("/", 1)[0] for name in problem.pools}
                if len(involved) < 2:
                    continue  # the env's own check already has it
                for env in involved:
                    outcome = outcomes[env]
                    outcomes[env] = replace(outcome, shared=(*outcome.shared, problem))
    return [outcomes[env] for env, _, _ in envs]
