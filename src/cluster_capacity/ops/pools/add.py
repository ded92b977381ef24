"""``add-pool``: a new pool entry for a values file, built from a live worker MachineSet's providerSpec.

The providerSpec of the installer's worker MachineSet in the zone (or another zone, with zone and subnet
rewritten) is copied; the instance type, Spot options, labels and taints for the accelerator family are
set; server-set noise is dropped. A providerSpec only *names* secrets (``credentialsSecret``,
``userDataSecret``); only those names are kept, never anything else under them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cluster_capacity import instances, labels
from cluster_capacity.errors import ClusterError, ConfigError
from cluster_capacity.ops.pools.arch import check_architecture
from cluster_capacity.ops.pools.provider_spec import (
    clean_provider_spec,
    move_to_zone,
    root_volume,
    subnet_names,
    zone_subnets,
)

if TYPE_CHECKING:
    from cluster_capacity.kube import Kube

__all__ = [
    "NewPool",
    "PoolRequest",
    "build_pool",
    "default_name",
    "parse_autoscale",
    "parse_zones",
    "pool_from_cluster",
]

Obj = dict[str, Any]

_ZONE = re.compile(r"^(?P<region>[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+)(?P<letter>[a-z])(-[a-z0-9-]+)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX_NAME = 63  # the MachineSet name is also a label value


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
    #: ``--zones``: fan the pool out, one MachineSet per zone (``zone`` is then the providerSpec's zone).
    zones: tuple[str, ...] = ()
    #: ``--on-demand-fallback``: an On-Demand twin of each Spot MachineSet.
    on_demand_fallback: bool = False
    #: ``--health-check`` / ``--no-health-check``; None leaves the default (on for Spot pools).
    health_check: bool | None = None


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


def parse_zones(text: str) -> tuple[str, ...]:
    """``"us-west-2a, us-west-2b"`` -> ``("us-west-2a", "us-west-2b")``; at least two, none twice."""
    zones = tuple(z.strip().lower() for z in text.split(","))
    if any(not z for z in zones):
        raise ConfigError(f"--zones {text}: expected zones separated by commas, e.g. us-west-2a,us-west-2b")
    twice = sorted({z for z in zones if zones.count(z) > 1})
    if twice:
        raise ConfigError(f"--zones {text}: {', '.join(twice)} listed twice")
    if len(zones) < 2:
        raise ConfigError(f"--zones {text}: a fan-out needs two zones or more (for one zone use --zone)")
    return zones


def family_prefix(instance_type: str) -> str:
    """``gpu`` for NVIDIA/AMD types, ``neuron`` for Inferentia/Trainium, else ``worker``."""
    kind = instances.accelerator_kind(instance_type)
    return {"nvidia": "gpu", "amd": "gpu", "neuron": "neuron"}.get(kind or "", "worker")


def default_name(instance_type: str, zone: str | None) -> str:
    """``<family>-<type>-<zone>``: ``gpu-g5-xlarge-us-west-2a``; without the zone for a fan-out, whose
    MachineSets get the zone appended."""
    base = f"{family_prefix(instance_type)}-{instance_type.replace('.', '-')}"
    return f"{base}-{zone}" if zone else base


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
    workers = sorted(
        (m for m in machinesets if (f := machineset_fact(m)).role == "worker" and not f.managed),
        key=lambda m: m["metadata"]["name"],
    )
    worker_zones = sorted({machineset_fact(m).zone for m in workers})
    fan_out = tuple(z.strip().lower() for z in request.zones)
    zone = request.zone.strip().lower()
    flag = "--zones" if fan_out else "--zone"
    for asked in fan_out or (zone,):
        match = _ZONE.match(asked)
        if not match or (region and match["region"] != region):
            known = ", ".join(worker_zones) or "none"
            raise ConfigError(
                f"{flag} {asked}: unknown zone for this cluster in region {region or '?'} "
                f"(zones with worker MachineSets: {known})"
            )
    if fan_out:
        if zone and zone not in fan_out:
            raise ConfigError(f"--zone {zone}: not one of --zones {','.join(fan_out)}")
        # the providerSpec's own zone: one whose worker MachineSet is copied as it is, where there is one
        zone = zone or next((z for z in fan_out if z in worker_zones), fan_out[0])
    if not workers:
        raise ClusterError(
            "no worker MachineSet in any zone to copy a providerSpec from (looked for MachineSets in "
            "openshift-machine-api with machine role 'worker' that cluster-capacity does not manage)"
        )
    if offered is not None:
        missing = [z for z in fan_out or (zone,) if not offered(instance_type, z)]
        if missing:
            raise ConfigError(
                f"instance type {instance_type} is not offered in {', '.join(missing)}; "
                "try `cluster-capacity plan`"
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
    value = clean_provider_spec(source)
    if request.ami:
        value["ami"] = {"id": request.ami}
    if source_zone != zone:
        move_to_zone(value, source_zone, zone, source["metadata"]["name"])
        notes.append(
            f"no worker MachineSet in {zone}: copied {source['metadata']['name']} ({source_zone}) and rewrote "
            f"zone and subnet to {zone}; check that subnet {subnet_names(value)} exists"
        )
    value["instanceType"] = instance_type
    if request.spot:
        value["spotMarketOptions"] = {"maxPrice": request.max_price} if request.max_price else {}
    elif request.max_price:
        raise ConfigError("--max-price needs --spot")
    _check_fan_out_flags(request, fan_out, kind)
    if kind in ("nvidia", "amd", "neuron") and root_volume(value) < 120:
        notes.append("root volume under 120 GiB: accelerator drivers and images need room; consider 200")

    name = request.name or default_name(instance_type, None if fan_out else zone)
    if not _DNS_LABEL.match(name):
        raise ConfigError(f"--name {name}: must be lower-case letters, digits and '-'")
    longest = f"{infra_id}-{name}"
    if fan_out:
        longest += "-" + max(fan_out, key=len) + ("-ondemand" if request.on_demand_fallback else "")
    if len(longest) > _MAX_NAME:
        raise ConfigError(
            f"MachineSet name {longest} is {len(longest)} characters; the limit is "
            f"{_MAX_NAME} (it is a label value): choose a shorter --name"
        )
    entry: Obj = {"enabled": True, "nameSuffix": name, "replicas": request.replicas}
    entry.update(_accelerator_settings(instance_type))
    if request.autoscale:
        low, high = request.autoscale
        entry["autoscaler"] = {"enabled": True, "minReplicas": low, "maxReplicas": high}
    if fan_out:
        entry["zones"] = list(fan_out)
        subnets = zone_subnets(value, zone, fan_out, workers, source["metadata"]["name"], notes)
        if subnets:
            entry["subnets"] = subnets
    if request.on_demand_fallback:
        entry["onDemandFallback"] = True
    if request.health_check is not None:
        entry["healthCheck"] = _health_check(request.health_check)
    entry["providerSpec"] = dict(sorted(value.items()))  # the order `oc get -o yaml` shows
    return NewPool(entry, source["metadata"]["name"], source_zone, notes)


def _check_fan_out_flags(request: PoolRequest, fan_out: tuple[str, ...], kind: str | None) -> None:
    if request.on_demand_fallback:
        if not request.spot:
            raise ConfigError("--on-demand-fallback needs --spot: the twin is the Spot pool's On-Demand copy")
        if not request.autoscale:
            raise ConfigError(
                "--on-demand-fallback needs --autoscale MIN:MAX: the Priority expander only picks the "
                "On-Demand twin on a scale-up"
            )
    if not (fan_out and request.autoscale):
        return
    low, high = request.autoscale
    if high < len(fan_out):
        raise ConfigError(
            f"--autoscale {low}:{high}: MAX must be at least the number of zones ({len(fan_out)}): "
            "every zone's MachineAutoscaler needs maxReplicas >= 1"
        )
    if kind == "neuron" and low < len(fan_out):
        raise ConfigError(
            f"--autoscale {low}:{high}: MIN must be at least the number of zones ({len(fan_out)}) for a "
            "Neuron pool: no zone can scale up from zero"
        )


def _health_check(enabled: bool) -> Obj:
    from cluster_capacity.config.models import HealthCheck

    if not enabled:
        return {"enabled": False}
    default = HealthCheck()
    return {
        "enabled": True,
        "nodeStartupTimeout": default.node_startup_timeout,
        "maxUnhealthy": default.max_unhealthy,
    }


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
