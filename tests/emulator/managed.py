"""``metadata.managedFields``: which manager owns which fields, as the server records them.

A field set is a set of paths; a path is a tuple of ``fieldsV1`` keys (``f:spec``, ``f:replicas``,
``k:{"name":"c"}`` for an item of a list merged by key). ``fieldsV1`` nests them, ``.`` marking a
node owned as a whole. Every write records its manager (``?fieldManager=``, else the User-Agent's
product): an ``Update`` takes the fields it changed from everyone else; ``Apply`` sets are what each
applier last sent (``apply``). Fields that no longer exist leave every set.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from .patch import MERGE_KEYS
from .resources import ResourceType

Obj = dict[str, Any]
Path = tuple[str, ...]
FieldSet = set[Path]

#: Fields nobody manages: the server owns them.
_SERVER_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
        "generateName",
    }
)


def manager_name(query: dict[str, str], user_agent: str) -> str:
    """``fieldManager``, else what ``prefixFromUserAgent`` takes: the User-Agent up to its first ``/``."""
    return query.get("fieldManager") or user_agent.split("/")[0][:128] or "unknown"


ListKeys = Callable[[tuple[str, ...]], "list[str] | None"]


def list_keys(rtype: ResourceType, schema: Obj | None = None) -> ListKeys:
    """Which lists merge by key, for one kind: by field name from the Go types' merge keys for a
    built-in kind; for a custom resource, where its CRD says ``x-kubernetes-list-type: map``. The
    argument is the path of map keys from the root (list items crossed)."""
    if rtype.builtin:
        return lambda fields: [MERGE_KEYS[fields[-1]]] if fields and MERGE_KEYS.get(fields[-1]) else None

    def from_schema(fields: tuple[str, ...]) -> list[str] | None:
        node: Any = schema or {}
        for name in fields:
            if isinstance(node, dict) and node.get("type") == "array":
                node = node.get("items") or {}
            extra = node.get("additionalProperties") if isinstance(node, dict) else None
            node = ((node.get("properties") or {}).get(name) if isinstance(node, dict) else None) or (
                extra if isinstance(extra, dict) else None
            )
            if node is None:
                return None
        if isinstance(node, dict) and node.get("x-kubernetes-list-type") == "map":
            return [str(k) for k in node.get("x-kubernetes-list-map-keys") or []] or None
        return None

    return from_schema


def _item_key(keys: list[str] | None, item: Any) -> str | None:
    if not keys or not isinstance(item, dict) or any(k not in item for k in keys):
        return None
    return "k:" + json.dumps({k: item[k] for k in keys}, separators=(",", ":"))


def fields_of(
    rtype: ResourceType, obj: Any, sub: str | None = None, keys: ListKeys | None = None
) -> FieldSet:
    """The leaf paths an object sets (what applying it claims), server-owned fields left out."""
    keys = keys or list_keys(rtype)
    out: FieldSet = set()
    for key, value in (obj or {}).items():
        if key in ("apiVersion", "kind") or (key == "status") != (sub == "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _SERVER_META}
            if not value:
                continue
        _walk(keys, value, (f"f:{key}",), (key,), out)
    return out


def _walk(keys: ListKeys, value: Any, path: Path, fields: tuple[str, ...], out: FieldSet) -> None:
    item_keys = keys(fields) if isinstance(value, list) else None
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _walk(keys, child, (*path, f"f:{key}"), (*fields, key), out)
    elif isinstance(value, list) and value and all(_item_key(item_keys, i) for i in value):
        for item in value:
            element = (*path, str(_item_key(item_keys, item)))
            out.add(element)
            for key, child in item.items():
                _walk(keys, child, (*element, f"f:{key}"), (*fields, key), out)
    else:
        out.add(path)


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    """(present, value) at a field-set path."""
    node = obj
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f" and isinstance(node, dict) and rest in node:
            node = node[rest]
        elif kind == "k" and isinstance(node, list):
            wanted = json.loads(rest)
            found = [i for i in node if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())]
            if not found:
                return False, None
            node = found[0]
        else:
            return False, None
    return True, node


def remove_at(obj: Any, path: Path) -> None:
    """Delete the field at ``path`` (and a map or list item left empty by it is kept, as the server does)."""
    present, _ = value_at(obj, path[:-1])
    if not present:
        return
    _, parent = value_at(obj, path[:-1])
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind == "k" and isinstance(parent, list):
        wanted = json.loads(rest)
        parent[:] = [
            i for i in parent if not (isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items()))
        ]


def to_fields_v1(paths: FieldSet) -> Obj:
    root: Obj = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(part, {})
    for path in paths:  # a path that is also a parent is owned as a whole: "."
        node = root
        for part in path:
            node = node[part]
        if node and "." not in node:
            node["."] = {}
    return root


def from_fields_v1(tree: Any, prefix: Path = ()) -> FieldSet:
    out: FieldSet = set()
    if not isinstance(tree, dict):
        return out
    for key, child in tree.items():
        if key == ".":
            out.add(prefix)
        elif isinstance(child, dict) and child:
            out |= from_fields_v1(child, (*prefix, key))
        else:
            out.add((*prefix, key))
    return out


def entries(obj: Obj) -> list[Obj]:
    return [e for e in (obj.get("metadata") or {}).get("managedFields") or [] if isinstance(e, dict)]


def owned(entry: Obj) -> FieldSet:
    return from_fields_v1(entry.get("fieldsV1") or {})


def record(
    rtype: ResourceType,
    old: Obj | None,
    new: Obj,
    manager: str,
    when: str,
    *,
    operation: str = "Update",
    sub: str | None = None,
    applied: FieldSet | None = None,
    taken: FieldSet = frozenset(),  # type: ignore[assignment]
    keys: ListKeys | None = None,
) -> None:
    """Set ``new``'s managedFields: an ``Update`` takes what it changed from every other manager; an
    ``Apply`` owns exactly what it sent (``applied``), sharing fields others hold at the same value,
    except ``taken`` (forced away from them)."""
    changed = applied if applied is not None else _changed(rtype, old, new, sub, keys)
    me = (manager, operation, sub)
    mine: FieldSet = set()
    others: list[tuple[Obj, FieldSet]] = []
    for entry in entries(old or {}):
        paths = owned(entry)
        if (entry.get("manager"), entry.get("operation"), entry.get("subresource")) == me:
            mine = paths
            continue
        others.append((entry, paths - (changed if operation == "Update" else taken)))
    mine = changed if operation == "Apply" else mine | changed
    managed: list[Obj] = []
    for entry, paths in [*others, (None, mine)]:
        paths = {p for p in paths if value_at(new, p)[0]}
        if not paths:
            continue
        if entry is None:
            entry = {
                "manager": manager,
                "operation": operation,
                "time": when,
                **({"subresource": sub} if sub else {}),
            }
        managed.append(
            {
                **{k: v for k, v in entry.items() if k not in ("apiVersion", "fieldsType", "fieldsV1")},
                "apiVersion": entry.get("apiVersion", rtype.api_version),
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(paths),
            }
        )
    new.setdefault("metadata", {})["managedFields"] = managed


def _changed(
    rtype: ResourceType, old: Obj | None, new: Obj, sub: str | None, keys: ListKeys | None
) -> FieldSet:
    paths = fields_of(rtype, new, sub, keys)
    if old is None:
        return paths
    return {p for p in paths if value_at(old, p) != value_at(new, p)}


def copy_without_managed(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    out.get("metadata", {}).pop("managedFields", None)
    return out
