"""Colour segmentation (distinct-colour path) against cv2.kmeans on the same pixels.

Run: python -m pytest benchmarks/test_bench_segment.py --benchmark-only
12 MP photos, K=8, cv2's criteria (EPS|MAX_ITER, 10, 1.0), 1 attempt, k-means++ seeding: the
smooth astronaut photo, and the same photo with Gaussian noise (sigma 12), which has about a
million distinct colours. MSE per pixel in extra_info.
"""

import cv2
import numpy as np
import pytest
from peers import cv2_kmeans

import fastseg

CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)


@pytest.fixture(scope="module")
def photos_12mp(photo_at):
    smooth = photo_at(12)
    noise = np.random.default_rng(0).normal(0, 12, smooth.shape)
    noisy = np.clip(smooth + noise, 0, 255).astype(np.uint8)
    return {"smooth": smooth, "noisy": noisy}


@pytest.mark.parametrize("photo", ["smooth", "noisy"])
@pytest.mark.parametrize("who", ["fastseg.segment", "cv2.kmeans"])
def test_segment_12mp(benchmark, photos_12mp, photo, who):
    benchmark.group = f"segment 12 MP {photo} photo, K=8"
    image = photos_12mp[photo]
    if who == "fastseg.segment":
        fastseg.segment(image[:100, :100], 8, seed=0)  # compile outside the timing
        result = benchmark.pedantic(
            fastseg.segment, args=(image, 8), kwargs=dict(criteria=CRITERIA, seed=0),
            rounds=5, iterations=1,
        )  # fmt: skip
        benchmark.extra_info["method"] = result.method
        compactness = result.compactness
    else:
        pixels = image.reshape(-1, 3)
        _, _, compactness = benchmark.pedantic(
            cv2_kmeans, args=(pixels, 8, 10, 1, 0), rounds=2, iterations=1
        )
    benchmark.extra_info["mse"] = float(compactness) / (image.shape[0] * image.shape[1])
