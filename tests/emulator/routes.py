"""From a request path to what it names: the resource type, namespace, object and subresource.

kube-apiserver answers a path no handler serves with a plain-text ``404 page not found`` (the last
handler, ``http.NotFound``), and a path inside a built-in group's go-restful container that names no
resource with a ``Status`` 404. ``route`` raises the one that applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .faults import HttpError, PageNotFound, RecordedRequest
from .resources import ResourceType

Types = dict[tuple[str, str, str], ResourceType]

#: Groups kube-apiserver serves itself (go-restful): an unknown resource there is a ``Status`` 404.
BUILTIN_GROUPS = frozenset(
    {"", "apps", "batch", "autoscaling", "policy", "rbac.authorization.k8s.io", "apiextensions.k8s.io"}
)


@dataclass
class Route:
    rtype: ResourceType
    namespace: str | None
    name: str | None
    sub: str | None


def route(types: Types, path: str) -> Route | None:
    """Resolve a resource path; None for discovery paths; ``HttpError`` 404 for unknown ones."""
    segs = [s for s in path.split("/") if s]
    if segs[:2] == ["api", "v1"] and len(segs) > 2:
        group, version, rest = "", "v1", segs[2:]
    elif segs[:1] == ["apis"] and len(segs) > 3:
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        return None
    namespace = None
    if (
        len(rest) >= 3
        and rest[0] == "namespaces"
        and (t := types.get((group, version, rest[2]))) is not None
        and t.namespaced
    ):
        namespace, rest = rest[1], rest[2:]
    rtype = types.get((group, version, rest[0]))
    if rtype is None and (group not in BUILTIN_GROUPS or not _serves(types, group, version)):
        # Nothing is installed at /apis/GROUP/VERSION for this resource (a CRD group without it, or
        # no such group): the request falls through every handler to the plain-text 404.
        raise PageNotFound()
    if rtype is None or len(rest) > 3 or (namespace is not None and not rtype.namespaced):
        raise HttpError(404, "the server could not find the requested resource")
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in rtype.subresources:
        raise HttpError(404, "the server could not find the requested resource")
    if rtype.namespaced and name is not None and namespace is None:
        raise HttpError(404, "the server could not find the requested resource")
    return Route(rtype, namespace, name, sub)


def _serves(types: Types, group: str, version: str) -> bool:
    return any(g == group and v == version for g, v, _ in types)


def _verb(method: str, found: Route, query: dict[str, str]) -> str:
    if method == "GET" and not found.name:
        return "watch" if query.get("watch") in ("true", "1") else "list"
    return {
        "GET": "get",
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if found.name else "deletecollection",
    }.get(method, method.lower())


def parse_request(
    types: Types, method: str, target: str, content_type: str, body: Any
) -> tuple[RecordedRequest, Route | None]:
    """The request as the server saw it, and its route (None for discovery and unknown paths)."""
    parts = urlsplit(target)
    path = unquote(parts.path)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    try:
        found = route(types, path)
    except HttpError:
        found = None
    request = RecordedRequest(
        method=method,
        path=path,
        query=query,
        verb=_verb(method, found, query) if found else "discovery",
        resource=found.rtype.plural if found else "",
        group=found.rtype.group if found else "",
        resource_path=(f"{found.rtype.plural}/{found.sub}" if found.sub else found.rtype.plural)
        if found
        else "",
        namespace=found.namespace if found else None,
        name=found.name if found else None,
        content_type=content_type,
        body=body,
    )
    return request, found
