"""Exact output of the Argo CD Application/ApplicationSet, the ArgoCD health fragment and monitoring.

Sync policy, ignoreDifferences, the ApplicationSet's Go-template settings, every ClusterPolicy field the
fragment ignores, the ServiceMonitor and the console dashboard are pinned as rendered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.config import load_envs
from cluster_capacity.render import argocd_health as health_module
from cluster_capacity.render.argocd import render_application, render_application_set
from cluster_capacity.render.argocd_health import argocd_health, health_script, render_argocd_health
from cluster_capacity.render.monitoring import dashboard_json, render_monitoring
from cluster_capacity.render.nvidia import default_cluster_policy_spec
from tests.conftest import EXAMPLES
from tests.render.conftest import gpu_values

MANAGED = {"app.kubernetes.io/managed-by": "cluster-capacity"}
SYNC_POLICY = {
    "automated": {"prune": False, "selfHeal": True},
    "retry": {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
}
SOURCE = {"repoURL": "https://github.com/example-org/cluster-gitops.git", "targetRevision": "main"}

# --- argocd -----------------------------------------------------------------------------------------


def test_application_exactly() -> None:
    prod, dev = load_envs(EXAMPLES)
    assert render_application(prod) == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "cluster-capacity-prod",
            "namespace": "openshift-gitops",
            "labels": {**MANAGED, "cluster-capacity/env": "prod"},
        },
        "spec": {
            "project": "default",
            "source": {**SOURCE, "path": "rendered/prod"},
            "destination": {"server": "https://kubernetes.default.svc"},
            "syncPolicy": {**SYNC_POLICY, "syncOptions": ["RespectIgnoreDifferences=true"]},
            "ignoreDifferences": [
                {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
            ],
        },
    }
    assert render_application(dev) is None  # capacityEnabled: false


def application_set_of(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "cluster-capacity", "namespace": "openshift-gitops", "labels": MANAGED},
        "spec": {
            # Go templates, and a missing key is an error instead of "<no value>" in a name or path
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "template": {
                "metadata": {
                    "name": "cluster-capacity-{{.env}}",
                    "namespace": "openshift-gitops",
                    "labels": {**MANAGED, "cluster-capacity/env": "{{.env}}"},
                },
                "spec": {
                    "project": "default",
                    "source": {**SOURCE, "path": "{{.path}}"},
                    "destination": {"server": "{{.server}}", "name": "{{.cluster}}"},
                    "syncPolicy": SYNC_POLICY,
                },
            },
            "templatePatch": (
                "{{- if .ignoreMachineSetReplicas }}\n"
                "spec:\n"
                "  ignoreDifferences:\n"
                "  - group: machine.openshift.io\n"
                "    jsonPointers:\n"
                "    - /spec/replicas\n"
                "    kind: MachineSet\n"
                "  syncPolicy:\n"
                "    syncOptions:\n"
                "    - RespectIgnoreDifferences=true\n"
                "{{- end }}\n"
            ),
            "syncPolicy": {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True},
        },
    }


PROD_ELEMENT = {
    "env": "prod",
    "path": "rendered/prod",
    "server": "https://kubernetes.default.svc",
    "cluster": "",
    "ignoreMachineSetReplicas": True,
}


def test_application_set_exactly() -> None:
    prod, dev = load_envs(EXAMPLES)
    expected = application_set_of([PROD_ELEMENT])
    assert render_application_set([prod, dev]) == expected
    assert render_application_set([dev, prod]) == expected
    assert render_application_set([prod]) == expected  # one env is enough
    assert render_application_set([dev]) is None  # no env deploys capacity
    assert render_application_set([]) is None


def test_application_set_elements_per_destination(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "values", tmp_path / "values")
    for env in ("east", "edge"):
        shutil.copy(tmp_path / "values" / "values-prod.yaml", tmp_path / "values" / f"values-{env}.yaml")
    (tmp_path / "cluster-capacity.yaml").write_text(
        "repoURL: https://github.com/example-org/cluster-gitops.git\n"
        "targetRevision: main\n"
        "envs:\n"
        "  - {name: east, cluster: {name: east}}\n"
        "  - {name: edge, cluster: {server: 'https://api.edge:6443'}, capacityIgnoreMachineSetReplicas: false}\n"
    )
    appset = render_application_set(load_envs(tmp_path))
    assert appset is not None
    assert appset["spec"]["generators"] == [
        {
            "list": {
                "elements": [
                    {
                        "env": "east",
                        "path": "rendered/east",
                        "server": "",
                        "cluster": "east",
                        "ignoreMachineSetReplicas": True,
                    },
                    {
                        "env": "edge",
                        "path": "rendered/edge",
                        "server": "https://api.edge:6443",
                        "cluster": "",
                        "ignoreMachineSetReplicas": False,
                    },
                ]
            }
        }
    ]


# --- argocd_health ----------------------------------------------------------------------------------

ALL_POINTERS = [
    "/spec/cdi/default",
    "/spec/cdi/enabled",
    "/spec/cdi/nriPluginEnabled",
    "/spec/daemonsets/updateStrategy",
    "/spec/devicePlugin/mps/root",
    "/spec/driver/kernelModuleType",
    "/spec/driver/upgradePolicy/autoUpgrade",
    "/spec/driver/upgradePolicy/drain/deleteEmptyDir",
    "/spec/driver/upgradePolicy/drain/enable",
    "/spec/driver/upgradePolicy/drain/force",
    "/spec/driver/upgradePolicy/drain/timeoutSeconds",
    "/spec/driver/upgradePolicy/maxParallelUpgrades",
    "/spec/driver/upgradePolicy/maxUnavailable",
    "/spec/driver/upgradePolicy/podDeletion/deleteEmptyDir",
    "/spec/driver/upgradePolicy/podDeletion/force",
    "/spec/driver/upgradePolicy/podDeletion/timeoutSeconds",
    "/spec/driver/upgradePolicy/waitForCompletion/timeoutSeconds",
    "/spec/hostPaths/kubeletRootDir",
    "/spec/kataManager/config/artifactsDir",
    "/spec/migManager/config/default",
    "/spec/operator/runtimeClass",
    "/spec/sandboxWorkloads/defaultWorkload",
    "/spec/sandboxWorkloads/mode",
    "/spec/toolkit/installDir",
    "/spec/vgpuDeviceManager/config/default",
]
ALL_JQ = [
    ".spec.dcgmExporter.serviceMonitor.relabelings[]?.action",
    ".spec.operator.metrics.serviceMonitor.relabelings[]?.action",
]
#: What the default ClusterPolicy spec sets itself among the CRD's defaulted fields.
SET_BY_DEFAULT_SPEC = {
    "/spec/daemonsets/updateStrategy",
    "/spec/devicePlugin/mps/root",
    "/spec/driver/kernelModuleType",
    "/spec/driver/upgradePolicy/autoUpgrade",
    "/spec/driver/upgradePolicy/drain/deleteEmptyDir",
    "/spec/driver/upgradePolicy/drain/enable",
    "/spec/driver/upgradePolicy/drain/force",
    "/spec/driver/upgradePolicy/drain/timeoutSeconds",
    "/spec/driver/upgradePolicy/maxParallelUpgrades",
    "/spec/driver/upgradePolicy/maxUnavailable",
    "/spec/driver/upgradePolicy/podDeletion/deleteEmptyDir",
    "/spec/driver/upgradePolicy/podDeletion/force",
    "/spec/driver/upgradePolicy/podDeletion/timeoutSeconds",
    "/spec/driver/upgradePolicy/waitForCompletion/timeoutSeconds",
    "/spec/sandboxWorkloads/defaultWorkload",
}


def customization(fragment: dict[str, Any]) -> dict[str, Any]:
    (ident,) = fragment["spec"]["resourceIgnoreDifferences"]["resourceIdentifiers"]
    assert (ident["group"], ident["kind"]) == ("nvidia.com", "ClusterPolicy")
    result: dict[str, Any] = ident["customization"]
    return result


def test_fragment_without_specs_ignores_every_defaulted_field() -> None:
    assert render_argocd_health("gitops", "openshift-gitops") == {
        "apiVersion": "argoproj.io/v1beta1",
        "kind": "ArgoCD",
        "metadata": {"name": "gitops", "namespace": "openshift-gitops"},
        "spec": {
            "resourceHealthChecks": [
                {"group": "nvidia.com", "kind": "ClusterPolicy", "check": health_script("clusterpolicy.lua")},
                {
                    "group": "nfd.openshift.io",
                    "kind": "NodeFeatureDiscovery",
                    "check": health_script("nodefeaturediscovery.lua"),
                },
                {
                    "group": "machine.openshift.io",
                    "kind": "MachineSet",
                    "check": health_script("machineset.lua"),
                },
                {
                    "group": "autoscaling.openshift.io",
                    "kind": "MachineAutoscaler",
                    "check": health_script("machineautoscaler.lua"),
                },
                {"group": "k8s.aws", "kind": "DeviceConfig", "check": health_script("deviceconfig.lua")},
            ],
            "resourceIgnoreDifferences": {
                "resourceIdentifiers": [
                    {
                        "group": "nvidia.com",
                        "kind": "ClusterPolicy",
                        "customization": {"jsonPointers": ALL_POINTERS, "jqPathExpressions": ALL_JQ},
                    }
                ]
            },
        },
    }


def test_health_scripts_are_the_packaged_files() -> None:
    folder = Path(health_module.__file__).parent / "health"
    for name in ("clusterpolicy.lua", "deviceconfig.lua", "machineset.lua"):
        assert health_script.__wrapped__(name) == (folder / name).read_text("utf-8")
    assert "return hs" in health_script.__wrapped__("machineset.lua")


def test_default_spec_keeps_its_own_fields_as_drift() -> None:
    fields = customization(render_argocd_health("a", "b", [default_cluster_policy_spec()]))
    assert fields == {
        "jsonPointers": [p for p in ALL_POINTERS if p not in SET_BY_DEFAULT_SPEC],
        "jqPathExpressions": ALL_JQ,
    }


def test_any_spec_that_sets_a_field_keeps_it() -> None:
    sets_cdi = {"cdi": {"enabled": True}}
    sets_nothing: dict[str, Any] = {"cdi": {}}
    for specs in ([sets_cdi, sets_nothing], [sets_nothing, sets_cdi]):
        pointers = customization(render_argocd_health("a", "b", specs))["jsonPointers"]
        assert pointers == [p for p in ALL_POINTERS if p != "/spec/cdi/enabled"]
    # a generator of specs is read once per field, not used up by the first
    pointers = customization(render_argocd_health("a", "b", (s for s in [sets_nothing, sets_cdi])))[
        "jsonPointers"
    ]
    assert "/spec/cdi/enabled" not in pointers and "/spec/cdi/default" in pointers


def test_list_fields_count_as_set_when_any_item_sets_them() -> None:
    def relabel(*items: dict[str, Any]) -> dict[str, Any]:
        return {"dcgmExporter": {"serviceMonitor": {"relabelings": list(items)}}}

    def jq(spec: dict[str, Any]) -> list[str] | None:
        result: list[str] | None = customization(render_argocd_health("a", "b", [spec])).get(
            "jqPathExpressions"
        )
        return result

    assert jq(relabel({"sourceLabels": ["x"]}, {"action": "replace"})) == ALL_JQ[1:]
    assert jq(relabel({"sourceLabels": ["x"]})) == ALL_JQ  # no item sets the action
    assert jq(relabel()) == ALL_JQ
    assert (
        jq({"dcgmExporter": {"serviceMonitor": {"relabelings": {"action": "replace"}}}}) == ALL_JQ
    )  # not a list
    both = {
        **relabel({"action": "keep"}),
        "operator": {"metrics": {"serviceMonitor": {"relabelings": [{"action": "drop"}]}}},
    }
    assert jq(both) is None  # Git sets both: no jqPathExpressions at all
    # a scalar where a mapping is expected does not set the field below it
    assert (
        "/spec/cdi/enabled" in customization(render_argocd_health("a", "b", [{"cdi": True}]))["jsonPointers"]
    )


def test_list_pointers_become_jq_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """A defaulted field deeper below a list item, as a newer CRD may add."""
    monkeypatch.setattr(health_module, "CLUSTERPOLICY_DEFAULTS", ("/spec/a/b/[]/c/d", "/spec/e"))
    assert customization(render_argocd_health("a", "b")) == {
        "jsonPointers": ["/spec/e"],
        "jqPathExpressions": [".spec.a.b[]?.c.d"],
    }
    assert customization(render_argocd_health("a", "b", [{"a": {"b": [{"c": {"d": 1}}]}}])) == {
        "jsonPointers": ["/spec/e"]
    }


def test_argocd_health_reads_the_rendered_cluster_policies() -> None:
    envs = load_envs(EXAMPLES)
    fragment = argocd_health(envs[0].project, envs)
    assert fragment["metadata"] == {"name": "openshift-gitops", "namespace": "openshift-gitops"}
    pointers = customization(fragment)["jsonPointers"]
    # the example's ClusterPolicy is the default spec (plus its overrides): its own fields stay drift
    assert not SET_BY_DEFAULT_SPEC & set(pointers)
    assert "/spec/operator/runtimeClass" in pointers
    assert customization(argocd_health(envs[0].project, [])) == {
        "jsonPointers": ALL_POINTERS,
        "jqPathExpressions": ALL_JQ,
    }


# --- monitoring -------------------------------------------------------------------------------------


def panel(panel_id: int, title: str, expr: str, unit: str, x: int, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "graph",
        "title": title,
        "datasource": "prometheus",
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "targets": [{"expr": expr, "legendFormat": "{{Hostname}} GPU {{gpu}}", "refId": "A"}],
        "yaxes": [{"format": unit, "show": True}, {"format": "short", "show": False}],
        "lines": True,
        "linewidth": 1,
        "fill": 1,
    }


DASHBOARD = {
    "title": "GPU capacity (cluster-capacity)",
    "uid": "cluster-capacity-gpu-dashboard",
    "editable": False,
    "schemaVersion": 16,
    "tags": ["gpu", "cluster-capacity"],
    "time": {"from": "now-3h", "to": "now"},
    "refresh": "1m",
    "timezone": "utc",
    "panels": [
        panel(1, "GPU utilization", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", "percent", 0, 0),
        panel(
            2, "GPU memory used", "avg by (Hostname, gpu) (DCGM_FI_DEV_FB_USED) * 1024 * 1024", "bytes", 12, 0
        ),
        panel(3, "GPU temperature", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)", "celsius", 0, 8),
        panel(4, "GPU power", "avg by (Hostname, gpu) (DCGM_FI_DEV_POWER_USAGE)", "watt", 12, 8),
        {
            "id": 5,
            "type": "singlestat",
            "title": "GPUs reporting",
            "datasource": "prometheus",
            "gridPos": {"h": 4, "w": 6, "x": 0, "y": 16},
            "targets": [{"expr": "count(DCGM_FI_DEV_GPU_UTIL)", "refId": "A"}],
            "valueName": "current",
        },
    ],
}


def test_dashboard_json_exactly() -> None:
    # the uncached function: its lines run in this test, whichever test first filled the cache
    text = dashboard_json.__wrapped__()
    assert json.loads(text) == DASHBOARD
    assert text == json.dumps(DASHBOARD, indent=2, sort_keys=True) + "\n"
    assert text.startswith('{\n  "editable": false,\n  "panels": [\n    {\n      "datasource": "prometheus",')
    assert dashboard_json() == text


CHART = {"app.kubernetes.io/name": "cluster-capacity", "app.kubernetes.io/part-of": "cluster-capacity"}


def test_monitoring_objects_exactly() -> None:
    sm, cm = render_monitoring(gpu_values(nvidia={"dashboards": {"enabled": True}}), "prod")
    assert sm == {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": "nvidia-dcgm-exporter",
            "namespace": "nvidia-gpu-operator",
            "labels": {**MANAGED, "cluster-capacity/env": "prod", "app": "nvidia-dcgm-exporter", **CHART},
            "annotations": {
                "argocd.argoproj.io/sync-wave": "2",
                "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
            },
        },
        "spec": {
            "jobLabel": "app",
            "selector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}},
            "namespaceSelector": {"matchNames": ["nvidia-gpu-operator"]},
            "endpoints": [{"port": "gpu-metrics", "path": "/metrics", "interval": "30s"}],
        },
    }
    assert cm == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "grafana-dashboard-nvidia-dcgm-exporter",
            "namespace": "openshift-config-managed",
            "labels": {
                **MANAGED,
                "cluster-capacity/env": "prod",
                "console.openshift.io/dashboard": "true",
                **CHART,
            },
            "annotations": {"argocd.argoproj.io/sync-wave": "0"},
        },
        "data": {
            "nvidia-dcgm-exporter-dashboard.json": json.dumps(DASHBOARD, indent=2, sort_keys=True) + "\n"
        },
    }
    # the selector is the ServiceMonitor's own mapping: patching it changes no later render
    sm["spec"]["selector"]["matchLabels"]["extra"] = "x"
    (again,) = render_monitoring(gpu_values(), "prod")
    assert again["spec"]["selector"] == {"matchLabels": {"app": "nvidia-dcgm-exporter"}}


def test_monitoring_switches() -> None:
    kinds = lambda v: [o["kind"] for o in render_monitoring(v)]  # noqa: E731
    assert kinds(gpu_values()) == ["ServiceMonitor"]  # dashboards are off by default
    assert kinds(gpu_values(nvidia={"monitoring": {"serviceMonitor": False}})) == []
    assert kinds(
        gpu_values(nvidia={"monitoring": {"serviceMonitor": False}, "dashboards": {"enabled": True}})
    ) == ["ConfigMap"]
    assert kinds(gpu_values(nvidia={"enabled": False, "dashboards": {"enabled": True}})) == []
    assert kinds(gpu_values(enabled=False, nvidia={"dashboards": {"enabled": True}})) == []
    cm = render_monitoring(
        gpu_values(
            nvidia={
                "installNamespace": "gpu",
                "monitoring": {"serviceMonitor": False},
                "dashboards": {"enabled": True, "namespace": "dash", "configMapName": "mine"},
            }
        )
    )[0]
    assert (cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("mine", "dash")
    sm = render_monitoring(gpu_values(nvidia={"installNamespace": "gpu"}))[0]
    assert sm["metadata"]["namespace"] == "gpu" and sm["spec"]["namespaceSelector"] == {"matchNames": ["gpu"]}
