"""The on-disk cache of compiled kernels: concurrent first runs, its location, and broken caches.

Each test runs fresh processes on a private copy of the package, so that the cache folders it
looks at are its own and start empty.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numba
import numpy as np
import pytest

import fastseg

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

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
    return dict(
        digest=digest, hits=int(hits), misses=int(misses), folder=folder, module=module, err=err
    )


def run(env, prefix=()) -> dict:
    return finish(start(env, prefix))


def cache_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".nbi", ".nbc"))


def user_folder(user_cache: Path) -> Path:
    return user_cache / "fastseg" / fastseg.__version__


@pytest.mark.slow
def test_four_processes_start_at_once_on_an_empty_cache(package, tmp_path):
    env = environment(package, tmp_path / "user-cache")
    results = [finish(p) for p in [start(env) for _ in range(4)]]
    folder = user_folder(tmp_path / "user-cache")
    assert all(r["module"].startswith(str(package)) for r in results)
    assert {r["folder"] for r in results} == {str(folder)}
    assert {r["digest"] for r in results} == {expected_digest()}
    assert cache_files(folder)
    # Never inside the package: a leftover __pycache__ there would outlive a reinstall.
    assert not cache_files(package) and not list(package.rglob("__pycache__"))
    # Another install of the same version, elsewhere, shares the user folder but not its files.
    other = tmp_path / "other-site"
    shutil.copytree(package, other)
    other_env = dict(env, PYTHONPATH=str(other))
    first_other = run(other_env)
    assert first_other["module"].startswith(str(other)) and first_other["misses"] > 0
    assert len([p for p in folder.iterdir() if p.is_dir()]) == 2
    # A later process of either install finds every kernel it needs in the cache.
    for later in (run(env), run(other_env)):
        assert later["digest"] == expected_digest()
        assert later["misses"] == 0 and later["hits"] > 0


def test_import_touches_no_file_and_compiles_nothing(package, tmp_path):
    user_cache = tmp_path / "user-cache"
    code = (
        "import fastseg, numba, sys\n"
        "kernels = [m for name, m in sys.modules.items() if name.startswith('fastseg')]\n"
        "compiled = [k for m in kernels for k in vars(m).values()\n"
        "            if isinstance(k, numba.core.registry.CPUDispatcher) and k.signatures]\n"
        "print(len(compiled))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], env=environment(package, user_cache), cwd=tmp_path,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["0"]
    assert not user_cache.exists() and not list(package.rglob("__pycache__"))


@pytest.mark.slow
def test_numba_cache_dir_is_respected(package, tmp_path):
    cache_dir = tmp_path / "numba-cache"
    result = run(environment(package, tmp_path / "user-cache", cache_dir))
    assert result["folder"] == str(cache_dir) and result["digest"] == expected_digest()
    assert cache_files(cache_dir)
    assert not cache_files(package) and not (tmp_path / "user-cache").exists()


@pytest.mark.slow
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


@pytest.mark.slow
def test_read_only_package_caches_in_the_user_folder(package, tmp_path):
    user_cache = tmp_path / "user-cache"
    result = run(environment(package, user_cache), read_only_prefix(package))
    assert result["digest"] == expected_digest()
    assert result["folder"] == str(user_folder(user_cache))
    assert cache_files(user_cache) and not cache_files(package)


@pytest.mark.slow
def test_no_writable_cache_folder_compiles_without_caching(package, tmp_path):
    user_cache = tmp_path / "user-cache"
    user_cache.mkdir()
    result = run(environment(package, user_cache), read_only_prefix(package, user_cache))
    assert result["digest"] == expected_digest()
    assert result["folder"] == "None" and result["hits"] == 0
    assert not cache_files(tmp_path)
    # One warning says so, however many kernels compile.
    assert result["err"].count("CacheWarning") == 1, result["err"]
    assert "NUMBA_CACHE_DIR" in result["err"]


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


#: Calls of every entry point, and `digest`, a hash of what a call returns.
ENTRY_CALLS = """
import hashlib
import dask, dask.array as da, numpy as np
import fastseg, fastseg.dask, fastseg.skimage
from fastseg import opencv


def digest(result) -> str:
    found = hashlib.sha256()

    def add(value):
        if isinstance(value, (tuple, list)):
            for item in value:
                add(item)
        elif hasattr(value, "compute"):
            add(value.compute())
        elif isinstance(value, np.ndarray):
            found.update(value.dtype.str.encode() + repr(value.shape).encode() + value.tobytes())
        elif hasattr(value, "__dict__"):
            for name, item in sorted(vars(value).items()):
                found.update(name.encode())
                add(item)
        else:
            found.update(repr(value).encode())

    add(result)
    return found.hexdigest()


image = fastseg.sample_image()
gray = np.ascontiguousarray(image[:, :, 1])
pixels = image.reshape(-1, 3)
labels = (pixels[:, 0] > 127).astype(np.int64)
lazy = da.from_array(image, chunks=(256, 256, 3))
dask.config.set(scheduler="threads")
calls = {
    "segment": lambda: fastseg.segment(image, 4, seed=0),
    "segment lab": lambda: fastseg.segment(image, 6, seed=0, color_space="lab"),
    "segment pixels": lambda: fastseg.segment(image, 4, seed=0, method="pixels"),
    "segment gray": lambda: fastseg.segment(gray, 3, seed=0),
    "canny": lambda: fastseg.canny(gray, 100, 200),
    "canny rgb l2": lambda: fastseg.canny(image, 100, 200, l2_gradient=True),
    "auto_canny": lambda: fastseg.auto_canny(gray),
    "canny 16-bit": lambda: fastseg.canny(gray.astype(np.uint16) * 257, 25700, 51400),
    "canny float32 rgb": lambda: fastseg.canny(image / np.float32(255), 0.4, 0.8),
    "kmeans uint8": lambda: fastseg.kmeans(pixels, 4, seed=0),
    "kmeans float32": lambda: fastseg.kmeans(pixels.astype(np.float32), 4, seed=0),
    "kmeans float64": lambda: fastseg.kmeans(pixels / 255.0, 4, seed=0),
    "kmeans uint16": lambda: fastseg.kmeans(pixels.astype(np.uint16) * 257, 4, seed=0),
    "opencv.kmeans": lambda: opencv.kmeans(
        pixels.astype(np.float32), 4, None, (3, 10, 1.0), 1, 2
    ),
    "elbow": lambda: fastseg.elbow(image, seed=0),
    "choose_k": lambda: fastseg.choose_k(image, seed=0),
    "choose_k silhouette": lambda: fastseg.choose_k(image, method="silhouette", seed=0),
    "silhouette_score": lambda: fastseg.silhouette_score(
        pixels, labels, sample_size=3000, seed=0
    ),
    "silhouette_score embeddings": lambda: fastseg.silhouette_score(
        np.repeat(pixels[:2500].astype(np.float32), 20, axis=1), labels[:2500]
    ),
    "dask.segment": lambda: fastseg.dask.segment(lazy, 4, seed=0).labels.compute(),
    "dask.canny": lambda: fastseg.dask.canny(lazy, 100, 200).compute(),
    "skimage.canny": lambda: fastseg.skimage.canny(gray.astype(np.uint16) * 257, 2.0),
    "skimage.canny float mask": lambda: fastseg.skimage.canny(
        gray / 255.0, 1.0, mask=gray > 50, use_quantiles=True
    ),
    "slic": lambda: fastseg.slic(image, 300),
    "slic gray zero": lambda: fastseg.slic(gray, 200, slic_zero=True, channel_axis=None),
    "slic float32 sigma": lambda: fastseg.slic(image / np.float32(255), 150, sigma=1.0),
    "slic uint16 mask": lambda: fastseg.slic(image.astype(np.uint16) * 257, 90, mask=gray > 40),
    "dask.skimage_canny": lambda: fastseg.dask.skimage_canny(
        da.from_array(gray, chunks=(200, 300)), 1.5
    ).compute(),
}
"""

FIRST_CALLS = (
    ENTRY_CALLS
    + """
from numba.core import event

compiled = []


class Compiled(event.Listener):
    def on_start(self, ev):
        pass

    def on_end(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__qualname__)


event.register("numba:compile", Compiled())
for name, call in calls.items():
    before = len(compiled)
    result = call()
    print(f"{name}\t{' '.join(sorted(set(compiled[before:]))) or '-'}\t{digest(result)}")
"""
)


@pytest.mark.slow
def test_after_warmup_no_first_call_compiles_and_results_hold(tmp_path):
    """`fastseg warmup` (the command, which calls warmup()) in one process; then no first call
    of an entry point in another compiles, and each gives the result it gives here."""
    pytest.importorskip("dask")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")
    warm = subprocess.run(
        [sys.executable, "-m", "fastseg", "warmup", "--processes", "2"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    assert warm.returncode == 0, warm.stderr
    assert "compiling kernels" in warm.stderr  # the progress bar
    assert re.search(r"^warmup: \d+\.\d s; compiling took \d+\.\d s in 2 processes", warm.stdout)
    assert cache_files(tmp_path / "cache")
    refused = subprocess.run(
        [sys.executable, "-m", "fastseg", "warmup", "--processes", "0"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert refused.returncode == 2 and "--processes must be at least 1" in refused.stderr
    first = subprocess.run(
        [sys.executable, "-c", FIRST_CALLS],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    rows = [line.split("\t") for line in first.stdout.strip().splitlines()]
    here = {}
    exec(ENTRY_CALLS, here)
    assert [row[0] for row in rows] == list(here["calls"])
    compiled = [f"{name}: {kernels}" for name, kernels, _ in rows if kernels != "-"]
    assert not compiled, "compiled after warmup():\n" + "\n".join(compiled)
    # Kernels loaded from the cache (without the set-up only compiling needs) give the bits of
    # kernels compiled in this process.
    for name, _, loaded_digest in rows:
        assert loaded_digest == here["digest"](here["calls"][name]()), name


def test_bounds_checked_kernels_have_their_own_cache_entries(monkeypatch):
    """Numba's cache key ignores NUMBA_BOUNDSCHECK; fastseg's must not mix the two builds."""
    from numba.core import registry

    from fastseg._config import _TolerantCache
    from fastseg._kernels import lloyd

    cache = _TolerantCache(lloyd.half_squared_norms.py_func)
    codegen = registry.cpu_target.target_context.codegen()
    signature = "(float64[:, ::1], float64[::1])"
    keys = []
    for setting in (0, 1, 0):
        monkeypatch.setattr(numba.config, "BOUNDSCHECK", setting)
        keys.append(cache._index_key(signature, codegen))
    assert keys[0] != keys[1] and keys[0] == keys[2]


def test_saves_of_one_kernel_take_turns(monkeypatch):
    """Numba names a new entry's data file after the index it read: two saves of one kernel at
    once (processes compiling different signatures of it) must not interleave, or both would
    write the same file and one index entry would load the other's machine code."""
    from numba.core.caching import FunctionCache

    from fastseg._config import _TolerantCache
    from fastseg._kernels import lloyd

    cache = _TolerantCache(lloyd.half_squared_norms.py_func)
    inside, overlapped = [], []

    def slow_save(self, sig, data):
        overlapped.extend(inside)
        inside.append(sig)
        time.sleep(0.1)
        inside.remove(sig)

    monkeypatch.setattr(FunctionCache, "save_overload", slow_save)
    threads = [threading.Thread(target=cache.save_overload, args=(s, None)) for s in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not inside and not overlapped


def test_a_save_waits_for_another_process_holding_the_kernels_lock(monkeypatch):
    from numba.core.caching import FunctionCache

    from fastseg._config import _TolerantCache
    from fastseg._kernels import lloyd

    cache = _TolerantCache(lloyd.half_squared_norms.py_func)
    lock = cache._cache_file._index_path + ".lock"
    holder = (
        "import time\nfrom fastseg._config import _exclusive\n"
        f"with _exclusive({lock!r}):\n"
        "    print('locked', flush=True)\n    time.sleep(1.0)\n    print(time.time(), flush=True)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        started = []
        monkeypatch.setattr(
            FunctionCache, "save_overload", lambda self, sig, data: started.append(time.time())
        )
        cache.save_overload("a", None)
        released = float(child.stdout.readline())
    finally:
        child.communicate(timeout=60)
    assert started and started[0] >= released


def test_compile_timer_counts_outermost_compilations():
    from fastseg._config import compile_timer

    @numba.njit
    def inner(x):
        return x + 1

    @numba.njit
    def outer(x):
        return inner(x) * 2

    with compile_timer() as compiling:
        assert outer(1) == 4
        assert outer(2) == 6  # compiled already
    assert compiling.kernels == 1 and compiling.seconds > 0
    with compile_timer() as compiling:
        outer(3)
    assert compiling.kernels == 0 and compiling.seconds == 0


def test_a_kernel_compiled_at_a_lower_level_leaves_the_process_level_alone():
    """kernel(opt=1) lowers LLVM's level for its own compilation only, not for user code."""
    from numba.core import event
    from numba.core.caching import NullCache

    from fastseg._config import kernel

    levels = []

    class Listener(event.Listener):
        def on_start(self, ev):
            levels.append(int(numba.config.OPT))

        def on_end(self, ev):
            pass

    def double(x):
        return 2 * x

    def increment(x):
        return x + 1

    quick = kernel(double, opt=1)
    quick._cache = NullCache()  # compiled here, even when an earlier run cached it
    process_level = numba.config.OPT
    with event.install_listener("numba:compile", Listener()):
        assert quick(3) == 6
        assert numba.njit(increment)(1) == 2
    assert levels == [min(1, int(process_level)), int(process_level)]
    assert numba.config.OPT is process_level


def test_a_failed_warmup_step_raises_with_its_output(monkeypatch):
    from fastseg import _warmup

    monkeypatch.setattr(_warmup, "_CHILD", "import sys; print('broken step'); sys.exit(3)")
    with pytest.raises(RuntimeError, match=r"(?s)failed \(exit status 3\).*broken step"):
        fastseg.warmup(processes=2)
    with pytest.raises(ValueError, match="`processes`"):
        fastseg.warmup(processes=0)
    with pytest.raises(TypeError, match="`processes`"):
        fastseg.warmup(processes=1.5)
