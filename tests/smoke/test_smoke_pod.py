"""The smoke pod and the choice of pool: pure, from the env's config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cluster_capacity.config import load_env
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.smoke.pod import DEFAULT_IMAGES, build_pod, target_from_env
from cluster_capacity.validate.core import validate_core
from tests.conftest import EXAMPLES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest


def edit_values(project: Path, env: str, fn: object) -> None:
    path = project / "values" / f"values-{env}.yaml"
    data = yaml.safe_load(path.read_text())
    fn(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_target_from_the_example_env() -> None:
    target = target_from_env(load_env(EXAMPLES, "prod"), None)
    assert target.pool == "gpu-g5-xlarge-us-west-2a"
    assert target.machineset == "prod-nkqd9-gpu-g5-xlarge-us-west-2a"
    assert target.namespace == "openshift-machine-api"
    assert target.accelerator == "nvidia"
    assert (target.instance_type, target.zone, target.spot) == ("g5.xlarge", "us-west-2a", True)
    assert target.autoscaled is True
    assert target.application == "cluster-capacity-prod"
    assert target.gitops_namespace == "openshift-gitops"
    assert target.ignore_replicas_in_git is True
    assert [t.as_dict() for t in target.taints] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]


def test_pod_is_a_valid_core_pod_that_restricted_v2_admits() -> None:
    target = target_from_env(load_env(EXAMPLES, "prod"), None)
    pod = build_pod(target)
    assert validate_core(pod) == []
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    # restricted-v2 assigns the UID itself and rejects pods that ask for one outside the namespace range.
    assert "runAsUser" not in spec["securityContext"]
    (container,) = spec["containers"]
    assert "runAsUser" not in container["securityContext"]
    assert "schedulerName" not in spec  # GPU pods use the default scheduler
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["image"] == DEFAULT_IMAGES["nvidia"]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert spec["nodeSelector"] == {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/gpu": "",
        "cluster-api/accelerator": "nvidia-a10g",
        "node.kubernetes.io/instance-type": "g5.xlarge",
        "topology.kubernetes.io/zone": "us-west-2a",
    }


def test_live_taints_and_labels_win_over_git() -> None:
    target = target_from_env(load_env(EXAMPLES, "prod"), None)
    pod = build_pod(
        target,
        live_node_labels={"pool": "a"},
        live_taints=[
            {"key": "dedicated", "effect": "NoSchedule"},
            {"key": "x", "value": "1", "effect": "NoExecute"},
        ],
    )
    assert pod["spec"]["tolerations"] == [
        {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "x", "operator": "Equal", "value": "1", "effect": "NoExecute"},
    ]
    assert pod["spec"]["nodeSelector"]["pool"] == "a"
    assert "node-role.kubernetes.io/gpu" not in pod["spec"]["nodeSelector"]


def test_neuron_pool_gets_neuron_resource_and_neuron_ls(project: Path) -> None:
    def to_inf2(data: dict[str, object]) -> None:
        pool = data["machineSets"][0]  # type: ignore[index]
        pool["providerSpec"]["instanceType"] = "inf2.xlarge"
        pool["taints"] = [{"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}]
        pool["autoscaler"]["minReplicas"] = 1
        data["inferentia"] = {
            "enabled": True,
            "feasibility": {"passed": True, "clusterVersion": "4.19.9", "checkedAt": "2026-11-28"},
        }

    edit_values(project, "prod", to_inf2)
    config = load_env(project, "prod")
    assert config.values.inferentia.gate_open
    target = target_from_env(config, None)
    assert target.accelerator == "neuron"
    pod = build_pod(target)
    assert validate_core(pod) == []
    (container,) = pod["spec"]["containers"]
    assert container["command"] == ["neuron-ls"]
    assert container["resources"]["limits"] == {"aws.amazon.com/neuron": "1"}
    assert container["image"] == DEFAULT_IMAGES["neuron"]
    assert "cluster-api/accelerator" not in pod["spec"]["nodeSelector"]
    assert pod["spec"]["schedulerName"] == "neuron-scheduler"  # Neuron devices are placed by its extender


def test_unknown_pool_names_the_file_and_the_pools() -> None:
    with pytest.raises(ConfigError) as info:
        target_from_env(load_env(EXAMPLES, "prod"), "gpu-nope")
    (line,) = info.value.lines()
    assert line.endswith(
        "values-prod.yaml: machineSets: no pool with nameSuffix 'gpu-nope' (pools: gpu-g5-xlarge-us-west-2a)"
    )


def test_disabled_pool_and_no_accelerator_pool(project: Path) -> None:
    edit_values(project, "prod", lambda d: d["machineSets"][0].update(enabled=False))
    with pytest.raises(
        ConfigError, match=r"machineSets\[0\].enabled: pool gpu-g5-xlarge-us-west-2a is not enabled"
    ):
        target_from_env(load_env(project, "prod"), "gpu-g5-xlarge-us-west-2a")
    with pytest.raises(ConfigError, match=r"name the pool to test with --pool \(accelerator pools: none\)"):
        target_from_env(load_env(project, "prod"), None)


def test_cpu_pool_has_nothing_to_smoke_test(project: Path) -> None:
    edit_values(
        project, "prod", lambda d: d["machineSets"][0]["providerSpec"].update(instanceType="m6i.xlarge")
    )
    with pytest.raises(ConfigError, match="has no NVIDIA or Neuron accelerator"):
        target_from_env(load_env(project, "prod"), "gpu-g5-xlarge-us-west-2a")
