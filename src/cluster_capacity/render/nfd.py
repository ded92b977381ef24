"""Node Feature Discovery, which the GPU Operator needs to find GPU nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import WAVE_NFD, Manifest, deep_merge, metadata
from cluster_capacity.render.olm import namespace, operator_group, subscription

if TYPE_CHECKING:
    from cluster_capacity.config import Values


def default_nfd_spec() -> dict[str, Any]:
    """The operand settings OpenShift's NFD operator proposes; PCI vendor labels are what GPUs need."""
    return {
        "operand": {"imagePullPolicy": "IfNotPresent", "servicePort": 12000},
        "workerConfig": {
            "configData": (
                "core:\n"
                "  sleepInterval: 60s\n"
                "sources:\n"
                "  pci:\n"
                "    deviceClassWhitelist:\n"
                '      - "0200"\n'
                '      - "03"\n'
                '      - "12"\n'
                "    deviceLabelFields:\n"
                '      - "vendor"\n'
            )
        },
    }


def render_nfd(values: Values, env: str | None = None) -> list[Manifest]:
    if not values.nfd_enabled:
        return []
    nfd = values.nvidia.nfd
    ns = nfd.install_namespace
    out: list[Manifest] = []
    if nfd.renders_namespace:
        out.append(namespace(ns, env))
    if nfd.operator_group.create:
        out.append(operator_group(nfd.operator_group, ns, env, nfd.target_namespaces))
    out.append(subscription(nfd.subscription, ns, env))
    if nfd.instance.create:
        out.append(
            {
                "apiVersion": nfd.instance.api_version,
                "kind": "NodeFeatureDiscovery",
                "metadata": metadata(nfd.instance.name, ns, env=env, wave=WAVE_NFD, skip_dry_run=True),
                "spec": deep_merge(default_nfd_spec(), nfd.instance.spec),
            }
        )
    return out
