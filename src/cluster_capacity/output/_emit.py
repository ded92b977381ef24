"""A fast YAML emitter for rendered manifests, byte-identical to the canonical PyYAML dump.

The canonical form is ``yaml.dump(obj, sort_keys=True, default_flow_style=False, width=120)`` with
multi-line strings as literal blocks (see ``output.dump``). PyYAML's general emitter spends most of an
env's render time on events and style analysis; manifests only use a few shapes, so this module writes
those directly. Anything outside the shapes it knows exactly (non-ASCII or control characters, floats,
keys that are not strings, a line long enough to be folded, the same list or mapping reached twice)
raises ``Unsupported`` and the caller uses PyYAML for that object, so output never depends on which
path ran. A property test compares the two on generated objects.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Unsupported", "emit"]

WIDTH = 120
_MAX_SIMPLE_KEY = 128


class Unsupported(Exception):
    """The object holds something only the general emitter writes exactly."""


# Printable ASCII only: anything else is escaped in double quotes by the general emitter.
_ASCII_LINE = re.compile(r"[\x20-\x7e]*\Z")
_ASCII_TEXT = re.compile(r"[\x20-\x7e\n]*\Z")

# Strings a YAML 1.1 resolver reads as something other than a string (PyYAML's implicit resolvers):
# written plain they would change type, so they are quoted.
_IMPLICIT = re.compile(
    r"""(?x)
    (?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z
  | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?\Z
  | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?\Z
  | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*\Z
  | [-+]?\.(?:inf|Inf|INF)\Z
  | \.(?:nan|NaN|NAN)\Z
  | [-+]?0b[0-1_]+\Z
  | [-+]?0[0-7_]+\Z
  | [-+]?(?:0|[1-9][0-9_]*)\Z
  | [-+]?0x[0-9a-fA-F_]+\Z
  | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+\Z
  | <<\Z
  | (?:~|null|Null|NULL)\Z
  | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\Z
  | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
      (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
      (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?\Z
  | =\Z
    """
)

_cache: dict[str, tuple[str, bool]] = {}


def _plain_allowed(s: str) -> bool:
    """Whether a one-line printable-ASCII string may be written plain in block context."""
    if s[0] == " " or s[-1] == " ":
        return False
    if s.startswith(("---", "...")):
        return False
    first = s[0]
    if first in "#,[]{}&*!|>'\"%@`":
        return False
    if first in "?:-" and (len(s) == 1 or s[1] == " "):
        return False
    if ": " in s or s.endswith(":") or " #" in s:
        return False
    return _IMPLICIT.match(s) is None


def _scalar(s: str) -> tuple[str, bool]:
    """The written form of a one-line string and whether it may be folded (it holds a space)."""
    hit = _cache.get(s)
    if hit is not None:
        return hit
    if not s:
        out = ("''", False)
    elif _ASCII_LINE.match(s) is None:
        raise Unsupported(s)
    elif _plain_allowed(s):
        out = (s, " " in s)
    else:
        out = ("'" + s.replace("'", "''") + "'", " " in s)
    if len(_cache) < 100_000:
        _cache[s] = out
    return out


def _literal(s: str, indent: int) -> str:
    """A multi-line string as a literal block (header and lines), content indented by ``indent``."""
    if _ASCII_TEXT.match(s) is None or " \n" in s or s.endswith(" "):
        raise Unsupported(s)
    head = "|"
    if s[0] in " \n":
        head += "2"
    if not s.endswith("\n"):
        head += "-"
    elif s == "\n" or s.endswith("\n\n"):
        raise Unsupported(s)  # "keep" chomping: the general emitter also ends the document ("...")
    pad = " " * indent
    body = s[:-1] if s.endswith("\n") else s
    lines = [(pad + line) if line else "" for line in body.split("\n")]
    return head + "\n" + "\n".join(lines) + "\n"


def _key(k: Any) -> str:
    if type(k) is not str or "\n" in k:
        raise Unsupported(k)
    text, _ = _scalar(k)
    if len(text) > _MAX_SIMPLE_KEY:
        raise Unsupported(k)
    return text


def _value(v: Any, column: int, indent: int, out: list[str]) -> None:
    """Write a scalar value that starts at ``column``; nested content indents at ``indent``."""
    t = type(v)
    if t is str:
        if "\n" in v:
            out.append(_literal(v, indent))
            return
        text, foldable = _scalar(v)
        if foldable and column + len(text) > WIDTH:
            raise Unsupported(v)
        out.append(text + "\n")
    elif t is bool:
        out.append("true\n" if v else "false\n")
    elif t is int:
        out.append(f"{v}\n")
    elif v is None:
        out.append("null\n")
    else:
        raise Unsupported(v)


def _mapping(d: dict[Any, Any], indent: int, out: list[str], seen: set[int], first_col: int) -> None:
    """A block mapping whose first key is already positioned (at ``first_col``), the rest at ``indent``."""
    pad = " " * indent
    try:
        items = sorted(d.items())
    except TypeError as exc:
        raise Unsupported(d) from exc
    first = True
    for k, v in items:
        key = _key(k)
        col = first_col if first else indent
        if not first:
            out.append(pad)
        first = False
        _node_after_key(key, v, col, indent, out, seen)


def _node_after_key(key: str, v: Any, col: int, indent: int, out: list[str], seen: set[int]) -> None:
    t = type(v)
    if t is dict:
        if not v:
            out.append(key + ": {}\n")
            return
        _enter(v, seen)
        out.append(key + ":\n" + " " * (indent + 2))
        _mapping(v, indent + 2, out, seen, indent + 2)
    elif t is list:
        if not v:
            out.append(key + ": []\n")
            return
        _enter(v, seen)
        out.append(key + ":\n")
        _sequence(v, indent, out, seen)
    else:
        out.append(key + ": ")
        _value(v, col + len(key) + 2, indent + 2, out)


def _sequence(items: list[Any], indent: int, out: list[str], seen: set[int]) -> None:
    """A block sequence whose dashes sit at ``indent`` (each item starts on a new line)."""
    pad = " " * indent
    for item in items:
        out.append(pad)
        _item(item, indent, out, seen)


def _item(item: Any, indent: int, out: list[str], seen: set[int]) -> None:
    """One ``- item`` whose dash is already positioned at ``indent``."""
    t = type(item)
    if t is dict:
        if not item:
            out.append("- {}\n")
            return
        _enter(item, seen)
        out.append("- ")
        _mapping(item, indent + 2, out, seen, indent + 2)
    elif t is list:
        if not item:
            out.append("- []\n")
            return
        _enter(item, seen)
        out.append("- ")
        first = True
        for sub in item:
            if not first:
                out.append(" " * (indent + 2))
            first = False
            _item(sub, indent + 2, out, seen)
    else:
        out.append("- ")
        _value(item, indent + 2, indent + 2, out)


def _enter(obj: Any, seen: set[int]) -> None:
    # PyYAML would anchor a collection reached twice; the general path writes it out again instead
    if id(obj) in seen:
        raise Unsupported(obj)
    seen.add(id(obj))


def emit(obj: dict[str, Any]) -> str:
    """``obj`` (a mapping) as canonical block YAML; ``Unsupported`` when only PyYAML can write it."""
    if type(obj) is not dict:
        raise Unsupported(obj)
    if not obj:
        return "{}\n"
    out: list[str] = []
    seen: set[int] = {id(obj)}
    _mapping(obj, 0, out, seen, 0)
    return "".join(out)
