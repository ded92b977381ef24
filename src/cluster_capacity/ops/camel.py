"""Reports as JSON the way Kubernetes spells keys: ``infra_id`` becomes ``infraID``, ``ready_replicas`` ``readyReplicas``."""

from __future__ import annotations

from typing import Any


def camel_keys(data: Any) -> Any:
    """``data`` with every dict key in camelCase, recursively."""
    if isinstance(data, dict):
        return {_to_camel(k): camel_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camel_keys(v) for v in data]
    return data


def _to_camel(key: str) -> str:
    head, *rest = key.split("_")
    out = head + "".join(p[:1].upper() + p[1:] for p in rest)
    return {"infraId": "infraID", "openshiftVersion": "openshiftVersion"}.get(out, out)
