"""fastseg: Numba-accelerated image segmentation (k-means colour clustering, SLIC superpixels,
Canny edges).

Importing fastseg compiles nothing: kernels compile on first use (and are cached on disk), or
ahead of time with :func:`fastseg.warmup`.
"""

from ._config import get_num_threads, set_num_threads
from .clustering import Criteria, KMeansResult, kmeans
from .edges import auto_canny, canny
from .io import imread, imwrite, sample_image, sample_image_path
from .regions import connected_regions, find_boundaries, mark_boundaries, merge_regions
from .segmentation import Segmentation, segment
from .select_k import Elbow, Silhouette, choose_k, elbow, knee_point, silhouette, silhouette_score
from .superpixels import slic

__version__ = "0.1.0"


def warmup(progress: bool = False, processes: int | None = None) -> float:
    """Compile (or load from the disk cache) the kernels of the public API for common inputs.

    Covers :func:`segment` on 8-bit grey and colour images (distinct-colour and per-pixel paths,
    every colour space), :func:`kmeans` on uint8, uint16, float32 and float64 samples,
    :func:`canny` and :func:`auto_canny` (8- and 16-bit and float images), :func:`slic` (8- and
    16-bit and float images, gray and colour), :func:`elbow`, :func:`choose_k`,
    :func:`silhouette`, :func:`silhouette_score`, :func:`fastseg.skimage.canny`, the
    :mod:`fastseg.opencv` drop-ins, and :func:`fastseg.dask.segment` and :func:`fastseg.dask.canny`
    when Dask is installed. Run it once, for example in a container's build step, so that the
    first real call of each of them in a later process only loads compiled kernels from the cache.

    Parameters
    ----------
    progress : bool, default False
        Show a progress bar (tqdm) on stderr, one step per group of kernels.
    processes : int or None, default None
        How many processes compile at once. Numba compiles one kernel at a time per process, so
        with more than one the groups of kernels are compiled by that many fresh Python processes
        (``sys.executable``), each writing to the shared disk cache. None: the CPUs this process
        may run on, at most 4. 1: everything compiles in this process.

    Returns
    -------
    seconds : float
        The time spent compiling, added up over the processes (more than the time warmup takes
        when processes compile at once; 0 when everything was in the cache already).

    Raises
    ------
    RuntimeError
        If a child process fails (its error output is in the message).
    """
    from . import _warmup

    return _warmup.warmup(progress, processes)


__all__ = [
    "Criteria",
    "Elbow",
    "KMeansResult",
    "Segmentation",
    "Silhouette",
    "__version__",
    "auto_canny",
    "canny",
    "choose_k",
    "connected_regions",
    "elbow",
    "find_boundaries",
    "get_num_threads",
    "imread",
    "imwrite",
    "kmeans",
    "knee_point",
    "mark_boundaries",
    "merge_regions",
    "sample_image",
    "sample_image_path",
    "segment",
    "set_num_threads",
    "silhouette",
    "silhouette_score",
    "slic",
    "warmup",
]
