"""pytest fixtures around the emulator. Use from a test package's ``conftest.py``::

    from tests.emulator.fixtures import *  # noqa: F403

Fixtures:
- ``kube_emulator``: a started, empty ``KubeEmulator`` (every OpenShift kind served), stopped after the test.
- ``kubeconfig``: path of a kubeconfig pointing at ``kube_emulator`` (context ``emulator``).
- ``openshift_cluster``: ``kube_emulator`` seeded by ``openshift.seed_cluster`` -> ``SeededCluster``.
- ``kube_env``: a ``monkeypatch`` with KUBECONFIG set to ``kubeconfig`` and AWS/in-cluster variables cleared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .openshift import SeededCluster, seed_cluster
from .server import KubeEmulator

__all__ = ["kube_emulator", "kube_env", "kubeconfig", "openshift_cluster"]


@pytest.fixture
def kube_emulator() -> Iterator[KubeEmulator]:
    """A running emulator with no objects."""
    emu = KubeEmulator().start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def kubeconfig(kube_emulator: KubeEmulator, tmp_path: Path) -> Path:
    """A kubeconfig file for ``kube_emulator``."""
    return kube_emulator.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def openshift_cluster(kube_emulator: KubeEmulator) -> SeededCluster:
    """``kube_emulator`` loaded with a realistic OpenShift-on-AWS cluster."""
    return seed_cluster(kube_emulator)


@pytest.fixture
def kube_env(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Point the standard kubeconfig variable at the emulator; no in-cluster or AWS settings leak in."""
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    for var in (
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch
