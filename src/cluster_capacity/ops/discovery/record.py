"""``discover --env E --write``: record what the cluster runs in the project file, for offline checks."""

from __future__ import annotations

from pathlib import Path

from cluster_capacity.config.edit import YamlDocument
from cluster_capacity.errors import ConfigError

__all__ = ["record_openshift_version"]


def record_openshift_version(project_file: Path, env: str, version: str) -> YamlDocument:
    """The project file with ``envs[<env>].openshiftVersion: <version>`` (``validate`` warns against it)."""
    if not version:
        raise ConfigError(
            "the cluster reports no OpenShift version (ClusterVersion 'version'): nothing to record"
        )
    doc = YamlDocument.load(project_file)
    envs = doc.get(["envs"]) or []
    for i, entry in enumerate(envs if isinstance(envs, list) else []):
        if isinstance(entry, dict) and entry.get("name") == env:
            if entry.get("openshiftVersion") != version:
                doc.set(["envs", i, "openshiftVersion"], version)
            return doc
    raise ConfigError(f"{project_file}: env {env!r} is not in envs")
