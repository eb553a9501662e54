"""Benchmarks of fastseg against its peers, on the same arrays and with the same work.

The peers (``cv2.kmeans``, scikit-learn's ``KMeans`` with the Lloyd and Elkan algorithms,
``faiss.Kmeans``, ``cv2.Canny``, ``skimage.feature.canny``, scikit-learn's silhouette score) are
defined here once: the ``fastseg bench`` command, ``scripts/bench_report.py``, the
pytest-benchmark suites in ``benchmarks/`` and the oracle tests all take them from this module.
Peers from scikit-learn, faiss and scikit-image are used only when they can be imported.

Same work for everyone: every k-means method is given the same k, the same number of center
updates (``max_iter``), the same number of attempts and, where the peer has it, k-means++ seeding.
faiss has only random seeding: it is compared with fastseg seeded at random rows. Each timing is
reported with the mean squared error per pixel of its result, so that speed is never bought with
quality.

Examples
--------
>>> from fastseg import bench
>>> rows = bench.run_cases(bench.matrix("quick"))  # doctest: +SKIP
>>> print(bench.format_tables(rows))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

import fastseg

__all__ = [
    "CANNY_METHODS",
    "ELBOW_METHODS",
    "KMEANS_METHODS",
    "LEVELS",
    "SILHOUETTE_METHODS",
    "Case",
    "Method",
    "Row",
    "format_tables",
    "gray_photo",
    "machine_description",
    "matrix",
    "missing_modules",
    "peak_extra_bytes",
    "photo",
    "prepare",
    "run_case",
    "run_cases",
    "time_calls",
]

#: (width, height) of the benchmark photos, by megapixels; other sizes keep the 4:3 aspect.
MEGAPIXELS = {1: (1155, 866), 4: (2310, 1732), 12: (4000, 3000), 48: (8000, 6000)}
#: Standard deviation of the Gaussian noise of the "noisy" photo, in 8-bit units.
NOISE_SIGMA = 12.0
#: The work of every k-means case: center updates, attempts and the seed of the initialisation.
MAX_ITER, ATTEMPTS, SEED = 10, 1, 0
#: Hysteresis thresholds of the Canny cases.
CANNY_THRESHOLDS = (50.0, 150.0)
#: The k of the elbow sweep.
ELBOW_KS = tuple(range(1, 11))


# -- data ----------------------------------------------------------------------------------------


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
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((n_centers, n_features), dtype=np.float32) * 3
    samples = centers[rng.integers(0, n_centers, n_samples)]
    samples += rng.standard_normal((n_samples, n_features), dtype=np.float32)
    return samples


def load(data: tuple) -> np.ndarray:
    """The input array named by a case's `data` key.

    ("photo", megapixels, "smooth" | "noisy", dtype): the (H, W, 3) photo in that dtype;
    ("gray", megapixels): the grey photo; ("colour_xy", megapixels): (n, 5) features;
    ("blobs", n_features, n_samples): Gaussian blobs.
    """
    kind = data[0]
    if kind == "photo":
        _, megapixels, which, dtype = data
        image = photo(megapixels, which)
        return image if dtype == "uint8" else image.astype(dtype)
    if kind == "gray":
        return gray_photo(data[1])
    if kind == "colour_xy":
        return colour_xy_features(data[1])
    if kind == "blobs":
        return blobs(data[1], data[2])
    raise ValueError(f"unknown data key {data!r}")


# -- k-means methods: (samples, k, max_iter, attempts, seed) -> (labels, centers, compactness) ----
# max_iter is the number of center updates for every method; each stops earlier only when its
# own convergence test says the centers are a fixed point.


def fastseg_kmeans(samples, k, max_iter, attempts, seed, init="k-means++"):
    """fastseg.kmeans, k-means++ seeding, `max_iter` center updates, no tolerance."""
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    result = fastseg.kmeans(samples, k, criteria=criteria, attempts=attempts, init=init, seed=seed)
    return result.labels, result.centers, result.compactness


def fastseg_kmeans_random(samples, k, max_iter, attempts, seed):
    """fastseg.kmeans seeded with k rows drawn at random, as faiss seeds."""
    return fastseg_kmeans(samples, k, max_iter, attempts, seed, init="random")


def fastseg_segment(image, k, max_iter, attempts, seed):
    """fastseg.segment on the distinct-colour path (8-bit RGB), the same criteria."""
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    result = fastseg.segment(
        image, k, criteria=criteria, attempts=attempts, seed=seed, method="distinct"
    )
    return result.labels, result.centers, result.compactness


def cv2_kmeans(samples, k, max_iter, attempts, seed):
    """cv2.kmeans with k-means++ seeding (float32 only: other dtypes are converted, as a cv2
    user must). OpenCV's count includes the first assignment: count = max_iter + 1."""
    cv2.setRNGSeed(seed)
    data = np.asarray(samples, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, max_iter + 1, 0.0)
    compactness, labels, centers = cv2.kmeans(
        data, k, None, criteria, attempts, cv2.KMEANS_PP_CENTERS
    )
    return labels[:, 0], centers, compactness


def sklearn_kmeans(samples, k, max_iter, attempts, seed, algorithm="lloyd"):
    """scikit-learn's KMeans, k-means++ seeding, tol=0 (stops only at a fixed point)."""
    from sklearn.cluster import KMeans

    model = KMeans(
        k, init="k-means++", n_init=attempts, max_iter=max_iter, tol=0.0,
        random_state=seed, algorithm=algorithm,
    )  # fmt: skip
    model.fit(samples)
    return model.labels_, model.cluster_centers_, model.inertia_


def sklearn_kmeans_elkan(samples, k, max_iter, attempts, seed):
    return sklearn_kmeans(samples, k, max_iter, attempts, seed, algorithm="elkan")


def faiss_kmeans(samples, k, max_iter, attempts, seed, max_points_per_centroid=256):
    """faiss.Kmeans (random seeding, its only one), then every sample labelled by the index.

    faiss trains on at most `max_points_per_centroid` * k samples drawn at random; None trains
    on all of them.
    """
    import faiss

    data = np.ascontiguousarray(samples, dtype=np.float32)
    if max_points_per_centroid is None:
        max_points_per_centroid = -(-len(data) // k) + 1
    model = faiss.Kmeans(
        data.shape[1], k, niter=max_iter, nredo=attempts, seed=seed + 1,
        max_points_per_centroid=max_points_per_centroid, verbose=False,
    )  # fmt: skip
    model.train(data)
    distances, labels = model.index.search(data, 1)
    return labels[:, 0], model.centroids, float(distances.sum(dtype=np.float64))


def faiss_kmeans_all_points(samples, k, max_iter, attempts, seed):
    return faiss_kmeans(samples, k, max_iter, attempts, seed, max_points_per_centroid=None)


@dataclass(frozen=True)
class Method:
    """One implementation of a benchmarked operation.

    Attributes
    ----------
    function : callable
        The call that is timed.
    requires : str or None
        Module that must be importable for the method to run (None: fastseg's own dependencies).
    twin : str or None
        For a peer, the fastseg method that does the same work (the time ratio is taken to it);
        None for fastseg's own methods.
    takes_image : bool
        The function takes the (H, W, 3) image; otherwise the (n, d) samples.
    note : str
        What a reader of the table should know about the method.
    slow : bool
        Seconds per call on inputs where fastseg takes a fraction of one: timed fewer times.
    """

    function: Callable
    requires: str | None = None
    twin: str | None = None
    takes_image: bool = False
    note: str = ""
    slow: bool = False

    @property
    def is_fastseg(self) -> bool:
        return self.twin is None


KMEANS_METHODS = {
    "fastseg": Method(fastseg_kmeans, note="per-pixel path, k-means++"),
    "fastseg.segment": Method(
        fastseg_segment, takes_image=True, note="distinct-colour path, k-means++"
    ),
    "fastseg random init": Method(fastseg_kmeans_random, note="per-pixel path, random seeding"),
    "cv2.kmeans": Method(cv2_kmeans, twin="fastseg", note="k-means++"),
    "sklearn.KMeans": Method(
        sklearn_kmeans, "sklearn", "fastseg", note="algorithm='lloyd', k-means++", slow=True
    ),
    "sklearn.KMeans elkan": Method(
        sklearn_kmeans_elkan, "sklearn", "fastseg", note="algorithm='elkan', k-means++", slow=True
    ),
    "faiss.Kmeans": Method(
        faiss_kmeans,
        "faiss",
        "fastseg random init",
        note="random seeding; trains on at most 256 samples per centroid",
    ),
    "faiss.Kmeans all points": Method(
        faiss_kmeans_all_points,
        "faiss",
        "fastseg random init",
        note="random seeding; sampling off (trains on every sample)",
        slow=True,
    ),
}


# -- Canny: (image, low, high, aperture_size, l2_gradient) -> edges ------------------------------


def fastseg_canny(image, low, high, aperture_size, l2_gradient):
    return fastseg.canny(image, low, high, aperture_size=aperture_size, l2_gradient=l2_gradient)


def cv2_canny(image, low, high, aperture_size, l2_gradient):
    return cv2.Canny(image, low, high, apertureSize=aperture_size, L2gradient=l2_gradient)


def skimage_canny(image, low, high, aperture_size, l2_gradient):
    """skimage.feature.canny: Gaussian smoothing (sigma 1) first, always the L2 magnitude, its
    own Sobel scale and no aperture choice: a peer for time only."""
    import skimage.feature

    return skimage.feature.canny(image, sigma=1.0, low_threshold=low, high_threshold=high)


CANNY_METHODS = {
    "fastseg": Method(fastseg_canny, note="identical to cv2.Canny"),
    "cv2.Canny": Method(cv2_canny, twin="fastseg"),
    "skimage.feature.canny": Method(
        skimage_canny,
        "skimage",
        "fastseg",
        note="time only: Gaussian sigma=1 first, L2 always, aperture 3 only",
        slow=True,
    ),
}


# -- elbow sweep: (image, ks, max_iter, seed) -> WCSS for each k ---------------------------------


def fastseg_elbow(image, ks, max_iter, seed):
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    return fastseg.elbow(image, ks, criteria=criteria, seed=seed).wcss


def _sweep(function):
    def sweep(image, ks, max_iter, seed):
        pixels = image.reshape(-1, 3)
        return np.array([function(pixels, k, max_iter, ATTEMPTS, seed)[2] for k in ks])

    return sweep


ELBOW_METHODS = {
    "fastseg.elbow": Method(fastseg_elbow, takes_image=True, note="distinct colours, once"),
    "cv2.kmeans": Method(_sweep(cv2_kmeans), twin="fastseg.elbow", takes_image=True),
    "sklearn.KMeans": Method(_sweep(sklearn_kmeans), "sklearn", "fastseg.elbow", True),
    "faiss.Kmeans": Method(
        _sweep(faiss_kmeans),
        "faiss",
        "fastseg.elbow",
        True,
        note="random seeding; at most 256 samples per centroid",
    ),
}


# -- silhouette: (samples, labels) -> score ------------------------------------------------------


def fastseg_silhouette(samples, labels):
    return fastseg.silhouette_score(samples, labels)


def sklearn_silhouette(samples, labels):
    from sklearn.metrics import silhouette_score

    return silhouette_score(samples, labels)


SILHOUETTE_METHODS = {
    "fastseg": Method(fastseg_silhouette, note="exact, float64 distances"),
    "sklearn.metrics": Method(sklearn_silhouette, "sklearn", "fastseg"),
}

METHODS = {
    "kmeans": KMEANS_METHODS,
    "canny": CANNY_METHODS,
    "elbow": ELBOW_METHODS,
    "silhouette": SILHOUETTE_METHODS,
}


@functools.cache
def importable(module: str | None) -> bool:
    return module is None or importlib.util.find_spec(module) is not None


def missing_modules() -> list[str]:
    """The optional peer modules that cannot be imported here."""
    wanted = {m.requires for methods in METHODS.values() for m in methods.values()}
    return sorted(module for module in wanted - {None} if not importable(module))


# -- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One timed call: an operation (`kind`), a method, its input and parameters.

    Attributes
    ----------
    kind : {"kmeans", "canny", "elbow", "silhouette"}
    method : str
        Key of the method in the kind's registry (:data:`KMEANS_METHODS`, ...).
    data : tuple
        Key of the input for :func:`load`.
    params : tuple of (name, value) pairs
        k for k-means; low, high, aperture_size, l2_gradient for Canny; n_samples for the
        silhouette.
    repeats : int
        Timed calls; the table reports the best and the median.
    """

    kind: str
    method: str
    data: tuple
    params: tuple = ()
    repeats: int = 3

    @property
    def parameters(self) -> dict:
        return dict(self.params)

    @property
    def group(self) -> str:
        """The cases timed against each other: same kind, input and parameters."""
        p = self.parameters
        if self.kind == "kmeans":
            return f"{_data_label(self.data)}, K={p['k']}"
        if self.kind == "canny":
            norm = "L2" if p["l2_gradient"] else "L1"
            return f"{_data_label(self.data)}, aperture {p['aperture_size']}, {norm}"
        if self.kind == "elbow":
            return f"{_data_label(self.data)}, K=1..10"
        return f"{p['n_samples']} pixels of the 1 MP photo, K=8 labels"

    @property
    def megapixels(self) -> float:
        if self.data[0] in ("photo", "gray", "colour_xy"):
            width, height = photo_size(self.data[1])
            return width * height / 1e6
        if self.data[0] == "blobs":
            return self.data[2] / 1e6
        return self.parameters.get("n_samples", 0) / 1e6

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Case:
        fields = json.loads(text)
        return cls(
            fields["kind"], fields["method"], tuple(fields["data"]),
            tuple(tuple(pair) for pair in fields["params"]), fields["repeats"],
        )  # fmt: skip


def _data_label(data: tuple) -> str:
    if data[0] == "photo":
        _, megapixels, which, dtype = data
        return f"{_mp(megapixels)} MP {which} photo, {dtype}"
    if data[0] == "gray":
        return f"{_mp(data[1])} MP grey photo"
    if data[0] == "colour_xy":
        return f"{_mp(data[1])} MP photo, d=5 (RGB + xy) float32"
    return f"n={data[2]:,} d={data[1]} float32 blobs"


def _mp(megapixels: float) -> str:
    return f"{megapixels:g}"


@dataclass
class Row:
    """The timing of one case.

    `quality` is the MSE per pixel (k-means; the elbow: at the largest k), the number of pixels
    that differ from ``cv2.Canny`` (Canny), or the score (silhouette). `speedup` is the time of
    the method divided by the time of its fastseg twin (how many times faster fastseg is), and
    `speedup_distinct` the same against ``fastseg.segment`` when the group has it.
    """

    kind: str
    group: str
    method: str
    megapixels: float
    seconds: float
    median: float
    times: list[float]
    quality: float | None
    note: str = ""
    twin: str | None = None
    speedup: float | None = None
    speedup_distinct: float | None = None
    peak_bytes_per_pixel: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        """Million pixels (or samples) per second, from the best time."""
        return self.megapixels / self.seconds


def repeats_for(method: Method, megapixels: float, base: int) -> int:
    """Timed calls of a case: `base` for fastseg, fewer for peers as the input grows (a slow
    peer at 12 MP takes seconds per call)."""
    if method.is_fastseg:
        return base if megapixels <= 4.5 else min(base, 3)
    if megapixels <= 1.5:
        return min(base, 3) if not method.slow else min(base, 2)
    if megapixels <= 4.5:
        return 2
    return 2 if megapixels <= 12.5 and not method.slow else 1


def _kmeans_cases(sizes, dtypes, ks, which, methods, base):
    cases = []
    for megapixels in sizes:
        for dtype in dtypes:
            for k in ks:
                for name in methods:
                    method = KMEANS_METHODS[name]
                    if method.takes_image and dtype != "uint8":
                        continue  # the distinct-colour path is for 8-bit images
                    count = repeats_for(method, megapixels, base)
                    data = ("photo", megapixels, which, dtype)
                    cases.append(Case("kmeans", name, data, (("k", k),), count))
    return cases


def _feature_cases(dimensions, methods, base):
    cases = []
    for d in dimensions:
        data, k = (("colour_xy", 1), 8) if d == 5 else (("blobs", d, 100_000), 32)
        for name in methods:
            method = KMEANS_METHODS[name]
            if not method.takes_image:
                count = repeats_for(method, 1, base)
                cases.append(Case("kmeans", name, data, (("k", k),), count))
    return cases


def _canny_cases(sizes, apertures, norms, base):
    cases = []
    for megapixels in sizes:
        for aperture in apertures:
            for l2_gradient in norms:
                for name, method in CANNY_METHODS.items():
                    if method.requires == "skimage" and (aperture != 3 or not l2_gradient):
                        continue  # no aperture choice and no L1 magnitude
                    params = (
                        ("low", CANNY_THRESHOLDS[0]), ("high", CANNY_THRESHOLDS[1]),
                        ("aperture_size", aperture), ("l2_gradient", l2_gradient),
                    )  # fmt: skip
                    count = min(3, base) if method.slow else base
                    cases.append(Case("canny", name, ("gray", megapixels), params, count))
    return cases


def _elbow_cases(sizes, methods, base):
    cases = []
    for megapixels in sizes:
        for name in methods:
            count = base if ELBOW_METHODS[name].is_fastseg else 1
            cases.append(Case("elbow", name, ("photo", megapixels, "smooth", "uint8"), (), count))
    return cases


def _silhouette_cases(sample_counts, base):
    return [
        Case("silhouette", name, ("photo", 1, "smooth", "uint8"), (("n_samples", n),), count)
        for n in sample_counts
        for name, count in (("fastseg", base), ("sklearn.metrics", 1))
    ]


ALL_KMEANS = tuple(KMEANS_METHODS)
#: Methods timed on the noisy photo (which is there for the distinct-colour path).
NOISY_KMEANS = ("fastseg", "fastseg.segment", "cv2.kmeans")
#: Methods timed at 48 MP: the slow peers (scikit-learn, faiss without sampling) take tens of
#: seconds per call there; their scaling shows from 1 to 12 MP.
LARGE_KMEANS = tuple(name for name, m in KMEANS_METHODS.items() if not m.slow)
LEVELS = ("quick", "standard", "full")


def matrix(level: str = "quick", sizes: Iterable[float] | None = None, repeats: int | None = None):
    """The cases of a benchmark run.

    Parameters
    ----------
    level : {"quick", "standard", "full"}
        "quick" (under a minute): the 1 MP photos at K=8 with every k-means method, Canny
        (aperture 3, L1 and L2), the silhouette of 5000 pixels. "standard": the same at 1, 4
        and 12 MP, with the elbow sweep and feature vectors of d = 64. "full": K = 3, 8 and 16
        at 1, 4 and 12 MP; 48 MP at K=8 without the slow peers (scikit-learn, faiss without
        sampling); feature vectors with
        d = 5 (colour + xy), 64 and 256; Canny at 1, 4 and 12 MP, apertures 3 and 5, L1 and L2;
        the elbow sweep; the silhouette of 5000 and 20000 pixels.
    sizes : iterable of float, optional
        Photo sizes in megapixels instead of the level's; the feature vectors, elbow and
        silhouette cases are then left out.
    repeats : int, optional
        Timed calls per fastseg case (default 3 for "quick", else 5); peers get fewer on large
        inputs.

    Returns
    -------
    list of Case
    """
    if level not in LEVELS:
        raise ValueError(f"`level` must be one of {', '.join(LEVELS)}; got {level!r}.")
    base = repeats if repeats is not None else (3 if level == "quick" else 5)
    default_sizes = {"quick": [1], "standard": [1, 4, 12], "full": [1, 4, 12, 48]}[level]
    sizes = default_sizes if sizes is None else list(sizes)
    ks = [3, 8, 16] if level == "full" else [8]
    regular = [s for s in sizes if s < 48]
    large = [s for s in sizes if s >= 48]
    cases = []
    for megapixels in regular:
        for dtype in ("uint8", "float32"):
            cases += _kmeans_cases([megapixels], [dtype], ks, "smooth", ALL_KMEANS, base)
        cases += _kmeans_cases([megapixels], ["uint8"], [8], "noisy", NOISY_KMEANS, base)
    for megapixels in large:
        for dtype in ("uint8", "float32"):
            cases += _kmeans_cases([megapixels], [dtype], [8], "smooth", LARGE_KMEANS, base)
        cases += _kmeans_cases([megapixels], ["uint8"], [8], "noisy", NOISY_KMEANS, base)
    apertures = [3, 5] if level == "full" else [3]
    canny_repeats = repeats if repeats is not None else (5 if level == "quick" else 10)
    cases += _canny_cases([s for s in sizes if s <= 12], apertures, [False, True], canny_repeats)
    if sizes != default_sizes:
        return cases
    if level == "quick":
        return cases + _silhouette_cases([5000], 1)
    dimensions = [5, 64, 256] if level == "full" else [64]
    cases += _feature_cases(dimensions, ALL_KMEANS, 3)
    cases += _elbow_cases([1], tuple(ELBOW_METHODS), 3)
    cases += _silhouette_cases([5000, 20000] if level == "full" else [5000], 2)
    return cases


# -- running a case ------------------------------------------------------------------------------


def _small_rows(samples: np.ndarray) -> np.ndarray:
    """The first rows of samples (same dtype and layout), to compile and warm a method up."""
    return np.ascontiguousarray(samples[:20_000])


def _small_image(image: np.ndarray) -> np.ndarray:
    """A corner of an image (same dtype and layout), to compile and warm a method up."""
    return np.ascontiguousarray(image[:150, :200])


@functools.lru_cache(maxsize=2)
def _silhouette_input(n_samples: int):
    """`n_samples` pixels of the 1 MP photo (float32) and their labels from k-means with K=8."""
    pixels = photo(1).reshape(-1, 3)
    chosen = np.sort(np.random.default_rng(0).choice(len(pixels), n_samples, replace=False))
    samples = pixels[chosen].astype(np.float32)
    labels = fastseg_kmeans(samples, 8, MAX_ITER, ATTEMPTS, SEED)[0].astype(np.int64)
    return samples, labels


def prepare(case: Case):
    """(call, warm-up call, quality of a result) for a case; the input is built here."""
    method = METHODS[case.kind][case.method]
    p = case.parameters
    if case.kind == "silhouette":
        samples, labels = _silhouette_input(p["n_samples"])
        return (
            lambda: method.function(samples, labels),
            lambda: method.function(samples[:500], labels[:500]),
            float,
        )
    data = load(case.data)
    if case.kind == "kmeans":
        samples = data if method.takes_image or data.ndim == 2 else data.reshape(-1, 3)
        n = samples.shape[0] * (samples.shape[1] if method.takes_image else 1)
        small = _small_image(samples) if method.takes_image else _small_rows(samples)
        args = (p["k"], MAX_ITER, ATTEMPTS, SEED)
        return (
            lambda: method.function(samples, *args),
            lambda: method.function(small, *args),
            lambda result: float(result[2]) / n,
        )
    if case.kind == "canny":
        args = (p["low"], p["high"], p["aperture_size"], p["l2_gradient"])

        def differing_pixels(edges):
            if method.requires == "skimage":
                return None
            reference = cv2_canny(data, *args)
            return float(np.count_nonzero((edges > 0) != (reference > 0)))

        small = _small_image(data)
        return (
            lambda: method.function(data, *args),
            lambda: method.function(small, *args),
            differing_pixels,
        )
    if case.kind == "elbow":
        n = data.shape[0] * data.shape[1]
        small = _small_image(data)
        return (
            lambda: method.function(data, ELBOW_KS, MAX_ITER, SEED),
            lambda: method.function(small, (1, 2), MAX_ITER, SEED),
            lambda wcss: float(wcss[-1]) / n,
        )
    raise ValueError(f"unknown kind {case.kind!r}")


def time_calls(call: Callable, repeats: int) -> tuple[list[float], object]:
    """Wall-clock seconds of `repeats` calls (garbage collected before each) and the last result.

    The one way every case is timed, by ``fastseg bench`` and ``scripts/bench_report.py``.
    """
    times = []
    result = None
    for _ in range(repeats):
        result = None  # the previous result is freed before the next call, not during it
        gc.collect()
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return times, result


def run_case(case: Case, warmed: set | None = None) -> Row:
    """Time one case: warm the method up on a small input, then `case.repeats` timed calls."""
    call, warm_up, quality_of = prepare(case)
    method = METHODS[case.kind][case.method]
    key = (case.kind, case.method, case.data[0], case.data[-1])
    if warmed is None or key not in warmed:
        warm_up()  # compile (or load from the cache), start thread pools
        if warmed is not None:
            warmed.add(key)
    times, result = time_calls(call, case.repeats)
    extra = {}
    if case.kind == "elbow":
        wcss = np.asarray(result, dtype=np.float64)
        extra["knee"] = fastseg.knee_point(np.array(ELBOW_KS), wcss)
    return Row(
        kind=case.kind, group=case.group, method=case.method, megapixels=case.megapixels,
        seconds=min(times), median=statistics.median(times), times=times,
        quality=quality_of(result), note=method.note, twin=method.twin, extra=extra,
    )  # fmt: skip


def run_cases(cases: Iterable[Case], *, progress: bool | None = False) -> list[Row]:
    """Time every case whose method can run here, and fill in the speed-up of fastseg.

    Cases of peers that cannot be imported are left out (:func:`missing_modules` names them).
    `progress` shows a progress bar on stderr: True always, None when stderr is a terminal.
    """
    from tqdm import tqdm

    runnable = [c for c in cases if importable(METHODS[c.kind][c.method].requires)]
    fastseg.warmup()
    warmed: set = set()
    rows = []
    bar = tqdm(
        runnable,
        unit="case",
        disable=None if progress is None else not progress,
        file=sys.stderr,
        leave=False,
    )
    for case in bar:
        bar.set_description(f"{case.method} {_mp(round(case.megapixels, 1))} MP")
        rows.append(run_case(case, warmed))
    bar.close()
    add_speedups(rows)
    return rows


def add_speedups(rows: list[Row]) -> None:
    """Fill `speedup` (against the twin) and `speedup_distinct` of every peer row."""
    by_group = {}
    for row in rows:
        by_group.setdefault((row.kind, row.group), {})[row.method] = row
    for row in rows:
        group = by_group[(row.kind, row.group)]
        if row.twin is not None and row.twin in group:
            row.speedup = row.seconds / group[row.twin].seconds
        if row.kind == "kmeans" and row.twin is not None and "fastseg.segment" in group:
            row.speedup_distinct = row.seconds / group["fastseg.segment"].seconds


# -- peak memory ---------------------------------------------------------------------------------


def resident_bytes(field_name: str) -> int:
    """A memory figure of this process from /proc/self/status: "VmRSS" (now) or "VmHWM" (the
    high-water mark), in bytes (Linux only)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{field_name} not in /proc/self/status")


def reset_peak_memory() -> int:
    """Restart the kernel's high-water mark of the resident set from the current size
    (/proc/self/clear_refs) and return that size in bytes: ``resident_bytes("VmHWM")`` minus it
    is then the peak growth since this call."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return resident_bytes("VmRSS")


def _probe_peak_memory(case_json: str) -> None:
    """In a fresh process: the extra peak resident memory of one call of a case, as JSON.

    The input is built and the method warmed up on a small input first; then the kernel's
    high-water mark of the resident set is reset to the current size (/proc/self/clear_refs),
    the case runs once, and the growth of the high-water mark is the extra memory of the call.
    """
    case = Case.from_json(case_json)
    call, warm_up, _ = prepare(case)
    warm_up()
    gc.collect()
    before = reset_peak_memory()
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    peak = resident_bytes("VmHWM")
    pixels = case.megapixels * 1e6
    print(json.dumps({"extra_bytes_per_pixel": (peak - before) / pixels, "seconds": seconds}))


def child_environment(**changes: str) -> dict:
    """The environment of a measuring child process: this one's, with the folder that holds
    this fastseg package first on the import path, so that the child times the same code."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fastseg.__file__)))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore", **changes}


def peak_extra_bytes(case: Case, timeout: float = 1800) -> float:
    """Extra peak resident memory of one call of `case`, in bytes per pixel (outputs included),
    measured in a fresh Python process (Linux only)."""
    code = "import sys, fastseg.bench as b; b._probe_peak_memory(sys.argv[1])"
    completed = subprocess.run(
        [sys.executable, "-c", code, case.to_json()], capture_output=True, text=True,
        timeout=timeout, check=True, env=child_environment(),
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])["extra_bytes_per_pixel"]


# -- the table -----------------------------------------------------------------------------------

_TITLES = {
    "kmeans": f"k-means ({MAX_ITER} center updates, {ATTEMPTS} attempt)",
    "canny": "Canny (thresholds {:g}/{:g}; quality: pixels differing from cv2.Canny)".format(
        *CANNY_THRESHOLDS
    ),
    "elbow": f"Elbow sweep K=1..10 ({MAX_ITER} center updates per K)",
    "silhouette": "Silhouette score (exact, Euclidean)",
}
_QUALITY = {"kmeans": "MSE/px", "canny": "≠ cv2 px", "elbow": "MSE/px K=10", "silhouette": "score"}


def _seconds(value: float) -> str:
    if value < 1e-2:
        return f"{value * 1e3:.2f} ms"
    if value < 1:
        return f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s"


def _quality(row: Row) -> str:
    if row.quality is None:
        return "n/a"
    if row.kind == "canny":
        return f"{row.quality:.0f}"
    if row.kind == "silhouette":
        return f"{row.quality:.6f}"
    text = f"{row.quality:.1f}"
    if "knee" in row.extra:
        text += f" (knee {row.extra['knee']})"
    return text


def format_tables(rows: list[Row], *, memory: bool | None = None) -> str:
    """Markdown tables of the rows, one per kind of operation, in the order of the rows.

    "fastseg faster" is the time of the peer over the time of the fastseg method that did the
    same work (named in the note when it is not plain ``fastseg``); "distinct faster" is the time
    over that of ``fastseg.segment`` (distinct-colour path) on the same photo.
    """
    if memory is None:
        memory = any(row.peak_bytes_per_pixel is not None for row in rows)
    lines = []
    for kind in dict.fromkeys(row.kind for row in rows):
        kind_rows = [row for row in rows if row.kind == kind]
        header = ["case", "method", "best", "median", "runs", "Mpx/s", _QUALITY[kind],
                  "fastseg faster"]  # fmt: skip
        distinct = any(row.speedup_distinct is not None for row in kind_rows)
        if distinct:
            header.append("distinct faster")
        if memory:
            header.append("extra B/px")
        lines += [f"**{_TITLES[kind]}**", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join("---" for _ in header) + "|")
        for row in kind_rows:
            speedup = "" if row.speedup is None else f"{row.speedup:.1f}x"
            if row.twin not in (None, "fastseg", "fastseg.elbow") and row.speedup is not None:
                speedup += f" (vs {row.twin})"
            cells = [
                row.group, row.method, _seconds(row.seconds), _seconds(row.median),
                str(len(row.times)), f"{row.throughput:.1f}", _quality(row), speedup,
            ]  # fmt: skip
            if distinct:
                value = row.speedup_distinct
                cells.append("" if value is None else f"{value:.1f}x")
            if memory:
                value = row.peak_bytes_per_pixel
                cells.append("" if value is None else f"{value:.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        notes = {row.method: row.note for row in kind_rows if row.note}
        lines.append("")
        lines += [f"- {method}: {note}" for method, note in notes.items()]
        lines.append("")
    missing = missing_modules()
    if missing:
        lines.append(f"Peers not installed (left out): {', '.join(missing)}.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def machine_description() -> str:
    """CPU model, cores, RAM and the versions of the libraries that were timed."""
    import numba

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    memory = ""
    with contextlib.suppress(ValueError, OSError):
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {ram / 2**30:.0f} GB RAM"
    versions = [
        f"Python {sys.version.split()[0]}", f"fastseg {fastseg.__version__}",
        f"numpy {np.__version__}", f"numba {numba.__version__}",
        f"{fastseg.get_num_threads()} fastseg threads", f"OpenCV {cv2.__version__}",
    ]  # fmt: skip
    optional = {"sklearn": "scikit-learn", "faiss": "faiss", "skimage": "scikit-image"}
    for module, label in optional.items():
        if importable(module):
            versions.append(f"{label} {importlib.import_module(module).__version__}")
    return f"{cpu}, {os.cpu_count()} cores{memory}; " + ", ".join(versions)
