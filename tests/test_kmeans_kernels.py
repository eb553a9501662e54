"""Kernels against the plain NumPy references of tests/naive.py."""

import naive
import numpy as np
import pytest

from fastseg._config import CHUNK_SIZE
from fastseg._kernels import lloyd

DTYPES = [np.uint8, np.uint16, np.float32, np.float64]


def random_samples(rng, n, d, dtype):
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, np.iinfo(dtype).max, size=(n, d)).astype(dtype)
    return rng.normal(size=(n, d)).astype(dtype)


def lloyd_in_parts(samples, origin, weights, centers, *outputs, step=3):
    """lloyd.lloyd_pass in `step` parts, one after the other, with the scratch rows (one per
    part) its caller gives it."""
    k, d = centers.shape
    tiles, tile_labels, lanes = lloyd.scratch_shapes(d, k)
    naive.in_parts(
        lloyd.lloyd_pass(d), samples, origin, weights, centers, np.empty((step, k)), *outputs,
        np.empty((step, *tiles)), np.empty((step, *tile_labels), dtype=np.int64),
        np.empty((step, *lanes)), step=step,
    )  # fmt: skip


def run_lloyd_pass(samples, centers, weights=None, origin=None):
    n, d = samples.shape
    k = len(centers)
    n_chunks = -(-n // CHUNK_SIZE)
    origin = np.zeros(d) if origin is None else origin
    out = {
        "labels": np.zeros(n, dtype=np.int32),
        "sums": np.empty((n_chunks, k, d)),
        "weight_sums": np.empty((n_chunks, k)),
        "square_sums": np.empty((n_chunks, k)),
        "n_changed": np.empty(n_chunks, dtype=np.int64),
    }
    lloyd_in_parts(
        samples, origin, np.empty(0) if weights is None else weights, centers - origin,
        out["labels"], out["sums"], out["weight_sums"], out["square_sums"], out["n_changed"],
        False,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_pass_matches_reference(rng, dtype, d, weighted):
    n, k = 2 * CHUNK_SIZE + 1234, 7  # several chunks and a partial one
    samples = random_samples(rng, n, d, dtype)
    centers = samples[rng.choice(n, k, replace=False)].astype(np.float64) + 0.25
    weights = rng.uniform(0.0, 3.0, n) if weighted else None
    origin = samples[0].astype(np.float64)
    out = run_lloyd_pass(samples, centers, weights, origin)

    labels, _ = naive.assign(samples, centers)
    np.testing.assert_array_equal(out["labels"], labels)
    sums, totals = naive.weighted_sums(samples, labels, k, weights)
    np.testing.assert_allclose(out["sums"].sum(0) + totals[:, None] * origin, sums, rtol=1e-9)
    np.testing.assert_allclose(out["weight_sums"].sum(0), totals, rtol=1e-12)
    relative = samples.astype(np.float64) - origin
    squares = naive.weighted_sums((relative**2).sum(1)[:, None], labels, k, weights)[0][:, 0]
    np.testing.assert_allclose(out["square_sums"].sum(0), squares, rtol=1e-9)
    assert out["n_changed"].sum() == np.count_nonzero(labels)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("d", [1, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_pass_moves_only_gives_the_changes_of_the_sums(rng, dtype, d, weighted):
    n, k = 2 * CHUNK_SIZE + 1234, 6
    samples = random_samples(rng, n, d, dtype)
    weights = rng.integers(0, 4, n).astype(np.float64) if weighted else None
    origin = np.zeros(d)
    before = samples[rng.choice(n, k, replace=False)].astype(np.float64)
    after = before + rng.normal(size=before.shape) * samples.astype(np.float64).std()
    labels, _ = naive.assign(samples, before)
    n_chunks = -(-n // CHUNK_SIZE)
    sums, weight_sums = np.empty((n_chunks, k, d)), np.empty((n_chunks, k))
    square_sums, n_changed = np.empty((n_chunks, k)), np.empty(n_chunks, dtype=np.int64)
    passed = labels.astype(np.int32)
    lloyd_in_parts(
        samples, origin, np.empty(0) if weights is None else weights, after, passed, sums,
        weight_sums, square_sums, n_changed, True,
    )  # fmt: skip

    moved, _ = naive.assign(samples, after)
    np.testing.assert_array_equal(passed, moved)
    assert n_changed.sum() == np.count_nonzero(moved != labels)
    old_sums, old_totals = naive.weighted_sums(samples, labels, k, weights)
    new_sums, new_totals = naive.weighted_sums(samples, moved, k, weights)
    np.testing.assert_allclose(old_sums + sums.sum(0), new_sums, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(old_totals + weight_sums.sum(0), new_totals, rtol=1e-12)
    squares = (samples.astype(np.float64) ** 2).sum(1)[:, None]
    old_squares = naive.weighted_sums(squares, labels, k, weights)[0][:, 0]
    new_squares = naive.weighted_sums(squares, moved, k, weights)[0][:, 0]
    np.testing.assert_allclose(old_squares + square_sums.sum(0), new_squares, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_updating_the_sums_with_moves_gives_the_same_bits(rng, dtype, weighted):
    """Integer values and weights: the source's updated sums equal full passes, bit for bit."""
    from fastseg.clustering import Criteria, lloyd
    from fastseg.passes import MemoryPasses

    values = rng.integers(0, 256, size=(3 * CHUNK_SIZE + 77, 3))
    # Float values away from 0 (measured from the first sample), still integers.
    samples = (values - 7 * (np.dtype(dtype).kind == "f")).astype(dtype)
    weights = rng.integers(0, 5, len(samples)).astype(np.float64) if weighted else None
    seeds = samples[:5].astype(np.float64) + 0.5
    results = []
    for exact_updates in (True, False):
        source = MemoryPasses(samples, weights, 5)
        assert source._exact_updates
        source._exact_updates = exact_updates
        results.append((*lloyd(source, seeds, Criteria(max_iter=30), None), source.labels.copy()))
    (centers, compactness, n_iter, cluster_weights, cluster_sums, labels), full = results
    assert n_iter == full[2] > 3 and compactness == full[1]
    np.testing.assert_array_equal(centers, full[0])
    np.testing.assert_array_equal(cluster_weights, full[3])
    np.testing.assert_array_equal(cluster_sums, full[4])
    np.testing.assert_array_equal(labels, full[5])


def test_sums_are_updated_only_where_that_is_exact(rng):
    from fastseg.passes import MemoryPasses

    integers = rng.integers(0, 256, size=(1000, 3)).astype(np.float32)
    assert MemoryPasses(integers, None, 4)._exact_updates
    assert not MemoryPasses(integers / 255, None, 4)._exact_updates  # fractions
    assert not MemoryPasses(integers, rng.uniform(size=1000), 4)._exact_updates  # weights
    assert not MemoryPasses(integers * 2.0**26, None, 4)._exact_updates  # squares above 2^53
    assert not MemoryPasses(rng.integers(0, 9, size=(1000, 40)), None, 4)._exact_updates  # wide


@pytest.mark.parametrize("k", [1, 2, 4, 9])
def test_pixel_assignment_takes_the_first_of_tied_centers(rng, k):
    # Pixels are compared with four centers per sweep: a tie within those four, or between two
    # sweeps, must still go to the lowest index, as one center at a time would.
    samples = rng.integers(0, 256, (CHUNK_SIZE + 999, 3)).astype(np.uint8)
    centers = rng.uniform(0.0, 255.0, (k, 3))
    for copy, original in ((1, 0), (3, 2), (6, 1), (8, 5)):
        if copy < k:
            centers[copy] = centers[original]
    out = run_lloyd_pass(samples, centers)
    np.testing.assert_array_equal(out["labels"], naive.assign(samples, centers)[0])


def test_lloyd_pass_counts_changed_labels(rng):
    samples = random_samples(rng, 5000, 3, np.float64)
    centers = samples[:4].copy()
    first = run_lloyd_pass(samples, centers)
    labels = first["labels"].copy()
    again = run_lloyd_pass(samples, centers)
    assert again["n_changed"].sum() == np.count_nonzero(labels)  # both start from zeros
    n_chunks = len(first["n_changed"])
    lloyd_in_parts(
        samples, np.zeros(3), np.empty(0), centers, labels, np.empty((n_chunks, 4, 3)),
        np.empty((n_chunks, 4)), np.empty((n_chunks, 4)), first["n_changed"], False, step=1,
    )  # fmt: skip
    assert first["n_changed"].sum() == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_assign_from_products_matches_reference(rng, dtype):
    # Several parts, the last one not a multiple of the four rows taken at a time.
    block = rng.normal(size=(2 * lloyd.ASSIGN_ROWS + 703, 64)).astype(dtype)
    centers = rng.normal(size=(9, 64))
    centers[6] = centers[2]  # a tie: the lower index wins
    half_norms = np.empty(9)
    lloyd.half_squared_norms(centers, half_norms)
    labels = np.zeros(len(block), dtype=np.uint8)
    distances = np.empty(len(block))
    n_changed = np.empty(-(-len(block) // lloyd.ASSIGN_ROWS), dtype=np.int64)
    naive.in_parts(
        lloyd.assign_from_products, block, block @ centers.T.astype(dtype), half_norms, centers,
        labels, distances, n_changed,
    )  # fmt: skip
    expected_labels, expected_distances = naive.assign(block, centers)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-12)
    assert n_changed.sum() == np.count_nonzero(expected_labels)
    assert (labels == 2).any() and not (labels == 6).any()


def test_add_block_sums_matches_reference(rng):
    block = rng.normal(size=(500, 40))
    labels = rng.integers(0, 6, 500).astype(np.uint16)
    weights = rng.uniform(0, 2, 500)
    sums, totals = np.zeros((6, 40)), np.zeros(6)
    lloyd.add_block_sums(block, weights, labels, sums, totals)
    expected_sums, expected_totals = naive.weighted_sums(block, labels, 6, weights)
    np.testing.assert_allclose(sums, expected_sums, rtol=1e-12)
    np.testing.assert_allclose(totals, expected_totals, rtol=1e-12)


def test_farthest_samples_matches_reference(rng):
    samples = random_samples(rng, CHUNK_SIZE + 500, 3, np.float64)
    centers = rng.normal(size=(4, 3))
    labels, distances = naive.assign(samples, centers)
    weights = rng.uniform(0, 1, len(samples))
    weights[np.argmax(distances)] = 0.0  # never chosen
    top_index = np.empty((2, 3), dtype=np.int64)
    top_distance = np.empty((2, 3))
    naive.in_parts(
        lloyd.farthest_samples, samples, weights, centers, labels, top_index, top_distance
    )
    for chunk in range(2):
        part = slice(chunk * CHUNK_SIZE, (chunk + 1) * CHUNK_SIZE)
        candidates = np.where(weights[part] > 0, distances[part], -1.0)
        expected = np.argsort(-candidates, kind="stable")[:3] + chunk * CHUNK_SIZE
        np.testing.assert_array_equal(top_index[chunk], expected)
        np.testing.assert_allclose(top_distance[chunk], distances[expected], rtol=1e-12)


@pytest.mark.parametrize("integer_weights", [False, True])
def test_indices_by_weight_match_searchsorted_over_cumulative_weights(rng, integer_weights):
    for _ in range(50):
        n = int(rng.integers(1, 3000))
        weights = rng.integers(0, 5, n).astype(np.float64)
        if not integer_weights:
            weights *= rng.random(n)
        weights[rng.integers(n)] += 1.0  # some weight
        draws = np.sort(rng.random(int(rng.integers(1, 500))))
        draws[-1] = np.nextafter(1.0, 0.0)  # the top of the range, where rounding bites
        indices = np.empty(len(draws), dtype=np.int64)
        lloyd.indices_by_weight(weights, draws, indices)

        cumulative = np.cumsum(weights)
        expected = np.searchsorted(cumulative, draws * cumulative[-1], side="right")
        np.testing.assert_array_equal(indices, np.minimum(expected, n - 1))
        assert (weights[indices] > 0).all()  # rows of weight 0 are never drawn


def seeded_rows(rows, weights, k, seed, threaded, kept=True):
    """The rows kmeans_plusplus chooses, its passes on one thread or split among threads; with
    `kept` False, the distances to the candidates are not kept (a second pass for the chosen)."""
    from fastseg import clustering
    from fastseg._kernels import seeding
    from fastseg.clustering import kmeans_plusplus

    serial_work, kept_distances = seeding.SERIAL_WORK, clustering.KEPT_DISTANCES
    seeding.SERIAL_WORK = 0 if threaded else np.inf
    clustering.KEPT_DISTANCES = kept_distances if kept else 0
    try:
        centers = kmeans_plusplus(rows, weights, k, np.random.default_rng(seed))
    finally:
        seeding.SERIAL_WORK, clustering.KEPT_DISTANCES = serial_work, kept_distances
    return np.array([np.flatnonzero((rows == center).all(axis=1))[0] for center in centers])


@pytest.mark.parametrize("d", [1, 3, 5, 40])
@pytest.mark.parametrize("weighted", [False, True])
def test_greedy_kmeans_pp_matches_reference(rng, d, weighted):
    """On one thread and split among threads, the seeding picks the reference's rows, over
    several chunks."""
    from fastseg._kernels import seeding

    rows = rng.normal(size=(3 * seeding.SEED_CHUNK + 77, d))
    weights = rng.uniform(0.0, 3.0, len(rows)) if weighted else np.ones(len(rows))
    for k, seed in ((1, 0), (9, 1), (40, 2)):
        expected = naive.greedy_kmeans_pp(rows, weights, k, np.random.default_rng(seed))
        for threaded, kept in ((False, True), (True, True), (True, False)):
            chosen = seeded_rows(rows, weights, k, seed, threaded, kept)
            np.testing.assert_array_equal(chosen, expected)


def test_greedy_kmeans_pp_same_bits_on_any_number_of_threads(rng, n_threads):
    from fastseg._kernels import seeding

    rows = rng.normal(size=(5 * seeding.SEED_CHUNK + 5, 3))
    weights = rng.uniform(0.0, 2.0, len(rows))
    results = []
    for threads in (1, 2):
        n_threads(threads)
        results.append(seeded_rows(rows, weights, 300, 4, threaded=True))
    results.append(seeded_rows(rows, weights, 300, 4, threaded=False))
    for result in results[1:]:
        np.testing.assert_array_equal(results[0], result)
    assert len(np.unique(results[0])) == 300


def test_draw_row_matches_searchsorted(rng):
    from fastseg._kernels import seeding

    shares = rng.uniform(0.0, 1.0, 1000) * (rng.uniform(size=1000) < 0.3)
    cumulative = np.cumsum(shares)
    for u in [0.0, *rng.uniform(size=200), np.nextafter(1.0, 0.0)]:
        assert seeding.draw_row(cumulative, u) == naive.draw_by_share(shares, u)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_variance_from_one_pass_has_the_bits_of_a_second_pass(rng, dtype, weighted):
    """The variance behind scikit-learn's tol: the inertia around the mean, taken from the sums
    of the pass that found the mean, equals a pass from the mean bit for bit, and NumPy's
    weighted variance within rounding."""
    from fastseg.passes import MemoryPasses

    samples = (rng.random((2 * CHUNK_SIZE + 99, 3)) * 250 + 3).astype(dtype)
    weights = rng.integers(1, 9, len(samples)).astype(np.float64) if weighted else None
    one = MemoryPasses(samples, weights, 1)
    sums, weight_sums, _, _ = one.partials(np.zeros((1, 3)))
    second_pass = one.partials(sums / weight_sums[:, None]).inertia
    variance = MemoryPasses(samples, weights, 4).mean_variance()
    assert variance == second_pass / (one.total_weight * 3)
    values = samples.astype(np.float64)
    mean = np.average(values, axis=0, weights=weights)
    expected = np.average(((values - mean) ** 2).sum(axis=1), weights=weights) / 3
    assert variance == pytest.approx(expected, rel=1e-9)
