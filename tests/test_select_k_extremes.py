"""Choosing k on odd input: images against samples, exact silhouettes, memory, extreme values.

The contract for every case: a correct result, or a ValueError/TypeError naming the argument.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tracemalloc

import naive
import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastseg
from fastseg import select_k
from fastseg.select_k import choose_k, elbow, knee_point, silhouette_score

#: Largest absolute difference allowed between a silhouette score and its reference.
ATOL = 1e-9

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_IMAGE = np.random.default_rng(0).integers(0, 256, (6, 8, 3)).astype(np.uint8)
_GRAY = np.repeat(np.array([[0, 0, 100, 200, 200]], np.uint8), 8, axis=0)  # (8, 5), 3 levels
#: Two pairs on a line, and their silhouette: a = 1, b = 10.5 and 9.5 (computed by hand).
_PAIRS = np.array([[0.0], [1.0], [10.0], [11.0]])
_PAIRS_SCORE = (9.5 / 10.5 + 8.5 / 9.5) / 2
_SAMPLES = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0], [20.0, 5.0]])


def _sklearn_silhouette(samples, labels):
    metrics = pytest.importorskip("sklearn.metrics")
    return metrics.silhouette_score(np.asarray(samples, dtype=np.float64), labels)


# --- an image is an image: a 2-D array given as `image` is gray ---


def test_elbow_reads_a_2d_image_as_gray_pixels():
    curve = elbow(_GRAY, [1, 2, 3, 4, 40], seed=0)
    # 40 pixels of 3 levels: k = 3 and more clusters leave no error; k may go up to H * W = 40.
    assert curve.wcss[2:].tolist() == [0.0, 0.0, 0.0]
    levels = _GRAY.reshape(-1, 1).astype(np.float64)
    assert curve.wcss[0] == pytest.approx(((levels - levels.mean()) ** 2).sum(), rel=1e-12)
    # WCSS 320000, 53333.3 (levels {0} and {100, 200}), then 0; the knee: 1 - 0 - 2/39 at k = 3.
    assert curve.wcss[1] == pytest.approx(160000 / 3, rel=1e-12)
    assert curve.knee == 3
    np.testing.assert_array_equal(
        elbow(_GRAY[:, :, None], [1, 2, 3, 4, 40], seed=0).wcss, curve.wcss
    )


@pytest.mark.parametrize("method", ["elbow", "silhouette"])
def test_choose_k_reads_a_2d_image_as_gray_pixels(method):
    gray = np.repeat(np.repeat(np.array([[10, 120], [240, 10]], np.uint8), 6, 0), 7, 1)
    ks = range(2, 6)
    expected = choose_k(gray[:, :, None], ks, method=method, seed=1)
    assert choose_k(gray, ks, method=method, seed=1) == expected
    if method == "silhouette":
        assert expected == 3  # three levels, far apart


def test_samples_come_in_by_keyword():
    ks = [1, 2, 3]
    curve = elbow(samples=_SAMPLES, ks=ks, seed=4)
    rng = np.random.default_rng(4)
    expected = [fastseg.kmeans(_SAMPLES, k, seed=rng).compactness for k in ks]
    assert curve.wcss.tolist() == expected
    # The same values as a (5, 2) "image" would be a float image outside [0, 1]: refused.
    with pytest.raises(ValueError, match="`image` is a float image, which must lie in"):
        elbow(_SAMPLES, ks)
    assert choose_k(samples=_SAMPLES, ks=[2, 3], seed=4) in (2, 3)


@pytest.mark.parametrize("function", [elbow, choose_k])
def test_float_images_follow_the_image_rule(function):
    image = _IMAGE.astype(np.float32) / 255
    function(image, [1, 2] if function is elbow else [2, 3], seed=0)  # in [0, 1]: accepted
    with pytest.raises(ValueError, match=r"`image` is a float image, which must lie in \[0, 1\]"):
        function(image * 255, [2, 3], seed=0)


# --- choose_k by silhouette: every sample scored once when there are few ---


@pytest.mark.parametrize("seed", range(6))
def test_silhouette_method_is_exact_on_few_samples(seed):
    # 45 samples without clear clusters: a draw with replacement (duplicates) favoured large k.
    samples = np.random.default_rng(seed).uniform(0, 1, (45, 2))
    ks = list(range(2, 9))
    # With every sample scored, nothing is drawn: each k is clustered by
    # kmeans(samples, k, seed=rng) in turn, with one generator.
    rng = np.random.default_rng(seed)
    oracle = [_sklearn_silhouette(samples, fastseg.kmeans(samples, k, seed=rng).labels) for k in ks]
    result = fastseg.silhouette(samples=samples, ks=ks, seed=seed)
    assert result.ks.tolist() == ks
    np.testing.assert_allclose(result.scores, oracle, rtol=0, atol=ATOL)
    assert result.best == ks[int(np.argmax(oracle))]
    assert choose_k(samples=samples, ks=ks, method="silhouette", seed=seed) == result.best


def test_silhouette_method_is_exact_on_the_pixels_of_a_small_image():
    # 8-bit image: the distinct colours, weighted by their pixel counts, stand for the pixels.
    rng = np.random.default_rng(3)
    palette = np.array([[20, 30, 200], [200, 40, 40], [60, 220, 90], [120, 120, 120]])
    noise = rng.choice([-10, 0, 10], (20, 30, 3))  # at most 4 * 27 distinct colours
    image = (palette[rng.integers(0, 4, (20, 30))] + noise).astype(np.uint8)
    ks = [2, 3, 4, 5, 6]
    data = select_k._clusterable(image, None, [1], "rgb", "rgb")
    assert data.weights is not None and data.weights.sum() == 600
    rng = np.random.default_rng(0)  # 600 pixels scored out of 600: nothing is drawn
    labellings = [
        fastseg.kmeans(data.samples, k, seed=rng, sample_weight=data.weights).labels for k in ks
    ]
    counts = data.weights.astype(np.int64)
    pixels = np.repeat(np.asarray(data.samples, np.float64), counts, axis=0)
    exact = [_sklearn_silhouette(pixels, np.repeat(labels, counts)) for labels in labellings]
    scores = fastseg.silhouette(image, ks, sample_size=600, seed=0).scores
    np.testing.assert_allclose(scores, exact, rtol=0, atol=ATOL)
    assert (
        choose_k(image, ks, method="silhouette", sample_size=600, seed=0)
        == ks[int(np.argmax(exact))]
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_silhouette_draw_is_without_replacement(weighted):
    rng = np.random.default_rng(5)
    if weighted:
        image = rng.integers(0, 3, (50, 60, 3)).astype(np.uint8) * 100  # 27 colours, 3000 pixels
        data = select_k._clusterable(image, None, [1], "rgb", "rgb")
    else:
        data = select_k._clusterable(None, rng.normal(size=(3000, 2)), [1], "rgb", "rgb")
    rows, multiplicities = select_k._scored_rows(data, 500, rng)
    assert multiplicities.sum() == 500
    assert len(np.unique(rows)) == len(rows)
    limit = np.ones(len(data.samples)) if data.weights is None else data.weights
    assert (multiplicities >= 1).all() and (multiplicities <= limit[rows]).all()


def test_weighted_silhouette_is_that_of_the_repeated_samples():
    rng = np.random.default_rng(8)
    samples = rng.integers(0, 256, (40, 3)).astype(np.uint8)
    weights = rng.integers(1, 6, 40).astype(np.float64)
    weights[0] = 1.0
    labels = rng.integers(0, 4, 40)
    labels[0] = 4  # a cluster of one pixel: its coefficient is 0
    codes = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    cluster_weights = np.bincount(codes, weights=weights)
    score = select_k._weighted_silhouette(samples, weights, codes, cluster_weights)
    assert abs(score - naive.weighted_silhouette_score(samples, weights, labels)) <= ATOL


# --- memory: no (samples, k, d) arrays, no d-sized blocks per sample ---

_MEMORY_CHILD = """
import sys
import numpy as np
import fastseg
from fastseg.bench import reset_peak_memory, resident_bytes

case = sys.argv[1]
rng = np.random.default_rng(0)
features = rng.random((300, 4000 if case == "choose_k" else 40000), dtype=np.float32)
labels = np.arange(300) % 10
small = np.ascontiguousarray(features[:40])  # the same kernels, compiled before measuring
if case == "choose_k":
    fastseg.choose_k(samples=small, ks=[2, 3], method="silhouette", seed=0)
else:
    fastseg.silhouette_score(small, labels[:40])
base = reset_peak_memory()
if case == "choose_k":
    fastseg.choose_k(samples=features, ks=[2, 3, 4], method="silhouette", seed=0)
else:
    fastseg.silhouette_score(features, labels)
print((resident_bytes("VmHWM") - base) / 2**20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize(
    ("case", "limit_mb"),
    [
        # 300 x 4000 float32 samples (4.8 MB), ks 2-4: k-means' own buffers and the scored rows.
        # A (sample_size, k, d) float64 array of the drawn rows would take 256 MB.
        ("choose_k", 100.0),
        # 300 x 40000 float32 (48 MB), 10 clusters: the distances come from products of
        # float64 coordinates, made in slices of features through two 16 MB buffers. A float64
        # copy of the samples would take 96 MB.
        ("silhouette", 48.0),
    ],
)
def test_peak_memory_does_not_grow_with_features(case, limit_mb):
    child = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, case], capture_output=True,
                           text=True, timeout=600)  # fmt: skip
    assert child.returncode == 0, child.stderr
    growth = float(child.stdout)
    assert growth <= limit_mb, f"{case}: peak grew by {growth:.1f} MB"


def test_choose_k_allocates_no_array_per_feature_and_cluster():
    # NumPy allocations (traced): the old nearest-center step made a (sample_size, k, d) array.
    samples = np.random.default_rng(1).random((300, 2000), dtype=np.float32)  # 2.4 MB
    choose_k(samples=samples[:40].copy(), ks=[2, 3], method="silhouette", seed=0)  # compile
    tracemalloc.start()
    try:
        choose_k(samples=samples, ks=[2, 3, 4], method="silhouette", seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 40 * 2**20, f"{peak / 2**20:.1f} MB"  # (2000, 4, 2000) float64 is 128 MB


# --- extreme values: the silhouette and the knee do not depend on scale ---


def test_silhouette_of_huge_and_tiny_values():
    base = np.array([[1.0], [2.0], [-1.0], [-2.0]])
    labels = [0, 0, 1, 1]
    expected = (1.5 / 2.5 + 2.5 / 3.5) / 2
    for scale in (1.0, 1e200, 1e300, 1e-300, 2.0**-1070):
        assert abs(silhouette_score(base * scale, labels) - expected) <= ATOL, scale
    largest = np.finfo(np.float64).max
    extremes = np.array([[largest], [largest / 2], [-largest], [-largest / 2]])
    assert abs(silhouette_score(extremes, labels) - expected) <= ATOL
    assert abs(silhouette_score((base * 1e38).astype(np.float32), labels) - expected) <= ATOL


_HUGE = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@st.composite
def labelled_samples(draw):
    n = draw(st.integers(3, 30))
    d = draw(st.integers(1, 4))
    samples = draw(hnp.arrays(np.float64, (n, d), elements=_HUGE))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    labels[:2] = [0, 1]  # at least 2 labels
    if len(np.unique(labels)) > n - 1:
        labels[-1] = labels[0]
    return samples, labels


@SETTINGS
@given(labelled_samples())
def test_silhouette_of_any_finite_values_matches_the_scaled_reference(problem):
    samples, labels = problem
    score = silhouette_score(samples, labels)
    assert np.isfinite(score) and -1.0 <= score <= 1.0
    assert abs(score - naive.silhouette_of_scaled(samples, labels)) <= ATOL


@SETTINGS
@given(
    st.integers(2, 12).flatmap(
        lambda m: st.tuples(
            st.lists(st.integers(1, 10**6), min_size=m, max_size=m, unique=True).map(sorted),
            st.lists(_HUGE, min_size=m, max_size=m),
        )
    )
)
def test_knee_of_any_finite_curve_matches_the_scaled_reference(curve):
    ks, wcss = curve
    knee = knee_point(ks, wcss)
    assert knee in ks
    assert knee == naive.knee_point_of_scaled(ks, wcss)


def test_knee_of_a_curve_spanning_the_float_range():
    # wcss_max - wcss_min overflows unless the curve is scaled: the knee is the middle point.
    assert knee_point([1, 2, 3], [1e308, -0.9e308, -1e308]) == 2
    assert knee_point([1, 2, 3], [1e-300, 1e-302, 0.0]) == 2
    assert knee_point([1, 2**62, 2**63 - 1], [10.0, 1.0, 0.0]) == 2**62


# --- sizes that a user's number controls: checked before anything is allocated ---


@pytest.mark.parametrize(
    "call",
    [
        lambda: elbow(_IMAGE, range(1, 10**7)),
        lambda: elbow(_IMAGE, range(2, 10**7, 2)),
        lambda: elbow(_IMAGE, list(range(1, 50))),
        lambda: elbow(_IMAGE, itertools.count(1)),  # endless: stops at the 49th value
        lambda: elbow(samples=_SAMPLES, ks=(k for k in itertools.count(1))),
        lambda: choose_k(_IMAGE, range(1, 10**7), method="silhouette"),
        lambda: choose_k(_IMAGE, range(1, 10**7)),
    ],
)
def test_ks_beyond_the_data_fail_before_allocating(call):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"`ks\[i\]` must be an integer in \[1, "):
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2**20, f"{peak / 2**20:.1f} MB"


def test_two_billion_ks_are_refused_at_once():
    with pytest.raises(ValueError, match=r"\[1, H \* W\] = \[1, 48\]; got 1999999999"):
        elbow(_IMAGE, range(1, 2_000_000_000))


# --- neighbours: the same arguments in every function of the module ---

_ERRORS = [
    # elbow and choose_k: where the data comes in
    (lambda: elbow(), TypeError, "`image` or `samples` must be given"),
    (lambda: elbow(_IMAGE, samples=_SAMPLES), TypeError, "`samples` must not both be given"),
    (lambda: choose_k(), TypeError, "`image` or `samples` must be given"),
    (lambda: choose_k(_IMAGE, samples=_SAMPLES), TypeError, "must not both be given"),
    (lambda: elbow(samples=_SAMPLES, color_space="lab"), ValueError, "`color_space`"),
    (lambda: elbow(samples=_SAMPLES, channel_order="bgr"), ValueError, "`channel_order`"),
    (lambda: elbow(np.zeros(5, np.uint8)), ValueError, r"`image` must have shape \(H, W\)"),
    (lambda: elbow(np.zeros((4, 4, 2), np.uint8)), ValueError, "`image` must have shape"),
    (lambda: elbow(np.zeros((0, 4), np.uint8)), ValueError, "`image` must have at least one"),
    (lambda: elbow(np.full((4, 4), 2.0)), ValueError, "`image` is a float image"),
    (lambda: elbow(np.full((4, 4), np.nan)), ValueError, "`image` must contain only finite"),
    (lambda: elbow(_IMAGE.astype(np.int64)), TypeError, "`image` must have dtype"),
    (lambda: elbow(samples=np.zeros((2, 2, 2))), ValueError, "`samples` must be a 2-D"),
    (lambda: elbow(samples=np.zeros(4)), ValueError, "`samples` must be a 2-D"),
    (lambda: elbow(samples=[[np.inf]]), ValueError, "`samples` must contain only finite"),
    (lambda: elbow(samples="x"), TypeError, "`samples`"),
    # ks, in both functions
    (lambda: elbow(_IMAGE, None), TypeError, "`ks` must be a non-empty sequence"),
    (lambda: elbow(_IMAGE, range(3, 3)), ValueError, "`ks` must be a non-empty sequence"),
    (lambda: elbow(_IMAGE, range(5, 1, -1)), ValueError, "`ks` must be strictly increasing"),
    (
        lambda: elbow(_IMAGE, [1, 3, 3]),
        ValueError,
        r"`ks` must be strictly increasing; got ks\[2\]",
    ),
    (lambda: elbow(_IMAGE, np.array([[1, 2]])), ValueError, "`ks` must be a 1-D sequence"),
    (lambda: elbow(_IMAGE, np.array([1.0, 2.0])), TypeError, r"`ks\[i\]` must be an integer"),
    (lambda: elbow(_IMAGE, [True, 2]), TypeError, r"`ks\[i\]` must be an integer"),
    (lambda: elbow(_IMAGE, "123"), TypeError, r"`ks\[i\]` must be an integer"),
    (lambda: elbow(_IMAGE, range(-3, 3)), ValueError, r"`ks\[i\]` must be an integer in \[1, "),
    (lambda: elbow(samples=_SAMPLES, ks=[6]), ValueError, r"\[1, n_samples\] = \[1, 5\]; got 6"),
    (lambda: choose_k(_IMAGE, []), ValueError, "`ks` must be a non-empty sequence"),
    (lambda: choose_k(_IMAGE, range(5, 1, -1), method="silhouette"), ValueError, "increasing"),
    (lambda: choose_k(_IMAGE, [1], method="silhouette"), ValueError, "`ks` must contain a k >= 2"),
    (
        lambda: choose_k(np.zeros((4, 4), np.uint8), [2, 3], method="silhouette"),
        ValueError,
        "`ks` must contain a k >= 2, and no larger than the number of distinct colours, 1",
    ),
    (lambda: choose_k(_IMAGE, [2, 49], method="silhouette"), ValueError, r"\[1, 48\]; got 49"),
    (lambda: choose_k(_IMAGE, method="gap"), ValueError, "`method` must be"),
    (lambda: choose_k(_IMAGE, method="silhouette", sample_size=2), ValueError, "`sample_size`"),
    (lambda: choose_k(_IMAGE, method="silhouette", sample_size=3.0), TypeError, "`sample_size`"),
    (lambda: choose_k(_IMAGE, method="silhouette", sample_size=True), TypeError, "`sample_size`"),
    (lambda: choose_k(_IMAGE, method="silhouette", seed=-1), TypeError, "`seed`"),
    # silhouette_score: labels and samples
    (lambda: silhouette_score(_SAMPLES, [0] * 5), ValueError, "`labels` must hold between 2"),
    (lambda: silhouette_score(_SAMPLES, [7] * 5), ValueError, "`labels` must hold between 2"),
    (lambda: silhouette_score(_SAMPLES, [0, 1, 2, 3, 4]), ValueError, "`labels` must hold"),
    (lambda: silhouette_score(_SAMPLES, [0, 1, 0, 1]), ValueError, r"`labels` must have shape"),
    (lambda: silhouette_score(_SAMPLES, [[0, 1, 0, 1, 1]]), ValueError, r"`labels` must have"),
    (lambda: silhouette_score(_SAMPLES, [0, 1, 0, 1, 2**64]), TypeError, "`labels` must have an"),
    (lambda: silhouette_score(_SAMPLES, [0, 1, 0, 1, None]), TypeError, "`labels`"),
    (lambda: silhouette_score(_SAMPLES, "01011"), TypeError, "`labels` must be"),
    (lambda: silhouette_score(_IMAGE, [0, 1] * 24), ValueError, "`samples` must be a 2-D"),
    (lambda: silhouette_score(_SAMPLES * np.nan, [0, 0, 1, 1, 1]), ValueError, "`samples`"),
    # knee_point: odd curves
    (lambda: knee_point([1, 2, 3], [3.0, np.inf, 1.0]), ValueError, "`wcss` must contain only"),
    (lambda: knee_point([1, 2, 3], [np.nan] * 3), ValueError, "`wcss` must contain only finite"),
    (lambda: knee_point([2], [1.0]), ValueError, "`ks` must be a 1-D array of at least 2"),
    (lambda: knee_point([], []), ValueError, "`ks` must be a 1-D array of at least 2"),
    (lambda: knee_point(3, 1.0), TypeError, "`ks` must be a NumPy array"),
    (lambda: knee_point(np.array(3), np.array(1.0)), ValueError, "`ks` must be a 1-D array"),
    (lambda: knee_point([True, False], [1.0, 0.0]), TypeError, "`ks` must have an integer"),
    (lambda: knee_point([1, 2], [True, False]), TypeError, "`wcss` must be real"),
    (
        lambda: knee_point(np.array([1, 2**63 + 5], np.uint64), [1.0, 0.0]),
        ValueError,
        r"`ks` must be integers below 2\*\*63",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), _ERRORS)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: knee_point([1, 2, 3, 4], [5.0, 5.0, 5.0, 5.0]), 1),  # constant
        (lambda: knee_point([4, 9], [10.0, 1.0]), 4),  # two points
        (lambda: knee_point([4, 9], [1.0, 10.0]), 4),  # two points, rising
        (lambda: knee_point([-(2**63), 2**63 - 1], [1.0, 0.0]), -(2**63)),  # no int64 wraparound
        (lambda: knee_point(np.array([1, 2, 3], np.uint64), [9.0, 1.0, 0.0]), 2),
        # any integer labels, also at the ends of the 64-bit ranges
        (
            lambda: silhouette_score(_PAIRS, np.array([2**64 - 1] * 2 + [0] * 2, np.uint64)),
            _PAIRS_SCORE,
        ),
        (lambda: silhouette_score(_PAIRS, [-(2**63)] * 2 + [2**63 - 1] * 2), _PAIRS_SCORE),
        # a 2-D array is samples in silhouette_score, whatever its dtype
        (lambda: silhouette_score(_PAIRS.astype(np.uint8), [0, 0, 1, 1]), _PAIRS_SCORE),
        # a k above the distinct colours of an 8-bit image: WCSS 0
        (lambda: elbow(np.zeros((3, 3), np.uint8), [1, 9]).wcss.tolist(), [0.0, 0.0]),
        (lambda: choose_k(np.zeros((3, 3), np.uint8), [1, 2]), 1),  # flat curve: first k
    ],
)
def test_odd_valid_input_gives_the_right_result(call, expected):
    result = call()
    if isinstance(expected, float):
        assert abs(result - expected) <= ATOL
    else:
        assert result == expected


# --- the kernel's blocks: many features or many clusters split a chunk, with the same result ---


@pytest.mark.parametrize(
    ("n_samples", "n_features", "n_clusters"), [(300, 1500, 4), (2400, 2, 1100)]
)
def test_blocks_smaller_than_a_chunk_give_the_reference(
    n_samples, n_features, n_clusters, n_threads
):
    from fastseg._kernels.silhouette import BLOCK_VALUES, SILHOUETTE_CHUNK

    assert BLOCK_VALUES // (n_features + n_clusters) < SILHOUETTE_CHUNK  # blocks do split chunks
    rng = np.random.default_rng(n_features)
    samples = rng.random((n_samples, n_features))
    labels = rng.integers(0, n_clusters, n_samples)
    labels[:n_clusters] = np.arange(n_clusters)
    n_threads(1)
    one_thread = silhouette_score(samples, labels)
    n_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    assert silhouette_score(samples, labels) == one_thread
    assert abs(one_thread - _sklearn_silhouette(samples, labels)) <= ATOL
