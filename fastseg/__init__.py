"""fastseg: Numba-accelerated image segmentation (k-means colour clustering, Canny edges).

Importing fastseg compiles nothing: kernels compile on first use (and are cached on disk), or
ahead of time with :func:`fastseg.warmup`.
"""

from . import _config  # noqa: F401  (chooses the threading layer before any kernel runs)
from .edges import auto_canny, canny
from .io import imread, imwrite, sample_image, sample_image_path
from .kmeans import Criteria, KMeansResult, kmeans
from .segment import Segmentation, segment
from .select_k import Elbow, choose_k, elbow, knee_point, silhouette_score

__version__ = "0.1.0"


def warmup() -> None:
    """Compile (or load from the disk cache) the kernels for the common input types.

    Call it once at start-up to keep compilation out of the first real call.
    """
    import numpy as np

    points = np.arange(96, dtype=np.float64).reshape(32, 3) % 7
    for dtype in (np.uint8, np.uint16, np.float32, np.float64):
        kmeans(points.astype(dtype), 3, seed=0, criteria=Criteria(max_iter=2))
        kmeans(np.repeat(points, 12, axis=1).astype(dtype), 3, seed=0, criteria=Criteria(2))
    gray = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    for image in (gray, np.dstack([gray] * 3)):
        for l2_gradient in (False, True):
            canny(image, 50, 150, l2_gradient=l2_gradient)


__all__ = [
    "Criteria",
    "Elbow",
    "KMeansResult",
    "Segmentation",
    "__version__",
    "auto_canny",
    "canny",
    "choose_k",
    "elbow",
    "imread",
    "imwrite",
    "kmeans",
    "knee_point",
    "sample_image",
    "sample_image_path",
    "segment",
    "silhouette_score",
    "warmup",
]
