"""The API server's own rules: exact messages, each boundary both ways, on rendered objects and in config.

The expected messages are written out here, as the API server prints them (k8s.io/apimachinery), so a
drift in ``apinames`` fails these tests instead of passing through.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity import apinames
from cluster_capacity.cli import main
from cluster_capacity.config import load_values
from cluster_capacity.errors import ConfigError
from cluster_capacity.render import render
from cluster_capacity.validate import check_api_rules, validate_objects
from cluster_capacity.validate.schemas import SchemaRegistry
from tests.conftest import EXAMPLES

DNS_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name' or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
    "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name' or 'abc-123', regex "
    "used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or '12345', regex "
    "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
TOO_MANY_SLASHES = (
    "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation "
    "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. "
    "'example.com/MyName')"
)
VALUES = [EXAMPLES / "values" / "values-common.yaml", EXAMPLES / "values" / "values-prod.yaml"]


# --- the rules themselves ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a" * 63, []),
        ("0-a", []),
        ("a" * 64, ["must be no more than 63 characters"]),
        ("", [DNS_LABEL]),
        ("Prod", [DNS_LABEL]),
        ("gpu_a", [DNS_LABEL]),
        ("-gpu", [DNS_LABEL]),
        ("gpu-", [DNS_LABEL]),
        ("a.b", ["must not contain dots"]),
        ("gpu\n", [DNS_LABEL]),  # Python's $ matches before a final newline; Go's does not
        ("gpü", [DNS_LABEL]),
        ("A" * 64, ["must be no more than 63 characters", DNS_LABEL]),
    ],
)
def test_dns1123_label(value: str, expected: list[str]) -> None:
    assert apinames.dns1123_label(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a" * 253, []),
        (".".join(["a" * 63] * 4)[:253], []),
        ("cluster-policy.v1", []),
        ("a" * 254, ["must be no more than 253 characters"]),
        ("", [SUBDOMAIN]),
        ("ClusterPolicy", [SUBDOMAIN]),
        ("a..b", [SUBDOMAIN]),
        ("a_b", [SUBDOMAIN]),
        (".a", [SUBDOMAIN]),
    ],
)
def test_dns1123_subdomain(value: str, expected: list[str]) -> None:
    assert apinames.dns1123_subdomain(value) == expected


def test_dns1035_label_and_rbac_names() -> None:
    assert apinames.dns1035_label("abc-123") == []
    assert apinames.dns1035_label("1abc") == [DNS1035]
    assert apinames.path_segment_name("system:aggregate-to-view") == []
    assert apinames.path_segment_name("..") == ["may not be '..'"]
    assert apinames.path_segment_name("a/b%c") == ["may not contain '/'", "may not contain '%'"]
    assert apinames.name_check("Namespace") is apinames.dns1123_label
    assert apinames.name_check("ClusterRole") is apinames.path_segment_name
    assert apinames.name_check("MachineSet") is apinames.dns1123_subdomain


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nvidia.com/gpu", []),
        ("a" * 63, []),
        ("A_b.c-9", []),
        ("a" * 253 + "/" + "b" * 63, []),
        ("a" * 64, ["name part must be no more than 63 characters"]),
        ("a" * 254 + "/b", ["prefix part must be no more than 253 characters"]),
        ("Example.com/x", [f"prefix part {SUBDOMAIN}"]),
        ("/x", ["prefix part must be non-empty"]),
        ("example.com/", ["name part must be non-empty", NAME_PART]),
        ("", ["name part must be non-empty", NAME_PART]),
        ("bad key", [NAME_PART]),
        ("-x", [NAME_PART]),
        ("a/b/c", [TOO_MANY_SLASHES]),
    ],
)
def test_qualified_name(value: str, expected: list[str]) -> None:
    assert apinames.qualified_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("a" * 63, []),
        ("My_value.1-x", []),
        ("a" * 64, ["must be no more than 63 characters"]),
        ("has space", [LABEL_VALUE]),
        ("-x", [LABEL_VALUE]),
        ("x.", [LABEL_VALUE]),
        ("a/b", [LABEL_VALUE]),
    ],
)
def test_label_value(value: str, expected: list[str]) -> None:
    assert apinames.label_value(value) == expected


def test_annotations_ignore_case_and_cap_the_total_size() -> None:
    assert apinames.annotation_map({"Example.COM/Thing": "x", "argocd.argoproj.io/sync-wave": "1"}) == []
    assert apinames.annotation_map({"bad key": "x"}) == [("bad key", "key", "bad key", NAME_PART)]
    assert apinames.annotation_map({"a": "x" * (256 * 1024 - 1)}) == []
    assert apinames.annotation_map({"a": "x" * (256 * 1024)}) == [
        ("", "size", "", "Too long: must have at most 262144 bytes")
    ]


def test_taints_and_int32() -> None:
    assert apinames.taint("nvidia.com/gpu", "true", "NoSchedule") == []
    assert apinames.taint("k", "two words", "Sometimes") == [
        ("value", "value", "two words", LABEL_VALUE),
        ("effect", "effect", "Sometimes", 'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'),
    ]
    assert apinames.int_range(2**31 - 1, 0, apinames.INT32_MAX) == []
    assert apinames.int_range(2**31, 0, apinames.INT32_MAX) == ["must be between 0 and 2147483647, inclusive"]
    assert apinames.int_range(-1, 0, apinames.INT32_MAX) == ["must be between 0 and 2147483647, inclusive"]


# --- validate: every rendered object ---------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render(load_values(VALUES), "prod")


def first(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind)


def test_rendered_examples_pass(rendered: list[dict[str, Any]], registry: SchemaRegistry) -> None:
    assert check_api_rules(rendered) == []
    assert [str(f) for f in validate_objects(rendered, registry) if f.severity == "error"] == []


def test_bad_metadata_on_rendered_objects(rendered: list[dict[str, Any]]) -> None:
    ms = copy.deepcopy(first(rendered, "MachineSet"))
    name, ns = ms["metadata"]["name"], ms["metadata"]["namespace"]
    ms["metadata"]["labels"] = {"Team Name": "x", "ok": "-v"}
    ms["metadata"]["annotations"] = {"argocd.argoproj.io/Sync-Wave": "1", "a b": "x"}
    ms["spec"]["template"]["spec"]["taints"] = [{"key": "k", "value": "two words", "effect": "Bad"}]
    ms["spec"]["replicas"] = 2**31
    ms["spec"]["template"]["spec"]["providerSpec"]["value"]["instanceType"] = "G5.xlarge"
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "my.ns"}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "a/b"}}
    policy = {"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy", "metadata": {"name": "Cluster_Policy"}}
    unnamed = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "-ns"}}
    found = [str(f) for f in check_api_rules([ms, namespace, role, policy, unnamed])]
    who = f"MachineSet {ns}/{name}"
    assert found == [
        f'{who}: metadata.labels["Team Name"]: Invalid value: "Team Name": {NAME_PART}',
        f'{who}: metadata.labels.ok: Invalid value: "-v": {LABEL_VALUE}',
        f'{who}: metadata.annotations["a b"]: Invalid value: "a b": {NAME_PART}',
        f'{who}: spec.template.spec.taints[0].value: Invalid value: "two words": {LABEL_VALUE}',
        f"{who}: spec.template.spec.taints[0].effect: Unsupported value: "
        '"Bad": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        f"{who}: spec.replicas: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive "
        "(the controller reads an int32)",
        f'{who}: spec.template.spec.providerSpec.value.instanceType: Invalid value: "G5.xlarge": EC2 '
        "instance types are lower case (g5.xlarge); AWS refuses any other",
        'Namespace my.ns: metadata.name: Invalid value: "my.ns": must not contain dots',
        "ClusterRole a/b: metadata.name: Invalid value: \"a/b\": may not contain '/'",
        f'ClusterPolicy Cluster_Policy: metadata.name: Invalid value: "Cluster_Policy": {SUBDOMAIN}',
        "ConfigMap -ns/?: metadata.name: Required value: name or generateName is required",
        f'ConfigMap -ns/?: metadata.namespace: Invalid value: "-ns": {DNS_LABEL}',
    ]


def test_embedded_labels_subjects_and_targets(rendered: list[dict[str, Any]]) -> None:
    ms = copy.deepcopy(first(rendered, "MachineSet"))
    ms["spec"]["selector"]["matchLabels"]["x"] = "a" * 64
    ms["spec"]["template"]["spec"]["metadata"]["labels"]["node-role.kubernetes.io/GPU Pool"] = ""
    group = copy.deepcopy(first(rendered, "OperatorGroup"))
    group["spec"]["targetNamespaces"] = ["Upper"]
    binding = copy.deepcopy(first(rendered, "ClusterRoleBinding"))
    binding["subjects"][0]["namespace"] = "open_shift"
    paths = [(f.kind, f.path) for f in check_api_rules([ms, group, binding])]
    assert paths == [
        ("MachineSet", "spec.selector.matchLabels.x"),
        ("MachineSet", 'spec.template.spec.metadata.labels["node-role.kubernetes.io/GPU Pool"]'),
        ("OperatorGroup", "spec.targetNamespaces[0]"),
        ("ClusterRoleBinding", "subjects[0].namespace"),
    ]
    assert all(f.rule == "api-server" for f in check_api_rules([ms]))


def test_validate_cli_refuses_bad_names_as_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``validate`` runs the same config rules as ``render``: exit 2, one located line, nothing on stdout."""
    extra = tmp_path / "values-extra.yaml"
    extra.write_text("machineSets:\n  - nameSuffix: GPU\n")
    code = main(["validate", "-f", str(VALUES[0]), "-f", str(VALUES[1]), "-f", str(extra)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    infra = yaml.safe_load(VALUES[1].read_text())["infraID"]
    assert err == f'{extra}:2: machineSets[0].nameSuffix: MachineSet name "{infra}-GPU": {DNS_LABEL}\n'


# --- config: located in the values file, exit 2 -----------------------------------------------------


def problems(tmp_path: Path, text: str) -> list[str]:
    extra = tmp_path / "values-extra.yaml"
    extra.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_values([*VALUES, extra])
    return info.value.lines()


def pool_override(tmp_path: Path, **fields: Any) -> str:
    """A values file replacing the example's prod pools by one pool with ``fields`` changed."""
    data = yaml.safe_load(VALUES[1].read_text())
    pool = data["machineSets"][0]
    pool.update(fields)
    return yaml.safe_dump({"machineSets": [pool]}, sort_keys=False)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("namespace", "Openshift-machine-api", f'namespace "Openshift-machine-api": {DNS_LABEL}'),
        ("namespace", "a" * 64, f'namespace "{"a" * 64}": must be no more than 63 characters'),
        ("machineRole", "GPU pool", f'machine role (a label value) "GPU pool": {LABEL_VALUE}'),
        ("replicas", 2**31, "2147483648: must be between 0 and 2147483647, inclusive (an int32 in the API)"),
    ],
)
def test_pool_fields_are_located(tmp_path: Path, field: str, value: Any, message: str) -> None:
    text = pool_override(tmp_path, **{field: value})
    extra = tmp_path / "values-extra.yaml"
    assert problems(tmp_path, text) == [
        f"{extra}:{line_of(text, field + ':')}: machineSets[0].{field}: {message}"
    ]


def test_boundaries_pass(tmp_path: Path) -> None:
    extra = tmp_path / "values-extra.yaml"
    extra.write_text(
        pool_override(tmp_path, namespace="a" * 63, replicas=2**31 - 1, machineRole="gpu_pool.1")
    )
    values = load_values([*VALUES, extra])
    assert values.machine_sets[0].namespace == "a" * 63


def test_upper_case_instance_type_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(VALUES[1].read_text())
    data["machineSets"][0]["providerSpec"]["instanceType"] = "G5.XLarge"
    text = yaml.safe_dump({"machineSets": data["machineSets"]}, sort_keys=False)
    extra = tmp_path / "values-extra.yaml"
    assert problems(tmp_path, text) == [
        f"{extra}:{line_of(text, 'instanceType:')}: machineSets[0].providerSpec.instanceType: 'G5.XLarge': "
        "EC2 instance types are lower case ('g5.xlarge'); AWS refuses any other"
    ]


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            "nvidia:\n  installNamespace: NVIDIA\n",
            "nvidia.installNamespace",
            f'namespace "NVIDIA": {DNS_LABEL}',
        ),
        (
            "nvidia:\n  clusterPolicy:\n    name: Cluster_Policy\n",
            "nvidia.clusterPolicy.name",
            f'ClusterPolicy name "Cluster_Policy": {SUBDOMAIN}',
        ),
        (
            "nvidia:\n  operatorGroup:\n    name: ''\n",
            "nvidia.operatorGroup.name",
            f'OperatorGroup name "": {SUBDOMAIN}',
        ),
        (
            "nvidia:\n  rbac:\n    argocdNamespace: -gitops\n",
            "nvidia.rbac.argocdNamespace",
            f'namespace "-gitops": {DNS_LABEL}',
        ),
        (
            "nvidia:\n  nfd:\n    installNamespace: open_nfd\n",
            "nvidia.nfd.installNamespace",
            f'namespace "open_nfd": {DNS_LABEL}',
        ),
        (
            "infraID: Prod-X\n",
            "infraID",
            f'infraID (the start of every MachineSet name) "Prod-X": {DNS_LABEL}',
        ),
    ],
)
def test_operator_names_are_located(tmp_path: Path, text: str, path: str, message: str) -> None:
    extra = tmp_path / "values-extra.yaml"
    assert problems(tmp_path, text) == [f"{extra}:{text.count(chr(10))}: {path}: {message}"]


def test_set_problems_name_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_values(VALUES, ["machineSets[0].namespace=Bad_NS"])
    assert info.value.lines() == [f'--set: machineSets[0].namespace: namespace "Bad_NS": {DNS_LABEL}']


def test_render_exits_2_with_one_located_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    extra = tmp_path / "values-extra.yaml"
    extra.write_text("nvidia:\n  installNamespace: NVIDIA\n")
    code = main(["render", "-f", str(VALUES[0]), "-f", str(VALUES[1]), "-f", str(extra)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f'{extra}:2: nvidia.installNamespace: namespace "NVIDIA": {DNS_LABEL}\n'
