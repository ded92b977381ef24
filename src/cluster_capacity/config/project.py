"""The project file ``cluster-capacity.yaml`` and loading one env's values through it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from cluster_capacity import apinames
from cluster_capacity.config import _records, rules
from cluster_capacity.config.sources import Layered, Source, apply_sets, layer, merge, read_source
from cluster_capacity.errors import ConfigError, Problem

if TYPE_CHECKING:
    from cluster_capacity.config.models import Values
    from cluster_capacity.config.project_models import EnvEntry, Project

DEFAULT_PROJECT_FILE = "cluster-capacity.yaml"
#: The folder under ``outputDir`` that holds every env's Argo CD Application (so no env may be named so).
APPS_FOLDER = "argocd"
_MAX_NAME_BYTES = 255  # one path component, on every common file system
_MAX_PATH_CHARS = 1024
_ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MODELS = {"ClusterRef", "EnvEntry", "Project"}  # at home in ``project_models``, named here too


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        from cluster_capacity.config import project_models

        return getattr(project_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validated(model: str, data: Any, layered: Layered) -> Any:
    """``data`` as model ``model`` (``Values`` or ``Project``): a record when it is in the strict form
    (no pydantic), else the pydantic model, whose errors become problems naming file, line and field."""
    try:
        return _records.build(model, data)
    except _records.Unfit:
        pass
    from pydantic import ValidationError

    from cluster_capacity.config import models, project_models
    from cluster_capacity.config.errors import problems_from_pydantic

    cls = models.Values if model == "Values" else project_models.Project
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            problems_from_pydantic(exc, layered, cls, data if model == "Values" else None)
        ) from exc


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
    project: Project = validated("Project", layered.data, layered)
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


def chart_defaults() -> dict[str, Any]:
    """The defaults as a values mapping, like a chart's ``values.yaml``: files merge over it deeply."""
    return _records.chart_defaults()


def values_from_layered(layered: Layered, *, gate: bool = True) -> Values:
    """Validate merged data into ``Values`` and apply the cross-field rules (``gate``: see ``rules.check``)."""
    data = merge(chart_defaults(), layered.data)
    values: Values = validated("Values", data, layered)
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
