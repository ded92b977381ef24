"""An in-process Kubernetes API server for tests: real HTTP on 127.0.0.1, threaded, sync.

This module is the public class (lifecycle, seeding, faults); the rooms behind it: ``wire`` (HTTP),
``routes`` (paths), ``verbs`` (what each verb does), ``writes`` (create/update: server-owned fields,
dry run, finalizers), ``crds`` (custom resources pruned, defaulted and validated against the real
CRDs), ``store`` (objects, events, what the server stamps on them), ``watch``, ``table`` (server-side
printing), ``patch``, ``selectors``, ``discovery``, ``faults``.

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

import copy
import datetime as dt
import fnmatch
import json
import threading
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .crds import Crds, default_folder
from .faults import Fault, RecordedRequest
from .patch import merge_patch
from .resources import OPENSHIFT_RESOURCES, ResourceType
from .selectors import parse_label_selector
from .store import CREATION_TIMESTAMP, Store, WriteHook
from .wire import Handler

Obj = dict[str, Any]

TOKEN = "sha256~emulator-token"
#: The namespaces kube-apiserver creates itself (a namespaced create elsewhere needs its Namespace first).
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

__all__ = ["CREATION_TIMESTAMP", "TOKEN", "KubeEmulator", "WriteHook"]


class KubeEmulator:
    """A small Kubernetes API server; every served kind is stored as plain JSON objects."""

    def __init__(
        self,
        resources: Iterable[ResourceType] = OPENSHIFT_RESOURCES,
        *,
        token: str | None = TOKEN,
        git_version: str = "v1.32.6",
        clock: Callable[[], dt.datetime] | None = None,
        crds: Path | str | bool | None = True,
    ) -> None:
        """``clock``: when objects are created and deleted, and what ``Age`` counts from (default: every
        object is created at ``CREATION_TIMESTAMP``, ages count from the real time). ``crds``: the CRD
        folder custom resources are pruned, defaulted and validated against (``True``: the default
        folder, see ``crds.default_folder``; ``False``/``None``: store them as sent)."""
        self._store = Store()
        self._now: Callable[[], dt.datetime] = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        if clock is not None:
            self._store.clock = lambda: clock().astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        folder = default_folder() if crds is True else Path(crds) if crds else None
        self._crds = Crds(folder) if folder is not None else None
        self._lock = self._store.lock
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._kinds: dict[str, ResourceType] = {}
        for rtype in resources:
            self.register(rtype)
        self._faults: list[Fault] = []
        if "Namespace" in self._kinds:  # what every new cluster has; NamespaceLifecycle needs them
            for ns in SYSTEM_NAMESPACES:
                self.add(
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": ns},
                        "status": {"phase": "Active"},
                    }
                )
        self.token = token
        self.git_version = git_version
        self.requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> KubeEmulator:
        """Listen on a random port of 127.0.0.1 in a background thread."""
        handler = type("Handler", (Handler,), {"emulator": self})
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
        with self._lock:
            self._store.closed = True
            self._store.changed.notify_all()
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
        with self._lock:
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
            obj = copy.deepcopy(obj)
            stored = self._store.put(rtype, obj, old=self._store.find(rtype, obj))
            return copy.deepcopy(stored)

    def add_all(self, objs: Iterable[Obj]) -> None:
        """``add`` each object."""
        for obj in objs:
            self.add(obj)

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """A copy of the stored object, or None."""
        rtype = self.resource_type(kind)
        with self._lock:
            obj = self._store.bucket(rtype).get(((namespace or "") if rtype.namespaced else "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str | None = None, label_selector: str = "") -> list[Obj]:
        """Copies of the stored objects of a kind, optionally in one namespace and matching a selector."""
        rtype = self.resource_type(kind)
        match = parse_label_selector(label_selector)
        with self._lock:
            return [
                copy.deepcopy(o)
                for (ns, _), o in sorted(self._store.bucket(rtype).items())
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
            old = self._store.bucket(rtype).get(key)
            if old is None:
                raise KeyError(f"{rtype.plural} {namespace}/{name} not in the emulator")
            new = merge_patch(old, patch) if patch is not None else copy.deepcopy(old)
            if fn is not None:
                new = fn(new) or new
            return copy.deepcopy(self._store.put(rtype, new, old=old))

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Remove an object; True when it existed."""
        rtype = self.resource_type(kind)
        with self._lock:
            current = self._store.bucket(rtype).get(self._store.key_of(rtype, name, namespace))
            return current is not None and self._store.remove(rtype, current) is not None

    def set_pod_log(self, namespace: str, name: str, text: str, container: str = "") -> None:
        """What ``GET .../pods/<name>/log`` returns (for ``container``, or for any container when '')."""
        with self._lock:
            self._store.logs[(namespace, name, container)] = text

    def on_write(self, hook: WriteHook) -> None:
        """Call ``hook(verb, rtype, obj)`` after every write a client makes (create/update/patch/delete)."""
        self._store.hooks.append(hook)

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
