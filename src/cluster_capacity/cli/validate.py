"""``cluster-capacity validate``: render, then check against the CRD schemas and the policy rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cluster_capacity.cli._inputs import (
    AllOpt,
    EnvOpt,
    ProjectOpt,
    SetOpt,
    ValuesOpt,
)
from cluster_capacity.cli._targets import argocd_objects, resolve
from cluster_capacity.errors import EXIT_FAILED, ConfigError
from cluster_capacity.validate.findings import Finding


def validate_cmd(
    values: ValuesOpt = None,
    project: ProjectOpt = None,
    env: EnvOpt = None,
    all_envs: AllOpt = False,
    sets: SetOpt = None,
    crds: Annotated[
        Path | None,
        typer.Option(
            "--crds", metavar="DIR", help="Folder of CRD YAML files (default: $CLUSTER_CAPACITY_CRDS)."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    quota_file: Annotated[
        Path | None,
        typer.Option(
            "--quota-file",
            metavar="FILE",
            help="Check pools against AWS quotas from a snapshot saved by `plan --save-snapshot`.",
        ),
    ] = None,
    quotas: Annotated[
        list[str] | None,
        typer.Option(
            "--quota", metavar="FAMILY:MARKET=VCPUS", help="Quota what-if over --quota-file (g:spot=16)."
        ),
    ] = None,
    openshift_version: Annotated[
        str | None,
        typer.Option(
            "--openshift-version",
            metavar="X.Y.Z",
            help="Warn with NVIDIA's guidance for this OpenShift version (default: the env's "
            "openshiftVersion recorded by `discover --env NAME --write`).",
        ),
    ] = None,
) -> None:
    """Validate rendered manifests offline: CRD schemas (types, required, enums, unknown fields) and policy."""
    from cluster_capacity import compat
    from cluster_capacity.validate import validate_objects
    from cluster_capacity.validate.compat import compat_findings
    from cluster_capacity.validate.schemas import SchemaRegistry

    if openshift_version is not None and compat.parse_version(openshift_version) is None:
        raise ConfigError(f"--openshift-version {openshift_version}: expected X.Y.Z, for example 4.19.9")
    registry = SchemaRegistry.from_env_or(crds)
    snapshot = _quota_snapshot(quota_file, quotas or [])
    targets, loaded = resolve(values, project, env, all_envs, sets)
    failed = False
    total = 0
    for t in targets:
        docs = [*t.objects, t.application] if t.application else t.objects
        total += len(docs)
        findings = validate_objects(docs, registry)
        if snapshot is not None:
            findings.extend(quota_findings(t.values, snapshot))
        version = openshift_version or (
            loaded.project.env(t.env).openshift_version if loaded and t.env else None
        )
        if version:
            findings.extend(compat_findings(docs, version))
        for finding in findings:
            prefix = f"[{t.env}] " if t.env and len(targets) > 1 else ""
            print(f"{prefix}{finding}")
            failed = failed or finding.severity == "error" or strict
    if all_envs and loaded is not None and loaded.project.application_set:
        # the envs' Applications above are what the set generates; the set itself meets its CRD
        for obj in argocd_objects(targets, loaded):
            total += 1
            for finding in registry.validate(obj):
                print(finding)
                failed = failed or finding.severity == "error" or strict
    if failed:
        raise typer.Exit(EXIT_FAILED)
    print(f"{total} object(s) valid", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_cmd)


def _quota_snapshot(quota_file: Path | None, quotas: list[str]) -> Any:
    if quota_file is None:
        if quotas:
            raise ConfigError(
                "--quota needs the instance catalog: give --quota-file FILE saved by "
                "`cluster-capacity plan --save-snapshot FILE` (or use `cluster-capacity plan --check`)"
            )
        return None
    from cluster_capacity.aws.snapshot import load_snapshot, parse_quota_override

    overrides = dict(parse_quota_override(q) for q in quotas)
    return load_snapshot(quota_file).with_quotas(overrides)


def quota_findings(values: Any, snapshot: Any) -> list[Finding]:
    """One finding per pool that can never reach its maximum under the snapshot's quotas and offerings."""
    from cluster_capacity.aws.plan import check_pools, pool_demands

    pools = {p.name_suffix: p for p in values.enabled_pools}
    out = []
    for problem in check_pools(pool_demands(values), snapshot):
        pool = pools.get(problem.pools[0])
        name = pool.machineset_name(values.infra_id or "") if pool else ", ".join(problem.pools)
        namespace = pool.namespace if pool else ""
        out.append(
            Finding("MachineSet", name, "spec.replicas", str(problem), namespace=namespace, rule="quota")
        )
    return out
