"""The worker MachineSet's providerSpec as add-pool copies it: cleaned, moved to another zone, its subnets.

A providerSpec only *names* secrets (``credentialsSecret``, ``userDataSecret``); only those names are
kept, never anything else under them. Server-set noise and the keys add-pool decides are dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from cluster_capacity.errors import ClusterError

Obj = dict[str, Any]

#: providerSpec keys the API server or the machine controller add, or that only make sense per MachineSet.
_NOISE = ("metadata",)
#: Keys this tool decides for the new pool, whatever the source had.
_DECIDED = ("spotMarketOptions", "capacityReservationId", "instanceType")
#: Keys that reference Secrets: only the Secret's name is kept.
_SECRET_REFS = ("credentialsSecret", "userDataSecret")


def zone_subnets(
    value: Obj, zone: str, fan_out: Sequence[str], workers: Sequence[Obj], source: str, notes: list[str]
) -> Obj:
    """``subnets`` for the zones whose subnet the fan-out cannot derive from ``value``'s (the same rewrite
    ``config.fanout`` renders with): taken from that zone's worker MachineSet."""
    from cluster_capacity.config.fanout import ZoneRewriteError, rewrite_zone
    from cluster_capacity.ops.discovery.discover import machineset_fact

    subnets: Obj = {}
    for other in fan_out:
        if other == zone:
            continue
        trial = copy.deepcopy(value)
        try:
            rewrite_zone(trial, zone, other)
            derived, why = trial.get("subnet"), ""
        except ZoneRewriteError as exc:
            derived, why = None, str(exc)
        local = next((m for m in workers if machineset_fact(m).zone == other), None)
        live = clean_provider_spec(local).get("subnet") if local is not None else None
        if local is not None and live and live != derived:
            subnets[other] = live
            notes.append(f"subnets.{other}: copied from MachineSet {local['metadata']['name']}")
        elif derived is None:
            raise ClusterError(
                f"zone {other}: {why} (MachineSet {source}) and no worker MachineSet runs in {other} to copy "
                f"it from: leave {other} out of --zones, or add it to the pool's subnets by hand"
            )
        elif local is None:
            notes.append(
                f"no worker MachineSet in {other}: its subnet is derived ({subnet_names(trial)}); "
                "check that it exists"
            )
    return subnets


def clean_provider_spec(source: Obj) -> Obj:
    value = copy.deepcopy(
        ((source.get("spec") or {}).get("template") or {}).get("spec", {}).get("providerSpec", {})
    )
    value = value.get("value") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not value:
        raise ClusterError(f"MachineSet {source['metadata']['name']} has no providerSpec.value to copy")
    if value.get("kind") not in (None, "AWSMachineProviderConfig"):
        raise ClusterError(
            f"MachineSet {source['metadata']['name']} has a {value.get('kind')} providerSpec, not AWS"
        )
    for key in (*_NOISE, *_DECIDED):
        value.pop(key, None)
    for key in _SECRET_REFS:
        ref = value.get(key)
        if isinstance(ref, dict):
            value[key] = {"name": ref["name"]} if ref.get("name") else {}
            if not value[key]:
                value.pop(key)
    # Empty values the API server echoes back (``metadataServiceOptions: {}``, ``kmsKey: {arn: ""}``)
    # say nothing and only make the values file longer.
    cleaned: Obj = _drop_empty(value)
    return cleaned


def _drop_empty(node: Any) -> Any:
    if isinstance(node, dict):
        cleaned = {k: _drop_empty(v) for k, v in node.items()}
        return {k: v for k, v in cleaned.items() if v not in ({}, "", None)}
    if isinstance(node, list):
        return [_drop_empty(v) for v in node]
    return node


def move_to_zone(value: Obj, old: str, new: str, source: str) -> None:
    """The zone rewrite fanned-out pools use too (``config.fanout``), with add-pool's advice."""
    from cluster_capacity.config.fanout import ZoneRewriteError, rewrite_zone

    subnet = value.get("subnet") or {}
    try:
        rewrite_zone(value, old, new)
    except ZoneRewriteError as exc:
        by_id = subnet.get("id") or subnet.get("arn")
        raise ClusterError(
            f"MachineSet {source} names its subnet by id ({by_id}); the subnet for {new} cannot be derived "
            "from it: pick a zone with a worker MachineSet, or add the pool and set providerSpec.subnet by hand"
            if by_id
            else f"MachineSet {source}: {exc}: pick a zone with a worker MachineSet"
        ) from exc
    if not subnet.get("filters"):
        raise ClusterError(
            f"MachineSet {source}: its subnet filter does not mention zone {old}, so the subnet for {new} "
            "cannot be derived: pick a zone with a worker MachineSet"
        )


def subnet_names(value: Obj) -> str:
    return ",".join(
        v for f in (value.get("subnet") or {}).get("filters") or [] for v in f.get("values") or []
    )


def root_volume(value: Obj) -> int:
    for device in value.get("blockDevices") or []:
        ebs = device.get("ebs") or {}
        if "deviceName" not in device:
            return int(ebs.get("volumeSize") or 0)
    return 0
