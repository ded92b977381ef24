"""Policy rules: what the CRD schemas accept but a first Argo CD sync (or the cluster) would not survive.

Each rule reads rendered manifests only, so it also holds for output edited by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cluster_capacity import instances, labels
from cluster_capacity.render.rbac import PLURALS, UNGRANTED_GROUPS
from cluster_capacity.validate.fallback import FALLBACK_RULES
from cluster_capacity.validate.findings import Finding
from cluster_capacity.validate.sharing import autoscaled_shared_pools_count, gpu_limits_count_shares
from cluster_capacity.validate.sync_waves import capacity_first, manual_approval

Manifest = dict[str, Any]
Rule = Callable[[Sequence[Manifest]], list[Finding]]


def _of(objects: Sequence[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o.get("kind") == kind]


def _annotations(obj: Manifest) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _wave(obj: Manifest) -> int:
    try:
        return int(_annotations(obj).get(labels.SYNC_WAVE, "0"))
    except (TypeError, ValueError):  # not a number, or null (an empty value in YAML): as sync_waves.wave_of
        return 0


def _group(obj: Manifest) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


#: The OLM package whose install brings each operator CR's CRD.
_CRD_OWNER = {
    "ClusterPolicy": "gpu-operator-certified",
    "NodeFeatureDiscovery": "nfd",
    "NodeFeatureRule": "nfd",
    "DeviceConfig": "aws-neuron-operator",
}


def operator_crs_wait_for_crds(objects: Sequence[Manifest]) -> list[Finding]:
    """Operator CRs skip the dry run (their CRD is not there yet) and sync after their operator's Subscription."""
    out = []
    sub_waves = {str((s.get("spec") or {}).get("name")): _wave(s) for s in _of(objects, "Subscription")}
    for obj in objects:
        kind = str(obj.get("kind"))
        if kind not in _CRD_OWNER:
            continue
        opts = _annotations(obj).get(labels.SYNC_OPTIONS, "")
        if "SkipDryRunOnMissingResource=true" not in opts:
            out.append(
                Finding.for_object(
                    obj,
                    f"metadata.annotations.{labels.SYNC_OPTIONS}",
                    "needs SkipDryRunOnMissingResource=true: its CRD only exists once the operator is installed",
                    rule="sync-order",
                )
            )
        package = _CRD_OWNER[kind]
        if package in sub_waves and _wave(obj) <= sub_waves[package]:
            out.append(
                Finding.for_object(
                    obj,
                    f"metadata.annotations.{labels.SYNC_WAVE}",
                    f"sync wave {_wave(obj)} must be later than the {package} Subscription's ({sub_waves[package]})",
                    rule="sync-order",
                )
            )
    return out


def gpu_operator_needs_nfd(objects: Sequence[Manifest]) -> list[Finding]:
    """The GPU Operator finds GPU nodes through NFD labels: a ClusterPolicy without NFD never deploys."""
    if not _of(objects, "ClusterPolicy"):
        return []
    subs = {str((s.get("spec") or {}).get("name")) for s in _of(objects, "Subscription")}
    if "nfd" in subs or _of(objects, "NodeFeatureDiscovery"):
        return []
    return [
        Finding.for_object(
            cp,
            "",
            "Node Feature Discovery is not rendered; the GPU Operator needs it unless NFD is installed "
            "some other way (then ignore this warning)",
            severity="warning",
            rule="nfd",
        )
        for cp in _of(objects, "ClusterPolicy")
    ]


_SINGLE_NAMESPACE_PACKAGES = {"gpu-operator-certified", "nfd"}


def operator_groups_single_namespace(objects: Sequence[Manifest]) -> list[Finding]:
    """The GPU Operator and NFD CSVs support only OwnNamespace/SingleNamespace install modes."""
    out = []
    namespaces = {
        (s.get("metadata") or {}).get("namespace")
        for s in _of(objects, "Subscription")
        if (s.get("spec") or {}).get("name") in _SINGLE_NAMESPACE_PACKAGES
    }
    for og in _of(objects, "OperatorGroup"):
        spec = og.get("spec") or {}
        ns = (og.get("metadata") or {}).get("namespace")
        if ns not in namespaces:
            continue
        if spec.get("selector") or spec.get("targetNamespaces") != [ns]:
            out.append(
                Finding.for_object(
                    og,
                    "spec.targetNamespaces",
                    f"must be [{ns}] (single namespace); AllNamespaces mode makes the install fail",
                    rule="olm",
                )
            )
    return out


def machinesets_explicit_replicas(objects: Sequence[Manifest]) -> list[Finding]:
    """A missing ``replicas`` defaults to 1: a GPU node nobody asked for."""
    return [
        Finding.for_object(
            ms, "spec.replicas", "must be set explicitly (the CRD defaults it to 1)", rule="replicas"
        )
        for ms in _of(objects, "MachineSet")
        if "replicas" not in (ms.get("spec") or {})
    ]


def spot_without_reservation(objects: Sequence[Manifest]) -> list[Finding]:
    out = []
    for ms in _of(objects, "MachineSet"):
        value = (((ms.get("spec") or {}).get("template") or {}).get("spec") or {}).get("providerSpec") or {}
        ps = value.get("value") or {}
        if ps.get("spotMarketOptions") is not None and ps.get("capacityReservationId"):
            out.append(
                Finding.for_object(
                    ms,
                    "spec.template.spec.providerSpec.value.capacityReservationId",
                    "Spot instances cannot use a capacity reservation",
                    rule="spot",
                )
            )
    return out


def _gpu_labels(objects: Sequence[Manifest]) -> dict[str, Manifest]:
    out = {}
    for ms in _of(objects, "MachineSet"):
        tmpl = ((ms.get("spec") or {}).get("template") or {}).get("spec") or {}
        node_labels = (tmpl.get("metadata") or {}).get("labels") or {}
        it = ((tmpl.get("providerSpec") or {}).get("value") or {}).get("instanceType")
        if (
            isinstance(it, str)
            and instances.is_instance_type(it)
            and instances.accelerator_kind(it) == "nvidia"
        ):
            label = node_labels.get(labels.ACCELERATOR)
            if label is None:
                continue
            out[str(label)] = ms
    return out


def gpu_pools_labelled(objects: Sequence[Manifest]) -> list[Finding]:
    """NVIDIA pools carry ``cluster-api/accelerator``: the autoscaler counts GPUs and scales from zero by it."""
    out = []
    for ms in _of(objects, "MachineSet"):
        tmpl = ((ms.get("spec") or {}).get("template") or {}).get("spec") or {}
        it = ((tmpl.get("providerSpec") or {}).get("value") or {}).get("instanceType")
        node_labels = (tmpl.get("metadata") or {}).get("labels") or {}
        if (
            isinstance(it, str)
            and instances.is_instance_type(it)
            and instances.accelerator_kind(it) == "nvidia"
            and labels.ACCELERATOR not in node_labels
        ):
            out.append(
                Finding.for_object(
                    ms,
                    f"spec.template.spec.metadata.labels.{labels.ACCELERATOR}",
                    f"GPU pool ({it}) without the accelerator label; expected e.g. "
                    f"{instances.accelerator_label(it)}",
                    rule="gpu-label",
                )
            )
    return out


def autoscaler_gpu_types_match(objects: Sequence[Manifest]) -> list[Finding]:
    """``resourceLimits.gpus[].type`` must equal the pools' ``cluster-api/accelerator`` values."""
    gpu_labels = _gpu_labels(objects)
    out = []
    for ca in _of(objects, "ClusterAutoscaler"):
        gpus = ((ca.get("spec") or {}).get("resourceLimits") or {}).get("gpus") or []
        for i, entry in enumerate(gpus):
            t = entry.get("type") if isinstance(entry, dict) else None
            if gpu_labels and t not in gpu_labels:
                out.append(
                    Finding.for_object(
                        ca,
                        f"spec.resourceLimits.gpus[{i}].type",
                        f"{t!r} is no pool's cluster-api/accelerator label ({', '.join(sorted(gpu_labels))})",
                        rule="gpu-label",
                    )
                )
    return out


def autoscaled_pools_have_cluster_autoscaler(objects: Sequence[Manifest]) -> list[Finding]:
    if not _of(objects, "MachineAutoscaler") or _of(objects, "ClusterAutoscaler"):
        return []
    return [
        Finding.for_object(
            ma,
            "",
            "no ClusterAutoscaler is rendered; a MachineAutoscaler does nothing without one "
            "(ignore if the cluster already has `default`)",
            severity="warning",
            rule="autoscaling",
        )
        for ma in _of(objects, "MachineAutoscaler")
    ]


def argocd_can_write(objects: Sequence[Manifest]) -> list[Finding]:
    """Every object in a group the default GitOps controller may not write is covered by our ClusterRole."""
    granted: set[tuple[str, str]] = set()
    for role in _of(objects, "ClusterRole"):
        for rule in role.get("rules") or []:
            for g in rule.get("apiGroups") or []:
                for r in rule.get("resources") or []:
                    granted.add((g, r))
    out = []
    for obj in objects:
        group = _group(obj)
        if group not in UNGRANTED_GROUPS:
            continue
        plural = PLURALS.get(str(obj.get("kind")), str(obj.get("kind", "")).lower() + "s")
        if (group, plural) not in granted and (group, "*") not in granted:
            out.append(
                Finding.for_object(
                    obj,
                    "",
                    f"the Argo CD application controller may not write {plural}.{group} by default; "
                    "enable nvidia.rbac.create or grant it another way",
                    severity="warning" if not _of(objects, "ClusterRole") else "error",
                    rule="rbac",
                )
            )
    return out


def application_safe_sync(objects: Sequence[Manifest]) -> list[Finding]:
    """Never prune node pools; ignore replica drift of autoscaled MachineSets, and honour that on sync."""
    out = []
    autoscaled = bool(_of(objects, "MachineAutoscaler"))
    for app in _of(objects, "Application"):
        spec = app.get("spec") or {}
        policy = spec.get("syncPolicy") or {}
        if (policy.get("automated") or {}).get("prune"):
            out.append(
                Finding.for_object(
                    app,
                    "spec.syncPolicy.automated.prune",
                    "must be false: pruning deletes a node pool removed from Git, with its workloads",
                    rule="argocd",
                )
            )
        ignores = any(
            d.get("kind") == "MachineSet" and "/spec/replicas" in (d.get("jsonPointers") or [])
            for d in spec.get("ignoreDifferences") or []
        )
        respects = "RespectIgnoreDifferences=true" in (policy.get("syncOptions") or [])
        if ignores and not respects:
            out.append(
                Finding.for_object(
                    app,
                    "spec.syncPolicy.syncOptions",
                    "ignoreDifferences on replicas needs RespectIgnoreDifferences=true, or every sync resets them",
                    rule="argocd",
                )
            )
        if autoscaled and not ignores and (policy.get("automated") or {}).get("selfHeal"):
            out.append(
                Finding.for_object(
                    app,
                    "spec.ignoreDifferences",
                    "pools autoscale but MachineSet replicas are not ignored: selfHeal will undo every "
                    "scale-up (set capacityIgnoreMachineSetReplicas: true)",
                    rule="argocd",
                )
            )
    return out


RULES: tuple[Rule, ...] = (
    operator_crs_wait_for_crds,
    capacity_first,
    manual_approval,
    gpu_operator_needs_nfd,
    operator_groups_single_namespace,
    machinesets_explicit_replicas,
    spot_without_reservation,
    gpu_pools_labelled,
    autoscaler_gpu_types_match,
    autoscaled_pools_have_cluster_autoscaler,
    argocd_can_write,
    application_safe_sync,
    gpu_limits_count_shares,
    autoscaled_shared_pools_count,
    *FALLBACK_RULES,
)


def check_policies(objects: Sequence[Manifest], rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Every policy finding for one env's rendered objects (its Application included when given)."""
    return [f for rule in rules for f in rule(objects)]
