"""Loading values: layering, --set, defaults, and located errors for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_capacity.config import load_env, load_project, load_values
from cluster_capacity.errors import ConfigError
from tests.conftest import EXAMPLES

POOL = """
  - enabled: true
    nameSuffix: gpu-a
    replicas: 1
    providerSpec:
      instanceType: g5.xlarge
      placement: {availabilityZone: us-west-2a, region: us-west-2}
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def errors_of(*args: object, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_values(*args, **kwargs)  # type: ignore[arg-type]
    assert info.value.exit_code == 2
    return info.value.lines()


def test_layering_merges_maps_and_replaces_lists(tmp_path: Path) -> None:
    common = write(
        tmp_path,
        "c.yaml",
        "enabled: true\ninfraID: base-x\nnvidia: {enabled: true, subscription: {channel: v24.9}}\n"
        "machineSets:" + POOL + "  - {nameSuffix: other}\n",
    )
    env = write(
        tmp_path, "e.yaml", "infraID: prod-x\nnvidia: {subscription: {approval: Manual}}\nmachineSets:" + POOL
    )
    values = load_values([common, env])
    assert values.infra_id == "prod-x"
    # deep merge keeps the channel from the first file and the chart default for the rest
    assert values.nvidia.subscription.channel == "v24.9"
    assert values.nvidia.subscription.approval == "Manual"
    assert values.nvidia.subscription.name == "gpu-operator-certified"
    # the later list replaced the earlier one wholesale
    assert [p.name_suffix for p in values.machine_sets] == ["gpu-a"]


def test_null_in_a_later_file_restores_the_default(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "nvidia: {installNamespace: custom}\n")
    b = write(tmp_path, "b.yaml", "nvidia: {installNamespace: null}\n")
    assert load_values([a]).nvidia.install_namespace == "custom"
    assert load_values([a, b]).nvidia.install_namespace == "nvidia-gpu-operator"


def test_set_overrides_after_files(tmp_path: Path) -> None:
    f = write(tmp_path, "v.yaml", "enabled: true\ninfraID: x\nmachineSets:" + POOL)
    values = load_values(
        [f],
        [
            "machineSets[0].replicas=3,machineSets[0].nodeLabels.node-role\\.kubernetes\\.io/gpu=",
            "nvidia.enabled=true",
        ],
    )
    pool = values.machine_sets[0]
    assert pool.replicas == 3
    assert pool.node_labels == {"node-role.kubernetes.io/gpu": ""}
    assert values.nvidia.enabled is True


def test_set_list_syntax_and_errors(tmp_path: Path) -> None:
    f = write(tmp_path, "v.yaml", "nvidia: {enabled: true}\n")
    values = load_values([f], ["nvidia.operatorGroup.targetNamespaces={nvidia-gpu-operator}"])
    assert values.nvidia.operator_group.target_namespaces == ["nvidia-gpu-operator"]
    assert errors_of([f], ["nvidia.enabled"]) == ["--set: 'nvidia.enabled' is not of the form path=value"]
    assert errors_of([f], ["machineSets[0].replicas=x"])[0].startswith("--set: machineSets[0]")


def test_defaults_follow_the_design(tmp_path: Path) -> None:
    f = write(tmp_path, "v.yaml", "machineSets:\n  - nameSuffix: p\n")
    values = load_values([f])
    assert values.enabled is False
    pool = values.machine_sets[0]
    assert (pool.enabled, pool.namespace, pool.replicas, pool.machine_role, pool.effective_machine_type) == (
        False,
        "openshift-machine-api",
        0,
        "worker",
        "worker",
    )
    nv = values.nvidia
    assert nv.enabled is False and nv.nfd.enabled and nv.rbac.create and nv.monitoring.service_monitor
    assert nv.operator_group.target_namespaces == []  # the chart's default: the install namespace
    assert nv.target_namespaces == ["nvidia-gpu-operator"]
    assert nv.nfd.subscription.name == "nfd" and nv.nfd.subscription.source == "redhat-operators"
    assert nv.rbac.application_controller_service_account == "openshift-gitops-argocd-application-controller"
    assert values.autoscaling.cluster_autoscaler.name == "default"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("enabled: [\n", "v.yaml:2: invalid YAML"),
        ("- a\n- b\n", "v.yaml:1: must be a mapping, got a list"),
        ("a: 1\n---\nb: 2\n", "holds more than one YAML document"),
        ("enabled: true\nenabled: false\n", "v.yaml:2: enabled: duplicate key"),
        ("nvidai: {}\n", "v.yaml:1: nvidai: unknown key; did you mean 'nvidia'?"),
        ("enabled: 'yes'\n", 'v.yaml:1: enabled: must be true or false, got "yes" (a string)'),
        (
            "machineSets:\n  - nameSuffix: a\n    replicas: -1\n",
            "v.yaml:3: machineSets[0].replicas: must be >= 0, got -1",
        ),
        (
            "machineSets:\n  - nameSuffix: a\n    taints:\n      - {key: k, effect: NoScheduel}\n",
            "v.yaml:4: machineSets[0].taints[0].effect: must be one of NoSchedule, PreferNoSchedule, NoExecute",
        ),
        ("machineSets:\n  - replicas: 1\n", "v.yaml:2: machineSets[0].nameSuffix: required key missing"),
        (
            "nvidia:\n  subscription:\n    approval: Auto\n",
            "v.yaml:3: nvidia.subscription.approval: must be one of Automatic, Manual",
        ),
        (
            "machineSets:\n  - nameSuffix: a\n    autoscaler: {enabled: true, minReplicas: 3, maxReplicas: 2}\n",
            "v.yaml:3: machineSets[0].autoscaler.minReplicas: minReplicas (3) is greater than maxReplicas (2)",
        ),
        (
            "enabled: true\nmachineSets:\n  - enabled: true\n    nameSuffix: a\n    providerSpec: {instanceType: m6i.large}\n",
            "v.yaml:1: infraID: required when a pool is enabled",
        ),
        (
            "enabled: true\ninfraID: x\nmachineSets:\n  - enabled: true\n    nameSuffix: a\n",
            "v.yaml:4: machineSets[0].providerSpec: required when the pool is enabled",
        ),
        (
            "infraID: x\nmachineSets:\n  - nameSuffix: " + "a" * 62 + "\n",
            "v.yaml:3: machineSets[0].nameSuffix: MachineSet name 'x-" + "a" * 62 + "' is 64 characters",
        ),
        (
            "machineSets:\n  - nameSuffix: a\n  - nameSuffix: a\n",
            "v.yaml:3: machineSets[1].nameSuffix: duplicate pool name 'a'",
        ),
        (
            "autoscaling:\n  clusterAutoscaler: {name: gpu}\n",
            "v.yaml:2: autoscaling.clusterAutoscaler.name: must be 'default'",
        ),
        (
            "enabled: true\ninfraID: x\nmachineSets:\n  - enabled: true\n    nameSuffix: a\n    providerSpec:\n"
            "      instanceType: g5.xlarge\n      spotMarketOptions: {}\n      capacityReservationId: cr-0123\n",
            "v.yaml:9: machineSets[0].providerSpec.capacityReservationId: Spot (spotMarketOptions) and a capacity "
            "reservation cannot be used together",
        ),
        (
            "nvidia:\n  enabled: true\n  operatorGroup:\n    targetNamespaces: [default]\n",
            "v.yaml:4: nvidia.operatorGroup.targetNamespaces: must be [nvidia-gpu-operator]",
        ),
        (
            "machineSets:\n  - nameSuffix: a\n    nodeLabels: {nvidia.com/gpu.present: true}\n",
            "v.yaml:3: machineSets[0].nodeLabels.nvidia.com/gpu.present: must be a string, got true (a boolean)",
        ),
    ],
)
def test_bad_input_is_located(tmp_path: Path, text: str, expected: str) -> None:
    f = write(tmp_path, "v.yaml", text)
    lines = errors_of([f])
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(str(f)) for line in lines)


def test_capitalised_unknown_key_and_union_errors_are_located(tmp_path: Path) -> None:
    """Found by hypothesis: a key such as ``A`` must not be mistaken for pydantic's union tags."""
    f = write(
        tmp_path, "v.yaml", "A: []\ninferentia:\n  feasibility: {clusterVersion: '4.19', checkedAt: 5}\n"
    )
    lines = errors_of([f])
    assert f"{f}:1: A: unknown key (known keys:" in lines[0]
    assert (
        all(":3: inferentia.feasibility.checkedAt: must be" in line for line in lines[1:]) and len(lines) == 3
    )


def test_gpu_limits_must_match_accelerator_labels(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "v.yaml",
        "enabled: true\ninfraID: x\nmachineSets:"
        + POOL
        + "autoscaling:\n  clusterAutoscaler:\n    enabled: true\n    spec:\n      resourceLimits:\n"
        "        gpus:\n          - {type: nvidia.com/gpu, min: 0, max: 4}\n",
    )
    lines = errors_of([f])
    assert any(
        ":16: autoscaling.clusterAutoscaler.spec.resourceLimits.gpus[0].type: 'nvidia.com/gpu' matches no GPU pool"
        in line
        and "nvidia-a10g" in line
        for line in lines
    ), lines


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    f = write(tmp_path, "v.yaml", "nvidai: {}\nenabled: 3\nmachineSets:\n  - nameSufix: a\n")
    lines = errors_of([f])
    assert len(lines) == 4  # unknown top key, bad type, unknown pool key, missing nameSuffix


def test_missing_files_are_all_reported(tmp_path: Path) -> None:
    lines = errors_of([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert lines == [f"{tmp_path / 'a.yaml'}: file not found", f"{tmp_path / 'b.yaml'}: file not found"]


def test_example_project_loads() -> None:
    cfg = load_env(EXAMPLES, "prod")
    assert cfg.values.infra_id == "prod-nkqd9"
    (pool,) = cfg.values.enabled_pools
    assert pool.spot and pool.instance_type == "g5.xlarge" and pool.zone == "us-west-2a"
    assert pool.accelerator_label == "nvidia-a10g"
    assert cfg.ignore_machineset_replicas is True
    assert [f.name for f in cfg.files] == ["values-common.yaml", "values-prod.yaml"]
    dev = load_env(EXAMPLES, "dev")
    assert dev.values.enabled_pools == [] and dev.env.capacity_enabled is False


def test_project_errors(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cluster-capacity.yaml",
        "repoURL: https://x\nenvs:\n  - name: Prod\n  - name: a\n  - name: a\n",
    )
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    lines = info.value.lines()
    assert any(":3: envs[0].name: must be lower-case" in line for line in lines)
    assert any(":5: envs[2].name: duplicate env 'a'" in line for line in lines)
    write(tmp_path, "cluster-capacity.yaml", "repoURL: https://x\nenvs: [{name: a}]\n")
    with pytest.raises(ConfigError, match="env 'b' is not in the project file"):
        load_env(tmp_path, "b")


def test_unknown_env_without_values_file(tmp_path: Path) -> None:
    write(tmp_path, "cluster-capacity.yaml", "repoURL: https://x\nenvs: [{name: a}]\n")
    with pytest.raises(ConfigError) as info:
        load_env(tmp_path, "a")
    assert info.value.lines() == [f"{tmp_path / 'values' / 'values-a.yaml'}: file not found"]


def test_instance_type_shape_is_checked(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "v.yaml",
        "enabled: true\ninfraID: x\nmachineSets:\n  - enabled: true\n    nameSuffix: a\n    providerSpec: {instanceType: g5-xlarge}\n",
    )
    assert any("'g5-xlarge' is not an EC2 instance type" in line for line in errors_of([f]))
