"""Configuration: the values format, the project file, and loading them with located errors.

The names load on first use: loading and rendering an env in the strict form needs no pydantic (see
``_records``), so ``render`` starts without it; the models import it when they are first asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cluster_capacity.config.models import (
        Autoscaling,
        ClusterAutoscalerConfig,
        MachineSetPool,
        PoolAutoscaler,
        Taint,
        Values,
    )
    from cluster_capacity.config.operators import NvidiaConfig
    from cluster_capacity.config.project import (
        DEFAULT_PROJECT_FILE,
        EnvConfig,
        LoadedProject,
        load_env,
        load_envs,
        load_layered,
        load_project,
        load_values,
        values_from_layered,
    )
    from cluster_capacity.config.project_models import EnvEntry, Project

_HOMES = {
    "Autoscaling": "models",
    "ClusterAutoscalerConfig": "models",
    "MachineSetPool": "models",
    "PoolAutoscaler": "models",
    "Taint": "models",
    "Values": "models",
    "NvidiaConfig": "operators",
    "EnvEntry": "project_models",
    "Project": "project_models",
    "DEFAULT_PROJECT_FILE": "project",
    "EnvConfig": "project",
    "LoadedProject": "project",
    "load_env": "project",
    "load_envs": "project",
    "load_layered": "project",
    "load_project": "project",
    "load_values": "project",
    "values_from_layered": "project",
}

__all__ = [
    "DEFAULT_PROJECT_FILE",
    "Autoscaling",
    "ClusterAutoscalerConfig",
    "EnvConfig",
    "EnvEntry",
    "LoadedProject",
    "MachineSetPool",
    "NvidiaConfig",
    "PoolAutoscaler",
    "Project",
    "Taint",
    "Values",
    "load_env",
    "load_envs",
    "load_layered",
    "load_project",
    "load_values",
    "values_from_layered",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
