"""k-means colour segmentation of a dask array image, bit-identical to :func:`fastseg.segment`.

8-bit images take the distinct-colour path (colours counted per chunk and merged, clustered in
memory, labels looked up per chunk); the others run one Dask pass per Lloyd iteration through
:class:`ChunkedPasses`, a pass source of :mod:`fastseg.passes`."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np

from .. import _config, _validate
from .._config import CHUNK_SIZE
from .._kernels import colors, lloyd
from ..clustering import check_run_options, fit
from ..passes import (
    MAX_FEATURES_DIRECT,
    NO_WEIGHTS,
    MemoryPasses,
    PassTotals,
    Units,
    indices_at_fractions,
    label_dtype,
    label_sums,
    lloyd_pass,
    mean_variance,
    reduce_partials,
    sums_are_exact,
    sums_origin,
)
from ..segmentation import (
    ColorTable,
    ImagePlan,
    Segmentation,
    distinct_path,
    label_pixels,
    mean_colors_of,
    packed_codes,
    plan_image,
    segmentation_fields,
    split_channels,
)
from .chunks import delayed_blocks, tree_reduce

#: Below this many pixels a block's colours are sorted; above, counted in the 2^24-entry table,
#: whose scan costs about as much as sorting this many codes.
SMALL_BLOCK = 1 << 18


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
        colours = self.cluster_colors()
        n_channels = colours.shape[1]
        image = self.labels.map_blocks(
            _recolor_block, colours, dtype=self.dtype, new_axis=2,
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


def _recolor_block(labels: np.ndarray, colours: np.ndarray) -> np.ndarray:
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
    image = _validate.check_dask_image(
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
        colours, counts = _distinct_colors_of(channels)
        if distinct_path(plan, len(colours)):
            return _segment_distinct(channels, alpha, colours, counts, plan, options)
    return _segment_pixels(channels, alpha, plan, options)


# The distinct-colour path.


def _pixels_of(block: np.ndarray) -> np.ndarray:
    """(h, w, 3) or (h, w) block as C-contiguous (n, channels) pixels."""
    channels = 1 if block.ndim == 2 else block.shape[2]
    return np.ascontiguousarray(block).reshape(-1, channels)


def _block_colors(block: np.ndarray):
    """Packed distinct colours of a (h, w, 3) uint8 block, increasing, and their counts."""
    pixels = _pixels_of(block)
    if len(pixels) < SMALL_BLOCK:
        codes, counts = np.unique(packed_codes(pixels), return_counts=True)
        return codes, counts.astype(np.float64)
    with ColorTable() as table:
        colours, counts = table.count(pixels)
    return packed_codes(colours), counts


def _merge_colors(*parts):
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


def _distinct_colors_of(channels: da.Array):
    """The distinct colours (m, channels) uint8 of the image and their counts (m,) float64, in
    the order of the in-memory path: increasing packed colour, or intensity for gray images."""
    blocks = [block for row in delayed_blocks(channels) for block in row]
    if channels.ndim == 2:
        parts = [dask.delayed(_block_intensities, pure=True)(block) for block in blocks]
        counts = tree_reduce(parts, _merge_intensities).compute().astype(np.float64)
        colours = np.flatnonzero(counts).astype(np.uint8)[:, None]
        return colours, counts[counts > 0]
    parts = [dask.delayed(_block_colors, pure=True)(block) for block in blocks]
    codes, counts = tree_reduce(parts, _merge_colors).compute()
    colours = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], 1).astype(np.uint8)
    return colours, counts


def _color_table(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of every packed colour (those absent get 0, never read)."""
    table = np.zeros(colors.N_COLOURS, dtype=labels.dtype)
    table[codes] = labels
    return table


def _label_color_block(block: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Labels of a (h, w, 3) uint8 block from the colour -> label table."""
    labels = np.empty(block.shape[0] * block.shape[1], dtype=table.dtype)
    label_pixels(_pixels_of(block), table, labels)
    return labels.reshape(block.shape[:2])


def _label_intensity_block(block: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    return lookup[block]


def _segment_distinct(channels, alpha, colours, counts, plan: ImagePlan, options):
    result = fit(MemoryPasses(plan.features(colours), counts, plan.k, counts=True), options)
    mean_colours, totals = mean_colors_of(result, colours, counts, plan)
    dtype = result.labels.dtype
    if colours.shape[1] == 1:
        lookup = np.zeros(256, dtype=dtype)
        lookup[colours[:, 0]] = result.labels
        labels = channels.map_blocks(_label_intensity_block, lookup, dtype=dtype)
    else:
        # The graph carries the colours and their labels (5 bytes per colour); one task turns
        # them into the 16 MB table of every packed colour that the chunks read.
        table = dask.delayed(_color_table, pure=True)(
            packed_codes(colours).astype(np.uint32), result.labels
        )
        labels = channels.map_blocks(_label_color_block, table, dtype=dtype, drop_axis=2)
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
    lloyd_pass(
        samples, origin, NO_WEIGHTS, relative, labels, sums, weight_sums, square_sums, n_changed
    )
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
    lloyd_pass(
        samples, origin, NO_WEIGHTS, after, labels, np.empty((n_chunks, k, d)),
        np.empty((n_chunks, k)), np.empty((n_chunks, k)), n_changed,
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


class ChunkedPasses:
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
        return mean_variance(ChunkedPasses(self._channels, self._spec, 1, self.image is not None))

    def inertia_of_labels(self, centers: np.ndarray) -> float:
        """As :meth:`fastseg.passes.MemoryPasses.inertia_of_labels`, from the last pass's
        partial sums."""
        return reduce_partials(self._last_partials, centers - self.origin, self.origin)[1][2]

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
    colour_sums, totals = label_sums(pixels, None, labels, k)
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
    return [to_pixels(block) for row in delayed_blocks(channels) for block in row]


def _segment_pixels(channels, alpha, plan: ImagePlan, options) -> DaskSegmentation:
    # Where the image's own chunks can be summed one by one, a pass reads each chunk once and
    # holds a few chunks per worker; else it reads whole rows of pixels in row-major order.
    by_chunk = plan.features_are_pixels and _sums_exact_by_chunk(channels)
    source = ChunkedPasses(channels, plan, plan.k, by_chunk)
    result = fit(source, options)
    k = plan.k
    origin, dtype = source.origin, label_dtype(k)
    relative = result.centers - origin
    if plan.features_are_pixels:
        mean_colours, totals = mean_colors_of(result, None, None, plan)
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
