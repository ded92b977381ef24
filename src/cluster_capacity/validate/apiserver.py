"""The API server's own rules on every rendered object, beyond what a schema says.

A CRD's schema rarely constrains ``metadata``, yet the API server refuses an object whose name,
namespace, label or annotation breaks its rules, and the machine controller refuses taints the core API
would. These checks use the rules and messages of ``cluster_capacity.apinames`` and report in kubectl's
words: ``metadata.name: Invalid value: "GPU": a lowercase RFC 1123 subdomain must ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cluster_capacity import apinames
from cluster_capacity.validate._checker import Path, format_path
from cluster_capacity.validate.findings import Finding

__all__ = ["check_api_rules"]

RULE = "api-server"

Add = Callable[[Path, str], None]

#: Counts the API server stores as given (the CRDs' ``format: int32`` is not enforced) but the machine
#: controllers decode into Go's int32: anything larger, or negative, breaks the object after the sync.
_INT32_FIELDS = {"MachineSet": ("replicas",), "MachineAutoscaler": ("minReplicas", "maxReplicas")}


def _invalid(value: object, message: str) -> str:
    return f"Invalid value: {apinames.quote(value)}: {message}"


def check_api_rules(objects: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """One finding per name, namespace, label, annotation, taint or instance type the server would refuse."""
    out: list[Finding] = []
    for obj in objects:
        subject = dict(obj)
        if not isinstance(subject.get("metadata"), dict):
            subject["metadata"] = {}

        def add(path: Path, message: str, subject: dict[str, Any] = subject) -> None:
            out.append(Finding.for_object(subject, format_path(path), message, rule=RULE))

        _check_object(obj, add)
    return out


def _check_object(obj: Mapping[str, Any], add: Add) -> None:
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return
    kind = str(obj.get("kind") or "")
    name = meta.get("name")
    if name in (None, ""):
        add(("metadata", "name"), "Required value: name or generateName is required")
    elif isinstance(name, str):
        for msg in apinames.name_check(kind)(name):
            add(("metadata", "name"), _invalid(name, msg))
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        _namespace(namespace, ("metadata", "namespace"), add)
    _walk(obj, (), add)
    _kind_rules(kind, obj, add)


def _namespace(value: object, path: Path, add: Add) -> None:
    if isinstance(value, str):
        for msg in apinames.dns1123_label(value):
            add(path, _invalid(value, msg))


def _walk(node: Any, path: Path, add: Add) -> None:
    """Label maps (any ``metadata.labels``, ``matchLabels``), annotations and taints, wherever they are."""
    if isinstance(node, Mapping):
        for key, child in node.items():
            here = (*path, str(key))
            if key == "metadata" and isinstance(child, Mapping):
                _label_map(child.get("labels"), (*here, "labels"), apinames.label_map, add)
                _label_map(child.get("annotations"), (*here, "annotations"), apinames.annotation_map, add)
            elif key == "matchLabels":
                _label_map(child, here, apinames.label_map, add)
            elif key == "taints" and isinstance(child, list):
                for i, taint in enumerate(child):
                    if isinstance(taint, Mapping):
                        for field, _, value, msg in apinames.taint(
                            taint.get("key"), taint.get("value"), taint.get("effect")
                        ):
                            prefix = "Unsupported value" if field == "effect" else "Invalid value"
                            add((*here, i, field), f"{prefix}: {apinames.quote(value)}: {msg}")
            if isinstance(child, Mapping | list):
                _walk(child, here, add)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _walk(child, (*path, i), add)


def _label_map(found: object, path: Path, check: Callable[..., list[apinames.Issue]], add: Add) -> None:
    if not isinstance(found, Mapping):
        return
    for key, part, value, msg in check(found):
        if part == "size":
            add(path, msg)
        else:
            add((*path, key), _invalid(value, msg))


def _kind_rules(kind: str, obj: Mapping[str, Any], add: Add) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        spec = {}
    if kind == "OperatorGroup" and isinstance(spec.get("targetNamespaces"), list):
        for i, ns in enumerate(spec["targetNamespaces"]):
            _namespace(ns, ("spec", "targetNamespaces", i), add)
    elif kind in ("RoleBinding", "ClusterRoleBinding") and isinstance(obj.get("subjects"), list):
        for i, subject in enumerate(obj["subjects"]):
            if isinstance(subject, Mapping) and subject.get("kind") == "ServiceAccount":
                _namespace(subject.get("namespace"), ("subjects", i, "namespace"), add)
                sa = subject.get("name")
                if isinstance(sa, str):
                    for msg in apinames.dns1123_subdomain(sa):
                        add(("subjects", i, "name"), _invalid(sa, msg))
    elif kind == "Application":
        dest = spec.get("destination")
        if isinstance(dest, Mapping) and dest.get("namespace"):
            _namespace(dest.get("namespace"), ("spec", "destination", "namespace"), add)
    for field in _INT32_FIELDS.get(kind, ()):
        value = spec.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            for msg in apinames.int_range(value, 0, apinames.INT32_MAX):
                add(("spec", field), _invalid(value, f"{msg} (the controller reads an int32)"))
    if kind == "MachineSet":
        value_path: Path = ("spec", "template", "spec", "providerSpec", "value")
        node: Any = obj
        for part in value_path:
            node = node.get(part) if isinstance(node, Mapping) else None
        it = node.get("instanceType") if isinstance(node, Mapping) else None
        if isinstance(it, str) and it != it.lower():
            add(
                (*value_path, "instanceType"),
                _invalid(it, f"EC2 instance types are lower case ({it.lower()}); AWS refuses any other"),
            )
