"""Speed of offline validation: registry load, first validation per kind (parse + compile), steady state.

Run: PYTHONPATH=src python benchmarks/bench_validate.py [CRD_DIR]
(CRD_DIR defaults to $CLUSTER_CAPACITY_CRDS, then ../shared/crds beside the repository.)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_REPO / "src"))

from cluster_capacity.validate.schemas import SchemaRegistry  # noqa: E402

INFRA = "prod-7x2kq"
TOLERATIONS = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
WAVE = {
    "argocd.argoproj.io/sync-wave": "5",
    "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
}


def machineset(index: int) -> dict[str, Any]:
    name = f"{INFRA}-gpu-{index}-us-east-1a"
    cluster = {"machine.openshift.io/cluster-api-cluster": INFRA}
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {
            "name": name,
            "namespace": "openshift-machine-api",
            "labels": {**cluster, "app.kubernetes.io/managed-by": "cluster-capacity"},
            "annotations": {"argocd.argoproj.io/sync-wave": "0"},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {**cluster, "machine.openshift.io/cluster-api-machineset": name}},
            "template": {
                "metadata": {
                    "labels": {
                        **cluster,
                        "machine.openshift.io/cluster-api-machine-role": "worker",
                        "machine.openshift.io/cluster-api-machine-type": "worker",
                        "machine.openshift.io/cluster-api-machineset": name,
                    }
                },
                "spec": {
                    "metadata": {
                        "labels": {
                            "node-role.kubernetes.io/gpu": "",
                            "cluster-api/accelerator": "nvidia-a10g",
                        }
                    },
                    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
                    "providerSpec": {
                        "value": {
                            "apiVersion": "machine.openshift.io/v1beta1",
                            "kind": "AWSMachineProviderConfig",
                            "ami": {"id": "ami-046fe691f52a953f9"},
                            "blockDevices": [
                                {
                                    "ebs": {
                                        "encrypted": True,
                                        "iops": 0,
                                        "volumeSize": 200,
                                        "volumeType": "gp3",
                                    }
                                }
                            ],
                            "credentialsSecret": {"name": "aws-cloud-credentials"},
                            "deviceIndex": 0,
                            "iamInstanceProfile": {"id": f"{INFRA}-worker-profile"},
                            "instanceType": "g5.2xlarge",
                            "metadataServiceOptions": {"authentication": "Required"},
                            "placement": {"availabilityZone": "us-east-1a", "region": "us-east-1"},
                            "securityGroups": [
                                {"filters": [{"name": "tag:Name", "values": [f"{INFRA}-node"]}]}
                            ],
                            "spotMarketOptions": {},
                            "subnet": {
                                "filters": [{"name": "tag:Name", "values": [f"{INFRA}-subnet-private"]}]
                            },
                            "tags": [{"name": f"kubernetes.io/cluster/{INFRA}", "value": "owned"}],
                            "userDataSecret": {"name": "worker-user-data"},
                        }
                    },
                },
            },
        },
    }


def machineautoscaler(index: int) -> dict[str, Any]:
    name = f"{INFRA}-gpu-{index}-us-east-1a"
    return {
        "apiVersion": "autoscaling.openshift.io/v1beta1",
        "kind": "MachineAutoscaler",
        "metadata": {"name": name, "namespace": "openshift-machine-api", "annotations": WAVE},
        "spec": {
            "minReplicas": 0,
            "maxReplicas": 4,
            "scaleTargetRef": {
                "apiVersion": "machine.openshift.io/v1beta1",
                "kind": "MachineSet",
                "name": name,
            },
        },
    }


CLUSTER_AUTOSCALER = {
    "apiVersion": "autoscaling.openshift.io/v1",
    "kind": "ClusterAutoscaler",
    "metadata": {"name": "default", "annotations": WAVE},
    "spec": {
        "podPriorityThreshold": -10,
        "balanceSimilarNodeGroups": True,
        "ignoreDaemonsetsUtilization": False,
        "skipNodesWithLocalStorage": True,
        "logVerbosity": 1,
        "resourceLimits": {
            "maxNodesTotal": 24,
            "cores": {"min": 8, "max": 256},
            "memory": {"min": 4, "max": 1024},
            "gpus": [{"type": "nvidia-a10g", "min": 0, "max": 16}],
        },
        "scaleDown": {
            "enabled": True,
            "delayAfterAdd": "10m",
            "delayAfterDelete": "10s",
            "delayAfterFailure": "3m",
            "unneededTime": "10m",
            "utilizationThreshold": "0.4",
        },
    },
}

COMPONENT = {"enabled": True}
CLUSTER_POLICY = {
    "apiVersion": "nvidia.com/v1",
    "kind": "ClusterPolicy",
    "metadata": {"name": "gpu-cluster-policy", "annotations": WAVE},
    "spec": {
        "operator": {"defaultRuntime": "crio", "runtimeClass": "nvidia", "use_ocp_driver_toolkit": True},
        "daemonsets": {
            "tolerations": TOLERATIONS,
            "priorityClassName": "system-node-critical",
            "updateStrategy": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "1"},
        },
        "driver": {
            "enabled": True,
            "useNvidiaDriverCRD": False,
            "kernelModuleType": "auto",
            "upgradePolicy": {
                "autoUpgrade": True,
                "maxParallelUpgrades": 1,
                "maxUnavailable": "25%",
                "drain": {"enable": False, "force": False, "timeoutSeconds": 300, "deleteEmptyDir": False},
                "podDeletion": {"force": False, "timeoutSeconds": 300, "deleteEmptyDir": False},
                "waitForCompletion": {"timeoutSeconds": 0},
            },
            "repoConfig": {"configMapName": ""},
            "certConfig": {"name": ""},
            "licensingConfig": {"secretName": "", "nlsEnabled": True},
            "virtualTopology": {"config": ""},
            "kernelModuleConfig": {"name": ""},
            "rdma": {"enabled": False, "useHostMofed": False},
        },
        "toolkit": {"enabled": True, "installDir": "/usr/local/nvidia"},
        "devicePlugin": {"enabled": True, "config": {"name": "", "default": ""}},
        "dcgm": {"enabled": True},
        "dcgmExporter": {
            "enabled": True,
            "config": {"name": ""},
            "serviceMonitor": {"enabled": True, "interval": "15s", "honorLabels": False},
        },
        "gfd": COMPONENT,
        "migManager": {
            "enabled": True,
            "config": {"name": "default-mig-parted-config", "default": "all-disabled"},
        },
        "mig": {"strategy": "single"},
        "nodeStatusExporter": COMPONENT,
        "validator": {"plugin": {"env": [{"name": "WITH_WORKLOAD", "value": "false"}]}},
        "gds": {"enabled": False},
        "sandboxWorkloads": {"enabled": False, "defaultWorkload": "container"},
        "vgpuManager": {"enabled": False},
        "vgpuDeviceManager": {"enabled": False},
        "vfioManager": {"enabled": False},
        "sandboxDevicePlugin": {"enabled": False},
        "kataManager": {"enabled": False},
    },
}


def namespace(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"openshift.io/cluster-monitoring": "true"}},
    }


def operator_group(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "operators.coreos.com/v1",
        "kind": "OperatorGroup",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"targetNamespaces": [ns], "upgradeStrategy": "Default"},
    }


def subscription(name: str, ns: str, channel: str) -> dict[str, Any]:
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": name, "namespace": ns, "annotations": {"argocd.argoproj.io/sync-wave": "1"}},
        "spec": {
            "channel": channel,
            "installPlanApproval": "Automatic",
            "name": name,
            "source": "certified-operators",
            "sourceNamespace": "openshift-marketplace",
            "config": {"nodeSelector": {"node-role.kubernetes.io/worker": ""}, "tolerations": TOLERATIONS},
        },
    }


NFD = {
    "apiVersion": "nfd.openshift.io/v1",
    "kind": "NodeFeatureDiscovery",
    "metadata": {"name": "nfd-instance", "namespace": "openshift-nfd", "annotations": WAVE},
    "spec": {
        "operand": {"imagePullPolicy": "IfNotPresent", "servicePort": 12000},
        "workerConfig": {
            "configData": "core:\n  sleepInterval: 60s\nsources:\n  pci:\n    deviceLabelFields: [vendor]\n"
        },
    },
}

SERVICE_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "ServiceMonitor",
    "metadata": {
        "name": "nvidia-dcgm-exporter",
        "namespace": "nvidia-gpu-operator",
        "labels": {"app": "dcgm"},
    },
    "spec": {
        "selector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}},
        "namespaceSelector": {"matchNames": ["nvidia-gpu-operator"]},
        "endpoints": [{"port": "gpu-metrics", "interval": "15s", "path": "/metrics", "scheme": "http"}],
    },
}

APPLICATION = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "cluster-capacity-prod", "namespace": "openshift-gitops"},
    "spec": {
        "project": "default",
        "source": {
            "repoURL": "https://git.example.com/platform/gitops.git",
            "targetRevision": "main",
            "path": "rendered/prod",
        },
        "destination": {"server": "https://kubernetes.default.svc"},
        "ignoreDifferences": [
            {"group": "machine.openshift.io", "kind": "MachineSet", "jsonPointers": ["/spec/replicas"]}
        ],
        "syncPolicy": {
            "automated": {"prune": False, "selfHeal": True},
            "syncOptions": ["RespectIgnoreDifferences=true", "ServerSideApply=false"],
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
        },
    },
}

CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {
        "name": "cluster-capacity-argocd",
        "labels": {"app.kubernetes.io/managed-by": "cluster-capacity"},
    },
    "rules": [
        {
            "apiGroups": [group],
            "resources": ["*"],
            "verbs": ["get", "list", "watch", "create", "update", "patch"],
        }
        for group in ("nvidia.com", "nfd.openshift.io", "monitoring.coreos.com", "autoscaling.openshift.io")
    ],
}


def env_objects() -> list[dict[str, Any]]:
    """One env's worth (~17 objects), in the mix a GPU env renders."""
    return [
        machineset(0),
        machineset(1),
        machineautoscaler(0),
        machineautoscaler(1),
        CLUSTER_AUTOSCALER,
        namespace("nvidia-gpu-operator"),
        operator_group("nvidia-gpu-operator-group", "nvidia-gpu-operator"),
        subscription("gpu-operator-certified", "nvidia-gpu-operator", "v25.3"),
        CLUSTER_POLICY,
        namespace("openshift-nfd"),
        operator_group("openshift-nfd", "openshift-nfd"),
        subscription("nfd", "openshift-nfd", "stable"),
        NFD,
        SERVICE_MONITOR,
        CLUSTER_ROLE,
        APPLICATION,
    ]


def crd_dir() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    if os.environ.get("CLUSTER_CAPACITY_CRDS"):
        return Path(os.environ["CLUSTER_CAPACITY_CRDS"])
    beside = _REPO.parent / "shared" / "crds"
    return beside if beside.is_dir() else Path("/work/shared/crds")


def main() -> None:
    start = time.perf_counter()
    registry = SchemaRegistry.from_directory(crd_dir())
    print(f"registry load ({len(registry.kinds)} served kinds): {(time.perf_counter() - start) * 1e3:.1f} ms")

    objects = env_objects()
    print("first validation (parse + compile) per kind:")
    seen: set[str] = set()
    for obj in objects:
        if obj["kind"] in seen:
            continue
        seen.add(obj["kind"])
        start = time.perf_counter()
        findings = registry.validate(obj)
        elapsed = (time.perf_counter() - start) * 1e3
        assert not findings, [str(f) for f in findings]
        print(f"  {obj['kind']:<22} {elapsed:7.1f} ms")

    rounds = 1000
    start = time.perf_counter()
    for _ in range(rounds):
        for obj in objects:
            registry.validate(obj)
    elapsed = time.perf_counter() - start
    count = rounds * len(objects)
    print(
        f"steady state: {count} validations in {elapsed:.2f} s = {count / elapsed:,.0f}/s, "
        f"{elapsed / count * 1e6:.0f} us/object ({len(objects)} objects/env, {rounds} envs)"
    )
    per_kind: dict[str, list[float]] = {}
    for obj in objects:
        start = time.perf_counter()
        for _ in range(200):
            registry.validate(obj)
        per_kind.setdefault(obj["kind"], []).append((time.perf_counter() - start) / 200)
    print("steady state per object, by kind:")
    for kind, times in per_kind.items():
        print(f"  {kind:<22} {sum(times) / len(times) * 1e6:7.0f} us")


if __name__ == "__main__":
    main()
