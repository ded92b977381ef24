"""add-pool --zones through ``main``: the fanned-out pool passes validate; bad input is exit 2, located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cluster_capacity.cli import main
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403


@pytest.fixture
def project(tmp_path: Path, kube_emulator: KubeEmulator) -> Path:
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9")
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest / "cluster-capacity.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def add_pool(kubeconfig: Path, project: Path, *extra: str) -> tuple[str, ...]:
    common = ("--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project))
    return ("add-pool", "--instance-type", "g6.xlarge", *common, *extra)


def test_fanned_out_spot_pool_with_fallback_validates(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path
) -> None:
    zones = "us-west-2a,us-west-2b,us-west-2c"
    args = add_pool(kubeconfig, project, "--zones", zones, "--spot", "--autoscale", "0:3")
    code, _, err = run(capsys, *args, "--on-demand-fallback", "--health-check")
    assert code == 0, err
    assert (
        "added pool gpu-g6-xlarge (g6.xlarge, us-west-2a, us-west-2b, us-west-2c, Spot with On-Demand "
        "fallback, replicas 0) from MachineSet prod-nkqd9-worker-us-west-2a"
    ) in err
    code, _, err = run(capsys, "validate", "--env", "prod", "--project", str(project))
    assert code == 0, err


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ((), "give --zone ZONE, or --zones ZONE,ZONE,... to fan the pool out"),
        (
            ("--zones", "us-west-2a"),
            "--zones us-west-2a: a fan-out needs two zones or more (for one zone use --zone)",
        ),
        (
            ("--zones", "us-west-2a,us-west-2b", "--autoscale", "0:1"),
            "--autoscale 0:1: MAX must be at least the number of zones (2): every zone's MachineAutoscaler "
            "needs maxReplicas >= 1",
        ),
        (
            ("--zone", "us-west-2a", "--on-demand-fallback"),
            "--on-demand-fallback needs --spot: the twin is the Spot pool's On-Demand copy",
        ),
    ],
)
def test_bad_flags(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path, extra: tuple[str, ...], line: str
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    before = values.read_bytes()
    code, out, err = run(capsys, *add_pool(kubeconfig, project, *extra))
    assert (code, out, err.splitlines()) == (2, "", [line])
    assert values.read_bytes() == before


def test_a_rendered_name_taken_by_another_pool_is_located(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path
) -> None:
    """The example's pool gpu-g5-xlarge-us-west-2a renders what a fan-out gpu-g5-xlarge does in 2a."""
    values = project.parent / "values" / "values-prod.yaml"
    before = values.read_bytes()
    args = add_pool(kubeconfig, project, "--zones", "us-west-2a,us-west-2b", "--name", "gpu-g5-xlarge")
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.splitlines() == [
        f"{values}:64: machineSets[1].nameSuffix: renders MachineSet prod-nkqd9-gpu-g5-xlarge-us-west-2a, "
        "as machineSets[0] (gpu-g5-xlarge-us-west-2a) does: choose another nameSuffix"
    ]
    assert values.read_bytes() == before
