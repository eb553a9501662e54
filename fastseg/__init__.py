"""fastseg: Numba-accelerated image segmentation (k-means colour clustering, Canny edges).

Importing fastseg compiles nothing: kernels compile on first use (and are cached on disk), or
ahead of time with :func:`fastseg.warmup`.
"""

from . import _config  # noqa: F401  (chooses the threading layer before any kernel runs)
from .kmeans import Criteria, KMeansResult, kmeans

__version__ = "0.1.0"

__all__ = ["Criteria", "KMeansResult", "__version__", "kmeans"]
