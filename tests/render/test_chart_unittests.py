"""The Helm chart's own helm-unittest suites (its ``tests/`` folder), expressed as render tests.

Each test sets the same values as the chart's test and makes the same assertions; helm-unittest's
``documentIndex`` becomes a lookup by kind. Where we differ on purpose the assertion says so and
docs/migrating-from-helm.md explains why: the RBAC name and wave, and the chart tests' providerSpec,
which lacks an instanceType (a MachineSet that can never start a machine, so we refuse it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cluster_capacity.ops.migrate.chart import rbac_name
from cluster_capacity.render import render
from cluster_capacity.render.rbac import ROLE_NAME
from tests.render.conftest import make_values

Check = Callable[[list[dict[str, Any]]], None]
WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
NFD_CONFIG = (
    'sources:\n  pci:\n    deviceClassWhitelist:\n      - "03"\n    deviceLabelFields:\n      - "vendor"\n'
)


def kind(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (obj,) = [o for o in objects if o["kind"] == name]
    return obj


def annotation(obj: dict[str, Any], key: str) -> str:
    return str(obj["metadata"]["annotations"][key])


def rendered(data: dict[str, Any], check: Check) -> list[dict[str, Any]]:
    objects = render(make_values(data))
    check(objects)
    return objects


# machinesets_test.yaml ------------------------------------------------------------------------------


def chart_pool(**extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "nameSuffix": "gpu-us-west-2a",
        # the chart's tests give only apiVersion and kind; we require the instance type (see above)
        "providerSpec": {
            "apiVersion": "machine.openshift.io/v1beta1",
            "kind": "AWSMachineProviderConfig",
            "instanceType": "g5.xlarge",
        },
        **extra,
    }


def test_renders_a_gpu_machineset_when_enabled(schema_check: Check) -> None:
    pool = chart_pool(
        replicas=0,
        machineRole="gpu",
        machineType="gpu",
        nodeLabels={"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/gpu": ""},
        taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
    )
    ms = kind(
        rendered({"enabled": True, "infraID": "test-infra", "machineSets": [pool]}, schema_check),
        "MachineSet",
    )
    assert ms["metadata"]["name"] == "test-infra-gpu-us-west-2a"
    assert ms["spec"]["template"]["spec"]["metadata"]["labels"]["node-role.kubernetes.io/gpu"] == ""
    assert ms["spec"]["template"]["spec"]["taints"][0]["key"] == "nvidia.com/gpu"


def test_renders_a_machineautoscaler_when_enabled(schema_check: Check) -> None:
    pool = chart_pool(autoscaler={"enabled": True, "minReplicas": 0, "maxReplicas": 2})
    objects = rendered(
        {
            "enabled": True,
            "infraID": "test-infra",
            "machineSets": [pool],
            # ours: an autoscaled pool without a ClusterAutoscaler is a policy error, so give it one
            "autoscaling": {"clusterAutoscaler": {"enabled": True}},
        },
        schema_check,
    )
    ma = kind(objects, "MachineAutoscaler")
    assert ma["metadata"]["name"] == "test-infra-gpu-us-west-2a"
    assert ma["spec"]["scaleTargetRef"]["kind"] == "MachineSet"


# nfd_test.yaml -------------------------------------------------------------------------------------

NFD_VALUES = {
    "enabled": True,
    "nvidia": {
        "enabled": True,
        "nfd": {
            "enabled": True,
            "subscription": {"name": "nfd", "channel": "stable"},
            "instance": {"spec": {"workerConfig": {"configData": NFD_CONFIG}}},
        },
    },
}


def nfd_objects(check: Check) -> list[dict[str, Any]]:
    return [
        o
        for o in rendered(NFD_VALUES, check)
        if o["metadata"].get("namespace", o["metadata"]["name"]) == "openshift-nfd"
    ]


def test_renders_nfd_namespace(schema_check: Check) -> None:
    ns = kind(nfd_objects(schema_check), "Namespace")
    assert ns["metadata"]["name"] == "openshift-nfd"
    assert annotation(ns, WAVE) == "0"


def test_renders_nfd_operatorgroup(schema_check: Check) -> None:
    og = kind(nfd_objects(schema_check), "OperatorGroup")
    assert og["metadata"]["namespace"] == "openshift-nfd"
    assert og["spec"]["targetNamespaces"][0] == "openshift-nfd"


def test_renders_nfd_subscription(schema_check: Check) -> None:
    sub = kind(nfd_objects(schema_check), "Subscription")
    assert sub["metadata"]["name"] == "nfd"
    assert sub["spec"]["channel"] == "stable"


def test_renders_nodefeaturediscovery_instance(schema_check: Check) -> None:
    nfd = kind(nfd_objects(schema_check), "NodeFeatureDiscovery")
    assert (nfd["metadata"]["name"], nfd["metadata"]["namespace"]) == ("nfd-instance", "openshift-nfd")
    assert annotation(nfd, WAVE) == "1"
    assert annotation(nfd, SYNC_OPTIONS) == "SkipDryRunOnMissingResource=true"
    assert nfd["spec"]["workerConfig"]["configData"] == NFD_CONFIG


# nvidia_clusterpolicy_test.yaml --------------------------------------------------------------------


def test_renders_clusterpolicy_with_sync_options(schema_check: Check) -> None:
    values = {
        "enabled": True,
        "nvidia": {
            "enabled": True,
            "clusterPolicy": {"spec": {"operator": {"use_ocp_driver_toolkit": True}}},
        },
    }
    cp = kind(rendered(values, schema_check), "ClusterPolicy")
    assert annotation(cp, SYNC_OPTIONS) == "SkipDryRunOnMissingResource=true"
    assert annotation(cp, WAVE) == "1"


# nvidia_operator_test.yaml -------------------------------------------------------------------------


def gpu_operator(check: Check, **subscription: str) -> list[dict[str, Any]]:
    values = {
        "enabled": True,
        "nvidia": {"enabled": True, "subscription": {"name": "gpu-operator-certified", **subscription}},
    }
    return [
        o
        for o in rendered(values, check)
        if o["metadata"].get("namespace", o["metadata"]["name"]) == "nvidia-gpu-operator"
        and o["kind"] != "ServiceMonitor"
    ]


def test_renders_namespace_with_sync_wave_0(schema_check: Check) -> None:
    assert annotation(kind(gpu_operator(schema_check), "Namespace"), WAVE) == "0"


def test_renders_operatorgroup_with_sync_wave_0(schema_check: Check) -> None:
    og = kind(gpu_operator(schema_check), "OperatorGroup")
    assert annotation(og, WAVE) == "0"
    assert og["spec"]["targetNamespaces"][0] == "nvidia-gpu-operator"


def test_renders_subscription_with_sync_wave_0(schema_check: Check) -> None:
    sub = kind(gpu_operator(schema_check, channel="v25.10"), "Subscription")
    assert sub["spec"]["channel"] == "v25.10"
    assert annotation(sub, WAVE) == "0"


# nvidia_rbac_test.yaml -----------------------------------------------------------------------------

RBAC_VALUES = {
    "enabled": True,
    "nvidia": {
        "enabled": True,
        "rbac": {
            "argocdNamespace": "openshift-gitops",
            "applicationControllerServiceAccount": "openshift-gitops-argocd-application-controller",
        },
    },
}


def test_renders_clusterrole_for_clusterpolicy(schema_check: Check) -> None:
    role = kind(rendered(RBAC_VALUES, schema_check), "ClusterRole")
    # on purpose: our name says which tool owns it, and RBAC syncs before every other wave
    assert rbac_name("openshift-gitops") == "openshift-gitops-argocd-nvidia-clusterpolicy"
    assert role["metadata"]["name"] == ROLE_NAME
    assert annotation(role, WAVE) == "-1"
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    assert {
        ("nvidia.com", "clusterpolicies"),
        ("monitoring.coreos.com", "servicemonitors"),
        ("nfd.openshift.io", "nodefeaturediscoveries"),
    } <= granted


def test_renders_clusterrolebinding_for_argo_application_controller(schema_check: Check) -> None:
    binding = kind(rendered(RBAC_VALUES, schema_check), "ClusterRoleBinding")
    assert binding["metadata"]["name"] == ROLE_NAME and annotation(binding, WAVE) == "-1"
    assert binding["roleRef"]["name"] == ROLE_NAME
    assert binding["subjects"][0]["name"] == "openshift-gitops-argocd-application-controller"
    assert binding["subjects"][0]["namespace"] == "openshift-gitops"
