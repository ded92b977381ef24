"""Mutation testing: does the test suite notice when the code's behaviour changes?

Each mutant is one small change to one module (``==`` to ``!=``, ``and`` to ``or``, a constant bumped,
a string emptied, a call dropped, an element left out of a literal list, ``sorted(x)`` to ``x``, ...).
A mutant is *killed* when some test fails with it in place; a *survivor* is a change no test noticed.

    python scripts/mutation.py                      # the modules named below, 2 workers
    python scripts/mutation.py src/cluster_capacity/plan.py --jobs 1
    python scripts/mutation.py --recheck            # survivors once more against the whole suite
    python scripts/mutation.py M --json new.json --since old.json   # rerun only what old.json left alive

How: one traced run of the suite records which tests execute each line of the target modules (child
processes a test starts are traced too, through ``_mutation_site/sitecustomize.py``). Then each mutant
runs, in a forked worker that has the third-party packages already imported, only the tests that
execute its line, stopping at the first failure. The mutated module is compiled from the changed syntax
tree by an import hook; nothing on disk changes. Not part of CI: it takes tens of minutes.

Mutants known to be behaviour-preserving are listed in ``scripts/mutation_equivalent.txt`` with the
reason; they are reported apart and left out of the score.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
PACKAGE = "cluster_capacity"
SITE = Path(__file__).resolve().parent / "_mutation_site"
EQUIVALENT_FILE = Path(__file__).resolve().parent / "mutation_equivalent.txt"

#: The modules where a wrong answer is a wrong cluster: rendering, config rules, the schema checker,
#: policies, drift and quota arithmetic. A folder means every module in it.
DEFAULT_TARGETS = [
    "src/cluster_capacity/render",
    "src/cluster_capacity/config/rules.py",
    "src/cluster_capacity/config/sources.py",
    "src/cluster_capacity/validate/_checker.py",
    "src/cluster_capacity/validate/policies.py",
    "src/cluster_capacity/ops/diff.py",
    "src/cluster_capacity/aws/plan.py",
    "src/cluster_capacity/aws/quota.py",
]

ENV_TARGET = "CC_MUTATION_TARGET"  # "module.name:/path/to/file.py:index"
ENV_TRACE = "CC_MUTATION_TRACE"  # folder where traced child processes leave their line hits
ENV_TRACE_FILES = "CC_MUTATION_TRACE_FILES"  # os.pathsep-separated files to trace

# --- mutants ---------------------------------------------------------------------------------------

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
_CALL_DROPS = {"sorted", "reversed", "list", "tuple", "set", "dict", "str", "int", "round"}
_CALL_SWAPS = {"min": "max", "max": "min", "any": "all", "all": "any"}
_MAX_LITERAL_DROPS = 16
_TYPES = {"tuple", "dict", "list", "set", "frozenset", "type", "Callable", "Literal", "Sequence", "Mapping"}


@dataclass(frozen=True)
class Mutant:
    file: Path
    module: str
    index: int
    line: int
    end_line: int
    what: str
    source_line: str
    #: where the change is (``line`` is where its statement starts: what the tracer sees)
    at: int
    #: outside any function: run once, at import, under whichever test imported the module first
    module_level: bool = False
    #: which of several identical changes on lines of the same text, from 1 in syntax-tree order (``#2``)
    occurrence: int = 1

    @property
    def rel(self) -> str:
        return str(self.file.relative_to(REPO))

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the file: path, the line's text and the change (and which of
        several identical changes on that line, e.g. the second ``str(x) -> x``)."""
        key = f"{self.rel} | {self.source_line.strip()} | {self.what}"
        return key if self.occurrence == 1 else f"{key} #{self.occurrence}"


Point = tuple[ast.AST, str, Callable[[], None]]


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, ``__all__``, TYPE_CHECKING blocks."""
    skip: set[int] = set()

    def skip_all(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip_all(first)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip_all(node.returns)
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                skip_all(arg.annotation)
            for arg in (node.args.vararg, node.args.kwarg):
                if arg is not None:
                    skip_all(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            skip_all(node.annotation)
            if node.value is None:
                skip_all(node)
        elif (
            (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            )
            or (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
            or isinstance(node, ast.Import | ast.ImportFrom)
        ):
            skip_all(node)
        elif isinstance(node, ast.JoinedStr):
            # the literal parts of an f-string: mutating them is mutating message wording piecemeal
            for value in node.values:
                if isinstance(value, ast.Constant):
                    skip.add(id(value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "TypeVar":
            skip_all(node)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in _TYPES:
            skip_all(node.slice)  # a type expression (an alias such as ``Obj = dict[str, Any]``)
    return skip


def _points(tree: ast.Module) -> Iterator[Point]:
    """Every single-point change, in a fixed order (the same for every parse of the same text)."""
    skip = _skipped_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        yield from _node_points(node)


def _node_points(node: ast.AST) -> Iterator[Point]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap is not None:

                def apply(node: ast.Compare = node, i: int = i, swap: type[ast.cmpop] = swap) -> None:
                    node.ops[i] = swap()

                yield node, f"{type(op).__name__} -> {swap.__name__}", apply
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And

        def apply_bool(node: ast.BoolOp = node, other: type[ast.boolop] = other) -> None:
            node.op = other()

        yield node, f"{type(node.op).__name__} -> {other.__name__}", apply_bool
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node, "drop not", _replace_with(node, node.operand)
    elif isinstance(node, ast.BinOp):
        swap_op = _BINOP_SWAPS.get(type(node.op))
        if swap_op is not None and not _is_string_format(node):

            def apply_bin(node: ast.BinOp = node, swap_op: type[ast.operator] = swap_op) -> None:
                node.op = swap_op()

            yield node, f"{type(node.op).__name__} -> {swap_op.__name__}", apply_bin
    elif isinstance(node, ast.AugAssign):
        swap_aug = _BINOP_SWAPS.get(type(node.op))
        if swap_aug is not None:

            def apply_aug(node: ast.AugAssign = node, swap_aug: type[ast.operator] = swap_aug) -> None:
                node.op = swap_aug()

            yield node, f"{type(node.op).__name__}= -> {swap_aug.__name__}=", apply_aug
    elif isinstance(node, ast.Constant):
        yield from _constant_points(node)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in _CALL_DROPS and len(node.args) == 1 and not node.keywords:
            yield node, f"{name}(x) -> x", _replace_with(node, node.args[0])
        elif name in _CALL_SWAPS:

            def apply_call(node: ast.Call = node, new: str = _CALL_SWAPS[name]) -> None:
                node.func = ast.Name(id=new, ctx=ast.Load())

            yield node, f"{name} -> {_CALL_SWAPS[name]}", apply_call
    elif isinstance(node, ast.List | ast.Tuple | ast.Set) and isinstance(
        getattr(node, "ctx", ast.Load()), ast.Load
    ):
        if 2 <= len(node.elts) <= _MAX_LITERAL_DROPS and not any(
            isinstance(e, ast.Starred) for e in node.elts
        ):
            for i, elt in enumerate(node.elts):

                def apply_drop(node: ast.List | ast.Tuple | ast.Set = node, i: int = i) -> None:
                    del node.elts[i]

                yield elt, f"drop element {i} ({_short(elt)})", apply_drop
    elif isinstance(node, ast.Dict):
        if 1 <= len(node.keys) <= _MAX_LITERAL_DROPS:
            for i, key in enumerate(node.keys):
                if key is None:
                    continue

                def apply_key(node: ast.Dict = node, i: int = i) -> None:
                    del node.keys[i]
                    del node.values[i]

                yield key, f"drop key {_short(key)}", apply_key
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield node, "drop call statement", _replace_with_pass(node)
    elif isinstance(node, ast.Continue | ast.Break):
        yield node, f"drop {type(node).__name__.lower()}", _replace_with_pass(node)
    elif (
        isinstance(node, ast.Return)
        and node.value is not None
        and not _is_none(node.value)
        and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool))
    ):
        yield node, "return None", _set_field(node, "value", ast.Constant(value=None))


def _constant_points(node: ast.Constant) -> Iterator[Point]:
    value = node.value
    if isinstance(value, bool):
        yield node, f"{value} -> {not value}", _set_field(node, "value", not value)
    elif isinstance(value, (int, float)):
        yield node, f"{value} -> {value + 1}", _set_field(node, "value", value + 1)
    elif isinstance(value, str):
        yield node, f"{_short(node)} -> 'XX...XX'", _set_field(node, "value", "XX" + value + "XX")


def _is_string_format(node: ast.BinOp) -> bool:
    return (
        isinstance(node.op, ast.Mod)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
    )


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _set_field(node: ast.AST, name: str, value: Any) -> Callable[[], None]:
    def apply() -> None:
        setattr(node, name, value)

    return apply


class _Swap(ast.NodeTransformer):
    def __init__(self, old: ast.AST, new: ast.AST) -> None:
        self.old, self.new = old, new

    def visit(self, node: ast.AST) -> Any:
        if node is self.old:
            return self.new
        return self.generic_visit(node)


_ROOT: list[ast.Module] = []


def _replace_with(node: ast.AST, new: ast.AST) -> Callable[[], None]:
    def apply() -> None:
        _Swap(node, new).visit(_ROOT[0])

    return apply


def _replace_with_pass(node: ast.stmt) -> Callable[[], None]:
    return _replace_with(node, ast.copy_location(ast.Pass(), node))


def enumerate_mutants(file: Path, module: str) -> list[Mutant]:
    """Every mutant of one file whose code differs from the original's."""
    source = file.read_text(encoding="utf-8")
    lines = source.splitlines()
    original = ast.dump(ast.parse(source))
    out = []
    tree = ast.parse(source)
    statement_of: dict[int, int] = {}  # node id -> line of the innermost statement holding it
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.stmt):
            for child in ast.walk(stmt):
                if not isinstance(child, ast.stmt) or child is stmt:
                    statement_of[id(child)] = stmt.lineno
    in_function: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in fn.body:
                in_function.update(id(n) for n in ast.walk(stmt))
    seen: dict[tuple[str, str], int] = {}
    for index, (node, what, _) in enumerate(_points(tree)):
        changed = mutated_tree(source, index)
        if changed is None or ast.dump(changed) == original:
            continue
        line = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", line) or line
        stmt = statement_of.get(id(node), line)
        source_line = lines[line - 1] if lines else ""
        same = (source_line.strip(), what)  # counted over the file: twin lines (`continue`) differ
        seen[same] = seen.get(same, 0) + 1
        out.append(
            Mutant(
                file,
                module,
                index,
                min(line, stmt),
                end,
                what,
                source_line,
                line,
                id(node) not in in_function,
                seen[same],
            )
        )
    return out


def mutated_tree(source: str, index: int) -> ast.Module | None:
    """The syntax tree of ``source`` with mutant ``index`` applied (None when it does not compile)."""
    tree = ast.parse(source)
    for i, (_, _, apply) in enumerate(_points(tree)):
        if i == index:
            _ROOT[:] = [tree]
            apply()
            ast.fix_missing_locations(tree)
            try:
                compile(tree, "<mutant>", "exec")
            except (SyntaxError, ValueError, TypeError):
                return None
            return tree
    return None


class _MutantLoader(importlib.abc.Loader):
    def __init__(self, file: Path, index: int) -> None:
        self.file, self.index = file, index

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        tree = mutated_tree(self.file.read_text(encoding="utf-8"), self.index)
        assert tree is not None
        exec(compile(tree, str(self.file), "exec"), module.__dict__)


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, module: str, file: Path, index: int) -> None:
        self.module, self.file, self.index = module, file, index

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.module:
            return None
        package = [str(self.file.parent)] if self.file.name == "__init__.py" else None
        return importlib.util.spec_from_file_location(
            fullname,
            self.file,
            loader=_MutantLoader(self.file, self.index),
            submodule_search_locations=package,
        )


def install_from_env() -> None:
    """Put the mutant named by the environment in place (used here and by child processes)."""
    spec = os.environ.get(ENV_TARGET)
    if spec:
        module, file, index = spec.rsplit(":", 2)
        sys.meta_path.insert(0, _MutantFinder(module, Path(file), int(index)))


# --- line coverage per test ------------------------------------------------------------------------


class Tracer:
    """Lines of the target files executed, per test (``""``: outside any test, e.g. at import)."""

    def __init__(self, files: set[str], current: Callable[[], str]) -> None:
        self.files = files
        self.current = current
        self.hits: dict[str, set[tuple[str, int]]] = {}

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.hits.setdefault(self.current(), set()).add((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def _global(self, frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename in self.files:
            self.hits.setdefault(self.current(), set()).add((frame.f_code.co_filename, frame.f_lineno))
            return self._local
        return None

    def start(self) -> None:
        import threading

        sys.settrace(self._global)
        threading.settrace(self._global)


def _child_trace_from_env() -> None:
    """In a process a traced test started: record hits under the test that started it."""
    folder, files = os.environ.get(ENV_TRACE), os.environ.get(ENV_TRACE_FILES)
    if not folder or not files:
        return
    import atexit

    tracer = Tracer(set(files.split(os.pathsep)), lambda: _test_of_env())
    tracer.start()

    def dump() -> None:
        data = {test: sorted(hits) for test, hits in tracer.hits.items()}
        (Path(folder) / f"child-{os.getpid()}.json").write_text(json.dumps(data))

    atexit.register(dump)


def _test_of_env() -> str:
    # pytest sets PYTEST_CURRENT_TEST to "nodeid (call)" for the duration of each test phase
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


class _CoveragePlugin:
    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.test = ""
        self.durations: dict[str, float] = {}
        self.failed: list[str] = []

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Any:
        self.test = item.nodeid
        return None

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed:
            self.failed.append(report.nodeid)
        if report.when == "teardown":
            self.test = ""


class _SelectPlugin:
    """Keep only the chosen tests, fastest first: a killed mutant then stops early."""

    def __init__(self, order: list[str]) -> None:
        self.rank = {nodeid: i for i, nodeid in enumerate(order)}
        self.nodeids = set(order)

    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list[Any]) -> None:
        keep = sorted((i for i in items if i.nodeid in self.nodeids), key=lambda i: self.rank[i.nodeid])
        drop = [i for i in items if i.nodeid not in self.nodeids]
        items[:] = keep
        config.hook.pytest_deselected(items=drop)


# --- running ---------------------------------------------------------------------------------------

_PRELOAD = ["pytest", "pydantic", "yaml", "hypothesis", "typer", "rich", "jsonschema", "kubernetes", "boto3"]
_PYTEST_ARGS = [
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:randomly",
    "--no-header",
    "-o",
    "addopts=",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
]


def _child_env() -> None:
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SITE), str(Path(__file__).resolve().parent), str(SRC), os.environ.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    sys.path.insert(0, str(SRC))  # this checkout's package, whatever the environment has installed
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"


def _fork(run: Callable[[], int], log: Path) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 3
        try:
            os.setpgid(0, 0)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = run()
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def coverage_run(
    files: set[str], test_paths: list[str], workdir: Path
) -> tuple[dict[str, set[tuple[str, int]]], dict[str, float]]:
    """Run the suite once, traced: the lines each test executes, and each test's duration."""
    out = workdir / "coverage.json"
    trace_dir = workdir / "trace"
    trace_dir.mkdir()

    def run() -> int:
        import pytest

        os.environ[ENV_TRACE] = str(trace_dir)
        os.environ[ENV_TRACE_FILES] = os.pathsep.join(sorted(files))
        plugin_box: list[_CoveragePlugin] = []
        tracer = Tracer(files, lambda: plugin_box[0].test if plugin_box else "")
        plugin = _CoveragePlugin(tracer)
        plugin_box.append(plugin)
        tracer.start()
        code = pytest.main([*_PYTEST_ARGS, *test_paths], plugins=[plugin])
        sys.settrace(None)
        data = {
            "hits": {t: sorted(h) for t, h in tracer.hits.items()},
            "durations": plugin.durations,
            "failed": plugin.failed,
        }
        out.write_text(json.dumps(data))
        return int(code)

    pid = _fork(run, workdir / "coverage.log")
    _, _status = os.waitpid(pid, 0)
    if not out.exists():
        log = (workdir / "coverage.log").read_text(errors="replace")
        sys.exit(f"the traced test run did not finish:\n{log[-3000:]}")
    data = json.loads(out.read_text())
    if data["failed"]:
        sys.exit("the suite fails without any mutant: " + ", ".join(data["failed"][:5]))
    hits: dict[str, set[tuple[str, int]]] = {t: {tuple(h) for h in hs} for t, hs in data["hits"].items()}  # type: ignore[misc]
    for child in trace_dir.glob("child-*.json"):
        for test, hs in json.loads(child.read_text()).items():
            hits.setdefault(test, set()).update(tuple(h) for h in hs)  # type: ignore[misc]
    return hits, data["durations"]


@dataclass
class Job:
    mutant: Mutant
    tests: list[str]
    timeout: float
    status: str = ""
    seconds: float = 0.0


def _run_mutant(job: Job, log: Path) -> int:
    def run() -> int:
        import pytest

        os.environ[ENV_TARGET] = f"{job.mutant.module}:{job.mutant.file}:{job.mutant.index}"
        install_from_env()
        files = sorted({t.split("::", 1)[0] for t in job.tests})
        return int(pytest.main([*_PYTEST_ARGS, "-x", *files], plugins=[_SelectPlugin(job.tests)]))

    return _fork(run, log)


def run_jobs(jobs: list[Job], workers: int, workdir: Path, label: str) -> None:
    pending = list(enumerate(jobs))
    running: dict[int, tuple[Job, float]] = {}
    total = len(jobs)
    try:
        _drive(pending, running, workers, workdir, label, total)
    finally:  # interrupted: leave no worker behind
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _drive(
    pending: list[tuple[int, Job]],
    running: dict[int, tuple[Job, float]],
    workers: int,
    workdir: Path,
    label: str,
    total: int,
) -> None:
    done = 0
    while pending or running:
        while pending and len(running) < workers:
            number, job = pending.pop(0)
            pid = _run_mutant(job, workdir / f"{label}-{number}.log")
            running[pid] = (job, time.monotonic())
        time.sleep(0.02)
        for pid, (job, started) in list(running.items()):
            finished, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if finished == 0:
                if elapsed > job.timeout:
                    os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    job.status = "timeout"
                else:
                    continue
            else:
                code = os.waitstatus_to_exitcode(status)
                job.status = "survived" if code == 0 else ("error" if code == 5 else "killed")
            job.seconds = elapsed
            del running[pid]
            done += 1
            if job.status in ("survived", "error"):
                print(
                    f"  [{label} {done}/{total}] {job.status}: {job.mutant.rel}:{job.mutant.at}: {job.mutant.what}",
                    flush=True,
                )
            elif done % 25 == 0:
                print(f"  [{label} {done}/{total}]", flush=True)


def module_name(file: Path) -> str:
    rel = file.resolve().relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def target_files(targets: list[str]) -> list[Path]:
    out: list[Path] = []
    for target in targets:
        path = (REPO / target).resolve()
        if path.is_dir():
            out.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            out.append(path)
        else:
            sys.exit(f"{target}: no such module or folder")
    return out


def load_equivalent() -> dict[str, str]:
    """``key  # reason`` lines of the behaviour-preserving mutants (see ``Mutant.key``)."""
    out = {}
    if EQUIVALENT_FILE.exists():
        for line in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, reason = line.partition("  # ")
                out[key.strip()] = reason.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "targets", nargs="*", help="modules or folders (default: the correctness-critical ones)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--tests", nargs="*", default=["tests"], help="test paths for the traced run")
    parser.add_argument("--recheck", action="store_true", help="run survivors again against every test")
    parser.add_argument("--json", type=Path, help="write every mutant's result here")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument(
        "--since",
        type=Path,
        help="a --json file of an earlier run: mutants it saw killed (same key) count as killed without "
        "running again; only the rest run. For iterating on new tests; a full run gives the final score",
    )
    args = parser.parse_args(argv)

    files = target_files(args.targets or DEFAULT_TARGETS)
    mutants = [m for f in files for m in enumerate_mutants(f, module_name(f))]
    if args.list:
        for m in mutants:
            print(f"{m.rel}:{m.at}: {m.what}")
        print(f"{len(mutants)} mutants in {len(files)} modules")
        return 0
    equivalent = load_equivalent()
    started = time.monotonic()
    _child_env()
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        workdir = Path(tmp)
        print(f"{len(mutants)} mutants in {len(files)} modules; tracing the suite ...", flush=True)
        hits, durations = coverage_run({str(f) for f in files}, args.tests, workdir)
        by_line: dict[tuple[str, int], set[str]] = {}
        by_file: dict[str, set[str]] = {}
        for test, lines in hits.items():
            for file, line in lines:
                if test:
                    by_line.setdefault((file, line), set()).add(test)
                    by_file.setdefault(file, set()).add(test)
        print(
            f"traced in {time.monotonic() - started:.0f} s; running mutants on {args.jobs} workers",
            flush=True,
        )

        jobs: list[Job] = []
        for m in mutants:
            tests: set[str] = set()
            for line in range(m.line, m.end_line + 1):
                tests |= by_line.get((str(m.file), line), set())
            if m.module_level:
                tests = set(by_file.get(str(m.file), set()))  # every test that uses the module
            elif not tests and any(
                (str(m.file), line) in _import_lines(hits) for line in range(m.line, m.end_line + 1)
            ):
                tests = set(
                    by_file.get(str(m.file), set())
                )  # module-level code: every test that uses the module
            fastest = sorted(tests, key=lambda t: (durations.get(t, 1.0), t))
            job = Job(m, fastest, timeout=15 + 3 * sum(durations.get(t, 1.0) for t in tests))
            if not tests:
                job.status = "uncovered"
            jobs.append(job)
        if args.since:
            records = [r for r in json.loads(args.since.read_text()) if "key" in r]
            twice = {k for k in (r["key"] for r in records) if sum(r["key"] == k for r in records) > 1}
            # a key seen twice is ambiguous: run it again
            earlier = {r["key"]: r["status"] for r in records if r["key"] not in twice}
            for j in jobs:
                if not j.status and earlier.get(j.mutant.key) in ("killed", "timeout"):
                    j.status = "killed"
            print(f"{sum(j.status == 'killed' for j in jobs)} mutants killed in {args.since}, not run again")
        run_jobs(
            [j for j in jobs if not j.status and j.mutant.key not in equivalent],
            args.jobs,
            workdir,
            "mutants",
        )
        if args.recheck:
            again = [j for j in jobs if j.status == "survived"]
            every = sorted(durations, key=lambda t: (durations[t], t))
            for j in again:
                j.tests, j.timeout = every, 60 + 3 * sum(durations.values())
            print(f"rechecking {len(again)} survivors against the whole suite", flush=True)
            run_jobs(again, args.jobs, workdir, "recheck")
    for j in jobs:
        if j.mutant.key in equivalent:
            j.status = "equivalent"

    report(jobs, equivalent)
    print(f"took {(time.monotonic() - started) / 60:.1f} min")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "file": j.mutant.rel,
                        "line": j.mutant.at,
                        "what": j.mutant.what,
                        "key": j.mutant.key,
                        "status": j.status,
                        "tests": len(j.tests),
                        "seconds": round(j.seconds, 2),
                    }
                    for j in jobs
                ],
                indent=1,
            )
        )
    return 0


_IMPORT_CACHE: dict[int, set[tuple[str, int]]] = {}


def _import_lines(hits: dict[str, set[tuple[str, int]]]) -> set[tuple[str, int]]:
    key = id(hits)
    if key not in _IMPORT_CACHE:
        _IMPORT_CACHE[key] = set(hits.get("", set()))
    return _IMPORT_CACHE[key]


def report(jobs: list[Job], equivalent: dict[str, str]) -> None:
    by_module: dict[str, list[Job]] = {}
    for j in jobs:
        by_module.setdefault(j.mutant.rel, []).append(j)
    print(
        f"\n{'module':<48} {'mutants':>7} {'killed':>6} {'surv.':>5} {'uncov.':>6} {'equiv.':>6} {'score':>6}"
    )
    totals = [0, 0, 0, 0, 0]
    for rel, group in sorted(by_module.items()):
        counts = [
            len(group),
            sum(j.status in ("killed", "timeout") for j in group),
            sum(j.status == "survived" for j in group),
            sum(j.status == "uncovered" for j in group),
            sum(j.status == "equivalent" for j in group),
        ]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        print(
            f"{rel:<48} {counts[0]:>7} {counts[1]:>6} {counts[2]:>5} {counts[3]:>6} {counts[4]:>6} {_score(counts):>6}"
        )
    print(
        f"{'total':<48} {totals[0]:>7} {totals[1]:>6} {totals[2]:>5} {totals[3]:>6} {totals[4]:>6} {_score(totals):>6}"
    )
    left = [j for j in jobs if j.status in ("survived", "uncovered")]
    if left:
        print("\nsurvivors (no test noticed the change):")
        for j in sorted(left, key=lambda j: (j.mutant.rel, j.mutant.at)):
            print(
                f"{j.mutant.rel}:{j.mutant.at}: {j.status}: {j.mutant.what}    | {j.mutant.source_line.strip()[:70]}"
            )
            print(f"    key: {j.mutant.key}")
    errors = [j for j in jobs if j.status == "error"]
    if errors:
        print(f"\n{len(errors)} mutants selected no test (a bug of this script):")
        for j in errors:
            print(f"{j.mutant.rel}:{j.mutant.at}: {j.mutant.what}")


def _score(counts: list[int]) -> str:
    total, killed, _, _, equiv = counts
    scored = total - equiv
    return f"{100 * killed / scored:.1f}%" if scored else "-"


if __name__ == "__main__":
    sys.exit(main())
