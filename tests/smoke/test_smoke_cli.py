"""``cluster-capacity smoke`` end to end: flags, --print-pod, a run against the emulator, exit codes."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.cli import main
from cluster_capacity.cli.smoke import parse_duration
from cluster_capacity.errors import ConfigError
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, ResourceType, openshift

from .conftest import nvidia_smi_log

INFRA = "prod-nkqd9"  # the example env's infraID
POOL = "gpu-g5-xlarge-us-west-2a"
MS = f"{INFRA}-{POOL}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest


def test_print_pod_needs_no_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "smoke", "--project", str(EXAMPLES), "--env", "prod", "--print-pod")
    assert code == 0, err
    assert err == ""
    (pod,) = list(yaml.safe_load_all(out))
    assert pod["kind"] == "Pod"
    assert pod["metadata"]["name"] == "cluster-capacity-smoke"
    assert pod["spec"]["containers"][0]["command"] == ["nvidia-smi"]
    assert pod["spec"]["nodeSelector"]["topology.kubernetes.io/zone"] == "us-west-2a"


def test_print_pod_with_image_and_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "smoke",
        "--project",
        str(EXAMPLES),
        "--env",
        "prod",
        "--pool",
        POOL,
        "--image",
        "quay.io/me/cuda:12",
        "--namespace",
        "gpu-smoke",
        "--print-pod",
    )
    assert code == 0
    pod = yaml.safe_load(out)
    assert pod["metadata"]["namespace"] == "gpu-smoke"
    assert pod["spec"]["containers"][0]["image"] == "quay.io/me/cuda:12"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "soon"], "--timeout soon: not a duration (examples: 30m, 1h30m, 90s)"),
        (["--timeout", "0m"], "--timeout 0m: must be longer than zero"),
        (["--report", "out.txt"], "--report out.txt: use a .json or .xml (JUnit) file name"),
        (
            ["--report", "no/such/dir/r.json"],
            "--report no/such/dir/r.json: folder no/such/dir does not exist",
        ),
        (["--env", "qa"], "env 'qa' is not in the project file"),
        (["--pool", "nope"], "no pool with nameSuffix 'nope'"),
    ],
)
def test_bad_input_exits_2_before_touching_the_cluster(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["smoke", "--project", str(EXAMPLES)]
    if "--env" not in args:
        base += ["--env", "prod"]
    code, out, err = run(capsys, *base, *args)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_missing_env_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "smoke", "--project", str(EXAMPLES))
    assert code == 2
    assert "--env" in err


def test_neuron_pool_is_refused_while_the_gate_is_closed(
    project: Path, capsys: pytest.CaptureFixture[str], kubeconfig: Path
) -> None:
    path = project / "values" / "values-prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["machineSets"][0]["providerSpec"]["instanceType"] = "inf2.xlarge"
    data["machineSets"][0]["autoscaler"]["minReplicas"] = 1
    path.write_text(yaml.safe_dump(data))
    code, _, err = run(
        capsys, "smoke", "--project", str(project), "--env", "prod", "--kubeconfig", str(kubeconfig)
    )
    assert code == 2
    assert "inf2.xlarge is a Neuron (Inferentia/Trainium) type, which is gated" in err


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800.0), ("1h30m", 5400.0), ("90s", 90.0), ("90", 90.0), ("0.5s", 0.5)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text, "--timeout") == seconds


def test_parse_duration_rejects_garbage() -> None:
    with pytest.raises(ConfigError):
        parse_duration("", "--timeout")


# -- runs against the emulator (real time, but nothing waits: the "kubelet" answers at once) --------------


@pytest.fixture
def live(kube_emulator: KubeEmulator) -> KubeEmulator:
    """The example env's cluster: its autoscaled GPU pool has one Ready node with a GPU."""
    openshift.seed_cluster(kube_emulator, infra_id=INFRA, with_gpu_pool=False)
    ms = openshift.gpu_machineset(POOL, infra_id=INFRA, replicas=1, spot=True)
    kube_emulator.add(ms)
    running = openshift.machine(ms, 0, "Running")
    kube_emulator.add(running)
    kube_emulator.add(openshift.node_for(running, gpus=1))
    log = nvidia_smi_log("l40s-default.txt")

    def kubelet(verb: str, rtype: ResourceType, obj: dict[str, Any]) -> None:
        if verb == "create" and rtype.kind == "Pod":
            name = obj["metadata"]["name"]
            kube_emulator.set_pod_log("default", name, log)
            kube_emulator.update(
                "Pod",
                name,
                "default",
                {
                    "spec": {"nodeName": running["status"]["nodeRef"]["name"]},
                    "status": {
                        "phase": "Succeeded",
                        "conditions": [{"type": "PodScheduled", "status": "True"}],
                    },
                },
            )

    kube_emulator.on_write(kubelet)
    return kube_emulator


def test_run_passes_writes_junit_and_cleans_up(
    live: KubeEmulator, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "smoke.xml"
    code, out, err = run(
        capsys,
        "smoke",
        "--project",
        str(EXAMPLES),
        "--env",
        "prod",
        "--kubeconfig",
        str(kubeconfig),
        "--poll",
        "0.01s",
        "--report",
        str(report),
    )
    assert code == 0, err
    assert out == ""
    assert f"smoke PASS: env prod, pool {POOL} (MachineSet {MS})" in err
    assert "gpu: 1 x NVIDIA L40S, 46068 MiB, driver 595.80, CUDA 13.2" in err
    assert "capacity: existing node" in err
    assert f"report written to {report}" in err
    suite = ET.parse(report).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    case = suite.find("testcase")
    assert case is not None
    assert (case.get("classname"), case.get("name")) == ("smoke.prod", POOL)
    assert live.list("Pod", "default") == []


def test_run_fails_with_exit_1_and_json_reason(
    live: KubeEmulator, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live.add(openshift.cluster_policy("notReady"))
    report = tmp_path / "smoke.json"
    code, _, err = run(
        capsys,
        "smoke",
        "--project",
        str(EXAMPLES),
        "--env",
        "prod",
        "--kubeconfig",
        str(kubeconfig),
        "--poll",
        "0.01s",
        "--timeout",
        "0.05s",
        "--report",
        str(report),
    )
    assert code == 1
    assert "smoke FAIL" in err
    data = json.loads(report.read_text())
    assert data["verdict"] == "fail"
    assert data["reason"].startswith(
        "timed out after 0s waiting for ClusterPolicy cluster-policy to be ready"
    )
    assert data["gpu"] is None


def test_unreachable_cluster_is_a_failed_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "smoke", "--project", str(EXAMPLES), "--env", "prod", "--kubeconfig", str(tmp_path / "none")
    )
    assert code == 1
    assert "does not exist" in err
    assert "Traceback" not in err


def test_neuron_pool_with_the_gate_open_prints_a_neuron_ls_pod(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "values" / "values-prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["machineSets"][0]["providerSpec"]["instanceType"] = "inf2.xlarge"
    data["machineSets"][0]["autoscaler"]["minReplicas"] = 1
    data["inferentia"] = {
        "enabled": True,
        "feasibility": {"passed": True, "clusterVersion": "4.19.9", "checkedAt": "2026-11-28"},
    }
    path.write_text(yaml.safe_dump(data))
    code, out, err = run(capsys, "smoke", "--project", str(project), "--env", "prod", "--print-pod")
    assert code == 0, err
    pod = yaml.safe_load(out)
    assert pod["spec"]["containers"][0]["command"] == ["neuron-ls"]
    assert pod["spec"]["containers"][0]["resources"]["limits"] == {"aws.amazon.com/neuron": "1"}


def test_sigterm_to_a_real_process_restores_replicas(
    kube_emulator: KubeEmulator, kubeconfig: Path, project: Path, tmp_path: Path
) -> None:
    """The CLI in its own process, killed with SIGTERM mid-wait, as a cancelled CI job would be."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    path = project / "values" / "values-prod.yaml"
    data = yaml.safe_load(path.read_text())
    data["machineSets"][0]["autoscaler"]["enabled"] = False  # a pool the smoke test scales itself
    data["autoscaling"]["clusterAutoscaler"]["enabled"] = False
    path.write_text(yaml.safe_dump(data))
    openshift.seed_cluster(kube_emulator, infra_id=INFRA, with_gpu_pool=False)
    kube_emulator.add(openshift.gpu_machineset(POOL, infra_id=INFRA, replicas=0, spot=True))
    report = tmp_path / "smoke.json"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from cluster_capacity.cli import main; sys.exit(main(sys.argv[1:]))",
            *("smoke", "--project", str(project), "--env", "prod", "--kubeconfig", str(kubeconfig)),
            *("--poll", "0.05s", "--report", str(report)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ms = kube_emulator.get("MachineSet", MS, openshift.MACHINE_API_NS)
            if ms is not None and ms["spec"]["replicas"] == 1:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            raise AssertionError("the smoke test never scaled the pool")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "interrupted by SIGTERM while waiting for" in err
    assert f"cleanup: restored MachineSet {MS} replicas to 0" in err
    ms = kube_emulator.get("MachineSet", MS, openshift.MACHINE_API_NS)
    assert ms is not None and ms["spec"]["replicas"] == 0
    assert json.loads(report.read_text())["reason"].startswith("interrupted by SIGTERM")
