"""cluster-capacity: Day-2 worker capacity for OpenShift on AWS, through GitOps.

The library is the product; the ``cluster-capacity`` command is a thin layer over it::

    from cluster_capacity import load_env, render_env
    objects = render_env(load_env("cluster-capacity.yaml", "prod"))

Heavy parts (the Kubernetes client, boto3, the schema validator) load only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluster_capacity.errors import (
    AwsError,
    CapacityError,
    ClusterError,
    ConfigError,
    Problem,
    ValidationError,
)

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig, Values, load_env, load_project, load_values
    from cluster_capacity.render import render, render_application, render_env
    from cluster_capacity.validate import Finding, validate_objects
    from cluster_capacity.validate.schemas import SchemaRegistry

__version__ = "0.1.0"

__all__ = [
    "AwsError",
    "CapacityError",
    "ClusterError",
    "ConfigError",
    "EnvConfig",
    "Finding",
    "Problem",
    "SchemaRegistry",
    "ValidationError",
    "Values",
    "__version__",
    "load_env",
    "load_project",
    "load_values",
    "render",
    "render_application",
    "render_env",
    "validate_objects",
]

_LAZY = {
    "EnvConfig": "cluster_capacity.config",
    "Values": "cluster_capacity.config",
    "load_env": "cluster_capacity.config",
    "load_project": "cluster_capacity.config",
    "load_values": "cluster_capacity.config",
    "render": "cluster_capacity.render",
    "render_application": "cluster_capacity.render",
    "render_env": "cluster_capacity.render",
    "Finding": "cluster_capacity.validate",
    "validate_objects": "cluster_capacity.validate",
    "SchemaRegistry": "cluster_capacity.validate.schemas",
}


def __getattr__(name: str) -> Any:
    # keep `import cluster_capacity` (and so the CLI) free of pydantic until a name is used
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cluster_capacity' has no attribute {name!r}")
