"""What a live GPU Operator says about itself: the operand states of a notReady ClusterPolicy, and what
NVIDIA's guidance (``compat``) says about it on the cluster's OpenShift version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cluster_capacity import compat

__all__ = ["OperandState", "compatibility", "not_ready_operands", "not_ready_states"]


_STATES = re.compile(r"states not ready: \[([^\]]*)\]")

#: The DaemonSet pods behind each operand state (``app`` label in the operator's assets), and why the
#: state is commonly slow or stuck.
_OPERANDS: dict[str, tuple[str, str]] = {
    "state-driver": (
        "nvidia-driver-daemonset",
        "the driver is built for the node's kernel (10 minutes or more on a new node)",
    ),
    "state-container-toolkit": ("nvidia-container-toolkit-daemonset", "it starts once the driver is loaded"),
    "state-operator-validation": (
        "nvidia-operator-validator",
        "it checks driver, toolkit, CUDA and the device plugin in turn",
    ),
    "state-device-plugin": ("nvidia-device-plugin-daemonset", "it advertises nvidia.com/gpu once validated"),
    "state-mig-manager": (
        "nvidia-mig-manager",
        "it repartitions the GPUs (node label nvidia.com/mig.config.state)",
    ),
    "state-dcgm-exporter": ("nvidia-dcgm-exporter", "GPU metrics"),
    "gpu-feature-discovery": ("gpu-feature-discovery", "it labels nodes with their GPU's model and count"),
    "state-node-status-exporter": ("nvidia-node-status-exporter", "node status metrics"),
}

Obj = dict[str, Any]


@dataclass(frozen=True)
class OperandState:
    """One operand a notReady ClusterPolicy waits for, with where to look."""

    state: str
    hint: str
    command: str


def not_ready_states(cluster_policy: Obj) -> tuple[str, ...]:
    """The operand states a ClusterPolicy reports not ready (``states not ready: [state-driver ...]``)."""
    for cond in ((cluster_policy.get("status") or {}).get("conditions")) or []:
        match = _STATES.search(str(cond.get("message") or ""))
        if match:
            return tuple(match[1].replace(",", " ").split())
    return ()


def not_ready_operands(namespace: str, states: tuple[str, ...]) -> list[OperandState]:
    """Each not-ready operand of a ClusterPolicy, with the pods to look at in the operator's namespace."""
    ns = namespace or "nvidia-gpu-operator"
    out = []
    for state in states:
        app, hint = _OPERANDS.get(state, ("", ""))
        command = f"oc get pods -n {ns} -l app={app}" if app else f"oc get pods -n {ns}"
        if state == "state-driver":
            command = f"oc logs -n {ns} -l app={app} -c nvidia-driver-ctr --tail=20"
        out.append(OperandState(state, hint, command))
    return out


def compatibility(openshift_version: str, channel: str = "", csv: str = "") -> list[str]:
    """NVIDIA's warnings for the live version and the installed GPU Operator (its channel, or its CSV)."""
    return [str(a) for a in compat.check_version(openshift_version, channel=channel, csv=csv)]
