"""Where numba caches scsmap's compiled kernels: one folder per version of scsmap's sources.

numba compiles a cached kernel (``@njit(cache=True)``) again when the kernel's own file changes, but not when
a helper or a constant it takes from another file does ("Cache limitations" in numba's `Notes on Caching
<https://numba.readthedocs.io/en/stable/developer/caching.html>`_): ``scsmap/rothc/compiled_moisture.py``
inlines ``_exp`` of ``compiled.py``, the RothC kernels freeze the constants of ``params.py``, the GHG kernel
inlines helpers of ``practices_compiled.py``. A cache made before such a change keeps the old machine code
and gives slightly other maps (North Macedonia: 1 float32 ulp on a pixel of three GSOCseq maps after a change
of ``_exp``). A checkout installed editable (``make venv``) changes its sources in place on every
``git pull``.

So the kernels are cached in a folder named after a digest of every source file of the package
(:func:`sources_digest`), ``scsmap-kernels-<digest>``: any change of a source gives a new, empty folder, and
the kernels compile again once (about 10 s). The folder is made in the first of these that can be written to:

1. ``NUMBA_CACHE_DIR`` when it is set (numba's own setting, `Environment variables
   <https://numba.readthedocs.io/en/stable/reference/envvars.html#envvar-NUMBA_CACHE_DIR>`_);
2. the package's ``__pycache__`` folder, beside the sources, where numba put them before;
3. the user's cache folder (``$XDG_CACHE_HOME/scsmap``, default ``~/.cache/scsmap``), for a read-only,
   system-wide install.

:func:`use_kernel_cache` runs when ``scsmap`` is imported, before numba is (importing numba takes 0.2 s,
which ``scsmap --help`` does not pay): it sets ``NUMBA_CACHE_DIR`` to the folder, which numba reads when it
is imported (processes started from this one inherit it, and recognise it as scsmap's); when numba is
already imported it sets ``numba.config.CACHE_DIR`` instead. numba then caches every ``cache=True`` function
of the process in that folder, scsmap's kernels and any other. Folders of other digests last changed more
than :data:`STALE_AFTER_S` ago are removed when a new one is made.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["PREFIX", "STALE_AFTER_S", "kernel_cache_dir", "sources_digest", "use_kernel_cache"]

#: the name of a kernel cache folder is this prefix and the digest of the sources
PREFIX = "scsmap-kernels-"

#: folders of other digests are removed once they have not changed for this long, seconds (a day: a run that
#: started before the sources changed keeps its folder to the end)
STALE_AFTER_S = 86_400.0

_OURS = re.compile(re.escape(PREFIX) + r"[0-9a-f]{16}")


def sources_digest(package_dir: Path) -> str:
    """A digest of every Python source file under ``package_dir``: their paths and contents.

    Parameters
    ----------
    package_dir : Path
        The folder of the ``scsmap`` package.

    Returns
    -------
    str
        16 hexadecimal digits (the first 64 bits of a SHA-256); it changes when any ``*.py`` file is
        changed, added, removed or renamed, and only then (timestamps do not count).

    Raises
    ------
    OSError
        When a source file cannot be read.
    """
    h = hashlib.sha256()
    for path in sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts):
        rel = path.relative_to(package_dir).as_posix().encode()
        data = path.read_bytes()
        h.update(b"%d:%s%d:" % (len(rel), rel, len(data)))
        h.update(data)
    return h.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    """Whether ``folder``, or the nearest existing folder above it, can be written to."""
    for f in (folder, *folder.parents):
        if f.exists():
            return f.is_dir() and os.access(f, os.W_OK | os.X_OK)
    return False


def kernel_cache_dir(package_dir: Path, environ: MutableMapping[str, str]) -> Path | None:
    """The folder numba should cache scsmap's kernels in (module docstring).

    Parameters
    ----------
    package_dir : Path
        The folder of the ``scsmap`` package.
    environ : mapping
        The process environment (``NUMBA_CACHE_DIR``, ``XDG_CACHE_HOME``, ``HOME``).

    Returns
    -------
    Path or None
        ``<base>/scsmap-kernels-<digest>`` in the first of ``NUMBA_CACHE_DIR`` (when set), the package's
        ``__pycache__`` and the user's cache folder that can be written to; None when none can (numba then
        keeps its own choice).

    Raises
    ------
    OSError
        When a source file cannot be read.
    """
    cache_home = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME") or "~", ".cache")
    candidates = [package_dir / "__pycache__", Path(cache_home).expanduser() / "scsmap"]
    user = environ.get("NUMBA_CACHE_DIR", "")
    if user:
        base = Path(user)
        if _OURS.fullmatch(base.name):  # inherited from an scsmap process: its base
            base = base.parent
        candidates.insert(0, base)
    for base in candidates:
        if _writable(base):
            return base / (PREFIX + sources_digest(package_dir))
    return None


def _prune(folder: Path, now: float) -> None:
    """Remove the kernel cache folders beside ``folder`` of other digests, unchanged for :data:`STALE_AFTER_S`."""
    try:
        siblings = list(folder.parent.iterdir())
    except OSError:
        return
    for other in siblings:
        if other.name != folder.name and _OURS.fullmatch(other.name):
            try:
                if now - other.stat().st_mtime > STALE_AFTER_S:
                    shutil.rmtree(other, ignore_errors=True)
            except OSError:
                pass


def use_kernel_cache(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Point numba's cache at :func:`kernel_cache_dir` (called when ``scsmap`` is imported).

    Parameters
    ----------
    environ : mapping, optional
        The environment to read and set ``NUMBA_CACHE_DIR`` in; default ``os.environ``.

    Returns
    -------
    Path or None
        The folder; None when nothing can be cached or a source file cannot be read (then nothing is
        changed: importing scsmap never fails here).
    """
    env = os.environ if environ is None else environ
    try:
        folder = kernel_cache_dir(Path(__file__).resolve().parent, env)
        if folder is None:
            return None
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            _prune(folder, time.time())
    except OSError:
        return None
    env["NUMBA_CACHE_DIR"] = str(folder)
    numba = sys.modules.get("numba")
    if numba is not None and environ is None:  # numba read its settings already
        numba.config.CACHE_DIR = str(folder)
    return folder
