"""What the smoke test runs: the pool it targets (``SmokeTarget``) and the pod it puts there.

The pod is the one a person would write by hand to check a GPU node: pinned to the pool by node labels,
tolerating the pool's taints, asking for one ``nvidia.com/gpu`` (or ``aws.amazon.com/neuron``), running
``nvidia-smi`` (or ``neuron-ls``) once. Its security context is what OpenShift's ``restricted-v2`` SCC
admits, so it runs under any ordinary user's service account without extra grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from cluster_capacity import labels
from cluster_capacity.errors import ConfigError, Problem

if TYPE_CHECKING:
    from cluster_capacity.config import EnvConfig, MachineSetPool

__all__ = [
    "DEFAULT_IMAGES",
    "RESOURCES",
    "SMOKE_LABEL",
    "SmokeTarget",
    "Toleration",
    "build_pod",
    "target_from_env",
    "targets_from_env",
]

Accelerator = Literal["nvidia", "neuron"]

#: Default images. nvidia-smi is not in the image: the NVIDIA container toolkit mounts it (and the
#: driver's libraries) into any container that is given a GPU, so a small CUDA base image is enough.
#: ``neuron-ls`` ships in the Neuron SDK images (aws-neuronx-tools).
DEFAULT_IMAGES: dict[Accelerator, str] = {
    "nvidia": "nvcr.io/nvidia/cuda:12.6.3-base-ubi9",
    "neuron": "public.ecr.aws/neuron/pytorch-inference-neuronx:2.5.1-neuronx-py310-sdk2.21.0-ubuntu22.04",
}
#: The extended resource a pod asks for to get one accelerator.
RESOURCES: dict[Accelerator, str] = {"nvidia": labels.GPU_RESOURCE, "neuron": labels.NEURON_RESOURCE}
NEURON_SCHEDULER = "neuron-scheduler"
COMMANDS: dict[Accelerator, list[str]] = {"nvidia": ["nvidia-smi"], "neuron": ["neuron-ls"]}
#: Label on every smoke pod, so a leftover one is easy to find: ``oc get pods -l cluster-capacity/smoke``.
SMOKE_LABEL = "cluster-capacity/smoke"
#: Label on a smoke pod: the id of the run that created it (``ops.smoke.record``).
RUN_LABEL = "cluster-capacity/smoke-run"
ZONE_LABEL = "topology.kubernetes.io/zone"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
POD_NAME = "cluster-capacity-smoke"


@dataclass(frozen=True)
class Toleration:
    """A taint of the pool, as the smoke pod tolerates it."""

    key: str
    value: str
    effect: str

    def as_dict(self) -> dict[str, str]:
        if not self.value:
            return {"key": self.key, "operator": "Exists", "effect": self.effect}
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class SmokeTarget:
    """One pool of one env, with everything the smoke test needs to know about it from Git."""

    env: str
    pool: str  # nameSuffix
    machineset: str
    namespace: str  # of the MachineSet
    accelerator: Accelerator
    instance_type: str | None = None
    zone: str | None = None
    spot: bool = False
    node_labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Toleration, ...] = ()
    autoscaled: bool = False
    #: Where the env's Argo CD Application lives and what it is called.
    gitops_namespace: str = "openshift-gitops"
    application: str = ""
    #: The env's ``capacityIgnoreMachineSetReplicas`` as Git says (the live Application is checked too).
    ignore_replicas_in_git: bool = False
    cluster_policy: str = "cluster-policy"
    #: GPU sharing (``gpuSharing``): the resource a node advertises instead of ``nvidia.com/gpu``, how
    #: many of it a node must advertise (physical GPUs x shares per GPU), and how it is shared (text).
    shared_resource: str | None = None
    expected_allocatable: int | None = None
    sharing: str = ""
    #: An On-Demand twin (``onDemandFallback``): the Spot MachineSet it stands in for.
    fallback_for: str | None = None
    #: The pool fans out over ``zones``: this is one of its MachineSets.
    fanned_out: bool = False

    @property
    def resource(self) -> str:
        """The extended resource the smoke pod asks for."""
        return self.shared_resource or RESOURCES[self.accelerator]

    def node_selector(self, live_node_labels: dict[str, str] | None = None) -> dict[str, str]:
        """Labels a node of this pool carries: its node labels (live ones when known), type and zone."""
        selector = dict(self.node_labels if live_node_labels is None else live_node_labels)
        # Node labels alone are often shared by several pools (all GPU pools are node-role gpu); the
        # well-known instance-type and zone labels that the cloud provider sets narrow it to this pool.
        if self.instance_type:
            selector[INSTANCE_TYPE_LABEL] = self.instance_type
        if self.zone:
            selector[ZONE_LABEL] = self.zone
        return selector


def target_from_env(config: EnvConfig, pool_suffix: str | None, zone: str | None = None) -> SmokeTarget:
    """Pick the pool to test from an env's config; exactly one accelerator pool when none is named.

    A pool that renders several MachineSets gives its first (in ``zone`` when given); `targets_from_env`
    gives them all, and ``ops.smoke.zones`` picks the one that can get capacity.
    """
    return targets_from_env(config, pool_suffix, zone)[0]


def targets_from_env(
    config: EnvConfig, pool_suffix: str | None, zone: str | None = None
) -> list[SmokeTarget]:
    """Every MachineSet of the pool to test: per zone of a fanned-out pool, then the On-Demand twins.

    ``zone`` keeps those of one zone; a zone the pool does not run in is a `ConfigError` (exit 2).
    """
    from cluster_capacity.config.fanout import ZONE_NAME, ZoneRewriteError, pool_machinesets

    pool, accelerator = _pick_pool(config, pool_suffix)
    zones = list(pool.zones or ([pool.zone] if pool.zone else []))
    if zone is not None:
        if not ZONE_NAME.match(zone):
            raise ConfigError(f"--zone {zone}: not an availability zone name (for example us-west-2a)")
        if zone not in zones:
            where = (
                f"fans out over {', '.join(zones)}"
                if pool.zones
                else f"runs only in {pool.zone or 'no zone (providerSpec.placement.availabilityZone)'}"
            )
            raise ConfigError(f"--zone {zone}: pool {pool.name_suffix} does not run there; it {where}")
    base = _target(config, pool, accelerator)
    try:
        units = pool_machinesets(pool, config.values.infra_id or "")
    except ZoneRewriteError:
        return [base]  # the config rules refuse such a pool first, with its file and line
    targets = []
    for unit in units:
        if zone is not None and (unit.zone or pool.zone) != zone:
            continue
        node_labels = dict(base.node_labels)
        if pool.on_demand_fallback and pool.spot:
            node_labels[labels.MARKET] = "spot" if unit.spot else "on-demand"
        targets.append(
            replace(
                base,
                machineset=unit.name,
                zone=unit.zone or pool.zone,
                spot=unit.spot,
                node_labels=node_labels,
                fallback_for=unit.fallback_for,
                fanned_out=unit.zone is not None,
            )
        )
    return targets


def _pick_pool(config: EnvConfig, pool_suffix: str | None) -> tuple[MachineSetPool, Accelerator]:
    values = config.values
    file = str(config.files[-1]) if config.files else f"values-{config.env.name}.yaml"

    def problem(path: str, message: str) -> ConfigError:
        return ConfigError([Problem(file, 0, path, message)])

    if pool_suffix:
        matches = [i for i, p in enumerate(values.machine_sets) if p.name_suffix == pool_suffix]
        if not matches:
            known = ", ".join(p.name_suffix for p in values.machine_sets) or "none"
            raise problem("machineSets", f"no pool with nameSuffix {pool_suffix!r} (pools: {known})")
        index = matches[0]
        if not values.machine_sets[index].enabled:
            raise problem(
                f"machineSets[{index}].enabled", f"pool {pool_suffix} is not enabled; enable it first"
            )
    else:
        accelerated = [
            i
            for i, p in enumerate(values.machine_sets)
            if p.enabled and p.accelerator in ("nvidia", "neuron")
        ]
        if len(accelerated) != 1:
            names = ", ".join(values.machine_sets[i].name_suffix for i in accelerated) or "none"
            raise problem("machineSets", f"name the pool to test with --pool (accelerator pools: {names})")
        index = accelerated[0]
    pool = values.machine_sets[index]
    if not values.infra_id:
        raise problem("infraID", "not set, so the MachineSet name is unknown")
    accelerator = pool.accelerator
    if accelerator not in ("nvidia", "neuron"):
        raise problem(
            f"machineSets[{index}].providerSpec.instanceType",
            f"pool {pool.name_suffix} has no NVIDIA or Neuron accelerator "
            f"({pool.instance_type or 'no instance type'}); nothing to smoke-test",
        )
    return pool, accelerator


def _target(config: EnvConfig, pool: MachineSetPool, accelerator: Accelerator) -> SmokeTarget:
    from cluster_capacity import gpus
    from cluster_capacity.config.sharing import mig_strategy, pool_shares

    infra_id = config.values.infra_id or ""
    shares = pool_shares(pool, mig_strategy(config.values))
    count = gpus.gpu_count(pool.instance_type) if pool.instance_type else None
    sharing = pool.gpu_sharing
    how = ""
    if sharing is not None and sharing.time_slicing is not None:
        how = f"time-slicing, {sharing.time_slicing.replicas} replicas per GPU"
    elif sharing is not None and sharing.mig is not None:
        how = f"MIG {sharing.mig.profile}, {shares.per_gpu} {shares.resource} per GPU"
    return SmokeTarget(
        env=config.env.name,
        pool=pool.name_suffix,
        machineset=pool.machineset_name(infra_id),
        namespace=pool.namespace,
        accelerator=accelerator,
        instance_type=pool.instance_type,
        zone=pool.zone,
        spot=pool.spot,
        node_labels=pool.effective_node_labels,
        taints=tuple(Toleration(t.key, t.value, t.effect) for t in pool.taints),
        autoscaled=pool.autoscaler.enabled,
        gitops_namespace=config.project.project.gitops_namespace,
        application=f"cluster-capacity-{config.env.name}",
        ignore_replicas_in_git=config.ignore_machineset_replicas,
        cluster_policy=config.values.nvidia.cluster_policy.name,
        shared_resource=shares.resource if shares.shared else None,
        expected_allocatable=count * shares.per_gpu if shares.shared and count else None,
        sharing=how,
    )


def build_pod(
    target: SmokeTarget,
    *,
    image: str | None = None,
    name: str = POD_NAME,
    namespace: str = "default",
    live_node_labels: dict[str, str] | None = None,
    live_taints: list[dict[str, Any]] | None = None,
    run_id: str = "",
) -> dict[str, Any]:
    """The smoke pod for ``target``; live node labels and taints (from the MachineSet) win over Git's."""
    tolerations = [t.as_dict() for t in target.taints]
    if live_taints is not None:
        tolerations = [
            Toleration(
                str(t.get("key", "")), str(t.get("value", "") or ""), str(t.get("effect", ""))
            ).as_dict()
            for t in live_taints
            if t.get("key")
        ]
    container_security = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 5,
        "nodeSelector": target.node_selector(live_node_labels),
        "tolerations": tolerations,
        # No runAsUser: restricted-v2 assigns one from the namespace's range and rejects others.
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "smoke",
                "image": image or DEFAULT_IMAGES[target.accelerator],
                "command": COMMANDS[target.accelerator],
                "resources": {"limits": {target.resource: "1"}, "requests": {target.resource: "1"}},
                "securityContext": container_security,
            }
        ],
    }
    if target.accelerator == "neuron":
        # Neuron devices are placed by the operator's scheduler extension, not the default scheduler
        spec["schedulerName"] = NEURON_SCHEDULER
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                labels.MANAGED_BY: labels.MANAGED_BY_VALUE,
                labels.POOL: target.pool,
                labels.ENV: target.env,
                SMOKE_LABEL: "true",
                **({RUN_LABEL: run_id} if run_id else {}),
            },
        },
        "spec": spec,
    }
