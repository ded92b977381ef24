"""Label and field selectors, evaluated the way the API server does.

Label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x,y)``, ``a`` (exists), ``!a``.
Field selectors: ``=``, ``==``, ``!=`` on a fixed set of fields; other fields are a 400, as on a real server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Matcher = Callable[[Mapping[str, Any]], bool]

#: Fields every kind supports, plus the per-kind extras a real server knows.
FIELD_SELECTORS: dict[str, tuple[str, ...]] = {
    "*": ("metadata.name", "metadata.namespace"),
    "pods": ("spec.nodeName", "status.phase", "spec.schedulerName", "spec.serviceAccountName"),
    "nodes": ("spec.unschedulable",),
    "events": ("involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "reason", "type"),
}


class SelectorError(ValueError):
    """A selector the API server would reject with 400 Bad Request."""


_REQ = re.compile(
    r"""^\s*(?:
        (?P<notexists>!\s*(?P<nk>[^\s,=!()]+))
      | (?P<setkey>[^\s,=!()]+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)
      | (?P<eqkey>[^\s,=!()]+)\s*(?P<eqop>==|=|!=)\s*(?P<eqval>[^\s,=!()]*)
      | (?P<exists>[^\s,=!()]+)
    )\s*(?:,|$)""",
    re.VERBOSE,
)


def parse_label_selector(selector: str) -> Matcher:
    """Compile a label selector string into a predicate over an object's labels."""
    requirements: list[Matcher] = []
    rest = selector.strip()
    while rest:
        match = _REQ.match(rest)
        if not match:
            raise SelectorError(f"unable to parse requirement: {rest!r}")
        rest = rest[match.end() :].strip()
        requirements.append(_requirement(match))
    return lambda labels: all(req(labels) for req in requirements)


def _requirement(m: re.Match[str]) -> Matcher:
    if m["notexists"]:
        key = m["nk"]
        return lambda labels: key not in labels
    if m["setkey"]:
        key, op = m["setkey"], m["op"]
        values = {v.strip() for v in m["values"].split(",") if v.strip()}
        if op == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: key not in labels or labels[key] not in values
    if m["eqkey"]:
        key, op, value = m["eqkey"], m["eqop"], m["eqval"]
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    key = m["exists"]
    return lambda labels: key in labels


def parse_field_selector(selector: str, plural: str) -> Matcher:
    """Compile a field selector for ``plural``; unsupported fields raise ``SelectorError``."""
    allowed = FIELD_SELECTORS["*"] + FIELD_SELECTORS.get(plural, ())
    requirements: list[Matcher] = []
    for part in (p.strip() for p in selector.split(",")):
        if not part:
            continue
        match = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", part)
        if not match:
            raise SelectorError(f"invalid selector: {part!r}; can't understand {part!r}")
        field, op, value = match.groups()
        if field not in allowed:
            raise SelectorError(f"field label not supported: {field}")
        requirements.append(_field_requirement(field, op, value))
    return lambda obj: all(req(obj) for req in requirements)


def _field_requirement(field: str, op: str, value: str) -> Matcher:
    def get(obj: Mapping[str, Any]) -> str:
        node: Any = obj
        for part in field.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            return ""
        if isinstance(node, bool):
            return "true" if node else "false"
        return str(node)

    if op == "!=":
        return lambda obj: get(obj) != value
    return lambda obj: get(obj) == value
