"""Where the time goes on a large image: per-stage times and peak memory at 100 MP.

    python scripts/profile_large.py [--megapixels 100] [-k 8]

The astronaut photo is resized (bilinear) to 11547 x 8660 (100 MP). Three public calls are
profiled, each once after a warm-up on a small image: ``fastseg.segment`` (distinct-colour path),
``fastseg.kmeans`` on the (n, 3) pixels (per-pixel path) and ``fastseg.canny`` on the grey photo.
The stages are timed by wrapping, for the duration of the call, the internal steps the drivers
call (the colour histogram, the seeding, each Lloyd pass, the labelling, the Canny kernels), so
the drivers run exactly as they do for users. "other" is the rest of the call (validation,
reductions, small arrays). Peak memory is the growth of the process's high-water mark during
each call, per pixel, outputs included.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's fastseg

import fastseg
from fastseg import bench, edges, passes
from fastseg._kernels import colors

# The modules, not the functions of the same name that the package exports.
kmeans = importlib.import_module("fastseg.clustering")
segment = importlib.import_module("fastseg.segmentation")


class StageTimer:
    """Wall time and call count of functions looked up by the drivers, while installed."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self._installed: list[tuple[object, str, object]] = []

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        self._installed.append((owner, name, original))
        setattr(owner, name, timed)

    @contextlib.contextmanager
    def installed(self, stages):
        for owner, name, label in stages:
            self.wrap(owner, name, label)
        try:
            yield self
        finally:
            for owner, name, original in reversed(self._installed):
                setattr(owner, name, original)
            self._installed.clear()


SEGMENT_STAGES = [
    (segment, "check_image", "validate the image"),
    (segment, "_distinct_colours", "colour histogram (count, gather distinct)"),
    (segment, "color_features", "colour space of the distinct colours"),
    (kmeans, "seed_kmeans_pp", "k-means++ seeding"),
    (passes.MemoryPasses, "partials", "Lloyd passes (assign + partial sums)"),
    (colors, "label_pixels", "label every pixel (table lookup)"),
    (segment, "_return_table", "clear the colour table"),
]
KMEANS_STAGES = [
    (kmeans, "seed_kmeans_pp", "k-means++ seeding (from 32768 rows)"),
    (passes.MemoryPasses, "partials", "Lloyd passes (assign + partial sums)"),
]
CANNY_STAGES = [
    (edges, "_prepare_image", "validate the image"),
    (edges, "_classify", "Sobel + NMS + thresholds + in-band hysteresis"),
    (edges, "_finish", "link edges across band borders, write 0/255"),
]


#: The largest high-water mark seen at the end of a profiled call.
largest_peak = [0]


def profile(title: str, call, stages, n_pixels: int):
    """Run `call` once with `stages` timed; print the breakdown; return the call's result."""
    timer = StageTimer()
    before = bench.reset_peak_memory()
    with timer.installed(stages):
        start = time.perf_counter()
        result = call()
        total = time.perf_counter() - start
    peak = bench.resident_bytes("VmHWM")
    largest_peak[0] = max(largest_peak[0], peak)
    print(f"\n{title}: {total:.3f} s, peak extra memory {(peak - before) / n_pixels:.2f} B/px "
          f"({(peak - before) / 2**20:.0f} MiB)")  # fmt: skip
    accounted = 0.0
    for _, _, label in stages:
        if label in timer.seconds:
            seconds = timer.seconds[label]
            # Nested stages (seeding inside k-means) are counted once, at the outer level.
            accounted += seconds
            calls = timer.calls[label]
            each = f" ({calls} calls, {seconds / calls * 1e3:.1f} ms each)" if calls > 1 else ""
            print(f"  {label:<48} {seconds:8.3f} s {seconds / total:6.1%}{each}")
    print(f"  {'other':<48} {total - accounted:8.3f} s {(total - accounted) / total:6.1%}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=100.0)
    parser.add_argument("-k", type=int, default=8)
    args = parser.parse_args()
    width = round((args.megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    start = time.perf_counter()
    image = cv2.resize(fastseg.sample_image(), (width, height), interpolation=cv2.INTER_LINEAR)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    pixels = image.reshape(-1, 3)
    n = width * height
    print(f"{width} x {height} = {n / 1e6:.1f} MP photo ({image.nbytes / 2**20:.0f} MiB RGB), "
          f"made in {time.perf_counter() - start:.1f} s; {fastseg.get_num_threads()} threads, "
          f"K={args.k}, at most 10 center updates, k-means++")  # fmt: skip
    criteria = fastseg.Criteria(max_iter=10, tol=None)

    fastseg.warmup()
    fastseg.segment(image[:300, :400].copy(), args.k, criteria=criteria, seed=0)
    fastseg.canny(gray[:300, :400].copy(), 50, 150)

    result = profile(
        "fastseg.segment (distinct-colour path)",
        lambda: fastseg.segment(image, args.k, criteria=criteria, seed=0, method="distinct"),
        SEGMENT_STAGES, n,
    )  # fmt: skip
    print(f"  ({result.n_iter} center updates, MSE/px {result.compactness / n:.1f})")
    del result
    result = profile(
        "fastseg.kmeans (per-pixel path)",
        lambda: fastseg.kmeans(pixels, args.k, criteria=criteria, seed=0),
        KMEANS_STAGES, n,
    )  # fmt: skip
    print(f"  ({result.n_iter} center updates, MSE/px {result.compactness / n:.1f})")
    del result
    for l2_gradient in (False, True):
        result = profile(
            f"fastseg.canny (50/150, aperture 3, {'L2' if l2_gradient else 'L1'})",
            lambda l2=l2_gradient: fastseg.canny(gray, 50, 150, l2_gradient=l2),
            CANNY_STAGES, n,
        )  # fmt: skip
        same = np.array_equal(result, cv2.Canny(gray, 50, 150, L2gradient=l2_gradient))
        print(f"  (edges identical to cv2.Canny: {same})")
        del result
    print(f"\nlargest peak resident size of the process: {largest_peak[0] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
