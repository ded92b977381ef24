"""Fixtures for the AWS-facing tests: fake credentials, moto for EC2, Stubber for Service Quotas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from cluster_capacity.aws.client import Aws


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, so nothing could ever reach a real account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


def without_reservations(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto does not implement DescribeCapacityReservations: the account has none (`Aws.reservations`
    itself is tested with Stubber)."""
    monkeypatch.setattr(Aws, "reservations", lambda self: {})


@pytest.fixture
def moto(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """EC2 emulated by moto (the real instance catalog and zone offerings)."""
    without_reservations(monkeypatch)
    with mock_aws():
        yield


QuotaStub = Callable[[str], tuple[Any, Stubber]]


@pytest.fixture
def quotas_stub(aws_credentials: None) -> Iterator[QuotaStub]:
    """Make a Service Quotas client for a region with an active Stubber (moto does not serve EC2 quotas)."""
    stubbers: list[Stubber] = []

    def make(region: str) -> tuple[Any, Stubber]:
        client = boto3.client("service-quotas", region_name=region)
        stub = Stubber(client)
        stub.activate()
        stubbers.append(stub)
        return client, stub

    yield make
    for stub in stubbers:
        stub.deactivate()


def quota_answer(code: str, value: float) -> dict[str, Any]:
    """A GetServiceQuota / GetAWSDefaultServiceQuota answer."""
    return {"Quota": {"ServiceCode": "ec2", "QuotaCode": code, "QuotaName": code, "Value": value}}


@pytest.fixture
def inject_clients(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Clients put in this dict are the ones every `Aws` made by the code under test uses."""
    clients: dict[str, Any] = {}
    original = Aws.__init__

    def init(self: Aws, profile: str | None = None, region: str | None = None, **_: Any) -> None:
        original(self, profile, region, clients=clients)

    monkeypatch.setattr(Aws, "__init__", init)
    return clients
