"""The operators' values: NVIDIA GPU Operator, Node Feature Discovery, and the Inferentia (Neuron) stack.

Each operator installs through OLM (``install_namespace``, ``operator_group``, ``subscription``) and
adds its own operands; ``render/olm.py`` turns the OLM part into objects for every one of them.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from cluster_capacity.config._fields import (
    Approval,
    Switch,
    _merged_over_defaults,
    _Model,
    _served,
)
from cluster_capacity.config._logic import InferentiaLogic, InstalledByOlm


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
    #: Deep-merged over the default spec, which satisfies every field the CRD requires. Every field of
    #: the ClusterPolicy's spec is an object in its CRD (``mig``, ``driver``, ``daemonsets``, ...).
    spec: dict[str, dict[str, Any] | None] = Field(default_factory=dict)


class NfdInstanceConfig(_Model):
    create: Switch = True
    api_version: Annotated[str, _served("NodeFeatureDiscovery", "nfd.openshift.io/v1")] = (
        "nfd.openshift.io/v1"
    )
    name: str = "nfd-instance"
    spec: dict[str, Any] = Field(default_factory=dict)


class NfdConfig(InstalledByOlm, _Model):
    enabled: Switch = True
    install_namespace: str = "openshift-nfd"
    create_namespace: Switch = True
    operator_group: OperatorGroupConfig = OperatorGroupConfig(name="openshift-nfd")
    subscription: SubscriptionConfig = SubscriptionConfig(name="nfd", source="redhat-operators")
    instance: NfdInstanceConfig = NfdInstanceConfig()


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


class NvidiaConfig(InstalledByOlm, _Model):
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


class InferentiaConfig(InferentiaLogic, _Model):
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
