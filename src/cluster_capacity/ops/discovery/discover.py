"""Discover the facts of a live cluster: infraID, platform, region, version, MachineSets, operators, Argo CD.

One request per kind (GET for the two singletons, LIST for the rest), no per-object GETs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cluster_capacity import instances, labels
from cluster_capacity.errors import ClusterError
from cluster_capacity.ops.camel import camel_keys
from cluster_capacity.ops.discovery.gpu_operator import compatibility, not_ready_states

if TYPE_CHECKING:
    from cluster_capacity.kube import Kube

__all__ = [
    "ApplicationFact",
    "ClusterFacts",
    "MachineSetFact",
    "Mismatch",
    "OperatorFact",
    "discover",
    "gpu_operator_advice",
    "machineset_fact",
    "openshift_version",
    "read_operators",
    "require_aws",
]

MACHINE_API_NAMESPACE = "openshift-machine-api"
GPU_OPERATOR_PACKAGE = "gpu-operator-certified"
NFD_PACKAGE = "nfd"

Obj = dict[str, Any]


@dataclass(frozen=True)
class MachineSetFact:
    """What a MachineSet says about its pool."""

    name: str
    namespace: str
    role: str
    instance_type: str
    zone: str
    spot: bool
    replicas: int
    ready_replicas: int
    available_replicas: int
    managed: bool  # labelled as rendered by this tool
    env: str | None
    pool: str | None
    accelerator: str | None  # nvidia / neuron / amd

    @property
    def market(self) -> str:
        """``Spot`` or ``On-Demand``."""
        return "Spot" if self.spot else "On-Demand"


@dataclass(frozen=True)
class OperatorFact:
    """An OLM-installed operator and the state of its operand."""

    name: str  # "GPU Operator" / "NFD"
    package: str
    installed: bool
    namespace: str = ""
    subscription: str = ""
    channel: str = ""
    csv: str = ""
    csv_phase: str = ""  # Succeeded, Installing, Failed, ... or "" when no CSV
    instance: str = ""  # ClusterPolicy / NodeFeatureDiscovery name
    instance_state: str = ""  # ClusterPolicy status.state (ready, notReady) or NFD Available/Degraded
    #: The operand states a notReady ClusterPolicy reports (``state-driver``, ``state-device-plugin``...).
    not_ready_states: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        """Installed, CSV succeeded and its operand ready."""
        return (
            self.installed and self.csv_phase == "Succeeded" and self.instance_state in ("ready", "Available")
        )


@dataclass(frozen=True)
class ApplicationFact:
    """The env's Argo CD Application."""

    name: str
    namespace: str
    sync: str
    health: str
    revision: str
    ignores_replicas: bool
    message: str = ""
    #: Live objects Argo CD tracks for it that Git no longer renders (``requiresPruning``; ``diff`` lists
    #: them with the command that removes each, auto-prune being off).
    orphans: int = 0


@dataclass(frozen=True)
class Mismatch:
    """A fact where the cluster and an env's config disagree."""

    field: str
    cluster: str
    config: str
    message: str


@dataclass(frozen=True)
class ClusterFacts:
    """Everything ``discover`` reports."""

    api_server: str
    infra_id: str
    platform: str
    region: str
    openshift_version: str
    channel: str
    machinesets: list[MachineSetFact]
    operators: list[OperatorFact]
    application: ApplicationFact | None
    mismatches: list[Mismatch] = field(default_factory=list)
    #: NVIDIA's guidance on this OpenShift version with the installed GPU Operator (``compat``).
    compatibility: list[str] = field(default_factory=list)

    @property
    def worker_zones(self) -> list[str]:
        """Zones that have a worker MachineSet (this tool's pools not counted)."""
        return sorted({m.zone for m in self.worker_machinesets if m.zone})

    @property
    def worker_machinesets(self) -> list[MachineSetFact]:
        """MachineSets with role ``worker`` that this tool does not manage (the installer's)."""
        return [m for m in self.machinesets if m.role == "worker" and not m.managed]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``-o yaml|json``."""
        data = asdict(self)
        data["workerZones"] = self.worker_zones
        camel: dict[str, Any] = camel_keys(data)
        return camel


def discover(
    kube: Kube, *, env: str | None = None, gitops_namespace: str = "openshift-gitops"
) -> ClusterFacts:
    """Read the cluster's facts; ``env`` also looks up the Application ``cluster-capacity-<env>``."""
    from cluster_capacity import kube as k

    infra = _infrastructure(kube)
    status = infra.get("status") or {}
    platform_status = status.get("platformStatus") or {}
    platform = str(platform_status.get("type") or status.get("platform") or "")
    region = str(((platform_status.get("aws") or {}).get("region")) or "")
    cv = kube.get_or_none(k.CLUSTERVERSIONS, "version") or {}
    version = openshift_version(cv)
    machinesets = [machineset_fact(m) for m in kube.list(k.MACHINESETS, MACHINE_API_NAMESPACE)]
    operators = read_operators(kube)
    application = read_application(kube, env, gitops_namespace) if env else None
    return ClusterFacts(
        api_server=kube.server,
        infra_id=str(status.get("infrastructureName") or ""),
        platform=platform,
        region=region,
        openshift_version=version,
        channel=str((cv.get("spec") or {}).get("channel") or ""),
        machinesets=sorted(machinesets, key=lambda m: m.name),
        operators=operators,
        application=application,
        compatibility=gpu_operator_advice(version, operators),
    )


def gpu_operator_advice(openshift_version: str, operators: list[OperatorFact]) -> list[str]:
    """NVIDIA's guidance on ``openshift_version`` for the installed GPU Operator (or a first install)."""
    gpu = next((o for o in operators if o.package == GPU_OPERATOR_PACKAGE and o.installed), None)
    return compatibility(openshift_version, gpu.channel if gpu else "", gpu.csv if gpu else "")


def require_aws(facts: ClusterFacts) -> None:
    """Raise unless the cluster runs on AWS with worker MachineSets (what ``init`` and ``add-pool`` need)."""
    if facts.platform != "AWS":
        raise ClusterError(
            f"the cluster's platform is {facts.platform or 'unknown'}, not AWS: cluster-capacity manages "
            "AWS worker pools only"
        )
    if not facts.infra_id:
        raise ClusterError("Infrastructure cluster has no status.infrastructureName; cannot name MachineSets")


def _infrastructure(kube: Kube) -> Obj:
    from cluster_capacity import kube as k

    try:
        return kube.get(k.INFRASTRUCTURES, "cluster")
    except k.NotServedError as exc:
        raise ClusterError(
            f"not an OpenShift cluster: {kube.server} does not serve config.openshift.io/v1 Infrastructure; "
            "cluster-capacity needs OpenShift (4.12 or later) on AWS"
        ) from exc
    except k.NotFoundError as exc:
        raise ClusterError(
            f"{kube.server} serves config.openshift.io but has no Infrastructure 'cluster'; is this OpenShift?"
        ) from exc


def openshift_version(cv: Obj) -> str:
    """The version a ClusterVersion says the cluster runs: the last completed update, else the desired one."""
    status = cv.get("status") or {}
    for entry in status.get("history") or []:
        if entry.get("state") == "Completed" and entry.get("version"):
            return str(entry["version"])
    return str((status.get("desired") or {}).get("version") or "")


def machineset_fact(ms: Obj) -> MachineSetFact:
    """The facts of one live (or rendered) MachineSet."""
    meta = ms.get("metadata") or {}
    obj_labels = meta.get("labels") or {}
    spec = ms.get("spec") or {}
    template = spec.get("template") or {}
    tmpl_labels = (template.get("metadata") or {}).get("labels") or {}
    value = (((template.get("spec") or {}).get("providerSpec")) or {}).get("value") or {}
    instance_type = str(value.get("instanceType") or "")
    status = ms.get("status") or {}
    accelerator = None
    if instance_type and instances.is_instance_type(instance_type):
        accelerator = instances.accelerator_kind(instance_type)
    return MachineSetFact(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        role=str(tmpl_labels.get(labels.MACHINE_ROLE) or ""),
        instance_type=instance_type,
        zone=str((value.get("placement") or {}).get("availabilityZone") or ""),
        spot=value.get("spotMarketOptions") is not None,
        replicas=int(spec.get("replicas") or 0),
        ready_replicas=int(status.get("readyReplicas") or 0),
        available_replicas=int(status.get("availableReplicas") or 0),
        managed=obj_labels.get(labels.MANAGED_BY) == labels.MANAGED_BY_VALUE,
        env=obj_labels.get(labels.ENV),
        pool=obj_labels.get(labels.POOL),
        accelerator=accelerator,
    )


def read_operators(kube: Kube) -> list[OperatorFact]:
    """GPU Operator and NFD: Subscription, CSV phase, and their operand's state (4 LISTs)."""
    from cluster_capacity import kube as k

    subs = _list_optional(kube, k.SUBSCRIPTIONS)
    # Copied CSVs (AllNamespaces operators) repeat in every namespace; the server filters them out.
    csvs = {
        (c["metadata"].get("namespace"), c["metadata"]["name"]): c
        for c in _list_optional(kube, k.CSVS, label_selector="!olm.copiedFrom")
    }
    policies = _list_optional(kube, k.CLUSTERPOLICIES)
    nfds = _list_optional(kube, k.NODEFEATUREDISCOVERIES)
    facts = []
    for title, package, instances_ in (
        ("GPU Operator", GPU_OPERATOR_PACKAGE, policies),
        ("NFD", NFD_PACKAGE, nfds),
    ):
        sub = next((s for s in subs if (s.get("spec") or {}).get("name") == package), None)
        if sub is None:
            facts.append(OperatorFact(title, package, installed=False))
            continue
        ns = sub["metadata"].get("namespace", "")
        sub_status = sub.get("status") or {}
        csv_name = str(sub_status.get("installedCSV") or sub_status.get("currentCSV") or "")
        csv = csvs.get((ns, csv_name)) or {}
        instance = instances_[0] if instances_ else {}
        facts.append(
            OperatorFact(
                name=title,
                package=package,
                installed=True,
                namespace=ns,
                subscription=sub["metadata"]["name"],
                channel=str((sub.get("spec") or {}).get("channel") or ""),
                csv=csv_name,
                csv_phase=str((csv.get("status") or {}).get("phase") or ""),
                instance=str((instance.get("metadata") or {}).get("name") or ""),
                instance_state=_instance_state(instance),
                not_ready_states=not_ready_states(instance)
                if instance.get("kind") == "ClusterPolicy"
                else (),
            )
        )
    return facts


def _instance_state(instance: Obj) -> str:
    status = instance.get("status") or {}
    if instance.get("kind") == "ClusterPolicy":
        return str(status.get("state") or "")
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if conditions.get("Degraded") == "True":
        return "Degraded"
    if conditions.get("Available") == "True":
        return "Available"
    return "Progressing" if instance else ""


def read_application(kube: Kube, env: str, gitops_namespace: str) -> ApplicationFact | None:
    """The Application ``cluster-capacity-<env>``, or None when it does not exist (or Argo CD is absent)."""
    from cluster_capacity import kube as k

    name = f"cluster-capacity-{env}"
    try:
        app = kube.get(k.APPLICATIONS, name, gitops_namespace)
    except (k.NotFoundError, k.NotServedError):
        return None
    return application_fact(app)


def application_fact(app: Obj) -> ApplicationFact:
    """Sync, health and replica handling of a live Application."""
    spec = app.get("spec") or {}
    status = app.get("status") or {}
    ignores = any(
        d.get("kind") == "MachineSet" and "/spec/replicas" in (d.get("jsonPointers") or [])
        for d in spec.get("ignoreDifferences") or []
    )
    respect = "RespectIgnoreDifferences=true" in ((spec.get("syncPolicy") or {}).get("syncOptions") or [])
    return ApplicationFact(
        name=app["metadata"]["name"],
        namespace=app["metadata"].get("namespace", ""),
        sync=str((status.get("sync") or {}).get("status") or "Unknown"),
        health=str((status.get("health") or {}).get("status") or "Unknown"),
        revision=str((status.get("sync") or {}).get("revision") or ""),
        ignores_replicas=ignores and respect,
        message=str((status.get("operationState") or {}).get("message") or ""),
        orphans=sum(1 for r in status.get("resources") or [] if r.get("requiresPruning")),
    )


def _list_optional(kube: Kube, resource: Any, label_selector: str = "") -> list[Obj]:
    """LIST a kind whose CRD may be missing (operator not installed): empty then."""
    from cluster_capacity import kube as k

    try:
        return kube.list(resource, label_selector=label_selector)
    except k.NotServedError:
        return []
