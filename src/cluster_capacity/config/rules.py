"""Rules across fields that the type system cannot express; each broken rule is a located Problem.

These are input errors (exit 2): a config that breaks them can never render something that works.
Softer, advisory checks on the rendered output live in ``validate.policies``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from cluster_capacity import instances
from cluster_capacity.config._logic import SHARED_OPERATORS_NAMESPACE
from cluster_capacity.config.api_rules import check_api_names
from cluster_capacity.config.capacity_rules import check_capacity
from cluster_capacity.config.sharing import check_sharing
from cluster_capacity.config.sources import Layered
from cluster_capacity.errors import Problem

if TYPE_CHECKING:
    from cluster_capacity.config.models import MachineSetPool, Values
    from cluster_capacity.config.operators import OperatorGroupConfig


def check(values: Values, layered: Layered, *, gate: bool = True) -> list[Problem]:
    """Every cross-field problem in ``values``, located in the files.

    ``gate=False`` sets the Inferentia gate aside (and only it): ``inferentia check`` must load the
    Neuron pools that the gate would refuse.
    """
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], message: str) -> None:
        problems.append(layered.problem(path, message))

    any_enabled = bool(values.enabled_pools)
    if any_enabled and not values.infra_id:
        add(("infraID",), "required when a pool is enabled (run `cluster-capacity init` to read it)")

    counts = Counter(p.name_suffix for p in values.machine_sets)
    for i, pool in enumerate(values.machine_sets):
        base: tuple[str | int, ...] = ("machineSets", i)
        if counts[pool.name_suffix] > 1:
            add((*base, "nameSuffix"), f"duplicate pool name {pool.name_suffix!r}")
        if pool.autoscaler.min_replicas > pool.autoscaler.max_replicas:
            add(
                (*base, "autoscaler", "minReplicas"),
                f"minReplicas ({pool.autoscaler.min_replicas}) is greater than maxReplicas "
                f"({pool.autoscaler.max_replicas})",
            )
        if pool.enabled and values.enabled:
            _check_provider_spec(pool, base, add)

    check_api_names(values, add)
    _check_cluster_autoscaler(values, add)
    check_capacity(values, add)
    _check_operator_groups(values, add)
    _check_neuron_pools(values, add, gate=gate)
    check_sharing(values, add)
    return problems


GATE_HINT = "run `cluster-capacity inferentia check --env ENV --write` against the cluster to open the gate"


def _check_neuron_pools(values: Values, add: Any, *, gate: bool) -> None:
    """Neuron pools and the Neuron stack render only once a feasibility check has passed and is recorded."""
    inf = values.inferentia
    neuron_pools = [
        (i, p)
        for i, p in enumerate(values.machine_sets)
        if values.enabled and p.enabled and p.accelerator == "neuron"
    ]
    for i, pool in neuron_pools:
        if gate and not inf.enabled:
            add(
                ("machineSets", i, "providerSpec", "instanceType"),
                f"{pool.instance_type} is a Neuron (Inferentia/Trainium) type, which is gated: set "
                f"inferentia.enabled and {GATE_HINT}",
            )
        if pool.autoscaler.enabled and pool.autoscaler.min_replicas < 1:
            add(
                ("machineSets", i, "autoscaler", "minReplicas"),
                "must be >= 1 for a Neuron pool: the cluster autoscaler cannot scale it up from zero "
                "(there is no capacity annotation for Neuron devices)",
            )
    if gate and inf.enabled and values.enabled:
        if inf.feasibility is None:
            add(
                ("inferentia", "enabled"),
                f"the gate is closed: no feasibility check is recorded; {GATE_HINT}",
            )
        elif not inf.feasibility.passed:
            add(
                ("inferentia", "feasibility", "passed"),
                f"the recorded feasibility check did not pass; fix what it found and {GATE_HINT}",
            )


def _check_provider_spec(pool: MachineSetPool, base: tuple[str | int, ...], add: Any) -> None:
    spec = pool.provider_spec
    if spec is None:
        add(
            (*base, "providerSpec"),
            "required when the pool is enabled (copy it from a worker MachineSet: `cluster-capacity add-pool`)",
        )
        return
    it = spec.get("instanceType")
    if not isinstance(it, str) or not it:
        add((*base, "providerSpec", "instanceType"), "required: the EC2 instance type, e.g. g5.xlarge")
    elif it != it.lower():
        add(
            (*base, "providerSpec", "instanceType"),
            f"{it!r}: EC2 instance types are lower case ({it.lower()!r}); AWS refuses any other",
        )
    elif not instances.is_instance_type(it):
        add((*base, "providerSpec", "instanceType"), f"{it!r} is not an EC2 instance type (e.g. g5.xlarge)")
    spot = spec.get("spotMarketOptions")
    if "spotMarketOptions" in spec and not isinstance(spot, dict):
        add((*base, "providerSpec", "spotMarketOptions"), 'must be a mapping: {} or {maxPrice: "0.50"}')
    if spot is not None and spec.get("capacityReservationId"):
        add(
            (*base, "providerSpec", "capacityReservationId"),
            "Spot (spotMarketOptions) and a capacity reservation cannot be used together",
        )
    market = spec.get("marketType")
    if spot is not None and market not in (None, "", "Spot"):
        add((*base, "providerSpec", "marketType"), f"is {market!r} but spotMarketOptions asks for Spot")


def _check_cluster_autoscaler(values: Values, add: Any) -> None:
    ca = values.autoscaling.cluster_autoscaler
    path: tuple[str | int, ...] = ("autoscaling", "clusterAutoscaler")
    if ca.name != "default":
        add((*path, "name"), f"must be 'default' (the operator ignores any other name), got {ca.name!r}")
    if not (ca.enabled and values.enabled):
        return
    limits = ca.spec.get("resourceLimits")
    limits_path = (*path, "spec", "resourceLimits")
    if limits is None:
        return
    if not isinstance(limits, dict):
        add(limits_path, "must be a mapping (maxNodesTotal, cores, memory, gpus)")
        return
    gpus = limits.get("gpus")
    if gpus is None:
        return
    if not isinstance(gpus, list):
        add((*limits_path, "gpus"), "must be a list of {type, min, max}")
        return
    labels = {p.accelerator_label for p in values.enabled_pools if p.accelerator == "nvidia"} - {None}
    listed: set[str] = set()
    for j, entry in enumerate(gpus):
        gpu_type = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(gpu_type, str):
            where = (*limits_path, "gpus", j) + (("type",) if isinstance(entry, dict) else ())
            add(
                where,
                "must be a mapping with a string type" if not isinstance(entry, dict) else "must be a string",
            )
            continue
        listed.add(gpu_type)
        if labels and gpu_type not in labels:
            add(
                (*limits_path, "gpus", j, "type"),
                f"{gpu_type!r} matches no GPU pool; types must equal the pools' cluster-api/accelerator "
                f"labels: {', '.join(sorted(str(x) for x in labels))}",
            )
    missing = sorted(str(x) for x in labels - listed)
    if missing:
        add(
            (*path, "spec", "resourceLimits", "gpus"),
            f"no limit for the GPU pools labelled {', '.join(missing)}; add an entry with that type",
        )


def _check_operator_groups(values: Values, add: Any) -> None:
    nv = values.nvidia
    groups: list[tuple[tuple[str | int, ...], OperatorGroupConfig, list[str], str]] = []
    if nv.enabled:
        groups.append(
            (("nvidia", "operatorGroup"), nv.operator_group, nv.target_namespaces, nv.install_namespace)
        )
    if values.nfd_enabled:  # NFD, like the GPU Operator, supports only OwnNamespace/SingleNamespace
        nfd = nv.nfd
        groups.append(
            (
                ("nvidia", "nfd", "operatorGroup"),
                nfd.operator_group,
                nfd.target_namespaces,
                nfd.install_namespace,
            )
        )
    for path, group, targets, namespace in groups:
        if group.create and namespace == SHARED_OPERATORS_NAMESPACE:
            add(
                (*path[:-1], "installNamespace"),
                f"{namespace} already has the cluster's global OperatorGroup, and a second one makes OLM "
                "refuse every operator there (TooManyOperatorGroups; the chart rendered one anyway): set "
                f"{'.'.join(str(p) for p in path)}.create: false",
            )
            continue
        if group.create and targets != [namespace]:
            add(
                (*path, "targetNamespaces"),
                f"must be [{namespace}] (or [], which means the same): the operator supports only "
                f"OwnNamespace/SingleNamespace install modes",
            )
    if not values.neuron_enabled:
        return
    inf = values.inferentia
    for name, operator in (("kmm", inf.kmm), ("operator", inf.operator)):
        if operator.operator_group.create and operator.install_namespace == SHARED_OPERATORS_NAMESPACE:
            add(
                ("inferentia", name, "installNamespace"),
                f"{SHARED_OPERATORS_NAMESPACE} already has the cluster's global OperatorGroup, and a second "
                "one makes OLM refuse every operator there (TooManyOperatorGroups): set "
                f"inferentia.{name}.operatorGroup.create: false",
            )
