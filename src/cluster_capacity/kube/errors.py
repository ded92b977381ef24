"""What the API server's error answers become: one ``ClusterError`` subclass per case a caller acts on.

``raise_for`` turns a non-2xx answer into the error that says what failed and what to do (the verb and
resource refused, the ClusterRole that grants it); retryable statuses become ``Transient``.
"""

from __future__ import annotations

import json
from typing import Any

from cluster_capacity.errors import ClusterError
from cluster_capacity.kube.resources import READONLY_CLUSTERROLE, READONLY_CLUSTERROLE_FILE, Obj, Resource

_READ_VERBS = frozenset({"get", "list", "watch"})
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: A POST that got a 5xx may have been applied; only retry it when the server said it did nothing.
_RETRY_STATUS_UNSAFE = frozenset({429, 503})


class ApiError(ClusterError):
    """The API server answered a request with an error status."""

    def __init__(
        self, message: str, *, status: int, reason: str = "", verb: str = "", resource: str = ""
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.verb, self.resource = status, reason, verb, resource


class NotFoundError(ApiError):
    """The object does not exist (404 with the object's name in the Status details)."""


class NotServedError(ApiError):
    """The cluster does not serve this resource type at all (its API group or CRD is missing)."""


class ForbiddenError(ApiError):
    """401 or 403: the credentials were rejected or RBAC refused the verb."""


class Transient(Exception):
    """A failure worth another try (after ``retry_after`` seconds when the server said so)."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why, self.retry_after = why, retry_after


def raise_for(
    status: int,
    data: bytes,
    response: Any,
    *,
    server: str,
    verb: str,
    resource: Resource | None,
    namespace: str | None,
    subresource: str | None,
    name: str | None,
    path: str,
    retryable: bool,
) -> None:
    """Raise the error a non-2xx answer means (``Transient`` when another try may succeed)."""
    body = _status_body(data)
    message = str(body.get("message") or response.reason or "").strip()
    reason = str(body.get("reason") or "")
    what = describe(verb, resource, namespace, subresource, name, path)
    qualified = resource.qualified if resource else path
    if status in _RETRY_STATUS and (retryable or status in _RETRY_STATUS_UNSAFE):
        retry_after = _retry_after(response, body)
        raise Transient(f"{status} {reason or response.reason}: {message}".rstrip(": "), retry_after)
    if status == 401:
        raise ForbiddenError(
            f"{what}: the API server {server} rejected the credentials (401 Unauthorized); "
            "the token may have expired: log in again (`oc login`) or check --kubeconfig/--context",
            status=status,
            reason=reason,
            verb=verb,
            resource=qualified,
        )
    if status == 403:
        target = f"{resource.plural}/{subresource}" if resource and subresource else qualified
        if verb in _READ_VERBS and subresource != "scale":
            grant = (
                f"the ClusterRole {READONLY_CLUSTERROLE} ({READONLY_CLUSTERROLE_FILE}) grants it: "
                f"oc adm policy add-cluster-role-to-user {READONLY_CLUSTERROLE} <user>"
            )
        else:
            grant = f"this needs write access: a Role or ClusterRole granting '{verb}' on '{target}'" + (
                f" in namespace {namespace}" if namespace else ""
            )
        raise ForbiddenError(
            f"{what}: forbidden (403): not allowed to {verb} {target}"
            + (f" in namespace {namespace}" if namespace else "")
            + f"; {grant}. Server said: {message}",
            status=status,
            reason=reason,
            verb=verb,
            resource=qualified,
        )
    if status == 404:
        if _names_an_object(body):
            raise NotFoundError(
                f"{what}: not found", status=status, reason=reason, verb=verb, resource=qualified
            )
        served = f"{resource.qualified}/{resource.version}" if resource else path
        raise NotServedError(
            f"{what}: the cluster does not serve {served}"
            + (" (is this OpenShift with the operator installed?)" if resource and resource.group else ""),
            status=status,
            reason=reason,
            verb=verb,
            resource=qualified,
        )
    if status in _RETRY_STATUS:
        raise ApiError(
            f"{what} may not have completed: {status} {reason}: {message}",
            status=status,
            reason=reason,
            verb=verb,
            resource=qualified,
        )
    raise ApiError(
        f"{what}: {status} {reason}: {message}".rstrip(": "),
        status=status,
        reason=reason,
        verb=verb,
        resource=qualified,
    )


def describe(
    verb: str,
    resource: Resource | None,
    namespace: str | None,
    subresource: str | None,
    name: str | None,
    path: str,
) -> str:
    """``get machinesets.machine.openshift.io/scale NAME in namespace NS``: what a person can look up."""
    if resource is None:
        return f"{verb} {path}"
    target = resource.qualified + (f"/{subresource}" if subresource else "")
    where = f" in namespace {namespace}" if namespace and resource.namespaced else ""
    return f"{verb} {target}{' ' + name if name else ''}{where}"


def _names_an_object(body: Obj) -> bool:
    """Whether a 404 came from a served type's own handler: a ``Status`` naming the missing object.

    kube-apiserver answers a path nobody serves (an API group that is not installed, a resource a CRD
    group lacks) with the plain text ``404 page not found``; a built-in group without the resource answers
    a ``Status`` without a name ("the server could not find the requested resource"). Only a missing
    object gets ``reason: NotFound`` with ``details.name``.
    """
    details = body.get("details")
    return (
        body.get("kind") == "Status"
        and body.get("reason") == "NotFound"
        and isinstance(details, dict)
        and bool(details.get("name"))
    )


def _status_body(data: bytes) -> Obj:
    try:
        body = json.loads(data) if data else {}
    except ValueError:
        return {"message": data.decode("utf-8", "replace")[:200] if isinstance(data, bytes) else str(data)}
    return body if isinstance(body, dict) else {}


def _retry_after(response: Any, body: Obj) -> float | None:
    header = None
    try:
        header = response.getheader("Retry-After")
    except Exception:  # header access differs between urllib3 versions; the body has it too
        header = None
    for value in (header, (body.get("details") or {}).get("retryAfterSeconds")):
        if value is None:
            continue
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


def reason_of(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None) or (exc.args[1] if len(exc.args) > 1 else None)
    text = str(inner or exc)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text
