"""fastseg.kmeans: exact toy cases, the NumPy reference, peers on real photos, determinism."""

import naive
import numpy as np
import pytest
from peers import KMEANS_PEERS

import fastseg
from fastseg import Criteria, kmeans

DTYPES = [np.uint8, np.uint16, np.float32, np.float64]
NO_TOL = Criteria(max_iter=300, tol=None)


@pytest.mark.parametrize("dtype", DTYPES)
def test_four_points_exact(dtype):
    points = np.array([[0, 0], [0, 2], [10, 0], [10, 2]], dtype=dtype)
    init = np.array([[0.0, 0.0], [10.0, 0.0]])
    result = kmeans(points, 2, init=init)
    np.testing.assert_array_equal(result.labels, [0, 0, 1, 1])
    np.testing.assert_array_equal(result.centers, [[0.0, 1.0], [10.0, 1.0]])
    assert result.compactness == 4.0
    assert result.n_iter == 2  # the second pass changes no label
    assert result.labels.dtype == np.uint8


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_cluster_is_the_weighted_mean(dtype):
    points = np.array([[1, 1], [3, 5], [8, 2]], dtype=dtype)
    result = kmeans(points, 1, sample_weight=[1.0, 2.0, 1.0])
    np.testing.assert_allclose(result.centers, [[3.75, 3.25]], rtol=1e-15)
    expected = 1 * (2.75**2 + 2.25**2) + 2 * (0.75**2 + 1.75**2) + 1 * (4.25**2 + 1.25**2)
    assert result.compactness == pytest.approx(expected, rel=1e-14)


#: cv2.kmeans's TERM_CRITERIA_COUNT and TERM_CRITERIA_EPS flags, and its epsilon when EPS is absent.
CV_COUNT, CV_EPS = 1, 2
FLT_EPSILON = float(np.finfo(np.float32).eps)


def stopping_rules(criteria):
    """(largest number of center updates, epsilon or None, tol or None) of a Criteria or of an
    OpenCV tuple (type, max_iter, epsilon), read as OpenCV's kmeans reads it: the count includes
    the first assignment and is clamped to [2, 100] (100 without the COUNT flag); without the EPS
    flag the threshold is FLT_EPSILON. Written from OpenCV's rules, not from Criteria.from_opencv,
    so that a wrong reading of the tuple shows."""
    if isinstance(criteria, Criteria):
        return criteria.max_iter, criteria.epsilon, criteria.tol
    kind, count, epsilon = criteria
    count = min(max(count, 2), 100) if kind & CV_COUNT else 100
    epsilon = max(epsilon, 0.0) if kind & CV_EPS else FLT_EPSILON
    return count - 1, epsilon, None


def reference_kmeans(samples, init, criteria, weights=None):
    """Plain Lloyd updates from `init` in float64 NumPy that decide by themselves when to stop,
    by the documented rules: after at most max_iter updates; after an update that moved no
    center farther than epsilon; after one whose total squared shift is at most tol times the
    mean per-feature weighted variance of the data; after a pass that changed no label.

    Returns (labels, centers, compactness, n_iter) of the last centers (the samples labelled once
    more, as kmeans does). Empty clusters are not handled (asserted absent).
    """
    max_updates, epsilon, tol = stopping_rules(criteria)
    x = np.asarray(samples, dtype=np.float64)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    if tol is not None:
        mean = (w[:, None] * x).sum(axis=0) / w.sum()
        tol *= ((w[:, None] * (x - mean) ** 2).sum(axis=0) / w.sum()).mean()
    centers = np.array(init, dtype=np.float64)
    labels = None
    n_iter = 0
    while n_iter < max_updates:
        n_iter += 1
        new_labels, _ = naive.assign(x, centers)
        totals = np.bincount(new_labels, weights=w, minlength=len(centers))
        assert (totals > 0).all(), "the reference does not handle empty clusters"
        sums = np.zeros_like(centers)
        np.add.at(sums, new_labels, w[:, None] * x)
        updated = sums / totals[:, None]
        squared_shift = ((updated - centers) ** 2).sum(axis=1)
        # Unchanged labels give the same centers again: a fixed point, counted as one update.
        settled = labels is not None and np.array_equal(new_labels, labels)
        centers, labels = updated, new_labels
        if (
            settled
            or (epsilon is not None and squared_shift.max() <= epsilon * epsilon)
            or (tol is not None and squared_shift.sum() <= tol)
        ):
            break
    labels, distances = naive.assign(x, centers)
    return labels, centers, float(w @ distances), n_iter


# Each stopping rule ends some of these runs first (checked when they were written): the update
# cap (max_iter=6, the counts of 4 and 10), tol, a fixed point (tol=None) and epsilon.
STOPPING_CRITERIA = [
    Criteria(max_iter=6, tol=None),
    Criteria(),
    Criteria(max_iter=300, tol=None),
    Criteria(max_iter=300, epsilon=0.5, tol=None),
    (3, 10, 1.0),
    (2, 0, 0.05),
    (1, 4, 0.0),
]


@pytest.mark.parametrize("criteria", STOPPING_CRITERIA, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 3, 7, 40])
def test_matches_reference_lloyd(rng, dtype, d, criteria):
    centers_true = rng.uniform(20, 200, size=(5, d))
    samples = (centers_true[rng.integers(0, 5, 6000)] + rng.normal(0, 15, (6000, d))).clip(0, 255)
    samples = samples.astype(dtype)
    init = samples[[0, 1000, 2000, 3000, 4000]].astype(np.float64)
    result = kmeans(samples, 5, init=init, criteria=criteria)
    labels, centers, compactness, n_iter = reference_kmeans(samples, init, criteria)
    # The reference chose its own stopping point: the same criteria must stop both at once.
    assert result.n_iter == n_iter
    if dtype == np.float32 and d > 16:
        # Wide float32 samples take float32 matrix products (as scikit-learn does): labels
        # may differ only where two centers are equally near to float32 precision.
        distances = naive.squared_distances(samples, result.centers)
        rows = np.flatnonzero(result.labels != labels)
        ours, theirs = distances[rows, result.labels[rows]], distances[rows, labels[rows]]
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
        assert len(rows) < 10
        np.testing.assert_allclose(result.centers, centers, rtol=1e-5)
        return
    np.testing.assert_array_equal(result.labels, labels)
    np.testing.assert_allclose(result.centers, centers, rtol=1e-9)
    assert result.compactness == pytest.approx(compactness, rel=1e-9)


@pytest.mark.parametrize("criteria", STOPPING_CRITERIA, ids=str)
def test_weighted_matches_reference(rng, criteria):
    samples = rng.normal(size=(3000, 3))
    weights = rng.uniform(0, 5, 3000)
    init = samples[:4].copy()
    result = kmeans(samples, 4, init=init, sample_weight=weights, criteria=criteria)
    labels, centers, compactness, n_iter = reference_kmeans(samples, init, criteria, weights)
    assert result.n_iter == n_iter
    np.testing.assert_array_equal(result.labels, labels)
    np.testing.assert_allclose(result.centers, centers, rtol=1e-9)
    assert result.compactness == pytest.approx(compactness, rel=1e-9)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_integer_weights_equal_repeated_rows_in_any_order(rng, init):
    samples = rng.normal(size=(40, 3))
    weights = rng.integers(0, 4, 40)
    repeated = np.repeat(samples, weights, axis=0)
    shuffled = rng.permutation(len(repeated))
    by_weight = kmeans(samples, 5, init=init, seed=7, sample_weight=weights)
    by_repeat = kmeans(repeated[shuffled], 5, init=init, seed=7)
    np.testing.assert_allclose(
        np.sort(by_weight.centers, 0), np.sort(by_repeat.centers, 0), rtol=1e-12
    )
    assert by_weight.compactness == pytest.approx(by_repeat.compactness, rel=1e-12)


def test_zero_weights_are_ignored(rng):
    samples = rng.normal(size=(200, 2))
    weights = np.ones(200)
    weights[::3] = 0.0
    with_zeros = kmeans(samples, 4, seed=3, sample_weight=weights)
    without = kmeans(samples[weights > 0], 4, seed=3)
    np.testing.assert_allclose(with_zeros.centers, without.centers, rtol=1e-12)


def test_same_seed_same_bits_and_threads_do_not_matter(rng, n_threads):
    samples = rng.integers(0, 256, size=(300_000, 3)).astype(np.uint8)
    results = []
    for threads in (1, 2, 1, 2):
        n_threads(threads)
        results.append(kmeans(samples, 6, seed=11, criteria=Criteria(max_iter=8)))
    for other in results[1:]:
        np.testing.assert_array_equal(other.labels, results[0].labels)
        assert other.centers.tobytes() == results[0].centers.tobytes()
        assert other.compactness == results[0].compactness
    different = kmeans(samples, 6, seed=12, criteria=Criteria(max_iter=8))
    assert different.centers.tobytes() != results[0].centers.tobytes()


def test_large_features_deterministic_across_threads(rng, n_threads):
    samples = rng.normal(size=(9000, 100)).astype(np.float32)
    n_threads(1)
    one = kmeans(samples, 8, seed=5)
    n_threads(2)
    two = kmeans(samples, 8, seed=5)
    assert one.centers.tobytes() == two.centers.tobytes()
    np.testing.assert_array_equal(one.labels, two.labels)


def test_empty_cluster_reseeded_without_nan(rng):
    samples = rng.normal(size=(500, 2))
    init = np.array([[0.0, 0.0], [0.1, 0.0], [1000.0, 1000.0]])  # the far center gets nothing
    result = kmeans(samples, 3, init=init, criteria=Criteria(max_iter=20))
    assert np.isfinite(result.centers).all()
    assert set(np.unique(result.labels)) == {0, 1, 2}
    assert result.compactness == pytest.approx(
        naive.assign(samples, result.centers)[1].sum(), rel=1e-9
    )


def test_more_clusters_than_distinct_points():
    samples = np.array([[1.0, 1.0]] * 5 + [[2.0, 2.0]] * 5)
    result = kmeans(samples, 4, seed=0)
    assert np.isfinite(result.centers).all()
    assert result.compactness == 0.0


def test_k_equals_n(rng):
    samples = rng.normal(size=(12, 3))
    result = kmeans(samples, 12, seed=1)
    # The compactness comes from per-cluster sums: exact up to rounding of the sums of squares.
    assert result.compactness <= 1e-12 * (samples**2).sum()
    assert len(np.unique(result.labels)) == 12


def test_attempts_keep_the_lowest_compactness(rng):
    samples = rng.normal(size=(2000, 2))
    singles = [kmeans(samples, 9, init="random", seed=np.random.default_rng(4), attempts=1)]
    best = kmeans(samples, 9, init="random", seed=4, attempts=5)
    generator = np.random.default_rng(4)
    runs = [kmeans(samples, 9, init="random", seed=generator) for _ in range(5)]
    assert best.compactness == min(r.compactness for r in runs)
    assert singles[0].compactness == runs[0].compactness


def test_criteria():
    assert Criteria.from_opencv((3, 10, 1.0)) == Criteria(max_iter=9, epsilon=1.0, tol=None)
    assert Criteria.from_opencv((1, 500, 0.0)).max_iter == 99  # OpenCV caps the count at 100
    assert Criteria.from_opencv((2, 0, 0.5)) == Criteria(max_iter=99, epsilon=0.5, tol=None)


def test_epsilon_stops_on_small_shift(rng):
    samples = rng.normal(size=(5000, 2))
    loose = kmeans(samples, 8, seed=2, criteria=Criteria(max_iter=300, epsilon=0.5, tol=None))
    tight = kmeans(samples, 8, seed=2, criteria=Criteria(max_iter=300, epsilon=0.0, tol=None))
    assert loose.n_iter < tight.n_iter
    assert kmeans(samples, 8, seed=2, criteria=(1, 3, 0.0)).n_iter == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda a: np.asfortranarray(a),
        lambda a: np.repeat(a, 2, axis=1)[:, ::2],
        lambda a: a[::-1][::-1],
        lambda a: a.astype(a.dtype.newbyteorder(">")),
    ],
    ids=["fortran", "strided", "negative-strides", "big-endian"],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_awkward_layouts_give_the_same_result(rng, make, dtype):
    samples = (rng.uniform(0, 255, size=(3000, 3))).astype(dtype)
    expected = kmeans(samples, 5, seed=9)
    awkward = make(samples)
    np.testing.assert_array_equal(awkward, samples)
    result = kmeans(awkward, 5, seed=9)
    np.testing.assert_array_equal(result.labels, expected.labels)
    assert result.centers.tobytes() == expected.centers.tobytes()


def test_read_only_input(rng):
    samples = rng.normal(size=(1000, 3))
    expected = kmeans(samples, 4, seed=1)
    samples.setflags(write=False)
    np.testing.assert_array_equal(kmeans(samples, 4, seed=1).labels, expected.labels)


def test_labels_dtype_follows_k(rng):
    samples = rng.normal(size=(70_000, 1))
    assert kmeans(samples, 255, seed=0, criteria=Criteria(2)).labels.dtype == np.uint8
    assert kmeans(samples, 256, seed=0, criteria=Criteria(2)).labels.dtype == np.uint16


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: kmeans(x[0], 2), ValueError, "`data` must be a 2-D array"),
        (lambda x: kmeans(x[:0], 2), ValueError, "at least one sample"),
        (
            lambda x: kmeans(x, 0),
            ValueError,
            r"`k` must be an integer in \[1, n_samples\] = \[1, 10\]; got 0",
        ),
        (lambda x: kmeans(x, 11), ValueError, "`k` must be an integer in"),
        (lambda x: kmeans(x, 2.5), TypeError, "`k` must be an integer"),
        (lambda x: kmeans(x, True), TypeError, "`k` must be an integer"),
        (
            lambda x: kmeans(np.where(x > 0.5, np.nan, x), 2),
            ValueError,
            "`data` must contain only finite",
        ),
        (
            lambda x: kmeans(np.where(x > 0.5, np.inf, x), 2),
            ValueError,
            "`data` must contain only finite",
        ),
        (lambda x: kmeans(x.astype(np.int64), 2), TypeError, "`data` must have dtype"),
        (lambda x: kmeans(x > 0.5, 2), TypeError, "`data` must have dtype"),
        (lambda x: kmeans(x.astype(complex), 2), TypeError, "`data` must have dtype"),
        (lambda x: kmeans(x.astype(object), 2), TypeError, "`data` must have dtype"),
        (lambda x: kmeans("abc", 2), TypeError, "`data` must be a NumPy array"),
        (
            lambda x: kmeans(x, 2, sample_weight=np.ones(9)),
            ValueError,
            r"`sample_weight` must have shape \(n_samples,\) = \(10,\)",
        ),
        (
            lambda x: kmeans(x, 2, sample_weight=-np.ones(10)),
            ValueError,
            "`sample_weight` must be >= 0",
        ),
        (lambda x: kmeans(x, 2, sample_weight=np.zeros(10)), ValueError, "at least one positive"),
        (
            lambda x: kmeans(x, 2, sample_weight=np.full(10, np.nan)),
            ValueError,
            "`sample_weight` must contain only finite",
        ),
        (lambda x: kmeans(x, 2, criteria=(4, 10, 1.0)), ValueError, r"`criteria\[0\]` \(type\)"),
        (lambda x: kmeans(x, 2, criteria=(3, 10)), TypeError, "`criteria` must be a Criteria"),
        (lambda x: kmeans(x, 2, criteria=(3, 10, float("nan"))), ValueError, "epsilon"),
        (lambda x: kmeans(x, 2, criteria=Criteria(max_iter=0)), ValueError, "criteria.max_iter"),
        (lambda x: kmeans(x, 2, attempts=0), ValueError, "`attempts`"),
        (lambda x: kmeans(x, 2, init="kmeans"), ValueError, "`init` must be"),
        (
            lambda x: kmeans(x, 2, init=np.zeros((3, 3))),
            ValueError,
            r"`init` must have shape \(k, n_features\) = \(2, 3\)",
        ),
        (
            lambda x: kmeans(x, 2, init=np.full((2, 3), np.nan)),
            ValueError,
            "`init` must contain only finite",
        ),
        (lambda x: kmeans(x, 2, seed=-1), TypeError, "`seed`"),
        (lambda x: kmeans(x, 2, seed="a"), TypeError, "`seed`"),
    ],
)
def test_bad_input(call, error, match):
    samples = np.random.default_rng(0).uniform(size=(10, 3))
    with pytest.raises(error, match=match):
        call(samples)


def photo_pixels(photo, size=(256, 192)):
    import cv2

    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA).reshape(-1, 3)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_compactness_against_scikit_learn_on_photos(photos, name, dtype):
    pixels = photo_pixels(photos[name]).astype(dtype)
    peer, ours_with_same_work = KMEANS_PEERS["sklearn.KMeans"]
    # Both seedings are random: compare typical runs (6 seeds, 3 attempts), not one draw.
    ours = [ours_with_same_work(pixels, 8, 10, 3, seed)[2] for seed in range(6)]
    theirs = [peer(pixels, 8, 10, 3, seed)[2] for seed in range(6)]
    assert np.median(ours) <= 1.01 * np.median(theirs)


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_compactness_against_cv2_on_photos(photos, name):
    import cv2

    pixels = photo_pixels(photos[name]).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    cv2.setRNGSeed(0)
    theirs = cv2.kmeans(pixels, 8, None, criteria, 3, cv2.KMEANS_PP_CENTERS)[0]
    ours = kmeans(pixels, 8, criteria=criteria, attempts=3, seed=0).compactness
    assert ours <= 1.01 * theirs


def test_public_names():
    assert {"kmeans", "Criteria", "KMeansResult"} <= set(fastseg.__all__)


def test_kmeans_plusplus_never_repeats_a_center_while_distinct_rows_remain(rng):
    from fastseg.clustering import kmeans_plusplus

    rows = rng.normal(size=(6, 4))
    rows = np.repeat(rows, [1, 5, 2, 7, 1, 3], axis=0)
    for seed in range(20):
        centers = kmeans_plusplus(rows, np.ones(len(rows)), 6, np.random.default_rng(seed))
        assert len(np.unique(centers, axis=0)) == 6
        assert all((rows == c).all(1).any() for c in centers)


def test_kmeans_plusplus_ignores_zero_weights(rng):
    from fastseg.clustering import kmeans_plusplus

    rows = rng.normal(size=(50, 2))
    weights = np.zeros(50)
    weights[[3, 17, 40]] = [1.0, 2.0, 0.5]
    for seed in range(10):
        centers = kmeans_plusplus(rows, weights, 3, np.random.default_rng(seed))
        assert {tuple(c) for c in centers} == {tuple(rows[i]) for i in (3, 17, 40)}


# --- extreme magnitudes: squared distances and weight sums beyond float64 ---


def assert_nearest(samples, result):
    """Each sample's label is its nearest center, in exact arithmetic, but for rounding of the
    score (relative 2^-40 of the squared spread); centers are finite."""
    centers = result.centers
    assert np.isfinite(centers).all()
    labels = result.labels.astype(np.int64)
    assert labels.min() >= 0 and labels.max() < len(centers)
    exact = naive.exact_squared_distances(samples, centers)
    spread = max(max(row) for row in exact)
    for row, label in zip(exact, labels, strict=True):
        assert row[label] - min(row) <= spread / 2**40


@pytest.mark.parametrize(
    ("samples", "weights", "k", "centers", "labels", "compactness"),
    [
        # squares of 1e200 overflow: the compactness, 2 * (5e199)^2, is beyond float64
        ([[1e200], [-1e200], [0.0]], None, 2, [[5e199], [-1e200]], [0, 1, 0], np.inf),
        ([[1e300, 0.0], [-1e300, 0.0], [0.0, 1e300]], None, 3, None, None, 0.0),
        ([[1.7e308], [-1.7e308], [1.7e308]], None, 2, [[1.7e308], [-1.7e308]], [0, 1, 0], 0.0),
        # squares of 1e-300 underflow to 0: each point must still get its own center
        ([[1e-300], [-1e-300], [0.0]], None, 3, None, None, 0.0),
        ([[1e-323], [0.0], [3e-323], [4e-323]], None, 2, [[5e-324], [3.5e-323]], [0, 0, 1, 1], 0.0),
        # sums of weights overflow: equal weights are no weights at all
        ([[1.0], [2.0], [5.0]], [1e306] * 3, 2, [[1.5], [5.0]], [0, 0, 1], 5e305),
        ([[1.0], [2.0], [5.0], [6.0]], [1.7e308] * 4, 2, [[1.5], [5.5]], [0, 0, 1, 1], 1.7e308),
        ([[1.0], [2.0], [5.0]], [1e-320] * 3, 2, [[1.5], [5.0]], [0, 0, 1], 5e-321),
    ],
)
def test_extreme_magnitudes(samples, weights, k, centers, labels, compactness):
    samples = np.array(samples)
    for init in ("k-means++", "random"):
        result = kmeans(samples, k, seed=0, init=init, sample_weight=weights)
        assert_nearest(samples, result)
        assert result.compactness == pytest.approx(compactness, rel=1e-12, abs=1e-323)
        order = np.argsort(result.centers[:, 0], kind="stable")
        if centers is not None:
            expected = np.array(centers)
            expected = expected[np.argsort(expected[:, 0])]
            np.testing.assert_allclose(result.centers[order], expected, rtol=1e-15, atol=0)
        if labels is not None:
            assert len(set(zip(result.labels, labels, strict=True))) == k  # same partition
        if centers is None:  # one center per sample
            assert len(np.unique(result.labels)) == len(samples)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [3, 20])
@pytest.mark.parametrize("exponent", [-90, 100, 120])
def test_scaled_data_gives_scaled_results(rng, dtype, d, exponent):
    """Data multiplied by 2^e (as far as the dtype reaches) clusters as the data: same labels,
    centers times 2^e, on the direct path and the matrix-product one."""
    if dtype == np.float64:
        exponent *= 7  # 2^-630 .. 2^840
    samples = rng.normal(size=(3000, d)) + 4 * rng.integers(0, 3, size=(3000, 1))
    samples = samples.astype(dtype)
    base = kmeans(samples, 3, seed=5, init=samples[:3] + 0.0)
    scaled = kmeans(np.ldexp(samples, exponent), 3, seed=5, init=np.ldexp(samples[:3], exponent))
    np.testing.assert_array_equal(scaled.labels, base.labels)
    np.testing.assert_allclose(np.ldexp(scaled.centers, -exponent), base.centers, rtol=1e-6)
    few = np.ldexp(samples[:200], exponent)
    assert_nearest(few, kmeans(few, 3, seed=1))


def test_segment_with_huge_spatial_weight(rng):
    """spatial=1e6 makes the coordinates the only thing that counts; beyond it, a clear error."""
    image = rng.integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    for spatial in (1e7, 1e200):
        with pytest.raises(ValueError, match=r"`spatial` must be in \[0, 1e\+06\]"):
            fastseg.segment(image, 2, spatial=spatial, seed=0)
    segmentation = fastseg.segment(image, 2, spatial=1e6, seed=0)
    labels = segmentation.labels
    assert labels.shape == (6, 7) and set(np.unique(labels)) == {0, 1}
    rows, columns = np.indices(labels.shape)
    positions = np.column_stack([columns.ravel(), rows.ravel()]).astype(np.float64)
    means = np.array([positions[labels.ravel() == j].mean(0) for j in (0, 1)])
    distances = ((positions[:, None, :] - means[None]) ** 2).sum(2)
    own = distances[np.arange(len(positions)), labels.ravel()]
    assert (own <= distances.min(1) + 1e-9).all()


def test_seeding_at_large_k_is_the_reference(rng):
    """k-means++ over in-memory passes at k = 500 picks the reference's rows (canonical
    order)."""
    from fastseg.clustering import seed_kmeans_pp, seeding_rows
    from fastseg.passes import MemoryPasses

    samples = rng.normal(size=(5000, 3))
    source = MemoryPasses(samples, None, 500)
    rows, weights = seeding_rows(source, np.random.default_rng(3))
    generator = np.random.default_rng(3)
    seeding_rows(source, generator)  # the same draws as the seeding's
    expected = rows[naive.greedy_kmeans_pp(rows, weights, 500, generator)]
    np.testing.assert_array_equal(seed_kmeans_pp(source, np.random.default_rng(3)), expected)
