"""Turn pydantic's validation errors into located, human ``Problem`` lines with did-you-mean hints."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from cluster_capacity.config.sources import Layered
from cluster_capacity.errors import Problem

_TYPE_NAMES = {
    "int": "an integer",
    "bool": "true or false",
    "str": "a string",
    "string": "a string",
    "dict": "a mapping",
    "list": "a list",
    "float": "a number",
    "NoneType": "null",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f'"{value}" (a string)'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"{value!r} (a {type(value).__name__})"


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _unwrap(arg) if a is not type(None)]
    return [annotation]


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that sits at ``loc`` (a path of aliases and indices), if any."""
    current: Any = model
    for part in loc:
        nxt: Any = None
        for candidate in _unwrap(current):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and isinstance(part, str):
                for name, info in candidate.model_fields.items():
                    if part in (info.alias, name):
                        nxt = info.annotation
            else:
                origin = typing.get_origin(candidate)
                args = typing.get_args(candidate)
                if origin is list and isinstance(part, int) and args:
                    nxt = args[0]
                elif origin is dict and isinstance(part, str) and len(args) == 2:
                    nxt = args[1]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for candidate in _unwrap(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def known_keys(model: type[BaseModel]) -> list[str]:
    """Keys a mapping of this model accepts, as written in files."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _message(err: Any, root: type[BaseModel]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        msg = "unknown key"
        if parent is not None:
            import difflib  # only to word an error: not on every start

            keys = known_keys(parent)
            close = difflib.get_close_matches(str(loc[-1]) if loc else "", keys, n=1, cutoff=0.6)
            if close:
                msg += f"; did you mean {close[0]!r}?"
            else:
                msg += f" (known keys: {', '.join(sorted(keys))})"
        return msg
    if kind == "missing":
        return "required key missing"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", ", ").replace("'", "")
        return f"must be one of {expected}, got {_describe(value)}"
    if kind.endswith(("_type", "_parsing")):
        wanted = _TYPE_NAMES.get(kind.split("_")[0], kind.split("_")[0])
        if kind in ("model_type", "model_attributes_type"):
            wanted = "a mapping"
        return f"must be {wanted}, got {_describe(value)}"
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}, got {value!r}"
    if kind == "greater_than":
        return f"must be > {ctx.get('gt')}, got {value!r}"
    if kind == "string_too_short":
        return "must not be empty"
    msg = str(err.get("msg", kind))
    return msg[0].lower() + msg[1:] if msg else kind


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """The part of pydantic's ``loc`` that is a path in the data; union member tags (``str``) are not."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and isinstance(part, str):
            path.append(part)
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int):
            path.append(part)
            current = current[part] if part < len(current) else None
        else:
            break
    return tuple(path)


def problems_from_pydantic(
    exc: PydanticValidationError, layered: Layered, root: type[BaseModel], data: Any = None
) -> list[Problem]:
    """One ``Problem`` per pydantic error, located in the file and line that set the value."""
    out = []
    for err in exc.errors():
        loc = _data_path(tuple(err["loc"]), layered.data if data is None else data)
        out.append(layered.problem(loc, _message({**err, "loc": loc}, root)))
    return sorted(set(out), key=lambda p: (p.file, p.line, p.path))
