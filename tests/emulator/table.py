"""Server-side printing: the ``Table`` kubectl asks for (``Accept: application/json;as=Table;g=meta.k8s.io;v=v1``).

Custom resources get the CRD's ``additionalPrinterColumns`` (``Age`` alone when it has none), as the
CRD table convertor builds them; the built-in kinds the emulator serves get their printers' main
columns; any other built-in the default ``Name``, ``Created At``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from .crds import Crds
from .resources import ResourceType

Obj = dict[str, Any]
Cell = Callable[[Obj], Any]

_AGE_COLUMN: Obj = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def wants_table(accept: str) -> bool:
    """Whether an Accept header asks for a meta.k8s.io Table (first choice)."""
    first = accept.split(",")[0]
    params = {p.strip() for p in first.split(";")[1:]}
    return "as=Table" in params


def to_table(
    rtype: ResourceType,
    objects: list[Obj],
    resource_version: str,
    crds: Crds | None,
    now: dt.datetime,
    include: str = "Metadata",
) -> Obj:
    """A Table of ``objects`` (one row each, the object as ``includeObject`` asks)."""
    definitions, cells = _columns(rtype, crds, now)
    rows = []
    for obj in objects:
        row: Obj = {"cells": [cell(obj) for cell in cells]}
        if include == "Object":
            row["object"] = copy.deepcopy(obj)
        elif include != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": copy.deepcopy(obj.get("metadata") or {}),
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }


def _columns(rtype: ResourceType, crds: Crds | None, now: dt.datetime) -> tuple[list[Obj], list[Cell]]:
    name: Obj = {"name": "Name", "type": "string", "format": "name", "description": "Name of the object"}
    definitions, cells = [name], [_path(".metadata.name")]
    crd = crds.version(rtype) if crds is not None else None
    if not rtype.builtin:
        columns = list(crd.printer_columns) if crd is not None and crd.printer_columns else [_AGE_COLUMN]
        for column in columns:
            definitions.append(
                {
                    "name": column["name"],
                    "type": column.get("type", "string"),
                    "format": column.get("format", ""),
                    "description": column.get("description")
                    or f"Custom resource definition column (in JSONPath format): {column['jsonPath']}",
                    "priority": column.get("priority", 0),
                }
            )
            cells.append(_typed(column.get("type", "string"), _path(column["jsonPath"]), now))
        return definitions, cells
    for title, kind, cell in _BUILTIN.get(
        rtype.kind, [("Created At", "date", _path(".metadata.creationTimestamp"))]
    ):
        definitions.append({"name": title, "type": kind, "format": "", "description": title, "priority": 0})
        cells.append(_typed(kind, cell, now) if kind == "date" and title == "Age" else cell)
    return definitions, cells


def _path(json_path: str) -> Cell:
    parts = [p for p in json_path.strip(".").split(".") if p]

    def get(obj: Obj) -> Any:
        node: Any = obj
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    return get


def _typed(kind: str, get: Cell, now: dt.datetime) -> Cell:
    def cell(obj: Obj) -> Any:
        value = get(obj)
        if value is None:
            return None
        if kind == "date":
            return human_age(value, now) if isinstance(value, str) else None
        if kind == "integer":
            return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if kind == "number":
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if kind == "boolean":
            return value if isinstance(value, bool) else None
        return value if isinstance(value, str) else str(value)

    return cell


def human_age(timestamp: str, now: dt.datetime) -> str:
    """``duration.HumanDuration`` of now - timestamp, as kubectl's AGE column shows it (``30d``, ``5h``)."""
    try:
        then = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "<invalid>"
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "<invalid>"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 192:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    return f"{years}y{days % 365}d" if years < 8 and days % 365 else f"{years}y"


def _node_status(node: Obj) -> str:
    ready = next(
        (c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None
    )
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady" if ready else "Unknown"
    return status + (",SchedulingDisabled" if (node.get("spec") or {}).get("unschedulable") else "")


def _node_roles(node: Obj) -> str:
    prefix = "node-role.kubernetes.io/"
    labels = (node.get("metadata") or {}).get("labels") or {}
    roles = sorted(k[len(prefix) :] for k in labels if k.startswith(prefix) and k[len(prefix) :])
    return ",".join(roles) or "<none>"


def _pod_ready(pod: Obj) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(containers)}"


def _pod_restarts(pod: Obj) -> int:
    return sum(
        int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or []
    )


_AGE = ("Age", "date", _path(".metadata.creationTimestamp"))
_BUILTIN: dict[str, list[tuple[str, str, Cell]]] = {
    "Node": [
        ("Status", "string", _node_status),
        ("Roles", "string", _node_roles),
        _AGE,
        (
            "Version",
            "string",
            lambda n: ((n.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""),
        ),
    ],
    "Pod": [
        ("Ready", "string", _pod_ready),
        ("Status", "string", lambda p: (p.get("status") or {}).get("phase", "")),
        ("Restarts", "string", _pod_restarts),
        _AGE,
    ],
    "Namespace": [("Status", "string", lambda n: (n.get("status") or {}).get("phase", "Active")), _AGE],
    "ConfigMap": [
        ("Data", "integer", lambda c: len(c.get("data") or {}) + len(c.get("binaryData") or {})),
        _AGE,
    ],
    "Secret": [
        ("Type", "string", lambda s: s.get("type", "Opaque")),
        ("Data", "integer", lambda s: len(s.get("data") or {})),
        _AGE,
    ],
    "ServiceAccount": [_AGE],
    "Deployment": [
        (
            "Ready",
            "string",
            lambda d: (
                f"{(d.get('status') or {}).get('readyReplicas', 0)}/{(d.get('spec') or {}).get('replicas', 1)}"
            ),
        ),
        ("Up-to-date", "integer", lambda d: (d.get("status") or {}).get("updatedReplicas", 0)),
        ("Available", "integer", lambda d: (d.get("status") or {}).get("availableReplicas", 0)),
        _AGE,
    ],
}
