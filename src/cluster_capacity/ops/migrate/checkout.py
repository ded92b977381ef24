"""``migrate``: turn a checkout of the Helm chart's GitOps repo into a cluster-capacity project.

Reads the chart's values files (``charts/cluster-capacity/values-*.yaml``) and the Argo CD apps values that
enable the capacity app per env (``charts/argocd-apps/values.yaml``: ``repoUrl``, ``targetRevision``,
``argocdNamespace``, ``envs[].capacityEnabled`` / ``capacityIgnoreMachineSetReplicas``), and writes
``cluster-capacity.yaml`` plus the values folder (the values files copied unchanged: they are already in
our format). It also says what to switch off in the old app-of-apps first and, per env, which live objects
this tool updates in place, which it replaces and which are left behind.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster_capacity.errors import ConfigError, Problem
from cluster_capacity.ops.migrate.chart import ChartFeatures, chart_objects
from cluster_capacity.ops.orphans import removal_command

__all__ = ["APPS_VALUES", "CHART_DIR", "EnvMigration", "MigrationPlan", "plan_migration", "write_migration"]

CHART_DIR = "charts/cluster-capacity"
APPS_VALUES = "charts/argocd-apps/values.yaml"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"


@dataclass(frozen=True)
class EnvMigration:
    """One env of the chart's repo, and what the switch does to its live objects."""

    name: str
    capacity_enabled: bool
    ignore_replicas: bool
    values_file: Path | None  # the chart's values-<env>.yaml; None when missing (ignoreMissingValueFiles)
    apps_line: int  # the line of the env's entry in the apps values
    in_place: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # (chart object) -> what renders in its stead
    left_behind: list[str] = field(default_factory=list)  # commands that remove what nothing renders any more
    new: list[str] = field(default_factory=list)


@dataclass
class MigrationPlan:
    """The files ``migrate`` writes and what it has to tell."""

    checkout: Path
    target: Path
    files: dict[Path, bytes]
    envs: list[EnvMigration]
    gitops_namespace: str
    apps_values: Path
    notes: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """The lines ``migrate`` prints: the order of the switch, then each env's objects."""
        ns = self.gitops_namespace
        lines = [f"wrote {path}" for path in self.files]
        enabled = [e for e in self.envs if e.capacity_enabled]
        if enabled:
            lines += [
                "",
                "Before Argo CD applies the new Application, switch the old one off (same name, same namespace:",
                "the umbrella would put it back on every sync and the two would fight):",
            ]
            for step, env in enumerate(enabled, start=1):
                app = f"cluster-capacity-{env.name}"
                lines += [
                    f"  {step}. {self.apps_values}:{env.apps_line}: envs[{env.name}].capacityEnabled: set it to "
                    f"false, commit, and let the umbrella sync (it prunes the old Application {app}).",
                    f"     Before that sync: oc -n {ns} get application {app} -o jsonpath='{{.metadata.finalizers}}'",
                    f"     must not list {FINALIZER} (with it, deleting the old Application deletes every",
                    f"     MachineSet it made); if it does: oc -n {ns} patch application {app} --type merge -p "
                    '\'{"metadata":{"finalizers":null}}\'',
                ]
            lines += [
                "  Then: cluster-capacity render --project . --all, commit, and apply rendered/argocd",
                "  (oc apply -k rendered/argocd): the new Applications adopt the live objects by name.",
            ]
        for env in self.envs:
            lines += [
                "",
                f"env {env.name}" + ("" if env.capacity_enabled else " (capacityEnabled: false)") + ":",
            ]
            lines += [f"  updated in place: {ref}" for ref in env.in_place]
            lines += [f"  replaced: {ref}" for ref in env.replaced]
            lines += [f"  new: {ref}" for ref in env.new]
            if env.left_behind:
                lines.append("  left behind (auto-prune is off; `cluster-capacity diff` lists them too):")
                lines += [f"    {command}" for command in env.left_behind]
        lines += [f"note: {n}" for n in self.notes]
        return lines


def _read(path: Path) -> tuple[dict[str, Any], Any]:
    from cluster_capacity.config.sources import read_source

    source = read_source(path)
    return source.data, source.lines


def plan_migration(
    checkout: Path, target: Path | None = None, *, chart_dir: str = CHART_DIR, apps_values: str = APPS_VALUES
) -> MigrationPlan:
    """What ``migrate`` writes for ``checkout`` (into ``target``, default: the checkout itself)."""
    chart = checkout / chart_dir
    apps_path = checkout / apps_values
    target = target or checkout
    if not chart.is_dir():
        raise ConfigError([Problem(str(chart), 0, "", "not found: is this a checkout of the chart's repo?")])
    if (target / "cluster-capacity.yaml").exists():
        raise ConfigError(
            [Problem(str(target / "cluster-capacity.yaml"), 0, "", "exists already; nothing written")]
        )
    apps, apps_lines = _read(apps_path)
    entries = apps.get("envs")
    if not isinstance(entries, list) or not entries:
        raise ConfigError([Problem(str(apps_path), apps_lines.get(("envs",), 0), "envs", "no envs listed")])
    repo_url = apps.get("repoUrl") or apps.get("repoURL")
    if not isinstance(repo_url, str) or not repo_url:
        raise ConfigError([Problem(str(apps_path), 0, "repoUrl", "required: the Git repo Argo CD reads")])
    gitops_ns = str(apps.get("argocdNamespace") or "openshift-gitops")
    features = ChartFeatures.from_templates(chart / "templates")

    files: dict[Path, bytes] = {}
    values_dir = target / "values"
    common = chart / "values-common.yaml"
    if common.is_file():
        files[values_dir / common.name] = common.read_bytes()
    envs: list[EnvMigration] = []
    notes: list[str] = []
    servers: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        name = str(entry["name"])
        values_file = chart / f"values-{name}.yaml"
        if values_file.is_file():
            files[values_dir / values_file.name] = values_file.read_bytes()
        else:
            files[values_dir / values_file.name] = (
                f"# {values_file.name} was missing in the chart (its Application ignored missing value files):\n"
                "# values-common.yaml applies alone.\n{}\n"
            ).encode()
            notes.append(f"{values_file} is missing: wrote an empty {values_file.name}")
        enabled = _switch(entry.get("capacityEnabled"))
        if enabled:
            servers.add(str(entry.get("clusterServer") or IN_CLUSTER))
        envs.append(
            EnvMigration(
                name,
                enabled,
                _switch(entry.get("capacityIgnoreMachineSetReplicas")),
                values_file if values_file.is_file() else None,
                apps_lines.get(("envs", i, "capacityEnabled"), apps_lines.get(("envs", i), 0)),
            )
        )
    server = IN_CLUSTER
    if len(servers) == 1:
        server = servers.pop()
    elif servers:
        notes.append(
            f"the envs target different clusters ({', '.join(sorted(servers))}); the project has one "
            "destinationServer: set it per repo, or split the envs into one project per cluster"
        )
    files[target / "cluster-capacity.yaml"] = _project_text(apps, gitops_ns, server, envs).encode()
    plan = MigrationPlan(checkout, target, files, envs, gitops_ns, apps_path, notes)
    plan.envs = [_objects(plan, env, chart, features) for env in envs]
    return plan


def _switch(value: Any) -> bool:
    return str(value).lower() == "true"


def _project_text(apps: dict[str, Any], gitops_ns: str, server: str, envs: list[EnvMigration]) -> str:
    import yaml

    project: dict[str, Any] = {
        "repoURL": apps.get("repoUrl") or apps.get("repoURL"),
        "targetRevision": str(apps.get("targetRevision") or "HEAD"),
        "gitopsNamespace": gitops_ns,
        "destinationServer": server,
        "valuesDir": "values",
        "outputDir": "rendered",
        "envs": [
            {
                "name": e.name,
                "capacityEnabled": e.capacity_enabled,
                "capacityIgnoreMachineSetReplicas": e.ignore_replicas,
            }
            for e in envs
        ],
    }
    header = (
        "# cluster-capacity project file, written by `cluster-capacity migrate` from the Helm chart's\n"
        "# charts/argocd-apps values (repoUrl, targetRevision, argocdNamespace, envs[].capacity*).\n"
    )
    return header + yaml.safe_dump(project, sort_keys=False, default_flow_style=False)


def _ref(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj['kind']} {ns + '/' if ns else ''}{meta.get('name')}"


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return str(obj["kind"]), str(meta.get("namespace", "")), str(meta["name"])


def _objects(plan: MigrationPlan, env: EnvMigration, chart: Path, features: ChartFeatures) -> EnvMigration:
    """Which of the chart's objects for this env are updated in place, replaced, or left behind."""
    from cluster_capacity.config.project import load_layered, values_from_layered
    from cluster_capacity.render import render

    paths = [p for p in (chart / "values-common.yaml", env.values_file) if p is not None and p.is_file()]
    layered = load_layered(paths, [f"env={env.name}"])
    old = chart_objects(copy.deepcopy(layered.data), features) if env.capacity_enabled else []
    new = render(values_from_layered(layered), env.name) if env.capacity_enabled else []
    ours = {_key(o): o for o in new}
    theirs = {_key(o): o for o in old}
    in_place = [_ref(o) for k, o in theirs.items() if k in ours]
    fresh = [k for k in ours if k not in theirs]
    replaced: list[str] = []
    left: list[str] = []
    used: set[tuple[str, str, str]] = set()
    for k, obj in theirs.items():
        if k in ours:
            continue
        meta = obj["metadata"]
        command = removal_command(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace", ""))
        stand_in = next((n for n in fresh if n[0] == k[0] and n not in used), None)
        if stand_in is None:
            left.append(command)
            continue
        used.add(stand_in)
        replaced.append(f"{_ref(obj)} -> {_ref(ours[stand_in])} (after the switch: {command})")
    added = [_ref(ours[k]) for k in fresh if k not in used]
    if env.capacity_enabled:
        replaced.insert(
            0,
            f"Application {plan.gitops_namespace}/cluster-capacity-{env.name}: source {CHART_DIR} (Helm) -> "
            f"rendered/{env.name}, with RespectIgnoreDifferences when replicas are ignored",
        )
    return EnvMigration(
        env.name, env.capacity_enabled, env.ignore_replicas, env.values_file, env.apps_line,
        in_place, replaced, left, added,
    )  # fmt: skip


def write_migration(plan: MigrationPlan) -> list[Path]:
    """Write the plan's files (refusing to overwrite any), after checking that every env loads."""
    existing = [p for p in plan.files if p.exists()]
    if existing:
        raise ConfigError([Problem(str(p), 0, "", "exists already; nothing written") for p in existing])
    for path, content in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return list(plan.files)
