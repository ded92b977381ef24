"""Server-side apply (``PATCH`` with ``application/apply-patch+yaml``), as the field manager does it.

The applied configuration is merged into the live object (maps by key, lists merged by key where the
Go type says so, else replaced whole); a field another manager owns with a different value is a
409 conflict unless ``force=true`` (which takes it); a field this manager applied before and no longer
sends is removed, unless another manager still owns it. Applying to a missing object creates it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from .faults import HttpError, bad_request, invalid
from .managed import FieldSet, ListKeys, Path, entries, fields_of, list_keys, owned, remove_at, value_at
from .resources import ResourceType
from .writes import Context

Obj = dict[str, Any]
CONTENT_TYPE = "application/apply-patch+yaml"


def parse_config(body: Any) -> Obj:
    """The applied configuration: JSON or YAML, one object."""
    config = body
    if isinstance(body, str):
        try:
            config = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise bad_request(f"error decoding YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise bad_request("the body of the request was in an unknown format - apply wants one object")
    return config


def plan_apply(
    ctx: Context, rtype: ResourceType, current: Obj | None, body: Any, name: str, sub: str | None
) -> tuple[Obj, FieldSet, FieldSet]:
    """The object to store, the fields this apply owns, and the fields it forced from others."""
    manager = ctx.request.query.get("fieldManager", "")
    if not manager:
        cause = {
            "reason": "FieldValueRequired",
            "message": "Required value: is required for apply patch",
            "field": "fieldManager",
        }
        raise invalid("meta.k8s.io", "PatchOptions", "", [cause])
    config = parse_config(body)
    if config.get("apiVersion") != rtype.api_version or config.get("kind") != rtype.kind:
        raise bad_request(
            f"the API version in the data ({config.get('apiVersion')}) does not match the expected API version "
            f"({rtype.api_version})"
            if config.get("apiVersion") != rtype.api_version
            else f"the kind in the data ({config.get('kind')}) does not match the expected kind ({rtype.kind})"
        )
    meta = config.get("metadata") or {}
    if meta.get("name") != name:
        raise bad_request(
            f"the name of the object ({meta.get('name', '')}) does not match the name on the URL ({name})"
        )
    crd = ctx.crds.version(rtype) if ctx.crds is not None else None
    keys = list_keys(rtype, crd.schema if crd is not None else None)
    applied = fields_of(rtype, config, sub, keys)
    if current is None:
        return copy.deepcopy(config), applied, set()
    me = (manager, "Apply", sub)
    conflicts: list[tuple[str, Path]] = []
    previous: FieldSet = set()
    others: FieldSet = set()
    for entry in entries(current):
        paths = owned(entry)
        if (entry.get("manager"), entry.get("operation"), entry.get("subresource")) == me:
            previous = paths
            continue
        others |= paths
        for path in sorted(paths & applied):
            if value_at(current, path) != value_at(config, path):
                conflicts.append((str(entry.get("manager")), path))
    force = ctx.request.query.get("force") == "true"
    if conflicts and not force:
        raise _conflict_error(rtype, conflicts)
    merged = _merge(keys, current, config, ())
    for path in sorted(previous - applied, key=len):  # an item before its fields
        if not any(p[: len(path)] == path for p in others):
            remove_at(merged, path)
    return merged, applied, {p for _, p in conflicts}


def _merge(keys: ListKeys, live: Any, config: Any, fields: tuple[str, ...]) -> Any:
    if isinstance(live, dict) and isinstance(config, dict):
        out = dict(live)
        for key, value in config.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = _merge(keys, live.get(key), value, (*fields, key))
        return out
    item_keys = keys(fields) if isinstance(config, list) else None
    if item_keys and isinstance(live, list) and isinstance(config, list):
        out_list = [copy.deepcopy(i) for i in live]
        for item in config:
            index = next(
                (
                    i
                    for i, old in enumerate(out_list)
                    if isinstance(old, dict)
                    and isinstance(item, dict)
                    and all(old.get(k) == item.get(k) for k in item_keys)
                ),
                None,
            )
            if index is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[index] = _merge(keys, out_list[index], item, fields)
        return out_list
    return copy.deepcopy(config)


def _render(path: Path) -> str:
    out = ""
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f":
            out += f".{rest}"
        else:
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(rest).items()) + "]"
    return out


def _conflict_error(rtype: ResourceType, conflicts: list[tuple[str, Path]]) -> HttpError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{m}" using {rtype.api_version}',
            "field": _render(p),
        }
        for m, p in conflicts
    ]
    count = len(conflicts)
    managers = sorted({m for m, _ in conflicts})
    if count == 1:
        text = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
    elif len(managers) == 1:
        fields = "".join(f"\n- {c['field']}" for c in causes)
        text = f'Apply failed with {count} conflicts: conflicts with "{managers[0]}" using {rtype.api_version}:{fields}'
    else:
        text = f"Apply failed with {count} conflicts: " + "\n".join(
            f"{c['message']}: {c['field']}" for c in causes
        )
    return HttpError(409, text, {"causes": causes}, "Conflict")
