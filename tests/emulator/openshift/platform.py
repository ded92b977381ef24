"""Cluster-scoped facts: Infrastructure and ClusterVersion as a 4.19 cluster returns them."""

from __future__ import annotations

from typing import Any

from .facts import INFRA_ID, OCP_VERSION, REGION, TS, _uid

Obj = dict[str, Any]


def infrastructure(infra_id: str = INFRA_ID, region: str = REGION, platform: str = "AWS") -> Obj:
    """``Infrastructure`` ``cluster`` (config.openshift.io/v1)."""
    platform_status: Obj = {"type": platform}
    if platform == "AWS":
        platform_status["aws"] = {
            "region": region,
            "resourceTags": [{"key": "cost-center", "value": "ml-platform"}],
        }
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "Infrastructure",
        "metadata": {"name": "cluster", "uid": _uid("infra", infra_id), "generation": 1},
        "spec": {"cloudConfig": {"name": ""}, "platformSpec": {"type": platform, platform.lower(): {}}},
        "status": {
            "apiServerInternalURI": f"https://api-int.{infra_id.rsplit('-', 1)[0]}.example.com:6443",
            "apiServerURL": f"https://api.{infra_id.rsplit('-', 1)[0]}.example.com:6443",
            "controlPlaneTopology": "HighlyAvailable",
            "cpuPartitioning": "None",
            "etcdDiscoveryDomain": "",
            "infrastructureName": infra_id,
            "infrastructureTopology": "HighlyAvailable",
            "platform": platform,
            "platformStatus": platform_status,
        },
    }


def cluster_version(version: str = OCP_VERSION, channel: str | None = None) -> Obj:
    """``ClusterVersion`` ``version``: the desired and the completed history entry."""
    minor = ".".join(version.split(".")[:2])
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterVersion",
        "metadata": {"name": "version", "uid": _uid("cv")},
        "spec": {"channel": channel or f"stable-{minor}", "clusterID": _uid("cluster-id")},
        "status": {
            "availableUpdates": None,
            "desired": {
                "version": version,
                "image": f"quay.io/openshift-release-dev/ocp-release@sha256:{'ab' * 32}",
            },
            "history": [
                {
                    "state": "Completed",
                    "version": version,
                    "startedTime": TS,
                    "completionTime": TS,
                    "verified": True,
                    "image": f"quay.io/openshift-release-dev/ocp-release@sha256:{'ab' * 32}",
                }
            ],
            "observedGeneration": 3,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastTransitionTime": TS,
                    "message": f"Done applying {version}",
                }
            ],
        },
    }
