"""``render`` without Typer: its common command lines read here, exactly as Typer reads them (start-up).

Only plain forms are read: ``-f FILE``, ``--values FILE`` or ``--values=FILE`` (and so for ``--project``,
``--env``, ``--set``, ``-o``/``--output-dir``), ``--all``, ``--check``. Anything else (``--help``, an
argument, an unknown or repeated option, a value that is empty or starts with ``-``, ``-fFILE``) is left to
Typer, which reads or refuses it as it always has; tests/cli/test_fast_render.py compares the two.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Any

_VALUE = {
    "-f": "values",
    "--values": "values",
    "--project": "project",
    "--env": "env",
    "--set": "sets",
    "-o": "output_dir",
    "--output-dir": "output_dir",
}
_FLAGS = {"--all": "all_envs", "--check": "check"}
_REPEATABLE = ("values", "sets")


def render_args(args: list[str]) -> dict[str, Any] | None:
    """The arguments Typer would pass ``render`` for ``args`` (after ``render``), or None: ask Typer."""
    given: dict[str, Any] = {}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token in _FLAGS:
            given[_FLAGS[token]] = True
            continue
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        key = _VALUE.get(name)
        if key is None:
            return None
        if not eq:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        if key in _REPEATABLE:
            given.setdefault(key, []).append(value)
        elif key in given:
            return None
        else:
            given[key] = value
    values = given.get("values")
    return {
        "values": [Path(v) for v in values] if values else None,
        "project": Path(given["project"]) if "project" in given else None,
        "env": given.get("env"),
        "all_envs": given.get("all_envs", False),
        "sets": given.get("sets"),
        "output_dir": Path(given["output_dir"]) if "output_dir" in given else None,
        "check": given.get("check", False),
    }


def run_render(arguments: dict[str, Any]) -> int:
    """Run ``render``, ending as Typer's command line ends: Ctrl-C 130, end of input and a closed pipe 1."""
    from cluster_capacity.cli._render_run import render

    try:
        return render(**arguments)
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        return 1
