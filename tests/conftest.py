"""Shared fixtures: paths to the shipped example and to the real upstream CRDs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def _shared() -> Path:
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared"


SHARED = _shared()
CRDS = Path(os.environ.get("CLUSTER_CAPACITY_CRDS", SHARED / "crds"))


@pytest.fixture(scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CRD cache for the session: tests share parsed CRDs, never the developer's cache."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, _cache_dir: Path
) -> None:
    """No test reads the developer's kubeconfig, AWS credentials or cache, or colours its output."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CLUSTER_CAPACITY_CACHE_DIR", str(_cache_dir))
    monkeypatch.delenv("CLUSTER_CAPACITY_NO_CACHE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("KUBECONFIG", str(home / "no-kubeconfig"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def crds_dir() -> Path:
    if not CRDS.is_dir():
        pytest.fail(f"CRDs not found at {CRDS}: set CLUSTER_CAPACITY_CRDS to ../shared/crds")
    return CRDS
