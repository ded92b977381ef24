"""``inferentia check`` over real HTTP against the emulator, and moto / Stubber for AWS: every row passes,
warns and fails; the gate held against the live cluster; recording the result in the values file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import boto3
import pytest

from cluster_capacity import kube
from cluster_capacity.aws.snapshot import InstanceTypeInfo, Snapshot
from cluster_capacity.config import EnvConfig, load_env
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.inferentia.check import (
    CheckReport,
    Gate,
    Row,
    check,
    gate_state,
    load_env_for_check,
    record,
)

# AWS fixtures live with the AWS tests; importing them makes them usable here by name.
from tests.aws.conftest import (
    QuotaStub,
    aws_credentials,  # noqa: F401
    inject_clients,  # noqa: F401
    moto,  # noqa: F401
    quota_answer,
    quotas_stub,  # noqa: F401
)
from tests.emulator import KubeEmulator, openshift
from tests.ops.neuron_cluster import (
    INF_ON_DEMAND,
    KERNEL,
    NEXT_KERNEL,
    neuron_pool,
    rows,
    seed,
    values_text,
    write_project,
)

TODAY = dt.date(2026, 11, 28)
CLUSTER_KEYS = ["platform", "openshift", "kernel", "nfd", "kmm", "neuron-operator"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "repo")


@pytest.fixture
def config(project: Path) -> EnvConfig:
    return load_env_for_check(project, "prod")


def cluster_only(client: kube.Kube, config: EnvConfig) -> dict[str, tuple[str, str, str]]:
    """The cluster rows (no pools given: AWS is not asked)."""
    report = check(client, config, pools=(), today=TODAY)
    got = rows(report)
    assert got["pools"][0] == "warn"
    return got


def stub_quota(make: QuotaStub, clients: dict[str, Any], value: float) -> None:
    """Service Quotas answers ``value`` for Inf On-Demand, once (moto does not serve EC2 quotas)."""
    client, stub = make("us-west-2")
    stub.add_response(
        "get_service_quota",
        quota_answer(INF_ON_DEMAND, value),
        {"ServiceCode": "ec2", "QuotaCode": INF_ON_DEMAND},
    )
    clients["service-quotas"] = client


# --- a cluster where everything passes ----------------------------------------------------------------


@pytest.mark.usefixtures("moto")
def test_passing_cluster(
    kube_emulator: KubeEmulator,
    client: kube.Kube,
    config: EnvConfig,
    quotas_stub: QuotaStub,  # noqa: F811
    inject_clients: dict[str, Any],  # noqa: F811
) -> None:
    seed(kube_emulator)
    stub_quota(quotas_stub, inject_clients, 16)
    report = check(client, config, today=TODAY)
    got = rows(report)
    assert list(got) == [*CLUSTER_KEYS, "offered/neuron-inf2-xlarge-us-west-2a", "quota/inf-on-demand"]
    assert {k: v[0] for k, v in got.items() if v[0] != "pass"} == {}
    assert (report.verdict, report.passed) == ("pass", True)
    assert (report.cluster_version, report.platform, report.region) == ("4.19.9", "AWS", "us-west-2")
    assert report.kernels == (KERNEL,)
    assert got["platform"][1] == "AWS, region us-west-2"
    assert got["kernel"][1] == f"{KERNEL} on 3 worker nodes"  # the master's kernel does not count
    assert got["nfd"][1] == "installed in openshift-nfd: nfd.4.19.0-202510211040 (Succeeded)"
    assert got["kmm"][1].startswith(
        "not installed; kernel-module-management is available from redhat-operators"
    )
    assert got["offered/neuron-inf2-xlarge-us-west-2a"][1] == (
        "inf2.xlarge (1 x Inferentia2, 2 NeuronCores, 4 vCPUs) offered in us-west-2a, On-Demand"
    )
    assert got["quota/inf-on-demand"][1] == (
        "L-1945791B 16 vCPUs, 0 used by other instances, headroom 16; the pools' maximum needs 8 (2 x inf2.xlarge)"
    )
    assert report.gate == Gate(False, "inferentia.enabled is not set in the values")
    assert report.feasibility()["passed"] is True
    assert report.feasibility()["checkedAt"] == TODAY
    assert report.findings()[0] == "pass: Platform: AWS, region us-west-2"


def test_request_budget(kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig) -> None:
    seed(kube_emulator)
    kube_emulator.clear_requests()
    check(client, config, pools=(), today=TODAY)
    # Infrastructure, ClusterVersion, Nodes, Subscriptions, NFD's CSV, the NodeFeatureRule API, two
    # PackageManifests: the same whatever the size of the cluster.
    assert kube_emulator.count() == 8
    assert kube_emulator.count(method="GET", path="/api/v1/nodes") == 1


# --- platform -----------------------------------------------------------------------------------------


def test_platform_warns_on_the_legacy_field_and_fails_elsewhere(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    kube_emulator.update("Infrastructure", "cluster", patch={"status": {"platformStatus": None}})
    status, found, _ = cluster_only(client, config)["platform"]
    assert (status, found) == (
        "warn",
        "AWS by the deprecated status.platform; status.platformStatus is missing",
    )

    kube_emulator.add(openshift.infrastructure(platform="GCP"))
    status, found, action = cluster_only(client, config)["platform"]
    assert (status, found) == ("fail", "GCP: Inferentia and Trainium instances exist only on AWS")
    assert "OpenShift on AWS" in action


def test_not_openshift_fails_platform_and_version(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    kube_emulator.unserve_group("config.openshift.io")
    got = cluster_only(client, config)
    assert got["platform"][:2] == (
        "fail",
        "no Infrastructure 'cluster' (config.openshift.io): not an OpenShift cluster",
    )
    assert got["openshift"][:2] == ("fail", "no ClusterVersion 'version': not an OpenShift cluster")


# --- OpenShift version --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "status", "found"),
    [
        ("4.19.9", "pass", "4.19.9 (4.19 or later: supported)"),
        ("4.20.2", "pass", "4.20.2 (4.19 or later: supported)"),
        ("4.17.14", "warn", "4.17.14: best effort only (the Neuron operator supports 4.19 and later)"),
        ("4.16.0", "warn", "4.16.0: best effort only (the Neuron operator supports 4.19 and later)"),
        (
            "4.15.38",
            "fail",
            "4.15.38: the Neuron operator supports 4.19 and later (4.16 to 4.18 best effort)",
        ),
    ],
)
def test_version_ranges(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig, version: str, status: str, found: str
) -> None:
    seed(kube_emulator, version=version)
    assert cluster_only(client, config)["openshift"][:2] == (status, found)


def test_version_warns_while_updating(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    kube_emulator.update("ClusterVersion", "version", patch={"status": {"desired": {"version": "4.20.1"}}})
    status, found, action = cluster_only(client, config)["openshift"]
    assert (status, found) == ("warn", "4.19.9, updating to 4.20.1")
    assert "once the update completes" in action


# --- worker kernel ------------------------------------------------------------------------------------


def test_kernel_warns_when_workers_disagree_or_report_none(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator, kernels=(KERNEL, NEXT_KERNEL, KERNEL))
    status, found, _ = cluster_only(client, config)["kernel"]
    assert (status, found) == ("warn", f"workers disagree: {KERNEL} on 2, {NEXT_KERNEL} on 1")

    for node in kube_emulator.list("Node", label_selector="node-role.kubernetes.io/worker"):
        kube_emulator.update(
            "Node", node["metadata"]["name"], patch={"status": {"nodeInfo": {"kernelVersion": None}}}
        )
    status, found, _ = cluster_only(client, config)["kernel"]
    assert (status, found) == (
        "warn",
        "no worker node reports status.nodeInfo.kernelVersion (3 worker nodes)",
    )


def test_kernel_fails_when_nodes_cannot_be_read(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    kube_emulator.fault(resource="nodes", status=403, times=None)
    status, found, action = cluster_only(client, config)["kernel"]
    assert status == "fail"
    assert "forbidden (403): not allowed to list nodes" in found
    assert "rbac-readonly-clusterrole.yaml" in action


# --- operators ----------------------------------------------------------------------------------------


def test_nfd_rows(kube_emulator: KubeEmulator, client: kube.Kube, project: Path, config: EnvConfig) -> None:
    seed(kube_emulator, nfd="installing")
    status, found, action = cluster_only(client, config)["nfd"]
    assert (status, found) == ("warn", "installed in openshift-nfd: nfd.4.19.0-202510211040 (Installing)")
    assert "oc get csv -n openshift-nfd" in action

    kube_emulator.delete("Subscription", "nfd", "openshift-nfd")
    status, found, _ = cluster_only(client, config)["nfd"]
    assert status == "pass"
    assert found.endswith("; the env installs it once the gate is open")

    kube_emulator.delete("PackageManifest", "nfd", "openshift-marketplace")
    status, found, action = cluster_only(client, config)["nfd"]
    assert (status, found) == (
        "fail",
        "not installed, and no catalog in openshift-marketplace offers package nfd",
    )
    assert "redhat-operators" in action


def test_nfd_available_but_not_installed_by_this_env(
    kube_emulator: KubeEmulator, client: kube.Kube, tmp_path: Path
) -> None:
    seed(kube_emulator, nfd="available")
    project = write_project(tmp_path / "repo", extra="nvidia:\n  nfd:\n    enabled: false\n")
    status, _, action = cluster_only(client, load_env_for_check(project, "prod"))["nfd"]
    assert status == "warn"
    assert "this env does not install it (nvidia.nfd.enabled is false)" in action


def test_nfd_installed_elsewhere_or_without_the_rule_api(
    kube_emulator: KubeEmulator, client: kube.Kube, tmp_path: Path
) -> None:
    seed(kube_emulator, nfd="missing")
    kube_emulator.add(
        openshift.subscription("nfd", "openshift-operators", "nfd.v4.19.0", source="redhat-operators")
    )
    kube_emulator.add(openshift.csv("nfd.v4.19.0", "openshift-operators"))
    project = write_project(tmp_path / "repo")
    status, found, action = cluster_only(client, load_env_for_check(project, "prod"))["nfd"]
    assert (status, found) == (
        "warn",
        "installed in openshift-operators: nfd.v4.19.0 (Succeeded) by Subscription nfd",
    )
    assert "set nvidia.nfd.installNamespace: openshift-operators" in action

    seed(kube_emulator)
    project = write_project(
        tmp_path / "repo2",
        extra="inferentia:\n  nodeFeatureRule:\n    apiVersion: nfd.k8s-sigs.io/v1alpha1\n",
    )
    status, found, action = cluster_only(client, load_env_for_check(project, "prod"))["nfd"]
    assert status == "warn"
    assert found.endswith("it does not serve nfd.k8s-sigs.io/v1alpha1 (NodeFeatureRule)")
    assert "apiVersion: nfd.openshift.io/v1alpha1" in action


def test_kmm_rows(kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig) -> None:
    seed(kube_emulator, kmm="installed")
    assert cluster_only(client, config)["kmm"][:2] == (
        "pass",
        "installed in openshift-kmm: kernel-module-management.v2.4.1 (Succeeded)",
    )
    seed(kube_emulator, kmm="missing")
    kube_emulator.delete("Subscription", "kernel-module-management", "openshift-kmm")
    kube_emulator.add(
        openshift.package_manifest(
            "kernel-module-management", "stable", ["stable"], source="certified-operators"
        )
    )
    status, _, action = cluster_only(client, config)["kmm"]
    assert (status, action) == (
        "warn",
        "the values name catalog redhat-operators: set inferentia.kmm.subscription.source: certified-operators",
    )
    kube_emulator.delete("PackageManifest", "kernel-module-management", "openshift-marketplace")
    assert cluster_only(client, config)["kmm"][:2] == (
        "fail",
        "not installed, and no catalog in openshift-marketplace offers package kernel-module-management",
    )


def test_neuron_operator_rows(kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig) -> None:
    # A catalog that names the channel differently from the values default ("Stable", as upstream)
    seed(kube_emulator, neuron_channels=("stable",))
    status, _, action = cluster_only(client, config)["neuron-operator"]
    assert (status, action) == (
        "warn",
        "channel Stable is not offered: set inferentia.operator.subscription.channel: stable",
    )
    kube_emulator.delete("PackageManifest", "aws-neuron-operator", "openshift-marketplace")
    status, _, action = cluster_only(client, config)["neuron-operator"]
    assert status == "fail"
    assert "public.ecr.aws/os-partners/neuron-openshift/operator-index" in action

    seed(kube_emulator, neuron="installed")
    assert cluster_only(client, config)["neuron-operator"][:2] == (
        "pass",
        "installed in aws-neuron-operator: aws-neuron-operator.v1.2.0 (Succeeded)",
    )


def test_operators_without_olm(kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig) -> None:
    seed(kube_emulator, nfd="missing")
    kube_emulator.unserve_group("packages.operators.coreos.com")
    got = cluster_only(client, config)
    for key in ("nfd", "kmm", "neuron-operator"):
        assert got[key][:2] == (
            "fail",
            "not installed, and the cluster serves no PackageManifests (is OLM running?)",
        )


# --- AWS: offered in the zone -------------------------------------------------------------------------


@pytest.mark.usefixtures("moto")
def test_offered_rows(kube_emulator: KubeEmulator, client: kube.Kube, tmp_path: Path) -> None:
    seed(kube_emulator)
    project = write_project(
        tmp_path / "repo",
        [
            neuron_pool("inf2-a"),
            neuron_pool("inf2-d", zone="us-west-2d"),
            neuron_pool("trn1-a", instance_type="trn1.2xlarge"),
            neuron_pool("inf9-a", instance_type="inf9.xlarge"),
        ],
    )
    report = check(
        client,
        load_env_for_check(project, "prod"),
        quota_overrides={("inf", "on-demand"): 64, ("trn", "on-demand"): 64},
        today=TODAY,
    )
    got = rows(report)
    assert got["offered/inf2-a"][0] == "pass"
    status, found, action = got["offered/inf2-d"]
    assert status == "warn"
    assert found.endswith("offered in us-west-2d, On-Demand; no worker node runs in us-west-2d")
    assert "us-west-2a, us-west-2b, us-west-2c" in action
    assert got["offered/trn1-a"][:2] == (
        "fail",
        "trn1.2xlarge is not offered in us-west-2a (offered in us-west-2b, us-west-2d)",
    )
    assert got["offered/trn1-a"][2].startswith("move the pool to us-west-2b")
    assert got["offered/inf9-a"][:2] == ("fail", "inf9.xlarge does not exist in us-west-2")
    assert report.verdict == "fail"


def test_offered_warns_for_a_family_the_operator_does_not_name(
    kube_emulator: KubeEmulator, client: kube.Kube, tmp_path: Path
) -> None:
    seed(kube_emulator)
    project = write_project(tmp_path / "repo", [neuron_pool("trn2-a", instance_type="trn2.48xlarge")])
    info = InstanceTypeInfo(
        "trn2.48xlarge",
        192,
        2097152,
        accelerator="neuron",
        accelerator_name="Trainium2",
        accelerator_count=16,
        neuron_cores=128,
    )
    snap = Snapshot("us-west-2", {info.name: info}, {info.name: frozenset({"us-west-2a"})})
    report = check(
        client,
        load_env_for_check(project, "prod"),
        snapshot=snap,
        quota_overrides={("trn", "on-demand"): 384},
        today=TODAY,
    )
    status, found, action = rows(report)["offered/trn2-a"]
    assert (status, found) == (
        "warn",
        "trn2.48xlarge (16 x Trainium2, 128 NeuronCores, 192 vCPUs) offered in us-west-2a, On-Demand",
    )
    assert action.startswith("the Neuron operator names inf1, inf2, trn1, trn1n: trn2 is best effort")


# --- AWS: quota ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("moto")
def test_quota_what_if_warns_and_short_quota_fails(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    status, found, action = rows(
        check(client, config, quota_overrides={("inf", "on-demand"): 8}, today=TODAY)
    )["quota/inf-on-demand"]
    assert status == "warn"
    assert found.startswith("L-1945791B 8 vCPUs (what-if), 0 used by other instances, headroom 8")
    assert "without it before recording" in action

    status, found, action = rows(
        check(client, config, quota_overrides={("inf", "on-demand"): 4}, today=TODAY)
    )["quota/inf-on-demand"]
    assert status == "fail"
    assert action == (
        "lower maxReplicas, or raise L-1945791B to 8: aws service-quotas request-service-quota-increase "
        "--service-code ec2 --quota-code L-1945791B --desired-value 8 --region us-west-2"
    )


@pytest.mark.usefixtures("moto")
def test_quota_counts_other_instances_not_the_pools_own(
    kube_emulator: KubeEmulator,
    client: kube.Kube,
    config: EnvConfig,
    quotas_stub: QuotaStub,  # noqa: F811
    inject_clients: dict[str, Any],  # noqa: F811
) -> None:
    seed(kube_emulator)
    ec2 = boto3.client("ec2", region_name="us-west-2")
    for name in ("someone-elses-inference", f"{openshift.INFRA_ID}-neuron-inf2-xlarge-us-west-2a-x7k2p"):
        ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="inf2.xlarge",
            Placement={"AvailabilityZone": "us-west-2a"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )  # fmt: skip
    stub_quota(quotas_stub, inject_clients, 8)
    status, found, _ = rows(check(client, config, today=TODAY))["quota/inf-on-demand"]
    assert status == "fail"
    assert found.startswith("L-1945791B 8 vCPUs, 4 used by other instances, headroom 4;")


def test_missing_aws_credentials_fail_the_aws_rows(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    report = check(client, config, today=TODAY)
    status, found, action = rows(report)["aws"]
    assert status == "fail"
    assert found.startswith("cannot read AWS: no AWS credentials found")
    assert "docs/aws-iam-policy.json" in action
    assert not report.passed


# --- the gate -----------------------------------------------------------------------------------------


def feasibility(**kw: Any) -> dict[str, Any]:
    return {"passed": True, "clusterVersion": "4.19.9", "checkedAt": "2026-11-20", **kw}


@pytest.mark.parametrize(
    ("inferentia", "live", "gate"),
    [
        ({}, "4.19.9", Gate(False, "inferentia.enabled is not set in the values")),
        ({"enabled": True}, "4.19.9", Gate(False, "no feasibility check is recorded in the values")),
        (
            {"enabled": True, "feasibility": feasibility(passed=False)},
            "4.19.9",
            Gate(False, "the check recorded on 2026-11-20 (OpenShift 4.19.9) did not pass"),
        ),
        (
            {"enabled": True, "feasibility": feasibility()},
            "4.20.1",
            Gate(
                False,
                "the recorded check (on 2026-11-20) is for OpenShift 4.19.9, but the cluster runs 4.20.1: check again",
            ),
        ),
        (
            {"enabled": True, "feasibility": feasibility()},
            "4.19.9",
            Gate(True, "a passed check for OpenShift 4.19.9 is recorded (on 2026-11-20)"),
        ),
    ],
)
def test_gate_state(inferentia: dict[str, Any], live: str, gate: Gate) -> None:
    from cluster_capacity.config.operators import InferentiaConfig

    assert gate_state(InferentiaConfig.model_validate(inferentia), live) == gate


def test_gated_env_loads_for_the_check_only(project: Path) -> None:
    with pytest.raises(ConfigError, match="inferentia check --env ENV --write"):
        load_env(project, "prod")
    assert load_env_for_check(project, "prod").values.machine_sets[0].instance_type == "inf2.xlarge"


def test_other_rules_still_apply_when_loading_for_the_check(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo", [neuron_pool(autoscale=(0, 2))])
    with pytest.raises(ConfigError) as info:
        load_env_for_check(project, "prod")
    (line,) = info.value.lines()
    assert "machineSets[0].autoscaler.minReplicas: must be >= 1 for a Neuron pool" in line
    assert line.startswith(str(project.parent / "values" / "values-prod.yaml") + ":")


# --- recording ----------------------------------------------------------------------------------------


def report_of(status: str, version: str = "4.19.9") -> CheckReport:
    return CheckReport(
        env="prod",
        checked_at=TODAY,
        cluster_version=version,
        platform="AWS",
        region="us-west-2",
        kernels=(KERNEL,),
        rows=(
            Row("platform", "Platform", "pass", "AWS"),
            Row("kmm", "Kernel Module Management", status, "x"),
        ),  # type: ignore[arg-type]
        gate=Gate(False, "not recorded"),
    )


def test_record_a_pass_opens_the_gate_and_keeps_comments(project: Path) -> None:
    before = values_text(project)
    doc = record(report_of("warn"), project.parent / "values" / "values-prod.yaml")
    assert doc.save()
    after = values_text(project)
    assert after.startswith(before)  # every line and comment kept, the record appended
    assert after[len(before) :] == (
        "inferentia:\n"
        "  enabled: true\n"
        "  feasibility:\n"
        "    passed: true\n"
        "    clusterVersion: 4.19.9\n"
        "    checkedAt: 2026-11-28\n"
        "    platform: AWS\n"
        "    findings:\n"
        '      - "pass: Platform: AWS"\n'
        '      - "warn: Kernel Module Management: x"\n'
    )
    opened = load_env(project, "prod")  # the gate is open: the env loads for render
    assert opened.values.neuron_enabled


def test_record_a_failure_closes_the_gate(project: Path) -> None:
    path = project.parent / "values" / "values-prod.yaml"
    record(report_of("pass"), path).save()
    doc = record(report_of("fail", "4.20.1"), path)
    assert (
        "-    passed: true\n-    clusterVersion: 4.19.9\n+    passed: false\n+    clusterVersion: 4.20.1\n"
        in doc.diff()
    )
    doc.save()
    assert "  enabled: true\n" in values_text(project)  # left as it was; the failed record closes the gate
    with pytest.raises(ConfigError, match="the recorded feasibility check did not pass"):
        load_env(project, "prod")


def test_operator_rows_fail_when_the_catalog_cannot_be_read(
    kube_emulator: KubeEmulator, client: kube.Kube, config: EnvConfig
) -> None:
    seed(kube_emulator)
    kube_emulator.fault(resource="packagemanifests", status=403, times=None)
    got = cluster_only(client, config)
    assert got["nfd"][0] == "pass"  # installed: its catalog entry is not needed
    for key in ("kmm", "neuron-operator"):
        status, found, action = got[key]
        assert status == "fail"
        assert "forbidden (403): not allowed to get packagemanifests.packages.operators.coreos.com" in found
        assert "rbac-readonly-clusterrole.yaml" in action
