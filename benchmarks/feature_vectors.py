"""k-means on feature vectors: fastseg against cv2.kmeans, faiss and scikit-learn in one process.

Three sizes of data, from tabular to embeddings: float32 Gaussian blobs
(``fastseg.bench.blobs``), 10 center updates, 1 attempt, the same seed; k-means++ where the peer
has it (fastseg, cv2, scikit-learn), random seeding for faiss (compared with fastseg seeded at
random rows), faiss on every point.
Each call is timed as the best of 3 after a warm-up call (which also compiles fastseg's
kernels); the MSE per sample is printed beside the time, so that speed is never bought with
quality. The environment (BLAS and OpenMP libraries and their threads) is printed first.

Usage::

    python benchmarks/feature_vectors.py             # fastseg, cv2 and faiss (when installed)
    python benchmarks/feature_vectors.py --sklearn   # scikit-learn too (slow)
    python benchmarks/feature_vectors.py --seeding   # also fastseg's k-means++ seeding alone
    python benchmarks/feature_vectors.py --silhouette  # then the silhouette score of embeddings

The silhouette table scores 20 000 blobs of 1280 features (32 clusters, their true labels)
with ``sample_size=2000``, as ``silhouette_score`` of fastseg and of scikit-learn do it: each
draws its 2000 samples (with its own generator) and scores them exactly. Best of 5.
"""

from __future__ import annotations

import argparse

import numpy as np

from fastseg import bench
from fastseg.bench import data as bench_data
from fastseg.bench import peers
from fastseg.clustering import seed_kmeans_pp
from fastseg.passes import MemoryPasses

#: (n, d, k) of each case.
CASES = [(100_000, 64, 32), (20_000, 1280, 32), (200_000, 128, 256)]
REPEATS = 3
UPDATES = 10
#: (n, d, sample_size) of the silhouette table.
SILHOUETTE_CASE = (20_000, 1280, 2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sklearn", action="store_true", help="also time scikit-learn")
    parser.add_argument("--seeding", action="store_true", help="also time the seeding alone")
    parser.add_argument(
        "--silhouette", action="store_true", help="also time the silhouette score (needs sklearn)"
    )
    args = parser.parse_args()
    methods = ["fastseg", "cv2.kmeans", "fastseg random init", "faiss.Kmeans all points"]
    if args.sklearn:
        methods.append("sklearn.KMeans")
    methods = [m for m in methods if peers.importable(peers.KMEANS_METHODS[m].requires)]
    print(bench.machine_description())
    for line in bench.thread_pools():
        print(f"- {line}")
    print()
    seeding = ["fastseg seeding"] if args.seeding else []
    print("| n, d, k | " + " | ".join(methods + seeding) + " |")
    print("|---|" + "---:|" * len(methods + seeding))
    for n, d, k in CASES:
        samples = bench_data.blobs(d, n)
        cells = []
        for name in methods:
            function = peers.KMEANS_METHODS[name].function
            function(samples, k, UPDATES, 1, 0)  # warm-up
            times, (_, _, compactness) = bench.time_calls(
                lambda f=function, x=samples, k=k: f(x, k, UPDATES, 1, 0), REPEATS
            )
            cells.append(f"{min(times) * 1e3:.0f} ms (MSE {compactness / n:.4f})")
        if args.seeding:  # k-means++ over the rows it draws from, as fastseg.kmeans seeds
            source = MemoryPasses(samples, None, k)
            times, _ = bench.time_calls(
                lambda source=source: seed_kmeans_pp(source, np.random.default_rng(0)), REPEATS
            )
            cells.append(f"{min(times) * 1e3:.0f} ms")
        print(f"| {n:,}, {d}, {k} | " + " | ".join(cells) + " |", flush=True)
    if args.silhouette:
        silhouette_table()


def silhouette_table() -> None:
    """fastseg's and scikit-learn's silhouette_score on embeddings, with a sample_size."""
    from sklearn.metrics import silhouette_score as sklearn_silhouette

    import fastseg

    n, d, size = SILHOUETTE_CASE
    samples, labels = bench_data.labelled_blobs(d, n)
    calls = {
        "fastseg.silhouette_score": lambda: fastseg.silhouette_score(
            samples, labels, sample_size=size, seed=0
        ),
        "sklearn.metrics.silhouette_score": lambda: sklearn_silhouette(
            samples, labels, sample_size=size, random_state=0
        ),
    }
    print(f"\n| silhouette of {n:,} x {d}, sample_size={size} | best | median | score |")
    print("|---|---:|---:|---:|")
    for name, call in calls.items():
        call()  # warm-up
        times, score = bench.time_calls(call, 5)
        print(
            f"| {name} | {min(times) * 1e3:.0f} ms | {np.median(times) * 1e3:.0f} ms "
            f"| {score:.5f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
