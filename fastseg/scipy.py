"""``scipy.cluster.vq`` with fastseg's engine: :func:`whiten`, :func:`vq`, :func:`kmeans` and
:func:`kmeans2`, with SciPy's signatures, defaults, return types and rules.

Replace ``from scipy.cluster.vq import kmeans2, vq`` by ``from fastseg.scipy import kmeans2, vq``
and the same calls give the same results: SciPy is not needed (nor imported). The nearest-code
passes of :func:`vq`, :func:`kmeans` and :func:`kmeans2` run on fastseg's pass interface
(:class:`fastseg.passes.MemoryPasses`), split among :func:`fastseg.get_num_threads` threads with
results that do not depend on their number.

What is the same as in SciPy
----------------------------
* Shapes and dtypes: a 1-D array is one feature; codes are int32 (the platform integer when both
  arrays of :func:`vq` are integers, as SciPy's fallback gives); distances, code books and the
  distortion of :func:`kmeans` have the dtype SciPy gives them (float32 for float32 data).
* The rules: :func:`kmeans` stops when the mean distance changes by at most `thresh` and drops
  codes that lose all their observations; :func:`kmeans2` runs exactly `iter` updates and keeps
  an empty cluster's previous centroid, warning or raising :class:`ClusterError` by `missing`.
  Ties go to the lowest code.
* The random draws: `seed` (``None``, an int, a ``RandomState`` or a ``Generator``) or `rng`
  (anything :func:`numpy.random.default_rng` takes) become the same generator as in SciPy, which
  is asked for the same numbers in the same order. With the same seed, the initial code books of
  ``minit='points'``, ``'++'``, ``'random'`` and of :func:`kmeans`'s random starts are SciPy's.
* The warnings (same category and text, so that filters written for SciPy apply) and the
  exception types of bad input.

What differs
------------
* Sums of clusters are taken in float64 (SciPy adds float32 data in float32) and by chunks, so
  centroids of non-integer data may differ from SciPy's in the last bits; those of integer-valued
  data (such as photos' pixels) are the same. Where two codes are equally near up to rounding, the
  code chosen may differ.
* Data must be finite even with ``check_finite=False`` (a ValueError otherwise): the check is a
  fraction of one pass.
* Empty input to :func:`kmeans` and an empty code book in :func:`vq` raise a ValueError (SciPy
  returns NaN or unset codes).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _config, _validate
from ._kernels.lloyd import nearest_codes
from .passes import MAX_FEATURES_DIRECT, SAMPLE_RANGE, MemoryPasses, scale_exponent

__all__ = ["ClusterError", "kmeans", "kmeans2", "vq", "whiten"]

#: Elements (rows times features) per block when distances are computed with NumPy: a block's
#: temporaries stay in cache.
DISTANCE_BLOCK_ELEMENTS = 1 << 16
#: Rows narrower than this have their distances summed feature by feature, in order: SciPy's
#: direct loop, which it runs below 5 features (and ``cdist`` at any width), adds them so.
SEQUENTIAL_FEATURES = 5
#: Rows per block of the k-means++ distances (features are added one by one, as ``cdist`` does).
PLUS_PLUS_BLOCK_ROWS = 1 << 13
#: Initialisations of :func:`kmeans2` for a number of clusters.
KMEANS2_INITS = ("random", "points", "++")
#: Ways :func:`kmeans2` deals with a cluster that has lost all its observations.
MISSING_ACTIONS = ("warn", "raise")
#: The message of an empty cluster in :func:`kmeans2` (SciPy's words, for warning filters).
EMPTY_CLUSTER_MESSAGE = (
    "One of the clusters is empty. Re-run kmeans with a different initialization."
)
_FLOAT64 = np.dtype(np.float64)
_FLOAT_DTYPES = (np.dtype(np.float32), _FLOAT64)
_UNSIGNED_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


class ClusterError(Exception):
    """A cluster of :func:`kmeans2` lost all its observations, with ``missing='raise'``."""


# --- input -----------------------------------------------------------------------------------


def _as_array(value, name: str, check_finite: bool) -> np.ndarray:
    """`value` as an ndarray; with `check_finite`, a ValueError if it holds NaN or infinity."""
    array = np.asarray(value)
    if check_finite and array.dtype.kind not in "biu" and not np.isfinite(array).all():
        raise ValueError(f"`{name}` must contain only finite values; got NaN or infinity.")
    return array


def _check_finite_codes(code_book: np.ndarray) -> None:
    """Codes go into the engine's kernels, which take finite values only."""
    if not np.isfinite(code_book).all():
        raise ValueError(
            "`code_book` must contain only finite values (even with check_finite=False); "
            "got NaN or infinity."
        )


def _common_dtype(obs: np.ndarray, code_book: np.ndarray) -> np.dtype:
    """The dtype the codes of `obs` are found in: float32 or float64, or int64 for integers
    (compared in float64, as SciPy's fallback does)."""
    common = np.result_type(obs, code_book).newbyteorder("=")
    if common.kind == "f":
        if common not in _FLOAT_DTYPES:
            raise TypeError(
                f"float data must be float32 or float64; got {common.name} (convert it)."
            )
        return common
    if common.kind in "biu":
        return np.dtype(np.int64)
    if common.kind == "c":
        raise ValueError(f"complex data is not supported; got {common.name}.")
    raise TypeError(f"data must be numeric; got dtype {common.name}.")


def _rows(obs: np.ndarray, code_book: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) observations and (k, d) codes from arrays of one rank, 1 (one feature) or 2."""
    obs, code_book = np.atleast_1d(obs), np.atleast_1d(code_book)
    if obs.ndim != code_book.ndim:
        raise ValueError(
            f"`obs` and `code_book` must have the same number of dimensions; got {obs.ndim} "
            f"and {code_book.ndim}."
        )
    if obs.ndim > 2:
        raise ValueError(f"arrays must be 1-D or 2-D; got {obs.ndim} dimensions.")
    if obs.ndim == 1:
        return obs[:, None], code_book[:, None]
    if obs.shape[1] != code_book.shape[1]:
        raise ValueError(
            f"`obs` and `code_book` must have the same number of features (columns); got "
            f"{obs.shape[1]} and {code_book.shape[1]}."
        )
    return obs, code_book


def _engine_samples(
    samples: np.ndarray, work: np.dtype, name: str, check_finite: bool = True
) -> np.ndarray:
    """`samples` in a dtype the engine reads, checked: as they are when the engine finds their
    nearest codes in `work` precision or finer (uint8 and uint16 always; float32 on the direct
    pass, which computes in float64), else converted to `work`."""
    if samples.dtype in _UNSIGNED_DTYPES or samples.dtype == work:
        keep = True
    else:
        keep = (
            samples.dtype == np.float32
            and work == np.float64
            and samples.shape[1] <= MAX_FEATURES_DIRECT
        )
    samples = samples if keep else samples.astype(work)
    if not check_finite:  # the caller checks it
        return _validate.check_sample_layout(samples, name)
    return _validate.check_samples(samples, name)


def _largest_magnitude(samples: np.ndarray, name: str) -> float:
    """The largest absolute value of the checked (n, d) `samples`; for floats, in the pass that
    also checks that they are finite (a ValueError otherwise)."""
    if samples.dtype.kind != "f":  # uint8, uint16
        return float(samples.max())
    low_high = _validate.finite_range(samples)
    if low_high is None:
        raise ValueError(f"`{name}` must contain only finite values; got NaN or infinity.")
    return max(-low_high[0], low_high[1])


def _random_generator(rng, seed):
    """The generator SciPy draws from: `rng` through :func:`numpy.random.default_rng`; else
    `seed` as ``check_random_state`` takes it (None: NumPy's global RandomState; an int: a new
    RandomState; a RandomState or a Generator: itself)."""
    if rng is not None and seed is not None:
        raise TypeError("give `rng` or `seed`, not both (`seed` is the older name of `rng`).")
    if rng is not None:
        return np.random.default_rng(rng)
    if seed is None or seed is np.random:
        # The RandomState that np.random.seed seeds and np.random.* draw from.
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState | np.random.Generator):
        return seed
    raise ValueError(
        f"`seed` must be None, an integer, a numpy.random.RandomState or a "
        f"numpy.random.Generator; got {_validate._describe(seed)}."
    )


# --- distances and passes --------------------------------------------------------------------


def _code_distances(samples: np.ndarray, centers: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Euclidean distance, float64, of each row of `samples` to its code ``centers[codes]``.

    Below SEQUENTIAL_FEATURES features, features are added in order, as SciPy's direct loop (and
    ``cdist``) adds them, so that these distances have SciPy's bits; wider rows are summed by
    NumPy (SciPy then takes them from a matrix product, to which neither order is closer).
    """
    n_samples, n_features = samples.shape
    distances = np.empty(n_samples)
    rows = max(256, DISTANCE_BLOCK_ELEMENTS // max(n_features, 1))
    columns = [np.ascontiguousarray(centers[:, feature]) for feature in range(n_features)]
    with np.errstate(over="ignore", invalid="ignore"):  # as float arithmetic gives them
        for start in range(0, n_samples, rows):
            stop = min(n_samples, start + rows)
            block_codes = codes[start:stop].astype(np.intp)
            total = distances[start:stop]
            if n_features < SEQUENTIAL_FEATURES:
                total[:] = 0.0
                for feature, column in enumerate(columns):
                    difference = column[block_codes]
                    difference -= samples[start:stop, feature]
                    difference *= difference
                    total += difference
            else:
                differences = centers[block_codes]
                differences -= samples[start:stop]
                np.einsum("ij,ij->i", differences, differences, out=total)
            np.sqrt(total, out=total)
    return distances


def _nearest_codes(source: MemoryPasses, centers: np.ndarray, update: bool):
    """One pass: label every sample with its nearest of `centers` (float64, caller's units).

    Returns the mean of each code's samples (float64, caller's units; 0 for an empty code) and
    which codes have samples; the labels are left in ``source.labels``. With `update`, the
    source's labels are those of its last pass (the engine may then add only the moves).
    """
    units = source.units
    sums, counts, _, _ = source.partials(units.to_source(centers), update=update)
    occupied = counts > 0.0
    means = np.zeros_like(sums)
    means[occupied] = sums[occupied] / counts[occupied, None]
    return units.to_caller(means), occupied


# --- whiten and vq ---------------------------------------------------------------------------


def whiten(obs, check_finite=None):
    """Divide each feature (column) of `obs` by its standard deviation over the observations.

    Parameters
    ----------
    obs : array_like of shape (M, N) or (M,)
        One observation per row.
    check_finite : bool or None, default None (True)
        Raise a ValueError if `obs` holds NaN or infinity; only then is a column of standard
        deviation zero reported (a RuntimeWarning).

    Returns
    -------
    ndarray
        `obs` divided by the population standard deviation of each column; a column whose
        deviation is zero is left as it is. float32 data stay float32; integers give float64.

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg.scipy import whiten
    >>> whiten(np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]]))
    array([[0.61237244, 0.46291005],
           [1.83711731, 0.9258201 ],
           [3.06186218, 2.7774603 ]])
    """
    if check_finite is None:
        check_finite = True
    obs = _as_array(obs, "obs", check_finite)
    deviations = np.array(np.std(obs, axis=0))
    constant = deviations == 0
    deviations[constant] = 1.0
    if check_finite and constant.any():
        warnings.warn(
            "Some columns have standard deviation zero. "
            "The values of these columns will not change.",
            RuntimeWarning,
            stacklevel=2,
        )
    return obs / deviations


def vq(obs, code_book, check_finite=True):
    """Code of each observation: the index of its nearest code, and the distance to it.

    Parameters
    ----------
    obs : array_like of shape (M, N), or (M,) for one feature
        Observations, one per row (usually whitened, see :func:`whiten`).
    code_book : array_like of shape (K, N), or (K,) for one feature
        The codes (centroids), one per row, of the rank of `obs`.
    check_finite : bool, default True
        Raise a ValueError if either array holds NaN or infinity. fastseg checks its input in
        any case (see the module's notes).

    Returns
    -------
    code : ndarray of shape (M,)
        Index of the nearest code of each observation, the lowest of equally near ones; int32
        (the platform integer when both arrays hold integers).
    dist : ndarray of shape (M,)
        Euclidean distance of each observation to its code, in the floating dtype of the two
        arrays (float64 for integers).

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg.scipy import vq
    >>> code_book = np.array([[0.0, 0.0], [4.0, 4.0]])
    >>> obs = np.array([[1.0, 0.0], [3.0, 4.0], [2.0, 2.0]])
    >>> vq(obs, code_book)
    (array([0, 1, 0], dtype=int32), array([1.        , 1.        , 2.82842712]))
    """
    # The observations are checked for finiteness once, by _largest_magnitude, in any case.
    obs = _as_array(obs, "obs", check_finite=False)
    code_book = _as_array(code_book, "code_book", check_finite)
    common = _common_dtype(obs, code_book)
    samples, codes = _rows(obs, code_book)
    code_dtype = np.int32 if common.kind == "f" else np.intp
    distance_dtype = common if common.kind == "f" else np.dtype(np.float64)
    n_samples, n_features = samples.shape
    if n_samples == 0 or n_features == 0:  # no work: every observation is at 0 from code 0
        return np.zeros(n_samples, dtype=code_dtype), np.zeros(n_samples, dtype=distance_dtype)
    if codes.shape[0] == 0:
        raise ValueError("`code_book` must hold at least one code; got none.")
    work = distance_dtype
    centers = codes.astype(work).astype(np.float64)  # the codes as SciPy compares them
    _check_finite_codes(centers)
    samples = _engine_samples(samples, work, "obs", check_finite=False)
    largest = max(_largest_magnitude(samples, "obs"), float(np.abs(centers).max()))
    # Narrow rows whose squared differences fit float64 (neither overflow nor underflow).
    if n_features <= MAX_FEATURES_DIRECT and scale_exponent(largest, SAMPLE_RANGE[_FLOAT64]) == 0:
        # Narrow rows: one pass that finds each code by its exact distance, as SciPy does.
        labels = np.empty(n_samples, dtype=np.int32)
        distances = np.empty(n_samples)
        n_chunks = -(-n_samples // _config.CHUNK_SIZE)
        _config.run_in_threads(nearest_codes, n_chunks, samples, centers, labels, distances)
        return labels.astype(code_dtype, copy=False), distances.astype(distance_dtype, copy=False)
    source = MemoryPasses(samples, None, centers.shape[0])
    _nearest_codes(source, centers, update=False)
    labels = source.labels
    distances = _code_distances(samples, centers, labels)
    return labels.astype(code_dtype), distances.astype(distance_dtype, copy=False)


def _check_float_data(data: np.ndarray, name: str) -> None:
    """SciPy's k-means takes float32 and float64 data only (a TypeError otherwise)."""
    if data.dtype.newbyteorder("=") not in _FLOAT_DTYPES:
        raise TypeError(
            f"`{name}` must have dtype float32 or float64, as SciPy's k-means needs; got "
            f"{data.dtype.name} (convert it with .astype(np.float64))."
        )


class _Sources:
    """One pass source per number of codes over the same samples (codes may be dropped)."""

    def __init__(self, samples: np.ndarray):
        self.samples = samples
        self._by_k: dict[int, MemoryPasses] = {}

    def __call__(self, k: int) -> MemoryPasses:
        if k not in self._by_k:
            self._by_k[k] = MemoryPasses(self.samples, None, k)
        return self._by_k[k]


def _refine(sources: _Sources, code_book: np.ndarray, thresh):
    """SciPy's k-means from `code_book` (k, d): assign, then move each code to the mean of its
    observations (dropping codes without any), until the mean distance to the codes changes by
    at most `thresh`. Returns the last code book (in the data's dtype) and the mean distance of
    its predecessor, in the dtype of the pair."""
    samples = sources.samples
    previous_distortion = np.inf
    change = np.inf
    distortion = None
    source = None
    while change > thresh:
        common = np.result_type(samples.dtype, code_book.dtype)
        centers = code_book.astype(np.float64)
        update = source is not None and source.k == centers.shape[0]
        source = sources(centers.shape[0])
        means, occupied = _nearest_codes(source, centers, update)
        distances = _code_distances(samples, centers, source.labels)
        distortion = np.mean(distances.astype(common, copy=False))
        code_book = means[occupied].astype(samples.dtype)
        change = abs(previous_distortion - distortion)
        previous_distortion = distortion
    return code_book, distortion


def kmeans(obs, k_or_guess, iter=20, thresh=1e-5, check_finite=True, *, rng=None, seed=None):
    """k-means by SciPy's rule: the code book of least mean distance over `iter` random starts.

    From each start, observations are assigned to their nearest code and each code moves to the
    mean of its observations, until the mean (not squared) distance of the observations to their
    codes changes by at most `thresh`. A code left without observations is dropped, so fewer
    than k codes may be returned.

    Parameters
    ----------
    obs : array_like of shape (M, N), or (M,) for one feature
        Observations, float32 or float64, one per row (usually whitened, see :func:`whiten`).
    k_or_guess : int or array_like of shape (k, N) (or (k,))
        The number of codes, each start drawing k distinct observations as its first codes; or the
        first codes themselves, for a single run (`iter` is then ignored).
    iter : int, default 20
        Number of random starts (not of iterations).
    thresh : float, default 1e-5
        Largest change of the mean distance at which the iterations stop.
    check_finite : bool, default True
        Raise a ValueError if the arrays hold NaN or infinity (fastseg checks in any case).
    rng : None, int, numpy.random.Generator, ..., keyword-only
        Passed to :func:`numpy.random.default_rng` for the draws.
    seed : None, int, numpy.random.RandomState or numpy.random.Generator, keyword-only
        The older name of `rng`, read as SciPy reads it: None for NumPy's global RandomState, an
        int for a new ``RandomState(seed)``. Give one of `rng` and `seed`.

    Returns
    -------
    codebook : ndarray of shape (k', N) (or (k',)), in the dtype of `obs`
        The codes of the best start, ``k' <= k``.
    distortion : numpy float
        The mean Euclidean distance of the observations to their nearest code (measured before
        the codes' last move, as SciPy does).

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg.scipy import kmeans
    >>> obs = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    >>> codebook, distortion = kmeans(obs, np.array([[0.0, 1.0], [9.0, 1.0]]))
    >>> codebook
    array([[ 0.,  1.],
           [10.,  1.]])
    >>> distortion
    np.float64(1.0)
    >>> kmeans(obs, 2, seed=0)[0].shape
    (2, 2)
    """
    obs = _as_array(obs, "obs", check_finite)
    guess = _as_array(k_or_guess, "k_or_guess", check_finite)
    if iter < 1:
        raise ValueError(f"`iter` must be at least 1; got {iter}.")
    if guess.size != 1:
        if guess.size < 1:
            raise ValueError(f"`k_or_guess` must hold at least one code; got {guess!r}.")
        samples, code_book = _rows(obs, guess)
        _check_float_data(obs, "obs")
        _common_dtype(samples, code_book)
        _check_finite_codes(code_book)
        samples = _validate.check_samples(samples, "obs")
        book, distortion = _refine(_Sources(samples), code_book, thresh)
        return (book[:, 0] if obs.ndim == 1 else book), distortion
    k = int(guess)
    if k != guess:
        raise ValueError(f"`k_or_guess` as a number must be an integer; got {guess}.")
    if k < 1:
        raise ValueError(f"`k_or_guess` must be at least 1; got {k}.")
    if obs.ndim not in (1, 2):
        raise ValueError(f"`obs` must be 1-D or 2-D; got {obs.ndim} dimensions.")
    _check_float_data(obs, "obs")
    samples = _validate.check_samples(obs[:, None] if obs.ndim == 1 else obs, "obs")
    generator = _random_generator(rng, seed)
    sources = _Sources(samples)
    best_book, best_distortion = None, np.inf
    for _ in range(iter):
        start = _draw_points(samples, k, generator)
        book, distortion = _refine(sources, start, thresh)
        if distortion < best_distortion:
            best_book, best_distortion = book, distortion
    return (best_book[:, 0] if obs.ndim == 1 else best_book), best_distortion


# --- kmeans2 initialisations (the draws of SciPy's, in the same order) ------------------------


def _draw_points(samples: np.ndarray, k: int, generator) -> np.ndarray:
    """k distinct rows drawn at random ('points', and the starts of :func:`kmeans`)."""
    chosen = generator.choice(samples.shape[0], size=k, replace=False)
    return samples[chosen]


def _draw_gaussian(data: np.ndarray, k: int, generator) -> np.ndarray:
    """k points drawn from the Gaussian of the data's mean and covariance ('random').

    The moments are computed with the NumPy calls SciPy makes, so that the same draws give the
    same points; with fewer observations than features the covariance is singular, and the
    points are drawn in the span of the centred data (through its SVD).
    """
    mean = np.mean(data, axis=0)
    if data.ndim == 1:
        points = generator.standard_normal(size=k) * np.sqrt(np.cov(data))
        return (points + mean)[:, None]
    n_samples, n_features = data.shape
    if n_features > n_samples:
        _, singular, right = np.linalg.svd(data - mean, full_matrices=False)
        points = generator.standard_normal(size=(k, singular.size))
        points = points @ (singular[:, None] * right / np.sqrt(n_samples - 1.0))
    else:
        covariance = np.atleast_2d(np.cov(data.T))
        points = generator.standard_normal(size=(k, n_features))
        points = points @ np.linalg.cholesky(covariance).T
    return points + mean


def _draw_plus_plus(samples: np.ndarray, k: int, generator) -> np.ndarray:
    """k rows by k-means++ ('++'): the first uniformly, each next one with probability
    proportional to its squared distance to the nearest row already chosen (one draw each)."""
    n_samples, n_features = samples.shape
    chosen = np.empty((k, n_features))
    if isinstance(generator, np.random.Generator):
        first = generator.integers(n_samples, dtype=np.int64)
    else:
        first = generator.randint(n_samples, dtype=np.int64)
    chosen[0] = samples[first]
    nearest = np.full(n_samples, np.inf)
    rows = PLUS_PLUS_BLOCK_ROWS
    # Work rows for one block, allocated once.
    squared_rows = np.empty(min(rows, n_samples))
    difference_rows = np.empty(min(rows, n_samples))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i in range(1, k):
            center = chosen[i - 1]
            # Squared distances to the last center, features added in order as cdist adds them:
            # the minimum over centers then has SciPy's bits, and so do the probabilities.
            for start in range(0, n_samples, rows):
                block = samples[start : start + rows]
                squared = squared_rows[: block.shape[0]]
                difference = difference_rows[: block.shape[0]]
                squared[:] = 0.0
                for feature in range(n_features):
                    np.subtract(block[:, feature], center[feature], out=difference)
                    difference *= difference
                    squared += difference
                np.minimum(
                    nearest[start : start + rows], squared, out=nearest[start : start + rows]
                )
            cumulative = (nearest / nearest.sum()).cumsum()
            index = int(np.searchsorted(cumulative, generator.uniform()))
            # A sum rounded below the draw would point past the end (SciPy then fails).
            chosen[i] = samples[min(index, n_samples - 1)]
    return chosen


def kmeans2(
    data, k, iter=10, thresh=1e-5, minit="random", missing="warn", check_finite=True, *,
    rng=None, seed=None,
):  # fmt: skip
    """k-means with a fixed number of iterations and a choice of initialisations.

    Each iteration assigns every observation to its nearest centroid, then moves each centroid
    to the mean of its observations. A centroid left without observations stays where it was,
    with a warning or a :class:`ClusterError` (see `missing`).

    Parameters
    ----------
    data : array_like of shape (M, N), or (M,) for one feature
        Observations, float32 or float64, one per row.
    k : int or array_like of shape (k, N) (or (k,))
        The number of clusters, or (with ``minit='matrix'``, or any array of more than one
        element) the initial centroids.
    iter : int, default 10
        Number of iterations (assignments and updates).
    thresh : float, default 1e-5
        Not used, as in SciPy.
    minit : {'random', 'points', '++', 'matrix'}, default 'random'
        'random': k points drawn from a Gaussian with the data's mean and covariance;
        'points': k distinct observations drawn at random; '++': k observations by k-means++;
        'matrix': `k` holds the initial centroids.
    missing : {'warn', 'raise'}, default 'warn'
        What an empty cluster does: a UserWarning (once per iteration), or a
        :class:`ClusterError`.
    check_finite : bool, default True
        Raise a ValueError if the arrays hold NaN or infinity (fastseg checks in any case).
    rng, seed : keyword-only
        The random generator, as in :func:`kmeans`.

    Returns
    -------
    centroid : ndarray of shape (k, N) (or (k,)), in the dtype of `data`
        The centroids after the last iteration.
    label : ndarray of shape (M,), int32
        The code of each observation in the last iteration (that of the centroids before their
        last update, as SciPy gives it).

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg.scipy import kmeans2
    >>> data = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    >>> centroid, label = kmeans2(data, np.array([[1.0, 1.0], [9.0, 1.0]]), minit="matrix")
    >>> centroid
    array([[ 0.,  1.],
           [10.,  1.]])
    >>> label
    array([0, 0, 1, 1], dtype=int32)
    >>> kmeans2(data, 2, minit="points", seed=1)[1].shape
    (4,)
    """
    if int(iter) < 1:
        raise ValueError(f"`iter` must be a positive integer; got {iter}.")
    if missing not in MISSING_ACTIONS:
        raise ValueError(f"`missing` must be one of {', '.join(MISSING_ACTIONS)}; got {missing!r}.")
    data = _as_array(data, "data", check_finite)
    code_book = np.array(k, copy=True)
    if data.ndim not in (1, 2):
        raise ValueError(f"`data` must be 1-D or 2-D; got {data.ndim} dimensions.")
    n_features = 1 if data.ndim == 1 else data.shape[1]
    if data.size < 1 or code_book.size < 1:
        raise ValueError(
            f"`data` and `k` must not be empty; got shapes {data.shape} and {code_book.shape}."
        )
    if minit == "matrix" or code_book.size > 1:
        if data.ndim != code_book.ndim:
            raise ValueError(
                f"`k` as initial centroids must have the rank of `data`, {data.ndim}; got "
                f"{code_book.ndim}."
            )
        n_clusters = code_book.shape[0]
        if data.ndim > 1 and code_book.shape[1] != n_features:
            raise ValueError(
                f"`k` as initial centroids must have the {n_features} features of `data`; got "
                f"{code_book.shape[1]}."
            )
        code_book = code_book.reshape(n_clusters, n_features)
    else:
        n_clusters = int(code_book)
        if n_clusters < 1:
            raise ValueError(f"`k` must be at least 1; got {n_clusters} (k was {code_book}).")
        if n_clusters != code_book:
            warnings.warn("k was not an integer, was converted.", stacklevel=2)
        if minit not in KMEANS2_INITS:
            raise ValueError(
                f"`minit` must be one of {', '.join(KMEANS2_INITS)}, matrix; got {minit!r}."
            )
        generator = _random_generator(rng, seed)
        rows = data[:, None] if data.ndim == 1 else data
        if minit == "random":
            code_book = _draw_gaussian(data, n_clusters, generator)
        elif minit == "points":
            code_book = _draw_points(rows, n_clusters, generator)
        else:
            code_book = _draw_plus_plus(rows, n_clusters, generator)
    samples = data[:, None] if data.ndim == 1 else data
    _common_dtype(samples, code_book)
    _check_float_data(data, "data")
    iterations = range(iter)
    _check_finite_codes(code_book)
    samples = _validate.check_samples(samples, "data")
    source = MemoryPasses(samples, None, n_clusters)
    for iteration in iterations:
        means, occupied = _nearest_codes(source, code_book.astype(np.float64), iteration > 0)
        new_code_book = means.astype(samples.dtype)
        if not occupied.all():
            if missing == "raise":
                raise ClusterError(EMPTY_CLUSTER_MESSAGE)
            warnings.warn(EMPTY_CLUSTER_MESSAGE, UserWarning, stacklevel=2)
            new_code_book[~occupied] = code_book[~occupied]
        code_book = new_code_book
    labels = source.labels.astype(np.int32)
    return (code_book[:, 0] if data.ndim == 1 else code_book), labels
