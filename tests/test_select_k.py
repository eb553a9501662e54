"""Silhouette score and knee point: hand-computed cases, the NumPy reference, scikit-learn."""

from __future__ import annotations

import doctest

import naive
import numba
import numpy as np
import pytest

import fastseg.select_k
from fastseg.select_k import knee_point, silhouette_score

#: Largest absolute difference allowed between a silhouette score and its reference.
ATOL = 1e-9

SAMPLE_DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


def blobs(rng, n_samples, n_features, n_clusters, dtype, spread=20.0):
    """Gaussian blobs in [0, 255] and their labels, plus two singletons when n_clusters > 3."""
    centers = rng.uniform(0.0, 255.0, (n_clusters, n_features))
    labels = rng.integers(0, n_clusters, n_samples)
    if n_clusters > 3:
        labels[:2] = [n_clusters, n_clusters + 1]  # two clusters of one sample each
        centers = np.vstack([centers, rng.uniform(0.0, 255.0, (2, n_features))])
    points = centers[labels] + rng.normal(0.0, spread, (n_samples, n_features))
    return np.clip(points, 0.0, 255.0).astype(dtype), labels


def test_public_names():
    assert fastseg.select_k.__all__ == [
        "Elbow", "Silhouette", "choose_k", "elbow", "knee_point", "silhouette",
        "silhouette_score",
    ]  # fmt: skip


def test_docstring_examples_run():
    failures, _ = doctest.testmod(fastseg.select_k, optionflags=doctest.ELLIPSIS)
    assert failures == 0


# --- silhouette: cases computed by hand ---


@pytest.mark.parametrize("dtype", SAMPLE_DTYPES)
def test_silhouette_of_two_pairs(dtype):
    # 0 and 11: a = 1, b = (10 + 11) / 2;  1 and 10: a = 1, b = (9 + 10) / 2.
    samples = np.array([[0], [1], [10], [11]], dtype=dtype)
    expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
    assert abs(silhouette_score(samples, [0, 0, 1, 1]) - expected) <= ATOL


@pytest.mark.parametrize("dtype", SAMPLE_DTYPES)
def test_singleton_cluster_scores_zero(dtype):
    # 0: a = 1, b = 10;  1: a = 1, b = 9;  10 is alone: 0.
    samples = np.array([[0, 0], [1, 0], [10, 0]], dtype=dtype)
    expected = (0.9 + 8 / 9 + 0.0) / 3
    assert abs(silhouette_score(samples, [0, 0, 1]) - expected) <= ATOL


def test_identical_samples_score_zero():
    # a = b = 0 for every sample: scikit-learn's 0 / 0 becomes 0.
    samples = np.full((6, 3), 7, dtype=np.uint8)
    assert silhouette_score(samples, [0, 0, 0, 1, 1, 2]) == 0.0


def test_large_input_is_scored_exactly():
    # 10 000 samples at 0, 10 000 at 1 and one at 100 (a singleton): every other sample has a = 0
    # and b = 1. Any subsampling would change the share of the singleton's 0.
    n_each = 10_000
    samples = np.concatenate([np.zeros(n_each), np.ones(n_each), [100.0]]).reshape(-1, 1)
    labels = np.concatenate([np.zeros(n_each, int), np.ones(n_each, int), [2]])
    assert silhouette_score(samples, labels) == 2 * n_each / (2 * n_each + 1)


# --- silhouette against the NumPy reference and scikit-learn ---


@pytest.mark.parametrize("dtype", SAMPLE_DTYPES)
@pytest.mark.parametrize("n_features", [1, 3, 5])
def test_silhouette_matches_naive(dtype, n_features):
    rng = np.random.default_rng(n_features)
    for n_samples, n_clusters in [(40, 2), (300, 4), (517, 7)]:
        samples, labels = blobs(rng, n_samples, n_features, n_clusters, dtype)
        expected = naive.silhouette_score(samples, labels)
        assert abs(silhouette_score(samples, labels) - expected) <= ATOL


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
@pytest.mark.parametrize("n_features", [3, 64])
def test_silhouette_matches_sklearn_on_blobs(dtype, n_features):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    samples, labels = blobs(rng, 2000, n_features, 6, dtype, spread=30.0)
    # For float32 input scikit-learn keeps distances and their sums in float32 (its score is good
    # to about 1e-7), so it scores the same values in float64; uint8 it converts to float64 itself.
    reference_input = samples.astype(np.float64) if dtype == np.float32 else samples
    expected = metrics.silhouette_score(reference_input, labels)
    assert abs(silhouette_score(samples, labels) - expected) <= ATOL


@pytest.mark.parametrize("n_clusters", [2, 5, 9])
def test_silhouette_matches_sklearn_on_photo(n_clusters):
    cluster = pytest.importorskip("sklearn.cluster")
    metrics = pytest.importorskip("sklearn.metrics")
    skimage_data = pytest.importorskip("skimage.data")
    pixels = skimage_data.astronaut().reshape(-1, 3)
    rng = np.random.default_rng(n_clusters)
    pixels = pixels[rng.choice(len(pixels), 3000, replace=False)]
    labels = cluster.KMeans(n_clusters, n_init=1, random_state=0).fit_predict(pixels)
    expected = metrics.silhouette_score(pixels, labels)
    assert abs(silhouette_score(pixels, labels) - expected) <= ATOL


@pytest.mark.parametrize("dtype", SAMPLE_DTYPES)
@pytest.mark.parametrize("n_features", [32, 200])
def test_wide_silhouette_matches_naive(dtype, n_features):
    """From 32 features the distances may come from matrix products: to within ATOL."""
    rng = np.random.default_rng(n_features)
    for n_samples, n_clusters in [(40, 2), (517, 7)]:
        samples, labels = blobs(rng, n_samples, n_features, n_clusters, dtype)
        expected = naive.silhouette_score(samples, labels)
        assert abs(silhouette_score(samples, labels) - expected) <= ATOL


def test_wide_silhouette_far_from_zero_and_in_many_blocks(monkeypatch):
    # Coordinates offset by 1e6 (products of the raw values would lose the distances); blocks of
    # 64 samples and 16 features, so that off-diagonal blocks and feature slices are all taken.
    rng = np.random.default_rng(11)
    samples, labels = blobs(rng, 300, 50, 5, np.float64)
    expected = naive.silhouette_score(samples, labels)
    monkeypatch.setattr(fastseg.select_k, "PRODUCT_BLOCK", 64)
    monkeypatch.setattr(fastseg.select_k, "PRODUCT_VALUES", 64 * 16)
    assert abs(silhouette_score(samples + 1e6, labels) - expected) <= ATOL
    assert abs(silhouette_score(samples * 2.0**-600, labels) - expected) <= ATOL


def test_wide_silhouette_takes_the_products_where_they_keep_the_distances():
    rng = np.random.default_rng(15)
    samples, labels = blobs(rng, 300, 64, 5, np.float32)
    codes = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    cluster_weights = np.bincount(codes).astype(np.float64)
    weights = np.ones(len(samples))
    by_products = fastseg.select_k._silhouette_from_products
    assert by_products(samples, weights, codes, cluster_weights) is not None
    # Tight clusters far from the mean of all: the products would lose their distances.
    tight = rng.normal(size=(120, 40)) * 1e-3 + np.repeat([[-1e6], [0.0], [1e6]], 40, axis=0)
    tight_labels = np.repeat([0, 1, 2], 40)
    tight_codes = tight_labels.astype(np.int64)
    assert by_products(tight, np.ones(120), tight_codes, np.full(3, 40.0)) is None
    expected = naive.silhouette_score(tight, tight_labels)
    assert abs(silhouette_score(tight, tight_labels) - expected) <= ATOL
    # Identical samples: every distance is 0, as the differences give it.
    same = np.full((12, 50), 0.3)
    assert silhouette_score(same, np.arange(12) % 3) == 0.0


def test_wide_silhouette_of_the_largest_floats():
    # The mean is taken of the scaled coordinates: the sum of values near the largest float
    # would overflow.
    rng = np.random.default_rng(16)
    samples, labels = blobs(rng, 60, 40, 3, np.float64)
    huge = samples * (np.finfo(np.float64).max / 256.0)
    expected = naive.silhouette_score(samples, labels)
    assert abs(silhouette_score(huge, labels) - expected) <= ATOL


def test_wide_weighted_silhouette_is_that_of_the_repeated_samples():
    rng = np.random.default_rng(12)
    samples, labels = blobs(rng, 60, 40, 4, np.float32)
    weights = rng.integers(1, 5, 60).astype(np.float64)
    codes = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    cluster_weights = np.bincount(codes, weights=weights)
    score = fastseg.select_k._weighted_silhouette(samples, weights, codes, cluster_weights)
    assert abs(score - naive.weighted_silhouette_score(samples, weights, labels)) <= ATOL


def test_wide_silhouette_does_not_depend_on_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(13)
    samples, labels = blobs(rng, 2500, 64, 6, np.float32)  # 3 blocks: 6 products
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        one_thread = silhouette_score(samples, labels)
    assert silhouette_score(samples, labels) == one_thread


def test_silhouette_coefficients_match_numpy():
    from fastseg._kernels.silhouette import silhouette_coefficients

    rng = np.random.default_rng(17)
    codes = rng.integers(0, 4, 50)
    codes[0] = 4  # a cluster of one sample: 0
    cluster_weights = np.bincount(codes).astype(np.float64)
    cluster_sums = rng.uniform(0.0, 10.0, (50, 5))
    cluster_sums[1] = 0.0  # a == b == 0: 0
    coefficients = np.empty(50)
    silhouette_coefficients(cluster_sums, codes, cluster_weights, coefficients)
    expected = naive.silhouette_coefficients(cluster_sums, codes, cluster_weights)
    np.testing.assert_array_equal(coefficients, expected)
    assert coefficients[0] == 0.0 and coefficients[1] == 0.0


def test_distances_from_products_match_numpy():
    from fastseg._kernels.silhouette import distances_from_products

    rng = np.random.default_rng(14)
    x, y = rng.normal(size=(7, 5)), rng.normal(size=(9, 5))
    y[0] = x[0]  # a pair at distance 0, whose bracket may round below 0
    distances = x @ y.T
    distances_from_products(distances, (x * x).sum(axis=1), (y * y).sum(axis=1))
    expected = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2))
    np.testing.assert_allclose(distances, expected, rtol=1e-12, atol=1e-7)
    assert np.isfinite(distances).all()


# --- silhouette: input forms that must not change the result ---


def test_label_values_do_not_matter():
    rng = np.random.default_rng(3)
    samples, labels = blobs(rng, 400, 3, 4, np.float64)
    expected = silhouette_score(samples, labels)
    renamed = np.array([-7, 1000, 3, 42, -1, 5])[labels]  # any distinct values, in any order
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        assert silhouette_score(samples, renamed.astype(dtype)) == expected
    assert silhouette_score(samples, labels.astype(np.uint64)) == expected
    assert silhouette_score(samples, labels.tolist()) == expected


def test_memory_layouts_give_the_same_result():
    # Integer samples: the layouts are the subject here, not the finiteness check.
    rng = np.random.default_rng(4)
    samples, labels = blobs(rng, 300, 3, 4, np.uint16)
    expected = silhouette_score(samples, labels)
    read_only = samples.copy()
    read_only.flags.writeable = False
    wide = np.zeros((300, 6), dtype=np.uint16)
    wide[:, ::2] = samples
    for layout in (
        np.asfortranarray(samples),
        wide[:, ::2],  # strided view
        read_only,
        samples.astype(">u2"),  # big-endian
    ):
        assert silhouette_score(layout, labels) == expected


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 threads")
def test_result_does_not_depend_on_thread_count():
    rng = np.random.default_rng(5)
    samples, labels = blobs(rng, 1500, 3, 5, np.float32)  # several chunks
    threads = fastseg.get_num_threads()
    try:
        fastseg.set_num_threads(1)
        one_thread = silhouette_score(samples, labels)
        fastseg.set_num_threads(2)
        two_threads = silhouette_score(samples, labels)
    finally:
        fastseg.set_num_threads(threads)
    assert one_thread == two_threads


# --- silhouette: sample_size ---


def test_sample_size_scores_the_documented_draw():
    rng = np.random.default_rng(6)
    samples, labels = blobs(rng, 600, 2, 4, np.uint8)
    chosen = np.sort(np.random.default_rng(11).choice(600, 150, replace=False))
    expected = naive.silhouette_score(samples[chosen], labels[chosen])
    assert abs(silhouette_score(samples, labels, sample_size=150, seed=11) - expected) <= ATOL
    generator_draw = silhouette_score(
        samples, labels, sample_size=150, seed=np.random.default_rng(11)
    )
    assert abs(generator_draw - expected) <= ATOL


def test_sample_size_is_reproducible_and_complete_at_n_samples():
    rng = np.random.default_rng(8)
    samples, labels = blobs(rng, 500, 3, 3, np.float64)
    first = silhouette_score(samples, labels, sample_size=100, seed=1)
    assert silhouette_score(samples, labels, sample_size=100, seed=1) == first
    assert silhouette_score(samples, labels, sample_size=100, seed=2) != first
    full = silhouette_score(samples, labels)
    assert silhouette_score(samples, labels, sample_size=500, seed=3) == full


# --- silhouette: bad input ---


def test_sample_size_drawing_too_few_labels():
    samples = np.arange(201, dtype=np.float64).reshape(-1, 1)
    labels = np.zeros(201, dtype=np.int64)
    labels[0] = 1
    assert 0 not in np.random.default_rng(0).choice(201, 3, replace=False)
    with pytest.raises(ValueError, match="`sample_size`"):
        silhouette_score(samples, labels, sample_size=3, seed=0)


@pytest.mark.parametrize(
    ("samples", "labels", "options", "error", "name"),
    [
        (np.zeros((5, 2)), [0, 0, 1, 1], {}, ValueError, "labels"),
        (np.zeros((4, 2)), np.zeros((4, 1), int), {}, ValueError, "labels"),
        (np.zeros((4, 2)), [0.0, 0.0, 1.0, 1.0], {}, TypeError, "labels"),
        (np.zeros((4, 2)), [False, False, True, True], {}, TypeError, "labels"),
        (np.zeros((4, 2)), [3, 3, 3, 3], {}, ValueError, "labels"),
        (np.zeros((4, 2)), [0, 1, 2, 3], {}, ValueError, "labels"),
        (np.zeros((2, 2)), [0, 1], {}, ValueError, "labels"),
        (np.array([[0.0], [np.nan], [1.0], [2.0]]), [0, 0, 1, 1], {}, ValueError, "samples"),
        (np.array([[0.0], [np.inf], [1.0], [2.0]]), [0, 0, 1, 1], {}, ValueError, "samples"),
        (np.zeros((4, 2), np.int64), [0, 0, 1, 1], {}, TypeError, "samples"),
        (np.zeros(4), [0, 0, 1, 1], {}, ValueError, "samples"),
        (np.zeros((4, 2)), [0, 0, 1, 1], {"sample_size": 2}, ValueError, "sample_size"),
        (np.zeros((4, 2)), [0, 0, 1, 1], {"sample_size": 5}, ValueError, "sample_size"),
        (np.zeros((4, 2)), [0, 0, 1, 1], {"sample_size": 0}, ValueError, "sample_size"),
        (np.zeros((4, 2)), [0, 0, 1, 1], {"sample_size": 3.0}, TypeError, "sample_size"),
        (np.zeros((4, 2)), [0, 0, 1, 1], {"sample_size": 3, "seed": -1}, TypeError, "seed"),
        (np.zeros((4, 2)), [0, 0, 1, 1], {"seed": "x"}, TypeError, "seed"),
    ],
)
def test_silhouette_rejects_bad_input(samples, labels, options, error, name):
    with pytest.raises(error, match=f"`{name}`"):
        silhouette_score(samples, labels, **options)


# --- knee point ---


def test_knee_of_inverse_curve():
    # Differences 1 - y_n - x_n for k = 2, 3, 4: 0.444, 0.519, 0.500.
    ks = np.arange(1, 11)
    assert knee_point(ks, 1.0 / ks) == 3


@pytest.mark.parametrize("knee", [2, 3, 5, 8, 11])
def test_knee_of_piecewise_linear_curve(knee):
    ks = np.arange(1, 13)
    steep = 1000.0 - 80.0 * (ks - 1)
    shallow = 1000.0 - 80.0 * (knee - 1) - 5.0 * (ks - knee)
    assert knee_point(ks, np.where(ks <= knee, steep, shallow)) == knee


def test_knee_uses_spacing_of_ks():
    # The same wcss values: with k = 2, 3, 4, 5, 6 the corner at the third point is a knee, with
    # k = 2, 3, 10, 11, 12 it lies above the chord and the second point is the knee.
    wcss = [100.0, 60.0, 30.0, 20.0, 10.0]
    assert knee_point([2, 3, 4, 5, 6], wcss) == 4
    assert knee_point([2, 3, 10, 11, 12], wcss) == 3


def test_knee_of_non_monotone_curve():
    assert knee_point([1, 2, 3, 4, 5, 6, 7], [100, 40, 20, 22, 18, 17, 16]) == 3


@pytest.mark.parametrize(
    ("ks", "wcss"),
    [
        ([2, 3], [10.0, 1.0]),  # two points: both on the chord
        ([1, 2, 3, 4], [5.0, 5.0, 5.0, 5.0]),  # flat
        ([1, 2, 3, 4], [1.0, 2.0, 4.0, 8.0]),  # increasing: the first point is best
    ],
)
def test_curves_without_knee_give_first_k(ks, wcss):
    assert knee_point(ks, wcss) == ks[0]


def test_knee_matches_naive_and_ignores_affine_changes():
    rng = np.random.default_rng(9)
    for _ in range(200):
        m = int(rng.integers(2, 15))
        ks = np.cumsum(rng.integers(1, 4, m)) + 1
        wcss = np.sort(rng.exponential(1.0, m))[::-1].cumsum()[::-1] * 1e3
        if rng.random() < 0.3:
            wcss = wcss + rng.normal(0.0, 50.0, m)  # bumps
        knee = knee_point(ks, wcss)
        assert knee == naive.knee_point(ks, wcss)
        assert isinstance(knee, int)
        shifted = knee_point(ks + 5, 3.0 * wcss + 7.0)
        assert shifted == knee + 5


def test_knee_accepts_any_integer_ks():
    wcss = [100.0, 50.0, 10.0, 8.0, 6.0, 4.0]
    for ks in (
        [1, 2, 3, 4, 5, 6],
        np.arange(1, 7, dtype=np.uint8),
        np.arange(1, 7, dtype=np.int32),
    ):
        assert knee_point(ks, wcss) == 3
    assert knee_point((1, 2, 3, 4, 5, 6), np.array([100, 50, 10, 8, 6, 4])) == 3


@pytest.mark.parametrize(
    ("ks", "wcss", "error", "name"),
    [
        ([1, 2, 3], [3.0, 2.0], ValueError, "wcss"),
        ([1, 3, 2], [3.0, 2.0, 1.0], ValueError, "ks"),
        ([1, 2, 2], [3.0, 2.0, 1.0], ValueError, "ks"),
        ([1], [3.0], ValueError, "ks"),
        ([[1, 2], [3, 4]], [[3.0, 2.0], [1.0, 0.0]], ValueError, "ks"),
        ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], TypeError, "ks"),
        ([1, 2, 3], [3.0, np.nan, 1.0], ValueError, "wcss"),
        ([1, 2, 3], ["a", "b", "c"], TypeError, "wcss"),
        ([1, 2, 3], None, TypeError, "wcss"),
    ],
)
def test_knee_rejects_bad_input(ks, wcss, error, name):
    with pytest.raises(error, match=f"`{name}`"):
        knee_point(ks, wcss)
