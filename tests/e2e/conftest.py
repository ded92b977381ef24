"""Opt-in end-to-end suite against a real OpenShift-on-AWS cluster; read-only, skipped unless configured.

    CLUSTER_CAPACITY_E2E_KUBECONFIG=~/.kube/prod   # required: the cluster to read
    CLUSTER_CAPACITY_E2E_CONTEXT=admin              # optional kubeconfig context
    CLUSTER_CAPACITY_E2E_PROJECT=~/gitops/cluster-capacity.yaml  # optional: compare an env
    CLUSTER_CAPACITY_E2E_ENV=prod                   # optional, with the project

Nothing here writes to the cluster: discover, status, diff, and init/add-pool into a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cluster_capacity import kube

KUBECONFIG = os.environ.get("CLUSTER_CAPACITY_E2E_KUBECONFIG", "")
CONTEXT = os.environ.get("CLUSTER_CAPACITY_E2E_CONTEXT") or None
PROJECT = os.environ.get("CLUSTER_CAPACITY_E2E_PROJECT", "")
ENV = os.environ.get("CLUSTER_CAPACITY_E2E_ENV", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if KUBECONFIG:
        return
    skip = pytest.mark.skip(reason="set CLUSTER_CAPACITY_E2E_KUBECONFIG to run against a real cluster")
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture
def e2e_kubeconfig() -> Path:
    return Path(KUBECONFIG).expanduser()


@pytest.fixture
def e2e_client(e2e_kubeconfig: Path) -> kube.Kube:
    return kube.connect(e2e_kubeconfig, CONTEXT)


@pytest.fixture
def e2e_project() -> Path:
    if not (PROJECT and ENV):
        pytest.skip("set CLUSTER_CAPACITY_E2E_PROJECT and CLUSTER_CAPACITY_E2E_ENV to compare an env")
    return Path(PROJECT).expanduser()
