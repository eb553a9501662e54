"""scikit-image's functions on fastseg's kernels: :func:`canny` and :func:`slic`.

:func:`slic` is :func:`fastseg.slic`, whose labels equal ``skimage.segmentation.slic``'s (see
:mod:`fastseg.superpixels`). The rest of this page is about :func:`canny`.

Replace ``from skimage.feature import canny`` by ``from fastseg.skimage import canny`` and the same
calls give the same edge maps (scikit-image is not needed, nor imported): the same signature,
defaults and rules, at any bit depth (8-, 16- and 32-bit integers, float16, float32, float64).

What is the same as in scikit-image
-----------------------------------
* The result: a boolean edge map equal, pixel for pixel, to ``skimage.feature.canny`` with the
  same arguments. Each step repeats scikit-image's arithmetic and its order (see
  :mod:`fastseg._kernels.smooth_canny`): integer images scaled to [0, 1] (to [-1, 1] when signed)
  as ``img_as_float`` scales them, float32 images worked in float32 and all others in float64,
  the Gaussian of ``scipy.ndimage`` with its border modes, the division by the smoothed mask, the
  Sobel filters, the interpolating non-maximum suppression, thresholds given, defaulted (0.1 and
  0.2 of the dtype's range) or as quantiles of the magnitude, and the hysteresis.
* Thresholds are in the units of the image's dtype (0-255 for uint8, 0-65535 for uint16, the
  values themselves for floats), divided by the dtype's maximum as scikit-image divides them.

What differs
------------
* Bad input raises a ValueError or TypeError naming the argument: images that are not 2-D, empty,
  bool, complex or of 64-bit integers; float images with NaN or infinity (whose edges would be
  whatever NaN comparisons make of them); sigma < 0, NaN, or above 64; quantile thresholds
  outside [0, 1]; a low threshold above the high one; a mask of another shape; an unknown mode.
  `sigma` is one number (scikit-image also passes a per-axis sequence to its Gaussian).
* Memory: the edge map, a copy of non-contiguous or float16 input, and buffers of a few rows per
  thread; with ``use_quantiles=True`` also the magnitude image (8 bytes per pixel, and 4 more for
  float32 input), which the quantiles are taken from.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import _config, _validate
from ._kernels.canny import EDGE, link_bands
from ._kernels.smooth_canny import IMAGE_DTYPES, classify_smoothed_bands
from ._ndimage import extended_indices, gaussian_weights
from .edges import kernel_rows
from .superpixels import slic

__all__ = ["canny", "slic"]

#: Border modes of the Gaussian smoothing, as ``scipy.ndimage`` names them.
MODES = ("reflect", "constant", "nearest", "mirror", "wrap")
#: Largest sigma (that of every Gaussian of fastseg): the smoothing costs time in proportion to
#: it, and each thread keeps 8 sigma rows of the image.
MAX_SIGMA = _validate.MAX_BLUR_SIGMA
#: Rows per band of the parallel pass. Each band smooths 2 sigma + 2 rows more on each side than
#: it classifies, so bands are taller than those of :func:`fastseg.canny`. Results do not depend
#: on it.
BAND_ROWS = 256
#: Turns the three-state edge map into 0 and 1 (True on edges), for ``cv2.LUT``.
_EDGE_TO_BOOL = np.zeros(256, dtype=np.uint8)
_EDGE_TO_BOOL[EDGE] = 1
_NO_MASK = np.zeros((0, 0), dtype=np.uint8)
_NO_MAGNITUDE = np.zeros((0, 0))


def canny(
    image,
    sigma=1.0,
    low_threshold=None,
    high_threshold=None,
    mask=None,
    use_quantiles=False,
    *,
    mode="constant",
    cval=0.0,
) -> np.ndarray:
    """Edges of a gray image by the Canny algorithm, exactly as ``skimage.feature.canny`` finds
    them.

    Parameters
    ----------
    image : array of shape (H, W)
        uint8, uint16, uint32, int8, int16, int32, float16, float32 or float64, finite.
    sigma : float, default 1.0
        Standard deviation of the Gaussian smoothing, in [0, 64] (0: none).
    low_threshold, high_threshold : float, optional
        Hysteresis thresholds on the gradient magnitude, in the image's units: edges start above
        the high one and continue above the low one. By default 10% and 20% of the dtype's
        maximum (255 for uint8, 1 for floats). With `use_quantiles`, quantiles in [0, 1] of the
        magnitude instead.
    mask : array of shape (H, W), optional
        Where to look for edges (nonzero or True). The image outside it does not bleed into the
        smoothing, and pixels next to its border are not edges.
    use_quantiles : bool, default False
    mode : {'constant', 'reflect', 'nearest', 'mirror', 'wrap'}, default 'constant'
        Border handling of the smoothing (``scipy.ndimage``'s modes).
    cval : float, default 0.0
        The value beyond the border with ``mode='constant'``, in the scaled units ([0, 1]).

    Returns
    -------
    ndarray of bool, shape (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> from fastseg.skimage import canny
    >>> image = np.zeros((32, 32), dtype=np.uint16)
    >>> image[8:24, 8:24] = 40000
    >>> edges = canny(image, sigma=2)
    >>> edges.dtype, int(edges.sum()), bool(edges[8:24, 8].any())
    (dtype('bool'), 60, True)
    """
    image = _validate.check_gray_image_any_depth(image, "image")
    use_quantiles = _validate.check_bool(use_quantiles, "use_quantiles")
    mask_values = _validate.check_mask(mask, image.shape, "mask")
    settings = check_settings(
        image.dtype, sigma, low_threshold, high_threshold, use_quantiles, mode, cval
    )
    if image.dtype == np.float16:  # scikit-image works float16 images in float32
        image = image.astype(np.float32)
    height, width = image.shape
    rows = kernel_rows(image, height, width)
    source_rows, source_columns = settings.extensions(height, width)
    edge_map = np.empty((height, width), dtype=np.uint8)
    low, high = settings.low, settings.high
    if use_quantiles:
        magnitude = np.empty((height, width))
        classify(rows, mask_values, settings, source_rows, source_columns, (0.0, 0.0), edge_map,
                 magnitude=magnitude)  # fmt: skip
        if settings.single:
            magnitude = magnitude.astype(np.float32)
        low, high = np.percentile(magnitude, [100.0 * low, 100.0 * high])
        del magnitude
    compared = comparison_thresholds(low, high, settings.single)
    classify(rows, mask_values, settings, source_rows, source_columns, compared, edge_map)
    link_bands(edge_map, BAND_ROWS)
    return cv2.LUT(edge_map, _EDGE_TO_BOOL, dst=edge_map).view(bool)


@dataclass(frozen=True)
class Settings:
    """What :func:`canny` does to images of one dtype, checked: the conversion to float, the
    Gaussian, the border mode and the thresholds (fractions of the range, or quantiles)."""

    dtype_code: int  # the index of the (float16: float32) dtype in IMAGE_DTYPES
    scale: float
    clip_negative: bool
    single: bool  # worked in float32
    weights: np.ndarray  # of offsets 0..r (see gaussian_weights)
    mode: str
    cval: float
    low: object  # as scikit-image derives them (their types steer NumPy's comparisons)
    high: object

    @property
    def radius(self) -> int:
        return self.weights.shape[0] - 1

    def extensions(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """The source rows and columns of the extended image (see :func:`extended_indices`)."""
        return (
            extended_indices(height, self.radius, self.mode),
            extended_indices(width, self.radius, self.mode),
        )


def check_settings(dtype, sigma, low_threshold, high_threshold, use_quantiles, mode, cval):
    """:class:`Settings` for images of `dtype` from :func:`canny`'s arguments, checked."""
    sigma = _validate.check_sigma(sigma, "sigma")
    low, high = _thresholds(dtype, low_threshold, high_threshold, use_quantiles)
    mode = _validate.check_choice(mode, "mode", MODES)
    cval = _validate.check_float(cval, "cval")
    work_dtype = np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)
    return Settings(
        dtype_code=IMAGE_DTYPES.index(work_dtype),
        scale=1.0 / np.iinfo(work_dtype).max if work_dtype.kind in "ui" else 1.0,
        clip_negative=work_dtype.kind == "i",
        single=work_dtype == np.float32,
        weights=gaussian_weights(sigma),
        mode=mode,
        cval=cval,
        low=low,
        high=high,
    )


def comparison_thresholds(low, high, single: bool) -> tuple[float, float]:
    """The thresholds as the comparisons of scikit-image see them, as float64.

    The suppression compares with the low threshold as a C float (0 becoming 1e-14, so that a
    zero magnitude is never a candidate); strong pixels are found by NumPy's comparison of the
    float image with the high threshold, in the dtype NumPy's promotion gives.
    """
    low_float = np.float32(low)
    if low_float == 0:
        low_float = np.float32(1e-14)
    compared_as = np.result_type(np.float32 if single else np.float64, high)
    return float(low_float), float(compared_as.type(high))


def classify(
    rows, mask, settings, source_rows, source_columns, thresholds, edge_map, *,
    magnitude=None, follow=True, threaded=True,
) -> None:  # fmt: skip
    """:func:`classify_smoothed_bands` over all the bands of `edge_map`.

    `rows`: the C-contiguous (H, W) image (float16 made float32); `mask`: None or (H, W) uint8;
    `thresholds`: (low, high) from :func:`comparison_thresholds`. With `magnitude`, an (H, W)
    float64 array, the magnitudes are written there instead. Without `follow`, the in-band
    hysteresis is left out: EDGE marks exactly the strong pixels, CANDIDATE the weak ones.
    A float image with NaN or infinity raises a ValueError (found while it is read). Without
    `threaded`, the calling thread classifies every band (as a Dask task does: Dask runs tasks
    in threads of its own).
    """
    n_bands = -(-edge_map.shape[0] // BAND_ROWS)
    nonfinite = np.zeros(n_bands, dtype=np.uint8)
    arguments = (
        rows.view(np.uint8), settings.dtype_code,
        _NO_MASK if mask is None else mask, settings.scale, settings.clip_negative,
        settings.weights, source_rows, source_columns, settings.cval,
        settings.mode == "constant" or mask is not None,
        float(np.finfo(np.float32 if settings.single else np.float64).eps), settings.single,
        float(thresholds[0]), float(thresholds[1]),
        _NO_MAGNITUDE if magnitude is None else magnitude, bool(follow), BAND_ROWS, edge_map,
        nonfinite,
    )  # fmt: skip
    if threaded:
        _config.run_in_threads(classify_smoothed_bands, n_bands, *arguments)
    else:
        classify_smoothed_bands(*arguments, 0, 1)
    if nonfinite.any():
        raise ValueError("`image` must contain only finite values; got NaN or infinity.")


def _thresholds(dtype, low_threshold, high_threshold, use_quantiles):
    """(low, high) as scikit-image derives them: fractions of the dtype's maximum, or quantiles."""
    # The maximum as scikit-image's dtype_limits gives it: an int (1 for floats); with the
    # user's own number types, the quotients have the types scikit-image's have.
    dtype_max = int(np.iinfo(dtype).max) if dtype.kind in "ui" else 1
    thresholds = []
    for value, name, default in (
        (low_threshold, "low_threshold", 0.1),
        (high_threshold, "high_threshold", 0.2),
    ):
        if value is None:
            thresholds.append(default)
            continue
        checked = _validate.check_float(value, name)
        if use_quantiles:
            if not 0.0 <= checked <= 1.0:
                raise ValueError(
                    f"`{name}` must be a quantile in [0, 1] with use_quantiles=True; got "
                    f"{checked:g}."
                )
            thresholds.append(value)
        else:
            thresholds.append(value / dtype_max)
    low, high = thresholds
    if high < low:
        raise ValueError(
            f"`low_threshold` must be <= `high_threshold`; got {low_threshold!r} and "
            f"{high_threshold!r}."
        )
    return low, high
