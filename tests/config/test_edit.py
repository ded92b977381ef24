"""Round-trip edits: comments, order, quoting and unrelated keys survive; writes are atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cluster_capacity.config import edit as valuesedit
from cluster_capacity.config.edit import YamlDocument
from cluster_capacity.errors import ConfigError

TEXT = """\
# values for prod
enabled: true   # master switch
infraID: old-abcde

machineSets:
- enabled: true
  nameSuffix: a
  nodeLabels:
    node-role.kubernetes.io/gpu: ""

# the autoscaler
autoscaling: {}
zzz: 'kept'
"""


@pytest.fixture
def values(tmp_path: Path) -> Path:
    path = tmp_path / "values-prod.yaml"
    path.write_text(TEXT)
    return path


def test_unchanged_round_trip_is_byte_identical(values: Path) -> None:
    doc = YamlDocument.load(values)
    assert doc.text() == TEXT and not doc.changed and doc.diff() == ""
    assert doc.save() is False


def test_set_keeps_comments_order_and_quotes(values: Path) -> None:
    doc = YamlDocument.load(values)
    assert doc.set(["infraID"], "new-fghij") is True
    assert doc.set(["infraID"], "new-fghij") is False
    doc.set(["nvidia", "enabled"], True)
    assert doc.text() == TEXT.replace("old-abcde", "new-fghij") + "nvidia:\n  enabled: true\n"


def test_append_keeps_the_file_list_style(values: Path) -> None:
    doc = YamlDocument.load(values)
    index = doc.append(
        ["machineSets"],
        {
            "enabled": True,
            "nameSuffix": "b",
            "nodeLabels": {"x": ""},
            "taints": [{"key": "k", "value": "true"}],
        },
    )
    assert index == 1
    expected = TEXT.replace(
        '    node-role.kubernetes.io/gpu: ""\n',
        '    node-role.kubernetes.io/gpu: ""\n- enabled: true\n  nameSuffix: b\n  nodeLabels:\n    x: ""\n'
        '  taints:\n  - key: k\n    value: "true"\n',
    )
    assert doc.text() == expected


def test_diff_and_save(values: Path) -> None:
    doc = YamlDocument.load(values)
    doc.set(["enabled"], False)
    diff = doc.diff()
    assert diff.splitlines()[:2] == [f"--- {values}", f"+++ {values}"]
    # the comment keeps its column
    assert "-enabled: true   # master switch\n+enabled: false  # master switch\n" in diff
    assert sum(line.startswith(("-", "+")) for line in diff.splitlines()[2:]) == 2
    os.chmod(values, 0o640)
    assert doc.save() is True
    assert values.read_text().startswith("# values for prod\nenabled: false")
    assert values.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in values.parent.iterdir()] == ["values-prod.yaml"]  # no temp file left


def test_new_file(tmp_path: Path) -> None:
    doc = YamlDocument.load(tmp_path / "sub" / "new.yaml", create=True, header="made by a test")
    doc.set(["machineSets"], [])
    doc.append(["machineSets"], {"nameSuffix": "a"})
    assert doc.diff().startswith("--- /dev/null\n")
    doc.save()
    assert (
        tmp_path / "sub" / "new.yaml"
    ).read_text() == "# made by a test\nmachineSets:\n  - nameSuffix: a\n"


def test_failed_write_keeps_the_original(values: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = YamlDocument.load(values)
    doc.set(["infraID"], "new-fghij")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(valuesedit.os, "replace", fail)
    with pytest.raises(ConfigError, match="cannot write: No space left on device; the file was not changed"):
        doc.save()
    assert values.read_text() == TEXT
    assert [p.name for p in values.parent.iterdir()] == ["values-prod.yaml"]


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\nb: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        YamlDocument.load(bad)
    assert exc.value.problems[0].file == str(bad) and exc.value.problems[0].line >= 2
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        YamlDocument.load(bad)
    with pytest.raises(ConfigError, match="no such file"):
        YamlDocument.load(tmp_path / "missing.yaml")


def test_append_to_a_scalar_is_refused(values: Path) -> None:
    with pytest.raises(ConfigError, match="infraID: must be a list"):
        YamlDocument.load(values).append(["infraID"], "x")
