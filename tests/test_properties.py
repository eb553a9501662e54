"""Invariants over random inputs (hypothesis): shapes, dtypes, k, weights and data."""

import cv2
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastseg

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
    result = fastseg.segment(image, k, color_space=color_space, seed=data.draw(st.integers(0, 99)))
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
