"""Seeding kernels: the steps of greedy k-means++ over a set of float64 rows, driven by
:func:`fastseg.clustering.kmeans_plusplus`: per center :func:`draw_candidates`,
:func:`score_candidates` (the pass over the rows, split among threads) and :func:`choose`; the
first center is drawn by weight (no row has a share yet) and scored as the only candidate from
rows at infinite distance.

``closest`` holds each row's squared distance to its nearest chosen center, kept up to date by
:func:`choose` from the distances to the candidates that the pass computed, so that each center
costs one read of the rows.

Draws follow one rule, that of ``numpy.searchsorted(numpy.cumsum(p), u * total, side="right")``:
the row drawn by ``u`` in [0, 1) is the first whose cumulative share ``p[0] + ... + p[i]``
(added in row order) exceeds ``u`` times the total; a row that adds nothing is never drawn.
"""

import numba
import numpy as np

from .._config import kernel

#: Rows per chunk of a seeding pass: fixed, so that sums are the same for any number of threads.
SEED_CHUNK = 2048
#: Below this many row-feature-candidate products per center (a few milliseconds of work), the
#: seeding's passes run on one thread: handing each center's pass to Python threads costs about
#: 0.3 ms (waking a thread, passing the GIL), which small passes do not repay.
SERIAL_WORK = 1 << 22


@numba.njit(inline="always")  # compiled inside its callers: no kernel of its own
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


@numba.njit(inline="always")  # compiled inside its callers: no kernel of its own
def _cumulate(shares, cumulative):
    """cumulative[i] = shares[0] + ... + shares[i], added in order; returns the total."""
    total = 0.0
    for i in range(shares.shape[0]):
        total += shares[i]
        cumulative[i] = total
    return total


@kernel(opt=1)
def squared_distances_to(columns, start, stop, targets, out):
    """out[t, i - start] = squared distance of row i (start <= i < stop) of the (d, n)
    feature-major `columns` to targets[t], each row's features added in order; `out` is a
    C-contiguous (n_targets, >= stop - start) buffer.

    One read of the rows serves every target: each feature's slice of rows is taken from memory
    once and stays in cache while it is compared with each target's coordinate.
    """
    m = stop - start
    n_targets = targets.shape[0]
    for t in range(n_targets):
        for i in range(m):  # loops, not slice assignments (see _kernels)
            out[t, i] = 0.0
    for f in range(columns.shape[0]):
        feature = columns[f, start:stop]
        for t in range(n_targets):
            coordinate = targets[t, f]
            total = out[t]
            for i in range(m):
                diff = feature[i] - coordinate
                total[i] += diff * diff


@numba.njit(inline="always")  # compiled inside its callers: no kernel of its own
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


@numba.njit(inline="always")  # compiled inside its callers: no kernel of its own
def _draw_in_chunks(weights, closest, chunk_totals, u):
    """The row drawn by `u` in proportion to ``weights[i] * closest[i]`` (its share), whose
    per-chunk totals are `chunk_totals`: the chunk is found from the totals added in chunk
    order, then the row from the shares of that chunk added in row order (the last row of the
    chunk with a share, if rounding leaves the target beyond them)."""
    n = weights.shape[0]
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
        share = weights[i] * closest[i]
        if share > 0.0:
            last = i
        running += share
        if running > target:
            return i
    return last


@kernel(opt=1)
def draw_candidates(weights, draws, closest, cumulative, chunk_totals, out):
    """The candidates for the next center, drawn with `draws` (see the module's rules)."""
    any_share = False
    for chunk in range(chunk_totals.shape[0]):
        any_share |= chunk_totals[chunk] > 0.0
    if not any_share:  # every row sits on a center: any row will do
        _cumulate(weights, cumulative)
    for t in range(out.shape[0]):
        if any_share:
            out[t] = _draw_in_chunks(weights, closest, chunk_totals, draws[t])
        else:
            out[t] = draw_row(cumulative, draws[t])


@kernel(opt=1)
def choose(candidates, trial_sums, trial_distances, chunk_totals, closest):
    """The best candidate (the first of equal ones, as numpy.argmin), by its sum of shares added
    in chunk order. When `trial_distances` kept the distances of every candidate
    (trial_distances[chunk, t, i] is that of row chunk * SEED_CHUNK + i), its per-chunk sums go
    into `chunk_totals` and `closest` is brought down to its distances; else both are left for
    a pass of the chosen candidate alone, chosen again from that pass."""
    n_chunks, trials = trial_sums.shape
    best, best_total = 0, np.inf
    for t in range(trials):
        total = 0.0
        for chunk in range(n_chunks):
            total += trial_sums[chunk, t]
        if total < best_total:
            best, best_total = t, total
    if trial_distances.shape[1] < trials:
        return candidates[best]
    for chunk in range(n_chunks):  # a loop: an array assignment compiles its error path
        chunk_totals[chunk] = trial_sums[chunk, best]
    n = closest.shape[0]
    for chunk in range(n_chunks):
        start = chunk * SEED_CHUNK
        distances = trial_distances[chunk, best]
        for i in range(min(n - start, SEED_CHUNK)):
            closest[start + i] = min(closest[start + i], distances[i])
    return candidates[best]


@kernel(opt=1)
def score_candidates(
    columns, weights, closest, targets, trial_distances, trial_sums, scratch, first_chunk,
    chunk_step,
):  # fmt: skip
    """For the rows of the chunks first_chunk, first_chunk + chunk_step, ...: into
    trial_sums[chunk, t] the sum of their shares if the row targets[t] (a candidate, (trials,
    d) float64) became a center, and their squared distances to each candidate into
    trial_distances[chunk, t] when it has room for them (C-contiguous, (n_chunks, trials,
    SEED_CHUNK)); else (a second axis shorter than the candidates) the distances are not kept,
    and go through row first_chunk of `scratch`, (chunk_step, trials, SEED_CHUNK) float64."""
    n = columns.shape[1]
    trials = targets.shape[0]
    keep = trial_distances.shape[1] >= trials
    for chunk in range(first_chunk, trial_sums.shape[0], chunk_step):
        start = chunk * SEED_CHUNK
        stop = min(n, start + SEED_CHUNK)
        distances = trial_distances[chunk] if keep else scratch[first_chunk]
        squared_distances_to(columns, start, stop, targets, distances)
        for t in range(trials):
            trial_sums[chunk, t] = _capped_weighted_sum(
                weights[start:stop], closest[start:stop], distances[t, : stop - start]
            )
