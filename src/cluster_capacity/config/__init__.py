"""Configuration: the values format, the project file, and loading them with located errors."""

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
    EnvEntry,
    LoadedProject,
    Project,
    load_env,
    load_envs,
    load_layered,
    load_project,
    load_values,
    values_from_layered,
)

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
