"""Fixtures for the cluster operations: the emulator seeded like the shipped example's cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cluster_capacity import kube
from cluster_capacity.config import EnvConfig, load_env
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403
from tests.emulator.openshift import SeededCluster

#: The infraID of the shipped example (examples/values/values-prod.yaml).
EXAMPLE_INFRA_ID = "prod-nkqd9"


@pytest.fixture
def cluster(kube_emulator: KubeEmulator) -> SeededCluster:
    """A realistic cluster whose infraID and GPU pool match the shipped example env ``prod``."""
    return openshift.seed_cluster(kube_emulator, infra_id=EXAMPLE_INFRA_ID)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped example GitOps repo; returns its project file."""
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest / "cluster-capacity.yaml"


@pytest.fixture
def prod(project: Path) -> EnvConfig:
    return load_env(project, "prod")


@pytest.fixture
def client(kubeconfig: Path) -> kube.Kube:
    return kube.connect(kubeconfig, sleep=lambda _: None)
