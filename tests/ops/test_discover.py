"""discover over real HTTP: facts, operators, the env's Application, comparison with config, faults."""

from __future__ import annotations

import pytest

from cluster_capacity import kube
from cluster_capacity.config import EnvConfig
from cluster_capacity.errors import ClusterError
from cluster_capacity.ops.discovery.compare import compare
from cluster_capacity.ops.discovery.discover import discover, require_aws
from tests.emulator import KubeEmulator, openshift
from tests.emulator.openshift import SeededCluster


def test_facts_of_a_seeded_cluster(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster
) -> None:
    facts = discover(client, env="prod")
    assert (facts.infra_id, facts.platform, facts.region) == ("prod-nkqd9", "AWS", "us-west-2")
    assert facts.openshift_version == openshift.OCP_VERSION and facts.channel == "stable-4.19"
    assert facts.worker_zones == ["us-west-2a", "us-west-2b", "us-west-2c"]
    by_name = {m.name: m for m in facts.machinesets}
    gpu = by_name[cluster.gpu_machineset]
    assert (gpu.managed, gpu.env, gpu.pool, gpu.role) == (True, "prod", cluster.gpu_pool, "gpu")
    assert (gpu.instance_type, gpu.zone, gpu.market, gpu.accelerator) == (
        "g5.xlarge",
        "us-west-2a",
        "On-Demand",
        "nvidia",
    )
    worker = by_name["prod-nkqd9-worker-us-west-2b"]
    assert (worker.managed, worker.replicas, worker.ready_replicas) == (False, 2, 2)
    ops = {o.name: o for o in facts.operators}
    assert ops["GPU Operator"].csv == "gpu-operator-certified.v25.3.2"
    assert ops["GPU Operator"].csv_phase == "Succeeded" and ops["GPU Operator"].instance_state == "ready"
    assert ops["NFD"].instance_state == "Available" and ops["NFD"].healthy
    assert facts.application is not None
    assert (facts.application.sync, facts.application.health, facts.application.ignores_replicas) == (
        "Synced",
        "Healthy",
        True,
    )
    # one request per kind: Infrastructure, ClusterVersion, MachineSets, 4 operator kinds, the Application
    assert kube_emulator.count() == 8
    assert kube_emulator.count(path="*secrets*") == 0


def test_not_installed_operators_and_missing_application(
    client: kube.Kube, kube_emulator: KubeEmulator
) -> None:
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9", with_operators=False, with_application=False)
    kube_emulator.unserve_group("nvidia.com")  # no GPU Operator: its CRD is not there either
    facts = discover(client, env="prod")
    assert [(o.name, o.installed, o.healthy) for o in facts.operators] == [
        ("GPU Operator", False, False),
        ("NFD", False, False),
    ]
    assert facts.application is None


def test_failed_csv_and_policy_not_ready(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster
) -> None:
    kube_emulator.update(
        "ClusterServiceVersion",
        "gpu-operator-certified.v25.3.2",
        "nvidia-gpu-operator",
        {"status": {"phase": "Failed"}},
    )
    kube_emulator.update("ClusterPolicy", "cluster-policy", patch={"status": {"state": "notReady"}})
    gpu = next(o for o in discover(client).operators if o.name == "GPU Operator")
    assert (gpu.csv_phase, gpu.instance_state, gpu.healthy) == ("Failed", "notReady", False)


def test_copied_csvs_are_filtered_by_the_server(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster
) -> None:
    copied = openshift.csv("nfd.4.19.0-202510211040", "default", phase="Failed")
    copied["metadata"]["labels"] = {"olm.copiedFrom": "openshift-nfd"}
    kube_emulator.add(copied)
    nfd = next(o for o in discover(client).operators if o.name == "NFD")
    assert nfd.csv_phase == "Succeeded"
    csv_list = next(r for r in kube_emulator.requests if r.resource == "clusterserviceversions")
    assert csv_list.query["labelSelector"] == "!olm.copiedFrom"


def test_not_openshift(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.unserve_group("config.openshift.io")
    with pytest.raises(
        ClusterError, match=r"not an OpenShift cluster: .* does not serve config\.openshift\.io/v1"
    ):
        discover(client)


def test_not_aws(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.add(openshift.infrastructure(platform="GCP"))
    facts = discover(client)
    assert facts.platform == "GCP" and facts.region == ""
    with pytest.raises(ClusterError, match="platform is GCP, not AWS"):
        require_aws(facts)


def test_compare_with_a_config_for_another_cluster(
    client: kube.Kube, kube_emulator: KubeEmulator, prod: EnvConfig
) -> None:
    openshift.seed_cluster(kube_emulator, infra_id="ocp-stage-4r8tw")
    facts = discover(client, env="prod")
    found = {m.field: m for m in compare(facts, prod.values, "prod")}
    assert found["infraID"].cluster == "ocp-stage-4r8tw" and found["infraID"].config == "prod-nkqd9"
    assert "cluster-capacity init --env prod" in found["infraID"].message
    profile = found["machineSets[gpu-g5-xlarge-us-west-2a].providerSpec.iamInstanceProfile.id"]
    assert "belongs to another cluster" in profile.message


def test_compare_agrees_and_reports_orphan_pools(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, prod: EnvConfig
) -> None:
    assert compare(discover(client), prod.values, "prod") == []
    kube_emulator.add(
        openshift.gpu_machineset(
            "gpu-g6-xlarge-us-west-2b", infra_id="prod-nkqd9", zone="us-west-2b", instance_type="g6.xlarge"
        )
    )
    found = compare(discover(client), prod.values, "prod")
    assert [m.field for m in found] == ["machineSets[gpu-g6-xlarge-us-west-2b]"]


@pytest.mark.parametrize("status", [403, 401])
def test_refused_reads_say_what_and_which_role(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster, status: int
) -> None:
    kube_emulator.fault(verb="list", resource="machinesets", status=status)
    with pytest.raises(kube.ForbiddenError) as exc:
        discover(client)
    if status == 403:
        assert "not allowed to list machinesets.machine.openshift.io" in str(exc.value)
        assert "cluster-capacity-readonly" in str(exc.value)
    else:
        assert "401 Unauthorized" in str(exc.value)


def test_transient_faults_are_retried(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster
) -> None:
    kube_emulator.fault(verb="get", resource="infrastructures", status=503, times=2)
    kube_emulator.fault(verb="list", resource="subscriptions", status=429, times=1, retry_after=1)
    kube_emulator.fault(verb="list", resource="machinesets", drop=True, times=1)
    facts = discover(client)
    assert facts.infra_id == "prod-nkqd9" and len(facts.machinesets) == 4
    assert kube_emulator.count() == 7 + 4  # 7 without an env (no Application), 4 retries
