"""The three PATCH flavours the API server accepts: JSON merge, strategic merge (basic) and JSON patch."""

from __future__ import annotations

import copy
from typing import Any

#: List fields a strategic merge patch merges by key instead of replacing (the common core types).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "env": "name",
    "ports": "containerPort",
    "conditions": "type",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "finalizers": "",  # merged as a set of scalars
}


class PatchError(ValueError):
    """A patch the API server would reject (422 / 400)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, key: str = "") -> Any:
    """Strategic merge: like merge patch, but known lists merge by their merge key; ``$patch: replace``."""
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        if patch.get("$patch") == "delete":
            return None
        result = dict(target) if isinstance(target, dict) else {}
        for k, value in patch.items():
            if k.startswith("$"):
                continue
            if value is None:
                result.pop(k, None)
                continue
            merged = strategic_merge_patch(result.get(k), value, k)
            if merged is None and isinstance(value, dict) and value.get("$patch") == "delete":
                result.pop(k, None)
            else:
                result[k] = merged
        _directives(result, patch)
        return result
    if isinstance(patch, list) and key in MERGE_KEYS and isinstance(target, list):
        merge_key = MERGE_KEYS[key]
        if not merge_key:
            return list(target) + [v for v in patch if v not in target]
        result_list = [copy.deepcopy(item) for item in target]
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                raise PatchError(f"map in list {key!r} is missing its merge key {merge_key!r}")
            index = next(
                (
                    i
                    for i, old in enumerate(result_list)
                    if isinstance(old, dict) and old.get(merge_key) == item[merge_key]
                ),
                None,
            )
            if item.get("$patch") == "delete":
                if index is not None:
                    del result_list[index]
            elif index is None:
                result_list.append(copy.deepcopy(item))
            else:
                result_list[index] = strategic_merge_patch(result_list[index], item)
        return result_list
    return copy.deepcopy(patch)


def _directives(result: dict[str, Any], patch: dict[str, Any]) -> None:
    """The directives kubectl's three-way patches carry: ``$deleteFromPrimitiveList/<field>`` (take
    values out of a list of scalars), ``$setElementOrder/<field>`` (the order the list should end up in)
    and ``$retainKeys`` (drop every other key of this map)."""
    for directive, value in patch.items():
        name, _, field = directive.partition("/")
        current = result.get(field)
        if name == "$deleteFromPrimitiveList" and isinstance(current, list) and isinstance(value, list):
            result[field] = [v for v in current if v not in value]
        elif name == "$setElementOrder" and isinstance(current, list) and isinstance(value, list):
            merge_key = MERGE_KEYS.get(field, "")

            def ident(item: Any, merge_key: str = merge_key) -> Any:
                return item.get(merge_key) if merge_key and isinstance(item, dict) else item

            order = [ident(v) for v in value]
            ranked = sorted(
                enumerate(current),
                key=lambda pair: (
                    order.index(ident(pair[1])) if ident(pair[1]) in order else len(order),
                    pair[0],
                ),
            )
            result[field] = [item for _, item in ranked]
        elif directive == "$retainKeys" and isinstance(value, list):
            for key in [k for k in result if k not in value]:
                del result[key]


def json_patch(target: Any, operations: list[dict[str, Any]]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, test, copy, move)."""
    doc = copy.deepcopy(target)
    for op in operations:
        kind = op.get("op")
        path = _pointer(op.get("path", ""))
        if kind == "test":
            if _get(doc, path) != op.get("value"):
                raise PatchError(f"test operation failed at {op.get('path')}")
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind in ("add", "replace"):
            if kind == "replace":
                _get(doc, path)  # must exist
                doc = _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind in ("copy", "move"):
            source = _pointer(op.get("from", ""))
            value = copy.deepcopy(_get(doc, source))
            if kind == "move":
                doc = _remove(doc, source)
            doc = _add(doc, path, value)
        else:
            raise PatchError(f"unknown JSON patch operation {kind!r}")
    return doc


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _get(doc: Any, path: list[str]) -> Any:
    node = doc
    for part in path:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise PatchError(f"path /{'/'.join(path)} does not exist") from exc
    return node


def _add(doc: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _get(doc, path[:-1])
    last = path[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            parent.insert(int(last), value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise PatchError(f"cannot add at /{'/'.join(path)}")
    return doc


def _remove(doc: Any, path: list[str]) -> Any:
    if not path:
        return None
    parent = _get(doc, path[:-1])
    _get(doc, path)
    if isinstance(parent, list):
        del parent[int(path[-1])]
    else:
        del parent[path[-1]]
    return doc
