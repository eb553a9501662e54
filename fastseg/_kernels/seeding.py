"""Seeding kernels: the steps of greedy k-means++ over a set of float64 rows, driven by
:func:`fastseg.clustering.kmeans_plusplus`: :func:`start` (the first center),
:func:`first_distances`, then per center :func:`draw_candidates`, :func:`score_candidates` (the
pass over the rows, split among threads) and :func:`choose`.

Draws follow one rule, that of ``numpy.searchsorted(numpy.cumsum(p), u * total, side="right")``:
the row drawn by ``u`` in [0, 1) is the first whose cumulative share ``p[0] + ... + p[i]``
(added in row order) exceeds ``u`` times the total; a row that adds nothing is never drawn.
"""

import numpy as np

from .._config import kernel

#: Rows per chunk of a seeding pass: fixed, so that sums are the same for any number of threads.
SEED_CHUNK = 2048
#: Below this many row-feature-candidate products per center (a few milliseconds of work), the
#: seeding's passes run on one thread: handing each center's pass to Python threads costs about
#: 0.3 ms (waking a thread, passing the GIL), which small passes do not repay.
SERIAL_WORK = 1 << 22


@kernel
def draw_row(cumulative, u):
    """Index of the first entry of `cumulative` (non-decreasing, last entry > 0) that exceeds
    ``u * cumulative[-1]``; if rounding puts the target at the very end, the last row that
    adds to the cumulative sum."""
    n = cumulative.shape[0]
    target = u * cumulative[n - 1]
    low, high = 0, n  # the answer is in [low, high]
    while low < high:
        middle = (low + high) >> 1
        if cumulative[middle] > target:
            high = middle
        else:
            low = middle + 1
    if low < n:
        return low
    for i in range(n - 1, 0, -1):
        if cumulative[i] > cumulative[i - 1]:
            return i
    return 0


@kernel
def _cumulate(shares, cumulative):
    """cumulative[i] = shares[0] + ... + shares[i], added in order; returns the total."""
    total = 0.0
    for i in range(shares.shape[0]):
        total += shares[i]
        cumulative[i] = total
    return total


@kernel
def _squared_distances_to(columns, start, stop, row, out):
    """out[i - start] = squared distance of row i (start <= i < stop) of the (d, n)
    feature-major `columns` to `row`."""
    m = stop - start
    out[:m] = 0.0
    for f in range(columns.shape[0]):
        feature = columns[f, start:stop]
        coordinate = row[f]
        for i in range(m):
            diff = feature[i] - coordinate
            out[i] += diff * diff


@kernel
def _capped_weighted_sum(weights, closest, distances):
    """sum over i of weights[i] * min(closest[i], distances[i]), in four interleaved sums
    (a fixed order: the same bits on any machine) added together at the end."""
    m = weights.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    quads = m - (m & 3)
    for i in range(0, quads, 4):
        s0 += weights[i] * min(closest[i], distances[i])
        s1 += weights[i + 1] * min(closest[i + 1], distances[i + 1])
        s2 += weights[i + 2] * min(closest[i + 2], distances[i + 2])
        s3 += weights[i + 3] * min(closest[i + 3], distances[i + 3])
    for i in range(quads, m):
        s0 += weights[i] * min(closest[i], distances[i])
    return (s0 + s1) + (s2 + s3)


@kernel
def _capped_weighted_sum_3(x0, x1, x2, row, weights, closest):
    """:func:`_capped_weighted_sum` of the squared distances of the three-feature rows
    (x0[i], x1[i], x2[i]) to `row`, in one pass and the same order."""
    c0, c1, c2 = row[0], row[1], row[2]
    m = weights.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    quads = m - (m & 3)
    for i in range(0, quads, 4):
        a0, b0, e0 = x0[i] - c0, x1[i] - c1, x2[i] - c2
        a1, b1, e1 = x0[i + 1] - c0, x1[i + 1] - c1, x2[i + 1] - c2
        a2, b2, e2 = x0[i + 2] - c0, x1[i + 2] - c1, x2[i + 2] - c2
        a3, b3, e3 = x0[i + 3] - c0, x1[i + 3] - c1, x2[i + 3] - c2
        s0 += weights[i] * min(closest[i], a0 * a0 + b0 * b0 + e0 * e0)
        s1 += weights[i + 1] * min(closest[i + 1], a1 * a1 + b1 * b1 + e1 * e1)
        s2 += weights[i + 2] * min(closest[i + 2], a2 * a2 + b2 * b2 + e2 * e2)
        s3 += weights[i + 3] * min(closest[i + 3], a3 * a3 + b3 * b3 + e3 * e3)
    for i in range(quads, m):
        a, b, e = x0[i] - c0, x1[i] - c1, x2[i] - c2
        s0 += weights[i] * min(closest[i], a * a + b * b + e * e)
    return (s0 + s1) + (s2 + s3)


@kernel
def _draw_in_chunks(columns, weights, closest, center, chunk_totals, u):
    """The row drawn by `u` in proportion to ``weights[i] * min(closest[i], |row i - center|^2)``
    (its share), whose per-chunk totals are `chunk_totals`: the chunk is found from the totals
    added in chunk order, then the row from the shares of that chunk added in row order (the
    last row of the chunk with a share, if rounding leaves the target beyond them)."""
    d, n = columns.shape
    total = 0.0
    for chunk in range(chunk_totals.shape[0]):
        total += chunk_totals[chunk]
    target = u * total
    before = 0.0
    chunk = 0
    for chunk in range(chunk_totals.shape[0]):
        if before + chunk_totals[chunk] > target:
            break
        before += chunk_totals[chunk]
    target -= before
    start = chunk * SEED_CHUNK
    stop = min(n, start + SEED_CHUNK)
    running = 0.0
    last = start
    for i in range(start, stop):
        distance = 0.0
        for f in range(d):
            diff = columns[f, i] - center[f]
            distance += diff * diff
        share = weights[i] * min(closest[i], distance)
        if share > 0.0:
            last = i
        running += share
        if running > target:
            return i
    return last


@kernel
def start(columns, weights, draws, chosen, cumulative, center):
    """The first center: chosen[0] drawn by weight with draws[0]; its row into `center`."""
    _cumulate(weights, cumulative)
    chosen[0] = draw_row(cumulative, draws[0])
    for f in range(columns.shape[0]):
        center[f] = columns[f, chosen[0]]


@kernel
def draw_candidates(columns, weights, draws, closest, cumulative, center, chunk_totals, out):
    """The candidates for the next center, drawn with `draws` (see the module's rules)."""
    any_share = False
    for chunk in range(chunk_totals.shape[0]):
        any_share |= chunk_totals[chunk] > 0.0
    if not any_share:  # every row sits on a center: any row will do
        _cumulate(weights, cumulative)
    for t in range(out.shape[0]):
        if any_share:
            out[t] = _draw_in_chunks(columns, weights, closest, center, chunk_totals, draws[t])
        else:
            out[t] = draw_row(cumulative, draws[t])


@kernel
def choose(columns, candidates, trial_sums, chunk_totals, center):
    """The best candidate (the first of equal ones, as numpy.argmin), by its sum of shares added
    in chunk order; its row into `center` and its per-chunk sums into `chunk_totals`."""
    n_chunks, trials = trial_sums.shape
    best, best_total = 0, np.inf
    for t in range(trials):
        total = 0.0
        for chunk in range(n_chunks):
            total += trial_sums[chunk, t]
        if total < best_total:
            best, best_total = t, total
    for f in range(columns.shape[0]):
        center[f] = columns[f, candidates[best]]
    for chunk in range(n_chunks):  # a loop: an array assignment compiles its error path
        chunk_totals[chunk] = trial_sums[chunk, best]
    return candidates[best]


@kernel
def first_distances(columns, weights, center, closest, chunk_totals, first_chunk, chunk_step):
    """For the rows of the chunks first_chunk, first_chunk + chunk_step, ...: their squared
    distance to `center` into `closest`, and the sum of their shares into chunk_totals[chunk]."""
    for chunk in range(first_chunk, chunk_totals.shape[0], chunk_step):
        start = chunk * SEED_CHUNK
        stop = min(columns.shape[1], start + SEED_CHUNK)
        part = closest[start:stop]
        _squared_distances_to(columns, start, stop, center, part)
        chunk_totals[chunk] = _capped_weighted_sum(weights[start:stop], part, part)


@kernel
def score_candidates(
    columns, weights, closest, center, candidates, trial_sums, first_chunk, chunk_step
):
    """For the rows of the chunks first_chunk, first_chunk + chunk_step, ...: bring `closest`
    up to date with `center` (the last center), and put in trial_sums[chunk, t] the sum of their
    shares if candidates[t] became a center."""
    d, n = columns.shape
    distances = np.empty(SEED_CHUNK)
    candidate = np.empty(d)
    for chunk in range(first_chunk, trial_sums.shape[0], chunk_step):
        start = chunk * SEED_CHUNK
        stop = min(n, start + SEED_CHUNK)
        part_weights = weights[start:stop]
        part_closest = closest[start:stop]
        part_distances = distances[: stop - start]
        _squared_distances_to(columns, start, stop, center, part_distances)
        for i in range(stop - start):
            part_closest[i] = min(part_closest[i], part_distances[i])
        for t in range(candidates.shape[0]):
            for f in range(d):
                candidate[f] = columns[f, candidates[t]]
            if d == 3:  # pixels: one pass, no buffer
                trial_sums[chunk, t] = _capped_weighted_sum_3(
                    columns[0, start:stop], columns[1, start:stop], columns[2, start:stop],
                    candidate, part_weights, part_closest,
                )  # fmt: skip
            else:
                _squared_distances_to(columns, start, stop, candidate, part_distances)
                trial_sums[chunk, t] = _capped_weighted_sum(
                    part_weights, part_closest, part_distances
                )
