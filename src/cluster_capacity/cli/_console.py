"""The Rich console the commands print tables on: as wide as the output needs, cells never wrapped.

Rich falls back to 80 columns when stdout is not a terminal, and folds cells to fit ("Ins/tan/ce"). In a
pipe or a CI log nothing limits the width, so the console there is as wide as its widest line. ``COLUMNS``
(or the terminal) sets the width for prose; a table wider than that is still printed whole, at its natural
width: a terminal soft-wraps a long line, but a cell split across lines can no longer be copied.
Imported lazily (it imports Rich), from ``cli._cluster.console``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

#: The width when stdout is not a terminal and ``COLUMNS`` is unset: no line is ever that long.
UNBOUNDED = 10_000


class FitConsole(Console):
    """A console that widens itself for the duration of printing a table wider than it is."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        tables = [o for o in objects if isinstance(o, Table)]
        if not tables:
            super().print(*objects, **kwargs)
            return
        natural = max(Measurement.get(self, self.options.update_width(UNBOUNDED), t).maximum for t in tables)
        width = self.width
        if natural <= width:
            super().print(*objects, **kwargs)
            return
        self.width = natural
        try:
            super().print(*objects, **kwargs)
        finally:
            self.width = width


def width_for(stream: Any) -> int | None:
    """``$COLUMNS`` when set; unbounded when ``stream`` is not a terminal; else None (Rich asks the tty)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return UNBOUNDED
    return None


def make_console(*, markup: bool = False) -> FitConsole:
    """The console on stdout (colour off with ``$NO_COLOR`` or when not a terminal)."""
    return FitConsole(
        file=sys.stdout,
        width=width_for(sys.stdout),
        highlight=False,
        soft_wrap=False,
        markup=markup,
        emoji=False,
    )
