"""API discovery as kube-apiserver serves it: ``/api``, ``/apis``, group and resource lists, ``/version``."""

from __future__ import annotations

from typing import Any

from .faults import PageNotFound
from .resources import ResourceType

Obj = dict[str, Any]
Types = dict[tuple[str, str, str], ResourceType]


def _groups(types: Types) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for group, version, _ in types:
        if group and version not in groups.setdefault(group, []):
            groups[group].append(version)
    return groups


def discovery(types: Types, path: str, git_version: str) -> Obj:
    """The answer to a discovery path (``/api``, ``/apis``, ``/apis/GROUP[/VERSION]``, ``/version``)."""
    segs = [s for s in path.split("/") if s]
    groups = _groups(types)
    if not segs:
        return {"paths": ["/api", "/api/v1", "/apis", "/version"] + [f"/apis/{g}" for g in sorted(groups)]}
    if segs == ["version"]:
        return {
            "major": "1",
            "minor": git_version.split(".")[1],
            "gitVersion": git_version,
            "platform": "linux/amd64",
        }
    if segs == ["api"]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}],
        }
    if segs == ["api", "v1"]:
        return _resource_list(types, "", "v1")
    if segs == ["apis"]:
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [_group_body(g, v) for g, v in sorted(groups.items())],
        }
    if len(segs) == 2 and segs[0] == "apis" and segs[1] in groups:
        return {"kind": "APIGroup", "apiVersion": "v1", **_group_body(segs[1], groups[segs[1]])}
    if len(segs) == 3 and segs[0] == "apis" and segs[2] in groups.get(segs[1], []):
        return _resource_list(types, segs[1], segs[2])
    raise PageNotFound()


def _group_body(group: str, versions: list[str]) -> Obj:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def _resource_list(types: Types, group: str, version: str) -> Obj:
    resources: list[Obj] = []
    for (g, v, _), t in sorted(types.items()):
        if (g, v) != (group, version):
            continue
        resources.append(
            {
                "name": t.plural,
                "singularName": t.singular,
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": list(t.verbs),
                "shortNames": list(t.short_names),
                **({"categories": list(t.categories)} if t.categories else {}),
            }
        )
        for sub in t.subresources:
            sub_kind = {"scale": "Scale", "log": "Pod"}.get(sub, t.kind)
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            resources.append(
                {
                    "name": f"{t.plural}/{sub}",
                    "singularName": "",
                    "namespaced": t.namespaced,
                    "kind": sub_kind,
                    "verbs": verbs,
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
