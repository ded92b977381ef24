"""The project file ``cluster-capacity.yaml`` and loading one env's values through it."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from cluster_capacity import apinames
from cluster_capacity.config import rules
from cluster_capacity.config._fields import Switch, _Model
from cluster_capacity.config.errors import problems_from_pydantic
from cluster_capacity.config.models import Values
from cluster_capacity.config.sources import Layered, Source, apply_sets, layer, merge, read_source
from cluster_capacity.errors import ConfigError, Problem

DEFAULT_PROJECT_FILE = "cluster-capacity.yaml"
#: The folder under ``outputDir`` that holds every env's Argo CD Application (so no env may be named so).
APPS_FOLDER = "argocd"
_MAX_NAME_BYTES = 255  # one path component, on every common file system
_MAX_PATH_CHARS = 1024
_ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class ClusterRef(_Model):
    """Where an env's Application deploys: an Argo CD cluster by ``name``, or an API ``server`` URL."""

    name: str | None = Field(None, min_length=1)
    server: str | None = Field(None, min_length=1)


class EnvEntry(_Model):
    """One env: ``values-<name>.yaml`` and its Argo CD Application ``cluster-capacity-<name>``."""

    name: str = Field(min_length=1, max_length=40)
    capacity_enabled: Switch = True
    #: ``None`` means: ignore MachineSet replicas when any pool of the env autoscales.
    capacity_ignore_machine_set_replicas: Switch | None = None
    #: The cluster's OpenShift version, as ``discover --env NAME --write`` recorded it (X.Y.Z).
    openshift_version: str | None = Field(None, pattern=r"^\d+\.\d+(\.\d+)?$")
    #: The Application's destination (default: the project's ``destinationServer``, in-cluster).
    cluster: ClusterRef | None = None
    #: Kubeconfig context of the env's cluster, for the commands that read it (default: the cluster's name).
    kube_context: str | None = Field(None, min_length=1)
    #: AWS profile of the env's account, for ``plan --check --all`` (default: ``--profile``, the chain's).
    aws_profile: str | None = Field(None, min_length=1)

    @property
    def context(self) -> str | None:
        """The kubeconfig context to reach this env: ``kubeContext``, else the cluster's name, else None."""
        return self.kube_context or (self.cluster.name if self.cluster else None)


class Project(_Model):
    """``cluster-capacity.yaml`` at the root of a GitOps repo."""

    repo_url: str = Field(alias="repoURL", min_length=1)
    target_revision: str = "HEAD"
    gitops_namespace: str = "openshift-gitops"
    #: Name of the ArgoCD instance (OpenShift GitOps) in ``gitopsNamespace``; default: the namespace's name.
    argocd_instance: str | None = Field(None, min_length=1)
    #: Argo CD AppProject the Applications belong to.
    argocd_project: str = "default"
    destination_server: str = "https://kubernetes.default.svc"
    #: One ApplicationSet (a list generator over the envs) instead of one Application per env.
    application_set: Switch = False
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
        try:
            files = [common] if common.is_file() else []
        except OSError:  # a name too long for the file system: reading it reports the problem
            files = []
        return [*files, self.values_dir / f"values-{env}.yaml"]

    @property
    def apps_output_dir(self) -> Path:
        """Where the Applications of every env are rendered: ``<outputDir>/argocd``."""
        return self.output_dir / APPS_FOLDER

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
    for key, value in (("valuesDir", project.values_dir), ("outputDir", project.output_dir)):
        problem = repo_path_problem(value)
        if problem:
            problems.append(layered.problem((key,), problem))
    # Names the Applications carry into the cluster: the API server's own rules, so the first sync works.
    for key, name, check in (
        ("gitopsNamespace", project.gitops_namespace, apinames.dns1123_label),
        ("argocdProject", project.argocd_project, apinames.dns1123_subdomain),
        ("argocdInstance", project.argocd_instance, apinames.dns1123_subdomain),
    ):
        if name is not None:
            problems += [layered.problem((key,), message) for message in check(name)]
    seen: set[str] = set()
    for i, entry in enumerate(project.envs):
        if not _ENV_NAME.match(entry.name):
            problems.append(
                layered.problem(("envs", i, "name"), "must be lower-case letters, digits and '-'")
            )
        if entry.name == APPS_FOLDER:
            problems.append(
                layered.problem(
                    ("envs", i, "name"),
                    f"{APPS_FOLDER!r} is taken: <outputDir>/{APPS_FOLDER} holds the Applications; name the env otherwise",
                )
            )
        if entry.cluster is not None and (entry.cluster.name is None) == (entry.cluster.server is None):
            problems.append(
                layered.problem(
                    ("envs", i, "cluster"), "give exactly one of name (an Argo CD cluster) or server"
                )
            )
        if entry.name in seen:
            problems.append(layered.problem(("envs", i, "name"), f"duplicate env {entry.name!r}"))
        seen.add(entry.name)
    if problems:
        raise ConfigError(problems)
    return LoadedProject(file, project)


def repo_path_problem(value: str) -> str | None:
    """Why ``value`` cannot be a folder of the repository (relative, inside it, a usable name), or None.

    Argo CD syncs these paths from the repository, and ``init`` writes into them: a path outside the
    repository would be synced from nowhere and written anywhere.
    """
    if not value or not value.strip():
        return "must not be empty"
    if "\0" in value:
        return "must not contain a NUL character"
    if len(value) > _MAX_PATH_CHARS:
        return f"is {len(value)} characters; at most {_MAX_PATH_CHARS}"
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or PureWindowsPath(value).drive:
        return f"{value!r} is absolute; give a path relative to the project file's folder"
    depth = 0
    for part in path.parts:
        if len(part.encode("utf-8")) > _MAX_NAME_BYTES:
            return f"the name {part[:20]!r}... is longer than {_MAX_NAME_BYTES} bytes"
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            return f"{value!r} leaves the repository; give a folder inside it"
    return None


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
    project_path: str | Path | LoadedProject | None,
    env_name: str,
    sets: Sequence[str] = (),
    *,
    gate: bool = True,
) -> EnvConfig:
    """Load one env of a project: its entry, and ``values-common.yaml`` + ``values-<env>.yaml``."""
    (cfg,) = load_envs(project_path, [env_name], sets, gate=gate)
    return cfg


def load_envs(
    project: str | Path | LoadedProject | None,
    names: Sequence[str] | None = None,
    sets: Sequence[str] = (),
    *,
    gate: bool = True,
) -> list[EnvConfig]:
    """Load several envs (default: all) of a project, reading the project and common files once.

    Every env's problems are reported together, in one ``ConfigError``; with more than one env each
    line names its envs, and a problem of ``values-common.yaml`` they share is one line:
    ``... (envs dev, prod)``.
    """
    loaded = project if isinstance(project, LoadedProject) else load_project(project)
    entries = [loaded.project.env(n) for n in names] if names is not None else list(loaded.project.envs)
    common_path = loaded.values_dir / "values-common.yaml"
    common: list[Source] = []
    found: dict[Problem, list[str]] = {}
    common_ok = True
    if common_path.is_file():
        try:
            common.append(read_source(common_path))
        except ConfigError as exc:  # still read each env's file, to report its problems too
            for problem in exc.problems:
                found[problem] = [e.name for e in entries]
            common_ok = False
    out = []
    for entry in entries:
        env_path = loaded.values_dir / f"values-{entry.name}.yaml"
        try:
            env_source = read_source(env_path)
            if not common_ok:
                continue
            layered = apply_sets(layer([*common, env_source]), sets)
            values = values_from_layered(layered, gate=gate)
        except ConfigError as exc:  # report every env's problems, not only the first env's
            for problem in exc.problems:
                found.setdefault(problem, []).append(entry.name)
            continue
        files = (common_path, env_path) if common_ok and common else (env_path,)
        out.append(EnvConfig(loaded, entry, values, files))
    if found and len(entries) < 2:
        raise ConfigError(list(found))
    if found:
        named = []
        for problem, envs in found.items():
            which = f"env {envs[0]}" if len(envs) == 1 else f"envs {', '.join(envs)}"
            named.append(Problem(problem.file, problem.line, problem.path, f"{problem.message} ({which})"))
        raise ConfigError(named)
    return out
