"""What the values and project objects compute from their fields, without pydantic.

Both kinds of config object share these mixins: the pydantic models (``models``, ``operators``,
``project``), which validate anything and explain what is wrong, and the plain records of ``_records``,
which the fast path builds from data already checked strictly. Everything here reads attributes only,
and imports no model: a model type here is ``Any``, and the models narrow what they return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from cluster_capacity import instances
from cluster_capacity.errors import ConfigError
from cluster_capacity.labels import DEVICE_PLUGIN_CONFIG, MIG_CONFIG, NEURON_RESOURCE

WORKER_ROLE_LABEL = "node-role.kubernetes.io/worker"
SHARED_OPERATORS_NAMESPACE = "openshift-operators"


class PoolLogic:
    """A worker pool's derived settings (``MachineSetPool``)."""

    #: The taint type of the pool's own kind (a model or a record), for the Neuron taint it adds.
    taint_type: ClassVar[Any]

    if TYPE_CHECKING:
        name_suffix: str
        machine_role: str
        machine_type: str | None
        node_labels: dict[str, str] | None
        taints: list[Any]
        provider_spec: dict[str, Any] | None
        capacity_reservation_id: str | None
        market_type: str | None
        health_check: Any
        gpu_sharing: Any

    def machineset_name(self, infra_id: str) -> str:
        """The MachineSet's name: ``<infraID>-<nameSuffix>``."""
        return f"{infra_id}-{self.name_suffix}"

    @property
    def effective_machine_type(self) -> str:
        return self.machine_type or self.machine_role

    @property
    def instance_type(self) -> str | None:
        value = (self.provider_spec or {}).get("instanceType")
        return value if isinstance(value, str) else None

    @property
    def zone(self) -> str | None:
        placement = (self.provider_spec or {}).get("placement")
        value = placement.get("availabilityZone") if isinstance(placement, dict) else None
        return value if isinstance(value, str) else None

    @property
    def spot(self) -> bool:
        """Spot pools carry ``spotMarketOptions`` (``{}`` or with ``maxPrice``) or ``marketType: Spot``."""
        spec = self.effective_provider_spec
        return spec.get("spotMarketOptions") is not None or spec.get("marketType") == "Spot"

    @property
    def effective_provider_spec(self) -> dict[str, Any]:
        """The providerSpec with the pool-level ``capacityReservationId`` and ``marketType`` written in."""
        spec = dict(self.provider_spec or {})
        if self.capacity_reservation_id is not None:
            spec["capacityReservationId"] = self.capacity_reservation_id
        if self.market_type is not None:
            spec["marketType"] = self.market_type
        return spec

    @property
    def capacity_reservation(self) -> str | None:
        """The On-Demand Capacity Reservation or Capacity Block the pool launches into, if any."""
        value = self.effective_provider_spec.get("capacityReservationId")
        return value if isinstance(value, str) and value else None

    @property
    def capacity_block(self) -> bool:
        return self.effective_provider_spec.get("marketType") == "CapacityBlock"

    @property
    def health_check_enabled(self) -> bool:
        """A MachineHealthCheck renders: as configured, else by default for Spot pools."""
        return self.health_check.enabled if self.health_check is not None else self.spot

    @property
    def accelerator(self) -> instances.AcceleratorKind | None:
        """``nvidia``, ``neuron``, ``amd`` or ``None``, from the instance type."""
        it = self.instance_type
        if it is None or not instances.is_instance_type(it):
            return None
        return instances.accelerator_kind(it)

    @property
    def accelerator_label(self) -> str | None:
        """Value of ``cluster-api/accelerator``: the node label when set, else derived from the type."""
        if self.node_labels and "cluster-api/accelerator" in self.node_labels:
            return self.node_labels["cluster-api/accelerator"]
        it = self.instance_type
        if self.accelerator != "nvidia" or it is None:
            return None
        return instances.accelerator_label(it)

    @property
    def effective_taints(self) -> list[Any]:
        """Taints as rendered: Neuron pools always carry ``aws.amazon.com/neuron=true:NoSchedule``."""
        if self.accelerator == "neuron" and not any(t.key == NEURON_RESOURCE for t in self.taints):
            neuron = self.taint_type(key=NEURON_RESOURCE, value="true", effect="NoSchedule")
            return [*self.taints, neuron]
        return list(self.taints)

    @property
    def effective_node_labels(self) -> dict[str, str]:
        """Node labels as rendered: the configured ones, or the worker and role labels by default."""
        if self.node_labels is not None:
            labels = dict(self.node_labels)
        else:
            labels = {WORKER_ROLE_LABEL: "", f"node-role.kubernetes.io/{self.machine_role}": ""}
        accel = self.accelerator_label
        if accel:
            labels.setdefault("cluster-api/accelerator", accel)
        labels.update(sharing_node_labels(self.gpu_sharing))
        return labels


def time_slicing_key(ts: Any) -> str:
    """The device-plugin config key of a time-slicing profile; pools with the same settings share it."""
    key = f"time-sliced-{ts.replicas}"
    if ts.rename_by_default:
        key += "-renamed"
    if ts.fail_requests_greater_than_one:
        key += "-strict"
    return key


def sharing_node_labels(sharing: Any) -> dict[str, str]:
    """The node labels that make the GPU Operator apply a pool's sharing (set by the MachineSet template)."""
    if sharing is not None and sharing.time_slicing is not None:
        return {DEVICE_PLUGIN_CONFIG: time_slicing_key(sharing.time_slicing)}
    if sharing is not None and sharing.mig is not None:
        return {MIG_CONFIG: sharing.mig.profile}
    return {}


class InstalledByOlm:
    """What the GPU Operator and NFD share: an install namespace and an OperatorGroup over it."""

    if TYPE_CHECKING:
        install_namespace: str
        create_namespace: bool
        operator_group: Any

    @property
    def target_namespaces(self) -> list[str]:
        """The OperatorGroup's targets: as configured, or the install namespace (SingleNamespace)."""
        return list(self.operator_group.target_namespaces) or [self.install_namespace]

    @property
    def renders_namespace(self) -> bool:
        """The chart never creates ``openshift-operators``, which every cluster already has."""
        return self.create_namespace and self.install_namespace != SHARED_OPERATORS_NAMESPACE


class InferentiaLogic:
    if TYPE_CHECKING:
        enabled: bool
        feasibility: Any

    @property
    def gate_open(self) -> bool:
        return self.enabled and self.feasibility is not None and self.feasibility.passed


class ValuesLogic:
    """One env's merged values: what renders."""

    if TYPE_CHECKING:
        enabled: bool
        machine_sets: list[Any]
        nvidia: Any
        inferentia: Any

    @property
    def neuron_enabled(self) -> bool:
        """The Neuron stack renders: master switch on and the gate open."""
        return self.enabled and self.inferentia.gate_open

    @property
    def nfd_enabled(self) -> bool:
        """NFD renders with the GPU Operator or the Neuron stack (both need it) unless turned off."""
        return self.enabled and self.nvidia.nfd.enabled and (self.nvidia.enabled or self.neuron_enabled)

    @property
    def enabled_pools(self) -> list[Any]:
        """Pools that render: the master switch is on and the pool is enabled."""
        if not self.enabled:
            return []
        return [p for p in self.machine_sets if p.enabled]


class EnvEntryLogic:
    if TYPE_CHECKING:
        kube_context: str | None
        cluster: Any

    @property
    def context(self) -> str | None:
        """The kubeconfig context to reach this env: ``kubeContext``, else the cluster's name, else None."""
        return self.kube_context or (self.cluster.name if self.cluster else None)


class ProjectLogic:
    if TYPE_CHECKING:
        envs: list[Any]

    def env(self, name: str) -> Any:
        for entry in self.envs:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.envs) or "none"
        raise ConfigError(f"env {name!r} is not in the project file (known envs: {known})")
