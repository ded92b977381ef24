"""Putting an edit back into a file as its author wrote it, and writing it safely.

``merge3`` is a small diff3: the editor's rendering of the file before (base) and after the edit,
against the original text. Lines the editor would re-format but the edit did not touch stay exactly as
they were; only the edited lines come from the editor.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ChangedMeanwhile", "TextForm", "indent_style", "merge3", "untab_comments", "write_atomic"]

_BOM = "\ufeff"


@dataclass(frozen=True)
class TextForm:
    """How a file is written down: byte-order mark, line ending, and the text without either."""

    bom: str
    newline: str
    raw: str  # without the byte-order mark, line endings as they are
    body: str  # without the byte-order mark, "\n" line endings

    @classmethod
    def of(cls, text: str) -> TextForm:
        bom = _BOM if text.startswith(_BOM) else ""
        raw = text[len(bom) :]
        crlf = raw.count("\r\n")
        newline = "\r\n" if crlf and crlf * 2 >= raw.count("\n") else "\n"
        return cls(bom, newline, raw, raw.replace("\r\n", "\n"))

    def native(self, text: str) -> str:
        """``text`` (with "\\n" endings) in this file's line ending."""
        return text if self.newline == "\n" else text.replace("\n", self.newline)


def _lines(text: str) -> list[str]:
    # split on "\n" only: str.splitlines also splits on \x0b, \x1c, \u2028 and friends
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


Hunk = tuple[int, int, list[str], str]  # base lines [start, end) become these lines; "o" or "e"


def _hunks(base: list[str], other: list[str], lines: list[str], side: str) -> list[Hunk]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    out: list[Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            # line for line: one hunk per line, so a re-formatted line next to an edit stays apart
            out.extend((i1 + k, i1 + k + 1, [lines[j1 + k]], side) for k in range(i2 - i1))
        else:
            out.append((i1, i2, lines[j1:j2], side))
    return out


def _overlap(a: Hunk, b: Hunk) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # both insert at the same place
    return a[0] < b[1] and b[0] < a[1]


def merge3(original: str, base: str, edited: str, newline: str = "\n") -> str:
    """``original`` with the change from ``base`` to ``edited`` applied.

    The author's differences from ``base`` (formatting the editor would change) and the edit's are
    both applied where they do not overlap; where they do, the edit's lines win (an insertion at the
    same place goes before the author's, which keeps a document-end ``...`` last). ``original`` keeps its
    own line endings; lines from ``edited`` get ``newline``.
    """
    o_raw = _lines(original)
    o = [line.replace("\r\n", "\n") for line in o_raw]
    b, e = _lines(base), _lines(edited)
    e_native = [line.replace("\n", newline) for line in e]
    b_native = [line.replace("\n", newline) for line in b]
    hunks = sorted(
        _hunks(b, o, o_raw, "o") + _hunks(b, e, e_native, "e"), key=lambda h: (h[0], h[1], h[3] == "o")
    )
    to_o: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, b, o, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            to_o[block.a + k] = block.b + k

    out: list[str] = []
    pos = 0

    def copy_base(upto: int) -> None:
        nonlocal pos
        for i in range(pos, upto):
            out.append(o_raw[to_o[i]] if i in to_o else b_native[i])
        pos = max(pos, upto)

    i = 0
    while i < len(hunks):
        cluster = [hunks[i]]
        i += 1
        while i < len(hunks) and any(_overlap(hunks[i], h) for h in cluster):
            cluster.append(hunks[i])
            i += 1
        copy_base(min(h[0] for h in cluster))
        sides = {h[3] for h in cluster}
        if len(sides) == 1 or all(h[0] == h[1] for h in cluster):
            for h in sorted(cluster, key=lambda h: (h[0], h[3] == "o")):
                copy_base(h[0])
                out.extend(h[2])
                pos = max(pos, h[1])
        else:  # the edit and the author's formatting touch the same lines: the edit's version
            end = max(h[1] for h in cluster)
            for h in (h for h in cluster if h[3] == "e"):
                out.extend(b_native[pos : h[0]])
                out.extend(h[2])
                pos = h[1]
            out.extend(b_native[pos:end])
            pos = end
    copy_base(len(b))
    return "".join(out)


_TAB_BEFORE_COMMENT = re.compile(r"(?<=\S)([ \t]*\t[ \t]*)(?=#)")


def untab_comments(text: str) -> str:
    """Spaces for tabs before a ``#`` comment: valid YAML (and read so by the renderer), which
    ruamel's scanner refuses."""
    if "\t" not in text:
        return text
    return _TAB_BEFORE_COMMENT.sub(lambda m: " " * len(m[1]), text)


_KEY_ONLY = re.compile(r"^ *[^\s#-][^:]*:\s*(#.*)?$")


def indent_style(text: str) -> tuple[int, int, int]:
    """The file's (mapping, sequence, offset) indentation, as ruamel's ``indent()`` takes it."""
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    mapping: int | None = None
    sequence: int | None = None
    offset = 0
    for prev, line in itertools.pairwise(lines):
        if not _KEY_ONLY.match(prev):
            continue
        parent = len(prev) - len(prev.lstrip(" "))
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") or stripped == "-":
            if sequence is None and indent >= parent:
                dash = re.match(r"^ *- *", line)
                width = max(2, len(dash[0]) - indent) if dash else 2
                offset, sequence = indent - parent, indent - parent + width
        elif mapping is None and indent > parent:
            mapping = indent - parent
        if mapping is not None and sequence is not None:
            break
    mapping = mapping or 2
    if sequence is None:
        sequence, offset = mapping + 2, mapping
    return mapping, max(sequence, offset + 2), offset


class ChangedMeanwhile(Exception):
    """The file is not what was read: someone else wrote it since."""


def write_atomic(path: Path, data: bytes, *, expect: bytes | None = None, new: bool = False) -> None:
    """Write ``data`` to ``path`` (its target, when a symlink) through a temp file and ``os.replace``.

        A new file's mode follows the umask; an existing file keeps its mode. With ``expect`` the file must
        still hold exactly those bytes, and with ``new`` it must not exist (both checked under a lock on its
    folder), or ``ChangedMeanwhile`` is raised.
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent):
        _remove_temp_leftovers(target)
        try:
            current = target.read_bytes()
            mode: int | None = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            current, mode = None, None
        if (expect is not None and current != expect) or (new and current is not None):
            raise ChangedMeanwhile(str(target))
        tmp = target.parent / f".{target.name}.cc-{os.urandom(4).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if mode is not None:
                    os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _remove_temp_leftovers(target: Path) -> None:
    prefix = f".{target.name}.cc-"
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                entry.unlink()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
