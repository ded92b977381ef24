"""The package keeps the shape docs/architecture.md draws: imports follow the arrows, and never go round."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

SRC = REPO / "src" / "cluster_capacity"
PACKAGE = "cluster_capacity"


def arrows(text: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """From the doc's ``arrows`` block: which room each file/folder is in, and what each room may import."""
    block = re.search(r"```arrows\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no ```arrows block"
    where: dict[str, str] = {}
    allowed: dict[str, set[str]] = {}
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        left, _, right = line.partition("->")
        room, *paths = left.split()
        allowed[room] = set() if right.strip() == "-" else set(right.split())
        for path in paths:
            where[path] = room
    return where, allowed


def room_of(module: str, where: dict[str, str]) -> str:
    """The room of a dotted module name (``cluster_capacity.ops.smoke.run`` is in ``ops/``)."""
    parts = module.split(".")[1:]
    if not parts:
        return where["__init__.py"]
    if f"{parts[0]}/" in where:
        return where[f"{parts[0]}/"]
    if len(parts) == 1 and f"{parts[0]}.py" in where:
        return where[f"{parts[0]}.py"]
    raise AssertionError(f"{module} is in no room of docs/architecture.md: add its line")


def modules(src: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every project module ``path`` imports, at the top, inside functions or under TYPE_CHECKING."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known}


def graph(src: Path) -> dict[str, set[str]]:
    known = modules(src)
    return {name: imports(path, known) - {name} for name, path in known.items()}


def against_arrows(edges: dict[str, set[str]], text: str) -> list[str]:
    where, allowed = arrows(text)
    wrong = []
    for module, targets in sorted(edges.items()):
        source = room_of(module, where)
        for target in sorted(targets):
            room = room_of(target, where)
            if room != source and room not in allowed[source]:
                wrong.append(f"{module} ({source}) imports {target} ({room})")
    return wrong


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_imports_follow_the_arrows() -> None:
    assert against_arrows(graph(SRC), DOC) == []


def test_no_import_circles() -> None:
    assert circles(graph(SRC)) == []


def test_the_library_never_imports_typer_or_rich() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in {"typer", "rich"}
            ]
    assert offenders == []


#: The issue's "no module over ~400 lines": a room that grows past this is two concepts; split it.
MAX_LINES = 400


def oversized(paths: list[Path], limit: int = MAX_LINES) -> list[str]:
    counts = ((p, len(p.read_text(encoding="utf-8").splitlines())) for p in paths)
    return [f"{p}: {n} lines" for p, n in counts if n > limit]


def test_no_module_of_the_package_is_over_the_limit() -> None:
    assert oversized(sorted(SRC.rglob("*.py"))) == []


def test_no_module_of_the_emulator_is_over_the_limit() -> None:
    """The Kubernetes emulator is code too (its tests, ``test_*.py``, are not rooms)."""
    emulator = REPO / "tests" / "emulator"
    assert oversized(sorted(p for p in emulator.rglob("*.py") if not p.name.startswith("test_"))) == []


def test_the_size_check_names_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * 4, encoding="utf-8")
    (tmp_path / "long.py").write_text("x = 1\n" * 5, encoding="utf-8")
    assert oversized(sorted(tmp_path.glob("*.py")), limit=4) == [f"{tmp_path / 'long.py'}: 5 lines"]


# --- the checks themselves can fail --------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / PACKAGE
    for name, body in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return src


TOY_DOC = """```arrows
base    errors.py     -> -
config  config/       -> base
render  render/       -> base config
api     __init__.py   -> base
```"""


def test_an_import_against_the_arrows_is_named(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "config/__init__.py": "def f():\n    from cluster_capacity.render import x\n",
            "render/__init__.py": "from cluster_capacity import errors\nfrom cluster_capacity.config import y\n",
        },
    )
    assert against_arrows(graph(src), TOY_DOC) == [
        "cluster_capacity.config (config) imports cluster_capacity.render (render)"
    ]


def test_a_circle_is_found_also_under_type_checking(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "render/__init__.py": "",
            "render/a.py": "from cluster_capacity.render.b import B\n",
            "render/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cluster_capacity.render import a\n",
        },
    )
    assert circles(graph(src)) == [
        ["cluster_capacity.render.a", "cluster_capacity.render.b", "cluster_capacity.render.a"]
    ]


def test_a_module_in_no_room_is_an_error(tmp_path: Path) -> None:
    src = _tree(tmp_path, {"__init__.py": "", "stray.py": ""})
    with pytest.raises(AssertionError, match="stray is in no room"):
        against_arrows(graph(src), TOY_DOC)
