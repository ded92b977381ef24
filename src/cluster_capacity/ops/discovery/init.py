"""``init``: create or repair an env's files from the live cluster's facts.

Creates ``values-<env>.yaml`` (and the project file and the env entry when missing) with the cluster's
infraID. On existing files only what is missing or wrong changes; comments, order and other keys stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cluster_capacity.config.edit import YamlDocument
from cluster_capacity.config.project import repo_path_problem
from cluster_capacity.errors import ConfigError

if TYPE_CHECKING:
    from cluster_capacity.ops.discovery.discover import ClusterFacts

__all__ = ["InitPlan", "git_remote_url", "plan_init"]

_ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PROJECT_HEADER = "cluster-capacity project file: one per GitOps repo (see docs/cluster-commands.md)."


@dataclass
class InitPlan:
    """The documents ``init`` would write, and what it noticed but did not change."""

    documents: list[YamlDocument]
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[YamlDocument]:
        return [d for d in self.documents if d.changed]


def plan_init(
    facts: ClusterFacts,
    env: str,
    project_path: Path,
    *,
    repo_url: str | None = None,
) -> InitPlan:
    """What to create or fix for ``env`` so that its values match the cluster ``facts`` describe."""
    if not _ENV_NAME.match(env) or len(env) > 40:
        raise ConfigError(f"--env {env}: must be lower-case letters, digits and '-' (at most 40)")
    project_file = project_path / "cluster-capacity.yaml" if project_path.is_dir() else project_path
    changes: list[str] = []
    notes: list[str] = []

    project = YamlDocument.load(project_file, create=True, header=PROJECT_HEADER)
    if not project.existed:
        url = repo_url or git_remote_url(project_file.parent)
        if not url:
            raise ConfigError(
                f"{project_file} does not exist and no Git remote was found: pass --repo-url URL to create it"
            )
        for key, value in (
            ("repoURL", url),
            ("targetRevision", "main"),
            ("gitopsNamespace", "openshift-gitops"),
            ("valuesDir", "values"),
            ("outputDir", "rendered"),
        ):
            project.set([key], value)
        changes.append(f"create {project_file}")
    envs = project.get(["envs"])
    if envs is not None and not isinstance(envs, list):
        raise ConfigError(f"{project_file}: envs: must be a list")
    if not any(isinstance(e, dict) and e.get("name") == env for e in envs or []):
        project.append(["envs"], {"name": env, "capacityEnabled": True})
        changes.append(f"add env {env} to {project_file}")

    values_dir_name = str(project.get(["valuesDir"], "values"))
    problem = repo_path_problem(values_dir_name)
    if problem:  # init writes there: never outside the repository
        raise ConfigError(f"{project_file}: valuesDir: {problem}")
    values_dir = project_file.parent / values_dir_name
    values_file = values_dir / f"values-{env}.yaml"
    header = (
        f"{env}: worker capacity for cluster {facts.infra_id} ({facts.region}, OpenShift "
        f"{facts.openshift_version}). Add pools with: cluster-capacity add-pool --env {env} ..."
    )
    values = YamlDocument.load(values_file, create=True, header=header)
    if not values.existed:
        values.set(["enabled"], True)
        values.set(["infraID"], facts.infra_id)
        values.set(["machineSets"], [])
        changes.append(f"create {values_file} with infraID {facts.infra_id}")
    else:
        current = values.get(["infraID"])
        if current != facts.infra_id:
            values.set(["infraID"], facts.infra_id)
            changes.append(
                f"{values_file}: infraID {current or '(unset)'} -> {facts.infra_id}"
                if current
                else f"{values_file}: set infraID {facts.infra_id}"
            )
        notes.extend(_stale_pools(values, facts))
    return InitPlan([project, values], changes, notes)


def _stale_pools(values: YamlDocument, facts: ClusterFacts) -> list[str]:
    """Pools whose providerSpec still names another cluster or region: reported, not rewritten."""
    found = []
    for i, pool in enumerate(values.get(["machineSets"]) or []):
        if not isinstance(pool, dict):
            continue
        spec: Any = pool.get("providerSpec") or {}
        text = repr(spec)
        name = pool.get("nameSuffix", i)
        ids = set(re.findall(r"kubernetes\.io/cluster/([a-z0-9-]+)", text))
        ids |= {m for m in re.findall(r"'([a-z0-9]+-[a-z0-9]{5})-worker-profile'", text)}
        stale = sorted(i for i in ids if i != facts.infra_id)
        if stale:
            found.append(
                f"machineSets[{name}].providerSpec names cluster {', '.join(stale)}, not "
                f"{facts.infra_id}: re-create the pool with cluster-capacity add-pool"
            )
        region = ((spec.get("placement") or {}) if isinstance(spec, dict) else {}).get("region")
        if region and facts.region and region != facts.region:
            found.append(
                f"machineSets[{name}].providerSpec.placement.region is {region}, the cluster is in "
                f"{facts.region}"
            )
    return found


def git_remote_url(start: Path) -> str | None:
    """The ``origin`` URL of the Git repository holding ``start``, read from ``.git/config``."""
    for folder in (start.resolve(), *start.resolve().parents):
        config = folder / ".git" / "config"
        if config.is_file():
            text = config.read_text(encoding="utf-8", errors="replace")
            match = re.search(r'\[remote "origin"\][^\[]*?url\s*=\s*(\S+)', text)
            return match[1] if match else None
    return None
