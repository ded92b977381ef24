"""The fast emitter writes exactly what PyYAML's general emitter writes, or declines."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cluster_capacity import output
from cluster_capacity.config import load_envs
from cluster_capacity.output import MARKER, _emit, dump, dump_general, files_for
from cluster_capacity.render import render_env
from tests.conftest import EXAMPLES

# Characters that decide styles: indicators, quotes, comment and mapping markers, breaks, a tab,
# a non-ASCII letter, and plain letters and digits.
_ALPHABET = st.sampled_from(list("abcAZ09 -_.:/#'\"!&*?|>%@`,[]{}=~\n\t\\é"))
_TRICKY = [
    "",
    "true",
    "yes",
    "NO",
    "on",
    "null",
    "~",
    "123",
    "-1_0",
    "0x1F",
    "0o7",
    "017",
    "1.5",
    ".5",
    "1e3",
    "1:20",
    "2024-01-01",
    "2024-1-1 10:00:00",
    "<<",
    "=",
    ".inf",
    "-.Inf",
    ".NaN",
    "---x",
    "... y",
    "- a",
    "-a",
    "a: b",
    "a:b",
    "a:",
    "a #b",
    "a#b",
    "#a",
    " a",
    "a ",
    "?",
    "? x",
    ":",
    "x" * 130,
    ("word " * 30).strip(),
    "a\nb",
    "a\n",
    "\na",
    "a\n\n",
    "\n",
    " a\nb",
    "a \nb",
    "a\n b",
    "a\n\nb\n",
    "it's",
    "'q'",
    '"d"',
]
_TEXT = st.one_of(st.text(_ALPHABET, max_size=12), st.sampled_from(_TRICKY), st.text(max_size=5))
_SCALARS = st.one_of(_TEXT, st.booleans(), st.integers(), st.none(), st.floats(allow_nan=False))
_TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_TEXT, children, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.one_of(_TEXT, st.integers()), _TREES, max_size=5))
def test_fast_emitter_matches_pyyaml_or_declines(obj: dict[Any, Any]) -> None:
    try:
        fast = _emit.emit(obj)
    except _emit.Unsupported:
        return
    assert fast == dump_general(obj)


@pytest.mark.parametrize("text", _TRICKY)
@pytest.mark.parametrize("column", [0, 90])
def test_each_tricky_string_as_value_key_and_item(text: str, column: int) -> None:
    pad = "k" * column
    for obj in ({pad: text}, {text or "x": 1}, {pad: [text, {text or "x": [text]}]}, {"a": [[text]]}):
        try:
            fast = _emit.emit(obj)
        except _emit.Unsupported:
            continue
        assert fast == dump_general(obj)
        assert yaml.safe_load(fast) == obj


def test_shared_objects_fall_back_and_are_written_twice() -> None:
    shared = {"a": 1}
    obj = {"x": shared, "y": shared}
    with pytest.raises(_emit.Unsupported):
        _emit.emit(obj)
    assert dump(obj) == "x:\n  a: 1\ny:\n  a: 1\n"  # no &id001 anchors in a manifest


def test_every_example_object_takes_the_fast_path() -> None:
    """The shipped example (golden files in examples/rendered) never needs the general emitter."""
    objects = [obj for cfg in load_envs(EXAMPLES) for obj in render_env(cfg)]
    assert len(objects) > 10
    for obj in objects:
        assert _emit.emit(obj) == dump_general(obj)


def test_kustomization_is_written_as_before() -> None:
    """Its keys happen to be in sorted order, so the canonical dump writes it as the unsorted one did."""
    files = files_for([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}])
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["namespace-a.yaml"],
    }
    assert files["kustomization.yaml"] == f"{MARKER}\n" + yaml.dump(
        kustomization, Dumper=output._Dumper, sort_keys=False
    )
