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

from typing import TYPE_CHECKING, Any

from cluster_capacity.errors import EXIT_FAILED, CapacityError

if TYPE_CHECKING:
    import typer

HELP = (
    "Day-2 worker capacity for OpenShift on AWS, through GitOps. "
    "Exit codes: 0 ok, 1 failed, 2 invalid input, 3 drift. Add --debug anywhere for a traceback."
)


def _new_app() -> typer.Typer:
    import typer

    return typer.Typer(
        name="cluster-capacity",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


def _register(app: typer.Typer) -> None:
    # One line per command module; each module's register() adds its commands to the app.
    # A command `foo-bar` lives in cli/foo_bar.py: the dispatcher (_app_for) relies on that.
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


def build_app() -> typer.Typer:
    """The whole command line: every command registered (for docs, and for what the dispatcher cannot route)."""
    app = _new_app()
    _register(app)
    return app


def _app_for(args: list[str]) -> typer.Typer:
    """An app holding only the command ``args`` names, so start-up imports that command's module alone.

    The callback keeps it a group, so usage lines and errors read as in the whole app.
    """
    import importlib.util

    name = next((a for a in args if not a.startswith("-")), None)
    if name is None or args[0] != name or not name.replace("-", "").isalpha():
        return build_app()
    module_name = f"cluster_capacity.cli.{name.replace('-', '_')}"
    if name.startswith("_") or importlib.util.find_spec(module_name) is None:
        return build_app()
    module = importlib.import_module(module_name)
    app = _new_app()
    app.callback()(_group)
    module.register(app)
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    return app if name in names else build_app()


def _group() -> None:
    """Day-2 worker capacity for OpenShift on AWS, through GitOps."""


def _saved_help(args: list[str]) -> str | None:
    """The --help of the app or of a command without building any, when it reads the same as Typer's own.

    ``[]`` and ``["--help"]`` are the top-level help; ``[command..., "--help"]`` a command's (saved by
    scripts/gen_cli_reference.py, compared with Typer's output in tests/cli/test_dispatch.py).
    """
    if args and args[-1] != "--help":
        return None
    from cluster_capacity.cli._usage import COMMANDS, USAGE

    text = USAGE if len(args) < 2 else COMMANDS.get(" ".join(args[:-1]))
    if text is None:
        return None
    import shutil

    columns = shutil.get_terminal_size().columns  # as click measures it
    # click wraps help at min(terminal, 80) - 2 columns: the saved text holds for any terminal >= 80
    return text if columns >= 80 else None


def _fast_render(args: list[str]) -> dict[str, Any] | None:
    """``render``'s arguments when Typer is not needed to read them (start-up), else None."""
    if not args or args[0] != "render":
        return None
    from cluster_capacity.cli import _fast

    return _fast.render_args(args[1:])


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, for scripts/gen_cli_reference.py and tests
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; every ``CapacityError`` becomes lines on stderr and its exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or os.environ.get("CLUSTER_CAPACITY_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    top = _saved_help(args)
    if top is not None:  # as click does: --help on stdout, exit 0; no arguments on stderr, exit 2
        (sys.stdout if args else sys.stderr).write(top)
        return 0 if args else 2
    fast = _fast_render(args)
    try:
        if fast is not None:
            from cluster_capacity.cli._fast import run_render

            return run_render(fast)
        _app_for(args)(args=args, prog_name="cluster-capacity")
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
