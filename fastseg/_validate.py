"""Every check of user input, with one message shape.

Messages name the argument, say what was expected and what was given:
"`k` must be an integer in [1, n_samples] = [1, 1200]; got 0."
Valid input in an awkward layout (read-only, non-contiguous, big-endian) is made usable here, so
that kernels below never see anything they cannot read safely.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import _config
from ._kernels.checks import chunk_ranges
from ._kernels.smooth_canny import IMAGE_DTYPES

if TYPE_CHECKING:
    import dask.array as da

#: Sample dtypes the kernels read as they are, without a float copy.
SAMPLE_DTYPES = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.float32, np.float64))
_SAMPLE_DTYPE_NAMES = "uint8, uint16, float32 or float64"
#: Colour spaces of :func:`fastseg.segment`.
COLOR_SPACES = ("rgb", "hsv", "lab", "gray")
#: Paths of :func:`fastseg.segment`.
SEGMENT_METHODS = ("auto", "distinct", "pixels")
#: Largest weight of the pixel coordinates: at 1e6 the colours count for less than a millionth
#: of a pixel's step already, so larger weights only risk overflow.
MAX_SPATIAL = 1e6


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_array(value, name: str) -> np.ndarray:
    """`value` as an ndarray (no copy for an ndarray), or a TypeError naming `name`."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__array__") or isinstance(value, list | tuple):
        try:
            return np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"`{name}` must be array-like; got {type(value).__name__}.") from exc
    raise TypeError(f"`{name}` must be a NumPy array; got {type(value).__name__}.")


def native_byte_order(array: np.ndarray) -> np.ndarray:
    """A native-endian view or copy: Numba cannot read big-endian data on little-endian machines."""
    if array.dtype.byteorder not in ("=", "|") and not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def check_sample_dtype(array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype.newbyteorder("=") not in SAMPLE_DTYPES:
        raise TypeError(
            f"`{name}` must have dtype {_SAMPLE_DTYPE_NAMES}; got {array.dtype.name} "
            f"(convert it with .astype(np.float32) or .astype(np.float64))."
        )
    return native_byte_order(array)


def finite_range(values: np.ndarray) -> tuple[float, float] | None:
    """(smallest, largest) element of the 2-D array `values` ((inf, -inf) if it has none), or
    None if an element is NaN or infinite."""
    ranges = np.empty((-(-values.shape[0] // _config.CHUNK_SIZE), 3))
    _config.run_in_threads(chunk_ranges, ranges.shape[0], values, ranges)
    if ranges[:, 2].any():
        return None
    return float(ranges[:, 0].min(initial=np.inf)), float(ranges[:, 1].max(initial=-np.inf))


def check_finite(array: np.ndarray, name: str) -> None:
    if array.dtype.kind == "f" and finite_range(array.reshape(array.shape[0], -1)) is None:
        raise ValueError(f"`{name}` must contain only finite values; got NaN or infinity.")


def check_image(image, name: str = "image") -> np.ndarray:
    """An image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) in a supported dtype.

    One rule for every function that takes an image: integer images use their dtype's range
    (0-255, 0-65535); float images must lie in [0, 1]. A float image in 0-255, which is what
    ``np.float32(image)`` gives, is refused rather than guessed at.
    """
    image = as_array(image, name)
    image = check_sample_dtype(image, name)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"`{name}` must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
            f"got {image.shape}."
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"`{name}` must have at least one pixel; got shape {image.shape}.")
    check_float_image_range(image, name)
    return image


def check_float_image_range(image: np.ndarray, name: str) -> None:
    """The image rule for floats: finite, in [0, 1] (a float image in 0-255 is refused)."""
    if image.dtype.kind != "f":
        return
    low_high = finite_range(image.reshape(image.shape[0], -1))
    if low_high is None:
        raise ValueError(f"`{name}` must contain only finite values; got NaN or infinity.")
    if low_high[0] < 0.0 or low_high[1] > 1.0:
        raise ValueError(
            f"`{name}` is a float image, which must lie in [0, 1]; got values in "
            f"[{low_high[0]:.6g}, {low_high[1]:.6g}]. Scale it (for 0-255 values, "
            "divide by 255; for 0-65535, by 65535) or pass the integer image."
        )


def check_samples(data, name: str = "data") -> np.ndarray:
    """Samples of shape (n_samples, n_features) in a supported dtype, finite, native byte order.

    The array is returned as it is (C- or F-ordered, strided, read-only): no copy is made unless its
    byte order is not native.
    """
    array = check_sample_layout(data, name)
    check_finite(array, name)
    return array


def check_sample_layout(data, name: str = "data") -> np.ndarray:
    """:func:`check_samples` but for finiteness, which the caller checks in a pass of its own."""
    array = as_array(data, name)
    array = check_sample_dtype(array, name)
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array of shape (n_samples, n_features); "
            f"got shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"`{name}` must have at least one sample and one feature; got shape {array.shape}."
        )
    return array


def check_int(value, name: str, low: int, high: int | None = None, high_name: str = "") -> int:
    """An integer in [low, high]; `high_name` says where the upper bound comes from."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise TypeError(f"`{name}` must be an integer {bound}; got {_describe(value)}.")
    value = int(value)
    if value < low or (high is not None and value > high):
        if high is None:
            expected = f"an integer >= {low}"
        elif high_name:
            expected = f"an integer in [{low}, {high_name}] = [{low}, {high}]"
        else:
            expected = f"an integer in [{low}, {high}]"
        raise ValueError(f"`{name}` must be {expected}; got {value}.")
    return value


def check_float(value, name: str, low: float | None = None, *, low_inclusive: bool = True) -> float:
    """A finite real number, optionally bounded below."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {_describe(value)}.")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond the float range
        raise ValueError(f"`{name}` must be finite; got {value}.") from None
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite; got {value}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        sign = ">=" if low_inclusive else ">"
        raise ValueError(f"`{name}` must be {sign} {low}; got {value}.")
    return value


def check_opencv_criteria(criteria) -> tuple[int, int, float]:
    """OpenCV's termination criteria ``(type, max_iter, epsilon)``: type 1 (COUNT), 2 (EPS) or
    3 (both), max_iter >= 0, epsilon a finite number; given back as (int, int, float)."""
    if not isinstance(criteria, tuple | list) or len(criteria) != 3:
        raise TypeError(
            "`criteria` must be a Criteria or a tuple (type, max_iter, epsilon); "
            f"got {_describe(criteria)}."
        )
    kind, count, epsilon = criteria
    if isinstance(kind, bool) or not isinstance(kind, numbers.Integral) or kind not in (1, 2, 3):
        raise ValueError(
            "`criteria[0]` (type) must be TERM_CRITERIA_COUNT (1), TERM_CRITERIA_EPS (2) or "
            f"their sum (3); got {_describe(kind)}."
        )
    count = check_int(count, "criteria[1] (max_iter)", 0)
    return int(kind), count, check_float(epsilon, "criteria[2] (epsilon)")


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """None, or float64 weights of shape (n_samples,), finite, >= 0, not all zero."""
    if sample_weight is None:
        return None
    weights = as_array(sample_weight, "sample_weight")
    if weights.dtype.kind not in "uif":
        raise TypeError(f"`sample_weight` must be numeric; got dtype {weights.dtype.name}.")
    if weights.shape != (n_samples,):
        raise ValueError(
            f"`sample_weight` must have shape (n_samples,) = ({n_samples},); got {weights.shape}."
        )
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if not np.isfinite(weights).all():
        raise ValueError("`sample_weight` must contain only finite values; got NaN or infinity.")
    if (weights < 0).any():
        raise ValueError("`sample_weight` must be >= 0; got a negative weight.")
    if not weights.any():
        raise ValueError("`sample_weight` must have at least one positive weight; got all zeros.")
    return weights


def check_seed(seed) -> np.random.Generator:
    """A NumPy Generator from None, an int or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(
            f"`seed` must be None, a non-negative integer or a numpy.random.Generator; "
            f"got {_describe(seed)}."
        )
    return np.random.default_rng(int(seed))


# --- choosing k ---


def check_labels(labels, n_samples: int) -> np.ndarray:
    """Integer cluster labels of shape (n_samples,), any values, returned without a copy."""
    array = as_array(labels, "labels")
    if array.dtype.kind not in "iu":
        raise TypeError(f"`labels` must have an integer dtype; got {array.dtype.name}.")
    if array.shape != (n_samples,):
        raise ValueError(
            f"`labels` must have shape (n_samples,) = ({n_samples},); got {array.shape}."
        )
    return array


def check_n_labels(n_labels: int, n_samples: int, name: str = "labels") -> None:
    """The silhouette needs 2 <= n_labels <= n_samples - 1, as in scikit-learn."""
    if not 2 <= n_labels <= n_samples - 1:
        raise ValueError(
            f"`{name}` must hold between 2 and n_samples - 1 = {n_samples - 1} distinct labels; "
            f"got {n_labels}."
        )


def check_curve(ks, wcss) -> tuple[np.ndarray, np.ndarray]:
    """Strictly increasing integer `ks` and finite `wcss` of the same length (at least 2)."""
    ks_array = as_array(ks, "ks")
    wcss_array = as_array(wcss, "wcss")
    # The shape first: an empty list has no integer dtype, but is wrong for its length.
    if ks_array.ndim != 1 or ks_array.shape[0] < 2:
        raise ValueError(
            f"`ks` must be a 1-D array of at least 2 values; got shape {ks_array.shape}."
        )
    if ks_array.dtype.kind not in "iu":
        raise TypeError(f"`ks` must have an integer dtype; got {ks_array.dtype.name}.")
    if wcss_array.dtype.kind not in "iuf":
        raise TypeError(f"`wcss` must be real numbers; got dtype {wcss_array.dtype.name}.")
    if wcss_array.shape != ks_array.shape:
        raise ValueError(
            f"`wcss` must have the shape of `ks`, {ks_array.shape}; got {wcss_array.shape}."
        )
    if ks_array.dtype == np.uint64 and (ks_array > np.iinfo(np.int64).max).any():
        raise ValueError(f"`ks` must be integers below 2**63; got {_describe(ks_array.tolist())}.")
    # Compared, not subtracted: differences of far-apart int64 values can wrap around.
    if not (ks_array[1:] > ks_array[:-1]).all():
        raise ValueError(f"`ks` must be strictly increasing; got {_describe(ks_array.tolist())}.")
    wcss_array = wcss_array.astype(np.float64)
    if not np.isfinite(wcss_array).all():
        raise ValueError("`wcss` must contain only finite values; got NaN or infinity.")
    return ks_array.astype(np.int64), wcss_array


def check_image_or_samples(image, samples) -> None:
    """Exactly one of an `image` and `samples` given (the other None)."""
    if image is None and samples is None:
        raise TypeError(
            "`image` or `samples` must be given: an image as `image`, an array of shape "
            "(n_samples, n_features) as `samples=`; got neither."
        )
    if image is not None and samples is not None:
        raise TypeError(
            "`image` and `samples` must not both be given: pass an image as `image` or an array "
            "of shape (n_samples, n_features) as `samples=`; got both."
        )


def check_ks(ks, n_points: int, bound_name: str) -> np.ndarray:
    """Strictly increasing numbers of clusters in [1, n_points], as int64.

    Checked before anything is allocated for them: a `range` by its ends, another iterable value
    by value, so that at most n_points + 1 values are read (strictly increasing values in
    [1, n_points] are at most n_points).
    """
    if isinstance(ks, numbers.Integral):
        raise ValueError(f"`ks` must be a non-empty sequence of integers; got {ks!r}.")
    if isinstance(ks, range):
        if len(ks) == 0:
            raise ValueError(f"`ks` must be a non-empty sequence of integers; got {ks!r}.")
        if len(ks) > 1 and ks.step < 0:
            raise ValueError(f"`ks` must be strictly increasing; got {ks!r}.")
        for k in (ks[0], ks[-1]):
            check_int(k, "ks[i]", 1, n_points, bound_name)
        return np.arange(ks.start, ks.stop, ks.step, dtype=np.int64)
    if isinstance(ks, np.ndarray) and ks.ndim != 1:
        raise ValueError(f"`ks` must be a 1-D sequence of integers; got shape {ks.shape}.")
    try:
        values = iter(ks)
    except TypeError:
        raise TypeError(
            f"`ks` must be a non-empty sequence of integers; got {_describe(ks)}."
        ) from None
    checked: list[int] = []
    for index, value in enumerate(values):
        k = check_int(value, "ks[i]", 1, n_points, bound_name)
        if checked and k <= checked[-1]:
            raise ValueError(
                f"`ks` must be strictly increasing; got ks[{index}] = {k} after "
                f"ks[{index - 1}] = {checked[-1]}."
            )
        checked.append(k)
    if not checked:
        raise ValueError(f"`ks` must be a non-empty sequence of integers; got {_describe(ks)}.")
    return np.array(checked, dtype=np.int64)


# --- images and edges ---


#: dtypes of :func:`fastseg.canny`'s image.
CANNY_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32), np.dtype(np.float64))


def check_canny_image(image, name: str = "image") -> np.ndarray:
    """A non-empty uint8, uint16, float32 or float64 image of shape (H, W) or (H, W, C) with
    1 <= C <= 4, native-endian; float images finite and in [0, 1] (the image rule).

    Returned as it is (any layout) unless its byte order had to change.
    """
    array = as_array(image, name)
    if array.dtype.newbyteorder("=") not in CANNY_DTYPES:
        raise TypeError(
            f"`{name}` must have dtype uint8, uint16, float32 or float64; got {array.dtype.name}."
        )
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    _check_edge_image_shape(array, name, 4)
    check_float_image_range(array, name)
    return array


def check_uint8_image(image, name: str = "image", max_channels: int = 4) -> np.ndarray:
    """A non-empty uint8 image of shape (H, W) or (H, W, C) with 1 <= C <= `max_channels`.

    The array is returned as it is (any layout); cv2.Canny takes nothing but 8-bit images.
    """
    array = as_array(image, name)
    if array.dtype != np.uint8:
        raise TypeError(
            f"`{name}` must have dtype uint8; got {array.dtype.name} "
            f"(scale and convert it, e.g. with cv2.convertScaleAbs or .astype(np.uint8))."
        )
    _check_edge_image_shape(array, name, max_channels)
    return array


def _check_edge_image_shape(array: np.ndarray, name: str, max_channels: int) -> None:
    """(H, W) or (H, W, C) with 1 <= C <= `max_channels`, at least one pixel."""
    if array.ndim not in (2, 3) or (array.ndim == 3 and not 1 <= array.shape[2] <= max_channels):
        raise ValueError(
            f"`{name}` must be an array of shape (H, W) or (H, W, C) with 1 <= C <= "
            f"{max_channels}; got shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"`{name}` must have at least one row and one column; got shape {array.shape}."
        )


#: dtypes of :func:`fastseg.skimage.canny`'s image: scikit-image's, less 64-bit integers (which
#: it refuses too) and bool. Its kernel reads all but float16 (made float32 first).
ANY_DEPTH_DTYPES = (*IMAGE_DTYPES[:6], np.dtype(np.float16), *IMAGE_DTYPES[6:])
ANY_DEPTH_DTYPE_NAMES = ", ".join(dtype.name for dtype in ANY_DEPTH_DTYPES)


def check_gray_image_any_depth(image, name: str = "image") -> np.ndarray:
    """A non-empty 2-D image of 8-, 16- or 32-bit integers or of floats, native-endian.

    Returned as it is (any layout) unless its byte order had to change. Whether float values are
    finite is left to the kernel that reads them (:func:`fastseg.skimage.classify`), which finds
    out in the same pass.
    """
    array = as_array(image, name)
    if array.dtype.newbyteorder("=") not in ANY_DEPTH_DTYPES:
        raise TypeError(
            f"`{name}` must have an integer dtype of at most 32 bits or a float dtype "
            f"({ANY_DEPTH_DTYPE_NAMES}); got {array.dtype.name}."
        )
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D (gray) image; got shape {array.shape}.")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"`{name}` must have at least one row and one column; got shape {array.shape}."
        )
    return native_byte_order(array)


def check_mask(mask, shape: tuple[int, ...], name: str = "mask"):
    """None, or a C-contiguous uint8 array of `shape`: 1 where `mask` is nonzero (True). A dask
    array is checked and converted lazily (a dask array back)."""
    if mask is None:
        return None
    array = mask if hasattr(mask, "dask") else as_array(mask, name)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a boolean (or 0/1) array; got {array.dtype.name}.")
    if array.shape != tuple(shape):
        raise ValueError(f"`{name}` must have the image's shape {tuple(shape)}; got {array.shape}.")
    if hasattr(array, "dask"):
        return (array != 0).astype(np.uint8)
    return np.ascontiguousarray(array != 0).view(np.uint8)


def check_sigma(sigma, name: str):
    """A Gaussian sigma in [0, MAX_BLUR_SIGMA], given back as it is (its type can matter to
    arithmetic that must match another library's)."""
    _check_sigma(check_float(sigma, name, 0.0), name, "[")
    return sigma


def check_gradients(dx, dy) -> tuple[np.ndarray, np.ndarray]:
    """int16 derivatives `dx` and `dy` of one shape, (H, W) or (H, W, C) with C in {1, 3},
    in native byte order."""
    arrays = []
    for name, value in (("dx", dx), ("dy", dy)):
        array = as_array(value, name)
        if array.dtype.newbyteorder("=") != np.dtype(np.int16):
            raise TypeError(f"`{name}` must have dtype int16; got {array.dtype.name}.")
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3)):
            raise ValueError(
                f"`{name}` must be an array of shape (H, W) or (H, W, C) with C = 1 or 3; "
                f"got shape {array.shape}."
            )
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise ValueError(
                f"`{name}` must have at least one row and one column; got shape {array.shape}."
            )
        arrays.append(native_byte_order(array))
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"`dy` must have the shape of `dx`, {arrays[0].shape}; got {arrays[1].shape}."
        )
    return arrays[0], arrays[1]


def check_aperture_size(value, name: str = "aperture_size") -> int:
    """The Sobel aperture: 3, 5 or 7."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, 3, 5 or 7; got {_describe(value)}.")
    if int(value) not in (3, 5, 7):
        raise ValueError(f"`{name}` must be 3, 5 or 7; got {int(value)}.")
    return int(value)


def check_bool(value, name: str) -> bool:
    """True or False (also NumPy booleans and the integers 0 and 1, as OpenCV accepts)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"`{name}` must be True or False; got {_describe(value)}.")


#: Largest Gaussian pre-blur: a wider kernel costs time in proportion to its size (OpenCV derives
#: a kernel of about 8 sigma + 1 from sigma) and smooths away every edge long before this.
MAX_BLUR_SIGMA = 64.0
MAX_BLUR_KSIZE = 513


def check_blur(blur) -> tuple[int, float] | None:
    """None, a Gaussian sigma in (0, 64], or a (ksize, sigma) pair for cv2.GaussianBlur.

    Returns (ksize, sigma) with ksize 0 when OpenCV is to derive it from sigma. The kernel size is
    at most MAX_BLUR_KSIZE = 513 and sigma at most MAX_BLUR_SIGMA = 64.
    """
    if blur is None:
        return None
    if isinstance(blur, tuple | list):
        if len(blur) != 2:
            raise ValueError(
                f"`blur` must be a sigma or a (ksize, sigma) pair; got {_describe(blur)}."
            )
        ksize = check_int(blur[0], "blur[0] (ksize)", 0, MAX_BLUR_KSIZE, "MAX_BLUR_KSIZE")
        if ksize % 2 == 0 and ksize != 0:
            raise ValueError(
                f"`blur[0] (ksize)` must be odd, or 0 to derive it from sigma; got {ksize}."
            )
        sigma = _check_sigma(check_float(blur[1], "blur[1] (sigma)", 0.0), "blur[1] (sigma)")
        if ksize == 0 and sigma == 0:
            raise ValueError("`blur` must have ksize > 0 or sigma > 0; got (0, 0.0).")
        return ksize, sigma
    return 0, _check_sigma(check_float(blur, "blur", 0.0, low_inclusive=False), "blur")


def _check_sigma(sigma: float, name: str, opening: str = "(") -> float:
    """`sigma` (already a number >= 0) at most MAX_BLUR_SIGMA; `opening` "[" when 0 is allowed."""
    if sigma > MAX_BLUR_SIGMA:
        interval = f"{opening}0, MAX_BLUR_SIGMA] = {opening}0, {MAX_BLUR_SIGMA:g}]"
        raise ValueError(f"`{name}` must be a Gaussian sigma in {interval}; got {sigma:g}.")
    return sigma


def check_choice(value, name: str, options) -> str:
    """One of the strings `options`, in any case; given back in lower case."""
    if not isinstance(value, str) or value.lower() not in options:
        raise ValueError(f"`{name}` must be one of {', '.join(options)}; got {value!r}.")
    return value.lower()


def check_segment_options(color_space, channel_order, spatial, method, dtype, n_channels: int):
    """The options of :func:`fastseg.segment`, checked; one-channel images are clustered in
    "gray"."""
    color_space = check_choice(color_space, "color_space", COLOR_SPACES)
    channel_order = check_choice(channel_order, "channel_order", ("rgb", "bgr"))
    method = check_choice(method, "method", SEGMENT_METHODS)
    spatial = check_float(spatial, "spatial", 0.0)
    if spatial > MAX_SPATIAL:
        raise ValueError(f"`spatial` must be in [0, {MAX_SPATIAL:g}]; got {spatial:g}.")
    if n_channels == 1 and color_space in ("hsv", "lab"):
        raise ValueError(f"`color_space` {color_space!r} needs a colour image; got a gray one.")
    if n_channels == 1:
        color_space = "gray"
    if method == "distinct" and (dtype != np.uint8 or spatial > 0):
        raise ValueError(
            "`method` 'distinct' needs an 8-bit image and spatial=0; "
            f"got dtype {dtype.name}, spatial={spatial}."
        )
    return color_space, channel_order, spatial, method


def check_init(init, k: int, n_features: int):
    """ "k-means++", "random", or an array of k finite centers, as float64."""
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise ValueError(f"`init` must be 'k-means++', 'random' or an array; got {init!r}.")
        return init
    centers = as_array(init, "init")
    if centers.dtype.kind not in "uif":
        raise TypeError(f"`init` must be a numeric array; got dtype {centers.dtype.name}.")
    if centers.shape != (k, n_features):
        raise ValueError(
            f"`init` must have shape (k, n_features) = ({k}, {n_features}); got {centers.shape}."
        )
    centers = np.array(centers, dtype=np.float64)
    if not np.isfinite(centers).all():
        raise ValueError("`init` must contain only finite values; got NaN or infinity.")
    return centers


def check_dask_image(image, name: str, dtypes, dtype_names: str, max_channels: int) -> da.Array:
    """A non-empty dask array (H, W) or (H, W, C) of a listed dtype, channels in one chunk."""
    import dask.array as da  # optional: only the Dask drivers call this

    if not isinstance(image, da.Array):
        raise TypeError(
            f"`{name}` must be a dask.array.Array; got {type(image).__name__} "
            "(wrap an array with dask.array.from_array, or use the in-memory function)."
        )
    if image.dtype.newbyteorder("=") not in dtypes:
        raise TypeError(f"`{name}` must have dtype {dtype_names}; got {image.dtype.name}.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and not 1 <= image.shape[2] <= max_channels):
        raise ValueError(
            f"`{name}` must be a dask array of shape (H, W) or (H, W, C) with 1 <= C <= "
            f"{max_channels}; got shape {image.shape}."
        )
    if any(np.isnan(size) for size in image.shape):
        raise ValueError(f"`{name}` must have a known shape; got {image.shape}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"`{name}` must have at least one pixel; got shape {image.shape}.")
    image = native_byte_order(image)
    if image.ndim == 3 and len(image.chunks[2]) > 1:
        image = image.rechunk({2: -1})
    return image


def check_path(path, name: str) -> Path:
    """A path given as str or os.PathLike, not empty."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`{name}` must be a path (str or os.PathLike); got {type(path).__name__}.")
    if not os.fspath(path):
        raise ValueError(f"`{name}` must be a path; got ''.")
    return Path(path)


def check_chunk_grid(shape, chunk_shape, itemsize, name, what, max_bytes, max_chunks) -> None:
    """Refuse chunks larger than `max_bytes` or (unless `max_chunks` is None) more than
    `max_chunks` of them; `what` says what the chunks are in the message."""
    chunk_bytes = int(np.prod([min(c, s) for c, s in zip(chunk_shape, shape, strict=True)],
                              dtype=object)) * itemsize  # fmt: skip
    if chunk_bytes > max_bytes:
        raise ValueError(
            f"`{name}` must give chunks of at most {max_bytes} bytes; got {what} of shape "
            f"{tuple(chunk_shape)}, {chunk_bytes} bytes each (choose smaller chunks)."
        )
    n_chunks = 1
    for c, s in zip(chunk_shape, shape, strict=True):
        n_chunks *= -(-s // max(1, c))
    if max_chunks is not None and n_chunks > max_chunks:
        raise ValueError(
            f"`{name}` must give at most {max_chunks} chunks; got {what} of shape "
            f"{tuple(chunk_shape)}, {n_chunks} chunks for shape {tuple(shape)} "
            "(choose larger chunks)."
        )
