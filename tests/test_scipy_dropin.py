"""fastseg.scipy against scipy.cluster.vq, on a photo's pixels and on Gaussian blobs.

Every expected value comes from SciPy. Where the two may differ, the test says why and by how much
at most: float64 sums added in another order (1e-12 relative), SciPy's float32 sums of float32
data (a rounding bound), or two codes equally near an observation up to rounding (a near tie).
"""

import warnings

import numpy as np
import pytest

scipy_vq = pytest.importorskip("scipy.cluster.vq")

import skimage.data  # noqa: E402  (after the skip: the test extra brings both)

import fastseg.scipy as fastseg_vq  # noqa: E402

FLOAT32_EPS = float(np.finfo(np.float32).eps)
#: Relative tolerance of float64 results that SciPy and fastseg compute in another order.
FLOAT64_RTOL = 1e-12


def gaussian_blobs(n_features: int, dtype, n_samples: int = 20_000, n_centers: int = 16):
    """Samples around `n_centers` Gaussian centers, fixed by the number of features."""
    rng = np.random.default_rng(n_features)
    centers = rng.normal(scale=3.0, size=(n_centers, n_features))
    samples = centers[rng.integers(n_centers, size=n_samples)]
    return (samples + rng.normal(size=(n_samples, n_features))).astype(dtype)


def photo_pixels():
    """The astronaut photo's 262144 pixels, (n, 3) uint8."""
    return skimage.data.astronaut().reshape(-1, 3)


def photo_crop_pixels():
    """A 256 x 256 crop of the photo: 65536 pixels, so that any float32 sum of them stays below
    2**24 and SciPy's float32 sums are exact."""
    return skimage.data.astronaut()[128:384, 128:384].reshape(-1, 3)


DATASETS = {
    "pixels-float64": lambda: photo_pixels().astype(np.float64),
    "pixels-float32": lambda: photo_crop_pixels().astype(np.float32),
    "blobs16-float64": lambda: gaussian_blobs(16, np.float64),
    "blobs16-float32": lambda: gaussian_blobs(16, np.float32),
    "blobs64-float64": lambda: gaussian_blobs(64, np.float64),
    "blobs64-float32": lambda: gaussian_blobs(64, np.float32),
}


@pytest.fixture(scope="module", params=list(DATASETS))
def dataset(request):
    return DATASETS[request.param]()


def jittered_codes(data, k: int, seed: int = 0):
    """k distinct observations moved a little (so that no observation sits on a code), in the
    data's float dtype (float64 for integer data)."""
    rng = np.random.default_rng(seed)
    rows = data[rng.choice(data.shape[0], size=k, replace=False)].astype(np.float64)
    codes = rows + rng.normal(scale=0.3, size=rows.shape)
    return codes.astype(data.dtype if data.dtype.kind == "f" else np.float64)


def squared_norms(rows):
    return np.einsum("ij,ij->i", rows, rows)


def assert_same_codes(obs, code_book, expected, actual):
    """Codes equal; where they differ, both codes must be equally near the observation (a near
    tie): within 1e-12 relative in float64, within the rounding of SciPy's float32 arithmetic
    (at most a few eps of |x|^2 + |c|^2 in the squared distance) in float32. A handful at most."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    differ = np.flatnonzero(expected != actual)
    if differ.size == 0:
        return
    assert differ.size <= max(5, obs.shape[0] // 10_000), f"{differ.size} codes differ"
    rows = np.atleast_2d(obs.T).T[differ].astype(np.float64)
    book = np.atleast_2d(code_book.T).T.astype(np.float64)
    to_expected = squared_norms(rows - book[expected[differ]])
    to_actual = squared_norms(rows - book[actual[differ]])
    if np.result_type(obs, code_book) == np.float32:
        scale = squared_norms(rows) + squared_norms(book).max()
        assert np.all(np.abs(to_actual - to_expected) <= 8 * FLOAT32_EPS * scale)
    else:
        np.testing.assert_allclose(np.sqrt(to_actual), np.sqrt(to_expected), rtol=1e-12)


def assert_same_distances(obs, code_book, expected, actual):
    """Distances of SciPy's dtype; to 1e-12 relative in float64; in float32, within the rounding
    of SciPy's float32 arithmetic (its matrix-product form loses up to a few eps of
    |x|^2 + |c|^2 in the squared distance)."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    if expected.dtype == np.float64:
        np.testing.assert_allclose(actual, expected, rtol=FLOAT64_RTOL, atol=0)
        return
    rows = np.atleast_2d(obs.T).T.astype(np.float64)
    scale = squared_norms(rows) + squared_norms(np.atleast_2d(code_book.T).T.astype(float)).max()
    gap = np.abs(actual.astype(np.float64) ** 2 - expected.astype(np.float64) ** 2)
    assert np.all(gap <= 8 * FLOAT32_EPS * scale)


def sums_are_exact_in_float32(data, labels) -> bool:
    """Whether SciPy's float32 sums of `data` by cluster are exact: integers whose sums stay below
    2**24 (fastseg's float64 sums are exact too, and both round the same quotients)."""
    members = int(np.bincount(labels).max())
    return bool(np.all(data == np.round(data))) and members * float(np.abs(data).max()) < 2**24


def centroid_atol(data, expected_centroids, labels) -> float:
    """How far fastseg's centroids may be from SciPy's, coordinate by coordinate.

    float64: sums added in another order, 1e-12 of the largest coordinate. float32: SciPy adds
    float32 data in float32, with an error of at most (members * eps * max |x|) per mean; none
    when its sums are exact (see :func:`sums_are_exact_in_float32`).
    """
    if data.dtype == np.float64:
        return FLOAT64_RTOL * float(np.abs(expected_centroids).max())
    if sums_are_exact_in_float32(data, labels):
        return 0.0
    return int(np.bincount(labels).max()) * FLOAT32_EPS * float(np.abs(data).max())


def assert_same_clustering(data, expected, actual):
    """kmeans2's (centroids, labels): dtypes and labels equal, centroids equal up to
    :func:`centroid_atol`.

    Only where SciPy's float32 sums are inexact may a handful of labels differ: SciPy's centroids
    are then off by up to that bound, which moves an observation that is nearly equidistant from
    two of them to the other one. Each such observation moves a mean by at most
    2 max |x| / members, which the centroids' tolerance then allows for.
    """
    expected_centroids, expected_labels = expected
    centroids, labels = actual
    assert labels.dtype == expected_labels.dtype == np.int32
    assert (
        centroids.dtype == expected_centroids.dtype and centroids.shape == expected_centroids.shape
    )
    atol = centroid_atol(data, expected_centroids, labels)
    moved = np.count_nonzero(labels != expected_labels)
    if data.dtype == np.float64 or sums_are_exact_in_float32(data, expected_labels):
        np.testing.assert_array_equal(labels, expected_labels)
    else:
        assert moved <= max(5, labels.size // 2000), f"{moved} labels differ"
        fewest_members = np.bincount(expected_labels, minlength=centroids.shape[0]).min()
        atol += moved * 2 * float(np.abs(data).max()) / max(int(fewest_members), 1)
    rtol = FLOAT64_RTOL if atol else 0.0
    np.testing.assert_allclose(centroids, expected_centroids, rtol=rtol, atol=atol)


def call_quietly(function, *args, **kwargs):
    """Call, and return the result and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [(w.category, str(w.message)) for w in caught]


# --- whiten ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8])
def test_whiten_equals_scipy(dtype):
    pixels = photo_pixels().astype(dtype)
    expected = scipy_vq.whiten(pixels)
    actual = fastseg_vq.whiten(pixels)
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(fastseg_vq.whiten(pixels[:, 1]), scipy_vq.whiten(pixels[:, 1]))


def test_whiten_warns_of_constant_columns_as_scipy():
    pixels = photo_crop_pixels().astype(np.float64)
    pixels[:, 1] = 7.0
    with pytest.warns(RuntimeWarning) as expected_warnings:
        expected = scipy_vq.whiten(pixels)
    with pytest.warns(RuntimeWarning) as actual_warnings:
        actual = fastseg_vq.whiten(pixels)
    np.testing.assert_array_equal(actual, expected)
    assert [str(w.message) for w in actual_warnings] == [str(w.message) for w in expected_warnings]
    # SciPy reports constant columns only when it checks for finite values.
    assert call_quietly(fastseg_vq.whiten, pixels, check_finite=False)[1] == []
    assert call_quietly(scipy_vq.whiten, pixels, check_finite=False)[1] == []


# --- vq ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 8, 40])
def test_vq_gives_scipys_codes_and_distances(dataset, k):
    code_book = jittered_codes(dataset, k)
    expected_codes, expected_distances = scipy_vq.vq(dataset, code_book)
    codes, distances = fastseg_vq.vq(dataset, code_book)
    assert codes.dtype == np.int32
    assert_same_codes(dataset, code_book, expected_codes, codes)
    assert_same_distances(dataset, code_book, expected_distances, distances)


def test_vq_of_pixels_as_scipy_to_the_bit():
    """uint8 pixels (compared in float64) and their float64 copy: SciPy sums the three squared
    differences in order, and so does fastseg."""
    pixels = photo_pixels()
    code_book = jittered_codes(pixels, 12)
    expected = scipy_vq.vq(pixels, code_book)
    for obs in (pixels, pixels.astype(np.float64)):
        codes, distances = fastseg_vq.vq(obs, code_book)
        np.testing.assert_array_equal(codes, expected[0])
        assert distances.dtype == np.float64
        np.testing.assert_array_equal(distances, expected[1])


def test_vq_of_mixed_and_integer_dtypes_follows_scipy():
    pixels = photo_crop_pixels()
    float_codes = jittered_codes(pixels, 6)
    blobs = gaussian_blobs(64, np.float32, n_samples=5000)
    cases = [
        (blobs, jittered_codes(blobs, 6).astype(np.float64)),  # compared in float64
        (pixels.astype(np.float32), float_codes.astype(np.float64)),  # compared in float64
        (pixels.astype(np.float64), float_codes.astype(np.float32)),
        (pixels.astype(np.int16), float_codes.astype(np.float32)),  # in float32
        (pixels, np.rint(float_codes).astype(np.uint8)),  # integers: SciPy's cdist fallback
        (pixels.astype(np.int64), np.rint(float_codes).astype(np.int64)),
    ]
    for obs, code_book in cases:
        expected_codes, expected_distances = scipy_vq.vq(obs, code_book)
        codes, distances = fastseg_vq.vq(obs, code_book)
        assert codes.dtype == expected_codes.dtype, (obs.dtype, code_book.dtype)
        assert_same_codes(obs, code_book, expected_codes, codes)
        assert_same_distances(obs, code_book, expected_distances, distances)


def test_vq_of_one_feature_and_of_lists():
    channel = photo_crop_pixels()[:, 0].astype(np.float64)
    code_book = np.array([10.5, 100.25, 200.75, 60.125])
    expected = scipy_vq.vq(channel, code_book)
    actual = fastseg_vq.vq(channel, code_book)
    for want, got in zip(expected, actual, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    rows = [[1.0, 2.0], [3.5, 0.5], [9.0, 9.0]]
    codes = [[0.0, 0.0], [10.0, 10.0]]
    for want, got in zip(scipy_vq.vq(rows, codes), fastseg_vq.vq(rows, codes), strict=True):
        np.testing.assert_array_equal(got, want)


def test_vq_ties_go_to_the_lowest_code():
    pixels = photo_crop_pixels().astype(np.float64)
    offsets = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    code_book = pixels[0] + offsets
    expected = scipy_vq.vq(pixels, code_book)
    actual = fastseg_vq.vq(pixels, code_book)
    assert actual[0][0] == expected[0][0] == 0  # three codes at distance 1 from pixel 0
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])


@pytest.mark.parametrize("exponent", [-600, -300, 200, 600])
def test_vq_codes_do_not_depend_on_the_scale_of_the_data(exponent):
    """Narrow rows of extreme magnitude (squares beyond float64's normal range) go through the
    scaled engine: the codes stay those of the data at a normal scale, and the distances are
    scaled exactly where they are representable."""
    pixels = photo_crop_pixels().astype(np.float64)
    code_book = pixels[:: len(pixels) // 6][:6] + 0.5
    codes, distances = fastseg_vq.vq(pixels, code_book)
    scaled = fastseg_vq.vq(np.ldexp(pixels, exponent), np.ldexp(code_book, exponent))
    np.testing.assert_array_equal(scaled[0], codes)
    if abs(exponent) < 400:
        np.testing.assert_array_equal(scaled[1], np.ldexp(distances, exponent))


# --- kmeans2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("iterations", [1, 3, 10])
def test_kmeans2_from_a_matrix_gives_scipys_clustering(dataset, iterations):
    code_book = jittered_codes(dataset, 8)
    expected = scipy_vq.kmeans2(dataset, code_book, iter=iterations, minit="matrix")
    actual = fastseg_vq.kmeans2(dataset, code_book, iter=iterations, minit="matrix")
    assert_same_clustering(dataset, expected, actual)


def test_kmeans2_of_pixels_as_scipy_to_the_bit():
    """Integer-valued float64 data: every sum is exact in both, so the centroids are SciPy's
    bits, and so are the labels of the next iterations."""
    pixels = photo_pixels().astype(np.float64)
    code_book = jittered_codes(pixels, 16, seed=4)
    expected = scipy_vq.kmeans2(pixels, code_book, iter=10, minit="matrix")
    actual = fastseg_vq.kmeans2(pixels, code_book, iter=10, minit="matrix")
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])


@pytest.mark.parametrize("minit", ["points", "++", "random"])
@pytest.mark.parametrize(
    "seed_argument",
    [
        {"seed": 3},
        {"seed": np.int64(11)},
        {"seed": "random_state"},
        {"seed": "generator"},
        {"rng": 5},
    ],
    ids=["int", "numpy-int", "RandomState", "Generator", "rng-int"],
)
def test_kmeans2_draws_scipys_initial_centroids(dataset, minit, seed_argument):
    """The same seed gives the same draws: the labels of the first iteration are the nearest
    drawn codes, and its centroids their means."""

    def generator_argument():
        name, value = next(iter(seed_argument.items()))
        if isinstance(value, str):  # a fresh generator for each call
            generator = np.random.RandomState(7) if value == "random_state" else None
            return {name: generator or np.random.default_rng(7)}
        return {name: value}

    expected, expected_warnings = call_quietly(
        scipy_vq.kmeans2, dataset, 6, iter=1, minit=minit, **generator_argument()
    )
    actual, actual_warnings = call_quietly(
        fastseg_vq.kmeans2, dataset, 6, iter=1, minit=minit, **generator_argument()
    )
    assert actual_warnings == expected_warnings  # empty clusters, if any, in both
    assert_same_clustering(dataset, expected, actual)


def test_kmeans2_random_init_with_fewer_observations_than_features():
    """The covariance is then singular: SciPy draws in the span of the data (an SVD)."""
    wide = gaussian_blobs(30, np.float64, n_samples=12)
    expected, expected_warnings = call_quietly(
        scipy_vq.kmeans2, wide, 3, iter=1, minit="random", seed=8
    )
    actual, actual_warnings = call_quietly(
        fastseg_vq.kmeans2, wide, 3, iter=1, minit="random", seed=8
    )
    assert actual_warnings == expected_warnings
    assert_same_clustering(wide, expected, actual)


def test_kmeans2_uses_numpys_global_random_state_without_a_seed():
    pixels = photo_crop_pixels().astype(np.float64)
    # The legacy global state is what SciPy draws from here, hence the legacy calls.
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(123)  # noqa: NPY002
        expected = scipy_vq.kmeans2(pixels, 5, minit="points")
        np.random.seed(123)  # noqa: NPY002
        actual = fastseg_vq.kmeans2(pixels, 5, minit="points")
    finally:
        np.random.set_state(state)  # noqa: NPY002
    assert_same_clustering(pixels, expected, actual)


@pytest.mark.parametrize("minit", ["points", "++", "random", "matrix"])
def test_kmeans2_of_one_feature(minit):
    channel = photo_crop_pixels()[:, 1].astype(np.float64)
    k = np.array([20.5, 90.0, 150.25, 230.0]) if minit == "matrix" else 4
    expected = scipy_vq.kmeans2(channel, k, iter=5, minit=minit, seed=2)
    actual = fastseg_vq.kmeans2(channel, k, iter=5, minit=minit, seed=2)
    assert actual[0].shape == expected[0].shape == (4,)
    assert_same_clustering(channel[:, None], expected, actual)


def test_kmeans2_empty_cluster_raises_or_warns_as_scipy(dataset):
    """A code far beyond the data gets no member in the first iteration."""
    code_book = jittered_codes(dataset, 5)
    code_book[2] = 10 * np.abs(dataset).max()
    with pytest.raises(scipy_vq.ClusterError) as expected_error:
        scipy_vq.kmeans2(dataset, code_book, minit="matrix", missing="raise")
    with pytest.raises(fastseg_vq.ClusterError) as actual_error:
        fastseg_vq.kmeans2(dataset, code_book, minit="matrix", missing="raise")
    assert str(actual_error.value) == str(expected_error.value)

    with pytest.warns(UserWarning) as expected_warnings:
        expected = scipy_vq.kmeans2(dataset, code_book, iter=3, minit="matrix", missing="warn")
    with pytest.warns(UserWarning) as actual_warnings:
        actual = fastseg_vq.kmeans2(dataset, code_book, iter=3, minit="matrix", missing="warn")
    # One warning per iteration, with SciPy's words; the empty code stays where it was.
    assert [str(w.message) for w in actual_warnings] == [str(w.message) for w in expected_warnings]
    assert len(actual_warnings) == 3
    assert all(w.filename == __file__ for w in actual_warnings)  # points at the caller
    assert_same_clustering(dataset, expected, actual)
    np.testing.assert_array_equal(actual[0][2], code_book[2])


def test_kmeans2_warns_of_a_non_integer_k_as_scipy():
    pixels = photo_crop_pixels().astype(np.float64)
    with pytest.warns(UserWarning, match="k was not an integer") as expected_warnings:
        expected = scipy_vq.kmeans2(pixels, 3.5, minit="points", seed=1)
    with pytest.warns(UserWarning, match="k was not an integer") as actual_warnings:
        actual = fastseg_vq.kmeans2(pixels, 3.5, minit="points", seed=1)
    assert len(actual_warnings) == len(expected_warnings) == 1
    assert_same_clustering(pixels, expected, actual)


# --- kmeans ------------------------------------------------------------------------------------


def assert_same_codebook(data, expected, actual):
    """kmeans's (codebook, distortion): shapes and dtypes equal, values equal up to the
    tolerance of :func:`centroid_atol` (the distortion to 1e-12 relative, 1e-5 for float32)."""
    expected_book, expected_distortion = expected
    book, distortion = actual
    assert book.dtype == expected_book.dtype and book.shape == expected_book.shape
    assert type(distortion) is type(expected_distortion)
    labels = scipy_vq.vq(data, expected_book)[0]
    atol = centroid_atol(data, expected_book, labels)
    np.testing.assert_allclose(book, expected_book, rtol=FLOAT64_RTOL if atol else 0, atol=atol)
    rtol = FLOAT64_RTOL if data.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(distortion, expected_distortion, rtol=rtol)


def test_kmeans_from_a_codebook_gives_scipys(dataset):
    code_book = jittered_codes(dataset, 8, seed=1)
    expected = scipy_vq.kmeans(dataset, code_book)
    actual = fastseg_vq.kmeans(dataset, code_book)
    assert_same_codebook(dataset, expected, actual)


def test_kmeans_drops_codes_without_members_as_scipy():
    pixels = photo_crop_pixels().astype(np.float64)
    code_book = jittered_codes(pixels, 6, seed=2)
    code_book[4] = code_book[1]  # a copy never wins a tie: it has no members and is dropped
    code_book[5] = 1e4  # far from every pixel
    expected = scipy_vq.kmeans(pixels, code_book)
    actual = fastseg_vq.kmeans(pixels, code_book)
    assert actual[0].shape == expected[0].shape == (4, 3)
    np.testing.assert_array_equal(actual[0], expected[0])
    assert actual[1] == expected[1]


@pytest.mark.parametrize("seed_argument", [{"seed": 5}, {"rng": 5}], ids=["seed", "rng"])
def test_kmeans_random_starts_match_scipy(seed_argument):
    """kmeans's starts draw observations as SciPy does: with the same seed, the same best
    codebook (integer-valued pixels: to the bit)."""
    pixels = photo_crop_pixels().astype(np.float64)
    expected = scipy_vq.kmeans(pixels, 6, iter=3, **seed_argument)
    actual = fastseg_vq.kmeans(pixels, 6, iter=3, **seed_argument)
    np.testing.assert_array_equal(actual[0], expected[0])
    assert actual[1] == expected[1]


def test_kmeans_random_starts_on_blobs_match_scipy():
    for n_features, dtype in [(16, np.float64), (64, np.float32)]:
        blobs = gaussian_blobs(n_features, dtype, n_samples=5000)
        expected = scipy_vq.kmeans(blobs, 5, iter=2, seed=9)
        actual = fastseg_vq.kmeans(blobs, 5, iter=2, seed=9)
        assert_same_codebook(blobs, expected, actual)


def test_kmeans_of_one_feature():
    channel = photo_crop_pixels()[:, 2].astype(np.float64)
    for k_or_guess in (np.array([30.5, 120.0, 240.25]), 3):
        expected = scipy_vq.kmeans(channel, k_or_guess, iter=2, seed=4)
        actual = fastseg_vq.kmeans(channel, k_or_guess, iter=2, seed=4)
        assert actual[0].ndim == expected[0].ndim == 1
        np.testing.assert_array_equal(actual[0], expected[0])
        assert actual[1] == expected[1]


# --- bad input ---------------------------------------------------------------------------------

SMALL = photo_crop_pixels()[:200].astype(np.float64)
CODES = SMALL[:4] + 0.5


def with_value(array, value):
    """A copy of `array` with one element set to `value`."""
    changed = array.copy()
    changed.flat[5] = value
    return changed


WITH_NAN = with_value(SMALL, np.nan)
WITH_INF = with_value(SMALL, np.inf)

BAD_CALLS = {
    "whiten non-finite": lambda m: m.whiten(WITH_NAN),
    "whiten 0-d": lambda m: m.whiten(np.float64(3.0)),
    "whiten strings": lambda m: m.whiten(np.array([["a", "b"]])),
    "vq 3-D": lambda m: m.vq(SMALL[:, :, None], CODES[:, :, None]),
    "vq ranks differ": lambda m: m.vq(SMALL, CODES[:, 0]),
    "vq features differ": lambda m: m.vq(SMALL, CODES[:, :2]),
    "vq NaN obs": lambda m: m.vq(WITH_NAN, CODES),
    "vq infinite code_book": lambda m: m.vq(SMALL, with_value(CODES, np.inf)),
    "vq float16": lambda m: m.vq(SMALL.astype(np.float16), CODES.astype(np.float16)),
    "vq complex": lambda m: m.vq(SMALL.astype(complex), CODES.astype(complex)),
    "vq strings": lambda m: m.vq(np.array([["a", "b"]]), CODES[:, :2]),
    "kmeans k > n": lambda m: m.kmeans(SMALL, 201, seed=0),
    "kmeans k = 0": lambda m: m.kmeans(SMALL, 0),
    "kmeans k = -3": lambda m: m.kmeans(SMALL, -3),
    "kmeans k not an integer": lambda m: m.kmeans(SMALL, 2.5),
    "kmeans iter = 0": lambda m: m.kmeans(SMALL, 2, iter=0),
    "kmeans iter float": lambda m: m.kmeans(SMALL, 2, iter=2.5, seed=0),
    "kmeans NaN": lambda m: m.kmeans(WITH_NAN, 2, seed=0),
    "kmeans inf guess": lambda m: m.kmeans(SMALL, with_value(CODES, np.inf)),
    "kmeans uint8 data": lambda m: m.kmeans(SMALL.astype(np.uint8), 2, seed=0),
    "kmeans uint8 data, guess": lambda m: m.kmeans(SMALL.astype(np.uint8), CODES),
    "kmeans empty guess": lambda m: m.kmeans(SMALL, CODES[:0]),
    "kmeans guess features differ": lambda m: m.kmeans(SMALL, CODES[:, :2]),
    "kmeans guess rank differs": lambda m: m.kmeans(SMALL, CODES[:, 0]),
    "kmeans 3-D": lambda m: m.kmeans(SMALL[:, :, None], CODES[:, :, None]),
    "kmeans seed and rng": lambda m: m.kmeans(SMALL, 2, seed=0, rng=0),
    "kmeans bad seed": lambda m: m.kmeans(SMALL, 2, seed="a"),
    "kmeans negative seed": lambda m: m.kmeans(SMALL, 2, seed=-1),
    "kmeans2 3-D": lambda m: m.kmeans2(SMALL[:, :, None], 2, minit="points", seed=0),
    "kmeans2 0-d": lambda m: m.kmeans2(np.float64(1.0), 2, minit="points", seed=0),
    "kmeans2 empty": lambda m: m.kmeans2(SMALL[:0], 2, minit="points", seed=0),
    "kmeans2 empty matrix": lambda m: m.kmeans2(SMALL, CODES[:0], minit="matrix"),
    "kmeans2 k > n points": lambda m: m.kmeans2(SMALL, 201, minit="points", seed=0),
    "kmeans2 k = 0": lambda m: m.kmeans2(SMALL, 0, minit="points", seed=0),
    "kmeans2 k = -2": lambda m: m.kmeans2(SMALL, -2, minit="points", seed=0),
    "kmeans2 bad minit": lambda m: m.kmeans2(SMALL, 2, minit="kmeans++", seed=0),
    "kmeans2 bad missing": lambda m: m.kmeans2(SMALL, 2, missing="ignore", seed=0),
    "kmeans2 iter = 0": lambda m: m.kmeans2(SMALL, 2, iter=0, minit="points", seed=0),
    "kmeans2 iter float": lambda m: m.kmeans2(SMALL, 2, iter=2.5, minit="points", seed=0),
    "kmeans2 NaN": lambda m: m.kmeans2(WITH_NAN, 2, minit="points", seed=0),
    "kmeans2 infinity": lambda m: m.kmeans2(WITH_INF, CODES, minit="matrix"),
    "kmeans2 NaN matrix": lambda m: m.kmeans2(SMALL, with_value(CODES, np.nan)),
    "kmeans2 matrix rank differs": lambda m: m.kmeans2(SMALL, CODES[:, 0], minit="matrix"),
    "kmeans2 matrix features differ": lambda m: m.kmeans2(SMALL, CODES[:, :2], minit="matrix"),
    "kmeans2 integer k, minit matrix": lambda m: m.kmeans2(SMALL, 3, minit="matrix"),
    "kmeans2 uint8 data": lambda m: m.kmeans2(SMALL.astype(np.uint8), CODES, minit="matrix"),
    "kmeans2 int64 data, points": lambda m: m.kmeans2(
        SMALL.astype(np.int64), 2, minit="points", seed=0
    ),
    "kmeans2 complex data": lambda m: m.kmeans2(SMALL.astype(complex), 2, minit="points", seed=0),
    "kmeans2 constant data, random": lambda m: m.kmeans2(np.ones((10, 2)), 3, seed=0),
    "kmeans2 bad seed": lambda m: m.kmeans2(SMALL, 2, minit="points", seed=[1.5]),
}


@pytest.mark.parametrize("call", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_input_raises_scipys_exception_type(call):
    with pytest.raises(Exception) as expected:  # any type: SciPy's is the expected one
        call(scipy_vq)
    with pytest.raises(Exception) as actual:
        call(fastseg_vq)
    assert type(actual.value) is type(expected.value), (actual.value, expected.value)


# --- threads -----------------------------------------------------------------------------------


def run_everything(pixels, blobs):
    results = []
    for data in (pixels, blobs):
        code_book = jittered_codes(data, 10)
        results += fastseg_vq.vq(data, code_book)
        results += fastseg_vq.kmeans2(data, code_book, iter=4, minit="matrix")
        results += fastseg_vq.kmeans2(data, 10, iter=4, minit="++", seed=1)
        results += fastseg_vq.kmeans(data, code_book, thresh=1e-3)
    return results


def test_results_do_not_depend_on_the_number_of_threads(n_threads):
    pixels = photo_pixels().astype(np.float64)
    blobs = gaussian_blobs(64, np.float32)
    n_threads(1)
    one_thread = run_everything(pixels, blobs)
    n_threads(2)
    two_threads = run_everything(pixels, blobs)
    assert len(one_thread) == len(two_threads)
    for first, second in zip(one_thread, two_threads, strict=True):
        assert np.asarray(first).dtype == np.asarray(second).dtype
        np.testing.assert_array_equal(first, second)
