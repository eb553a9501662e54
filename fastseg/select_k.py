"""Choosing the number of clusters: the silhouette score and the knee of a WCSS curve.

Images and samples come in by name, the same way in every function of this module: an argument
called `image` is always an image, (H, W) gray or (H, W, C) colour, under the image rules of
:func:`fastseg.segment`; an argument called `samples` is always an (n_samples, n_features) array,
as for :func:`fastseg.kmeans`. No argument takes both, so a 2-D array is never guessed at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _config, _validate
from ._kernels.silhouette import (
    SILHOUETTE_CHUNK,
    distances_from_products,
    largest_magnitude,
    silhouette_coefficients,
    silhouette_partial_sums,
)
from .clustering import kmeans

__all__ = [
    "Elbow",
    "Silhouette",
    "choose_k",
    "elbow",
    "knee_point",
    "silhouette",
    "silhouette_score",
]


def _power_of_two_scale(largest: float) -> float:
    """A power of two that brings `largest` (finite, >= 0) into [0.5, 1), within float range.

    Multiplying by a power of two is exact, so scaling data by it changes no scale-free result.
    """
    if largest == 0.0:
        return 1.0
    _, exponent = math.frexp(largest)
    return math.ldexp(1.0, min(-exponent, 1023))


def _coordinate_scale(samples: np.ndarray) -> float:
    """The power of two the silhouette kernel multiplies coordinates by.

    Integer coordinates (at most 65535) cannot overflow a sum of squares; float ones are brought
    near 1, so values up to the largest float do not overflow and tiny ones do not vanish.
    """
    if samples.dtype.kind != "f":
        return 1.0
    return _power_of_two_scale(largest_magnitude(samples))


#: Features from which the silhouette's distances may come from matrix products (NumPy's BLAS)
#: instead of coordinate differences (see :func:`_silhouette_from_products`), when there are at
#: most a quarter as many clusters as features: the sums per cluster cost another product with
#: k columns.
PRODUCT_FEATURES = 32

#: Samples per block of :func:`_silhouette_from_products`: the distances of two blocks come from
#: products of (block, f) by (f, block) float64 coordinates, f at most PRODUCT_VALUES // block.
PRODUCT_BLOCK = 1024

#: Most float64 coordinates of one block held at once by :func:`_silhouette_from_products` (16
#: MB; there are two such buffers): wider samples are multiplied in slices of their features, so
#: the memory of a pass does not grow with the number of features.
PRODUCT_VALUES = 1 << 21

#: The products keep a cluster's distances when its centre is at most 32 times its root mean
#: square radius from the mean of all the samples (this bound is on the squares), and that
#: radius is above 1e-6 times the largest coordinate per feature (the floor is on the squares,
#: per feature, in coordinates scaled to at most 1). Other clusters' distances would lose
#: digits to the offset or to the rounding of the coordinates: the differences are used then.
MAX_OFFSET_RATIO = 1024.0
MIN_SQUARED_SPREAD = 1e-12


def _weighted_silhouette(samples, weights, codes, cluster_weights) -> float:
    """Mean silhouette of `samples`, a sample of weight w counting as w copies of it.

    `codes` are int64 in [0, k), `cluster_weights` the (k,) totals of `weights` per code.
    """
    n_features, k = samples.shape[1], cluster_weights.shape[0]
    if n_features >= PRODUCT_FEATURES and 4 * k <= n_features:
        score = _silhouette_from_products(samples, weights, codes, cluster_weights)
        if score is not None:
            return score
    partial_sums = np.empty(-(-samples.shape[0] // SILHOUETTE_CHUNK))
    scale = _coordinate_scale(samples)
    _config.run_in_threads(
        silhouette_partial_sums, partial_sums.shape[0], samples, weights, codes,
        cluster_weights, scale, partial_sums,
    )  # fmt: skip
    total = 0.0
    for partial in partial_sums.tolist():  # in chunk order: the same bits for any thread count
        total += partial
    return total / float(weights.sum())


def _silhouette_from_products(samples, weights, codes, cluster_weights) -> float | None:
    """:func:`_weighted_silhouette` for wide samples, with distances from matrix products, or
    None when those would not keep the distances within some cluster.

    With d features, a distance from coordinate differences costs 3d operations in the
    kernel's loops; from |x|^2 + |y|^2 - 2 x.y, the product x.y is one multiply-add in a BLAS
    product, and the matrix of distances is symmetric, so only its blocks on and above the
    diagonal are computed, each serving both of its blocks of samples. The products are made in
    float64 on coordinates scaled as the kernel's and measured from their mean: the squared
    distance of two samples then loses about 1e-16 of their squared distances to the mean, which
    the bounds on each cluster's offset and radius (MAX_OFFSET_RATIO, MIN_SQUARED_SPREAD, checked
    in a first pass over the samples) keep below about 1e-13 of the cluster's own squared
    distances. A sample's distance to itself is 0 exactly. Each block's distances are summed per
    cluster by one more product, with an (n, k) matrix of the samples' weights in their
    clusters' columns.

    The blocks are worked through in a fixed order, and OpenBLAS (NumPy's) splits a product
    among its threads by blocks of the result, each value summed by one thread: the score does
    not depend on the number of threads. Memory: two buffers of PRODUCT_VALUES coordinates, two
    (block, block) matrices, and (n, k) sums and weights.
    """
    n, d = samples.shape
    k = cluster_weights.shape[0]
    scale = _coordinate_scale(samples)
    n_rows = min(n, PRODUCT_BLOCK)
    n_features = min(d, max(1, PRODUCT_VALUES // n_rows))
    blocks = [slice(start, min(n, start + n_rows)) for start in range(0, n, n_rows)]
    feature_blocks = [slice(f, min(d, f + n_features)) for f in range(0, d, n_features)]
    # Buffers reused by every block: new arrays of this size would each cost their page faults.
    row_buffer, column_buffer = np.empty((2, n_rows, n_features))
    products, partial = np.empty((2, n_rows, n_rows))
    mean = np.zeros(d)

    def coordinates(rows, features, buffer, centred=True):  # scaled: at most 1
        block = buffer[: rows.stop - rows.start, : features.stop - features.start]
        np.multiply(samples[rows, features], scale, out=block, dtype=np.float64)
        if centred:
            block -= mean[features]
        return block

    for features in feature_blocks:  # the mean of the scaled coordinates: no overflow
        for rows in blocks:
            mean[features] += coordinates(rows, features, row_buffer, centred=False).sum(axis=0)
    mean /= n
    membership = np.zeros((n, k))
    membership[np.arange(n), codes] = weights
    norms = np.zeros(n)  # |x - mean|^2
    offsets = np.zeros(k)  # |cluster centre - mean|^2
    for features in feature_blocks:
        centre_sums = np.zeros((k, features.stop - features.start))  # weighted, minus the mean
        for rows in blocks:
            block = coordinates(rows, features, row_buffer)
            norms[rows] += np.einsum("ij,ij->i", block, block)
            centre_sums += membership[rows].T @ block
        offsets += np.einsum("ij,ij->i", centre_sums, centre_sums) / cluster_weights**2
    spreads = (norms @ membership) / cluster_weights - offsets  # mean squared radius
    many = cluster_weights > 1.0  # a sample alone scores 0, and its distances to others are far
    floor = np.maximum(offsets[many] / MAX_OFFSET_RATIO, MIN_SQUARED_SPREAD * d)
    if not (spreads[many] >= floor).all():
        return None
    cluster_sums = np.zeros((n, k))
    for i, rows in enumerate(blocks):
        for columns in blocks[i:]:
            # C-contiguous views of the buffers' first values: one compiled kernel for every
            # block, and no strides for BLAS.
            shape = (rows.stop - rows.start, columns.stop - columns.start)
            distances = products.reshape(-1)[: shape[0] * shape[1]].reshape(shape)
            for f, features in enumerate(feature_blocks):
                if columns == rows or len(feature_blocks) > 1:  # else kept from the diagonal
                    x = coordinates(rows, features, row_buffer)
                y = x if columns == rows else coordinates(columns, features, column_buffer)
                if f == 0:
                    np.matmul(x, y.T, out=distances)
                else:
                    added = partial.reshape(-1)[: distances.size].reshape(shape)
                    distances += np.matmul(x, y.T, out=added)
            distances_from_products(distances, norms[rows], norms[columns])
            if columns == rows:
                np.fill_diagonal(distances, 0.0)
            cluster_sums[rows] += distances @ membership[columns]
            if columns != rows:
                cluster_sums[columns] += distances.T @ membership[rows]
    coefficients = np.empty(n)
    silhouette_coefficients(cluster_sums, codes, cluster_weights, coefficients)
    return float((weights * coefficients).sum()) / float(weights.sum())


def silhouette_score(samples, labels, *, sample_size: int | None = None, seed=None) -> float:
    """Mean silhouette coefficient of a clustering, with Euclidean distance.

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features), dtype uint8, uint16, float32 or float64
        The clustered samples, read as they are (any memory layout, no float copy). Must be
        finite; any finite values are scored (the score does not depend on their scale). A 2-D
        array is always samples, never a gray image: to score an image's pixels, pass
        ``image.reshape(-1, n_channels)`` and ``labels.reshape(-1)``.
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
    sqrt(|x|^2 + |y|^2 - 2 x.y) from the coordinates as they are, and for float32 input keeps
    them and their sums in float32. Here every distance is computed in float64: from the
    coordinate differences for fewer than 32 features; from 32 up (with at most a quarter as
    many clusters as features), through NumPy's matrix product (BLAS), from coordinates
    measured from their mean, which loses only about 1e-16 of the samples' squared distances to
    the mean; when that could be more than about 1e-13 of a cluster's own squared distances (a
    cluster tight, or far from the mean of all, beyond fixed bounds), from the differences
    again. Float coordinates are first multiplied by the
    power of two that brings the largest magnitude near 1, which is exact and leaves the score
    unchanged, so that values up to the largest float neither overflow nor, when all are tiny,
    vanish when squared.

    The exact score costs O(n_samples^2 n_features) time (from the differences, every distance
    is computed twice, once for each sample of the pair; through products, once) and no
    distance matrix of all the samples is stored: from the differences, O(n_clusters +
    n_features) memory for each sample of the blocks in progress, computed in parallel over
    fixed chunks of samples; through products, blocks of 1024 x 1024 distances, two 16 MB
    buffers of coordinates and O(n_samples n_clusters) sums, with NumPy's BLAS threads. The
    result is the same for any number of fastseg threads (and of BLAS threads with OpenBLAS,
    NumPy's). 20 000 samples of 3 features mean 4e8 distances, a fraction of a second on a few
    cores; the time grows with the square of n_samples (10^6 pixels take some 2500 times
    longer), so for large inputs pass a `sample_size`.

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
    weights = np.ones(samples.shape[0])
    return _weighted_silhouette(samples, weights, codes, counts.astype(np.float64))


def knee_point(ks, wcss) -> int:
    """The k at the knee (elbow) of a decreasing WCSS curve, by the Kneedle method.

    Parameters
    ----------
    ks : array-like of shape (m,), integer dtype
        Numbers of clusters, strictly increasing, m >= 2. They need not be evenly spaced.
    wcss : array-like of shape (m,), real
        Within-cluster sum of squares (or any decreasing cost) for each of `ks`. Finite (any
        finite values: the knee does not depend on their scale); it need not be monotone.

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
        increasing or holds values beyond the int64 range, or `wcss` is not finite.

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
    still gives an answer; the min and max of `wcss` define its normalisation. `wcss` is first
    multiplied by a power of two that brings its largest magnitude near 1 (exact, and without
    effect on the knee), so that wcss_max - wcss_min cannot overflow.

    Examples
    --------
    >>> from fastseg.select_k import knee_point
    >>> knee_point([1, 2, 3, 4, 5, 6], [100.0, 50.0, 10.0, 8.0, 6.0, 4.0])
    3
    """
    ks, wcss = _validate.check_curve(ks, wcss)
    wcss = wcss * _power_of_two_scale(float(np.abs(wcss).max()))
    low, high = wcss.min(), wcss.max()
    if high == low:
        return int(ks[0])
    # In float64: int64 differences of far-apart ks could wrap around.
    positions = ks.astype(np.float64)
    x_normalised = (positions - positions[0]) / (positions[-1] - positions[0])
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

    `weights` are the pixel counts of distinct colours (None: one pixel or sample per row);
    `n_points` is the number of pixels or samples, which bounds the checked `ks`.
    """

    samples: np.ndarray
    weights: np.ndarray | None
    n_points: int
    ks: np.ndarray


def _clusterable(image, samples, ks, color_space, channel_order) -> _Clusterable:
    """The data of a k sweep, and its `ks` checked before the image is prepared."""
    from .segmentation import sweep_samples

    _validate.check_image_or_samples(image, samples)
    if image is not None:
        image = _validate.check_image(image)
        n_points = image.shape[0] * image.shape[1]
        ks = _validate.check_ks(ks, n_points, "H * W")
        samples, weights = sweep_samples(image, color_space, channel_order)
        return _Clusterable(samples, weights, n_points, ks)
    for name, value in (("color_space", color_space), ("channel_order", channel_order)):
        if not (isinstance(value, str) and value.lower() == "rgb"):
            raise ValueError(
                f"`{name}` applies to an `image` only, and must be left at 'rgb' with "
                f"`samples`; got {value!r}."
            )
    samples = _validate.check_samples(samples, "samples")
    ks = _validate.check_ks(ks, len(samples), "n_samples")
    return _Clusterable(samples, None, len(samples), ks)


def elbow(
    image=None, ks=range(1, 11), *, samples=None, color_space="rgb", channel_order="rgb",
    criteria=None, attempts=1, seed=None,
) -> Elbow:  # fmt: skip
    """k-means WCSS for each k in `ks`, and the knee of the curve.

    Give the data as `image` or as `samples` (exactly one of them).

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), optional
        An image, as for :func:`fastseg.segment`: a 2-D array is a gray image. Its pixels are
        clustered (not the alpha channel): uint8, uint16, or float in [0, 1] (a float image
        outside [0, 1] is refused). For 8-bit images the distinct colours and their counts are
        computed once and clustered for every k, with the same WCSS as clustering every pixel.
    ks : iterable of int, default range(1, 11)
        Strictly increasing numbers of clusters, each in [1, n], where n is the number of pixels
        (H * W) or of samples. They are checked before any clustering: a `range` by its ends,
        another iterable value by value (so at most n values are ever read).
    samples : ndarray of shape (n_samples, n_features), optional, keyword-only
        Samples, as for :func:`fastseg.kmeans`: uint8, uint16, float32 or float64, any finite
        values. The way to cluster anything that is not an image.
    color_space, channel_order
        As for :func:`fastseg.segment`; with `samples` they must stay "rgb".
    criteria, attempts, seed
        As for :func:`fastseg.kmeans`; `seed` seeds one generator used for every k in turn.

    Returns
    -------
    Elbow
        ``ks`` (int64), ``wcss`` (float64, in the squared units of the pixels' working colour
        space or of the samples) and the ``knee``. A k above the number of distinct colours of
        an 8-bit image has WCSS 0: every colour can have a cluster of its own.

    Raises
    ------
    TypeError
        If neither or both of `image` and `samples` are given, either has an unsupported dtype,
        or `ks`, `attempts` or `seed` is not made of integers.
    ValueError
        If the image or samples break the rules above, or `ks` is empty, not strictly
        increasing, or has a value outside [1, n].

    Examples
    --------
    >>> import numpy as np, fastseg
    >>> gray = np.repeat(np.array([[0, 100, 200]], np.uint8), 4, axis=0)  # (4, 3): 12 pixels
    >>> fastseg.elbow(gray, [1, 2, 3], seed=0).wcss.tolist()
    [80000.0, 20000.0, 0.0]
    >>> points = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> fastseg.elbow(samples=points, ks=[1, 2, 3], seed=0).wcss.tolist()
    [101.0, 1.0, 0.5]
    """
    rng = _validate.check_seed(seed)
    data = _clusterable(image, samples, ks, color_space, channel_order)
    points, weights, ks = data.samples, data.weights, data.ks
    # With more clusters than distinct colours, each colour can have a cluster: WCSS 0.
    wcss = np.array(
        [
            kmeans(points, int(k), criteria=criteria, attempts=attempts, seed=rng,
                   sample_weight=weights).compactness if k <= len(points) else 0.0
            for k in ks
        ]
    )  # fmt: skip
    return Elbow(ks=ks, wcss=wcss, knee=knee_point(ks, wcss))


def _scored_rows(data: _Clusterable, sample_size: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """The rows of `data.samples` that the silhouette method scores, and their multiplicities.

    All pixels (or samples) when there are at most `sample_size` of them, each once; otherwise
    `sample_size` of them drawn uniformly without replacement. For distinct colours weighted by
    their pixel counts, the draw is of pixel positions in the colours' cumulative counts, so a
    colour drawn m times scores as m pixels of that colour.
    """
    n_rows = data.samples.shape[0]
    if data.n_points <= sample_size:
        rows = np.arange(n_rows)
        weights = np.ones(n_rows) if data.weights is None else data.weights
        return rows, np.ascontiguousarray(weights, dtype=np.float64)
    positions = np.sort(rng.choice(data.n_points, size=sample_size, replace=False))
    if data.weights is None:
        return positions, np.ones(sample_size)
    cumulative = np.cumsum(data.weights)  # integer counts: exact in float64
    colours = np.searchsorted(cumulative, positions, side="right")
    rows, multiplicities = np.unique(colours, return_counts=True)
    return rows, multiplicities.astype(np.float64)


def _silhouette_scores(data: _Clusterable, ks, sample_size: int, rng, criteria, attempts):
    """For each k of `ks`: the k-means of all of `data`, scored on the rows of :func:`_scored_rows`.

    Returns the scores, NaN for a k whose scored rows fall in one cluster.
    """
    rows, multiplicities = _scored_rows(data, sample_size, rng)
    everything = len(rows) == data.samples.shape[0]  # then rows is 0..n-1: read them in place
    scored = data.samples if everything else np.ascontiguousarray(data.samples[rows])
    scores = []
    for k in ks:
        labels = kmeans(data.samples, int(k), criteria=criteria, attempts=attempts, seed=rng,
                        sample_weight=data.weights).labels  # fmt: skip
        distinct, codes = np.unique(labels[rows], return_inverse=True)
        codes = np.ascontiguousarray(codes.reshape(-1), dtype=np.int64)
        if len(distinct) < 2:
            scores.append(np.nan)
        else:
            cluster_weights = np.bincount(codes, weights=multiplicities, minlength=len(distinct))
            scores.append(_weighted_silhouette(scored, multiplicities, codes, cluster_weights))
    return np.array(scores)


@dataclass
class Silhouette:
    """The result of :func:`silhouette`.

    Attributes
    ----------
    ks : ndarray of int64
        The ks that were scored: those of the given `ks` from 2 up to the number of distinct
        colours (or samples).
    scores : ndarray of float64
        The silhouette score of each k's clustering; NaN where every scored pixel (or sample)
        fell into one cluster.
    best : int
        The k with the highest score (the smallest such k on ties).
    """

    ks: np.ndarray
    scores: np.ndarray
    best: int


def silhouette(
    image=None, ks=range(2, 11), *, samples=None, color_space="rgb", channel_order="rgb",
    sample_size=2000, criteria=None, attempts=1, seed=None,
) -> Silhouette:  # fmt: skip
    """The silhouette score of the k-means clustering for each k in `ks`, and the best k.

    Give the data as `image` or as `samples` (exactly one of them), as for :func:`elbow`.
    ``choose_k(..., method="silhouette")`` returns this function's ``best``.

    Parameters
    ----------
    image, ks, samples, color_space, channel_order
        As for :func:`elbow`: a 2-D `image` is a gray image; samples come in as `samples`.
        The ks below 2 and above the number of distinct colours (or samples) are skipped.
    sample_size : int, default 2000
        The most pixels (or samples) scored, an integer >= 3.
    criteria, attempts
        As for :func:`fastseg.kmeans`, for the clustering of every k.
    seed : None, int or numpy.random.Generator
        Seeds one generator used, in this order, for the draw of the scored pixels (when there
        are more than `sample_size`) and for the k-means of every k in turn.

    Returns
    -------
    Silhouette
        ``ks``, ``scores`` and ``best``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`elbow`; also if `sample_size` is not an integer >= 3, no k of `ks` can be
        scored, or the scored pixels fall into a single cluster for every k.

    Notes
    -----
    Each k is clustered by :func:`fastseg.kmeans` on all the data. The score is exact when the
    image has at most `sample_size` pixels (or there are at most `sample_size` samples): every
    pixel is scored once (the pixels of a distinct colour through the colour and its count,
    which gives the same score). Otherwise `sample_size` pixels are drawn uniformly without
    replacement (for distinct colours, pixel positions in their cumulative counts) and scored
    with the labels their colours got; the exact score costs O(n^2) time.

    Examples
    --------
    >>> import numpy as np, fastseg
    >>> points = np.array([[0.0], [1.0], [10.0], [11.0], [30.0], [31.0]])
    >>> result = fastseg.silhouette(samples=points, ks=[2, 3, 4], seed=0)
    >>> result.best, result.scores.round(3).tolist()
    (3, [0.792, 0.916, 0.614])
    """
    rng = _validate.check_seed(seed)
    size = _validate.check_int(sample_size, "sample_size", 3)
    data = _clusterable(image, samples, ks, color_space, channel_order)
    # Silhouettes need 2 clusters, and no more clusters than distinct samples.
    ks = np.array([k for k in data.ks.tolist() if 2 <= k <= len(data.samples)], dtype=np.int64)
    if not len(ks):
        raise ValueError(
            "`ks` must contain a k >= 2, and no larger than the number of distinct colours, "
            f"{len(data.samples)}, for the silhouette method."
        )
    scores = _silhouette_scores(data, ks, size, rng, criteria, attempts)
    if np.isnan(scores).all():
        if data.n_points <= size:  # every pixel (or sample) was scored
            raise ValueError(
                "every k put all the pixels (or samples) in a single cluster: the data hold a "
                "single distinct value, which no silhouette can score."
            )
        raise ValueError(
            f"`sample_size` = {size} scored pixels of a single cluster for every k; use a "
            "larger `sample_size`."
        )
    return Silhouette(ks=ks, scores=scores, best=int(ks[int(np.nanargmax(scores))]))


def choose_k(
    image=None, ks=range(2, 11), *, samples=None, method="elbow", color_space="rgb",
    channel_order="rgb", sample_size=2000, seed=None,
) -> int:  # fmt: skip
    """A number of clusters for the data: the elbow's knee, or the best silhouette score.

    Give the data as `image` or as `samples` (exactly one of them), as for :func:`elbow`.

    Parameters
    ----------
    image, ks, samples, color_space, channel_order
        As for :func:`elbow`: a 2-D `image` is a gray image; samples come in as `samples`.
        The silhouette method skips the ks below 2 and above the number of distinct colours.
    method : {"elbow", "silhouette"}, default "elbow"
        "elbow": ``elbow(...).knee``, the knee of the WCSS curve. "silhouette":
        ``silhouette(...).best``, the k with the highest silhouette score (the smallest such k
        on ties).
    sample_size, seed
        As for :func:`silhouette` (`sample_size` is used by the silhouette method only).

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        As for :func:`elbow` or :func:`silhouette`; also if `method` is unknown.
    """
    if method not in ("elbow", "silhouette"):
        raise ValueError(f"`method` must be 'elbow' or 'silhouette'; got {method!r}.")
    if method == "elbow":
        return elbow(image, ks, samples=samples, color_space=color_space,
                     channel_order=channel_order, seed=seed).knee  # fmt: skip
    result = silhouette(
        image, ks, samples=samples, color_space=color_space, channel_order=channel_order,
        sample_size=sample_size, seed=seed,
    )  # fmt: skip
    return result.best
