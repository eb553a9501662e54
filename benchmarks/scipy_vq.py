"""fastseg.scipy against scipy.cluster.vq: vq and kmeans2 on the same data and code book.

Two inputs: the 1 MP benchmark photo's pixels as float64 (about 1M x 3), k = 8, and 200k Gaussian
blobs of 64 float32 features, k = 32. ``vq`` and ``kmeans2(minit='matrix', iter=10)`` of each
library start from the same code book (k distinct rows drawn with a fixed seed). Each call is
timed as the best of 3 after a warm-up call (which also compiles fastseg's kernels). The quality
column is the mean distortion of the result (the mean Euclidean distance of the observations to
their nearest code, measured in float64 by one function for both), so that the two are seen to do
the same work.

Usage::

    python benchmarks/scipy_vq.py                    # BLAS threads as NumPy starts them
    python benchmarks/scipy_vq.py --blas-threads 1   # with threadpoolctl's limit on BLAS threads
"""

from __future__ import annotations

import argparse
import contextlib

import numpy as np
import scipy.cluster.vq as scipy_vq

import fastseg.scipy as fastseg_vq
from fastseg.bench import data as bench_data
from fastseg.bench import machine_description, thread_pools, time_calls

REPEATS = 3
KMEANS2_ITERATIONS = 10


def inputs():
    """(label, data, k) of each case."""
    pixels = bench_data.photo(1).reshape(-1, 3).astype(np.float64)
    blobs = bench_data.blobs(64, 200_000)
    return [
        (f"pixels {pixels.shape[0]:,}x3 float64", pixels, 8),
        (f"blobs {blobs.shape[0]:,}x64 float32", blobs, 32),
    ]


def first_code_book(data: np.ndarray, k: int) -> np.ndarray:
    """k distinct rows of `data`, drawn with a fixed seed."""
    chosen = np.random.default_rng(0).choice(data.shape[0], size=k, replace=False)
    return data[chosen].copy()


def mean_distortion(data: np.ndarray, centroids: np.ndarray) -> float:
    """Mean Euclidean distance of the observations to their nearest centroid, in float64."""
    return float(np.mean(scipy_vq.vq(data.astype(np.float64), centroids.astype(np.float64))[1]))


def blas_limit(threads: int | None):
    """threadpoolctl's limit on BLAS threads, or nothing."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def run() -> list[tuple]:
    rows = []
    for label, data, k in inputs():
        code_book = first_code_book(data, k)
        calls = {
            "vq": lambda module, data=data, code_book=code_book: module.vq(data, code_book),
            f"kmeans2 matrix iter={KMEANS2_ITERATIONS}": (
                lambda module, data=data, code_book=code_book: module.kmeans2(
                    data, code_book, iter=KMEANS2_ITERATIONS, minit="matrix"
                )
            ),
        }
        for name, call in calls.items():
            seconds, distortion = {}, {}
            for library, module in (("scipy", scipy_vq), ("fastseg", fastseg_vq)):
                call(module)  # warm-up (and compilation)
                times, result = time_calls(lambda call=call, module=module: call(module), REPEATS)
                seconds[library] = min(times)
                if name == "vq":  # the distances it returns
                    distortion[library] = float(np.mean(result[1], dtype=np.float64))
                else:
                    distortion[library] = mean_distortion(data, result[0])
            rows.append((label, k, name, seconds, distortion))
    return rows


def format_table(rows) -> str:
    lines = [
        "| data | k | call | SciPy | fastseg | SciPy / fastseg | distortion SciPy | "
        "distortion fastseg |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for label, k, name, seconds, distortion in rows:
        lines.append(
            f"| {label} | {k} | {name} | {seconds['scipy'] * 1e3:.1f} ms | "
            f"{seconds['fastseg'] * 1e3:.1f} ms | {seconds['scipy'] / seconds['fastseg']:.2f}x | "
            f"{distortion['scipy']:.6f} | {distortion['fastseg']:.6f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--blas-threads", type=int, default=None, help="limit BLAS threads (needs threadpoolctl)"
    )
    arguments = parser.parse_args()
    with blas_limit(arguments.blas_threads):
        print(machine_description())
        for line in thread_pools():
            print(f"- {line}")
        print(f"\nBest of {REPEATS} runs after a warm-up call.\n")
        print(format_table(run()))


if __name__ == "__main__":
    main()
