"""Canny: fastseg against cv2.Canny and skimage.feature.canny on the same arrays.

Run: python -m pytest benchmarks/test_bench_canny.py --benchmark-only

The image is the astronaut photo in grey, resized (bilinear) to about 1, 4 and 12 megapixels;
thresholds 50/150. fastseg and cv2.Canny give the same edges (extra_info["quality"] counts the
pixels that differ from cv2.Canny: 0). skimage.feature.canny smooths with a Gaussian first
(sigma=1), always uses the L2 magnitude and has no aperture choice: it is a peer for time only,
timed in the aperture 3, L2 groups with fewer rounds.

``test_gray_photo_by_skimage_rules`` times ``fastseg.skimage.canny`` against
``skimage.feature.canny`` (sigma 1, default thresholds) on the same photo in uint8, uint16 (times
257), float32 and float64 (divided by 255); the two give the same edges (extra_info["quality"]
counts the pixels that differ: 0).
"""

import pytest
from conftest import time_case

from fastseg import bench

METHODS = list(bench.CANNY_METHODS)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("norm", ["L1", "L2"])
@pytest.mark.parametrize("aperture", [3, 5])
@pytest.mark.parametrize("megapixels", [1, 4, 12])
def test_gray_photo(benchmark, megapixels, aperture, norm, method):
    if method == "skimage.feature.canny" and (aperture != 3 or norm == "L1"):
        pytest.skip("skimage.feature.canny has no aperture choice and no L1 magnitude")
    params = (
        ("low", bench.CANNY_THRESHOLDS[0]), ("high", bench.CANNY_THRESHOLDS[1]),
        ("aperture_size", aperture), ("l2_gradient", norm == "L2"),
    )  # fmt: skip
    repeats = 3 if bench.CANNY_METHODS[method].slow else 15
    time_case(benchmark, bench.Case("canny", method, ("gray", megapixels), params, repeats))


@pytest.mark.parametrize("method", list(bench.SMOOTH_CANNY_METHODS))
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32", "float64"])
@pytest.mark.parametrize("megapixels", [1, 4, 12])
def test_gray_photo_by_skimage_rules(benchmark, megapixels, dtype, method):
    repeats = 3 if bench.SMOOTH_CANNY_METHODS[method].slow else 15
    data = ("gray", megapixels, dtype)
    time_case(benchmark, bench.Case("smooth_canny", method, data, (("sigma", 1.0),), repeats))
