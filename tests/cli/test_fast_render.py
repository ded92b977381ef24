"""``render`` read without Typer (cli/_fast): the same arguments, output, errors and exit codes as Typer."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import pytest

import cluster_capacity.cli as cli
from cluster_capacity.cli import _fast, _render_run, build_app, main
from tests.conftest import EXAMPLES

VALUES = EXAMPLES / "values"
NAMES = ("values", "project", "env", "all_envs", "sets", "output_dir", "check")


def typer_arguments(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any] | None:
    """What Typer passes to the render body for ``render ARGS``; None when Typer refuses them."""
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(_render_run, "render", lambda *a: seen.append(dict(zip(NAMES, a, strict=True))) or 0)
    with contextlib.suppress(SystemExit):
        build_app()(args=["render", *args], prog_name="cluster-capacity")
    return seen[0] if seen else None


READ_HERE = [
    ["--env", "prod"],
    ["--project", "examples", "--env", "prod"],
    ["--project=examples", "--env=prod"],
    ["-f", "a.yaml", "-f", "b.yaml", "--values", "c.yaml", "--values=d.yaml"],
    ["-f", "a.yaml", "--set", "machineSets[0].replicas=1", "--set=enabled=true"],
    ["--all"],
    ["--all", "--check", "--all"],
    ["--env", "prod", "-o", "out", "--check"],
    ["--env", "prod", "--output-dir=out dir"],
    ["--set", "a=b=c", "--env", "x y"],
    [],
]
LEFT_TO_TYPER = [
    ["--help"],
    ["--env", "prod", "--help"],
    ["--env"],
    ["--env", "-x"],
    ["--env", ""],
    ["--env="],
    ["-fvalues.yaml"],
    ["-f=values.yaml"],
    ["--env", "a", "--env", "b"],
    ["--project", "a", "--project=b"],
    ["extra"],
    ["--bogus"],
    ["--", "--env", "x"],
    ["--all=1"],
    ["--check=yes"],
    ["-h"],
    ["--en", "prod"],
]


@pytest.mark.parametrize("args", READ_HERE, ids=" ".join)
def test_read_as_typer_reads_it(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    want = typer_arguments(args, monkeypatch)
    assert want is not None
    assert _fast.render_args(args) == want


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=" ".join)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert _fast.render_args(args) is None


def both(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """``main(render ARGS)`` without Typer, then through Typer: exit code, stdout, stderr of each."""
    assert _fast.render_args(args) is not None
    code = main(["render", *args])
    fast = (code, *capsys.readouterr())
    with monkeypatch.context() as m:
        m.setattr(cli, "_fast_render", lambda _args: None)
        code = main(["render", *args])
    return fast, (code, *capsys.readouterr())


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    monkeypatch.chdir(dest)
    return dest


@pytest.mark.parametrize(
    "args",
    [
        ["--env", "prod"],
        ["-f", "values/values-common.yaml", "-f", "values/values-prod.yaml", "--set", "nvidia.enabled=false"],
        ["--env", "nope"],
        ["--env", "prod", "--set", "machineSets[0].replicas=-1"],
        ["--env", "prod", "--all"],
        ["--all", "-o", "out"],
        ["--env", "prod", "--check"],
        ["-f", "missing.yaml"],
        ["--all", "--check"],
    ],
    ids=" ".join,
)
def test_same_output_and_exit_as_typer(
    args: list[str], project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fast, typer = both(args, monkeypatch, capsys)
    assert fast == typer
    assert fast[1] or fast[2]  # it said something


def test_writes_and_checks_as_typer(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(project / "rendered")
    fast, typer = both(["--all"], monkeypatch, capsys)
    assert fast[0] == typer[0] == 0
    assert "object(s)" in fast[2] and typer[2] == "3 folder(s) already up to date\n"
    (project / "rendered" / "prod" / "kustomization.yaml").write_text("changed\n")
    fast, typer = both(["--all", "--check"], monkeypatch, capsys)
    assert fast == typer and fast[0] == 1 and "out of date" in fast[2]


@pytest.mark.parametrize(
    ("error", "ending"), [(KeyboardInterrupt, (130, "", "")), (EOFError, (1, "", "\nAborted!\n"))]
)
def test_ctrl_c_and_end_of_input_end_as_under_typer(
    error: type[BaseException],
    ending: tuple[int, str, str],
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(*_args: Any) -> Any:
        raise error

    monkeypatch.setattr("cluster_capacity.cli._targets.resolve", interrupted)
    monkeypatch.setattr("cluster_capacity.cli._render_run.resolve", interrupted)
    fast, typer = both(["--env", "prod"], monkeypatch, capsys)
    assert fast == typer == ending
