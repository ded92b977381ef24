"""SchemaRegistry: loading a CRD folder, and findings against the real upstream CRD schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cluster_capacity.errors import ConfigError
from cluster_capacity.validate import schemas
from cluster_capacity.validate.findings import Finding
from cluster_capacity.validate.schemas import SchemaRegistry, validate_all

UNKNOWN = "unknown field (the API server would drop it)"


def messages(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in findings]


def machineset() -> dict[str, Any]:
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {
            "name": "infra-gpu-us-east-1a",
            "namespace": "openshift-machine-api",
            "labels": {"a": "b"},
        },
        "spec": {
            "replicas": 1,
            "selector": {
                "matchLabels": {"machine.openshift.io/cluster-api-machineset": "infra-gpu-us-east-1a"}
            },
            "template": {
                "metadata": {
                    "labels": {"machine.openshift.io/cluster-api-machineset": "infra-gpu-us-east-1a"}
                },
                "spec": {
                    "metadata": {"labels": {"node-role.kubernetes.io/gpu": ""}},
                    "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
                    "providerSpec": {
                        "value": {"kind": "AWSMachineProviderConfig", "instanceType": "g5.xlarge"}
                    },
                },
            },
        },
    }


def machineautoscaler(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling.openshift.io/v1beta1",
        "kind": "MachineAutoscaler",
        "metadata": {"name": "gpu", "namespace": "openshift-machine-api"},
        "spec": {
            "minReplicas": 0,
            "maxReplicas": 4,
            "scaleTargetRef": {
                "apiVersion": "machine.openshift.io/v1beta1",
                "kind": "MachineSet",
                "name": "gpu",
            },
            **spec,
        },
    }


# -- loading ----------------------------------------------------------------------------------------


def test_index_matches_a_full_parse_of_every_top_level_file(registry: SchemaRegistry, crd_dir: Path) -> None:
    expected = set()
    for path in crd_dir.glob("*.yaml"):
        doc = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
        for version in doc["spec"]["versions"]:
            if version["served"]:
                expected.add((f"{doc['spec']['group']}/{version['name']}", doc["spec"]["names"]["kind"]))
    assert set(registry.kinds) == expected
    assert ("operators.coreos.com/v1alpha2", "OperatorGroup") in registry.kinds
    assert registry.directory == crd_dir


def test_loading_parses_no_schema_and_a_kind_is_compiled_once(
    crd_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTER_CAPACITY_NO_CACHE", "1")  # the YAML parse itself is counted here
    parsed: list[tuple[str, int]] = []
    real = schemas._load_documents

    def spy(path: Path, text: str) -> list[Any]:
        parsed.append((path.name, len(text)))
        return real(path, text)

    monkeypatch.setattr(schemas, "_load_documents", spy)
    registry = SchemaRegistry.from_directory(crd_dir)
    # Only headers were parsed: the 1.4 MB ApplicationSet CRD shrinks to a few KB once its schema is cut.
    assert max(size for _, size in parsed) < 20_000
    parsed.clear()

    assert registry.validate(machineset()) == []
    assert registry.validate(machineset()) == []
    assert parsed == [("machine.openshift.io_machinesets.yaml", (crd_dir / parsed[0][0]).stat().st_size)]

    appset = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "a"},
        "spec": {},
    }
    assert messages(registry.validate(appset)) == [
        ("spec.generators", "required field missing"),
        ("spec.template", "required field missing"),
    ]
    assert [name for name, _ in parsed] == [
        "machine.openshift.io_machinesets.yaml",
        "argoproj.io_applicationsets.yaml",
    ]


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        SchemaRegistry.from_directory(tmp_path / "nope")
    assert err.value.lines() == [f"{tmp_path / 'nope'}: CRD folder not found"]


def test_folder_without_crds_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no CRD files"):
        SchemaRegistry.from_directory(tmp_path)


def test_a_file_that_is_not_a_crd_is_named(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ConfigError) as err:
        SchemaRegistry.from_directory(tmp_path)
    assert err.value.lines() == [f"{tmp_path / 'cm.yaml'}: not a CustomResourceDefinition"]


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: apiextensions.k8s.io/v1\nkind: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        SchemaRegistry.from_directory(tmp_path)
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(tmp_path / "bad.yaml"), 3)
    assert problem.message.startswith("invalid YAML")


def test_unreadable_and_non_utf8_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"dir\.yaml: cannot read CRD file"):
        SchemaRegistry.from_directory(tmp_path)
    (tmp_path / "dir.yaml").rmdir()
    (tmp_path / "latin1.yaml").write_bytes(b"kind: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin1\.yaml: cannot read CRD file: not UTF-8"):
        SchemaRegistry.from_directory(tmp_path)


def test_old_crd_api_version_and_duplicates_are_rejected(tmp_path: Path, crd_dir: Path) -> None:
    text = (crd_dir / "autoscaling.openshift.io_machineautoscalers.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    with pytest.raises(
        ConfigError, match=r"b\.yaml: MachineAutoscaler \(autoscaling.openshift.io\) is already"
    ):
        SchemaRegistry.from_directory(tmp_path)
    (tmp_path / "b.yaml").write_text(
        text.replace("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", 1)
    )
    with pytest.raises(
        ConfigError, match=r"must be apiextensions.k8s.io/v1, got apiextensions.k8s.io/v1beta1"
    ):
        SchemaRegistry.from_directory(tmp_path)


def test_multi_document_and_crlf_files(tmp_path: Path, crd_dir: Path) -> None:
    first = (crd_dir / "autoscaling.openshift.io_machineautoscalers.yaml").read_text(encoding="utf-8")
    second = (crd_dir / "autoscaling.openshift.io_clusterautoscalers.yaml").read_text(encoding="utf-8")
    (tmp_path / "both.yaml").write_bytes(f"{first}\n---\n{second}".replace("\n", "\r\n").encode())
    registry = SchemaRegistry.from_directory(tmp_path)
    assert registry.kinds == [
        ("autoscaling.openshift.io/v1", "ClusterAutoscaler"),
        ("autoscaling.openshift.io/v1beta1", "MachineAutoscaler"),
    ]
    assert messages(registry.validate(machineautoscaler(maxReplicas="4"))) == [
        ("spec.maxReplicas", 'must be integer, got string "4"')
    ]
    ca = {
        "apiVersion": "autoscaling.openshift.io/v1",
        "kind": "ClusterAutoscaler",
        "metadata": {"name": "default"},
    }
    assert registry.validate({**ca, "spec": {"logVerbosity": -1}}) == [
        Finding("ClusterAutoscaler", "default", "spec.logVerbosity", "must be >= 0, got -1")
    ]


def test_from_env_or(crd_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path / "from-env"))
    assert SchemaRegistry.from_env_or(crd_dir).directory == crd_dir
    with pytest.raises(ConfigError, match="from-env: CRD folder not found"):
        SchemaRegistry.from_env_or(None)
    monkeypatch.setenv(schemas.ENV_VAR, str(crd_dir))
    assert SchemaRegistry.from_env_or(None).directory == crd_dir
    monkeypatch.delenv(schemas.ENV_VAR)
    with pytest.raises(ConfigError) as err:
        SchemaRegistry.from_env_or("")
    assert "--crds DIR" in str(err.value)
    assert "CLUSTER_CAPACITY_CRDS=DIR" in str(err.value)


# -- upstream examples ------------------------------------------------------------------------------

QUIRKS = {
    "clusterautoscaler.cluster-autoscaler-operator.yaml": [
        ("spec.scaleDown.uneededTime", f"{UNKNOWN}; did you mean unneededTime?")
    ],
    "clusterpolicy.gpu-operator.yaml": [
        ("spec.validator.plugin", "must be object, got null (the field is not nullable)")
    ],
}


def test_upstream_examples(registry: SchemaRegistry, examples: dict[str, dict[str, Any]]) -> None:
    assert len(examples) >= 6
    for name, obj in examples.items():
        assert messages(registry.validate(obj)) == QUIRKS.get(name, []), name


def test_upstream_quirks_fixed_validate_clean(
    registry: SchemaRegistry, examples: dict[str, dict[str, Any]]
) -> None:
    ca = copy.deepcopy(examples["clusterautoscaler.cluster-autoscaler-operator.yaml"])
    ca["spec"]["scaleDown"]["unneededTime"] = ca["spec"]["scaleDown"].pop("uneededTime")
    policy = copy.deepcopy(examples["clusterpolicy.gpu-operator.yaml"])
    policy["spec"]["validator"]["plugin"] = {}
    assert validate_all([ca, policy], registry) == []


# -- rules, on the real schemas ---------------------------------------------------------------------


def test_wrong_type_and_finding_text(registry: SchemaRegistry) -> None:
    findings = registry.validate(machineautoscaler(minReplicas="3"))
    assert findings == [
        Finding(
            "MachineAutoscaler",
            "gpu",
            "spec.minReplicas",
            'must be integer, got string "3"',
            "openshift-machine-api",
        )
    ]
    assert str(findings[0]) == (
        'MachineAutoscaler openshift-machine-api/gpu: spec.minReplicas: must be integer, got string "3"'
    )


def test_required_field_missing(registry: SchemaRegistry) -> None:
    obj = machineautoscaler()
    del obj["spec"]["maxReplicas"]
    del obj["spec"]["scaleTargetRef"]["name"]
    assert messages(registry.validate(obj)) == [
        ("spec.scaleTargetRef.name", "required field missing"),
        ("spec.maxReplicas", "required field missing"),
    ]


def test_enum(registry: SchemaRegistry) -> None:
    obj = machineset()
    obj["spec"]["deletePolicy"] = "Latest"
    assert messages(registry.validate(obj)) == [
        ("spec.deletePolicy", "must be one of Random, Newest, Oldest")
    ]


def test_minimum(registry: SchemaRegistry) -> None:
    assert messages(registry.validate(machineautoscaler(maxReplicas=0))) == [
        ("spec.maxReplicas", "must be >= 1, got 0")
    ]


def test_int_or_string_accepts_both(registry: SchemaRegistry, examples: dict[str, dict[str, Any]]) -> None:
    policy = copy.deepcopy(examples["clusterpolicy.gpu-operator.yaml"])
    policy["spec"]["validator"]["plugin"] = {}
    upgrade = policy["spec"]["driver"]["upgradePolicy"]
    for good in (1, "25%"):
        upgrade["maxUnavailable"] = good
        assert registry.validate(policy) == []
    upgrade["maxUnavailable"] = True
    assert messages(registry.validate(policy)) == [
        ("spec.driver.upgradePolicy.maxUnavailable", "must be integer or string, got boolean true")
    ]


def test_preserve_unknown_fields_subtree_accepts_anything(registry: SchemaRegistry) -> None:
    obj = machineset()
    obj["spec"]["template"]["spec"]["providerSpec"]["value"] = {"anything": [{"deep": {"x": None}}], "n": 1.5}
    assert registry.validate(obj) == []


def test_nullable_accepts_null(registry: SchemaRegistry) -> None:
    nfd = {
        "apiVersion": "nfd.openshift.io/v1",
        "kind": "NodeFeatureDiscovery",
        "metadata": {"name": "nfd-instance", "namespace": "openshift-nfd"},
        "spec": {"labelWhiteList": None, "extraLabelNs": None},
    }
    assert registry.validate(nfd) == []
    nfd["spec"]["instance"] = None
    assert messages(registry.validate(nfd)) == [
        ("spec.instance", "must be string, got null (the field is not nullable)")
    ]


def test_unknown_field_deep_in_an_array(registry: SchemaRegistry) -> None:
    obj = machineset()
    obj["spec"]["template"]["spec"]["taints"].append({"key": "k", "efect": "NoSchedule"})
    assert messages(registry.validate(obj)) == [
        ("spec.template.spec.taints[1].efect", f"{UNKNOWN}; did you mean effect?"),
        ("spec.template.spec.taints[1].effect", "required field missing"),
    ]


def test_unknown_field_without_a_close_name_and_metadata_keys_pass(registry: SchemaRegistry) -> None:
    obj = machineset()
    obj["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": "0"}
    obj["metadata"]["finalizers"] = ["x"]
    obj["spec"]["zzz"] = 1
    assert messages(registry.validate(obj)) == [("spec.zzz", UNKNOWN)]


def test_map_values_are_checked_and_odd_keys_quoted(registry: SchemaRegistry) -> None:
    obj = machineset()
    obj["spec"]["template"]["spec"]["metadata"]["labels"]["node-role.kubernetes.io/gpu"] = 1
    assert messages(registry.validate(obj)) == [
        ('spec.template.spec.metadata.labels["node-role.kubernetes.io/gpu"]', "must be string, got integer 1")
    ]


def test_pattern(registry: SchemaRegistry, examples: dict[str, dict[str, Any]]) -> None:
    ca = copy.deepcopy(examples["clusterautoscaler.cluster-autoscaler-operator.yaml"])
    del ca["spec"]["scaleDown"]["uneededTime"]
    ca["spec"]["scaleDown"]["delayAfterAdd"] = "10"
    assert messages(registry.validate(ca)) == [
        ("spec.scaleDown.delayAfterAdd", 'must match pattern ([0-9]*(\\.[0-9]*)?[a-z]+)+, got string "10"')
    ]


def test_unknown_kind_and_kind_typo(registry: SchemaRegistry) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    (finding,) = registry.validate(widget)
    assert (finding.kind, finding.path) == ("Widget", "")
    assert finding.message.startswith("no schema is known for example.com/v1 Widget")
    typo = {"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicies", "metadata": {"name": "p"}}
    assert registry.validate(typo)[0].message.endswith("; did you mean ClusterPolicy?")


def test_wrong_version(registry: SchemaRegistry) -> None:
    obj = machineset()
    obj["apiVersion"] = "machine.openshift.io/v1"
    assert messages(registry.validate(obj)) == [
        (
            "apiVersion",
            "MachineSet is not served at machine.openshift.io/v1 (served: machine.openshift.io/v1beta1)",
        )
    ]


def test_missing_api_version_and_kind(registry: SchemaRegistry) -> None:
    assert messages(registry.validate({"metadata": {"name": "x"}})) == [
        ("apiVersion", "required field missing"),
        ("kind", "required field missing"),
    ]


def test_core_kinds_are_dispatched_to_core(registry: SchemaRegistry) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labelz": {}}}
    assert messages(registry.validate(ns)) == [("metadata.labelz", f"{UNKNOWN}; did you mean labels?")]


def test_validate_all_keeps_input_order(registry: SchemaRegistry) -> None:
    bad_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}, "x": 1}
    findings = validate_all(
        [machineautoscaler(minReplicas="1"), bad_ns, machineautoscaler(maxReplicas=0)], registry
    )
    assert [(f.kind, f.path) for f in findings] == [
        ("MachineAutoscaler", "spec.minReplicas"),
        ("Namespace", "x"),
        ("MachineAutoscaler", "spec.maxReplicas"),
    ]


# -- rules, on a hand-made CRD (versions and keywords the upstream schemas do not exercise) ----------

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: false
    deprecated: true
    deprecationWarning: example.com/v1 Widget is deprecated; use example.com/v3
    schema:
      openAPIV3Schema: {type: object, properties: {spec: {type: object}}}
  - name: v2
    served: false
    storage: false
    schema:
      openAPIV3Schema:
        type: object
  - name: v3
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-validations:
        - rule: self.spec.size > 0
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1, maximum: 10, exclusiveMaximum: true}
              ratio: {type: number, multipleOf: 0.5}
              name: {type: string, minLength: 1, maxLength: 5}
              when: {type: string, format: date-time}
              cidr: {type: string, format: cidr}
              tags:
                type: array
                maxItems: 2
                items: {type: string}
                x-kubernetes-list-type: set
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, properties: {a: {type: string}}}
              loose:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known: {type: object, properties: {a: {type: string}}}
              choice:
                type: object
                properties:
                  a: {type: string}
                  b: {type: string}
                oneOf:
                - required: [a]
                - required: [b]
              limits:
                type: object
                additionalProperties: {type: integer}
              surge:
                x-kubernetes-int-or-string: true
                anyOf:
                - type: integer
                - type: string
                  pattern: ^[0-9]+%$
"""


@pytest.fixture(scope="module")
def widgets(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    folder = tmp_path_factory.mktemp("crds")
    (folder / "example.com_widgets.yaml").write_text(WIDGET_CRD)
    return SchemaRegistry.from_directory(folder)


def widget(version: str = "v3", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"example.com/{version}", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_deprecated_version_is_a_warning(widgets: SchemaRegistry) -> None:
    (finding,) = widgets.validate(widget("v1"))
    assert (finding.severity, finding.path) == ("warning", "apiVersion")
    assert finding.message == "example.com/v1 Widget is deprecated; use example.com/v3"


def test_unserved_version(widgets: SchemaRegistry) -> None:
    assert messages(widgets.validate(widget("v2"))) == [
        ("apiVersion", "Widget is not served at example.com/v2 (served: example.com/v1, example.com/v3)")
    ]
    assert widgets.kinds == [("example.com/v1", "Widget"), ("example.com/v3", "Widget")]


def test_bounds_lengths_and_formats(widgets: SchemaRegistry) -> None:
    assert widgets.validate(widget(ratio=0.5 * 3)) == widgets.validate(widget(ratio=2.0000000000000004)) == []
    assert (
        widgets.validate(
            widget(size=9, ratio=1.5, name="abcde", when="2026-01-02T03:04:05Z", cidr="10.0.0.0/8")
        )
        == []
    )
    assert messages(
        widgets.validate(widget(size=10, ratio=0.7, name="", when="yesterday", cidr="10.0.0.1"))
    ) == [
        ("spec.size", "must be < 10, got 10"),
        ("spec.ratio", "must be a multiple of 0.5, got 0.7"),
        ("spec.name", "must not be empty"),
        ("spec.when", 'must be an RFC 3339 date-time, got string "yesterday"'),
        ("spec.cidr", 'must be a CIDR such as 10.0.0.0/16, got string "10.0.0.1"'),
    ]
    assert messages(widgets.validate(widget(name="abcdef"))) == [
        ("spec.name", "must be at most 5 characters long, got 6")
    ]


def test_list_types(widgets: SchemaRegistry) -> None:
    ports = [{"name": "a", "port": 1}, {"name": "a", "port": 2}]
    assert messages(widgets.validate(widget(tags=["x", "y", "x"], ports=ports))) == [
        ("spec.tags", "must have at most 2 items, got 3"),
        ("spec.tags[2]", 'duplicate item string "x"'),
        ("spec.ports[1]", "duplicate entry for name=a"),
    ]


def test_embedded_resource_allows_header(widgets: SchemaRegistry) -> None:
    template = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": {"a": "b"}},
        "spec": {"a": "x", "b": 1},
    }
    assert messages(widgets.validate(widget(template=template))) == [("spec.template.spec.b", UNKNOWN)]


def test_preserve_unknown_fields_keeps_pruning_specified_children(widgets: SchemaRegistry) -> None:
    # As the API server does: unknown keys of the marked object are kept, a specified child still prunes.
    loose = {"extra": {"anything": 1}, "known": {"a": "x", "typo": 1}}
    assert messages(widgets.validate(widget(loose=loose))) == [("spec.loose.known.typo", UNKNOWN)]


def test_one_of_and_additional_properties(widgets: SchemaRegistry) -> None:
    assert widgets.validate(widget(choice={"a": "x"}, limits={"gpu": 1})) == []
    assert messages(widgets.validate(widget(choice={"a": "x", "b": "y"}, limits={"gpu": "1"}))) == [
        ("spec.choice", "must match exactly one of: set a or set b"),
        ("spec.limits.gpu", 'must be integer, got string "1"'),
    ]
    assert messages(widgets.validate(widget(choice={}))) == [
        ("spec.choice", "must be set a or set b, got object")
    ]


def test_root_header_is_allowed_and_cel_is_skipped(widgets: SchemaRegistry) -> None:
    # v3's schema declares no apiVersion/kind/metadata, and its CEL rule (size > 0) would fail.
    assert widgets.validate(widget()) == []


def test_malformed_metadata_is_a_finding_not_a_crash(registry: SchemaRegistry) -> None:
    obj = machineautoscaler()
    obj["metadata"] = "gpu"
    assert registry.validate(obj) == [
        Finding("MachineAutoscaler", "?", "metadata", 'must be object, got string "gpu"')
    ]


def test_date_time_layouts_the_api_server_accepts(widgets: SchemaRegistry) -> None:
    for when in (
        "2026-01-02T03:04:05.123+01:00",
        "2026-01-02T03:04",
        "2026-01-02 03:04:05",
        "2026-01-02t03:04:05z",
    ):
        assert widgets.validate(widget(when=when)) == [], when
    assert messages(widgets.validate(widget(when="2026-13-02T03:04:05Z"))) == [
        ("spec.when", 'must be an RFC 3339 date-time, got string "2026-13-02T03:04:05Z"')
    ]


def test_unsupported_kubernetes_version_fails_at_load(crd_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"Kubernetes version 1\.2: schemas start at"):
        SchemaRegistry.from_directory(crd_dir, kubernetes_version="1.2")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
FUZZ_TARGETS = [
    ("machine.openshift.io/v1beta1", "MachineSet"),
    ("nvidia.com/v1", "ClusterPolicy"),
    ("autoscaling.openshift.io/v1", "ClusterAutoscaler"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("v1", "Namespace"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(FUZZ_TARGETS), spec=JSON_VALUES, metadata=JSON_VALUES)
def test_any_value_gives_findings_never_an_exception(
    registry: SchemaRegistry, target: tuple[str, str], spec: Any, metadata: Any
) -> None:
    obj = {"apiVersion": target[0], "kind": target[1], "metadata": metadata, "spec": spec, "rules": spec}
    findings = registry.validate(obj)
    assert all(isinstance(f, Finding) and f.kind == target[1] and f.message for f in findings)


def test_int_or_string_with_a_string_pattern(widgets: SchemaRegistry) -> None:
    assert widgets.validate(widget(surge=2)) == []
    assert widgets.validate(widget(surge="25%")) == []
    assert messages(widgets.validate(widget(surge="many"))) == [
        ("spec.surge", 'must match pattern ^[0-9]+%$, got string "many"')
    ]
    assert messages(widgets.validate(widget(surge=[1]))) == [
        ("spec.surge", "must be integer or string, got array")
    ]


def test_a_variants_subfolder_is_read_only_when_given(registry: SchemaRegistry, crd_dir: Path) -> None:
    # awslabs main requires only nodeMetricsImage; the released v1.2.0 schema requires three more.
    device_config = {
        "apiVersion": "k8s.aws/v1beta1",
        "kind": "DeviceConfig",
        "metadata": {"name": "neuron", "namespace": "aws-neuron-operator"},
        "spec": {"nodeMetricsImage": "public.ecr.aws/neuron/neuron-monitor:1.10.0"},
    }
    assert registry.validate(device_config) == []
    released = SchemaRegistry.from_directory(crd_dir / "variants" / "awslabs-v1.2.0")
    assert released.kinds == [("k8s.aws/v1beta1", "DeviceConfig")]
    assert sorted(f.path for f in released.validate(device_config)) == [
        "spec.customSchedulerImage",
        "spec.devicePluginImage",
        "spec.schedulerExtensionImage",
    ]
