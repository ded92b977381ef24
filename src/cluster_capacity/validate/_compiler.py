"""Compiles an OpenAPI / JSON schema into checker nodes, once per schema.

Two dialects:

- ``crd``: the OpenAPI v3 subset of CustomResourceDefinition ``openAPIV3Schema`` (structural schemas):
  ``nullable``, ``x-kubernetes-int-or-string``, ``x-kubernetes-preserve-unknown-fields``,
  ``x-kubernetes-embedded-resource``; an object's unknown keys are those not in ``properties``.
- ``json``: the JSON Schema shipped by ``kubernetes-validate`` (strict variant): ``$ref``, type lists
  with ``"null"``, ``additionalProperties: false`` marks where unknown keys are reported.

``x-kubernetes-validations`` (CEL) cannot be evaluated here and is skipped; ``default`` is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from cluster_capacity.validate._checker import (
    ACCEPTS,
    FORMATS,
    ArrayNode,
    Issue,
    LooseObjectNode,
    Node,
    ObjectNode,
    Path,
    ScalarNode,
    describe,
    enum_text,
    is_array,
    is_number,
    is_object,
    is_string,
)

Dialect = Literal["crd", "json"]
Resolver = Callable[[str], Mapping[str, Any]]
Check = Callable[[Any, Path, list[Issue]], None]
_TYPE_KEYS = ("object", "array", "string", "integer", "number", "boolean")


# -- extra keyword checks (closures; run only where the schema has the keyword) --------------------


def _length_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) or isinstance(high, int):

        def length(value: Any, path: Path, out: list[Issue]) -> None:
            if not isinstance(value, str):
                return
            if isinstance(low, int) and len(value) < low:
                out.append(
                    (path, f"must be at least {low} characters long" if low > 1 else "must not be empty")
                )
            if isinstance(high, int) and len(value) > high:
                out.append((path, f"must be at most {high} characters long, got {len(value)}"))

        checks.append(length)
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error:
            compiled = None  # an RE2 construct Python lacks: better no check than a crash
        if compiled is not None:

            def matches(value: Any, path: Path, out: list[Issue]) -> None:
                if isinstance(value, str) and not compiled.search(value):
                    out.append((path, f"must match pattern {pattern}, got {describe(value)}"))

            checks.append(matches)
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in FORMATS:
        test, wanted = FORMATS[fmt]

        def formatted(value: Any, path: Path, out: list[Issue]) -> None:
            if isinstance(value, str) and not test(value):
                out.append((path, f"must be {wanted}, got {describe(value)}"))

        checks.append(formatted)
    return checks


def _bound_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    low, high = schema.get("minimum"), schema.get("maximum")
    low_ex, high_ex = schema.get("exclusiveMinimum") is True, schema.get("exclusiveMaximum") is True
    multiple = schema.get("multipleOf")
    if is_number(low) or is_number(high) or is_number(multiple):

        def bounds(value: Any, path: Path, out: list[Issue]) -> None:
            if not is_number(value):
                return
            if is_number(low) and (value <= low if low_ex else value < low):
                out.append((path, f"must be {'>' if low_ex else '>='} {low}, got {value}"))
            if is_number(high) and (value >= high if high_ex else value > high):
                out.append((path, f"must be {'<' if high_ex else '<='} {high}, got {value}"))
            if is_number(multiple) and multiple and abs(value / multiple - round(value / multiple)) > 1e-9:
                out.append((path, f"must be a multiple of {multiple}, got {value}"))

        checks.append(bounds)
    return checks


def _count_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for key, noun, sized in (("Items", "items", is_array), ("Properties", "fields", is_object)):
        low, high = schema.get(f"min{key}"), schema.get(f"max{key}")
        if not (isinstance(low, int) or isinstance(high, int)):
            continue

        def count(
            value: Any,
            path: Path,
            out: list[Issue],
            low: Any = low,
            high: Any = high,
            noun: str = noun,
            sized: Callable[[Any], bool] = sized,
        ) -> None:
            if not sized(value):
                return
            if isinstance(low, int) and len(value) < low:
                out.append((path, f"must have at least {low} {noun}, got {len(value)}"))
            if isinstance(high, int) and len(value) > high:
                out.append((path, f"must have at most {high} {noun}, got {len(value)}"))

        checks.append(count)
    return checks


def _unique_checks(schema: Mapping[str, Any], dialect: Dialect) -> list[Check]:
    """``uniqueItems``, and the duplicate checks the API server runs for CRD ``x-kubernetes-list-type``."""
    # On built-in kinds the list-type markers only guide server-side apply; validation is Go code there.
    list_type = schema.get("x-kubernetes-list-type") if dialect == "crd" else None
    keys = schema.get("x-kubernetes-list-map-keys")
    if schema.get("uniqueItems") is True or list_type == "set":

        def unique(value: Any, path: Path, out: list[Issue]) -> None:
            if not is_array(value):
                return
            seen: list[Any] = []
            for index, item in enumerate(value):
                if item in seen:
                    out.append(((*path, index), f"duplicate item {describe(item)}"))
                else:
                    seen.append(item)

        return [unique]
    if list_type == "map" and isinstance(keys, list) and keys:

        def unique_keys(value: Any, path: Path, out: list[Issue]) -> None:
            if not is_array(value):
                return
            seen: set[tuple[str, ...]] = set()
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                key = tuple(repr(item.get(k)) for k in keys)
                if key in seen:
                    shown = ", ".join(f"{k}={enum_text(item.get(k))}" for k in keys)
                    out.append(((*path, index), f"duplicate entry for {shown}"))
                seen.add(key)

        return [unique_keys]
    return []


def _type_only(branches: list[Any], covered_types: list[str]) -> bool:
    return len(covered_types) > 1 and all(
        isinstance(b, Mapping) and set(b) == {"type"} and b["type"] in covered_types for b in branches
    )


def _combinator_checks(
    schema: Mapping[str, Any], compile_branch: Callable[[Mapping[str, Any]], Node], covered_types: list[str]
) -> list[Check]:
    checks: list[Check] = []

    def errors(node: Node, value: Any) -> list[Issue]:
        found: list[Issue] = []
        node.check(value, (), found)
        return found

    for keyword in ("allOf", "anyOf", "oneOf"):
        branches = schema.get(keyword)
        if not isinstance(branches, list) or not branches:
            continue
        if keyword == "anyOf" and _type_only(branches, covered_types):
            continue  # x-kubernetes-int-or-string spelled out again: the node's type test covers it
        nodes = [compile_branch(b) for b in branches if isinstance(b, Mapping)]
        forms = _forms(branches)

        def combined(
            value: Any,
            path: Path,
            out: list[Issue],
            keyword: str = keyword,
            nodes: list[Node] = nodes,
            forms: str = forms,
        ) -> None:
            if value is None:
                return
            results = [errors(n, value) for n in nodes]
            passing = sum(1 for r in results if not r)
            if keyword == "allOf":
                for result in results:
                    out.extend(((*path, *p), m) for p, m in result)
            elif passing == 0:
                # One branch of the right type (int-or-string with a string pattern): its own words.
                typed = [r for n, r in zip(nodes, results, strict=True) if n.type_matches(value)]
                if len(typed) == 1:
                    out.extend(((*path, *p), m) for p, m in typed[0])
                else:
                    out.append((path, f"must be {forms}, got {describe(value)}"))
            elif keyword == "oneOf" and passing > 1:
                out.append((path, f"must match exactly one of: {forms}"))

        checks.append(combined)
    negated = schema.get("not")
    if isinstance(negated, Mapping):
        node = compile_branch(negated)

        def not_(value: Any, path: Path, out: list[Issue]) -> None:
            if value is not None and not errors(node, value):
                out.append((path, f"{describe(value)} is not allowed here"))

        checks.append(not_)
    return checks


def _forms(branches: list[Any]) -> str:
    """``integer or string`` when the branches differ by type only, else a generic phrase."""
    types: list[str] = []
    for branch in branches:
        if not isinstance(branch, Mapping):
            return "one of the allowed forms"
        kind = branch.get("type")
        if isinstance(kind, list):
            named = [k for k in kind if k != "null"]
            kind = named[0] if len(named) == 1 else None
        if isinstance(kind, str) and kind not in types:
            types.append(kind)
        elif not isinstance(kind, str):
            required = branch.get("required")
            if isinstance(required, list) and required:
                types.append("set " + "+".join(str(r) for r in required))
            else:
                return "one of the allowed forms"
    return " or ".join(types)


# -- compiler ---------------------------------------------------------------------------------------


class Compiler:
    """Builds node trees; ``$ref`` targets (json dialect) are compiled once and may be recursive."""

    def __init__(self, dialect: Dialect, resolve: Resolver | None = None) -> None:
        self.dialect = dialect
        self.resolve = resolve
        self._refs: dict[str, Node] = {}

    def compile_root(self, schema: Mapping[str, Any]) -> Node:
        """The node for a whole object: apiVersion, kind and metadata are always allowed at the top."""
        node = self.compile(schema)
        if isinstance(node, ObjectNode):
            _allow_resource_header(node, self.dialect)
        return node

    def compile(self, schema: Mapping[str, Any], *, value_only: bool = False) -> Node:
        ref = schema.get("$ref")
        if isinstance(ref, str) and self.resolve is not None:
            return self._compile_ref(ref)
        node = self._make(schema, value_only)
        self._fill(node, schema, value_only)
        return node

    def _compile_ref(self, ref: str) -> Node:
        key = ref.rsplit("#", 1)[-1]  # "/api/_definitions.json#/$defs/X" and "#/$defs/X" are one target
        cached = self._refs.get(key)
        if cached is not None:
            return cached
        assert self.resolve is not None
        target = self.resolve(ref)
        node = self._make(target, False)
        self._refs[key] = node  # registered before filling, so a recursive $ref finds it
        self._fill(node, target, False)
        return node

    def _types(self, schema: Mapping[str, Any]) -> tuple[list[str], bool]:
        """The declared types and whether null is allowed."""
        declared = schema.get("type")
        types = (
            [declared] if isinstance(declared, str) else list(declared) if isinstance(declared, list) else []
        )
        nullable = schema.get("nullable") is True or "null" in types
        types = [t for t in types if t in _TYPE_KEYS]
        if schema.get("x-kubernetes-int-or-string") is True:
            types = ["integer", "string"]
        return types, nullable

    def _make(self, schema: Mapping[str, Any], value_only: bool) -> Node:
        types, _ = self._types(schema)
        node: Node
        if len(types) > 1:
            label = " or ".join(types)
            tests = [ACCEPTS[t] for t in types]
            node = ScalarNode(label, lambda v: any(test(v) for test in tests))
        elif not types:
            if not _looks_like_object(schema):
                node = Node()
            elif not value_only and self.dialect == "crd":
                node = ObjectNode()  # an untyped schema with properties: still an object for pruning
            else:
                node = LooseObjectNode()
        elif types[0] == "object":
            node = ObjectNode()
        elif types[0] == "array":
            node = ArrayNode()
        else:
            node = ScalarNode(types[0], ACCEPTS[types[0]])
        return node

    def _fill(self, node: Node, schema: Mapping[str, Any], value_only: bool) -> None:
        _, node.nullable = self._types(schema)
        enum = schema.get("enum")
        if isinstance(enum, list):
            node.enum = list(enum)
        if isinstance(node, ObjectNode):
            self._fill_object(node, schema, value_only)
        elif isinstance(node, ArrayNode):
            items = schema.get("items")
            if isinstance(items, Mapping):
                node.items = self.compile(items, value_only=value_only)
        extras = [
            *_length_checks(schema),
            *_bound_checks(schema),
            *_count_checks(schema),
            *_unique_checks(schema, self.dialect),
        ]
        types, _ = self._types(schema)
        extras += _combinator_checks(schema, lambda branch: self.compile(branch, value_only=True), types)
        node.extras = extras

    def _fill_object(self, node: ObjectNode, schema: Mapping[str, Any], value_only: bool) -> None:
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            node.props = {
                str(k): self.compile(v, value_only=value_only)
                for k, v in properties.items()
                if isinstance(v, Mapping)
            }
        required = schema.get("required")
        if isinstance(required, list):
            node.required = tuple(str(r) for r in required)
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            node.additional = self.compile(additional, value_only=value_only)
        if self.dialect == "crd":
            node.flag_unknown = not (
                value_only or additional is True or schema.get("x-kubernetes-preserve-unknown-fields") is True
            )
            if schema.get("x-kubernetes-embedded-resource") is True:
                _allow_resource_header(node, self.dialect)
        else:
            node.flag_unknown = not value_only and additional is False


def _looks_like_object(schema: Mapping[str, Any]) -> bool:
    return any(key in schema for key in ("properties", "additionalProperties", "required"))


def _allow_resource_header(node: ObjectNode, dialect: Dialect) -> None:
    """apiVersion and kind are strings; metadata is checked where declared, its other keys allowed."""
    for key in ("apiVersion", "kind"):
        if key not in node.props:
            node.props[key] = ScalarNode("string", is_string)
    meta = node.props.get("metadata")
    if dialect == "crd":
        if isinstance(meta, ObjectNode):
            meta.flag_unknown = False  # only name/generateName may be constrained by a CRD
        else:
            node.props["metadata"] = _permissive_object()


def _permissive_object() -> ObjectNode:
    node = ObjectNode()
    node.flag_unknown = False
    return node
