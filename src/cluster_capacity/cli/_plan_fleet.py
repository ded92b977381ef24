"""``plan --check --all``: every env's pools against its account and region's quotas, one table.

Snapshots: live from AWS (one read per account profile and region, shared by the envs there), or
offline from ``--snapshot``: one file for every env, or a folder holding ``<env>.json`` or
``<region>.json`` per env (the env's file wins).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cluster_capacity.errors import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from cluster_capacity.aws.plan import QuotaKey, Snapshot
    from cluster_capacity.instances import Market, QuotaFamily
    from cluster_capacity.ops.quota_check import FleetEnvCheck


def check_all(
    project: Path | None,
    region: str | None,
    profile: str | None,
    overrides: dict[QuotaKey, int],
    snapshot: Path | None,
    output: str,
) -> int:
    """Run the check over every env of the project; print the table (or JSON/YAML); the fleet's code."""
    from cluster_capacity.aws.fetch import get_snapshot
    from cluster_capacity.config import load_envs
    from cluster_capacity.ops.quota_check import check_fleet

    cfgs = load_envs(project)

    def key_for(env: str, env_profile: str | None, env_region: str) -> Hashable:
        if snapshot is None:
            return ("aws", env_profile, env_region)
        if not snapshot.is_dir():
            return ("file", snapshot, env_region)
        for name in (f"{env}.json", f"{env_region}.json"):
            if (snapshot / name).is_file():
                return ("file", snapshot / name, env_region)
        raise ConfigError(
            f"{snapshot}: no snapshot for env {env} (looked for {env}.json and {env_region}.json)"
        )

    def snapshot_for(
        key: Hashable,
        families: Sequence[QuotaFamily],
        markets: Sequence[Market],
        types: Sequence[str],
        blocks: Sequence[tuple[str, int]],
    ) -> tuple[Snapshot, Path | None]:
        assert isinstance(key, tuple)
        source, where, env_region = key
        file = where if source == "file" else None
        snap = get_snapshot(
            families,
            markets,
            (),
            env_region,
            where if source == "aws" else profile,
            overrides,
            file,
            None,
            types,
            _say,
            _say if sys.stderr.isatty() else None,
            blocks,
        )
        return snap, file

    envs = [(c.env.name, c.values, c.env.aws_profile or profile) for c in cfgs]
    results = check_fleet(envs, region=region, key_for=key_for, snapshot_for=snapshot_for)
    if output == "table":
        _table(results)
    else:
        _dump([_as_dict(r) for r in results], output)
    codes = {r.exit_code for r in results}
    ok = sum(r.exit_code == 0 for r in results)
    _say(f"{ok} of {len(results)} env(s) fit")
    if EXIT_INVALID_INPUT in codes:
        return EXIT_INVALID_INPUT
    return EXIT_FAILED if codes - {EXIT_OK} else EXIT_OK


def _problems(result: FleetEnvCheck) -> list[str]:
    if result.error is not None:
        return result.error.lines() or [str(result.error)]
    own = [str(p) for p in result.check.problems] if result.check is not None else []
    return own + [f"shared quota: {p}" for p in result.shared]


def _summary(result: FleetEnvCheck) -> str:
    problems = _problems(result)
    if problems:
        return problems[0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
    if result.check is None:
        return "no enabled pool with an instance type"
    return f"{len(result.check.pools)} pool(s) fit"


def _table(results: Sequence[FleetEnvCheck]) -> None:
    from cluster_capacity.cli._cluster import console, table

    out = table("Quotas of every env", "Env", "Region", "State", "Summary")
    for r in results:
        state = "ok" if r.exit_code == 0 else "FAILED"
        out.add_row(r.env, r.region or "-", state, _summary(r))
    console().print(out)
    for r in results:
        for line in _problems(r)[1:]:
            print(f"{r.env}: {line}")


def _as_dict(result: FleetEnvCheck) -> dict[str, object]:
    from cluster_capacity.aws.quota import blocks_on_sale

    check = result.check
    return {
        "env": result.env,
        "region": check.snapshot.region if check is not None else result.region,
        "exitCode": result.exit_code,
        "pools": [
            {
                "pool": p.pool_name,
                "name": p.name,
                "machineSet": p.machineset,
                "instanceType": p.instance_type,
                "zone": p.zone,
                "market": p.market,
                "maxReplicas": p.peak,
                "fallbackFor": p.fallback_for,
                **(
                    {"capacityBlockOfferings": [o.to_dict() for o in blocks_on_sale(check.snapshot, p)]}
                    if check is not None and p.capacity_block
                    else {}
                ),
            }
            for p in (check.pools if check is not None else [])
        ],
        "problems": _problems(result),
    }


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _dump(data: object, output: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
