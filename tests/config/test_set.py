"""``--set`` as helm's strvals: splitting, braces, escapes, types, list padding, ``null`` and its errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.config import load_values
from cluster_capacity.config.sources import Layered, Source, apply_sets, parse_set
from cluster_capacity.errors import ConfigError


def sets(*expressions: str) -> list[tuple[tuple[str | int, ...], Any]]:
    return parse_set(expressions)


def set_error(*expressions: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_set(expressions)
    return info.value.lines()


def test_commas_split_assignments_but_not_inside_braces() -> None:
    assert sets("a={x,y},b=1", "c=2") == [(("a",), ["x", "y"]), (("b",), 1), (("c",), 2)]
    assert sets("a={}") == [(("a",), [])]
    assert sets("a={x,,y}") == [(("a",), ["x", "y"])]  # empty items inside a list are dropped
    assert sets("a=1,,b=2,") == [(("a",), 1), (("b",), 2)]  # and empty assignments too


def test_braces_nest_and_unbalanced_closers_are_text() -> None:
    assert sets("a={x,{y,z}},b=2") == [(("a",), ["x", ["y", "z"]]), (("b",), 2)]
    assert sets("a=x},b=2") == [(("a",), "x}"), (("b",), 2)]
    # a comma after a closed inner list is still inside the outer one
    assert sets("a={x,{y},z},b=1") == [(("a",), ["x", ["y"], "z"]), (("b",), 1)]


def test_backslash_escapes() -> None:
    assert sets(r"a=x\,y,b=z") == [(("a",), "x,y"), (("b",), "z")]
    assert sets(r"a={x\,y,z}") == [(("a",), ["x,y", "z"])]
    assert sets(r"labels.node-role\.kubernetes\.io/gpu=") == [(("labels", "node-role.kubernetes.io/gpu"), "")]
    assert sets("a=x\\") == [(("a",), "x\\")]  # a trailing backslash is kept as written


def test_value_types() -> None:
    assert sets("a=true,b=false,c=null,d=0,e=-12,f=012,g=1.5,h=True,i=x=y") == [
        (("a",), True),
        (("b",), False),
        (("c",), None),
        (("d",), 0),
        (("e",), -12),
        (("f",), "012"),  # helm keeps numbers with a leading zero as strings
        (("g",), "1.5"),
        (("h",), "True"),
        (("i",), "x=y"),  # only the first = separates path from value
    ]
    assert sets("a={1,true,null}") == [(("a",), [1, True, None])]


def test_paths() -> None:
    assert sets("machineSets[0].taints[12].key=k") == [(("machineSets", 0, "taints", 12, "key"), "k")]
    assert sets(" a . b =1") == [(("a", "b"), 1)]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("=1", "--set: cannot parse the path in '=1'"),
        ("[0]=1", "--set: cannot parse the path in '[0]=1'"),
        ("a[x]=1", "--set: cannot parse the path in 'a[x]=1'"),
        ("a]=1", "--set: cannot parse the path in 'a]=1'"),
        ("nvidia.enabled", "--set: 'nvidia.enabled' is not of the form path=value"),
    ],
)
def test_malformed_expressions(expression: str, message: str) -> None:
    assert set_error(expression) == [message]


def applied(data: dict[str, Any], *expressions: str) -> Layered:
    return apply_sets(Layered(data, [Source("v.yaml", data, {})]), expressions)


def test_a_field_of_a_new_list_element_pads_with_null() -> None:
    data = {"machineSets": [{"nameSuffix": "a"}]}
    out = applied(data, "machineSets[2].nameSuffix=c", "machineSets[0].replicas=1")
    assert out.data == {"machineSets": [{"nameSuffix": "a", "replicas": 1}, None, {"nameSuffix": "c"}]}
    assert data == {"machineSets": [{"nameSuffix": "a"}]}  # the input is not changed
    assert out.sources[-1].name == "--set"
    assert out.locate(("machineSets", 2, "nameSuffix")) == ("--set", 0)
    assert applied({}, "a[1][0]=x", "b.c[0]=y").data == {"a": [None, ["x"]], "b": {"c": ["y"]}}


def test_assigning_through_a_scalar_replaces_it() -> None:
    assert applied({"a": 3}, "a.b=1").data == {"a": {"b": 1}}
    assert applied({"a": [1]}, "a[0].b=1").data == {"a": [{"b": 1}]}
    assert applied({"a": [{"b": 1, "c": 2}]}, "a[0]=x").data == {"a": ["x"]}


def test_null_deletes_the_key() -> None:
    assert applied({"a": {"b": 1, "c": 2}}, "a.b=null").data == {"a": {"c": 2}}
    assert applied({"a": {}}, "a.missing=null").data == {"a": {}}
    assert applied({"a": [1, 2]}, "a[1]=null").data == {"a": [1, None]}  # a list item is set to null


def test_type_conflicts_are_located_errors() -> None:
    with pytest.raises(ConfigError) as info:
        applied({"a": {"b": 1}}, "a[0]=1")
    assert info.value.lines() == ["--set: a: is not a list"]
    with pytest.raises(ConfigError) as info:
        applied({"a": ["x"]}, "a.b=1")
    assert info.value.lines() == ["--set: a.b: its parent is not a mapping"]


def test_no_expressions_leave_the_layers_alone() -> None:
    layered = Layered({"a": 1}, [])
    assert apply_sets(layered, []) is layered
    assert apply_sets(layered, ["", " "]) is layered


def test_null_restores_a_default_through_load(tmp_path: Path) -> None:
    f = tmp_path / "v.yaml"
    f.write_text("nvidia:\n  enabled: true\n  subscription:\n    channel: v25.3\n")
    assert load_values([f]).nvidia.subscription.channel == "v25.3"
    assert load_values([f], ["nvidia.subscription.channel=null"]).nvidia.subscription.channel == "stable"
