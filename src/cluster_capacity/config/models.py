"""The values format (DESIGN.md section 2) as frozen pydantic models.

Attribute names are snake_case; the keys in files are the camelCase aliases, exactly as teams already
write them for the Helm chart. Types are strict: ``replicas: "3"`` is an error, not a silent coercion,
because a GitOps repo is the wrong place to guess.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from cluster_capacity import instances

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
Approval = Literal["Automatic", "Manual"]

_WORKER_ROLE_LABEL = "node-role.kubernetes.io/worker"


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

    enabled: bool = False
    min_replicas: int = Field(0, ge=0)
    max_replicas: int = Field(1, ge=1)


class MachineSetPool(_Model):
    """One worker pool: a MachineSet ``<infraID>-<nameSuffix>`` and optionally its MachineAutoscaler."""

    enabled: bool = False
    name_suffix: str = Field(min_length=1)
    namespace: str = "openshift-machine-api"
    replicas: int = Field(0, ge=0)
    machine_role: str = Field("worker", min_length=1)
    machine_type: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    template_labels: dict[str, str] = Field(default_factory=dict)
    node_labels: dict[str, str] | None = None
    taints: list[Taint] = Field(default_factory=list)
    autoscaler: PoolAutoscaler = PoolAutoscaler()
    provider_spec: dict[str, Any] | None = None

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
        """Spot pools carry ``spotMarketOptions`` (``{}`` or with ``maxPrice``) in the providerSpec."""
        return (self.provider_spec or {}).get("spotMarketOptions") is not None

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
    def effective_node_labels(self) -> dict[str, str]:
        """Node labels as rendered: the configured ones, or the worker and role labels by default."""
        if self.node_labels is not None:
            labels = dict(self.node_labels)
        else:
            labels = {_WORKER_ROLE_LABEL: "", f"node-role.kubernetes.io/{self.machine_role}": ""}
        accel = self.accelerator_label
        if accel:
            labels.setdefault("cluster-api/accelerator", accel)
        return labels


class ClusterAutoscalerConfig(_Model):
    enabled: bool = False
    name: str = "default"
    spec: dict[str, Any] = Field(default_factory=dict)


class Autoscaling(_Model):
    cluster_autoscaler: ClusterAutoscalerConfig = ClusterAutoscalerConfig()


class OperatorGroupConfig(_Model):
    create: bool = True
    name: str
    target_namespaces: list[str]


class SubscriptionConfig(_Model):
    name: str
    channel: str = "stable"
    source: str
    source_namespace: str = "openshift-marketplace"
    starting_csv: str = Field("", alias="startingCSV")
    approval: Approval = "Automatic"


class ClusterPolicyConfig(_Model):
    create: bool = True
    name: str = "cluster-policy"
    #: Deep-merged over the default spec, which satisfies every field the CRD requires.
    spec: dict[str, Any] = Field(default_factory=dict)


class NfdInstanceConfig(_Model):
    create: bool = True
    name: str = "nfd-instance"
    spec: dict[str, Any] = Field(default_factory=dict)


class NfdConfig(_Model):
    enabled: bool = True
    install_namespace: str = "openshift-nfd"
    create_namespace: bool = True
    operator_group: OperatorGroupConfig = OperatorGroupConfig(
        name="openshift-nfd", target_namespaces=["openshift-nfd"]
    )
    subscription: SubscriptionConfig = SubscriptionConfig(name="nfd", source="redhat-operators")
    instance: NfdInstanceConfig = NfdInstanceConfig()


class RbacConfig(_Model):
    create: bool = True
    argocd_namespace: str = "openshift-gitops"
    application_controller_service_account: str = "openshift-gitops-argocd-application-controller"


class DashboardsConfig(_Model):
    enabled: bool = False
    namespace: str = "openshift-config-managed"


class MonitoringConfig(_Model):
    service_monitor: bool = True


class NvidiaConfig(_Model):
    """NVIDIA GPU Operator through OLM, with Node Feature Discovery, RBAC for Argo CD and monitoring."""

    enabled: bool = False
    install_namespace: str = "nvidia-gpu-operator"
    create_namespace: bool = True
    operator_group: OperatorGroupConfig = OperatorGroupConfig(
        name="nvidia-gpu-operator", target_namespaces=["nvidia-gpu-operator"]
    )
    subscription: SubscriptionConfig = SubscriptionConfig(
        name="gpu-operator-certified", source="certified-operators"
    )
    cluster_policy: ClusterPolicyConfig = ClusterPolicyConfig()
    nfd: NfdConfig = NfdConfig()
    rbac: RbacConfig = RbacConfig()
    dashboards: DashboardsConfig = DashboardsConfig()
    monitoring: MonitoringConfig = MonitoringConfig()


class Values(_Model):
    """One env's merged values (``values-common.yaml`` + ``values-<env>.yaml`` + ``--set``)."""

    enabled: bool = False
    infra_id: str | None = Field(None, alias="infraID", min_length=1)
    machine_sets: list[MachineSetPool] = Field(default_factory=list)
    autoscaling: Autoscaling = Autoscaling()
    nvidia: NvidiaConfig = NvidiaConfig()
    #: Accepted for Helm compatibility (every chart may receive ``global``); not used.
    global_: dict[str, Any] = Field(default_factory=dict, alias="global")

    @property
    def enabled_pools(self) -> list[MachineSetPool]:
        """Pools that render: the master switch is on and the pool is enabled."""
        if not self.enabled:
            return []
        return [p for p in self.machine_sets if p.enabled]
