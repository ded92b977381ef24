"""The rows of ``inferentia check``: what the cluster and AWS say about running the AWS Neuron stack.

Each builder reads through `cluster_capacity.kube` or the planner's `Snapshot` and returns a `Row`:
pass, warn or fail, what it found, and what to do. `cluster_capacity.ops.inferentia` puts them together.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cluster_capacity.config import Values
    from cluster_capacity.config.models import SubscriptionConfig
    from cluster_capacity.kube import Kube
    from cluster_capacity.plan import PoolDemand
    from cluster_capacity.snapshot import QuotaKey, Snapshot

__all__ = ["BEST_EFFORT_MIN", "NAMED_FAMILIES", "SUPPORTED_MIN", "ClusterFacts", "Row", "Status"]

Status = Literal["pass", "warn", "fail"]
Obj = dict[str, Any]

#: OpenShift releases the AWS Neuron operator supports (ROSA with HCP 4.19+), and the best-effort floor.
SUPPORTED_MIN = (4, 19)
BEST_EFFORT_MIN = (4, 16)
#: Instance families the Neuron operator's docs and release workflow name; others are best effort.
NAMED_FAMILIES = ("inf1", "inf2", "trn1", "trn1n")
WORKER_SELECTOR = "node-role.kubernetes.io/worker"
NEURON_OPERATOR_INDEX = "public.ecr.aws/os-partners/neuron-openshift/operator-index"
_VERSION = re.compile(r"^(\d+)\.(\d+)")
_READ_ACCESS = "grant read access (docs/rbac-readonly-clusterrole.yaml) and check again"


@dataclass(frozen=True)
class Row:
    """One line of the verdict."""

    key: str  # stable id: platform, openshift, kernel, nfd, kmm, neuron-operator, offered/<pool>, quota/<f>-<m>
    title: str
    status: Status
    found: str
    action: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "check": self.key,
            "title": self.title,
            "status": self.status,
            "found": self.found,
            "action": self.action,
        }


@dataclass(frozen=True)
class _R:
    """Makes the rows of one check."""

    key: str
    title: str

    def ok(self, found: str) -> Row:
        return Row(self.key, self.title, "pass", found)

    def warn(self, found: str, action: str) -> Row:
        return Row(self.key, self.title, "warn", found, action)

    def fail(self, found: str, action: str = "") -> Row:
        return Row(self.key, self.title, "fail", found, action)


@dataclass
class ClusterFacts:
    """What the cluster rows learn and the others use."""

    platform: str = ""
    region: str = ""
    version: str = ""
    kernels: tuple[str, ...] = ()
    worker_zones: frozenset[str] = frozenset()


def guard(key: str, title: str, build: Callable[..., Row], *args: Any) -> Row:
    """``build(*args)``; a row whose reads the API refused (RBAC, a missing kind) fails with its reason."""
    from cluster_capacity import kube as k

    try:
        return build(*args)
    except k.ApiError as exc:
        return _R(key, title).fail(str(exc), _READ_ACCESS if isinstance(exc, k.ForbiddenError) else "")


# --- cluster ----------------------------------------------------------------------------------------------


def platform_row(kube: Kube, facts: ClusterFacts) -> Row:
    """Infrastructure ``status.platformStatus.type`` is AWS."""
    from cluster_capacity import kube as k

    r = _R("platform", "Platform")
    try:
        infra = kube.get(k.INFRASTRUCTURES, "cluster")
    except (k.NotServedError, k.NotFoundError):
        return r.fail(
            "no Infrastructure 'cluster' (config.openshift.io): not an OpenShift cluster",
            "run the check against OpenShift on AWS (--kubeconfig, --context)",
        )
    status = infra.get("status") or {}
    platform_status = status.get("platformStatus") or {}
    facts.region = str((platform_status.get("aws") or {}).get("region") or "")
    hosted = " (hosted control plane)" if status.get("controlPlaneTopology") == "External" else ""
    where = f", region {facts.region}" if facts.region else ""
    ptype = str(platform_status.get("type") or "")
    legacy = str(status.get("platform") or "")
    facts.platform = ptype or legacy
    if ptype == "AWS":
        return r.ok(f"AWS{where}{hosted}")
    if ptype:
        return r.fail(
            f"{ptype}: Inferentia and Trainium instances exist only on AWS",
            "Neuron pools need OpenShift on AWS (ROSA or self-managed)",
        )
    if legacy == "AWS":
        return r.warn(
            "AWS by the deprecated status.platform; status.platformStatus is missing",
            "an old or unusual Infrastructure object: check `oc get infrastructure cluster -o yaml`",
        )
    return r.fail(
        f"platform {legacy or 'not reported'} (status.platformStatus.type is empty)",
        "Neuron pools need OpenShift on AWS",
    )


def version_row(kube: Kube, facts: ClusterFacts) -> Row:
    """ClusterVersion in the supported (4.19+) or best-effort (4.16 to 4.18) range, and not updating."""
    from cluster_capacity import kube as k

    r = _R("openshift", "OpenShift version")
    try:
        cv = kube.get(k.CLUSTERVERSIONS, "version")
    except (k.NotServedError, k.NotFoundError):
        return r.fail("no ClusterVersion 'version': not an OpenShift cluster", "use OpenShift 4.19 or later")
    status = cv.get("status") or {}
    history = status.get("history") or []
    completed = next(
        (str(h["version"]) for h in history if h.get("state") == "Completed" and h.get("version")), ""
    )
    desired = str((status.get("desired") or {}).get("version") or "")
    facts.version = completed or desired
    match = _VERSION.match(facts.version)
    if not match:
        return r.fail(
            f"cannot read the version from ClusterVersion ({facts.version or 'none reported'})",
            "check `oc get clusterversion version`",
        )
    minor = (int(match[1]), int(match[2]))
    if minor < BEST_EFFORT_MIN:
        return r.fail(
            f"{facts.version}: the Neuron operator supports 4.19 and later (4.16 to 4.18 best effort)",
            "update the cluster to OpenShift 4.19 or later",
        )
    if minor < SUPPORTED_MIN:
        return r.warn(
            f"{facts.version}: best effort only (the Neuron operator supports 4.19 and later)",
            "update to 4.19 or later for a supported setup",
        )
    if completed and desired and desired != completed:
        return r.warn(
            f"{facts.version}, updating to {desired}",
            "check again once the update completes: the recorded version must be the running one",
        )
    return r.ok(f"{facts.version} (4.19 or later: supported)")


def kernel_row(kube: Kube, facts: ClusterFacts) -> Row:
    """``status.nodeInfo.kernelVersion`` of the worker Nodes: the kernel KMM builds the driver for."""
    from cluster_capacity import kube as k

    r = _R("kernel", "Worker kernel")
    nodes = kube.list(k.NODES, label_selector=WORKER_SELECTOR)
    kernels: Counter[str] = Counter()
    zones = set()
    for node in nodes:
        info = (node.get("status") or {}).get("nodeInfo") or {}
        if info.get("kernelVersion"):
            kernels[str(info["kernelVersion"])] += 1
        zone = ((node.get("metadata") or {}).get("labels") or {}).get("topology.kubernetes.io/zone")
        if zone:
            zones.add(str(zone))
    facts.kernels = tuple(kv for kv, _ in kernels.most_common())
    facts.worker_zones = frozenset(zones)
    if not kernels:
        return r.warn(
            f"no worker node reports status.nodeInfo.kernelVersion ({len(nodes)} worker nodes)",
            "KMM builds the Neuron driver for the workers' kernel: check the nodes (`oc get nodes -o wide`)",
        )
    if len(kernels) > 1:
        spread = ", ".join(f"{kv} on {n}" for kv, n in kernels.most_common())
        return r.warn(
            f"workers disagree: {spread}",
            "a machine config update is probably rolling out; check again once the nodes agree",
        )
    kernel, count = next(iter(kernels.items()))
    return r.ok(f"{kernel} on {count} worker node{'s' if count != 1 else ''}")


# --- operators --------------------------------------------------------------------------------------------


def operator_rows(kube: Kube, values: Values) -> list[Row]:
    """NFD, KMM and the Neuron operator: installed, or available from the catalogs the values name."""
    from cluster_capacity import kube as k

    inf, nfd = values.inferentia, values.nvidia.nfd
    checks = (
        ("nfd", "Node Feature Discovery", nfd.subscription, nfd.install_namespace, "nvidia.nfd", nfd.enabled),
        (
            "kmm",
            "Kernel Module Management",
            inf.kmm.subscription,
            inf.kmm.install_namespace,
            "inferentia.kmm",
            True,
        ),
        (
            "neuron-operator",
            "AWS Neuron operator",
            inf.operator.subscription,
            inf.operator.install_namespace,
            "inferentia.operator",
            True,
        ),
    )
    try:
        subs = kube.list(k.SUBSCRIPTIONS)
    except k.NotServedError:
        subs = []
    except k.ApiError as exc:
        return [
            _R(key, title).fail(f"cannot list Subscriptions: {exc}", _READ_ACCESS)
            for key, title, *_ in checks
        ]
    rows = []
    for key, title, sub, namespace, path, renders in checks:
        row = guard(key, title, _operator_row, kube, _R(key, title), sub, namespace, path, subs, renders)
        if key == "nfd" and row.status == "pass" and _subscribed(subs, sub.name):
            row = guard(key, title, _rule_api, kube, values, row)
        rows.append(row)
    return rows


def _subscribed(subs: list[Obj], package: str) -> Obj | None:
    return next((s for s in subs if (s.get("spec") or {}).get("name") == package), None)


def _operator_row(
    kube: Kube,
    r: _R,
    cfg: SubscriptionConfig,
    install_namespace: str,
    path: str,
    subs: list[Obj],
    renders: bool,
) -> Row:
    from cluster_capacity import kube as k

    package = cfg.name
    sub = _subscribed(subs, package)
    if sub is not None:
        meta = sub.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        status = sub.get("status") or {}
        csv_name = str(status.get("installedCSV") or status.get("currentCSV") or "")
        csv = kube.get_or_none(k.CSVS, csv_name, ns) if csv_name else None
        phase = str(((csv or {}).get("status") or {}).get("phase") or "")
        found = f"installed in {ns}: {csv_name or 'no CSV yet'}" + (f" ({phase})" if phase else "")
        if phase != "Succeeded":
            return r.warn(
                found, f"wait for the CSV to reach Succeeded (`oc get csv -n {ns}`), then check again"
            )
        if renders and (ns != install_namespace or name != cfg.name):
            return r.warn(
                f"{found} by Subscription {name}",
                f"this env renders its own Subscription {cfg.name} in {install_namespace}, and two Subscriptions "
                f"for one package conflict: set {path}.installNamespace: {ns} and {path}.subscription.name: "
                f"{name} to adopt the installed one",
            )
        return r.ok(found)
    try:
        manifest = kube.get(k.PACKAGEMANIFESTS, package, cfg.source_namespace)
    except k.NotServedError:
        return r.fail(
            "not installed, and the cluster serves no PackageManifests (is OLM running?)",
            f"install {r.title} by hand, then check again",
        )
    except k.NotFoundError:
        return r.fail(
            f"not installed, and no catalog in {cfg.source_namespace} offers package {package}",
            f"add a CatalogSource for the operator's index image ({NEURON_OPERATOR_INDEX}:v<VERSION>) in "
            f"{cfg.source_namespace} and set {path}.subscription.source to its name"
            if r.key == "neuron-operator"
            else f"enable the catalog that ships {package} (normally {cfg.source}), or install it by hand",
        )
    mstatus = manifest.get("status") or {}
    source = str(mstatus.get("catalogSource") or "")
    channels = [str(c.get("name")) for c in mstatus.get("channels") or [] if c.get("name")]
    default = str(mstatus.get("defaultChannel") or "") or (channels[0] if channels else "")
    found = f"not installed; {package} is available from {source} (channels {', '.join(channels) or 'none'})"
    if source != cfg.source:
        return r.warn(
            found, f"the values name catalog {cfg.source}: set {path}.subscription.source: {source}"
        )
    if cfg.channel not in channels:
        return r.warn(
            found, f"channel {cfg.channel} is not offered: set {path}.subscription.channel: {default}"
        )
    if not renders:
        return r.warn(
            found, f"this env does not install it ({path}.enabled is false): enable it or install it"
        )
    return r.ok(f"{found}; the env installs it once the gate is open")


def _rule_api(kube: Kube, values: Values, row: Row) -> Row:
    """NFD is installed: does it serve the NodeFeatureRule API the values render?"""
    api_version = values.inferentia.node_feature_rule.api_version
    group, version = api_version.split("/")
    if kube.served(group, version):
        return row
    other = "nfd.k8s-sigs.io/v1alpha1" if group == "nfd.openshift.io" else "nfd.openshift.io/v1alpha1"
    return _R(row.key, row.title).warn(
        f"{row.found}; it does not serve {api_version} (NodeFeatureRule)",
        f"set inferentia.nodeFeatureRule.apiVersion: {other} if the cluster serves that, or update NFD",
    )


# --- AWS: offerings and quotas ----------------------------------------------------------------------------


def offered_row(pool: PoolDemand, snap: Snapshot, facts: ClusterFacts) -> Row:
    """The pool's instance type exists, is offered in its zone and runs in its market."""
    from cluster_capacity.instances import split_instance_type

    r = _R(f"offered/{pool.name}", f"Offered: {pool.name}")
    market = "Spot" if pool.spot else "On-Demand"
    info = snap.catalog.get(pool.instance_type)
    if info is None:
        return r.fail(
            f"{pool.instance_type} does not exist in {snap.region}",
            "use an Inferentia/Trainium type that exists: `cluster-capacity plan --family neuron`",
        )
    zones = sorted(snap.offerings.get(pool.instance_type, frozenset()))
    if pool.zone not in zones:
        elsewhere = f"offered in {', '.join(zones)}" if zones else f"offered in no zone of {snap.region}"
        return r.fail(
            f"{pool.instance_type} is not offered in {pool.zone or '(no zone)'} ({elsewhere})",
            f"move the pool to {zones[0]} (zone and subnet of its providerSpec)"
            if zones
            else "pick another type: `cluster-capacity plan --family neuron`",
        )
    if pool.market not in info.usage_classes:
        return r.fail(f"{pool.instance_type} cannot run as {market}", "change the pool's market")
    found = (
        f"{pool.instance_type} ({info.accelerator_count} x {info.accelerator_name or 'Neuron'}, "
        f"{info.neuron_cores} NeuronCores, {info.vcpus} vCPUs) offered in {pool.zone}, {market}"
    )
    family = split_instance_type(pool.instance_type)[0]
    if family not in NAMED_FAMILIES:
        return r.warn(
            found,
            f"the Neuron operator names {', '.join(NAMED_FAMILIES)}: {family} is best effort (check that "
            "the NodeFeatureRule's PCI device ids match it)",
        )
    if facts.worker_zones and pool.zone not in facts.worker_zones:
        return r.warn(
            f"{found}; no worker node runs in {pool.zone}",
            f"make sure the cluster has a private subnet in {pool.zone}, or move the pool to "
            f"{', '.join(sorted(facts.worker_zones))}",
        )
    return r.ok(found)


def quota_rows(demands: Sequence[PoolDemand], snap: Snapshot, profile: str | None) -> list[Row]:
    """Per quota family and market: does the headroom cover every pool's maximum (the planner's rule)?"""
    from cluster_capacity import plan as planning
    from cluster_capacity.instances import QUOTA_CODES
    from cluster_capacity.snapshot import describe_quota

    problems = planning.check_pools(demands, snap)
    groups: dict[QuotaKey, list[tuple[PoolDemand, int]]] = {}
    for d in demands:
        info = snap.catalog.get(d.instance_type)
        if info is not None:
            groups.setdefault((info.quota_family, d.market), []).append((d, info.vcpus))
    rows = []
    for key in sorted(groups):
        family, market = key
        members, code = groups[key], QUOTA_CODES[key]
        r = _R(f"quota/{family}-{market}", f"Quota: {describe_quota(family, market)}")
        need = sum(d.peak * vcpus for d, vcpus in members)
        asks = ", ".join(f"{d.peak} x {d.instance_type}" for d, _ in members)
        quota = snap.quotas.get(key)
        if quota is None:
            rows.append(
                r.fail(
                    f"the vCPU quota {code} is unknown; the pools' maximum needs {need} ({asks})",
                    f"give it with --quota {family}:{market}=VCPUS, or allow servicequotas:GetServiceQuota",
                )
            )
            continue
        # The pools' own instances are part of what they need, not of what others use (as in plan --check).
        prefixes = tuple(f"{d.machineset}-" for d, _ in members if d.machineset)
        others = sum(
            i.vcpus for i in snap.instances if i.key == key and not (prefixes and i.name.startswith(prefixes))
        )
        headroom = max(quota.value - others, 0)
        source = {"override": " (what-if)", "aws-default": " (AWS default)"}.get(quota.source, "")
        found = (
            f"{code} {quota.value} vCPUs{source}, {others} used by other instances, headroom {headroom}; "
            f"the pools' maximum needs {need} ({asks})"
        )
        # The planner decides; its problems name the quota code they are about.
        if any(code in p.message for p in problems):
            desired = others + need
            rows.append(
                r.fail(
                    found,
                    f"lower maxReplicas, or raise {code} to {desired}: "
                    + planning.increase_command(code, desired, snap.region, profile),
                )
            )
        elif quota.source == "override":
            rows.append(r.warn(found, "a what-if quota (--quota): check again without it before recording"))
        else:
            rows.append(r.ok(found))
    return rows


def aws_failure(message: str) -> Row:
    """AWS could not be read: the offering and quota rows cannot pass."""
    return _R("aws", "AWS offerings and quotas").fail(
        f"cannot read AWS: {message}",
        "give AWS credentials (--profile, AWS_PROFILE or AWS_* variables) allowed the actions in "
        "docs/aws-iam-policy.json, and check again",
    )


def no_pools(env: str) -> Row:
    """The env declares no Neuron pool: nothing to check on AWS."""
    return _R("pools", "Neuron pools").warn(
        f"no Inferentia/Trainium pool in values-{env}.yaml: instance types and quotas were not checked",
        "add a pool (instance type inf2.xlarge, trn1.2xlarge, ...) and check again",
    )
