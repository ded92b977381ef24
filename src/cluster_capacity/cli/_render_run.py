"""What ``cluster-capacity render`` does once its flags are read, without Typer (``cli/render`` is its
Typer command; ``cli/_argv`` reads the common command lines without Typer, for start-up)."""

from __future__ import annotations

import sys
from pathlib import Path

from cluster_capacity.cli._targets import argocd_objects, resolve
from cluster_capacity.errors import EXIT_FAILED, ConfigError


def render(
    values: list[Path] | None,
    project: Path | None,
    env: str | None,
    all_envs: bool,
    sets: list[str] | None,
    output_dir: Path | None,
    check: bool,
) -> int:
    """Render to stdout, one folder, or every env's folder (``check``: compare only); the exit code."""
    from cluster_capacity import output

    targets, loaded = resolve(values, project, env, all_envs, sets)
    if all_envs and output_dir:
        raise ConfigError("--all writes each env into the project's outputDir; -o is for one env")
    if check and not (all_envs or output_dir):
        raise ConfigError("--check compares with files on disk: use it with --all or -o DIR")

    plan: list[tuple[Path, dict[str, str]]] = []
    if all_envs:
        for t in targets:
            assert t.output_dir is not None
            plan.append((t.output_dir, output.files_for(t.objects)))
        plan.append((loaded.apps_output_dir, output.files_for(argocd_objects(targets, loaded))))
    elif output_dir:
        if output_dir.exists() and not output_dir.is_dir():
            raise ConfigError(f"-o {output_dir}: is a file; give a folder to render into")
        plan.append((output_dir, output.files_for(targets[0].objects)))
    else:
        (t,) = targets
        docs = [*t.objects, t.application] if t.application else t.objects
        sys.stdout.write(output.to_stream(docs))
        return 0

    if check:
        diffs = [d for folder, files in plan for d in output.compare(folder, files)]
        for d in diffs:
            print(d, file=sys.stderr)
        if diffs:
            print(
                f"{len(diffs)} rendered file(s) out of date: run cluster-capacity render again",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print("rendered output is up to date", file=sys.stderr)
        return 0
    unchanged = 0
    for result in output.write_folders(plan):
        if not result.changed:
            unchanged += 1  # nothing to write: the files (and their mtimes) stay as they are
            continue
        print(f"{result.folder}: {len(result.files) - 1} object(s) + {output.KUSTOMIZATION}", file=sys.stderr)
    if unchanged:
        print(f"{unchanged} folder(s) already up to date", file=sys.stderr)
    return 0
