"""The project file ``cluster-capacity.yaml`` and loading one env's values through it."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from cluster_capacity.config import rules
from cluster_capacity.config.errors import problems_from_pydantic
from cluster_capacity.config.models import Values, _Model
from cluster_capacity.config.sources import Layered, apply_sets, layer, merge, read_source
from cluster_capacity.errors import ConfigError, Problem

DEFAULT_PROJECT_FILE = "cluster-capacity.yaml"
_ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class EnvEntry(_Model):
    """One env: ``values-<name>.yaml`` and its Argo CD Application ``cluster-capacity-<name>``."""

    name: str = Field(min_length=1, max_length=40)
    capacity_enabled: bool = True
    #: ``None`` means: ignore MachineSet replicas when any pool of the env autoscales.
    capacity_ignore_machine_set_replicas: bool | None = None


class Project(_Model):
    """``cluster-capacity.yaml`` at the root of a GitOps repo."""

    repo_url: str = Field(alias="repoURL", min_length=1)
    target_revision: str = "HEAD"
    gitops_namespace: str = "openshift-gitops"
    #: Argo CD AppProject the Applications belong to.
    argocd_project: str = "default"
    destination_server: str = "https://kubernetes.default.svc"
    values_dir: str = "values"
    output_dir: str = "rendered"
    envs: list[EnvEntry] = Field(default_factory=list)

    def env(self, name: str) -> EnvEntry:
        for entry in self.envs:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.envs) or "none"
        raise ConfigError(f"env {name!r} is not in the project file (known envs: {known})")


@dataclass(frozen=True)
class LoadedProject:
    """A project file, parsed, with the folder it lives in (paths in it are relative to that)."""

    path: Path
    project: Project

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def values_dir(self) -> Path:
        return self.root / self.project.values_dir

    @property
    def output_dir(self) -> Path:
        return self.root / self.project.output_dir

    def values_files(self, env: str) -> list[Path]:
        """``values-common.yaml`` (when present) then ``values-<env>.yaml`` (always expected)."""
        common = self.values_dir / "values-common.yaml"
        files = [common] if common.is_file() else []
        return [*files, self.values_dir / f"values-{env}.yaml"]

    def env_output_dir(self, env: str) -> Path:
        return self.output_dir / env

    def env_source_path(self, env: str) -> str:
        """The env's rendered folder relative to the repo root, as the Application's source path."""
        return (Path(self.project.output_dir) / env).as_posix()


@dataclass(frozen=True)
class EnvConfig:
    """Everything known about one env: project, its entry, its merged values and the files they came from."""

    project: LoadedProject
    env: EnvEntry
    values: Values
    files: tuple[Path, ...]

    @property
    def ignore_machineset_replicas(self) -> bool:
        """Whether the Application ignores MachineSet replica drift (explicit, or when a pool autoscales)."""
        flag = self.env.capacity_ignore_machine_set_replicas
        if flag is not None:
            return flag
        return any(p.autoscaler.enabled for p in self.values.enabled_pools)


def load_project(path: str | Path | None = None) -> LoadedProject:
    """Read ``cluster-capacity.yaml`` (default: in the current folder)."""
    file = Path(path) if path is not None else Path(DEFAULT_PROJECT_FILE)
    if file.is_dir():
        file = file / DEFAULT_PROJECT_FILE
    layered = layer([read_source(file)])
    try:
        project = Project.model_validate(layered.data)
    except PydanticValidationError as exc:
        raise ConfigError(problems_from_pydantic(exc, layered, Project)) from exc
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, entry in enumerate(project.envs):
        if not _ENV_NAME.match(entry.name):
            problems.append(
                layered.problem(("envs", i, "name"), "must be lower-case letters, digits and '-'")
            )
        if entry.name in seen:
            problems.append(layered.problem(("envs", i, "name"), f"duplicate env {entry.name!r}"))
        seen.add(entry.name)
    if problems:
        raise ConfigError(problems)
    return LoadedProject(file, project)


@functools.cache
def chart_defaults() -> dict[str, Any]:
    """The defaults as a values mapping, like a chart's ``values.yaml``: files merge over it deeply."""
    return Values().model_dump(by_alias=True, exclude_none=True)


def values_from_layered(layered: Layered, *, gate: bool = True) -> Values:
    """Validate merged data into ``Values`` and apply the cross-field rules (``gate``: see ``rules.check``)."""
    data = merge(chart_defaults(), layered.data)
    try:
        values = Values.model_validate(data)
    except PydanticValidationError as exc:
        raise ConfigError(problems_from_pydantic(exc, layered, Values, data)) from exc
    problems = rules.check(values, layered, gate=gate)
    if problems:
        raise ConfigError(problems)
    return values


def load_values(paths: Sequence[str | Path], sets: Sequence[str] = (), *, gate: bool = True) -> Values:
    """Load values files layered like ``helm -f a -f b``, then ``--set`` expressions."""
    if not paths:
        raise ConfigError("no values file given (use -f FILE or --project PATH --env NAME)")
    return values_from_layered(load_layered(paths, sets), gate=gate)


def load_layered(paths: Sequence[str | Path], sets: Sequence[str] = ()) -> Layered:
    """Read, merge and ``--set`` the raw data, keeping where each value came from."""
    problems: list[Problem] = []
    sources = []
    for path in paths:
        try:
            sources.append(read_source(Path(path)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return apply_sets(layer(sources), sets)


def load_env(
    project_path: str | Path | None, env_name: str, sets: Sequence[str] = (), *, gate: bool = True
) -> EnvConfig:
    """Load one env of a project: its entry, and ``values-common.yaml`` + ``values-<env>.yaml``."""
    loaded = load_project(project_path)
    entry = loaded.project.env(env_name)
    files = loaded.values_files(env_name)
    values = load_values(files, sets, gate=gate)
    return EnvConfig(loaded, entry, values, tuple(files))


def load_envs(
    project_path: str | Path | None, env_names: Sequence[str], sets: Sequence[str] = ()
) -> list[EnvConfig]:
    """Load several envs, reporting every env's problems; with more than one env each line names its envs.

    A problem in ``values-common.yaml`` that every env shares is one line: ``... (envs dev, prod)``.
    """
    configs: list[EnvConfig] = []
    found: dict[Problem, list[str]] = {}
    for name in env_names:
        try:
            configs.append(load_env(project_path, name, sets))
        except ConfigError as exc:
            for problem in exc.problems:
                found.setdefault(problem, []).append(name)
    if not found:
        return configs
    if len(env_names) < 2:
        raise ConfigError(list(found))
    named = []
    for problem, envs in found.items():
        which = f"env {envs[0]}" if len(envs) == 1 else f"envs {', '.join(envs)}"
        named.append(Problem(problem.file, problem.line, problem.path, f"{problem.message} ({which})"))
    raise ConfigError(named)

