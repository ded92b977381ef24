"""``--all`` for the commands that read clusters: every env's cluster at once, one summary table."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cluster_capacity.cli._cluster import console, say, table
from cluster_capacity.errors import ConfigError

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig

AllOpt = Annotated[
    bool, typer.Option("--all", help="Every env of the project, each over its own kube context.")
]
ParallelOpt = Annotated[
    int, typer.Option("--parallel", min=1, metavar="N", help="With --all: clusters talked to at once.")
]


def one_env(env: str | None, all_envs: bool) -> None:
    """``--env NAME`` or ``--all``, exactly one."""
    if env and all_envs:
        raise ConfigError("use either --env NAME or --all")
    if not env and not all_envs:
        raise ConfigError("give --env NAME, or --all for every env of the project")


def run_all(
    project: Path | None,
    job: Callable[[EnvConfig, str | None], tuple[int, str]],
    *,
    context: str | None,
    parallel: int,
    title: str,
    skip: Callable[[EnvConfig], str | None] | None = None,
    check: Callable[[Sequence[EnvConfig]], None] | None = None,
) -> None:
    """Run ``job`` per env, print one table (env, context, state, summary); exit with the fleet's code.

    ``skip`` names the envs the job does not apply to (a ``skipped`` row each); ``check`` sees every
    env's config before any job starts, and raises ``ConfigError`` for input that is wrong for the fleet.
    """
    from cluster_capacity.config import load_envs
    from cluster_capacity.ops.fleet import fleet_exit_code, run_fleet

    cfgs = load_envs(project)
    if check is not None:
        check(cfgs)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} envs", end="" if done < total else "\n", file=sys.stderr, flush=True)

    rows = run_fleet(
        cfgs,
        job,
        default_context=context,
        parallel=parallel,
        progress=progress if tty else None,
        skip=skip,
    )
    out = table(title, "Env", "Context", "State", "Summary")
    for row in rows:
        out.add_row(row.env, row.context or "(current)", row.state, row.summary)
    console().print(out)
    ok = sum(r.exit_code == 0 and not r.skipped for r in rows)
    skipped = sum(r.skipped for r in rows)
    say(f"{ok} of {len(rows) - skipped} env(s) ok" + (f", {skipped} skipped" if skipped else ""))
    code = fleet_exit_code(rows)
    if code:
        raise typer.Exit(code)
