"""Writes ``records.json``: the pydantic models' fields as data, for the fast path of ``_records``.

The fast path builds plain records from merged values without importing pydantic (whose import and
schema build are most of a one-env render). It needs each model's fields, aliases, defaults and
constraints; this module reads them from the models, so the models stay the one definition.
``scripts/gen_records_spec.py`` writes the file; a test fails when it is out of date.

Each field's type is written in the strict form the fast path accepts; what it does not accept (the
chart's ``"true"`` strings and digit counts, a blank ``infraID``, snake_case keys, anything unusual)
goes to pydantic, which converts it or reports it.
"""

from __future__ import annotations

import datetime
import json
import types
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticUndefined

from cluster_capacity.config import _fields, _logic
from cluster_capacity.config.models import Values
from cluster_capacity.config.project_models import Project

ROOTS: tuple[type[BaseModel], ...] = (Values, Project)

_SWITCHES = {_fields._chart_switch, _fields._master_switch}  # bool only on the fast path
_NO_OPS = {_fields._digits, _fields._blank_is_unset}  # int only; "" fails min_length: pydantic decides


def _constraints(metadata: list[Any]) -> tuple[dict[str, Any], Any]:
    """The constraints of a field or an ``Annotated`` type, and a ``const`` value if one is required."""
    out: dict[str, Any] = {}
    const: Any = PydanticUndefined
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            out["ge"] = item.ge
        elif isinstance(item, annotated_types.MinLen):
            out["min"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            out["max"] = item.max_length
        elif getattr(item, "pattern", None) is not None:
            pattern = item.pattern
            if not (pattern.startswith("^") and pattern.endswith("$")):
                raise ValueError(f"pattern {pattern!r}: the fast path takes anchored patterns only")
            out["pattern"] = pattern
        elif isinstance(item, WithJsonSchema):
            continue
        elif isinstance(item, BeforeValidator):
            version = getattr(item.func, "served_version", None)
            if version is not None:
                const = version
            elif item.func not in _SWITCHES | _NO_OPS:
                raise ValueError(f"validator {item.func!r}: say in _spec what the fast path accepts")
        else:
            raise ValueError(f"constraint {item!r}: say in _spec what the fast path accepts")
    return out, const


def _type(annotation: Any, metadata: list[Any], models: dict[str, Any]) -> dict[str, Any]:
    """The strict type description of ``annotation`` (constraints in ``metadata`` apply to it)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _type(inner, [*extra, *metadata], models)
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
        others = [m for m in members if m is not type(None)]
        if len(others) == 1:
            described = _type(others[0], metadata, models)
        else:
            described = {"type": "union", "of": [_type(m, metadata, models) for m in others]}
        return {"type": "optional", "of": described} if len(others) < len(members) else described
    constraints, const = _constraints(metadata)
    if const is not PydanticUndefined:
        return {"type": "const", "value": const}
    if annotation is bool:
        return {"type": "bool"}
    if annotation is int:
        return {"type": "int", **{k: v for k, v in constraints.items() if k == "ge"}}
    if annotation is str:
        return {"type": "str", **{k: v for k, v in constraints.items() if k != "ge"}}
    if annotation is datetime.date:
        return {"type": "date"}
    if annotation is Any:
        return {"type": "any"}
    if origin is typing.Literal:
        return {"type": "enum", "values": list(typing.get_args(annotation))}
    if origin is dict:
        key, value = typing.get_args(annotation)
        if key is not str:
            raise ValueError(f"{annotation!r}: only str keys")
        return {"type": "dict", "values": _type(value, [], models)}
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "list", "items": _type(item, [], models)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _model(annotation, models)
        return {"type": "model", "name": annotation.__name__}
    raise ValueError(f"{annotation!r}: say in _spec what the fast path accepts")


def _default(info: Any) -> list[Any]:
    if info.is_required():
        return ["required"]
    if info.default_factory is not None:
        made = info.default_factory()
        if made not in ({}, []):
            raise ValueError(f"default factory {info.default_factory!r}: only dict and list")
        return ["factory", type(made).__name__]
    if isinstance(info.default, BaseModel):
        return ["model", info.default.model_dump(by_alias=True)]
    json.dumps(info.default)  # a plain value, written as it is
    return ["value", info.default]


def _model(model: type[BaseModel], models: dict[str, Any]) -> None:
    name = model.__name__
    if name in models:
        if models[name] is not None and models[name]["module"] != model.__module__:
            raise ValueError(f"two models are named {name}")
        return
    models[name] = None  # being described (models may nest)
    fields = []
    for attr, info in model.model_fields.items():
        alias = info.alias or attr
        fields.append([attr, alias, _type(info.annotation, list(info.metadata), models), _default(info)])
    mixins = [c.__name__ for c in model.__mro__ if c.__module__ == _logic.__name__]
    links = {}
    for key in sorted(model.__class_vars__):
        value = getattr(model, key)
        if isinstance(value, type) and issubclass(value, BaseModel):
            _model(value, models)
            links[key] = value.__name__
    models[name] = {"module": model.__module__, "mixins": mixins, "links": links, "fields": fields}


def generate() -> str:
    """The text of ``records.json``, from the models as they are."""
    models: dict[str, Any] = {}
    for root in ROOTS:
        _model(root, models)
    spec = {
        "about": "generated by scripts/gen_records_spec.py from the config models; do not edit",
        "chart_defaults": Values().model_dump(by_alias=True, exclude_none=True),
        "models": dict(sorted(models.items())),
    }
    return json.dumps(spec, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
