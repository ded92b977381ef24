"""The values format (DESIGN.md section 2) as frozen pydantic models.

Attribute names are snake_case; the keys in files are the camelCase aliases, exactly as teams already
write them for the Helm chart. Types are strict: a label value of ``true`` is an error, not a silent
coercion, because a GitOps repo is the wrong place to guess. The exceptions are the chart's own leniencies
that are safe: its switches compare ``lower(value) == "true"``, so ``"true"``/``"false"`` strings mean what
they say (any other string, which the chart silently read as false, is refused); it printed replica counts
as they were, so ``replicas: "3"`` rendered 3; and ``infraID: ""`` is its placeholder for "not set".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from cluster_capacity import instances
from cluster_capacity.config._fields import (
    _WORKER_ROLE_LABEL,
    Count,
    MasterSwitch,
    Switch,
    TaintEffect,
    _blank_is_unset,
    _Model,
)
from cluster_capacity.config.operators import (
    InferentiaConfig,
    NvidiaConfig,
)
from cluster_capacity.labels import DEVICE_PLUGIN_CONFIG, MIG_CONFIG, NEURON_RESOURCE


class Taint(_Model):
    """A node taint, as in ``spec.taints`` of a Node."""

    key: str = Field(min_length=1)
    value: str = ""
    effect: TaintEffect


class PoolAutoscaler(_Model):
    """Renders a MachineAutoscaler for the pool when enabled."""

    enabled: Switch = False
    min_replicas: Count = Field(0, ge=0)
    max_replicas: Count = Field(1, ge=1)


class TimeSlicing(_Model):
    """Time-slicing: every physical GPU is advertised as ``replicas`` GPUs (no memory or fault isolation)."""

    replicas: int = Field(ge=2)
    #: Advertise ``nvidia.com/gpu.shared`` instead of ``nvidia.com/gpu``.
    rename_by_default: bool = False
    #: Refuse pods asking for more than one replica (they would get no more GPU time for it).
    fail_requests_greater_than_one: bool = False


class MigSharing(_Model):
    """MIG: MIG Manager partitions every GPU of the pool's nodes with one of its profiles."""

    #: A profile of MIG Manager's default config: ``all-1g.10gb`` and the like, or ``all-balanced``.
    profile: str = Field(min_length=1)


class GpuSharing(_Model):
    """How the pool's GPUs are shared: time-slicing or MIG (one of the two)."""

    time_slicing: TimeSlicing | None = None
    mig: MigSharing | None = None


#: A Go duration as the machine API accepts it: ``45m``, ``1h30m``, ``300s``.
DURATION = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"
MarketType = Literal["OnDemand", "Spot", "CapacityBlock"]


class HealthCheck(_Model):
    """Renders a MachineHealthCheck over the pool's Machines (on by default for Spot pools)."""

    enabled: bool = True
    #: Long enough for the GPU Operator to build and load the driver on a new node.
    node_startup_timeout: str = Field("45m", pattern=DURATION)
    #: Remediation stops while more Machines than this are unhealthy (an integer or ``"40%"``).
    max_unhealthy: int | str = 1
    #: How long a node may be NotReady (or Unknown) before its Machine is replaced.
    not_ready_timeout: str = Field("5m", pattern=DURATION)


class MachineSetPool(_Model):
    """One worker pool: a MachineSet ``<infraID>-<nameSuffix>`` and optionally its MachineAutoscaler."""

    enabled: Switch = False
    name_suffix: str = Field(min_length=1)
    namespace: str = "openshift-machine-api"
    replicas: Count = Field(0, ge=0)
    machine_role: str = Field("worker", min_length=1)
    machine_type: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    template_labels: dict[str, str] = Field(default_factory=dict)
    node_labels: dict[str, str] | None = None
    taints: list[Taint] = Field(default_factory=list)
    autoscaler: PoolAutoscaler = PoolAutoscaler()
    provider_spec: dict[str, Any] | None = None
    #: Fan-out: one MachineSet (and MachineAutoscaler) per zone, ``<infraID>-<nameSuffix>-<zone>``.
    zones: list[str] | None = None
    #: Per-zone subnet (an AWS resource reference) where it cannot be derived from the providerSpec's.
    subnets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: Spot pool with an On-Demand twin of each MachineSet, ranked below it by the Priority expander.
    on_demand_fallback: bool = False
    health_check: HealthCheck | None = None
    #: Written into the providerSpec (they are AWSMachineProviderConfig fields); set here or there.
    capacity_reservation_id: str | None = Field(None, min_length=1)
    market_type: MarketType | None = None
    gpu_sharing: GpuSharing | None = None

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
    def effective_taints(self) -> list[Taint]:
        """Taints as rendered: Neuron pools always carry ``aws.amazon.com/neuron=true:NoSchedule``."""
        if self.accelerator == "neuron" and not any(t.key == NEURON_RESOURCE for t in self.taints):
            return [*self.taints, Taint(key=NEURON_RESOURCE, value="true", effect="NoSchedule")]
        return list(self.taints)

    @property
    def effective_node_labels(self) -> dict[str, str]:
        """Node labels as rendered: the configured ones, or the worker and role labels by default."""
        if self.node_labels is not None:
            labels = dict(self.node_labels)
        else:
            labels = {_WORKER_ROLE_LABEL: "", f"node-role.kubernetes.io/{self.machine_role}": ""}
        accel = self.accelerator_label
        if accel:
            labels.setdefault("cluster-api/accelerator", accel)
        labels.update(sharing_node_labels(self.gpu_sharing))
        return labels


def time_slicing_key(ts: TimeSlicing) -> str:
    """The device-plugin config key of a time-slicing profile; pools with the same settings share it."""
    key = f"time-sliced-{ts.replicas}"
    if ts.rename_by_default:
        key += "-renamed"
    if ts.fail_requests_greater_than_one:
        key += "-strict"
    return key


def sharing_node_labels(sharing: GpuSharing | None) -> dict[str, str]:
    """The node labels that make the GPU Operator apply a pool's sharing (set by the MachineSet template)."""
    if sharing is not None and sharing.time_slicing is not None:
        return {DEVICE_PLUGIN_CONFIG: time_slicing_key(sharing.time_slicing)}
    if sharing is not None and sharing.mig is not None:
        return {MIG_CONFIG: sharing.mig.profile}
    return {}


class ClusterAutoscalerConfig(_Model):
    enabled: Switch = False
    name: str = "default"
    spec: dict[str, Any] = Field(default_factory=dict)


class Autoscaling(_Model):
    cluster_autoscaler: ClusterAutoscalerConfig = ClusterAutoscalerConfig()


class Values(_Model):
    """One env's merged values (``values-common.yaml`` + ``values-<env>.yaml`` + ``--set``)."""

    enabled: MasterSwitch = False
    infra_id: Annotated[
        str | None,
        BeforeValidator(_blank_is_unset),
        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]}),
    ] = Field(None, alias="infraID", min_length=1)
    machine_sets: list[MachineSetPool] = Field(default_factory=list)
    autoscaling: Autoscaling = Autoscaling()
    nvidia: NvidiaConfig = NvidiaConfig()
    inferentia: InferentiaConfig = InferentiaConfig()
    #: Accepted for Helm compatibility (every chart may receive ``global``); not used.
    global_: dict[str, Any] = Field(default_factory=dict, alias="global")
    #: The chart's umbrella Application passes ``--set env=<env>``; accepted, not used (the project
    #: file names the env).
    env: str | None = None

    @property
    def neuron_enabled(self) -> bool:
        """The Neuron stack renders: master switch on and the gate open."""
        return self.enabled and self.inferentia.gate_open

    @property
    def nfd_enabled(self) -> bool:
        """NFD renders with the GPU Operator or the Neuron stack (both need it) unless turned off."""
        return self.enabled and self.nvidia.nfd.enabled and (self.nvidia.enabled or self.neuron_enabled)

    @property
    def enabled_pools(self) -> list[MachineSetPool]:
        """Pools that render: the master switch is on and the pool is enabled."""
        if not self.enabled:
            return []
        return [p for p in self.machine_sets if p.enabled]
