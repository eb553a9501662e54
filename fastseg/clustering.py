"""k-means driver: seeding, Lloyd iterations, termination and attempts, as free functions over a
pass source (:mod:`fastseg.passes`), the one interface to where the samples live."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _config, _validate
from ._kernels import seeding
from .passes import MemoryPasses

__all__ = ["Criteria", "KMeansResult", "kmeans"]

#: cv2.TERM_CRITERIA_COUNT (also called MAX_ITER) and cv2.TERM_CRITERIA_EPS.
TERM_CRITERIA_COUNT = 1
TERM_CRITERIA_EPS = 2
_FLT_EPSILON = float(np.finfo(np.float32).eps)


#: Most distances to the candidates that k-means++ seeding keeps at once (64 MB): enough for k
#: up to about 6000 on seeding's rows (128 k of them, 2 + log k candidates).
KEPT_DISTANCES = 1 << 23


def seeding_size(n_features: int, k: int) -> int:
    """Rows the seeding draws from: 2**15, fewer for wide samples, at least 128 per cluster."""
    return max(min(1 << 15, (1 << 22) // n_features), 128 * k)


@dataclass(frozen=True)
class Criteria:
    """When Lloyd iterations stop: the first of these conditions that holds.

    Parameters
    ----------
    max_iter : int, default 300
        Largest number of center updates.
    epsilon : float or None, default None
        Stop when no center moved farther than this (Euclidean distance), as OpenCV's
        ``TERM_CRITERIA_EPS``.
    tol : float or None, default 1e-4
        Stop when the sum over centers of the squared shift is at most ``tol`` times the mean
        per-feature (weighted) variance of the data, as scikit-learn's ``tol``.

    Iterations also stop when no label changed: the centers are then a fixed point.
    ``Criteria.from_opencv((type, max_iter, epsilon))`` reads OpenCV's criteria tuple; a tuple given
    as ``criteria`` to :func:`kmeans` is read the same way.
    """

    max_iter: int = 300
    epsilon: float | None = None
    tol: float | None = 1e-4

    def __post_init__(self):
        _validate.check_int(self.max_iter, "criteria.max_iter", 1)
        if self.epsilon is not None:
            _validate.check_float(self.epsilon, "criteria.epsilon", 0.0)
        if self.tol is not None:
            _validate.check_float(self.tol, "criteria.tol", 0.0)

    @classmethod
    def from_opencv(cls, criteria) -> Criteria:
        """Criteria equivalent to OpenCV's ``(type, max_iter, epsilon)`` for ``cv2.kmeans``.

        As in OpenCV, ``type`` is ``TERM_CRITERIA_COUNT`` (1), ``TERM_CRITERIA_EPS`` (2) or both;
        the count is clamped to [2, 100] (100 when the COUNT flag is absent) and includes the
        initial assignment, so it allows ``count - 1`` center updates; without the EPS flag the
        threshold is FLT_EPSILON.
        """
        kind, count, epsilon = _validate.check_opencv_criteria(criteria)
        max_iter = min(max(count, 2), 100) if kind & TERM_CRITERIA_COUNT else 100
        return cls(
            max_iter=max_iter - 1,
            epsilon=max(epsilon, 0.0) if kind & TERM_CRITERIA_EPS else _FLT_EPSILON,
            tol=None,
        )


@dataclass(frozen=True, eq=False)
class KMeansResult:
    """The outcome of :func:`kmeans`.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        Index of each sample's center: uint8 when k <= 255, uint16 when k <= 65535, else int32.
    centers : ndarray of shape (k, n_features), float64
    compactness : float
        Weighted sum of squared distances of the samples to their centers (scikit-learn's inertia);
        ``inf`` when that sum exceeds the float64 range (about 1.8e308), as data spread over more
        than about 1e154 can make it. Labels and centers are still computed as for any data.
    n_iter : int
        Center updates made by the kept attempt.
    cluster_weights : ndarray of shape (k,), float64
        Total weight of each center's samples: their number when there are no sample weights.
    cluster_sums : ndarray of shape (k, n_features), float64
        Weighted sum of each center's samples. ``cluster_sums / cluster_weights[:, None]`` is the
        mean of the samples that carry each label, which differs from ``centers`` when the run
        stopped before the labels settled (the centers are those the labels were assigned to).
    """

    labels: np.ndarray
    centers: np.ndarray
    compactness: float
    n_iter: int
    cluster_weights: np.ndarray
    cluster_sums: np.ndarray


def draw_cumulative(cumulative: np.ndarray, u: float) -> int:
    """Index of the first row whose cumulative weight exceeds u * total (u in [0, 1)).

    A row that adds nothing to the cumulative weights is never drawn.
    """
    index = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    if index >= len(cumulative):  # rounding put the target at the very end
        index = int(np.flatnonzero(np.diff(cumulative, prepend=0.0) > 0.0)[-1])
    return index


def kmeans_plusplus(rows: np.ndarray, weights: np.ndarray, k: int, rng) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur and Vassilvitskii 2007, with local trials).

    The first center is a row drawn in proportion to its weight; each next one is the best, by
    the weighted sum of squared distances to the nearest center, of 2 + log(k) candidates drawn
    in proportion to weight times squared distance to the nearest chosen center (a row's share).
    Draws are taken from `rng` as ``rng.random()`` once, then ``rng.random(2 + log(k))`` per
    further center, and follow the rule of :mod:`fastseg._kernels.seeding`. Sums over rows are
    taken per chunk of SEED_CHUNK rows and added in chunk order, so the result does not depend
    on the number of threads. Each center after the first costs one pass over the rows, split
    among threads, which scores the candidates; the distances it computes to the chosen one
    then bring each row's distance to its nearest center up to date. They are kept for every
    candidate while that takes at most KEPT_DISTANCES values; beyond (large k), only the chosen
    candidate's are, from a second pass.

    Parameters
    ----------
    rows : (n, d) float64
    weights : (n,) float64, not negative, some positive
    k : int
    rng : numpy.random.Generator

    Returns
    -------
    centers : (k, d) float64
    """
    n_trials = 2 + int(np.log(k))
    n, d = rows.shape
    draws = rng.random(1 + (k - 1) * n_trials)
    columns = np.ascontiguousarray(rows.T, dtype=np.float64)  # feature by feature
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    chosen = np.empty(k, dtype=np.int64)  # the index of each center's row, in order
    closest = np.empty(n)  # squared distance of each row to its nearest center
    cumulative = np.empty(n)
    n_chunks = -(-n // seeding.SEED_CHUNK)
    trial_sums = np.empty((n_chunks, n_trials))  # per chunk, the shares with each candidate
    # Squared distance of each row to each candidate (or to the chosen one), by chunk of rows.
    keep = n_chunks * n_trials * seeding.SEED_CHUNK <= KEPT_DISTANCES
    trial_distances = np.empty((n_chunks, n_trials if keep else 1, seeding.SEED_CHUNK))
    chosen_sums = trial_sums if keep else np.empty((n_chunks, 1))
    chunk_totals = np.empty(n_chunks)  # per chunk, the sum of shares up to the last center
    candidates = np.empty(n_trials, dtype=np.int64)
    n_parts = n_chunks if n * d * n_trials >= seeding.SERIAL_WORK else 1
    shares = _config.thread_count(n_parts)
    # Each thread's distances of a chunk of rows to the candidates, when those are not kept.
    scratch = np.empty((shares, 0 if keep else n_trials, seeding.SEED_CHUNK))
    # The first center: drawn by weight alone, as candidates are drawn when no row has a share;
    # then scored as the only candidate while every row is infinitely far from any center, so
    # that the distances to it become the rows' distances to their nearest center.
    chunk_totals[:] = 0.0
    seeding.draw_candidates(weights, draws[:1], closest, cumulative, chunk_totals, chosen[:1])
    closest.fill(np.inf)
    first_sums = np.empty((n_chunks, 1))
    _config.run_in_threads(
        seeding.score_candidates, n_parts, columns, weights, closest,
        rows[chosen[:1]].astype(np.float64, copy=False), trial_distances, first_sums, scratch,
        shares=shares,
    )  # fmt: skip
    seeding.choose(chosen[:1], first_sums, trial_distances, chunk_totals, closest)
    for step in range(1, k):
        offset = 1 + (step - 1) * n_trials
        seeding.draw_candidates(
            weights, draws[offset : offset + n_trials], closest, cumulative, chunk_totals,
            candidates,
        )  # fmt: skip
        _config.run_in_threads(
            seeding.score_candidates, n_parts, columns, weights, closest,
            rows[candidates].astype(np.float64, copy=False), trial_distances, trial_sums, scratch,
            shares=shares,
        )  # fmt: skip
        if not keep:  # the chosen candidate's pass again, keeping its distances this time
            candidates[0] = seeding.choose(
                candidates, trial_sums, trial_distances, chunk_totals, closest
            )
            _config.run_in_threads(
                seeding.score_candidates, n_parts, columns, weights, closest,
                rows[candidates[:1]].astype(np.float64, copy=False), trial_distances, chosen_sums,
                scratch, shares=shares,
            )  # fmt: skip
        chosen[step] = seeding.choose(
            candidates[: chosen_sums.shape[1]], chosen_sums, trial_distances, chunk_totals,
            closest,
        )  # fmt: skip
    return rows[chosen]


def as_criteria(criteria) -> Criteria:
    """`criteria` (None, a :class:`Criteria` or OpenCV's tuple) as a Criteria."""
    if criteria is None:
        return Criteria()
    if isinstance(criteria, Criteria):
        return criteria
    return Criteria.from_opencv(criteria)


# -- seeding -------------------------------------------------------------------------------------


def seeding_rows(source, rng: np.random.Generator):
    """The rows the seeding draws from, as float64 in a canonical order, and their weights.

    Rows are ordered by their projection on a fixed random direction, so equal rows are adjacent
    and the order does not depend on how the input was ordered: with the same seed, a sample of
    weight w and w copies of it lead to the same centers, shuffled or not. Inputs larger than
    :func:`seeding_size` rows are first subsampled, with replacement and in proportion to the
    weights, to that many rows.
    """
    size = seeding_size(source.n_features, source.k)
    weights = None
    if source.n_samples > size:
        samples = source.rows(source.samples_by_weight(rng.random(size)))
    else:
        samples = source.rows(slice(None))
        if source.weighted:
            weights = source.weights
    rows = samples.astype(np.float64, copy=False)  # rows[order] below is the copy
    direction = np.random.default_rng(0x5EED).standard_normal(source.n_features)
    order = np.argsort(rows @ direction, kind="stable")
    weights = np.ones(len(rows)) if weights is None else weights[order]
    return rows[order], weights


def seed_random(source, rng: np.random.Generator) -> np.ndarray:
    """k distinct rows drawn with probability proportional to their weight."""
    rows, weights = seeding_rows(source, rng)
    cumulative = np.cumsum(weights)
    chosen: list[int] = []
    seen: set[int] = set()
    while len(chosen) < source.k:
        for _ in range(100):
            index = draw_cumulative(cumulative, rng.random())
            if index not in seen:
                break
        chosen.append(index)
        seen.add(index)
    return rows[chosen]


def seed_kmeans_pp(source, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ over :func:`seeding_rows`."""
    rows, weights = seeding_rows(source, rng)
    return kmeans_plusplus(rows, weights, source.k, rng)


# -- Lloyd ---------------------------------------------------------------------------------------


def new_centers(source, sums, weight_sums, centers):
    """Centers from the sums of the last pass; empty clusters re-seeded at far samples."""
    empty = np.flatnonzero(weight_sums <= 0.0)
    if empty.size:
        reseed_empty(source, empty, sums, weight_sums, centers)
    occupied = weight_sums > 0.0
    result = centers.copy()
    result[occupied] = sums[occupied] / weight_sums[occupied, None]
    return result


def reseed_empty(source, empty, sums, weight_sums, centers):
    """Move the samples farthest from their centers into the empty clusters.

    Each such sample leaves its cluster (its weighted coordinates are taken out of that cluster's
    sums) and alone forms the empty one, as scikit-learn does. A sample is only moved if its
    cluster keeps some weight, so no cluster is emptied in turn.
    """
    top_index, top_distance = source.farthest(centers, empty.size)
    found = top_index >= 0
    index, distance = top_index[found], top_distance[found]
    order = np.lexsort((index, -distance))
    targets = iter(empty)
    for i in index[order]:
        source_label, point, weight = source.labelled_sample(i)
        if weight_sums[source_label] - weight <= 1e-12 * weight_sums[source_label]:
            continue
        target = next(targets, None)
        if target is None:
            break
        sums[source_label] -= weight * point
        weight_sums[source_label] -= weight
        sums[target] = weight * point
        weight_sums[target] = weight


def centers_of_labels(source: MemoryPasses) -> np.ndarray:
    """Centers of the clusters in ``source.labels``, empty ones re-seeded (caller's units)."""
    sums, weight_sums = source.sums_of_labels()
    means = np.zeros_like(sums)
    occupied = weight_sums > 0.0
    means[occupied] = sums[occupied] / weight_sums[occupied, None]
    return source.units.to_caller(new_centers(source, sums, weight_sums, means))


def lloyd(source, centers: np.ndarray, criteria: Criteria, tol: float | None):
    """Lloyd iterations from `centers`; `tol` is the absolute threshold on the total shift.

    Centers, `tol` and the results are in the source's units (``criteria.epsilon`` in the
    caller's). Returns (centers, compactness, n_iter, cluster_weights, cluster_sums), the last two
    being the total weight and the weighted sum of each center's samples; the source's last pass
    is that of the returned centers.
    """
    n_iter = 0
    compactness = None
    epsilon_sq = None
    if criteria.epsilon is not None:
        with np.errstate(over="ignore"):
            epsilon = float(np.ldexp(criteria.epsilon, -source.units.sample_exponent))
        epsilon_sq = epsilon * epsilon  # infinite for an epsilon beyond the data's reach
    for iteration in range(criteria.max_iter):
        sums, weight_sums, inertia, changed = source.partials(centers, update=iteration > 0)
        if iteration > 0 and changed == 0:
            # Same labels as the last pass: the centers are a fixed point.
            compactness, cluster_weights, cluster_sums = inertia, weight_sums, sums
            n_iter = iteration + 1
            break
        updated = new_centers(source, sums, weight_sums, centers)
        shift = ((updated - centers) ** 2).sum(axis=1)
        centers = updated
        n_iter = iteration + 1
        if (epsilon_sq is not None and shift.max() <= epsilon_sq) or (
            tol is not None and shift.sum() <= tol
        ):
            break
    if compactness is None:
        cluster_sums, cluster_weights, compactness, _ = source.partials(centers, update=True)
    return centers, compactness, n_iter, cluster_weights, cluster_sums


def kmeans(
    data,
    k: int,
    *,
    criteria: Criteria | tuple | None = None,
    attempts: int = 1,
    init: str | np.ndarray = "k-means++",
    seed: int | np.random.Generator | None = None,
    sample_weight=None,
) -> KMeansResult:
    """Cluster samples into k groups with Lloyd's k-means.

    Parameters
    ----------
    data : array of shape (n_samples, n_features)
        uint8, uint16, float32 or float64, in any memory layout; read as it is (no float copy).
    k : int
        Number of clusters, in [1, n_samples].
    criteria : Criteria or tuple (type, max_iter, epsilon), default Criteria()
        When to stop; a tuple is OpenCV's criteria (see :meth:`Criteria.from_opencv`). The default
        is scikit-learn's: at most 300 updates, ``tol=1e-4``.
    attempts : int, default 1
        Independent runs from different seeds; the one with the lowest compactness is returned.
    init : {"k-means++", "random"} or array of shape (k, n_features), default "k-means++"
        Greedy k-means++ (2 + log(k) candidates per center, D^2 weighting with sample weights),
        k samples drawn in proportion to their weight, or the given centers (used by every
        attempt).
    seed : int, numpy.random.Generator or None, default None
        Seed of the initialisation; the same seed gives the same bits on any number of threads.
    sample_weight : array of shape (n_samples,) or None, default None
        Non-negative weight of each sample. A weight of w is the same as w copies of the sample.

    Returns
    -------
    KMeansResult
        ``labels`` (n_samples,), ``centers`` (k, n_features) float64, ``compactness``, ``n_iter``.

    Notes
    -----
    Each Lloyd iteration is one parallel pass over fixed-size chunks of samples that assigns each
    sample to its nearest center and adds it to the chunk's partial sums; partials are reduced in
    chunk order. An empty cluster is re-seeded at the sample farthest from its center. After the
    last update the samples are labelled once more, so that labels, centers and compactness agree.

    Any finite data and weights are clustered: samples whose largest magnitude lies beyond
    [2^-256, 2^256] (float32 ones with more than 16 features: [2^-32, 2^32]) or weights beyond
    [2^-128, 2^128] are clustered as a copy divided by a power of two (exact for every value
    above 2^-1000 times the largest), so that squared distances and sums of weights neither
    overflow nor underflow.

    Examples
    --------
    >>> import numpy as np, fastseg
    >>> points = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> result = fastseg.kmeans(points, 2, init=np.array([[0.0, 0.0], [10.0, 0.0]]))
    >>> result.centers
    array([[ 0. ,  0.5],
           [10. ,  0.5]])
    >>> result.labels, result.compactness
    (array([0, 0, 1, 1], dtype=uint8), 1.0)
    """
    samples = _validate.check_samples(data)
    n_samples, n_features = samples.shape
    k = _validate.check_int(k, "k", 1, n_samples, "n_samples")
    weights = _validate.check_sample_weight(sample_weight, n_samples)
    options = check_run_options(criteria, attempts, init, seed, k, n_features)
    return fit(MemoryPasses(samples, weights, k), options)


@dataclass(frozen=True, eq=False)
class RunOptions:
    """The options of a k-means run, checked (see :func:`kmeans`)."""

    criteria: Criteria
    attempts: int
    init: str | np.ndarray  # "k-means++", "random", or (k, n_features) float64 centers
    rng: np.random.Generator


def check_run_options(criteria, attempts, init, seed, k: int, n_features: int) -> RunOptions:
    """The options of :func:`kmeans` for k clusters of n_features, checked."""
    criteria = as_criteria(criteria)
    attempts = _validate.check_int(attempts, "attempts", 1)
    init = _validate.check_init(init, k, n_features)
    return RunOptions(criteria, attempts, init, _validate.check_seed(seed))


def fit(source, options: RunOptions) -> KMeansResult:
    """Cluster the samples of the pass `source` as :func:`kmeans` does."""
    criteria = options.criteria
    tol = None if criteria.tol is None else criteria.tol * source.mean_variance()
    return run_attempts(source, options.init, criteria, tol, options.attempts, options.rng)


def run_attempts(source, init, criteria, tol, attempts, rng) -> KMeansResult:
    """Seed and iterate `attempts` times; keep the run with the lowest compactness.

    An `init` array is in the caller's units, `tol` in the source's (see
    :class:`fastseg.passes.Units`). The labels are the source's (empty for a source that keeps
    none).
    """
    best = None
    units = source.units
    for attempt in range(attempts):
        if isinstance(init, str):
            seeds = seed_kmeans_pp(source, rng) if init == "k-means++" else seed_random(source, rng)
        else:
            seeds = units.to_source(init)
        centers, compactness, n_iter, cluster_weights, cluster_sums = lloyd(
            source, seeds, criteria, tol
        )
        if best is None or compactness < best[2]:
            # The last attempt's labels are not overwritten any more: no copy needed.
            labels = source.labels if attempt == attempts - 1 else source.labels.copy()
            best = (labels, centers, compactness, n_iter, cluster_weights, cluster_sums.copy())
    labels, centers, compactness, n_iter, cluster_weights, cluster_sums = best
    return KMeansResult(
        labels,
        units.to_caller(centers),
        float(units.to_caller(np.float64(compactness), 2, weighted=True)),
        n_iter,
        units.to_caller(cluster_weights, 0, weighted=True),
        units.to_caller(cluster_sums, 1, weighted=True),
    )
