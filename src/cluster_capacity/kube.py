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
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cluster_capacity.errors import ClusterError

__all__ = [
    "APPLICATIONS",
    "CLUSTERPOLICIES",
    "CLUSTERVERSIONS",
    "CSVS",
    "INFRASTRUCTURES",
    "MACHINEAUTOSCALERS",
    "MACHINES",
    "MACHINESETS",
    "NODEFEATUREDISCOVERIES",
    "NODES",
    "PACKAGEMANIFESTS",
    "PODS",
    "READONLY_CLUSTERROLE",
    "SUBSCRIPTIONS",
    "ApiError",
    "ForbiddenError",
    "Kube",
    "NotFoundError",
    "NotServedError",
    "Resource",
    "RetryPolicy",
    "connect",
    "resource_for",
]

Obj = dict[str, Any]

#: The read-only ClusterRole shipped in ``docs/rbac-readonly-clusterrole.yaml``.
READONLY_CLUSTERROLE = "cluster-capacity-readonly"
READONLY_CLUSTERROLE_FILE = "docs/rbac-readonly-clusterrole.yaml"
_READ_VERBS = frozenset({"get", "list", "watch"})


@dataclass(frozen=True)
class Resource:
    """A served resource type: where its objects live in the API."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        """``group/version``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``plural.group`` as kubectl and RBAC messages spell it (``machinesets.machine.openshift.io``)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The REST path of the collection, or of one object (and its subresource)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if subresource:
                base += f"/{subresource}"
        return base


MACHINESETS = Resource("machine.openshift.io", "v1beta1", "machinesets", "MachineSet")
MACHINES = Resource("machine.openshift.io", "v1beta1", "machines", "Machine")
MACHINEAUTOSCALERS = Resource(
    "autoscaling.openshift.io", "v1beta1", "machineautoscalers", "MachineAutoscaler"
)
CLUSTERAUTOSCALERS = Resource(
    "autoscaling.openshift.io", "v1", "clusterautoscalers", "ClusterAutoscaler", False
)
INFRASTRUCTURES = Resource("config.openshift.io", "v1", "infrastructures", "Infrastructure", False)
CLUSTERVERSIONS = Resource("config.openshift.io", "v1", "clusterversions", "ClusterVersion", False)
NODES = Resource("", "v1", "nodes", "Node", False)
PODS = Resource("", "v1", "pods", "Pod")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace", False)
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
EVENTS = Resource("", "v1", "events", "Event")
SUBSCRIPTIONS = Resource("operators.coreos.com", "v1alpha1", "subscriptions", "Subscription")
CSVS = Resource("operators.coreos.com", "v1alpha1", "clusterserviceversions", "ClusterServiceVersion")
OPERATORGROUPS = Resource("operators.coreos.com", "v1", "operatorgroups", "OperatorGroup")
PACKAGEMANIFESTS = Resource("packages.operators.coreos.com", "v1", "packagemanifests", "PackageManifest")
CLUSTERPOLICIES = Resource("nvidia.com", "v1", "clusterpolicies", "ClusterPolicy", False)
NODEFEATUREDISCOVERIES = Resource("nfd.openshift.io", "v1", "nodefeaturediscoveries", "NodeFeatureDiscovery")
APPLICATIONS = Resource("argoproj.io", "v1alpha1", "applications", "Application")
SERVICEMONITORS = Resource("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor")
CLUSTERROLES = Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False)
CLUSTERROLEBINDINGS = Resource(
    "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False
)
DEVICECONFIGS = Resource("k8s.aws", "v1beta1", "deviceconfigs", "DeviceConfig")
NODEFEATURERULES = Resource("nfd.openshift.io", "v1alpha1", "nodefeaturerules", "NodeFeatureRule")

_KNOWN: dict[tuple[str, str], Resource] = {
    (r.api_version, r.kind): r
    for r in (
        MACHINESETS,
        MACHINES,
        MACHINEAUTOSCALERS,
        CLUSTERAUTOSCALERS,
        INFRASTRUCTURES,
        CLUSTERVERSIONS,
        NODES,
        PODS,
        NAMESPACES,
        CONFIGMAPS,
        EVENTS,
        SUBSCRIPTIONS,
        CSVS,
        OPERATORGROUPS,
        PACKAGEMANIFESTS,
        CLUSTERPOLICIES,
        NODEFEATUREDISCOVERIES,
        APPLICATIONS,
        SERVICEMONITORS,
        CLUSTERROLES,
        CLUSTERROLEBINDINGS,
        DEVICECONFIGS,
        NODEFEATURERULES,
    )
}


def resource_for(api_version: str, kind: str) -> Resource:
    """The resource of a manifest's ``apiVersion``/``kind`` (every kind this tool renders or reads)."""
    try:
        return _KNOWN[(api_version, kind)]
    except KeyError:
        raise ClusterError(f"no API resource known for {kind} ({api_version})") from None


# --- errors ---------------------------------------------------------------------------------------------


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


# --- retries ---------------------------------------------------------------------------------------------


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


_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: A POST that got a 5xx may have been applied; only retry it when the server said it did nothing.
_RETRY_STATUS_UNSAFE = frozenset({429, 503})


class _Transient(Exception):
    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why, self.retry_after = why, retry_after


# --- client ----------------------------------------------------------------------------------------------


def connect(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Kube:
    """A client from ``kubeconfig`` (else ``$KUBECONFIG``, ``~/.kube/config``) or the pod's service account.

    ``context`` picks a kubeconfig context. Missing or invalid configuration is a ``ClusterError`` that says
    which file and what is wrong.
    """
    from kubernetes import client, config

    configuration = client.Configuration()
    source = _kubeconfig_source(kubeconfig)
    try:
        if source is not None:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=source, context=context, client_configuration=configuration, persist_config=False
            )
            where = f"kubeconfig {source}" + (f" (context {context})" if context else "")
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            if context:
                raise ClusterError(f"--context {context} needs a kubeconfig, but none was found")
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            where = "in-cluster service account"
        else:
            raise ClusterError(
                "no cluster configured: no kubeconfig found (tried --kubeconfig, $KUBECONFIG and "
                "~/.kube/config) and not running in a pod; log in with `oc login` or pass --kubeconfig"
            )
    except ClusterError:
        raise
    except Exception as exc:  # the loader raises ConfigException, OSError, YAML and type errors alike
        what = f"kubeconfig {source}" if source else "in-cluster configuration"
        detail = str(exc).strip() or type(exc).__name__
        if isinstance(
            exc, TypeError | AttributeError
        ):  # the loader walked something that is not a kubeconfig
            detail = "not a kubeconfig file (expected a YAML mapping with clusters, users and contexts)"
        raise ClusterError(f"cannot use {what}: {detail}") from exc
    # Retries are ours (bounded, with backoff and clear errors); urllib3 must not retry behind our back.
    configuration.retries = False
    return Kube(client.ApiClient(configuration), retry=retry, sleep=sleep, where=where)


def _kubeconfig_source(kubeconfig: str | Path | None) -> str | None:
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ClusterError(f"kubeconfig {path} does not exist")
        return str(path)
    env = os.environ.get("KUBECONFIG", "")
    paths = [p for p in env.split(os.pathsep) if p]
    existing = [p for p in paths if Path(p).expanduser().is_file()]
    if paths and not existing:
        raise ClusterError(f"KUBECONFIG names no existing file: {env}")
    if existing:
        return os.pathsep.join(existing)
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


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
        page_size: int = 500,
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
        page_size: int = 500,
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
            except _Transient as exc:
                attempt += 1
                what = _describe(verb, resource, namespace, subresource, name, path)
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
            raise _Transient(f"cannot connect: {_reason(exc)}") from exc
        except urllib3.exceptions.ConnectTimeoutError as exc:
            raise _Transient(f"connect timed out after {self.retry.connect_timeout:g}s") from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            if not safe_to_retry:
                raise ClusterError(f"{method} {path}: no answer within {self.retry.read_timeout:g}s") from exc
            raise _Transient(f"no answer within {self.retry.read_timeout:g}s") from exc
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError, ConnectionError) as exc:
            if not safe_to_retry:
                raise ClusterError(f"{method} {path}: connection dropped: {_reason(exc)}") from exc
            raise _Transient(f"connection dropped: {_reason(exc)}") from exc
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
        self._raise_for(
            status,
            data,
            response,
            verb=verb,
            resource=resource,
            namespace=namespace,
            subresource=subresource,
            name=name,
            path=path,
            retryable=safe_to_retry,
        )
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise_for(
        self,
        status: int,
        data: bytes,
        response: Any,
        *,
        verb: str,
        resource: Resource | None,
        namespace: str | None,
        subresource: str | None,
        name: str | None,
        path: str,
        retryable: bool,
    ) -> None:
        body = _status_body(data)
        message = str(body.get("message") or response.reason or "").strip()
        reason = str(body.get("reason") or "")
        what = _describe(verb, resource, namespace, subresource, name, path)
        qualified = resource.qualified if resource else path
        if status in _RETRY_STATUS and (retryable or status in _RETRY_STATUS_UNSAFE):
            retry_after = _retry_after(response, body)
            raise _Transient(f"{status} {reason or response.reason}: {message}".rstrip(": "), retry_after)
        if status == 401:
            raise ForbiddenError(
                f"{what}: the API server {self.server} rejected the credentials (401 Unauthorized); "
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
            details = body.get("details") or {}
            if details.get("name") or (name and not message.startswith("the server could not find")):
                raise NotFoundError(
                    f"{what}: not found", status=status, reason=reason, verb=verb, resource=qualified
                )
            served = f"{resource.qualified}/{resource.version}" if resource else path
            raise NotServedError(
                f"{what}: the cluster does not serve {served}"
                + (
                    " (is this OpenShift with the operator installed?)" if resource and resource.group else ""
                ),
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


def _with_type(obj: Any, resource: Resource) -> Obj:
    # Items of a LIST of built-in kinds come without apiVersion/kind; callers compare whole objects.
    if not isinstance(obj, dict):
        raise ClusterError(f"unexpected answer for {resource.qualified}: {type(obj).__name__}")
    obj.setdefault("apiVersion", resource.api_version)
    obj.setdefault("kind", resource.kind)
    return obj


def _describe(
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


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None) or (exc.args[1] if len(exc.args) > 1 else None)
    text = str(inner or exc)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text
