"""The cluster rows of ``inferentia check``: platform, OpenShift version, worker kernel, operators."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from cluster_capacity.ops.inferentia.rows import (
    BEST_EFFORT_MIN,
    NEURON_OPERATOR_INDEX,
    READ_ACCESS,
    SUPPORTED_MIN,
    VERSION_RE,
    WORKER_SELECTOR,
    ClusterFacts,
    Obj,
    Row,
    RowBuilder,
    guard,
)

if TYPE_CHECKING:
    from cluster_capacity.config import Values
    from cluster_capacity.config.operators import SubscriptionConfig
    from cluster_capacity.kube import Kube


# --- cluster ----------------------------------------------------------------------------------------------


def platform_row(kube: Kube, facts: ClusterFacts) -> Row:
    """Infrastructure ``status.platformStatus.type`` is AWS."""
    from cluster_capacity import kube as k

    r = RowBuilder("platform", "Platform")
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

    r = RowBuilder("openshift", "OpenShift version")
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
    match = VERSION_RE.match(facts.version)
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

    r = RowBuilder("kernel", "Worker kernel")
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
            RowBuilder(key, title).fail(f"cannot list Subscriptions: {exc}", READ_ACCESS)
            for key, title, *_ in checks
        ]
    rows = []
    for key, title, sub, namespace, path, renders in checks:
        row = guard(
            key, title, _operator_row, kube, RowBuilder(key, title), sub, namespace, path, subs, renders
        )
        if key == "nfd" and row.status == "pass" and _subscribed(subs, sub.name):
            row = guard(key, title, _rule_api, kube, values, row)
        rows.append(row)
    return rows


def _subscribed(subs: list[Obj], package: str) -> Obj | None:
    return next((s for s in subs if (s.get("spec") or {}).get("name") == package), None)


def _operator_row(
    kube: Kube,
    r: RowBuilder,
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
    return RowBuilder(row.key, row.title).warn(
        f"{row.found}; it does not serve {api_version} (NodeFeatureRule)",
        f"set inferentia.nodeFeatureRule.apiVersion: {other} if the cluster serves that, or update NFD",
    )
