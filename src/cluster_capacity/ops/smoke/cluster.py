"""``SmokeCluster`` over ``cluster_capacity.kube``: the calls the smoke test makes, as plain dicts.

A thin adapter, so ``ops.smoke`` depends on a small protocol (easy to read, easy to fake) while every
request still goes through ``kube`` (retries, error translation, request counting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cluster_capacity import kube
from cluster_capacity.labels import MACHINESET

Obj = dict[str, Any]

__all__ = ["KubeSmokeCluster", "connect"]


class KubeSmokeCluster:
    """The smoke test's view of a cluster, through a ``kube.Kube`` client."""

    def __init__(self, client: kube.Kube) -> None:
        self.kube = client

    def machineset(self, namespace: str, name: str) -> Obj | None:
        return self.kube.get_or_none(kube.MACHINESETS, name, namespace)

    def scale_machineset(self, namespace: str, name: str, replicas: int) -> None:
        self.kube.scale(kube.MACHINESETS, name, replicas, namespace)

    def annotate_machineset(self, namespace: str, name: str, key: str, value: str | None) -> None:
        self.kube.patch(kube.MACHINESETS, name, {"metadata": {"annotations": {key: value}}}, namespace)

    def pods(self, namespace: str, label_selector: str) -> list[Obj]:
        return self.kube.list(kube.PODS, namespace, label_selector=label_selector)

    def machines(self, namespace: str, machineset: str) -> list[Obj]:
        return self.kube.list(kube.MACHINES, namespace, label_selector=f"{MACHINESET}={machineset}")

    def node(self, name: str) -> Obj | None:
        return self.kube.get_or_none(kube.NODES, name)

    def cluster_policies(self) -> list[Obj]:
        try:
            return self.kube.list(kube.CLUSTERPOLICIES)
        except kube.NotServedError:  # no CRD: the GPU Operator is not installed
            return []

    def application(self, namespace: str, name: str) -> Obj | None:
        try:
            return self.kube.get_or_none(kube.APPLICATIONS, name, namespace)
        except kube.NotServedError:  # no Argo CD in this cluster: nothing can revert replicas
            return None

    def create_pod(self, namespace: str, pod: Obj) -> None:
        self.kube.create(kube.PODS, pod, namespace)

    def pod(self, namespace: str, name: str) -> Obj | None:
        return self.kube.get_or_none(kube.PODS, name, namespace)

    def delete_pod(self, namespace: str, name: str) -> None:
        self.kube.delete(kube.PODS, name, namespace)

    def pod_log(self, namespace: str, name: str) -> str:
        return self.kube.pod_log(name, namespace)

    def pod_events(self, namespace: str, name: str) -> list[Obj]:
        return self.kube.list(kube.EVENTS, namespace, field_selector=f"involvedObject.name={name}")


def connect(kubeconfig: str | Path | None = None, context: str | None = None) -> KubeSmokeCluster:
    """A ``KubeSmokeCluster`` from the kubeconfig (or in-cluster config), like ``oc`` finds it."""
    return KubeSmokeCluster(kube.connect(kubeconfig, context))
