"""What every operator installed through OLM needs: its Namespace, an OperatorGroup and a Subscription."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import WAVE_OPERATORS, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config.operators import OperatorGroupConfig, SubscriptionConfig


def namespace(name: str, env: str | None, *, monitoring: bool = True) -> Manifest:
    extra = {"openshift.io/cluster-monitoring": "true"} if monitoring else {}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(name, env=env, wave=WAVE_OPERATORS, extra_labels=extra),
    }


def operator_group(
    cfg: OperatorGroupConfig, ns: str, env: str | None, targets: list[str] | None = None
) -> Manifest:
    """``targets`` overrides the configured target namespaces (the GPU Operator's and NFD's default)."""
    namespaces = list(cfg.target_namespaces) if targets is None else targets
    return {
        "apiVersion": "operators.coreos.com/v1",
        "kind": "OperatorGroup",
        "metadata": metadata(cfg.name, ns, env=env, wave=WAVE_OPERATORS),
        # no target namespaces = AllNamespaces mode, the only one some operators (KMM, Neuron) support
        "spec": {"targetNamespaces": namespaces} if namespaces else {},
    }


def subscription(cfg: SubscriptionConfig, ns: str, env: str | None) -> Manifest:
    spec: dict[str, Any] = {
        "channel": cfg.channel,
        "installPlanApproval": cfg.approval,
        "name": cfg.name,
        "source": cfg.source,
        "sourceNamespace": cfg.source_namespace,
    }
    if cfg.starting_csv:
        spec["startingCSV"] = cfg.starting_csv
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": metadata(cfg.name, ns, env=env, wave=WAVE_OPERATORS),
        "spec": spec,
    }
