"""add-pool: the pool built from a live worker MachineSet, and the edit of the values file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity import kube
from cluster_capacity.config import load_env
from cluster_capacity.errors import ClusterError, ConfigError
from cluster_capacity.ops.pools.add import (
    PoolRequest,
    build_pool,
    default_name,
    parse_autoscale,
    pool_from_cluster,
)
from cluster_capacity.ops.pools.add_values import plan_add_pool
from cluster_capacity.render import render
from tests.emulator import KubeEmulator, openshift
from tests.emulator.openshift import SeededCluster

INFRA = "prod-nkqd9"


def workers(*zones: str) -> list[dict[str, Any]]:
    return [openshift.worker_machineset(z, infra_id=INFRA) for z in zones]


def test_nvidia_pool_from_the_same_zone() -> None:
    new = build_pool(
        INFRA,
        "us-west-2",
        workers("us-west-2a", "us-west-2b"),
        PoolRequest("g5.xlarge", "us-west-2b", autoscale=(0, 2)),
    )
    assert new.source == "prod-nkqd9-worker-us-west-2b" and new.notes == []
    entry = new.entry
    assert entry["nameSuffix"] == "gpu-g5-xlarge-us-west-2b" and entry["replicas"] == 0
    assert entry["machineRole"] == "gpu"
    assert entry["nodeLabels"] == {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/gpu": "",
        "cluster-api/accelerator": "nvidia-a10g",
    }
    assert entry["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert entry["autoscaler"] == {"enabled": True, "minReplicas": 0, "maxReplicas": 2}
    spec = entry["providerSpec"]
    assert spec["instanceType"] == "g5.xlarge" and "spotMarketOptions" not in spec
    assert spec["placement"] == {"availabilityZone": "us-west-2b", "region": "us-west-2"}
    # server-set noise and empty values dropped; secrets only named
    assert (
        "metadata" not in spec
        and "metadataServiceOptions" not in spec
        and "capacityReservationId" not in spec
    )
    assert spec["blockDevices"] == [
        {"ebs": {"encrypted": True, "iops": 0, "volumeSize": 120, "volumeType": "gp3"}}
    ]
    assert spec["credentialsSecret"] == {"name": "aws-cloud-credentials"}
    assert spec["userDataSecret"] == {"name": "worker-user-data"}
    assert list(spec) == sorted(spec)


def test_spot_pool_from_another_zone_rewrites_zone_and_subnet() -> None:
    new = build_pool(
        INFRA,
        "us-west-2",
        workers("us-west-2a"),
        PoolRequest("g6.xlarge", "us-west-2c", spot=True, max_price="0.9"),
    )
    spec = new.entry["providerSpec"]
    assert spec["placement"]["availabilityZone"] == "us-west-2c"
    assert spec["subnet"] == {
        "filters": [{"name": "tag:Name", "values": ["prod-nkqd9-subnet-private-us-west-2c"]}]
    }
    assert spec["spotMarketOptions"] == {"maxPrice": "0.9"}
    assert new.source_zone == "us-west-2a"
    assert "rewrote zone and subnet to us-west-2c" in new.notes[0]


def test_neuron_pool_settings() -> None:
    new = build_pool(
        INFRA, "us-west-2", workers("us-west-2a"), PoolRequest("inf2.xlarge", "us-west-2a", autoscale=(1, 2))
    )
    assert new.entry["nameSuffix"] == "neuron-inf2-xlarge-us-west-2a"
    assert new.entry["taints"] == [{"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"}]
    assert "cluster-api/accelerator" not in new.entry["nodeLabels"]
    with pytest.raises(ConfigError, match="Neuron pools cannot scale up from zero"):
        build_pool(
            INFRA,
            "us-west-2",
            workers("us-west-2a"),
            PoolRequest("inf2.xlarge", "us-west-2a", autoscale=(0, 2)),
        )


def test_plain_pool_and_custom_name() -> None:
    new = build_pool(
        INFRA, "us-west-2", workers("us-west-2a"), PoolRequest("m6i.2xlarge", "us-west-2a", name="batch")
    )
    assert new.entry["nameSuffix"] == "batch" and new.entry["machineRole"] == "worker"
    assert "taints" not in new.entry
    assert default_name("p4d.24xlarge", "us-east-1a") == "gpu-p4d-24xlarge-us-east-1a"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (PoolRequest("g5", "us-west-2a"), "not an EC2 instance type"),
        (
            PoolRequest("g5.xlarge", "us-east-1a"),
            r"unknown zone for this cluster in region us-west-2 \(zones with worker "
            r"MachineSets: us-west-2a\)",
        ),
        (PoolRequest("g5.xlarge", "west"), "unknown zone"),
        (PoolRequest("g5.xlarge", "us-west-2a", name="GPU_pool"), "lower-case"),
        (PoolRequest("g5.xlarge", "us-west-2a", name="x" * 60), "the limit is 63"),
        (PoolRequest("g5.xlarge", "us-west-2a", max_price="1"), "--max-price needs --spot"),
    ],
)
def test_bad_requests(request_: PoolRequest, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_pool(INFRA, "us-west-2", workers("us-west-2a"), request_)


def test_instance_type_not_offered() -> None:
    asked: list[tuple[str, str]] = []

    def offered(instance_type: str, zone: str) -> bool:
        asked.append((instance_type, zone))
        return False

    with pytest.raises(ConfigError, match=r"instance type p5\.48xlarge is not offered in us-west-2a"):
        build_pool(
            INFRA,
            "us-west-2",
            workers("us-west-2a"),
            PoolRequest("p5.48xlarge", "us-west-2a"),
            offered=offered,
        )
    assert asked == [("p5.48xlarge", "us-west-2a")]


def test_no_worker_machineset_anywhere() -> None:
    ours = openshift.gpu_machineset(infra_id=INFRA)
    with pytest.raises(ClusterError, match="no worker MachineSet in any zone"):
        build_pool(INFRA, "us-west-2", [ours], PoolRequest("g5.xlarge", "us-west-2a"))


def test_subnet_by_id_cannot_be_moved_to_another_zone() -> None:
    (ms,) = workers("us-west-2a")
    ms["spec"]["template"]["spec"]["providerSpec"]["value"]["subnet"] = {"id": "subnet-0a1b2c3d4e5f60718"}
    with pytest.raises(ClusterError, match="names its subnet by id"):
        build_pool(INFRA, "us-west-2", [ms], PoolRequest("g5.xlarge", "us-west-2b"))
    same_zone = build_pool(INFRA, "us-west-2", [ms], PoolRequest("g5.xlarge", "us-west-2a"))
    assert same_zone.entry["providerSpec"]["subnet"] == {"id": "subnet-0a1b2c3d4e5f60718"}


def test_nothing_secret_is_copied() -> None:
    (ms,) = workers("us-west-2a")
    value = ms["spec"]["template"]["spec"]["providerSpec"]["value"]
    value["credentialsSecret"]["namespace"] = "openshift-machine-api"
    value["userDataSecret"]["data"] = "c2VjcmV0"  # never there in real life; must never travel if it were
    spec = build_pool(INFRA, "us-west-2", [ms], PoolRequest("g5.xlarge", "us-west-2a")).entry["providerSpec"]
    assert spec["credentialsSecret"] == {"name": "aws-cloud-credentials"}
    assert spec["userDataSecret"] == {"name": "worker-user-data"}


def test_parse_autoscale() -> None:
    assert parse_autoscale("0:3") == (0, 3)
    for bad in ("3", "2:1", "0:0", "a:b"):
        with pytest.raises(ConfigError, match="--autoscale"):
            parse_autoscale(bad)


def test_from_the_cluster(client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster) -> None:
    kube_emulator.clear_requests()
    new, infra_id = pool_from_cluster(client, PoolRequest("g6.xlarge", "us-west-2c"))
    assert infra_id == INFRA and new.source == "prod-nkqd9-worker-us-west-2c"
    assert kube_emulator.count() == 2
    assert kube_emulator.count(path="*secrets*") == 0


def test_from_the_cluster_under_faults(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster
) -> None:
    kube_emulator.fault(verb="list", resource="machinesets", status=429, times=1, retry_after=1)
    kube_emulator.fault(verb="get", resource="infrastructures", drop=True, times=1)
    new, _ = pool_from_cluster(client, PoolRequest("g5.xlarge", "us-west-2a"))
    assert new.source == "prod-nkqd9-worker-us-west-2a" and kube_emulator.count() == 4
    kube_emulator.fault(verb="list", resource="machinesets", status=403)
    with pytest.raises(kube.ForbiddenError, match="not allowed to list machinesets"):
        pool_from_cluster(client, PoolRequest("g5.xlarge", "us-west-2a"))
    kube_emulator.unserve_group("config.openshift.io")
    with pytest.raises(ClusterError, match="not an OpenShift cluster"):
        pool_from_cluster(client, PoolRequest("g5.xlarge", "us-west-2a"))


def test_from_a_cluster_that_is_not_aws(client: kube.Kube, kube_emulator: KubeEmulator) -> None:
    kube_emulator.add(openshift.infrastructure(platform="Azure"))
    with pytest.raises(ClusterError, match="platform is Azure, not AWS"):
        pool_from_cluster(client, PoolRequest("g5.xlarge", "us-west-2a"))


def test_added_to_the_values_file(project: Path) -> None:
    new = build_pool(
        INFRA,
        "us-west-2",
        workers("us-west-2a", "us-west-2b"),
        PoolRequest("g6.xlarge", "us-west-2b", autoscale=(0, 3)),
    )
    doc, notes = plan_add_pool(project, "prod", new, INFRA)
    values_file = project.parent / "values" / "values-prod.yaml"
    before = values_file.read_text()
    assert doc.path == values_file and doc.changed
    assert values_file.read_text() == before  # planning writes nothing
    assert notes == [
        "added GPU type nvidia-l4 to autoscaling.clusterAutoscaler.spec.resourceLimits.gpus (max 3); "
        "raise it for multi-GPU instance types"
    ]
    doc.save()
    after = values_file.read_text()
    assert after.startswith(before.split("\n\nautoscaling:")[0])  # the head of the file is untouched
    assert "# prod: one Spot GPU pool" in after
    cfg = load_env(project, "prod")
    assert [p.name_suffix for p in cfg.values.machine_sets] == [
        "gpu-g5-xlarge-us-west-2a",
        "gpu-g6-xlarge-us-west-2b",
    ]
    rendered = [o for o in render(cfg.values, "prod") if o["kind"] == "MachineSet"]
    assert rendered[1]["metadata"]["name"] == "prod-nkqd9-gpu-g6-xlarge-us-west-2b"
    assert rendered[1]["spec"]["replicas"] == 0


def test_add_pool_refusals(project: Path) -> None:
    new = build_pool(INFRA, "us-west-2", workers("us-west-2a"), PoolRequest("g5.xlarge", "us-west-2a"))
    with pytest.raises(ConfigError, match="a pool named gpu-g5-xlarge-us-west-2a already exists"):
        plan_add_pool(project, "prod", new, INFRA)
    with pytest.raises(ConfigError, match="infraID prod-nkqd9 is not this cluster's ocp-x-1"):
        plan_add_pool(project, "prod", new, "ocp-x-1")
    with pytest.raises(
        ConfigError, match=r"env 'stage' is not in the project file \(known envs: prod, dev\)"
    ):
        plan_add_pool(project, "stage", new, INFRA)


def test_add_pool_to_an_env_without_pools(project: Path) -> None:
    new = build_pool(INFRA, "us-west-2", workers("us-west-2a"), PoolRequest("g5.xlarge", "us-west-2a"))
    doc, notes = plan_add_pool(project, "dev", new, INFRA)
    assert "set infraID prod-nkqd9" in notes
    assert any("enabled is false" in n for n in notes)
    assert "machineSets:\n  - enabled: true\n    nameSuffix: gpu-g5-xlarge-us-west-2a\n" in doc.text()
    assert doc.text().startswith("# dev: capacity management is off here")
    data = yaml.safe_load(doc.text())
    assert data["infraID"] == INFRA and data["machineSets"][0]["nameSuffix"] == "gpu-g5-xlarge-us-west-2a"
