"""Built-in Kubernetes kinds (Namespace, RBAC, ConfigMap, ServiceAccount, Pod, ...), checked offline.

The schemas are the strict JSON Schemas bundled with the maintained ``kubernetes-validate`` package
(strict: ``additionalProperties: false``, so unknown fields are reported). Its own ``validate()`` reads
and parses the 1.8 MB definitions file on every call (about 20 ms) and stops at the first error, so we
load each bundle once, compile each kind once with the same checker as the CRDs, and report every
problem. Nothing here touches the network: the files ship inside the package.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cluster_capacity.errors import ConfigError
from cluster_capacity.validate._checker import Issue, Node, format_path
from cluster_capacity.validate._compiler import Compiler
from cluster_capacity.validate.findings import Finding

__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "bundled_versions",
    "check_kubernetes_version",
    "findings_for",
    "has_schema",
    "validate_core",
]

# OpenShift 4.19 (the oldest release this project supports) ships Kubernetes 1.32. A field added to a
# built-in kind after that would be dropped by such a cluster, so validate against 1.32 by default.
DEFAULT_KUBERNETES_VERSION = "1.32"

_API_VERSION_FILE_PART = re.compile(r"^([^./]*)(?:\.[^/]*)?/")
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")


@functools.cache
def _schema_root() -> Path:
    # find_spec locates the package without importing it: its __init__ pulls in jsonschema and
    # referencing (about 100 ms) for nothing we use.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("kubernetes-validate is not installed: pip install kubernetes-validate")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


def _minor(version: str) -> tuple[int, int]:
    match = re.match(r"^v?(\d+)\.(\d+)", version)
    if not match:
        raise ConfigError(f"Kubernetes version {version!r}: expected MAJOR.MINOR, such as 1.32")
    return int(match.group(1)), int(match.group(2))


def bundled_versions() -> list[tuple[int, int]]:
    """The Kubernetes minor versions whose strict schemas ``kubernetes-validate`` ships, oldest first."""
    found = []
    for entry in _schema_root().iterdir():
        match = _VERSION_DIR.match(entry.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return sorted(found)


class _Bundle:
    """One Kubernetes version's schemas: definitions parsed once, each kind compiled once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._defs: dict[str, Any] | None = None
        self._compiler = Compiler("json", self._resolve)
        self._nodes: dict[tuple[str, str], Node | None] = {}

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        if self._defs is None:
            text = (self.folder / "_definitions.json").read_text(encoding="utf-8")
            self._defs = json.loads(text)["$defs"]
        name = ref.rsplit("/", 1)[-1]
        target = self._defs.get(name)
        return target if isinstance(target, Mapping) else {}

    def node(self, api_version: str, kind: str) -> Node | None:
        key = (api_version, kind)
        if key not in self._nodes:
            self._nodes[key] = self._load(api_version, kind)
        return self._nodes[key]

    def _load(self, api_version: str, kind: str) -> Node | None:
        part = _API_VERSION_FILE_PART.sub(r"\1-", api_version)
        entry = self.folder / f"{kind.lower()}-{part}.json"
        if not kind or "/" in kind or not entry.is_file():
            return None
        schema = json.loads(entry.read_text(encoding="utf-8"))
        group, _, version = api_version.rpartition("/")
        # The file name drops the group's domain (rbac.authorization.k8s.io -> rbac), so make sure the
        # schema really is for this group: monitoring.coreos.com/v1 must not match a built-in "monitoring".
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if not any(
            g.get("group") == group and g.get("version") == version and g.get("kind") == kind for g in gvks
        ):
            return None
        return self._compiler.compile_root(schema)


@functools.cache
def _bundle(kubernetes_version: str) -> _Bundle:
    wanted = _minor(kubernetes_version)
    available = [v for v in bundled_versions() if v <= wanted]
    if not available:
        oldest = ".".join(map(str, bundled_versions()[0]))
        raise ConfigError(f"Kubernetes version {kubernetes_version}: schemas start at {oldest}")
    major, minor = available[-1]
    return _Bundle(_schema_root() / f"v{major}.{minor}.0-local-strict")


def check_kubernetes_version(kubernetes_version: str) -> None:
    """ConfigError unless schemas for ``kubernetes_version`` (MAJOR.MINOR) are bundled."""
    _bundle(kubernetes_version)


def has_schema(api_version: str, kind: str, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> bool:
    """Whether ``kind`` at ``api_version`` is a built-in kind with a bundled schema."""
    return _bundle(kubernetes_version).node(api_version, kind) is not None


def validate_core(
    obj: Mapping[str, Any], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
) -> list[Finding] | None:
    """Findings for a built-in kind, or None when ``kubernetes-validate`` has no schema for it."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    node = _bundle(kubernetes_version).node(api_version, kind)
    if node is None:
        return None
    issues: list[Issue] = []
    node.check(obj, (), issues)
    return findings_for(obj, issues)


def findings_for(obj: Mapping[str, Any], issues: list[Issue]) -> list[Finding]:
    """``Finding``s for ``obj`` from checker issues; a malformed ``metadata`` still names the object."""
    subject = dict(obj)
    if not isinstance(subject.get("metadata"), dict):
        subject["metadata"] = {}
    return [Finding.for_object(subject, format_path(path), message) for path, message in issues]
