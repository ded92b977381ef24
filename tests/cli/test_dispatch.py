"""The dispatcher: top-level help without building commands, and only the named command's module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cluster_capacity.cli import build_app, main
from tests.conftest import REPO

COMMANDS = sorted(
    [c.name for c in build_app().registered_commands if c.name]
    + [g.name for g in build_app().registered_groups if g.name]
)


def full_app(
    args: list[str], columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """What the whole app prints, run the way main runs it (not CliRunner, which forces a width)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    with pytest.raises(SystemExit) as exc:
        build_app()(args=args, prog_name="cluster-capacity")
    captured = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), captured.out + captured.err


def dispatched(
    args: list[str], columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("columns", [60, 80, 100, 200])
@pytest.mark.parametrize("args", [[], ["--help"]])
def test_top_level_help_reads_as_the_whole_app(
    args: list[str], columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    want_code, want = full_app(args, columns, monkeypatch, capsys)
    assert dispatched(args, columns, monkeypatch, capsys) == (want_code, want)
    assert "render " in want


def _command_paths() -> list[list[str]]:
    from typer.main import get_command

    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(get_command(build_app()), [])
    return paths


PATHS = _command_paths()


def test_every_command_has_a_saved_help() -> None:
    from cluster_capacity.cli._usage import COMMANDS as SAVED

    assert sorted(SAVED) == sorted(" ".join(p) for p in PATHS)
    assert ["inferentia", "check"] in PATHS  # a group's commands too


@pytest.mark.parametrize("columns", [60, 80, 100, 200])
@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_each_command_help_reads_as_in_the_whole_app(
    path: list[str], columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    want = full_app([*path, "--help"], columns, monkeypatch, capsys)
    assert want[0] == 0
    assert want[1].startswith("Usage: cluster-capacity " + " ".join(path))
    assert dispatched([*path, "--help"], columns, monkeypatch, capsys) == want


@pytest.mark.parametrize(
    "args", [["nope"], ["render", "--bogus"], ["inferentia"], ["--bogus"], ["validate", "extra-arg"]]
)
def test_usage_errors_read_as_in_the_whole_app(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    want = full_app(args, 100, monkeypatch, capsys)
    assert want[0] == 2
    assert dispatched(args, 100, monkeypatch, capsys) == want


def _modules_after(args: list[str]) -> list[str]:
    code = (
        "import sys\n"
        "from cluster_capacity.cli import main\n"
        f"main({args!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'pydantic') and '.' not in m "
        "or m.startswith('cluster_capacity.cli.')), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    return eval(result.stderr.strip().splitlines()[-1])  # a list literal printed above


@pytest.mark.parametrize("args", [["--help"], ["render", "--help"], ["inferentia", "check", "--help"]])
def test_help_builds_no_command(args: list[str]) -> None:
    # neither typer nor pydantic, nor any command's module: the saved text alone
    assert _modules_after(args) == ["cluster_capacity.cli._usage"]


def test_a_command_imports_its_own_module_only() -> None:
    modules = _modules_after(["validate", "--project", "examples", "--env", "prod"])
    cli_modules = [m for m in modules if m.startswith("cluster_capacity.cli.")]
    assert cli_modules == [
        "cluster_capacity.cli._inputs",
        "cluster_capacity.cli._targets",
        "cluster_capacity.cli.validate",
    ]


def test_render_runs_without_typer() -> None:
    modules = _modules_after(["render", "--project", "examples", "--env", "prod"])
    assert "typer" not in modules
    assert [m for m in modules if m.startswith("cluster_capacity.cli.")] == [
        "cluster_capacity.cli._fast",
        "cluster_capacity.cli._render_run",
        "cluster_capacity.cli._targets",
    ]
