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


def warmup(progress: bool = False) -> None:
    """Compile (or load from the disk cache) the kernels of the public API for common inputs.

    Covers :func:`segment` on 8-bit grey and colour images (distinct-colour and per-pixel paths,
    every colour space), :func:`kmeans` on uint8, uint16, float32 and float64 samples,
    :func:`canny` and :func:`auto_canny` (8- and 16-bit and float images), :func:`slic` (8- and
    16-bit and float images, gray and colour), :func:`elbow`, :func:`choose_k`,
    :func:`silhouette`, :func:`silhouette_score`, the
    :mod:`fastseg.opencv` drop-ins, and :func:`fastseg.dask.segment` and :func:`fastseg.dask.canny`
    when Dask is installed. Run it once, for example in a container's build step, so that the
    first real call of each of them in a later process only loads compiled kernels from the cache.

    Parameters
    ----------
    progress : bool, default False
        Show a progress bar (tqdm) on stderr, one step per group of kernels.
    """
    import importlib.util

    import numpy as np
    from tqdm import tqdm

    from . import opencv, skimage

    # Inputs with the types and layouts of real ones, and more samples than the seeding reads,
    # so that its subsampling path compiles too: 65536 distinct colours (an odd multiplier is a
    # bijection modulo 2**24).
    codes = np.arange(1 << 16, dtype=np.int64) * 40503 % (1 << 24)
    image = np.dstack([codes >> 16, codes >> 8 & 255, codes & 255]).astype(np.uint8)
    image = image.reshape(256, 256, 3)
    gray = np.ascontiguousarray(image[:, :, 0])
    rgba = np.dstack([image, gray])
    points = image.reshape(-1, 3).astype(np.float64)
    many = np.repeat(points, 7, axis=1)  # more features than the direct pass takes
    labels = np.arange(len(points)) % 3

    def segments():
        for picture in (image, gray, rgba):
            for method in ("distinct", "pixels"):
                for color_space in ("rgb", "hsv", "lab") if picture.ndim == 3 else ("rgb",):
                    segment(picture, 4, seed=0, method=method, color_space=color_space)

    def k_means():
        for dtype in (np.uint8, np.uint16, np.float32, np.float64):
            for data in (points, many):
                samples = data.astype(dtype)
                kmeans(samples, 4, seed=0)
                kmeans(samples, 4, seed=0, init="random", sample_weight=np.ones(len(samples)))
                opencv.kmeans(samples.astype(np.float32), 4, None, (3, 10, 1.0), 1, 2)

    def edges():
        for picture in (gray, image, rgba):
            for aperture_size in (3, 5, 7):  # each variant of the band kernel: every norm
                for l2_gradient in (False, True):
                    canny(picture, 50, 150, aperture_size=aperture_size, l2_gradient=l2_gradient)
            auto_canny(picture)
        for picture in (gray, image):  # 16-bit, float32 and float64, grey and colour
            deeper = [
                (picture.astype(np.uint16) * 257, 257.0),
                (picture / np.float32(255), 1 / 255),
                (picture / 255.0, 1 / 255),
            ]
            for pixels, unit in deeper:
                for aperture_size in (3, 5):  # 7 is 5's variant
                    for l2_gradient in (False, True):
                        canny(pixels, 50 * unit, 150 * unit, aperture_size=aperture_size,
                              l2_gradient=l2_gradient)  # fmt: skip
        dx = gray.astype(np.int16) - 128  # as cv2.Sobel gives them
        colour_dx = image.astype(np.int16) - 128
        for l2_gradient in (False, True):
            opencv.Canny(dx, np.ascontiguousarray(dx[::-1]), 50, 150, L2gradient=l2_gradient)
            opencv.Canny(colour_dx, colour_dx[::-1].copy(), 50, 150, L2gradient=l2_gradient)
        skimage.canny(gray.astype(np.uint16) * 257, 1.0)  # one kernel for every dtype

    def choosing_k():
        elbow(image, range(1, 5), seed=0)
        choose_k(image, range(2, 5), method="silhouette", seed=0)
        for dtype in (np.uint8, np.uint16, np.float32, np.float64):
            silhouette_score(points.astype(dtype), labels, sample_size=500, seed=0)
        wide = np.repeat(points[:600], 11, axis=1)  # distances through matrix products
        silhouette_score(wide, labels[:600])

    def chunked():
        if importlib.util.find_spec("dask") is None:
            return
        import dask
        import dask.array as da

        from . import dask as fastseg_dask

        with dask.config.set(scheduler="synchronous"):
            for picture in (image, gray):
                chunks = (128, 128, 3) if picture.ndim == 3 else (128, 128)
                lazy = da.from_array(picture, chunks=chunks)
                for method in ("distinct", "pixels"):
                    fastseg_dask.segment(lazy, 4, seed=0, method=method).labels.compute()
                fastseg_dask.canny(lazy, 50, 150).compute()
            fastseg_dask.skimage_canny(da.from_array(gray, chunks=128), 1.0).compute()

    def superpixels():
        # Each working float type and source: 8- and 16-bit levels, float32 and float64 pixels,
        # gray and colour, smoothed; SLIC-zero and a mask in the float64 kernels.
        small = np.ascontiguousarray(image[:64, :96])
        mask = np.ones(small.shape[:2], dtype=bool)
        mask[:8] = False
        for picture in (small, small.astype(np.uint16) * 257, small / np.float32(255)):
            slic(picture, 6, sigma=0.5)
            slic(picture[:, :, 0], 6, channel_axis=None)
        slic(small / 255.0, 6, slic_zero=True, sigma=1.0, mask=mask)
        mark_boundaries(small, slic(small, 6, slic_zero=True, sigma=1.0, mask=mask))

    steps = [segments, k_means, edges, choosing_k, superpixels, chunked]
    for step in tqdm(steps, desc="compiling kernels", unit="step", disable=not progress):
        step()


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
