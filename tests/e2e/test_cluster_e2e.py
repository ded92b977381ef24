"""Read-only checks against a real cluster (see conftest.py for the variables)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cluster_capacity import kube
from cluster_capacity.cli import main
from cluster_capacity.config import load_env
from cluster_capacity.ops.diff import diff_env
from cluster_capacity.ops.discovery.discover import discover
from cluster_capacity.ops.pools.add import PoolRequest, pool_from_cluster
from cluster_capacity.ops.pools.status import pool_status
from tests.e2e.conftest import CONTEXT, ENV


def test_discover_reads_an_aws_openshift_cluster(e2e_client: kube.Kube) -> None:
    facts = discover(e2e_client)
    assert facts.platform == "AWS"
    assert re.fullmatch(r"[a-z0-9-]+-[a-z0-9]{5}", facts.infra_id), facts.infra_id
    assert re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", facts.region), facts.region
    assert re.match(r"4\.\d+\.\d+", facts.openshift_version)
    assert facts.worker_zones and all(z.startswith(facts.region) for z in facts.worker_zones)
    assert e2e_client.request_count <= 8


def test_add_pool_builds_from_a_real_worker(e2e_client: kube.Kube) -> None:
    facts = discover(e2e_client)
    zone = facts.worker_zones[0]
    new, infra_id = pool_from_cluster(e2e_client, PoolRequest("g5.xlarge", zone, autoscale=(0, 1)))
    spec = new.entry["providerSpec"]
    assert infra_id == facts.infra_id and spec["placement"]["availabilityZone"] == zone
    assert set(spec.get("credentialsSecret", {})) <= {"name"}
    assert "metadata" not in spec


def test_status_and_diff_of_an_env(e2e_client: kube.Kube, e2e_project: Path) -> None:
    cfg = load_env(e2e_project, ENV)
    report = pool_status(e2e_client, cfg)
    assert {p.name_suffix for p in report.pools} == {p.name_suffix for p in cfg.values.machine_sets}
    before = e2e_client.request_count
    drift = diff_env(e2e_client, cfg)
    assert drift.compared >= len(cfg.values.enabled_pools)
    assert e2e_client.request_count - before < 40


@pytest.mark.parametrize("command", ["discover", "status", "diff"])
def test_cli_exit_codes(command: str, e2e_kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [command, "--kubeconfig", str(e2e_kubeconfig), "-o", "json"]
    if CONTEXT:
        args += ["--context", CONTEXT]
    if command != "discover":
        from tests.e2e.conftest import PROJECT

        if not (PROJECT and ENV):
            pytest.skip("needs CLUSTER_CAPACITY_E2E_PROJECT and CLUSTER_CAPACITY_E2E_ENV")
        args += ["--project", PROJECT, "--env", ENV]
    code = main(args)
    _, err = capsys.readouterr()
    assert code in {"discover": {0}, "status": {0, 1}, "diff": {0, 3}}[command], err
    assert "Traceback" not in err
