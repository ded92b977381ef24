"""Exact output of the OLM, NFD, Neuron, health-check, sharing and metadata renderers, switch by switch.

Every value is pinned as rendered (names, namespaces, waves, labels, the Neuron device ids, the
``create: false`` switches), so a change to any of them is a failing test, not a silent new manifest.
"""

from __future__ import annotations

from typing import Any

from cluster_capacity.config.operators import OperatorGroupConfig, SubscriptionConfig
from cluster_capacity.render._meta import (
    SKIP_DRY_RUN,
    WAVE_AUTOSCALING,
    WAVE_CAPACITY,
    WAVE_MACHINES,
    WAVE_NFD,
    WAVE_OPERANDS,
    WAVE_OPERATOR_CRS,
    WAVE_OPERATORS,
    WAVE_RBAC,
    metadata,
)
from cluster_capacity.render.health import machine_health_check, render_health
from cluster_capacity.render.neuron import NEURON_PCI_DEVICES, render_neuron
from cluster_capacity.render.nfd import render_nfd
from cluster_capacity.render.olm import namespace, operator_group, subscription
from cluster_capacity.render.sharing import device_plugin_configmap, device_plugin_data, sharing_spec
from tests.render.conftest import PROVIDER_SPEC, gpu_values, make_values, pool

MANAGED = {"app.kubernetes.io/managed-by": "cluster-capacity"}
PROD = {**MANAGED, "cluster-capacity/env": "prod"}
TAINT = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
FEASIBLE = {"passed": True, "clusterVersion": "4.19.7", "checkedAt": "2026-11-28"}


def wave(n: str, **more: str) -> dict[str, str]:
    return {"argocd.argoproj.io/sync-wave": n, **more}


def skip(n: str) -> dict[str, str]:
    return wave(n, **{"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"})


# --- _meta ------------------------------------------------------------------------------------------


def test_waves_and_sync_option() -> None:
    assert (WAVE_RBAC, WAVE_OPERATORS, WAVE_CAPACITY, WAVE_OPERATOR_CRS, WAVE_OPERANDS) == (-1, 0, 0, 1, 2)
    assert (WAVE_MACHINES, WAVE_AUTOSCALING, WAVE_NFD) == (0, 0, 1)
    assert SKIP_DRY_RUN == "SkipDryRunOnMissingResource=true"


def test_metadata_minimal_has_no_namespace_env_or_annotations() -> None:
    assert metadata("n") == {"name": "n", "labels": MANAGED}
    assert metadata("n", "") == {"name": "n", "labels": MANAGED}  # an empty namespace is none
    assert metadata("n", env="") == {"name": "n", "labels": MANAGED}


def test_metadata_every_field() -> None:
    assert metadata(
        "n", "ns", env="prod", wave=0, skip_dry_run=True, extra_labels={"a": "b"}, annotations={"x": "y"}
    ) == {
        "name": "n",
        "namespace": "ns",
        "labels": {**PROD, "a": "b"},
        # wave 0 is a wave: it is written, not taken for "no wave"
        "annotations": {"x": "y", **skip("0")},
    }
    assert metadata("n", wave=-1)["annotations"] == wave("-1")
    assert metadata("n", skip_dry_run=True)["annotations"] == {
        "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"
    }


def test_metadata_extra_labels_win_and_callers_mappings_stay_untouched() -> None:
    given = {"keep": "me"}
    extra = {"cluster-capacity/env": "other"}
    meta = metadata("n", env="prod", wave=2, annotations=given, extra_labels=extra)
    assert meta["labels"] == {**MANAGED, "cluster-capacity/env": "other"}
    assert meta["annotations"] == {"keep": "me", **wave("2")}
    assert given == {"keep": "me"} and extra == {"cluster-capacity/env": "other"}
    meta["annotations"]["added"] = "later"
    meta["labels"]["added"] = "later"
    assert given == {"keep": "me"} and extra == {"cluster-capacity/env": "other"}


# --- olm --------------------------------------------------------------------------------------------


def test_namespace_with_and_without_cluster_monitoring() -> None:
    assert namespace("ns", "prod") == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "ns",
            "labels": {**PROD, "openshift.io/cluster-monitoring": "true"},
            "annotations": wave("0"),
        },
    }
    assert namespace("ns", None, monitoring=False)["metadata"] == {
        "name": "ns",
        "labels": MANAGED,
        "annotations": wave("0"),
    }


def test_operator_group_targets() -> None:
    cfg = OperatorGroupConfig(name="og", target_namespaces=["a", "b"])
    og = operator_group(cfg, "ns", "prod")
    assert og == {
        "apiVersion": "operators.coreos.com/v1",
        "kind": "OperatorGroup",
        "metadata": {"name": "og", "namespace": "ns", "labels": PROD, "annotations": wave("0")},
        "spec": {"targetNamespaces": ["a", "b"]},
    }
    og["spec"]["targetNamespaces"].append("c")  # the manifest does not share the config's list
    assert cfg.target_namespaces == ["a", "b"]
    assert operator_group(cfg, "ns", None, ["x"])["spec"] == {"targetNamespaces": ["x"]}
    assert operator_group(cfg, "ns", None, [])["spec"] == {}  # given and empty: AllNamespaces
    assert operator_group(OperatorGroupConfig(name="og"), "ns", None)["spec"] == {}


def test_subscription_with_and_without_starting_csv() -> None:
    cfg = SubscriptionConfig(name="pkg", source="cat")
    assert subscription(cfg, "ns", "prod") == {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": "pkg", "namespace": "ns", "labels": PROD, "annotations": wave("0")},
        "spec": {
            "channel": "stable",
            "installPlanApproval": "Automatic",
            "name": "pkg",
            "source": "cat",
            "sourceNamespace": "openshift-marketplace",
        },
    }
    pinned = SubscriptionConfig.model_validate(
        {
            "name": "pkg",
            "source": "cat",
            "channel": "fast",
            "sourceNamespace": "mkt",
            "approval": "Manual",
            "startingCSV": "pkg.v1.2.3",
        }
    )
    assert subscription(pinned, "ns", None)["spec"] == {
        "channel": "fast",
        "installPlanApproval": "Manual",
        "name": "pkg",
        "source": "cat",
        "sourceNamespace": "mkt",
        "startingCSV": "pkg.v1.2.3",
    }


# --- nfd --------------------------------------------------------------------------------------------

NFD_WORKER_CONFIG = (
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


def nfd_objects(**nfd: Any) -> list[dict[str, Any]]:
    return render_nfd(gpu_values(nvidia={"nfd": nfd}), "prod")


def test_nfd_default_objects_exactly() -> None:
    assert nfd_objects() == [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "openshift-nfd",
                "labels": {**PROD, "openshift.io/cluster-monitoring": "true"},
                "annotations": wave("0"),
            },
        },
        {
            "apiVersion": "operators.coreos.com/v1",
            "kind": "OperatorGroup",
            "metadata": {
                "name": "openshift-nfd",
                "namespace": "openshift-nfd",
                "labels": PROD,
                "annotations": wave("0"),
            },
            "spec": {"targetNamespaces": ["openshift-nfd"]},
        },
        {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "Subscription",
            "metadata": {
                "name": "nfd",
                "namespace": "openshift-nfd",
                "labels": PROD,
                "annotations": wave("0"),
            },
            "spec": {
                "channel": "stable",
                "installPlanApproval": "Automatic",
                "name": "nfd",
                "source": "redhat-operators",
                "sourceNamespace": "openshift-marketplace",
            },
        },
        {
            "apiVersion": "nfd.openshift.io/v1",
            "kind": "NodeFeatureDiscovery",
            "metadata": {
                "name": "nfd-instance",
                "namespace": "openshift-nfd",
                "labels": PROD,
                "annotations": skip("1"),
            },
            "spec": {
                "operand": {"imagePullPolicy": "IfNotPresent", "servicePort": 12000},
                "workerConfig": {"configData": NFD_WORKER_CONFIG},
            },
        },
    ]


def test_nfd_switches_each_drop_their_object() -> None:
    kinds = lambda objs: [o["kind"] for o in objs]  # noqa: E731
    assert kinds(nfd_objects(createNamespace=False)) == [
        "OperatorGroup",
        "Subscription",
        "NodeFeatureDiscovery",
    ]
    assert kinds(nfd_objects(operatorGroup={"create": False})) == [
        "Namespace",
        "Subscription",
        "NodeFeatureDiscovery",
    ]
    assert kinds(nfd_objects(instance={"create": False})) == ["Namespace", "OperatorGroup", "Subscription"]
    # openshift-operators exists on every cluster: never rendered, even with createNamespace left on
    shared = nfd_objects(installNamespace="openshift-operators", operatorGroup={"create": False})
    assert kinds(shared) == ["Subscription", "NodeFeatureDiscovery"]
    assert {o["metadata"]["namespace"] for o in shared} == {"openshift-operators"}
    assert nfd_objects(enabled=False) == []


def test_nfd_instance_spec_merges_over_the_default() -> None:
    (*_, nfd) = nfd_objects(
        instance={"name": "mine", "spec": {"operand": {"servicePort": 12001}, "topologyUpdater": True}},
    )
    assert nfd["metadata"]["name"] == "mine"
    assert nfd["spec"] == {
        "operand": {"imagePullPolicy": "IfNotPresent", "servicePort": 12001},
        "workerConfig": {"configData": NFD_WORKER_CONFIG},
        "topologyUpdater": True,
    }
    # the configured targets, else the install namespace
    og = nfd_objects(installNamespace="nfd", operatorGroup={"targetNamespaces": ["nfd"]})[1]
    assert og["spec"] == {"targetNamespaces": ["nfd"]}
    og = nfd_objects(installNamespace="nfd")[1]
    assert (og["metadata"]["namespace"], og["spec"]) == ("nfd", {"targetNamespaces": ["nfd"]})


# --- neuron -----------------------------------------------------------------------------------------


def neuron(**inferentia: Any) -> list[dict[str, Any]]:
    data = {
        "enabled": True,
        "infraID": "prod-x",
        "machineSets": [pool("neuron-inf2", providerSpec={"instanceType": "inf2.xlarge"})],
        "inferentia": {"enabled": True, "feasibility": FEASIBLE, **inferentia},
    }
    return render_neuron(make_values(data), "prod")


NODE_FEATURE_RULE = {
    "apiVersion": "nfd.openshift.io/v1alpha1",
    "kind": "NodeFeatureRule",
    "metadata": {
        "name": "neuron-nfd-rule",
        "namespace": "aws-neuron-operator",
        "labels": PROD,
        "annotations": skip("1"),
    },
    "spec": {
        "rules": [
            {
                "name": "neuron-device",
                "labels": {"feature.node.kubernetes.io/aws-neuron": "true"},
                "matchAny": [
                    {
                        "matchFeatures": [
                            {
                                "feature": "pci.device",
                                "matchExpressions": {
                                    "vendor": {"op": "In", "value": ["1d0f"]},
                                    "device": {
                                        "op": "In",
                                        "value": ["7064", "7065", "7066", "7067", "7164", "7264", "7364"],
                                    },
                                },
                            }
                        ]
                    }
                ],
            }
        ]
    },
}

DEVICE_CONFIG = {
    "apiVersion": "k8s.aws/v1beta1",
    "kind": "DeviceConfig",
    "metadata": {
        "name": "neuron",
        "namespace": "aws-neuron-operator",
        "labels": PROD,
        "annotations": skip("2"),
    },
    "spec": {
        "driversImage": "public.ecr.aws/os-partners/neuron-openshift/neuron-kernel-module:2.28.0.0",
        "driverVersion": "2.28.0.0",
        "devicePluginImage": "public.ecr.aws/neuron/neuron-device-plugin:2.30.0.0",
        "customSchedulerImage": "public.ecr.aws/eks-distro/kubernetes/kube-scheduler:v1.35.5-eks-1-35-10",
        "schedulerExtensionImage": "public.ecr.aws/neuron/neuron-scheduler:2.30.0.0",
        "nodeMetricsImage": "public.ecr.aws/neuron/neuron-monitor:1.10.0",
        "selector": {"feature.node.kubernetes.io/aws-neuron": "true"},
    },
}


def olm_objects(ns: str, package: str, channel: str, source: str, sub_wave: str) -> list[dict[str, Any]]:
    """Namespace (no cluster-monitoring label), AllNamespaces OperatorGroup, Subscription."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": PROD, "annotations": wave("0")},
        },
        {
            "apiVersion": "operators.coreos.com/v1",
            "kind": "OperatorGroup",
            "metadata": {"name": package, "namespace": ns, "labels": PROD, "annotations": wave("0")},
            "spec": {},
        },
        {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "Subscription",
            "metadata": {"name": package, "namespace": ns, "labels": PROD, "annotations": wave(sub_wave)},
            "spec": {
                "channel": channel,
                "installPlanApproval": "Automatic",
                "name": package,
                "source": source,
                "sourceNamespace": "openshift-marketplace",
            },
        },
    ]


def test_neuron_stack_exactly() -> None:
    assert neuron() == [
        # KMM first, in its own wave: the Neuron operator's Subscription waits one wave for it
        *olm_objects("openshift-kmm", "kernel-module-management", "stable", "redhat-operators", "0"),
        *olm_objects("aws-neuron-operator", "aws-neuron-operator", "Stable", "community-operators", "1"),
        NODE_FEATURE_RULE,
        DEVICE_CONFIG,
    ]


def test_neuron_rendered_device_ids_are_a_copy() -> None:
    rule = next(o for o in neuron() if o["kind"] == "NodeFeatureRule")
    expr = rule["spec"]["rules"][0]["matchAny"][0]["matchFeatures"][0]["matchExpressions"]
    expr["device"]["value"].append("ffff")  # e.g. a caller patching one rendered object
    assert NEURON_PCI_DEVICES == ["7064", "7065", "7066", "7067", "7164", "7264", "7364"]
    assert next(o for o in neuron() if o["kind"] == "NodeFeatureRule") == NODE_FEATURE_RULE


def test_neuron_switches() -> None:
    def ids(objs: list[dict[str, Any]]) -> list[str]:
        return [f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in objs]

    kmm_sub = "Subscription/openshift-kmm/kernel-module-management"
    neuron_og = "OperatorGroup/aws-neuron-operator/aws-neuron-operator"
    neuron_sub = "Subscription/aws-neuron-operator/aws-neuron-operator"
    operands = [
        "NodeFeatureRule/aws-neuron-operator/neuron-nfd-rule",
        "DeviceConfig/aws-neuron-operator/neuron",
    ]
    assert ids(
        neuron(
            kmm={"createNamespace": False, "operatorGroup": {"create": False}},
            operator={"createNamespace": False},
        )
    ) == [kmm_sub, neuron_og, neuron_sub, *operands]
    assert ids(neuron(operator={"operatorGroup": {"create": False}}, kmm={"createNamespace": False}))[:3] == [
        "OperatorGroup/openshift-kmm/kernel-module-management",
        kmm_sub,
        "Namespace//aws-neuron-operator",
    ]
    assert ids(neuron(nodeFeatureRule={"create": False}))[-1:] == operands[1:]
    assert ids(neuron(deviceConfig={"create": False}))[-1:] == operands[:1]
    both_off = ids(neuron(nodeFeatureRule={"create": False}, deviceConfig={"create": False}))
    assert both_off[-1] == neuron_sub and len(both_off) == 6


def test_neuron_settings_reach_the_objects() -> None:
    objs = neuron(
        kmm={"subscription": {"startingCSV": "kernel-module-management.v2.4.0", "approval": "Manual"}},
        operator={
            "installNamespace": "neuron",
            "operatorGroup": {"name": "og", "targetNamespaces": ["neuron"]},
        },
        nodeFeatureRule={"name": "rule", "apiVersion": "nfd.k8s-sigs.io/v1alpha1"},
        deviceConfig={
            "name": "dc",
            "driverVersion": "2.29.0.0",
            "images": {"drivers": "d", "devicePlugin": "p", "customScheduler": "s"},
            "spec": {"imageRepoSecret": {"name": "pull"}, "selector": {"extra": "x"}},
        },
    )
    by = {(o["kind"], o["metadata"]["name"]): o for o in objs}
    assert (
        by["Subscription", "kernel-module-management"]["spec"]["startingCSV"]
        == "kernel-module-management.v2.4.0"
    )
    assert by["Subscription", "kernel-module-management"]["spec"]["installPlanApproval"] == "Manual"
    assert "startingCSV" not in by["Subscription", "aws-neuron-operator"]["spec"]
    assert by["OperatorGroup", "og"]["spec"] == {"targetNamespaces": ["neuron"]}
    assert by["OperatorGroup", "og"]["metadata"]["namespace"] == "neuron"
    rule = by["NodeFeatureRule", "rule"]
    assert (rule["apiVersion"], rule["metadata"]["namespace"]) == ("nfd.k8s-sigs.io/v1alpha1", "neuron")
    dc = by["DeviceConfig", "dc"]
    assert dc["metadata"]["namespace"] == "neuron"
    assert dc["spec"] == {
        "driversImage": "d",
        "driverVersion": "2.29.0.0",
        "devicePluginImage": "p",
        "customSchedulerImage": "s",
        "schedulerExtensionImage": "public.ecr.aws/neuron/neuron-scheduler:2.30.0.0",
        "nodeMetricsImage": "public.ecr.aws/neuron/neuron-monitor:1.10.0",
        "selector": {"feature.node.kubernetes.io/aws-neuron": "true", "extra": "x"},
        "imageRepoSecret": {"name": "pull"},
    }


def test_neuron_off_renders_nothing() -> None:
    gpu = gpu_values()
    assert render_neuron(gpu) == []


# --- health -----------------------------------------------------------------------------------------


def spot_pool(**overrides: Any) -> dict[str, Any]:
    spec = {**PROVIDER_SPEC, "spotMarketOptions": {}}
    return pool("gpu", providerSpec=spec, **overrides)


def test_machine_health_check_exactly() -> None:
    values = gpu_values(
        machineSets=[spot_pool(onDemandFallback=True, autoscaler={"enabled": True})],
        autoscaling={"clusterAutoscaler": {"enabled": True}},
    )
    (mhc,) = render_health(values, "prod")
    assert mhc == {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineHealthCheck",
        "metadata": {
            "name": "prod-x-gpu",
            "namespace": "openshift-machine-api",
            "labels": {**PROD, "cluster-capacity/pool": "gpu"},
            "annotations": wave("0"),
        },
        "spec": {
            "selector": {
                "matchLabels": {"machine.openshift.io/cluster-api-cluster": "prod-x"},
                "matchExpressions": [
                    {
                        "key": "machine.openshift.io/cluster-api-machineset",
                        "operator": "In",
                        "values": ["prod-x-gpu", "prod-x-gpu-ondemand"],
                    }
                ],
            },
            "unhealthyConditions": [
                {"type": "Ready", "status": "False", "timeout": "5m"},
                {"type": "Ready", "status": "Unknown", "timeout": "5m"},
            ],
            "maxUnhealthy": 1,
            "nodeStartupTimeout": "45m",
        },
    }
    assert machine_health_check(values.enabled_pools[0], "other") == {
        **mhc,
        "metadata": {
            "name": "other-gpu",
            "namespace": "openshift-machine-api",
            "labels": {**MANAGED, "cluster-capacity/pool": "gpu"},
            "annotations": wave("0"),
        },
        "spec": {
            **mhc["spec"],
            "selector": {
                "matchLabels": {"machine.openshift.io/cluster-api-cluster": "other"},
                "matchExpressions": [
                    {
                        "key": "machine.openshift.io/cluster-api-machineset",
                        "operator": "In",
                        "values": ["other-gpu", "other-gpu-ondemand"],
                    }
                ],
            },
        },
    }


def test_health_checks_per_pool_on_demand_opt_in_and_disabled_pools() -> None:
    values = gpu_values(
        machineSets=[
            spot_pool(),
            pool("od", healthCheck={"maxUnhealthy": "40%"}),
            pool("plain"),
            pool("off", enabled=False, healthCheck={"enabled": True}),
        ]
    )
    mhcs = render_health(values)
    assert [m["metadata"]["name"] for m in mhcs] == ["prod-x-gpu", "prod-x-od"]
    assert mhcs[1]["spec"]["maxUnhealthy"] == "40%"
    assert "cluster-capacity/env" not in mhcs[0]["metadata"]["labels"]


# --- sharing ----------------------------------------------------------------------------------------


def typed(suffix: str, instance_type: str, **overrides: Any) -> dict[str, Any]:
    return pool(
        suffix, providerSpec={**PROVIDER_SPEC, "instanceType": instance_type}, taints=TAINT, **overrides
    )


def sliced(*replicas: int, **ts: Any) -> Any:
    return gpu_values(
        machineSets=[
            typed(f"t{i}", "g4dn.xlarge", gpuSharing={"timeSlicing": {"replicas": r, **ts}})
            for i, r in enumerate(replicas)
        ]
    )


def test_device_plugin_data_default_strategy_and_keys() -> None:
    data = device_plugin_data(sliced(4, 2, 4))
    flags = "version: v1\nflags:\n  migStrategy: single\n"
    body = (
        "sharing:\n  timeSlicing:\n    renameByDefault: false\n    failRequestsGreaterThanOne: false\n"
        "    resources:\n    - name: nvidia.com/gpu\n      replicas: {}\n"
    )
    assert data == {
        "default": flags,
        "time-sliced-2": flags + body.format(2),
        "time-sliced-4": flags + body.format(4),
    }
    assert device_plugin_data(gpu_values()) == {}


def test_device_plugin_data_flags() -> None:
    values = sliced(3, renameByDefault=True, failRequestsGreaterThanOne=True)
    (key,) = [k for k in device_plugin_data(values) if k != "default"]
    assert device_plugin_data(values, "mixed")[key] == (
        "version: v1\nflags:\n  migStrategy: mixed\n"
        "sharing:\n  timeSlicing:\n    renameByDefault: true\n    failRequestsGreaterThanOne: true\n"
        "    resources:\n    - name: nvidia.com/gpu\n      replicas: 3\n"
    )


def test_device_plugin_configmap_default_strategy() -> None:
    assert device_plugin_configmap(gpu_values(), "ns", "prod") is None
    cm = device_plugin_configmap(sliced(2), "ns", "prod")
    assert cm is not None
    assert cm["metadata"] == {
        "name": "device-plugin-config",
        "namespace": "ns",
        "labels": PROD,
        "annotations": wave("1"),
    }
    assert (cm["apiVersion"], cm["kind"]) == ("v1", "ConfigMap")
    assert cm["data"]["default"] == "version: v1\nflags:\n  migStrategy: single\n"


def test_sharing_spec_exactly() -> None:
    assert sharing_spec(gpu_values()) == {}
    assert sharing_spec(sliced(2)) == {
        "devicePlugin": {"config": {"name": "device-plugin-config", "default": "default"}}
    }
    mig = gpu_values(
        machineSets=[typed("h100", "p5.48xlarge", gpuSharing={"mig": {"profile": "all-1g.10gb"}})]
    )
    assert sharing_spec(mig) == {"mig": {"strategy": "single"}, "migManager": {"enabled": True}}


def test_a_mig_pool_turns_mig_manager_on_over_the_configured_spec() -> None:
    mig = gpu_values(
        machineSets=[typed("h100", "p5.48xlarge", gpuSharing={"mig": {"profile": "all-1g.10gb"}})],
        nvidia={"clusterPolicy": {"spec": {"migManager": {"enabled": False}}}},
    )
    from cluster_capacity.render.nvidia import render_nvidia

    (cp,) = [o for o in render_nvidia(mig) if o["kind"] == "ClusterPolicy"]
    assert cp["spec"]["migManager"] == {"enabled": True}
    assert cp["spec"]["mig"] == {"strategy": "single"}
