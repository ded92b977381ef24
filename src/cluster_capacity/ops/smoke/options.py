"""How a smoke run is told what to do (``SmokeOptions``) and what it needs of the cluster (``SmokeCluster``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]


class SmokeCluster(Protocol):
    """The cluster calls the smoke test makes (implemented over ``kube`` by ``KubeSmokeCluster``)."""

    def machineset(self, namespace: str, name: str) -> Obj | None: ...
    def scale_machineset(self, namespace: str, name: str, replicas: int) -> None: ...
    def annotate_machineset(self, namespace: str, name: str, key: str, value: str | None) -> None: ...
    def pods(self, namespace: str, label_selector: str) -> list[Obj]: ...
    def machines(self, namespace: str, machineset: str) -> list[Obj]: ...
    def node(self, name: str) -> Obj | None: ...
    def cluster_policies(self) -> list[Obj]: ...
    def application(self, namespace: str, name: str) -> Obj | None: ...
    def create_pod(self, namespace: str, pod: Obj) -> None: ...
    def pod(self, namespace: str, name: str) -> Obj | None: ...
    def delete_pod(self, namespace: str, name: str) -> None: ...
    def pod_log(self, namespace: str, name: str) -> str: ...
    def pod_events(self, namespace: str, name: str) -> list[Obj]: ...


def _no_progress(message: str) -> None:
    del message


@dataclass(frozen=True)
class SmokeOptions:
    """How a smoke run behaves; every default is what the command line uses."""

    timeout: float = 30 * 60
    poll: float = 10.0
    keep: bool = False
    image: str | None = None
    namespace: str = "default"
    #: Neuron pools run only when the caller has checked the Inferentia gate and passes True.
    allow_neuron: bool = False
    #: For autoscaled pools: how long the pod may stay unschedulable once a pool node is usable.
    unschedulable_grace: float = 60.0
    clock: Callable[[], float] = time.monotonic
    #: Wall-clock seconds (the record on the MachineSet says when the run started and must end).
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str], None] = _no_progress
    #: Install SIGINT/SIGTERM/SIGHUP handlers for the run (only possible in the main thread).
    handle_signals: bool = True
    pod_name: str | None = None
    #: Names the run in the MachineSet's record and on its pod (default: random).
    run_id: str | None = None
