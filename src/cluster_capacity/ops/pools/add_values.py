"""The values-file side of ``add-pool``: the env's last values file with the new pool appended, through
the round-trip editor (every byte outside the edit kept), checked by loading the layered values."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cluster_capacity.config.edit import YamlDocument
from cluster_capacity.errors import ConfigError

if TYPE_CHECKING:
    from cluster_capacity.config import Values
    from cluster_capacity.ops.pools.add import NewPool

__all__ = ["plan_add_pool"]


def plan_add_pool(
    project_path: Path | None, env: str, pool: NewPool, infra_id: str
) -> tuple[YamlDocument, list[str]]:
    """The env's values file with ``pool`` appended (not yet written), checked by loading it; plus notes."""
    from cluster_capacity.config import load_project

    loaded = load_project(project_path)
    loaded.project.env(env)  # an unknown env is a ConfigError listing the known ones
    files = loaded.values_files(env)
    target = files[-1]
    if not target.is_file():
        raise ConfigError(f"{target} does not exist: run `cluster-capacity init --env {env}` first")
    doc = YamlDocument.load(target)
    notes: list[str] = []
    current = doc.get(["infraID"])
    if current and current != infra_id:
        raise ConfigError(
            f"{target}: infraID {current} is not this cluster's {infra_id}: wrong cluster or context? "
            f"(`cluster-capacity init --env {env}` fixes the file)"
        )
    merged = _load_checked(files, target, doc.text())
    if not current and merged.infra_id != infra_id:
        doc.set(["infraID"], infra_id)
        notes.append(f"set infraID {infra_id}")
    if doc.get(["machineSets"]) is None and merged.machine_sets:
        raise ConfigError(
            f"{files[0]} defines machineSets and {target.name} does not: lists replace when layered, so a pool "
            f"added to {target.name} would hide those; move them into {target.name} first"
        )
    for existing in merged.machine_sets:
        if existing.name_suffix == pool.name_suffix:
            raise ConfigError(
                f"{target}: a pool named {pool.name_suffix} already exists; choose another --name"
            )
    doc.append(["machineSets"], pool.entry)
    notes.extend(_add_gpu_limit(doc, merged, pool))
    after = _load_checked(files, target, doc.text())
    if not after.enabled:
        notes.append(f"enabled is false in {target.name}: nothing renders until you set enabled: true")
    return doc, notes


_GPU_LIMITS = ("autoscaling", "clusterAutoscaler", "spec", "resourceLimits", "gpus")


def _add_gpu_limit(doc: YamlDocument, merged: Values, pool: NewPool) -> list[str]:
    """The ClusterAutoscaler counts GPUs by ``cluster-api/accelerator``: a new GPU type needs a limit entry."""
    label = (pool.entry.get("nodeLabels") or {}).get("cluster-api/accelerator")
    autoscaler = merged.autoscaling.cluster_autoscaler
    if not label or not autoscaler.enabled:
        return []
    limits = (autoscaler.spec.get("resourceLimits") or {}).get("gpus") or []
    if any(isinstance(g, dict) and g.get("type") == label for g in limits):
        return []
    if doc.get(list(_GPU_LIMITS)) is None and limits:
        return [
            f"add {{type: {label}, min: 0, max: N}} to autoscaling.clusterAutoscaler.spec.resourceLimits.gpus "
            "where it is defined: the ClusterAutoscaler counts GPUs by that label"
        ]
    high = pool.entry.get("autoscaler", {}).get("maxReplicas", 1)
    gpus_per_node = 1
    doc.append(list(_GPU_LIMITS), {"type": label, "min": 0, "max": max(1, int(high)) * gpus_per_node})
    return [
        f"added GPU type {label} to autoscaling.clusterAutoscaler.spec.resourceLimits.gpus (max "
        f"{max(1, int(high)) * gpus_per_node}); raise it for multi-GPU instance types"
    ]


def _load_checked(files: Sequence[Path], target: Path, text: str) -> Values:
    """Load the layered values with ``target`` replaced by ``text``; problems name the real file."""
    import tempfile

    from cluster_capacity.config import load_values
    from cluster_capacity.errors import Problem

    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / target.name
        staged.write_text(text, encoding="utf-8")
        try:
            return load_values([*files[:-1], staged])
        except ConfigError as exc:
            raise ConfigError(
                [
                    Problem(str(target) if p.file == str(staged) else p.file, p.line, p.path, p.message)
                    for p in exc.problems
                ]
            ) from exc
