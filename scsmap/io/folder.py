"""The output folder of a run: what scsmap owns in it, its lock, and the journaled all-or-nothing commit.

**Ownership.** scsmap creates, replaces or deletes only files it owns: the files it writes, and
the files an scsmap ``manifest.json`` already in the folder lists (``files``). Foreign files and
folders are never touched. A folder that is ``/``, the home folder, or holds an input of the run is
refused; so is a non-empty folder without an scsmap manifest, unless the user allows it.

**Lock.** Every command that writes into a folder holds an OS-level lock on ``.scsmap.lock``
(``filelock``; it vanishes with the process) for its whole duration; a second command gets exit 2
naming the holder. Staging and backup folders left by killed runs are removed only under the lock.

**Commit** (five steps, each recorded in the journal ``.scsmap-journal.json`` before it starts):

1. the new files are complete in ``.staging-<id>/``, the manifest among them;
2. the journal lists the files to install (manifest last) and the previous run's files to remove;
3. every file of the folder that will be replaced or removed is moved into ``.backup-<id>/``;
4. the new files are moved from staging into place, the manifest last;
5. the journal says ``committed``; backup, staging and journal are deleted.

Every move is a rename on one file system. After an interruption at any point, the next scsmap
command in the folder finds the journal and rolls the commit back (before step 5: the previous run
is restored) or completes it (after), and says which.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import OutputError, Terminated
from .manifest import ALIGNMENT, MANIFEST, read_manifest

log = logging.getLogger("scsmap")

LOCK = ".scsmap.lock"
HOLDER = ".scsmap.lock.json"
JOURNAL = ".scsmap-journal.json"
STAGING_PREFIX = ".staging-"
BACKUP_PREFIX = ".backup-"
#: a run's STAC catalogue folder
STAC_DIR = "stac"


def is_internal(name: str) -> bool:
    """True for scsmap's own bookkeeping entries of a folder (lock, journal, staging, backup)."""
    return name in (LOCK, HOLDER, JOURNAL) or name.startswith((STAGING_PREFIX, BACKUP_PREFIX))


def is_scsmap_manifest(manifest: dict[str, Any] | None) -> bool:
    """True when a parsed ``manifest.json`` was written by scsmap."""
    return isinstance(manifest, dict) and "scsmap_version" in manifest and isinstance(manifest.get("products"), list)


def owned_files(manifest: dict[str, Any] | None) -> set[str]:
    """The top-level names an scsmap manifest owns (empty for anything else).

    Manifests list them under ``files``; older ones are read from their products (file and
    ``.qml`` style), the alignment report, the abatement curve, the STAC folder and the manifest.
    """
    if not is_scsmap_manifest(manifest):
        return set()
    assert manifest is not None
    if isinstance(manifest.get("files"), list):
        return {str(f) for f in manifest["files"]}
    names = {MANIFEST, ALIGNMENT, STAC_DIR}
    for e in manifest["products"]:
        names |= {e["path"], str(Path(e["path"]).with_suffix(".qml"))}
    if isinstance(manifest.get("summary"), dict) and manifest["summary"].get("abatement_curve"):
        names.add(str(manifest["summary"]["abatement_curve"]))
    return names


def check_folder(out: Path, inputs: Iterable[Path], allow_nonempty: bool) -> dict[str, Any] | None:
    """Refuse an output folder scsmap must not write into; return its scsmap manifest, if any.

    Parameters
    ----------
    out : Path
    inputs : iterable of Path
        Every local file the run reads.
    allow_nonempty : bool
        Accept a non-empty folder without an scsmap manifest (its files are never touched).

    Raises
    ------
    OutputError
        ``out`` is the root or the home folder, holds an input of the run, is a file, holds a
        ``manifest.json`` scsmap did not write, or holds other files without ``allow_nonempty``.
    """
    target = out.resolve()
    if target == Path(target.anchor) or target == Path.home().resolve():
        raise OutputError(
            f"refusing to write into {target}: it is the {'root' if target == Path(target.anchor) else 'home'} folder",
            "choose a folder of its own with --out, e.g. out/<region>",
        )
    for p in inputs:
        try:
            p.resolve().relative_to(target)
        except ValueError:
            continue
        raise OutputError(
            f"refusing to write into {target}: it holds {p}, an input of this run",
            "write the outputs into another folder with --out",
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder", "choose a folder with --out")
    if not out.is_dir():
        return None
    manifest = read_manifest(out / MANIFEST)
    if (out / MANIFEST).exists() and not is_scsmap_manifest(manifest):
        raise OutputError(
            f"{out / MANIFEST} was not written by scsmap: refusing to replace it", "choose another folder with --out"
        )
    if manifest is None and not allow_nonempty:
        foreign = sorted(n for n in os.listdir(out) if not is_internal(n))
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise OutputError(
                f"{out} is not empty and holds no scsmap run ({shown})",
                "choose an empty or new folder with --out, or pass --allow-nonempty to write beside "
                "these files (they are never touched)",
            )
    return manifest


# --------------------------------------------------------------------------- lock


#: folders whose lock this process holds (a command that calls another, e.g. report → stats, locks once)
_HELD: dict[Path, int] = {}


@contextlib.contextmanager
def locked(out: Path, command: str) -> Iterator[None]:
    """Hold the folder's lock while a command writes into it; recover an interrupted commit first.

    Re-entrant within one process: a command that runs another in the same folder holds the lock once.

    Raises
    ------
    OutputError
        Another scsmap command holds the lock (the message names it), or the folder cannot be created
        or written.
    """
    key = out.resolve()
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output directory {out}: {exc.strerror}",
            "choose another directory with --out or outputs.dir",
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(
            f"output directory {out} is not writable", "choose another directory with --out or outputs.dir"
        )
    lock = FileLock(str(out / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        holder = _read_holder(out)
        raise OutputError(
            f"{out} is in use by another scsmap command ({holder})", "wait for it to finish, or choose another --out"
        ) from None
    _HELD[key] = 1
    try:
        (out / HOLDER).write_text(
            json.dumps(
                {
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "command": command,
                    "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                }
            ),
            encoding="utf-8",
        )
        message = recover(out)
        if message:
            log.warning("%s", message)
        clean_leftovers(out)
        yield
    finally:
        with contextlib.suppress(OSError):
            (out / HOLDER).unlink()
        with contextlib.suppress(OSError):  # while still held: a waiting command cannot have the old file locked
            (out / LOCK).unlink()
        lock.release()
        _HELD.pop(key, None)


def _read_holder(out: Path) -> str:
    try:
        h = json.loads((out / HOLDER).read_text(encoding="utf-8"))
        return f"scsmap {h.get('command')} of process {h.get('pid')} on {h.get('host')} since {h.get('since')}"
    except (OSError, ValueError):
        return "holder unknown"


def clean_leftovers(out: Path) -> list[Path]:
    """Remove staging and backup folders left by killed runs (only ever called under the lock)."""
    removed = []
    for d in out.iterdir():
        if d.is_dir() and not d.is_symlink() and d.name.startswith((STAGING_PREFIX, BACKUP_PREFIX)):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
            log.info("removed %s, left by an interrupted run", d)
    return removed


def link_into(staging: Path, out: Path, names: Iterable[str]) -> None:
    """Hard-link files of ``out`` into ``staging`` (copy where links are not possible): files a run keeps."""
    for name in names:
        try:
            os.link(out / name, staging / name)
        except OSError:
            shutil.copy2(out / name, staging / name)


def new_staging(out: Path) -> Path:
    """Create the staging folder of a run in ``out`` (same file system: moves are renames)."""
    staging = out / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    return staging


# --------------------------------------------------------------------------- journaled commit


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_journal(out: Path, journal: dict[str, Any]) -> None:
    tmp = out / f"{JOURNAL}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(journal, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out / JOURNAL)
    _fsync_dir(out)


def _move(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst`` (files, folders and symlinks themselves; a symlink is never followed)."""
    os.replace(src, dst)


def commit_steps(out: Path, staging: Path, install: list[str], remove: Iterable[str]) -> Iterator[str]:
    """The commit of :func:`commit_files` one atomic step at a time (each ``next`` does one and names it).

    For tests that interrupt or interleave commits; :func:`commit_files` runs every step.
    """
    assert install and install[-1] == MANIFEST, "the manifest is installed last"
    backup = out / f"{BACKUP_PREFIX}{staging.name.removeprefix(STAGING_PREFIX)}"
    journal = {
        "version": 1,
        "state": "moving",
        "staging": staging.name,
        "backup": backup.name,
        "install": install,
        "remove": sorted(set(remove) - set(install)),
    }
    _write_journal(out, journal)
    yield "journal: moving"
    backup.mkdir()
    for name in [*journal["remove"], *install]:
        if os.path.lexists(out / name):
            _move(out / name, backup / name)
            yield f"backup {name}"
    for name in install:
        _move(staging / name, out / name)
        yield f"install {name}"
    _fsync_dir(out)
    journal["state"] = "committed"
    _write_journal(out, journal)
    yield "journal: committed"
    _finish(out, journal)
    yield "finished"


def commit_files(out: Path, staging: Path, install: list[str], remove: Iterable[str]) -> None:
    """Move a run's files from ``staging`` into ``out`` all or nothing (see the module docstring).

    Parameters
    ----------
    out : Path
    staging : Path
        Holds every name of ``install``.
    install : list of str
        Top-level names to move into place, in order; ``manifest.json`` must be last.
    remove : iterable of str
        Names the previous run owned that the new run does not have.

    Raises
    ------
    OSError
        A move failed; the commit was rolled back (the previous run is in place) before the error
        is raised again. Where even that fails, the next scsmap command in ``out`` finishes it.
    """
    try:
        for _ in commit_steps(out, staging, install, remove):
            pass
    except BaseException:
        with contextlib.suppress(Exception):
            message = recover(out)
            if message:
                log.warning("%s", message)
        raise


def _finish(out: Path, journal: dict[str, Any]) -> None:
    shutil.rmtree(out / journal["backup"], ignore_errors=True)
    shutil.rmtree(out / journal["staging"], ignore_errors=True)
    (out / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(out)


def recover(out: Path) -> str | None:
    """Roll back or complete a commit that was interrupted in ``out`` (call under the lock).

    Returns
    -------
    str or None
        What was done, for the user; None when no commit was interrupted.
    """
    path = out / JOURNAL
    if not path.exists():
        return None
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        staging, backup = out / journal["staging"], out / journal["backup"]
        install = list(journal["install"])
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return f"{out}: removed an unreadable commit journal"
    if journal.get("state") == "committed":
        _finish(out, journal)
        return f"{out}: completed the commit of a run that was interrupted after its manifest was in place"
    for name in install:  # moved in already: its staging copy is gone
        if os.path.lexists(out / name) and not os.path.lexists(staging / name):
            p = out / name
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    if backup.is_dir():
        for entry in os.listdir(backup):
            _move(backup / entry, out / entry)
    _finish(out, journal)
    return (
        f"{out}: rolled back a run that was interrupted while its files were moved into place; the previous "
        "outputs are as they were"
    )


@contextlib.contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the block runs, so that its ``finally`` clauses
    (closing files, removing staging) run as for Ctrl-C. Only in the main thread; restored on exit.

    A signal's exception is raised wherever the main thread is, possibly inside a library's callback; a
    library that wraps what its callback raises (pydantic turns it into a ``PydanticSerializationError``)
    would make it an "unexpected error". So an exception leaving the block after SIGTERM is raised as
    :class:`Terminated`, and after Ctrl-C (SIGINT) as ``KeyboardInterrupt``.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    except Exception as exc:
        if received:
            raise (Terminated() if received[0] == signal.SIGTERM else KeyboardInterrupt()) from exc
        raise
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)
