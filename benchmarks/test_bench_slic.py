"""SLIC superpixels: fastseg.slic against skimage.segmentation.slic on the same arrays.

Run: python -m pytest benchmarks/test_bench_slic.py --benchmark-only

The image is the astronaut photo resized (bilinear) to about 1, 4 and 12 megapixels, uint8 RGB;
1000 segments, 10 iterations, compactness 10, the other arguments scikit-image's defaults. The
two give the same labels (extra_info["quality"] counts the pixels that differ: 0). When OpenCV's
contrib module is installed (opencv-contrib-python), its SLIC is timed too, for time only: it is
another algorithm (its own Lab, grid and distance).
"""

import pytest
from conftest import time_case

from fastseg import bench


@pytest.mark.parametrize("method", list(bench.SLIC_METHODS))
@pytest.mark.parametrize("megapixels", [1, 4, 12])
def test_photo(benchmark, megapixels, method):
    repeats = 3 if bench.SLIC_METHODS[method].slow else 7
    params = (("n_segments", bench.SLIC_SEGMENTS), ("max_num_iter", bench.SLIC_ITERATIONS))
    data = ("photo", megapixels, "smooth", "uint8")
    time_case(benchmark, bench.Case("slic", method, data, params, repeats))
