"""k-means driver: seeding, Lloyd iterations, termination and attempts over the kernels."""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import _config, _validate
from ._config import CHUNK_SIZE
from ._kernels import checks, lloyd, seeding

__all__ = ["Criteria", "KMeansResult", "kmeans"]

#: cv2.TERM_CRITERIA_COUNT (also called MAX_ITER) and cv2.TERM_CRITERIA_EPS.
TERM_CRITERIA_COUNT = 1
TERM_CRITERIA_EPS = 2
_FLT_EPSILON = float(np.finfo(np.float32).eps)

#: Above this many features, distances come from matrix products of blocks of samples.
MAX_FEATURES_DIRECT = 16
#: Samples per block on the matrix-product path.
BLOCK_SIZE = 4096

#: Float samples are clustered as they are while their largest magnitude lies in
#: [2^-SAMPLE_RANGE, 2^SAMPLE_RANGE] (float32 samples on the direct path always are: their squares
#: fit float64). Beyond it, squared distances would overflow or lose their digits to underflow;
#: the engine then works on a copy divided by a power of two, which is exact.
SAMPLE_RANGE = {np.dtype(np.float64): 256, np.dtype(np.float32): 32}
#: Weights are used as they are while the largest lies in [2^-WEIGHT_RANGE, 2^WEIGHT_RANGE];
#: beyond it they are divided by a power of two too, so that their sums cannot overflow.
WEIGHT_RANGE = 128


def scale_exponent(largest: float, bound: int) -> int:
    """0 when `largest` is 0 or in [2^-bound, 2^bound]; else e with largest / 2^e in [0.5, 1)."""
    if largest == 0.0 or 2.0**-bound <= largest <= 2.0**bound:
        return 0
    return math.frexp(largest)[1]


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
        if not isinstance(criteria, tuple | list) or len(criteria) != 3:
            raise TypeError(
                "`criteria` must be a Criteria or a tuple (type, max_iter, epsilon); "
                f"got {_validate._describe(criteria)}."
            )
        kind, count, epsilon = criteria
        if (
            isinstance(kind, bool)
            or not isinstance(kind, numbers.Integral)
            or kind not in (1, 2, 3)
        ):
            raise ValueError(
                "`criteria[0]` (type) must be TERM_CRITERIA_COUNT (1), TERM_CRITERIA_EPS (2) or "
                f"their sum (3); got {_validate._describe(kind)}."
            )
        count = _validate.check_int(count, "criteria[1] (max_iter)", 0)
        epsilon = _validate.check_float(epsilon, "criteria[2] (epsilon)")
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
    among threads, which brings the distances to the nearest center up to date and scores the
    candidates.

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
    chunk_totals = np.empty(n_chunks)  # per chunk, the sum of shares up to the last center
    candidates = np.empty(n_trials, dtype=np.int64)
    center = np.empty(d)  # the last center chosen
    n_parts = n_chunks if n * d * n_trials >= seeding.SERIAL_WORK else 1
    seeding.start(columns, weights, draws, chosen, cumulative, center)
    _config.run_in_threads(
        seeding.first_distances, n_parts, columns, weights, center, closest, chunk_totals
    )
    for step in range(1, k):
        offset = 1 + (step - 1) * n_trials
        seeding.draw_candidates(
            columns, weights, draws[offset : offset + n_trials], closest, cumulative, center,
            chunk_totals, candidates,
        )  # fmt: skip
        _config.run_in_threads(
            seeding.score_candidates, n_parts, columns, weights, closest, center, candidates,
            trial_sums,
        )  # fmt: skip
        chosen[step] = seeding.choose(columns, candidates, trial_sums, chunk_totals, center)
    return rows[chosen]


def label_dtype(k: int) -> np.dtype:
    """Smallest label dtype for k clusters."""
    if k <= 255:
        return np.dtype(np.uint8)
    if k <= 65535:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


def check_criteria(criteria) -> Criteria:
    if criteria is None:
        return Criteria()
    if isinstance(criteria, Criteria):
        return criteria
    return Criteria.from_opencv(criteria)


def check_init(init, k: int, n_features: int):
    """ "k-means++", "random", or an array of k finite centers, as float64."""
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise ValueError(f"`init` must be 'k-means++', 'random' or an array; got {init!r}.")
        return init
    centers = _validate.as_array(init, "init")
    if centers.dtype.kind not in "uif":
        raise TypeError(f"`init` must be a numeric array; got dtype {centers.dtype.name}.")
    if centers.shape != (k, n_features):
        raise ValueError(
            f"`init` must have shape (k, n_features) = ({k}, {n_features}); got {centers.shape}."
        )
    centers = np.array(centers, dtype=np.float64)
    if not np.isfinite(centers).all():
        raise ValueError("`init` must contain only finite values; got NaN or infinity.")
    return centers


def sums_are_exact(total_weight: float, n_features: int, span: float) -> bool:
    """Whether every sum of a pass (of integer samples and weights, measured from an integer
    origin, each coordinate at most `span` from it) is an integer below 2^53, hence exact in
    float64 whatever the order of the additions."""
    return total_weight * n_features * (span * span) < 2.0**53


def sums_origin(samples) -> np.ndarray:
    """The point that the direct pass measures samples from, float64 of shape (n_features,).

    Integer samples keep exact integer sums from 0; float ones are measured from the first sample,
    so that a large common offset costs no precision in the sums of squares.
    """
    if samples.dtype.kind == "u":
        return np.zeros(samples.shape[1])
    return np.array(samples[0], dtype=np.float64)


def integer_span(values: np.ndarray) -> float:
    """Largest |values[i, j] - values[0, j]| over the 2-D array `values` (0 if it is empty), or
    inf if an element is not an integer."""
    spans = np.empty(-(-values.shape[0] // CHUNK_SIZE))
    _config.run_in_threads(checks.chunk_integer_spans, spans.shape[0], values, spans)
    return float(spans.max(initial=0.0))


class LloydEngine:
    """Buffers and passes of k-means over one set of samples, reused across attempts.

    The samples are read as they are. Per-pixel extra memory is one label array per kept result
    (1 byte per sample for k <= 255); everything else is per chunk or per block.

    Samples and weights of extreme magnitude (see :data:`SAMPLE_RANGE`, :data:`WEIGHT_RANGE`) are
    held divided by powers of two, ``2**sample_exponent`` and ``2**weight_exponent``: the
    *engine's units*, in which seeding, :meth:`run`, :meth:`mean_variance` and the tolerance
    work. :meth:`assign`, :meth:`centers_of_labels` and :func:`run_attempts` take and give
    values in the caller's units. For other inputs both exponents are 0 and the units are one.
    The division is exact but for coordinates more than 2^1074 times smaller than the largest,
    which become subnormal and keep a precision of about the largest times 2^-1073.
    """

    sample_exponent = 0
    weight_exponent = 0

    def __init__(self, samples: np.ndarray, weights: np.ndarray | None, k: int):
        self.n_samples, self.n_features = samples.shape
        self.k = k
        # One-cluster engines (the variance) always take the direct pass: no matrix product needed.
        self._direct = self.n_features <= MAX_FEATURES_DIRECT or k == 1
        bound = SAMPLE_RANGE.get(samples.dtype)
        if bound is not None and (samples.dtype == np.float64 or not self._direct):
            low_high = _validate.finite_range(samples)  # finite: checked by the caller
            self.sample_exponent = scale_exponent(max(-low_high[0], low_high[1]), bound)
            if self.sample_exponent:
                samples = np.ldexp(samples, -self.sample_exponent)
        if weights is not None:
            self.weight_exponent = scale_exponent(float(weights.max()), WEIGHT_RANGE)
            if self.weight_exponent:
                weights = np.ldexp(weights, -self.weight_exponent)
        self.samples = samples
        self.weights = np.empty(0) if weights is None else weights
        self.total_weight = float(self.n_samples) if weights is None else float(weights.sum())
        self.n_chunks = -(-self.n_samples // CHUNK_SIZE)
        self.labels = np.zeros(self.n_samples, dtype=label_dtype(k))
        if self._direct:
            self._origin = sums_origin(samples)
            self._sums = np.empty((self.n_chunks, k, self.n_features))
            self._weight_sums = np.empty((self.n_chunks, k))
            self._square_sums = np.empty((self.n_chunks, k))
            self._n_changed = np.empty(self.n_chunks, dtype=np.int64)
        self._totals = None  # the sums of the last direct pass, matching self.labels

    @functools.cached_property
    def _exact_updates(self) -> bool:
        """Whether passes after the first of a run may add only what relabelled samples change in
        the sums (see lloyd.lloyd_pass): where that is exact, for integer values (of any dtype, as
        photos converted to float32 for cv2.kmeans hold) and weights, with every sum below 2^53.

        Decided on the first such pass, so engines that never update scan nothing.
        """
        if not self._direct:
            return False
        weights = self.weights[:, None]
        if weights.shape[0] and not np.isfinite(integer_span(weights)):
            return False
        if self.samples.dtype.kind == "u":
            span = float(np.iinfo(self.samples.dtype).max)
        else:
            span = integer_span(self.samples)
        return sums_are_exact(self.total_weight, self.n_features, span)

    # -- units ------------------------------------------------------------------------------------

    def to_engine_units(self, centers: np.ndarray) -> np.ndarray:
        """Centers given in the caller's units, in the engine's."""
        if not self.sample_exponent:
            return centers
        return np.ldexp(centers, -self.sample_exponent)

    def from_engine_units(self, centers: np.ndarray, power: int = 1, weighted: bool = False):
        """Centers (power 1), squared distances (power 2) or weights (power 0) in the engine's
        units, in the caller's; `weighted` for a weighted sum. Values beyond the float64 range
        become infinite, as any float arithmetic makes them."""
        exponent = power * self.sample_exponent + weighted * self.weight_exponent
        if not exponent:
            return centers
        with np.errstate(over="ignore"):
            return np.ldexp(centers, exponent)

    # -- one pass --------------------------------------------------------------------------------

    def assign(self, centers: np.ndarray):
        """Label every sample with its nearest of `centers`, all in the caller's units.

        Returns (sums, weight_sums, inertia, changed) as :meth:`_assign`, in the caller's units.
        """
        sums, weight_sums, inertia, changed = self._assign(self.to_engine_units(centers))
        return (
            self.from_engine_units(sums, 1, weighted=True),
            self.from_engine_units(weight_sums, 0, weighted=True),
            float(self.from_engine_units(np.float64(inertia), 2, weighted=True)),
            changed,
        )

    def _assign(self, centers: np.ndarray, *, update: bool = False):
        """Label every sample with its nearest center; return (sums, weight_sums, inertia, changed).

        sums (k, d) and weight_sums (k,) are the weighted sums of the samples of each center,
        reduced in chunk order so that the result never depends on the number of threads; inertia
        is the weighted sum of squared distances to the nearest center; changed counts the labels
        that differ from those already in ``self.labels``. With `update`, the labels are those of
        the last pass, whose sums may then be updated with the moves alone (same result).
        """
        if not self._direct:
            return self._assign_blocks(centers)
        relative = centers - self._origin
        if update and self._exact_updates and self._totals is not None:
            *moves, changed = self.chunk_partials(relative, moves_only=True)
            totals = [
                total + part.sum(axis=0) for total, part in zip(self._totals, moves, strict=True)
            ]
        else:
            *partials, changed = self.chunk_partials(relative)
            totals = [part.sum(axis=0) for part in partials]
        self._totals = totals
        sums, weight_sums, square_sums = (total.copy() for total in totals)
        # sum over cluster j of w |x - c_j|^2 = Q_j - 2 c_j.S_j + W_j |c_j|^2 (relative to origin).
        per_cluster = (
            square_sums - 2.0 * np.einsum("kd,kd->k", relative, sums)
            + weight_sums * np.einsum("kd,kd->k", relative, relative)
        )  # fmt: skip
        inertia = float(np.maximum(per_cluster, 0.0).sum())
        sums += weight_sums[:, None] * self._origin
        return sums, weight_sums, inertia, changed

    def chunk_partials(self, relative: np.ndarray, moves_only: bool = False):
        """One :func:`lloyd.lloyd_pass` from `relative` (centers minus the origin).

        Returns the per-chunk sums (n_chunks, k, d), weights (n_chunks, k) and sums of squares
        (n_chunks, k), and the number of labels that changed. A chunked driver overrides this to
        compute the same chunks' partials elsewhere.
        """
        _config.run_in_threads(
            lloyd.lloyd_pass, self.n_chunks, self.samples, self._origin, self.weights, relative,
            self.labels, self._sums, self._weight_sums, self._square_sums, self._n_changed,
            bool(moves_only),
        )  # fmt: skip
        return self._sums, self._weight_sums, self._square_sums, int(self._n_changed.sum())

    def _assign_blocks(self, centers):
        # float32 samples are multiplied in float32, as scikit-learn does; integers in float64.
        work_dtype = np.float32 if self.samples.dtype == np.float32 else np.float64
        centers_t = np.ascontiguousarray(centers.T, dtype=work_dtype)
        half_norms = np.empty(self.k)
        lloyd.half_squared_norms(centers, half_norms)
        sums = np.zeros((self.k, self.n_features))
        weight_sums = np.zeros(self.k)
        distances = np.empty(BLOCK_SIZE)
        n_changed = np.empty(-(-BLOCK_SIZE // lloyd.ASSIGN_ROWS), dtype=np.int64)
        inertia = 0.0
        changed = 0
        weighted = self.weights.shape[0] > 0
        for start in range(0, self.n_samples, BLOCK_SIZE):
            stop = min(self.n_samples, start + BLOCK_SIZE)
            block = np.ascontiguousarray(self.samples[start:stop], dtype=work_dtype)
            products = block @ centers_t
            labels = self.labels[start:stop]
            block_distances = distances[: stop - start]
            block_changed = n_changed[: -(-(stop - start) // lloyd.ASSIGN_ROWS)]
            _config.run_in_threads(
                lloyd.assign_from_products, block_changed.shape[0], block, products, half_norms,
                centers, labels, block_distances, block_changed,
            )  # fmt: skip
            changed += int(block_changed.sum())
            weights = self.weights[start:stop] if weighted else self.weights
            inertia += float(weights @ block_distances if weighted else block_distances.sum())
            lloyd.add_block_sums(block, weights, labels, sums, weight_sums)
        return sums, weight_sums, inertia, changed

    def new_centers(self, sums, weight_sums, centers):
        """Centers from the sums of the last pass; empty clusters re-seeded at far samples."""
        empty = np.flatnonzero(weight_sums <= 0.0)
        if empty.size:
            self._reseed_empty(empty, sums, weight_sums, centers)
        occupied = weight_sums > 0.0
        result = centers.copy()
        result[occupied] = sums[occupied] / weight_sums[occupied, None]
        return result

    def centers_of_labels(self) -> np.ndarray:
        """Centers of the clusters in ``self.labels``, empty ones re-seeded (caller's units)."""
        sums = np.zeros((self.k, self.n_features))
        weight_sums = np.zeros(self.k)
        lloyd.add_block_sums(self.samples, self.weights, self.labels, sums, weight_sums)
        means = np.zeros_like(sums)
        occupied = weight_sums > 0.0
        means[occupied] = sums[occupied] / weight_sums[occupied, None]
        return self.from_engine_units(self.new_centers(sums, weight_sums, means))

    def _reseed_empty(self, empty, sums, weight_sums, centers):
        """Move the samples farthest from their centers into the empty clusters.

        Each such sample leaves its cluster (its weighted coordinates are taken out of that
        cluster's sums) and alone forms the empty one, as scikit-learn does. A sample is only moved
        if its cluster keeps some weight, so no cluster is emptied in turn.
        """
        top_index, top_distance = self.farthest_per_chunk(centers, empty.size)
        found = top_index >= 0
        index, distance = top_index[found], top_distance[found]
        order = np.lexsort((index, -distance))
        targets = iter(empty)
        for i in index[order]:
            source, point = self.labelled_sample(i)
            weight = self.weights[i] if self.weights.shape[0] else 1.0
            if weight_sums[source] - weight <= 1e-12 * weight_sums[source]:
                continue
            target = next(targets, None)
            if target is None:
                break
            sums[source] -= weight * point
            weight_sums[source] -= weight
            sums[target] = weight * point
            weight_sums[target] = weight

    def farthest_per_chunk(self, centers: np.ndarray, m: int):
        """Per chunk, the m samples farthest from their centers (see lloyd.farthest_samples)."""
        top_index = np.empty((self.n_chunks, m), dtype=np.int64)
        top_distance = np.empty((self.n_chunks, m))
        _config.run_in_threads(
            lloyd.farthest_samples, self.n_chunks, self.samples, self.weights, centers,
            self.labels, top_index, top_distance,
        )  # fmt: skip
        return top_index, top_distance

    def labelled_sample(self, i: int) -> tuple[int, np.ndarray]:
        """Label of sample i in the last pass, and the sample as float64."""
        return int(self.labels[i]), self.samples[i].astype(np.float64)

    def rows(self, index) -> np.ndarray:
        """The samples at `index` (an index array, or slice(None) for all), as they are."""
        return self.samples[index]

    def one_cluster(self) -> LloydEngine:
        """An engine over the same samples with k = 1."""
        return type(self)(self.samples, self.weights if self.weights.size else None, 1)

    def mean_variance(self) -> float:
        """Mean over features of the weighted variance of the samples (for scikit-learn's tol),
        in the engine's units."""
        one = self.one_cluster()
        sums, weight_sums, _, _ = one._assign(np.zeros((1, self.n_features)))
        _, _, inertia, _ = one._assign(sums / weight_sums[:, None])
        return inertia / (self.total_weight * self.n_features)

    # -- seeding ---------------------------------------------------------------------------------

    def samples_by_weight(self, draws: np.ndarray) -> np.ndarray:
        """The samples at fractions `draws` in [0, 1) of the cumulative weights, in sample order.

        A sample of weight w spans w units of the cumulative weights, exactly as w copies of it
        would; samples of weight 0 are never drawn.
        """
        draws = np.sort(draws)  # sorted, one walk over the weights finds them all
        if self.weights.shape[0] == 0:
            return np.minimum((draws * self.n_samples).astype(np.int64), self.n_samples - 1)
        indices = np.empty(len(draws), dtype=np.int64)
        lloyd.indices_by_weight(self.weights, draws, indices)
        return indices

    def seeding_rows(self, rng: np.random.Generator):
        """The rows the seeding draws from, as float64 in a canonical order, and their weights.

        Rows are ordered by their projection on a fixed random direction, so equal rows are
        adjacent and the order does not depend on how the input was ordered: with the same seed,
        a sample of weight w and w copies of it lead to the same centers, shuffled or not. Inputs
        larger than :func:`seeding_size` rows are first subsampled, with replacement and in
        proportion to the weights, to that many rows.
        """
        weights = self.weights if self.weights.size else None
        size = seeding_size(self.n_features, self.k)
        if self.n_samples > size:
            samples, weights = self.rows(self.samples_by_weight(rng.random(size))), None
        else:
            samples = self.rows(slice(None))
        rows = samples.astype(np.float64)
        direction = np.random.default_rng(0x5EED).standard_normal(self.n_features)
        order = np.argsort(rows @ direction, kind="stable")
        weights = np.ones(len(rows)) if weights is None else weights[order]
        return rows[order], weights

    def seed_random(self, rng: np.random.Generator) -> np.ndarray:
        """k distinct rows drawn with probability proportional to their weight."""
        rows, weights = self.seeding_rows(rng)
        cumulative = np.cumsum(weights)
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < self.k:
            for _ in range(100):
                index = draw_cumulative(cumulative, rng.random())
                if index not in seen:
                    break
            chosen.append(index)
            seen.add(index)
        return rows[chosen]

    def seed_kmeans_pp(self, rng: np.random.Generator) -> np.ndarray:
        """Greedy k-means++ over :meth:`seeding_rows`."""
        rows, weights = self.seeding_rows(rng)
        return kmeans_plusplus(rows, weights, self.k, rng)

    # -- Lloyd ------------------------------------------------------------------------------------

    def run(self, centers: np.ndarray, criteria: Criteria, tol: float | None):
        """Lloyd iterations from `centers`; `tol` is the absolute threshold on the total shift.

        Centers, `tol` and the results are in the engine's units (``criteria.epsilon`` in the
        caller's). Returns (centers, compactness, n_iter, cluster_weights, cluster_sums), the last
        two being the total weight and the weighted sum of each center's samples;
        ``self.labels`` holds the matching labels.
        """
        n_iter = 0
        compactness = None
        epsilon_sq = None
        if criteria.epsilon is not None:
            with np.errstate(over="ignore"):
                epsilon = float(np.ldexp(criteria.epsilon, -self.sample_exponent))
            epsilon_sq = epsilon * epsilon  # infinite for an epsilon beyond the data's reach
        for iteration in range(criteria.max_iter):
            sums, weight_sums, inertia, changed = self._assign(centers, update=iteration > 0)
            if iteration > 0 and changed == 0:
                # Same labels as the last pass: the centers are a fixed point.
                compactness, cluster_weights, cluster_sums = inertia, weight_sums, sums
                n_iter = iteration + 1
                break
            updated = self.new_centers(sums, weight_sums, centers)
            shift = ((updated - centers) ** 2).sum(axis=1)
            centers = updated
            n_iter = iteration + 1
            if (epsilon_sq is not None and shift.max() <= epsilon_sq) or (
                tol is not None and shift.sum() <= tol
            ):
                break
        if compactness is None:
            cluster_sums, cluster_weights, compactness, _ = self._assign(centers, update=True)
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
    n_samples = samples.shape[0]
    k = _validate.check_int(k, "k", 1, n_samples, "n_samples")
    weights = _validate.check_sample_weight(sample_weight, n_samples)
    return fit_engine(LloydEngine(samples, weights, k), criteria, attempts, init, seed)


def fit_engine(engine: LloydEngine, criteria, attempts, init, seed) -> KMeansResult:
    """Check the options of a run and cluster the samples of `engine` as :func:`kmeans` does."""
    criteria = check_criteria(criteria)
    attempts = _validate.check_int(attempts, "attempts", 1)
    init = check_init(init, engine.k, engine.n_features)
    rng = _validate.check_seed(seed)
    tol = None if criteria.tol is None else criteria.tol * engine.mean_variance()
    return run_attempts(engine, init, criteria, tol, attempts, rng)


def run_attempts(engine, init, criteria, tol, attempts, rng) -> KMeansResult:
    """Seed and iterate `attempts` times; keep the run with the lowest compactness.

    An `init` array is in the caller's units, `tol` in the engine's (see :class:`LloydEngine`).
    """
    best = None
    for attempt in range(attempts):
        if isinstance(init, str):
            seeds = engine.seed_kmeans_pp(rng) if init == "k-means++" else engine.seed_random(rng)
        else:
            seeds = engine.to_engine_units(init)
        centers, compactness, n_iter, cluster_weights, cluster_sums = engine.run(
            seeds, criteria, tol
        )
        if best is None or compactness < best[2]:
            # The last attempt's labels are not overwritten any more: no copy needed.
            labels = engine.labels if attempt == attempts - 1 else engine.labels.copy()
            best = (labels, centers, compactness, n_iter, cluster_weights, cluster_sums.copy())
    labels, centers, compactness, n_iter, cluster_weights, cluster_sums = best
    return KMeansResult(
        labels,
        engine.from_engine_units(centers),
        float(engine.from_engine_units(np.float64(compactness), 2, weighted=True)),
        n_iter,
        engine.from_engine_units(cluster_weights, 0, weighted=True),
        engine.from_engine_units(cluster_sums, 1, weighted=True),
    )
