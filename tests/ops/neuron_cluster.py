"""A cluster and a GitOps repo for the Inferentia feasibility check (ops and CLI tests share them)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Literal

from tests.emulator import KubeEmulator, openshift

Operator = Literal["installed", "installing", "available", "missing"]

KERNEL = "5.14.0-427.81.1.el9_4.x86_64"
NEXT_KERNEL = "5.14.0-570.42.2.el9_6.x86_64"
NFD_CSV = "nfd.4.19.0-202510211040"
KMM_CSV = "kernel-module-management.v2.4.1"
NEURON_CSV = "aws-neuron-operator.v1.2.0"
#: Inf On-Demand vCPU quota code.
INF_ON_DEMAND = "L-1945791B"


def seed(
    emu: KubeEmulator,
    *,
    version: str = "4.19.9",
    platform: str = "AWS",
    kernels: tuple[str, ...] = (KERNEL, KERNEL, KERNEL),
    zones: tuple[str, ...] = openshift.ZONES,
    nfd: Operator = "installed",
    kmm: Operator = "available",
    neuron: Operator = "available",
    neuron_channels: tuple[str, ...] = ("Stable",),
) -> None:
    """An OpenShift-on-AWS cluster as the Neuron check reads it."""
    emu.add(openshift.infrastructure(platform=platform))
    emu.add(openshift.cluster_version(version))
    for i, kernel in enumerate(kernels):
        zone = zones[i % len(zones)]
        node = openshift.node(f"ip-10-0-{i}-17.us-west-2.compute.internal", zone=zone)
        node["status"]["nodeInfo"]["kernelVersion"] = kernel
        emu.add(node)
    # A control-plane node runs another kernel and must not count.
    master = openshift.node("ip-10-0-99-1.us-west-2.compute.internal", role="master")
    master["metadata"]["labels"].pop("node-role.kubernetes.io/worker")
    master["status"]["nodeInfo"]["kernelVersion"] = "4.18.0-372.9.1.el8.x86_64"
    emu.add(master)
    operator(emu, "nfd", "openshift-nfd", NFD_CSV, nfd, source="redhat-operators")
    operator(emu, "kernel-module-management", "openshift-kmm", KMM_CSV, kmm, source="redhat-operators")
    operator(
        emu,
        "aws-neuron-operator",
        "aws-neuron-operator",
        NEURON_CSV,
        neuron,
        source="community-operators",
        channels=neuron_channels,
    )


def operator(
    emu: KubeEmulator,
    package: str,
    namespace: str,
    csv: str,
    state: Operator,
    *,
    source: str,
    channels: tuple[str, ...] = ("stable",),
) -> None:
    """Subscription and CSV (installed, installing), only the catalog's PackageManifest, or nothing."""
    if state in ("installed", "installing"):
        emu.add(openshift.subscription(package, namespace, csv, source=source))
        emu.add(openshift.csv(csv, namespace, "Succeeded" if state == "installed" else "Installing"))
    if state != "missing":
        emu.add(openshift.package_manifest(package, channels[0], list(channels), source=source))


def neuron_pool(
    suffix: str = "neuron-inf2-xlarge-us-west-2a",
    *,
    instance_type: str = "inf2.xlarge",
    zone: str = "us-west-2a",
    autoscale: tuple[int, int] | None = (1, 2),
    enabled: bool = True,
) -> str:
    """A values-file entry (YAML text) for a Neuron pool."""
    autoscaler = (
        f"    autoscaler:\n      enabled: true\n      minReplicas: {autoscale[0]}\n      maxReplicas: {autoscale[1]}\n"
        if autoscale
        else ""
    )
    return (
        f"  - enabled: {str(enabled).lower()}\n"
        f"    nameSuffix: {suffix}\n"
        "    replicas: 1\n"
        "    machineRole: neuron\n"
        f"{autoscaler}"
        "    providerSpec:\n"
        "      apiVersion: machine.openshift.io/v1beta1\n"
        "      kind: AWSMachineProviderConfig\n"
        "      ami:\n"
        f"        id: {openshift.AMI}\n"
        f"      instanceType: {instance_type}  # Inferentia2\n"
        "      placement:\n"
        f"        availabilityZone: {zone}\n"
        "        region: us-west-2\n"
        "      credentialsSecret:\n"
        "        name: aws-cloud-credentials\n"
        "      userDataSecret:\n"
        "        name: worker-user-data\n"
        "      subnet:\n"
        "        filters:\n"
        "          - name: tag:Name\n"
        "            values:\n"
        f"              - {openshift.INFRA_ID}-subnet-private-{zone}\n"
    )


def write_project(root: Path, pools: list[str] | None = None, extra: str = "") -> Path:
    """A GitOps repo with env ``prod``; returns the project file. ``extra`` is appended to the values."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "values").mkdir(exist_ok=True)
    (root / "cluster-capacity.yaml").write_text(
        "repoURL: https://github.com/example-org/cluster-gitops.git\n"
        "targetRevision: main\n"
        "envs:\n"
        "  - name: prod\n",
        encoding="utf-8",
    )
    body = "".join(pools if pools is not None else [neuron_pool()])
    (root / "values" / "values-prod.yaml").write_text(
        textwrap.dedent(
            f"""\
            # prod: an Inferentia2 pool, gated until `inferentia check --write` records a passed check.
            enabled: true
            infraID: {openshift.INFRA_ID}  # from `oc get infrastructure cluster`

            machineSets:
            """
        )
        + body
        + extra,
        encoding="utf-8",
    )
    return root / "cluster-capacity.yaml"


def values_text(project: Path) -> str:
    return (project.parent / "values" / "values-prod.yaml").read_text(encoding="utf-8")


def rows(report: Any) -> dict[str, tuple[str, str, str]]:
    """Row key -> (status, found, action)."""
    return {r.key: (r.status, r.found, r.action) for r in report.rows}
