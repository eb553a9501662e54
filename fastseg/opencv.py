"""Drop-in replacements with OpenCV's signatures and return values.

``fastseg.opencv.kmeans`` and ``fastseg.opencv.Canny`` take the arguments ``cv2.kmeans`` and
``cv2.Canny`` take, including OpenCV's integer flags, and return what they return.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _validate
from .kmeans import Criteria, LloydEngine, run_attempts

# --- k-means ---

#: OpenCV's k-means flags (cv2.KMEANS_RANDOM_CENTERS, KMEANS_USE_INITIAL_LABELS, KMEANS_PP_CENTERS).
KMEANS_RANDOM_CENTERS = 0
KMEANS_USE_INITIAL_LABELS = 1
KMEANS_PP_CENTERS = 2


def kmeans(data, K, bestLabels, criteria, attempts, flags, centers=None):
    """``cv2.kmeans`` with fastseg's engine: same arguments, same return values.

    Parameters
    ----------
    data : array of shape (N, d) or (N,)
        Samples, one per row (a 1-D array is N samples of one feature). Unlike OpenCV, uint8,
        uint16 and float64 are accepted as well as float32, and are not converted.
    K : int
        Number of clusters, in [1, N].
    bestLabels : array of N int32 labels or None
        Initial labels, read only with ``KMEANS_USE_INITIAL_LABELS``.
    criteria : tuple (type, max_iter, epsilon)
        OpenCV's termination criteria, read as :meth:`fastseg.Criteria.from_opencv` says.
    attempts : int
        Number of runs; the one with the lowest compactness is returned.
    flags : int
        ``KMEANS_RANDOM_CENTERS`` (0), ``KMEANS_PP_CENTERS`` (2), optionally plus
        ``KMEANS_USE_INITIAL_LABELS`` (1): the first attempt then starts from the centers of
        `bestLabels`, later ones from the other flag's seeding.
    centers : ignored
        Present for signature compatibility; OpenCV's Python binding returns the centers.

    Returns
    -------
    compactness : float
    labels : ndarray of shape (N, 1), int32
    centers : ndarray of shape (K, d), float32

    Notes
    -----
    Seeding is deterministic: the same call gives the same result. ``KMEANS_RANDOM_CENTERS``
    seeds with K samples drawn at random; OpenCV instead draws K points
    uniformly in the bounding box of the data, which often leaves clusters empty at first.
    """
    samples = _validate.as_array(data, "data")
    if samples.ndim == 1:
        samples = samples[:, None]
    samples = _validate.check_samples(samples, "data")
    n_samples = samples.shape[0]
    k = _validate.check_int(K, "K", 1, n_samples, "N")
    attempts = max(_validate.check_int(attempts, "attempts", 0), 1)  # 0 means 1, as in OpenCV
    if isinstance(flags, bool) or not isinstance(flags, numbers.Integral) or not 0 <= flags <= 3:
        raise ValueError(
            "`flags` must be KMEANS_RANDOM_CENTERS (0) or KMEANS_PP_CENTERS (2), optionally plus "
            f"KMEANS_USE_INITIAL_LABELS (1); got {_validate._describe(flags)}."
        )
    criteria = Criteria.from_opencv(criteria)
    init = "k-means++" if flags & KMEANS_PP_CENTERS else "random"
    engine = LloydEngine(samples, None, k)
    rng = np.random.default_rng(
        0
    )  # like OpenCV's default generator: the same call, the same result
    first_init = init
    if flags & KMEANS_USE_INITIAL_LABELS:
        first_init = _centers_of_labels(engine, bestLabels)
    first = run_attempts(engine, first_init, criteria, None, 1, rng)
    best = (first.compactness, first.labels.astype(np.int32), first.centers)
    if attempts > 1:
        other = run_attempts(engine, init, criteria, None, attempts - 1, rng)
        if other.compactness < best[0]:
            best = (other.compactness, other.labels.astype(np.int32), other.centers)
    compactness, labels, centers = best
    return compactness, labels.reshape(n_samples, 1), centers.astype(np.float32)


def _centers_of_labels(engine: LloydEngine, labels) -> np.ndarray:
    """Centers of the clusters given by `labels` (empty ones re-seeded), to start from."""
    expected = (
        f"`bestLabels` must hold N = {engine.n_samples} integer labels "
        "with KMEANS_USE_INITIAL_LABELS"
    )
    if labels is None:
        raise ValueError(f"{expected}; got None.")
    labels = _validate.as_array(labels, "bestLabels")
    if labels.size != engine.n_samples or labels.dtype.kind not in "iu":
        raise ValueError(f"{expected}; got shape {labels.shape}, dtype {labels.dtype.name}.")
    labels = labels.reshape(-1)
    if labels.min() < 0 or labels.max() >= engine.k:
        raise ValueError(f"`bestLabels` must be in [0, K - 1] = [0, {engine.k - 1}].")
    engine.labels[:] = labels
    return engine.centers_of_labels()


# --- Canny ---
