"""Monitoring: a ServiceMonitor for the DCGM exporter and an optional OpenShift console dashboard."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from cluster_capacity.render._meta import WAVE_OPERANDS, WAVE_OPERATORS, Manifest, metadata

if TYPE_CHECKING:
    from cluster_capacity.config import Values

DCGM_SERVICE_LABELS = {"app": "nvidia-dcgm-exporter"}
#: The dashboard's ``uid`` inside its JSON (the ConfigMap's name is ``dashboards.configMapName``).
DASHBOARD_NAME = "cluster-capacity-gpu-dashboard"
#: The ConfigMap's data key, as the Helm chart names it, so a move from the chart replaces it in place.
DASHBOARD_KEY = "nvidia-dcgm-exporter-dashboard.json"
#: Labels the Helm chart puts on its monitoring objects; kept so selectors written for it still match.
CHART_LABELS = {"app.kubernetes.io/name": "cluster-capacity", "app.kubernetes.io/part-of": "cluster-capacity"}


def _panel(panel_id: int, title: str, expr: str, unit: str, x: int, y: int) -> dict[str, Any]:
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


@functools.cache
def dashboard_json() -> str:
    """The console dashboard (Grafana JSON limited to the panel types the OpenShift console draws)."""
    panels = [
        _panel(1, "GPU utilization", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", "percent", 0, 0),
        _panel(
            2,
            "GPU memory used",
            "avg by (Hostname, gpu) (DCGM_FI_DEV_FB_USED) * 1024 * 1024",
            "bytes",
            12,
            0,
        ),
        _panel(3, "GPU temperature", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)", "celsius", 0, 8),
        _panel(4, "GPU power", "avg by (Hostname, gpu) (DCGM_FI_DEV_POWER_USAGE)", "watt", 12, 8),
        {
            "id": 5,
            "type": "singlestat",
            "title": "GPUs reporting",
            "datasource": "prometheus",
            "gridPos": {"h": 4, "w": 6, "x": 0, "y": 16},
            "targets": [{"expr": "count(DCGM_FI_DEV_GPU_UTIL)", "refId": "A"}],
            "valueName": "current",
        },
    ]
    dashboard = {
        "title": "GPU capacity (cluster-capacity)",
        "uid": DASHBOARD_NAME,
        "editable": False,
        "schemaVersion": 16,
        "tags": ["gpu", "cluster-capacity"],
        "time": {"from": "now-3h", "to": "now"},
        "refresh": "1m",
        "timezone": "utc",
        "panels": panels,
    }
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"


def render_monitoring(values: Values, env: str | None = None) -> list[Manifest]:
    nv = values.nvidia
    if not (values.enabled and nv.enabled):
        return []
    out: list[Manifest] = []
    if nv.monitoring.service_monitor:
        ns = nv.install_namespace
        out.append(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": metadata(
                    "nvidia-dcgm-exporter",
                    ns,
                    env=env,
                    wave=WAVE_OPERANDS,
                    skip_dry_run=True,
                    extra_labels={**DCGM_SERVICE_LABELS, **CHART_LABELS},
                ),
                "spec": {
                    "jobLabel": "app",
                    "selector": {"matchLabels": dict(DCGM_SERVICE_LABELS)},
                    "namespaceSelector": {"matchNames": [ns]},
                    "endpoints": [{"port": "gpu-metrics", "path": "/metrics", "interval": "30s"}],
                },
            }
        )
    if nv.dashboards.enabled:
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata(
                    nv.dashboards.config_map_name,
                    nv.dashboards.namespace,
                    env=env,
                    # a dashboard needs no operator: it is not held behind their health (the chart: 2)
                    wave=WAVE_OPERATORS,
                    extra_labels={"console.openshift.io/dashboard": "true", **CHART_LABELS},
                ),
                "data": {DASHBOARD_KEY: dashboard_json()},
            }
        )
    return out
