"""What the server does to an object on its way in: create, update (PUT) and the common update path.

As kube-apiserver's generic store and the strategies do it: the server owns ``uid``,
``creationTimestamp``, ``resourceVersion``, ``generation`` and ``deletionTimestamp``; the status
subresource splits writers; a CR is pruned, defaulted and validated against its CRD; ``dryRun=All``
answers with the object as it would be stored and changes nothing; an object being deleted takes no
new finalizers and goes away once its last finalizer is removed.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from .crds import Crds
from .faults import HttpError, RecordedRequest, bad_request, invalid
from .managed import FieldSet, list_keys, manager_name, record
from .resources import ResourceType
from .routes import Types
from .store import Obj, Store

OPTIMISTIC_LOCK = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


@dataclass
class Context:
    """What a request is served against, and the warnings its answer will carry."""

    store: Store
    types: Types
    crds: Crds | None
    request: RecordedRequest
    accept: str = ""
    user_agent: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def manager(self) -> str:
        return manager_name(self.request.query, self.user_agent)

    @property
    def dry_run(self) -> bool:
        value = self.request.query.get("dryRun")
        if value is None:
            return False
        if value != "All":
            raise bad_request(f'Invalid dry run value: "{value}"; supported values: All')
        return True


def qualified(rtype: ResourceType) -> str:
    """``plural.group`` as the server's messages name a resource (just ``plural`` in the core group)."""
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def details(rtype: ResourceType, name: str | None) -> Obj:
    return {"name": name, **({"group": rtype.group} if rtype.group else {}), "kind": rtype.plural}


def not_found(rtype: ResourceType, name: str | None) -> HttpError:
    return HttpError(404, f'{qualified(rtype)} "{name}" not found', details(rtype, name))


def conflict(rtype: ResourceType, name: str) -> HttpError:
    message = f'Operation cannot be fulfilled on {qualified(rtype)} "{name}": {OPTIMISTIC_LOCK}'
    return HttpError(409, message, details(rtype, name))


Applied = tuple[FieldSet, FieldSet]  # what a server-side apply owns, and what it forced from others


def create(
    ctx: Context, rtype: ResourceType, ns: str | None, body: Any, applied: Applied | None = None
) -> Obj:
    """POST: a new object, named or generated; 409 AlreadyExists if the name is taken."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request was in an unknown format")
    obj = copy.deepcopy(body)
    meta = obj.setdefault("metadata", {})
    if rtype.namespaced:
        if meta.get("namespace") and meta["namespace"] != ns:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = ns
        _namespace_admits(ctx, ns or "")
    if meta.get("resourceVersion"):
        raise bad_request("resourceVersion should not be set on objects to be created")
    if not meta.get("name"):
        if not meta.get("generateName"):
            raise invalid(
                rtype.group,
                rtype.kind,
                "",
                [
                    {
                        "reason": "FieldValueRequired",
                        "message": "Required value: name or generateName is required",
                        "field": "metadata.name",
                    }
                ],
            )
        meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
    if ctx.store.find(rtype, obj) is not None:
        raise HttpError(
            409,
            f'{qualified(rtype)} "{meta["name"]}" already exists',
            details(rtype, meta["name"]),
            "AlreadyExists",
        )
    for owned in (
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ):
        meta.pop(owned, None)
    if "status" in rtype.subresources:
        obj.pop("status", None)
    if rtype.kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    obj = _admit(ctx, rtype, obj)
    _record(ctx, rtype, None, obj, None, applied)
    if ctx.dry_run:
        return ctx.store.preview(rtype, obj, old=None)
    stored = ctx.store.put(rtype, obj, old=None)
    ctx.store.fire("create", rtype, stored)
    return copy.deepcopy(stored)


def checked_put(rtype: ResourceType, current: Obj, body: Any, name: str, ns: str | None) -> Obj:
    """The body of a PUT, checked as the update handler and the store check it."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request was in an unknown format")
    new = copy.deepcopy(body)
    meta = new.get("metadata") if isinstance(new.get("metadata"), dict) else {}
    if meta.get("name") != name:
        raise bad_request(
            f"the name of the object ({meta.get('name', '')}) does not match the name on the URL ({name})"
        )
    if rtype.namespaced and meta.get("namespace") and meta["namespace"] != ns:
        raise bad_request(
            f"the namespace of the object ({meta['namespace']}) does not match the namespace on the URL ({ns})"
        )
    wanted = meta.get("resourceVersion")
    if not wanted and not rtype.builtin:
        # customResourceStrategy.AllowUnconditionalUpdate() is false: the generic store's answer.
        cause = {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: 0x0: must be specified for an update",
            "field": "metadata.resourceVersion",
        }
        raise invalid(rtype.group, rtype.plural, name, [cause])
    if wanted and wanted != current["metadata"]["resourceVersion"]:
        raise conflict(rtype, name)
    return new


def update(
    ctx: Context,
    rtype: ResourceType,
    current: Obj,
    new: Obj,
    sub: str | None,
    verb: str,
    applied: Applied | None = None,
) -> Obj:
    """The common end of PUT, PATCH and apply: server-owned fields, status split, admission, store."""
    name = current["metadata"]["name"]
    meta = new.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    wanted = meta.get("resourceVersion")
    if wanted and wanted != current["metadata"]["resourceVersion"]:
        raise conflict(rtype, name)
    meta["name"] = name
    if rtype.namespaced:
        meta["namespace"] = current["metadata"]["namespace"]
    for owned in ("deletionTimestamp", "deletionGracePeriodSeconds"):
        if owned in current["metadata"]:
            meta[owned] = current["metadata"][owned]
        else:
            meta.pop(owned, None)
    if "status" in rtype.subresources:
        # The status subresource splits writers: the main resource cannot change status, and
        # the status endpoint cannot change anything else.
        if sub == "status":
            new = {**copy.deepcopy(current), "status": new.get("status")}
            if new["status"] is None:
                new.pop("status")
        else:
            new["status"] = copy.deepcopy(current.get("status"))
            if new["status"] is None:
                new.pop("status")
    _check_finalizers(rtype, current, new)
    new = _admit(ctx, rtype, new, current)
    _record(ctx, rtype, current, new, sub, applied)
    if ctx.dry_run:
        return ctx.store.preview(rtype, new, old=current)
    if current["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
        # ShouldDeleteDuringUpdate: the last finalizer is gone, so is the object.
        ctx.store.remove(rtype, current)
        ctx.store.fire("delete", rtype, current)
        return new
    stored = ctx.store.put(rtype, new, old=current)
    ctx.store.fire(verb, rtype, stored)
    return copy.deepcopy(stored)


def _check_finalizers(rtype: ResourceType, current: Obj, new: Obj) -> None:
    if not current["metadata"].get("deletionTimestamp"):
        return
    old = set(current["metadata"].get("finalizers") or [])
    added = sorted(f for f in new["metadata"].get("finalizers") or [] if f not in old)
    if added:
        found = "[]string{" + ", ".join(json.dumps(f) for f in added) + "}"
        cause = {
            "reason": "FieldValueForbidden",
            "message": f"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {found}",
            "field": "metadata.finalizers",
        }
        raise invalid(rtype.group, rtype.kind, current["metadata"]["name"], [cause])


def _admit(ctx: Context, rtype: ResourceType, obj: Obj, old: Obj | None = None) -> Obj:
    if ctx.crds is None:
        return obj
    mode = ctx.request.query.get("fieldValidation", "Warn")
    admitted, warnings = ctx.crds.admit(rtype, obj, mode, old)
    ctx.warnings.extend(warnings)
    return admitted


def _record(
    ctx: Context, rtype: ResourceType, old: Obj | None, new: Obj, sub: str | None, applied: Applied | None
) -> None:
    crd = ctx.crds.version(rtype) if ctx.crds is not None else None
    keys = list_keys(rtype, crd.schema if crd is not None else None)
    if applied is None:
        record(rtype, old, new, ctx.manager, ctx.store.clock(), sub=sub, keys=keys)
    else:
        owned, taken = applied
        record(
            rtype,
            old,
            new,
            ctx.manager,
            ctx.store.clock(),
            operation="Apply",
            sub=sub,
            applied=owned,
            taken=taken,
            keys=keys,
        )


def _namespace_admits(ctx: Context, ns: str) -> None:
    """NamespaceLifecycle admission: no new object in a namespace that is missing or terminating."""
    namespaces = next((t for t in ctx.types.values() if t.kind == "Namespace" and t.builtin), None)
    if namespaces is None:
        return
    found = ctx.store.bucket(namespaces).get(("", ns))
    if found is None:
        raise HttpError(404, f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})
    if found["metadata"].get("deletionTimestamp"):
        message = f"unable to create new content in namespace {ns} because it is being terminated"
        raise HttpError(403, message, {"name": ns, "kind": "namespaces"}, "Forbidden")
