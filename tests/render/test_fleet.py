"""Fleets: a destination per env, and one ApplicationSet that generates exactly the envs' Applications."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.cli import main
from cluster_capacity.config import load_envs
from cluster_capacity.errors import ConfigError
from cluster_capacity.render import render_application, render_application_set
from cluster_capacity.validate.schemas import SchemaRegistry
from tests.conftest import EXAMPLES

PROJECT = """\
repoURL: https://github.com/example-org/fleet.git
targetRevision: main
applicationSet: true
envs:
  - name: prod
    cluster: {name: east}
  - name: edge
    cluster: {server: "https://api.edge.example.com:6443"}
    kubeContext: admin-edge
    capacityIgnoreMachineSetReplicas: false
  - name: lab
  - name: dev
    capacityEnabled: false
"""


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "values", root / "values")
    for env in ("edge", "lab"):
        shutil.copy(root / "values" / "values-prod.yaml", root / "values" / f"values-{env}.yaml")
    (root / "cluster-capacity.yaml").write_text(PROJECT)
    return root


def expand(appset: dict[str, Any]) -> list[dict[str, Any]]:
    """The Applications Argo CD generates from our ApplicationSet (its list generator, template, patch)."""
    spec = appset["spec"]
    out = []
    for element in spec["generators"][0]["list"]["elements"]:

        def fill(node: Any, element: dict[str, Any] = element) -> Any:
            if isinstance(node, str):
                return re.sub(r"\{\{\.(\w+)\}\}", lambda m: str(element[m.group(1)]), node)
            if isinstance(node, dict):
                return {k: fill(v) for k, v in node.items()}
            if isinstance(node, list):
                return [fill(v) for v in node]
            return node

        app = fill(copy.deepcopy(spec["template"]))
        patch = spec["templatePatch"]
        assert patch.startswith("{{- if .ignoreMachineSetReplicas }}\n") and patch.endswith("{{- end }}\n")
        if element["ignoreMachineSetReplicas"]:
            body = yaml.safe_load(patch.split("\n", 1)[1].rsplit("{{- end }}", 1)[0])
            app["spec"]["ignoreDifferences"] = body["spec"]["ignoreDifferences"]
            app["spec"]["syncPolicy"].update(body["spec"]["syncPolicy"])
        # an empty name or server is unset for Argo CD
        app["spec"]["destination"] = {k: v for k, v in app["spec"]["destination"].items() if v}
        out.append({"apiVersion": appset["apiVersion"], "kind": "Application", **app})
    return out


def test_each_env_deploys_to_its_cluster(fleet: Path) -> None:
    apps = {cfg.env.name: render_application(cfg) for cfg in load_envs(fleet)}
    assert apps["dev"] is None
    assert {env: app["spec"]["destination"] for env, app in apps.items() if app} == {
        "prod": {"name": "east"},
        "edge": {"server": "https://api.edge.example.com:6443"},
        "lab": {"server": "https://kubernetes.default.svc"},
    }
    contexts = {cfg.env.name: cfg.env.context for cfg in load_envs(fleet)}
    assert contexts == {"prod": "east", "edge": "admin-edge", "lab": None, "dev": None}


def test_the_application_set_generates_exactly_the_envs_applications(fleet: Path, crds_dir: Path) -> None:
    cfgs = load_envs(fleet)
    appset = render_application_set(cfgs)
    assert appset is not None
    assert appset["spec"]["syncPolicy"] == {
        "applicationsSync": "create-update",
        "preserveResourcesOnDeletion": True,
    }
    wanted = [app for app in (render_application(cfg) for cfg in cfgs) if app is not None]
    assert expand(appset) == wanted
    ignores = [("ignoreDifferences" in app["spec"]) for app in wanted]
    assert ignores == [True, False, True]  # prod and lab autoscale; edge turned it off
    registry = SchemaRegistry.from_directory(crds_dir)
    assert registry.validate(appset) == []


def test_a_cluster_names_one_destination(fleet: Path) -> None:
    (fleet / "cluster-capacity.yaml").write_text(
        PROJECT.replace("cluster: {name: east}", "cluster: {name: east, server: https://x}")
    )
    with pytest.raises(ConfigError) as exc:
        load_envs(fleet)
    assert [str(p) for p in exc.value.problems] == [
        f"{fleet / 'cluster-capacity.yaml'}:6: envs[0].cluster: give exactly one of name (an Argo CD cluster) or server"
    ]


def test_render_all_writes_one_application_set_and_validate_checks_it(
    fleet: Path, capsys: pytest.CaptureFixture[str], crds_dir: Path
) -> None:
    assert main(["render", "--project", str(fleet), "--all"]) == 0
    argocd = sorted(p.name for p in (fleet / "rendered" / "argocd").iterdir())
    assert argocd == ["applicationset-cluster-capacity.yaml", "kustomization.yaml"]
    capsys.readouterr()
    validate = ["validate", "--project", str(fleet), "--all", "--crds", str(crds_dir)]
    # the same sync-policy rules as for Applications: edge autoscales but does not ignore replicas
    assert main(validate) == 1
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        "[edge] Application openshift-gitops/cluster-capacity-edge: spec.ignoreDifferences: pools autoscale "
        "but MachineSet replicas are not ignored: selfHeal will undo every scale-up (set "
        "capacityIgnoreMachineSetReplicas: true)"
    ]
    project = fleet / "cluster-capacity.yaml"
    project.write_text(project.read_text().replace("    capacityIgnoreMachineSetReplicas: false\n", ""))
    assert main(["render", "--project", str(fleet), "--all"]) == 0
    capsys.readouterr()
    assert main(validate) == 0
    _, err = capsys.readouterr()
    objects = sum(1 for p in (fleet / "rendered").rglob("*.yaml") if p.name != "kustomization.yaml")
    # every env's objects and Application (what the set generates), and the ApplicationSet itself
    assert err.splitlines()[-1] == f"{objects + 3} object(s) valid"
