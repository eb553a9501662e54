"""k-means on the per-pixel path and on feature vectors: fastseg against its peers.

Run: python -m pytest benchmarks/test_bench_kmeans.py --benchmark-only [--large]

Same work for everyone: K, 10 center updates, 1 attempt, k-means++ seeding (faiss: random
seeding, against fastseg seeded at random rows; "faiss.Kmeans" trains on at most 256 samples per
centroid, "faiss.Kmeans all points" on every sample). extra_info["quality"] is the MSE per sample.
The photo is the astronaut resized (bilinear); cv2.kmeans converts uint8 to float32 as a cv2
user must; the slow peers (scikit-learn, faiss without sampling) are not run at 48 MP.
"""

import pytest
from conftest import SIZES, time_case

from fastseg import bench

PER_PIXEL = [name for name, method in bench.KMEANS_METHODS.items() if not method.takes_image]


@pytest.mark.parametrize("method", PER_PIXEL)
@pytest.mark.parametrize("k", [3, 8, 16])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("megapixels", SIZES)
def test_photo_pixels(benchmark, megapixels, dtype, k, method):
    if megapixels == 48 and method not in bench.LARGE_KMEANS:
        pytest.skip("slow peer: tens of seconds per call at 48 MP")
    repeats = bench.repeats_for(bench.KMEANS_METHODS[method], megapixels, 5)
    data = ("photo", megapixels, "smooth", dtype)
    time_case(benchmark, bench.Case("kmeans", method, data, (("k", k),), repeats))


@pytest.mark.parametrize("method", PER_PIXEL)
@pytest.mark.parametrize(
    "data, k",
    [(("colour_xy", 1), 8), (("blobs", 64, 100_000), 32), (("blobs", 256, 100_000), 32)],
    ids=["d=5 colour+xy 1 MP", "d=64 n=100000", "d=256 n=100000"],
)
def test_feature_vectors(benchmark, data, k, method):
    repeats = bench.repeats_for(bench.KMEANS_METHODS[method], 1, 3)
    time_case(benchmark, bench.Case("kmeans", method, data, (("k", k),), repeats))
