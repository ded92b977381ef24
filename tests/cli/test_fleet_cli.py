"""``status --all``: every env over its own kube context, at once; an unreachable cluster is a row."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cluster_capacity.cli import main
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403

PROJECT = """\
repoURL: https://github.com/example-org/fleet.git
envs:
  - name: prod
    cluster: {name: east}
    capacityIgnoreMachineSetReplicas: true
  - name: lab
    kubeContext: lab-admin
    capacityIgnoreMachineSetReplicas: true
"""


@pytest.fixture
def fleet(tmp_path: Path, kube_emulator: KubeEmulator, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "values", root / "values")
    shutil.copy(root / "values" / "values-prod.yaml", root / "values" / "values-lab.yaml")
    (root / "cluster-capacity.yaml").write_text(PROJECT)
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9")
    config = json.loads(kube_emulator.write_kubeconfig(tmp_path / "k").read_text())
    # east is the emulator; lab-admin points at a port nothing listens on
    config["clusters"].append({"name": "nowhere", "cluster": {"server": "http://127.0.0.1:9"}})
    config["contexts"] = [
        {"name": "east", "context": {"cluster": "emulator", "user": "emulator-user"}},
        {"name": "lab-admin", "context": {"cluster": "nowhere", "user": "emulator-user"}},
    ]
    config["current-context"] = "east"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(config))
    from cluster_capacity.kube import client

    monkeypatch.setattr(client.time, "sleep", lambda _: None)
    return root, kubeconfig


def test_status_all_reports_every_env_and_an_unreachable_one_as_a_row(
    fleet: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, kubeconfig = fleet
    code = main(
        ["status", "--all", "--project", str(root), "--kubeconfig", str(kubeconfig), "--parallel", "2"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in err
    rows = {
        line.split()[0]: re.sub(r" +", " ", line.strip()) for line in out.splitlines()[1:] if line.strip()
    }
    assert rows["prod"] == "prod east ok 1 pool(s) healthy"
    assert rows["lab"].startswith(
        "lab lab-admin FAILED list machinesets.machine.openshift.io in namespace openshift-machine-api "
        "failed after 5 attempts: cannot connect"
    )
    assert err.splitlines()[-1] == "1 of 2 env(s) ok"


def test_status_needs_env_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 2
    assert capsys.readouterr().err.strip() == "give --env NAME, or --all for every env of the project"
    assert main(["status", "--env", "prod", "--all"]) == 2
    assert capsys.readouterr().err.strip() == "use either --env NAME or --all"


def test_diff_all_drift_is_a_row_and_the_fleet_exit_code(
    fleet: tuple[Path, Path], capsys: pytest.CaptureFixture[str], kube_emulator: KubeEmulator
) -> None:
    from cluster_capacity.config import load_env
    from tests.ops.test_diff import sync

    root, kubeconfig = fleet
    args = ["diff", "--all", "--project", str(root), "--kubeconfig", str(kubeconfig)]

    def rows() -> dict[str, str]:
        out = capsys.readouterr().out
        return {
            line.split()[0]: re.sub(r" +", " ", line.strip()) for line in out.splitlines()[1:] if line.strip()
        }

    assert main(args) == 1  # lab cannot be reached: a failure outranks drift
    assert rows()["prod"].startswith("prod east drift ")
    sync(kube_emulator, load_env(root, "prod"))
    assert main(args) == 1
    assert re.fullmatch(r"prod east ok no drift \(\d+ objects compared\)", rows()["prod"])
    # without the unreachable env, the fleet's code is the envs' own
    (root / "cluster-capacity.yaml").write_text(PROJECT.split("  - name: lab")[0])
    assert main(args) == 0
