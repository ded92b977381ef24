"""Fixtures for the validation tests: the real upstream CRDs and their examples, read at test time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.validate.schemas import SchemaRegistry

_REPO = Path(__file__).resolve().parents[2]


def find_crd_dir() -> Path:
    """$CLUSTER_CAPACITY_CRDS, else ``shared/crds`` beside the repository, else /work/shared/crds."""
    configured = os.environ.get("CLUSTER_CAPACITY_CRDS")
    if configured:
        return Path(configured)
    beside = _REPO.parent / "shared" / "crds"
    return beside if beside.is_dir() else Path("/work/shared/crds")


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    path = find_crd_dir()
    assert path.is_dir(), (
        f"CRD folder {path} not found: set CLUSTER_CAPACITY_CRDS to a folder of CRD YAML files"
    )
    return path


@pytest.fixture(scope="session")
def registry(crd_dir: Path) -> SchemaRegistry:
    return SchemaRegistry.from_directory(crd_dir)


@pytest.fixture(scope="session")
def examples(crd_dir: Path) -> dict[str, dict[str, Any]]:
    """Upstream example manifests by file name (each holds one object)."""
    found = {}
    for path in sorted((crd_dir / "examples").glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        assert len(docs) == 1, path
        found[path.name] = docs[0]
    assert found, f"no examples under {crd_dir / 'examples'}"
    return found
