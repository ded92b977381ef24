"""The render and schema commands: output, files, --check, exit codes and error lines."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from cluster_capacity.cli import main
from tests.conftest import EXAMPLES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest


def test_render_values_files_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    values = EXAMPLES / "values"
    code, out, err = run(
        capsys, "render", "-f", str(values / "values-common.yaml"), "-f", str(values / "values-prod.yaml")
    )
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    kinds = [d["kind"] for d in docs]
    assert "Application" not in kinds  # no project: no Application
    assert kinds.count("MachineSet") == 1 and "ClusterPolicy" in kinds and "NodeFeatureDiscovery" in kinds
    # no env known: objects carry the managed-by label but no env label
    assert all("cluster-capacity/env" not in d["metadata"]["labels"] for d in docs)


def test_render_project_env_includes_application(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", "--project", str(EXAMPLES), "--env", "prod")
    assert code == 0
    docs = list(yaml.safe_load_all(out))
    app = docs[-1]
    assert app["kind"] == "Application" and app["metadata"]["name"] == "cluster-capacity-prod"
    assert app["spec"]["source"]["path"] == "rendered/prod"
    assert all(d["metadata"]["labels"]["cluster-capacity/env"] == "prod" for d in docs)


def test_output_is_byte_identical_across_runs(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "render", "--project", str(EXAMPLES), "--env", "prod")[1]
    second = run(capsys, "render", "--project", str(EXAMPLES), "--env", "prod")[1]
    assert first == second and first.startswith("---\n")


def test_set_changes_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "render", "--project", str(EXAMPLES), "--env", "prod", "--set", "machineSets[0].replicas=1"
    )
    assert code == 0
    (ms,) = [d for d in yaml.safe_load_all(out) if d["kind"] == "MachineSet"]
    assert ms["spec"]["replicas"] == 1


def test_bad_input_exits_2_with_located_lines_and_no_stdout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "v.yaml"
    bad.write_text("enabled: true\nmachineSets:\n  - nameSuffix: a\n    replica: 1\n")
    code, out, err = run(capsys, "render", "-f", str(bad))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"{bad}:4: machineSets[0].replica: unknown key; did you mean 'replicas'?"]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render"], "nothing to render"),
        (["render", "-f", "x.yaml", "--env", "prod"], "use either -f FILE... or --project/--env/--all"),
        (["render", "--env", "prod", "--check"], "--check compares with files on disk"),
    ],
)
def test_flag_combinations(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = (
        run(capsys, *args, "--project", str(EXAMPLES)) if "-f" not in args else run(capsys, *args)
    )
    assert code == 2 and out == "" and message in err


def test_unknown_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "render", "--no-such-flag")
    assert code == 2 and "No such option" in err


def test_committed_example_output_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """Golden files: examples/rendered is what render --all produces today."""
    code, _, err = run(capsys, "render", "--project", str(EXAMPLES), "--all", "--check")
    assert code == 0, err


def test_write_folder_then_check_detects_change(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    shutil.rmtree(project / "rendered")
    assert run(capsys, "render", "--project", str(project), "--all")[0] == 0
    prod = project / "rendered" / "prod"
    kust = yaml.safe_load((prod / "kustomization.yaml").read_text())
    assert sorted(kust["resources"]) == sorted(
        p.name for p in prod.glob("*.yaml") if p.name != "kustomization.yaml"
    )
    assert (project / "rendered" / "argocd" / "application-cluster-capacity-prod.yaml").is_file()
    assert not list((project / "rendered" / "argocd").glob("*dev*"))  # dev has capacityEnabled: false

    values = project / "values" / "values-prod.yaml"
    values.write_text(values.read_text().replace("maxReplicas: 2", "maxReplicas: 3"))
    code, _, err = run(capsys, "render", "--project", str(project), "--all", "--check")
    assert code == 1
    assert f"{prod / 'machineautoscaler-prod-nkqd9-gpu-g5-xlarge-us-west-2a.yaml'}: differs" in err
    assert "1 rendered file(s) out of date" in err


def test_rewrite_removes_only_files_it_wrote(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    prod = project / "rendered" / "prod"
    mine = prod / "README.md"
    mine.write_text("notes of the team\n")
    values = project / "values" / "values-prod.yaml"
    # turn autoscaling off: the MachineAutoscaler file goes away, the team's file stays
    values.write_text(
        values.read_text().replace("autoscaler:\n      enabled: true", "autoscaler:\n      enabled: false")
    )
    assert (
        run(
            capsys,
            "render",
            "--project",
            str(project),
            "--all",
            "--set",
            "autoscaling.clusterAutoscaler.enabled=false",
        )[0]
        == 0
    )
    assert not (prod / "machineautoscaler-prod-nkqd9-gpu-g5-xlarge-us-west-2a.yaml").exists()
    assert mine.read_text() == "notes of the team\n"
    assert (prod / "machineset-prod-nkqd9-gpu-g5-xlarge-us-west-2a.yaml").exists()


def test_render_to_a_folder_for_one_env(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "render", "--project", str(EXAMPLES), "--env", "prod", "-o", str(out_dir))
    assert code == 0 and out == ""
    assert (out_dir / "kustomization.yaml").is_file()
    assert not list(
        out_dir.glob("application-*")
    )  # the Application lives in the apps folder, not in its own source
    assert (
        run(capsys, "render", "--project", str(EXAMPLES), "--env", "prod", "-o", str(out_dir), "--check")[0]
        == 0
    )


def test_failed_render_writes_nothing(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    shutil.rmtree(project / "rendered")
    (project / "values" / "values-dev.yaml").write_text("enabled: maybe\n")
    code, _, err = run(capsys, "render", "--project", str(project), "--all")
    assert code == 2 and "values-dev.yaml:1: enabled: must be true or false" in err
    assert not (project / "rendered").exists()


def test_each_error_line_names_its_envs(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    common = project / "values" / "values-common.yaml"
    common.write_text(common.read_text().replace("serviceMonitor: true", "serviceMonitor: maybe"))
    (project / "values" / "values-dev.yaml").write_text("infraID: 7\n")
    code, out, err = run(capsys, "render", "--project", str(project), "--all")
    values = project / "values"
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f'{values}/values-common.yaml:9: nvidia.monitoring.serviceMonitor: must be true or false, got "maybe" (a string); the '
        'Helm chart read every string but "true" as false, so write false if that is what you relied on '
        "(envs prod, dev)",
        f"{values}/values-dev.yaml:1: infraID: must be a string, got 7 (a int) (env dev)",
    ]
    code, _, err = run(capsys, "render", "--project", str(project), "--env", "prod")
    assert code == 2 and err.rstrip().endswith("relied on")  # one env: no env named


def test_schema_describes_the_values_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    validator = jsonschema.Draft202012Validator(schema)
    example = yaml.safe_load((EXAMPLES / "values" / "values-prod.yaml").read_text())
    assert list(validator.iter_errors(example)) == []
    example["machineSets"][0]["nameSufix"] = "typo"
    assert [e.message for e in validator.iter_errors(example)] != []
    assert "infraID" in schema["properties"] and "machineSets" in schema["properties"]
    del example["machineSets"][0]["nameSufix"]
    for bad in (0, "0", " 00 "):  # the model refuses maxReplicas below 1: so does the editors' schema
        example["machineSets"][0]["autoscaler"] = {"maxReplicas": bad}
        assert len(list(validator.iter_errors(example))) == 1, bad
    example["machineSets"][0]["autoscaler"] = {"maxReplicas": " 10 "}
    assert list(validator.iter_errors(example)) == []


def test_project_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "--kind", "project")
    schema = json.loads(out)
    assert code == 0 and "repoURL" in schema["properties"] and "repoURL" in schema["required"]
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load((EXAMPLES / "cluster-capacity.yaml").read_text()))) == []


def test_unchanged_folders_are_not_rewritten(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    assert run(capsys, "render", "--project", str(project), "--all")[0] == 0
    files = sorted((project / "rendered").rglob("*.yaml"))
    for f in files:
        os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    values = project / "values" / "values-prod.yaml"
    values.write_text(values.read_text().replace("maxReplicas: 2", "maxReplicas: 3"))
    code, _, err = run(capsys, "render", "--project", str(project), "--all")
    assert code == 0, err
    touched = sorted(
        f.relative_to(project / "rendered").as_posix() for f in files if f.stat().st_mtime_ns != 1_000_000_000
    )
    # inside the changed folder too, only the changed file is written; the others keep their mtimes
    assert touched == ["prod/machineautoscaler-prod-nkqd9-gpu-g5-xlarge-us-west-2a.yaml"]
    assert err.splitlines()[-1] == "2 folder(s) already up to date"  # dev/ and argocd/


def test_second_example_output_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """Golden files of examples/neuron (Neuron stack, dashboard, every off-switch)."""
    code, _, err = run(capsys, "render", "--project", str(EXAMPLES / "neuron"), "--all", "--check")
    assert code == 0, err
