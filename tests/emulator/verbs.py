"""The Kubernetes verbs on stored objects: get, list, delete, patch, scale and log (writes in ``writes``)."""

from __future__ import annotations

import base64
import copy
from typing import Any

from .apply import CONTENT_TYPE as APPLY
from .apply import plan_apply
from .faults import HttpError, RecordedRequest, success_status
from .patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from .resources import ResourceType
from .routes import Route
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .store import Obj, Store
from .writes import Context, checked_put, conflict, create, not_found, update

JSON = "application/json"
Answer = tuple[int, Any, str]  # status code, payload, content type


def serve_resource(ctx: Context, route: Route, body: Any) -> Answer:
    """Answer one request on a resource path (the caller holds ``store.lock``)."""
    request, store = ctx.request, ctx.store
    rtype, ns, name, sub = route.rtype, route.namespace, route.name, route.sub
    verb = request.verb
    if verb not in rtype.verbs and verb not in ("deletecollection",):
        raise HttpError(405, "the server does not allow this method on the requested resource")
    if verb in ("list", "deletecollection"):
        items = _select(store, rtype, ns, request.query)
        if verb == "deletecollection":
            for item in items:
                _delete(ctx, rtype, item, None)
        return 200, _list_body(store, rtype, items, request.query), JSON
    if verb == "create":
        return 201, create(ctx, rtype, ns, body), JSON
    current = store.bucket(rtype).get((ns or "", name or ""))
    if verb == "patch" and request.content_type.split(";")[0].strip() == APPLY and sub in (None, "status"):
        merged, owned, taken = plan_apply(ctx, rtype, current, body, name or "", sub)
        if current is None:
            return 201, create(ctx, rtype, ns, merged, (owned, taken)), JSON
        return 200, update(ctx, rtype, current, merged, sub, verb, (owned, taken)), JSON
    if current is None:
        raise not_found(rtype, name)
    if sub == "log":
        return 200, _log(store, current, request.query), "text/plain"
    if verb == "get":
        if sub == "scale":
            return 200, _scale(rtype, current), JSON
        return 200, copy.deepcopy(current), JSON
    if verb == "delete":
        return 200, _delete(ctx, rtype, current, body), JSON
    if sub == "scale":
        return _write_scale(ctx, rtype, current, body)
    if verb == "update":
        new = checked_put(rtype, current, body, name or "", ns)
    else:
        new = _patched(rtype, current, body, request)
    return 200, update(ctx, rtype, current, new, sub, verb), JSON


def _delete(ctx: Context, rtype: ResourceType, current: Obj, body: Any) -> Obj:
    """DELETE: gone at once, or (with finalizers) marked with ``deletionTimestamp`` until they are removed."""
    meta = current["metadata"]
    options = body if isinstance(body, dict) else {}
    wanted = (options.get("preconditions") or {}).get("resourceVersion")
    if wanted and wanted != meta["resourceVersion"]:
        raise conflict(rtype, meta["name"])
    dry_run = ctx.dry_run or options.get("dryRun") == ["All"]
    if meta.get("finalizers"):
        if meta.get("deletionTimestamp"):
            return copy.deepcopy(current)
        marked = copy.deepcopy(current)
        marked["metadata"]["deletionTimestamp"] = ctx.store.clock()
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        if dry_run:
            return ctx.store.preview(rtype, marked, old=current)
        stored = ctx.store.put(rtype, marked, old=current)
        ctx.store.fire("update", rtype, stored)
        return copy.deepcopy(stored)
    if not dry_run:
        ctx.store.remove(rtype, current)
        ctx.store.fire("delete", rtype, current)
    if rtype.returns_deleted:
        return copy.deepcopy(current)
    return success_status(rtype.group, rtype.plural, meta["name"], meta.get("uid", ""))


def _write_scale(ctx: Context, rtype: ResourceType, current: Obj, body: Any) -> Answer:
    request = ctx.request
    scale = _scale(rtype, current)
    new_scale = _patched(rtype, scale, body, request) if request.verb == "patch" else body
    replicas = ((new_scale or {}).get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        name = current["metadata"]["name"]
        raise HttpError(422, f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value')
    new = copy.deepcopy(current)
    _set_path(new, rtype.scale_paths[0], replicas)
    stored = update(ctx, rtype, current, new, None, request.verb)
    return 200, _scale(rtype, stored), JSON


def _patched(rtype: ResourceType, current: Obj, body: Any, request: RecordedRequest) -> Obj:
    content_type = request.content_type.split(";")[0].strip()
    try:
        if content_type == "application/json-patch+json":
            if not isinstance(body, list):
                raise PatchError("a JSON patch must be a list of operations")
            return json_patch(current, body)  # type: ignore[no-any-return]
        if content_type == "application/merge-patch+json":
            return merge_patch(current, body)  # type: ignore[no-any-return]
        if content_type == "application/strategic-merge-patch+json":
            if not rtype.builtin:
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
