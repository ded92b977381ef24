"""NVIDIA's OpenShift guidance and the ClusterPolicy's operand states, read from a live cluster (emulator),
and offline through validate with a version given or recorded by ``discover --env --write``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cluster_capacity import kube
from cluster_capacity.cli import main
from cluster_capacity.config import load_env
from cluster_capacity.ops.discovery.discover import discover
from cluster_capacity.ops.pools.status import pool_status
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, openshift
from tests.emulator.openshift import SeededCluster

CRUN = (
    "OpenShift 4.18.22: NVIDIA: do not use or upgrade to OpenShift 4.18.22 or 4.18.23: a breaking change to "
    "crun causes a known issue with all versions of the GPU Operator (validator pod error, Red Hat solution "
    "7131271); update to 4.18.24 or later"
)
NOT_READY = "ClusterPolicy is not ready; states not ready: [state-driver state-device-plugin]"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def set_version(emu: KubeEmulator, version: str) -> None:
    emu.add(openshift.cluster_version(version))


def operator_not_ready(emu: KubeEmulator) -> None:
    """The ClusterPolicy as the operator writes it while the driver builds (Ready False, Error True)."""
    ts = "2026-11-02T09:14:07Z"
    emu.update(
        "ClusterPolicy",
        "cluster-policy",
        patch={
            "status": {
                "state": "notReady",
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "Error",
                        "message": "",
                        "lastTransitionTime": ts,
                    },
                    {
                        "type": "Error",
                        "status": "True",
                        "reason": "OperandNotReady",
                        "message": NOT_READY,
                        "lastTransitionTime": ts,
                    },
                ],
            }
        },
    )


def test_discover_warns_against_the_live_version(
    client: kube.Kube, kube_emulator: KubeEmulator, cluster: SeededCluster
) -> None:
    assert discover(client).compatibility == []  # the seed: 4.19.9 with GPU Operator 25.3
    set_version(kube_emulator, "4.18.22")
    assert discover(client).compatibility == [CRUN]
    set_version(kube_emulator, "4.21.1")  # the installed 25.3 (channel stable) is validated up to 4.19
    (advice,) = discover(client).compatibility
    assert advice.startswith("GPU Operator v25.3 (channel stable runs gpu-operator-certified.v25.3.2) is not")
    assert advice.endswith("channels validated on 4.21: v25.10, v26.3, v26.7")


def test_discover_cli_warns_and_write_records_the_version(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    kube_emulator: KubeEmulator,
    cluster: SeededCluster,
    project: Path,
    crds_dir: Path,
) -> None:
    set_version(kube_emulator, "4.18.22")
    args = ("discover", "--kubeconfig", str(kubeconfig), "--project", str(project), "--env", "prod")
    code, _, err = run(capsys, *args, "--write")
    assert code == 0, err
    assert f"warning: {CRUN}" in err.splitlines()
    assert f"recorded openshiftVersion 4.18.22 for env prod in {project}" in err
    assert load_env(project, "prod").env.openshift_version == "4.18.22"
    assert "openshiftVersion: 4.18.22" in project.read_text()
    code, _, err = run(capsys, *args, "--write")  # already recorded: nothing written
    assert code == 0 and "recorded" not in err
    code, _, err = run(capsys, "discover", "--kubeconfig", str(kubeconfig), "--write")
    assert code == 2 and "--write records the cluster's version for an env: give --env NAME" in err

    # offline, later: validate warns from the recorded version, and --openshift-version overrides it
    crds = ("--crds", str(crds_dir))
    code, out, err = run(capsys, "validate", "--project", str(project), "--env", "prod", *crds)
    assert code == 0, err
    assert f"warning: Subscription nvidia-gpu-operator/gpu-operator-certified: {CRUN}" in out.splitlines()
    code, out, _ = run(capsys, "validate", "--project", str(project), "--env", "prod", "--strict", *crds)
    assert code == 1
    code, out, _ = run(
        capsys, "validate", "--project", str(project), "--env", "prod", "--openshift-version", "4.19.9", *crds
    )
    assert code == 0 and "openshift" not in out.lower()


def test_validate_offline_names_nvidias_guidance(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, crds_dir: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    code, out, _ = run(
        capsys,
        "validate",
        "--project",
        str(repo),
        "--env",
        "prod",
        "--set",
        "nvidia.subscription.channel=v24.9",
        "--openshift-version",
        "4.20.3",
        "--crds",
        str(crds_dir),
    )
    assert code == 0
    assert out.splitlines() == [
        "warning: Subscription nvidia-gpu-operator/gpu-operator-certified: spec.channel: GPU Operator v24.9 is "
        "not validated by NVIDIA on OpenShift 4.20 (NVIDIA lists 4.12 to 4.17 for it); channels validated on "
        "4.20: v25.10, v26.3, v26.7"
    ]
    code, _, err = run(
        capsys, "validate", "--project", str(repo), "--env", "prod", "--openshift-version", "4.x"
    )
    assert code == 2 and err.strip() == "--openshift-version 4.x: expected X.Y.Z, for example 4.19.9"


def test_status_breaks_a_not_ready_cluster_policy_down(
    capsys: pytest.CaptureFixture[str],
    client: kube.Kube,
    kubeconfig: Path,
    kube_emulator: KubeEmulator,
    cluster: SeededCluster,
    project: Path,
) -> None:
    operator_not_ready(kube_emulator)
    set_version(kube_emulator, "4.18.23")
    report = pool_status(client, load_env(project, "prod"))
    gpu = next(o for o in report.operators if o.package == "gpu-operator-certified")
    assert (gpu.instance_state, gpu.not_ready_states) == ("notReady", ("state-driver", "state-device-plugin"))
    assert report.openshift_version == "4.18.23"
    assert report.compatibility == [CRUN.replace("4.18.22:", "4.18.23:", 1)]

    code, out, err = run(
        capsys, "status", "--kubeconfig", str(kubeconfig), "--project", str(project), "--env", "prod"
    )
    assert code == 0, err  # the pool is healthy; the operator's state is shown, not judged here
    lines = [re.sub(r" +", " ", line).strip() for line in out.splitlines()]
    assert any("cluster-policy notReady (driver, device-plugin)" in line for line in lines), out
    assert (
        "GPU Operator: state-driver not ready: the driver is built for the node's kernel (10 minutes or more "
        "on a new node)"
    ) in lines
    assert (
        "look: oc logs -n nvidia-gpu-operator -l app=nvidia-driver-daemonset -c nvidia-driver-ctr --tail=20"
    ) in lines
    assert "look: oc get pods -n nvidia-gpu-operator -l app=nvidia-device-plugin-daemonset" in lines
    assert f"warning: {CRUN.replace('4.18.22:', '4.18.23:', 1)}" in err.splitlines()
    code, out, _ = run(
        capsys,
        "status",
        "--kubeconfig",
        str(kubeconfig),
        "--project",
        str(project),
        "--env",
        "prod",
        "-o",
        "json",
    )
    assert code == 0
    assert '"notReadyStates": [\n        "state-driver",\n        "state-device-plugin"\n      ]' in out


def test_a_recorded_version_that_is_not_one_is_refused_with_its_line(
    capsys: pytest.CaptureFixture[str], project: Path, crds_dir: Path
) -> None:
    text = project.read_text()
    assert "  - name: prod\n" in text
    project.write_text(text.replace("  - name: prod\n", "  - name: prod\n    openshiftVersion: four\n", 1))
    line = project.read_text().splitlines().index("    openshiftVersion: four") + 1
    code, out, err = run(
        capsys, "validate", "--project", str(project), "--env", "prod", "--crds", str(crds_dir)
    )
    assert (code, out) == (2, "")
    assert err.splitlines()[0].startswith(f"{project}:{line}: envs[0].openshiftVersion: ")
