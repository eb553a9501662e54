"""Choosing k: the elbow sweep K = 1..10 and the silhouette score, against the peers.

Run: python -m pytest benchmarks/test_bench_select_k.py --benchmark-only

The elbow sweep of fastseg counts the distinct colours of the 1 MP photo once and clusters them
for every K; the peers run their k-means for every K on all the pixels (same work per K: 10
center updates, 1 attempt; extra_info["quality"] is the MSE per pixel at K=10). The silhouette
is the exact score of 5000 or 20000 pixels labelled by k-means with K=8 (quality: the score).
"""

import pytest
from conftest import time_case

from fastseg import bench


@pytest.mark.parametrize("method", list(bench.ELBOW_METHODS))
def test_elbow_sweep(benchmark, method):
    repeats = 3 if bench.ELBOW_METHODS[method].is_fastseg else 1
    data = ("photo", 1, "smooth", "uint8")
    time_case(benchmark, bench.Case("elbow", method, data, (), repeats))


@pytest.mark.parametrize("method", list(bench.SILHOUETTE_METHODS))
@pytest.mark.parametrize("n_samples", [5000, 20000])
def test_silhouette(benchmark, n_samples, method):
    repeats = 5 if bench.SILHOUETTE_METHODS[method].is_fastseg else 1
    data = ("photo", 1, "smooth", "uint8")
    case = bench.Case("silhouette", method, data, (("n_samples", n_samples),), repeats)
    time_case(benchmark, case)
