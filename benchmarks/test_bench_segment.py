"""Colour segmentation on the distinct-colour path (fastseg.segment) and the peers.

Run: python -m pytest benchmarks/test_bench_segment.py --benchmark-only [--large]

fastseg.segment clusters the distinct colours of the 8-bit photo weighted by their pixel counts:
the same objective as every pixel, with the same work (K, 10 center updates, 1 attempt,
k-means++) as the per-pixel cases of test_bench_kmeans.py, which share its benchmark groups on
the smooth photo. The noisy photo (Gaussian noise, sigma 12, fixed seed) has several times more
distinct colours; its groups time the per-pixel fastseg and cv2.kmeans here.
extra_info["quality"] is the MSE per pixel.
"""

import pytest
from conftest import SIZES, time_case

from fastseg import bench


@pytest.mark.parametrize("k", [3, 8, 16])
@pytest.mark.parametrize("photo", ["smooth", "noisy"])
@pytest.mark.parametrize("megapixels", SIZES)
def test_distinct_colours(benchmark, megapixels, photo, k):
    repeats = bench.repeats_for(bench.KMEANS_METHODS["fastseg.segment"], megapixels, 5)
    data = ("photo", megapixels, photo, "uint8")
    time_case(benchmark, bench.Case("kmeans", "fastseg.segment", data, (("k", k),), repeats))


@pytest.mark.parametrize("method", ["fastseg", "cv2.kmeans"])
@pytest.mark.parametrize("megapixels", SIZES)
def test_noisy_photo_pixels(benchmark, megapixels, method):
    repeats = bench.repeats_for(bench.KMEANS_METHODS[method], megapixels, 5)
    data = ("photo", megapixels, "noisy", "uint8")
    time_case(benchmark, bench.Case("kmeans", method, data, (("k", 8),), repeats))
