"""Calls from several Python threads at once give the results of serial calls."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

import fastseg


def test_eight_threads_match_serial_calls(photos):
    image = photos["coffee"]
    gray = image[:, :, 1].copy()
    samples = image.reshape(-1, 3)[::5].astype(np.float32)

    def work(i):
        seg = fastseg.segment(image, 3 + i % 4, seed=i)
        km = fastseg.kmeans(samples, 4 + i % 3, seed=i)
        edges = fastseg.canny(gray, 20 * i, 150 + 10 * i)
        return seg.labels, km.centers, edges

    serial = [work(i) for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(work, range(8)))
    for ours, expected in zip(concurrent, serial, strict=True):
        for a, b in zip(ours, expected, strict=True):
            np.testing.assert_array_equal(a, b)
