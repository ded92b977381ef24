"""Every policy rule fires on what it guards against, with its exact finding, and stays quiet otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from cluster_capacity.validate import policies
from cluster_capacity.validate.findings import Finding
from cluster_capacity.validate.policies import RULES, check_policies

Obj = dict[str, Any]

WAVE = "argocd.argoproj.io/sync-wave"
OPTIONS = "argocd.argoproj.io/sync-options"
SKIP = "SkipDryRunOnMissingResource=true"


def obj(
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    wave: int | str | None = None,
    skip_dry_run: bool = False,
    **body: Any,
) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    annotations = {}
    if wave is not None:
        annotations[WAVE] = str(wave)
    if skip_dry_run:
        annotations[OPTIONS] = SKIP
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


def subscription(package: str, namespace: str, wave: int | None = 0) -> Obj:
    return obj(
        "operators.coreos.com/v1alpha1", "Subscription", package, namespace, wave=wave, spec={"name": package}
    )


def operator_group(namespace: str, **spec: Any) -> Obj:
    return obj("operators.coreos.com/v1", "OperatorGroup", namespace, namespace, spec=spec)


def machineset(
    name: str = "prod-x-gpu",
    instance_type: str = "g5.xlarge",
    node_labels: dict[str, str] | None = None,
    **value: Any,
) -> Obj:
    labels = {"cluster-api/accelerator": "nvidia-a10g"} if node_labels is None else node_labels
    return obj(
        "machine.openshift.io/v1beta1",
        "MachineSet",
        name,
        "openshift-machine-api",
        spec={
            "replicas": 0,
            "template": {
                "spec": {
                    "metadata": {"labels": labels},
                    "providerSpec": {"value": {"instanceType": instance_type, **value}},
                }
            },
        },
    )


def cluster_policy(**kw: Any) -> Obj:
    return obj("nvidia.com/v1", "ClusterPolicy", "cluster-policy", **kw)


def cluster_role(*rules: tuple[str, str]) -> Obj:
    return obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        "cc",
        rules=[{"apiGroups": [g], "resources": [r], "verbs": ["get"]} for g, r in rules],
    )


def machine_autoscaler(name: str = "prod-x-gpu") -> Obj:
    return obj("autoscaling.openshift.io/v1beta1", "MachineAutoscaler", name, "openshift-machine-api")


def cluster_autoscaler(*types: Any) -> Obj:
    gpus = [t if not isinstance(t, str) else {"type": t, "min": 0, "max": 1} for t in types]
    return obj(
        "autoscaling.openshift.io/v1", "ClusterAutoscaler", "default", spec={"resourceLimits": {"gpus": gpus}}
    )


def application(
    *, prune: bool = False, self_heal: bool = True, ignore: bool = True, respect: bool = True
) -> Obj:
    spec: Obj = {"syncPolicy": {"automated": {"prune": prune, "selfHeal": self_heal}}}
    if respect:
        spec["syncPolicy"]["syncOptions"] = ["RespectIgnoreDifferences=true"]
    if ignore:
        spec["ignoreDifferences"] = [
            {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
        ]
    return obj("argoproj.io/v1alpha1", "Application", "cluster-capacity-prod", "openshift-gitops", spec=spec)


def finding(o: Obj, path: str, message: str, rule: str, severity: str = "error") -> Finding:
    meta = o["metadata"]
    return Finding(
        kind=o["kind"],
        name=meta["name"],
        namespace=meta.get("namespace", ""),
        path=path,
        message=message,
        severity=severity,  # type: ignore[arg-type]
        rule=rule,
    )


# --- sync order: operator CRs after their operator, without a dry run ---------------------------

OPERANDS = [
    ("nvidia.com/v1", "ClusterPolicy", "gpu-operator-certified"),
    ("nfd.openshift.io/v1", "NodeFeatureDiscovery", "nfd"),
    ("nfd.openshift.io/v1alpha1", "NodeFeatureRule", "nfd"),
    ("k8s.aws/v1beta1", "DeviceConfig", "aws-neuron-operator"),
]


@pytest.mark.parametrize(("api_version", "kind", "package"), OPERANDS)
def test_operator_cr_without_dry_run_skip_in_the_subscriptions_wave(
    api_version: str, kind: str, package: str
) -> None:
    cr = obj(api_version, kind, "cr", "ns", wave=1)
    objects = [subscription(package, "ns", wave=1), cr]
    assert policies.operator_crs_wait_for_crds(objects) == [
        finding(
            cr,
            f"metadata.annotations.{OPTIONS}",
            "needs SkipDryRunOnMissingResource=true: its CRD only exists once the operator is installed",
            "sync-order",
        ),
        finding(
            cr,
            f"metadata.annotations.{WAVE}",
            f"sync wave 1 must be later than the {package} Subscription's (1)",
            "sync-order",
        ),
    ]


@pytest.mark.parametrize(("api_version", "kind", "package"), OPERANDS)
def test_operator_cr_after_its_subscription_passes(api_version: str, kind: str, package: str) -> None:
    objects = [
        subscription(package, "ns", wave=0),
        obj(api_version, kind, "cr", "ns", wave=1, skip_dry_run=True),
    ]
    assert policies.operator_crs_wait_for_crds(objects) == []


def test_sync_order_waves_default_to_zero_and_other_subscriptions_do_not_count() -> None:
    cr = cluster_policy(skip_dry_run=True)  # no wave annotation: wave 0
    late = cluster_policy(skip_dry_run=True, wave="not-a-number")
    # only the GPU Operator's own Subscription orders the ClusterPolicy
    assert policies.operator_crs_wait_for_crds([subscription("nfd", "openshift-nfd", wave=5), cr]) == []
    assert policies.operator_crs_wait_for_crds(
        [subscription("gpu-operator-certified", "x", wave=None), late]
    ) == [
        finding(
            late,
            f"metadata.annotations.{WAVE}",
            "sync wave 0 must be later than the gpu-operator-certified Subscription's (0)",
            "sync-order",
        )
    ]
    # other kinds are not operator CRs
    assert (
        policies.operator_crs_wait_for_crds(
            [subscription("nfd", "n", wave=3), obj("v1", "ConfigMap", "c", "n")]
        )
        == []
    )


# --- NFD next to the GPU Operator ------------------------------------------------------------------


def test_cluster_policy_without_nfd_is_a_warning() -> None:
    cp = cluster_policy()
    assert policies.gpu_operator_needs_nfd(
        [subscription("gpu-operator-certified", "nvidia-gpu-operator"), cp]
    ) == [
        finding(
            cp,
            "",
            "Node Feature Discovery is not rendered; the GPU Operator needs it unless NFD is installed some other "
            "way (then ignore this warning)",
            "nfd",
            severity="warning",
        )
    ]


def test_nfd_subscription_or_instance_or_no_cluster_policy_passes() -> None:
    cp = cluster_policy()
    nfd_instance = obj("nfd.openshift.io/v1", "NodeFeatureDiscovery", "nfd-instance", "openshift-nfd")
    assert policies.gpu_operator_needs_nfd([cp, subscription("nfd", "openshift-nfd")]) == []
    assert policies.gpu_operator_needs_nfd([cp, nfd_instance]) == []
    assert policies.gpu_operator_needs_nfd([subscription("gpu-operator-certified", "x")]) == []


# --- OperatorGroups of single-namespace operators --------------------------------------------------


@pytest.mark.parametrize("package", ["gpu-operator-certified", "nfd"])
@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"targetNamespaces": []},
        {"targetNamespaces": ["ns", "other"]},
        {"targetNamespaces": ["ns"], "selector": {"a": "b"}},
    ],
)
def test_operator_group_not_in_single_namespace_mode(package: str, spec: Obj) -> None:
    og = operator_group("ns", **spec)
    assert policies.operator_groups_single_namespace([subscription(package, "ns"), og]) == [
        finding(
            og,
            "spec.targetNamespaces",
            "must be [ns] (single namespace); AllNamespaces mode makes the install fail",
            "olm",
        )
    ]


def test_single_namespace_operator_group_and_all_namespace_operators_pass() -> None:
    assert (
        policies.operator_groups_single_namespace(
            [subscription("gpu-operator-certified", "ns"), operator_group("ns", targetNamespaces=["ns"])]
        )
        == []
    )
    # KMM and the Neuron operator support only AllNamespaces: their OperatorGroups have no targets
    assert (
        policies.operator_groups_single_namespace(
            [subscription("kernel-module-management", "kmm"), operator_group("kmm")]
        )
        == []
    )
    # an OperatorGroup in a namespace where no single-namespace operator is subscribed
    assert policies.operator_groups_single_namespace([subscription("nfd", "a"), operator_group("b")]) == []


# --- MachineSets ------------------------------------------------------------------------------------


def test_null_values_of_a_hand_edited_file_are_no_traceback() -> None:
    """``sync-wave:`` and ``providerSpec:`` left empty in YAML are null: the schema check reports them, and
    the policy rules read them as absent (wave 0, no providerSpec) instead of failing."""
    cr = cluster_policy(skip_dry_run=True)
    cr["metadata"]["annotations"][WAVE] = None
    sub = subscription("gpu-operator-certified", "nvidia-gpu-operator", wave=0)
    assert policies._wave(cr) == 0
    assert policies.operator_crs_wait_for_crds([sub, cr]) == [
        finding(
            cr,
            f"metadata.annotations.{WAVE}",
            "sync wave 0 must be later than the gpu-operator-certified Subscription's (0)",
            "sync-order",
        )
    ]
    bare = machineset("bare")
    bare["spec"]["template"]["spec"]["providerSpec"] = None
    assert policies.spot_without_reservation([bare]) == []
    assert policies.gpu_pools_labelled([bare]) == []


def test_machineset_without_replicas() -> None:
    ms = machineset()
    del ms["spec"]["replicas"]
    assert policies.machinesets_explicit_replicas([ms, machineset("ok")]) == [
        finding(ms, "spec.replicas", "must be set explicitly (the CRD defaults it to 1)", "replicas")
    ]


def test_spot_with_a_capacity_reservation() -> None:
    both = machineset("both", spotMarketOptions={}, capacityReservationId="cr-0123")
    assert policies.spot_without_reservation(
        [
            both,
            machineset("spot", spotMarketOptions={"maxPrice": "1"}),
            machineset("reserved", capacityReservationId="cr-0123"),
            machineset("null-spot", spotMarketOptions=None, capacityReservationId="cr-0123"),
            machineset("empty-reservation", spotMarketOptions={}, capacityReservationId=""),
        ]
    ) == [
        finding(
            both,
            "spec.template.spec.providerSpec.value.capacityReservationId",
            "Spot instances cannot use a capacity reservation",
            "spot",
        )
    ]


def test_gpu_pool_without_the_accelerator_label() -> None:
    bare = machineset("bare", "p4d.24xlarge", node_labels={"node-role.kubernetes.io/gpu": ""})
    objects = [
        bare,
        machineset("labelled"),
        machineset("cpu", "m6i.xlarge", node_labels={}),
        machineset("neuron", "inf2.xlarge", node_labels={}),
        machineset("odd", "not-a-type", node_labels={}),
    ]
    assert policies.gpu_pools_labelled(objects) == [
        finding(
            bare,
            "spec.template.spec.metadata.labels.cluster-api/accelerator",
            "GPU pool (p4d.24xlarge) without the accelerator label; expected e.g. nvidia-a100",
            "gpu-label",
        )
    ]


# --- ClusterAutoscaler -------------------------------------------------------------------------------


def test_gpu_limit_types_must_be_pool_labels() -> None:
    ca = cluster_autoscaler("nvidia-a10g", "nvidia-t4", "not-a-mapping")
    ca["spec"]["resourceLimits"]["gpus"][2] = "not-a-mapping"
    objects = [
        machineset("a"),
        machineset("b", "g4dn.xlarge", node_labels={"cluster-api/accelerator": "nvidia-t4x"}),
        ca,
    ]
    assert policies.autoscaler_gpu_types_match(objects) == [
        finding(
            ca,
            "spec.resourceLimits.gpus[1].type",
            "'nvidia-t4' is no pool's cluster-api/accelerator label (nvidia-a10g, nvidia-t4x)",
            "gpu-label",
        ),
        finding(
            ca,
            "spec.resourceLimits.gpus[2].type",
            "None is no pool's cluster-api/accelerator label (nvidia-a10g, nvidia-t4x)",
            "gpu-label",
        ),
    ]


def test_gpu_limits_without_gpu_pools_or_matching_pass() -> None:
    ca = cluster_autoscaler("nvidia-t4")
    assert policies.autoscaler_gpu_types_match([ca]) == []  # no GPU pool rendered: nothing to match
    assert policies.autoscaler_gpu_types_match([machineset("cpu", "m6i.xlarge", node_labels={}), ca]) == []
    # a GPU pool without the label (another rule reports it) gives no label to match either
    assert policies.autoscaler_gpu_types_match([machineset("bare", node_labels={}), ca]) == []
    assert policies.autoscaler_gpu_types_match([machineset(), cluster_autoscaler("nvidia-a10g")]) == []


def test_machine_autoscalers_without_a_cluster_autoscaler() -> None:
    a, b = machine_autoscaler("a"), machine_autoscaler("b")
    message = (
        "no ClusterAutoscaler is rendered; a MachineAutoscaler does nothing without one "
        "(ignore if the cluster already has `default`)"
    )
    assert policies.autoscaled_pools_have_cluster_autoscaler([a, b]) == [
        finding(a, "", message, "autoscaling", severity="warning"),
        finding(b, "", message, "autoscaling", severity="warning"),
    ]
    assert policies.autoscaled_pools_have_cluster_autoscaler([a, cluster_autoscaler()]) == []
    assert policies.autoscaled_pools_have_cluster_autoscaler([cluster_autoscaler()]) == []


# --- RBAC for Argo CD -----------------------------------------------------------------------------------


def test_ungranted_groups_without_a_cluster_role_are_warnings() -> None:
    cp, sm = cluster_policy(), obj("monitoring.coreos.com/v1", "ServiceMonitor", "sm", "ns")
    hint = "enable nvidia.rbac.create or grant it another way"
    assert policies.argocd_can_write([cp, sm, machineset()]) == [
        finding(
            cp,
            "",
            f"the Argo CD application controller may not write clusterpolicies.nvidia.com by default; {hint}",
            "rbac",
            severity="warning",
        ),
        finding(
            sm,
            "",
            f"the Argo CD application controller may not write servicemonitors.monitoring.coreos.com by default; {hint}",
            "rbac",
            severity="warning",
        ),
    ]


def test_a_cluster_role_that_misses_a_resource_is_an_error() -> None:
    cp = cluster_policy()
    widget = obj("nvidia.com/v1alpha1", "NVIDIADriver", "d")  # no plural known: kind + s
    role = cluster_role(("nvidia.com", "nvidiadrivers"), ("nfd.openshift.io", "clusterpolicies"))
    assert policies.argocd_can_write([role, cp, widget]) == [
        finding(
            cp,
            "",
            "the Argo CD application controller may not write clusterpolicies.nvidia.com by default; "
            "enable nvidia.rbac.create or grant it another way",
            "rbac",
        )
    ]
    assert policies.argocd_can_write([cluster_role(("nvidia.com", "*")), cp, widget]) == []
    assert policies.argocd_can_write([cluster_role(("nvidia.com", "clusterpolicies")), cp]) == []


# --- the Argo CD Application ------------------------------------------------------------------------------


def test_application_that_prunes() -> None:
    app = application(prune=True)
    assert policies.application_safe_sync([app]) == [
        finding(
            app,
            "spec.syncPolicy.automated.prune",
            "must be false: pruning deletes a node pool removed from Git, with its workloads",
            "argocd",
        )
    ]


def test_ignored_replicas_without_respect_ignore_differences() -> None:
    app = application(respect=False)
    assert policies.application_safe_sync([app]) == [
        finding(
            app,
            "spec.syncPolicy.syncOptions",
            "ignoreDifferences on replicas needs RespectIgnoreDifferences=true, or every sync resets them",
            "argocd",
        )
    ]


def test_self_heal_undoes_autoscaling_unless_replicas_are_ignored() -> None:
    app = application(ignore=False, respect=False)
    message = (
        "pools autoscale but MachineSet replicas are not ignored: selfHeal will undo every scale-up "
        "(set capacityIgnoreMachineSetReplicas: true)"
    )
    assert policies.application_safe_sync([machine_autoscaler(), app]) == [
        finding(app, "spec.ignoreDifferences", message, "argocd")
    ]
    assert policies.application_safe_sync([app]) == []  # nothing autoscales
    assert (
        policies.application_safe_sync([machine_autoscaler(), application(ignore=False, self_heal=False)])
        == []
    )
    # ignoring another pointer, or another kind, does not count
    other = application(respect=False)
    other["spec"]["ignoreDifferences"] = [
        {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/template"]},
        {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
    ]
    assert [f.path for f in policies.application_safe_sync([machine_autoscaler(), other])] == [
        "spec.ignoreDifferences"
    ]


def test_safe_application_passes() -> None:
    assert policies.application_safe_sync([machine_autoscaler(), application()]) == []


# --- the rule list ------------------------------------------------------------------------------------------


def broken_env() -> list[Obj]:
    """One object set that breaks every rule once."""
    ms = machineset("bare", node_labels={}, spotMarketOptions={}, capacityReservationId="cr-1")
    del ms["spec"]["replicas"]
    return [
        subscription("gpu-operator-certified", "nvidia-gpu-operator"),
        operator_group("nvidia-gpu-operator"),
        cluster_policy(),
        ms,
        machineset("labelled"),
        cluster_autoscaler("nvidia-t4"),
        application(prune=True, ignore=False, respect=False),
        machine_autoscaler(),
        obj("v1", "Namespace", "no-ca-here"),
    ]


def test_every_rule_is_in_the_rule_list_and_fires() -> None:
    objects = broken_env()
    no_ca = [o for o in objects if o["kind"] != "ClusterAutoscaler"]
    fired = [(f.rule, f.kind, f.severity) for f in check_policies(objects)]
    fired += [(f.rule, f.kind, f.severity) for f in check_policies(no_ca) if f.rule == "autoscaling"]
    assert fired == [
        ("sync-order", "ClusterPolicy", "error"),
        ("sync-order", "ClusterPolicy", "error"),
        ("nfd", "ClusterPolicy", "warning"),
        ("olm", "OperatorGroup", "error"),
        ("replicas", "MachineSet", "error"),
        ("spot", "MachineSet", "error"),
        ("gpu-label", "MachineSet", "error"),
        ("gpu-label", "ClusterAutoscaler", "error"),
        ("rbac", "ClusterPolicy", "warning"),
        ("rbac", "ClusterAutoscaler", "warning"),
        ("rbac", "MachineAutoscaler", "warning"),
        ("argocd", "Application", "error"),
        ("argocd", "Application", "error"),
        ("autoscaling", "MachineAutoscaler", "warning"),
    ]
    tested = {
        policies.operator_crs_wait_for_crds,
        policies.gpu_operator_needs_nfd,
        policies.operator_groups_single_namespace,
        policies.machinesets_explicit_replicas,
        policies.spot_without_reservation,
        policies.gpu_pools_labelled,
        policies.autoscaler_gpu_types_match,
        policies.autoscaled_pools_have_cluster_autoscaler,
        policies.argocd_can_write,
        policies.application_safe_sync,
    }
    assert tested <= set(RULES) and len(set(RULES)) == len(RULES)
    assert check_policies(objects, rules=()) == []
    assert check_policies(
        objects, rules=[policies.machinesets_explicit_replicas]
    ) == policies.machinesets_explicit_replicas(objects)


# --- odd input: hand-edited output that still must not crash or mislead ---------------------------------


def test_only_nvidia_pools_give_gpu_limit_types() -> None:
    ca = cluster_autoscaler("nvidia-t4")
    # labelled, but not NVIDIA: no label to match, so no finding (the Neuron and CPU labels do not count)
    neuron = machineset("inf", "inf2.xlarge", node_labels={"cluster-api/accelerator": "neuron"})
    cpu = machineset("cpu", "m6i.xlarge", node_labels={"cluster-api/accelerator": "cpu"})
    assert policies.autoscaler_gpu_types_match([neuron, cpu, ca]) == []
    # ... and they are not offered as what the type could be either
    assert policies.autoscaler_gpu_types_match([neuron, machineset("a"), ca]) == [
        finding(
            ca,
            "spec.resourceLimits.gpus[0].type",
            "'nvidia-t4' is no pool's cluster-api/accelerator label (nvidia-a10g)",
            "gpu-label",
        )
    ]


def test_gpu_limit_type_message_lists_labels_sorted() -> None:
    ca = cluster_autoscaler("nvidia-l4")
    objects = [
        machineset("z", "g4dn.xlarge", node_labels={"cluster-api/accelerator": "nvidia-t4"}),
        machineset("a"),
        ca,
    ]
    assert [f.message for f in policies.autoscaler_gpu_types_match(objects)] == [
        "'nvidia-l4' is no pool's cluster-api/accelerator label (nvidia-a10g, nvidia-t4)"
    ]


def test_a_label_value_that_is_no_string_is_compared_as_its_text() -> None:
    pool = machineset("a", node_labels={"cluster-api/accelerator": 7})  # type: ignore[dict-item]
    assert policies.autoscaler_gpu_types_match([pool, cluster_autoscaler("7")]) == []
    ca = cluster_autoscaler("8")
    assert [f.message for f in policies.autoscaler_gpu_types_match([pool, ca])] == [
        "'8' is no pool's cluster-api/accelerator label (7)"
    ]


def test_rbac_rule_takes_odd_api_versions_and_kinds() -> None:
    role = cluster_role(("nvidia.com", "clusterpolicies"))
    # an apiVersion that is no string has no group: nothing to grant
    assert policies.argocd_can_write([obj(5, "ClusterPolicy", "x")]) == []  # type: ignore[arg-type]
    nameless = {"apiVersion": "nvidia.com/v1", "metadata": {"name": "k"}}
    nulled = {"apiVersion": "nvidia.com/v1", "kind": None, "metadata": {"name": "n"}}
    hint = "enable nvidia.rbac.create or grant it another way"
    listed = {"apiVersion": "nvidia.com/v1", "kind": ["X"], "metadata": {"name": "l"}}  # unhashable
    assert [f.message.split(" by ")[0] for f in policies.argocd_can_write([role, listed])] == [
        "the Argo CD application controller may not write ['x']s.nvidia.com"
    ]
    assert policies.argocd_can_write([role, nameless, nulled]) == [
        Finding(
            kind="?",
            name="k",
            path="",
            message=f"the Argo CD application controller may not write s.nvidia.com by default; {hint}",
            rule="rbac",
        ),
        Finding(
            kind="None",
            name="n",
            path="",
            message=f"the Argo CD application controller may not write nones.nvidia.com by default; {hint}",
            rule="rbac",
        ),
    ]
