"""``cluster-capacity inferentia check``: the gate closed, opened by a recorded check, closed again when the
cluster moves on; exit codes and output, over the emulator (cluster) and moto / Stubber (AWS)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.cli import main

# AWS and emulator fixtures live with their own tests; importing them makes them usable here by name.
from tests.aws.conftest import (
    QuotaStub,
    aws_credentials,  # noqa: F401
    inject_clients,  # noqa: F401
    moto,  # noqa: F401
    quota_answer,
    quotas_stub,  # noqa: F401
)
from tests.emulator import KubeEmulator
from tests.emulator.fixtures import kube_emulator, kubeconfig  # noqa: F401
from tests.ops.neuron_cluster import INF_ON_DEMAND, seed, values_text, write_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "repo")


@pytest.fixture
def quota(quotas_stub: QuotaStub, inject_clients: dict[str, Any]) -> None:  # noqa: F811
    """Service Quotas says 16 Inf On-Demand vCPUs, for up to six checks."""
    client, stub = quotas_stub("us-west-2")
    for _ in range(6):
        stub.add_response(
            "get_service_quota",
            quota_answer(INF_ON_DEMAND, 16),
            {"ServiceCode": "ec2", "QuotaCode": INF_ON_DEMAND},
        )
    inject_clients["service-quotas"] = client


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def check(
    capsys: pytest.CaptureFixture[str], project: Path, config: Path, *args: str
) -> tuple[int, str, str]:
    """``inferentia check --env prod`` of ``project`` against the cluster of kubeconfig ``config``."""
    base = ["inferentia", "check", "--env", "prod", "--project", str(project), "--kubeconfig", str(config)]
    return run(capsys, *base, *args)


def render(capsys: pytest.CaptureFixture[str], project: Path) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run(capsys, "render", "--project", str(project), "--env", "prod")
    return code, [d for d in yaml.safe_load_all(out) if d] if code == 0 else [], err


@pytest.mark.usefixtures("moto", "quota")
def test_gate_closed_then_opened_by_a_recorded_check(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    project: Path,
) -> None:
    seed(kube_emulator)
    code, _, err = render(capsys, project)
    assert code == 2
    assert "values-prod.yaml" in err
    assert "inf2.xlarge is a Neuron (Inferentia/Trainium) type, which is gated" in err
    assert "run `cluster-capacity inferentia check --env ENV --write`" in err

    code, out, _ = check(capsys, project, kubeconfig)
    assert code == 0
    assert out.startswith("Env prod: OpenShift 4.19.9 on AWS, region us-west-2\n")
    assert "Verdict: PASS\n" in out
    assert "Gate: CLOSED: inferentia.enabled is not set in the values\n" in out
    assert "Record it to open the gate: cluster-capacity inferentia check --env prod --write\n" in out
    assert "WARN" not in out and "FAIL" not in out

    before = values_text(project)
    code, out, err = check(capsys, project, kubeconfig, "--write")
    assert code == 0
    today = dt.date.today().isoformat()
    after = values_text(project)
    assert after.startswith(before)  # comments, order and quoting kept; the record is appended
    for comment in ("# prod: an Inferentia2 pool", "# from `oc get infrastructure cluster`", "# Inferentia2"):
        assert comment in after
    recorded = yaml.safe_load(after)["inferentia"]
    assert recorded["enabled"] is True
    feas = recorded["feasibility"]
    assert (feas["passed"], feas["clusterVersion"], feas["platform"]) == (True, "4.19.9", "AWS")
    assert feas["checkedAt"] == dt.date.today()
    assert feas["findings"][0] == "pass: Platform: AWS, region us-west-2"
    assert len(feas["findings"]) == 8
    assert err.strip().endswith(
        "values-prod.yaml: recorded the check; gate OPEN: a passed check for OpenShift 4.19.9 is recorded"
    )

    code, objects, err = render(capsys, project)
    assert code == 0, err
    kinds = [o["kind"] for o in objects]
    (device_config,) = [o for o in objects if o["kind"] == "DeviceConfig"]
    assert device_config["spec"]["driverVersion"] == "2.28.0.0"
    assert "NodeFeatureRule" in kinds
    (machineset,) = [o for o in objects if o["kind"] == "MachineSet"]
    assert {"key": "aws.amazon.com/neuron", "value": "true", "effect": "NoSchedule"} in machineset["spec"][
        "template"
    ]["spec"]["taints"]

    code, out, _ = check(capsys, project, kubeconfig)
    assert code == 0
    assert f"Gate: OPEN: a passed check for OpenShift 4.19.9 is recorded (on {today})\n" in out
    assert "Record it" not in out


@pytest.mark.usefixtures("moto", "quota")
def test_gate_closed_again_when_the_cluster_moves_on(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    project: Path,
) -> None:
    seed(kube_emulator)
    assert check(capsys, project, kubeconfig, "--write")[0] == 0
    assert render(capsys, project)[0] == 0

    # The cluster is updated: the recorded check no longer describes it.
    kube_emulator.update(
        "ClusterVersion",
        "version",
        patch={
            "status": {
                "desired": {"version": "4.20.1"},
                "history": [{"state": "Completed", "version": "4.20.1"}],
            }
        },
    )
    code, out, _ = check(capsys, project, kubeconfig, "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["clusterVersion"] == "4.20.1"
    assert data["gate"]["open"] is False
    assert "is for OpenShift 4.19.9, but the cluster runs 4.20.1" in data["gate"]["reason"]

    # ... and now fails a row: recording that closes the gate, and render refuses again.
    kube_emulator.delete("PackageManifest", "aws-neuron-operator", "openshift-marketplace")
    code, out, err = check(capsys, project, kubeconfig, "--write")
    assert code == 1
    assert re.search(r"^AWS Neuron operator +FAIL +not installed", out, re.M)
    assert "Verdict: FAIL\n" in out
    assert "Gate: CLOSED: the recorded check" in out
    assert "gate CLOSED: the recorded check did not pass" in err
    feas = yaml.safe_load(values_text(project))["inferentia"]["feasibility"]
    assert (feas["passed"], feas["clusterVersion"]) == (False, "4.20.1")
    assert any(f.startswith("fail: AWS Neuron operator: not installed") for f in feas["findings"])
    code, _, err = render(capsys, project)
    assert code == 2
    assert "inferentia.feasibility.passed: the recorded feasibility check did not pass" in err


@pytest.mark.usefixtures("moto")
def test_dry_run_prints_the_diff_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    project: Path,
) -> None:
    seed(kube_emulator)
    before = values_text(project)
    code, out, _ = check(capsys, project, kubeconfig, "--write", "--dry-run", "--quota", "inf:on-demand=8")
    assert code == 0  # a what-if quota warns
    assert values_text(project) == before
    assert re.search(r"^Quota: Inf On-Demand +WARN +L-1945791B 8 vCPUs \(what-if\)", out, re.M)
    assert "not changed; --write would change:\n" in out
    assert "+inferentia:\n+  enabled: true\n+  feasibility:\n+    passed: true\n" in out


def test_failing_cluster_table(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    project: Path,
) -> None:
    seed(kube_emulator, version="4.15.38", kmm="missing")
    code, out, _ = check(capsys, project, kubeconfig)  # no AWS credentials either
    assert code == 1
    assert re.search(r"^OpenShift version +FAIL +4\.15\.38: ", out, re.M)
    assert "What to do:\n" in out
    assert "  OpenShift version: update the cluster to OpenShift 4.19 or later\n" in out
    assert "  AWS offerings and quotas: give AWS credentials" in out
    assert "Verdict: FAIL\n" in out
    assert "Record it" not in out


def test_json_output_of_missing_aws_credentials(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    project: Path,
) -> None:
    seed(kube_emulator)
    code, out, _ = check(capsys, project, kubeconfig, "-o", "yaml")
    assert code == 1
    data = yaml.safe_load(out)
    assert (data["verdict"], data["passed"], data["pools"]) == (
        "fail",
        False,
        ["neuron-inf2-xlarge-us-west-2a"],
    )
    aws = data["rows"][-1]
    assert (aws["check"], aws["status"]) == ("aws", "fail")
    assert aws["found"].startswith("cannot read AWS: no AWS credentials found")


def test_no_cluster_is_a_clear_error(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    code, out, err = run(capsys, "inferentia", "check", "--env", "prod", "--project", str(project))
    assert code == 1
    assert out == ""
    assert err.startswith("KUBECONFIG names no existing file")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run"], "--dry-run shows what --write would change: use it with --write"),
        (["--quota", "inf=8"], "--quota 'inf=8': expected FAMILY:MARKET=VCPUS"),
        (["-o", "xml"], "-o xml: must be one of table, yaml, json"),
        (["--env", "staging"], "env 'staging' is not in the project file (known envs: prod)"),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], project: Path, args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "inferentia", "check", "--env", "prod", "--project", str(project), *args)
    assert code == 2
    assert message in err


@pytest.mark.usefixtures("moto")
def test_json_write_reports_the_file_and_the_gate(
    capsys: pytest.CaptureFixture[str],
    kube_emulator: KubeEmulator,  # noqa: F811
    kubeconfig: Path,  # noqa: F811
    project: Path,
) -> None:
    seed(kube_emulator)
    code, out, err = check(capsys, project, kubeconfig, "--write", "--quota", "inf:on-demand=8", "-o", "json")
    assert code == 0
    written = json.loads(out)["write"]
    assert written["file"] == str(project.parent / "values" / "values-prod.yaml")
    assert (written["written"], written["dryRun"]) == (True, False)
    assert written["gate"] == "OPEN: a passed check for OpenShift 4.19.9 is recorded"
    assert "+  enabled: true\n" in written["diff"]
    assert "recorded the check" in err
    # the what-if warning is recorded as a finding
    findings = yaml.safe_load(values_text(project))["inferentia"]["feasibility"]["findings"]
    assert findings[-1].startswith("warn: Quota: Inf On-Demand: L-1945791B 8 vCPUs (what-if)")
