"""Invariants over random inputs (hypothesis): shapes, dtypes, k, weights and data."""

import warnings
from fractions import Fraction

import cv2
import naive
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastseg
from fastseg import opencv

# Kernels compile on first use, so no per-example deadline; a modest number of examples keeps
# the suite quick (it also runs with bounds checks compiled in).
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SAMPLE_DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


def _elements(dtype):
    if np.dtype(dtype).kind == "u":
        return st.integers(0, np.iinfo(dtype).max)
    # Eighths in [-10^4, 10^4]: exact in float32 too, so that rows that differ are told apart
    # (rows 1e-196 apart have a squared distance of 0 in any float arithmetic).
    return st.integers(-80_000, 80_000).map(lambda eighths: eighths / 8)


@st.composite
def clustering_problems(draw):
    """(samples, k, sample_weight or None, init, seed) with k <= distinct positive-weight rows."""
    dtype = draw(st.sampled_from(SAMPLE_DTYPES))
    n = draw(st.integers(1, 200))
    d = draw(st.one_of(st.integers(1, 6), st.just(40)))
    samples = draw(hnp.arrays(dtype, (n, d), elements=_elements(dtype)))
    if draw(st.booleans()):
        samples = np.asfortranarray(samples)
    weights = None
    if draw(st.booleans()):
        weights = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1e3)))
        weights[draw(st.integers(0, n - 1))] = 1.0  # at least one positive weight
    used = samples if weights is None else samples[weights > 0]
    distinct = len(np.unique(used.astype(np.float64), axis=0))
    k = draw(st.integers(1, distinct))
    init = draw(st.sampled_from(["k-means++", "random"]))
    return samples, k, weights, init, draw(st.integers(0, 2**32 - 1))


def _compactness(samples, weights, labels, centers):
    squared = ((samples.astype(np.float64) - centers[labels]) ** 2).sum(axis=1)
    return float(squared @ (np.ones(len(samples)) if weights is None else weights))


@SETTINGS
@given(clustering_problems())
def test_kmeans_invariants(problem):
    samples, k, weights, init, seed = problem
    result = fastseg.kmeans(samples, k, init=init, seed=seed, sample_weight=weights)
    labels = result.labels.astype(np.int64)
    assert labels.shape == (len(samples),) and labels.min() >= 0 and labels.max() < k
    assert result.centers.shape == (k, samples.shape[1])
    assert np.isfinite(result.centers).all()
    expected = _compactness(samples, weights, labels, result.centers)
    # Compactness comes from per-cluster sums measured from an origin (0 for integer data, the
    # first sample for float data): its rounding error is relative to the sums' size.
    first = np.zeros(len(samples), np.int64)
    scale = max(
        _compactness(samples, weights, first, samples[:1]),
        _compactness(samples, weights, first, np.zeros((1, samples.shape[1]))),
    )
    assert abs(result.compactness - expected) <= 1e-12 * scale + 1e-300
    # No cluster is left without a sample (of positive weight) while k <= distinct samples.
    used = labels if weights is None else labels[weights > 0]
    assert len(np.unique(used)) == k
    again = fastseg.kmeans(samples, k, init=init, seed=seed, sample_weight=weights)
    np.testing.assert_array_equal(again.centers, result.centers)
    wide_float32 = samples.dtype == np.float32 and samples.shape[1] > 16 and k > 1
    assert_nearest_centers(samples, labels, result.centers, 2.0**-23 if wide_float32 else 2.0**-52)


def assert_nearest_centers(samples, labels, centers, eps):
    """Each sample's label is its nearest center: another center may be nearer only by the
    rounding of the score the engine compares, eps times the squared magnitudes involved (from
    0, or from the first sample, from which the engine measures float data), with a margin of
    8 (d + 2) for the terms summed (float64 distances of this check included). eps is 2^-52, or
    2^-23 where wide float32 samples take float32 matrix products."""
    d = samples.shape[1]
    points = np.concatenate([samples.astype(np.float64), centers])
    magnitude = max((points**2).sum(axis=1).max(), ((points - points[0]) ** 2).sum(axis=1).max())
    distances = naive.squared_distances(samples, centers)
    own = distances[np.arange(len(samples)), labels]
    excess = own - distances.min(axis=1)
    slack = 8 * (d + 2) * eps * magnitude
    worst = int(np.argmax(excess))
    assert excess[worst] <= slack, (
        f"sample {worst} has label {labels[worst]} at squared distance {own[worst]:.17g}; the "
        f"nearest center is at {distances[worst].min():.17g} (rounding allows {slack:.3g})"
    )


@st.composite
def images(draw, dtypes=(np.uint8,), channels=(1, 3)):
    dtype = draw(st.sampled_from(dtypes))
    height, width = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    shape = (height, width) if draw(st.sampled_from(channels)) == 1 else (height, width, 3)
    if dtype == np.uint8 and draw(st.booleans()):
        # Few levels, so that the image has few distinct colours and flat areas.
        levels = draw(st.integers(1, 6))
        return (draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, levels - 1))) * 40).astype(
            np.uint8
        )
    elements = st.floats(0, 1, width=32) if dtype == np.float32 else _elements(dtype)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@SETTINGS
@given(images(dtypes=(np.uint8, np.uint16, np.float32)), st.data())
def test_segment_invariants(image, data):
    n_pixels = image.shape[0] * image.shape[1]
    k = data.draw(st.integers(1, min(n_pixels, 12)))
    color_space = data.draw(st.sampled_from(["rgb", "lab"] if image.ndim == 3 else ["gray"]))
    seed = data.draw(st.integers(0, 99))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fastseg.segment(image, k, color_space=color_space, seed=seed)
    n_colours = len(np.unique(image.reshape(n_pixels, -1), axis=0))
    for warning in caught:  # the one warning there may be: more clusters than colours
        assert issubclass(warning.category, RuntimeWarning) and k > n_colours, warning.message
        assert "distinct colours" in str(warning.message)
    labels = result.labels.astype(np.int64)
    assert labels.shape == image.shape[:2] and labels.min() >= 0 and labels.max() < k
    assert np.isfinite(result.centers).all() and result.counts.sum() == n_pixels
    assert np.array_equal(result.counts, np.bincount(labels.ravel(), minlength=k))
    assert result.recolor().shape == image.shape and result.recolor().dtype == image.dtype
    if color_space == "rgb":
        pixels = image.reshape(n_pixels, -1)
        expected = _compactness(pixels, None, labels.ravel(), result.centers)
        assert abs(result.compactness - expected) <= 1e-9 * max(expected, 1.0) + 1e-6


@SETTINGS
@given(images(), st.data())
def test_both_segmentation_paths_agree_from_the_same_centers(image, data):
    pixels = image.reshape(image.shape[0] * image.shape[1], -1)
    distinct = np.unique(pixels, axis=0)
    k = data.draw(st.integers(1, len(distinct)))
    centers = distinct[data.draw(st.permutations(range(len(distinct))))[:k]].astype(np.float64)
    by_colour = fastseg.segment(image, k, init=centers, method="distinct")
    by_pixel = fastseg.segment(image, k, init=centers, method="pixels")
    np.testing.assert_array_equal(by_colour.labels, by_pixel.labels)
    np.testing.assert_allclose(by_colour.centers, by_pixel.centers, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(
    images(channels=(1, 3)),
    st.floats(0, 1200),
    st.floats(0, 1200),
    st.sampled_from([3, 5, 7]),
    st.booleans(),
)
def test_canny_equals_cv2(image, low, high, aperture_size, l2_gradient):
    edges = fastseg.canny(image, low, high, aperture_size=aperture_size, l2_gradient=l2_gradient)
    assert edges.dtype == np.uint8 and edges.shape == image.shape[:2]
    assert set(np.unique(edges)) <= {0, 255}
    expected = cv2.Canny(
        np.ascontiguousarray(image), low, high, apertureSize=aperture_size, L2gradient=l2_gradient
    )
    np.testing.assert_array_equal(edges, expected)


# --- numeric extremes: a correct result or a ValueError --------------------------------------

FLOAT64_MAX = Fraction(float(np.finfo(np.float64).max))


def _any_values(dtype):
    if np.dtype(dtype).kind == "u":
        return st.integers(0, np.iinfo(dtype).max)
    if dtype == np.float32:
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    return st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@st.composite
def extreme_arrays(draw, dtype, shape, low_exponent, high_exponent, signed=True):
    """Any finite values, or small integers times one power of two (exact ties abound)."""
    if draw(st.booleans()):
        return draw(hnp.arrays(dtype, shape, elements=_any_values(dtype)))
    mantissas = draw(hnp.arrays(np.int64, shape, elements=st.integers(-8 * signed, 8)))
    if np.dtype(dtype).kind == "u":
        return (mantissas << draw(st.integers(0, 4 if dtype == np.uint8 else 12))).astype(dtype)
    return np.ldexp(mantissas.astype(dtype), draw(st.integers(low_exponent, high_exponent)))


@st.composite
def extreme_problems(draw, dtypes=tuple(SAMPLE_DTYPES), weighted=True):
    """(samples, k, sample_weight or None, init, seed): finite values up to +-1e300 (the dtype's
    range for float32) down to subnormals, weights from 0 to 1e300, k from 1 to n."""
    dtype = draw(st.sampled_from(dtypes))
    n = draw(st.integers(1, 12))
    d = draw(st.sampled_from([1, 2, 3, 17]))
    low, high = (-1074, 990) if dtype == np.float64 else (-149, 120)
    samples = draw(extreme_arrays(dtype, (n, d), low, high))
    weights = None
    if weighted and draw(st.booleans()):
        weights = draw(extreme_arrays(np.float64, n, -1074, 990, signed=False))
        weights = np.minimum(np.abs(weights), 1e300)
    k = draw(st.one_of(st.just(1), st.just(n), st.integers(1, n)))
    init = draw(st.sampled_from(["k-means++", "random"]))
    return samples, k, weights, init, draw(st.integers(0, 2**32 - 1))


def _fractions(array):
    return [[Fraction(float(v)) for v in row] for row in np.asarray(array)]


def check_clustering(
    samples, weights, labels, centers, compactness, eps=2.0**-52, rtol=1e-12, center_quantum=0.0
):
    """A correct result: labels in range, centers finite, each label the nearest center (an
    other center may be as near only up to the rounding of the score the engine compares:
    eps times the squared magnitudes involved), compactness its exact recomputation up to the
    rounding of the sums, rtol of their size (infinite only where the exact value exceeds the
    float64 range). `center_quantum`: an absolute rounding of the centers after the engine
    used them (float32 centers of float64 ones: below 2^-126 their spacing is 2^-149 rather
    than relative)."""
    n, d = samples.shape
    k = centers.shape[0]
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    assert labels.shape == (n,) and labels.min() >= 0 and labels.max() < k
    assert np.isfinite(centers).all()
    exact = naive.exact_squared_distances(samples, centers)
    # The engine measures from the first sample (float data on the direct path) or from 0.
    direct = d <= 16 or k == 1
    origin = _fractions(samples[:1])[0] if direct and samples.dtype.kind == "f" else [0] * d
    magnitude = max(
        sum((v - o) ** 2 for v, o in zip(row, origin, strict=True))
        for row in _fractions(samples) + _fractions(centers)
    )
    # Data beyond SAMPLE_RANGE is held divided by a power of two: a coordinate more than 2^1074
    # times smaller than the largest then becomes subnormal and keeps a precision of the
    # quantum below, in the caller's units (exact otherwise).
    largest = max(abs(v) for row in _fractions(samples) + _fractions(centers) for v in row)
    quantum = largest * Fraction(2) ** -1072
    scaling = d * (quantum**2 + 4 * quantum * largest)
    rounded = Fraction(center_quantum)
    scaling += d * (rounded**2 + 4 * rounded * largest)
    slack = 8 * (d + 2) * Fraction(eps) * magnitude + scaling
    for row, label in zip(exact, labels, strict=True):
        assert row[label] - min(row) <= slack, "a label is not the nearest center"
    w = [Fraction(1)] * n if weights is None else [Fraction(float(v)) for v in weights]
    expected = sum(wi * row[label] for wi, row, label in zip(w, exact, labels, strict=True))
    tolerance = Fraction(rtol) * sum(w) * magnitude + Fraction(2.0**-1070) + sum(w) * scaling
    if compactness == np.inf:
        assert expected + tolerance > FLOAT64_MAX
    else:
        assert abs(Fraction(compactness) - expected) <= tolerance


@SETTINGS
@given(extreme_problems())
def test_kmeans_extremes_give_a_correct_result_or_value_error(problem):
    samples, k, weights, init, seed = problem
    if weights is not None and not weights.any():
        with pytest.raises(ValueError, match="`sample_weight`"):
            fastseg.kmeans(samples, k, init=init, seed=seed, sample_weight=weights)
        return
    result = fastseg.kmeans(samples, k, init=init, seed=seed, sample_weight=weights)
    assert result.centers.shape == (k, samples.shape[1])
    wide_float32 = samples.dtype == np.float32 and samples.shape[1] > 16 and k > 1
    check_clustering(samples, weights, result.labels, result.centers, result.compactness,
                     2.0**-23 if wide_float32 else 2.0**-52)  # fmt: skip


@SETTINGS
@given(extreme_problems(dtypes=(np.uint8, np.uint16, np.float32), weighted=False))
@example((np.array([[0.0], [3.59e-43], [3.59e-43]], dtype=np.float32), 1, None, "k-means++", 0))
def test_opencv_kmeans_extremes(problem):
    """The cv2 drop-in over the same extremes; its centers are float32, as cv2's."""
    samples, k, _, init, _ = problem
    flags = opencv.KMEANS_PP_CENTERS if init == "k-means++" else opencv.KMEANS_RANDOM_CENTERS
    compactness, labels, centers = opencv.kmeans(samples, k, None, (1, 10, 0), 1, flags)
    assert labels.shape == (len(samples), 1) and centers.dtype == np.float32
    # Labels belong to the float64 centers; rounding them to float32 moves them by 2^-24 of
    # their size, and by up to 2^-149 where they are subnormal in float32.
    check_clustering(samples, None, labels, centers.astype(np.float64), compactness, 2.0**-21,
                     rtol=2.0**-20, center_quantum=2.0**-149)  # fmt: skip


@SETTINGS
@given(extreme_problems(dtypes=(np.float32, np.float64)))
def test_sklearn_estimator_extremes(problem):
    from fastseg.sklearn import KMeans

    samples, k, weights, init, seed = problem
    estimator = KMeans(k, init=init, n_init=1, random_state=seed)
    if weights is not None and not weights.any():
        with pytest.raises(ValueError, match="`sample_weight`"):
            estimator.fit(samples, sample_weight=weights)
        return
    estimator.fit(samples, sample_weight=weights)
    wide_float32 = samples.dtype == np.float32 and samples.shape[1] > 16 and k > 1
    eps = 2.0**-23 if wide_float32 else 2.0**-52
    check_clustering(samples, weights, estimator.labels_, estimator.cluster_centers_,
                     estimator.inertia_, eps)  # fmt: skip
    np.testing.assert_array_equal(estimator.predict(samples), estimator.labels_)


def test_scaled_extreme_data_keeps_tiny_coordinates_to_the_subnormal_quantum():
    """Found by the extremes test: 4.5e189 beside 1.7e-118 in one sample. Held divided by 2^631,
    the small coordinate becomes subnormal and may move by one quantum (largest * 2^-1073)."""
    from fastseg.sklearn import KMeans

    x = np.frombuffer(bytes.fromhex("3805e4010000506705d3a889cd0e7b27"), np.float64)
    x = x.reshape(1, 2).copy()
    estimator = KMeans(1, init="k-means++", n_init=1, random_state=0).fit(x)
    assert estimator.cluster_centers_[0, 0] == x[0, 0]
    assert abs(estimator.cluster_centers_[0, 1] - x[0, 1]) <= x[0, 0] * 2.0**-1073
    check_clustering(x, None, estimator.labels_, estimator.cluster_centers_, estimator.inertia_)
