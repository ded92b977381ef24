"""The CRD cache: parsed once, kept as JSON keyed by path, mtime and size; never a reason to fail."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cluster_capacity.validate import _crdcache
from cluster_capacity.validate._crdcache import cache_dir, cached_documents
from cluster_capacity.validate.schemas import SchemaRegistry


class Parser:
    def __init__(self, docs: list[Any]) -> None:
        self.docs = docs
        self.calls = 0

    def __call__(self) -> list[Any]:
        self.calls += 1
        return self.docs


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLUSTER_CAPACITY_CACHE_DIR", str(folder))
    return folder


def test_second_read_comes_from_the_cache(tmp_path: Path, cache: Path) -> None:
    crd = tmp_path / "a.yaml"
    crd.write_text("kind: X\n")
    parse = Parser([{"kind": "X", "spec": {"n": 1, "f": 1.5, "b": True, "z": None}}])
    assert cached_documents(crd, parse) == parse.docs
    assert cached_documents(crd, parse) == parse.docs
    assert parse.calls == 1
    assert len(list((cache / "crds").glob("*.json"))) == 1


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    crd = tmp_path / "a.yaml"
    crd.write_text("kind: X\n")
    first = Parser([{"kind": "X"}])
    cached_documents(crd, first)
    crd.write_text("kind: Y\n")
    os.utime(crd, ns=(1, 1))  # a different mtime even on a coarse clock
    second = Parser([{"kind": "Y"}])
    assert cached_documents(crd, second) == [{"kind": "Y"}]
    assert second.calls == 1


def test_what_json_would_change_is_not_cached(tmp_path: Path, cache: Path) -> None:
    crd = tmp_path / "a.yaml"
    crd.write_text("x")
    parse = Parser([{1: "int key"}])
    assert cached_documents(crd, parse) == [{1: "int key"}]
    assert cached_documents(crd, parse) == [{1: "int key"}]
    assert parse.calls == 2
    assert not list(cache.rglob("*.json"))


def test_an_unusable_cache_folder_only_costs_the_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CLUSTER_CAPACITY_CACHE_DIR", str(blocker))
    crd = tmp_path / "a.yaml"
    crd.write_text("x")
    parse = Parser([{"kind": "X"}])
    assert cached_documents(crd, parse) == [{"kind": "X"}]
    assert cached_documents(crd, parse) == [{"kind": "X"}]
    assert parse.calls == 2


def test_a_corrupt_entry_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    crd = tmp_path / "a.yaml"
    crd.write_text("x")
    cached_documents(crd, Parser([{"kind": "X"}]))
    (entry,) = (cache / "crds").glob("*.json")
    entry.write_text('{"truncated": ')
    again = Parser([{"kind": "X"}])
    assert cached_documents(crd, again) == [{"kind": "X"}]
    assert again.calls == 1


def test_cache_folder_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTER_CAPACITY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cluster-capacity"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "cluster-capacity"
    monkeypatch.setenv("CLUSTER_CAPACITY_NO_CACHE", "1")
    assert cache_dir() is None


def test_no_cache_parses_every_time(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTER_CAPACITY_NO_CACHE", "1")
    crd = tmp_path / "a.yaml"
    crd.write_text("x")
    parse = Parser([{"kind": "X"}])
    cached_documents(crd, parse)
    cached_documents(crd, parse)
    assert parse.calls == 2
    assert not cache.exists()


def test_validation_from_the_cache_finds_the_same(
    crds_dir: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {
        "apiVersion": "autoscaling.openshift.io/v1beta1",
        "kind": "MachineAutoscaler",
        "metadata": {"name": "m", "namespace": "openshift-machine-api"},
        "spec": {"minReplicas": "one", "maxReplicas": 2, "scaleTargetRef": {"name": "x"}},
    }
    cold = SchemaRegistry.from_directory(crds_dir).validate(bad)
    assert list((cache / "crds").glob("*.json"))
    calls: list[Path] = []
    real = _crdcache.cached_documents

    def spy(path: Path, parse: Any) -> list[Any]:
        calls.append(path)
        return real(path, lambda: pytest.fail("parsed YAML despite the cache"))

    monkeypatch.setattr("cluster_capacity.validate.schemas.cached_documents", spy)
    warm = SchemaRegistry.from_directory(crds_dir).validate(bad)
    assert calls == [crds_dir / "autoscaling.openshift.io_machineautoscalers.yaml"]
    assert warm == cold
    assert [f.path for f in warm] == ["spec.minReplicas", "spec.scaleTargetRef.kind"]
