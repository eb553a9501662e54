"""The peers fastseg is compared with, written once for the oracle tests and the benchmarks.

The definitions live in :mod:`fastseg.bench`, which the ``fastseg bench`` command and
``scripts/bench_report.py`` time; the oracle tests and the pytest-benchmark suites in
``benchmarks/`` take them from here.

Each k-means peer takes (samples, k, max_iter, attempts, seed) and returns (labels, centers,
compactness). max_iter is the number of center updates for every peer (cv2.kmeans is given
OpenCV's count max_iter + 1, which includes the first assignment); each peer is given k-means++
seeding where it has it (faiss has only random seeding), and is paired with the fastseg call that
does the same work.
"""

from __future__ import annotations

from fastseg.bench import (
    CANNY_METHODS,
    ELBOW_METHODS,
    KMEANS_METHODS,
    SILHOUETTE_METHODS,
    cv2_canny,
    cv2_kmeans,
    faiss_kmeans,
    fastseg_kmeans,
    fastseg_kmeans_random,
    fastseg_segment,
    importable,
    skimage_canny,
    sklearn_kmeans,
)

__all__ = [
    "CANNY_METHODS",
    "CANNY_PEERS",
    "ELBOW_METHODS",
    "KMEANS_METHODS",
    "KMEANS_PEERS",
    "SILHOUETTE_METHODS",
    "cv2_canny",
    "cv2_kmeans",
    "faiss_kmeans",
    "fastseg_kmeans",
    "fastseg_kmeans_random",
    "fastseg_segment",
    "importable",
    "skimage_canny",
    "sklearn_kmeans",
]

#: peer name -> (peer function, the fastseg function that does the same work)
KMEANS_PEERS = {
    name: (method.function, KMEANS_METHODS[method.twin].function)
    for name, method in KMEANS_METHODS.items()
    if method.twin is not None
}

#: Canny peer name -> function (image, low, high, aperture_size, l2_gradient)
CANNY_PEERS = {
    name: method.function for name, method in CANNY_METHODS.items() if method.twin is not None
}
