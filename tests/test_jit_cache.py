"""The on-disk cache of compiled kernels: concurrent first runs, its location, and broken caches.

Each test runs fresh processes on a private copy of the package, so that the cache folders it
looks at are its own and start empty.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastseg

CHILD = """
import hashlib, importlib, pkgutil
import numba, fastseg, fastseg._kernels
from fastseg._config import CACHE_FOLDER

segmentation = fastseg.segment(fastseg.sample_image()[::4, ::4], 4, seed=0)
digest = hashlib.sha256(segmentation.labels.tobytes() + segmentation.centers.tobytes()).hexdigest()
hits = misses = 0
for module in pkgutil.iter_modules(fastseg._kernels.__path__):
    for kernel in vars(importlib.import_module("fastseg._kernels." + module.name)).values():
        if isinstance(kernel, numba.core.registry.CPUDispatcher) and kernel.signatures:
            hits += sum(kernel.stats.cache_hits.values())
            misses += sum(kernel.stats.cache_misses.values())
print(digest, hits, misses, CACHE_FOLDER, fastseg.__file__)
"""


def expected_digest() -> str:
    segmentation = fastseg.segment(fastseg.sample_image()[::4, ::4], 4, seed=0)
    return hashlib.sha256(
        segmentation.labels.tobytes() + segmentation.centers.tobytes()
    ).hexdigest()


@pytest.fixture
def package(tmp_path):
    """A copy of the fastseg package, without any cache, importable from tmp_path / "site"."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(fastseg.__file__).parent,
        site / "fastseg",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return site


def environment(site: Path, user_cache: Path, cache_dir: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(user_cache), PYTHONDONTWRITEBYTECODE="1")
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    return env


def start(env, prefix=()):
    # Started in the copy's folder: the current folder comes first on the child's sys.path.
    return subprocess.Popen(
        [*prefix, sys.executable, "-c", CHILD], env=env, cwd=env["PYTHONPATH"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    digest, hits, misses, folder, module = out.split()
    return dict(digest=digest, hits=int(hits), misses=int(misses), folder=folder, module=module)


def run(env, prefix=()) -> dict:
    return finish(start(env, prefix))


def cache_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".nbi", ".nbc"))


def test_four_processes_start_at_once_on_an_empty_cache(package, tmp_path):
    env = environment(package, tmp_path / "user-cache")
    results = [finish(p) for p in [start(env) for _ in range(4)]]
    in_tree = package / "fastseg" / "_kernels" / "__pycache__"
    assert all(r["module"].startswith(str(package)) for r in results)
    assert {r["folder"] for r in results} == {str(in_tree)}
    assert {r["digest"] for r in results} == {expected_digest()}
    assert cache_files(in_tree)
    # A later process finds every kernel it needs in the cache.
    warm = run(env)
    assert warm["digest"] == expected_digest()
    assert warm["misses"] == 0 and warm["hits"] > 0


def test_numba_cache_dir_is_respected(package, tmp_path):
    cache_dir = tmp_path / "numba-cache"
    result = run(environment(package, tmp_path / "user-cache", cache_dir))
    assert result["folder"] == str(cache_dir) and result["digest"] == expected_digest()
    assert cache_files(cache_dir)
    assert not cache_files(package) and not (tmp_path / "user-cache").exists()


def test_corrupt_or_stale_cache_does_not_break_import(package, tmp_path):
    cache_dir = tmp_path / "numba-cache"
    env = environment(package, tmp_path / "user-cache", cache_dir)
    run(env)
    files = cache_files(cache_dir)
    for i, path in enumerate(files):
        # Garbage in some files, others cut short.
        data = path.read_bytes()
        path.write_bytes(os.urandom(64) if i % 2 else data[: len(data) // 3])
    result = run(env)
    assert result["digest"] == expected_digest() and result["misses"] > 0
    # An edited source file makes its cached kernels stale: they are compiled again.
    source = package / "fastseg" / "_kernels" / "colors.py"
    source.write_text(source.read_text() + "# edited\n")
    result = run(env)
    assert result["digest"] == expected_digest() and result["misses"] > 0


def read_only_prefix(*folders: Path) -> list[str]:
    """A command prefix that runs the child with `folders` mounted read-only.

    Permission bits do not stop root, so as root a private mount namespace (unshare) binds the
    folders read-only; other users get the folders' write permission removed.
    """
    if os.geteuid() != 0:
        for folder in folders:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
        return []
    unshare = shutil.which("unshare")
    binds = " && ".join(
        f"mount --bind {f} {f} && mount -o remount,ro,bind {f}" for f in map(str, folders)
    )
    probe = subprocess.run([unshare or "unshare", "-rm", "sh", "-c", f"{binds} && true"],
                           capture_output=True)  # fmt: skip
    if unshare is None or probe.returncode != 0:
        pytest.skip("cannot make a read-only folder as root here: unshare -rm with mount failed")
    return [unshare, "-rm", "sh", "-c", f'{binds} && exec "$0" "$@"']


def test_read_only_package_caches_in_the_user_folder(package, tmp_path):
    user_cache = tmp_path / "user-cache"
    result = run(environment(package, user_cache), read_only_prefix(package))
    assert result["digest"] == expected_digest()
    assert result["folder"] == str(user_cache / "numba")
    assert cache_files(user_cache) and not cache_files(package)


def test_no_writable_cache_folder_compiles_without_caching(package, tmp_path):
    user_cache = tmp_path / "user-cache"
    user_cache.mkdir()
    result = run(environment(package, user_cache), read_only_prefix(package, user_cache))
    assert result["digest"] == expected_digest()
    assert result["folder"] == "None" and result["hits"] == 0
    assert not cache_files(tmp_path)


def test_results_are_the_same_bits_in_a_fresh_process(photos):
    """Same seed, same bits: in this process and in another one, on both segmentation paths."""
    code = (
        "import sys, numpy as np, skimage.data, fastseg\n"
        "image = skimage.data.chelsea()[::2, ::2]\n"
        "for method in ('distinct', 'pixels'):\n"
        "    result = fastseg.segment(image, 6, seed=11, method=method, color_space='lab')\n"
        "    sys.stdout.buffer.write(result.labels.tobytes() + result.centers.tobytes())\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=600)
    assert child.returncode == 0, child.stderr.decode()
    image = photos["chelsea"][::2, ::2]
    here = b"".join(
        r.labels.tobytes() + r.centers.tobytes()
        for r in (
            fastseg.segment(image, 6, seed=11, method=m, color_space="lab")
            for m in ("distinct", "pixels")
        )
    )
    assert child.stdout == here


def test_same_seed_same_bits_across_thread_counts_on_both_paths(photos, n_threads):
    image = photos["astronaut"]
    for method in ("distinct", "pixels"):
        results = []
        for threads in (1, 2, 1):
            n_threads(threads)
            results.append(fastseg.segment(image, 7, seed=5, method=method))
        for other in results[1:]:
            np.testing.assert_array_equal(other.labels, results[0].labels)
            np.testing.assert_array_equal(other.centers, results[0].centers)
            assert other.compactness == results[0].compactness
