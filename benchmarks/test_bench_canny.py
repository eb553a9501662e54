"""Canny throughput: fastseg against cv2.Canny and skimage.feature.canny on the same arrays.

Run: python -m pytest benchmarks/test_bench_canny.py --benchmark-only
Peak memory (a fresh process per measurement): python benchmarks/test_bench_canny.py

The image is the astronaut photo in grey, resized (bilinear) to about 1, 4 and 12 megapixels.
fastseg and cv2.Canny give the same edges; skimage.feature.canny smooths with a Gaussian first
(sigma=1) and measures gradients on another scale (always L2), so it is a peer for time only,
timed in the L2 groups with fewer rounds (it takes about half a second per call at 12 MP).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import skimage.feature

from fastseg import edges

#: (width, height) of each size, as the other benchmark suites use.
MEGAPIXELS = {1: (1155, 866), 4: (2310, 1732), 12: (4000, 3000)}
THRESHOLD_PAIRS = ((50, 150), (100, 200))


def fastseg_canny(image, low, high, l2_gradient):
    return edges.canny(image, low, high, l2_gradient=l2_gradient)


def cv2_canny(image, low, high, l2_gradient):
    return cv2.Canny(image, low, high, apertureSize=3, L2gradient=l2_gradient)


def skimage_canny(image, low, high, l2_gradient):
    # Always the L2 magnitude; thresholds in the image's intensity units.
    return skimage.feature.canny(image, sigma=1.0, low_threshold=low, high_threshold=high)


#: Every Canny implementation timed here, by name.
CANNY_PEERS = {"fastseg": fastseg_canny, "cv2.Canny": cv2_canny, "skimage.canny": skimage_canny}


def gray_photo(megapixels: int) -> np.ndarray:
    gray = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, MEGAPIXELS[megapixels], interpolation=cv2.INTER_LINEAR)


@pytest.fixture(scope="module")
def photo_of():
    cache = {}

    def make(megapixels: int) -> np.ndarray:
        if megapixels not in cache:
            cache[megapixels] = gray_photo(megapixels)
        return cache[megapixels]

    return make


@pytest.fixture(scope="module", autouse=True)
def compiled():
    for l2_gradient in (False, True):
        edges.canny(np.zeros((8, 8), dtype=np.uint8), 1, 2, l2_gradient=l2_gradient)


@pytest.mark.parametrize("megapixels", [1, 4, 12])
@pytest.mark.parametrize("thresholds", THRESHOLD_PAIRS, ids=lambda pair: f"{pair[0]}-{pair[1]}")
@pytest.mark.parametrize("norm", ["L1", "L2"])
@pytest.mark.parametrize("who", sorted(CANNY_PEERS))
def test_gray_photo(benchmark, photo_of, megapixels, thresholds, norm, who):
    if who == "skimage.canny" and norm == "L1":
        pytest.skip("skimage.feature.canny has no L1 magnitude")
    benchmark.group = f"canny {megapixels} MP {thresholds[0]}/{thresholds[1]} {norm}"
    image = photo_of(megapixels)
    function = CANNY_PEERS[who]
    slow = who == "skimage.canny"
    result = benchmark.pedantic(
        function, args=(image, *thresholds, norm == "L2"), iterations=1,
        rounds=3 if slow else 15, warmup_rounds=1 if slow else 2,
    )  # fmt: skip
    benchmark.extra_info["megapixels"] = image.size / 1e6
    benchmark.extra_info["edge_fraction"] = float(np.count_nonzero(result)) / image.size


_MEMORY_PROBE = """
import json, resource, sys
import numpy as np
who, megapixels = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, {bench_dir!r})
from test_bench_canny import CANNY_PEERS, gray_photo
image = gray_photo(megapixels)
function = CANNY_PEERS[who]
function(image[:64, :64].copy(), 50, 150, False)  # compile (or load) before measuring
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = function(image, 50, 150, False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"extra_bytes": (after - before) * 1024, "pixels": image.size}}))
"""


def peak_extra_memory(who: str, megapixels: int) -> float:
    """Growth of the peak resident set during one call, in bytes per pixel (output included),
    measured in a fresh process with the image already loaded and the kernels compiled."""
    probe = _MEMORY_PROBE.format(bench_dir=str(Path(__file__).resolve().parent))
    completed = subprocess.run(
        [sys.executable, "-c", probe, who, str(megapixels)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return report["extra_bytes"] / report["pixels"]


if __name__ == "__main__":
    for who in ("fastseg", "cv2.Canny"):
        for megapixels in (1, 12):
            per_pixel = peak_extra_memory(who, megapixels)
            print(f"{who:10s} {megapixels:2d} MP: peak extra {per_pixel:.2f} bytes/pixel "
                  "(the 1 byte/pixel output included)")  # fmt: skip
