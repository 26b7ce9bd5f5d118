"""numba's cache of scsmap's kernels follows the sources: a helper changed in another file is compiled again.

numba itself recompiles a cached kernel only when the kernel's own file changes (its "Notes on Caching", cache
limitations); these tests reproduce that case on a copy of the package and check the new machine code is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scsmap
from scsmap.kernel_cache import PREFIX, STALE_AFTER_S, kernel_cache_dir, sources_digest, use_kernel_cache

HELPER = """
from numba import njit

OFFSET = {offset}


@njit(inline="always")
def helper(x):
    return x + OFFSET
"""

KERNEL = """
from numba import njit

from ._probe_helper import helper


@njit(cache=True)
def kernel(x):
    return helper(x)
"""

PROBE = (
    "import os, scsmap._probe_kernel as k\n"
    "assert k.__file__.startswith(os.environ['PROBE_ROOT']), k.__file__\n"
    "print(k.kernel(1.0), k.kernel.stats.cache_hits.get(k.kernel.signatures[0], 0))\n"
)


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the scsmap package with a probe kernel whose helper lives in another file."""
    root = tmp_path / "src"
    pkg = root / "scsmap"
    shutil.copytree(Path(scsmap.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "_probe_helper.py").write_text(HELPER.format(offset="1.0"))
    (pkg / "_probe_kernel.py").write_text(KERNEL)
    return root


def _probe(root: Path, cache: Path | None) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(root), PROBE_ROOT=str(root), HOME=str(root.parent / "home"))
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    value, hits = out.stdout.split()
    return float(value), int(hits)


@pytest.mark.parametrize("user_dir", [False, True], ids=["beside-the-package", "NUMBA_CACHE_DIR"])
def test_a_helper_changed_in_another_file_is_compiled_again(package_copy, tmp_path, user_dir):
    """1 + 1 = 2 is cached and reused; after the helper's file changes to add 2, the kernel gives 3, not the
    cached 2 (numba alone keeps the old machine code: the kernel's file did not change)."""
    cache = tmp_path / "numba-cache" if user_dir else None
    assert _probe(package_copy, cache) == (2.0, 0)  # compiled
    assert _probe(package_copy, cache) == (2.0, 1)  # from the cache
    (package_copy / "scsmap" / "_probe_helper.py").write_text(HELPER.format(offset="2.0"))
    assert _probe(package_copy, cache) == (3.0, 0)  # compiled again, with the new helper
    assert _probe(package_copy, cache) == (3.0, 1)
    base = cache if user_dir else package_copy / "scsmap" / "__pycache__"
    assert len(list(base.glob(PREFIX + "*"))) == 2  # the first version's folder is kept for a day


def test_sources_digest_follows_contents_not_timestamps(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    first = sources_digest(tmp_path)
    assert len(first) == 16 and int(first, 16) >= 0
    os.utime(tmp_path / "a.py", (0, 0))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "c.py").write_text("ignored\n")
    (tmp_path / "notes.txt").write_text("not a source\n")
    assert sources_digest(tmp_path) == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert sources_digest(tmp_path) != first
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    assert sources_digest(tmp_path) == first
    (tmp_path / "sub" / "b.py").rename(tmp_path / "sub" / "c.py")
    assert sources_digest(tmp_path) != first


def test_the_folder_is_beside_the_package_else_in_the_user_cache(tmp_path, monkeypatch):
    import scsmap.kernel_cache as kc

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text("z = 0\n")
    name = PREFIX + sources_digest(pkg)
    assert kernel_cache_dir(pkg, {}) == pkg / "__pycache__" / name
    assert kernel_cache_dir(pkg, {"NUMBA_CACHE_DIR": str(tmp_path / "c")}) == tmp_path / "c" / name
    # a value inherited from an scsmap process is that process's folder, not a base for another one
    assert kernel_cache_dir(pkg, {"NUMBA_CACHE_DIR": str(tmp_path / "c" / name)}) == tmp_path / "c" / name
    # a read-only package folder (a system-wide install; simulated: root may write anywhere)
    writable = kc._writable
    monkeypatch.setattr(kc, "_writable", lambda f: not f.is_relative_to(pkg) and writable(f))
    home = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert kernel_cache_dir(pkg, home) == tmp_path / "xdg" / "scsmap" / name
    assert kernel_cache_dir(pkg, {"HOME": str(tmp_path / "h")}) == tmp_path / "h" / ".cache" / "scsmap" / name
    # an unwritable NUMBA_CACHE_DIR: the next folder that can be written to
    assert kernel_cache_dir(pkg, {"NUMBA_CACHE_DIR": str(pkg / "c"), **home}) == tmp_path / "xdg" / "scsmap" / name
    monkeypatch.setattr(kc, "_writable", lambda f: False)
    assert kernel_cache_dir(pkg, {"NUMBA_CACHE_DIR": str(tmp_path / "c"), **home}) is None


def test_writable_looks_at_the_nearest_existing_folder(tmp_path):
    from scsmap.kernel_cache import _writable

    assert _writable(tmp_path / "not" / "yet")
    (tmp_path / "file").write_text("")
    assert not _writable(tmp_path / "file" / "below")


def test_using_the_cache_sets_numba_cache_dir_and_removes_stale_folders(tmp_path):
    base = tmp_path / "c"
    old, recent, foreign = base / (PREFIX + "0" * 16), base / (PREFIX + "1" * 16), base / "mine"
    for folder in (old, recent, foreign):
        folder.mkdir(parents=True)
    past = time.time() - STALE_AFTER_S - 60
    os.utime(old, (past, past))
    os.utime(foreign, (past, past))
    env = {"NUMBA_CACHE_DIR": str(base)}
    folder = use_kernel_cache(env)
    assert folder is not None and folder.parent == base and folder.is_dir()
    assert env["NUMBA_CACHE_DIR"] == str(folder)
    assert not old.exists() and recent.exists() and foreign.exists()
    # again (a child process inheriting the setting): the same folder
    assert use_kernel_cache(env) == folder and env["NUMBA_CACHE_DIR"] == str(folder)


def test_this_process_caches_in_the_folder_of_its_sources():
    import numba

    folder = kernel_cache_dir(Path(scsmap.__file__).parent, {})
    assert folder is not None
    assert numba.config.CACHE_DIR.endswith(folder.name)
