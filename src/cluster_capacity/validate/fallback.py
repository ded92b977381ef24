"""Policy rules for Spot pools with an On-Demand fallback, read from the rendered manifests.

The cluster autoscaler's Priority expander matches each regex of ConfigMap
``cluster-autoscaler-priority-expander`` (data key ``priorities``: ``{priority: [regex, ...]}``, higher
wins) against node group ids, which for a MachineSet are ``MachineSet/<namespace>/<name>``. A regex that
matches nothing is a typo nobody notices until Spot runs dry; a twin the autoscaler does not manage is
never chosen at all (the expander acts only on a scale-up).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cluster_capacity import labels
from cluster_capacity.validate.findings import Finding

__all__ = ["FALLBACK_RULES", "priorities", "ranked"]

Manifest = dict[str, Any]
PRIORITY_CONFIGMAP = "cluster-autoscaler-priority-expander"


def _of(objects: Sequence[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o.get("kind") == kind]


def _meta(obj: Manifest) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _id(ms: Manifest) -> str:
    meta = _meta(ms)
    return f"MachineSet/{meta.get('namespace', '')}/{meta.get('name', '')}"


def priorities(configmap: Manifest) -> dict[int, list[str]]:
    """The parsed ``priorities``; ValueError saying what is wrong when it cannot be read."""
    import yaml

    text = (configmap.get("data") or {}).get("priorities")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("data.priorities is missing or empty")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"data.priorities is not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("data.priorities must map priorities to lists of regexes")
    out: dict[int, list[str]] = {}
    for key, regexes in data.items():
        if not isinstance(key, int) or isinstance(key, bool) or key < 1:
            raise ValueError(f"priority {key!r} must be a positive integer")
        if not isinstance(regexes, list) or not all(isinstance(r, str) for r in regexes):
            raise ValueError(f"priority {key} must list regexes (strings)")
        out[key] = list(regexes)
    return out


def ranked(table: dict[int, list[str]], node_group: str) -> int | None:
    """The priority the expander gives ``node_group``: the highest whose regexes match it (search, as Go's)."""
    found = [p for p, regexes in table.items() if any(re.search(r, node_group) for r in regexes)]
    return max(found) if found else None


def priority_regexes_match(objects: Sequence[Manifest]) -> list[Finding]:
    """Every regex matches a rendered MachineSet; every Spot MachineSet ranks above its On-Demand twin."""
    out = []
    ids = [_id(ms) for ms in _of(objects, "MachineSet")]
    for cm in _of(objects, "ConfigMap"):
        if _meta(cm).get("name") != PRIORITY_CONFIGMAP:
            continue
        try:
            table = priorities(cm)
            for regexes in table.values():
                for regex in regexes:
                    re.compile(regex)
        except (ValueError, re.error) as exc:
            out.append(Finding.for_object(cm, "data.priorities", str(exc), rule="fallback"))
            continue
        for priority, regexes in sorted(table.items(), reverse=True):
            for regex in regexes:
                if not any(re.search(regex, i) for i in ids):
                    out.append(
                        Finding.for_object(
                            cm,
                            f"data.priorities.{priority}",
                            f"{regex!r} matches no rendered MachineSet (ids are MachineSet/<namespace>/<name>)",
                            rule="fallback",
                        )
                    )
        by_name = {str(_meta(ms).get("name")): ms for ms in _of(objects, "MachineSet")}
        for twin in _twins(objects):
            spot = by_name.get(str((_meta(twin).get("labels") or {}).get(labels.FALLBACK_FOR)))
            if spot is None:
                continue
            high, low = ranked(table, _id(spot)), ranked(table, _id(twin))
            if high is None or (low is not None and high <= low):
                out.append(
                    Finding.for_object(
                        cm,
                        "data.priorities",
                        f"Spot MachineSet {_meta(spot).get('name')} (priority {high}) must rank above its "
                        f"On-Demand twin {_meta(twin).get('name')} (priority {low})",
                        rule="fallback",
                    )
                )
    return out


def _twins(objects: Sequence[Manifest]) -> list[Manifest]:
    return [ms for ms in _of(objects, "MachineSet") if labels.FALLBACK_FOR in (_meta(ms).get("labels") or {})]


def fallback_is_autoscaled(objects: Sequence[Manifest]) -> list[Finding]:
    """A twin needs a MachineAutoscaler, a Priority expander first and the priorities ConfigMap."""
    twins = _twins(objects)
    if not twins:
        return []
    out = []
    targets = {
        ((ma.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
        for ma in _of(objects, "MachineAutoscaler")
    }
    for twin in twins:
        name = _meta(twin).get("name")
        spot = (_meta(twin).get("labels") or {}).get(labels.FALLBACK_FOR)
        for who in (name, spot):
            if who not in targets:
                out.append(
                    Finding.for_object(
                        twin,
                        "",
                        f"no MachineAutoscaler targets {who}: the fallback only happens on an autoscaler "
                        "scale-up",
                        rule="fallback",
                    )
                )
    cas = _of(objects, "ClusterAutoscaler")
    for ca in cas:
        expanders = (ca.get("spec") or {}).get("expanders") or []
        if not expanders or expanders[0] != "Priority":
            out.append(
                Finding.for_object(
                    ca,
                    "spec.expanders",
                    "must start with Priority: the On-Demand twins are ranked by the Priority expander",
                    rule="fallback",
                )
            )
    if not any(_meta(cm).get("name") == PRIORITY_CONFIGMAP for cm in _of(objects, "ConfigMap")):
        out.append(
            Finding.for_object(
                twins[0], "", f"ConfigMap {PRIORITY_CONFIGMAP} is not rendered", rule="fallback"
            )
        )
    return out


FALLBACK_RULES = (priority_regexes_match, fallback_is_autoscaled)
