"""The shared ground of the values models: the base model, the chart's lenient switches and counts.

The chart's own leniencies that are safe: its switches compare ``lower(value) == "true"``, so
``"true"``/``"false"`` strings mean what they say (any other string, which the chart silently read as
false, is refused); it printed replica counts as they were, so ``replicas: "3"`` rendered 3; and
``infraID: ""`` is its placeholder for "not set".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
Approval = Literal["Automatic", "Manual"]


def _chart_switch(value: Any) -> Any:
    """A chart switch (``enabled``, ``create``): the chart compares ``lower(printf "%v" x) == "true"``."""
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        raise PydanticCustomError(
            "chart_switch",
            'must be true or false, got "{value}" (a string); the Helm chart read every string but '
            '"true" as false, so write false if that is what you relied on',
            {"value": value},
        )
    return value


def _master_switch(value: Any) -> Any:
    """The top-level ``enabled``: the chart's ``{{ if .Values.enabled }}`` is true for any non-empty string."""
    if isinstance(value, str) and value.strip().lower() != "true":
        raise PydanticCustomError(
            "chart_switch",
            'must be true or false, got "{value}" (a string); the Helm chart rendered everything for any '
            'non-empty string here (even "false"), so write true to keep that, or false',
            {"value": value},
        )
    return _chart_switch(value)


def _blank_is_unset(value: Any) -> Any:
    """``infraID: ""`` is the chart's placeholder: not set (required only once a pool is enabled)."""
    return None if value == "" else value


def _digits(value: Any) -> Any:
    """A count the chart printed into the manifest as written: ``"3"`` rendered as the integer 3."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


_SWITCH_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "boolean"},
            {"type": "string", "pattern": "^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\\s*$"},
        ]
    }
)
#: A replica count that also takes the chart's digit strings.
Count = Annotated[
    int,
    BeforeValidator(_digits),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^\\s*[0-9]+\\s*$"}]}
    ),
]
#: A count of at least one (``maxReplicas``), in the editors' schema as in the model.
CountFromOne = Annotated[
    int,
    BeforeValidator(_digits),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": "^\\s*0*[1-9][0-9]*\\s*$"},
            ]
        }
    ),
]
#: A boolean switch that also takes the chart's ``"true"``/``"false"`` strings.
Switch = Annotated[bool, BeforeValidator(_chart_switch), _SWITCH_SCHEMA]
MasterSwitch = Annotated[
    bool,
    BeforeValidator(_master_switch),
    WithJsonSchema(
        {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": "^\\s*[Tt][Rr][Uu][Ee]\\s*$"}]}
    ),
]


def _served(kind: str, version: str) -> Any:
    """An ``apiVersion`` key the chart read: only the one version the CRD serves renders anything."""

    def check(value: Any) -> Any:
        if value != version:
            raise PydanticCustomError(
                "api_version",
                "must be {version}, the only version the {kind} CRD serves (got {got}; the chart "
                "wrote it into the object, which the API server refuses); remove the key",
                {"version": version, "kind": kind, "got": repr(value)},
            )
        return value

    check.served_version = version  # type: ignore[attr-defined]  # read by ``_spec``
    return BeforeValidator(check)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )


def _merged_over_defaults(schema: dict[str, Any]) -> None:
    """A mapping that values files merge over defaults: a file may give any of its keys (for editors)."""
    schema.pop("required", None)
