"""Reading values files with the line of every key, layering them like ``helm -f a -f b``, and ``--set``.

Every value keeps where it came from (file and line), so a problem found later, by pydantic or by a
rule, can be reported as ``values-prod.yaml:14: machineSets[0].replicas: ...``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster_capacity.config.yamlfile import MAX_DEPTH, PathKey, format_path, load_mapping, read_text
from cluster_capacity.errors import ConfigError, Problem

SET_SOURCE = "--set"


@dataclass
class Source:
    """One layer of input: its data, and the line of each path within it."""

    name: str
    data: dict[str, Any]
    lines: dict[PathKey, int] = field(default_factory=dict)
    #: ``--set`` only: the assigned paths (each replaces what was there)
    assigned: tuple[PathKey, ...] = ()

    def claims(self, key: PathKey) -> str | None:
        """``"owns"`` when this source set the value at ``key`` (or replaced an ancestor of it),
        ``"created"`` when a ``--set`` made the mapping or item on its way to a deeper path, else None."""
        if self.name == SET_SOURCE:
            if any(key[: len(p)] == p for p in self.assigned):
                return "owns"
            if any(p[: len(key)] == key for p in self.assigned):
                return "created"
            return None
        current: Any = self.data
        replaced = False  # below a list: this source's list replaced the earlier ones whole
        for part in key:
            if isinstance(current, list):
                if not isinstance(part, int) or part >= len(current):
                    return None  # an item this source does not have (a --set may have added it)
                current, replaced = current[part], True
            elif isinstance(current, dict):
                if part not in current:
                    return "owns" if replaced else None
                current = current[part]
            else:
                return "owns"  # a scalar here replaced everything below it
        return "owns"

    def line_of(self, key: PathKey) -> int:
        """The line of ``key``, or of its deepest ancestor with a line."""
        for n in range(len(key), -1, -1):
            if key[:n] in self.lines:
                return self.lines[key[:n]]
        return 0


@dataclass
class Layered:
    """Merged data of several sources, able to say which source and line set any path."""

    data: dict[str, Any]
    sources: list[Source]

    def locate(self, path: Sequence[str | int]) -> tuple[str, int]:
        """File and line that set ``path``, or its nearest ancestor that exists.

        A later source wins where it replaces (a list, a scalar, a ``--set`` path); where it only merges a
        mapping, the earlier source that set the key is the one to blame.
        """
        key = tuple(path)
        for n in range(len(key), -1, -1):
            prefix = key[:n]
            weak: Source | None = None
            for source in reversed(self.sources):
                claim = source.claims(prefix)
                if claim == "owns":
                    return source.name, source.line_of(prefix)
                if claim == "created" and weak is None:
                    weak = source
            if weak is not None:
                return weak.name, weak.line_of(prefix)
        # a file claims the empty path, so only no sources, or --set ones that assigned nothing, get here
        return (self.sources[-1].name if self.sources else "<input>"), 0

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        name, line = self.locate(path)
        return Problem(name, line, format_path(path), message)


def read_source(path: Path) -> Source:
    """Read and parse one values file; anything but a readable regular UTF-8 file is a ``ConfigError``."""
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, name: str) -> Source:
    """Parse one YAML mapping, recording the line of every key and list item."""
    data, lines = load_mapping(text, name)
    return Source(name, data, lines)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: maps merge deeply, lists and scalars replace, ``null`` deletes the key."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def layer(sources: Iterable[Source]) -> Layered:
    """Merge sources in order, later ones winning."""
    srcs = list(sources)
    data: dict[str, Any] = {}
    for source in srcs:
        data = merge(data, source.data)
    return Layered(data, srcs)


# --- --set, as helm's strvals ---------------------------------------------------------------------

#: helm's limit on a ``--set`` list index (strvals ``MaxIndex``)
MAX_SET_INDEX = 65536
_SEGMENT = re.compile(r"(?P<name>[^.\[\]]+)|\[(?P<index>\d+)\]|(?P<dot>\.)")


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, buf, i, depth = [], "", 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf += text[i : i + 2]
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    parts.append(buf)
    return parts


def _parse_set_path(raw: str, expr: str) -> PathKey:
    # protect escaped dots (label keys such as node-role\.kubernetes\.io/gpu)
    text = raw.replace("\\.", "\0")
    path: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if not m:
            raise ConfigError([Problem(SET_SOURCE, 0, "", f"cannot parse the path in {expr!r}")])
        if m["name"] is not None:
            path.append(m["name"].replace("\0", ".").strip())
        elif m["index"] is not None:
            index = int(m["index"])
            if index > MAX_SET_INDEX:  # as helm: a typo must not allocate a huge list
                raise _set_problem(
                    path, f"index {index} is greater than the maximum supported index {MAX_SET_INDEX}"
                )
            path.append(index)
        pos = m.end()
        if len(path) > MAX_DEPTH:
            raise _set_problem(path, f"nested more than {MAX_DEPTH} levels deep")
    if not path or not isinstance(path[0], str):
        raise ConfigError([Problem(SET_SOURCE, 0, "", f"cannot parse the path in {expr!r}")])
    return tuple(path)


def _parse_set_value(raw: str, depth: int = 0) -> Any:
    if raw.startswith("{") and raw.endswith("}"):
        if depth >= MAX_DEPTH:
            raise ConfigError(
                [Problem(SET_SOURCE, 0, "", f"a value nested more than {MAX_DEPTH} levels deep")]
            )
        return [_parse_set_value(v, depth + 1) for v in _split_unescaped(raw[1:-1], ",") if v != ""]
    raw = raw.replace("\\,", ",")
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if re.fullmatch(r"-?(0|[1-9]\d*)", raw):
        return int(raw)
    return raw


def parse_set(expressions: Iterable[str]) -> list[tuple[PathKey, Any]]:
    """``["a.b[0].c=1,d=x"]`` -> ``[(("a", "b", 0, "c"), 1), (("d",), "x")]``."""
    out: list[tuple[PathKey, Any]] = []
    for expression in expressions:
        for item in _split_unescaped(expression, ","):
            if not item.strip():
                continue
            if "=" not in item:
                raise ConfigError([Problem(SET_SOURCE, 0, "", f"{item!r} is not of the form path=value")])
            raw_path, raw_value = item.split("=", 1)
            out.append((_parse_set_path(raw_path.strip(), item), _parse_set_value(raw_value)))
    return out


def apply_sets(layered: Layered, expressions: Iterable[str]) -> Layered:
    """Apply ``--set`` expressions on top of merged data, as a last source."""
    assignments = parse_set(expressions)
    if not assignments:
        return layered
    data = copy.deepcopy(layered.data)
    for path, value in assignments:
        _assign(data, path, value)
    paths = tuple(path for path, _ in assignments)
    source = Source(SET_SOURCE, {}, {path: 0 for path in paths}, assigned=paths)
    return Layered(data, [*layered.sources, source])


def _set_problem(path: Sequence[str | int], message: str) -> ConfigError:
    return ConfigError([Problem(SET_SOURCE, 0, format_path(path), message)])


def _assign(data: dict[str, Any], path: PathKey, value: Any) -> None:
    cur: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        nxt: Any = value if last else ([] if isinstance(path[i + 1], int) else {})
        if isinstance(part, int):
            if not isinstance(cur, list):
                raise _set_problem(path[:i], "is not a list")
            while len(cur) <= part:  # helm pads with null
                cur.append(None)
            if last:
                cur[part] = value
                return
            if not isinstance(cur[part], dict | list):
                cur[part] = nxt
            cur = cur[part]
        else:
            if not isinstance(cur, dict):
                raise _set_problem(path[: i + 1], "its parent is not a mapping")
            if last:
                if value is None:  # helm: null deletes the key
                    cur.pop(part, None)
                else:
                    cur[part] = value
                return
            if not isinstance(cur.get(part), dict | list):
                cur[part] = nxt
            cur = cur[part]
