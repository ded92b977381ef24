"""CRD schemas read from a folder, and validation of rendered objects against them.

Loading only indexes the folder: each file is read, but the ``openAPIV3Schema`` blocks (nearly all of
the 2.6 MB) are cut out of the text before parsing. A version's schema is parsed and compiled the first
time an object of that kind is validated, then reused, so an env that renders no ApplicationSet never
pays for its 1.4 MB CRD.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cluster_capacity.errors import ConfigError, Problem
from cluster_capacity.validate import core
from cluster_capacity.validate._checker import Issue, Node, did_you_mean
from cluster_capacity.validate._compiler import Compiler
from cluster_capacity.validate._crdcache import cached_documents
from cluster_capacity.validate.findings import Finding

__all__ = ["ENV_VAR", "SchemaRegistry", "validate_all"]

ENV_VAR = "CLUSTER_CAPACITY_CRDS"
_CRD_API_VERSION = "apiextensions.k8s.io/v1"
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCHEMA_KEY = re.compile(r"^([ \t]*)openAPIV3Schema:[ \t]*\r?$", re.MULTILINE)


@dataclass
class _Version:
    name: str
    served: bool
    deprecated: bool
    warning: str
    node: Node | None = None


@dataclass
class _Crd:
    file: Path
    document: int
    group: str
    kind: str
    versions: dict[str, _Version] = field(default_factory=dict)


def _problem(path: Path, message: str, line: int = 0) -> ConfigError:
    return ConfigError([Problem(str(path), line, "", message)])


def _strip_schemas(text: str) -> str:
    """The text without the lines below each ``openAPIV3Schema:`` key (its value becomes null)."""
    pieces: list[str] = []
    start = 0
    while True:
        match = _SCHEMA_KEY.search(text, start)
        if match is None:
            pieces.append(text[start:])
            return "".join(pieces)
        pieces.append(text[start : match.end()])
        # The block ends at the next line that is neither blank, nor a comment, nor indented deeper.
        indent = len(match.group(1))
        end = re.compile(r"\n(?=[ \t]{0," + str(indent) + r"}[^ \t\r\n#])").search(text, match.end())
        start = end.start() if end else len(text)


def _load_documents(path: Path, text: str) -> list[Any]:
    try:
        return [doc for doc in yaml.load_all(text, Loader=_SafeLoader) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _problem(path, f"invalid YAML: {reason}", line) from exc


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _problem(path, f"cannot read CRD file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise _problem(path, "cannot read CRD file: not UTF-8 text") from exc


def _index(path: Path, doc: Any, number: int) -> _Crd:
    """The header of one CRD document (the schemas may be cut out); ConfigError if it is not a CRD."""
    where = f" (document {number + 1})" if number else ""
    if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
        raise _problem(path, f"not a CustomResourceDefinition{where}")
    if doc.get("apiVersion") != _CRD_API_VERSION:
        raise _problem(
            path, f"CustomResourceDefinition{where} must be {_CRD_API_VERSION}, got {doc.get('apiVersion')}"
        )
    spec = doc.get("spec")
    names = spec.get("names") if isinstance(spec, dict) else None
    versions = spec.get("versions") if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(names, dict) or not isinstance(versions, list):
        raise _problem(path, f"CustomResourceDefinition{where} lacks spec.group, spec.names or spec.versions")
    group, kind = spec.get("group"), names.get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        raise _problem(path, f"CustomResourceDefinition{where} lacks spec.group or spec.names.kind")
    crd = _Crd(path, number, group, kind)
    for entry in versions:
        name = entry.get("name") if isinstance(entry, dict) else None
        schema = entry.get("schema") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(schema, dict) or "openAPIV3Schema" not in schema:
            raise _problem(path, f"{kind}: every spec.versions entry needs a name and schema.openAPIV3Schema")
        crd.versions[name] = _Version(
            name=name,
            served=entry.get("served") is True,
            deprecated=entry.get("deprecated") is True,
            warning=str(entry.get("deprecationWarning") or ""),
        )
    return crd


class SchemaRegistry:
    """The CRD schemas of one folder, plus the built-in kinds; ``validate`` checks one object."""

    def __init__(self, directory: Path, crds: dict[tuple[str, str], _Crd], kubernetes_version: str) -> None:
        self.directory = directory
        self.kubernetes_version = kubernetes_version
        self._crds = crds
        self._documents: dict[Path, list[Any]] = {}

    @classmethod
    def from_directory(
        cls, path: str | Path, *, kubernetes_version: str = core.DEFAULT_KUBERNETES_VERSION
    ) -> SchemaRegistry:
        """Index every ``*.yaml`` CRD directly in ``path`` (not its subfolders)."""
        directory = Path(path)
        if not directory.is_dir():
            raise _problem(directory, "CRD folder not found" if not directory.exists() else "not a folder")
        crds: dict[tuple[str, str], _Crd] = {}
        for file in sorted(directory.glob("*.yaml")):
            text = _read(file)
            try:
                docs = _load_documents(file, _strip_schemas(text))
            except ConfigError:
                docs = _load_documents(file, text)  # reports the real line; or cutting was the problem
            if not docs:
                raise _problem(file, "no CustomResourceDefinition in file")
            for number, doc in enumerate(docs):
                crd = _index(file, doc, number)
                other = crds.get((crd.group, crd.kind))
                if other is not None:
                    raise _problem(file, f"{crd.kind} ({crd.group}) is already defined in {other.file.name}")
                crds[(crd.group, crd.kind)] = crd
        if not crds:
            raise _problem(directory, "no CRD files (*.yaml) in folder")
        core.check_kubernetes_version(kubernetes_version)
        return cls(directory, crds, kubernetes_version)

    @classmethod
    def from_env_or(cls, path: str | Path | None) -> SchemaRegistry:
        """The registry for ``--crds PATH`` if given, else for ``$CLUSTER_CAPACITY_CRDS``."""
        chosen = path if path not in (None, "") else os.environ.get(ENV_VAR, "")
        if not chosen:
            raise ConfigError(
                f"no CRD folder: pass --crds DIR or set {ENV_VAR}=DIR (a folder of CRD YAML files, "
                "such as ../shared/crds)"
            )
        return cls.from_directory(chosen)

    @property
    def kinds(self) -> list[tuple[str, str]]:
        """``(apiVersion, kind)`` for every served CRD version, sorted."""
        return sorted(
            (f"{c.group}/{v.name}", c.kind)
            for c in self._crds.values()
            for v in c.versions.values()
            if v.served
        )

    def validate(self, obj: Mapping[str, Any]) -> list[Finding]:
        """Every schema problem with one manifest: CRD kinds against the folder, built-in kinds via core."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
            missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj.get(k)]
            return core.findings_for(obj, [((k,), "required field missing") for k in missing])
        group, _, version = api_version.rpartition("/")
        crd = self._crds.get((group, kind))
        if crd is None:
            found = core.validate_core(obj, self.kubernetes_version)
            if found is not None:
                return found
            return core.findings_for(obj, [((), self._unknown_kind(group, api_version, kind))])
        served = crd.versions.get(version)
        if served is None or not served.served:
            names = ", ".join(f"{group}/{v.name}" for v in crd.versions.values() if v.served) or "none"
            return core.findings_for(
                obj, [(("apiVersion",), f"{kind} is not served at {api_version} (served: {names})")]
            )
        findings: list[Finding] = []
        if served.deprecated:
            note = served.warning or f"{api_version} {kind} is deprecated"
            findings += [
                dataclasses.replace(f, severity="warning")
                for f in core.findings_for(obj, [(("apiVersion",), note)])
            ]
        issues: list[Issue] = []
        self._node(crd, served).check(obj, (), issues)
        findings += core.findings_for(obj, issues)
        return findings

    def _unknown_kind(self, group: str, api_version: str, kind: str) -> str:
        message = (
            f"no schema is known for {api_version} {kind} (no CRD in {self.directory}, not a built-in kind)"
        )
        in_group = sorted(k for g, k in self._crds if g == group)
        guess = did_you_mean(kind, in_group) if in_group else None
        return f"{message}; did you mean {guess}?" if guess else message

    def _node(self, crd: _Crd, version: _Version) -> Node:
        if version.node is None:
            docs = self._documents.get(crd.file)
            if docs is None:
                file = crd.file
                docs = cached_documents(file, lambda: _load_documents(file, _read(file)))
                self._documents[file] = docs
            doc = docs[crd.document] if crd.document < len(docs) else None
            schema = _find_schema(doc, version.name)
            if schema is None:
                raise _problem(
                    crd.file, f"{crd.kind} {version.name}: schema.openAPIV3Schema is not a mapping"
                )
            version.node = Compiler("crd").compile_root(schema)
        return version.node


def _find_schema(doc: Any, version: str) -> Mapping[str, Any] | None:
    try:
        for entry in doc["spec"]["versions"]:
            if entry["name"] == version:
                schema = entry["schema"]["openAPIV3Schema"]
                return schema if isinstance(schema, Mapping) else None
    except (KeyError, TypeError):
        return None
    return None


def validate_all(objs: Iterable[Mapping[str, Any]], registry: SchemaRegistry) -> list[Finding]:
    """The findings for every object, in input order (and schema-walk order within one object)."""
    findings: list[Finding] = []
    for obj in objs:
        findings.extend(registry.validate(obj))
    return findings
