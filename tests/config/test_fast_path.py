"""The fast path (plain records, no pydantic) agrees with the models on everything it accepts.

``_records`` may only take data the models take *unchanged*; anything else must go to the models. These
tests generate data shaped by the models' own fields (valid and damaged) and check, for every input, that
a record is built only when the models accept the data, and that the record then equals the model: every
field, every derived property, every rendered object.
"""

from __future__ import annotations

import datetime
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from cluster_capacity.config import _records, _spec, load_envs, load_project
from cluster_capacity.config.models import Values
from cluster_capacity.config.project import chart_defaults, values_from_layered
from cluster_capacity.config.project_models import Project
from cluster_capacity.config.sources import Layered, Source, merge
from cluster_capacity.errors import ConfigError
from cluster_capacity.render import render
from tests.conftest import REPO
from tests.test_properties import mutated, valid_values

MODELS = _records._SPEC["models"]
EXAMPLES = [REPO / "examples", REPO / "examples" / "neuron"]


def test_records_spec_is_written_from_the_models() -> None:
    assert _records.SPEC_FILE.read_text(encoding="utf-8") == _spec.generate(), (
        "run python scripts/gen_records_spec.py"
    )


def test_chart_defaults_are_the_models_defaults() -> None:
    assert chart_defaults() == Values().model_dump(by_alias=True, exclude_none=True)


# --- data shaped by the models' fields: valid values, edge cases and wrong types, per field -----------

_EDGE_STRINGS = [
    "",
    "a",
    "45m",
    "45m\n",
    "1h30m",
    "1.5h",
    "300µs",
    "4.16",
    "4.16.3",
    "4.16\n",
    "x" * 40,
    "x" * 41,
]
_ODD = st.sampled_from([None, True, False, 0, 1, -1, 3.0, "true", "False", " 3 ", "3", [], {}])


def _kind(kind: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    t = kind["type"]
    if t == "str":
        good = st.sampled_from(_EDGE_STRINGS) | st.text(max_size=4)
    elif t == "bool":
        good = st.booleans()
    elif t == "int":
        good = st.integers(-1, 4)
    elif t in ("enum", "const"):
        good = st.sampled_from(kind["values"] if t == "enum" else [kind["value"]])
    elif t == "any":
        good = st.recursive(
            st.none() | st.booleans() | st.integers(-2, 2) | st.text(max_size=3),
            lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=3), c, max_size=2),
            max_leaves=4,
        )
    elif t == "date":
        good = st.dates() | st.datetimes() | st.just("2026-11-28")
    elif t == "optional":
        return st.none() | _kind(kind["of"], depth)
    elif t == "union":
        return st.one_of([_kind(k, depth) for k in kind["of"]])
    elif t == "dict":
        keys = st.text(max_size=4) | st.integers(0, 2)
        good = st.dictionaries(keys, _kind(kind["values"], depth + 1), max_size=2)
    elif t == "list":
        good = st.lists(_kind(kind["items"], depth + 1), max_size=2)
    elif t == "model":
        good = _model(kind["name"], depth + 1)
    else:  # pragma: no cover - a new kind needs a strategy here
        raise AssertionError(t)
    # mostly well-typed, so that many inputs are taken; now and then a wrong type or the chart's strings
    return st.integers(0, 24).flatmap(lambda i: _ODD if i == 13 else good)


@st.composite
def _model_data(draw: st.DrawFn, name: str, depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for attr, key, kind, default in MODELS[name]["fields"]:
        if default[0] == "required" and draw(st.integers(0, 19)) == 7:
            continue  # a required field left out, now and then
        if default[0] != "required" and draw(st.booleans()):
            continue
        written = attr if attr != key and draw(st.integers(0, 49)) == 17 else key  # a snake_case key
        data[written] = draw(_kind(kind, depth) if depth < 4 else st.none())
    if draw(st.integers(0, 49)) == 17:
        data[draw(st.sampled_from(["unknown", "Enabled", "replica"]))] = 1
    return data


def _model(name: str, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return _model_data(name, depth)


# --- agreement ----------------------------------------------------------------------------------------


def _agree(cls: type[BaseModel], data: Any) -> bool:
    """Records are built only from data the model takes unchanged; then they are the model. Returns
    whether the fast path took the data."""
    try:
        record = _records.build(cls.__name__, data)
    except _records.Unfit:
        return False
    try:
        model = cls.model_validate(data)
    except ValidationError as exc:  # the fast path took what the models refuse
        raise AssertionError(f"record built from data the model refuses: {exc}") from exc
    assert record.model_dump() == model.model_dump()
    assert record.model_dump(by_alias=True, exclude_none=True) == model.model_dump(
        by_alias=True, exclude_none=True
    )
    if isinstance(model, Values):
        _same_values(record, model)
    return True


def _same_values(record: Any, model: Values) -> None:
    assert (record.neuron_enabled, record.nfd_enabled) == (model.neuron_enabled, model.nfd_enabled)
    assert [p.name_suffix for p in record.enabled_pools] == [p.name_suffix for p in model.enabled_pools]
    for mine, theirs in zip(record.machine_sets, model.machine_sets, strict=True):
        for prop in (
            "effective_machine_type",
            "instance_type",
            "zone",
            "spot",
            "effective_provider_spec",
            "capacity_reservation",
            "capacity_block",
            "health_check_enabled",
            "accelerator",
            "accelerator_label",
            "effective_node_labels",
        ):
            assert getattr(mine, prop) == getattr(theirs, prop), prop
        assert [t.model_dump() for t in mine.effective_taints] == [
            t.model_dump() for t in theirs.effective_taints
        ]
    assert record.nvidia.target_namespaces == model.nvidia.target_namespaces
    assert record.nvidia.nfd.renders_namespace == model.nvidia.nfd.renders_namespace
    assert record.inferentia.gate_open == model.inferentia.gate_open
    if record.infra_id is not None:
        assert render(record, "e") == render(model, "e")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_model("Values"), st.booleans())
def test_values_shaped_data_agrees(data: dict[str, Any], over_defaults: bool) -> None:
    _agree(Values, merge(chart_defaults(), data) if over_defaults else data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_values())
def test_valid_values_take_the_fast_path_and_agree(data: dict[str, Any]) -> None:
    assert _agree(Values, merge(chart_defaults(), data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_damaged_values_agree(data: dict[str, Any]) -> None:
    _agree(Values, merge(chart_defaults(), data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_model("Project"))
def test_project_shaped_data_agrees(data: dict[str, Any]) -> None:
    _agree(Project, data)


@pytest.mark.parametrize(
    "data",
    [
        {"enabled": "true"},  # the chart's string switch: the models convert it
        {"enabled": True, "machineSets": [{"nameSuffix": "gpu", "replicas": "3"}]},  # a digit count
        {"infraID": ""},  # the chart's blank placeholder
        {"machineSets": [{"name_suffix": "gpu"}]},  # snake_case: the models take it by name
        {"machineSets": [{"nameSuffix": "gpu", "enabled": "False"}]},
        {"machineSets": [{"nameSuffix": "gpu", "healthCheck": {"nodeStartupTimeout": "45m\n"}}]},
        {"machineSets": [{"nameSuffix": "gpu", "healthCheck": {"nodeStartupTimeout": "45µs"}}]},  # non-ASCII
        {
            "inferentia": {
                "feasibility": {"clusterVersion": "4.16", "checkedAt": datetime.datetime(2026, 1, 1)}
            }
        },
        {"machineSets": [{"nameSuffix": "gpu", "replicas": True}]},  # a boolean is not a count
        {"machineSets": [{"nameSuffix": "gpu", "replicas": 3.0}]},
        {"machineSets": [{"nameSuffix": "gpu", "labels": {1: "a"}}]},  # a key that is not a string
        {"nvidia": {"clusterPolicy": {"apiVersion": "nvidia.com/v2"}}},
        {"bogus": 1},
    ],
)
def test_what_the_models_must_decide_goes_to_them(data: dict[str, Any]) -> None:
    merged = merge(chart_defaults(), data)
    with pytest.raises(_records.Unfit):
        _records.build("Values", merged)
    try:
        expected: Any = Values.model_validate(merged)
    except ValidationError:
        expected = None
    layered = Layered(data, [Source("v.yaml", data)])
    if expected is None:
        with pytest.raises(ConfigError):
            values_from_layered(layered, gate=False)
    else:
        got = values_from_layered(layered, gate=False)
        assert isinstance(got, Values)  # the model itself, converted as the chart read it
        assert got == expected


@pytest.mark.parametrize("root", EXAMPLES, ids=lambda p: p.name)
def test_every_example_env_takes_the_fast_path(root: Path) -> None:
    loaded = load_project(root)
    assert isinstance(loaded.project, _records.Record)
    assert (
        loaded.project.model_dump()
        == Project.model_validate(_records_data(root / "cluster-capacity.yaml")).model_dump()
    )
    cfgs = load_envs(loaded)
    for cfg in cfgs:
        assert isinstance(cfg.values, _records.Record), cfg.env.name
        model = Values.model_validate(cfg.values.model_dump(by_alias=True))
        assert render(cfg.values, cfg.env.name) == render(model, cfg.env.name)
    # records share the merged data as the models do: rendering changed none of it, nor the defaults
    assert [c.values for c in cfgs] == [c.values for c in load_envs(loaded)]
    assert chart_defaults() == Values().model_dump(by_alias=True, exclude_none=True)


def _records_data(path: Path) -> Any:
    from cluster_capacity.config.sources import read_source

    return read_source(path).data


def test_records_are_frozen_equal_hashable_and_pickle() -> None:
    taint = _records.build("Taint", {"key": "k", "effect": "NoSchedule"})
    same = _records.CLASSES["Taint"](key="k", effect="NoSchedule")
    assert taint == same and hash(taint) == hash(same) and taint.value == ""
    assert taint != _records.CLASSES["Taint"](key="k", value="v", effect="NoSchedule")
    assert repr(taint) == "Taint(key='k', value='', effect='NoSchedule')"
    with pytest.raises(AttributeError, match="frozen"):
        taint.key = "other"  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field colour"):
        _records.CLASSES["Taint"](key="k", effect="NoSchedule", colour="red")
    values = _records.build("Values", merge(chart_defaults(), {"machineSets": [{"nameSuffix": "a"}]}))
    again = pickle.loads(pickle.dumps(values))
    assert again == values and again.machine_sets[0].autoscaler.max_replicas == 1
    assert values.model_dump(exclude_none=True)["machine_sets"][0].get("zones", "absent") == "absent"
    assert values.model_dump()["machine_sets"][0]["zones"] is None


def test_render_needs_no_pydantic() -> None:
    """The point of the fast path: one env's render starts without importing pydantic."""
    code = (
        "import sys\n"
        "from cluster_capacity.cli import main\n"
        "code = main(['render', '--env', 'prod'])\n"
        "print('pydantic' in sys.modules, code, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO / "examples", capture_output=True, text=True, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "False 0"
    assert "kind: MachineSet" in done.stdout


@pytest.mark.parametrize(
    "data",
    [
        {"repoURL": "r", "envs": [{"name": "x" * 41}]},  # longer than an env name may be
        {"repoURL": "r", "envs": [{"name": ""}]},
        {"repoURL": "r", "envs": [{"name": "dev", "openshiftVersion": "4.16\n"}]},
        {"repoURL": "r", "envs": [{"name": "dev", "capacityEnabled": "true"}]},
        {"repoURL": "r", "applicationSet": 1},
        {"envs": []},  # repoURL is required
    ],
)
def test_what_the_project_model_must_decide_goes_to_it(data: dict[str, Any]) -> None:
    with pytest.raises(_records.Unfit):
        _records.build("Project", data)


def test_the_fast_path_takes_the_longest_names_the_model_takes() -> None:
    data = {"repoURL": "r", "envs": [{"name": "x" * 40, "openshiftVersion": "4.16.3"}]}
    assert _agree(Project, data)
