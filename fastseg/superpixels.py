"""SLIC superpixels with scikit-image's signature, defaults and results: :func:`slic`.

``fastseg.slic(image, ...)`` returns the labels ``skimage.segmentation.slic(image, ...)``
returns, pixel for pixel, from the same arguments (scikit-image is not needed, nor imported).
Each step repeats scikit-image's arithmetic in its order; :mod:`fastseg._kernels.slic` says how
the kernels do it, and the driver below does the rest as scikit-image does:

1. The image is made float as ``img_as_float`` makes it (integers times ``1 / max`` in float64,
   signed ones clipped at -1; float32 kept, float16 to float32), then rescaled to [0, 1] by its
   smallest and largest value (inside the mask, when there is one).
2. RGB images go to Lab (``convert2lab``), then a Gaussian of ``sigma`` (divided by `spacing`
   when one number) smooths each axis as ``scipy.ndimage.gaussian_filter`` does, borders
   reflected.
3. Centres start on scikit-image's regular grid (``skimage.util.regular_grid``) with colour 0, or
   inside the mask where k-means on the mask's coordinates puts them (maskSLIC), then move
   `spatial` iterations without colour.
4. `max_num_iter` iterations of assignment and centre update, with colours scaled by
   ``1 / compactness`` and distances by ``1 / step**2``.
5. The connectivity pass relabels pieces smaller than ``min_size_factor`` of the mean segment.

What differs
------------
* Bad input raises a ValueError or TypeError naming the argument, where scikit-image warns or
  goes on: `n_segments` < 1 or not an integer (scikit-image takes 10.0), `compactness` <= 0 or
  not finite, sigma negative or above 64 (fastseg's largest Gaussian), negative size factors,
  a `spacing` or `sigma` of the wrong length (scikit-image warns for 3 values on a 2-D image and
  uses them), a `channel_axis` that is not one integer, an empty image, a mask of another shape
  or with nothing in it, complex input.
* maskSLIC's seeding runs its k-means on the mask's coordinates itself (with ``scipy.cluster.vq.
  kmeans2``'s arithmetic, without SciPy), and does not warn when a cluster empties.
* Lab repeats OpenBLAS's fused multiply-adds, as it computes the product on CPUs with FMA (all
  x86-64 CPUs since 2013); on a CPU without FMA, scikit-image's Lab can differ in the last bit.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from . import _config, _validate
from ._kernels.slic import (
    COLOR_CACHE_SIZE,
    SVML_FOUND,
    add_owned_rows,
    assign_bands,
    color_spread_bands,
    enforce_label_connectivity,
    floats_to_lab,
    levels_to_lab,
    linear_levels,
    smooth_lines,
)
from ._ndimage import extended_indices, gaussian_weights

__all__ = ["slic"]

#: ``skimage.color.colorconv.xyz_from_rgb`` (sRGB, D65).
_XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
#: The D65 white point of the 2 degree observer.
_D65_WHITE = (0.95047, 1.0, 1.08883)
#: The numbers of ``rgb2xyz`` and ``xyz2lab``, in the order :func:`rgb_rows_to_lab` reads them.
_LAB_CONSTANTS = (0.04045, 0.055, 1.055, 2.4, 12.92, 0.008856, 7.787, 16.0 / 116.0, 116.0, 16.0,
                  500.0, 200.0)  # fmt: skip
#: Rows per part of the Lab conversion (results do not depend on it).
_LAB_ROWS = 64


def slic(
    image,
    n_segments=100,
    compactness=10.0,
    max_num_iter=10,
    sigma=0,
    spacing=None,
    convert2lab=None,
    enforce_connectivity=True,
    min_size_factor=0.5,
    max_size_factor=3,
    slic_zero=False,
    start_label=1,
    mask=None,
    *,
    channel_axis=-1,
) -> np.ndarray:
    """Segment `image` into SLIC superpixels: k-means in colour and position, windowed.

    Parameters
    ----------
    image : ndarray of shape (M, N[, P][, C])
        2-D or 3-D, gray or multichannel (`channel_axis`); bool, integer or float; NaN and
        infinity only outside `mask`.
    n_segments : int, default 100
        The approximate number of segments (centres on a regular grid).
    compactness : float, default 10.0
        Weight of position against colour (> 0): higher gives squarer segments. In SLIC-zero,
        the initial compactness.
    max_num_iter : int, default 10
        Iterations of assignment and centre update.
    sigma : float or sequence of floats, default 0
        Gaussian smoothing per spatial axis before segmenting (0: none); one number is divided
        by `spacing`.
    spacing : sequence of floats, optional
        The size of a pixel along each spatial axis (weights the position distance).
    convert2lab : bool, optional
        Segment in Lab; by default when the image has 3 channels. True needs 3 channels.
    enforce_connectivity : bool, default True
        Relabel pieces smaller than ``min_size_factor`` of the mean segment size.
    min_size_factor, max_size_factor : float, default 0.5 and 3
        Smallest piece kept, and largest piece searched at once, relative to the mean segment.
    slic_zero : bool, default False
        SLIC-zero: each centre's colour distances are divided by the largest one it met.
    start_label : {0, 1}, default 1
        The first label.
    mask : ndarray of bool of the spatial shape, optional
        Segment only where True (label ``start_label - 1`` elsewhere); centres are seeded
        inside it by k-means on its coordinates.
    channel_axis : int or None, default -1
        The axis of colour channels; None for a gray image (or volume).

    Returns
    -------
    labels : ndarray of shape (M, N[, P]), dtype intp

    Examples
    --------
    >>> import fastseg
    >>> labels = fastseg.slic(fastseg.io.sample_image(), n_segments=100)
    >>> labels.shape, int(labels.min())
    ((512, 512), 1)
    """
    image = _validate.as_array(image, "image")
    if image.dtype.kind not in "biuf" or image.dtype.itemsize > 8:
        raise TypeError(
            f"`image` must have a bool, integer or float dtype; got {image.dtype.name}."
        )
    if channel_axis is not None:
        if image.ndim == 2:
            raise ValueError(
                f"`channel_axis`={channel_axis} says the image has channels, but a 2-D image has"
                " none; use channel_axis=None for a gray image."
            )
        if image.ndim not in (3, 4):
            raise ValueError(
                f"`image` must have 2 or 3 spatial axes and a channel axis; got shape "
                f"{image.shape}."
            )
        axis = _validate.check_int(channel_axis, "channel_axis", -image.ndim, image.ndim - 1)
        image = np.moveaxis(image, axis, -1)
    elif image.ndim not in (2, 3):
        raise ValueError(f"`image` must be 2-D or 3-D without channels; got shape {image.shape}.")
    if image.size == 0:
        raise ValueError(f"`image` must not be empty; got shape {image.shape}.")
    multichannel = channel_axis is not None
    spatial_shape = image.shape[:-1] if multichannel else image.shape
    is_2d = len(spatial_shape) == 2
    n_segments = _validate.check_int(n_segments, "n_segments", 1)
    _validate.check_float(compactness, "compactness", 0.0, low_inclusive=False)
    max_num_iter = _validate.check_int(max_num_iter, "max_num_iter", 0)
    min_size_factor = _validate.check_float(min_size_factor, "min_size_factor", 0.0)
    max_size_factor = _validate.check_float(max_size_factor, "max_size_factor", 0.0)
    enforce_connectivity = _validate.check_bool(enforce_connectivity, "enforce_connectivity")
    slic_zero = _validate.check_bool(slic_zero, "slic_zero")
    if convert2lab is not None:
        convert2lab = _validate.check_bool(convert2lab, "convert2lab")
    start_label = _validate.check_int(start_label, "start_label", 0, 1)
    mask = _validate.check_mask(mask, spatial_shape)
    if mask is not None and not mask.any():
        raise ValueError("`mask` must be True somewhere; it is False everywhere.")

    depth, height, width = (1, *spatial_shape) if is_2d else spatial_shape
    spacing = _spacing(spacing, is_2d, _working_dtype(image.dtype))
    sigmas = _sigmas(sigma, spacing, is_2d, _working_dtype(image.dtype))
    smooth = bool((sigmas > 0).any())
    ratio = 1.0 / compactness
    image, scaled = _working_image(image, mask, multichannel, convert2lab, ratio, smooth)
    dtype = image.dtype.type
    n_channels = image.shape[1]
    if smooth:
        _smooth(image.reshape(depth, height, n_channels, width), sigmas)
    if not scaled:
        np.multiply(image, ratio, out=image, casting="unsafe")

    shape3 = (depth, height, width)
    mask3 = None if mask is None else mask.reshape(depth * height, width)
    if mask is None:
        centroids, steps = _grid_centroids(shape3, n_segments)
    else:
        centroids, steps = _mask_centroids(mask.reshape(shape3), n_segments, multichannel)
    n_centroids = centroids.shape[0]
    segments = np.ascontiguousarray(
        np.concatenate([centroids, np.zeros((n_centroids, n_channels))], axis=-1), dtype=dtype
    )
    step = max(steps)
    iterations = _Iterations(image, mask3, segments, shape3, step, spacing, start_label)
    if mask is not None:
        iterations.run(max_num_iter, slic_zero, ignore_color=True)
        iterations.labels[:] = start_label - 1
    iterations.run(max_num_iter, slic_zero, ignore_color=False)
    labels = iterations.labels.reshape(shape3)

    if enforce_connectivity:
        pixels = int(mask.sum()) if mask is not None else math.prod(shape3)
        segment_size = pixels / n_centroids
        # Sizes beyond the image's act as the image's (no piece is larger): kept in int64.
        min_size = min(int(min_size_factor * segment_size), pixels + 1)
        max_size = min(int(max_size_factor * segment_size), pixels + 1)
        scratch = _connectivity_scratch(max_size)
        enforce_label_connectivity(labels, min_size, max_size, start_label, *scratch)
    return labels[0] if is_2d else labels


def _working_dtype(dtype: np.dtype) -> np.dtype:
    """float32 for float16 and float32 images, float64 for all others (scikit-image's rule)."""
    return np.dtype(np.float32 if dtype.kind == "f" and dtype.itemsize <= 4 else np.float64)


def _working_float(image: np.ndarray) -> np.ndarray:
    """A C-contiguous copy in the working float type, scaled as ``img_as_float`` scales."""
    kind = image.dtype.kind
    if kind in "fb":
        return np.array(image, dtype=_working_dtype(image.dtype), order="C")
    scaled = np.multiply(image, 1.0 / np.iinfo(image.dtype).max, dtype=np.float64)
    if kind == "i":
        np.maximum(scaled, -1.0, out=scaled)
    return np.ascontiguousarray(scaled)


def _value_range(values: np.ndarray):
    """(smallest, largest) of `values`, or a ValueError for NaN or infinity."""
    smallest = values.min()
    largest = values.max()
    if np.isnan(smallest) or np.isnan(largest):
        raise ValueError("`image` must not contain NaN (outside the mask, when there is one).")
    if np.isinf(smallest) or np.isinf(largest):
        raise ValueError("`image` must not contain infinity (outside the mask, when there is one).")
    return smallest, largest


def _inside(image: np.ndarray, mask, multichannel: bool) -> np.ndarray:
    """The values of `image` inside `mask` (all channels), or the image itself."""
    if mask is None:
        return image
    inside = mask.astype(bool)
    if multichannel:
        inside = np.broadcast_to(inside[..., np.newaxis], image.shape)
    return image[inside]


@functools.cache
def numpy_uses_svml() -> bool:
    """Whether ``np.cbrt`` and ``np.power`` call NumPy's SVML on this machine (NumPy's Linux
    x86-64 wheels do on CPUs with AVX-512), as the Lab kernels must then too: they call the C
    library's functions otherwise, and on half of all values the two differ in the last bit.
    Told apart by their results on a few values (Python's ``math`` calls the C library)."""
    if not SVML_FOUND:
        return False
    probe = np.linspace(0.01, 0.99, 99)
    roots = np.array([math.cbrt(value) for value in probe])
    powers = np.array([math.pow(value, 2.4) for value in probe])
    return not (np.array_equal(np.cbrt(probe), roots) and np.array_equal(probe**2.4, powers))


def _working_image(image, mask, multichannel: bool, convert2lab, ratio, smooth: bool):
    """(rows, C, width) working floats: rescaled to [0, 1], in Lab when asked, and times
    `ratio` unless `smooth` (or unless the product needs NumPy's type rules); and whether they
    were multiplied."""
    n_channels = image.shape[-1] if multichannel else 1
    width = image.shape[-2] if multichannel else image.shape[-1]
    rows = image.size // (n_channels * width)
    lab = multichannel and convert2lab is not False
    if lab and n_channels != 3:
        if convert2lab:
            raise ValueError(
                f"`convert2lab`=True needs an RGB image (3 channels); got {n_channels}."
            )
        lab = False
    dtype = _working_dtype(image.dtype)
    # NumPy multiplies a float32 image by a float64 scalar in float64: left to NumPy then.
    scale_here = not smooth and np.result_type(dtype, ratio) == dtype
    if not lab:
        working = _working_float(image)
        smallest, largest = _value_range(_inside(working, mask, multichannel))
        working -= smallest
        if largest != smallest:
            working /= largest - smallest
        planar = np.ascontiguousarray(np.moveaxis(working.reshape(rows, width, n_channels), 2, 1))
        if scale_here:
            np.multiply(planar, ratio, out=planar)
        return planar, scale_here
    constants = np.array(_LAB_CONSTANTS, dtype=dtype)
    svml = numpy_uses_svml()
    matrix = np.ascontiguousarray(_XYZ_FROM_RGB.T.astype(dtype))
    white = np.array(_D65_WHITE, dtype=dtype)
    planar = np.empty((rows, 3, width), dtype=dtype)
    scale = dtype.type(ratio) if scale_here else dtype.type(1)
    n_parts = -(-rows // _LAB_ROWS)
    source = _validate.native_byte_order(image)
    if source.dtype.kind in "biu" and source.dtype.itemsize <= 2:
        # The value in [0, 1] of each level and its sRGB curve, computed once: the table holds
        # the bits the same arithmetic gives pixel by pixel.
        unsigned = np.dtype(f"u{source.dtype.itemsize}")
        levels = np.arange(2 ** (8 * unsigned.itemsize), dtype=unsigned)
        if source.dtype.kind == "b":
            levels = levels[:2]
        values = _working_float(levels.view(source.dtype))
        indices = np.ascontiguousarray(source).view(unsigned)
        present = _inside(source, mask, True)
        extremes = np.array([present.min(), present.max()], dtype=source.dtype).view(unsigned)
        smallest, largest = values[extremes[0]], values[extremes[1]]
        values -= smallest
        if largest != smallest:
            values /= largest - smallest
        linear = np.empty_like(values)
        linear_levels(values, constants, svml, linear)
        n_threads = max(1, min(_config.get_num_threads(), n_parts))
        cache_keys = np.full((n_threads, COLOR_CACHE_SIZE), -1, dtype=np.int64)
        cache_lab = np.empty((n_threads, 3, COLOR_CACHE_SIZE), dtype=dtype)
        _config.run_in_threads(
            levels_to_lab, n_parts, indices.reshape(rows, width, 3), 8 * unsigned.itemsize,
            linear, constants, svml, matrix, white, scale, scale_here, cache_keys, cache_lab,
            planar, _LAB_ROWS,
        )  # fmt: skip
    else:
        working = np.ascontiguousarray(
            _working_float(source) if source.dtype.kind != "f" else source, dtype=dtype
        )
        smallest, largest = _value_range(_inside(working, mask, True))
        _config.run_in_threads(
            floats_to_lab, n_parts, working.reshape(rows, width, 3), smallest, largest - smallest,
            constants, svml, matrix, white, scale, scale_here, planar, _LAB_ROWS,
        )  # fmt: skip
    return planar, scale_here


def _spacing(spacing, is_2d: bool, dtype) -> np.ndarray:
    """(3,) of the working dtype: z, y, x."""
    if spacing is None:
        return np.ones(3, dtype=dtype)
    values = _per_axis(spacing, "spacing", is_2d)
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError(f"`spacing` must be finite and > 0; got {list(values)}.")
    if is_2d:
        values = np.insert(values, 0, 1)
    return np.ascontiguousarray(values, dtype=dtype)


def _sigmas(sigma, spacing: np.ndarray, is_2d: bool, dtype) -> np.ndarray:
    """(3,) of the working dtype, z, y, x, as scikit-image derives them."""
    if isinstance(sigma, numbers.Real) and not isinstance(sigma, bool):
        _validate.check_sigma(sigma, "sigma")
        sigmas = np.array([sigma, sigma, sigma], dtype=dtype)
        sigmas /= spacing
        return sigmas
    values = _per_axis(sigma, "sigma", is_2d)
    for value in values:
        _validate.check_sigma(float(value), "sigma")
    sigmas = np.asarray(values, dtype=dtype)
    return np.insert(sigmas, 0, 0) if is_2d else sigmas


def _per_axis(values, name: str, is_2d: bool) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        raise TypeError(f"`{name}` must be a sequence of numbers; got {values!r}.")
    expected = 2 if is_2d else 3
    if array.size != expected:
        raise ValueError(
            f"`{name}` must have one value per spatial axis ({expected}); got {array.size}."
        )
    return array


def _smooth(volume: np.ndarray, sigmas: np.ndarray) -> None:
    """In place: ``scipy.ndimage.gaussian_filter`` with `sigmas` along z, y and x (not across
    channels), borders reflected, of the planar volume (depth, height, channels, width)."""
    for axis, sigma in zip((0, 1, 3), sigmas, strict=True):
        if not sigma > 1e-15:
            continue
        weights = gaussian_weights(sigma)  # a float32 sigma: scipy squares it in float32
        radius = weights.shape[0] - 1
        length = volume.shape[axis]
        lines = volume.reshape(math.prod(volume.shape[:axis]), length, -1)
        sources = extended_indices(length, radius, "reflect")
        n_lines = lines.shape[0] * lines.shape[2]
        n_threads = max(1, min(_config.get_num_threads(), n_lines))
        line = np.empty((n_threads, length + 2 * radius))
        smoothed = np.empty((n_threads, length))
        _config.run_in_threads(smooth_lines, n_lines, lines, weights, sources, line, smoothed)


def regular_grid_steps(shape: tuple[int, ...], n_points: int) -> list[tuple[int, int]]:
    """(start, step) per axis of ``skimage.util.regular_grid(shape, n_points)``: points about
    equally spaced in every axis, axes too short for the spacing taken whole (one point)."""
    dims = np.asarray(shape)
    ndim = len(shape)
    order_back = np.argsort(np.argsort(dims))
    sorted_dims = np.sort(dims)
    space_size = float(np.prod(dims))
    if space_size <= n_points:
        return [(0, 1)] * ndim
    steps = np.full(ndim, (space_size / n_points) ** (1.0 / ndim), dtype="float64")
    if (sorted_dims < steps).any():
        for dim in range(ndim):
            steps[dim] = sorted_dims[dim]
            space_size = float(np.prod(sorted_dims[dim + 1 :]))
            steps[dim + 1 :] = (space_size / n_points) ** (1.0 / (ndim - dim - 1))
            if (sorted_dims >= steps).all():
                break
    starts = (steps // 2).astype(int)
    steps = np.round(steps).astype(int)
    return [(int(starts[i]), int(steps[i])) for i in order_back]


def _grid_centroids(shape3, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    grid = regular_grid_steps(shape3, n_segments)
    axes = [
        np.arange(start, length, step) for (start, step), length in zip(grid, shape3, strict=True)
    ]
    mesh = np.meshgrid(*axes, indexing="ij")
    centroids = np.stack([m.ravel() for m in mesh], axis=-1)
    steps = np.array([float(step) for _, step in grid])
    return centroids, steps


def _mask_centroids(mask3: np.ndarray, n_centroids: int, multichannel: bool):
    """maskSLIC's seeds: scikit-image's random subsets (``RandomState(123)``) of the mask's
    coordinates, moved by 5 iterations of ``scipy.cluster.vq.kmeans2``."""
    coord = np.array(np.nonzero(mask3), dtype=float).T
    rng = np.random.RandomState(123)
    idx_full = np.arange(len(coord), dtype=int)
    idx = np.sort(rng.choice(idx_full, min(n_centroids, len(coord)), replace=False))
    # The subset scikit-image clusters: its count of spatial axes is that of the 3-D mask,
    # less one for a multichannel image.
    ndim_spatial = mask3.ndim - 1 if multichannel else mask3.ndim
    n_dense = int((10**ndim_spatial) * n_centroids)
    if len(coord) > n_dense:
        points = coord[np.sort(rng.choice(idx_full, n_dense, replace=False))]
    else:
        points = coord
    centroids = _kmeans2_points(points, coord[idx], 5)
    squared = np.zeros((len(centroids), len(centroids)))
    for j in range(3):
        squared += (centroids[:, np.newaxis, j] - centroids[np.newaxis, :, j]) ** 2
    distances = np.sqrt(squared)
    np.fill_diagonal(distances, np.inf)
    closest = distances.argmin(-1)
    steps = abs(centroids - centroids[closest, :]).mean(0)
    return centroids, steps


def _kmeans2_points(points: np.ndarray, codebook: np.ndarray, n_iter: int) -> np.ndarray:
    """``scipy.cluster.vq.kmeans2(points, codebook, iter=n_iter)[0]``: nearest code by the sum
    of squared differences in feature order (first of equals), means in point order, an empty
    cluster keeping its code."""
    codebook = codebook.copy()
    n_codes = len(codebook)
    for _ in range(n_iter):
        codes = np.empty(len(points), dtype=np.intp)
        for start in range(0, len(points), 4096):
            block = points[start : start + 4096]
            squared = np.zeros((len(block), n_codes))
            for j in range(points.shape[1]):
                squared += (block[:, np.newaxis, j] - codebook[np.newaxis, :, j]) ** 2
            codes[start : start + 4096] = squared.argmin(axis=1)
        counts = np.bincount(codes, minlength=n_codes)
        sums = np.zeros_like(codebook)
        np.add.at(sums, codes, points)
        members = counts > 0
        codebook[members] = sums[members] / counts[members, np.newaxis]
    return codebook


def _connectivity_scratch(max_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scratch arrays of :func:`enforce_label_connectivity` for pieces of `max_size`."""
    size = max(max_size, 1)
    return (
        np.empty((size, 4), dtype=np.int64),
        np.empty((size, 3), dtype=np.int64),
        np.empty((4 * size + 1, 2), dtype=np.int64),
    )


def _balanced_bands(windows: np.ndarray, band_starts: np.ndarray) -> np.ndarray:
    """Band starts that give each band about the same number of distances to compute: the row
    counts of the 2-D image's rows are the widths of the windows over them. One band per thread
    keeps the rows each band adds for centres of the band above to about 4 steps."""
    n_rows = int(band_starts[-1])
    n_bands = len(band_starts) - 1
    valid = (windows[:, 0::2] < windows[:, 1::2]).all(axis=1)
    widths = (windows[valid, 5] - windows[valid, 4]).astype(np.float64)
    change = np.zeros(n_rows + 1)
    np.add.at(change, windows[valid, 2], widths)
    np.add.at(change, windows[valid, 3], -widths)
    work = np.cumsum(np.cumsum(change[:n_rows]))
    if work[-1] <= 0:
        return band_starts
    targets = work[-1] * np.arange(1, n_bands) / n_bands
    inner = np.searchsorted(work, targets) + 1
    starts = np.concatenate([[0], inner, [n_rows]])
    # Every band keeps at least one row (the kernels take any split).
    return np.maximum.accumulate(np.minimum(starts, n_rows - n_bands + np.arange(n_bands + 1)))


class _Iterations:
    """The assignment and update loop over one image and its centres (scikit-image's
    ``_slic_cython``), split among threads by bands of rows."""

    def __init__(self, image, mask, segments, shape3, step, spacing, start_label):
        depth, height, width = shape3
        n_rows = depth * height
        dtype = image.dtype.type
        self.image = image
        self.mask = np.ones((1, width), dtype=np.uint8) if mask is None else mask
        self.segments = segments
        self.height = height
        self.shape3 = shape3
        self.start_label = start_label
        self.labels = np.full((n_rows, width), start_label - 1, dtype=np.intp)
        self.coords = tuple(np.arange(n, dtype=dtype) for n in shape3)
        self.spacing = spacing
        # scikit-image passes `step` as a C float: rounded to float32, squared in float32.
        float_step = np.float32(step)
        with np.errstate(divide="ignore"):  # one centre, step 0: C gives inf too
            self.spatial_weight = dtype(np.float64(1.0) / np.float64(float_step * float_step))
        grid = regular_grid_steps(shape3, segments.shape[0])
        self.two_steps = np.array([2 * s for _, s in grid], dtype=dtype)
        self.extent = np.array(shape3, dtype=dtype)
        n_bands = max(1, min(_config.get_num_threads(), n_rows))
        self.band_starts = np.array([n_rows * b // n_bands for b in range(n_bands + 1)])
        k = segments.shape[0]
        self.distance = np.empty((n_bands, width), dtype=dtype)
        self.colors = np.empty((n_bands, width), dtype=dtype)
        self.candidates = np.empty((n_bands, k), dtype=np.int64)

    def windows(self) -> np.ndarray:
        """(K, 6) z0, z1, y0, y1, x0, x1: centre -+ 2 steps, truncated, inside the image."""
        dtype = self.segments.dtype.type
        centres = self.segments[:, :3]
        low = np.maximum(centres - self.two_steps, dtype(0))
        high = np.minimum((centres + self.two_steps) + dtype(1), self.extent)
        windows = np.zeros((len(centres), 6), dtype=np.int64)
        valid = ~np.isnan(centres).any(axis=1)
        windows[valid, 0::2] = low[valid].astype(np.int64)
        windows[valid, 1::2] = high[valid].astype(np.int64)
        return windows

    def run(self, n_iter: int, slic_zero: bool, ignore_color: bool) -> None:
        segments = self.segments
        k, n_features = segments.shape
        dtype = segments.dtype.type
        color_scale = np.ones(k, dtype=dtype)
        n_bands = len(self.band_starts) - 1
        for iteration in range(n_iter):
            windows = self.windows()
            if self.shape3[0] == 1 and n_bands > 1:
                self.band_starts = _balanced_bands(windows, self.band_starts)
            empty = (windows[:, 0::2] >= windows[:, 1::2]).any(axis=1)
            first_rows = windows[:, 0] * self.height + windows[:, 2]
            last_rows = (windows[:, 1] - 1) * self.height + windows[:, 3] - 1
            owner = np.searchsorted(self.band_starts, first_rows, side="right") - 1
            owner[empty] = -1
            sums = np.zeros((k, n_features), dtype=dtype)
            counts = np.zeros(k, dtype=np.int64)
            flags = np.zeros((2, n_bands), dtype=np.int64)  # uncovered, changed
            _config.run_in_threads(
                assign_bands, n_bands, self.image, self.mask, self.labels,
                segments, windows, self.height, self.coords, self.spacing, self.spatial_weight,
                color_scale, slic_zero, ignore_color, self.start_label, self.band_starts, owner,
                sums, counts, flags, self.distance, self.colors, self.candidates, dtype(0),
                np.int64(0),
            )  # fmt: skip
            if not flags[1].any():
                break
            if flags[0].any():
                # A pixel in no window kept a label whose window may lie elsewhere: add all
                # pixels in raster order, in one band.
                sums[:] = 0
                counts[:] = 0
                add_owned_rows(
                    self.image, self.mask, self.labels, self.height, self.coords,
                    self.start_label, np.zeros(k, dtype=np.int64),
                    np.array([[0, self.labels.shape[0]]]), sums, counts, 0, 1,
                )  # fmt: skip
            elif n_bands > 1:
                ends = self.band_starts[1:]
                reach = ends.copy()
                owned = owner >= 0
                np.maximum.at(reach, owner[owned], last_rows[owned] + 1)
                row_ranges = np.stack([ends, reach], axis=1)
                _config.run_in_threads(
                    add_owned_rows, n_bands, self.image, self.mask, self.labels,
                    self.height, self.coords, self.start_label, owner, row_ranges, sums, counts,
                )  # fmt: skip
            last = iteration == n_iter - 1
            if last and not ignore_color:
                break  # the labels are final; scikit-image's last update changes nothing
            with np.errstate(divide="ignore", invalid="ignore"):
                segments[:] = sums / counts.astype(dtype)[:, np.newaxis]
            if slic_zero and not ignore_color and not last:
                spread = np.tile(color_scale, (n_bands, 1))
                _config.run_in_threads(
                    color_spread_bands, n_bands, self.image, self.mask, self.labels, segments,
                    self.start_label, self.band_starts, spread,
                )  # fmt: skip
                color_scale = spread.max(axis=0)
