"""``/openapi/v3``: enough of the published OpenAPI for kubectl.

kubectl reads it before ``apply``, ``create`` and ``patch`` to learn whether the server takes
``fieldValidation`` (and ``dryRun``) on a kind: it looks for the PATCH operation whose
``x-kubernetes-group-version-kind`` is the kind, and for the parameter in its list. So every served
kind gets its paths and operations; the schemas of custom resources are the CRDs' own (what
``kubectl explain`` reads). Built-in kinds publish no schema here: kubectl then computes strategic
merge patches from the Go types compiled into it, which carry the same merge keys.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .crds import Crds
from .faults import PageNotFound
from .resources import ResourceType

Obj = dict[str, Any]
Types = dict[tuple[str, str, str], ResourceType]

_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def openapi(types: Types, crds: Crds | None, path: str, git_version: str) -> Obj:
    """The answer to ``/openapi/v3`` (the index) or ``/openapi/v3/api/v1``, ``/openapi/v3/apis/G/V``."""
    versions = sorted({(g, v) for g, v, _ in types})
    rest = path.removeprefix("/openapi/v3").strip("/")
    if not rest:
        return {
            "paths": {
                _gv_path(g, v): {
                    "serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash={_hash(types, g, v)}"
                }
                for g, v in versions
            }
        }
    for group, version in versions:
        if rest == _gv_path(group, version):
            return _document(types, crds, group, version, git_version)
    raise PageNotFound()


def _hash(types: Types, group: str, version: str) -> str:
    names = sorted(t.plural for (g, v, _), t in types.items() if (g, v) == (group, version))
    return hashlib.sha512(json.dumps([group, version, names]).encode()).hexdigest()[:128].upper()


def _document(types: Types, crds: Crds | None, group: str, version: str, git_version: str) -> Obj:
    paths: Obj = {}
    schemas: Obj = {}
    for (g, v, _), rtype in sorted(types.items()):
        if (g, v) != (group, version):
            continue
        gvk = {"group": group, "version": version, "kind": rtype.kind}
        base = "/" + _gv_path(group, version)
        scope = f"{base}/namespaces/{{namespace}}" if rtype.namespaced else base
        collection, item = f"{scope}/{rtype.plural}", f"{scope}/{rtype.plural}/{{name}}"
        ref = _schema_name(rtype)
        paths[collection] = {
            "get": _operation("list", rtype, gvk, ()),
            "post": _operation("create", rtype, gvk, _WRITE_PARAMS, ref),
        }
        paths[item] = {
            "get": _operation("read", rtype, gvk, ()),
            "put": _operation("replace", rtype, gvk, _WRITE_PARAMS, ref),
            "patch": _operation("patch", rtype, gvk, (*_WRITE_PARAMS, "force")),
            "delete": _operation("delete", rtype, gvk, ("dryRun", "gracePeriodSeconds", "propagationPolicy")),
        }
        for sub in rtype.subresources:
            if sub != "log":
                paths[f"{item}/{sub}"] = {"patch": _operation(f"patch {sub}", rtype, gvk, _WRITE_PARAMS)}
        crd = crds.version(rtype) if crds is not None else None
        if crd is not None:
            schemas[ref] = {**crd.schema, "x-kubernetes-group-version-kind": [gvk]}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": git_version},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _schema_name(rtype: ResourceType) -> str:
    reversed_group = ".".join(reversed(rtype.group.split("."))) if rtype.group else "io.k8s.api.core"
    return f"{reversed_group}.{rtype.version}.{rtype.kind}"


def _operation(action: str, rtype: ResourceType, gvk: Obj, params: tuple[str, ...], ref: str = "") -> Obj:
    operation: Obj = {
        "description": f"{action} {rtype.kind}",
        "operationId": f"{action.replace(' ', '_')}{rtype.kind}",
        "parameters": [
            {
                "name": name,
                "in": "query",
                "description": name,
                "schema": {"type": "string", "uniqueItems": True},
            }
            for name in params
        ],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action.split()[0],
        "x-kubernetes-group-version-kind": gvk,
    }
    if ref:
        operation["requestBody"] = {
            "content": {"*/*": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
            "required": True,
        }
    return operation


#: What kubectl before 1.27 asks ``/openapi/v2`` for (gnostic's ``openapi_v2.Document``).
PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
#: What kube-openapi's handler labels the answer with (Go's mime parser refuses the ``@``).
PROTOBUF_V2_ANSWER = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def openapi_v2_protobuf(types: Types, git_version: str) -> bytes:
    """``/openapi/v2`` as protobuf: every kind's paths, each PATCH with its GVK and ``dryRun``.

    Old kubectl reads it to learn whether a kind takes ``dryRun`` (``--dry-run=server``, ``diff``);
    it publishes no definitions, so kubectl computes strategic merge patches from its Go types.
    """
    named_paths = b""
    for (group, version, _), rtype in sorted(types.items()):
        gvk = json.dumps({"group": group, "version": version, "kind": rtype.kind})
        extension = _msg(1, b"x-kubernetes-group-version-kind") + _msg(2, _msg(2, gvk.encode()))
        params = b"".join(
            _msg(
                8, _msg(1, _msg(2, _msg(3, _msg(2, b"query") + _msg(4, name.encode()) + _msg(6, b"string"))))
            )
            for name in (*_WRITE_PARAMS, "force")
        )
        base = "/" + _gv_path(group, version)
        scope = f"{base}/namespaces/{{namespace}}" if rtype.namespaced else base
        for path, verbs in (
            (f"{scope}/{rtype.plural}", (4,)),  # post
            (f"{scope}/{rtype.plural}/{{name}}", (3, 8)),  # put, patch
        ):
            item = b"".join(
                _msg(verb, _msg(5, f"{verb}{rtype.kind}".encode()) + params + _msg(13, extension))
                for verb in verbs
            )
            named_paths += _msg(2, _msg(1, path.encode()) + _msg(2, item))
    info = _msg(1, b"Kubernetes") + _msg(2, git_version.encode())
    return _msg(1, b"2.0") + _msg(2, info) + _msg(8, named_paths)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _msg(number: int, payload: bytes) -> bytes:
    """One length-delimited field (a string, bytes or an embedded message)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload
