"""Pass sources: where the samples of a k-means run live, and the passes over them.

A Lloyd run (:mod:`fastseg.clustering`) touches its samples only through a *pass source*:

* ``partials(centers, update=False) -> PassTotals``: label every sample with its nearest center
  and return the per-center weighted sums, weights, the inertia and how many labels changed;
* ``farthest(centers, m)``: per chunk, the m samples farthest from their centers, and
  ``labelled_sample(i)``: the label, row and weight of one of them (for re-seeding);
* ``rows(index)`` and ``samples_by_weight(draws)``: rows for the seeding;
* ``mean_variance()``: the data's variance, for scikit-learn's ``tol``, and
  ``inertia_of_labels(centers)``: the inertia of the last pass's labels from other centers;
* the attributes ``n_samples``, ``n_features``, ``k``, ``total_weight``, ``weighted`` and
  ``units`` (:class:`Units`).

:class:`MemoryPasses` holds NumPy samples (and their labels); :mod:`fastseg.dask` provides the
same interface over a chunked image. Sums are taken per fixed-size chunk and reduced in chunk
order by both, so the two give the same bits.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _config, _validate
from ._config import CHUNK_SIZE
from ._kernels import checks, lloyd

#: Above this many features, distances come from matrix products of blocks of samples.
MAX_FEATURES_DIRECT = 16
#: Samples per block on the matrix-product path: BLOCK_SIZE, or fewer for wide samples, so that
#: a block takes at most about BLOCK_BYTES (down to lloyd.ASSIGN_ROWS samples): the kernels then
#: read it again from the cache the product left it in, not from memory.
BLOCK_SIZE = 4096
BLOCK_BYTES = 4 << 20

#: Float samples are clustered as they are while their largest magnitude lies in
#: [2^-SAMPLE_RANGE, 2^SAMPLE_RANGE] (float32 samples on the direct path always are: their squares
#: fit float64). Beyond it, squared distances would overflow or lose their digits to underflow;
#: the source then works on a copy divided by a power of two, which is exact.
SAMPLE_RANGE = {np.dtype(np.float64): 256, np.dtype(np.float32): 32}
#: Weights are used as they are while the largest lies in [2^-WEIGHT_RANGE, 2^WEIGHT_RANGE];
#: beyond it they are divided by a power of two too, so that their sums cannot overflow.
WEIGHT_RANGE = 128
#: Weights of samples without sample weights: an empty array, as the kernels take it.
NO_WEIGHTS = np.empty(0)


class PassTotals(NamedTuple):
    """What one pass gives, in the source's units."""

    sums: np.ndarray  #: (k, d) weighted sum of the samples of each center
    weight_sums: np.ndarray  #: (k,) total weight of each center's samples
    inertia: float  #: weighted sum of squared distances to the nearest center
    changed: int  #: labels that differ from those of the last pass


@dataclass(frozen=True)
class Units:
    """The powers of two that samples (``2**sample_exponent``) and weights
    (``2**weight_exponent``) are divided by inside a pass source.

    Samples and weights of extreme magnitude (see :data:`SAMPLE_RANGE`, :data:`WEIGHT_RANGE`) are
    held divided by them: the *source's units*, in which seeding, passes, the variance and the
    tolerance work. Results are given back in the caller's units. For other inputs both exponents
    are 0. The division is exact but for coordinates more than 2^1074 times smaller than the
    largest, which become subnormal and keep a precision of about the largest times 2^-1073.
    """

    sample_exponent: int = 0
    weight_exponent: int = 0

    def to_source(self, centers: np.ndarray) -> np.ndarray:
        """Centers given in the caller's units, in the source's."""
        if not self.sample_exponent:
            return centers
        return np.ldexp(centers, -self.sample_exponent)

    def to_caller(self, values, power: int = 1, weighted: bool = False):
        """Centers (power 1), squared distances (power 2) or weights (power 0) in the source's
        units, in the caller's; `weighted` for a weighted sum. Values beyond the float64 range
        become infinite, as any float arithmetic makes them."""
        exponent = power * self.sample_exponent + weighted * self.weight_exponent
        if not exponent:
            return values
        with np.errstate(over="ignore"):
            return np.ldexp(values, exponent)


def scale_exponent(largest: float, bound: int) -> int:
    """0 when `largest` is 0 or in [2^-bound, 2^bound]; else e with largest / 2^e in [0.5, 1)."""
    if largest == 0.0 or 2.0**-bound <= largest <= 2.0**bound:
        return 0
    return math.frexp(largest)[1]


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


def label_dtype(k: int) -> np.dtype:
    """Smallest label dtype for k clusters."""
    if k <= 255:
        return np.dtype(np.uint8)
    if k <= 65535:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


def reduce_partials(partials, relative: np.ndarray, origin: np.ndarray):
    """Sums, weights and inertia of a direct pass from its per-chunk partials (sums, weight
    sums, sums of squares, each with chunks first), reduced in chunk order.

    Returns the reduced partials (relative to `origin`, for an update by moves) and the
    (sums, weight_sums, inertia) of the pass.
    """
    totals = [part.sum(axis=0) for part in partials]
    return totals, totals_to_pass(totals, relative, origin)


def totals_to_pass(totals, relative: np.ndarray, origin: np.ndarray):
    """(sums, weight_sums, inertia) from the reduced partials of a direct pass."""
    sums, weight_sums, square_sums = (total.copy() for total in totals)
    # sum over cluster j of w |x - c_j|^2 = Q_j - 2 c_j.S_j + W_j |c_j|^2 (relative to origin).
    per_cluster = (
        square_sums - 2.0 * np.einsum("kd,kd->k", relative, sums)
        + weight_sums * np.einsum("kd,kd->k", relative, relative)
    )  # fmt: skip
    inertia = float(np.maximum(per_cluster, 0.0).sum())
    sums += weight_sums[:, None] * origin
    return sums, weight_sums, inertia


def label_sums(samples: np.ndarray, weights, labels: np.ndarray, k: int):
    """Per label in [0, k), the (weighted) sum of its samples' rows and their total weight, added
    in row order; `weights` None (or :data:`NO_WEIGHTS`) for unit weights."""
    sums = np.zeros((k, samples.shape[1]))
    totals = np.zeros(k)
    lloyd.add_block_sums(samples, NO_WEIGHTS if weights is None else weights, labels, sums, totals)
    return sums, totals


def block_rows(row_bytes: int) -> int:
    """Samples per block of the matrix-product path, for samples of `row_bytes` bytes each."""
    rows = min(BLOCK_SIZE, BLOCK_BYTES // row_bytes) // lloyd.ASSIGN_ROWS * lloyd.ASSIGN_ROWS
    return max(lloyd.ASSIGN_ROWS, rows)


def indices_at_fractions(n_samples: int, draws: np.ndarray) -> np.ndarray:
    """Indices of the samples at fractions `draws` (sorted, in [0, 1)) of n unit weights."""
    return np.minimum((draws * n_samples).astype(np.int64), n_samples - 1)


def lloyd_pass(
    samples, origin, weights, relative, labels, sums, weight_sums, square_sums, n_changed,
    moves_only: bool = False,
) -> None:  # fmt: skip
    """:func:`lloyd.lloyd_pass` over every chunk (one per row of `n_changed`), split among
    threads, with each thread's scratch.

    `relative` is (k, d) C-contiguous float64; the other arguments are the kernel's.
    """
    k, d = relative.shape
    n_chunks = n_changed.shape[0]
    shares = _config.thread_count(n_chunks)
    tile_shape, label_shape, lane_shape = lloyd.scratch_shapes(d, k)
    _config.run_in_threads(
        lloyd.lloyd_pass(d), n_chunks, samples, origin, weights, relative, np.empty((shares, k)),
        labels, sums, weight_sums, square_sums, n_changed, bool(moves_only),
        np.empty((shares, *tile_shape)), np.empty((shares, *label_shape), dtype=np.int64),
        np.empty((shares, *lane_shape)), shares=shares,
    )  # fmt: skip


class MemoryPasses:
    """The pass source over samples held in memory, reused across attempts.

    The samples are read as they are. Per-sample extra memory is one label array (1 byte per
    sample for k <= 255); everything else is per chunk or per block. Samples of extreme
    magnitude are held in other units (see :class:`Units`).

    `counts` says that the weights are counts (whole numbers), as those of distinct colours are.

    Attributes
    ----------
    labels : (n_samples,) array
        The labels of the last pass.
    """

    def __init__(
        self, samples: np.ndarray, weights: np.ndarray | None, k: int, *, counts: bool = False
    ):
        self.n_samples, self.n_features = samples.shape
        self.k = k
        # One-cluster sources (the variance) always take the direct pass: no matrix product.
        self._direct = self.n_features <= MAX_FEATURES_DIRECT or k == 1
        sample_exponent = weight_exponent = 0
        bound = SAMPLE_RANGE.get(samples.dtype)
        if bound is not None and (samples.dtype == np.float64 or not self._direct):
            low_high = _validate.finite_range(samples)  # finite: checked by the caller
            sample_exponent = scale_exponent(max(-low_high[0], low_high[1]), bound)
            if sample_exponent:
                samples = np.ldexp(samples, -sample_exponent)
        if weights is not None:
            weight_exponent = scale_exponent(float(weights.max()), WEIGHT_RANGE)
            if weight_exponent:
                weights = np.ldexp(weights, -weight_exponent)
        self.units = Units(sample_exponent, weight_exponent)
        # Weights that are counts (of distinct colours) are whole numbers: no need to check.
        self._whole_weights = counts and not weight_exponent
        self.samples = samples
        self.weights = NO_WEIGHTS if weights is None else weights
        self.weighted = weights is not None
        self.total_weight = float(self.n_samples) if weights is None else float(weights.sum())
        self.n_chunks = -(-self.n_samples // CHUNK_SIZE)
        self.labels = np.zeros(self.n_samples, dtype=label_dtype(k))
        if self._direct:
            self.origin = sums_origin(samples)
            self._sums = np.empty((self.n_chunks, k, self.n_features))
            self._weight_sums = np.empty((self.n_chunks, k))
            self._square_sums = np.empty((self.n_chunks, k))
            self._n_changed = np.empty(self.n_chunks, dtype=np.int64)
        self._totals = None  # the reduced partials of the last direct pass, matching self.labels

    @functools.cached_property
    def _exact_updates(self) -> bool:
        """Whether passes after the first of a run may add only what relabelled samples change in
        the sums (see lloyd.lloyd_pass): where that is exact, for integer values (of any dtype, as
        photos converted to float32 for cv2.kmeans hold) and weights, with every sum below 2^53.

        Decided on the first such pass, so sources that never update scan nothing.
        """
        if not self._direct:
            return False
        weights = self.weights[:, None]
        if weights.shape[0] and not self._whole_weights and not np.isfinite(integer_span(weights)):
            return False
        if self.samples.dtype.kind == "u":
            span = float(np.iinfo(self.samples.dtype).max)
        else:
            span = integer_span(self.samples)
        return sums_are_exact(self.total_weight, self.n_features, span)

    def assign(self, centers: np.ndarray) -> PassTotals:
        """Label every sample with its nearest of `centers`; centers and results in the caller's
        units."""
        units = self.units
        sums, weight_sums, inertia, changed = self.partials(units.to_source(centers))
        return PassTotals(
            units.to_caller(sums, 1, weighted=True),
            units.to_caller(weight_sums, 0, weighted=True),
            float(units.to_caller(np.float64(inertia), 2, weighted=True)),
            changed,
        )

    def partials(self, centers: np.ndarray, *, update: bool = False) -> PassTotals:
        """Label every sample with its nearest center (see :class:`PassTotals`).

        Sums are reduced in chunk order, so that the result never depends on the number of
        threads. With `update`, the labels are those of the last pass, whose sums may then be
        updated with the moves alone (same result).
        """
        if not self._direct:
            return PassTotals(*self._assign_blocks(centers))
        relative = centers - self.origin
        if update and self._exact_updates and self._totals is not None:
            *moves, changed = self._chunk_partials(relative, moves_only=True)
            totals = [
                total + part.sum(axis=0) for total, part in zip(self._totals, moves, strict=True)
            ]
            result = totals_to_pass(totals, relative, self.origin)
        else:
            *partials, changed = self._chunk_partials(relative)
            totals, result = reduce_partials(partials, relative, self.origin)
        self._totals = totals
        return PassTotals(*result, changed)

    def inertia_of_labels(self, centers: np.ndarray) -> float:
        """The inertia of the last direct pass's labels measured from `centers` (source's
        units), from that pass's sums."""
        return totals_to_pass(self._totals, centers - self.origin, self.origin)[2]

    def _chunk_partials(self, relative: np.ndarray, moves_only: bool = False):
        """One :func:`lloyd.lloyd_pass` from `relative` (centers minus the origin): the per-chunk
        sums, weights and sums of squares, and the number of labels that changed."""
        lloyd_pass(
            self.samples, self.origin, self.weights, relative, self.labels, self._sums,
            self._weight_sums, self._square_sums, self._n_changed, moves_only,
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
        rows = block_rows(self.n_features * np.dtype(work_dtype).itemsize)
        distances = np.empty(rows)
        n_changed = np.empty(-(-rows // lloyd.ASSIGN_ROWS), dtype=np.int64)
        inertia = 0.0
        changed = 0
        for start in range(0, self.n_samples, rows):
            stop = min(self.n_samples, start + rows)
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
            weights = self.weights[start:stop] if self.weighted else self.weights
            inertia += float(weights @ block_distances if self.weighted else block_distances.sum())
            lloyd.add_block_sums(block, weights, labels, sums, weight_sums)
        return sums, weight_sums, inertia, changed

    def sums_of_labels(self):
        """Weighted sums and weights of the clusters in ``self.labels`` (source's units)."""
        return label_sums(self.samples, self.weights, self.labels, self.k)

    def farthest(self, centers: np.ndarray, m: int):
        """Per chunk, the m samples farthest from their centers (see lloyd.farthest_samples)."""
        top_index = np.empty((self.n_chunks, m), dtype=np.int64)
        top_distance = np.empty((self.n_chunks, m))
        _config.run_in_threads(
            lloyd.farthest_samples, self.n_chunks, self.samples, self.weights, centers,
            self.labels, top_index, top_distance,
        )  # fmt: skip
        return top_index, top_distance

    def labelled_sample(self, i: int) -> tuple[int, np.ndarray, float]:
        """Label of sample i in the last pass, the sample as float64, and its weight."""
        weight = self.weights[i] if self.weighted else 1.0
        return int(self.labels[i]), self.samples[i].astype(np.float64), weight

    def rows(self, index) -> np.ndarray:
        """The samples at `index` (an index array, or slice(None) for all), as they are."""
        return self.samples[index]

    def samples_by_weight(self, draws: np.ndarray) -> np.ndarray:
        """The samples at fractions `draws` in [0, 1) of the cumulative weights, in sample order.

        A sample of weight w spans w units of the cumulative weights, exactly as w copies of it
        would; samples of weight 0 are never drawn.
        """
        draws = np.sort(draws)  # sorted, one walk over the weights finds them all
        if not self.weighted:
            return indices_at_fractions(self.n_samples, draws)
        indices = np.empty(len(draws), dtype=np.int64)
        lloyd.indices_by_weight(self.weights, draws, indices)
        return indices

    def mean_variance(self) -> float:
        """Mean over features of the weighted variance of the samples (for scikit-learn's tol),
        in the source's units."""
        return mean_variance(MemoryPasses(self.samples, self.weights if self.weighted else None, 1))


def mean_variance(one_cluster) -> float:
    """Mean over features of the weighted variance of the samples of the one-cluster pass
    source `one_cluster`: the inertia around their mean, from one pass.

    With one cluster every sample carries label 0 whatever the center, so the pass's sums do not
    depend on it: the inertia around the mean comes from the sums of the pass that found the
    mean, with the bits a second pass from the mean would give.
    """
    sums, weight_sums, _, _ = one_cluster.partials(np.zeros((1, one_cluster.n_features)))
    return one_cluster.inertia_of_labels(sums / weight_sums[:, None]) / (
        one_cluster.total_weight * one_cluster.n_features
    )
