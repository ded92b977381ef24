"""The Kubernetes verbs on stored objects: get, list, create, update, patch, delete, scale and log."""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

from .faults import HttpError, RecordedRequest
from .patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from .resources import ResourceType
from .routes import Route, Types
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .store import Obj, Store

JSON = "application/json"
Answer = tuple[int, Any, str]  # status code, payload, content type


def serve_resource(store: Store, types: Types, request: RecordedRequest, route: Route, body: Any) -> Answer:
    """Answer one request on a resource path (the caller holds ``store.lock``)."""
    rtype, ns, name, sub = route.rtype, route.namespace, route.name, route.sub
    verb = request.verb
    if verb not in rtype.verbs and verb not in ("deletecollection",):
        raise HttpError(405, "the server does not allow this method on the requested resource")
    bucket = store.bucket(rtype)
    key = (ns or "", name or "")
    if verb == "watch":
        raise HttpError(400, "watch is not supported by the test emulator; poll with list")
    if verb in ("list", "deletecollection"):
        items = _select(store, rtype, ns, request.query)
        if verb == "deletecollection":
            for item in items:
                bucket.pop(store.key(rtype, item), None)
                store.fire("delete", rtype, item)
        return 200, _list_body(store, rtype, items, request.query), JSON
    if verb == "create":
        return 201, _create(store, rtype, ns, body), JSON
    current = bucket.get(key)
    if current is None:
        raise _not_found(rtype, name)
    if sub == "log":
        return 200, _log(store, current, request.query), "text/plain"
    if verb == "get":
        if sub == "scale":
            return 200, _scale(rtype, current), JSON
        return 200, copy.deepcopy(current), JSON
    if verb == "delete":
        del bucket[key]
        store.fire("delete", rtype, current)
        return 200, copy.deepcopy(current), JSON
    if sub == "scale":
        return _write_scale(store, types, request, rtype, current, body)
    if verb == "update":
        new = _checked_update(rtype, current, body)
    else:
        new = _patched(types, current, body, request)
    new.setdefault("metadata", {})["name"] = name
    if ns:
        new["metadata"]["namespace"] = ns
    if "status" in rtype.subresources:
        # The status subresource splits writers: the main resource cannot change status, and
        # the status endpoint cannot change anything else.
        if sub == "status":
            new = {**copy.deepcopy(current), "status": new.get("status")}
        else:
            new["status"] = copy.deepcopy(current.get("status"))
            if new["status"] is None:
                new.pop("status")
    stored = store.put(rtype, new, old=current)
    store.fire(verb, rtype, stored)
    return 200, copy.deepcopy(stored), JSON


def qualified(rtype: ResourceType) -> str:
    """``plural.group`` as the server's messages name a resource (just ``plural`` in the core group)."""
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def _details(rtype: ResourceType, name: str | None) -> Obj:
    return {"name": name, "group": rtype.group, "kind": rtype.plural}


def _not_found(rtype: ResourceType, name: str | None) -> HttpError:
    return HttpError(404, f'{qualified(rtype)} "{name}" not found', _details(rtype, name))


def _checked_update(rtype: ResourceType, current: Obj, body: Any) -> Obj:
    new = copy.deepcopy(body) if isinstance(body, dict) else None
    if new is None:
        raise HttpError(400, "the body of the request was in an unknown format")
    wanted_rv = (new.get("metadata") or {}).get("resourceVersion")
    if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
        name = current["metadata"]["name"]
        raise HttpError(
            409,
            f'Operation cannot be fulfilled on {qualified(rtype)} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            _details(rtype, name),
        )
    return new


def _write_scale(
    store: Store, types: Types, request: RecordedRequest, rtype: ResourceType, current: Obj, body: Any
) -> Answer:
    scale = _scale(rtype, current)
    new_scale = _patched(types, scale, body, request) if request.verb == "patch" else body
    replicas = ((new_scale or {}).get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        name = current["metadata"]["name"]
        raise HttpError(422, f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value')
    new = copy.deepcopy(current)
    _set_path(new, rtype.scale_paths[0], replicas)
    stored = store.put(rtype, new, old=current)
    store.fire(request.verb, rtype, stored)
    return 200, _scale(rtype, stored), JSON


def _patched(types: Types, current: Obj, body: Any, request: RecordedRequest) -> Obj:
    content_type = request.content_type.split(";")[0].strip()
    try:
        if content_type == "application/json-patch+json":
            if not isinstance(body, list):
                raise PatchError("a JSON patch must be a list of operations")
            return json_patch(current, body)  # type: ignore[no-any-return]
        if content_type == "application/merge-patch+json":
            return merge_patch(current, body)  # type: ignore[no-any-return]
        if content_type == "application/strategic-merge-patch+json":
            if request.resource not in {t.plural for t in types.values() if not t.group}:
                raise HttpError(415, "strategic merge patch is not supported for custom resources")
            return strategic_merge_patch(current, body)  # type: ignore[no-any-return]
    except PatchError as exc:
        raise HttpError(422, str(exc)) from exc
    raise HttpError(
        415,
        f"the body of the request was in an unknown format - accepted media types include: "
        f"application/json-patch+json, application/merge-patch+json, "
        f"application/apply-patch+yaml (got {content_type!r})",
    )


def _create(store: Store, rtype: ResourceType, ns: str | None, body: Any) -> Obj:
    if not isinstance(body, dict):
        raise HttpError(400, "the body of the request was in an unknown format")
    obj = copy.deepcopy(body)
    meta = obj.setdefault("metadata", {})
    if rtype.namespaced:
        if meta.get("namespace") and meta["namespace"] != ns:
            raise HttpError(
                400,
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        meta["namespace"] = ns
    if not meta.get("name"):
        if not meta.get("generateName"):
            raise HttpError(422, f"{rtype.kind}.{rtype.group} is invalid: metadata.name: Required value")
        meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
    if store.find(rtype, obj) is not None:
        raise HttpError(
            409, f'{qualified(rtype)} "{meta["name"]}" already exists', _details(rtype, meta["name"])
        )
    if "status" in rtype.subresources:
        obj.pop("status", None)
    if rtype.kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    stored = store.put(rtype, obj, old=None)
    store.fire("create", rtype, stored)
    return copy.deepcopy(stored)


def _select(store: Store, rtype: ResourceType, ns: str | None, query: dict[str, str]) -> list[Obj]:
    try:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), rtype.plural)
    except SelectorError as exc:
        raise HttpError(400, str(exc)) from exc
    return [
        obj
        for (obj_ns, _), obj in sorted(store.bucket(rtype).items())
        if (ns is None or obj_ns == ns) and labels(obj["metadata"].get("labels") or {}) and fields(obj)
    ]


def _list_body(store: Store, rtype: ResourceType, items: list[Obj], query: dict[str, str]) -> Obj:
    start = 0
    if query.get("continue"):
        try:
            start = int(base64.urlsafe_b64decode(query["continue"].encode()).decode())
        except ValueError as exc:
            raise HttpError(410, "The provided continue parameter is too old", {}) from exc
    limit = int(query.get("limit") or 0)
    page = items[start : start + limit] if limit else items[start:]
    meta: Obj = {"resourceVersion": str(store.rv)}
    end = start + len(page)
    if limit and end < len(items):
        meta["continue"] = base64.urlsafe_b64encode(str(end).encode()).decode()
        meta["remainingItemCount"] = len(items) - end
    return {
        "apiVersion": rtype.api_version,
        "kind": f"{rtype.kind}List",
        "metadata": meta,
        # a real API server leaves apiVersion and kind out of LIST items (the list names them once)
        "items": [
            {k: copy.deepcopy(v) for k, v in o.items() if k not in ("apiVersion", "kind")} for o in page
        ],
    }


def _scale(rtype: ResourceType, obj: Obj) -> Obj:
    spec_path, status_path, selector_path = rtype.scale_paths
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {
            k: obj["metadata"][k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in obj["metadata"]
        },
        "spec": {"replicas": _get_path(obj, spec_path) or 0},
        "status": {
            "replicas": _get_path(obj, status_path) or 0,
            "selector": _get_path(obj, selector_path) or "",
        },
    }


def _log(store: Store, pod: Obj, query: dict[str, str]) -> str:
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    container = query.get("container", "")
    text = store.logs.get((ns, name, container), store.logs.get((ns, name, "")))
    if text is None:
        phase = (pod.get("status") or {}).get("phase", "Pending")
        if phase == "Pending":
            first = ((pod.get("spec") or {}).get("containers") or [{}])[0].get("name", "")
            raise HttpError(
                400,
                f'container "{container or first}" in pod "{name}" is waiting to start: ContainerCreating',
            )
        text = ""
    if query.get("tailLines"):
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-int(query["tailLines"]) :])
    return text


def _get_path(obj: Obj, dotted: str) -> Any:
    node: Any = obj
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _set_path(obj: Obj, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = obj
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
