"""Every name, namespace, label, taint and count a values file sets, under the API server's own rules.

Checked here, on the config, so the problem is located in the file and line that set the value (exit 2)
instead of surfacing as a refused object at sync. The rules and messages are ``apinames``'s; ``validate``
applies the same ones to the rendered objects (``validate.apiserver``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cluster_capacity import apinames

if TYPE_CHECKING:
    from cluster_capacity.config.models import MachineSetPool, Values
    from cluster_capacity.config.operators import OperatorConfig, OperatorGroupConfig, SubscriptionConfig

PathT = tuple[str | int, ...]
Add = Callable[[PathT, str], None]
Check = Callable[[str], list[str]]

MAX_NAME = 63


def check_api_names(values: Values, add: Add) -> None:
    """Add a problem for every value that would make the API server refuse a rendered object."""
    infra_id = values.infra_id
    if infra_id is not None and apinames.dns1123_label(infra_id):
        # it begins every MachineSet name and is a label value: blame it once, here, not on each pool
        _value(
            add,
            ("infraID",),
            "infraID (the start of every MachineSet name)",
            infra_id,
            apinames.dns1123_label,
        )
        infra_id = None
    for i, pool in enumerate(values.machine_sets):
        _pool(pool, infra_id, ("machineSets", i), add)
    if not values.enabled:
        return
    nv = values.nvidia
    if nv.enabled:
        base: PathT = ("nvidia",)
        _namespace(add, (*base, "installNamespace"), nv.install_namespace)
        _olm(add, base, nv.operator_group, nv.subscription)
        if nv.cluster_policy.create:
            _name(add, (*base, "clusterPolicy", "name"), "ClusterPolicy", nv.cluster_policy.name)
        if nv.rbac.create:
            _namespace(add, (*base, "rbac", "argocdNamespace"), nv.rbac.argocd_namespace)
            _name(
                add,
                (*base, "rbac", "applicationControllerServiceAccount"),
                "ServiceAccount",
                nv.rbac.application_controller_service_account,
            )
        if nv.dashboards.enabled:
            _namespace(add, (*base, "dashboards", "namespace"), nv.dashboards.namespace)
            _name(add, (*base, "dashboards", "configMapName"), "ConfigMap", nv.dashboards.config_map_name)
    if values.nfd_enabled:
        nfd = nv.nfd
        base = ("nvidia", "nfd")
        _namespace(add, (*base, "installNamespace"), nfd.install_namespace)
        _olm(add, base, nfd.operator_group, nfd.subscription)
        if nfd.instance.create:
            _name(add, (*base, "instance", "name"), "NodeFeatureDiscovery", nfd.instance.name)
    if values.neuron_enabled:
        inf = values.inferentia
        for key, op in (("kmm", inf.kmm), ("operator", inf.operator)):
            _operator(add, ("inferentia", key), op)
        if inf.device_config.create:
            _name(add, ("inferentia", "deviceConfig", "name"), "DeviceConfig", inf.device_config.name)
        if inf.node_feature_rule.create:
            _name(
                add, ("inferentia", "nodeFeatureRule", "name"), "NodeFeatureRule", inf.node_feature_rule.name
            )


def _value(add: Add, path: PathT, what: str, value: str, check: Check) -> None:
    messages = check(value)
    if messages:
        add(path, f"{what} {apinames.quote(value)}: {'; '.join(messages)}")


def _namespace(add: Add, path: PathT, value: str) -> None:
    _value(add, path, "namespace", value, apinames.dns1123_label)


def _name(add: Add, path: PathT, kind: str, value: str) -> None:
    _value(add, path, f"{kind} name", value, apinames.name_check(kind))


def _count(add: Add, path: PathT, value: int) -> None:
    messages = apinames.int_range(value, 0, apinames.INT32_MAX)
    if messages:
        add(path, f"{value}: {messages[0]} (an int32 in the API)")


def _olm(add: Add, base: PathT, group: OperatorGroupConfig, sub: SubscriptionConfig) -> None:
    if group.create:
        _name(add, (*base, "operatorGroup", "name"), "OperatorGroup", group.name)
        for j, ns in enumerate(group.target_namespaces):
            _namespace(add, (*base, "operatorGroup", "targetNamespaces", j), ns)
    _name(add, (*base, "subscription", "name"), "Subscription", sub.name)
    _namespace(add, (*base, "subscription", "sourceNamespace"), sub.source_namespace)


def _operator(add: Add, base: PathT, op: OperatorConfig) -> None:
    _namespace(add, (*base, "installNamespace"), op.install_namespace)
    _olm(add, base, op.operator_group, op.subscription)


def _labels(add: Add, path: PathT, found: dict[str, str]) -> None:
    for key, part, value, msg in apinames.label_map(found):
        add((*path, key), f"label {part} {apinames.quote(value)}: {msg}")


def _pool(pool: MachineSetPool, infra_id: str | None, base: PathT, add: Add) -> None:
    name = pool.machineset_name(infra_id) if infra_id else pool.name_suffix
    if len(name) > MAX_NAME:
        add(
            (*base, "nameSuffix"),
            f"MachineSet name {name!r} is {len(name)} characters; it is a label value and must be <= {MAX_NAME}",
        )
    else:  # a label value (cluster-api-machineset) and an object name: a DNS-1123 label is both
        _value(add, (*base, "nameSuffix"), "MachineSet name", name, apinames.dns1123_label)
    _namespace(add, (*base, "namespace"), pool.namespace)
    _value(
        add, (*base, "machineRole"), "machine role (a label value)", pool.machine_role, apinames.label_value
    )
    if pool.machine_type is not None:
        _value(
            add,
            (*base, "machineType"),
            "machine type (a label value)",
            pool.machine_type,
            apinames.label_value,
        )
    if pool.node_labels is None:  # the role becomes the node label node-role.kubernetes.io/<role>
        key = f"node-role.kubernetes.io/{pool.machine_role}"
        if not apinames.label_value(pool.machine_role):
            _value(add, (*base, "machineRole"), "node label key", key, apinames.qualified_name)
    for field, found in (
        ("labels", pool.labels),
        ("templateLabels", pool.template_labels),
        ("nodeLabels", pool.node_labels or {}),
    ):
        _labels(add, (*base, field), found)
    for j, taint in enumerate(pool.taints):
        for field, _, value, msg in apinames.taint(taint.key, taint.value, taint.effect):
            add((*base, "taints", j, field), f"taint {field} {apinames.quote(value)}: {msg}")
    _count(add, (*base, "replicas"), pool.replicas)
    _count(add, (*base, "autoscaler", "minReplicas"), pool.autoscaler.min_replicas)
    _count(add, (*base, "autoscaler", "maxReplicas"), pool.autoscaler.max_replicas)
    if pool.gpu_sharing is not None and pool.gpu_sharing.mig is not None:
        _value(
            add,
            (*base, "gpuSharing", "mig", "profile"),
            "MIG profile (a node label value)",
            pool.gpu_sharing.mig.profile,
            apinames.label_value,
        )


__all__: Sequence[str] = ["check_api_names"]
