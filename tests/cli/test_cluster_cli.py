"""The cluster commands end to end through ``main``: output, files, exit codes and error lines."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from cluster_capacity.cli import main
from cluster_capacity.config import load_env
from tests.conftest import EXAMPLES, REPO
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403
from tests.emulator.openshift import SeededCluster
from tests.ops.test_diff import sync


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest / "cluster-capacity.yaml"


@pytest.fixture
def cluster(kube_emulator: KubeEmulator) -> SeededCluster:
    return openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9")


def squash(text: str) -> str:
    """Table text with runs of spaces made one: tests pin cells, not column widths."""
    return re.sub(r" +", " ", text)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# --- discover ---------------------------------------------------------------------------------------


def test_discover_table(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, cluster: SeededCluster, project: Path
) -> None:
    code, out, err = run(
        capsys, "discover", "--kubeconfig", str(kubeconfig), "--project", str(project), "--env", "prod"
    )
    assert code == 0, err
    assert " infraID prod-nkqd9 " in squash(out)
    assert " Worker zones us-west-2a, us-west-2b, us-west-2c " in squash(out)
    assert " prod-nkqd9-worker-us-west-2b worker m6i.xlarge us-west-2b On-Demand 2 2 no " in squash(out)
    assert " prod-nkqd9-gpu-g5-xlarge-us-west-2a gpu g5.xlarge us-west-2a On-Demand 1 1 env prod " in squash(
        out
    )
    assert "Argo CD Application openshift-gitops/cluster-capacity-prod: sync Synced, health Healthy" in out
    assert "values-prod.yaml agrees with the cluster" in out


def test_discover_json_and_yaml(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, cluster: SeededCluster
) -> None:
    code, out, _ = run(capsys, "discover", "--kubeconfig", str(kubeconfig), "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["infraID"], data["region"], data["openshiftVersion"]) == (
        "prod-nkqd9",
        "us-west-2",
        "4.19.9",
    )
    assert data["workerZones"] == ["us-west-2a", "us-west-2b", "us-west-2c"]
    gpu = next(m for m in data["machinesets"] if m["managed"])
    assert gpu["pool"] == cluster.gpu_pool and gpu["readyReplicas"] == 1
    code, out, _ = run(capsys, "discover", "--kubeconfig", str(kubeconfig), "-o", "yaml")
    assert yaml.safe_load(out) == data


def test_discover_mismatch(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator, project: Path
) -> None:
    openshift.seed_cluster(kube_emulator, infra_id="ocp-stage-4r8tw")
    code, out, _ = run(
        capsys, "discover", "--kubeconfig", str(kubeconfig), "--project", str(project), "--env", "prod"
    )
    assert code == 0
    assert "Differences from values-prod.yaml" in out and "cluster-capacity init --env prod" in out


def test_discover_not_openshift(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.unserve_group("config.openshift.io")
    code, out, err = run(capsys, "discover", "--kubeconfig", str(kubeconfig))
    assert code == 1 and out == ""
    assert err.startswith("not an OpenShift cluster: ")


def test_discover_not_aws(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.add(openshift.infrastructure(platform="BareMetal"))
    code, _, err = run(capsys, "discover", "--kubeconfig", str(kubeconfig))
    assert code == 1 and "platform is BareMetal, not AWS" in err


def test_no_kubeconfig(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "discover")
    assert code == 1 and err.startswith("KUBECONFIG names no existing file: ")


def test_context_flag(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    cluster: SeededCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert run(capsys, "discover", "--context", "emulator", "-o", "json")[0] == 0
    code, _, err = run(capsys, "discover", "--context", "prod-admin")
    assert code == 1 and "prod-admin" in err


def test_bad_output_format(capsys: pytest.CaptureFixture[str], kubeconfig: Path) -> None:
    code, _, err = run(capsys, "discover", "--kubeconfig", str(kubeconfig), "-o", "xml")
    assert code == 2 and "-o xml: must be one of table, yaml, json" in err


def test_forbidden_names_the_role(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, cluster: SeededCluster, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fault(verb="get", resource="clusterversions", status=403)
    code, _, err = run(capsys, "discover", "--kubeconfig", str(kubeconfig))
    assert code == 1
    assert "not allowed to get clusterversions.config.openshift.io" in err
    assert "oc adm policy add-cluster-role-to-user cluster-capacity-readonly <user>" in err


def test_api_server_down(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    kube_emulator: KubeEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cluster_capacity.kube import client

    monkeypatch.setattr(client.time, "sleep", lambda _: None)
    kube_emulator.fault(status=503, times=None)
    code, _, err = run(capsys, "discover", "--kubeconfig", str(kubeconfig))
    assert code == 1
    assert err.startswith("get infrastructures.config.openshift.io cluster failed after 5 attempts: 503")


# --- status -------------------------------------------------------------------------------------------


def test_status_healthy(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, cluster: SeededCluster, project: Path
) -> None:
    code, out, err = run(
        capsys, "status", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project)
    )
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith(" gpu-g5-xlarge-us-west-2a"))
    assert row.split() == [
        "gpu-g5-xlarge-us-west-2a",
        "g5.xlarge",
        "us-west-2a",
        "Spot",
        "0",
        "1",
        "Running",
        "1",
        "1/1",
        "gpu",
        "1",
        "0..2",
        "ok",
    ]
    assert (
        " GPU Operator nvidia-gpu-operator stable gpu-operator-certified.v25.3.2 Succeeded cluster-policy ready"
        in squash(out)
    )


def test_status_counts_what_git_no_longer_renders(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    cluster: SeededCluster,
    kube_emulator: KubeEmulator,
    project: Path,
) -> None:
    pruning = {
        "group": "rbac.authorization.k8s.io",
        "version": "v1",
        "kind": "ClusterRole",
        "requiresPruning": True,
    }
    resources = [
        {**pruning, "name": "openshift-gitops-argocd-nvidia-clusterpolicy"},
        {**pruning, "kind": "ClusterRoleBinding", "name": "openshift-gitops-argocd-nvidia-clusterpolicy"},
        {"group": "nvidia.com", "version": "v1", "kind": "ClusterPolicy", "name": "cluster-policy"},
    ]
    kube_emulator.update(
        "Application", "cluster-capacity-prod", "openshift-gitops", patch={"status": {"resources": resources}}
    )
    args = ("status", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project))
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert (
        "2 object(s) tracked by cluster-capacity-prod are no longer in Git and keep running (auto-prune is "
        "off): `cluster-capacity diff --env prod` lists them with the command that removes each"
        in " ".join(out.split())
    )
    code, out, _ = run(capsys, *args, "-o", "json")
    assert json.loads(out)["application"]["orphans"] == 2


def test_status_failed_machines(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    cluster: SeededCluster,
    kube_emulator: KubeEmulator,
    project: Path,
) -> None:
    made = openshift.add_broken_machines(kube_emulator, cluster.gpu_machineset)
    code, out, err = run(
        capsys, "status", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project)
    )
    assert code == 1 and err.strip() == "not healthy: gpu-g5-xlarge-us-west-2a"
    assert f"Machine {made['VcpuLimitExceeded']} Failed (VcpuLimitExceeded)" in out
    assert "The image id '[ami-0c65d71e89d43ad60]' does not exist" in out  # brackets survive the table
    code, out, _ = run(
        capsys,
        "status",
        "--env",
        "prod",
        "--kubeconfig",
        str(kubeconfig),
        "--project",
        str(project),
        "-o",
        "json",
    )
    data = json.loads(out)
    assert code == 1 and data["healthy"] is False
    reasons = {p["reason"] for p in data["pools"][0]["problems"]}
    assert {
        "InsufficientInstanceCapacity",
        "MaxSpotInstanceCountExceeded",
        "VcpuLimitExceeded",
        "UnauthorizedOperation",
        "InvalidAMIID.NotFound",
    } <= reasons


def test_status_unknown_env(capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path) -> None:
    code, _, err = run(
        capsys, "status", "--env", "stage", "--kubeconfig", str(kubeconfig), "--project", str(project)
    )
    assert code == 2 and "env 'stage' is not in the project file" in err


# --- diff ---------------------------------------------------------------------------------------------


def test_diff_exit_codes(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator, project: Path
) -> None:
    sync(kube_emulator, load_env(project, "prod"))
    args = ("diff", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project))
    code, out, err = run(capsys, *args)
    assert (code, out) == (0, "") and err.startswith("no drift in env prod")

    kube_emulator.update("ClusterPolicy", "cluster-policy", patch={"spec": {"driver": {"enabled": False}}})
    kube_emulator.add(openshift.gpu_machineset("gpu-old", infra_id="prod-nkqd9", env="prod"))
    code, out, err = run(capsys, *args)
    assert code == 3
    assert "--- live/ClusterPolicy/cluster-policy\n+++ git/ClusterPolicy/cluster-policy\n" in out
    assert "oc delete machineset.machine.openshift.io prod-nkqd9-gpu-old -n openshift-machine-api\n" in out
    assert err.startswith("drift in env prod: 1 changed, 0 missing, 1 no longer in Git")

    code, out, _ = run(capsys, *args, "-o", "json")
    assert code == 3 and {o["state"] for o in json.loads(out)["objects"]} == {"changed", "orphan"}

    kube_emulator.fault(verb="list", resource="machinesets", status=403)
    code, _, err = run(capsys, *args)
    assert code == 1 and "not allowed to list machinesets.machine.openshift.io" in err


# --- init and add-pool ----------------------------------------------------------------------------------


def test_init_dry_run_then_write(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator, project: Path
) -> None:
    openshift.seed_cluster(kube_emulator, infra_id="ocp-stage-4r8tw")
    args = ("init", "--env", "stage", "--kubeconfig", str(kubeconfig), "--project", str(project))
    code, out, err = run(capsys, *args, "--dry-run")
    assert code == 0 and "dry run: nothing written" in err
    assert "+  - name: stage\n" in out and "+infraID: ocp-stage-4r8tw\n" in out
    assert not (project.parent / "values" / "values-stage.yaml").exists()
    code, _, err = run(capsys, *args)
    assert code == 0 and "create " in err
    assert load_env(project, "stage").values.infra_id == "ocp-stage-4r8tw"
    code, _, err = run(capsys, *args)
    assert code == 0 and "nothing to change" in err


def test_init_not_aws(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator, project: Path
) -> None:
    kube_emulator.add(openshift.infrastructure(platform="VSphere"))
    code, _, err = run(
        capsys, "init", "--env", "stage", "--kubeconfig", str(kubeconfig), "--project", str(project)
    )
    assert code == 1 and "platform is VSphere, not AWS" in err


def test_add_pool(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, cluster: SeededCluster, project: Path
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    before = values.read_text()
    args = (
        "add-pool",
        "--env",
        "prod",
        "--instance-type",
        "g6e.xlarge",
        "--zone",
        "us-west-2c",
        "--spot",
        "--autoscale",
        "0:2",
        "--kubeconfig",
        str(kubeconfig),
        "--project",
        str(project),
    )
    code, out, err = run(capsys, *args, "--dry-run")
    assert code == 0, err
    assert out.startswith(f"--- {values}\n+++ {values}\n")
    assert "+    nameSuffix: gpu-g6e-xlarge-us-west-2c\n" in out and "+      spotMarketOptions: {}\n" in out
    assert values.read_text() == before
    code, _, err = run(capsys, *args)
    assert (
        code == 0 and "added pool gpu-g6e-xlarge-us-west-2c (g6e.xlarge, us-west-2c, Spot, replicas 0)" in err
    )
    pool = load_env(project, "prod").values.machine_sets[1]
    assert (pool.instance_type, pool.zone, pool.spot, pool.replicas) == ("g6e.xlarge", "us-west-2c", True, 0)
    assert pool.accelerator_label == "nvidia-l40s"
    code, _, err = run(capsys, *args)
    assert code == 2 and "already exists" in err


def test_add_pool_checks_the_offering_with_aws(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    cluster: SeededCluster,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """moto's us-west-2 offers p5e.48xlarge in b, c and d but not in a; g4dn.xlarge everywhere."""
    from moto import mock_aws

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    base = ("add-pool", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project))
    with mock_aws():
        code, _, err = run(
            capsys, *base, "--instance-type", "p5e.48xlarge", "--zone", "us-west-2a", "--check-offering"
        )
        assert code == 2 and "instance type p5e.48xlarge is not offered in us-west-2a" in err
        code, out, err = run(
            capsys,
            *base,
            "--instance-type",
            "g4dn.xlarge",
            "--zone",
            "us-west-2a",
            "--check-offering",
            "--dry-run",
        )
        assert code == 0, err
        assert "+      instanceType: g4dn.xlarge\n" in out


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            ("--instance-type", "g5.xlarge", "--zone", "eu-west-1a"),
            2,
            "unknown zone for this cluster in region us-west-2",
        ),
        (("--instance-type", "gpu", "--zone", "us-west-2a"), 2, "not an EC2 instance type"),
        (
            ("--instance-type", "g5.xlarge", "--zone", "us-west-2a", "--autoscale", "2:1"),
            2,
            "--autoscale 2:1",
        ),
    ],
)
def test_add_pool_bad_input(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    cluster: SeededCluster,
    project: Path,
    extra: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    got, _, err = run(
        capsys,
        "add-pool",
        "--env",
        "prod",
        *extra,
        "--kubeconfig",
        str(kubeconfig),
        "--project",
        str(project),
    )
    assert got == code and message in err


# --- RBAC: the shipped read-only role covers what the read commands do ------------------------------------


def test_readonly_clusterrole_covers_discover_status_diff(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator, project: Path
) -> None:
    sync(kube_emulator, load_env(project, "prod"))
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9")
    common = ("--kubeconfig", str(kubeconfig), "--project", str(project))
    run(capsys, "discover", "--env", "prod", *common)
    run(capsys, "status", "--env", "prod", *common)
    run(capsys, "diff", "--env", "prod", *common)
    role = yaml.safe_load((REPO / "docs" / "rbac-readonly-clusterrole.yaml").read_text())
    granted = {
        (g, r, v)
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }
    used = {(r.group, r.resource_path, r.verb) for r in kube_emulator.requests if r.resource}
    assert used and used <= granted, used - granted
    assert not any("secrets" in r for _, r, _ in granted)
    assert {v for _, _, v in granted} == {"get", "list"}


def test_add_pool_and_init_cluster_errors(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, kube_emulator: KubeEmulator, project: Path
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    before = values.read_text()
    kube_emulator.fault(status=401, times=1)
    code, _, err = run(
        capsys,
        "add-pool",
        "--env",
        "prod",
        "--instance-type",
        "g5.xlarge",
        "--zone",
        "us-west-2a",
        "--kubeconfig",
        str(kubeconfig),
        "--project",
        str(project),
    )
    assert code == 1 and "401 Unauthorized" in err
    kube_emulator.unserve_group("config.openshift.io")
    code, _, err = run(
        capsys, "init", "--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project)
    )
    assert code == 1 and err.startswith("not an OpenShift cluster")
    assert values.read_text() == before
