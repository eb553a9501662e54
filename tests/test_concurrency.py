"""Calls from several Python threads at once give the results of serial calls."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastseg

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml


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


# Every public entry point, on the input kinds that take different kernels (distinct colours,
# per-pixel uint8, float images and float samples, which check finiteness first).
ENTRY_POINTS = """
import numpy as np, fastseg
from fastseg import opencv

image = fastseg.sample_image()[::2, ::2].copy()
gray = image[:, :, 1].copy()
floats = image.astype(np.float32) / 255
samples = image.reshape(-1, 3)[::3].astype(np.float64)
labels4 = (np.arange(len(samples)) * 7) % 4

def work(i):
    out = [
        fastseg.segment(image, 3 + i % 4, seed=i, method=("distinct", "pixels")[i % 2]).labels,
        fastseg.segment(floats, 3, seed=i, color_space="lab").labels,
        fastseg.kmeans(samples.astype(np.float32), 5, seed=i).centers,
        fastseg.kmeans(samples, 4, seed=i, sample_weight=np.ones(len(samples))).centers,
        fastseg.canny(image, 20 * i, 150),
        fastseg.auto_canny(gray),
        fastseg.elbow(image, range(1, 4), seed=i).wcss,
        np.float64(fastseg.choose_k(image, range(2, 4), method="silhouette", seed=i)),
        np.float64(fastseg.silhouette_score(samples, labels4)),
        opencv.kmeans(samples.astype(np.float32), 3, None, (3, 5, 1.0), 1, 2)[1],
        opencv.Canny(gray, 50, 100),
    ]
    return out
"""


@pytest.mark.slow
@pytest.mark.parametrize("layer", ["workqueue", "default"])
def test_eight_threads_in_a_fresh_process_never_start_numba_parallel_runtime(layer, tmp_path):
    """Every public entry point, 8 threads at once, in a fresh process: the results of serial
    calls, and Numba's parallel runtime never started (its workqueue layer, the one that loads
    everywhere, aborts the process when two threads enter parallel code at once)."""
    code = (
        ENTRY_POINTS
        + """
import numba
from concurrent.futures import ThreadPoolExecutor
serial = [work(i) for i in range(8)]
with ThreadPoolExecutor(8) as pool:
    for _ in range(2):
        for ours, expected in zip(pool.map(work, range(8)), serial):
            assert all(np.array_equal(a, b) for a, b in zip(ours, expected, strict=True))
try:
    print(numba.threading_layer())
except ValueError:  # "Threading layer is not initialized."
    print("not started")
"""
    )
    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    if layer != "default":
        env["NUMBA_THREADING_LAYER"] = layer
    child = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=900)  # fmt: skip
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.strip() == "not started"


FORKED_CHILD = """
import os, sys
import numpy as np, fastseg

image = fastseg.sample_image()
expected = fastseg.segment(image, 4, seed=0, method="pixels").labels  # starts the helper threads
pid = os.fork()
if pid == 0:  # the child has none of its parent's threads: its calls must not wait for them
    ok = np.array_equal(fastseg.segment(image, 4, seed=0, method="pixels").labels, expected)
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_splits_passes_among_threads_of_its_own():
    child = subprocess.run([sys.executable, "-c", FORKED_CHILD], capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    assert child.returncode == 0, child.stderr[-3000:]
