"""The AWS boundary against moto (EC2) and botocore's Stubber (Service Quotas, faults)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import exceptions as bx
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from cluster_capacity.aws.client import IAM_ACTIONS, Aws
from cluster_capacity.aws.fetch import fetch_snapshot, instance_type_info, offered_in
from cluster_capacity.aws.plan import make_plan
from cluster_capacity.errors import AwsError, ConfigError

from .conftest import QuotaStub, quota_answer

DOCS = Path(__file__).resolve().parents[2] / "docs"
EU = ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def run_instances(
    region: str, instance_type: str, count: int, *, spot: bool, zone: str, name: str = ""
) -> list[str]:
    ec2 = boto3.client("ec2", region_name=region)
    extra: dict[str, Any] = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
    if name:
        extra["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
    answer = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=count,
        MaxCount=count,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": zone},
        **extra,
    )
    return [i["InstanceId"] for i in answer["Instances"]]


def stubbed_ec2(region: str = "us-west-2") -> tuple[Any, Stubber]:
    client = boto3.client("ec2", region_name=region)
    stub = Stubber(client)
    stub.activate()
    return client, stub


# --- reads against moto ---------------------------------------------------------------------------


def test_catalog_describes_gpus_and_neuron_devices(moto: None) -> None:
    catalog = Aws(region="us-west-2").catalog(["g", "inf", "trn"])
    assert all(name.startswith(("g", "vt", "inf", "trn")) for name in catalog)
    g5 = catalog["g5.xlarge"]
    assert (g5.vcpus, g5.memory_mib, g5.accelerator, g5.accelerator_name) == (4, 16384, "nvidia", "A10G")
    assert (g5.accelerator_count, g5.accelerator_memory_mib, g5.architectures) == (1, 22888, ("x86_64",))
    assert "spot" in g5.usage_classes
    inf2 = catalog["inf2.xlarge"]
    assert (inf2.accelerator, inf2.accelerator_name, inf2.accelerator_count) == ("neuron", "Inferentia2", 1)
    assert (inf2.neuron_cores, inf2.accelerator_memory_mib, inf2.vcpus) == (2, 32768, 4)
    trn = catalog["trn1.32xlarge"]
    assert (trn.accelerator_count, trn.neuron_cores) == (16, 32)
    assert catalog["g6f.large"].accelerator_fraction == 0.125
    assert not catalog["g6f.large"].whole_accelerators


def test_catalog_exact_types_and_a_type_that_does_not_exist(moto: None) -> None:
    aws = Aws(region="us-west-2")
    m5 = instance_type_info("m5.xlarge", aws)
    assert (m5.vcpus, m5.accelerator) == (4, None)
    with pytest.raises(ConfigError, match=r"g5\.xlarg.*us-west-2"):
        instance_type_info("g5.xlarg", aws)


def test_offerings_by_availability_zone(moto: None) -> None:
    aws = Aws(region="eu-west-1")
    assert aws.offerings(["g5.xlarge", "g6.xlarge"]) == {"g5.xlarge": frozenset(EU)}  # no g6 in eu-west-1
    assert aws.offerings(["g5.xlarge"], ["eu-west-1b"]) == {"g5.xlarge": frozenset({"eu-west-1b"})}


def test_offered_in_for_add_pool(moto: None) -> None:
    assert offered_in("g5.xlarge", "us-west-2a")
    assert not offered_in("g5.xlarge", "us-west-2d")  # moto offers g5 in us-west-2a, b and c only
    with pytest.raises(ConfigError, match=r"do not exist: \[g9\.xlarge\]"):
        offered_in("g9.xlarge", "us-west-2a")
    with pytest.raises(ConfigError, match="not an availability zone of us-east-1"):
        offered_in("g5.xlarge", "us-west-2a", region="us-east-1")


def test_spot_prices(moto: None) -> None:
    prices = Aws(region="us-west-2").spot_prices(["g5.xlarge"], ["us-west-2a"])
    assert prices == {"g5.xlarge": {"us-west-2a": 0.00001}}  # moto's fixed price


def test_usage_per_family_and_market_from_running_instances(moto: None) -> None:
    spot = run_instances("eu-west-1", "g5.xlarge", 3, spot=True, zone="eu-west-1a", name="prod-gpu-a-1")
    run_instances("eu-west-1", "g5.2xlarge", 1, spot=False, zone="eu-west-1b")
    run_instances("eu-west-1", "m5.large", 1, spot=False, zone="eu-west-1b")
    boto3.client("ec2", region_name="eu-west-1").terminate_instances(InstanceIds=spot[:1])
    aws = Aws(region="eu-west-1")
    catalog = aws.catalog(["g"])
    instances = aws.instances(catalog)  # m5.large is not in the catalog: looked up on the side
    used: dict[tuple[str, str], int] = {}
    for instance in instances:
        used[instance.key] = used.get(instance.key, 0) + instance.vcpus
    assert used == {("g", "spot"): 8, ("g", "on-demand"): 8, ("standard", "on-demand"): 2}
    assert {i.name for i in instances if i.spot} == {"prod-gpu-a-1"}


# --- whole snapshots: moto for EC2, Stubber for Service Quotas ------------------------------------


def test_seed_examples_end_to_end(moto: None, quotas_stub: QuotaStub) -> None:
    client, stub = quotas_stub("eu-west-1")
    stub.add_response(
        "get_service_quota",
        quota_answer("L-3819A6DF", 4.0),
        {"ServiceCode": "ec2", "QuotaCode": "L-3819A6DF"},
    )
    stub.add_response(
        "get_service_quota",
        quota_answer("L-B5D1601B", 8.0),
        {"ServiceCode": "ec2", "QuotaCode": "L-B5D1601B"},
    )
    aws = Aws(region="eu-west-1", clients={"service-quotas": client})
    # p and trn: what-if zero, so Service Quotas is asked only for G and VT Spot and Inf Spot.
    snap = fetch_snapshot(aws, ["g", "p", "inf", "trn"], ["spot"], quota_overrides={("p", "spot"): 0})
    stub.assert_no_pending_responses()
    assert snap.quotas[("g", "spot")].source == "account"
    assert ("trn", "spot") not in snap.quotas  # no Trn type is offered in eu-west-1 (moto): not read
    plan = make_plan(snap, markets=["spot"])
    chosen = {
        (f.family, f.market): f.recommendation and f.recommendation.instance_type for f in plan.families
    }
    assert chosen == {
        ("g", "spot"): "g5.xlarge",
        ("p", "spot"): None,
        ("inf", "spot"): "inf2.xlarge",
        ("trn", "spot"): None,
    }


def test_running_spot_instances_eat_the_headroom(moto: None, quotas_stub: QuotaStub) -> None:
    run_instances("eu-west-1", "g4dn.xlarge", 1, spot=True, zone="eu-west-1c")
    client, stub = quotas_stub("eu-west-1")
    stub.add_response("get_service_quota", quota_answer("L-3819A6DF", 8.0))
    snap = fetch_snapshot(Aws(region="eu-west-1", clients={"service-quotas": client}), ["g"], ["spot"])
    [g] = make_plan(snap, family="nvidia", markets=["spot"]).families[:1]
    assert (g.used, g.headroom) == (4, 4)
    assert g.recommendation is not None and g.recommendation.max_replicas == 1
    run_instances("eu-west-1", "g5.xlarge", 1, spot=True, zone="eu-west-1a")
    stub.add_response("get_service_quota", quota_answer("L-3819A6DF", 8.0))
    snap = fetch_snapshot(Aws(region="eu-west-1", clients={"service-quotas": client}), ["g"], ["spot"])
    [g] = make_plan(snap, family="nvidia", markets=["spot"]).families[:1]
    assert (g.used, g.headroom, g.fits, g.recommendation) == (8, 0, (), None)


def test_quota_falls_back_to_the_aws_default(moto: None, quotas_stub: QuotaStub) -> None:
    client, stub = quotas_stub("us-west-2")
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "The request failed", 400)
    stub.add_response(
        "get_aws_default_service_quota",
        quota_answer("L-1945791B", 0.0),
        {"ServiceCode": "ec2", "QuotaCode": "L-1945791B"},
    )
    quotas = Aws(region="us-west-2", clients={"service-quotas": client}).quotas([("inf", "on-demand")])
    assert (quotas[("inf", "on-demand")].value, quotas[("inf", "on-demand")].source) == (0, "aws-default")
    stub.assert_no_pending_responses()


def test_every_call_the_planner_makes_is_in_the_iam_policy(
    moto: None, quotas_stub: QuotaStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real Aws.reservations; moto lacks the call, so it is answered below
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    policy = json.loads((DOCS / "aws-iam-policy.json").read_text())
    actions = sorted(a for statement in policy["Statement"] for a in statement["Action"])
    assert actions == sorted(IAM_ACTIONS)
    client, stub = quotas_stub("us-west-2")
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "no", 400)
    stub.add_response("get_aws_default_service_quota", quota_answer("L-3819A6DF", 0.0))
    ec2 = boto3.client("ec2", region_name="us-west-2")
    called: set[str] = set()
    for service, c in (("ec2", ec2), ("servicequotas", client)):
        c.meta.events.register(
            "before-parameter-build",
            lambda model, service=service, **_: called.add(f"{service}:{model.name}"),
        )
    ec2.meta.events.register(
        "before-call.ec2.DescribeCapacityReservations",
        lambda **_: (AWSResponse("https://ec2", 200, {}, None), {"CapacityReservations": []}),
    )
    ec2.meta.events.register(
        "before-call.ec2.DescribeCapacityBlockOfferings",
        lambda **_: (AWSResponse("https://ec2", 200, {}, None), {"CapacityBlockOfferings": []}),
    )
    aws = Aws(region="us-west-2", clients={"ec2": ec2, "service-quotas": client})
    # a pool that launches into a Capacity Block makes the planner read the blocks on sale too
    fetch_snapshot(aws, ["g"], ["spot"], types=["m5.xlarge"], blocks=[("g5.xlarge", 2)])
    assert called == set(IAM_ACTIONS)


def test_clients_use_adaptive_retries(moto: None) -> None:
    retries = Aws(region="us-west-2").ec2().meta.config.retries
    assert retries == {"mode": "adaptive", "total_max_attempts": 8}


# --- faults ---------------------------------------------------------------------------------------


def test_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # The top-level conftest cleared every credential variable and points the AWS files at nothing.
    with pytest.raises(AwsError, match="no AWS credentials found"):
        Aws(region="us-west-2").catalog(["g"])


def test_unknown_region_missing_region_and_unknown_profile(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="--region us-nowhere-1: unknown AWS region"):
        _ = Aws(region="us-nowhere-1").region
    with pytest.raises(ConfigError, match="no AWS region"):
        _ = Aws().region
    monkeypatch.setenv("AWS_DEFAULT_REGION", "mars-north-1")
    with pytest.raises(
        ConfigError, match=r"region mars-north-1 \(from the profile or AWS_DEFAULT_REGION\): unknown"
    ):
        _ = Aws().region
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert Aws().region == "eu-central-1"
    with pytest.raises(ConfigError, match="--profile nope: no such profile"):
        _ = Aws("nope", "us-west-2").region


@pytest.mark.parametrize(
    ("operation", "code", "expected"),
    [
        ("describe_instance_types", "ExpiredToken", "AWS credentials have expired"),
        ("describe_instance_types", "RequestExpired", "AWS credentials have expired"),
        ("describe_instance_types", "AuthFailure", "AWS rejected the credentials"),
        ("describe_instance_types", "UnauthorizedOperation", "may not call ec2:DescribeInstanceTypes"),
        ("describe_instance_types", "RequestLimitExceeded", "ec2:DescribeInstanceTypes: AWS is throttling"),
        ("describe_instance_types", "InternalError", r"ec2:DescribeInstanceTypes failed \(InternalError\)"),
    ],
)
def test_ec2_faults_become_clear_errors(
    aws_credentials: None, operation: str, code: str, expected: str
) -> None:
    client, stub = stubbed_ec2()
    stub.add_client_error(operation, code, "the service said no", 400)
    with pytest.raises(AwsError, match=expected):
        Aws(region="us-west-2", clients={"ec2": client}).catalog(["g"])


def test_access_denied_names_the_iam_action(aws_credentials: None, quotas_stub: QuotaStub) -> None:
    client, stub = stubbed_ec2()
    stub.add_client_error("describe_instances", "UnauthorizedOperation", "You are not authorized", 403)
    with pytest.raises(AwsError) as denied:
        Aws(region="us-west-2", clients={"ec2": client}).instances()
    assert str(denied.value) == (
        "access denied: the credentials may not call ec2:DescribeInstances (UnauthorizedOperation); grant it "
        "(docs/aws-iam-policy.json lists every action the planner calls)"
    )
    sq, sq_stub = quotas_stub("us-west-2")
    sq_stub.add_client_error("get_service_quota", "AccessDeniedException", "nope", 403)
    with pytest.raises(
        AwsError, match=r"may not call servicequotas:GetServiceQuota \(AccessDeniedException\)"
    ):
        Aws(region="us-west-2", clients={"service-quotas": sq}).quotas([("g", "spot")])


def test_throttling_of_spot_prices(aws_credentials: None) -> None:
    client, stub = stubbed_ec2()
    stub.add_client_error("describe_spot_price_history", "RequestLimitExceeded", "slow down", 503)
    with pytest.raises(
        AwsError,
        match=r"ec2:DescribeSpotPriceHistory: AWS is throttling requests \(RequestLimitExceeded\) after 8 attempts",
    ):
        Aws(region="us-west-2", clients={"ec2": client}).spot_prices(["g5.xlarge"])


def test_quota_code_missing_in_the_account(aws_credentials: None, quotas_stub: QuotaStub) -> None:
    client, stub = quotas_stub("us-west-2")
    stub.add_client_error("get_service_quota", "NoSuchResourceException", "no such quota", 400)
    stub.add_client_error("get_aws_default_service_quota", "NoSuchResourceException", "no such quota", 400)
    with pytest.raises(AwsError) as missing:
        Aws(region="us-west-2", clients={"service-quotas": client}).quotas([("trn", "spot")])
    assert str(missing.value) == (
        "Service Quotas has no quota L-6B0D517C (Trn Spot vCPUs) for this account in us-west-2; "
        "plan with --quota trn:spot=VCPUS instead"
    )


def test_instance_type_that_does_not_exist_is_bad_input(aws_credentials: None) -> None:
    client, stub = stubbed_ec2()
    stub.add_client_error(
        "describe_instance_types",
        "InvalidInstanceType",
        "The following supplied instance types do not exist: [g5.xlarg]",
        400,
    )
    with pytest.raises(ConfigError, match=r"do not exist: \[g5\.xlarg\] \(in us-west-2\)"):
        Aws(region="us-west-2", clients={"ec2": client}).catalog(types=["g5.xlarg"])


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (bx.TokenRetrievalError(provider="sso", error_msg="token expired"), "AWS credentials have expired"),
        (
            bx.EndpointConnectionError(endpoint_url="https://ec2.us-west-2.amazonaws.com"),
            "cannot reach AWS in us-west-2",
        ),
        (bx.CredentialRetrievalError(provider="process", error_msg="exit 1"), "cannot get AWS credentials"),
    ],
)
def test_botocore_errors_are_translated(aws_credentials: None, raised: Exception, expected: str) -> None:
    aws = Aws(region="us-west-2")
    with pytest.raises(AwsError, match=expected), aws._translate("ec2:DescribeInstances"):
        raise raised


def test_instance_architecture_from_ec2(moto: None) -> None:
    from cluster_capacity.aws.fetch import instance_architecture

    assert instance_architecture("g5g.xlarge", region="us-west-2") == "arm64"
    assert instance_architecture("g5.xlarge", region="us-west-2") == "x86_64"
