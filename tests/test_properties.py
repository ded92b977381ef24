"""Property tests: every valid config renders schema-valid manifests; bad input only ever raises ConfigError."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cluster_capacity import instances
from cluster_capacity.config.project import values_from_layered
from cluster_capacity.config.sources import Layered, Source, apply_sets, parse_yaml
from cluster_capacity.errors import ConfigError
from cluster_capacity.render import render

INSTANCE_TYPES = [
    "g5.xlarge",
    "g4dn.2xlarge",
    "g6e.12xlarge",
    "p4d.24xlarge",
    "p5.48xlarge",
    "m6i.large",
    "c6i.4xlarge",
]
label_part = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
suffixes = st.lists(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True), min_size=0, max_size=4, unique=True
)
taints = st.lists(
    st.fixed_dictionaries(
        {
            "key": st.builds(lambda a, b: f"{a}.io/{b}", label_part, label_part),
            "effect": st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
        },
        optional={"value": label_part},
    ),
    max_size=2,
)


@st.composite
def pools(draw: st.DrawFn, suffix: str) -> dict[str, Any]:
    lo = draw(st.integers(0, 3))
    spec: dict[str, Any] = {
        "instanceType": draw(st.sampled_from(INSTANCE_TYPES)),
        "placement": {
            "availabilityZone": draw(st.sampled_from(["us-west-2a", "us-west-2b"])),
            "region": "us-west-2",
        },
    }
    if draw(st.booleans()):
        spec["spotMarketOptions"] = draw(st.sampled_from([{}, {"maxPrice": "0.90"}]))
    pool: dict[str, Any] = {
        "enabled": draw(st.booleans()),
        "nameSuffix": suffix,
        "replicas": draw(st.integers(0, 5)),
        "machineRole": draw(st.sampled_from(["worker", "gpu", "infra"])),
        "taints": draw(taints),
        "autoscaler": {
            "enabled": draw(st.booleans()),
            "minReplicas": lo,
            "maxReplicas": lo + draw(st.integers(1, 4)),
        },
        "providerSpec": spec,
    }
    if draw(st.booleans()):
        pool["labels"] = {"team": draw(label_part)}
    return pool


@st.composite
def valid_values(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(suffixes)
    data: dict[str, Any] = {
        "enabled": draw(st.booleans()),
        "infraID": draw(st.from_regex(r"[a-z]{3,8}-[a-z0-9]{5}", fullmatch=True)),
        "machineSets": [draw(pools(n)) for n in names],
        "nvidia": {
            "enabled": draw(st.booleans()),
            "nfd": {"enabled": draw(st.booleans())},
            "dashboards": {"enabled": draw(st.booleans())},
            "monitoring": {"serviceMonitor": draw(st.booleans())},
            "clusterPolicy": {
                "spec": draw(
                    st.sampled_from(
                        [{}, {"mig": {"strategy": "mixed"}}, {"driver": {"useOpenKernelModules": True}}]
                    )
                )
            },
        },
    }
    if draw(st.booleans()):
        gpu_labels = sorted(
            {
                instances.accelerator_label(p["providerSpec"]["instanceType"])
                for p in data["machineSets"]
                if p["enabled"] and instances.accelerator_label(p["providerSpec"]["instanceType"])
            }
        )
        limits: dict[str, Any] = {"maxNodesTotal": draw(st.integers(3, 100))}
        if gpu_labels and draw(st.booleans()):
            limits["gpus"] = [{"type": t, "min": 0, "max": 8} for t in gpu_labels]
        data["autoscaling"] = {"clusterAutoscaler": {"enabled": True, "spec": {"resourceLimits": limits}}}
    return data


def _values(data: dict[str, Any]) -> Any:
    return values_from_layered(Layered(data, [Source("gen.yaml", data)]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_values())
def test_every_valid_config_renders_schema_valid_manifests(crds_registry: Any, data: dict[str, Any]) -> None:
    from cluster_capacity.validate import validate_objects

    values = _values(data)
    objects = render(values, "gen")
    errors = [str(f) for f in validate_objects(objects, crds_registry) if f.severity == "error"]
    assert errors == []
    assert len([o for o in objects if o["kind"] == "MachineSet"]) == len(values.enabled_pools)


yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10), st.text(max_size=8), st.floats(allow_nan=False)
)
yaml_data = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = [
    "enabled",
    "infraID",
    "machineSets",
    "nvidia",
    "autoscaling",
    "replicas",
    "nameSuffix",
    "autoscaler",
    "providerSpec",
    "taints",
    "effect",
]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config with random damage: keys set to random data at random places."""
    data = draw(valid_values())
    for _ in range(draw(st.integers(1, 3))):
        target: Any = data
        for _depth in range(draw(st.integers(0, 3))):
            if isinstance(target, dict) and target:
                target = target[draw(st.sampled_from(sorted(target, key=str)))]
            elif isinstance(target, list) and target:
                target = target[draw(st.integers(0, len(target) - 1))]
        if isinstance(target, dict):
            target[draw(st.sampled_from(KEYS) | st.text(max_size=6))] = draw(yaml_data)
    return data


@settings(max_examples=150, deadline=None)
@given(mutated())
def test_invalid_configs_raise_config_error_only(data: dict[str, Any]) -> None:
    try:
        values = _values(data)
    except ConfigError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    render(values)  # what validated must render


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_yaml_or_config_error(text: str) -> None:
    try:
        source = parse_yaml(text, "fuzz.yaml")
    except ConfigError as exc:
        assert all(str(p).startswith("fuzz.yaml") for p in exc.problems)
        return
    with contextlib.suppress(ConfigError):
        _values(source.data)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=3))
def test_arbitrary_set_expressions_are_config_errors(exprs: list[str]) -> None:
    try:
        layered = apply_sets(Layered({}, []), exprs)
        values_from_layered(layered)
    except ConfigError:
        pass


@pytest.fixture(scope="module")
def crds_registry(crds_dir: Path) -> Any:
    from cluster_capacity.validate.schemas import SchemaRegistry

    return SchemaRegistry.from_directory(crds_dir)
