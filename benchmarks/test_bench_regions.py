"""Connected regions: fastseg.connected_regions against skimage.measure.label followed by
skimage.morphology.remove_small_objects, on the same arrays.

Run: python -m pytest benchmarks/test_bench_regions.py --benchmark-only

The input is the astronaut photo resized (bilinear) to about 1, 4 and 12 megapixels with its
K=8 colour clusters (``fastseg.segment``, seed 0): the regions of the clusters (4-connected), those
below 64 pixels merged into their neighbour of nearest mean colour by fastseg, removed (set to 0)
by scikit-image, the nearest thing it has. extra_info["quality"] counts the regions left.
"""

import pytest
from conftest import time_case

from fastseg import bench


@pytest.mark.parametrize("method", list(bench.REGIONS_METHODS))
@pytest.mark.parametrize("megapixels", [1, 4, 12])
def test_clusters_of_a_photo(benchmark, megapixels, method):
    repeats = 3 if bench.REGIONS_METHODS[method].slow else 7
    data = ("clusters", megapixels, bench.REGIONS_K)
    params = (("min_size", bench.REGIONS_MIN_SIZE),)
    time_case(benchmark, bench.Case("regions", method, data, params, repeats))
