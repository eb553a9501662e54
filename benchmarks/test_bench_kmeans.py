"""k-means throughput: fastseg against cv2.kmeans and scikit-learn on the same arrays.

Run: python -m pytest benchmarks/test_bench_kmeans.py --benchmark-only
Each case records the MSE per sample (compactness / n) beside its time, in extra_info.
Per-pixel path (no colour compression), K=8, 10 iterations, 1 attempt, k-means++ seeding.
"""

import numpy as np
import pytest
from peers import (
    KMEANS_PEERS,
    fastseg_sklearn_criteria,
    sklearn_kmeans,
)

import fastseg

K, MAX_ITER, ATTEMPTS = 8, 10, 1


def run(benchmark, function, samples, k, rounds):
    _, _, compactness = benchmark.pedantic(
        function, args=(samples, k, MAX_ITER, ATTEMPTS, 0), rounds=rounds, iterations=1,
        warmup_rounds=0,
    )  # fmt: skip
    benchmark.extra_info["mse"] = float(compactness) / len(samples)
    benchmark.extra_info["n"] = len(samples)


@pytest.fixture(scope="module", autouse=True)
def compiled():
    fastseg.warmup()


@pytest.mark.parametrize("megapixels", [1, 4, 12])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("peer", sorted(KMEANS_PEERS))
@pytest.mark.parametrize("who", ["fastseg", "peer"])
def test_photo_pixels(benchmark, photo_at, megapixels, dtype, peer, who):
    benchmark.group = f"kmeans {megapixels} MP {dtype} vs {peer}"
    pixels = photo_at(megapixels).reshape(-1, 3).astype(dtype)
    peer_function, fastseg_function = KMEANS_PEERS[peer]
    function = fastseg_function if who == "fastseg" else peer_function
    slow = who == "peer" and megapixels == 12
    run(benchmark, function, pixels, K, rounds=1 if slow else 3)


@pytest.mark.parametrize("d", [64, 256])
@pytest.mark.parametrize("who", ["fastseg", "sklearn.KMeans"])
def test_feature_vectors(benchmark, d, who):
    benchmark.group = f"kmeans features n=100000 d={d} K=32"
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(32, d)).astype(np.float32) * 3
    samples = centers[rng.integers(0, 32, 100_000)] + rng.normal(size=(100_000, d)).astype(
        np.float32
    )
    function = fastseg_sklearn_criteria if who == "fastseg" else sklearn_kmeans
    run(benchmark, function, samples, 32, rounds=3)
