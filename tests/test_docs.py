"""Docs that are generated from the code stay true."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
