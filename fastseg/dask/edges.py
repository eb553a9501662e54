"""Canny edges of a dask array image, identical to :func:`fastseg.canny`: each chunk is
classified with a halo, and hysteresis is resolved across chunk borders with a union-find over
the chunks' weak components."""

from __future__ import annotations

import functools

import dask
import dask.array as da
import numpy as np

from .. import _validate
from .. import skimage as in_memory
from .._kernels import components
from .._kernels.canny import CANDIDATE, EDGE, NOT_EDGE
from ..edges import classify_pixels, kernel_rows

# --- Canny --------------------------------------------------------------------------------------


#: The kernels' states of a pixel (CANDIDATE, NOT_EDGE, EDGE) as 1 weak, 0 off, 2 strong.
_STATE_OF = np.zeros(3, dtype=np.uint8)
_STATE_OF[[CANDIDATE, NOT_EDGE, EDGE]] = (1, 0, 2)


def halo_depth(aperture_size: int) -> int:
    """Rows and columns around a chunk that decide its pixels' Canny states.

    A pixel's state needs the gradient magnitude of its 8 neighbours (suppression) and each
    magnitude needs the Sobel window of aperture // 2 pixels around it: 2, 3 and 4 pixels for
    apertures 3, 5 and 7.
    """
    return 1 + aperture_size // 2


def _chunk_states(haloed, top, left, height, width, first_row, first_column, parameters):
    """Canny states of a chunk from the chunk with its halo: 0 off, 1 weak, 2 strong, from the
    in-memory classification of the haloed pixels without hysteresis, in the calling thread."""
    n_channels, aperture, l2, threshold1, threshold2 = parameters
    rows = kernel_rows(haloed, haloed.shape[0], haloed.shape[1] * n_channels)
    states = np.empty(haloed.shape[:2], dtype=np.uint8)
    classify_pixels(
        rows, haloed.dtype, n_channels, threshold1, threshold2, aperture, l2, False, states,
        threads=False,
    )  # fmt: skip
    return _STATE_OF[states[top : top + height, left : left + width]]


def _checked_float_block(block: np.ndarray) -> np.ndarray:
    """The block itself, once it holds to the image rule for floats (finite, in [0, 1])."""
    _validate.check_float_image_range(block, "image")
    return block


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
    """(top, left, height, width, first_row, first_column): where a chunk sits in its block of
    the overlapped array, and where it starts in the image."""
    i, j = block_info[0]["chunk-location"][:2]
    return (
        depth if i > 0 else 0, depth if j > 0 else 0, row_chunks[i], column_chunks[j],
        sum(row_chunks[:i]), sum(column_chunks[:j]),
    )  # fmt: skip


def _summary_block(*blocks, depth, row_chunks, column_chunks, states_of, block_info=None):
    """A chunk's border labels (top, bottom, left and right lines) and strong flags, as a
    one-element object array. `blocks`: the chunk with its halo (and its mask's, if any)."""
    geometry = _block_geometry(block_info, depth, row_chunks, column_chunks)
    labels, has_strong = _chunk_components(states_of(*blocks, *geometry))
    summary = np.empty((1,) * blocks[0].ndim, dtype=object)
    # Copies: views would keep the whole chunk's labels alive until the hysteresis is resolved.
    summary.flat[0] = (
        labels[0].copy(),
        labels[-1].copy(),
        labels[:, 0].copy(),
        labels[:, -1].copy(),
        has_strong,
    )
    return summary


def _edges_block(
    *blocks, keep, depth, row_chunks, column_chunks, states_of, edge_value, block_info=None
):
    """A chunk's edges: `edge_value` on the pixels of its components that are kept."""
    geometry = _block_geometry(block_info, depth, row_chunks, column_chunks)
    labels, _ = _chunk_components(states_of(*blocks, *geometry))
    i, j = block_info[0]["chunk-location"][:2]
    off = np.zeros((), dtype=np.asarray(edge_value).dtype)
    return np.where(keep[i, j], edge_value, off)[labels]  # a value per component, then pixel


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
    image : dask array of shape (H, W) or (H, W, C), 1 <= C <= 4, any chunking
        uint8, uint16, float32 or float64, as for :func:`fastseg.canny` (float images finite and
        in [0, 1]: each chunk is checked when it is computed, and a chunk that breaks the rule
        raises ValueError then).
    threshold1, threshold2, aperture_size, l2_gradient
        As for :func:`fastseg.canny`, in the image's units.

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
    image = _validate.check_dask_image(
        image, "image", _validate.CANNY_DTYPES, "uint8, uint16, float32 or float64", 4
    )
    aperture_size = _validate.check_aperture_size(aperture_size)
    l2_gradient = _validate.check_bool(l2_gradient, "l2_gradient")
    threshold1 = _validate.check_float(threshold1, "threshold1", 0.0)
    threshold2 = _validate.check_float(threshold2, "threshold2", 0.0)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    n_channels = 1 if image.ndim == 2 else image.shape[2]
    if image.dtype.kind == "f":  # the image rule, once per chunk, as the chunks are computed
        image = image.map_blocks(_checked_float_block, dtype=image.dtype)
    parameters = (n_channels, aperture_size, l2_gradient, threshold1, threshold2)
    states_of = functools.partial(_chunk_states, parameters=parameters)
    return _linked_edges((image,), halo_depth(aperture_size), states_of, np.uint8(255))


def _linked_edges(images, depth: int, states_of, edge_value) -> da.Array:
    """Edges of the (H, W[, C]) dask arrays `images` (the image, and maybe its mask, with the same
    chunks): each chunk's weak and strong pixels, joined across chunks by hysteresis;
    `edge_value` on edges, 0 elsewhere, with the image's row and column chunks.

    ``states_of(*haloed blocks, top, left, height, width, first_row, first_column)`` gives the
    states of a chunk (see :func:`_chunk_states` and :func:`_block_geometry`)."""
    image = images[0]
    chunks = image.chunks
    # Overlapping needs chunks at least as large as the halo; the result gets the input's chunks.
    merged = (_merged_chunks(chunks[0], depth), _merged_chunks(chunks[1], depth))
    if merged != chunks[:2]:
        images = tuple(a.rechunk(merged + a.chunks[2:]) for a in images)
    # An axis in one chunk has no neighbours to read (and may be shorter than the halo).
    overlap_depth = {0: depth if len(merged[0]) > 1 else 0, 1: depth if len(merged[1]) > 1 else 0}
    overlapped = [
        da.overlap.overlap(
            a,
            depth={axis: overlap_depth.get(axis, 0) for axis in range(a.ndim)},
            boundary={axis: "none" for axis in range(a.ndim)},
        )
        for a in images
    ]
    grid = (len(merged[0]), len(merged[1]))
    geometry = dict(depth=depth, row_chunks=merged[0], column_chunks=merged[1], states_of=states_of)
    drop = {"drop_axis": 2} if image.ndim == 3 else {}
    summaries = da.map_blocks(
        _summary_block, *overlapped, **geometry, dtype=object,
        chunks=tuple((1,) * n for n in grid) + ((1,) if image.ndim == 3 else ()),
    )  # fmt: skip
    resolved = dask.delayed(_resolve_hysteresis, pure=True)(summaries, grid[0], grid[1])
    # Every chunk reads its flags from the one resolved grid (a byte per component).
    edges = da.map_blocks(
        _edges_block, *overlapped, keep=resolved, **geometry, edge_value=edge_value,
        dtype=np.asarray(edge_value).dtype, chunks=merged, **drop,
    )  # fmt: skip
    if merged != chunks[:2]:
        edges = edges.rechunk(chunks[:2])
    return edges


# --- Canny by scikit-image's rules --------------------------------------------------------------


def skimage_canny(
    image, sigma=1.0, low_threshold=None, high_threshold=None, mask=None, *, mode="constant",
    cval=0.0,
) -> da.Array:  # fmt: skip
    """Canny edges of a dask array image by scikit-image's rules, identical to
    :func:`fastseg.skimage.canny` (and so to ``skimage.feature.canny``) on the whole image.

    Parameters
    ----------
    image : dask array of shape (H, W)
        uint8, uint16, uint32, int8, int16, int32, float16, float32 or float64, finite; any
        chunking.
    sigma, low_threshold, high_threshold, mask, mode, cval
        As for :func:`fastseg.skimage.canny`; `mask` may be a NumPy or dask array. Thresholds are
        given or defaulted: quantiles of the magnitude (``use_quantiles``) would need the whole
        magnitude image at once. ``mode='wrap'`` is refused (it reads the opposite side of the
        image).

    Returns
    -------
    edges : dask array of shape (H, W), dtype bool, with the image's chunks; lazy.

    Notes
    -----
    Each chunk is classified from the chunk with a halo of ``4 sigma + 2`` pixels (the Gaussian's
    radius, the Sobel filter and the suppression) by the in-memory kernel, which extends the
    image by `mode` where the chunk meets the image's border and reads the halo elsewhere; then
    hysteresis joins weak and strong pixels across chunks as :func:`canny` does. A float chunk
    with NaN or infinity raises a ValueError when computed.

    Examples
    --------
    >>> import dask.array as da, numpy as np, fastseg.dask
    >>> image = np.zeros((12, 12), dtype=np.uint16)
    >>> image[:, 6:] = 50000
    >>> edges = fastseg.dask.skimage_canny(da.from_array(image, chunks=5), sigma=1)
    >>> edges.compute()[5].nonzero()[0]  # as skimage.feature.canny(image, 1)
    array([6])
    """
    return skimage_edges(image, sigma, low_threshold, high_threshold, mask, mode, cval, np.True_)


def skimage_edges(image, sigma, low_threshold, high_threshold, mask, mode, cval, edge_value):
    """:func:`skimage_canny` with `edge_value` on edges (and 0 elsewhere) in place of True."""
    image = _validate.check_dask_image(
        image, "image", _validate.ANY_DEPTH_DTYPES, _validate.ANY_DEPTH_DTYPE_NAMES, 1
    )
    if image.ndim != 2:
        raise ValueError(f"`image` must be a 2-D (gray) dask array; got shape {image.shape}.")
    settings = in_memory.check_settings(
        image.dtype, sigma, low_threshold, high_threshold, False, mode, cval
    )
    if settings.mode == "wrap":
        raise ValueError(
            "`mode` 'wrap' is not supported on dask arrays (it reads the opposite side of the "
            "image); use 'reflect', 'mirror', 'nearest' or 'constant', or the in-memory function."
        )
    images = (image,)
    mask = _validate.check_mask(mask, image.shape, "mask")
    if mask is not None:
        images = (image, da.asarray(mask).rechunk(image.chunks))
    thresholds = in_memory.comparison_thresholds(settings.low, settings.high, settings.single)
    states_of = functools.partial(
        _smooth_chunk_states, settings=settings, thresholds=thresholds,
        extensions=settings.extensions(*image.shape),
    )  # fmt: skip
    return _linked_edges(images, settings.radius + 2, states_of, edge_value)


def _smooth_chunk_states(*blocks, settings, thresholds, extensions):
    """States (0 off, 1 weak, 2 strong) of a chunk's pixels from the chunk with its halo (and its
    mask's), by :func:`fastseg.skimage.classify` without hysteresis, in the calling thread."""

    *arrays, top, left, height, width, first_row, first_column = blocks
    haloed = arrays[0]
    haloed_mask = np.ascontiguousarray(arrays[1]) if len(arrays) > 1 else None
    if haloed.dtype == np.float16:
        haloed = haloed.astype(np.float32)
    first_row -= top  # where the haloed block starts in the image
    first_column -= left
    radius = settings.radius
    # The block's own extension tables, from those of the whole image.
    source_rows, source_columns = (
        _local_sources(full, start, length, radius)
        for full, start, length in zip(
            extensions, (first_row, first_column), haloed.shape, strict=True
        )
    )
    rows = kernel_rows(haloed, haloed.shape[0], haloed.shape[1])
    states = np.empty(haloed.shape, dtype=np.uint8)
    in_memory.classify(
        rows, haloed_mask, settings, source_rows, source_columns, thresholds, states,
        follow=False, threaded=False,
    )  # fmt: skip
    core = states[top : top + height, left : left + width]
    return _STATE_OF[core]


def _local_sources(full: np.ndarray, start: int, length: int, radius: int) -> np.ndarray:
    """The extension table of a haloed block of `length` positions from `start` along an axis,
    from the whole axis's table `full` (see :func:`fastseg.skimage.extended_indices`), in the
    block's own indices. A haloed block lies inside the image, so its extended positions are
    those of the image from `start`; the sources they name that fall outside the block (beyond a
    halo's far side) decide no pixel of the chunk, and read the block's nearest position."""
    sources = full[start : start + length + 2 * radius]
    return np.where(sources < 0, -1, np.clip(sources - start, 0, length - 1))
