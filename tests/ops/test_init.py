"""init: create an env from the cluster's facts, or fix only what is missing or wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cluster_capacity import kube
from cluster_capacity.config import load_env
from cluster_capacity.errors import ConfigError
from cluster_capacity.ops.discovery.discover import ClusterFacts, discover
from cluster_capacity.ops.discovery.init import git_remote_url, plan_init
from tests.emulator import KubeEmulator, openshift


@pytest.fixture
def facts(client: kube.Kube, kube_emulator: KubeEmulator) -> ClusterFacts:
    openshift.seed_cluster(kube_emulator, infra_id="ocp-stage-4r8tw")
    return discover(client)


def test_new_project_and_env(facts: ClusterFacts, tmp_path: Path) -> None:
    plan = plan_init(facts, "stage", tmp_path, repo_url="https://git.example.com/ops/gitops.git")
    assert plan.changes == [
        f"create {tmp_path / 'cluster-capacity.yaml'}",
        f"add env stage to {tmp_path / 'cluster-capacity.yaml'}",
        f"create {tmp_path / 'values' / 'values-stage.yaml'} with infraID ocp-stage-4r8tw",
    ]
    for doc in plan.changed:
        doc.save()
    cfg = load_env(tmp_path / "cluster-capacity.yaml", "stage")
    assert cfg.values.infra_id == "ocp-stage-4r8tw" and cfg.values.enabled and cfg.values.machine_sets == []
    assert cfg.project.project.repo_url == "https://git.example.com/ops/gitops.git"
    text = (tmp_path / "values" / "values-stage.yaml").read_text()
    assert text.startswith(
        "# stage: worker capacity for cluster ocp-stage-4r8tw (us-west-2, OpenShift 4.19.9)"
    )
    again = plan_init(facts, "stage", tmp_path)
    assert again.changed == [] and again.changes == []


def test_repo_url_from_git_remote(facts: ClusterFacts, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:acme/gitops.git\n'
        "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
    )
    assert git_remote_url(tmp_path / "sub") == "git@github.com:acme/gitops.git"
    plan = plan_init(facts, "stage", tmp_path)
    assert yaml.safe_load(plan.documents[0].text())["repoURL"] == "git@github.com:acme/gitops.git"


def test_no_repo_url(facts: ClusterFacts, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pass --repo-url URL"):
        plan_init(facts, "stage", tmp_path / "nowhere")


def test_existing_env_only_fixes_what_is_wrong(facts: ClusterFacts, project: Path) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    before_project = project.read_text()
    before = values.read_text()
    plan = plan_init(facts, "prod", project)
    assert [d.path for d in plan.changed] == [values]
    assert plan.changes == [f"{values}: infraID prod-nkqd9 -> ocp-stage-4r8tw"]
    assert any("names cluster prod-nkqd9, not ocp-stage-4r8tw" in n for n in plan.notes)
    diff = plan.changed[0].diff()
    assert "-infraID: prod-nkqd9\n+infraID: ocp-stage-4r8tw\n" in diff
    assert diff.count("\n-") == 1 and diff.count("\n+") == 2  # the header line and one change
    plan.changed[0].save()
    assert values.read_text() == before.replace("infraID: prod-nkqd9", "infraID: ocp-stage-4r8tw")
    assert project.read_text() == before_project


def test_new_env_in_an_existing_project(facts: ClusterFacts, project: Path) -> None:
    plan = plan_init(facts, "stage", project)
    project_doc = plan.documents[0]
    assert project_doc.changed
    assert project_doc.text().startswith(project.read_text().rstrip("\n"))  # appended, nothing else changed
    assert "  - name: stage\n    capacityEnabled: true\n" in project_doc.text()


def test_bad_env_name(facts: ClusterFacts, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--env Prod"):
        plan_init(facts, "Prod", tmp_path)


@pytest.mark.parametrize("values_dir", ["../outside", "/etc"])
def test_init_never_writes_outside_the_repository(
    facts: ClusterFacts, tmp_path: Path, values_dir: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    project = repo / "cluster-capacity.yaml"
    project.write_text(f"repoURL: https://git.example.com/x.git\nvaluesDir: {values_dir}\nenvs: []\n")
    with pytest.raises(ConfigError) as info:
        plan_init(facts, "stage", repo)
    assert str(info.value).startswith(f"{project}: valuesDir: ")
    assert not (tmp_path / "outside").exists()
    assert sorted(p.name for p in repo.iterdir()) == ["cluster-capacity.yaml"]
