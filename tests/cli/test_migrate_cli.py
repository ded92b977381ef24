"""docs/migrating-from-helm.md, walked step by step on a repo laid out like the chart's.

``tests/fixtures/chart_repo`` is written for these tests in the shape of bitiq-io/gitops (the chart's values
files under ``charts/cluster-capacity``, the Argo CD apps values under ``charts/argocd-apps``). The cluster is
the emulator holding what the chart's Application made, tracked by Argo CD's label.
"""

from __future__ import annotations

import copy
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.cli import main
from cluster_capacity.config.project import load_layered
from cluster_capacity.ops.migrate.chart import chart_objects
from tests.conftest import CRDS, REPO
from tests.emulator import KubeEmulator
from tests.emulator.fixtures import *  # noqa: F403

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "chart_repo"
DOC = REPO / "docs" / "migrating-from-helm.md"
APP = "cluster-capacity-prod"
INSTANCE = "app.kubernetes.io/instance"


def doc_commands() -> list[str]:
    """Every ``cluster-capacity`` and ``oc`` line of the doc's ``sh`` blocks, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def run(capsys: pytest.CaptureFixture[str], line: str, *extra: str) -> tuple[int, str, str]:
    code = main([*shlex.split(line)[1:], *extra])
    out, err = capsys.readouterr()
    return code, out, err


def chart_made(emu: KubeEmulator, repo: Path) -> None:
    """What the chart's Application left in the cluster: its objects, tracked by Argo CD's label."""
    chart = repo / "charts" / "cluster-capacity"
    data = load_layered([chart / "values-common.yaml", chart / "values-prod.yaml"], ["env=prod"]).data
    for obj in chart_objects(data):
        live = copy.deepcopy(obj)
        live["metadata"].setdefault("labels", {})[INSTANCE] = APP
        emu.add(live)
    emu.add(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "name": APP,
                "namespace": "openshift-gitops",
                "labels": {INSTANCE: "bitiq-umbrella-prod"},
            },
            "spec": {
                "source": {
                    "repoURL": "https://git.example.com/platform/cluster-gitops.git",
                    "path": "charts/cluster-capacity",
                }
            },
        }
    )
    emu.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": "openshift-gitops"},
            "data": {"application.resourceTrackingMethod": "label"},
        }
    )


def argo_syncs(emu: KubeEmulator, repo: Path) -> None:
    """Play step 3 and 4 and Argo CD: the old Application pruned, the new one applied and synced."""
    emu.delete("Application", APP, "openshift-gitops")
    for path in sorted((repo / "rendered").glob("*/*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        obj: dict[str, Any] = yaml.safe_load(path.read_text())
        if obj["kind"] != "Application":
            obj["metadata"]["labels"][INSTANCE] = APP  # label tracking: Argo CD marks what it applies
        emu.add(obj)


def test_the_doc_steps_work(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kube_emulator: KubeEmulator,
    kubeconfig: Path,
) -> None:
    commands = doc_commands()
    assert commands == [
        "cluster-capacity migrate . --dry-run",
        "cluster-capacity migrate .",
        "cluster-capacity render --project . --all",
        "cluster-capacity validate --project . --all",
        "cluster-capacity diff --project . --env prod",
        "oc apply -k rendered/argocd",
        "cluster-capacity status --project . --env prod",
        "cluster-capacity diff --project . --env prod",
    ]
    repo = tmp_path / "gitops"
    shutil.copytree(FIXTURE, repo)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CLUSTER_CAPACITY_CRDS", str(CRDS))
    chart_made(kube_emulator, repo)
    cluster = ("--kubeconfig", str(kubeconfig))

    # 1. the project from the chart's files
    code, out, err = run(capsys, commands[0])
    assert code == 0 and err == "dry run: nothing written\n" and not (repo / "cluster-capacity.yaml").exists()
    assert out.splitlines()[:4] == [f"would write {p}" for p in (
        "values/values-common.yaml", "values/values-local.yaml", "values/values-prod.yaml", "cluster-capacity.yaml"
    )]  # fmt: skip
    code, out, _ = run(capsys, commands[1])
    assert code == 0
    chart = repo / "charts" / "cluster-capacity"
    for name in ("values-common.yaml", "values-prod.yaml"):
        assert (repo / "values" / name).read_bytes() == (chart / name).read_bytes()  # unchanged
    assert (
        "  1. charts/argocd-apps/values.yaml:20: envs[prod].capacityEnabled: set it to false, commit, and let "
        "the umbrella sync (it prunes the old Application cluster-capacity-prod)." in out
    )
    assert (
        "  replaced: ClusterRole openshift-gitops-argocd-nvidia-clusterpolicy -> ClusterRole "
        "cluster-capacity-argocd-application-controller (after the switch: oc delete "
        "clusterrole.rbac.authorization.k8s.io openshift-gitops-argocd-nvidia-clusterpolicy)" in out
    )
    assert "  updated in place: MachineSet openshift-machine-api/ocp-9wd2m-gpu-g6e-xlarge-us-east-2b" in out
    assert run(capsys, commands[1])[0] == 2  # never overwrites

    # 2. render, validate, compare with what the chart made
    assert run(capsys, commands[2])[0] == 0
    assert (repo / "rendered" / "prod" / "kustomization.yaml").is_file()
    assert (repo / "rendered" / "argocd" / "application-cluster-capacity-prod.yaml").is_file()
    code, _, err = run(capsys, commands[3])
    assert code == 0, err
    code, out, _ = run(capsys, commands[4], *cluster)
    assert code == 3
    assert (
        "oc delete clusterrole.rbac.authorization.k8s.io openshift-gitops-argocd-nvidia-clusterpolicy\n"
        in out
    )
    assert (
        "oc delete clusterrolebinding.rbac.authorization.k8s.io openshift-gitops-argocd-nvidia-clusterpolicy\n"
        in out
    )
    assert "--- live/MachineSet/openshift-machine-api/ocp-9wd2m-gpu-g6e-xlarge-us-east-2b" in out
    assert run(capsys, "cluster-capacity render --project . --all --check")[0] == 0

    # 3 and 4: the switch, then the doc's checks
    argo_syncs(kube_emulator, repo)
    code, out, _ = run(capsys, commands[6], *cluster)
    assert "Argo CD Application openshift-gitops/cluster-capacity-prod" in out
    code, out, err = run(capsys, commands[7], *cluster)
    assert code == 3
    assert out.splitlines() == [
        "# Live in the cluster, tracked by cluster-capacity-prod, but no longer rendered by Git.",
        "# Auto-prune is off, so they keep running (and billing). To remove them:",
        "oc delete clusterrole.rbac.authorization.k8s.io openshift-gitops-argocd-nvidia-clusterpolicy",
        "oc delete clusterrolebinding.rbac.authorization.k8s.io openshift-gitops-argocd-nvidia-clusterpolicy",
    ]
    assert err.startswith("drift in env prod: 0 changed, 0 missing, 2 no longer in Git")


def test_not_a_chart_checkout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, f"cluster-capacity migrate {tmp_path}")
    assert (code, err) == (
        2,
        f"{tmp_path}/charts/cluster-capacity: not found: is this a checkout of the chart's repo?\n",
    )
