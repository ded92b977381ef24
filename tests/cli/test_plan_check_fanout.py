"""plan --check of a pool fanned out over zones with an On-Demand fallback: one row per MachineSet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cluster_capacity.cli import main
from tests.aws.conftest import aws_credentials, moto  # noqa: F401
from tests.conftest import EXAMPLES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    values = tmp_path / "repo" / "values" / "values-prod.yaml"
    values.write_text(
        values.read_text()
        .replace("nameSuffix: gpu-g5-xlarge-us-west-2a", "nameSuffix: gpu-g5")
        .replace("maxReplicas: 2", "maxReplicas: 5")
        .replace(
            "    providerSpec:\n",
            "    zones: [us-west-2a, us-west-2b, us-west-2c]\n    onDemandFallback: true\n    providerSpec:\n",
        )
    )
    return tmp_path / "repo" / "cluster-capacity.yaml"


@pytest.mark.usefixtures("moto")
def test_rows_per_zone_and_twin(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    args = ["plan", "--check", "--env", "prod", "--project", str(project), "--quota", "g:spot=20"]
    code = main([*args, "--quota", "g:on-demand=8"])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert out.splitlines() == [
        "ok    pool gpu-g5-us-west-2a: 2 x g5.xlarge spot in us-west-2a",
        "ok    pool gpu-g5-us-west-2b: 2 x g5.xlarge spot in us-west-2b",
        "ok    pool gpu-g5-us-west-2c: 1 x g5.xlarge spot in us-west-2c",
        "FAIL  pool gpu-g5-us-west-2a-ondemand: 2 x g5.xlarge on-demand in us-west-2a "
        "(On-Demand fallback of gpu-g5-us-west-2a)",
        "FAIL  pool gpu-g5-us-west-2b-ondemand: 2 x g5.xlarge on-demand in us-west-2b "
        "(On-Demand fallback of gpu-g5-us-west-2b)",
        "FAIL  pool gpu-g5-us-west-2c-ondemand: 1 x g5.xlarge on-demand in us-west-2c "
        "(On-Demand fallback of gpu-g5-us-west-2c)",
        "pools gpu-g5-us-west-2a-ondemand, gpu-g5-us-west-2b-ondemand, gpu-g5-us-west-2c-ondemand: together "
        "their maximums need 20 G and VT On-Demand vCPUs (quota L-DB2E81BA), the quota is 8 (headroom 8)",
    ]
    assert main([*args, "--quota", "g:on-demand=20", "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["pools"]
    assert {r["pool"] for r in rows} == {"gpu-g5"}
    assert rows[4] == {
        "pool": "gpu-g5",
        "name": "gpu-g5-us-west-2b-ondemand",
        "machineSet": "prod-nkqd9-gpu-g5-us-west-2b-ondemand",
        "instanceType": "g5.xlarge",
        "zone": "us-west-2b",
        "market": "on-demand",
        "maxReplicas": 2,
        "fallbackFor": "gpu-g5-us-west-2b",
        "ok": True,
    }
