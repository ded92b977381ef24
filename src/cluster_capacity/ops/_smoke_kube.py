"""``SmokeCluster`` over the Kubernetes API: the calls the smoke test makes, as plain dicts.

TEMPORARY: until ``cluster_capacity.kube`` (built on another branch) lands, this module talks to the API
through the official client itself, with the same error translation rules (``ClusterError`` keeping the
Kubernetes Status message). Once ``kube`` is merged, each method becomes a one-line call into it.
"""

from __future__ import annotations

import json
from typing import Any

from cluster_capacity.errors import ClusterError

Obj = dict[str, Any]

__all__ = ["KubeSmokeCluster", "connect"]

_MACHINE = ("machine.openshift.io", "v1beta1")
_MACHINESET_LABEL = "machine.openshift.io/cluster-api-machineset"


def _status_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    try:
        message = json.loads(body).get("message") if body else None
    except (ValueError, AttributeError):
        message = None
    return str(message or getattr(exc, "reason", None) or exc)


class KubeSmokeCluster:
    """The smoke test's view of a cluster, through an ``ApiClient``."""

    def __init__(self, api_client: Any) -> None:
        from kubernetes import client

        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)

    def _call(self, what: str, fn: Any, *args: Any, missing_ok: bool = False, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            if missing_ok and exc.status == 404:
                return None
            raise ClusterError(f"{what}: {exc.status} {_status_message(exc)}") from exc
        except (HTTPError, OSError) as exc:
            raise ClusterError(f"{what}: cannot reach the Kubernetes API: {exc}") from exc
        except ValueError as exc:  # the client's own request validation (pydantic)
            raise ClusterError(f"{what}: the request was refused by the client: {exc}") from exc

    @staticmethod
    def _json(response: Any) -> Obj:
        # Reads skip the client's model classes: they reject objects with fields they do not know or
        # miss fields they expect, and the smoke test only needs a few keys of the raw JSON.
        try:
            data = json.loads(response.data)
        except (ValueError, AttributeError) as exc:
            raise ClusterError(f"the Kubernetes API answered something that is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ClusterError("the Kubernetes API answered JSON that is not an object")
        return data

    def machineset(self, namespace: str, name: str) -> Obj | None:
        return self._call(
            f"get MachineSet {namespace}/{name}",
            self._custom.get_namespaced_custom_object,
            *_MACHINE,
            namespace,
            "machinesets",
            name,
            missing_ok=True,
        )  # type: ignore[no-any-return]

    def scale_machineset(self, namespace: str, name: str, replicas: int) -> None:
        self._call(
            f"scale MachineSet {namespace}/{name} to {replicas}",
            self._custom.patch_namespaced_custom_object_scale,
            *_MACHINE,
            namespace,
            "machinesets",
            name,
            {"spec": {"replicas": replicas}},
        )

    def machines(self, namespace: str, machineset: str) -> list[Obj]:
        result = self._call(
            f"list Machines of {machineset}",
            self._custom.list_namespaced_custom_object,
            *_MACHINE,
            namespace,
            "machines",
            label_selector=f"{_MACHINESET_LABEL}={machineset}",
        )
        return list(result.get("items") or [])

    def node(self, name: str) -> Obj | None:
        found = self._call(f"get Node {name}", self._core.read_node, name, missing_ok=True, _preload_content=False)
        return None if found is None else self._json(found)

    def cluster_policies(self) -> list[Obj]:
        result = self._call(
            "list ClusterPolicies",
            self._custom.list_cluster_custom_object,
            "nvidia.com",
            "v1",
            "clusterpolicies",
            missing_ok=True,  # no CRD: the GPU Operator is not installed
        )
        return list((result or {}).get("items") or [])

    def application(self, namespace: str, name: str) -> Obj | None:
        return self._call(
            f"get Argo CD Application {namespace}/{name}",
            self._custom.get_namespaced_custom_object,
            "argoproj.io",
            "v1alpha1",
            namespace,
            "applications",
            name,
            missing_ok=True,
        )  # type: ignore[no-any-return]

    def create_pod(self, namespace: str, pod: Obj) -> None:
        self._call(
            f"create Pod {namespace}/{pod['metadata']['name']}",
            self._core.create_namespaced_pod,
            namespace,
            pod,
            _preload_content=False,
        )

    def pod(self, namespace: str, name: str) -> Obj | None:
        found = self._call(
            f"get Pod {namespace}/{name}",
            self._core.read_namespaced_pod,
            name,
            namespace,
            missing_ok=True,
            _preload_content=False,
        )
        return None if found is None else self._json(found)

    def delete_pod(self, namespace: str, name: str) -> None:
        self._call(
            f"delete Pod {namespace}/{name}",
            self._core.delete_namespaced_pod,
            name,
            namespace,
            grace_period_seconds=0,
            missing_ok=True,
            _preload_content=False,
        )

    def pod_log(self, namespace: str, name: str) -> str:
        response = self._call(
            f"read the log of Pod {namespace}/{name}",
            self._core.read_namespaced_pod_log,
            name,
            namespace,
            _preload_content=False,
        )
        return bytes(response.data).decode("utf-8", errors="replace")

    def pod_events(self, namespace: str, name: str) -> list[Obj]:
        result = self._call(
            f"list Events of Pod {namespace}/{name}",
            self._core.list_namespaced_event,
            namespace,
            field_selector=f"involvedObject.name={name}",
            _preload_content=False,
        )
        return [e for e in self._json(result).get("items") or [] if isinstance(e, dict)]


def connect(kubeconfig: str | None = None, context: str | None = None) -> KubeSmokeCluster:
    """A ``KubeSmokeCluster`` from the kubeconfig (or in-cluster config), like ``oc`` finds it."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        if kubeconfig or context or not _in_cluster():
            api = config.new_client_from_config(config_file=kubeconfig, context=context)
        else:
            config.load_incluster_config()
            api = client.ApiClient()
    except (ConfigException, OSError, TypeError) as exc:
        raise ClusterError(f"cannot load the kubeconfig: {exc}") from exc
    return KubeSmokeCluster(api)


def _in_cluster() -> bool:
    import os

    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not os.environ.get("KUBECONFIG")
