"""Choosing the number of clusters: the silhouette score and the knee of a WCSS curve."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _validate
from ._config import parallel_section
from ._kernels.silhouette import SILHOUETTE_CHUNK, silhouette_partial_sums
from .kmeans import LloydEngine, kmeans

__all__ = ["Elbow", "choose_k", "elbow", "knee_point", "silhouette_score"]


def silhouette_score(samples, labels, *, sample_size: int | None = None, seed=None) -> float:
    """Mean silhouette coefficient of a clustering, with Euclidean distance.

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features), dtype uint8, uint16, float32 or float64
        The clustered samples, read as they are (any memory layout, no float copy). Must be
        finite.
    labels : array-like of shape (n_samples,), integer dtype
        Cluster of each sample. Any integer values; only the distinct values matter. There must
        be between 2 and ``n_samples - 1`` distinct labels.
    sample_size : int or None, default None
        Compute the score of this many samples, drawn without replacement, instead of all of
        them: an integer in [3, n_samples]. None scores every sample, however many there are.
    seed : None, int or numpy.random.Generator, default None
        Source of the draw when `sample_size` is given, through
        ``numpy.random.default_rng(seed)``. Ignored (but checked) otherwise.

    Returns
    -------
    float
        The mean over the scored samples of s = (b - a) / max(a, b), in [-1, 1].

    Raises
    ------
    TypeError
        If `samples` or `labels` has an unsupported dtype, or `sample_size` or `seed` is not
        an integer.
    ValueError
        If `samples` is not 2-D or holds NaN or infinity, `labels` does not have shape
        (n_samples,), there are fewer than 2 or more than n_samples - 1 distinct labels (also
        among the drawn samples), or `sample_size` is outside [3, n_samples].

    Notes
    -----
    For a sample i of cluster C, a(i) is the mean distance from i to the other samples of C and
    b(i) the smallest, over the other clusters, of the mean distance from i to that cluster's
    samples; s(i) = (b(i) - a(i)) / max(a(i), b(i)), and s(i) = 0 when i is alone in its
    cluster. This is :func:`sklearn.metrics.silhouette_score` with ``metric="euclidean"``. The
    two agree to rounding error, scikit-learn being the less exact: it computes distances as
    sqrt(|x|^2 + |y|^2 - 2 x.y), and for float32 input keeps them and their sums in float32,
    whereas here every distance is computed in float64 from the coordinate differences.

    The exact score costs O(n_samples^2 n_features) time (every distance is computed twice,
    once for each sample of the pair) and O(n_clusters) memory for each sample of the chunks in
    progress; no distance matrix is stored. It is computed in parallel over fixed chunks of
    samples, so the result is the same for any number of threads. 20 000 samples of 3 features
    mean 4e8 distances, a fraction of a second on a few cores; the time grows with the square
    of n_samples (10^6 pixels take some 2500 times longer), so for large inputs pass a
    `sample_size`.

    The draw is ``numpy.random.default_rng(seed).choice(n_samples, sample_size,
    replace=False)``, scored in increasing sample order. It differs from scikit-learn's draw
    (``RandomState(random_state).permutation(n_samples)[:sample_size]``), so scores with
    `sample_size` agree with scikit-learn's only in distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg.select_k import silhouette_score
    >>> samples = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> round(silhouette_score(samples, [0, 0, 1, 1]), 6)
    0.899749
    """
    samples = _validate.check_samples(samples, "samples")
    n_samples = samples.shape[0]
    labels = _validate.check_labels(labels, n_samples)
    distinct, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    _validate.check_n_labels(distinct.shape[0], n_samples)
    rng = _validate.check_seed(seed)
    if sample_size is not None:
        sample_size = _validate.check_int(sample_size, "sample_size", 3, n_samples, "n_samples")
        # Sorted, so that the kernel reads the samples in memory order.
        chosen = np.sort(rng.choice(n_samples, size=sample_size, replace=False))
        samples = samples[chosen]
        distinct, codes, counts = np.unique(labels[chosen], return_inverse=True, return_counts=True)
        if not 2 <= distinct.shape[0] <= sample_size - 1:
            raise ValueError(
                f"`sample_size` = {sample_size} drew samples of {distinct.shape[0]} distinct "
                f"label(s); the silhouette needs between 2 and sample_size - 1 = "
                f"{sample_size - 1}. Use a larger `sample_size`."
            )
    codes = np.ascontiguousarray(codes.reshape(-1), dtype=np.int64)
    counts = counts.astype(np.int64)
    partial_sums = np.empty(-(-samples.shape[0] // SILHOUETTE_CHUNK))
    with parallel_section():
        silhouette_partial_sums(samples, codes, counts, partial_sums)
    total = 0.0
    for partial in partial_sums.tolist():  # in chunk order: the same bits for any thread count
        total += partial
    return total / samples.shape[0]


def knee_point(ks, wcss) -> int:
    """The k at the knee (elbow) of a decreasing WCSS curve, by the Kneedle method.

    Parameters
    ----------
    ks : array-like of shape (m,), integer dtype
        Numbers of clusters, strictly increasing, m >= 2. They need not be evenly spaced.
    wcss : array-like of shape (m,), real
        Within-cluster sum of squares (or any decreasing cost) for each of `ks`. Finite; it need
        not be monotone.

    Returns
    -------
    int
        The element of `ks` at the knee; ``ks[0]`` when the curve has no knee: it is flat, has
        only 2 points, or is a decreasing curve with no point below the straight line from its
        first to its last point.

    Raises
    ------
    TypeError
        If `ks` is not integer or `wcss` not real.
    ValueError
        If they are not 1-D of the same length, have fewer than 2 values, `ks` is not strictly
        increasing or `wcss` is not finite.

    Notes
    -----
    Offline Kneedle (Satopää, Albrecht, Irwin and Raghavan, 2011) for a convex decreasing curve,
    without smoothing and without the sensitivity threshold:

    1. normalise to the unit square, x_n = (k - k_min) / (k_max - k_min) and
       y_n = (wcss - wcss_min) / (wcss_max - wcss_min);
    2. flip y so that the elbow becomes a knee of an increasing concave curve, y_f = 1 - y_n;
    3. take the difference curve y_d = y_f - x_n = 1 - y_n - x_n;
    4. the knee is the k of the largest y_d, the first one on ties.

    The largest y_d is the point of the normalised curve farthest below the line
    x_n + y_n = 1, the chord of a monotone curve. Because x is normalised by value, unevenly
    spaced `ks` are weighted by their spacing. Only the largest point of y_d is used, so a
    non-monotone curve (k-means run from random starts can rise slightly from one k to the next)
    still gives an answer; the min and max of `wcss` define its normalisation.

    Examples
    --------
    >>> from fastseg.select_k import knee_point
    >>> knee_point([1, 2, 3, 4, 5, 6], [100.0, 50.0, 10.0, 8.0, 6.0, 4.0])
    3
    """
    ks, wcss = _validate.check_curve(ks, wcss)
    low, high = wcss.min(), wcss.max()
    if high == low:
        return int(ks[0])
    x_normalised = (ks - ks[0]) / float(ks[-1] - ks[0])
    y_normalised = (wcss - low) / (high - low)
    difference = (1.0 - y_normalised) - x_normalised
    return int(ks[int(np.argmax(difference))])


@dataclass(frozen=True, eq=False)
class Elbow:
    """The within-cluster sum of squares (WCSS) for each k, and the knee of that curve.

    Attributes
    ----------
    ks : ndarray of shape (m,), int64
    wcss : ndarray of shape (m,), float64
        The k-means compactness for each k.
    knee : int
        The k at the knee (:func:`knee_point`).
    """

    ks: np.ndarray
    wcss: np.ndarray
    knee: int


@dataclass
class _Clusterable:
    """What the k sweeps cluster: an image's distinct colours (weighted) or its pixels, or samples.

    `n_points` (pixels or samples) bounds k; `bound` names that bound in messages.
    """

    samples: np.ndarray
    weights: np.ndarray | None
    n_points: int
    bound: str
    release: Callable[[], None]


def _clusterable(data, color_space, channel_order) -> _Clusterable:
    from .segment import prepare

    array = _validate.as_array(data, "image_or_samples")
    if array.ndim == 3:
        prepared = prepare(array, color_space, channel_order, 0.0, "auto")
        return _Clusterable(
            prepared.samples, prepared.weights, len(prepared.pixels), "H * W", prepared.release
        )
    samples = _validate.check_samples(array, "image_or_samples")
    return _Clusterable(samples, None, len(samples), "n_samples", lambda: None)


def _check_ks(ks, n_points: int, bound_name: str) -> np.ndarray:
    values = list(ks) if not isinstance(ks, int | np.integer) else None
    if not values:
        raise ValueError(f"`ks` must be a non-empty sequence of integers; got {ks!r}.")
    values = [_validate.check_int(k, "ks[i]", 1, n_points, bound_name) for k in values]
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"`ks` must be strictly increasing; got {values}.")
    return np.array(values, dtype=np.int64)


def elbow(
    image_or_samples, ks=range(1, 11), *, color_space="rgb", channel_order="rgb",
    criteria=None, attempts=1, seed=None,
) -> Elbow:  # fmt: skip
    """k-means WCSS for each k in `ks`, and the knee of the curve.

    Parameters
    ----------
    image_or_samples : ndarray
        An image (H, W, C) as for :func:`fastseg.segment`, or samples (n_samples, n_features)
        as for :func:`fastseg.kmeans` (pass a gray image as (H, W, 1)). For 8-bit images the
        distinct colours and their counts are computed once and clustered for every k.
    ks : sequence of int, default range(1, 11)
        Strictly increasing numbers of clusters.
    color_space, channel_order
        As for :func:`fastseg.segment` (images only).
    criteria, attempts, seed
        As for :func:`fastseg.kmeans`; `seed` seeds one generator used for every k in turn.

    Returns
    -------
    Elbow
    """
    rng = _validate.check_seed(seed)
    data = _clusterable(image_or_samples, color_space, channel_order)
    samples, weights = data.samples, data.weights
    try:
        ks = _check_ks(ks, data.n_points, data.bound)
        # With more clusters than distinct colours, each colour can have a cluster: WCSS 0.
        wcss = np.array(
            [
                kmeans(samples, int(k), criteria=criteria, attempts=attempts, seed=rng,
                       sample_weight=weights).compactness if k <= len(samples) else 0.0
                for k in ks
            ]
        )  # fmt: skip
    finally:
        data.release()
    return Elbow(ks=ks, wcss=wcss, knee=knee_point(ks, wcss))


def choose_k(
    image_or_samples, ks=range(2, 11), *, method="elbow", color_space="rgb",
    channel_order="rgb", sample_size=2000, seed=None,
) -> int:  # fmt: skip
    """A number of clusters for the data: the elbow's knee, or the best silhouette score.

    Parameters
    ----------
    image_or_samples, ks, color_space, channel_order
        As for :func:`elbow` (ks below 2 are skipped by the silhouette method).
    method : {"elbow", "silhouette"}, default "elbow"
    sample_size : int, default 2000
        Silhouette only: the score of each k is computed on this many samples drawn in
        proportion to their weight (pixel count), as the exact score costs O(n^2).
    seed : None, int or numpy.random.Generator
    """
    if method == "elbow":
        return elbow(image_or_samples, ks, color_space=color_space,
                     channel_order=channel_order, seed=seed).knee  # fmt: skip
    if method != "silhouette":
        raise ValueError(f"`method` must be 'elbow' or 'silhouette'; got {method!r}.")
    rng = _validate.check_seed(seed)
    data = _clusterable(image_or_samples, color_space, channel_order)
    samples, weights = data.samples, data.weights
    try:
        ks = _check_ks(ks, data.n_points, data.bound)
        # Silhouettes need 2 clusters, and no more clusters than distinct samples.
        ks = [k for k in ks if 2 <= k <= len(samples)]
        if not ks:
            raise ValueError(
                "`ks` must contain a k >= 2, and no larger than the number of distinct colours, "
                f"{len(samples)}, for the silhouette method."
            )
        size = _validate.check_int(sample_size, "sample_size", 3)
        drawn = LloydEngine(samples, weights, 1).samples_by_weight(rng.random(size))
        subset = np.ascontiguousarray(samples[np.sort(drawn)])
        scores = []
        for k in ks:
            centers = kmeans(samples, int(k), seed=rng, sample_weight=weights).centers
            labels = ((subset[:, None, :] - centers[None]) ** 2).sum(2).argmin(1)
            scores.append(silhouette_score(subset, labels) if len(set(labels)) > 1 else -1.0)
    finally:
        data.release()
    return int(ks[int(np.argmax(scores))])
