"""fastseg against cv2.kmeans under cv2's own stopping rule, at 12 MP.

    python scripts/bench_cv2_criteria.py [--megapixels 12] [-k 8]

The matrix of ``scripts/bench_report.py`` forces 10 center updates on everyone. This script
times what a cv2 user runs: criteria ``(EPS | MAX_ITER, 10, 1.0)``, 1 attempt, k-means++, on the
same photos (``fastseg.bench.photo``: smooth, and with Gaussian noise). ``fastseg.segment`` takes
the 8-bit image; cv2.kmeans takes its pixels as float32, converted beforehand (not timed). It
also times the per-pixel ``fastseg.kmeans`` with 10 forced updates on the photo's pixels as
uint8, as float32, and as float32 scaled to [0, 1], against cv2.kmeans on the float32 pixels.
Times are the best and the median of several runs in this process; the MSE per pixel is printed
beside each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's fastseg

import fastseg
from fastseg import bench

CV2_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
FORCED_UPDATES = (cv2.TERM_CRITERIA_MAX_ITER, 10, 0.0)


def timed(call, repeats: int):
    """(best, median) seconds of `repeats` calls (timed as every benchmark case is), and the
    last call's result."""
    times, result = bench.time_calls(call, repeats)
    return min(times), float(np.median(times)), result


def cv2_kmeans(pixels: np.ndarray, k: int, criteria, repeats: int):
    cv2.setRNGSeed(0)
    best, median, (compactness, _, _) = timed(
        lambda: cv2.kmeans(pixels, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS), repeats
    )
    return best, median, compactness / len(pixels)


def line(name: str, ours, theirs) -> str:
    return (
        f"{name:<44} fastseg {ours[0] * 1e3:7.0f} / {ours[1] * 1e3:5.0f} ms (MSE {ours[2]:7.1f})"
        f"   cv2.kmeans {theirs[0]:6.2f} / {theirs[1]:5.2f} s (MSE {theirs[2]:7.1f})"
        f"   {theirs[0] / ours[0]:5.1f}x best/best, {theirs[1] / ours[1]:5.1f}x median/median"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12)
    parser.add_argument("-k", type=int, default=8)
    args = parser.parse_args()
    k = args.k
    print(f"{bench.machine_description()}; best / median of 9 (fastseg) and 3 (cv2) runs")
    for kind in ("smooth", "noisy"):
        image = bench.photo(args.megapixels, kind)
        pixels = image.reshape(-1, 3)
        fastseg.segment(image[:64], k, criteria=CV2_CRITERIA, seed=0)  # compile or load
        best, median, result = timed(
            lambda image=image: fastseg.segment(image, k, criteria=CV2_CRITERIA, seed=0), 9
        )
        ours = (best, median, result.compactness / len(pixels))
        theirs = cv2_kmeans(pixels.astype(np.float32), k, CV2_CRITERIA, 3)
        print(line(f"segment, {kind} photo, cv2 criteria", ours, theirs))
        if kind != "smooth":
            continue
        theirs = cv2_kmeans(pixels.astype(np.float32), k, FORCED_UPDATES, 3)
        variants = {
            "uint8": (pixels, 1.0),
            "float32": (pixels.astype(np.float32), 1.0),
            "float32 / 255": (pixels.astype(np.float32) / 255, 255.0**2),
        }
        for name, (samples, scale) in variants.items():
            fastseg.kmeans(samples[:1000], k, criteria=FORCED_UPDATES, seed=0)
            best, median, result = timed(
                lambda s=samples: fastseg.kmeans(s, k, criteria=FORCED_UPDATES, seed=0), 7
            )
            ours = (best, median, result.compactness * scale / len(samples))
            print(line(f"kmeans per pixel, {name}, 10 updates", ours, theirs))


if __name__ == "__main__":
    main()
