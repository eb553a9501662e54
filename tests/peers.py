"""The peers fastseg is compared with, written once for the oracle tests and the benchmarks.

Each k-means peer takes (samples, k, max_iter, attempts, seed) and returns (labels, centers,
compactness), with its own meaning of "max_iter" as documented by the peer; each peer is given
the k-means++ seeding (its "init family").
"""

from __future__ import annotations

import numpy as np

import fastseg


def fastseg_cv2_criteria(samples, k, max_iter, attempts, seed):
    """fastseg with OpenCV's criteria tuple: the same count of passes as cv2.kmeans."""
    result = fastseg.kmeans(samples, k, criteria=(1, max_iter, 0.0), attempts=attempts, seed=seed)
    return result.labels, result.centers, result.compactness


def fastseg_sklearn_criteria(samples, k, max_iter, attempts, seed):
    """fastseg with max_iter center updates and no tolerance, as KMeans(max_iter, tol=0)."""
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    result = fastseg.kmeans(samples, k, criteria=criteria, attempts=attempts, seed=seed)
    return result.labels, result.centers, result.compactness


def cv2_kmeans(samples, k, max_iter, attempts, seed):
    """cv2.kmeans (float32 only: other dtypes are converted, as a cv2 user must)."""
    import cv2

    cv2.setRNGSeed(seed)
    data = np.asarray(samples, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, max_iter, 0.0)
    compactness, labels, centers = cv2.kmeans(
        data, k, None, criteria, attempts, cv2.KMEANS_PP_CENTERS
    )
    return labels[:, 0], centers, compactness


def sklearn_kmeans(samples, k, max_iter, attempts, seed, algorithm="lloyd"):
    from sklearn.cluster import KMeans

    model = KMeans(
        k, init="k-means++", n_init=attempts, max_iter=max_iter, tol=0.0,
        random_state=seed, algorithm=algorithm,
    )  # fmt: skip
    model.fit(samples)
    return model.labels_, model.cluster_centers_, model.inertia_


#: name -> (function, the fastseg variant that does the same work)
KMEANS_PEERS = {
    "cv2.kmeans": (cv2_kmeans, fastseg_cv2_criteria),
    "sklearn.KMeans": (sklearn_kmeans, fastseg_sklearn_criteria),
}
