"""The fast path: plain records of the values and the project file, built without pydantic.

Importing pydantic and building the models' validators costs more than the rest of a one-env render
together. Most files are already in the strict form the models ask for, so this module checks the
merged data against the models' own fields (``records.json``, written from the models by ``_spec``) and
builds records that behave like the models: the same attributes, the same properties (the mixins of
``_logic``), equality and ``model_dump``.

It accepts only what the models accept *unchanged*: a real boolean for a switch, an integer for a count,
camelCase keys, ASCII strings for patterns. Anything else (the chart's ``"true"`` strings, ``replicas:
"3"``, a blank ``infraID``, an unknown key, a wrong type) raises ``Unfit``, and the caller hands the
data to the models, which convert it or explain every problem with its file and line.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any, ClassVar

from cluster_capacity.config import _logic

SPEC_FILE = Path(__file__).with_name("records.json")

_Field = tuple[str, str, dict[str, Any], list[Any]]  # attribute, key in files, type, default


class Unfit(Exception):
    """The data is not in the strict form the fast path takes: the models decide."""


class Record:
    """A frozen record of one model's fields (the fast path's stand-in for a pydantic model)."""

    __slots__ = ()
    _fields: ClassVar[tuple[_Field, ...]] = ()
    _keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **given: Any) -> None:
        """A record from attribute values (the rest take their defaults), as the models' constructor."""
        for attr, _key, kind, default in self._fields:
            object.__setattr__(self, attr, given.pop(attr) if attr in given else _default(kind, default))
        if given:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(given))}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f[0]) for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f[0]}={getattr(self, f[0])!r}" for f in self._fields)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self).__name__, self._values()))

    def model_dump(self, *, by_alias: bool = False, exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain data, as the models' ``model_dump`` gives them."""
        out = {}
        for attr, key, _kind, _default_value in self._fields:
            value = getattr(self, attr)
            if value is None and exclude_none:
                continue
            out[key if by_alias else attr] = _dump(value, by_alias, exclude_none)
        return out


def _dump(value: Any, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(value, Record):
        return value.model_dump(by_alias=by_alias, exclude_none=exclude_none)
    if isinstance(value, dict):
        return {k: _dump(v, by_alias, exclude_none) for k, v in value.items()}
    if isinstance(value, list):
        return [_dump(v, by_alias, exclude_none) for v in value]
    return value


def _rebuild(name: str, values: tuple[Any, ...]) -> Record:
    record = CLASSES[name].__new__(CLASSES[name])
    for field, value in zip(CLASSES[name]._fields, values, strict=True):
        object.__setattr__(record, field[0], value)
    return record


def _default(kind: dict[str, Any], default: list[Any]) -> Any:
    how = default[0]
    if how == "value":
        return default[1]
    if how == "factory":
        return {} if default[1] == "dict" else []
    if how == "model":
        return build(kind["name"], default[1])
    raise Unfit  # required, and not given


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(pattern: str) -> re.Pattern[str]:
    """An anchored pattern as pydantic's regex engine reads it: ``$`` is the very end of the text."""
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        compiled = _PATTERNS[pattern] = re.compile(pattern[:-1] + r"\Z")
    return compiled


def _value(kind: dict[str, Any], value: Any) -> Any:
    """``value`` as the model field of type ``kind`` holds it, or ``Unfit``."""
    t = kind["type"]
    if t == "str":
        if (
            type(value) is str
            and len(value) >= kind.get("min", 0)
            and len(value) <= kind.get("max", len(value))
        ):
            pattern = kind.get("pattern")
            if pattern is None or (value.isascii() and _pattern(pattern).match(value)):
                return value
    elif t == "bool":
        if type(value) is bool:
            return value
    elif t == "int":
        if type(value) is int and value >= kind.get("ge", value):
            return value
    elif t == "any":
        return value
    elif t == "optional":
        return None if value is None else _value(kind["of"], value)
    elif t == "model":
        if type(value) is dict:
            return build(kind["name"], value)
    elif t == "dict":
        if type(value) is dict and all(type(k) is str for k in value):
            return {k: _value(kind["values"], v) for k, v in value.items()}
    elif t == "list":
        if type(value) is list:
            return [_value(kind["items"], v) for v in value]
    elif t in ("enum", "const"):
        allowed = kind["values"] if t == "enum" else [kind["value"]]
        if type(value) is str and value in allowed:
            return value
    elif t == "union":
        for member in kind["of"]:
            try:
                return _value(member, value)
            except Unfit:
                continue
    elif t == "date" and type(value) is datetime.date:
        return value
    raise Unfit


def build(name: str, data: Any) -> Any:
    """The record of model ``name`` holding ``data``, or ``Unfit`` when the models must decide."""
    cls = CLASSES[name]
    if type(data) is not dict or not cls._keys.issuperset(data):
        raise Unfit
    record = cls.__new__(cls)
    for attr, key, kind, default in cls._fields:
        value = _value(kind, data[key]) if key in data else _default(kind, default)
        object.__setattr__(record, attr, value)
    return record


def default_record(name: str) -> Any:
    """A record of model ``name`` with every field at its default (``HealthCheck()``, say)."""
    return CLASSES[name]()


def chart_defaults() -> dict[str, Any]:
    """The defaults as a values mapping (the models' ``Values().model_dump(by_alias=True, exclude_none=True)``)."""
    defaults: dict[str, Any] = _SPEC["chart_defaults"]
    return defaults


def _classes(models: dict[str, Any]) -> dict[str, type[Record]]:
    classes: dict[str, type[Record]] = {}
    for name, model in models.items():
        bases = tuple(getattr(_logic, mixin) for mixin in model["mixins"])
        fields = tuple((attr, key, kind, default) for attr, key, kind, default in model["fields"])
        namespace = {
            "__slots__": tuple(f[0] for f in fields),
            "__module__": __name__,
            "__qualname__": name,
            "_fields": fields,
            "_keys": frozenset(f[1] for f in fields),
        }
        classes[name] = type(name, (*bases, Record), namespace)
    for name, model in models.items():
        for attr, linked in model["links"].items():
            setattr(classes[name], attr, classes[linked])
    return classes


_SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
CLASSES = _classes(_SPEC["models"])
