"""Segmentation and Canny edges of images larger than memory, chunk by chunk with Dask.

The drivers here run the same kernels as :func:`fastseg.segment` and :func:`fastseg.canny` over
the chunks of a ``dask.array`` and reduce the chunks' results in a fixed order, so that they give
the in-memory results (see each function's Notes for what is bit-identical). They work with any
Dask scheduler: threads, processes or a ``dask.distributed`` cluster.

Needs the optional dependencies: ``pip install 'fastseg[dask]'``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import stat
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import dask
import dask.array as da
import numpy as np

from . import _config, _validate
from ._config import CHUNK_SIZE
from ._kernels import colors, components, lloyd
from ._kernels.canny import EDGE, NOT_EDGE, classify_image
from .edges import BAND_ROWS, _kernel_rows, _magnitude_thresholds
from .kmeans import check_run_options, fit
from .passes import (
    MAX_FEATURES_DIRECT,
    NO_WEIGHTS,
    MemoryPasses,
    PassTotals,
    Units,
    indices_at_fractions,
    label_dtype,
    mean_variance,
    reduce_partials,
    sums_are_exact,
    sums_origin,
)
from .segment import (
    ColorTable,
    ImagePlan,
    Segmentation,
    colour_sums_of,
    distinct_path,
    label_pixels,
    mean_colors_of,
    packed_codes,
    plan_image,
    segmentation_fields,
    split_channels,
)

__all__ = [
    "DaskSegmentation",
    "canny",
    "canny_to_zarr",
    "check_output_store",
    "open_image",
    "segment",
    "segment_to_zarr",
    "to_zarr",
]

#: Partial results merged by one task of a tree reduction.
FAN_IN = 8
#: Below this many pixels a block's colours are sorted; above, counted in the 2^24-entry table,
#: whose scan costs about as much as sorting this many codes.
SMALL_BLOCK = 1 << 18
_TIFF_SUFFIXES = (".tif", ".tiff")


# --- input --------------------------------------------------------------------------------------


def _check_dask_image(image, name: str, dtypes, dtype_names: str, max_channels: int) -> da.Array:
    """A non-empty dask array (H, W) or (H, W, C) of a listed dtype, channels in one chunk."""
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
    if not image.dtype.isnative:
        image = image.astype(image.dtype.newbyteorder("="))
    if image.ndim == 3 and len(image.chunks[2]) > 1:
        image = image.rechunk({2: -1})
    return image


def _delayed_blocks(array: da.Array) -> list:
    """The blocks of a 2-D or 3-D array as a grid (list of rows) of Delayed objects."""
    blocks = array.to_delayed()
    if array.ndim == 3:
        blocks = blocks[:, :, 0]
    return [list(row) for row in blocks]


def _tree_reduce(parts: list, merge):
    """Delayed merge of `parts` in a tree of FAN_IN-way merges that keeps their order."""
    while len(parts) > 1:
        parts = [
            dask.delayed(merge, pure=True)(*parts[i : i + FAN_IN])
            for i in range(0, len(parts), FAN_IN)
        ]
    return parts[0]


# --- segmentation -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DaskSegmentation(Segmentation):
    """The outcome of :func:`segment`: the fields of :class:`fastseg.Segmentation`, with the labels
    (and the alpha channel, if any) as lazy dask arrays that keep the image's chunks; everything
    else is computed.
    """

    def recolor(self) -> da.Array:
        """The image with each pixel replaced by its cluster's mean colour, as a lazy dask array.

        Same shape, dtype and channel order as the input; an alpha channel is kept as it was.
        """
        colours = self.cluster_colours()
        n_channels = colours.shape[1]
        image = self.labels.map_blocks(
            _recolour_block, colours, dtype=self.dtype, new_axis=2,
            chunks=(*self.labels.chunks, (n_channels,)),
        )  # fmt: skip
        if n_channels == 1:
            image = image[:, :, 0]
        if self.alpha is not None:
            image = da.concatenate([image, self.alpha[:, :, None]], axis=2)
        return image

    def masks(self) -> da.Array:
        """Lazy boolean masks of shape (k, H, W), one per cluster."""
        clusters = np.arange(len(self.centers))
        return self.labels[None, :, :] == clusters[:, None, None]


def _segmentation(labels, result, mean_colours, totals, method, alpha, dtype) -> DaskSegmentation:
    """The outcome of either path from its lazy labels and the k-means result."""
    return DaskSegmentation(
        labels=labels,
        alpha=alpha,
        dtype=np.dtype(dtype),
        **segmentation_fields(result, mean_colours, totals, method, dtype),
    )


def _recolour_block(labels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    return colours[labels]


def segment(
    image,
    k: int,
    *,
    color_space: str = "rgb",
    channel_order: str = "rgb",
    criteria=None,
    attempts: int = 1,
    init="k-means++",
    seed=None,
    spatial: float = 0.0,
    method: str = "auto",
) -> DaskSegmentation:
    """Segment a dask array image into k colour clusters, as :func:`fastseg.segment` does.

    Parameters
    ----------
    image : dask array of shape (H, W), (H, W, 3) or (H, W, 4)
        uint8, uint16, float32 or float64, in any chunking (the channels are gathered into one
        chunk). A fourth channel is alpha, not clustered. Float images must lie in [0, 1], as
        for :func:`fastseg.segment` (their range is checked in one pass over the chunks).
    k, color_space, channel_order, criteria, attempts, init, seed, spatial, method
        As for :func:`fastseg.segment`.

    Returns
    -------
    DaskSegmentation
        Centres, palette, counts, compactness and iterations are computed; the labels are a lazy
        dask array with the chunks of the image.

    Notes
    -----
    8-bit images take the distinct-colour path as in memory: the distinct colours and their pixel
    counts are gathered per chunk and merged (in the order the in-memory path lists them), the
    same k-means runs on them in memory, and the labels are looked up per chunk. Labels, centres,
    palette, counts, compactness and iterations are bit-identical to :func:`fastseg.segment`.

    The per-pixel path (16-bit and float images, ``spatial > 0`` or ``method="pixels"``) runs one
    Dask pass per Lloyd iteration. Where the features are the 8- or 16-bit pixels themselves (rgb
    or gray, no spatial features) every sum of a pass is an integer below 2^53, exact in any
    order: each chunk of the image yields the partial sums of its own pixels, so a pass reads
    each chunk once and holds a few chunks per worker. Elsewhere the order of the additions
    matters: the pixels are cut, in row-major order, into blocks of whole image rows that start
    at multiples of the engine's chunk size, so each block yields exactly the in-memory engine's
    per-chunk partial sums, reduced in chunk order as in memory. Either way the seeding and the
    re-seeding of empty clusters draw the same rows as in memory, and labels, centres,
    compactness and iterations are bit-identical. The mean colours (and so the palette) are sums
    of all pixels per cluster: exact, hence identical, for 8- and 16-bit images; for float images
    whose features are not the pixels themselves (hsv, lab, gray or spatial features) they are
    summed per block and may differ from the in-memory values in the last bits.

    The image is never held in memory. A per-pixel pass reads it again; on the distinct path it
    is read twice, once for the colours and once when the labels are computed, and memory is
    bounded by the colour counts (a 64 MB table per worker thread and the merged counts of at
    most 2^24 colours), not by the image size.

    Examples
    --------
    >>> import dask.array as da, fastseg, fastseg.dask
    >>> image = da.from_array(fastseg.sample_image(), chunks=(200, 200, 3))
    >>> result = fastseg.dask.segment(image, 4, seed=0)
    >>> result.labels.chunks[0], result.palette.shape
    ((200, 200, 112), (4, 3))
    """
    image = _check_dask_image(
        image, "image", _validate.SAMPLE_DTYPES, _validate._SAMPLE_DTYPE_NAMES, 4
    )
    if image.ndim == 3 and image.shape[2] == 2:
        raise ValueError(
            f"`image` must have shape (H, W), (H, W, 3) or (H, W, 4); got {image.shape}."
        )
    plan = plan_image(image.shape, image.dtype, k, color_space, channel_order, spatial, method)
    options = check_run_options(criteria, attempts, init, seed, plan.k, plan.n_features)
    channels, alpha = split_channels(image)
    if image.dtype.kind == "f":
        # One pass over the chunks (the three reductions share the reads); the rule and its
        # messages are those of the in-memory check, applied to the extremes found.
        finite, low, high = dask.compute(da.isfinite(image).all(), image.min(), image.max())
        extremes = np.array([[low, high] if finite else [np.nan, np.nan]], dtype=image.dtype)
        _validate.check_image(extremes, "image")
    if plan.counts_colors:
        colours, counts = _distinct_colours_of(channels)
        if distinct_path(plan, len(colours)):
            return _segment_distinct(channels, alpha, colours, counts, plan, options)
    return _segment_pixels(channels, alpha, plan, options)


# The distinct-colour path.


def _pixels_of(block: np.ndarray) -> np.ndarray:
    """(h, w, 3) or (h, w) block as C-contiguous (n, channels) pixels."""
    channels = 1 if block.ndim == 2 else block.shape[2]
    return np.ascontiguousarray(block).reshape(-1, channels)


def _block_colours(block: np.ndarray):
    """Packed distinct colours of a (h, w, 3) uint8 block, increasing, and their counts."""
    pixels = _pixels_of(block)
    if len(pixels) < SMALL_BLOCK:
        codes, counts = np.unique(packed_codes(pixels), return_counts=True)
        return codes, counts.astype(np.float64)
    with ColorTable() as table:
        colours, counts = table.count(pixels)
    return packed_codes(colours), counts


def _merge_colours(*parts):
    codes = np.concatenate([part[0] for part in parts])
    counts = np.concatenate([part[1] for part in parts])
    # Counts are integers below 2**53 in float64: their sums are exact in any order.
    if len(codes) < SMALL_BLOCK:
        merged, inverse = np.unique(codes, return_inverse=True)
        return merged, np.bincount(inverse, weights=counts, minlength=len(merged))
    # Many colours: a dense count of every packed colour (128 MB) costs less than sorting them.
    dense = np.bincount(codes, weights=counts, minlength=colors.N_COLOURS)
    merged = np.flatnonzero(dense)
    return merged, dense[merged]


def _block_intensities(block: np.ndarray) -> np.ndarray:
    return np.bincount(block.ravel(), minlength=256)


def _merge_intensities(*parts):
    return np.sum(parts, axis=0)


def _distinct_colours_of(channels: da.Array):
    """The distinct colours (m, channels) uint8 of the image and their counts (m,) float64, in
    the order of the in-memory path: increasing packed colour, or intensity for gray images."""
    blocks = [block for row in _delayed_blocks(channels) for block in row]
    if channels.ndim == 2:
        parts = [dask.delayed(_block_intensities, pure=True)(block) for block in blocks]
        counts = _tree_reduce(parts, _merge_intensities).compute().astype(np.float64)
        colours = np.flatnonzero(counts).astype(np.uint8)[:, None]
        return colours, counts[counts > 0]
    parts = [dask.delayed(_block_colours, pure=True)(block) for block in blocks]
    codes, counts = _tree_reduce(parts, _merge_colours).compute()
    colours = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], 1).astype(np.uint8)
    return colours, counts


def _colour_table(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of every packed colour (those absent get 0, never read)."""
    table = np.zeros(colors.N_COLOURS, dtype=labels.dtype)
    table[codes] = labels
    return table


def _label_colour_block(block: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Labels of a (h, w, 3) uint8 block from the colour -> label table."""
    labels = np.empty(block.shape[0] * block.shape[1], dtype=table.dtype)
    label_pixels(_pixels_of(block), table, labels)
    return labels.reshape(block.shape[:2])


def _label_intensity_block(block: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    return lookup[block]


def _segment_distinct(channels, alpha, colours, counts, plan: ImagePlan, options):
    result = fit(MemoryPasses(plan.features(colours), counts, plan.k), options)
    mean_colours, totals = mean_colors_of(result, colours, counts, plan, "distinct")
    dtype = result.labels.dtype
    if colours.shape[1] == 1:
        lookup = np.zeros(256, dtype=dtype)
        lookup[colours[:, 0]] = result.labels
        labels = channels.map_blocks(_label_intensity_block, lookup, dtype=dtype)
    else:
        # The graph carries the colours and their labels (5 bytes per colour); one task turns
        # them into the 16 MB table of every packed colour that the chunks read.
        table = dask.delayed(_colour_table, pure=True)(
            packed_codes(colours).astype(np.uint32), result.labels
        )
        labels = channels.map_blocks(_label_colour_block, table, dtype=dtype, drop_axis=2)
    return _segmentation(labels, result, mean_colours, totals, "distinct", alpha, channels.dtype)


# The per-pixel path.


def _flat_pixels(rows: np.ndarray, offset: int, length: int) -> np.ndarray:
    """Pixels [offset, offset + length) of whole image rows, as (length, channels)."""
    return _pixels_of(rows)[offset : offset + length]


def _flat_features(rows, offset, length, start, spec):
    pixels = _flat_pixels(rows, offset, length)
    if spec.spatial > 0:
        image_rows, columns = np.divmod(np.arange(start, start + length), spec.shape[1])
    else:
        image_rows = columns = None
    return spec.features(pixels, image_rows, columns)


def _flat_blocks(channels: da.Array, block_length: int):
    """(start, length, rows, offset) of consecutive blocks of the row-major pixels: the pixels
    [start, start + length) are ``rows`` (a dask slice of whole image rows) from `offset` on."""
    height, width = channels.shape[:2]
    n_pixels = height * width
    for start in range(0, n_pixels, block_length):
        stop = min(n_pixels, start + block_length)
        first_row, last_row = start // width, (stop - 1) // width
        yield start, stop - start, channels[first_row : last_row + 1], start - first_row * width


def _block_length(channels: da.Array) -> int:
    """Pixels per block of a pass: a multiple of the engine's chunk size near the mean chunk."""
    chunk_pixels = channels.shape[0] * channels.shape[1] / channels.npartitions
    return CHUNK_SIZE * max(1, round(chunk_pixels / CHUNK_SIZE))


def _sample_array(channels: da.Array, spec: ImagePlan) -> da.Array:
    """The features of all pixels, (H * W, n_features), in blocks that start at multiples of
    CHUNK_SIZE, each computed from the image rows it covers."""
    dtype = channels.dtype if spec.features_are_pixels else np.dtype(np.float64)
    blocks = []
    for start, length, rows, offset in _flat_blocks(channels, _block_length(channels)):
        task = dask.delayed(_flat_features, pure=True)(rows, offset, length, start, spec)
        blocks.append(da.from_delayed(task, shape=(length, spec.n_features), dtype=dtype))
    return da.concatenate(blocks, axis=0)


def _nearest(samples, origin, relative, dtype):
    """Labels of the samples (nearest of the centers `relative` to `origin`), and the pass's
    per-chunk partial sums."""
    n = samples.shape[0]
    k, d = relative.shape
    n_chunks = -(-n // CHUNK_SIZE)
    labels = np.zeros(n, dtype=dtype)
    sums = np.empty((n_chunks, k, d))
    weight_sums = np.empty((n_chunks, k))
    square_sums = np.empty((n_chunks, k))
    n_changed = np.empty(n_chunks, dtype=np.int64)
    _config.run_in_threads(
        lloyd.lloyd_pass, n_chunks, samples, origin, NO_WEIGHTS, relative, labels, sums,
        weight_sums, square_sums, n_changed, False,
    )  # fmt: skip
    return labels, (sums, weight_sums, square_sums), n_changed


def _block_partials(samples, origin, relative, dtype):
    return _nearest(samples, origin, relative, dtype)[1]


def _chunk_totals(samples, origin, relative, dtype):
    """The partial sums of a chunk of the image's pixels, added up (exact, see
    :func:`_sums_exact_by_chunk`): one row per chunk instead of one per engine chunk."""
    return tuple(
        part.sum(axis=0, keepdims=True)
        for part in _block_partials(samples, origin, relative, dtype)
    )


def _block_changes(samples, origin, before, after, dtype):
    """How many labels differ between the centers `before` and `after`."""
    labels, _, _ = _nearest(samples, origin, before, dtype)
    n = samples.shape[0]
    k, d = after.shape
    n_chunks = -(-n // CHUNK_SIZE)
    n_changed = np.empty(n_chunks, dtype=np.int64)
    _config.run_in_threads(
        lloyd.lloyd_pass, n_chunks, samples, origin, NO_WEIGHTS, after, labels,
        np.empty((n_chunks, k, d)), np.empty((n_chunks, k)), np.empty((n_chunks, k)), n_changed,
        False,
    )  # fmt: skip
    return int(n_changed.sum())


def _block_farthest(samples, origin, relative, centers, m, start, dtype):
    """Per chunk of the block, its m samples farthest from their centers (global indices), and
    the label and float64 row of each."""
    labels, _, _ = _nearest(samples, origin, relative, dtype)
    n_chunks = -(-samples.shape[0] // CHUNK_SIZE)
    top_index = np.empty((n_chunks, m), dtype=np.int64)
    top_distance = np.empty((n_chunks, m))
    _config.run_in_threads(
        lloyd.farthest_samples, n_chunks, samples, NO_WEIGHTS, centers, labels, top_index,
        top_distance,
    )  # fmt: skip
    found = top_index[top_index >= 0]
    chosen = {
        int(start + i): (int(labels[i]), np.asarray(samples[i], dtype=np.float64)) for i in found
    }
    top_index[top_index >= 0] += start
    return top_index, top_distance, chosen


class _ChunkedPasses:
    """The pass source (see :mod:`fastseg.passes`) over a dask array of samples whose blocks
    start at multiples of CHUNK_SIZE: each block's pass gives the in-memory source's partials of
    the same chunks.

    Labels are not kept (they would be one byte per pixel): a pass only returns partial sums, so
    every pass sums all samples (no update by moves).

    The samples are the features of the pixels of `channels` (an (H, W[, C]) image) by `spec`,
    in row-major order. With `by_chunk` (features that are the pixels themselves, with exact
    sums: see :func:`_sums_exact_by_chunk`), passes sum each chunk of the image on its own and
    the seeding reads its rows from the image's chunks; the re-seeding of empty clusters still
    reads blocks of whole engine chunks (:attr:`samples`), so that it picks the same rows as in
    memory. Otherwise every pass reads :attr:`samples`.
    """

    units = Units()
    weighted = False
    weights = NO_WEIGHTS

    def __init__(self, channels: da.Array, spec: ImagePlan, k: int, by_chunk: bool):
        self._channels, self._spec = channels, spec
        self.n_samples = channels.shape[0] * channels.shape[1]
        self.n_features = spec.n_features
        if self.n_features > MAX_FEATURES_DIRECT and k > 1:
            raise ValueError(f"at most {MAX_FEATURES_DIRECT} features; got {self.n_features}")
        self.k = k
        self.total_weight = float(self.n_samples)
        self._dtype = label_dtype(k)
        self.labels = np.zeros(0, dtype=self._dtype)
        self.image = channels if by_chunk else None
        # Unsigned pixels are measured from 0, as in memory.
        self.origin = np.zeros(self.n_features) if by_chunk else sums_origin(self.samples)
        self._last_relative = None
        self._last_partials = None
        self._farthest = {}
        self._pass_blocks = self._blocks() if self.image is None else _chunk_pixels(self.image)

    @functools.cached_property
    def samples(self) -> da.Array:
        """The (n, n_features) samples, in blocks of whole engine chunks (built when first
        needed: a graph of one task per block, each slicing whole rows of the image)."""
        return _sample_array(self._channels, self._spec)

    def mean_variance(self) -> float:
        return mean_variance(_ChunkedPasses(self._channels, self._spec, 1, self.image is not None))

    def _blocks(self) -> list:
        return list(self.samples.to_delayed().ravel())

    def _block_starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.samples.chunks[0])[:-1]])

    def partials(self, centers: np.ndarray, *, update: bool = False) -> PassTotals:
        """One pass, as :meth:`fastseg.passes.MemoryPasses.partials` (`update` changes nothing:
        no labels are kept)."""
        relative = centers - self.origin
        partials, changed = self._chunk_partials(relative)
        return PassTotals(*reduce_partials(partials, relative, self.origin)[1], changed)

    def _chunk_partials(self, relative: np.ndarray):
        """The engine chunks' partial sums, computed block by block, and the number of labels
        that changed.

        The number of changed labels is exact when it is 0; otherwise it is a positive lower
        bound: chunks whose partial sums differ from the last pass's have some changed label, and
        only when no chunk's sums differ are the labels of the two passes compared.
        """
        partials_of = _block_partials if self.image is None else _chunk_totals
        tasks = [
            dask.delayed(partials_of, pure=True)(block, self.origin, relative, self._dtype)
            for block in self._pass_blocks
        ]
        parts = dask.compute(*tasks)
        partials = tuple(np.concatenate([part[i] for part in parts]) for i in range(3))
        if self._last_partials is None:
            changed = self.n_samples
        else:
            changed = sum(
                int((before != after).reshape(len(after), -1).any(axis=1).sum())
                for before, after in zip(self._last_partials, partials, strict=True)
            )
            if changed == 0:
                changed = self._count_changes(self._last_relative, relative)
        self._last_relative, self._last_partials = relative, partials
        return partials, changed

    def _count_changes(self, before: np.ndarray, after: np.ndarray) -> int:
        tasks = [
            dask.delayed(_block_changes, pure=True)(block, self.origin, before, after, self._dtype)
            for block in self._pass_blocks
        ]
        return int(sum(dask.compute(*tasks)))

    def farthest(self, centers: np.ndarray, m: int):
        tasks = [
            dask.delayed(_block_farthest, pure=True)(
                block, self.origin, self._last_relative, centers, m, int(start), self._dtype
            )
            for block, start in zip(self._blocks(), self._block_starts(), strict=True)
        ]
        parts = dask.compute(*tasks)
        self._farthest = {}
        for part in parts:
            self._farthest.update(part[2])
        top_index = np.concatenate([part[0] for part in parts])
        top_distance = np.concatenate([part[1] for part in parts])
        return top_index, top_distance

    def labelled_sample(self, i: int) -> tuple[int, np.ndarray, float]:
        return (*self._farthest[int(i)], 1.0)

    def samples_by_weight(self, draws: np.ndarray) -> np.ndarray:
        return indices_at_fractions(self.n_samples, np.sort(draws))

    def rows(self, index) -> np.ndarray:
        if isinstance(index, slice):
            return np.asarray(self.samples[index].compute())
        unique, inverse = np.unique(index, return_inverse=True)
        if self.image is None:
            return np.asarray(self.samples[unique].compute())[inverse]
        # Point reads touch only the chunks that hold the points.
        rows, columns = np.divmod(unique, self.image.shape[1])
        pixels = np.asarray(self.image.vindex[rows, columns].compute())
        return pixels.reshape(len(unique), self.n_features)[inverse]


def _label_pixel_block(block, origin, relative, spec, dtype, block_info=None):
    """Labels of a (h, w[, channels]) block of the image from the final centers."""
    (row_start, _), (column_start, _) = block_info[0]["array-location"][:2]
    height, width = block.shape[:2]
    rows = columns = None
    if spec.spatial > 0:
        rows = np.repeat(np.arange(row_start, row_start + height), width)
        columns = np.tile(np.arange(column_start, column_start + width), height)
    features = spec.features(_pixels_of(block), rows, columns)
    labels, _, _ = _nearest(features, origin, relative, dtype)
    return labels.reshape(height, width)


def _block_colour_sums(rows, offset, length, start, spec, origin, relative, k, dtype):
    """Per cluster, the pixel count and the colour sums of a block of pixels (whose features
    are not the pixels themselves)."""
    pixels = _flat_pixels(rows, offset, length)
    features = _flat_features(rows, offset, length, start, spec)
    labels, _, _ = _nearest(features, origin, relative, dtype)
    colour_sums, totals = colour_sums_of(pixels, None, labels, k)
    return totals, colour_sums


def _sums_exact_by_chunk(channels: da.Array) -> bool:
    """Whether the partial sums of a pass over the pixels of an image are exact whatever their
    grouping: unsigned integer pixels, every sum below 2^53."""
    if channels.dtype.kind != "u":
        return False
    n_pixels = channels.shape[0] * channels.shape[1]
    n_channels = 1 if channels.ndim == 2 else channels.shape[2]
    return sums_are_exact(n_pixels, n_channels, float(np.iinfo(channels.dtype).max))


def _chunk_pixels(channels: da.Array) -> list:
    """The pixels of each chunk of the image, as delayed (m, channels) arrays."""
    to_pixels = dask.delayed(_pixels_of, pure=True)
    return [to_pixels(block) for row in _delayed_blocks(channels) for block in row]


def _segment_pixels(channels, alpha, plan: ImagePlan, options) -> DaskSegmentation:
    # Where the image's own chunks can be summed one by one, a pass reads each chunk once and
    # holds a few chunks per worker; else it reads whole rows of pixels in row-major order.
    by_chunk = plan.features_are_pixels and _sums_exact_by_chunk(channels)
    source = _ChunkedPasses(channels, plan, plan.k, by_chunk)
    result = fit(source, options)
    k = plan.k
    origin, dtype = source.origin, label_dtype(k)
    relative = result.centers - origin
    if plan.features_are_pixels:
        mean_colours, totals = mean_colors_of(result, None, None, plan, "pixels")
    else:
        tasks = [
            dask.delayed(_block_colour_sums, pure=True)(
                rows, offset, length, start, plan, origin, relative, k, dtype
            )
            for start, length, rows, offset in _flat_blocks(channels, _block_length(channels))
        ]
        parts = dask.compute(*tasks)
        totals = np.zeros(k)
        colour_sums = np.zeros((k, plan.n_channels))
        for part_totals, part_sums in parts:
            totals += part_totals
            colour_sums += part_sums
        mean_colours = colour_sums / np.maximum(totals, 1e-300)[:, None]
    labels = channels.map_blocks(
        _label_pixel_block, origin, relative, plan, dtype, dtype=dtype,
        drop_axis=2 if channels.ndim == 3 else None,
    )  # fmt: skip
    return _segmentation(labels, result, mean_colours, totals, "pixels", alpha, channels.dtype)


# --- Canny --------------------------------------------------------------------------------------


def halo_depth(aperture_size: int) -> int:
    """Rows and columns around a chunk that decide its pixels' Canny states.

    A pixel's state needs the gradient magnitude of its 8 neighbours (suppression) and each
    magnitude needs the Sobel window of aperture // 2 pixels around it: 2, 3 and 4 pixels for
    apertures 3, 5 and 7.
    """
    return 1 + aperture_size // 2


def _chunk_states(haloed, top, left, height, width, n_channels, aperture, l2, low, high):
    """Canny states of a chunk from the chunk with its halo: 0 off, 1 weak, 2 strong.

    The in-memory classification runs twice on the haloed pixels: with (low, high), where every
    pixel above low that survives suppression is EDGE or CANDIDATE, and with (high, high), where
    exactly the strong ones are EDGE and nothing is followed.
    """
    rows = _kernel_rows(haloed, haloed.shape[0], haloed.shape[1] * n_channels)
    above_low = np.empty(haloed.shape[:2], dtype=np.uint8)
    strong = np.empty(haloed.shape[:2], dtype=np.uint8)
    classify_image(rows, n_channels, aperture, l2, low, high, BAND_ROWS, above_low)
    classify_image(rows, n_channels, aperture, l2, high, high, BAND_ROWS, strong)
    core = (slice(top, top + height), slice(left, left + width))
    states = (above_low[core] != NOT_EDGE).astype(np.uint8)
    states += strong[core] == EDGE
    return states


def _chunk_components(states: np.ndarray):
    """Labels (int32) of the 8-connected components of weak and strong pixels, and for each label
    (index 0 unused) whether its component holds a strong pixel."""
    mask = np.ascontiguousarray(states)
    labels = np.empty(mask.shape, dtype=np.int32)
    stack = np.empty(mask.size, dtype=np.int64)
    n_components = components.label_components(mask, labels, stack)
    has_strong = np.zeros(n_components + 1, dtype=bool)
    has_strong[labels[states == 2]] = True
    return labels, has_strong


def _block_geometry(block_info, depth: int, row_chunks, column_chunks):
    """(top, left, height, width): where a chunk sits in its block of the overlapped array."""
    i, j = block_info[0]["chunk-location"][:2]
    return (depth if i > 0 else 0, depth if j > 0 else 0, row_chunks[i], column_chunks[j])


def _summary_block(haloed, depth, row_chunks, column_chunks, parameters, block_info=None):
    """A chunk's border labels (top, bottom, left and right lines) and strong flags, as a
    one-element object array."""
    geometry = _block_geometry(block_info, depth, row_chunks, column_chunks)
    labels, has_strong = _chunk_components(_chunk_states(haloed, *geometry, *parameters))
    summary = np.empty((1,) * haloed.ndim, dtype=object)
    # Copies: views would keep the whole chunk's labels alive until the hysteresis is resolved.
    summary.flat[0] = (
        labels[0].copy(),
        labels[-1].copy(),
        labels[:, 0].copy(),
        labels[:, -1].copy(),
        has_strong,
    )
    return summary


def _edges_block(haloed, keep, depth, row_chunks, column_chunks, parameters, block_info=None):
    geometry = _block_geometry(block_info, depth, row_chunks, column_chunks)
    labels, _ = _chunk_components(_chunk_states(haloed, *geometry, *parameters))
    i, j = block_info[0]["chunk-location"][:2]
    return np.where(keep[i, j][labels], np.uint8(255), np.uint8(0))


def _merged_chunks(chunks: tuple, minimum: int) -> tuple:
    """Chunk sizes with those below `minimum` merged into their neighbours (same total)."""
    merged: list[int] = []
    for size in chunks:
        if merged and merged[-1] < minimum:
            merged[-1] += size
        else:
            merged.append(size)
    if len(merged) > 1 and merged[-1] < minimum:
        last = merged.pop()
        merged[-1] += last
    return tuple(merged)


def _node_pairs(first: np.ndarray, second: np.ndarray):
    """Pairs of nodes facing each other across a border: first[t] with second[t - 1 .. t + 1],
    where both are nodes (>= 0)."""
    pairs = []
    n = len(first)
    for shift in (-1, 0, 1):
        a = first[max(0, -shift) : n - max(0, shift)]
        b = second[max(0, shift) : n - max(0, -shift)]
        both = (a >= 0) & (b >= 0)
        pairs.append((a[both], b[both]))
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def _resolve_hysteresis(grid: np.ndarray, n_rows: int, n_columns: int) -> np.ndarray:
    """Per chunk, which of its components are edges: those with a strong pixel, joined across
    chunk borders with union-find over the components that touch a border.

    `grid` holds each chunk's summary (see :func:`_summary_block`); the result, of the same shape,
    each chunk's flags (index 0 unused).
    """
    summaries = list(grid.ravel())
    # One node per component on a chunk's border.
    border_labels, node_starts, n_nodes = [], [], 0
    for top, bottom, left, right, _ in summaries:
        labels = np.unique(np.concatenate([top, bottom, left, right]))
        labels = labels[labels > 0]
        border_labels.append(labels)
        node_starts.append(n_nodes)
        n_nodes += len(labels)

    def nodes(index, line):
        """Node of each pixel of a border line of chunk `index`, -1 off the mask."""
        labels = border_labels[index]
        position = np.searchsorted(labels, line)
        found = (line > 0) & (position < len(labels))
        result = np.full(len(line), -1, dtype=np.int64)
        result[found] = node_starts[index] + position[found]
        return result

    def line(i, j, side):
        """Nodes along one side (0 top, 1 bottom, 2 left, 3 right) of chunk (i, j)."""
        index = i * n_columns + j
        return nodes(index, summaries[index][side])

    first, second = [], []
    for i in range(n_rows - 1):  # borders between chunk rows: whole image rows
        above = np.concatenate([line(i, j, 1) for j in range(n_columns)])
        below = np.concatenate([line(i + 1, j, 0) for j in range(n_columns)])
        pair = _node_pairs(above, below)
        first.append(pair[0])
        second.append(pair[1])
    for j in range(n_columns - 1):  # borders between chunk columns: whole image columns
        left = np.concatenate([line(i, j, 3) for i in range(n_rows)])
        right = np.concatenate([line(i, j + 1, 2) for i in range(n_rows)])
        pair = _node_pairs(left, right)
        first.append(pair[0])
        second.append(pair[1])
    parent = np.arange(n_nodes, dtype=np.int64)
    if first:
        components.union_pairs(parent, np.concatenate(first), np.concatenate(second))
    roots = np.empty(n_nodes, dtype=np.int64)
    components.find_roots(parent, roots)
    node_strong = np.concatenate(
        [summary[4][labels] for summary, labels in zip(summaries, border_labels, strict=True)]
        + [np.zeros(0, dtype=bool)]
    )
    root_strong = np.zeros(n_nodes, dtype=bool)
    root_strong[roots[node_strong]] = True
    keep = np.empty((n_rows, n_columns), dtype=object)
    for index, (summary, labels, start) in enumerate(
        zip(summaries, border_labels, node_starts, strict=True)
    ):
        flags = summary[4].copy()
        flags[labels] = root_strong[roots[start : start + len(labels)]]
        keep.flat[index] = flags
    return keep


def canny(
    image, threshold1: float, threshold2: float, *, aperture_size: int = 3, l2_gradient=False
) -> da.Array:
    """Canny edges of a dask array image, identical to :func:`fastseg.canny` on the whole image.

    Parameters
    ----------
    image : dask array of shape (H, W) or (H, W, C), dtype uint8, 1 <= C <= 4, any chunking
    threshold1, threshold2, aperture_size, l2_gradient
        As for :func:`fastseg.canny`.

    Returns
    -------
    edges : dask array of shape (H, W), dtype uint8, with the image's row and column chunks
        255 on edges, 0 elsewhere; lazy.

    Notes
    -----
    Each chunk is classified (Sobel, magnitude, suppression, weak/strong) from the chunk with a
    halo of :func:`halo_depth` pixels, read from its neighbours, by the in-memory kernel; that
    decides every pixel of the chunk exactly. Hysteresis then keeps the 8-connected components
    of weak and strong pixels that hold a strong pixel: each chunk labels its components, the
    components on chunk borders are joined with union-find over the pairs of pixels that touch
    across a border (one small task for the whole image), and each chunk writes the edges of the
    components kept. The edge map equals ``fastseg.canny`` (and so ``cv2.Canny``) pixel for
    pixel. The chunks are classified twice, once for the borders and once for the edges, so no
    full-size intermediate is held.

    Examples
    --------
    >>> import dask.array as da, numpy as np, fastseg.dask
    >>> image = np.zeros((8, 8), dtype=np.uint8)
    >>> image[:, 4:] = 200
    >>> edges = fastseg.dask.canny(da.from_array(image, chunks=3), 50, 150)
    >>> edges.compute()[0]
    array([  0,   0,   0, 255,   0,   0,   0,   0], dtype=uint8)
    """
    image = _check_dask_image(image, "image", {np.dtype(np.uint8)}, "uint8", 4)
    aperture_size = _validate.check_aperture_size(aperture_size)
    l2_gradient = _validate.check_bool(l2_gradient, "l2_gradient")
    threshold1 = _validate.check_float(threshold1, "threshold1", 0.0)
    threshold2 = _validate.check_float(threshold2, "threshold2", 0.0)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    n_channels = 1 if image.ndim == 2 else image.shape[2]
    low, high = _magnitude_thresholds(threshold1, threshold2, aperture_size, l2_gradient)
    parameters = (n_channels, aperture_size, l2_gradient, low, high)
    depth = halo_depth(aperture_size)
    chunks = image.chunks
    # Overlapping needs chunks at least as large as the halo; the result gets the input's chunks.
    merged = (_merged_chunks(chunks[0], depth), _merged_chunks(chunks[1], depth))
    if merged != chunks[:2]:
        image = image.rechunk(merged + chunks[2:])
    # An axis in one chunk has no neighbours to read (and may be shorter than the halo).
    overlap_depth = {0: depth if len(merged[0]) > 1 else 0, 1: depth if len(merged[1]) > 1 else 0}
    overlapped = da.overlap.overlap(
        image, depth={a: overlap_depth.get(a, 0) for a in range(image.ndim)},
        boundary={a: "none" for a in range(image.ndim)},
    )  # fmt: skip
    grid = tuple(len(c) for c in image.chunks)
    geometry = (depth, merged[0], merged[1], parameters)
    drop = {"drop_axis": 2} if image.ndim == 3 else {}
    summaries = overlapped.map_blocks(
        _summary_block, *geometry, dtype=object, chunks=tuple((1,) * n for n in grid),
    )  # fmt: skip
    resolved = dask.delayed(_resolve_hysteresis, pure=True)(summaries, grid[0], grid[1])
    # Every chunk reads its flags from the one resolved grid (a byte per component).
    edges = overlapped.map_blocks(
        _edges_block, resolved, *geometry, dtype=np.uint8, chunks=merged, **drop
    )
    if merged != chunks[:2]:
        edges = edges.rechunk(chunks[:2])
    return edges


# --- files --------------------------------------------------------------------------------------

#: Most bytes in one chunk: a task reads a whole chunk (and a zarr or TIFF reader a whole stored
#: chunk or tile) into memory, so a larger one, asked for or stored in a file, is refused.
MAX_CHUNK_BYTES = 1 << 30
#: Most chunks of an image: the task graph holds a few objects per chunk.
MAX_CHUNKS = 1 << 18
#: The root attribute that marks a zarr store as written by fastseg, so that it may be replaced.
STORE_MARKER = "fastseg"
#: Entries of a zarr (format 3) store as fastseg writes it: metadata and the chunk folder.
_STORE_ENTRIES = frozenset({"zarr.json", "c"})
#: Largest metadata document read to recognise a store.
_MAX_METADATA_BYTES = 1 << 20
#: Real paths of the files and stores opened by :func:`open_image`, by the name of their layer in
#: the task graph, so that a write can tell whether it would replace its own input.
_OPENED: dict[str, str] = {}


def _check_path(path, name: str) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`{name}` must be a path (str or os.PathLike); got {type(path).__name__}.")
    if not os.fspath(path):
        raise ValueError(f"`{name}` must be a path; got ''.")
    return Path(path)


def _check_chunk_grid(shape, chunk_shape, itemsize, name, what, count: bool = True) -> None:
    """Refuse chunks larger than MAX_CHUNK_BYTES or (with `count`) more than MAX_CHUNKS."""
    chunk_bytes = int(np.prod([min(c, s) for c, s in zip(chunk_shape, shape, strict=True)],
                              dtype=object)) * itemsize  # fmt: skip
    if chunk_bytes > MAX_CHUNK_BYTES:
        raise ValueError(
            f"`{name}` must give chunks of at most {MAX_CHUNK_BYTES} bytes; got {what} of shape "
            f"{tuple(chunk_shape)}, {chunk_bytes} bytes each (choose smaller chunks)."
        )
    n_chunks = 1
    for c, s in zip(chunk_shape, shape, strict=True):
        n_chunks *= -(-s // max(1, c))
    if count and n_chunks > MAX_CHUNKS:
        raise ValueError(
            f"`{name}` must give at most {MAX_CHUNKS} chunks; got {what} of shape "
            f"{tuple(chunk_shape)}, {n_chunks} chunks for shape {tuple(shape)} "
            "(choose larger chunks)."
        )


def open_image(path, chunks: int | None = None) -> da.Array:
    """A zarr array (a directory) or a TIFF file as a lazy dask array, read chunk by chunk.

    Parameters
    ----------
    path : str or Path
        A zarr array directory, or a .tif/.tiff file (tiled TIFFs are read tile by tile).
    chunks : int or None, default None
        Rows and columns per chunk (channels stay in one chunk); None keeps the stored chunks.

    Returns
    -------
    dask array of shape (H, W) or (H, W, C)

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If `path` is neither a zarr array nor a TIFF file, or holds no image of shape (H, W) or
        (H, W, C); if `chunks` is not positive; if a chunk (asked for, or stored in the file)
        would exceed :data:`MAX_CHUNK_BYTES`, or the image would have more than
        :data:`MAX_CHUNKS` chunks.
    """
    path = _check_path(path, "path")
    if chunks is not None:
        chunks = _validate.check_int(chunks, "chunks", 1)
    if not path.exists():
        raise FileNotFoundError(f"`path` must name a zarr store or a TIFF file; {str(path)!r} "
                                "does not exist.")  # fmt: skip
    import zarr

    try:
        if path.is_dir():
            array = zarr.open_array(str(path), mode="r")
        elif path.suffix.lower() in _TIFF_SUFFIXES:
            array = _TiffPixels(path)
        else:
            raise ValueError(f"cannot read {str(path)!r} lazily: not a zarr store or a TIFF file.")
    except (OSError, KeyError, TypeError, zarr.errors.BaseZarrError) as exc:
        raise ValueError(f"cannot read {str(path)!r} as a zarr array or TIFF: {exc}") from exc
    shape = tuple(int(size) for size in array.shape)
    if len(shape) not in (2, 3) or 0 in shape:
        raise ValueError(
            f"`path` must hold an image of shape (H, W) or (H, W, C); {str(path)!r} holds an "
            f"array of shape {shape}."
        )
    itemsize = np.dtype(array.dtype).itemsize
    # Every read decodes whole stored chunks: they must fit in memory whatever `chunks` says.
    stored = (*(int(size) for size in array.chunks[:2]), *shape[2:])
    _check_chunk_grid(shape, stored, itemsize, "path", "stored chunks", count=chunks is None)
    layout = stored
    if chunks is not None:
        layout = (min(chunks, shape[0]), min(chunks, shape[1]), *shape[2:])
        _check_chunk_grid(shape, layout, itemsize, "chunks", "chunks")
    name = f"fastseg-open-{uuid.uuid4().hex}"
    _OPENED[name] = os.path.realpath(path)
    return da.from_array(array, chunks=layout, asarray=True, name=name)


class _TiffPixels:
    """The first image of a TIFF file as an array-like that reads only the tiles asked for.

    Each read opens the file and closes it again, so no file handle outlives a task and the
    object pickles as its path (for process schedulers).
    """

    def __init__(self, path: Path):
        self.path = path
        array = self._open(lambda pixels: pixels)
        self.shape, self.dtype, self.chunks = array.shape, array.dtype, array.chunks
        self.ndim = len(self.shape)

    def _open(self, read):
        import tifffile
        import zarr

        with tifffile.TiffFile(self.path) as tiff, tiff.series[0].aszarr() as store:
            opened = zarr.open(store, mode="r")
            pixels = opened if isinstance(opened, zarr.Array) else opened["0"]
            return read(pixels)

    def __getitem__(self, key):
        return self._open(lambda pixels: pixels[key])


# Outputs.


def _store_kind(path: Path) -> str | None:
    """The kind ("labels", "edges", "array") of a zarr store that fastseg wrote, else None.

    A store is fastseg's when its folder holds nothing but zarr's metadata and chunk folder and
    its root attributes carry the :data:`STORE_MARKER` entry, which is written last, once every
    chunk is in place.
    """
    try:
        if path.is_symlink() or not path.is_dir():
            return None
        if not set(os.listdir(path)) <= _STORE_ENTRIES:
            return None
        metadata = path / "zarr.json"
        if metadata.is_symlink() or not metadata.is_file():
            return None
        with open(metadata, "rb") as file:
            text = file.read(_MAX_METADATA_BYTES + 1)
        if len(text) > _MAX_METADATA_BYTES:
            return None
        document = json.loads(text)
    except (OSError, ValueError):
        return None
    attributes = document.get("attributes") if isinstance(document, dict) else None
    marker = attributes.get(STORE_MARKER) if isinstance(attributes, dict) else None
    if isinstance(marker, dict) and isinstance(marker.get("kind"), str):
        return marker["kind"]
    return None


def _read_only(path: Path) -> bool:
    """Whether `path` may not be written: no write permission for us, or none for anyone (the
    owner's intent, which root's permissions would otherwise override)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _related(first: Path, second: Path) -> bool:
    """Whether two real paths are the same, or one lies inside the other."""
    return first == second or first in second.parents or second in first.parents


def check_output_store(path, inputs=(), *, name: str = "path", overwrite: bool = True) -> Path:
    """Check, before any work, that a zarr store may be written at `path`; return its real path.

    The store may be new, or replace one that fastseg wrote (see Notes); anything else is
    refused, as is an output that is, holds or lies inside one of `inputs`.

    Parameters
    ----------
    path : str or Path
        Where the store is to be written. A symbolic link is followed: the store it points to
        is the one replaced (the link itself stays).
    inputs : iterable of str or Path, default ()
        The files or stores the output is computed from.
    name : str, default "path"
        The argument's name in messages (for example the option of a command line).
    overwrite : bool, default True
        Whether a store fastseg wrote may be replaced.

    Returns
    -------
    Path
        The real path (links resolved) the store is written to.

    Raises
    ------
    TypeError
        If `path` is not a path.
    ValueError
        If the output resolves to an input (or a folder holding one, or a path inside one); if
        something that is not a store fastseg wrote exists there (a file, a folder of other
        files, a broken store); if the existing store or the folder it goes into is read-only;
        if that folder does not exist; if the name is longer than the file system allows; or if
        `overwrite` is False and a store exists.

    Notes
    -----
    A store is fastseg's when its folder holds only zarr's metadata (``zarr.json``) and chunk
    folder (``c``), and its root attributes hold ``{"fastseg": {"kind": ..., "version": ...}}``,
    written once the last chunk is in place: so an incomplete or foreign store is never taken
    for one.
    """
    path = _check_path(path, name)
    shown = repr(str(path))
    target = Path(os.path.realpath(path))
    for source in inputs:
        source = _check_path(source, "inputs")
        if _related(target, Path(os.path.realpath(source))):
            raise ValueError(
                f"`{name}` must not be the input or lie inside or around it; {shown} "
                f"resolves to {str(target)!r}, which would replace the input {str(source)!r}."
            )
    if len(os.fsencode(target.name)) > 255:
        raise ValueError(
            f"`{name}` must have a name of at most 255 bytes; got {len(os.fsencode(target.name))}."
        )
    parent = target.parent
    if not parent.is_dir():
        raise ValueError(f"`{name}` must be in an existing folder; {str(parent)!r} is not one.")
    if os.path.lexists(target):
        if _store_kind(target) is None:
            raise ValueError(
                f"`{name}` must name a new zarr store or one that fastseg wrote; {shown} exists "
                "and is not a store fastseg wrote (remove it yourself, or choose another name)."
            )
        if not overwrite:
            raise ValueError(f"`{name}` must name a new store (overwrite=False); {shown} exists.")
        if _read_only(target):
            raise ValueError(f"`{name}` must be writable; the store {shown} is read-only.")
    if _read_only(parent):
        raise ValueError(f"`{name}` must be in a writable folder; {str(parent)!r} is read-only.")
    return target


def _graph_inputs(array: da.Array) -> list[str]:
    """The files and stores opened by :func:`open_image` that `array` is computed from."""
    layers = getattr(array.__dask_graph__(), "layers", {})
    return [_OPENED[layer] for layer in layers if layer in _OPENED]


class _SignalGuard:
    """SIGINT and SIGTERM as exceptions in the main thread, deferred inside critical sections.

    Outside a critical section a signal is handled at once: by the handler that was installed
    before (Python's SIGINT handler raises KeyboardInterrupt), or, where that was the default
    action, by an exception (KeyboardInterrupt, or SystemExit with status 128 + signal for
    SIGTERM), so that ``finally`` blocks run and remove temporary files. Inside one (renames and
    clean-up) it is held until the section ends. The previous handlers are restored on exit.
    Off the main thread signals cannot be handled and nothing is installed.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self._previous: dict = {}
        self._depth = 0
        self._pending = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self._SIGNALS:
                previous = signal.getsignal(signum)
                if previous is not None:  # None: a handler installed outside Python, kept
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, exc_type, exc, traceback):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        pending, self._pending = self._pending, None
        if pending is not None and exc_type is None:
            self._deliver(pending, None)
        return False

    def _handle(self, signum, frame):
        if self._depth:
            if self._pending is None:
                self._pending = signum
            return
        self._deliver(signum, frame)

    def _deliver(self, signum, frame):
        previous = self._previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)

    @contextlib.contextmanager
    def critical(self):
        """A section that signals do not interrupt; one that came is handled at its end
        (unless an exception is already on its way)."""
        self._depth += 1
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None and not failed:
                pending, self._pending = self._pending, None
                self._deliver(pending, None)


class _Writes:
    """The chunk writes of one store in this process: counted, and stopped on cancel, so that
    the temporary store is removed only once no task can write to it any more."""

    def __init__(self):
        self.token = uuid.uuid4().hex
        self._condition = threading.Condition()
        self._running = 0
        self._cancelled = False
        #: The zarr array written to, opened once for this process's tasks.
        self.target = None

    def __enter__(self):
        _WRITES[self.token] = self
        return self

    def __exit__(self, *exc):
        self.cancel_and_wait()
        _WRITES.pop(self.token, None)
        return False

    def begin(self) -> bool:
        with self._condition:
            if self._cancelled:
                return False
            self._running += 1
            return True

    def end(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()

    def cancel_and_wait(self) -> None:
        with self._condition:
            self._cancelled = True
            while self._running:
                self._condition.wait()


_WRITES: dict[str, _Writes] = {}


def _store_block(block, store: str, token: str, block_info=None):
    """Write a chunk into the zarr array at `store`; a one-element flag of whether it was."""
    writes = _WRITES.get(token)  # None in another process: nothing there to wait for
    if writes is not None and not writes.begin():
        return np.zeros((1,) * block.ndim, dtype=bool)
    try:
        import zarr

        region = tuple(slice(start, stop) for start, stop in block_info[0]["array-location"])
        target = writes.target if writes is not None else None
        if target is None:
            target = zarr.open_array(store, mode="r+")
        target[region] = block
    finally:
        if writes is not None:
            writes.end()
    return np.ones((1,) * block.ndim, dtype=bool)


def _regular_chunks(chunks: tuple) -> tuple:
    """Chunk sizes that zarr can store one chunk per task: all equal but a smaller last one."""
    regular = []
    for sizes in chunks:
        size = max(sizes, default=0)
        regular.append(sizes if all(s == size for s in sizes[:-1]) else size)
    return tuple(regular)


def _new_hidden_folder(parent: Path, suffix: str) -> Path:
    """A new empty folder with a short hidden name (``.fsXXXXXX.tmp``) in `parent`, made with
    the usual folder mode, so that any final name the file system allows also works beside it."""
    while True:
        folder = parent / f".fs{uuid.uuid4().hex[:6]}{suffix}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _remove(path: Path | None) -> None:
    if path is not None and os.path.lexists(path):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def to_zarr(
    array: da.Array, path, *, overwrite: bool = True, inputs=(), kind: str = "array"
) -> None:
    """Compute `array` into a zarr store at `path`, all or nothing.

    Parameters
    ----------
    array : dask array
        Computed chunk by chunk (irregular chunks are made regular first).
    path : str or Path
        The store: new, or one that fastseg wrote (see :func:`check_output_store`).
    overwrite : bool, default True
        Whether a store that fastseg wrote may be replaced.
    inputs : iterable of str or Path, default ()
        Files the array is computed from, besides those opened with :func:`open_image` (which
        are found in its task graph): the store may not replace any of them.
    kind : str, default "array"
        What the store holds, recorded in its ``fastseg`` root attribute.

    Notes
    -----
    The store is written under a short hidden name (``.fsXXXXXX.tmp``) in the folder of its
    real path and renamed into place once complete; a store it replaces is renamed aside first
    and removed last, and put back if the new one cannot take its place. A failure, SIGINT or
    SIGTERM (in the main thread, taken as an exception during the write) leaves no partial or
    hidden store: the chunk writes under way are waited for, the temporary store removed, and
    the previous store, if any, is left as it was.
    """
    if not isinstance(array, da.Array):
        raise TypeError(f"`array` must be a dask.array.Array; got {type(array).__name__}.")
    if not isinstance(kind, str):
        raise TypeError(f"`kind` must be a str; got {type(kind).__name__}.")
    if any(np.isnan(size) for size in array.shape):
        raise ValueError(f"`array` must have a known shape; got {array.shape}.")
    if array.dtype.hasobject or array.dtype.fields is not None:
        raise TypeError(f"`array` must have a numeric dtype; got {array.dtype}.")
    inputs = [*inputs, *_graph_inputs(array)]
    target = check_output_store(path, inputs, overwrite=overwrite)
    import zarr

    regular = _regular_chunks(array.chunks)
    if regular != array.chunks:
        array = array.rechunk(regular)
    marker = {"kind": kind, "version": _version()}
    with _SignalGuard() as signals, _Writes() as writes:
        temporary = old = None
        try:
            # Critical: zarr does its I/O on a thread of its own, which an exception here would
            # leave writing the metadata after the clean-up.
            with signals.critical():
                temporary = _new_hidden_folder(target.parent, ".tmp")
                writes.target = zarr.create_array(
                    store=str(temporary), shape=array.shape, dtype=array.dtype,
                    chunks=tuple(max(1, *sizes) for sizes in array.chunks), overwrite=True,
                )  # fmt: skip
            if array.size:
                flags = array.map_blocks(
                    _store_block, str(temporary), writes.token, dtype=bool,
                    chunks=tuple((1,) * len(sizes) for sizes in array.chunks),
                )  # fmt: skip
                flags.compute()
            with signals.critical():
                writes.target.attrs.update({STORE_MARKER: marker})
                # The store in place may have changed while this one was computed.
                check_output_store(target, inputs, overwrite=overwrite)
                if os.path.lexists(target):
                    old = _new_hidden_folder(target.parent, ".old")
                    os.replace(target, old)
                os.replace(temporary, target)
                temporary = None
        finally:
            with signals.critical():
                writes.cancel_and_wait()
                if temporary is not None and old is not None and not os.path.lexists(target):
                    os.replace(old, target)  # the new store never took its place
                    old = None
                _remove(temporary)
                _remove(old)


def _version() -> str:
    from . import __version__

    return __version__


def segment_to_zarr(path_in, k: int, chunks: int | None, out, **options) -> DaskSegmentation:
    """Segment the image at `path_in` (zarr or TIFF, read lazily) and write its labels to the
    zarr store `out`, all or nothing. `options` are those of :func:`segment`.

    The output is checked (:func:`check_output_store`) before any work: it may not be the
    input, nor replace anything but a store fastseg wrote.
    """
    check_output_store(out, [path_in], name="out")
    result = segment(open_image(path_in, chunks), k, **options)
    to_zarr(result.labels, out, inputs=[path_in], kind="labels")
    return result


def canny_to_zarr(
    path_in,
    threshold1: float,
    threshold2: float,
    chunks: int | None,
    out,
    *,
    aperture_size: int = 3,
    l2_gradient: bool = False,
    channel_order: str = "rgb",
) -> None:
    """Canny edges of the image at `path_in` (zarr or TIFF, read lazily) into the zarr store
    `out`, all or nothing (the output is checked first, as by :func:`segment_to_zarr`).

    `channel_order` is the order of the stored colour channels: they are passed to Canny in
    OpenCV's BGR order, so that the edges are those ``cv2.Canny`` finds in ``cv2.imread`` of the
    same picture (the channel order only matters where two channels' gradients tie).
    """
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"`channel_order` must be one of rgb, bgr; got {channel_order!r}.")
    check_output_store(out, [path_in], name="out")
    image = open_image(path_in, chunks)
    if channel_order == "rgb" and image.ndim == 3 and image.shape[2] >= 3:
        image = image[:, :, 2::-1]
    edges = canny(image, threshold1, threshold2, aperture_size=aperture_size,
                  l2_gradient=l2_gradient)  # fmt: skip
    to_zarr(edges, out, inputs=[path_in], kind="edges")
