"""argocd-health: the Lua checks run as Argo CD runs them, against every state; the fragment fits its CRD."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster_capacity.cli import main
from cluster_capacity.render.argocd_health import (
    CLUSTERPOLICY_DEFAULTS,
    HEALTH_CHECKS,
    health_script,
    render_argocd_health,
)
from cluster_capacity.render.nvidia import default_cluster_policy_spec
from tests.conftest import EXAMPLES
from tests.render.argocd_lua import run_health

HEALTH = Path(__file__).parent / "health"
# a test dependency (pyproject's [test] extra); a venv made before it came along skips with this reason
pytest.importorskip("lupa", reason="lupa (embedded Lua) is not installed: pip install -e '.[test]'")


def cases() -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for _, kind, _ in HEALTH_CHECKS:
        spec = yaml.safe_load((HEALTH / kind / "health_test.yaml").read_text())
        out += [(kind, t["inputPath"], t["healthStatus"]) for t in spec["tests"]]
    return out


@pytest.mark.parametrize(("kind", "input_path", "expected"), cases(), ids=lambda v: str(v))
def test_health_check_against_every_state(kind: str, input_path: str, expected: dict[str, str]) -> None:
    script = {k: s for _, k, s in HEALTH_CHECKS}[kind]
    obj = yaml.safe_load((HEALTH / kind / input_path).read_text())
    assert run_health(health_script(script), obj) == expected


def test_every_kind_has_healthy_progressing_and_degraded_fixtures() -> None:
    seen: dict[str, set[str]] = {}
    for kind, _, expected in cases():
        seen.setdefault(kind, set()).add(expected["status"])
    assert seen == {
        "ClusterPolicy": {"Healthy", "Progressing", "Degraded"},
        "NodeFeatureDiscovery": {"Healthy", "Progressing", "Degraded"},
        "MachineSet": {"Healthy", "Progressing", "Degraded"},
        # neither reports errors in its status: there is no Degraded state to read
        "MachineAutoscaler": {"Healthy", "Progressing"},
        "DeviceConfig": {"Healthy", "Progressing"},
    }


def test_fixtures_are_valid_objects_of_their_crds(crds_dir: Path) -> None:
    from cluster_capacity.validate.schemas import SchemaRegistry

    registry = SchemaRegistry.from_directory(crds_dir)
    for kind, input_path, _ in cases():
        obj = yaml.safe_load((HEALTH / kind / input_path).read_text())
        findings = [f for f in registry.validate(obj) if f.severity == "error"]
        assert findings == [], f"{kind}/{input_path}: " + "; ".join(map(str, findings))


def test_the_harness_is_as_strict_as_argo_cd() -> None:
    """No string library in custom checks; an unknown status reads as Unknown; nil reads as no health."""
    from lupa.lua54 import LuaError

    with pytest.raises(LuaError, match=r"attempt to index a string value"):
        run_health('return {status = ("x"):upper()}', {})
    with pytest.raises(LuaError, match=r"attempt to index a nil value \(global 'string'\)"):
        run_health('return {status = string.format("%s", "Healthy")}', {})
    assert run_health('return {status = "Fine"}', {}) == {
        "status": "Unknown",
        "message": "Lua returned an invalid health status",
    }
    assert run_health("return nil", {}) == {}
    for _, _, script in HEALTH_CHECKS:
        assert "string." not in health_script(script), script


def test_a_pool_at_zero_is_never_held_progressing() -> None:
    """Scaled to 0 with no status at all, or an operator that found no GPU node: Healthy, not waiting."""
    ms = {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {},
        "spec": {"replicas": 0},
    }
    assert run_health(health_script("machineset.lua"), ms)["status"] == "Healthy"
    ms["status"] = {"replicas": 0}
    assert run_health(health_script("machineset.lua"), ms)["status"] == "Healthy"
    ms["spec"] = {}  # the CRD's default for a missing replicas is 1: that one waits
    del ms["status"]
    assert run_health(health_script("machineset.lua"), ms)["status"] == "Progressing"


def crd_defaults(crds_dir: Path) -> list[str]:
    crd = yaml.safe_load((crds_dir / "nvidia.com_clusterpolicies.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    found: list[str] = []

    def walk(node: dict[str, Any], path: str) -> None:
        if "default" in node:
            found.append(path)
        for key, child in (node.get("properties") or {}).items():
            walk(child, f"{path}/{key}")
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}/[]")

    walk(spec, "/spec")
    return sorted(found)


def test_ignored_clusterpolicy_fields_are_exactly_what_its_crd_defaults(crds_dir: Path) -> None:
    assert sorted(CLUSTERPOLICY_DEFAULTS) == crd_defaults(crds_dir)


def test_fragment_ignores_only_defaults_git_does_not_set(schema_check: Any) -> None:
    fragment = render_argocd_health("openshift-gitops", "openshift-gitops", [default_cluster_policy_spec()])
    schema_check([fragment])
    ignore = fragment["spec"]["resourceIgnoreDifferences"]["resourceIdentifiers"]
    assert [(i["group"], i["kind"]) for i in ignore] == [("nvidia.com", "ClusterPolicy")]
    pointers = ignore[0]["customization"]["jsonPointers"]
    # the default spec sets these defaulted fields itself: a difference there is drift, not defaulting
    for own in (
        "/spec/driver/kernelModuleType",
        "/spec/devicePlugin/mps/root",
        "/spec/daemonsets/updateStrategy",
    ):
        assert own not in pointers
    assert "/spec/operator/runtimeClass" in pointers and "/spec/toolkit/installDir" in pointers
    assert ignore[0]["customization"]["jqPathExpressions"] == [
        ".spec.dcgmExporter.serviceMonitor.relabelings[]?.action",
        ".spec.operator.metrics.serviceMonitor.relabelings[]?.action",
    ]
    checks = fragment["spec"]["resourceHealthChecks"]
    assert [(c["group"], c["kind"]) for c in checks] == [
        ("nvidia.com", "ClusterPolicy"),
        ("nfd.openshift.io", "NodeFeatureDiscovery"),
        ("machine.openshift.io", "MachineSet"),
        ("autoscaling.openshift.io", "MachineAutoscaler"),
        ("k8s.aws", "DeviceConfig"),
    ]


def test_cli_prints_the_fragment_for_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    project = repo / "cluster-capacity.yaml"
    text = project.read_text()
    project.write_text(text + "argocdInstance: gitops\n" if "argocdInstance" not in text else text)
    assert main(["argocd-health", "--project", str(project), "-o", "json"]) == 0
    out, _ = capsys.readouterr()
    fragment = json.loads(out)
    assert fragment["apiVersion"] == "argoproj.io/v1beta1" and fragment["kind"] == "ArgoCD"
    assert fragment["metadata"] == {"name": "gitops", "namespace": "openshift-gitops"}
    checks = {c["kind"]: c["check"] for c in fragment["spec"]["resourceHealthChecks"]}
    assert checks["MachineSet"] == health_script("machineset.lua")
    assert main(["argocd-health", "--project", str(project), "--env", "prod"]) == 0
    out, _ = capsys.readouterr()
    assert yaml.safe_load(out) == fragment
    assert main(["argocd-health", "--project", str(project), "-o", "table"]) == 2
