"""Silhouette kernel: each sample's summed Euclidean distance to every cluster, chunk by chunk.

Conventions:

* ``samples`` is (n, d) in uint8, uint16, float32 or float64, any memory layout; it is read as it
  is, one value at a time, and every distance is computed in float64 from the differences of the
  coordinates (never through |x|^2 + |y|^2 - 2 x.y, which loses the small distances).
* ``labels`` is (n,) int64 with values in [0, k); ``counts`` is (k,) int64, the size of each
  cluster, every size at least 1.
"""

import numba
import numpy as np

from .._config import parallel_kernel

#: Samples per chunk of the silhouette pass. Every sample of a chunk meets all n samples, so a
#: chunk costs O(n d) per sample: chunks far smaller than ``_config.CHUNK_SIZE`` keep every thread
#: busy, and the chunk's float64 coordinates and (k, SILHOUETTE_CHUNK) sums stay in cache.
SILHOUETTE_CHUNK = 256


@parallel_kernel
def silhouette_partial_sums(samples, labels, counts, partial_sums):
    """Sum of the silhouette coefficients of the samples of each chunk.

    Chunk ``c`` covers samples ``[c * SILHOUETTE_CHUNK, (c + 1) * SILHOUETTE_CHUNK)`` and writes
    only ``partial_sums[c]``. Each sample's distances are added in sample order, whatever the
    number of threads, so the caller gets the same bits from any thread count by reducing the
    partial sums in chunk order.

    For sample i of cluster c: a = (sum of distances to cluster c) / (counts[c] - 1),
    b = min over clusters o != c of (sum of distances to cluster o) / counts[o],
    s = (b - a) / max(a, b); s = 0 when counts[c] == 1 or when a == b == 0, as in scikit-learn.

    Parameters
    ----------
    samples : (n, d) array
    labels : (n,) int64, cluster of each sample in [0, k)
    counts : (k,) int64, number of samples in each cluster, all >= 1
    partial_sums : (n_chunks,) float64, n_chunks = ceil(n / SILHOUETTE_CHUNK), overwritten with
        the sum of the silhouette coefficients of each chunk's samples
    """
    n, d = samples.shape
    k = counts.shape[0]
    for chunk in numba.prange(partial_sums.shape[0]):
        start = chunk * SILHOUETTE_CHUNK
        m = min(n, start + SILHOUETTE_CHUNK) - start
        # The chunk's samples in float64, feature-major: the loops below run over this axis, so
        # they vectorise, and each sample's sums stay in a fixed order (no reduction is reordered).
        rows = np.empty((d, m))
        for f in range(d):
            for t in range(m):
                rows[f, t] = samples[start + t, f]
        # cluster_sums[o, t]: sum of the distances from sample start + t to the samples of o.
        cluster_sums = np.zeros((k, m))
        if d == 3:  # pixels: the same steps with the feature loop unrolled
            rows0, rows1, rows2 = rows[0], rows[1], rows[2]
            for j in range(n):
                y0 = np.float64(samples[j, 0])
                y1 = np.float64(samples[j, 1])
                y2 = np.float64(samples[j, 2])
                sums = cluster_sums[labels[j]]
                for t in range(m):
                    e0 = rows0[t] - y0
                    e1 = rows1[t] - y1
                    e2 = rows2[t] - y2
                    sums[t] += np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
        else:
            squared = np.empty(m)
            for j in range(n):
                squared[:] = 0.0
                for f in range(d):
                    y = np.float64(samples[j, f])
                    for t in range(m):
                        e = rows[f, t] - y
                        squared[t] += e * e
                sums = cluster_sums[labels[j]]
                for t in range(m):
                    sums[t] += np.sqrt(squared[t])
        total = 0.0
        for t in range(m):
            own = labels[start + t]
            if counts[own] == 1:
                continue  # a singleton's coefficient is 0
            a = cluster_sums[own, t] / (counts[own] - 1)
            b = np.inf
            for other in range(k):
                if other != own:
                    b = min(b, cluster_sums[other, t] / counts[other])
            largest = max(a, b)
            if largest > 0.0:  # a == b == 0 (all points equal) gives 0, as scikit-learn's 0/0
                total += (b - a) / largest
        partial_sums[chunk] = total
