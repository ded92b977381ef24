"""Round-trip edits of YAML files a person owns (values files, the project file).

Comments, key order, quoting and unrelated keys survive (ruamel.yaml round-trip mode). Writes are atomic
(temp file in the same folder, then ``os.replace``), so a failed edit never loses the user's file; a dry
run returns the unified diff instead of writing.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cluster_capacity.errors import ConfigError, Problem

__all__ = ["YamlDocument", "atomic_write", "to_yaml"]

Key = str | int


class YamlDocument:
    """One YAML file, loaded for editing; ``data`` is the ruamel round-trip tree."""

    def __init__(self, path: Path, text: str, data: Any, *, existed: bool) -> None:
        self.path = path
        self.original = text
        self.data = data
        self.existed = existed

    @classmethod
    def load(cls, path: str | Path, *, create: bool = False, header: str = "") -> YamlDocument:
        """Read ``path``; with ``create`` a missing file is an empty mapping (``header`` as its first lines)."""
        from ruamel.yaml.comments import CommentedMap
        from ruamel.yaml.error import YAMLError

        path = Path(path)
        if not path.exists():
            if not create:
                raise ConfigError(f"{path}: no such file")
            data = CommentedMap()
            if header:
                data.yaml_set_start_comment(header.rstrip("\n"))
            return cls(path, "", data, existed=False)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        try:
            data = _yaml(text).load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            raise ConfigError(
                [Problem(str(path), line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
            ) from exc
        if data is None:
            data = CommentedMap()
        if not isinstance(data, dict):
            raise ConfigError([Problem(str(path), 1, "", "must be a mapping at the top level")])
        return cls(path, text, data, existed=True)

    # -- reading and editing ------------------------------------------------------------------------------

    def get(self, path: Sequence[Key], default: Any = None) -> Any:
        """The value at ``path`` (keys and list indexes), or ``default``."""
        node: Any = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def set(self, path: Sequence[Key], value: Any) -> bool:
        """Set the value at ``path``, creating mappings on the way; True when something changed."""
        from ruamel.yaml.comments import CommentedMap

        if not path:
            raise ValueError("empty path")
        node: Any = self.data
        for i, key in enumerate(path[:-1]):
            child = node[key] if _has(node, key) else None
            if not isinstance(child, (dict, list)):
                if isinstance(key, int):
                    raise ConfigError(f"{self.path}: {_dotted(path[: i + 1])}: no such list item")
                child = CommentedMap()
                node[key] = child
            node = child
        last = path[-1]
        if _has(node, last) and _plain(node[last]) == _plain(value):
            return False
        node[last] = value
        return True

    def append(self, path: Sequence[Key], item: Any) -> int:
        """Append ``item`` to the list at ``path`` (created when missing); returns its index."""
        from ruamel.yaml.comments import CommentedSeq

        current = self.get(path)
        if current is None:
            current = CommentedSeq()
            self.set(path, current)
        elif not isinstance(current, list):
            raise ConfigError(f"{self.path}: {_dotted(path)}: must be a list to add to it")
        item = to_yaml(item)
        if hasattr(current, "fa"):
            current.fa.set_block_style()  # `machineSets: []` grows into a block list, as people write it
        if current:
            # A blank line or comment after the old last item belongs after the list, not inside it.
            _move_trailing_comment(current[-1], item)
        current.append(item)
        return len(current) - 1

    # -- output ----------------------------------------------------------------------------------------

    def text(self) -> str:
        """The document as it would be written."""
        stream = io.StringIO()
        _yaml(self.original).dump(self.data, stream)
        return stream.getvalue()

    @property
    def changed(self) -> bool:
        """Whether the edits change the file (a new file always does)."""
        return not self.existed or self.text() != self.original

    def diff(self) -> str:
        """Unified diff from the file on disk to the edited document."""
        before = self.original.splitlines(keepends=True)
        after = self.text().splitlines(keepends=True)
        label = _display(self.path)
        return "".join(difflib.unified_diff(before, after, label if self.existed else "/dev/null", label))

    def save(self) -> bool:
        """Write atomically when changed; True when written."""
        if not self.changed:
            return False
        atomic_write(self.path, self.text())
        self.original, self.existed = self.text(), True
        return True


def to_yaml(value: Any) -> Any:
    """Plain data as round-trip nodes: block style, empty strings double-quoted like hand-written YAML."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        out = CommentedMap()
        for key, child in value.items():
            out[key] = to_yaml(child)
        return out
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq([to_yaml(v) for v in value])
    if isinstance(value, str) and _needs_quotes(value):
        return DoubleQuotedScalarString(value)
    return value


def _needs_quotes(text: str) -> bool:
    """Strings YAML would read as something else (``""``, ``"true"``, ``"1"``, ``"null"``)."""
    import yaml

    if text == "" or text != text.strip():
        return True
    try:
        return bool(yaml.safe_load(text) != text)
    except yaml.YAMLError:
        return True


def _deepest_last(node: Any) -> tuple[Any, Key | None]:
    while isinstance(node, (dict, list)) and node:
        key: Key = list(node.keys())[-1] if isinstance(node, dict) else len(node) - 1
        child = node[key]  # type: ignore[index]
        if isinstance(child, (dict, list)) and child:
            node = child
            continue
        return node, key
    return None, None


def _move_trailing_comment(old: Any, new: Any) -> None:
    src, src_key = _deepest_last(old)
    dst, dst_key = _deepest_last(new)
    if src is None or dst is None or not hasattr(src, "ca") or not hasattr(dst, "ca"):
        return
    slot_src = 2 if isinstance(src, dict) else 0
    slot_dst = 2 if isinstance(dst, dict) else 0
    tokens = src.ca.items.get(src_key)
    if not tokens or tokens[slot_src] is None:
        return
    token = tokens[slot_src]
    tokens[slot_src] = None
    entry = dst.ca.items.setdefault(
        dst_key, [None, None, None, None] if isinstance(dst, dict) else [None, None]
    )
    entry[slot_dst] = token


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def atomic_write(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and ``os.replace``: all or nothing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ConfigError(
                f"{path}: cannot write: {exc.strerror or exc}; the file was not changed"
            ) from exc
        raise


def _yaml(original: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long strings a person wrote on one line
    sequence, offset = _list_style(original)
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    return yaml


def _list_style(text: str) -> tuple[int, int]:
    """Keep the file's list style: ``key:\\n  - item`` (4, 2) or ``key:\\n- item`` (2, 0)."""
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], start=1):
        match = re.match(r"^( *)- ", line)
        if not match:
            continue
        parent = lines[i - 1]
        if re.match(r"^ *[^\s#-][^:]*:\s*$", parent):
            dash = len(match[1]) - (len(parent) - len(parent.lstrip(" ")))
            if dash >= 0:
                return dash + 2, dash
    return 4, 2


def _has(node: Any, key: Key) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and -len(node) <= key < len(node)
    return isinstance(node, dict) and key in node


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dotted(path: Sequence[Key]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
