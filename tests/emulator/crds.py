"""Custom resources as the API server treats them, from the real CRDs in ``../shared/crds``.

On every client write of a kind whose CRD is in the folder: unknown fields are pruned (and reported
for ``fieldValidation=Strict``), defaults from the schema are filled in, and what is left is validated
(the project's own schema checker); a failure is a 422 ``Invalid`` with one cause per field. The
CRD's ``additionalPrinterColumns`` give ``kubectl get`` its table columns.

The folder is ``$CLUSTER_CAPACITY_CRDS``, else ``../shared/crds`` beside the checkout; without one,
custom resources are stored as sent. Seeding (``KubeEmulator.add``) is never checked: it plays what
the cluster already holds.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .faults import HttpError, invalid
from .resources import ResourceType

Obj = dict[str, Any]
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def default_folder() -> Path | None:
    """``$CLUSTER_CAPACITY_CRDS``, else ``../shared/crds`` next to the repository, if it exists."""
    chosen = os.environ.get("CLUSTER_CAPACITY_CRDS")
    folder = Path(chosen) if chosen else Path(__file__).resolve().parents[3] / "shared" / "crds"
    return folder if folder.is_dir() else None


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a CRD: its schema and printer columns."""

    group: str
    kind: str
    version: str
    schema: Obj
    printer_columns: tuple[Obj, ...]


@functools.lru_cache(maxsize=64)
def _documents(path: str, mtime: float) -> list[Any]:
    with open(path, encoding="utf-8") as handle:
        return [d for d in yaml.load_all(handle, Loader=_Loader) if isinstance(d, dict)]


@functools.lru_cache(maxsize=8)
def _registry(folder: str) -> Any:
    from cluster_capacity.validate.schemas import SchemaRegistry

    return SchemaRegistry.from_directory(folder)


class Crds:
    """The CRDs of one folder, read the first time a kind is asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def version(self, rtype: ResourceType) -> CrdVersion | None:
        """The CRD version serving ``rtype``, or None (a built-in kind, or no CRD file for it)."""
        if rtype.builtin:
            return None
        path = self.folder / f"{rtype.group}_{rtype.plural}.yaml"
        if not path.is_file():
            return None
        for doc in _documents(str(path), path.stat().st_mtime):
            spec = doc.get("spec") or {}
            if spec.get("group") != rtype.group or (spec.get("names") or {}).get("kind") != rtype.kind:
                continue
            for entry in spec.get("versions") or []:
                if entry.get("name") == rtype.version:
                    schema = ((entry.get("schema") or {}).get("openAPIV3Schema")) or {}
                    columns = tuple(entry.get("additionalPrinterColumns") or ())
                    return CrdVersion(rtype.group, rtype.kind, rtype.version, schema, columns)
        return None

    def admit(
        self, rtype: ResourceType, obj: Obj, field_validation: str, old: Obj | None = None
    ) -> tuple[Obj, list[str]]:
        """Prune, default and validate one object; returns it and the warnings to send.

        Unknown fields: ``Strict`` is a 400, ``Warn`` (what kubectl asks for by default) a warning
        each, ``Ignore`` silence; they are dropped either way. On an update, a field that fails but
        did not change is let through (validation ratcheting, on by default since 1.30).
        """
        crd = self.version(rtype)
        if crd is None:
            return obj, []
        unknown: list[str] = []
        pruned = prune(obj, crd.schema, (), unknown, root=True)
        if unknown and field_validation == "Strict":
            fields = ", ".join(f'unknown field "{u}"' for u in unknown)
            raise HttpError(400, f"strict decoding error: {fields}")
        warnings = [f'unknown field "{u}"' for u in unknown] if field_validation != "Ignore" else []
        defaulted = apply_defaults(pruned, crd.schema)
        causes = self._causes(defaulted)
        if old is not None:
            causes = [c for c in causes if _at(old, c["field"]) != _at(defaulted, c["field"])]
        if causes:
            name = (defaulted.get("metadata") or {}).get("name", "")
            raise invalid(rtype.group, rtype.kind, name, causes)
        return defaulted, warnings

    def _causes(self, obj: Obj) -> list[Obj]:
        causes: list[Obj] = []
        for finding in _registry(str(self.folder)).validate(obj):
            if finding.severity != "error" or finding.message.startswith("unknown field"):
                continue
            value = _at(obj, finding.path)
            if finding.message == "required field missing":
                causes.append({"reason": "FieldValueRequired", "message": "Required value"})
            elif finding.message.startswith("must be one of"):
                causes.append(
                    {
                        "reason": "FieldValueNotSupported",
                        "message": f"Unsupported value: {json.dumps(value)}: {finding.message}",
                    }
                )
            else:
                causes.append(
                    {
                        "reason": "FieldValueInvalid",
                        "message": f"Invalid value: {json.dumps(value)}: {finding.message}",
                    }
                )
            causes[-1]["field"] = finding.path
        return causes


def prune(value: Any, schema: Obj, path: tuple[str, ...], unknown: list[str], *, root: bool = False) -> Any:
    """``value`` without the fields ``schema`` does not declare (``x-kubernetes-preserve-unknown-fields``
    and ``additionalProperties`` keep theirs); the dropped fields' paths are added to ``unknown``."""
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [prune(v, items, (*path, f"[{i}]"), unknown) for i, v in enumerate(value)]
        return copy.deepcopy(value)
    if not isinstance(value, dict):
        return copy.deepcopy(value)
    props: Obj = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    embedded = root or bool(schema.get("x-kubernetes-embedded-resource"))
    out: Obj = {}
    for key, child in value.items():
        if embedded and key in _ROOT_KEEP:
            out[key] = copy.deepcopy(child)
        elif key in props:
            out[key] = prune(child, props[key], (*path, key), unknown)
        elif isinstance(extra, dict):
            out[key] = prune(child, extra, (*path, key), unknown)
        elif extra is True or preserve or (not props and extra is None and not schema.get("type")):
            out[key] = copy.deepcopy(child)
        else:
            unknown.append(_dotted((*path, key)))
    return out


def apply_defaults(value: Any, schema: Obj) -> Any:
    """Fill in each absent property that has a ``default``, at every level present in ``value``."""
    if isinstance(value, list):
        items = schema.get("items")
        return [apply_defaults(v, items) for v in value] if isinstance(items, dict) else value
    if not isinstance(value, dict):
        return value
    props: Obj = schema.get("properties") or {}
    for key, child_schema in props.items():
        if key not in value and "default" in child_schema:
            value[key] = copy.deepcopy(child_schema["default"])
        if key in value:
            value[key] = apply_defaults(value[key], child_schema)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key in [k for k in value if k not in props]:
            value[key] = apply_defaults(value[key], extra)
    return value


def _dotted(path: tuple[str, ...]) -> str:
    return "".join(p if p.startswith("[") else (f".{p}" if i else p) for i, p in enumerate(path))


def _at(obj: Any, dotted: str) -> Any:
    node = obj
    for part in dotted.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            node = node[int(part[1:-1])] if isinstance(node, list) and int(part[1:-1]) < len(node) else None
        else:
            node = node.get(part.strip('["]')) if isinstance(node, dict) else None
    return node
