"""The commands that edit a user's values file keep every byte they do not change (issue 11, round trips).

``add-pool`` runs through ``main`` against the emulated cluster on values files written the ways teams
write them: CRLF with a BOM, four-space indentation, ``%YAML``/``---``/``...`` with flow style, and a
symlink into a shared folder. The edit adds lines; every line that was there stays, byte for byte, in
its order, and the file still renders with the new pool.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cluster_capacity.cli import main
from cluster_capacity.config.project import load_env
from tests.conftest import EXAMPLES
from tests.emulator import KubeEmulator, openshift
from tests.emulator.fixtures import *  # noqa: F403


@pytest.fixture
def project(tmp_path: Path, kube_emulator: KubeEmulator) -> Path:
    openshift.seed_cluster(kube_emulator, infra_id="prod-nkqd9")
    dest = tmp_path / "repo"
    shutil.copytree(EXAMPLES, dest)
    return dest / "cluster-capacity.yaml"


def crlf_bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()


def four_spaces(text: str) -> bytes:
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        if stripped.startswith("- "):  # the item's keys sit four columns past its dash, as below
            stripped = "-   " + stripped[2:]
        out.append(" " * (2 * (len(line) - len(stripped.replace("-   ", "- ", 1)))) + stripped)
    return "".join(out).encode()


def directives_and_flow(text: str) -> bytes:
    text = text.replace(
        '    nodeLabels:\n      node-role.kubernetes.io/worker: ""\n      node-role.kubernetes.io/gpu: ""\n',
        '    nodeLabels: {node-role.kubernetes.io/worker: "", node-role.kubernetes.io/gpu: ""}\n',
        1,
    )
    assert "nodeLabels: {" in text
    return ("%YAML 1.2\n---\n" + text + "...\n").encode()


STYLES: dict[str, Callable[[str], bytes]] = {
    "crlf-bom": crlf_bom,
    "four-spaces": four_spaces,
    "directives-flow": directives_and_flow,
}


def add_pool(
    capsys: pytest.CaptureFixture[str],
    kubeconfig: Path,
    project: Path,
    *flags: str,
    expect: int = 0,
) -> None:
    flags = flags or ("--instance-type", "g6.xlarge", "--zone", "us-west-2b", "--autoscale", "0:2")
    cluster = ("--env", "prod", "--kubeconfig", str(kubeconfig), "--project", str(project))
    code = main(["add-pool", *flags, *cluster])
    _out, err = capsys.readouterr()
    assert code == expect, err
    assert "Traceback" not in err


def only_added(before: bytes, after: bytes) -> list[bytes]:
    """The lines ``after`` adds to ``before``; fails if any line of ``before`` changed or went."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added: list[bytes] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), (tag, old[i1:i2], new[j1:j2])
        if tag == "insert":
            added += new[j1:j2]
    assert added, "the edit added nothing"
    return added


@pytest.mark.parametrize("style", sorted(STYLES))
def test_add_pool_keeps_every_byte_it_does_not_change(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path, style: str
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    before = STYLES[style](values.read_text(encoding="utf-8"))
    values.write_bytes(before)
    add_pool(capsys, kubeconfig, project)
    after = values.read_bytes()
    added = only_added(before, after)
    if style == "crlf-bom":
        assert after.startswith(b"\xef\xbb\xbf")
        assert after.count(b"\n") == after.count(b"\r\n")
    if style == "four-spaces":
        keys = [line for line in added if line.strip() and not line.lstrip().startswith(b"- ")]
        assert all((len(k) - len(k.lstrip(b" "))) % 4 == 0 for k in keys), keys
    if style == "directives-flow":
        assert after.startswith(b"%YAML 1.2\n---\n") and after.endswith(b"...\n")
    pools = [p.name_suffix for p in load_env(project, "prod").values.machine_sets]
    assert pools == ["gpu-g5-xlarge-us-west-2a", "gpu-g6-xlarge-us-west-2b"]


def test_add_pool_edits_a_symlinked_values_file_where_it_points(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    shared = project.parent / "shared" / "prod.yaml"
    shared.parent.mkdir()
    shutil.move(values, shared)
    values.symlink_to(Path("..") / "shared" / "prod.yaml")
    before = shared.read_bytes()
    add_pool(capsys, kubeconfig, project)
    assert values.is_symlink() and values.resolve() == shared.resolve()
    only_added(before, shared.read_bytes())


def test_a_refused_add_pool_leaves_the_file_as_it_was(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path
) -> None:
    values = project.parent / "values" / "values-prod.yaml"
    before = crlf_bom(values.read_text(encoding="utf-8"))
    values.write_bytes(before)
    # the example's pool already takes the name this one would get
    add_pool(capsys, kubeconfig, project, "--instance-type", "g5.xlarge", "--zone", "us-west-2a", expect=2)
    assert values.read_bytes() == before


def test_discover_write_keeps_the_project_files_bytes(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, project: Path
) -> None:
    before = crlf_bom(project.read_text(encoding="utf-8"))
    project.write_bytes(before)
    args = ["discover", "--kubeconfig", str(kubeconfig), "--project", str(project), "--env", "prod"]
    code = main([*args, "--write"])
    _out, err = capsys.readouterr()
    assert code == 0, err
    after = project.read_bytes()
    (added,) = only_added(before, after)
    assert added.strip().startswith(b"openshiftVersion: ") and added.endswith(b"\r\n")
    assert after.startswith(b"\xef\xbb\xbf")
    assert load_env(project, "prod").env.openshift_version is not None
