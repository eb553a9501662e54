"""The work of :func:`fastseg.warmup`: calls that compile every kernel of the public API for common
inputs, in groups (steps) that child processes can compile at the same time.

Compiling is single-threaded (Numba holds one lock per process), so on a machine with several
CPUs the steps run in that many fresh processes, each filling the shared disk cache; the calling
process then loads what it needs from the cache on its first call.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: At most this many processes compile at once by default (each holds a compiler's memory,
#: a few hundred MB).
MAX_PROCESSES = 4


def _inputs() -> dict:
    """Inputs with the types and layouts of real ones, and more samples than the seeding reads,
    so that its subsampling path compiles too: 65536 distinct colours (an odd multiplier is a
    bijection modulo 2**24)."""
    codes = np.arange(1 << 16, dtype=np.int64) * 40503 % (1 << 24)
    image = np.dstack([codes >> 16, codes >> 8 & 255, codes & 255]).astype(np.uint8)
    image = image.reshape(256, 256, 3)
    gray = np.ascontiguousarray(image[:, :, 0])
    points = image.reshape(-1, 3).astype(np.float64)
    return {
        "image": image,
        "gray": gray,
        "rgba": np.dstack([image, gray]),
        "points": points,
        "many": np.repeat(points, 7, axis=1),  # more features than the direct pass takes
        "labels": np.arange(len(points)) % 3,
    }


def _segments(image, gray, rgba, **_):
    from . import segment

    for picture in (image, gray, rgba):
        for method in ("distinct", "pixels"):
            for color_space in ("rgb", "hsv", "lab") if picture.ndim == 3 else ("rgb",):
                segment(picture, 4, seed=0, method=method, color_space=color_space)


def _kmeans(points, many, **_):
    from . import kmeans, opencv

    for dtype in (np.uint8, np.uint16, np.float32, np.float64):
        for data in (points, many):
            samples = data.astype(dtype)
            kmeans(samples, 4, seed=0)
            kmeans(samples, 4, seed=0, init="random", sample_weight=np.ones(len(samples)))
            opencv.kmeans(samples.astype(np.float32), 4, None, (3, 10, 1.0), 1, 2)


def _canny_8_bit(image, gray, rgba, **_):
    from . import auto_canny, canny, opencv

    for picture in (gray, image, rgba):
        for aperture_size in (3, 5, 7):  # each variant of the band kernel: every norm
            for l2_gradient in (False, True):
                canny(picture, 50, 150, aperture_size=aperture_size, l2_gradient=l2_gradient)
        auto_canny(picture)
    dx = gray.astype(np.int16) - 128  # as cv2.Sobel gives them
    colour_dx = image.astype(np.int16) - 128
    for l2_gradient in (False, True):
        opencv.Canny(dx, np.ascontiguousarray(dx[::-1]), 50, 150, L2gradient=l2_gradient)
        opencv.Canny(colour_dx, colour_dx[::-1].copy(), 50, 150, L2gradient=l2_gradient)


def _canny_deeper(dtype):
    """The step of Canny on 16-bit or float images, grey and colour: each depth compiles its
    own versions of the band kernel's variants."""

    def step(image, gray, **_):
        from . import canny

        for picture in (gray, image):
            if dtype == np.uint16:
                pixels, unit = picture.astype(np.uint16) * 257, 257.0
            else:
                pixels, unit = picture.astype(dtype) / dtype(255), 1 / 255
            for aperture_size in (3, 5):  # 7 is 5's variant
                for l2_gradient in (False, True):
                    canny(pixels, 50 * unit, 150 * unit, aperture_size=aperture_size,
                          l2_gradient=l2_gradient)  # fmt: skip

    return step


def _skimage_canny(gray, **_):
    from . import skimage

    skimage.canny(gray.astype(np.uint16) * 257, 1.0)  # one kernel for every dtype


def _choosing_k(image, points, labels, **_):
    from . import choose_k, elbow, silhouette_score

    elbow(image, range(1, 5), seed=0)
    choose_k(image, range(2, 5), method="silhouette", seed=0)
    for dtype in (np.uint8, np.uint16, np.float32, np.float64):
        silhouette_score(points.astype(dtype), labels, sample_size=500, seed=0)
    wide = np.repeat(points[:600], 11, axis=1)  # distances through matrix products
    silhouette_score(wide, labels[:600])


def _superpixels(image, **_):
    from . import mark_boundaries, slic

    # Each working float type and source: 8- and 16-bit levels, float32 and float64 pixels,
    # gray and colour, smoothed; SLIC-zero and a mask in the float64 kernels.
    small = np.ascontiguousarray(image[:64, :96])
    mask = np.ones(small.shape[:2], dtype=bool)
    mask[:8] = False
    for picture in (small, small.astype(np.uint16) * 257, small / np.float32(255)):
        slic(picture, 6, sigma=0.5)
        slic(picture[:, :, 0], 6, channel_axis=None)
    slic(small / 255.0, 6, slic_zero=True, sigma=1.0, mask=mask)
    mark_boundaries(small, slic(small, 6, slic_zero=True, sigma=1.0, mask=mask))


def _chunked(image, gray, **_):
    if importlib.util.find_spec("dask") is None:
        return
    import dask
    import dask.array as da

    from . import dask as fastseg_dask

    with dask.config.set(scheduler="synchronous"):
        for picture in (image, gray):
            chunks = (128, 128, 3) if picture.ndim == 3 else (128, 128)
            lazy = da.from_array(picture, chunks=chunks)
            for method in ("distinct", "pixels"):
                fastseg_dask.segment(lazy, 4, seed=0, method=method).labels.compute()
            fastseg_dask.canny(lazy, 50, 150).compute()
        fastseg_dask.skimage_canny(da.from_array(gray, chunks=128), 1.0).compute()


#: The steps by name, the longest first (so that processes finish together).
STEPS = {
    "Canny, 8-bit": _canny_8_bit,
    "Canny, 16-bit": _canny_deeper(np.uint16),
    "Canny, float32": _canny_deeper(np.float32),
    "Canny, float64": _canny_deeper(np.float64),
    "SLIC": _superpixels,
    "k-means": _kmeans,
    "segment": _segments,
    "Canny, scikit-image rules": _skimage_canny,
    "choosing K": _choosing_k,
    "Dask": _chunked,
}


def run_step(name: str) -> float:
    """Run the step `name` in this process; the seconds spent compiling."""
    from ._config import compile_timer

    with compile_timer() as compiling:
        STEPS[name](**_inputs())
    return compiling.seconds


def default_processes() -> int:
    """The CPUs this process may run on, at most :data:`MAX_PROCESSES`."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(available or 1, MAX_PROCESSES))


def effective_processes(processes: int | None) -> int:
    """How many processes :func:`warmup` compiles in for the argument `processes`: 1 where the
    kernels cannot be shared through a disk cache (no writable folder, a frozen application),
    else at most one per step."""
    from ._config import cache_folder
    from ._validate import check_int

    n = default_processes() if processes is None else check_int(processes, "processes", 1)
    if cache_folder() is None or getattr(sys, "frozen", False):
        return 1
    return min(n, len(STEPS))


def warmup(progress: bool, processes: int | None) -> float:
    """See :func:`fastseg.warmup`."""
    from tqdm import tqdm

    n_processes = effective_processes(processes)
    bar = tqdm(total=len(STEPS), desc="compiling kernels", unit="step", disable=not progress)
    try:
        if n_processes == 1:
            seconds = 0.0
            for name in STEPS:
                seconds += run_step(name)
                bar.update()
            return seconds
        return _run_in_processes(n_processes, bar)
    finally:
        bar.close()


#: What a child process runs: this fastseg (its folder first on the path), then the step named
#: last, writing the seconds it spent compiling to the file named second.
_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
    "from fastseg._warmup import run_step; "
    "Path(sys.argv[2]).write_text(repr(run_step(sys.argv[3])))"
)


def _child_environment() -> dict:
    """This process's environment with the settings that decide where and which kernels are
    cached (see :class:`fastseg._config._TolerantCache`) as this process has them, also when
    they were set in code."""
    import numba

    from ._config import cache_folder

    environment = dict(os.environ)
    environment["NUMBA_CACHE_DIR"] = cache_folder()
    environment["NUMBA_BOUNDSCHECK"] = "1" if numba.config.BOUNDSCHECK else "0"
    environment["NUMBA_OPT"] = str(int(numba.config.OPT))
    return environment


def _run_in_processes(n_processes: int, bar) -> float:
    """Run each step in a fresh process, `n_processes` at a time; the seconds they spent
    compiling, added up. A failed step raises RuntimeError (its first line says which, with the
    last line of the step's output; the end of that output follows); on any exception (an
    interrupt too) the running children are killed."""
    environment = _child_environment()
    package_parent = str(Path(__file__).resolve().parent.parent)
    waiting = list(enumerate(STEPS))
    running = {}  # name -> (process, its output, where its files are)
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="fastseg-warmup-") as folder:
        try:
            while waiting or running:
                while waiting and len(running) < n_processes:
                    number, name = waiting.pop(0)
                    stem = Path(folder) / f"step-{number}"
                    output = open(f"{stem}.log", "w+b")  # noqa: SIM115 (closed when it ends)
                    try:
                        # In the temporary folder: a fastseg folder in the current one would
                        # come first on the child's path.
                        process = subprocess.Popen(
                            [sys.executable, "-c", _CHILD, package_parent, f"{stem}.result", name],
                            env=environment, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                        )  # fmt: skip
                    except BaseException:
                        output.close()
                        raise
                    running[name] = (process, output, stem)
                for name, (process, output, stem) in list(running.items()):
                    if process.poll() is None:
                        continue
                    del running[name]
                    output.seek(0)
                    text = output.read().decode("utf-8", errors="replace")
                    output.close()
                    result = Path(f"{stem}.result")
                    if process.returncode != 0 or not result.exists():
                        last = next((line for line in reversed(text.splitlines()) if line), "")
                        raise RuntimeError(
                            f"warmup step {name!r} failed (exit status {process.returncode}): "
                            f"{last}\n{text[-4000:]}"
                        )
                    seconds += float(result.read_text())
                    bar.update()
                time.sleep(0.05)
        finally:
            for process, _, _ in running.values():
                process.kill()
            for process, output, _ in running.values():
                process.wait()
                output.close()
    return seconds
