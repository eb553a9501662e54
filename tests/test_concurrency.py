"""Calls from several Python threads at once give the results of serial calls."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

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


@pytest.mark.parametrize("layer", ["workqueue", "default"])
def test_eight_threads_in_a_fresh_process_with_each_threading_layer(layer, tmp_path):
    """Numba's workqueue layer aborts on concurrent parallel calls unless they are serialised."""
    code = """
import sys
from concurrent.futures import ThreadPoolExecutor
import numba, numpy as np, fastseg

image = fastseg.sample_image()
def work(i):
    method = ("distinct", "pixels")[i % 2]
    return (fastseg.segment(image, 3 + i % 4, seed=i, method=method).labels,
            fastseg.canny(image, 20 * i, 150),
            fastseg.kmeans(image.reshape(-1, 3), 5, seed=i).centers)
serial = [work(i) for i in range(8)]
with ThreadPoolExecutor(8) as pool:
    for _ in range(3):
        for ours, expected in zip(pool.map(work, range(8)), serial):
            assert all(np.array_equal(a, b) for a, b in zip(ours, expected))
print(numba.threading_layer())
"""
    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    if layer != "default":
        env["NUMBA_THREADING_LAYER"] = layer
    child = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert layer == "default" or child.stdout.strip() == layer
