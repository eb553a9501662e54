"""Peak memory on a 100-megapixel photo: no full-size copies beyond the outputs.

Each case runs in a fresh process, whose peak resident size (ru_maxrss) is read just before and
just after the call; the image (300 MB) and the warm-up are already counted before.
"""

import subprocess
import sys

import pytest

CHILD = """
import resource, sys
import cv2, numpy as np, skimage.data
import fastseg

case = sys.argv[1]
image = cv2.resize(skimage.data.astronaut(), (11547, 8660), interpolation=cv2.INTER_LINEAR)
if case == "segment-noisy":
    # Noise added a row at a time (no full-size temporary): some 10^6 distinct colours.
    noise = np.random.default_rng(0).integers(-6, 7, size=image.shape[1] * 3, dtype=np.int16)
    for row in range(image.shape[0]):
        shifted = np.roll(noise, row).reshape(-1, 3)
        image[row] = np.clip(image[row].astype(np.int16) + shifted, 0, 255)
small = image[:300, :300].copy()
fastseg.segment(small, 8, seed=0)
fastseg.canny(small, 100, 200)

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

before = peak()
if case == "canny":
    fastseg.canny(image, 100, 200)
else:
    fastseg.segment(image, 8, seed=0, criteria=(3, 10, 1.0))
print((peak() - before) / (image.shape[0] * image.shape[1]))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "bytes_per_pixel"),
    [
        # 1 byte of labels, the 64 MB colour table (0.64 B/px) and the distinct colours.
        ("segment", 2.0),
        ("segment-noisy", 2.0),
        # 1 byte of output, and row buffers.
        ("canny", 1.25),
    ],
)
def test_peak_memory_on_100_megapixels(case, bytes_per_pixel):
    child = subprocess.run([sys.executable, "-c", CHILD, case], capture_output=True, text=True,
                           timeout=600)  # fmt: skip
    assert child.returncode == 0, child.stderr
    extra = float(child.stdout)
    # A float32 copy of the image alone would take 12 bytes per pixel, a uint8 copy 3.
    assert extra <= bytes_per_pixel, f"{case}: {extra:.2f} bytes per pixel"
