"""Parsed CRD files kept as JSON in the user's cache folder, so ``validate`` parses each YAML file once.

Parsing the CRD YAML is most of what a ``validate`` run costs (about 0.7 s for the whole shared folder
with libyaml; the same documents load from JSON in about 16 ms). An entry is keyed by the file's
resolved path, modification time and size, so an edited or replaced CRD file is parsed again; the
entry only holds what ``json`` gives back exactly as YAML did (no dates, no non-string keys).

The folder is ``$CLUSTER_CAPACITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/cluster-capacity``, else
``~/.cache/cluster-capacity``; ``CLUSTER_CAPACITY_NO_CACHE=1`` turns the cache off. A cache that
cannot be read or written is the same as no cache: the YAML is parsed, nothing fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "cached_documents"]

_FORMAT = "1"


def cache_dir() -> Path | None:
    """The folder the CRD cache lives in, or None when the cache is off."""
    if os.environ.get("CLUSTER_CAPACITY_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("CLUSTER_CAPACITY_CACHE_DIR")
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "cluster-capacity"


def _entry(folder: Path, path: Path) -> Path | None:
    try:
        real = path.resolve()
        stat = real.stat()
    except OSError:
        return None
    key = f"{_FORMAT}\0{real}\0{stat.st_mtime_ns}\0{stat.st_size}".encode()
    return folder / "crds" / f"{hashlib.sha256(key).hexdigest()[:32]}.json"


def cached_documents(path: Path, parse: Callable[[], list[Any]]) -> list[Any]:
    """The documents of CRD file ``path``: from the cache when it has them, else ``parse()`` (then kept)."""
    folder = cache_dir()
    entry = _entry(folder, path) if folder is not None else None
    if entry is not None:
        try:
            docs = json.loads(entry.read_bytes())
        except (OSError, ValueError):
            pass
        else:
            if isinstance(docs, list):
                return docs
    docs = parse()
    if entry is not None:
        _store(entry, docs)
    return docs


def _store(entry: Path, docs: list[Any]) -> None:
    try:
        text = json.dumps(docs, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return  # a value JSON cannot hold: parse the YAML every time
    if json.loads(text) != docs:
        return  # JSON would change it (a non-string key): parse the YAML every time
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return
