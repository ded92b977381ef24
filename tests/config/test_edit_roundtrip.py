"""Round-trip edits keep every byte outside the change: line endings, BOM, indentation, directives,
flow style, symlinks; a failed or racing edit leaves the file exactly as it was."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cluster_capacity.config import _textmerge
from cluster_capacity.config.edit import YamlDocument
from cluster_capacity.errors import ConfigError

POOL = {"nameSuffix": "b", "enabled": True}


def edit(path: Path, text: str | bytes) -> bytes:
    """Write ``text``, set infraID and append a pool, save; the bytes on disk afterwards."""
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    doc = YamlDocument.load(path)
    doc.set(["infraID"], "new")
    doc.append(["machineSets"], POOL)
    assert doc.save() is True
    return path.read_bytes()


def test_crlf_stays_crlf(tmp_path: Path) -> None:
    out = edit(tmp_path / "v.yaml", "# c\r\ninfraID: old\r\nmachineSets:\r\n  - nameSuffix: a\r\n")
    assert (
        out
        == b"# c\r\ninfraID: new\r\nmachineSets:\r\n  - nameSuffix: a\r\n  - nameSuffix: b\r\n    enabled: true\r\n"
    )


def test_bom_is_kept(tmp_path: Path) -> None:
    out = edit(tmp_path / "v.yaml", "\ufeffinfraID: old\nmachineSets:\n- nameSuffix: a\n")
    assert (
        out
        == "\ufeffinfraID: new\nmachineSets:\n- nameSuffix: a\n- nameSuffix: b\n  enabled: true\n".encode()
    )


def test_four_space_indentation_stays(tmp_path: Path) -> None:
    text = "infraID: old\nmachineSets:\n    - nameSuffix: a\n      labels:\n          x: y\nnvidia:\n    enabled: true\n"
    out = edit(tmp_path / "v.yaml", text).decode()
    assert out == (
        "infraID: new\nmachineSets:\n    - nameSuffix: a\n      labels:\n          x: y\n"
        "    - nameSuffix: b\n      enabled: true\nnvidia:\n    enabled: true\n"
    )


def test_directives_and_document_markers_stay(tmp_path: Path) -> None:
    text = "%YAML 1.1\n---\ninfraID: old\nmachineSets:\n  - nameSuffix: a\n...\n"
    out = edit(tmp_path / "v.yaml", text).decode()
    assert (
        out
        == "%YAML 1.1\n---\ninfraID: new\nmachineSets:\n  - nameSuffix: a\n  - nameSuffix: b\n    enabled: true\n...\n"
    )


def test_flow_style_and_odd_spacing_outside_the_edit_stay(tmp_path: Path) -> None:
    text = "infraID:   old\nx:   {a: 1,   b: [1,2]}   # flow\nmachineSets:\n  - {nameSuffix: a,  enabled: false}\n"
    out = edit(tmp_path / "v.yaml", text).decode()
    lines = out.splitlines()
    assert lines[1] == "x:   {a: 1,   b: [1,2]}   # flow"
    assert lines[3] == "  - {nameSuffix: a,  enabled: false}"
    assert lines[0] == "infraID:   new" or lines[0] == "infraID: new"


def test_a_symlink_is_edited_where_it_points(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "values-prod.yaml"
    link = tmp_path / "values-prod.yaml"
    target.write_text("infraID: old\n")
    link.symlink_to(target)
    doc = YamlDocument.load(link)
    doc.set(["infraID"], "new")
    doc.save()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "infraID: new\n"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["values-prod.yaml"]  # no temp file left


def test_tab_before_a_comment_is_edited_as_render_reads_it(tmp_path: Path) -> None:
    out = edit(
        tmp_path / "v.yaml", "enabled: true\t# on\ninfraID: old\nmachineSets:\n- nameSuffix: a\t# the pool\n"
    )
    assert (
        out.decode()
        == "enabled: true\t# on\ninfraID: new\nmachineSets:\n- nameSuffix: a\t# the pool\n- nameSuffix: b\n  enabled: true\n"
    )


def test_merge_keys_are_edited(tmp_path: Path) -> None:
    text = (
        "base: &b\n  enabled: false\ninfraID: old\nmachineSets:\n- <<: *b\n  nameSuffix: a\n  enabled: true\n"
    )
    out = edit(tmp_path / "v.yaml", text).decode()
    assert out == text.replace("old", "new") + "- nameSuffix: b\n  enabled: true\n"


def test_duplicate_keys_are_refused_by_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("a: 1\na: 2\n")
    with pytest.raises(ConfigError) as info:
        YamlDocument.load(path)
    assert info.value.lines() == [f"{path}:2: a: duplicate key"]


def test_mode_is_kept_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("infraID: old\n")
    os.chmod(path, 0o640)
    doc = YamlDocument.load(path)
    doc.set(["infraID"], "new")
    doc.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    old = os.umask(0o027)
    try:
        new = YamlDocument.load(tmp_path / "n.yaml", create=True)
        new.set(["a"], 1)
        new.save()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n.yaml").stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_file_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v.yaml"
    original = b"# mine\r\ninfraID: old\r\n"
    path.write_bytes(original)
    doc = YamlDocument.load(path)
    doc.set(["infraID"], "new")

    def full_disk(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_textmerge.os, "write", full_disk)
    with pytest.raises(ConfigError) as info:
        doc.save()
    assert info.value.lines() == [f"{path}: cannot write: No space left on device; the file was not changed"]
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.yaml"]


def test_a_read_only_folder_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "values"
    folder.mkdir()
    path = folder / "v.yaml"
    path.write_text("infraID: old\n")
    doc = YamlDocument.load(path)
    doc.set(["infraID"], "new")
    real_open = os.open

    def read_only(name: object, flags: int, *args: object) -> int:
        if flags & os.O_CREAT:  # what a read-only folder (or root's chattr +i) answers
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_textmerge.os, "open", read_only)
    with pytest.raises(ConfigError) as info:
        doc.save()
    assert info.value.lines() == [f"{path}: cannot write: Permission denied; the file was not changed"]
    assert path.read_text() == "infraID: old\n"


def test_a_file_changed_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("infraID: old\n")
    doc = YamlDocument.load(path)
    doc.set(["infraID"], "new")
    path.write_text("infraID: someone-else\n")
    with pytest.raises(ConfigError) as info:
        doc.save()
    assert info.value.lines() == [f"{path}: changed while it was being edited; run the command again"]
    assert path.read_text() == "infraID: someone-else\n"


def test_merge3_applies_both_sides() -> None:
    original = "a:    1\nb: 2\n...\n"
    base = "a: 1\nb: 2\n"
    edited = "a: 1\nb: 3\nc: 4\n"
    assert _textmerge.merge3(original, base, edited) == "a:    1\nb: 3\nc: 4\n...\n"
