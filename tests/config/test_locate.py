"""Which file and line a value came from, through layers and ``--set``: exact answers for every branch."""

from __future__ import annotations

from typing import Any

import pytest

from cluster_capacity.config.sources import Layered, Source, apply_sets, layer, parse_set
from cluster_capacity.config.yamlfile import MAX_DEPTH
from cluster_capacity.errors import ConfigError


def file(name: str, data: dict[str, Any], **lines: int) -> Source:
    """A values file; ``lines`` by dotted path (``a.b=3``), the empty path as ``_``."""
    return Source(name, data, {tuple(k.split(".")) if k != "_" else (): v for k, v in lines.items()})


def test_a_set_path_owns_itself_and_what_is_below_among_several() -> None:
    base = layer([file("v.yaml", {"a": {"b": 1}}, a=1, **{"a.b": 2})])
    out = apply_sets(base, ["c=2", "a.b=5"])
    assert out.locate(("a", "b")) == ("--set", 0)
    assert out.locate(("a", "b", "deeper")) == ("--set", 0)
    assert out.locate(("c",)) == ("--set", 0)
    # the mapping a --set only went through stays the file's
    assert out.locate(("a",)) == ("v.yaml", 1)


def test_a_mapping_a_set_created_is_blamed_on_the_set_only_where_no_file_has_it() -> None:
    base = layer([file("v.yaml", {"x": 1}, x=4)])
    out = apply_sets(base, ["a.b.c=1", "d=2"])
    assert out.locate(("a", "b")) == ("--set", 0)
    assert out.locate(("a",)) == ("--set", 0)
    # neither made by the --set nor in the file: the file, without a line
    assert out.locate(("y",)) == ("v.yaml", 0)
    assert out.locate(("x",)) == ("v.yaml", 4)


def test_a_scalar_in_a_file_owns_every_path_below_it() -> None:
    source = file("v.yaml", {"a": 3}, a=2)
    assert source.claims(("a", "b", "c")) == "owns"
    assert layer([source]).locate(("a", "b", "c")) == ("v.yaml", 2)


def test_the_nearest_ancestor_with_a_line() -> None:
    source = file("v.yaml", {"a": {"b": {}}}, a=5)
    assert source.line_of(("a", "b", "c")) == 5
    assert source.line_of(("a", "b")) == 5
    assert source.line_of(("z",)) == 0
    assert layer([file("v.yaml", {"a": {}}, a=4)]).locate(("a", "b")) == ("v.yaml", 4)


def test_a_missing_key_is_blamed_on_the_file_that_has_its_parent() -> None:
    first = file("a.yaml", {"a": {"b": 1}}, a=1, **{"a.b": 2})
    second = file("b.yaml", {"c": 1}, c=1)
    assert layer([first, second]).locate(("a", "z")) == ("a.yaml", 1)
    assert layer([first, second]).locate(["a", "b"]) == ("a.yaml", 2)  # a list path works too
    assert layer([first, second]).problem(["a", "b"], "bad").line == 2


def test_nothing_to_blame() -> None:
    assert Layered({}, []).locate(("a",)) == ("<input>", 0)
    assert Layered({}, [Source("--set", {}, {})]).locate(("a",)) == ("--set", 0)


def test_layer_keeps_sources_from_any_iterable() -> None:
    sources = [file("a.yaml", {"a": 1}), file("b.yaml", {"a": 2})]
    out = layer(iter(sources))
    assert out.sources == sources
    assert out.data == {"a": 2}
    assert out.locate(("a",)) == ("b.yaml", 0)


def test_set_index_and_depth_limits_are_exact() -> None:
    assert parse_set(["a[65536]=1"]) == [(("a", 65536), 1)]
    with pytest.raises(ConfigError) as info:
        parse_set(["a[65537]=1"])
    assert info.value.lines() == ["--set: a: index 65537 is greater than the maximum supported index 65536"]
    deepest = ".".join(["a"] * MAX_DEPTH)
    assert parse_set([deepest + "=1"]) == [(("a",) * MAX_DEPTH, 1)]
    with pytest.raises(ConfigError):
        parse_set([deepest + ".a=1"])
    value: Any = []
    for _ in range(MAX_DEPTH - 1):
        value = [value]
    assert parse_set(["a=" + "{" * MAX_DEPTH + "}" * MAX_DEPTH]) == [(("a",), value)]
    with pytest.raises(ConfigError) as info:
        parse_set(["a=" + "{" * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1)])
    assert info.value.lines() == [f"--set: a value nested more than {MAX_DEPTH} levels deep"]


def test_an_escaped_comma_at_the_end() -> None:
    assert parse_set([r"a=x\,"]) == [(("a",), "x,")]
    assert parse_set([r"a=x\,,b=1"]) == [(("a",), "x,"), (("b",), 1)]


def test_a_deep_set_through_a_list_names_the_list_item() -> None:
    base = layer([file("v.yaml", {"a": {"b": ["x"]}})])
    with pytest.raises(ConfigError) as info:
        apply_sets(base, ["a.b.c.d=1"])
    assert info.value.lines() == ["--set: a.b.c: its parent is not a mapping"]
