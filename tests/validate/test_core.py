"""Built-in kinds, checked with the schemas kubernetes-validate ships; cross-checked against the library."""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from cluster_capacity.errors import ConfigError
from cluster_capacity.validate import core
from cluster_capacity.validate.core import DEFAULT_KUBERNETES_VERSION, has_schema, validate_core

UNKNOWN = "unknown field (the API server would drop it)"
META = {"name": "cluster-capacity", "labels": {"app.kubernetes.io/managed-by": "cluster-capacity"}}
NS_META = {**META, "namespace": "openshift-gitops"}
RULE = {"apiGroups": ["nvidia.com"], "resources": ["clusterpolicies"], "verbs": ["get", "list", "watch"]}
SUBJECT = {
    "kind": "ServiceAccount",
    "name": "openshift-gitops-argocd-application-controller",
    "namespace": "x",
}
ROLE_REF = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-capacity"}

VALID: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {**META, "annotations": {"a": "b"}}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": NS_META, "data": {"dashboard.json": "{}"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": NS_META},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": META, "rules": [RULE]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": NS_META, "rules": [RULE]},
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": META,
        "roleRef": ROLE_REF,
        "subjects": [SUBJECT],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": NS_META,
        "roleRef": ROLE_REF,
        "subjects": [SUBJECT],
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": NS_META,
        "spec": {
            "restartPolicy": "Never",
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [
                {
                    "name": "cuda",
                    "image": "nvcr.io/nvidia/cuda:12.4.1-base-ubi9",
                    "command": ["nvidia-smi"],
                    "resources": {"limits": {"nvidia.com/gpu": 1, "memory": "1Gi", "cpu": 0.5}},
                    "livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                }
            ],
        },
    },
]


def library_error_path(obj: dict[str, Any]) -> str | None:
    """The path of the first error kubernetes-validate itself reports, or None when it accepts obj."""
    try:
        kubernetes_validate.validate(obj, DEFAULT_KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return ".".join(str(p) for p in exc.path)
    return None


def dotted(path: str) -> str:
    """Our ``a.b[0].c`` in the library's ``a.b.0.c`` form."""
    return path.replace("[", ".").replace("]", "")


@pytest.mark.parametrize("obj", VALID, ids=lambda o: o["kind"])
def test_valid_objects_pass_here_and_in_the_library(obj: dict[str, Any]) -> None:
    assert validate_core(obj) == []
    assert library_error_path(obj) is None


def _bad(kind: str, change: Any) -> dict[str, Any]:
    obj = copy.deepcopy(next(o for o in VALID if o["kind"] == kind))
    change(obj)
    return obj


BAD: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    (
        _bad("Namespace", lambda o: o["metadata"].update(labelz={})),
        [("metadata.labelz", f"{UNKNOWN}; did you mean labels?")],
    ),
    (
        _bad("ConfigMap", lambda o: o["data"].update(replicas=3)),
        [("data.replicas", "must be string, got integer 3")],
    ),
    (
        _bad("ClusterRole", lambda o: o["rules"].append({"apiGroup": [""], "verbs": "get"})),
        [
            ("rules[1].apiGroup", f"{UNKNOWN}; did you mean apiGroups?"),
            ("rules[1].verbs", 'must be array, got string "get"'),
        ],
    ),
    (
        _bad("ClusterRoleBinding", lambda o: o.pop("roleRef")),
        [("roleRef", "required field missing")],
    ),
    (
        _bad("RoleBinding", lambda o: o["subjects"][0].pop("name")),
        [("subjects[0].name", "required field missing")],
    ),
    (
        _bad("Pod", lambda o: o["spec"]["containers"][0]["livenessProbe"]["httpGet"].update(port=True)),
        [("spec.containers[0].livenessProbe.httpGet.port", "must be string or integer, got boolean true")],
    ),
    (
        _bad("ServiceAccount", lambda o: o.update(kind="ServiceAccount", apiVersion="v1", secrets={})),
        [("secrets", "must be array, got object")],
    ),
]


@pytest.mark.parametrize(("obj", "expected"), BAD, ids=lambda x: x["kind"] if isinstance(x, dict) else "")
def test_bad_objects_findings_agree_with_the_library(
    obj: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    findings = validate_core(obj)
    assert findings is not None
    assert [(f.path, f.message) for f in findings] == expected
    assert {f.kind for f in findings} == {obj["kind"]}
    # The library stops at its first error; it must be one we report, at the same place.
    first = library_error_path(obj)
    assert first is not None
    # jsonschema reports a missing required field at its parent.
    places = {dotted(f.path) for f in findings}
    assert first in places | {p.rsplit(".", 1)[0] if "." in p else "" for p in places}


def test_list_type_markers_of_builtin_kinds_are_not_validation() -> None:
    # finalizers is x-kubernetes-list-type: set, which only guides server-side apply for built-in kinds.
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "finalizers": ["a", "a"]}}
    assert validate_core(ns) == []


def test_finding_names_namespace_and_object() -> None:
    (finding,) = validate_core(_bad("RoleBinding", lambda o: o["subjects"][0].pop("name"))) or []
    assert (
        str(finding)
        == "RoleBinding openshift-gitops/cluster-capacity: subjects[0].name: required field missing"
    )


def test_kinds_without_a_builtin_schema() -> None:
    assert has_schema("apps/v1", "Deployment")
    assert not has_schema("v1", "Widget")
    # File name lookup drops the group's domain; the group must still match exactly.
    assert not has_schema("monitoring.coreos.com/v1", "ServiceMonitor")
    assert not has_schema("v1", "namespace")
    assert (
        validate_core({"apiVersion": "example.com/v1", "kind": "Namespace", "metadata": {"name": "x"}})
        is None
    )
    assert validate_core({"kind": "Namespace"}) is None


def test_works_offline_and_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    core._bundle.cache_clear()
    core._schema_root.cache_clear()

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    reads: list[str] = []
    real_read = Path.read_text

    def counting_read(self: Path, *args: Any, **kwargs: Any) -> str:
        reads.append(self.name)
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read)
    pod = next(o for o in VALID if o["kind"] == "Pod")
    assert validate_core(pod) == []
    assert sorted(reads) == ["_definitions.json", "pod-v1.json"]
    assert validate_core(pod) == []
    assert len(reads) == 2
    # The library itself is offline too.
    assert library_error_path(pod) is None


def test_kubernetes_version_choice() -> None:
    newest = core.bundled_versions()[-1]
    ns = VALID[0]
    assert validate_core(ns, f"{newest[0]}.{newest[1] + 5}") == []
    with pytest.raises(ConfigError, match="schemas start at"):
        validate_core(ns, "1.10")
    with pytest.raises(ConfigError, match=r"expected MAJOR\.MINOR"):
        validate_core(ns, "latest")
