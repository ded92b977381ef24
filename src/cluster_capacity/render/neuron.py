"""The AWS Neuron stack for Inferentia/Trainium pools, rendered only once the feasibility gate is open.

Kernel Module Management builds the Neuron driver for the RHCOS kernel; the Neuron operator (its
``DeviceConfig``) runs the driver, device plugin and scheduler extension on nodes that NFD labels
through the NodeFeatureRule below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import (
    WAVE_NFD,
    WAVE_OPERANDS,
    WAVE_OPERATORS,
    Manifest,
    deep_merge,
    metadata,
)
from cluster_capacity.render.olm import namespace, operator_group, subscription

if TYPE_CHECKING:
    from cluster_capacity.config import Values
    from cluster_capacity.config.operators import OperatorConfig

NEURON_LABEL = "feature.node.kubernetes.io/aws-neuron"
#: PCI vendor of AWS Annapurna Labs, and the Neuron device ids the operator's own rule matches.
NEURON_PCI_VENDOR = "1d0f"
NEURON_PCI_DEVICES = ["7064", "7065", "7066", "7067", "7164", "7264", "7364"]


def _operator(cfg: OperatorConfig, env: str | None, sub_wave: int) -> list[Manifest]:
    ns = cfg.install_namespace
    out: list[Manifest] = []
    if cfg.create_namespace:
        out.append(namespace(ns, env, monitoring=False))
    if cfg.operator_group.create:
        out.append(operator_group(cfg.operator_group, ns, env))
    sub = subscription(cfg.subscription, ns, env)
    sub["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = str(sub_wave)
    out.append(sub)
    return out


def node_feature_rule(values: Values, env: str | None) -> Manifest:
    rule = values.inferentia.node_feature_rule
    return {
        "apiVersion": rule.api_version,
        "kind": "NodeFeatureRule",
        "metadata": metadata(
            rule.name, values.inferentia.operator.install_namespace, env=env, wave=WAVE_NFD, skip_dry_run=True
        ),
        "spec": {
            "rules": [
                {
                    "name": "neuron-device",
                    "labels": {NEURON_LABEL: "true"},
                    "matchAny": [
                        {
                            "matchFeatures": [
                                {
                                    "feature": "pci.device",
                                    "matchExpressions": {
                                        "vendor": {"op": "In", "value": [NEURON_PCI_VENDOR]},
                                        "device": {"op": "In", "value": list(NEURON_PCI_DEVICES)},
                                    },
                                }
                            ]
                        }
                    ],
                }
            ]
        },
    }


def device_config(values: Values, env: str | None) -> Manifest:
    dc = values.inferentia.device_config
    images = dc.images
    spec: dict[str, Any] = {
        "driversImage": images.drivers,
        "driverVersion": dc.driver_version,
        "devicePluginImage": images.device_plugin,
        "customSchedulerImage": images.custom_scheduler,
        "schedulerExtensionImage": images.scheduler_extension,
        "nodeMetricsImage": images.node_metrics,
        "selector": {NEURON_LABEL: "true"},
    }
    return {
        "apiVersion": "k8s.aws/v1beta1",
        "kind": "DeviceConfig",
        "metadata": metadata(
            dc.name,
            values.inferentia.operator.install_namespace,
            env=env,
            wave=WAVE_OPERANDS,
            skip_dry_run=True,
        ),
        "spec": deep_merge(spec, dc.spec),
    }


def render_neuron(values: Values, env: str | None = None) -> list[Manifest]:
    if not values.neuron_enabled:
        return []
    inf = values.inferentia
    # KMM first: the Neuron operator builds on its Module API
    out = [*_operator(inf.kmm, env, WAVE_OPERATORS), *_operator(inf.operator, env, WAVE_NFD)]
    if inf.node_feature_rule.create:
        out.append(node_feature_rule(values, env))
    if inf.device_config.create:
        out.append(device_config(values, env))
    return out
