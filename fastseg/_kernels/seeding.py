"""Greedy k-means++ seeding kernels.

The seeding keeps no per-sample distance array: ``labels[i]`` holds the index of the chosen center
nearest to sample i, and the distance to it is recomputed when needed. One parallel pass per new
center both folds the previous center into ``labels`` and scores every candidate for the next one.

Candidates are drawn by D^2 weighting from per-chunk totals of the previous pass, then located
inside their chunk by :func:`locate_sample`, which repeats the pass's arithmetic in the same order,
so the cumulative sums it walks are exactly the ones the pass added up.
"""

import numba
import numpy as np

from .._config import CHUNK_SIZE, KERNEL, PARALLEL_KERNEL


@numba.njit(inline="always")
def _squared_distance(samples, i, points, j):
    total = 0.0
    for f in range(samples.shape[1]):
        diff = samples[i, f] - points[j, f]
        total += diff * diff
    return total


@numba.njit(inline="always")
def _closest_squared_distance(samples, i, centers, n_chosen, labels, write):
    """Squared distance of sample i to the nearest of the first `n_chosen` centers.

    ``labels[i]`` is nearest among the first ``n_chosen - 1``; the newest center is folded in here
    (and written back when `write`). Ties keep the older center.
    """
    if n_chosen == 0:
        return np.inf
    if n_chosen == 1:
        if write:
            labels[i] = 0
        return _squared_distance(samples, i, centers, 0)
    current = _squared_distance(samples, i, centers, labels[i])
    newest = _squared_distance(samples, i, centers, n_chosen - 1)
    if newest < current:
        if write:
            labels[i] = n_chosen - 1
        return newest
    return current


@numba.njit(**PARALLEL_KERNEL)
def score_candidates(samples, weights, centers, n_chosen, labels, candidates, potentials):
    """One seeding pass: fold the newest center into `labels`, then score each candidate.

    Parameters
    ----------
    samples : (n, d) array
    weights : (n,) or (0,) float64
    centers : (k, d) float64; the first `n_chosen` rows are the centers chosen so far
    n_chosen : int
    labels : (n,) integer, updated as described in the module docstring
    candidates : (t, d) float64
    potentials : (n_chunks, t) float64, overwritten: per chunk, the weighted sum over samples of
        min(squared distance to the nearest chosen center, squared distance to candidate t)
    """
    n = samples.shape[0]
    weighted = weights.shape[0] > 0
    n_candidates = candidates.shape[0]
    for chunk in numba.prange(potentials.shape[0]):
        potentials[chunk, :] = 0.0
        for i in range(chunk * CHUNK_SIZE, min(n, (chunk + 1) * CHUNK_SIZE)):
            closest = _closest_squared_distance(samples, i, centers, n_chosen, labels, True)
            weight = weights[i] if weighted else 1.0
            for t in range(n_candidates):
                distance = min(closest, _squared_distance(samples, i, candidates, t))
                potentials[chunk, t] += weight * distance


@numba.njit(**KERNEL)
def locate_sample(samples, weights, centers, n_chosen, labels, chunk, target):
    """Index of the first sample of `chunk` whose cumulative weighted D^2 exceeds `target`.

    D is the distance to the nearest of the first `n_chosen` centers, computed exactly as
    :func:`score_candidates` does (labels are read, not written). Samples that add nothing (zero
    weight or zero distance) are never returned; if rounding puts `target` past the chunk's total,
    the last sample that adds something is returned, or -1 if there is none.
    """
    n = samples.shape[0]
    weighted = weights.shape[0] > 0
    cumulative = 0.0
    last_positive = -1
    for i in range(chunk * CHUNK_SIZE, min(n, (chunk + 1) * CHUNK_SIZE)):
        closest = _closest_squared_distance(samples, i, centers, n_chosen, labels, False)
        contribution = (weights[i] if weighted else 1.0) * closest
        if contribution > 0.0:
            cumulative += contribution
            last_positive = i
            if cumulative > target:
                return i
    return last_positive
