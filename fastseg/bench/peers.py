"""The methods fastseg is timed and tested against, and how each is called.

The peers are ``cv2.kmeans``, scikit-learn's ``KMeans`` with the Lloyd and Elkan algorithms,
``faiss.Kmeans``, ``cv2.Canny``, ``skimage.feature.canny`` and scikit-learn's silhouette score;
each is paired with the fastseg method that does the same work. scikit-learn, faiss and
scikit-image are optional: they are imported inside the calls, so that this registry can be
imported (and its peers listed) without them; :func:`importable` tells whether one can run here.

Same work for everyone: every k-means method is given the same k, the same number of center
updates (``max_iter``), the same number of attempts and, where the peer has it, k-means++ seeding.
faiss has only random seeding: it is paired with fastseg seeded at random rows.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

import fastseg

__all__ = [
    "CANNY_METHODS",
    "ELBOW_METHODS",
    "KMEANS_METHODS",
    "METHODS",
    "REGIONS_METHODS",
    "SILHOUETTE_METHODS",
    "SLIC_METHODS",
    "SMOOTH_CANNY_METHODS",
    "Method",
    "importable",
    "missing_modules",
]


# -- k-means methods: (samples, k, max_iter, attempts, seed) -> (labels, centers, compactness) ----
# max_iter is the number of center updates for every method; each stops earlier only when its
# own convergence test says the centers are a fixed point.


def fastseg_kmeans(samples, k, max_iter, attempts, seed, init="k-means++"):
    """fastseg.kmeans, k-means++ seeding, `max_iter` center updates, no tolerance."""
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    result = fastseg.kmeans(samples, k, criteria=criteria, attempts=attempts, init=init, seed=seed)
    return result.labels, result.centers, result.compactness


def fastseg_kmeans_random(samples, k, max_iter, attempts, seed):
    """fastseg.kmeans seeded with k rows drawn at random, as faiss seeds."""
    return fastseg_kmeans(samples, k, max_iter, attempts, seed, init="random")


def fastseg_segment(image, k, max_iter, attempts, seed):
    """fastseg.segment on the distinct-colour path (8-bit RGB), the same criteria."""
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    result = fastseg.segment(
        image, k, criteria=criteria, attempts=attempts, seed=seed, method="distinct"
    )
    return result.labels, result.centers, result.compactness


def cv2_kmeans(samples, k, max_iter, attempts, seed):
    """cv2.kmeans with k-means++ seeding (float32 only: other dtypes are converted, as a cv2
    user must). OpenCV's count includes the first assignment: count = max_iter + 1."""
    cv2.setRNGSeed(seed)
    data = np.asarray(samples, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, max_iter + 1, 0.0)
    compactness, labels, centers = cv2.kmeans(
        data, k, None, criteria, attempts, cv2.KMEANS_PP_CENTERS
    )
    return labels[:, 0], centers, compactness


def sklearn_kmeans(samples, k, max_iter, attempts, seed, algorithm="lloyd"):
    """scikit-learn's KMeans, k-means++ seeding, tol=0 (stops only at a fixed point)."""
    from sklearn.cluster import KMeans

    model = KMeans(
        k, init="k-means++", n_init=attempts, max_iter=max_iter, tol=0.0,
        random_state=seed, algorithm=algorithm,
    )  # fmt: skip
    model.fit(samples)
    return model.labels_, model.cluster_centers_, model.inertia_


def sklearn_kmeans_elkan(samples, k, max_iter, attempts, seed):
    return sklearn_kmeans(samples, k, max_iter, attempts, seed, algorithm="elkan")


def faiss_kmeans(samples, k, max_iter, attempts, seed, max_points_per_centroid=256):
    """faiss.Kmeans (random seeding, its only one), then every sample labelled by the index.

    faiss trains on at most `max_points_per_centroid` * k samples drawn at random; None trains
    on all of them.
    """
    import faiss

    data = np.ascontiguousarray(samples, dtype=np.float32)
    if max_points_per_centroid is None:
        max_points_per_centroid = -(-len(data) // k) + 1
    model = faiss.Kmeans(
        data.shape[1], k, niter=max_iter, nredo=attempts, seed=seed + 1,
        max_points_per_centroid=max_points_per_centroid, verbose=False,
    )  # fmt: skip
    model.train(data)
    distances, labels = model.index.search(data, 1)
    return labels[:, 0], model.centroids, float(distances.sum(dtype=np.float64))


def faiss_kmeans_all_points(samples, k, max_iter, attempts, seed):
    return faiss_kmeans(samples, k, max_iter, attempts, seed, max_points_per_centroid=None)


@dataclass(frozen=True)
class Method:
    """One implementation of a benchmarked operation.

    Attributes
    ----------
    function : callable
        The call that is timed.
    requires : str or None
        Module that must be importable for the method to run (None: fastseg's own dependencies).
    twin : str or None
        For a peer, the fastseg method that does the same work (the time ratio is taken to it);
        None for fastseg's own methods.
    takes_image : bool
        The function takes the (H, W, 3) image; otherwise the (n, d) samples.
    note : str
        What a reader of the table should know about the method.
    slow : bool
        Seconds per call on inputs where fastseg takes a fraction of one: timed fewer times.
    """

    function: Callable
    requires: str | None = None
    twin: str | None = None
    takes_image: bool = False
    note: str = ""
    slow: bool = False

    @property
    def is_fastseg(self) -> bool:
        return self.twin is None


KMEANS_METHODS = {
    "fastseg": Method(fastseg_kmeans, note="per-pixel path, k-means++"),
    "fastseg.segment": Method(
        fastseg_segment, takes_image=True, note="distinct-colour path, k-means++"
    ),
    "fastseg random init": Method(fastseg_kmeans_random, note="per-pixel path, random seeding"),
    "cv2.kmeans": Method(cv2_kmeans, twin="fastseg", note="k-means++"),
    "sklearn.KMeans": Method(
        sklearn_kmeans, "sklearn", "fastseg", note="algorithm='lloyd', k-means++", slow=True
    ),
    "sklearn.KMeans elkan": Method(
        sklearn_kmeans_elkan, "sklearn", "fastseg", note="algorithm='elkan', k-means++", slow=True
    ),
    "faiss.Kmeans": Method(
        faiss_kmeans,
        "faiss",
        "fastseg random init",
        note="random seeding; trains on at most 256 samples per centroid",
    ),
    "faiss.Kmeans all points": Method(
        faiss_kmeans_all_points,
        "faiss",
        "fastseg random init",
        note="random seeding; sampling off (trains on every sample)",
        slow=True,
    ),
}


# -- Canny: (image, low, high, aperture_size, l2_gradient) -> edges ------------------------------


def fastseg_canny(image, low, high, aperture_size, l2_gradient):
    return fastseg.canny(image, low, high, aperture_size=aperture_size, l2_gradient=l2_gradient)


def cv2_canny(image, low, high, aperture_size, l2_gradient):
    return cv2.Canny(image, low, high, apertureSize=aperture_size, L2gradient=l2_gradient)


def skimage_canny(image, low, high, aperture_size, l2_gradient):
    """skimage.feature.canny: Gaussian smoothing (sigma 1) first, always the L2 magnitude, its
    own Sobel scale and no aperture choice: a peer for time only."""
    import skimage.feature

    return skimage.feature.canny(image, sigma=1.0, low_threshold=low, high_threshold=high)


CANNY_METHODS = {
    "fastseg": Method(fastseg_canny, note="identical to cv2.Canny"),
    "cv2.Canny": Method(cv2_canny, twin="fastseg"),
    "skimage.feature.canny": Method(
        skimage_canny,
        "skimage",
        "fastseg",
        note="time only: Gaussian sigma=1 first, L2 always, aperture 3 only",
        slow=True,
    ),
}


# -- Canny by scikit-image's rules: (image, sigma) -> boolean edges -------------------------------


def fastseg_skimage_canny(image, sigma):
    import fastseg.skimage

    return fastseg.skimage.canny(image, sigma)


def skimage_feature_canny(image, sigma):
    import skimage.feature

    return skimage.feature.canny(image, sigma)


SMOOTH_CANNY_METHODS = {
    "fastseg.skimage.canny": Method(fastseg_skimage_canny, note="identical to skimage's"),
    "skimage.feature.canny": Method(
        skimage_feature_canny, "skimage", "fastseg.skimage.canny", slow=True
    ),
}


# -- SLIC superpixels: (image, n_segments, max_num_iter) -> labels -------------------------------


def fastseg_slic(image, n_segments, max_num_iter):
    return fastseg.slic(image, n_segments, max_num_iter=max_num_iter)


def skimage_slic(image, n_segments, max_num_iter):
    import skimage.segmentation

    return skimage.segmentation.slic(image, n_segments, max_num_iter=max_num_iter)


def cv2_ximgproc_slic(image, n_segments, max_num_iter):
    """OpenCV contrib's SLIC (opencv-contrib-python) with the region size that gives about
    `n_segments` segments, in Lab, compactness 10: a peer for time only (its own algorithm)."""
    height, width = image.shape[:2]
    size = max(1, round((height * width / n_segments) ** 0.5))
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    slic = cv2.ximgproc.createSuperpixelSLIC(lab, cv2.ximgproc.SLIC, size, 10.0)
    slic.iterate(max_num_iter)
    slic.enforceLabelConnectivity()
    return slic.getLabels()


SLIC_METHODS = {
    "fastseg.slic": Method(fastseg_slic, note="identical to skimage's"),
    "skimage.segmentation.slic": Method(skimage_slic, "skimage", "fastseg.slic", slow=True),
}
if hasattr(cv2, "ximgproc"):  # only in OpenCV's contrib wheels
    SLIC_METHODS["cv2.ximgproc SLIC"] = Method(
        cv2_ximgproc_slic, twin="fastseg.slic", note="time only: its own algorithm"
    )


# -- regions: (photo with its cluster labels as a 4th channel, min_size) -> region labels -------


def fastseg_regions(data, min_size):
    return fastseg.connected_regions(data[:, :, 3], data[:, :, :3], min_size=min_size)


def skimage_regions(data, min_size):
    """skimage.measure.label, then remove_small_objects: small regions become 0 (background),
    where fastseg merges them into a neighbour."""
    import skimage.measure
    import skimage.morphology

    regions = skimage.measure.label(data[:, :, 3].astype(np.int32) + 1, connectivity=1)
    return skimage.morphology.remove_small_objects(regions, max_size=min_size - 1)


REGIONS_METHODS = {
    "fastseg.connected_regions": Method(
        fastseg_regions, note="regions below min_size merged into their nearest-colour neighbour"
    ),
    "skimage label + remove_small_objects": Method(
        skimage_regions,
        "skimage",
        "fastseg.connected_regions",
        note="regions below min_size removed (set to 0), not merged",
    ),
}


# -- elbow sweep: (image, ks, max_iter, attempts, seed) -> WCSS for each k -----------------------


def fastseg_elbow(image, ks, max_iter, attempts, seed):
    criteria = fastseg.Criteria(max_iter=max_iter, tol=None)
    return fastseg.elbow(image, ks, criteria=criteria, attempts=attempts, seed=seed).wcss


def _sweep(function):
    """An elbow sweep made of one k-means call of `function` on all the pixels for each k."""

    def sweep(image, ks, max_iter, attempts, seed):
        pixels = image.reshape(-1, 3)
        return np.array([function(pixels, k, max_iter, attempts, seed)[2] for k in ks])

    return sweep


ELBOW_METHODS = {
    "fastseg.elbow": Method(fastseg_elbow, takes_image=True, note="distinct colours, once"),
    "cv2.kmeans": Method(_sweep(cv2_kmeans), twin="fastseg.elbow", takes_image=True),
    "sklearn.KMeans": Method(_sweep(sklearn_kmeans), "sklearn", "fastseg.elbow", True),
    "faiss.Kmeans": Method(
        _sweep(faiss_kmeans),
        "faiss",
        "fastseg.elbow",
        True,
        note="random seeding; at most 256 samples per centroid",
    ),
}


# -- silhouette: (samples, labels) -> score ------------------------------------------------------


def fastseg_silhouette(samples, labels):
    return fastseg.silhouette_score(samples, labels)


def sklearn_silhouette(samples, labels):
    from sklearn.metrics import silhouette_score

    return silhouette_score(samples, labels)


SILHOUETTE_METHODS = {
    "fastseg": Method(fastseg_silhouette, note="exact, float64 distances"),
    "sklearn.metrics": Method(sklearn_silhouette, "sklearn", "fastseg"),
}

#: The registries by kind of operation, as named by :class:`fastseg.bench.Case`.
METHODS = {
    "kmeans": KMEANS_METHODS,
    "canny": CANNY_METHODS,
    "smooth_canny": SMOOTH_CANNY_METHODS,
    "slic": SLIC_METHODS,
    "regions": REGIONS_METHODS,
    "elbow": ELBOW_METHODS,
    "silhouette": SILHOUETTE_METHODS,
}


@functools.cache
def importable(module: str | None) -> bool:
    """Whether `module` (a method's `requires`) can be imported here; None always can."""
    return module is None or importlib.util.find_spec(module) is not None


def missing_modules() -> list[str]:
    """The optional peer modules that cannot be imported here."""
    wanted = {m.requires for methods in METHODS.values() for m in methods.values()}
    return sorted(module for module in wanted - {None} if not importable(module))
