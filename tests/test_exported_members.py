"""The public API is what __all__ says, every name in it resolves, and nothing else leaks."""

from __future__ import annotations

import subprocess
import sys

import cluster_capacity
from tests.conftest import REPO


def test_all_names_resolve() -> None:
    for name in cluster_capacity.__all__:
        assert getattr(cluster_capacity, name) is not None, name


def test_public_api_is_pinned() -> None:
    assert sorted(cluster_capacity.__all__) == sorted(
        [
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
    )


def test_render_path_imports_no_cluster_or_aws_client() -> None:
    """`render` must stay fast: neither the kubernetes client nor boto3 nor jsonschema on its path."""
    code = (
        "import sys\n"
        "from cluster_capacity.cli import main\n"
        "main(['render', '--project', 'examples', '--env', 'prod'])\n"
        "heavy = [m for m in ('kubernetes', 'boto3', 'botocore', 'jsonschema', 'kubernetes_validate', 'rich') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"
