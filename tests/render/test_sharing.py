"""GPU sharing per pool: the device-plugin ConfigMap, the ClusterPolicy, node labels, rules and policies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.cli import main
from cluster_capacity.config.sharing import Shares, mig_strategy, pool_shares
from cluster_capacity.render import render
from cluster_capacity.validate.policies import check_policies
from tests.render.conftest import PROVIDER_SPEC, gpu_values, pool

Check = Callable[[list[dict[str, Any]]], None]
TAINT = [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def typed(suffix: str, instance_type: str, **overrides: Any) -> dict[str, Any]:
    spec = {**PROVIDER_SPEC, "instanceType": instance_type}
    return pool(suffix, providerSpec=spec, taints=TAINT, **overrides)


def node_labels(objects: list[dict[str, Any]], name: str) -> dict[str, str]:
    (ms,) = [o for o in of(objects, "MachineSet") if o["metadata"]["name"] == name]
    return dict(ms["spec"]["template"]["spec"]["metadata"]["labels"])


def test_time_slicing_renders_configmap_policy_and_node_label(schema_check: Check) -> None:
    values = gpu_values(machineSets=[typed("t4", "g4dn.xlarge", gpuSharing={"timeSlicing": {"replicas": 4}})])
    objects = render(values, "prod")
    schema_check(objects)
    (cm,) = of(objects, "ConfigMap")
    assert (cm["metadata"]["name"], cm["metadata"]["namespace"]) == (
        "device-plugin-config",
        "nvidia-gpu-operator",
    )
    assert sorted(cm["data"]) == ["default", "time-sliced-4"]
    assert yaml.safe_load(cm["data"]["time-sliced-4"]) == {
        "version": "v1",
        "flags": {"migStrategy": "single"},  # the ClusterPolicy's mig.strategy, in both places
        "sharing": {
            "timeSlicing": {
                "renameByDefault": False,
                "failRequestsGreaterThanOne": False,
                "resources": [{"name": "nvidia.com/gpu", "replicas": 4}],
            }
        },
    }
    assert yaml.safe_load(cm["data"]["default"]) == {"version": "v1", "flags": {"migStrategy": "single"}}
    (cp,) = of(objects, "ClusterPolicy")
    assert cp["spec"]["devicePlugin"]["config"] == {"name": "device-plugin-config", "default": "default"}
    assert cp["spec"]["devicePlugin"]["enabled"] is True  # the rest of the default spec stays
    assert node_labels(objects, "prod-x-t4")["nvidia.com/device-plugin.config"] == "time-sliced-4"
    # the ConfigMap syncs in the ClusterPolicy's wave, which names it
    wave = "argocd.argoproj.io/sync-wave"
    assert cm["metadata"]["annotations"][wave] == cp["metadata"]["annotations"][wave]


def test_one_key_per_profile_in_use(schema_check: Check) -> None:
    values = gpu_values(
        machineSets=[
            typed("a", "g5.xlarge", gpuSharing={"timeSlicing": {"replicas": 4}}),
            typed("b", "g6.xlarge", gpuSharing={"timeSlicing": {"replicas": 4}}),
            typed(
                "c",
                "g5.12xlarge",
                gpuSharing={
                    "timeSlicing": {
                        "replicas": 2,
                        "renameByDefault": True,
                        "failRequestsGreaterThanOne": True,
                    }
                },
            ),
            typed("d", "g5.2xlarge"),
        ]
    )
    objects = render(values, "prod")
    schema_check(objects)
    (cm,) = of(objects, "ConfigMap")
    assert sorted(cm["data"]) == ["default", "time-sliced-2-renamed-strict", "time-sliced-4"]
    strict = yaml.safe_load(cm["data"]["time-sliced-2-renamed-strict"])["sharing"]["timeSlicing"]
    assert strict["renameByDefault"] is True and strict["failRequestsGreaterThanOne"] is True
    assert node_labels(objects, "prod-x-a")["nvidia.com/device-plugin.config"] == "time-sliced-4"
    assert node_labels(objects, "prod-x-b")["nvidia.com/device-plugin.config"] == "time-sliced-4"
    assert "nvidia.com/device-plugin.config" not in node_labels(objects, "prod-x-d")  # gets "default"


def test_mig_single_and_mixed(schema_check: Check) -> None:
    single = gpu_values(
        machineSets=[typed("h100", "p5.48xlarge", gpuSharing={"mig": {"profile": "all-1g.10gb"}})]
    )
    objects = render(single, "prod")
    schema_check(objects)
    assert of(objects, "ConfigMap") == []  # MIG needs no device-plugin config
    (cp,) = of(objects, "ClusterPolicy")
    assert cp["spec"]["mig"] == {"strategy": "single"} and cp["spec"]["migManager"]["enabled"] is True
    assert cp["spec"]["devicePlugin"]["config"] == {"name": "", "default": ""}
    assert node_labels(objects, "prod-x-h100")["nvidia.com/mig.config"] == "all-1g.10gb"
    assert mig_strategy(single) == "single"
    assert pool_shares(single.machine_sets[0], "single") == Shares("nvidia.com/gpu", 7)

    mixed = gpu_values(
        machineSets=[
            typed("a100", "p4d.24xlarge", gpuSharing={"mig": {"profile": "all-balanced"}}),
            typed("t4", "g4dn.xlarge", gpuSharing={"timeSlicing": {"replicas": 3}}),
        ]
    )
    objects = render(mixed, "prod")
    schema_check(objects)
    (cp,) = of(objects, "ClusterPolicy")
    assert cp["spec"]["mig"] == {"strategy": "mixed"}
    (cm,) = of(objects, "ConfigMap")
    assert yaml.safe_load(cm["data"]["time-sliced-3"])["flags"] == {"migStrategy": "mixed"}
    # all-balanced on an A100 40GB: 2 x 1g.5gb, 1 x 2g.10gb, 1 x 3g.20gb; a pod asks for the smallest
    assert pool_shares(mixed.machine_sets[0], "mixed") == Shares("nvidia.com/mig-1g.5gb", 2)
    assert pool_shares(mixed.machine_sets[1], "mixed") == Shares("nvidia.com/gpu", 3)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HEAD = """enabled: true
infraID: prod-x
nvidia: {enabled: true}
machineSets:
  - enabled: true
    nameSuffix: gpu
    providerSpec: {instanceType: %s}
    gpuSharing:
"""


@pytest.mark.parametrize(
    ("instance_type", "sharing", "line", "message"),
    [
        (
            "m5.xlarge",
            "timeSlicing: {replicas: 4}",
            8,
            "machineSets[0].gpuSharing: GPU sharing needs an NVIDIA GPU pool; m5.xlarge has no NVIDIA GPU",
        ),
        (
            "g4dn.xlarge",
            "mig: {profile: all-1g.5gb}",
            9,
            "machineSets[0].gpuSharing.mig.profile: g4dn.xlarge has an nvidia-t4 without MIG; MIG needs an "
            "A100, H100, H200, B200 or RTX PRO 6000 (g7e, p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300, "
            "p6e-gb200); use timeSlicing instead",
        ),
        (
            "g5.xlarge",
            "timeSlicing: {replicas: 1}",
            9,
            "machineSets[0].gpuSharing.timeSlicing.replicas: must be >= 2, got 1",
        ),
        (
            "p4d.24xlarge",
            "mig: {profile: all-7g.80gb}",
            9,
            "machineSets[0].gpuSharing.mig.profile: all-7g.80gb needs 80 GB of GPU memory; the A100 40GB of "
            "p4d.24xlarge has 40 GB",
        ),
        (
            "p5e.48xlarge",
            "mig: {profile: all-1g.10gb}",
            9,
            "machineSets[0].gpuSharing.mig.profile: all-1g.10gb is not a MIG profile of the H200 141GB "
            "(p5e.48xlarge): all-1g.18gb, all-1g.35gb, all-2g.35gb, all-3g.71gb, all-4g.71gb, all-7g.141gb, "
            "all-balanced",
        ),
        (
            "p5.48xlarge",
            "{timeSlicing: {replicas: 2}, mig: {profile: all-1g.10gb}}",
            8,
            "machineSets[0].gpuSharing: choose timeSlicing or mig, not both",
        ),
    ],
)
def test_bad_sharing_exits_2_with_file_and_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    instance_type: str,
    sharing: str,
    line: int,
    message: str,
) -> None:
    text = HEAD % instance_type
    if sharing.startswith("{"):
        text = text.replace("    gpuSharing:\n", f"    gpuSharing: {sharing}\n")
    else:
        text += f"      {sharing}\n"
    path = write(tmp_path, text)
    code = main(["render", "-f", str(path)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"{path}:{line}: {message}"]


def test_sharing_conflicts_with_hand_set_cluster_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        (HEAD % "p5.48xlarge")
        + "      mig: {profile: all-balanced}\n"
        + "  - enabled: true\n    nameSuffix: t4\n    providerSpec: {instanceType: g4dn.xlarge}\n"
        + "    nodeLabels: {nvidia.com/device-plugin.config: mine}\n"
        + "    gpuSharing: {timeSlicing: {replicas: 2}}\n",
    )
    text = path.read_text().replace(
        "nvidia: {enabled: true}\n",
        "nvidia:\n  enabled: true\n  clusterPolicy:\n    spec:\n      mig: {strategy: single}\n"
        "      devicePlugin: {config: {name: my-config}}\n",
    )
    path.write_text(text)
    code = main(["render", "-f", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines() == [
        f"{path}:18: machineSets[1].nodeLabels.nvidia.com/device-plugin.config: is set by gpuSharing; remove it here",
        f"{path}:8: nvidia.clusterPolicy.spec.devicePlugin.config.name: is set by the pools' "
        "gpuSharing.timeSlicing (ConfigMap device-plugin-config); remove it here",
        f"{path}:7: nvidia.clusterPolicy.spec.mig.strategy: is 'single' but the pools' MIG profiles need "
        "'mixed' (all-balanced needs mixed; uniform profiles alone, single); remove it here",
    ]


def test_autoscaler_limits_count_shared_gpus() -> None:
    values = gpu_values(
        machineSets=[
            typed(
                "t4",
                "g4dn.12xlarge",
                gpuSharing={"timeSlicing": {"replicas": 4}},
                autoscaler={"enabled": True, "minReplicas": 0, "maxReplicas": 2},
            )
        ],
        autoscaling={
            "clusterAutoscaler": {
                "enabled": True,
                "spec": {"resourceLimits": {"gpus": [{"type": "nvidia-t4", "min": 0, "max": 8}]}},
            }
        },
    )
    findings = [f for f in check_policies(render(values, "prod")) if f.rule == "gpu-sharing"]
    assert [str(f) for f in findings] == [
        "warning: ClusterAutoscaler default: spec.resourceLimits.gpus[0].max: 8 is below the 32 "
        "nvidia.com/gpu the nvidia-t4 pools reach (2 node(s) x 4 GPU(s) x 4 time-slicing replicas): the "
        "autoscaler counts every shared GPU a running node advertises, so it stops scaling before maxReplicas"
    ]
    objects = render(values, "prod")
    (ca,) = of(objects, "ClusterAutoscaler")
    ca["spec"]["resourceLimits"]["gpus"][0]["max"] = 32
    assert [f for f in check_policies(objects) if f.rule == "gpu-sharing"] == []


def test_autoscaled_pool_must_advertise_nvidia_gpu() -> None:
    values = gpu_values(
        machineSets=[
            typed(
                "t4",
                "g4dn.xlarge",
                gpuSharing={"timeSlicing": {"replicas": 4, "renameByDefault": True}},
                autoscaler={"enabled": True, "minReplicas": 0, "maxReplicas": 2},
            ),
            typed(
                "h100",
                "p5.48xlarge",
                gpuSharing={"mig": {"profile": "all-1g.10gb"}},
                autoscaler={"enabled": True, "minReplicas": 0, "maxReplicas": 1},
            ),
        ],
    )
    findings = [f for f in check_policies(render(values, "prod")) if f.rule == "gpu-sharing"]
    assert [(f.name, f.message.split(":")[0]) for f in findings] == [
        (
            "prod-x-t4",
            "the pool autoscales but its nodes advertise nvidia.com/gpu.shared, not nvidia.com/gpu (4 "
            "time-slicing replicas)",
        ),
    ]
