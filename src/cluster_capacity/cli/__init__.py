"""The ``cluster-capacity`` command line: a thin Typer layer over the library.

Each command lives in its own module and imports what is heavy (kubernetes, boto3, jsonschema) inside
its body, so ``--help`` and ``render`` start fast.
"""

from __future__ import annotations

import os
import sys

# Pydantic scans every installed distribution's entry points for plugins the first time a model is
# built (tens of milliseconds on a full virtualenv); this CLI uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer

from cluster_capacity.errors import EXIT_FAILED, CapacityError

app = typer.Typer(
    name="cluster-capacity",
    help=(
        "Day-2 worker capacity for OpenShift on AWS, through GitOps. "
        "Exit codes: 0 ok, 1 failed, 2 invalid input, 3 drift. Add --debug anywhere for a traceback."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register() -> None:
    # One line per command module; each module's register() adds its commands to the app.
    from cluster_capacity.cli import inferentia, plan, render, schema, validate
    from cluster_capacity.cli import smoke as smoke_cli

    render.register(app)
    validate.register(app)
    schema.register(app)
    plan.register(app)
    inferentia.register(app)
    from cluster_capacity.cli import add_pool, argocd_health, diff, discover, init, migrate, status

    for module in (discover, init, add_pool, status, diff, argocd_health, migrate):
        module.register(app)
    smoke_cli.register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; every ``CapacityError`` becomes lines on stderr and its exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or os.environ.get("CLUSTER_CAPACITY_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    try:
        app(args=args, prog_name="cluster-capacity")
    except SystemExit as exc:  # Typer exits this way, also for usage errors (code 2)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_FAILED)
    except CapacityError as exc:
        if debug:
            raise
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    """Console-script entry point."""
    import signal

    # SIGTERM unwinds like Ctrl-C, so a write in progress removes its staging copy instead of leaving it
    signal.signal(signal.SIGTERM, _terminated)
    sys.exit(main())


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":  # pragma: no cover
    run()
