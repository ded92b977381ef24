"""The values format (DESIGN.md section 2) as frozen pydantic models.

Attribute names are snake_case; the keys in files are the camelCase aliases, exactly as teams already
write them for the Helm chart. Types are strict: a label value of ``true`` is an error, not a silent
coercion, because a GitOps repo is the wrong place to guess. The exceptions are the chart's own leniencies
that are safe: its switches compare ``lower(value) == "true"``, so ``"true"``/``"false"`` strings mean what
they say (any other string, which the chart silently read as false, is refused); it printed replica counts
as they were, so ``replicas: "3"`` rendered 3; and ``infraID: ""`` is its placeholder for "not set".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from cluster_capacity.config._fields import (
    Count,
    CountFromOne,
    MasterSwitch,
    Switch,
    TaintEffect,
    _blank_is_unset,
    _Model,
)
from cluster_capacity.config._logic import (  # re-exported: the models' home of these helpers
    PoolLogic,
    ValuesLogic,
)
from cluster_capacity.config.operators import (
    InferentiaConfig,
    NvidiaConfig,
)


class Taint(_Model):
    """A node taint, as in ``spec.taints`` of a Node."""

    key: str = Field(min_length=1)
    value: str = ""
    effect: TaintEffect


class PoolAutoscaler(_Model):
    """Renders a MachineAutoscaler for the pool when enabled."""

    enabled: Switch = False
    min_replicas: Count = Field(0, ge=0)
    max_replicas: CountFromOne = Field(1, ge=1)


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


class MachineSetPool(PoolLogic, _Model):
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

    taint_type: ClassVar[Any] = Taint

    if TYPE_CHECKING:

        @property
        def effective_taints(self) -> list[Taint]: ...


class ClusterAutoscalerConfig(_Model):
    enabled: Switch = False
    name: str = "default"
    spec: dict[str, Any] = Field(default_factory=dict)


class Autoscaling(_Model):
    cluster_autoscaler: ClusterAutoscalerConfig = ClusterAutoscalerConfig()


class Values(ValuesLogic, _Model):
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

    if TYPE_CHECKING:

        @property
        def enabled_pools(self) -> list[MachineSetPool]: ...
