"""Writing a rendered folder: staged beside it and swapped in whole, under a lock, never touching user files.

A render either replaces the folder as a whole or leaves it exactly as it was: the new content is
built in a staging folder next to it (files this tool did not write are hard-linked in, unchanged files
too, so neither is rewritten) and swapped in with one ``rename``. A lock on the parent folder keeps two
runs from interleaving, and whatever a killed run left behind is cleaned up by the next one (``--check``
reports it meanwhile).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cluster_capacity.errors import CapacityError, ConfigError
from cluster_capacity.output._fs import exchange as _exchange
from cluster_capacity.output._fs import fsync_dir as _fsync_dir
from cluster_capacity.output._fs import remove_tree as _remove_tree
from cluster_capacity.output._fs import syncfs as _syncfs
from cluster_capacity.output._fs import write_file as _write_file

__all__ = ["Written", "leftovers", "locked", "write_folders"]

#: Marks the staging and old copies this tool makes beside a folder: ``.<folder>.cc-stage-<random>``.
_TAG = ".cc-"
LOCK_TIMEOUT_S = 60.0


_Listing = dict[Path, list[str]]
_listed: dict[tuple[Path, int], list[str]] = {}


def _tagged(parent: Path) -> list[str]:
    """Names in ``parent`` that carry our tag; listed once per state of the folder (its mtime).

    A fleet has a thousand env folders side by side: listing the parent for each was quadratic.
    """
    try:
        key = (parent, os.stat(parent).st_mtime_ns)
        if key not in _listed:
            if len(_listed) > 64:
                _listed.clear()
            with os.scandir(parent) as entries:
                _listed[key] = [e.name for e in entries if e.name.startswith(".") and _TAG in e.name]
        return _listed[key]
    except OSError:
        return []


def _ours_beside(folder: Path, listing: _Listing | None = None) -> list[Path]:
    prefix = f".{folder.name}{_TAG}"
    names = listing[folder.parent] if listing is not None else _tagged(folder.parent)
    return sorted(folder.parent / n for n in names if n.startswith(prefix))


def leftovers(folder: Path, names: Sequence[str], listing: _Listing | None = None) -> list[Path]:
    """What an interrupted write left: staging copies beside ``folder``, temp files inside it."""
    found = _ours_beside(folder, listing)
    try:
        inside = list(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        inside = []
    found.extend(p for p in inside if _is_temp(p.name, names))
    return sorted(found)


def _is_temp(entry: str, names: Sequence[str]) -> bool:
    # per-file temp names of earlier versions: ``.<name>.<random>`` (and ``.tmp``)
    return entry.startswith(".") and any(entry.startswith(f".{n}.") for n in names)


@contextlib.contextmanager
def locked(folders: Sequence[Path], *, shared: bool = False) -> Iterator[None]:
    """Hold the lock of every folder's parent (in a fixed order): one writer at a time per output tree."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): no lock
        yield
        return
    parents = sorted({f.parent for f in folders})
    fds: list[int] = []
    try:
        for parent in parents:
            parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(parent, os.O_RDONLY)
            fds.append(fd)
            mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
            deadline = time.monotonic() + LOCK_TIMEOUT_S
            while True:
                try:
                    fcntl.flock(fd, mode)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise CapacityError(
                            f"{parent}: another cluster-capacity run has been writing here for "
                            f"{LOCK_TIMEOUT_S:.0f}s; try again when it is done"
                        ) from None
                    time.sleep(0.05)
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing releases the lock


@dataclass(frozen=True)
class Written:
    """One folder after ``write_folders``: its files, and whether anything on disk changed."""

    folder: Path
    files: list[Path]
    changed: bool


def write_folders(
    plan: Sequence[tuple[Path, dict[str, str]]],
    *,
    stale: Callable[[Path, dict[str, str]], set[str]],
    is_ours: Callable[[Path], bool],
) -> list[Written]:
    """Write each ``(folder, files)`` whole, all under one lock; a folder already up to date is not touched.

    ``stale(folder, files)`` names the files a previous render wrote there that are no longer
    rendered; ``is_ours(path)`` says whether an existing file may be replaced.
    """
    targets = [(folder, _real(folder), files) for folder, files in plan]
    with locked([real for _, real, _ in targets]):
        # Stage every folder first, make the staged files durable with one barrier (not one fsync per
        # file: that was 2 ms a file, most of a fleet's render), then swap the folders in.
        # what earlier runs left beside the folders, listed before this run adds its own stages
        listing = {real.parent: list(_tagged(real.parent)) for _, real, _ in targets}
        staged: list[tuple[Path, Path, dict[str, str], _Stage | None]] = []
        try:
            for given, real, files in targets:
                staged.append((given, real, files, _prepare(real, files, stale, is_ours, listing)))
            _barrier([st for *_, st in staged if st is not None])
            out = []
            for given, real, files, st in staged:
                if st is not None:
                    _commit(real, st)
                out.append(Written(given, [given / n for n in files], st is not None))
            for parent in sorted({real.parent for _, real, _, st in staged if st is not None}):
                _fsync_dir(parent)  # the renames, made durable once per parent
            return out
        finally:
            for *_, st in staged:
                if st is not None and not st.committed:
                    _remove_tree(st.path)


def _real(folder: Path) -> Path:
    # a symlinked folder stays a symlink: its target is what gets replaced
    folder = Path(os.path.abspath(folder))
    return folder.resolve() if folder.is_symlink() else folder


@dataclass
class _Stage:
    """A folder's new content staged beside it, and the files written there (not yet durable)."""

    path: Path
    exists: bool
    new_files: list[Path]
    committed: bool = False


def _prepare(
    folder: Path,
    files: dict[str, str],
    stale_of: Callable[[Path, dict[str, str]], set[str]],
    is_ours: Callable[[Path], bool],
    listing: _Listing,
) -> _Stage | None:
    """Stage ``folder``'s new content; None when it is already up to date."""
    _recover(folder, listing)
    try:
        exists = folder.is_dir()
        if folder.exists() and not exists:
            raise ConfigError(f"{folder}: exists and is not a folder; give a folder to render into")
        stale = stale_of(folder, files) if exists else set()
        if exists:
            for name in files:
                path = folder / name
                if path.exists() and not is_ours(path):
                    raise ConfigError(
                        f"{path}: was not written by cluster-capacity; refusing to replace it (move it "
                        f"away, or render into another folder)"
                    )
            unchanged = all(_same(folder / n, c) for n, c in files.items())
            if unchanged and not stale and not leftovers(folder, list(files), listing):
                return None
        return _stage(folder, files, stale, exists)
    except OSError as exc:
        raise _cannot_write(folder, exc) from exc


def _cannot_write(folder: Path, exc: OSError) -> CapacityError:
    return CapacityError(
        f"{folder}: cannot write: {exc.strerror or exc}"
        + (f" ({exc.filename})" if exc.filename else "")
        + "; the folder was not changed"
    )


def _same(path: Path, content: str) -> bool:
    try:
        return path.read_bytes() == content.encode("utf-8")
    except OSError:
        return False


def _recover(folder: Path, listing: _Listing) -> None:
    """Under the lock: put back a folder a killed swap left out, remove staging copies."""
    for entry in _ours_beside(folder, listing):
        if entry.name.startswith(f".{folder.name}{_TAG}old-") and not folder.exists():
            os.rename(entry, folder)
        else:
            _remove_tree(entry)


def _stage(folder: Path, files: dict[str, str], stale: set[str], exists: bool) -> _Stage:
    stage = _Stage(_make_stage(folder), exists, [])
    try:
        if exists:
            os.chmod(stage.path, stat.S_IMODE(folder.stat().st_mode))
            skip = set(stale)
            _link_tree(folder, stage.path, skip, names=list(files))
        for name, content in files.items():
            target = stage.path / name
            if exists and target.exists():
                if _same(target, content):
                    continue  # unchanged: keep the very same file
                target.unlink()
            _write_file(target, content)
            stage.new_files.append(target)
    except BaseException:
        _remove_tree(stage.path)
        raise
    return stage


def _barrier(stages: Sequence[_Stage]) -> None:
    """Every staged file on disk before any folder is swapped; a full disk or an I/O error shows here.

    One ``syncfs`` per file system where Linux has it (it reports write-back errors since 5.8), else
    an fsync of each new file.
    """
    if not stages:
        return
    by_device: dict[int, Path] = {}
    for st in stages:
        by_device.setdefault(os.stat(st.path).st_dev, st.path)
    try:
        for path in by_device.values():
            if not _syncfs(path):
                raise NotImplementedError
    except NotImplementedError:
        for st in stages:
            for file in st.new_files:
                try:
                    fd = os.open(file, os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                except OSError as exc:
                    raise _cannot_write(st.path.parent, exc) from exc
        for st in stages:
            _fsync_dir(st.path)
    except OSError as exc:
        raise _cannot_write(stages[0].path.parent, exc) from exc


def _commit(folder: Path, stage: _Stage) -> None:
    """Swap the durable staged folder in (or rename it into place), then drop the old copy."""
    leftover: Path | None = stage.path
    try:
        if stage.exists:
            if not _exchange(stage.path, folder):
                old = folder.parent / f".{folder.name}{_TAG}old-{os.getpid()}"
                os.rename(folder, old)
                os.rename(stage.path, folder)
                leftover = old
        else:
            os.rename(stage.path, folder)
            leftover = None
    except OSError as exc:
        raise _cannot_write(folder, exc) from exc
    stage.committed = True
    if leftover is not None:
        _remove_tree(leftover)  # the old folder, swapped out


def _make_stage(folder: Path) -> Path:
    for _ in range(100):
        stage = folder.parent / f".{folder.name}{_TAG}stage-{os.urandom(4).hex()}"
        try:
            os.mkdir(stage, 0o777)  # the umask decides, as for any folder
            return stage
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a staging folder", str(folder.parent))


def _link_tree(src: Path, dst: Path, skip: set[str], names: list[str]) -> None:
    """Hard-link every file of ``src`` into ``dst`` (recreating folders and symlinks), but ``skip``.

    Linking also proves each file could be removed with the old folder: an immutable file refuses.
    """
    with os.scandir(src) as entries:
        entries_list = list(entries)
    for entry in entries_list:
        if entry.name in skip or _is_temp(entry.name, names):
            continue
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir():
            os.mkdir(target)
            _link_tree(Path(entry.path), target, set(), [])
            os.chmod(target, stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode))
        else:
            try:
                os.link(entry.path, target, follow_symlinks=False)
            except PermissionError as exc:
                raise PermissionError(
                    exc.errno, "cannot replace it (immutable, append-only or not yours)", entry.path
                ) from exc
