"""Round-trip edits of YAML files a person owns (values files, the project file).

ruamel.yaml (round-trip mode) makes the edit; the edit is then merged back into the file as it was
written (``_textmerge``), so every byte outside the change survives: comments, key order, quoting,
indentation, flow style, line endings, a byte-order mark, directives and ``---``/``...``. A symlinked
file is edited where it points. Writes are atomic (temp file beside the target, then ``os.replace``)
and refuse to overwrite a file that changed since it was read, so a failed or racing edit never loses
the user's file; a dry run returns the unified diff instead of writing.
"""

from __future__ import annotations

import copy
import difflib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cluster_capacity.config import _textmerge as tm
from cluster_capacity.errors import ConfigError, Problem

__all__ = ["YamlDocument", "atomic_write", "to_yaml"]

Key = str | int


class YamlDocument:
    """One YAML file, loaded for editing; ``data`` is the ruamel round-trip tree."""

    def __init__(self, path: Path, text: str, data: Any, *, existed: bool) -> None:
        self.path = path
        #: the file as read (decoded, byte-order mark and line endings as they are)
        self.original = text
        self.data = data
        self.existed = existed
        self._form = tm.TextForm.of(text)
        self._style = tm.indent_style(self._form.body) if existed else (2, 4, 2)
        #: the editor's rendering of the file before any edit: what the edit is a change against
        self._base = self._dump(data) if existed and data else ""

    @classmethod
    def load(cls, path: str | Path, *, create: bool = False, header: str = "") -> YamlDocument:
        """Read ``path``; with ``create`` a missing file is an empty mapping (``header`` as its first lines)."""
        from ruamel.yaml.comments import CommentedMap

        from cluster_capacity.config.yamlfile import read_text

        path = Path(path)
        if not os.path.lexists(path):
            if not create:
                raise ConfigError(f"{path}: no such file")
            data = CommentedMap()
            if header:
                data.yaml_set_start_comment(header.rstrip("\n"))
            return cls(path, "", data, existed=False)
        text = read_text(path)
        form = tm.TextForm.of(text)
        data = _parse(path, form.body)
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

    def _dump(self, data: Any) -> str:
        stream = io.StringIO()
        _yaml(self._style).dump(data, stream)
        return stream.getvalue()

    def text(self) -> str:
        """The document as it would be written: the original, with only the edit changed."""
        edited = self._dump(self.data)
        if not self.existed:
            return edited
        form = self._form
        if not self._base:  # the file held no data (empty, or only comments): the edit goes after it
            gap = "" if not form.raw or form.raw.endswith("\n") else form.newline
            merged = form.raw + gap + form.native(edited)
        else:
            merged = tm.merge3(form.raw, self._base, edited, form.newline)
            if not _same_data(merged, edited):
                # the merge could not place the edit exactly: the editor's whole rendering is safe
                if not _same_data(form.body, self._base):
                    raise ConfigError(
                        f"{self.path}: cannot edit this file without changing values outside the edit; "
                        f"make the change by hand"
                    )
                merged = form.native(edited)
        return form.bom + merged

    @property
    def changed(self) -> bool:
        """Whether the edits change the file (a new file always does)."""
        return not self.existed or self.text() != self.original

    def diff(self) -> str:
        """Unified diff from the file on disk to the edited document."""
        before = tm.TextForm.of(self.original).body.splitlines(keepends=True)
        after = tm.TextForm.of(self.text()).body.splitlines(keepends=True)
        label = _display(self.path)
        return "".join(difflib.unified_diff(before, after, label if self.existed else "/dev/null", label))

    def save(self) -> bool:
        """Write atomically when changed; True when written. Refuses when the file changed since it was read."""
        if not self.changed:
            return False
        text = self.text()
        atomic_write(self.path, text, expect=self.original if self.existed else None, new=not self.existed)
        self.original, self.existed = text, True
        self._form = tm.TextForm.of(text)
        self._base = self._dump(self.data)
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
    value = str(token.value)
    if value.lstrip(" \t").startswith("#"):  # an end-of-line comment stays on its line
        eol, _, rest = value.partition("\n")
        if not rest:
            return
        moved = copy.copy(token)
        token.value, moved.value = eol + "\n", "\n" + rest
        token = moved
    else:
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


def atomic_write(path: str | Path, text: str, *, expect: str | None = None, new: bool = False) -> None:
    """Write ``text`` to ``path`` (to its target, when a symlink) through a temp file: all or nothing.

    With ``expect`` the file must still hold exactly that, with ``new`` it must not exist yet: a
    concurrent edit is never overwritten.
    """
    try:
        old = None if expect is None else expect.encode("utf-8")
        tm.write_atomic(Path(path), text.encode("utf-8"), expect=old, new=new)
    except tm.ChangedMeanwhile as exc:
        raise ConfigError(f"{path}: changed while it was being edited; run the command again") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}; the file was not changed") from exc


def _parse(path: Path, body: str) -> Any:
    from ruamel.yaml.error import YAMLError

    from cluster_capacity.config.sources import parse_yaml

    # the renderer's own reading first, so both agree on what is valid YAML
    parse_yaml(body, str(path))
    try:
        return _yaml((2, 4, 2)).load(tm.untab_comments(body))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError(
            [Problem(str(path), line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from exc


def _same_data(a: str, b: str) -> bool:
    """Whether two texts hold the same values, read the way the renderer reads them."""
    from cluster_capacity.config.sources import parse_yaml

    try:
        return parse_yaml(a, "a").data == parse_yaml(b, "b").data
    except ConfigError:
        return False


def _yaml(style: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long strings a person wrote on one line
    mapping, sequence, offset = style
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


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
