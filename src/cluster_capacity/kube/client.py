"""The one module that talks to the Kubernetes API.

It uses the official ``kubernetes`` client for what it is good at (kubeconfig and in-cluster loading,
authentication, TLS, the connection pool) and sends plain REST calls over resource paths, so every
object is a JSON dict and every kind (core, OpenShift, operators, Argo CD) goes through one code path.

- One LIST per call, label and field selectors evaluated by the server, pages of ``page_size`` items.
- Bounded retries with exponential backoff on 429 (``Retry-After`` honoured), 5xx, timeouts and dropped
  connections; then a ``ClusterError`` that says what failed. ``sleep`` is injectable for tests.
- 401/403 name the verb and resource that were refused and the ClusterRole that grants them.
- Secrets are never read: a request for them is refused before it is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cluster_capacity.errors import ClusterError
from cluster_capacity.kube.errors import (
    NotFoundError,
    NotServedError,
    Transient,
    describe,
    raise_for,
    reason_of,
)
from cluster_capacity.kube.resources import PODS, Obj, Resource

#: Objects per LIST page. The API server's own bound is far higher; 1,000 keeps ``status`` at one
#: request per kind per 1,000 objects (a page of 1,000 Nodes is a few MB).
PAGE_SIZE = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``attempts`` tries in all, backoff ``base * 2**n`` up to ``cap``."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    #: Longest ``Retry-After`` honoured; a server asking for more gets this.
    max_retry_after: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (0-based)."""
        return float(min(self.cap, self.base * (2**attempt)))


class Kube:
    """A Kubernetes API client over REST paths, returning plain JSON dicts."""

    def __init__(
        self,
        api_client: Any,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        where: str = "",
    ) -> None:
        self._api = api_client
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.where = where
        #: HTTP requests sent, retries included.
        self.request_count = 0

    @property
    def server(self) -> str:
        """The API server URL."""
        return str(self._api.configuration.host)

    def close(self) -> None:
        """Release the connection pool."""
        self._api.close()

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- verbs ---------------------------------------------------------------------------------------

    def get(self, resource: Resource, name: str, namespace: str | None = None) -> Obj:
        """One object; ``NotFoundError`` if it does not exist, ``NotServedError`` if its type is unserved."""
        data = self._call(
            "GET",
            resource.path(namespace, name),
            verb="get",
            resource=resource,
            namespace=namespace,
            name=name,
        )
        return _with_type(data, resource)

    def get_or_none(self, resource: Resource, name: str, namespace: str | None = None) -> Obj | None:
        """One object, or None when it (or its whole type) is missing."""
        try:
            return self.get(resource, name, namespace)
        except NotFoundError:
            return None

    def list(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        page_size: int = PAGE_SIZE,
    ) -> list[Obj]:
        """Every object of a type (in ``namespace``, or all namespaces), selected by the server."""
        return list(
            self.iter_list(
                resource,
                namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                page_size=page_size,
            )
        )

    def iter_list(
        self,
        resource: Resource,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        page_size: int = PAGE_SIZE,
    ) -> Iterator[Obj]:
        """Like ``list``, one page (one request) at a time."""
        query: dict[str, str] = {"limit": str(page_size)}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        while True:
            data = self._call(
                "GET",
                resource.path(namespace),
                query=query,
                verb="list",
                resource=resource,
                namespace=namespace,
            )
            for item in data.get("items") or []:
                yield _with_type(item, resource)
            token = (data.get("metadata") or {}).get("continue")
            if not token:
                return
            query = {**query, "continue": token}

    def create(self, resource: Resource, obj: Mapping[str, Any], namespace: str | None = None) -> Obj:
        """Create an object; ``ApiError`` 409 if it exists."""
        ns = namespace or (obj.get("metadata") or {}).get("namespace")
        data = self._call(
            "POST",
            resource.path(ns if resource.namespaced else None),
            body=dict(obj),
            verb="create",
            resource=resource,
            namespace=ns,
        )
        return _with_type(data, resource)

    def patch(
        self,
        resource: Resource,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
    ) -> Obj:
        """Patch an object: ``merge`` (JSON merge), ``strategic`` (core kinds only) or ``json`` (RFC 6902)."""
        content_type = {
            "merge": "application/merge-patch+json",
            "strategic": "application/strategic-merge-patch+json",
            "json": "application/json-patch+json",
        }[patch_type]
        data = self._call(
            "PATCH",
            resource.path(namespace, name, subresource),
            body=patch,
            content_type=content_type,
            verb="patch",
            resource=resource,
            namespace=namespace,
            subresource=subresource,
            name=name,
        )
        return data if subresource == "scale" else _with_type(data, resource)

    def scale(self, resource: Resource, name: str, replicas: int, namespace: str | None = None) -> int:
        """Set ``spec.replicas`` through the scale subresource; returns the replicas the server now holds."""
        data = self.patch(resource, name, {"spec": {"replicas": replicas}}, namespace, subresource="scale")
        return int((data.get("spec") or {}).get("replicas", 0))

    def delete(
        self, resource: Resource, name: str, namespace: str | None = None, *, missing_ok: bool = True
    ) -> bool:
        """Delete an object; False when it was already gone (and ``missing_ok``)."""
        try:
            self._call(
                "DELETE",
                resource.path(namespace, name),
                verb="delete",
                resource=resource,
                namespace=namespace,
                name=name,
            )
        except NotFoundError:
            if missing_ok:
                return False
            raise
        return True

    def pod_log(
        self, name: str, namespace: str, *, container: str | None = None, tail_lines: int | None = None
    ) -> str:
        """The log of a pod's container, as text."""
        query: dict[str, str] = {}
        if container:
            query["container"] = container
        if tail_lines is not None:
            query["tailLines"] = str(tail_lines)
        text = self._call(
            "GET",
            PODS.path(namespace, name, "log"),
            query=query,
            verb="get",
            resource=PODS,
            namespace=namespace,
            subresource="log",
            name=name,
            raw=True,
        )
        return str(text)

    def served(self, group: str, version: str | None = None) -> bool:
        """Whether the cluster serves an API group (and version), by discovery."""
        path = f"/apis/{group}" + (f"/{version}" if version else "")
        try:
            self._call("GET", path, verb="get", resource=None)
        except (NotFoundError, NotServedError):
            return False
        return True

    # -- transport -----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        resource: Resource | None,
        namespace: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        raw: bool = False,
    ) -> Any:
        if "/secrets" in path.split("?")[0] and (resource is None or resource.plural == "secrets"):
            raise ClusterError("refusing to access Secrets: cluster-capacity never reads or writes them")
        safe_to_retry = method != "POST"
        attempt = 0
        while True:
            try:
                return self._once(
                    method,
                    path,
                    verb=verb,
                    resource=resource,
                    namespace=namespace,
                    subresource=subresource,
                    name=name,
                    query=query,
                    body=body,
                    content_type=content_type,
                    raw=raw,
                    safe_to_retry=safe_to_retry,
                )
            except Transient as exc:
                attempt += 1
                what = describe(verb, resource, namespace, subresource, name, path)
                if attempt >= self.retry.attempts:
                    raise ClusterError(
                        f"{what} failed after {attempt} attempts: {exc.why} (API server {self.server})"
                    ) from exc
                delay = self.retry.backoff(attempt - 1)
                if exc.retry_after is not None:
                    delay = min(max(exc.retry_after, 0.0), self.retry.max_retry_after)
                self._sleep(delay)

    def _once(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        resource: Resource | None,
        namespace: str | None,
        subresource: str | None,
        name: str | None,
        query: Mapping[str, str] | None,
        body: Any,
        content_type: str | None,
        raw: bool,
        safe_to_retry: bool,
    ) -> Any:
        import urllib3.exceptions

        headers = {"Accept": "text/plain" if raw else "application/json", "User-Agent": "cluster-capacity"}
        if content_type or body is not None:
            headers["Content-Type"] = content_type or "application/json"
        _, url, headers, body_out, _ = self._api.param_serialize(
            method,
            path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        self.request_count += 1
        try:
            response = self._api.call_api(
                method,
                url,
                header_params=headers,
                body=body_out,
                _request_timeout=(self.retry.connect_timeout, self.retry.read_timeout),
            )
            data = response.read()
        except urllib3.exceptions.NewConnectionError as exc:
            raise Transient(f"cannot connect: {reason_of(exc)}") from exc
        except urllib3.exceptions.ConnectTimeoutError as exc:
            raise Transient(f"connect timed out after {self.retry.connect_timeout:g}s") from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            if not safe_to_retry:
                raise ClusterError(f"{method} {path}: no answer within {self.retry.read_timeout:g}s") from exc
            raise Transient(f"no answer within {self.retry.read_timeout:g}s") from exc
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError, ConnectionError) as exc:
            if not safe_to_retry:
                raise ClusterError(f"{method} {path}: connection dropped: {reason_of(exc)}") from exc
            raise Transient(f"connection dropped: {reason_of(exc)}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise ClusterError(f"{method} {path}: {exc}") from exc
        status = int(response.status)
        if 200 <= status < 300:
            if raw:
                return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
            try:
                return json.loads(data) if data else {}
            except ValueError as exc:
                raise ClusterError(f"{method} {path}: the API server answered with invalid JSON") from exc
        raise_for(
            status,
            data,
            response,
            server=self.server,
            verb=verb,
            resource=resource,
            namespace=namespace,
            subresource=subresource,
            name=name,
            path=path,
            retryable=safe_to_retry,
        )
        raise AssertionError("unreachable")  # pragma: no cover


def _with_type(obj: Any, resource: Resource) -> Obj:
    # Items of a LIST of built-in kinds come without apiVersion/kind; callers compare whole objects.
    if not isinstance(obj, dict):
        raise ClusterError(f"unexpected answer for {resource.qualified}: {type(obj).__name__}")
    obj.setdefault("apiVersion", resource.api_version)
    obj.setdefault("kind", resource.kind)
    return obj
