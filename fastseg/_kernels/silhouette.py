"""Silhouette kernels: each sample's weighted sum of Euclidean distances to every cluster.

Conventions:

* ``samples`` is (n, d) in uint8, uint16, float32 or float64, any memory layout; it is read as it
  is, one value at a time, and every distance is computed in float64 from the differences of the
  coordinates (not through |x|^2 + |y|^2 - 2 x.y, which loses the small distances of coordinates
  far from zero; wide samples take that way in :mod:`fastseg.select_k`, after centring them,
  with :func:`distances_from_products`).
* ``scale`` is a power of two that every coordinate is multiplied by before the differences are
  taken. The silhouette does not depend on the scale of the data, and multiplying by a power of
  two is exact, so a scale that brings the largest coordinate near 1 changes nothing but keeps the
  squares of values up to the largest float from overflowing (and of tiny values from vanishing).
* ``weights`` is (n,) float64, the number of copies of each sample: positive integers. A sample
  of weight w scores as w equal samples would.
* ``labels`` is (n,) int64 with values in [0, k); ``cluster_weights`` is (k,) float64, the total
  weight of each cluster, every total at least 1.
"""

import numba
import numpy as np

from .._config import kernel

#: Samples per chunk of the silhouette pass. Every sample of a chunk meets all n samples, so a
#: chunk costs O(n d) per sample: chunks far smaller than ``_config.CHUNK_SIZE`` keep every thread
#: busy. The chunk's coefficients are added in sample order into one partial sum.
SILHOUETTE_CHUNK = 256

#: Most float64 values a chunk holds at once, in its copy of the coordinates (d per sample) and in
#: its per-cluster sums (k per sample): a chunk is worked through in blocks of at most
#: ``BLOCK_VALUES // (d + k)`` samples (at least 1), so the memory of a pass does not grow with
#: d or k beyond one sample's row. The blocks change no result: each sample's sums are made
#: in the same order whatever the block size.
BLOCK_VALUES = 1 << 18


@numba.njit(inline="always")
def _coefficient(sums, own, cluster_weights):
    """The silhouette coefficient of a sample of cluster `own` (of weight above 1) from its
    weighted sums of distances to each cluster, `sums` (k,): a = sums[own] / (W_own - 1),
    b = min over o != own of sums[o] / W_o, s = (b - a) / max(a, b), and 0 when a == b == 0
    (all points equal), as scikit-learn's 0 / 0."""
    a = sums[own] / (cluster_weights[own] - 1.0)
    b = np.inf
    for other in range(sums.shape[0]):
        if other != own:
            b = min(b, sums[other] / cluster_weights[other])
    largest = max(a, b)
    return (b - a) / largest if largest > 0.0 else 0.0


@kernel
def largest_magnitude(samples):
    """The largest absolute value of the finite (n, d) array `samples`, as float64."""
    largest = 0.0
    for i in range(samples.shape[0]):
        for f in range(samples.shape[1]):
            largest = max(largest, abs(np.float64(samples[i, f])))
    return largest


@kernel
def silhouette_partial_sums(
    samples, weights, labels, cluster_weights, scale, partial_sums, first_chunk, chunk_step
):
    """Weighted sum of the silhouette coefficients of the samples of each chunk, for the chunks
    first_chunk, first_chunk + chunk_step, ...

    Chunk ``c`` covers samples ``[c * SILHOUETTE_CHUNK, (c + 1) * SILHOUETTE_CHUNK)`` and writes
    only ``partial_sums[c]``. Each sample's distances are added in sample order, whatever the
    number of threads, so the caller gets the same bits from any thread count by reducing the
    partial sums in chunk order.

    For sample i of cluster c, with S_o the weighted sum of the distances from i to the samples of
    cluster o and W_o the total weight of o: a = S_c / (W_c - 1), b = min over o != c of
    S_o / W_o, s = (b - a) / max(a, b); s = 0 when W_c == 1 (a cluster of one sample) or when
    a == b == 0, as in scikit-learn. The chunk's sum is that of weights[i] * s.

    Parameters
    ----------
    samples : (n, d) array
    weights : (n,) float64, positive integers: the copies of each sample
    labels : (n,) int64, cluster of each sample in [0, k)
    cluster_weights : (k,) float64, total weight of each cluster, all >= 1
    scale : float64, a power of two applied to every coordinate
    partial_sums : (n_chunks,) float64, n_chunks = ceil(n / SILHOUETTE_CHUNK), overwritten with
        the weighted sum of the silhouette coefficients of each chunk's samples
    first_chunk, chunk_step : int, the chunks of this call
    """
    n, d = samples.shape
    k = cluster_weights.shape[0]
    block = min(SILHOUETTE_CHUNK, max(1, BLOCK_VALUES // (d + k)))
    for chunk in range(first_chunk, partial_sums.shape[0], chunk_step):
        chunk_start = chunk * SILHOUETTE_CHUNK
        chunk_stop = min(n, chunk_start + SILHOUETTE_CHUNK)
        # The block's samples in float64, feature-major: the loops below run over this axis, so
        # they vectorise, and each sample's sums stay in a fixed order (no reduction is reordered).
        rows = np.empty((d, block))
        # cluster_sums[o, t]: weighted sum of the distances from sample start + t to cluster o.
        cluster_sums = np.empty((k, block))
        squared = np.empty(block)
        total = 0.0
        for start in range(chunk_start, chunk_stop, block):
            m = min(chunk_stop, start + block) - start
            for f in range(d):
                for t in range(m):
                    rows[f, t] = np.float64(samples[start + t, f]) * scale
            for j in range(cluster_sums.shape[0]):  # loops, not slice assignments
                for t in range(m):
                    cluster_sums[j, t] = 0.0
            if d == 3:  # pixels: the same steps with the feature loop unrolled
                rows0, rows1, rows2 = rows[0], rows[1], rows[2]
                for j in range(n):
                    y0 = np.float64(samples[j, 0]) * scale
                    y1 = np.float64(samples[j, 1]) * scale
                    y2 = np.float64(samples[j, 2]) * scale
                    weight = weights[j]
                    sums = cluster_sums[labels[j]]
                    for t in range(m):
                        e0 = rows0[t] - y0
                        e1 = rows1[t] - y1
                        e2 = rows2[t] - y2
                        sums[t] += weight * np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
            else:
                for j in range(n):
                    for t in range(m):
                        squared[t] = 0.0
                    for f in range(d):
                        y = np.float64(samples[j, f]) * scale
                        for t in range(m):
                            e = rows[f, t] - y
                            squared[t] += e * e
                    weight = weights[j]
                    sums = cluster_sums[labels[j]]
                    for t in range(m):
                        sums[t] += weight * np.sqrt(squared[t])
            for t in range(m):
                own = labels[start + t]
                if cluster_weights[own] > 1.0:  # a sample alone in its cluster scores 0
                    s = _coefficient(cluster_sums[:, t], own, cluster_weights)
                    total += weights[start + t] * s
        partial_sums[chunk] = total


@kernel
def distances_from_products(products, row_norms, column_norms):
    """products[i, j] = sqrt(max(row_norms[i] + column_norms[j] - 2 products[i, j], 0)), in place:
    the Euclidean distances of two sets of samples from their products x.y and squared norms
    (a rounding error can make the bracket slightly negative; the distance is then 0).

    Parameters
    ----------
    products : (m, p) float64, C-contiguous, x_i.y_j; overwritten with the distances
    row_norms : (m,) float64, |x_i|^2
    column_norms : (p,) float64, |y_j|^2
    """
    for i in range(products.shape[0]):
        row = products[i]
        row_norm = row_norms[i]
        for j in range(row.shape[0]):
            row[j] = np.sqrt(max(row_norm + column_norms[j] - 2.0 * row[j], 0.0))


@kernel
def silhouette_coefficients(cluster_sums, codes, cluster_weights, coefficients):
    """coefficients[i] = the silhouette coefficient of sample i (0 alone in its cluster), by the
    rule of :func:`silhouette_partial_sums`, from its weighted sums of distances to each cluster.

    Parameters
    ----------
    cluster_sums : (n, k) float64, C-contiguous
    codes : (n,) int64, cluster of each sample in [0, k)
    cluster_weights : (k,) float64, total weight of each cluster, all >= 1
    coefficients : (n,) float64, overwritten
    """
    for i in range(codes.shape[0]):
        own = codes[i]
        coefficients[i] = 0.0
        if cluster_weights[own] > 1.0:
            coefficients[i] = _coefficient(cluster_sums[i], own, cluster_weights)
