"""``plan --check --all``: every env against its account and region's quotas, the sums envs share."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cluster_capacity.cli import main
from tests.aws.conftest import without_reservations
from tests.conftest import EXAMPLES

PROJECT = """\
repoURL: https://github.com/example-org/fleet.git
envs:
  - name: prod
  - name: lab
    awsProfile: lab-account
  - name: dev
    capacityEnabled: false
  - name: far
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(out: str) -> dict[str, str]:
    return {
        line.split()[0]: re.sub(r" +", " ", line.strip())
        for line in out.splitlines()[1:]
        if line.strip() and ":" not in line.split()[0] and line.split()[0] != "Env" and "─" not in line
    }


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """prod and lab: the example's g5.xlarge Spot pool (max 2: 8 vCPUs) in us-west-2; far: in eu-west-1.

    The snapshot folder holds us-west-2.json (G Spot quota 12, nothing running), nothing for eu-west-1.
    """
    from moto import mock_aws

    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root)
    values = root / "values"
    shutil.copy(values / "values-prod.yaml", values / "values-lab.yaml")
    far = (values / "values-prod.yaml").read_text().replace("us-west-2", "eu-west-1")
    (values / "values-far.yaml").write_text(far)
    (root / "cluster-capacity.yaml").write_text(PROJECT)
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    with pytest.MonkeyPatch.context() as env, mock_aws():
        without_reservations(env)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        code, _, err = run(capsys, "--check", "--env", "prod", "--project", str(root), "--quota", "g:spot=12",
                           "--save-snapshot", str(snapshots / "us-west-2.json"))  # fmt: skip
    assert code == 0, err
    return root, snapshots


def test_envs_that_fit_alone_but_not_together_and_a_missing_snapshot(
    fleet: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, snapshots = fleet
    code, out, err = run(capsys, "--check", "--all", "--project", str(root), "--snapshot", str(snapshots))
    assert code == 2  # far has no snapshot: input, not a quota verdict
    table = rows(out)
    assert table["dev"] == "dev - ok no enabled pool with an instance type"
    assert table["far"] == (
        f"far - FAILED {snapshots}: no snapshot for env far (looked for far.json and eu-west-1.json)"
    )
    shared = (
        "shared quota: pools prod/gpu-g5-xlarge-us-west-2a, lab/gpu-g5-xlarge-us-west-2a: together their "
        "maximums need 16 G and VT Spot vCPUs (quota L-3819A6DF), the quota is 12 (headroom 12)"
    )
    assert table["prod"].startswith("prod us-west-2 FAILED shared quota: pools ")
    assert table["lab"].startswith("lab us-west-2 FAILED shared quota: pools ")
    assert err.splitlines()[-1] == "1 of 4 env(s) fit"
    code, out, _ = run(
        capsys, "--check", "--all", "--project", str(root), "--snapshot", str(snapshots), "-o", "json"
    )
    data = {d["env"]: d for d in json.loads(out)}
    assert data["prod"]["problems"] == [shared]
    assert data["lab"]["problems"] == [shared]
    assert (data["prod"]["exitCode"], data["dev"]["exitCode"], data["far"]["exitCode"]) == (1, 0, 2)
    assert data["prod"]["pools"] == [
        {
            "pool": "gpu-g5-xlarge-us-west-2a",
            "name": "gpu-g5-xlarge-us-west-2a",
            "machineSet": "prod-nkqd9-gpu-g5-xlarge-us-west-2a",
            "instanceType": "g5.xlarge",
            "zone": "us-west-2a",
            "market": "spot",
            "maxReplicas": 2,
            "fallbackFor": None,
        }
    ]


def test_an_env_file_wins_and_each_env_alone_fits(
    fleet: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, snapshots = fleet
    (root / "values" / "values-far.yaml").unlink()
    (root / "cluster-capacity.yaml").write_text(PROJECT.replace("  - name: far\n", ""))
    # lab's own file: a separate account, so prod and lab no longer share a quota
    shutil.copy(snapshots / "us-west-2.json", snapshots / "lab.json")
    code, out, err = run(capsys, "--check", "--all", "--project", str(root), "--snapshot", str(snapshots))
    assert code == 0, out + err
    assert rows(out) == {
        "prod": "prod us-west-2 ok 1 pool(s) fit",
        "lab": "lab us-west-2 ok 1 pool(s) fit",
        "dev": "dev - ok no enabled pool with an instance type",
    }
    assert err.splitlines()[-1] == "3 of 3 env(s) fit"


def test_one_snapshot_file_for_every_env_and_a_quota_too_small(
    fleet: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, snapshots = fleet
    (root / "cluster-capacity.yaml").write_text(PROJECT.replace("  - name: far\n", ""))
    code, out, _ = run(capsys, "--check", "--all", "--project", str(root),
                       "--snapshot", str(snapshots / "us-west-2.json"), "--quota", "g:spot=4")  # fmt: skip
    assert code == 1
    own = (
        "pool gpu-g5-xlarge-us-west-2a: maxReplicas 2 of g5.xlarge needs 8 G and VT Spot vCPUs "
        "(quota L-3819A6DF), the quota is 4 (headroom 4)"
    )
    assert rows(out)["prod"].startswith("prod us-west-2 FAILED pool gpu-g5-xlarge-us-west-2a: maxReplicas 2")
    assert rows(out)["lab"].startswith("lab us-west-2 FAILED pool gpu-g5-xlarge-us-west-2a: maxReplicas 2")
    data = {d["env"]: d for d in json.loads(
        run(capsys, "--check", "--all", "--project", str(root), "--snapshot",
            str(snapshots / "us-west-2.json"), "--quota", "g:spot=4", "-o", "json")[1]
    )}  # fmt: skip
    # each env alone already fails; the sum adds a shared problem on top
    assert data["prod"]["problems"][0] == own
    assert data["prod"]["problems"][1].startswith("shared quota: pools prod/gpu-g5-xlarge-us-west-2a, lab/")
