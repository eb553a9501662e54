"""The inputs of the benchmark cases: the sample photo at given sizes, features and blobs.

Every input is made from fixed data and fixed seeds, so that each method of a case gets the same
array, in every run and every process.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

import fastseg

__all__ = [
    "blobs", "colour_xy_features", "gray_photo", "labelled_blobs", "load", "photo", "photo_size",
]  # fmt: skip

#: (width, height) of the benchmark photos, by megapixels; other sizes keep the 4:3 aspect.
MEGAPIXELS = {1: (1155, 866), 4: (2310, 1732), 12: (4000, 3000), 48: (8000, 6000)}
#: Standard deviation of the Gaussian noise of the "noisy" photo, in 8-bit units.
NOISE_SIGMA = 12.0


def photo_size(megapixels: float) -> tuple[int, int]:
    """(width, height) of the benchmark photo of about `megapixels` million pixels (4:3)."""
    if megapixels in MEGAPIXELS:
        return MEGAPIXELS[megapixels]
    width = max(4, round(math.sqrt(megapixels * 1e6 * 4 / 3)))
    return width, max(3, round(width * 3 / 4))


@functools.lru_cache(maxsize=4)
def photo(megapixels: float, kind: str = "smooth") -> np.ndarray:
    """The astronaut photo resized (bilinear) to `megapixels`, RGB uint8 (shared: do not modify).

    kind "noisy" adds Gaussian noise of standard deviation 12 from a fixed seed, which gives it
    about a million distinct colours at 12 MP instead of 0.8 million.
    """
    image = cv2.resize(
        fastseg.sample_image(), photo_size(megapixels), interpolation=cv2.INTER_LINEAR
    )
    if kind == "noisy":
        noise = np.random.default_rng(0).standard_normal(image.shape, dtype=np.float32)
        noise *= np.float32(NOISE_SIGMA)
        noise += image
        image = np.clip(np.rint(noise, out=noise), 0, 255).astype(np.uint8)
    elif kind != "smooth":
        raise ValueError(f"`kind` must be 'smooth' or 'noisy'; got {kind!r}.")
    return image


@functools.lru_cache(maxsize=2)
def gray_photo(megapixels: float) -> np.ndarray:
    """The astronaut photo in grey (OpenCV's luma), resized (bilinear) to `megapixels`."""
    gray = cv2.cvtColor(fastseg.sample_image(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, photo_size(megapixels), interpolation=cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=2)
def clustered_photo(megapixels: float, k: int) -> np.ndarray:
    """The smooth photo and its k colour clusters (``fastseg.segment``, seed 0) as a fourth
    channel: the input of the region cases (shared: do not modify)."""
    image = photo(megapixels)
    labels = fastseg.segment(image, k, seed=0).labels
    return np.dstack([image, labels])


def in_dtype(image: np.ndarray, dtype: str) -> np.ndarray:
    """An 8-bit image in `dtype`: uint8 as it is, uint16 times 257 (the same range), floats
    divided by 255 (in [0, 1])."""
    if dtype == "uint8":
        return image
    if dtype == "uint16":
        return image.astype(np.uint16) * np.uint16(257)
    return (image / 255.0).astype(dtype)


def colour_xy_features(megapixels: float) -> np.ndarray:
    """(n, 5) float32 rows (R, G, B, x, y) of the smooth photo; x and y span 0-255 on the
    longer side, as ``fastseg.segment(..., spatial=1)`` scales them."""
    image = photo(megapixels)
    height, width = image.shape[:2]
    rows, columns = np.divmod(np.arange(height * width, dtype=np.float32), width)
    scale = np.float32(255.0 / max(height, width))
    return np.column_stack([image.reshape(-1, 3), columns * scale, rows * scale]).astype(np.float32)


def blobs(n_features: int, n_samples: int = 100_000, n_centers: int = 32) -> np.ndarray:
    """(n_samples, n_features) float32 samples around `n_centers` Gaussian centers (seed 0)."""
    return labelled_blobs(n_features, n_samples, n_centers)[0]


def labelled_blobs(
    n_features: int, n_samples: int = 100_000, n_centers: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`blobs` and the index of each sample's center (int64)."""
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((n_centers, n_features), dtype=np.float32) * 3
    labels = rng.integers(0, n_centers, n_samples)
    samples = centers[labels]
    samples += rng.standard_normal((n_samples, n_features), dtype=np.float32)
    return samples, labels


def load(data: tuple) -> np.ndarray:
    """The input array named by a case's `data` key.

    ("photo", megapixels, "smooth" | "noisy", dtype): the (H, W, 3) photo in that dtype;
    ("gray", megapixels[, dtype]): the grey photo (see :func:`in_dtype`);
    ("clusters", megapixels, k): the smooth photo with the labels of ``fastseg.segment`` (k
    clusters, seed 0) as a fourth channel, (H, W, 4) uint8;
    ("colour_xy", megapixels): (n, 5) features;
    ("blobs", n_features, n_samples): Gaussian blobs.
    """
    kind = data[0]
    if kind == "photo":
        _, megapixels, which, dtype = data
        image = photo(megapixels, which)
        return image if dtype == "uint8" else image.astype(dtype)
    if kind == "gray":
        return in_dtype(gray_photo(data[1]), data[2] if len(data) > 2 else "uint8")
    if kind == "clusters":
        return clustered_photo(data[1], data[2])
    if kind == "colour_xy":
        return colour_xy_features(data[1])
    if kind == "blobs":
        return blobs(data[1], data[2])
    raise ValueError(f"unknown data key {data!r}")
