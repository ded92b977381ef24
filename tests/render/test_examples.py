"""The second example (examples/neuron): the Neuron stack, the dashboard, and every off-switch, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cluster_capacity.config import load_env
from cluster_capacity.output import files_for
from cluster_capacity.render import render, render_env
from tests.conftest import EXAMPLES

NEURON_EXAMPLE = EXAMPLES / "neuron"
Check = Callable[[list[dict[str, Any]]], None]


@pytest.mark.parametrize("env", ["inference", "minimal"])
def test_golden_files_match(env: str) -> None:
    files = files_for(render(load_env(NEURON_EXAMPLE, env).values, env))
    folder = NEURON_EXAMPLE / "rendered" / env
    assert sorted(files) == sorted(p.name for p in folder.iterdir())
    for name, content in files.items():
        assert (folder / name).read_text() == content, name


@pytest.mark.parametrize("env", ["inference", "minimal"])
def test_example_envs_validate_clean(env: str, schema_check: Check) -> None:
    schema_check(render_env(load_env(NEURON_EXAMPLE, env)))


def test_what_each_env_holds() -> None:
    kinds = {
        env: sorted({o["kind"] for o in render(load_env(NEURON_EXAMPLE, env).values, env)})
        for env in ("inference", "minimal")
    }
    assert kinds["minimal"] == ["MachineSet", "Subscription"]
    assert kinds["inference"] == [
        "ClusterAutoscaler",
        "ClusterPolicy",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "DeviceConfig",
        "MachineAutoscaler",
        "MachineSet",
        "Namespace",
        "NodeFeatureDiscovery",
        "NodeFeatureRule",
        "OperatorGroup",
        "ServiceMonitor",
        "Subscription",
    ]
