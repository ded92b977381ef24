"""Fault injection and the API server's error answers: planned faults, recorded requests, Status bodies."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

USER = "system:serviceaccount:openshift-gitops:cluster-capacity"

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@dataclass
class Fault:
    """A planned failure for requests that match; ``times=None`` means every matching request."""

    method: str = "*"
    path: str = "*"
    verb: str | None = None
    resource: str | None = None
    status: int | None = None
    times: int | None = 1
    delay: float = 0.0
    drop: bool = False
    retry_after: int | None = None
    message: str | None = None
    hits: int = 0

    def matches(self, request: RecordedRequest) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method not in ("*", request.method):
            return False
        if self.verb is not None and self.verb != request.verb:
            return False
        if self.resource is not None and self.resource not in (request.resource, request.resource_path):
            return False
        return self.path == request.path or fnmatch.fnmatchcase(request.path, self.path)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it (recorded before any fault is applied)."""

    method: str
    path: str
    query: dict[str, str]
    verb: str  # Kubernetes verb: get, list, create, update, patch, delete, deletecollection, discovery
    resource: str = ""  # plural, "" for discovery
    group: str = ""
    resource_path: str = ""  # plural or plural/subresource
    namespace: str | None = None
    name: str | None = None
    content_type: str = ""
    body: Any = None


class HttpError(Exception):
    """An error answer: ``code``, the Status message and details."""

    def __init__(self, code: int, message: str, details: Obj | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}
        self.reason = reason or REASONS.get(code, "Unknown")


class PageNotFound(HttpError):
    """A path no handler serves: kube-apiserver's last handler answers ``http.NotFound``, plain text.

    That is what an API group that is not installed (or a resource a CRD group lacks) gets on a real
    server, not a ``Status``: clients must tell "not served" from "no such object" by that.
    """

    TEXT = "404 page not found\n"

    def __init__(self) -> None:
        super().__init__(404, self.TEXT.strip())


def invalid(group: str, kind: str, name: str, causes: list[Obj]) -> HttpError:
    """422 Invalid as ``apierrors.NewInvalid``: ``Kind.group "name" is invalid: field: detail``.

    ``causes`` are ``{"reason", "message", "field"}``: the message is the detail without the field
    (``Invalid value: 0x0: must be specified for an update``), as ``field.Error.ErrorBody`` words it.
    """
    errors = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
    qualified = f"{kind}.{group}" if group else kind
    details: Obj = {"name": name, **({"group": group} if group else {}), "kind": kind, "causes": causes}
    return HttpError(422, f"{qualified} {json.dumps(name)} is invalid: {text}", details)


def bad_request(message: str) -> HttpError:
    """400 BadRequest: a ``Status`` with no details."""
    return HttpError(400, message)


def success_status(group: str, plural: str, name: str, uid: str) -> Obj:
    """What DELETE answers for a kind that does not return the deleted object."""
    details: Obj = {"name": name, **({"group": group} if group else {}), "kind": plural, "uid": uid}
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def status_body(error: HttpError) -> Obj:
    body: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.message,
        "reason": error.reason,
        "code": error.code,
    }
    if error.details:
        body["details"] = error.details
    return body


def fault_status(planned: Fault, request: RecordedRequest) -> HttpError:
    """The Status a planned fault answers with, worded as kube-apiserver words it."""
    code = planned.status or 500
    details: Obj = {}
    if request.resource:
        details = {"group": request.group, "kind": request.resource}
        if request.name:
            details["name"] = request.name
    if planned.message:
        message = planned.message
    elif code == 403 and request.resource:
        group = details["group"]
        scope = f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
        qualified = f"{request.resource}.{group}" if group else request.resource
        target = f'{qualified} "{request.name}"' if request.name else qualified
        message = (
            f'{target} is forbidden: User "{USER}" cannot {request.verb} resource '
            f'"{request.resource_path}" in API group "{group}" {scope}'
        )
    elif code == 401:
        message = "Unauthorized"
    elif code == 404 and request.resource:
        message = f'{request.resource} "{request.name or ""}" not found'
    elif code == 409:
        message = (
            f'Operation cannot be fulfilled on {request.resource} "{request.name or ""}": the object '
            "has been modified; please apply your changes to the latest version and try again"
        )
    elif code == 429:
        message = "Too many requests, please try again later."
        if planned.retry_after is not None:
            details["retryAfterSeconds"] = planned.retry_after
    elif code == 503:
        message = "the server is currently unable to handle the request"
    elif code == 504:
        message = (
            "the server was unable to return a response in the time allotted, "
            "but may still be processing the request"
        )
    else:
        message = "Internal error occurred: etcdserver: request timed out"
    return HttpError(code, message, details)
