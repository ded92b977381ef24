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

import yaml

from cluster_capacity.errors import ConfigError, Problem

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

PathKey = tuple[str | int, ...]
SET_SOURCE = "--set"


def format_path(path: Sequence[str | int]) -> str:
    """``("machineSets", 0, "taints")`` -> ``machineSets[0].taints``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Source:
    """One layer of input: its data, and the line of each path within it."""

    name: str
    data: dict[str, Any]
    lines: dict[PathKey, int] = field(default_factory=dict)


@dataclass
class Layered:
    """Merged data of several sources, able to say which source and line set any path."""

    data: dict[str, Any]
    sources: list[Source]

    def locate(self, path: Sequence[str | int]) -> tuple[str, int]:
        """File and line that set ``path``, or of its nearest ancestor that exists."""
        key = tuple(path)
        while True:
            for source in reversed(self.sources):
                if key in source.lines:
                    return source.name, source.lines[key]
            if not key:
                break
            key = key[:-1]
        # nothing located the path: blame the last file that holds data, the one most likely at fault
        for source in reversed(self.sources):
            if source.name != SET_SOURCE:
                return source.name, 0
        return (self.sources[-1].name if self.sources else "<input>"), 0

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        name, line = self.locate(path)
        return Problem(name, line, format_path(path), message)


def parse_yaml(text: str, name: str) -> Source:
    """Parse one YAML mapping, recording the line of every key and list item."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        if "expected a single document" in str(exc):
            what = "holds more than one YAML document; a values file is a single mapping"
        raise ConfigError([Problem(name, line, "", f"invalid YAML: {what}")]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(name, 0, "", f"invalid YAML: {exc}")]) from exc
    if data is None or node is None:
        return Source(name, {})
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError([Problem(name, node.start_mark.line + 1, "", f"must be a mapping, got a {kind}")])
    lines: dict[PathKey, int] = {}
    problems: list[Problem] = []
    _index(node, (), lines, problems, name)
    if problems:
        raise ConfigError(problems)
    return Source(name, data, lines)


def _index(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], problems: list[Problem], name: str
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            if key == "<<":
                continue
            if key in seen:
                problems.append(
                    Problem(name, key_node.start_mark.line + 1, format_path((*path, key)), "duplicate key")
                )
            seen.add(key)
            child = (*path, key)
            lines[child] = key_node.start_mark.line + 1
            _index(value_node, child, lines, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines, problems, name)


def read_source(path: Path) -> Source:
    """Read and parse one values file; a missing or unreadable file is a ``ConfigError``."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([Problem(name, 0, "", "file not found")]) from exc
    except IsADirectoryError as exc:
        raise ConfigError([Problem(name, 0, "", "is a directory, expected a YAML file")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, 0, "", f"cannot read: {exc}")]) from exc
    return parse_yaml(text, name)


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
            path.append(int(m["index"]))
        pos = m.end()
    if not path or not isinstance(path[0], str):
        raise ConfigError([Problem(SET_SOURCE, 0, "", f"cannot parse the path in {expr!r}")])
    return tuple(path)


def _parse_set_value(raw: str) -> Any:
    if raw.startswith("{") and raw.endswith("}"):
        return [_parse_set_value(v) for v in _split_unescaped(raw[1:-1], ",") if v != ""]
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
    lines: dict[PathKey, int] = {}
    for path, value in assignments:
        _assign(data, path, value)
        lines[path] = 0
    return Layered(data, [*layered.sources, Source(SET_SOURCE, {}, lines)])


def _assign(data: dict[str, Any], path: PathKey, value: Any) -> None:
    cur: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        nxt: Any = value if last else ([] if isinstance(path[i + 1], int) else {})
        where = format_path(path[: i + 1])
        if isinstance(part, int):
            if not isinstance(cur, list):
                raise ConfigError([Problem(SET_SOURCE, 0, format_path(path[:i]), "is not a list")])
            while len(cur) <= part:  # helm pads with null
                cur.append(None)
            if last:
                cur[part] = value
            elif not isinstance(cur[part], dict | list):
                cur[part] = nxt
            cur = cur[part]
        else:
            if not isinstance(cur, dict):
                raise ConfigError([Problem(SET_SOURCE, 0, where, "its parent is not a mapping")])
            if last:
                if value is None:  # helm's null deletes the key; there is nothing left to walk into
                    cur.pop(part, None)
                else:
                    cur[part] = value
                return
            if not isinstance(cur.get(part), dict | list):
                cur[part] = nxt
            cur = cur[part]
