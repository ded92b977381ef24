"""An in-process Kubernetes API server for tests: real HTTP on 127.0.0.1, threaded, sync.

Why not kmock's ``KubernetesEmulator``: it is aiohttp/async (a sync test would need an event loop in a
background thread), and it has no label or field selectors, no strategic merge / JSON patch, no scale or
log subresources and no per-route fault injection; all of which the cluster commands depend on.

Usage (see ``fixtures.py`` for the pytest fixtures)::

    emu = KubeEmulator().start()
    kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig")

    emu.add(obj)                                          # seed / replace an object (any served kind)
    emu.get("MachineSet", "name", "openshift-machine-api")  # read back what clients wrote
    emu.update("Machine", "m-1", "openshift-machine-api", {"status": {"phase": "Running"}})  # play it
    emu.delete("Pod", "smoke", "default")
    emu.set_pod_log("default", "smoke", "...nvidia-smi output...")
    emu.on_write(lambda verb, rtype, obj: ...)            # react to client writes (e.g. scale -> new Machine)

    emu.fault(verb="list", resource="machines", status=429, times=2, retry_after=1)
    emu.fault(path="/apis/config.openshift.io/*", status=403, times=None)   # every time
    emu.fault(resource="nodes", delay=2.0)                # slower than the client's read timeout
    emu.fault(resource="nodes", drop=True)                # close the connection without an answer

    emu.count()                                           # requests served so far
    emu.count(method="GET", path="/api/v1/nodes")         # exact path; a glob also works
    emu.requests                                          # [RecordedRequest(method, path, query, verb, ...)]
    emu.unserve_group("config.openshift.io")              # discovery 404s: "not OpenShift"
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fnmatch
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .discovery import discovery
from .faults import Fault, HttpError, PageNotFound, RecordedRequest, fault_status, status_body
from .patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from .resources import OPENSHIFT_RESOURCES, ResourceType
from .selectors import SelectorError, parse_field_selector, parse_label_selector

Obj = dict[str, Any]
WriteHook = Callable[[str, ResourceType, Obj], None]

TOKEN = "sha256~emulator-token"
#: Groups kube-apiserver serves itself (go-restful): an unknown resource there is a ``Status`` 404.
BUILTIN_GROUPS = frozenset(
    {"", "apps", "batch", "autoscaling", "policy", "rbac.authorization.k8s.io", "apiextensions.k8s.io"}
)
CREATION_TIMESTAMP = "2026-11-02T09:14:07Z"


@dataclass
class _Route:
    rtype: ResourceType
    namespace: str | None
    name: str | None
    sub: str | None


@dataclass
class _Store:
    objects: dict[tuple[str, str], dict[tuple[str, str], Obj]] = field(default_factory=dict)
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)


class KubeEmulator:
    """A small Kubernetes API server; every served kind is stored as plain JSON objects."""

    def __init__(
        self,
        resources: Iterable[ResourceType] = OPENSHIFT_RESOURCES,
        *,
        token: str | None = TOKEN,
        git_version: str = "v1.32.6",
    ) -> None:
        self._lock = threading.RLock()
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._kinds: dict[str, ResourceType] = {}
        for rtype in resources:
            self.register(rtype)
        self._store = _Store()
        self._faults: list[Fault] = []
        self._hooks: list[WriteHook] = []
        self._rv = 1000
        self.token = token
        self.git_version = git_version
        self.requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> KubeEmulator:
        """Listen on a random port of 127.0.0.1 in a background thread."""
        handler = type("Handler", (_Handler,), {"emulator": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False  # a handler sleeping in a delay fault must not block stop()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="kube-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; open connections are dropped."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def write_kubeconfig(
        self,
        path: Path | str,
        *,
        context: str = "emulator",
        namespace: str = "default",
        token: str | None = None,
    ) -> Path:
        """Write a kubeconfig that points the official client at this server; returns its path."""
        path = Path(path)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "emulator-user", "user": {"token": token or self.token or "no-token"}}],
            "contexts": [
                {
                    "name": context,
                    "context": {"cluster": "emulator", "user": "emulator-user", "namespace": namespace},
                }
            ],
            "current-context": context,
        }
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML: the client's loader reads it
        return path

    # -- resource types ------------------------------------------------------------------------------

    def register(self, rtype: ResourceType) -> None:
        """Serve one more resource type (a CRD the defaults lack)."""
        with getattr(self, "_lock", threading.RLock()):
            self._types[(rtype.group, rtype.version, rtype.plural)] = rtype
            for key in (
                rtype.kind,
                rtype.plural,
                f"{rtype.kind}.{rtype.group}",
                f"{rtype.plural}.{rtype.group}",
            ):
                self._kinds[key] = rtype

    def unserve_group(self, group: str) -> None:
        """Stop serving a whole API group: discovery and every path under it answer 404."""
        with self._lock:
            for key in [k for k in self._types if k[0] == group]:
                rtype = self._types.pop(key)
                for name in [n for n, t in self._kinds.items() if t == rtype]:
                    del self._kinds[name]

    def resource_type(self, kind: str) -> ResourceType:
        """Look up a served type by ``Kind``, plural, ``Kind.group`` or ``plural.group``."""
        try:
            return self._kinds[kind]
        except KeyError:
            raise KeyError(f"the emulator does not serve {kind!r}") from None

    # -- playing the cluster -------------------------------------------------------------------------

    def add(self, obj: Obj) -> Obj:
        """Create or replace ``obj`` as the cluster would hold it (status kept); returns the stored copy."""
        api_version, kind = obj["apiVersion"], obj["kind"]
        group = api_version.rpartition("/")[0]
        rtype = self.resource_type(f"{kind}.{group}" if group else kind)
        with self._lock:
            stored = self._stamp(rtype, copy.deepcopy(obj), old=self._find(rtype, obj))
            self._bucket(rtype)[self._key(rtype, stored)] = stored
            return copy.deepcopy(stored)

    def add_all(self, objs: Iterable[Obj]) -> None:
        """``add`` each object."""
        for obj in objs:
            self.add(obj)

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """A copy of the stored object, or None."""
        rtype = self.resource_type(kind)
        with self._lock:
            obj = self._bucket(rtype).get(((namespace or "") if rtype.namespaced else "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str | None = None, label_selector: str = "") -> list[Obj]:
        """Copies of the stored objects of a kind, optionally in one namespace and matching a selector."""
        rtype = self.resource_type(kind)
        match = parse_label_selector(label_selector)
        with self._lock:
            return [
                copy.deepcopy(o)
                for (ns, _), o in sorted(self._bucket(rtype).items())
                if (namespace is None or ns == namespace) and match(o["metadata"].get("labels") or {})
            ]

    def update(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        patch: Obj | None = None,
        fn: Callable[[Obj], Obj | None] | None = None,
    ) -> Obj:
        """Change a stored object with a JSON merge ``patch`` (status included) and/or ``fn(obj)``."""
        rtype = self.resource_type(kind)
        with self._lock:
            key = ((namespace or "") if rtype.namespaced else "", name)
            old = self._bucket(rtype).get(key)
            if old is None:
                raise KeyError(f"{rtype.plural} {namespace}/{name} not in the emulator")
            new = merge_patch(old, patch) if patch is not None else copy.deepcopy(old)
            if fn is not None:
                new = fn(new) or new
            stored = self._stamp(rtype, new, old=old)
            self._bucket(rtype)[key] = stored
            return copy.deepcopy(stored)

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Remove an object; True when it existed."""
        rtype = self.resource_type(kind)
        with self._lock:
            return (
                self._bucket(rtype).pop(((namespace or "") if rtype.namespaced else "", name), None)
                is not None
            )

    def set_pod_log(self, namespace: str, name: str, text: str, container: str = "") -> None:
        """What ``GET .../pods/<name>/log`` returns (for ``container``, or for any container when '')."""
        with self._lock:
            self._store.logs[(namespace, name, container)] = text

    def on_write(self, hook: WriteHook) -> None:
        """Call ``hook(verb, rtype, obj)`` after every write a client makes (create/update/patch/delete)."""
        self._hooks.append(hook)

    # -- requests and faults -------------------------------------------------------------------------

    def fault(
        self,
        path: str = "*",
        method: str = "*",
        *,
        verb: str | None = None,
        resource: str | None = None,
        status: int | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        drop: bool = False,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> Fault:
        """Plan a failure for matching requests (path glob, HTTP method, Kubernetes verb, plural).

        ``status`` answers with a Kubernetes ``Status`` body (403 names the verb and resource like a real
        RBAC denial); ``delay`` sleeps first (a client with a shorter read timeout times out); ``drop``
        closes the connection without an answer. Faults are tried in the order they were added.
        """
        planned = Fault(
            method.upper(), path, verb, resource, status, times, delay, drop, retry_after, message
        )
        with self._lock:
            self._faults.append(planned)
        return planned

    def clear_faults(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._faults.clear()

    def count(self, method: str | None = None, path: str | None = None, verb: str | None = None) -> int:
        """Requests served so far that match (path: exact or glob)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (verb is None or r.verb == verb)
                and (path is None or r.path == path or fnmatch.fnmatchcase(r.path, path))
            )

    def clear_requests(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.requests.clear()

    # -- internals: storage --------------------------------------------------------------------------

    def _bucket(self, rtype: ResourceType) -> dict[tuple[str, str], Obj]:
        return self._store.objects.setdefault((rtype.group, rtype.plural), {})

    @staticmethod
    def _key(rtype: ResourceType, obj: Obj) -> tuple[str, str]:
        meta = obj["metadata"]
        return (meta.get("namespace", "") if rtype.namespaced else "", meta["name"])

    def _find(self, rtype: ResourceType, obj: Obj) -> Obj | None:
        return self._bucket(rtype).get(self._key(rtype, obj))

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _stamp(self, rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        """Set what the server owns: apiVersion/kind, uid, creationTimestamp, resourceVersion, generation."""
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        meta = obj.setdefault("metadata", {})
        if not rtype.namespaced:
            meta.pop("namespace", None)
        if old is None:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", CREATION_TIMESTAMP)
            meta["generation"] = meta.get("generation") or 1
        else:
            for key in ("uid", "creationTimestamp"):
                if key in old["metadata"]:
                    meta[key] = old["metadata"][key]
            generation = old["metadata"].get("generation", 1)
            if obj.get("spec") != old.get("spec"):
                generation += 1
            meta["generation"] = generation
        meta["resourceVersion"] = self._next_rv()
        return obj

    # -- internals: HTTP ------------------------------------------------------------------------------

    def _record(self, handler: _Handler, method: str, body: Any) -> tuple[RecordedRequest, _Route | None]:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        route: _Route | None = None
        verb = "discovery"
        try:
            route = self._route(path)
        except HttpError:
            route = None
        if route is not None:
            verb = {
                "GET": "get" if route.name else ("watch" if query.get("watch") in ("true", "1") else "list"),
                "POST": "create",
                "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete" if route.name else "deletecollection",
            }.get(method, method.lower())
        request = RecordedRequest(
            method=method,
            path=path,
            query=query,
            verb=verb,
            resource=route.rtype.plural if route else "",
            group=route.rtype.group if route else "",
            resource_path=(f"{route.rtype.plural}/{route.sub}" if route and route.sub else route.rtype.plural)
            if route
            else "",
            namespace=route.namespace if route else None,
            name=route.name if route else None,
            content_type=handler.headers.get("Content-Type", ""),
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        return request, route

    def _route(self, path: str) -> _Route | None:
        """Resolve a resource path; None for discovery paths; HttpError 404 for unknown ones."""
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
            and (t := self._types.get((group, version, rest[2]))) is not None
            and t.namespaced
        ):
            namespace, rest = rest[1], rest[2:]
        rtype = self._types.get((group, version, rest[0]))
        if rtype is None and (group not in BUILTIN_GROUPS or not self._serves(group, version)):
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
        return _Route(rtype, namespace, name, sub)

    def _serves(self, group: str, version: str) -> bool:
        return any(g == group and v == version for g, v, _ in self._types)

    def _matching_fault(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            for planned in self._faults:
                if planned.matches(request):
                    planned.hits += 1
                    return planned
        return None

    def handle(self, handler: _Handler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        request, _ = self._record(handler, method, body)
        planned = self._matching_fault(request)
        if planned is not None:
            if planned.delay:
                time.sleep(planned.delay)
            if planned.drop:
                handler.close_connection = True
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if planned.status is not None:
                error = fault_status(planned, request)
                headers = {"Retry-After": str(planned.retry_after)} if planned.retry_after is not None else {}
                handler.send_json(error.code, status_body(error), headers)
                return
        if self.token and handler.headers.get("Authorization") != f"Bearer {self.token}":
            handler.send_json(401, status_body(HttpError(401, "Unauthorized")))
            return
        try:
            code, payload, content_type = self._serve(method, request, body)
        except PageNotFound:
            handler.send_text(
                404, PageNotFound.TEXT, "text/plain; charset=utf-8", {"X-Content-Type-Options": "nosniff"}
            )
            return
        except HttpError as exc:
            handler.send_json(exc.code, status_body(exc))
            return
        if content_type == "application/json":
            handler.send_json(code, payload)
        else:
            handler.send_text(code, str(payload), content_type)

    def _serve(self, method: str, request: RecordedRequest, body: Any) -> tuple[int, Any, str]:
        route = self._route(request.path)
        if route is None:
            if method != "GET":
                raise HttpError(405, f"method {method} not allowed on {request.path}")
            return 200, discovery(self._types, request.path, self.git_version), "application/json"
        with self._lock:
            return self._serve_resource(method, request, route, body)

    def _serve_resource(
        self, method: str, request: RecordedRequest, route: _Route, body: Any
    ) -> tuple[int, Any, str]:
        rtype, ns, name, sub = route.rtype, route.namespace, route.name, route.sub
        verb = request.verb
        if verb not in rtype.verbs and verb not in ("deletecollection",):
            raise HttpError(405, "the server does not allow this method on the requested resource")
        bucket = self._bucket(rtype)
        key = (ns or "", name or "")
        qualified = f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural
        not_found = HttpError(
            404, f'{qualified} "{name}" not found', {"name": name, "group": rtype.group, "kind": rtype.plural}
        )
        if verb == "watch":
            raise HttpError(400, "watch is not supported by the test emulator; poll with list")
        if verb in ("list", "deletecollection"):
            items = self._select(rtype, ns, request.query)
            if verb == "deletecollection":
                for item in items:
                    bucket.pop(self._key(rtype, item), None)
                    self._fire("delete", rtype, item)
            return 200, self._list_body(rtype, items, request.query), "application/json"
        if verb == "create":
            return 201, self._create(rtype, ns, body), "application/json"
        current = bucket.get(key)
        if current is None:
            raise not_found
        if sub == "log":
            return 200, self._log(current, request.query), "text/plain"
        if verb == "get":
            if sub == "scale":
                return 200, self._scale(rtype, current), "application/json"
            return 200, copy.deepcopy(current), "application/json"
        if verb == "delete":
            del bucket[key]
            self._fire("delete", rtype, current)
            return 200, copy.deepcopy(current), "application/json"
        # update / patch
        if sub == "scale":
            scale = self._scale(rtype, current)
            new_scale = self._apply(scale, body, request) if verb == "patch" else body
            replicas = ((new_scale or {}).get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise HttpError(422, f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value')
            new = copy.deepcopy(current)
            _set_path(new, rtype.scale_paths[0], replicas)
            stored = self._stamp(rtype, new, old=current)
            bucket[key] = stored
            self._fire(verb, rtype, stored)
            return 200, self._scale(rtype, stored), "application/json"
        if verb == "update":
            new = copy.deepcopy(body) if isinstance(body, dict) else None
            if new is None:
                raise HttpError(400, "the body of the request was in an unknown format")
            wanted_rv = (new.get("metadata") or {}).get("resourceVersion")
            if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
                raise HttpError(
                    409,
                    f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    {"name": name, "group": rtype.group, "kind": rtype.plural},
                )
        else:
            new = self._apply(current, body, request)
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
        stored = self._stamp(rtype, new, old=current)
        bucket[key] = stored
        self._fire(verb, rtype, stored)
        return 200, copy.deepcopy(stored), "application/json"

    def _apply(self, current: Obj, body: Any, request: RecordedRequest) -> Obj:
        content_type = request.content_type.split(";")[0].strip()
        try:
            if content_type == "application/json-patch+json":
                if not isinstance(body, list):
                    raise PatchError("a JSON patch must be a list of operations")
                return json_patch(current, body)  # type: ignore[no-any-return]
            if content_type == "application/merge-patch+json":
                return merge_patch(current, body)  # type: ignore[no-any-return]
            if content_type == "application/strategic-merge-patch+json":
                if request.resource not in {t.plural for t in self._types.values() if not t.group}:
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

    def _create(self, rtype: ResourceType, ns: str | None, body: Any) -> Obj:
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
        qualified = f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural
        if self._find(rtype, obj) is not None:
            raise HttpError(
                409,
                f'{qualified} "{meta["name"]}" already exists',
                {"name": meta["name"], "group": rtype.group, "kind": rtype.plural},
            )
        if "status" in rtype.subresources:
            obj.pop("status", None)
        if rtype.kind == "Pod":
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        stored = self._stamp(rtype, obj, old=None)
        self._bucket(rtype)[self._key(rtype, stored)] = stored
        self._fire("create", rtype, stored)
        return copy.deepcopy(stored)

    def _select(self, rtype: ResourceType, ns: str | None, query: dict[str, str]) -> list[Obj]:
        try:
            labels = parse_label_selector(query.get("labelSelector", ""))
            fields = parse_field_selector(query.get("fieldSelector", ""), rtype.plural)
        except SelectorError as exc:
            raise HttpError(400, str(exc)) from exc
        return [
            obj
            for (obj_ns, _), obj in sorted(self._bucket(rtype).items())
            if (ns is None or obj_ns == ns) and labels(obj["metadata"].get("labels") or {}) and fields(obj)
        ]

    def _list_body(self, rtype: ResourceType, items: list[Obj], query: dict[str, str]) -> Obj:
        start = 0
        if query.get("continue"):
            try:
                start = int(base64.urlsafe_b64decode(query["continue"].encode()).decode())
            except ValueError as exc:
                raise HttpError(410, "The provided continue parameter is too old", {}) from exc
        limit = int(query.get("limit") or 0)
        page = items[start : start + limit] if limit else items[start:]
        meta: Obj = {"resourceVersion": str(self._rv)}
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

    def _scale(self, rtype: ResourceType, obj: Obj) -> Obj:
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

    def _log(self, pod: Obj, query: dict[str, str]) -> str:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        container = query.get("container", "")
        text = self._store.logs.get((ns, name, container), self._store.logs.get((ns, name, "")))
        if text is None:
            phase = (pod.get("status") or {}).get("phase", "Pending")
            if phase == "Pending":
                first = ((pod.get("spec") or {}).get("containers") or [{}])[0].get("name", "")
                raise HttpError(
                    400,
                    f'container "{container or first}" in pod "{name}" is waiting to start: '
                    "ContainerCreating",
                )
            text = ""
        if query.get("tailLines"):
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(query["tailLines"]) :])
        return text

    def _fire(self, verb: str, rtype: ResourceType, obj: Obj) -> None:
        for hook in list(self._hooks):
            hook(verb, rtype, copy.deepcopy(obj))


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


class _Handler(BaseHTTPRequestHandler):
    emulator: KubeEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_text(code, json.dumps(payload), "application/json", headers)

    def send_text(
        self, code: int, text: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = text.encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (read timeout) while a delay fault slept; nothing left to answer.
            self.close_connection = True

    def do_GET(self) -> None:
        self.emulator.handle(self, "GET")

    def do_POST(self) -> None:
        self.emulator.handle(self, "POST")

    def do_PUT(self) -> None:
        self.emulator.handle(self, "PUT")

    def do_PATCH(self) -> None:
        self.emulator.handle(self, "PATCH")

    def do_DELETE(self) -> None:
        self.emulator.handle(self, "DELETE")
