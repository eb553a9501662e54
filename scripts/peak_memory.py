"""Peak extra memory of k-means on a 12 MP photo: fastseg, cv2.kmeans and scikit-learn.

Each case runs in a fresh subprocess: the photo is made, the kernels are warmed on a small
array, then the resident set size is sampled every millisecond while the case runs. The figure
is the peak minus the resident size just before the call, per pixel.

    python scripts/peak_memory.py [--megapixels 12]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASE = r"""
import json, os, sys, threading, time
import cv2, numpy as np, skimage.data
import fastseg

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

megapixels, who, dtype = float(sys.argv[1]), sys.argv[2], sys.argv[3]
width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
size = (width, width * 3 // 4)
image = cv2.resize(skimage.data.astronaut(), size, interpolation=cv2.INTER_LINEAR)
pixels = image.reshape(-1, 3).astype(dtype)
small = pixels[:50000].copy()

def run(data):
    if who == "fastseg":
        fastseg.kmeans(data, 8, criteria=(1, 10, 0.0), seed=0)
    elif who == "fastseg-segment":
        picture = image if dtype == "uint8" else pixels.reshape(image.shape)
        fastseg.segment(picture, 8, criteria=(1, 10, 0.0), seed=0)
    elif who == "cv2":
        cv2.kmeans(data.astype(np.float32), 8, None, (1, 10, 0.0), 1, cv2.KMEANS_PP_CENTERS)
    else:
        from sklearn.cluster import KMeans
        KMeans(8, n_init=1, max_iter=10, tol=0.0, random_state=0).fit(data)

run(small)
peak = [0]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.001)
before = rss()
thread = threading.Thread(target=sample); thread.start()
start = time.perf_counter(); run(pixels); elapsed = time.perf_counter() - start
done.set(); thread.join()
peak[0] = max(peak[0], rss())
print(json.dumps({"who": who, "dtype": dtype, "pixels": len(pixels), "seconds": elapsed,
                  "extra_bytes_per_pixel": (peak[0] - before) / len(pixels)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()
    print(f"{'who':<16} {'dtype':<8} {'time (s)':>9} {'extra B/px':>11}")
    for who in ("fastseg", "fastseg-segment", "cv2", "sklearn"):
        for dtype in ("uint8", "float32"):
            output = subprocess.run(
                [sys.executable, "-c", CASE, str(args.megapixels), who, dtype],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            row = json.loads(output.strip().splitlines()[-1])
            print(
                f"{row['who']:<16} {row['dtype']:<8} {row['seconds']:>9.3f} "
                f"{row['extra_bytes_per_pixel']:>11.2f}"
            )


if __name__ == "__main__":
    main()
