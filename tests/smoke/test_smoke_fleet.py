"""``smoke --all --pool P``: every env that has pool P, over its own context; one table, the fleet's code."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.cli import main
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, ResourceType, openshift

from .conftest import nvidia_smi_log

INFRA = "prod-nkqd9"
POOL = "gpu-g5-xlarge-us-west-2a"

PROJECT = """\
repoURL: https://github.com/example-org/fleet.git
envs:
  - name: prod
    cluster: {name: east}
    capacityIgnoreMachineSetReplicas: true
  - name: lab
    kubeContext: lab-admin
    capacityIgnoreMachineSetReplicas: true
  - name: dev
    capacityEnabled: false
"""


@pytest.fixture
def fleet(tmp_path: Path, kube_emulator: KubeEmulator, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """prod's cluster is the emulator (a Ready GPU node); lab's context points nowhere; dev has no pool."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "values", root / "values")
    shutil.copy(root / "values" / "values-prod.yaml", root / "values" / "values-lab.yaml")
    (root / "cluster-capacity.yaml").write_text(PROJECT)

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
    config = json.loads(kube_emulator.write_kubeconfig(tmp_path / "k").read_text())
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


def rows(out: str) -> dict[str, str]:
    return {
        line.split()[0]: re.sub(r" +", " ", line.strip()) for line in out.splitlines()[1:] if line.strip()
    }


def test_smoke_all_passes_fails_and_skips_by_env_with_one_report(
    fleet: tuple[Path, Path], kube_emulator: KubeEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, kubeconfig = fleet
    report = tmp_path / "smoke.xml"
    args = ["smoke", "--all", "--pool", POOL, "--project", str(root), "--kubeconfig", str(kubeconfig)]
    code = main([*args, "--poll", "0.01s", "--parallel", "2", "--report", str(report)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in err
    table = rows(out)
    assert table["prod"] == "prod east ok PASS gpu: 1 x NVIDIA L40S, 46068 MiB, driver 595.80, CUDA 13.2 (0s)"
    assert table["lab"].startswith("lab lab-admin FAILED FAIL ")
    assert "cannot connect" in table["lab"]
    assert table["dev"] == "dev (current) skipped no pool gpu-g5-xlarge-us-west-2a"
    assert f"prod: [    0s] preflight: MachineSet {INFRA}-{POOL}, replicas 1, capacity: existing node" in err
    assert err.splitlines()[-2:] == ["1 of 2 env(s) ok, 1 skipped", f"report written to {report}"]
    assert kube_emulator.list("Pod", "default") == []

    suites = ET.parse(report).getroot()
    assert suites.tag == "testsuites"
    assert (suites.get("tests"), suites.get("failures")) == ("2", "1")
    assert [s.find("testcase").get("classname") for s in suites] == ["smoke.lab", "smoke.prod"]  # type: ignore[union-attr]


def test_smoke_all_json_report_is_a_list(
    fleet: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, kubeconfig = fleet
    report = tmp_path / "smoke.json"
    args = ["smoke", "--all", "--pool", POOL, "--project", str(root), "--kubeconfig", str(kubeconfig)]
    assert main([*args, "--poll", "0.01s", "--report", str(report)]) == 1
    capsys.readouterr()
    data = json.loads(report.read_text())
    assert [(d["env"], d["verdict"]) for d in data] == [("lab", "fail"), ("prod", "pass")]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "smoke --all needs --pool NAME: the nameSuffix of the pool to test in every env"),
        (
            ["--pool", "gpu-g5-xlarge-us-west-2b"],
            "--pool gpu-g5-xlarge-us-west-2b: no env of the project has a pool with that nameSuffix; "
            "did you mean gpu-g5-xlarge-us-west-2a?",
        ),
        (["--pool", POOL, "--print-pod"], "--print-pod is for one env: use --env NAME"),
        (["--pool", POOL, "--env", "prod"], "use either --env NAME or --all"),
    ],
)
def test_smoke_all_bad_input_exits_2_before_any_cluster(
    fleet: tuple[Path, Path],
    kube_emulator: KubeEmulator,
    extra: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, kubeconfig = fleet
    code = main(["smoke", "--all", "--project", str(root), "--kubeconfig", str(kubeconfig), *extra])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.strip().splitlines()[-1] == message
    assert kube_emulator.list("Pod", "default") == []


def test_a_pool_disabled_everywhere_is_refused(
    fleet: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, kubeconfig = fleet
    for env in ("prod", "lab"):
        path = root / "values" / f"values-{env}.yaml"
        path.write_text(path.read_text().replace("  - enabled: true\n", "  - enabled: false\n", 1))
    code = main(["smoke", "--all", "--pool", POOL, "--project", str(root), "--kubeconfig", str(kubeconfig)])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"--pool {POOL}: the pool is not enabled in any env"


def test_stopping_the_fleet_cleans_up_every_run(
    fleet: tuple[Path, Path],
    kube_emulator: KubeEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop (as SIGINT sets it) ends each run at its next wait, and each run restores what it changed."""
    import threading

    from cluster_capacity.cli import _smoke_fleet

    root, kubeconfig = fleet
    kube_emulator.add(openshift.cluster_policy("notReady"))  # prod's run waits for the ClusterPolicy

    class StoppedAtFirstWait(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            self.set()
            return super().wait(timeout)

    monkeypatch.setattr(_smoke_fleet, "_new_stop", StoppedAtFirstWait)
    args = ["smoke", "--all", "--pool", POOL, "--project", str(root), "--kubeconfig", str(kubeconfig)]
    code = main([*args, "--poll", "0.01s", "--parallel", "1"])
    out, _ = capsys.readouterr()
    assert code == 1
    table = rows(out)
    assert table["prod"] == (
        "prod east FAILED FAIL interrupted: the fleet run was stopped (SIGINT, SIGTERM or SIGHUP)"
    )
    assert table["lab"] == "lab lab-admin FAILED not run: the fleet run was stopped"
    assert kube_emulator.list("Pod", "default") == []
    ms = kube_emulator.get("MachineSet", f"{INFRA}-{POOL}", openshift.MACHINE_API_NS)
    assert ms["spec"]["replicas"] == 1
