"""Canny edge detection, pixel-identical to ``cv2.Canny``, in fused kernels over bands of rows
(and by the same rules on 16-bit and float images).

One pass over bands of rows computes the Sobel derivatives of each band (plus a row of halo on
each side) into rolling row buffers, the gradient magnitude, the non-maximum suppression and the
weak/strong classification, and follows strong pixels inside the band; the bands are shared
among threads. A short serial pass links edges across band borders, and a lookup table writes
0 and 255. The edge map that is returned is the only full-size array: it holds the three states
until the last pass.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from . import _config, _validate
from ._kernels.canny import (
    FINISH_LUT,
    INT32_MAGNITUDES,
    NO_GRADIENTS,
    NO_IMAGE,
    band_histograms,
    classify_bands,
    classify_scratch,
    link_bands,
)

#: Rows per band of the parallel passes. Results do not depend on it.
BAND_ROWS = 64

_INT32_MAX = 2**31 - 1


def canny(
    image,
    threshold1: float,
    threshold2: float,
    *,
    aperture_size: int = 3,
    l2_gradient: bool = False,
    blur: float | tuple[int, float] | None = None,
) -> np.ndarray:
    """Edges of an image by the Canny algorithm, exactly as ``cv2.Canny`` finds them.

    8-bit images give ``cv2.Canny``'s edge map. 16-bit and float images, which ``cv2.Canny``
    refuses, follow the same rules in wider arithmetic (see Notes).

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C), dtype uint8, uint16, float32 or float64
        Grey or colour image, 1 <= C <= 4, in any memory layout; float images must lie in
        [0, 1] (the image rule of every fastseg function). With several channels each pixel
        takes the gradient of the channel where it is largest.
    threshold1, threshold2 : float
        Hysteresis thresholds on the gradient magnitude, >= 0, in either order: the smaller one
        links edges, the larger one starts them. In the image's units: 0-255 steps for 8-bit
        images, 0-65535 for 16-bit ones, 0-1 for float ones (100 and 200 on an 8-bit image are
        25700 and 51400 on the same image times 257, and about 0.39 and 0.78 on it divided by
        255).
    aperture_size : int, default 3
        Sobel aperture: 3, 5 or 7.
    l2_gradient : bool, default False
        Use the magnitude sqrt(dx² + dy²) instead of |dx| + |dy|.
    blur : float or (int, float) or None, default None
        Gaussian pre-blur with ``cv2.GaussianBlur``: a sigma (the kernel size then follows from it)
        or a ``(ksize, sigma)`` pair with ksize odd (or 0) and sigma >= 0. Without it the result
        equals ``cv2.Canny(image, threshold1, threshold2, apertureSize=aperture_size,
        L2gradient=l2_gradient)``.

    Returns
    -------
    edges : ndarray of shape (H, W), dtype uint8
        255 on edges, 0 elsewhere.

    Raises
    ------
    TypeError
        If `image` is not uint8, uint16, float32 or float64, or an argument has the wrong type.
    ValueError
        If `image` is empty or not (H, W) or (H, W, C) with 1 <= C <= 4, a float image holds
        NaN, infinity or values outside [0, 1], a threshold is negative or not finite, or
        `aperture_size` is not 3, 5 or 7.

    Notes
    -----
    The rules are OpenCV's: integer Sobel derivatives with replicated borders (aperture 7 scaled
    by 1/16, and its thresholds too), L1 or squared L2 magnitude compared with the floor of the
    thresholds (squared for L2, after capping them at 32767), gradient direction in four sectors
    decided in fixed point against tan(22.5°), suppression of pixels that are not larger than their
    neighbours across the edge (strictly on one side), and hysteresis over 8-connected pixels.
    Thresholds of 2**31 and above mark no edge; ``cv2.Canny`` turns such L1 thresholds into a
    negative integer and marks every local maximum.

    16-bit and float images take the same steps without OpenCV's 16-bit limits: derivatives are
    kept whole (int32 for 16-bit images, float64 for float ones; aperture 7 is not scaled),
    magnitudes are int64 or float64, compared with the thresholds (squared for L2, floored for
    16-bit images, not capped at OpenCV's int32 limits), and the sector test is the same
    fixed-point comparison (exact in float64 for the derivatives of float32 pixels). So the
    edges are scale-consistent with ``cv2.Canny``: an 8-bit image times 257
    (as uint16) with thresholds times 257, or divided by a power of two (as float) with
    thresholds divided alike, gives ``cv2.Canny``'s edge map for apertures 3 and 5, pixel for
    pixel (tested on photos).

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg import canny
    >>> image = np.zeros((8, 8), dtype=np.uint8)
    >>> image[:, 4:] = 200
    >>> canny(image, 50, 150)[0]
    array([  0,   0,   0, 255,   0,   0,   0,   0], dtype=uint8)
    """
    pixels = _prepare_image(image, blur)
    aperture_size = _validate.check_aperture_size(aperture_size)
    l2_gradient = _validate.check_bool(l2_gradient, "l2_gradient")
    threshold1 = _validate.check_float(threshold1, "threshold1", 0.0)
    threshold2 = _validate.check_float(threshold2, "threshold2", 0.0)
    return edges_from_image(pixels, threshold1, threshold2, aperture_size, l2_gradient)


def auto_canny(
    image,
    sigma: float = 0.33,
    *,
    aperture_size: int = 3,
    l2_gradient: bool = False,
    blur: float | tuple[int, float] | None = None,
) -> np.ndarray:
    """Canny edges with thresholds set around the median intensity of the image.

    The thresholds are ``lower = max(0, (1 - sigma) * median)`` and
    ``upper = min(top, (1 + sigma) * median)``, where median is the median of all samples of the
    image (every channel; after the blur when `blur` is given), as :func:`numpy.median` computes
    it, and top is the top of the image's range: 255, 65535 for 16-bit images, 1 for float ones.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C), dtype uint8, uint16, float32 or float64
        As for :func:`canny`.
    sigma : float, default 0.33
        Relative width of the threshold band around the median, >= 0.
    aperture_size, l2_gradient, blur
        As for :func:`canny`.

    Returns
    -------
    edges : ndarray of shape (H, W), dtype uint8
        255 on edges, 0 elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg import auto_canny
    >>> image = np.full((8, 8), 40, dtype=np.uint8)
    >>> image[:, 4:] = 200
    >>> int(auto_canny(image).max())
    255
    """
    pixels = _prepare_image(image, blur)
    sigma = _validate.check_float(sigma, "sigma", 0.0)
    aperture_size = _validate.check_aperture_size(aperture_size)
    l2_gradient = _validate.check_bool(l2_gradient, "l2_gradient")
    lower, upper = _median_thresholds(pixels, sigma)
    return edges_from_image(pixels, lower, upper, aperture_size, l2_gradient)


def canny_from_gradients(
    dx, dy, threshold1: float, threshold2: float, *, l2_gradient: bool = False, out=None
) -> np.ndarray:
    """Canny edges from given int16 derivatives, as ``cv2.Canny(dx, dy, threshold1, threshold2)``.

    Parameters
    ----------
    dx, dy : arrays of shape (H, W) or (H, W, C), C in {1, 3}, dtype int16
        Horizontal and vertical derivatives, any memory layout.
    threshold1, threshold2 : float
        Hysteresis thresholds, >= 0, in either order.
    l2_gradient : bool, default False
    out : ndarray of shape (H, W), dtype uint8, C-contiguous, or None
        Where to write the edges (it must not overlap `dx` or `dy`).

    Returns
    -------
    edges : ndarray of shape (H, W), dtype uint8, `out` when given

    Notes
    -----
    Derivatives equal to -32768 in L1 mode count as magnitude 32768. ``cv2.Canny`` agrees in the
    columns it handles with scalar code but takes -32768 there in its vectorised columns (most of
    each row), so edge maps can differ around such saturated derivatives.
    """
    dx, dy = _validate.check_gradients(dx, dy)
    l2_gradient = _validate.check_bool(l2_gradient, "l2_gradient")
    threshold1 = _validate.check_float(threshold1, "threshold1", 0.0)
    threshold2 = _validate.check_float(threshold2, "threshold2", 0.0)
    height, width = dx.shape[:2]
    n_channels = 1 if dx.ndim == 2 else dx.shape[2]
    dx_rows = kernel_rows(dx, height, width * n_channels)
    dy_rows = kernel_rows(dy, height, width * n_channels)
    low, high = magnitude_thresholds(threshold1, threshold2, 3, l2_gradient)
    edges = np.empty((height, width), dtype=np.uint8) if out is None else out
    _classify(NO_IMAGE, dx_rows, dy_rows, n_channels, l2_gradient, low, high, edges)
    return _finish(edges)


def _prepare_image(image, blur) -> np.ndarray:
    """The validated image, (H, W) for one channel, blurred when asked."""
    pixels = _validate.check_canny_image(image, "image")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    blur = _validate.check_blur(blur)
    if blur is not None:
        ksize, sigma = blur
        blurred = cv2.GaussianBlur(np.ascontiguousarray(pixels), (ksize, ksize), sigma)
        pixels = blurred.reshape(pixels.shape)  # OpenCV drops a trailing axis of one
    return pixels


def kernel_rows(array: np.ndarray, height: int, row_length: int) -> np.ndarray:
    """`array` as C-contiguous, writeable (height, row_length) rows.

    Strided, reversed, Fortran-ordered or read-only input is copied once, so that one compiled
    kernel (C-contiguous, writeable) serves every input.
    """
    if not (array.flags.c_contiguous and array.flags.writeable):
        array = np.array(array, order="C", copy=True)
    return array.reshape(height, row_length)


def magnitude_thresholds(
    threshold1: float, threshold2: float, aperture_size: int, l2_gradient: bool
) -> tuple[int, int]:
    """The integer thresholds (low, high) that magnitudes must exceed, as OpenCV derives them."""
    low, high = float(threshold1), float(threshold2)
    if aperture_size == 7:  # the derivatives are scaled by 1/16 to fit in int16
        low, high = low / 16.0, high / 16.0
    if low > high:
        low, high = high, low
    if l2_gradient:  # squared magnitudes: compare with squared thresholds, capped to fit in int32
        low, high = min(32767.0, low), min(32767.0, high)
        low, high = low * low, high * high
    return min(math.floor(low), _INT32_MAX), min(math.floor(high), _INT32_MAX)


#: For each image dtype: the types of the derivatives and of the magnitudes (as empty arrays),
#: whether aperture 7 is scaled by 1/16, and whether the sector bound wraps as int32 (OpenCV's
#: rules for 8-bit images; other depths keep every derivative whole).
_DEPTHS = {
    np.dtype(np.uint8): (NO_GRADIENTS, INT32_MAGNITUDES, True, True),
    np.dtype(np.uint16): (np.empty((0, 0), np.int32), np.empty(0, np.int64), False, False),
    np.dtype(np.float32): (np.empty((0, 0), np.float64), np.empty(0, np.float64), False, False),
    np.dtype(np.float64): (np.empty((0, 0), np.float64), np.empty(0, np.float64), False, False),
}


def _whole_thresholds(threshold1, threshold2, l2_gradient, integer):
    """Thresholds (low, high) on whole derivatives: squared for L2; for integer magnitudes, their
    floor (capped to int64)."""
    low, high = sorted((float(threshold1), float(threshold2)))
    if l2_gradient:
        low, high = low * low, high * high
    if not integer:
        return np.float64(low), np.float64(high)
    # Beyond any magnitude of 16-bit derivatives (below 2**54): capping changes no comparison.
    return tuple(np.int64(math.floor(min(value, 2.0**62))) for value in (low, high))


def edges_from_image(
    pixels: np.ndarray,
    threshold1: float,
    threshold2: float,
    aperture_size: int,
    l2_gradient: bool,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Canny edges of a validated (H, W) or (H, W, C) image into `out` or a new array."""
    height, width = pixels.shape[:2]
    n_channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = kernel_rows(pixels, height, width * n_channels)
    edges = np.empty((height, width), dtype=np.uint8) if out is None else out
    classify_pixels(
        rows, pixels.dtype, n_channels, threshold1, threshold2, aperture_size, l2_gradient, True,
        edges,
    )  # fmt: skip
    return _finish(edges)


def classify_pixels(
    rows, dtype, n_channels, threshold1, threshold2, aperture_size, l2_gradient, follow, edges,
    *, threads: bool = True,
) -> None:  # fmt: skip
    """:func:`classify` of the (H, W * C) rows of an image of `dtype`, with its depth's rules
    (see :data:`_DEPTHS`) and thresholds."""
    dtype = np.dtype(dtype)
    gradients, magnitudes, scale_aperture_7, wrap_int32 = _DEPTHS[dtype]
    if dtype == np.uint8:
        low, high = magnitude_thresholds(threshold1, threshold2, aperture_size, l2_gradient)
        low, high = np.int32(low), np.int32(high)
    else:
        low, high = _whole_thresholds(threshold1, threshold2, l2_gradient, dtype.kind == "u")
    classify(
        rows, gradients, gradients, magnitudes, True, n_channels, aperture_size, l2_gradient,
        scale_aperture_7, wrap_int32, low, high, follow, edges, threads=threads,
    )  # fmt: skip


def classify(
    image, dx_rows, dy_rows, magnitude_type, from_image, n_channels, aperture_size, l2_gradient,
    scale_aperture_7, wrap_int32, low, high, follow, edges, *, threads: bool = True,
) -> None:  # fmt: skip
    """The band kernel's variant for these inputs (see :func:`classify_bands`) over every band
    of `edges`, split among threads (or all in the calling thread), with its work memory."""
    height, width = edges.shape
    n_bands = -(-height // BAND_ROWS)
    shares = _config.thread_count(n_bands) if threads else 1
    scratch = classify_scratch(
        shares, width, n_channels, aperture_size, BAND_ROWS, dx_rows.dtype, magnitude_type.dtype
    )
    _config.run_in_threads(
        classify_bands(from_image, aperture_size, l2_gradient, n_channels), n_bands, image,
        dx_rows, dy_rows, magnitude_type, int(n_channels), int(aperture_size),
        bool(scale_aperture_7), bool(wrap_int32), low, high, bool(follow), BAND_ROWS, edges,
        *scratch, shares=shares,
    )  # fmt: skip


def _classify(image, dx_rows, dy_rows, n_channels, l2_gradient, low, high, edges) -> None:
    """:func:`classify` of given int16 derivatives."""
    classify(
        image, dx_rows, dy_rows, INT32_MAGNITUDES, False, n_channels, 3, l2_gradient, True, True,
        np.int32(low), np.int32(high), True, edges,
    )  # fmt: skip


def _finish(edges: np.ndarray) -> np.ndarray:
    """Link edges across band borders, then write 255 on edges and 0 elsewhere, in place."""
    link_bands(edges, BAND_ROWS)
    return cv2.LUT(edges, FINISH_LUT, dst=edges)


def _median_thresholds(pixels: np.ndarray, sigma: float) -> tuple[float, float]:
    """(max(0, (1 - sigma) * median), min(top, (1 + sigma) * median)) of all samples, where top
    is the top of the image's range: 255, 65535, or 1 for float images."""
    if pixels.dtype != np.uint8:
        median = float(np.median(pixels))
        top = 1.0 if pixels.dtype.kind == "f" else 65535.0
        return max(0.0, (1.0 - sigma) * median), min(top, (1.0 + sigma) * median)
    height = pixels.shape[0]
    rows = kernel_rows(pixels, height, pixels.size // height)
    counts = np.empty(((height + BAND_ROWS - 1) // BAND_ROWS, 256), dtype=np.int64)
    _config.run_in_threads(band_histograms, counts.shape[0], rows, BAND_ROWS, counts)
    cumulative = np.cumsum(counts.sum(axis=0))
    n = int(cumulative[-1])
    # The sorted samples at positions (n - 1) // 2 and n // 2: equal when n is odd.
    lower_middle = int(np.searchsorted(cumulative, (n - 1) // 2, side="right"))
    upper_middle = int(np.searchsorted(cumulative, n // 2, side="right"))
    median = (lower_middle + upper_middle) / 2.0
    return max(0.0, (1.0 - sigma) * median), min(255.0, (1.0 + sigma) * median)
