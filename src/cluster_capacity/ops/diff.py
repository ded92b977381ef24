"""Drift: what Git renders for an env against the live objects, and live pools Git no longer renders.

Only what Git sets is compared (plus what the last ``kubectl apply`` set, so a field removed from Git still
shows): fields the API server, operators and controllers add (status, managedFields, resourceVersion,
defaults, their labels and annotations) are not drift. The Application's ``ignoreDifferences`` are honoured,
so the replicas of autoscaled pools are not drift either. Live objects of any kind that the env's Application
tracks and Git no longer renders keep running (auto-prune is off): ``ops.orphans`` finds them, each with the
command that removes it.

Requests: one LIST per kind rendered (label selector ``app.kubernetes.io/managed-by=cluster-capacity``),
plus a GET for a rendered object the LIST did not return (an object created before it carried our labels);
for orphans, GETs of ``argocd-cm`` and the Application and one LIST per kind looked through.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cluster_capacity import labels
from cluster_capacity.ops.orphans import removal_command

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig
    from cluster_capacity.kube import Kube, Resource

__all__ = ["DiffReport", "ObjectDiff", "diff_env", "diff_objects", "normalize"]

Obj = dict[str, Any]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "finalizers",
)


@dataclass(frozen=True)
class ObjectDiff:
    """One object that differs: ``changed`` (unified diff), ``missing`` (not live) or ``orphan``."""

    kind: str
    namespace: str
    name: str
    state: str
    diff: str = ""
    command: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass(frozen=True)
class DiffReport:
    """The drift of one env."""

    env: str
    compared: int
    diffs: list[ObjectDiff] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # the ignoreDifferences honoured, for the record

    @property
    def drift(self) -> bool:
        return bool(self.diffs)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``-o yaml|json``."""
        return {
            "env": self.env,
            "compared": self.compared,
            "drift": self.drift,
            "ignored": self.ignored,
            "objects": [
                {
                    "kind": d.kind,
                    "namespace": d.namespace,
                    "name": d.name,
                    "state": d.state,
                    "diff": d.diff,
                    **({"command": d.command} if d.command else {}),
                }
                for d in self.diffs
            ],
        }


def diff_env(kube: Kube, cfg: EnvConfig) -> DiffReport:
    """Compare the env's rendered objects (and its Application) with the cluster."""
    from cluster_capacity import kube as k
    from cluster_capacity.render import render, render_application

    env = cfg.env.name
    desired = list(render(cfg.values, env))
    app = render_application(cfg)
    if app is not None:
        desired.append(app)
    ignore = (app or {}).get("spec", {}).get("ignoreDifferences") or []
    if app is None:
        live_app = _get_or_none(
            kube, k.APPLICATIONS, f"cluster-capacity-{env}", cfg.project.project.gitops_namespace
        )
        ignore = ((live_app or {}).get("spec") or {}).get("ignoreDifferences") or []

    by_kind: dict[Resource, list[Obj]] = {}
    for obj in desired:
        by_kind.setdefault(k.resource_for(obj["apiVersion"], obj["kind"]), []).append(obj)
    # Orphans are looked for among MachineSets and MachineAutoscalers even when Git renders none any more.
    for resource in (k.MACHINESETS, k.MACHINEAUTOSCALERS):
        by_kind.setdefault(resource, [])

    selector = f"{labels.MANAGED_BY}={labels.MANAGED_BY_VALUE}"
    diffs: list[ObjectDiff] = []
    for resource, wanted in by_kind.items():
        listed = _list(kube, resource, selector)
        live = {_key(o): o for o in listed or []}
        for obj in wanted:
            key = _key(obj)
            current = live.pop(key, None)
            if current is None and listed is not None:
                current = _get_or_none(kube, resource, key[1], key[0] or None)
            if current is None:
                diffs.append(
                    ObjectDiff(
                        obj["kind"],
                        key[0],
                        key[1],
                        "missing",
                        _unified("", _dump(obj), obj, "live (absent)", "git"),
                    )
                )
                continue
            text = diff_objects(obj, current, ignore)
            if text:
                diffs.append(ObjectDiff(obj["kind"], key[0], key[1], "changed", text))
        if resource in (k.MACHINESETS, k.MACHINEAUTOSCALERS):  # ours by label, even if Argo CD lost track
            for (ns, name), obj in sorted(live.items()):
                if (obj["metadata"].get("labels") or {}).get(labels.ENV) != env:
                    continue
                command = removal_command(resource.api_version, obj["kind"], name, ns)
                diffs.append(ObjectDiff(obj["kind"], ns, name, "orphan", command=command))
    diffs.extend(_tracked_orphans(kube, cfg, desired, diffs))
    ignored = [
        f"{rule.get('group', '')}/{rule.get('kind', '')} {','.join(rule.get('jsonPointers') or [])}"
        for rule in ignore
    ]
    return DiffReport(env, len(desired), diffs, ignored)


def _tracked_orphans(
    kube: Kube, cfg: EnvConfig, desired: list[Obj], seen: list[ObjectDiff]
) -> list[ObjectDiff]:
    """Every live object the env's Application tracks that Git no longer renders (``ops.orphans``)."""
    from cluster_capacity import kube as k
    from cluster_capacity.ops.orphans import find_orphans, read_tracking
    from cluster_capacity.render.argocd import application_name

    gitops_ns = cfg.project.project.gitops_namespace
    app = application_name(cfg.env.name)
    live_app = _get_or_none(kube, k.APPLICATIONS, app, gitops_ns)
    known = {(d.kind, d.namespace, d.name) for d in seen}
    return [
        ObjectDiff(o.kind, o.namespace, o.name, "orphan", command=o.command)
        for o in find_orphans(kube, app, desired, read_tracking(kube, gitops_ns), live_app)
        if (o.kind, o.namespace, o.name) not in known
    ]


def diff_objects(desired: Obj, live: Obj, ignore: list[Obj] | None = None) -> str:
    """Unified diff of one object (empty when equal), server-set fields and ignored pointers left out."""
    want, have = normalize(desired, live, ignore or [])
    if want == have:
        return ""
    return _unified(_dump(have), _dump(want), desired, "live", "git")


def normalize(desired: Obj, live: Obj, ignore: list[Obj]) -> tuple[Obj, Obj]:
    """Both objects reduced to what Git decides: the live one projected on the desired one's fields."""
    want = copy.deepcopy(desired)
    have = copy.deepcopy(live)
    last_applied = _last_applied(have)
    for obj in (want, have):
        obj.pop("status", None)
        meta = obj.get("metadata") or {}
        for key in _SERVER_METADATA:
            meta.pop(key, None)
    # kubectl's record of the last apply is the client's note, never something Git sets
    annotations = (have.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
    have = _project(have, want, last_applied)
    for rule in ignore:
        if _applies(rule, desired):
            for pointer in rule.get("jsonPointers") or []:
                _remove_pointer(want, pointer)
                _remove_pointer(have, pointer)
    return want, have


def _project(live: Any, desired: Any, last_applied: Any) -> Any:
    """Keep of ``live`` what ``desired`` (or the last apply) sets: the rest is the server's business."""
    if isinstance(live, dict) and isinstance(desired, dict):
        previous = last_applied if isinstance(last_applied, dict) else {}
        kept = {k: _project(live[k], desired[k], previous.get(k)) for k in desired if k in live}
        for k in previous:
            if k in desired or k not in live:
                continue
            # Git dropped what the last apply set: what is still live of it is drift (apply would remove
            # it); the rest of ``live[k]`` is other writers' business. kubectl records ``annotations: {}``
            # for an object without any: nothing of ours is left there.
            gone = _project(live[k], previous[k], None)
            if gone in ({}, []) and previous[k] in ({}, []):
                continue
            kept[k] = gone
        return kept
    if isinstance(live, list) and isinstance(desired, list) and len(live) == len(desired):
        before: list[Any] = (
            last_applied if isinstance(last_applied, list) and len(last_applied) == len(live) else []
        )
        return [
            _project(item, want, before[i] if before else None)
            for i, (item, want) in enumerate(zip(live, desired, strict=True))
        ]
    return live


def _last_applied(obj: Obj) -> Any:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(LAST_APPLIED)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _applies(rule: Obj, obj: Obj) -> bool:
    group = obj["apiVersion"].rpartition("/")[0]
    meta = obj.get("metadata") or {}
    return (
        rule.get("group", "") == group
        and rule.get("kind") == obj["kind"]
        and rule.get("name", meta.get("name")) == meta.get("name")
        and rule.get("namespace", meta.get("namespace")) == meta.get("namespace")
    )


def _remove_pointer(obj: Obj, pointer: str) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/") if p]
    node: Any = obj
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and parts:
        node.pop(parts[-1], None)


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _list(kube: Kube, resource: Resource, selector: str) -> list[Obj] | None:
    """The labelled objects of a kind; None when the kind is not served (its CRD is not installed yet)."""
    from cluster_capacity import kube as k

    try:
        return kube.list(resource, label_selector=selector)
    except k.NotServedError:
        return None


def _get_or_none(kube: Kube, resource: Resource, name: str, namespace: str | None) -> Obj | None:
    from cluster_capacity import kube as k

    try:
        return kube.get(resource, name, namespace)
    except (k.NotFoundError, k.NotServedError):
        return None


def _dump(obj: Obj) -> str:
    import yaml

    text: str = yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, width=120)
    return text


def _unified(before: str, after: str, obj: Obj, left: str, right: str) -> str:
    meta = obj.get("metadata") or {}
    ns = str(meta.get("namespace") or "")
    ref = f"{obj['kind']}/{ns + '/' if ns else ''}{meta.get('name')}"
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"{left}/{ref}", f"{right}/{ref}"
    )
    return "".join(lines)
