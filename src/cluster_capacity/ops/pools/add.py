"""``add-pool``: a new pool entry for a values file, built from a live worker MachineSet's providerSpec.

The providerSpec of the installer's worker MachineSet in the zone (or another zone, with zone and subnet
rewritten) is copied; the instance type, Spot options, labels and taints for the accelerator family are
set; server-set noise is dropped. A providerSpec only *names* secrets (``credentialsSecret``,
``userDataSecret``); only those names are kept, never anything else under them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cluster_capacity import instances, labels
from cluster_capacity.config.edit import YamlDocument
from cluster_capacity.errors import ClusterError, ConfigError
from cluster_capacity.ops.pools.arch import check_architecture

if TYPE_CHECKING:
    from cluster_capacity.config import Values
    from cluster_capacity.kube import Kube

__all__ = [
    "NewPool",
    "PoolRequest",
    "build_pool",
    "default_name",
    "parse_autoscale",
    "plan_add_pool",
    "pool_from_cluster",
]

Obj = dict[str, Any]

_ZONE = re.compile(r"^(?P<region>[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+)(?P<letter>[a-z])(-[a-z0-9-]+)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX_NAME = 63  # the MachineSet name is also a label value

#: providerSpec keys the API server or the machine controller add, or that only make sense per MachineSet.
_NOISE = ("metadata",)
#: Keys this tool decides for the new pool, whatever the source had.
_DECIDED = ("spotMarketOptions", "capacityReservationId", "instanceType")
#: Keys that reference Secrets: only the Secret's name is kept.
_SECRET_REFS = ("credentialsSecret", "userDataSecret")


@dataclass(frozen=True)
class PoolRequest:
    """What ``add-pool`` was asked for."""

    instance_type: str
    zone: str
    spot: bool = False
    max_price: str | None = None
    autoscale: tuple[int, int] | None = None
    name: str | None = None
    replicas: int = 0
    #: ``--ami``: an AMI for the pool instead of the source MachineSet's (and no architecture check).
    ami: str | None = None


@dataclass(frozen=True)
class NewPool:
    """The values entry (camelCase keys, ready for the file) and how it was made."""

    entry: Obj
    source: str  # the MachineSet whose providerSpec was copied
    source_zone: str
    notes: list[str] = field(default_factory=list)

    @property
    def name_suffix(self) -> str:
        return str(self.entry["nameSuffix"])


def parse_autoscale(text: str) -> tuple[int, int]:
    """``"0:2"`` -> ``(0, 2)``; ``MIN <= MAX``, ``MAX >= 1``."""
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not match:
        raise ConfigError(f"--autoscale {text}: expected MIN:MAX, for example 0:2")
    low, high = int(match[1]), int(match[2])
    if high < 1 or low > high:
        raise ConfigError(f"--autoscale {text}: need 0 <= MIN <= MAX and MAX >= 1")
    return low, high


def family_prefix(instance_type: str) -> str:
    """``gpu`` for NVIDIA/AMD types, ``neuron`` for Inferentia/Trainium, else ``worker``."""
    kind = instances.accelerator_kind(instance_type)
    return {"nvidia": "gpu", "amd": "gpu", "neuron": "neuron"}.get(kind or "", "worker")


def default_name(instance_type: str, zone: str) -> str:
    """``<family>-<type>-<zone>``: ``gpu-g5-xlarge-us-west-2a``."""
    return f"{family_prefix(instance_type)}-{instance_type.replace('.', '-')}-{zone}"


def pool_from_cluster(
    kube: Kube,
    request: PoolRequest,
    *,
    offered: Callable[[str, str], bool] | None = None,
    architecture: Callable[[str], str] | None = None,
) -> tuple[NewPool, str]:
    """Read the cluster (Infrastructure, MachineSets: 2 requests) and build the pool; also returns infraID."""
    from cluster_capacity import kube as k
    from cluster_capacity.ops.discovery.discover import MACHINE_API_NAMESPACE, _infrastructure

    infra = _infrastructure(kube)
    status = infra.get("status") or {}
    platform_status = status.get("platformStatus") or {}
    platform = str(platform_status.get("type") or status.get("platform") or "")
    if platform != "AWS":
        raise ClusterError(
            f"the cluster's platform is {platform or 'unknown'}, not AWS: add-pool builds AWS pools"
        )
    infra_id = str(status.get("infrastructureName") or "")
    region = str((platform_status.get("aws") or {}).get("region") or "")
    machinesets = kube.list(k.MACHINESETS, MACHINE_API_NAMESPACE)
    pool = build_pool(infra_id, region, machinesets, request, offered=offered, architecture=architecture)
    return pool, infra_id


def build_pool(
    infra_id: str,
    region: str,
    machinesets: Sequence[Obj],
    request: PoolRequest,
    *,
    offered: Callable[[str, str], bool] | None = None,
    architecture: Callable[[str], str] | None = None,
) -> NewPool:
    """The new pool entry. Pure: ``machinesets`` are live MachineSet objects; ``offered`` and
    ``architecture`` (of an instance type) ask AWS, else the instance catalog decides."""
    from cluster_capacity.ops.discovery.discover import machineset_fact

    instance_type = request.instance_type.strip().lower()
    if not instances.is_instance_type(instance_type):
        raise ConfigError(
            f"--instance-type {request.instance_type}: not an EC2 instance type (e.g. g5.xlarge)"
        )
    zone = request.zone.strip().lower()
    match = _ZONE.match(zone)
    workers = sorted(
        (m for m in machinesets if (f := machineset_fact(m)).role == "worker" and not f.managed),
        key=lambda m: m["metadata"]["name"],
    )
    worker_zones = sorted({machineset_fact(m).zone for m in workers})
    if not match or (region and match["region"] != region):
        known = ", ".join(worker_zones) or "none"
        raise ConfigError(
            f"--zone {request.zone}: unknown zone for this cluster in region {region or '?'} "
            f"(zones with worker MachineSets: {known})"
        )
    if not workers:
        raise ClusterError(
            "no worker MachineSet in any zone to copy a providerSpec from (looked for MachineSets in "
            "openshift-machine-api with machine role 'worker' that cluster-capacity does not manage)"
        )
    if offered is not None and not offered(instance_type, zone):
        raise ConfigError(
            f"instance type {instance_type} is not offered in {zone}; try `cluster-capacity plan`"
        )
    kind = instances.accelerator_kind(instance_type)
    if request.autoscale and kind == "neuron" and request.autoscale[0] < 1:
        raise ConfigError(
            "--autoscale: Neuron pools cannot scale up from zero (the autoscaler knows no Neuron capacity of "
            "a zero-node pool); use MIN >= 1"
        )
    same_zone = [m for m in workers if machineset_fact(m).zone == zone]
    source = (same_zone or workers)[0]
    source_zone = machineset_fact(source).zone
    notes = check_architecture(instance_type, source, request.ami, lookup=architecture)
    value = _clean_provider_spec(source)
    if request.ami:
        value["ami"] = {"id": request.ami}
    if source_zone != zone:
        _rewrite_zone(value, source_zone, zone, source["metadata"]["name"])
        notes.append(
            f"no worker MachineSet in {zone}: copied {source['metadata']['name']} ({source_zone}) and rewrote "
            f"zone and subnet to {zone}; check that subnet {_subnet_names(value)} exists"
        )
    value["instanceType"] = instance_type
    if request.spot:
        value["spotMarketOptions"] = {"maxPrice": request.max_price} if request.max_price else {}
    elif request.max_price:
        raise ConfigError("--max-price needs --spot")
    if kind in ("nvidia", "amd", "neuron") and _root_volume(value) < 120:
        notes.append("root volume under 120 GiB: accelerator drivers and images need room; consider 200")

    name = request.name or default_name(instance_type, zone)
    if not _DNS_LABEL.match(name):
        raise ConfigError(f"--name {name}: must be lower-case letters, digits and '-'")
    if len(f"{infra_id}-{name}") > _MAX_NAME:
        raise ConfigError(
            f"MachineSet name {infra_id}-{name} is {len(infra_id) + 1 + len(name)} characters; the limit is "
            f"{_MAX_NAME} (it is a label value): choose a shorter --name"
        )
    entry: Obj = {"enabled": True, "nameSuffix": name, "replicas": request.replicas}
    entry.update(_accelerator_settings(instance_type))
    if request.autoscale:
        low, high = request.autoscale
        entry["autoscaler"] = {"enabled": True, "minReplicas": low, "maxReplicas": high}
    entry["providerSpec"] = dict(sorted(value.items()))  # the order `oc get -o yaml` shows
    return NewPool(entry, source["metadata"]["name"], source_zone, notes)


def _accelerator_settings(instance_type: str) -> Obj:
    kind = instances.accelerator_kind(instance_type)
    if kind == "nvidia":
        label = instances.accelerator_label(instance_type)
        return {
            "machineRole": "gpu",
            "nodeLabels": {
                "node-role.kubernetes.io/worker": "",
                "node-role.kubernetes.io/gpu": "",
                "cluster-api/accelerator": label,
            },
            "taints": [{"key": labels.GPU_RESOURCE, "value": "true", "effect": "NoSchedule"}],
        }
    if kind == "neuron":
        return {
            "machineRole": "neuron",
            "nodeLabels": {"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/neuron": ""},
            "taints": [{"key": labels.NEURON_RESOURCE, "value": "true", "effect": "NoSchedule"}],
        }
    if kind == "amd":
        return {
            "machineRole": "gpu",
            "nodeLabels": {"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/gpu": ""},
            "taints": [{"key": "amd.com/gpu", "value": "true", "effect": "NoSchedule"}],
        }
    return {"machineRole": "worker"}


def _clean_provider_spec(source: Obj) -> Obj:
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


def _rewrite_zone(value: Obj, old: str, new: str, source: str) -> None:
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


def _subnet_names(value: Obj) -> str:
    return ",".join(
        v for f in (value.get("subnet") or {}).get("filters") or [] for v in f.get("values") or []
    )


def _root_volume(value: Obj) -> int:
    for device in value.get("blockDevices") or []:
        ebs = device.get("ebs") or {}
        if "deviceName" not in device:
            return int(ebs.get("volumeSize") or 0)
    return 0


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
