"""Tables in pipes and CI logs: the full width, never a cell folded over lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cluster_capacity.cli._console import UNBOUNDED, width_for
from tests.cli.test_cluster_cli import cluster, project, run, squash  # noqa: F401
from tests.emulator.fixtures import *  # noqa: F403
from tests.emulator.openshift import SeededCluster

GPU_ROW = " gpu-g5-xlarge-us-west-2a g5.xlarge us-west-2a Spot 0 1 Running 1 1/1 gpu 1 0..2 ok "
OPERATOR_ROW = (
    " GPU Operator nvidia-gpu-operator stable gpu-operator-certified.v25.3.2 Succeeded cluster-policy ready"
)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_width_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS")
    assert width_for(io.StringIO()) == UNBOUNDED  # a pipe: nothing limits the width
    assert width_for(_Tty()) is None  # a terminal: Rich asks it
    monkeypatch.setenv("COLUMNS", "100")
    assert width_for(io.StringIO()) == width_for(_Tty()) == 100
    monkeypatch.setenv("COLUMNS", "0")
    assert width_for(io.StringIO()) == UNBOUNDED


@pytest.mark.parametrize("columns", [None, "40"])
def test_status_table_is_never_folded(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kubeconfig: Path,
    cluster: SeededCluster,  # noqa: F811
    project: Path,  # noqa: F811
    columns: str | None,
) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS")
    else:
        monkeypatch.setenv("COLUMNS", columns)
    code, out, err = run(
        capsys, "status", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project)
    )
    assert code == 0, err
    lines = [squash(line) for line in out.splitlines()]
    # Each row whole on one line, however narrow COLUMNS is: 80 columns used to fold these cells.
    assert any(line.startswith(GPU_ROW.rstrip()) for line in lines), out
    assert any(line.startswith(OPERATOR_ROW) for line in lines), out
    assert max(len(line) for line in out.splitlines()) > 80
    header = next(line for line in out.splitlines() if line.split()[:2] == ["Pool", "Type"])
    assert header.split() == [
        "Pool", "Type", "Zone", "Market", "Git", "Live", "Machines", "Ready", "Accel.", "Autoscale", "Health",
    ]  # fmt: skip
