"""Values written for the Helm chart (bitiq-io/gitops charts/cluster-capacity) work unchanged.

``tests/fixtures/chart_shapes`` holds one folder per historic shape of the chart's values files (written
for these tests in the chart's format). Each renders, validates against the real CRDs, and every object
the chart rendered for the same values comes out under the same kind, namespace and name with every
field the chart set at the same value, except the differences docs/migrating-from-helm.md lists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.config import load_values
from cluster_capacity.config.project import load_layered
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.migrate.chart import ChartFeatures, chart_objects, rbac_name
from cluster_capacity.render import render

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "chart_shapes"
Check = Callable[[list[dict[str, Any]]], None]

#: What the chart's templates could do at each shape (its commit history, oldest first).
FEATURES = {
    "01-initial": ChartFeatures(
        waves=False, rbac_groups=(), single_namespace_default=False, nfd=False, dashboard=False,
        service_monitor=False,
    ),
    "02-gpu-operator": ChartFeatures(
        rbac_groups=(), single_namespace_default=False, nfd=False, dashboard=False, service_monitor=False
    ),
    "03-rbac-required-fields": ChartFeatures(
        rbac_groups=("nvidia.com",), single_namespace_default=False, nfd=False, dashboard=False,
        service_monitor=False,
    ),
    "04-single-namespace": ChartFeatures(
        rbac_groups=("nvidia.com",), nfd=False, dashboard=False, service_monitor=False
    ),
    "05-nfd": ChartFeatures(
        rbac_groups=("nvidia.com", "nfd.openshift.io"), dashboard=False, service_monitor=False
    ),
    "06-on-demand-dashboards": ChartFeatures(),
}  # fmt: skip


def files(shape: str, env: str = "prod") -> list[Path]:
    return [SHAPES / shape / "values-common.yaml", SHAPES / shape / f"values-{env}.yaml"]


def key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def missing_fields(chart: Any, ours: Any, path: str = "") -> list[str]:
    """Paths where ``chart`` sets a value that ``ours`` does not have (ours may set more)."""
    if isinstance(chart, dict):
        if not isinstance(ours, dict):
            return [f"{path}: chart {chart!r}, ours {ours!r}"]
        out = []
        for k, v in chart.items():
            if k not in ours:
                out.append(f"{path}.{k}: chart {v!r}, ours absent")
            else:
                out.extend(missing_fields(v, ours[k], f"{path}.{k}"))
        return out
    if isinstance(chart, list):
        if not isinstance(ours, list) or len(ours) != len(chart):
            return [f"{path}: chart {chart!r}, ours {ours!r}"]
        return [
            m
            for i, (a, b) in enumerate(zip(chart, ours, strict=True))
            for m in missing_fields(a, b, f"{path}[{i}]")
        ]
    return [] if chart == ours else [f"{path}: chart {chart!r}, ours {ours!r}"]


def deliberate(obj: dict[str, Any], shape: str) -> dict[str, Any]:
    """The chart's object less what we set differently on purpose (docs/migrating-from-helm.md)."""
    import copy

    out = copy.deepcopy(obj)
    meta = out["metadata"]
    meta.get("annotations", {}).pop("argocd.argoproj.io/sync-wave", None)  # our waves: capacity first
    if obj["kind"] == "Namespace":
        meta["labels"].pop("app.kubernetes.io/managed-by")  # "Helm" would be untrue
    if obj["kind"] == "OperatorGroup" and obj["spec"]["targetNamespaces"] == []:
        out["spec"]["targetNamespaces"] = [meta["namespace"]]  # the old chart's AllNamespaces never installed
    if obj["kind"] == "MachineSet":
        out["spec"]["template"]["spec"]["providerSpec"]["value"].pop("metadata", None)  # null: dropped
    return out


@pytest.mark.parametrize("shape", sorted(FEATURES))
def test_every_shape_renders_unchanged(shape: str, schema_check: Check) -> None:
    values = load_values(files(shape), ["env=prod"])  # what the chart's umbrella passes
    ours = render(values, "prod")
    schema_check(ours)
    assert load_values(files(shape, "local"), ["env=local"]).enabled is False
    assert render(load_values(files(shape, "local"))) == []


@pytest.mark.parametrize("shape", sorted(FEATURES))
def test_same_objects_and_fields_as_the_chart(shape: str) -> None:
    data = load_layered(files(shape)).data
    chart = chart_objects(data, FEATURES[shape])
    assert chart, "the fixture renders something with the chart"
    ours = {key(o): o for o in render(load_values(files(shape)), "prod")}
    renamed = rbac_name("openshift-gitops")
    problems = []
    for obj in chart:
        if obj["metadata"]["name"] == renamed:  # the RBAC: ours is named per tool, the old one is an orphan
            continue
        if key(obj) not in ours:
            problems.append(f"{key(obj)}: not rendered")
            continue
        problems += [f"{key(obj)}{m}" for m in missing_fields(deliberate(obj, shape), ours[key(obj)])]
    assert problems == []


def test_newest_shape_objects_by_name() -> None:
    ours = sorted(key(o) for o in render(load_values(files("06-on-demand-dashboards")), "prod"))
    assert ours == [
        ("ClusterPolicy", "", "cluster-policy"),
        ("ClusterRole", "", "cluster-capacity-argocd-application-controller"),
        ("ClusterRoleBinding", "", "cluster-capacity-argocd-application-controller"),
        ("ConfigMap", "openshift-config-managed", "grafana-dashboard-nvidia-dcgm-exporter"),
        ("MachineSet", "openshift-machine-api", "ocp-9wd2m-gpu-g6e-xlarge-us-east-2b"),
        ("Namespace", "", "nvidia-gpu-operator"),
        ("Namespace", "", "openshift-nfd"),
        ("NodeFeatureDiscovery", "openshift-nfd", "nfd-instance"),
        ("OperatorGroup", "nvidia-gpu-operator", "nvidia-gpu-operator"),
        ("OperatorGroup", "openshift-nfd", "openshift-nfd"),
        ("ServiceMonitor", "nvidia-gpu-operator", "nvidia-dcgm-exporter"),
        ("Subscription", "nvidia-gpu-operator", "gpu-operator-certified"),
        ("Subscription", "openshift-nfd", "nfd"),
    ]


def write(tmp: Path, text: str) -> Path:
    path = tmp / "values.yaml"
    path.write_text(text)
    return path


POOL = (
    "infraID: ocp-1\nmachineSets:\n  - enabled: {flag}\n    nameSuffix: gpu\n    providerSpec:\n"
    "      instanceType: g5.xlarge\n"
)


@pytest.mark.parametrize(("flag", "rendered"), [('"true"', 1), ('"True"', 1), ('"false"', 0), ("'FALSE'", 0)])
def test_string_switches_mean_what_they_say(tmp_path: Path, flag: str, rendered: int) -> None:
    values = load_values([write(tmp_path, 'enabled: "true"\n' + POOL.format(flag=flag))])
    assert len([o for o in render(values) if o["kind"] == "MachineSet"]) == rendered


def errors(tmp_path: Path, text: str, sets: list[str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_values([write(tmp_path, text)], sets or [])
    assert info.value.exit_code == 2
    return [line.replace(str(tmp_path) + "/", "") for line in info.value.lines()]


def test_unsafe_switch_strings_are_refused_with_what_the_chart_did(tmp_path: Path) -> None:
    assert errors(tmp_path, "nvidia:\n  enabled: 'yes'\n") == [
        'values.yaml:2: nvidia.enabled: must be true or false, got "yes" (a string); the Helm chart read '
        'every string but "true" as false, so write false if that is what you relied on'
    ]
    assert errors(tmp_path, 'enabled: "false"\n') == [
        'values.yaml:1: enabled: must be true or false, got "false" (a string); the Helm chart rendered '
        'everything for any non-empty string here (even "false"), so write true to keep that, or false'
    ]


def test_api_version_keys_accept_only_the_served_version(tmp_path: Path) -> None:
    ok = load_values(
        [write(tmp_path, "nvidia:\n  clusterPolicy: {apiVersion: nvidia.com/v1}\n  nfd:\n"
                         "    instance: {apiVersion: nfd.openshift.io/v1}\n")]
    )  # fmt: skip
    assert ok.nvidia.cluster_policy.api_version == "nvidia.com/v1"
    assert errors(tmp_path, "nvidia:\n  clusterPolicy:\n    apiVersion: nvidia.com/v2\n") == [
        "values.yaml:3: nvidia.clusterPolicy.apiVersion: must be nvidia.com/v1, the only version the "
        "ClusterPolicy CRD serves (got 'nvidia.com/v2'; the chart wrote it into the object, which the API "
        "server refuses); remove the key"
    ]


def test_infra_id_placeholder_only_matters_once_a_pool_is_enabled(tmp_path: Path) -> None:
    assert load_values([write(tmp_path, 'enabled: true\ninfraID: ""\n')]).infra_id is None
    assert errors(tmp_path, "enabled: true\n" + POOL.format(flag="true").replace("ocp-1", '""')) == [
        "values.yaml:2: infraID: required when a pool is enabled (run `cluster-capacity init` to read it)"
    ]


def test_empty_target_namespaces_mean_the_install_namespace(tmp_path: Path) -> None:
    values = load_values(
        [write(tmp_path, "enabled: true\nnvidia:\n  enabled: true\n  installNamespace: gpu-ops\n"
                         "  operatorGroup: {targetNamespaces: []}\n")]
    )  # fmt: skip
    (og,) = [
        o for o in render(values) if o["kind"] == "OperatorGroup" and o["metadata"]["namespace"] == "gpu-ops"
    ]
    assert og["spec"] == {"targetNamespaces": ["gpu-ops"]}


def test_openshift_operators_is_never_created(tmp_path: Path) -> None:
    values = load_values(
        [write(tmp_path, "enabled: true\nnvidia:\n  enabled: true\n  installNamespace: openshift-operators\n"
                         "  operatorGroup: {create: false}\n")]
    )  # fmt: skip
    namespaces = [o["metadata"]["name"] for o in render(values) if o["kind"] == "Namespace"]
    assert namespaces == ["openshift-nfd"]


def test_dashboard_takes_its_name_from_config_map_name(tmp_path: Path) -> None:
    values = load_values(
        [write(tmp_path, "enabled: true\nnvidia:\n  enabled: true\n  dashboards:\n    enabled: 'true'\n"
                         "    configMapName: gpu-board\n")]
    )  # fmt: skip
    (cm,) = [o for o in render(values) if o["kind"] == "ConfigMap"]
    assert (cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("gpu-board", "openshift-config-managed")
    assert list(cm["data"]) == ["nvidia-dcgm-exporter-dashboard.json"]


def test_replica_counts_as_the_chart_printed_them(tmp_path: Path) -> None:
    text = (
        POOL.format(flag="true")
        + "    replicas: '2'\n    autoscaler: {enabled: true, minReplicas: '1', maxReplicas: \"3\"}\n"
    )
    pool = load_values([write(tmp_path, "enabled: true\n" + text)]).machine_sets[0]
    assert (pool.replicas, pool.autoscaler.min_replicas, pool.autoscaler.max_replicas) == (2, 1, 3)
    assert errors(tmp_path, POOL.format(flag="true") + "    replicas: two\n") == [
        'values.yaml:7: machineSets[0].replicas: must be an integer, got "two" (a string)'
    ]


def test_a_second_operator_group_in_openshift_operators_is_refused(tmp_path: Path) -> None:
    assert errors(
        tmp_path, "enabled: true\nnvidia:\n  enabled: true\n  installNamespace: openshift-operators\n"
    ) == [
        "values.yaml:4: nvidia.installNamespace: openshift-operators already has the cluster's global "
        "OperatorGroup, and a second one makes OLM refuse every operator there (TooManyOperatorGroups; the "
        "chart rendered one anyway): set nvidia.operatorGroup.create: false"
    ]


def test_the_editor_schema_accepts_every_shape(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import jsonschema
    import yaml

    from cluster_capacity.cli import main

    assert main(["schema"]) == 0
    validator = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    for path in sorted(SHAPES.glob("*/*.yaml")):
        assert [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))] == [], path
    bad = {"enabled": "false", "nvidia": {"enabled": "yes"}}
    assert len(list(validator.iter_errors(bad))) == 2  # what the loader refuses, the schema flags
