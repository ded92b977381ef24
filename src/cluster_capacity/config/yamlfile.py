"""Reading a YAML file a person wrote, safely: plain data and the line of every key and list item.

Limits keep a hostile or broken file from hanging or exhausting the machine: size, nesting depth,
values after alias expansion; FIFOs and devices are refused rather than read. Merge keys (``<<``) work
as in YAML 1.1, tags beyond the JSON-like core are refused, and mapping keys become strings as helm
makes them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from cluster_capacity.errors import ConfigError, Problem

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_VALUES", "PathKey", "format_path", "load_mapping", "read_text"]

PathKey = tuple[str | int, ...]


def format_path(path: Sequence[str | int]) -> str:
    """``("machineSets", 0, "taints")`` -> ``machineSets[0].taints``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


#: Values files are a few kilobytes; anything this large is a mistake (or an attack).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Deeper than any real values file (providerSpec goes about 7 levels down).
MAX_DEPTH = 64
#: Values after expanding aliases: stops "billion laughs" files before they eat the memory.
MAX_VALUES = 1_000_000

_TAG = "tag:yaml.org,2002:"


def read_text(path: Path) -> str:
    """The text of a YAML file a person wrote (a byte-order mark kept); refuses what is not one."""
    name = str(path)

    def fail(message: str, line: int = 0) -> ConfigError:
        return ConfigError([Problem(name, line, "", message)])

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError as exc:
        raise fail("file not found") from exc
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise fail("is a directory, expected a YAML file")
        raise fail("is not a regular file (a FIFO, socket or device): expected a YAML file")
    with os.fdopen(fd, "rb") as handle:
        try:
            raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise fail(f"cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, the limit for a values file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line) from exc


def load_mapping(text: str, name: str) -> tuple[dict[str, Any], dict[PathKey, int]]:
    """Parse one YAML mapping, recording the line of every key and list item."""
    text = text.removeprefix("\ufeff")
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            what = exc.problem or exc.context or "invalid YAML"
            if "expected a single document" in str(exc):
                what = "holds more than one YAML document; a values file is a single mapping"
            raise ConfigError([Problem(name, line, "", f"invalid YAML: {what}")]) from exc
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
            raise ConfigError(
                [
                    Problem(
                        name, line, "", f"invalid YAML: character U+{char:04X} is not allowed ({exc.reason})"
                    )
                ]
            ) from exc
        except yaml.YAMLError as exc:
            raise ConfigError([Problem(name, 0, "", f"invalid YAML: {str(exc).splitlines()[0]}")]) from exc
        if node is None:
            return {}, {}
        # without an anchor no node is shared: one cheap walk proves the file within the limits
        if "&" in text or not _fits(node):
            _check_shape(node, name)
        builder = _Builder(loader, name)
        data = builder.build(node, ())
    finally:
        loader.dispose()
    if builder.problems:
        raise ConfigError(builder.problems)
    if not isinstance(data, dict):
        kind = {list: "list"}.get(type(data), "scalar" if data is not None else "null")
        raise ConfigError([Problem(name, node.start_mark.line + 1, "", f"must be a mapping, got a {kind}")])
    return data, builder.lines


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _fits(root: yaml.Node) -> bool:
    """Whether a tree of nodes (no node reached twice) is within ``MAX_DEPTH`` and ``MAX_VALUES``.

    For such a tree it is exactly when `_check_shape` passes, at a fraction of its cost (a fleet parses
    a thousand files).
    """
    count = 0
    stack = [(root, 1)]
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode
    while stack:
        node, depth = stack.pop()
        count += 1
        kind = type(node)
        if kind is mapping or kind is sequence:
            if depth >= MAX_DEPTH:
                return False  # its children would be deeper than the limit
            below = depth + 1
            if kind is mapping:
                for key, value in node.value:
                    stack.append((key, below))
                    stack.append((value, below))
            else:
                stack.extend([(item, below) for item in node.value])
    return count <= MAX_VALUES


def _check_shape(root: yaml.Node, name: str) -> None:
    """Refuse recursive aliases, nesting deeper than ``MAX_DEPTH`` and more than ``MAX_VALUES`` values.

    Aliases share nodes, so sizes are memoised per node: this is linear in the file, however far its
    aliases would expand.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]

    def fail(node: yaml.Node, message: str) -> ConfigError:
        return ConfigError([Problem(name, node.start_mark.line + 1, "", message)])

    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_VALUES:
                raise fail(node, f"expands (through aliases) to more than {MAX_VALUES} values")
            if depth[key] > MAX_DEPTH:
                raise fail(node, f"nested more than {MAX_DEPTH} levels deep")
            continue
        if key in size:
            continue
        if key in open_:
            raise fail(node, "an alias refers to a node that contains it (recursive alias)")
        open_.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


class _Builder:
    """Builds plain data (str keys; str, int, float, bool, None, list, dict) with the line of every path."""

    def __init__(self, loader: Any, name: str) -> None:
        self.loader = loader
        self.name = name
        self.lines: dict[PathKey, int] = {}
        self.problems: list[Problem] = []

    def _problem(self, node: yaml.Node, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.name, node.start_mark.line + 1, format_path(path), message))

    def build(self, node: yaml.Node, path: PathKey, *, merged: bool = False) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self._problem(node, path, f"unsupported YAML tag {_short(node.tag)}")
            return [self.build(item, (*path, i), merged=merged) for i, item in enumerate(node.value)]
        if node.tag != _TAG + "map":
            self._problem(node, path, f"unsupported YAML tag {_short(node.tag)}")
        out: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merges.append(value_node)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            child = (*path, key)
            if key in out:
                self._problem(key_node, child, "duplicate key")
                continue
            if merged:  # keys the mapping sets itself keep their own lines
                self.lines.setdefault(child, key_node.start_mark.line + 1)
            else:
                self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child, merged=merged)
        # merge keys (<<: *base) fill in what the mapping does not set itself; earlier merges win
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self._problem(merge, path, "a merge key (<<) takes a mapping or a list of mappings")
                    continue
                for key, value in self.build(source, path, merged=True).items():
                    out.setdefault(key, value)
        return out

    def _key(self, node: yaml.Node, path: PathKey) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self._problem(node, path, "a mapping key must be a plain value, not a list or mapping")
            return None
        value = self._scalar(node, path)
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        return value if isinstance(value, str) else node.value

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        tag = node.tag
        if tag == _TAG + "str":
            if node.style == '"' and any("\ud800" <= ch <= "\udfff" for ch in node.value):
                self._problem(
                    node, path, "holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
                )
            return node.value
        if tag in (_TAG + "timestamp", _TAG + "binary"):
            return node.value  # kept as written, as helm passes dates on as strings
        if tag in (_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"):
            return self.loader.construct_object(node)
        self._problem(node, path, f"unsupported YAML tag {_short(tag)}")
        return node.value


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
