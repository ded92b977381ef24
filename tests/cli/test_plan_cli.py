"""``cluster-capacity plan``: exit codes and exact output, against moto (EC2) and stubbed Service Quotas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from cluster_capacity.cli import main

# The AWS fixtures live with the AWS tests; importing them makes them usable here by name.
from tests.aws.conftest import (
    QuotaStub,
    aws_credentials,  # noqa: F401
    inject_clients,  # noqa: F401
    moto,  # noqa: F401
    quota_answer,
    quotas_stub,  # noqa: F401
    without_reservations,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def spot_instance(region: str, instance_type: str, zone: str) -> None:
    boto3.client("ec2", region_name=region).run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": zone},
        InstanceMarketOptions={"MarketType": "spot"},
    )


@pytest.mark.usefixtures("moto")
def test_four_g_spot_vcpus_json(capsys: pytest.CaptureFixture[str]) -> None:
    # Every quota is given: no Service Quotas call (nothing is stubbed, moto does not serve them).
    code, out, _ = run(
        capsys, "--region", "eu-west-1", "--family", "nvidia", "--market", "spot",
        "--quota", "g:spot=4", "--quota", "p:spot=0", "-o", "json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    g = data["families"][0]
    assert (g["name"], g["quota"], g["quotaSource"], g["used"], g["headroom"]) == (
        "G and VT Spot",
        4,
        "override",
        0,
        4,
    )
    assert g["recommendation"] == "g5.xlarge"
    assert [c["instanceType"] for c in g["fits"]] == ["g5.xlarge", "g4dn.xlarge"]
    assert g["fits"][0]["zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert g["fits"][0]["spotPrice"] == 0.00001
    assert data["fits"] is True


@pytest.mark.usefixtures("moto")
def test_eight_inf_spot_vcpus_table_with_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--region", "eu-west-1", "--family", "neuron", "--market", "spot",
        "--quota", "inf:spot=8", "--target-neuron-devices", "4",
    )  # fmt: skip
    assert code == 1  # the target does not fit the headroom
    assert "Inf Spot vCPUs (L-B5D1601B): quota 8 (what-if), used 0, headroom 8" in out
    assert "  recommended: inf2.xlarge (1 x Inferentia2, 4 vCPUs, up to 2 replicas)" in out
    assert "  target 4 Neuron devices: 4 x inf2.xlarge = 16 vCPUs" in out
    assert "  raise L-B5D1601B to 16:" in out
    assert (
        "    aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-B5D1601B "
        "--desired-value 16 --region eu-west-1\n"
    ) in out
    assert "  no Trn Spot type is offered in the selected zones" in out
    assert "the target does not fit the headroom" in err


@pytest.mark.usefixtures("moto")
def test_quotas_from_service_quotas_yaml(
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    make_stub: QuotaStub = request.getfixturevalue("quotas_stub")
    clients: dict[str, Any] = request.getfixturevalue("inject_clients")
    client, stub = make_stub("us-west-2")
    stub.add_response(
        "get_service_quota",
        quota_answer("L-DB2E81BA", 8.0),
        {"ServiceCode": "ec2", "QuotaCode": "L-DB2E81BA"},
    )
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "none", 400)
    stub.add_response("get_aws_default_service_quota", quota_answer("L-417A185B", 0.0))
    clients["service-quotas"] = client
    code, out, _ = run(
        capsys, "--region", "us-west-2", "--family", "nvidia", "--market", "on-demand", "-o", "yaml"
    )
    stub.assert_no_pending_responses()
    assert code == 0
    g, p = yaml.safe_load(out)["families"]
    assert (g["quota"], g["quotaSource"], g["recommendation"]) == (8, "account", "g6.xlarge")
    assert (p["quota"], p["quotaSource"], p["recommendation"], p["smallest"]) == (
        0,
        "aws-default",
        None,
        "p5.4xlarge",
    )


@pytest.mark.usefixtures("moto")
def test_running_instances_eat_the_headroom(capsys: pytest.CaptureFixture[str]) -> None:
    spot_instance("eu-west-1", "g5.xlarge", "eu-west-1a")
    code, out, err = run(capsys, "--region", "eu-west-1", "--family", "nvidia", "--market", "spot",
                         "--quota", "g:spot=4", "--quota", "p:spot=0")  # fmt: skip
    assert code == 1
    assert "G and VT Spot vCPUs (L-3819A6DF): quota 4 (what-if), used 4, headroom 0" in out
    assert "  nothing fits: the smallest, g5.xlarge, needs 4 vCPUs" in out
    assert err.strip().endswith("nothing fits the headroom")


@pytest.mark.usefixtures("moto")
def test_fractional_gpus_are_listed_but_never_recommended(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--region", "us-west-2", "--family", "nvidia", "--market", "spot",
                         "--quota", "g:spot=2", "--quota", "p:spot=0", "--zones", "us-west-2a,us-west-2z")  # fmt: skip
    assert code == 1
    rows = [line.split() for line in out.splitlines() if line.startswith("g6f.large")]
    assert rows == [["g6f.large", "1/8", "L4", "2.8", "GiB", "2", "1", "a", "0.0000"]]
    assert "  no recommendation: the smallest with whole accelerators, g6.xlarge, needs 4 vCPUs" in out
    assert "us-west-2z: no accelerator instance type is offered there" in err


def test_snapshot_then_plan_offline_without_credentials(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    file = tmp_path / "eu.json"
    with monkeypatch.context() as env, mock_aws():
        without_reservations(env)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        code, _, err = run(capsys, "--region", "eu-west-1", "--market", "spot", "--quota", "g:spot=0",
                           "--quota", "p:spot=0", "--quota", "inf:spot=0", "--save-snapshot", str(file))  # fmt: skip
    assert code == 1 and f"wrote {file}" in err
    # No credentials, no moto: everything comes from the file and the flags.
    code, out, _ = run(
        capsys, "--catalog", str(file), "--market", "spot", "--quota", "g:spot=16", "-o", "json"
    )
    assert code == 0
    families = {f["family"]: f for f in json.loads(out)["families"]}
    assert (families["g"]["quotaSource"], families["g"]["recommendation"]) == ("override", "g5.xlarge")
    assert families["g"]["fits"][0]["maxReplicas"] == 4
    assert (families["inf"]["quota"], families["inf"]["quotaSource"]) == (0, "snapshot")
    code, _, err = run(capsys, "--snapshot", str(file), "--market", "on-demand")
    assert code == 2
    assert (
        "has no value for --quota g:on-demand=VCPUS, --quota p:on-demand=VCPUS, --quota inf:on-demand=VCPUS"
        in err
    )
    code, _, err = run(capsys, "--snapshot", str(file), "--region", "us-east-1")
    assert code == 2 and "is of eu-west-1" in err


# --- plan --check ---------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shipped example project (prod: a g5.xlarge Spot pool in us-west-2a, autoscaler max 2)."""
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    return tmp_path / "repo" / "cluster-capacity.yaml"


def edit_prod(project: Path, old: str, new: str) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    text = values.read_text()
    assert old in text
    values.write_text(text.replace(old, new))


@pytest.mark.usefixtures("moto")
def test_check_fails_when_the_pool_can_never_reach_its_maximum(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, out, _ = run(capsys, "--check", "--env", "prod", "--project", str(project), "--quota", "g:spot=4")
    assert code == 1
    assert out.splitlines() == [
        "FAIL  pool gpu-g5-xlarge-us-west-2a: 2 x g5.xlarge spot in us-west-2a",
        "pool gpu-g5-xlarge-us-west-2a: maxReplicas 2 of g5.xlarge needs 8 G and VT Spot vCPUs (quota L-3819A6DF), "
        "the quota is 4 (headroom 4)",
    ]
    code, out, _ = run(capsys, "--check", "--env", "prod", "--project", str(project), "--quota", "g:spot=8")
    assert code == 0
    assert out == "ok    pool gpu-g5-xlarge-us-west-2a: 2 x g5.xlarge spot in us-west-2a\n"


@pytest.mark.usefixtures("moto")
def test_check_zone_that_does_not_offer_the_type(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    edit_prod(project, "availabilityZone: us-west-2a", "availabilityZone: us-west-2d")
    code, out, _ = run(
        capsys, "--check", "--env", "prod", "--project", str(project), "--quota", "g:spot=8", "-o", "json"
    )
    assert code == 1
    data = json.loads(out)
    assert data["problems"] == [
        "pool gpu-g5-xlarge-us-west-2a: g5.xlarge is not offered in us-west-2d "
        "(offered in us-west-2a, us-west-2b, us-west-2c)"
    ]
    assert data["pools"][0]["ok"] is False


@pytest.mark.usefixtures("moto")
def test_check_instance_type_that_does_not_exist(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    edit_prod(project, "instanceType: g5.xlarge", "instanceType: g5.xlarg")
    code, _, err = run(capsys, "--check", "--env", "prod", "--project", str(project), "--quota", "g:spot=8")
    assert code == 2
    assert "do not exist: [g5.xlarg] (in us-west-2)" in err


def test_check_offline_from_a_snapshot(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    from moto import mock_aws

    file = tmp_path / "us-west-2.json"
    with pytest.MonkeyPatch.context() as env, mock_aws():
        without_reservations(env)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        spot_instance("us-west-2", "g5.xlarge", "us-west-2b")  # someone else's: eats 4 vCPUs of headroom
        code, _, _ = run(capsys, "--check", "--env", "prod", "--project", str(project),
                         "--quota", "g:spot=12", "--save-snapshot", str(file))  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, "--check", "--env", "prod", "--project", str(project), "--snapshot", str(file))
    assert code == 0  # quota 12 (saved), 4 used by others, the pool needs 8
    code, out, _ = run(capsys, "--check", "--env", "prod", "--project", str(project), "--snapshot", str(file),
                       "--quota", "g:spot=8")  # fmt: skip
    assert code == 1
    assert out.splitlines()[1].endswith("the quota is 8, 4 in use by other instances (headroom 4)")
    data = json.loads(file.read_text())
    data["instanceTypes"] = [t for t in data["instanceTypes"] if t["name"] != "g5.xlarge"]
    file.write_text(json.dumps(data))
    code, _, err = run(capsys, "--check", "--env", "prod", "--project", str(project), "--snapshot", str(file))
    assert code == 2
    assert "does not describe g5.xlarge; save a new one" in err


# --- faults and bad input -------------------------------------------------------------------------


def test_no_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--region", "us-west-2")
    assert code == 1
    assert "no AWS credentials found" in err


@pytest.mark.usefixtures("aws_credentials")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "mars-north-1"], "--region mars-north-1: unknown AWS region"),
        (["--region", "us-west-2", "--profile", "ghost"], "--profile ghost: no such profile"),
        (["--quota", "gpu:spot=4"], "unknown quota family 'gpu'"),
        (["--family", "neuron", "--target-gpus", "2"], "--target-gpus needs --family nvidia or all"),
        (
            ["--family", "nvidia", "--target-neuron-devices", "2"],
            "--target-neuron-devices needs --family neuron",
        ),
        (["--check"], "--check needs --env NAME, or --all for every env of the project"),
        (["--all"], "--all is only used with --check"),
        (["--check", "--all", "--env", "prod"], "use either --env NAME or --all"),
        (
            ["--check", "--all", "--save-snapshot", "s.json"],
            "--save-snapshot is for one env; with --all, give --snapshot FILE or DIR",
        ),
        (["--env", "prod"], "--env is only used with --check"),
        (
            ["--region", "us-west-2", "--zones", "eu-west-1a", "--quota", "g:spot=1"],
            "eu-west-1a is not an availability zone of us-west-2",
        ),
        (["-o", "xml"], "Invalid value for '--output'"),
        (["--market", "reserved"], "Invalid value for '--market'"),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


@pytest.mark.usefixtures("aws_credentials")
def test_access_denied_names_the_action(
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    clients: dict[str, Any] = request.getfixturevalue("inject_clients")
    ec2 = boto3.client("ec2", region_name="us-west-2")
    stub = Stubber(ec2)
    stub.add_client_error("describe_instance_types", "UnauthorizedOperation", "You are not authorized", 403)
    stub.activate()
    clients["ec2"] = ec2
    code, _, err = run(capsys, "--region", "us-west-2", "--quota", "g:spot=4")
    assert code == 1
    assert "may not call ec2:DescribeInstanceTypes (UnauthorizedOperation)" in err
