"""Writing rendered folders: whole or not at all, under a lock, never touching a user's files.

The data-safety tests fault a real write (SIGKILL of a subprocess mid-write, a full tmpfs, an immutable
file, two concurrent runs) and then assert the bytes on disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cluster_capacity import output
from cluster_capacity.cli import main
from cluster_capacity.errors import CapacityError
from cluster_capacity.output import folder as folder_mod
from tests.conftest import EXAMPLES, REPO


def objects(tag: str, n: int = 5) -> list[dict[str, object]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}", "namespace": "ns"},
            "data": {"v": tag},
        }
        for i in range(n)
    ]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes), and the folders beside it that are ours."""
    found = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return found


def beside(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    target = tmp_path / "out" / "prod"
    output.write_folder(target, output.files_for(objects("old")))
    return target


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- a user's files -------------------------------------------------------------------------------------


def test_user_files_are_kept_as_the_same_files(rendered: Path) -> None:
    (rendered / "notes.md").write_text("mine")
    (rendered / "patches").mkdir()
    (rendered / "patches" / "p.yaml").write_text("x: 1\n")
    user_inode = (rendered / "notes.md").stat().st_ino
    kept_inode = (rendered / "configmap-cm-0.yaml").stat().st_ino
    new = objects("old")
    new[1]["data"] = {"v": "new"}
    written = output.write_folders([(rendered, output.files_for(new))])
    assert written[0].changed
    assert (rendered / "notes.md").stat().st_ino == user_inode  # not rewritten, not copied
    assert (rendered / "configmap-cm-0.yaml").stat().st_ino == kept_inode  # unchanged: not rewritten
    assert (rendered / "patches" / "p.yaml").read_text() == "x: 1\n"
    assert "v: new" in (rendered / "configmap-cm-1.yaml").read_text()
    assert beside(rendered) == []


def test_a_folder_already_up_to_date_is_not_touched(rendered: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in rendered.iterdir()}
    inode = rendered.stat().st_ino
    assert output.write_folders([(rendered, output.files_for(objects("old")))])[0].changed is False
    assert rendered.stat().st_ino == inode
    assert {p.name: p.stat().st_mtime_ns for p in rendered.iterdir()} == before


def test_a_users_kustomization_is_never_replaced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "prod"
    target.mkdir()
    (target / "kustomization.yaml").write_text("resources: [mine.yaml]\n")
    code, out, err = run(
        capsys,
        "render",
        "-f",
        str(EXAMPLES / "values" / "values-common.yaml"),
        "-f",
        str(EXAMPLES / "values" / "values-prod.yaml"),
        "-o",
        str(target),
    )
    assert (code, out) == (2, "")
    assert err == (
        f"{target / 'kustomization.yaml'}: was not written by cluster-capacity; refusing to replace it "
        "(move it away, or render into another folder)\n"
    )
    assert snapshot(target) == {"kustomization.yaml": b"resources: [mine.yaml]\n"}


def test_a_user_file_listed_in_our_kustomization_is_not_deleted_as_stale(rendered: Path) -> None:
    (rendered / "extra.yaml").write_text("kind: ConfigMap\n")
    kustomization = rendered / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "- extra.yaml\n")
    output.write_folder(rendered, output.files_for(objects("old", 3)))
    assert (rendered / "extra.yaml").read_text() == "kind: ConfigMap\n"
    assert not (rendered / "configmap-cm-4.yaml").exists()  # ours, no longer rendered: removed


def test_colliding_file_names_keep_every_object() -> None:
    objs = [
        {"kind": "MachineSet", "metadata": {"name": "a_b", "namespace": "x"}},
        {"kind": "MachineSet", "metadata": {"name": "a-b", "namespace": "x"}},
        {"kind": "MachineSet", "metadata": {"name": "a-b", "namespace": "y"}},
        {"kind": "MachineSet", "metadata": {"name": "y-a-b", "namespace": "z"}},
        {"kind": "Kustomization", "metadata": {"name": ""}},
        {"kind": "ConfigMap", "metadata": {"name": "n" * 300}},
    ]
    files = output.files_for(objs)
    resources = yaml.safe_load(files["kustomization.yaml"])["resources"]
    assert len(resources) == len(objs) == len(set(resources))
    assert all(len(name.encode()) <= 255 for name in files)
    bodies = [yaml.safe_load(files[name]) for name in resources]
    assert bodies == objs


def test_modes_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        output.write_folder(tmp_path / "prod", output.files_for(objects("x")))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "prod").stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "prod").iterdir()} == {0o640}


def test_output_at_a_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    code, out, err = run(capsys, "render", "--project", str(EXAMPLES), "--env", "prod", "-o", str(target))
    assert (code, out, err) == (2, "", f"-o {target}: is a file; give a folder to render into\n")
    assert target.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_yaml_anchors_never_leak() -> None:
    shared = {"a": 1}
    assert "&" not in output.dump_general({"x": shared, "y": shared})
    assert output.dump({"x": shared, "y": shared}) == "x:\n  a: 1\ny:\n  a: 1\n"


# --- faults during a write ---------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from cluster_capacity import output
    from cluster_capacity.output import folder
    target, tag, where = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    objs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}", "namespace": "ns"},
             "data": {"v": tag}} for i in range(5)]
    real_write, real_remove, count = folder._write_file, folder._remove_tree, [0]
    def write(path, content):
        real_write(path, content)
        count[0] += 1
        if where == "write" and count[0] == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        if where == "slow":
            import time; time.sleep(0.02)
    def remove(path):
        if where == "swap":
            os.kill(os.getpid(), signal.SIGKILL)
        real_remove(path)
    folder._write_file, folder._remove_tree = write, remove
    output.write_folder(target, output.files_for(objs))
    """
)


def child(target: Path, tag: str, where: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(target), tag, where], env=env)


@pytest.mark.parametrize("where", ["write", "swap"])
def test_sigkill_mid_write_leaves_a_whole_folder(rendered: Path, where: str) -> None:
    before = snapshot(rendered)
    proc = child(rendered, "new", where)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    after = snapshot(rendered)
    if where == "write":  # killed while staging: the old folder, byte for byte
        assert after == before
    else:  # killed after the swap: the new folder, whole
        assert set(after) == set(before) and all(
            b"v: new" in v for k, v in after.items() if k != "kustomization.yaml"
        )
    # what it left beside the folder is reported by --check, then cleaned up by the next write
    left = beside(rendered)
    assert len(left) == 1 and left[0].startswith(".prod.cc-stage-")
    differences = output.compare(rendered, output.files_for(objects("new" if where == "swap" else "old")))
    assert [d.what for d in differences] == ["left over by an interrupted render"]
    output.write_folder(rendered, output.files_for(objects("newer")))
    assert beside(rendered) == [] and b"v: newer" in (rendered / "configmap-cm-0.yaml").read_bytes()


@contextlib.contextmanager
def small_tmpfs(path: Path) -> Iterator[bool]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)], capture_output=True
    )
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_leaves_the_folder_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with small_tmpfs(tmp_path / "disk") as real:
        target = tmp_path / "disk" / "prod"
        output.write_folder(target, output.files_for(objects("old")))
        before = snapshot(target)
        big = objects("x" * 300_000)  # 5 x 300 kB: more than the 256 kB disk holds
        if not real:  # no mount here (not root): the disk fills up after the first file
            writes = [0]
            real_write = os.write

            def full(fd: int, data: bytes) -> int:
                writes[0] += 1
                if writes[0] > 1:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real_write(fd, data)

            monkeypatch.setattr(folder_mod.os, "write", full)
        with pytest.raises(CapacityError) as info:
            output.write_folder(target, output.files_for(big))
        assert "No space left on device" in str(info.value) and str(info.value).endswith(
            "the folder was not changed"
        )
        assert snapshot(target) == before
        assert beside(target) == []


def test_an_immutable_file_leaves_the_folder_as_it_was(
    rendered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = rendered / "configmap-cm-2.yaml"
    immutable = (
        subprocess.run(["chattr", "+i", str(victim)], capture_output=True).returncode == 0
        if shutil.which("chattr")
        else False
    )
    if not immutable:  # no chattr here: linking the file is refused as it would be
        real_link = os.link

        def link(src: str, dst: str, **kw: object) -> None:
            if os.path.basename(src) == victim.name:
                raise PermissionError(errno.EPERM, "Operation not permitted", src)
            real_link(src, dst, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(folder_mod.os, "link", link)
    before = snapshot(rendered)
    try:
        with pytest.raises(CapacityError) as info:
            output.write_folder(rendered, output.files_for(objects("new")))
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(victim)], check=True)
    assert str(info.value) == (
        f"{rendered}: cannot write: cannot replace it (immutable, append-only or not yours) ({victim}); "
        "the folder was not changed"
    )
    assert snapshot(rendered) == before
    assert beside(rendered) == []


def test_concurrent_runs_do_not_interleave(rendered: Path) -> None:
    procs = [child(rendered, tag, "slow") for tag in ("aaa", "bbb", "ccc")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    values = {yaml.safe_load(p.read_text())["data"]["v"] for p in rendered.glob("configmap-*.yaml")}
    assert len(values) == 1 and values <= {"aaa", "bbb", "ccc"}
    assert beside(rendered) == []


def test_check_never_calls_a_folder_with_leftovers_up_to_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    assert run(capsys, "render", "--project", str(repo), "--all")[0] == 0
    leftover = repo / "rendered" / ".prod.cc-stage-0badf00d"
    leftover.mkdir()
    (repo / "rendered" / "prod" / ".kustomization.yaml.x1y2").write_text("partial")
    code, _, err = run(capsys, "render", "--project", str(repo), "--all", "--check")
    assert code == 1
    assert f"{leftover}: left over by an interrupted render" in err
    assert "prod/.kustomization.yaml.x1y2: left over by an interrupted render" in err
    assert run(capsys, "render", "--project", str(repo), "--all")[0] == 0
    assert not leftover.exists() and not (repo / "rendered" / "prod" / ".kustomization.yaml.x1y2").exists()
    assert run(capsys, "render", "--project", str(repo), "--all", "--check")[0] == 0


def test_sigterm_mid_write_cleans_up(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    before = snapshot(repo / "rendered")
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from cluster_capacity.output import folder
        real, count = folder._write_file, [0]
        def write(path, content):
            real(path, content)
            count[0] += 1
            if count[0] == 2:
                os.kill(os.getpid(), signal.SIGTERM)
        folder._write_file = write
        sys.argv = ["cluster-capacity", "render", "--project", {str(repo)!r}, "--all",
                    "--set", "infraID=prod-abcde"]
        from cluster_capacity.cli import run
        run()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert snapshot(repo / "rendered") == before
    assert sorted(p.name for p in (repo / "rendered").iterdir()) == ["argocd", "dev", "prod"]


def test_a_fleet_is_made_durable_in_one_barrier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staged files are synced together before any swap, not one fsync per file (2 ms each)."""
    from cluster_capacity.output import folder as folder_module

    calls: list[str] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    real_syncfs = folder_module._syncfs
    monkeypatch.setattr(folder_module, "_syncfs", lambda p: (calls.append("syncfs"), real_syncfs(p))[1])
    plan = [(tmp_path / f"env{i}", {"a.yaml": f"a: {i}\n", "b.yaml": "b: 1\n"}) for i in range(30)]
    written = output.write_folders(plan)
    assert [w.changed for w in written] == [True] * 30
    assert (tmp_path / "env7" / "a.yaml").read_text() == "a: 7\n"
    # one barrier then the parent folder once; where syncfs is missing: every new file, each staged
    # folder, then the parent
    assert calls in (["syncfs", "fsync"], ["syncfs"] + ["fsync"] * (30 * 2 + 30 + 1))
