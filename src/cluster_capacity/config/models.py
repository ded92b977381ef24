"""The values format (DESIGN.md section 2) as frozen pydantic models.

Attribute names are snake_case; the keys in files are the camelCase aliases, exactly as teams already
write them for the Helm chart. Types are strict: a label value of ``true`` is an error, not a silent
coercion, because a GitOps repo is the wrong place to guess. The exceptions are the chart's own leniencies
that are safe: its switches compare ``lower(value) == "true"``, so ``"true"``/``"false"`` strings mean what
they say (any other string, which the chart silently read as false, is refused); it printed replica counts
as they were, so ``replicas: "3"`` rendered 3; and ``infraID: ""`` is its placeholder for "not set".
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from cluster_capacity import instances
from cluster_capacity.labels import DEVICE_PLUGIN_CONFIG, MIG_CONFIG, NEURON_RESOURCE

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
Approval = Literal["Automatic", "Manual"]

_WORKER_ROLE_LABEL = "node-role.kubernetes.io/worker"
SHARED_OPERATORS_NAMESPACE = "openshift-operators"


def _chart_switch(value: Any) -> Any:
    """A chart switch (``enabled``, ``create``): the chart compares ``lower(printf "%v" x) == "true"``."""
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        raise PydanticCustomError(
            "chart_switch",
            'must be true or false, got "{value}" (a string); the Helm chart read every string but '
            '"true" as false, so write false if that is what you relied on',
            {"value": value},
        )
    return value


def _master_switch(value: Any) -> Any:
    """The top-level ``enabled``: the chart's ``{{ if .Values.enabled }}`` is true for any non-empty string."""
    if isinstance(value, str) and value.strip().lower() != "true":
        raise PydanticCustomError(
            "chart_switch",
            'must be true or false, got "{value}" (a string); the Helm chart rendered everything for any '
            'non-empty string here (even "false"), so write true to keep that, or false',
            {"value": value},
        )
    return _chart_switch(value)


def _blank_is_unset(value: Any) -> Any:
    """``infraID: ""`` is the chart's placeholder: not set (required only once a pool is enabled)."""
    return None if value == "" else value


def _digits(value: Any) -> Any:
    """A count the chart printed into the manifest as written: ``"3"`` rendered as the integer 3."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


_SWITCH_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "boolean"},
            {"type": "string", "pattern": "^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\\s*$"},
        ]
    }
)
#: A replica count that also takes the chart's digit strings.
Count = Annotated[
    int,
    BeforeValidator(_digits),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^\\s*[0-9]+\\s*$"}]}
    ),
]
#: A boolean switch that also takes the chart's ``"true"``/``"false"`` strings.
Switch = Annotated[bool, BeforeValidator(_chart_switch), _SWITCH_SCHEMA]
MasterSwitch = Annotated[
    bool,
    BeforeValidator(_master_switch),
    WithJsonSchema(
        {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": "^\\s*[Tt][Rr][Uu][Ee]\\s*$"}]}
    ),
]


def _served(kind: str, version: str) -> Any:
    """An ``apiVersion`` key the chart read: only the one version the CRD serves renders anything."""

    def check(value: Any) -> Any:
        if value != version:
            raise PydanticCustomError(
                "api_version",
                "must be {version}, the only version the {kind} CRD serves (got {got}; the chart "
                "wrote it into the object, which the API server refuses); remove the key",
                {"version": version, "kind": kind, "got": repr(value)},
            )
        return value

    return BeforeValidator(check)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
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


def _merged_over_defaults(schema: dict[str, Any]) -> None:
    """A mapping that values files merge over defaults: a file may give any of its keys (for editors)."""
    schema.pop("required", None)


class OperatorGroupConfig(_Model):
    model_config = ConfigDict(**_Model.model_config, json_schema_extra=_merged_over_defaults)

    create: Switch = True
    name: str
    #: Empty means the install namespace for the GPU Operator and NFD (as the chart's ``default (list
    #: $ns)`` does), and AllNamespaces for KMM and the Neuron operator (the only mode their CSVs support).
    target_namespaces: list[str] = Field(default_factory=list)


class SubscriptionConfig(_Model):
    model_config = ConfigDict(**_Model.model_config, json_schema_extra=_merged_over_defaults)

    name: str
    channel: str = "stable"
    source: str
    source_namespace: str = "openshift-marketplace"
    starting_csv: str = Field("", alias="startingCSV")
    approval: Approval = "Automatic"


class ClusterPolicyConfig(_Model):
    create: Switch = True
    api_version: Annotated[str, _served("ClusterPolicy", "nvidia.com/v1")] = "nvidia.com/v1"
    name: str = "cluster-policy"
    #: Deep-merged over the default spec, which satisfies every field the CRD requires.
    spec: dict[str, Any] = Field(default_factory=dict)


class NfdInstanceConfig(_Model):
    create: Switch = True
    api_version: Annotated[str, _served("NodeFeatureDiscovery", "nfd.openshift.io/v1")] = (
        "nfd.openshift.io/v1"
    )
    name: str = "nfd-instance"
    spec: dict[str, Any] = Field(default_factory=dict)


class NfdConfig(_Model):
    enabled: Switch = True
    install_namespace: str = "openshift-nfd"
    create_namespace: Switch = True
    operator_group: OperatorGroupConfig = OperatorGroupConfig(name="openshift-nfd")
    subscription: SubscriptionConfig = SubscriptionConfig(name="nfd", source="redhat-operators")
    instance: NfdInstanceConfig = NfdInstanceConfig()

    @property
    def target_namespaces(self) -> list[str]:
        """The OperatorGroup's targets: as configured, or the install namespace (SingleNamespace)."""
        return list(self.operator_group.target_namespaces) or [self.install_namespace]

    @property
    def renders_namespace(self) -> bool:
        """The chart never creates ``openshift-operators``, which every cluster already has."""
        return self.create_namespace and self.install_namespace != SHARED_OPERATORS_NAMESPACE


class RbacConfig(_Model):
    create: Switch = True
    argocd_namespace: str = "openshift-gitops"
    application_controller_service_account: str = "openshift-gitops-argocd-application-controller"


class DashboardsConfig(_Model):
    enabled: Switch = False
    namespace: str = "openshift-config-managed"
    #: The chart's name, so a move from it updates the ConfigMap in place.
    config_map_name: str = Field("grafana-dashboard-nvidia-dcgm-exporter", min_length=1)


class MonitoringConfig(_Model):
    service_monitor: Switch = True


class NvidiaConfig(_Model):
    """NVIDIA GPU Operator through OLM, with Node Feature Discovery, RBAC for Argo CD and monitoring."""

    enabled: Switch = False
    install_namespace: str = "nvidia-gpu-operator"
    create_namespace: Switch = True
    operator_group: OperatorGroupConfig = OperatorGroupConfig(name="nvidia-gpu-operator")
    subscription: SubscriptionConfig = SubscriptionConfig(
        name="gpu-operator-certified", source="certified-operators"
    )
    cluster_policy: ClusterPolicyConfig = ClusterPolicyConfig()
    nfd: NfdConfig = NfdConfig()
    rbac: RbacConfig = RbacConfig()
    dashboards: DashboardsConfig = DashboardsConfig()
    monitoring: MonitoringConfig = MonitoringConfig()

    @property
    def target_namespaces(self) -> list[str]:
        """The OperatorGroup's targets: as configured, or the install namespace (SingleNamespace)."""
        return list(self.operator_group.target_namespaces) or [self.install_namespace]

    @property
    def renders_namespace(self) -> bool:
        """The chart never creates ``openshift-operators``, which every cluster already has."""
        return self.create_namespace and self.install_namespace != SHARED_OPERATORS_NAMESPACE


class Feasibility(_Model):
    """A passed ``cluster-capacity inferentia check``, as ``--write`` records it. It opens the gate."""

    passed: bool = False
    cluster_version: str = Field(min_length=1)
    checked_at: datetime.date | str
    platform: str = "AWS"
    findings: list[str] = Field(default_factory=list)


class DeviceConfigImages(_Model):
    """Images of the Neuron stack; the defaults are the Neuron SDK 2.30 set the operator's samples use."""

    drivers: str = "public.ecr.aws/os-partners/neuron-openshift/neuron-kernel-module:2.28.0.0"
    device_plugin: str = "public.ecr.aws/neuron/neuron-device-plugin:2.30.0.0"
    custom_scheduler: str = "public.ecr.aws/eks-distro/kubernetes/kube-scheduler:v1.35.5-eks-1-35-10"
    scheduler_extension: str = "public.ecr.aws/neuron/neuron-scheduler:2.30.0.0"
    node_metrics: str = "public.ecr.aws/neuron/neuron-monitor:1.10.0"


class DeviceConfigConfig(_Model):
    create: bool = True
    name: str = "neuron"
    #: Pinned so a new operator release never rebuilds the driver under running workloads.
    driver_version: str = "2.28.0.0"
    images: DeviceConfigImages = DeviceConfigImages()
    #: Deep-merged over the rendered spec (``imageRepoSecret``, ``useInTreeDrivers``, ...).
    spec: dict[str, Any] = Field(default_factory=dict)


class NodeFeatureRuleConfig(_Model):
    create: bool = True
    name: str = "neuron-nfd-rule"
    #: ``nfd.openshift.io/v1alpha1`` (OpenShift NFD operator) or ``nfd.k8s-sigs.io/v1alpha1``.
    api_version: Literal["nfd.openshift.io/v1alpha1", "nfd.k8s-sigs.io/v1alpha1"] = (
        "nfd.openshift.io/v1alpha1"
    )


class OperatorConfig(_Model):
    """An operator installed through OLM into its own namespace."""

    install_namespace: str
    create_namespace: bool = True
    operator_group: OperatorGroupConfig
    subscription: SubscriptionConfig


class InferentiaConfig(_Model):
    """Inferentia/Trainium pools and the AWS Neuron stack, behind a checked feasibility gate."""

    enabled: bool = False
    feasibility: Feasibility | None = None
    kmm: OperatorConfig = OperatorConfig(
        install_namespace="openshift-kmm",
        # KMM's CSV installs in AllNamespaces mode: an OperatorGroup with no target namespaces
        operator_group=OperatorGroupConfig(name="kernel-module-management", target_namespaces=[]),
        subscription=SubscriptionConfig(name="kernel-module-management", source="redhat-operators"),
    )
    operator: OperatorConfig = OperatorConfig(
        install_namespace="aws-neuron-operator",
        operator_group=OperatorGroupConfig(name="aws-neuron-operator", target_namespaces=[]),
        subscription=SubscriptionConfig(
            # channel as the operator's own Helm values name it (capital S)
            name="aws-neuron-operator",
            channel="Stable",
            source="community-operators",
        ),
    )
    device_config: DeviceConfigConfig = DeviceConfigConfig()
    node_feature_rule: NodeFeatureRuleConfig = NodeFeatureRuleConfig()

    @property
    def gate_open(self) -> bool:
        return self.enabled and self.feasibility is not None and self.feasibility.passed


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
