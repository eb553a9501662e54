"""k-means++ at large k: fastseg against cv2.kmeans, one update, on the same float32 points.

Both seed with k-means++ and make one center update (fastseg ``criteria=(1, 1, 0)``, cv2
``TERM_CRITERIA_MAX_ITER`` 1), so the time is mostly the seeding. Prints a Markdown table row per
k: the best of 3 calls each, their ratio, and the compactness per point of each.

Usage::

    python benchmarks/seeding_large_k.py
"""

import time

import cv2
import numpy as np

import fastseg


def best_of(call, repeats: int = 3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    points = np.random.default_rng(0).random((20000, 3)).astype(np.float32) * 255
    fastseg.kmeans(points, 8, seed=0, criteria=(1, 1, 0))  # compile or load the kernels
    once = (cv2.TERM_CRITERIA_MAX_ITER, 1, 0)
    print("| k | fastseg | cv2.kmeans | ratio | compactness/n fastseg / cv2 |")
    print("|---|---|---|---|---|")
    for k in (8, 200, 2000, 5000):
        ours, result = best_of(lambda k=k: fastseg.kmeans(points, k, seed=0, criteria=(1, 1, 0)))
        theirs, (compactness, _, _) = best_of(
            lambda k=k: cv2.kmeans(points, k, None, once, 1, cv2.KMEANS_PP_CENTERS)
        )
        per_point = f"{result.compactness / len(points):.1f} / {compactness / len(points):.1f}"
        print(f"| {k} | {ours:.3f} s | {theirs:.3f} s | {ours / theirs:.2f} | {per_point} |")


if __name__ == "__main__":
    main()
