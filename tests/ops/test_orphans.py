"""Orphans of any kind: what the env's Application tracks (label or annotation, as Argo CD is configured)
and Git no longer renders, each with the command that removes it; over real HTTP against the emulator."""

from __future__ import annotations

from typing import Any

from cluster_capacity import kube
from cluster_capacity.config import EnvConfig
from cluster_capacity.ops.diff import diff_env
from cluster_capacity.ops.orphans import Tracking, find_orphans, read_tracking
from tests.emulator import KubeEmulator
from tests.ops.test_diff import sync

APP = "cluster-capacity-prod"
GITOPS = "openshift-gitops"


def argocd_cm(emu: KubeEmulator, **data: str) -> None:
    emu.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": GITOPS},
            "data": data,
        }
    )


def chart_role(
    name: str, *, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}, "annotations": annotations or {}}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": meta,
        "rules": [],
    }


def dashboard(name: str, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "openshift-config-managed", **meta},
        "data": {"x.json": "{}"},
    }


def orphans(client: kube.Kube, prod: EnvConfig) -> list[tuple[str, str, str, str]]:
    return [
        (d.kind, d.namespace, d.name, d.command) for d in diff_env(client, prod).diffs if d.state == "orphan"
    ]


def test_label_tracking_lists_every_kind_the_chart_left(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    argocd_cm(kube_emulator, **{"application.resourceTrackingMethod": "label"})
    mine = {"app.kubernetes.io/instance": APP}
    kube_emulator.add(chart_role("openshift-gitops-argocd-nvidia-clusterpolicy", labels=mine))
    kube_emulator.add(dashboard("grafana-dashboard-nvidia-dcgm-exporter", labels=mine))
    kube_emulator.add(chart_role("someone-elses", labels={"app.kubernetes.io/instance": "other-app"}))
    owned = dashboard("made-by-an-operator", labels=mine, ownerReferences=[{"kind": "Foo", "name": "x"}])
    kube_emulator.add(owned)
    kube_emulator.clear_requests()
    assert orphans(client, prod) == [
        (
            "ClusterRole",
            "",
            "openshift-gitops-argocd-nvidia-clusterpolicy",
            "oc delete clusterrole.rbac.authorization.k8s.io openshift-gitops-argocd-nvidia-clusterpolicy",
        ),
        (
            "ConfigMap",
            "openshift-config-managed",
            "grafana-dashboard-nvidia-dcgm-exporter",
            "oc delete configmap grafana-dashboard-nvidia-dcgm-exporter -n openshift-config-managed",
        ),
    ]
    # with label tracking the server selects: no LIST of every object of a kind
    selectors = {
        r.query.get("labelSelector")
        for r in kube_emulator.requests
        if r.method == "GET" and "limit" in r.query
    }
    assert selectors == {"app.kubernetes.io/managed-by=cluster-capacity", f"app.kubernetes.io/instance={APP}"}


def test_custom_instance_label_key(client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig) -> None:
    sync(kube_emulator, prod)
    argocd_cm(
        kube_emulator,
        **{
            "application.resourceTrackingMethod": "label",
            "application.instanceLabelKey": "argocd.argoproj.io/instance",
        },
    )
    kube_emulator.add(chart_role("old", labels={"argocd.argoproj.io/instance": APP}))
    kube_emulator.add(chart_role("not-by-this-key", labels={"app.kubernetes.io/instance": APP}))
    assert [o[2] for o in orphans(client, prod)] == ["old"]


def test_annotation_tracking_needs_an_id_naming_the_object_itself(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    argocd_cm(
        kube_emulator, **{"application.resourceTrackingMethod": "annotation", "installationID": "hub-1"}
    )
    tid = "argocd.argoproj.io/tracking-id"
    here = {"argocd.argoproj.io/installation-id": "hub-1"}
    kube_emulator.add(
        chart_role(
            "old-role",
            annotations={
                tid: f"{APP}:rbac.authorization.k8s.io/ClusterRole:openshift-machine-api/old-role",
                **here,
            },
        )
    )
    kube_emulator.add(
        dashboard(
            "old-board", annotations={tid: f"{APP}:/ConfigMap:openshift-config-managed/old-board", **here}
        )
    )
    # copied from another object: Argo CD does not count it
    kube_emulator.add(
        dashboard("copy", annotations={tid: f"{APP}:/ConfigMap:openshift-config-managed/old-board", **here})
    )
    # an id naming another kind of the same name
    kube_emulator.add(
        chart_role(
            "old-board", annotations={tid: f"{APP}:/ConfigMap:openshift-config-managed/old-board", **here}
        )
    )
    # another Argo CD instance's object
    kube_emulator.add(
        dashboard("elsewhere", annotations={tid: f"{APP}:/ConfigMap:openshift-config-managed/elsewhere"})
    )
    # the label alone does not count under annotation tracking
    kube_emulator.add(chart_role("label-only", labels={"app.kubernetes.io/instance": APP}))
    assert [(o[0], o[2]) for o in orphans(client, prod)] == [
        ("ClusterRole", "old-role"),
        ("ConfigMap", "old-board"),
    ]


def test_unreadable_argocd_cm_accepts_either_mark(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    assert read_tracking(client, GITOPS) == Tracking()
    kube_emulator.fault(verb="get", resource="configmaps", status=403)
    tracking = read_tracking(client, GITOPS)
    assert (tracking.by_label, tracking.by_annotation) == (True, True)


def test_kinds_only_the_application_knows(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    sync(kube_emulator, prod)
    status_resources = [
        {
            "group": "route.openshift.io",
            "version": "v1",
            "kind": "Route",
            "namespace": "gpu-apps",
            "name": "old",
            "requiresPruning": True,
        },
        {
            "group": "machine.openshift.io",
            "version": "v1beta1",
            "kind": "MachineSet",
            "namespace": "openshift-machine-api",
            "name": "x",
            "requiresPruning": True,
        },
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "gpu-apps", "name": "in-git"},
    ]
    kube_emulator.update("Application", APP, GITOPS, patch={"status": {"resources": status_resources}})
    found = find_orphans(client, APP, [], Tracking("label"), client.get(kube.APPLICATIONS, APP, GITOPS))
    # the MachineSet entry is not trusted from the status: MachineSets are listed and checked live
    assert [(o.kind, o.namespace, o.name, o.command) for o in found if o.kind == "Route"] == [
        ("Route", "gpu-apps", "old", "oc delete route.route.openshift.io old -n gpu-apps")
    ]
    assert not any(o.name == "x" for o in found) and not any(o.kind == "Deployment" for o in found)
