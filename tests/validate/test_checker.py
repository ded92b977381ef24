"""The schema checker's own rules: strict types, long values in messages, the formats the shipped CRDs use."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.validate import _checker as checker
from cluster_capacity.validate.schemas import SchemaRegistry

GADGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              count: {type: integer}
              flag: {type: boolean}
              ratio: {type: number}
              text: {type: string, maxLength: 50}
              mode: {type: string, enum: ["", "a,b", " padded", "plain"]}
              level: {type: integer, enum: [1, 2]}
              toggle: {type: boolean, enum: [true]}
              v4: {type: string, format: ipv4}
              v6: {type: string, format: ipv6}
              host: {type: string, format: hostname}
              # as config.openshift.io Infrastructure's vSphere failure domain ``server``
              server:
                type: string
                maxLength: 255
                anyOf: [{format: ipv4}, {format: ipv6}, {format: hostname}]
              # as its nodeNetworking ``networkSubnetCidr``
              cidrs: {type: array, items: {type: string, format: cidr}}
              uid: {type: string, format: uuid}
              data: {type: string, format: byte}
              day: {type: string, format: date}
              since: {type: string, format: date-time}
              port: {type: integer, format: int32}
              link: {type: string, format: uri}
"""


@pytest.fixture(scope="module")
def gadgets(tmp_path_factory: pytest.TempPathFactory) -> SchemaRegistry:
    folder: Path = tmp_path_factory.mktemp("gadget-crds")
    (folder / "example.com_gadgets.yaml").write_text(GADGET_CRD)
    return SchemaRegistry.from_directory(folder)


def check(registry: SchemaRegistry, **spec: Any) -> list[tuple[str, str]]:
    obj = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": spec}
    return [(f.path, f.message) for f in registry.validate(obj)]


def test_booleans_are_not_integers_or_numbers_and_the_reverse(gadgets: SchemaRegistry) -> None:
    assert check(gadgets, count=True, flag=1, ratio=False) == [
        ("spec.count", "must be integer, got boolean true"),
        ("spec.flag", "must be boolean, got integer 1"),
        ("spec.ratio", "must be number, got boolean false"),
    ]
    assert check(gadgets, count=False, flag=0.0) == [
        ("spec.count", "must be integer, got boolean false"),
        ("spec.flag", "must be boolean, got number 0.0"),
    ]
    # the API server decodes 3.0 as an integer; a string of digits stays a string
    assert check(gadgets, count=3.0, ratio=1, flag=False) == []
    assert check(gadgets, count="3", ratio="1.5") == [
        ("spec.count", 'must be integer, got string "3"'),
        ("spec.ratio", 'must be number, got string "1.5"'),
    ]
    assert check(gadgets, count=2.5) == [("spec.count", "must be integer, got number 2.5")]


def test_long_strings_are_cut_in_messages(gadgets: SchemaRegistry) -> None:
    assert check(gadgets, text="x" * 60) == [("spec.text", "must be at most 50 characters long, got 60")]
    assert check(gadgets, text="x" * 50) == []
    forty = "a" * 40
    assert check(gadgets, count=forty) == [("spec.count", f'must be integer, got string "{forty}"')]
    assert check(gadgets, count=forty + "b") == [
        ("spec.count", f'must be integer, got string "{"a" * 37}..."')
    ]


def test_enum_messages_quote_what_would_be_ambiguous(gadgets: SchemaRegistry) -> None:
    assert check(gadgets, mode="other", level=3, toggle=False) == [
        ("spec.mode", 'must be one of "", "a,b", " padded", plain'),
        ("spec.level", "must be one of 1, 2"),
        ("spec.toggle", "must be one of true"),
    ]
    assert check(gadgets, mode="a,b", level=2, toggle=True) == []


def test_ip_formats(gadgets: SchemaRegistry) -> None:
    assert check(gadgets, v4="10.0.0.1", v6="fd00::1") == []
    assert check(gadgets, v4="::1", v6="10.0.0.1") == [
        ("spec.v4", 'must be an IPv4 address, got string "::1"'),
        ("spec.v6", 'must be an IPv6 address, got string "10.0.0.1"'),
    ]
    assert check(gadgets, v4="10.0.0.256", v6="fd00::1::2") == [
        ("spec.v4", 'must be an IPv4 address, got string "10.0.0.256"'),
        ("spec.v6", 'must be an IPv6 address, got string "fd00::1::2"'),
    ]


@pytest.mark.parametrize(
    "host", ["vcenter", "vcenter.example.com", "vcenter.example.com.", "a-b.c_d", "x" * 63]
)
def test_hostnames_that_pass(gadgets: SchemaRegistry, host: str) -> None:
    assert check(gadgets, host=host) == []


@pytest.mark.parametrize(
    "host", ["not a host", "-lead.example.com", "trail-.example.com", "a..b", "x" * 64, "", "a." * 128]
)
def test_hostnames_that_fail(gadgets: SchemaRegistry, host: str) -> None:
    assert check(gadgets, host=host) == [("spec.host", f"must be a hostname, got {checker.describe(host)}")]


def test_ip_or_hostname_as_the_infrastructure_crd_has_it(gadgets: SchemaRegistry) -> None:
    for server in ("10.1.2.3", "fd00::10", "vcenter.example.com"):
        assert check(gadgets, server=server) == [], server
    assert check(gadgets, server="bad host!") == [
        ("spec.server", 'must be one of the allowed forms, got string "bad host!"')
    ]


def test_shipped_infrastructure_crd_uses_these_formats(crds_dir: Path) -> None:
    text = (crds_dir / "config.openshift.io_infrastructures.yaml").read_text()
    for fmt in ("ipv4", "ipv6", "hostname", "cidr"):
        assert f"format: {fmt}" in text, fmt
        assert fmt in checker.FORMATS


def test_cidrs_accept_host_bits_as_the_api_server_does(gadgets: SchemaRegistry) -> None:
    # Go's net.ParseCIDR, which the API server uses, takes 10.0.0.1/8 (address and mask)
    assert check(gadgets, cidrs=["10.0.0.0/8", "10.0.0.1/8", "fd00::1/64", "0.0.0.0/0"]) == []
    assert check(gadgets, cidrs=["10.0.0.0", "10.0.0.0/33", "x/8", "fd00::/129", ""]) == [
        ("spec.cidrs[0]", 'must be a CIDR such as 10.0.0.0/16, got string "10.0.0.0"'),
        ("spec.cidrs[1]", 'must be a CIDR such as 10.0.0.0/16, got string "10.0.0.0/33"'),
        ("spec.cidrs[2]", 'must be a CIDR such as 10.0.0.0/16, got string "x/8"'),
        ("spec.cidrs[3]", 'must be a CIDR such as 10.0.0.0/16, got string "fd00::/129"'),
        ("spec.cidrs[4]", 'must be a CIDR such as 10.0.0.0/16, got string ""'),
    ]


def test_other_formats(gadgets: SchemaRegistry) -> None:
    good = {
        "uid": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "data": "aGk=",
        "day": "2026-01-02",
        "since": "2026-01-02T03:04:05Z",
        "port": 2**40,  # int32 is not enforced by the API server
        "link": "not a uri",  # neither is uri
    }
    assert check(gadgets, **good) == []
    assert check(gadgets, uid="0f8fad5bd9cb469fa16570867728950e") == []  # dashes are optional
    assert check(gadgets, uid="nope", data="###", day="2026-02-30", since="2026-02-30T00:00:00Z") == [
        ("spec.uid", 'must be a UUID, got string "nope"'),
        ("spec.data", 'must be base64-encoded data, got string "###"'),
        ("spec.day", 'must be a date (YYYY-MM-DD), got string "2026-02-30"'),
        ("spec.since", 'must be an RFC 3339 date-time, got string "2026-02-30T00:00:00Z"'),
    ]
    assert check(gadgets, day="26-01-02", since="2026-01-02") == [
        ("spec.day", 'must be a date (YYYY-MM-DD), got string "26-01-02"'),
        ("spec.since", 'must be an RFC 3339 date-time, got string "2026-01-02"'),
    ]


def test_describe() -> None:
    assert [checker.describe(v) for v in (None, True, False, 0, -2, 1.5, "s", {}, [], (), b"x")] == [
        "null",
        "boolean true",
        "boolean false",
        "integer 0",
        "integer -2",
        "number 1.5",
        'string "s"',
        "object",
        "array",
        "array",
        "bytes",
    ]


def test_format_path_quotes_odd_keys() -> None:
    assert checker.format_path(("spec", "taints", 0, "effect")) == "spec.taints[0].effect"
    assert checker.format_path((0, "a")) == "[0].a"
    assert checker.format_path(("metadata", "labels", "cluster-api/accelerator", "x_y")) == (
        'metadata.labels["cluster-api/accelerator"].x_y'
    )
    assert checker.format_path(("a-b", "_c", "9d")) == 'a-b._c["9d"]'
    assert checker.format_path(()) == ""


def test_did_you_mean_is_close_and_case_blind() -> None:
    known = ["unneededTime", "delayAfterAdd", "enabled"]
    assert checker.did_you_mean("uneededTime", known) == "unneededTime"
    assert checker.did_you_mean("ENABLED", known) == "enabled"
    assert checker.did_you_mean("size", known) is None
    assert checker.unknown_field_message("enabeld", {"enabled": 1}) == (
        "unknown field (the API server would drop it); did you mean enabled?"
    )
    assert checker.unknown_field_message("x", {}) == "unknown field (the API server would drop it)"


def test_type_predicates() -> None:
    assert [checker.is_integer(v) for v in (1, 1.0, 1.5, True, "1")] == [True, True, False, False, False]
    assert [checker.is_number(v) for v in (1, 1.5, False, "1")] == [True, True, False, False]
    assert [checker.is_string(v) for v in ("a", date(2026, 1, 2), 1)] == [True, True, False]
    assert [checker.is_boolean(v) for v in (True, 1)] == [True, False]
    assert [checker.is_array(v) for v in ([], (), {})] == [True, True, False]
    assert [checker.is_object(v) for v in ({}, [])] == [True, False]


def test_type_lists_of_json_schemas() -> None:
    from cluster_capacity.validate._compiler import Compiler

    node = Compiler("json", lambda ref: {}).compile_root({"type": ["object", "array", "string"]})
    issues: list[checker.Issue] = []
    for value in ({}, [], "x", 1, True):
        node.check(value, ("v",), issues)
    assert issues == [
        (("v",), "must be object or array or string, got integer 1"),
        (("v",), "must be object or array or string, got boolean true"),
    ]


def issues_of(schema: dict[str, Any], value: Any, dialect: str = "json") -> list[tuple[str, str]]:
    """What a node compiled from ``schema`` says about ``value``, with paths formatted."""
    from cluster_capacity.validate._compiler import Compiler

    node = Compiler(dialect, lambda ref: {}).compile_root(schema)  # type: ignore[arg-type]
    issues: list[checker.Issue] = []
    node.check(value, ("v",), issues)
    return [(checker.format_path(p), m) for p, m in issues]


def test_the_resource_header_added_to_a_root_is_not_nullable() -> None:
    for dialect in ("json", "crd"):
        assert issues_of({"type": "object"}, {"apiVersion": None, "kind": 3}, dialect) == [
            ("v.apiVersion", "must be string, got null (the field is not nullable)"),
            ("v.kind", "must be string, got integer 3"),
        ]
    assert issues_of({"type": "object"}, {"metadata": None}, "crd") == [
        ("v.metadata", "must be object, got null (the field is not nullable)")
    ]


def test_arrays_null_and_wrong_types() -> None:
    schema = {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "string"}}}}
    assert issues_of(schema, {"xs": None}) == [
        ("v.xs", "must be array, got null (the field is not nullable)")
    ]
    assert issues_of(schema, {"xs": "a"}) == [("v.xs", 'must be array, got string "a"')]
    assert issues_of(schema, {"xs": ("a", 1)}) == [("v.xs[1]", "must be string, got integer 1")]
    nullable = {"type": "object", "properties": {"xs": {"type": "array", "nullable": True}}}
    assert issues_of(nullable, {"xs": None}) == []


def test_enums_of_objects_arrays_null_and_false() -> None:
    assert issues_of({"type": "object", "enum": [{"a": 1}]}, {"a": 2}) == [("v", "must be one of {'a': 1}")]
    assert issues_of({"type": "object", "enum": [{"a": 1}]}, {"a": 1}) == []
    assert issues_of({"type": "array", "enum": [["a"]]}, ["b"]) == [("v", "must be one of ['a']")]
    assert issues_of({"type": "array", "enum": [["a"]]}, ["a"]) == []
    assert issues_of({"type": "string", "enum": [None, "a"]}, "b") == [("v", "must be one of null, a")]
    assert issues_of({"type": "boolean", "enum": [False]}, True) == [("v", "must be one of false")]
    # keywords of an object without ``type: object`` still hold for other values (JSON Schema)
    loose = {"properties": {"a": {}}, "enum": [{"a": 1}]}
    assert issues_of(loose, 5) == [("v", "must be one of {'a': 1}")]
    assert issues_of(loose, None) == []
    assert issues_of(loose, {"a": 1}) == []


def test_unknown_keys_that_are_not_strings() -> None:
    schema = {"type": "object", "properties": {"a": {}}, "additionalProperties": False}
    assert issues_of(schema, {1: "x", "A": 2}) == [
        ("v[1]", "unknown field (the API server would drop it)"),
        ("v.A", "unknown field (the API server would drop it); did you mean a?"),
    ]


@pytest.mark.parametrize(
    ("branch", "value", "expected"),
    [
        # the one branch of the value's type says what is wrong, in its own words
        ({"type": "object", "required": ["a"]}, {}, [("v.a", "required field missing")]),
        ({"required": ["a"]}, {}, [("v.a", "required field missing")]),
        ({"type": "array", "items": {"type": "string"}}, [1], [("v[0]", "must be string, got integer 1")]),
        ({"pattern": "^a+$"}, "b", [("v", 'must match pattern ^a+$, got string "b"')]),
    ],
)
def test_one_branch_of_the_values_type_explains_itself(
    branch: dict[str, Any], value: Any, expected: list[tuple[str, str]]
) -> None:
    assert issues_of({"anyOf": [branch, {"type": "integer"}]}, value) == expected
    assert issues_of({"anyOf": [branch, {"type": "integer"}]}, 3) == []


def test_the_datetime_format_spelling_and_lowercase_separators(gadgets: SchemaRegistry) -> None:
    schema = {"type": "string", "format": "datetime"}
    assert issues_of(schema, "2026-01-02T03:04:05Z") == []
    assert issues_of(schema, "yesterday") == [("v", 'must be an RFC 3339 date-time, got string "yesterday"')]
    assert check(gadgets, since="2026-01-02t03:04:05z") == []
    assert check(gadgets, since="2026-01-02 03:04") == []


def test_bytes_that_are_not_ascii_are_not_base64(gadgets: SchemaRegistry) -> None:
    assert check(gadgets, data="é") == [("spec.data", 'must be base64-encoded data, got string "é"')]
