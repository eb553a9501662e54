"""Peak extra memory of k-means, colour segmentation and Canny on one photo size, per pixel.

Each case runs in a fresh process (fastseg.bench.peak_extra_bytes): the input is made and the
method warmed up on a small input, the process's high-water mark is reset, the case runs once,
and the growth of the high-water mark, per pixel, is the figure (outputs included).
scripts/bench_report.py measures the same for every case of its matrix at one size.

    python scripts/peak_memory.py [--megapixels 12]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's fastseg

from fastseg import bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()
    size = args.megapixels
    cases = [
        bench.Case("kmeans", name, ("photo", size, "smooth", dtype), (("k", 8),), 1)
        for dtype in ("uint8", "float32")
        for name, method in bench.KMEANS_METHODS.items()
        if bench.importable(method.requires) and not (method.takes_image and dtype != "uint8")
    ]
    params = (("low", 50.0), ("high", 150.0), ("aperture_size", 3), ("l2_gradient", False))
    cases += [bench.Case("canny", name, ("gray", size), params, 1) for name in bench.CANNY_METHODS]
    print(f"{'case':<40} {'method':<24} {'extra B/px':>10}")
    for case in cases:
        if bench.importable(bench.METHODS[case.kind][case.method].requires):
            extra = bench.peak_extra_bytes(case)
            print(f"{case.group:<40} {case.method:<24} {extra:>10.2f}")


if __name__ == "__main__":
    main()
