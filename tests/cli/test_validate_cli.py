"""The validate command: clean example, schema findings, policy findings, quota findings from a snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cluster_capacity.aws.snapshot import InstanceTypeInfo, Snapshot
from cluster_capacity.cli import main
from tests.conftest import EXAMPLES

US_WEST_2 = frozenset({"us-west-2a", "us-west-2b", "us-west-2c"})


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def validate_prod(capsys: pytest.CaptureFixture[str], crds: Path, *extra: str) -> tuple[int, str, str]:
    """``validate`` of the example's prod env against the real CRDs, with extra flags."""
    return run(capsys, "validate", "--project", str(EXAMPLES), "--env", "prod", "--crds", str(crds), *extra)


def snapshot_file(tmp_path: Path, offered: frozenset[str] = US_WEST_2) -> Path:
    info = InstanceTypeInfo("g5.xlarge", 4, 16384, ("x86_64",), "nvidia", "A10G", 1, 1.0, 22888)
    snap = Snapshot("us-west-2", {"g5.xlarge": info}, {"g5.xlarge": offered})
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snap.to_dict()))
    return path


def test_example_is_clean(capsys: pytest.CaptureFixture[str], crds_dir: Path) -> None:
    code, out, err = run(capsys, "validate", "--project", str(EXAMPLES), "--all", "--crds", str(crds_dir))
    assert code == 0 and out == ""
    assert "object(s) valid" in err


def test_schema_and_policy_findings(capsys: pytest.CaptureFixture[str], crds_dir: Path) -> None:
    code, out, _ = validate_prod(
        capsys,
        crds_dir,
        "--set",
        "autoscaling.clusterAutoscaler.spec.scaleDown.uneededTime=5m",
    )
    assert code == 1
    assert out.splitlines() == [
        "ClusterAutoscaler default: spec.scaleDown.uneededTime: unknown field (the API server would drop it); "
        "did you mean unneededTime?"
    ]


def test_missing_crds_is_invalid_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLUSTER_CAPACITY_CRDS", raising=False)
    code, out, err = run(capsys, "validate", "--project", str(EXAMPLES), "--env", "prod")
    assert code == 2 and out == "" and "CLUSTER_CAPACITY_CRDS" in err


def test_quota_from_snapshot_and_what_if(
    capsys: pytest.CaptureFixture[str], crds_dir: Path, tmp_path: Path
) -> None:
    snap = snapshot_file(tmp_path)
    # prod: g5.xlarge Spot, maxReplicas 2 -> needs 8 G and VT Spot vCPUs
    code, out, _ = validate_prod(capsys, crds_dir, "--quota-file", str(snap), "--quota", "g:spot=4")
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith(
        "MachineSet openshift-machine-api/prod-nkqd9-gpu-g5-xlarge-us-west-2a: spec.replicas: "
    )
    assert "L-3819A6DF" in line and "8" in line
    assert validate_prod(capsys, crds_dir, "--quota-file", str(snap), "--quota", "g:spot=8")[0] == 0


def test_quota_zone_not_offered(capsys: pytest.CaptureFixture[str], crds_dir: Path, tmp_path: Path) -> None:
    snap = snapshot_file(tmp_path, offered=frozenset({"us-west-2b"}))
    code, out, _ = validate_prod(
        capsys,
        crds_dir,
        "--quota-file",
        str(snap),
        "--quota",
        "g:spot=64",
    )
    assert code == 1 and "g5.xlarge is not offered in us-west-2a (offered in us-west-2b)" in out


def test_quota_without_catalog_is_invalid_input(capsys: pytest.CaptureFixture[str], crds_dir: Path) -> None:
    code, _, err = validate_prod(
        capsys,
        crds_dir,
        "--quota",
        "g:spot=4",
    )
    assert code == 2 and "--quota needs the instance catalog" in err
