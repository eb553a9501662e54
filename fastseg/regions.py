"""Working with label images: connected regions, small ones merged, and boundaries.

:func:`connected_regions` numbers the connected regions of any labelling (a colour segmentation's
clusters, superpixels) and merges those smaller than a size into their neighbour of nearest
colour. :func:`find_boundaries` gives the boundary map ``skimage.segmentation.find_boundaries``
gives (modes "thick", "inner" and "outer", pixel for pixel); :func:`mark_boundaries` draws it
over an image, as ``skimage.segmentation.mark_boundaries`` does, in the image's own dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _config, _validate
from ._kernels.regions import (
    adjacency_lists,
    count_row_runs,
    fill_runs,
    label_color_run_sums,
    label_runs,
    merge_hierarchy,
    merge_small_regions,
    renumber_runs,
    row_runs,
    run_sums,
    touching_run_pairs,
)

__all__ = [
    "connected_regions",
    "find_boundaries",
    "mark_boundaries",
    "merge_regions",
    "ward_linkage",
]

LINKAGES = ("ward", "color")

BOUNDARY_MODES = ("thick", "inner", "outer")


def _neighbourhood_extreme(values: np.ndarray, largest: bool, full: bool) -> np.ndarray:
    """The largest (or smallest) value of each pixel's neighbourhood: itself and its 2 * ndim
    face neighbours, or (`full`) its whole 3 x 3 (x 3) block; the image's outside is ignored,
    as reflected borders make it (grey dilation and erosion by a cross or a square)."""
    pick = np.maximum if largest else np.minimum
    result = values.copy()
    source = values
    for axis in range(values.ndim):
        if values.shape[axis] < 2:
            continue
        ahead = [slice(None)] * values.ndim
        behind = [slice(None)] * values.ndim
        ahead[axis] = slice(1, None)
        behind[axis] = slice(None, -1)
        # A full block is separable: each axis extends the previous axes' result.
        reference = result.copy() if full else source
        pick(result[tuple(behind)], reference[tuple(ahead)], out=result[tuple(behind)])
        pick(result[tuple(ahead)], reference[tuple(behind)], out=result[tuple(ahead)])
    return result


def _check_label_image(labels) -> np.ndarray:
    labels = _validate.as_array(labels, "labels")
    if labels.dtype.kind not in "biu":
        raise TypeError(f"`labels` must be an integer or boolean array; got {labels.dtype.name}.")
    if labels.ndim != 2 or labels.size == 0:
        raise ValueError(f"`labels` must be a non-empty 2-D array; got shape {labels.shape}.")
    if labels.dtype == bool:
        labels = labels.view(np.uint8)
    return np.ascontiguousarray(_validate.native_byte_order(labels))


def connected_regions(
    labels, image=None, *, min_size: int = 1, connectivity: int = 1, colors=None
) -> np.ndarray:
    """The connected regions of a label image, those below `min_size` pixels merged into their
    neighbour of nearest colour.

    Parameters
    ----------
    labels : ndarray of shape (H, W), integers or bool
        Any labelling: clusters of :func:`segment`, superpixels, classes.
    image : ndarray of shape (H, W) or (H, W, C), optional
        The colours whose mean per region decides merges.
    min_size : int, default 1
        Regions with fewer pixels are merged (1: none is).
    connectivity : {1, 2}, default 1
        1: pixels touch by their sides (4-connected); 2: also by their corners (8-connected).
    colors : ndarray of shape (n_labels, C), optional
        Instead of `image`: the colour of each label (a segmentation's cluster colours).

    Returns
    -------
    regions : ndarray of shape (H, W), int32
        Regions numbered 1, 2, ... in the raster order of their first pixel.

    Notes
    -----
    Merging: the smallest region below `min_size` (then the lowest numbered) is merged into the
    touching region whose mean colour is nearest (squared Euclidean distance in float64; then
    the lowest numbered); the merged region's size and mean colour are those of all its pixels.
    With `colors`, a region not yet merged has its label's colour as its mean exactly, so that
    touching regions of one label tie and the lowest numbered is taken.
    This repeats until no region is below `min_size`, except a region that touches no other.
    The result does not depend on the number of threads.
    """
    labels = _check_label_image(labels)
    min_size = _validate.check_int(min_size, "min_size", 1)
    connectivity = _validate.check_int(connectivity, "connectivity", 1, 2)
    if image is not None and colors is not None:
        raise ValueError("give `image` or `colors` (the colour of each label), not both.")
    height, width = labels.shape
    min_size = min(min_size, height * width + 1)  # no region is larger than the image
    runs = _Runs.of(labels)
    diagonal = connectivity == 2
    run_regions = np.empty(runs.count, dtype=np.int64)
    scratch = np.empty(runs.count + 1, dtype=np.int64)
    n_regions = label_runs(runs.starts, runs.values, runs.row_first, width, diagonal, scratch,
                           run_regions)  # fmt: skip
    del scratch
    if min_size == 1 or n_regions == 1:
        return runs.image(run_regions, labels.shape)
    if image is None and colors is None:
        raise ValueError(
            "`min_size` > 1 merges regions by colour: give `image` (or `colors`, one per label)."
        )
    if colors is not None:
        colors = _checked_colors(colors, runs, labels.dtype)
    sizes, sums = _region_colors(runs, run_regions, n_regions, labels, image, colors)
    with np.errstate(invalid="ignore"):  # 0 / 0 for region 0, which has no pixels
        means = sums / sizes[:, np.newaxis]
    if colors is not None:
        # A region not yet merged has one label: its mean is that label's colour exactly.
        region_labels = np.empty(n_regions + 1, dtype=np.int64)
        region_labels[run_regions] = runs.values
        means[1:] = colors[region_labels[1:]]
    starts, neighbours = _adjacency(runs, run_regions, n_regions, width, diagonal)
    parents = np.arange(n_regions + 1, dtype=np.int64)
    merge_small_regions(sizes, sums, means, starts, neighbours, min_size, parents)
    return runs.merged_image(run_regions, parents, labels.shape)


@dataclass(frozen=True)
class _Runs:
    """The runs of equal labels along the rows of a label image (see
    :func:`fastseg._kernels.regions.row_runs`): the unit the region kernels work in, one entry
    per run instead of per pixel."""

    starts: np.ndarray  # (count,) int64, the first column of each run
    values: np.ndarray  # (count,) int64, each run's label
    row_first: np.ndarray  # (H + 1,) int64, the first run of each row

    @classmethod
    def of(cls, labels: np.ndarray) -> _Runs:
        height = labels.shape[0]
        counts = np.empty(height, dtype=np.int64)
        _config.run_in_threads(count_row_runs, height, labels, counts)
        row_first = np.zeros(height + 1, dtype=np.int64)
        np.cumsum(counts, out=row_first[1:])
        starts = np.empty(row_first[-1], dtype=np.int64)
        values = np.empty(row_first[-1], dtype=np.int64)
        _config.run_in_threads(row_runs, height, labels, row_first, starts, values)
        return cls(starts, values, row_first)

    @property
    def count(self) -> int:
        return self.values.shape[0]

    def image(self, run_numbers: np.ndarray, shape) -> np.ndarray:
        """The (H, W) int32 image of each pixel's run's number."""
        out = np.empty(shape, dtype=np.int32)
        _config.run_in_threads(fill_runs, shape[0], self.starts, self.row_first, run_numbers, out)
        return out

    def merged_image(self, run_regions, parents, shape) -> np.ndarray:
        """The image of the regions the runs' regions were merged into (`parents`, roots),
        numbered 1, 2, ... in raster order."""
        run_numbers = np.empty_like(run_regions)
        renumber_runs(run_regions, parents, run_numbers)
        return self.image(run_numbers, shape)


def _checked_colors(colors, runs: _Runs, label_dtype) -> np.ndarray:
    """`colors`, one row per label, as C-contiguous float64, checked against the runs' labels."""
    colors = np.ascontiguousarray(_validate.as_array(colors, "colors"), dtype=np.float64)
    labels = runs.values.astype(label_dtype, copy=False)  # uint64 labels read back unwrapped
    if int(labels.min()) < 0:
        raise ValueError("`colors` gives the colour of labels 0, 1, ...: `labels` must be >= 0.")
    if colors.ndim != 2 or colors.shape[0] <= int(labels.max()):
        raise ValueError(
            f"`colors` must be (n_labels, channels) with a row for every label up to "
            f"{int(labels.max())}; got shape {colors.shape}."
        )
    if not np.isfinite(colors).all():
        raise ValueError("`colors` must be finite.")
    return colors


def _region_colors(runs, run_regions, n_regions, labels, image, colors):
    """(sizes, colour sums) of regions 0..n_regions: of the `image`'s pixels, or of each pixel's
    label's colour in `colors` (checked by :func:`_checked_colors`)."""
    height, width = labels.shape
    if colors is not None:
        sizes = np.zeros(n_regions + 1, dtype=np.int64)
        sums = np.zeros((n_regions + 1, colors.shape[1]))
        label_color_run_sums(runs.starts, runs.row_first, run_regions, runs.values, colors,
                             width, sizes, sums)  # fmt: skip
        return sizes, sums
    image = _validate.as_array(image, "image")
    if image.shape[:2] != labels.shape or image.ndim not in (2, 3):
        raise ValueError(
            f"`image` must be (H, W) or (H, W, C) with the labels' shape {labels.shape}; got "
            f"{image.shape}."
        )
    if image.dtype.kind not in "biuf":
        raise TypeError(f"`image` must be numeric; got {image.dtype.name}.")
    # Summed where it lies (a channel view of a wider image is not copied; a float image's
    # finiteness check may copy).
    pixels = _validate.native_byte_order(image).reshape(height, width, -1)
    _validate.check_finite(pixels, "image")
    if pixels.dtype == bool:
        pixels = pixels.view(np.uint8)
    # Integers of up to 32 bits are summed exactly in int64 (no overflow below 2**31 pixels),
    # which is what float64 sums in raster order give while they stay below 2**53 (beyond, the
    # exact sum is the better one).
    exact = pixels.dtype.kind in "iu" and pixels.dtype.itemsize <= 4
    # Exact sums are split among threads, each with tables of its own, while those take less
    # memory than the pixels' labels would in int32.
    table_bytes = (n_regions + 1) * (pixels.shape[2] + 1) * 8
    shares = _config.thread_count(height) if exact else 1
    while shares > 1 and shares * table_bytes > 4 * height * width:
        shares -= 1
    shared_sizes = np.zeros((shares, n_regions + 1), dtype=np.int64)
    shared_sums = np.zeros(
        (shares, n_regions + 1, pixels.shape[2]), dtype=np.int64 if exact else np.float64
    )
    _config.run_in_threads(run_sums, height, runs.starts, runs.row_first, run_regions, pixels,
                           shared_sizes, shared_sums, shares=shares)  # fmt: skip
    return shared_sizes.sum(axis=0), shared_sums.sum(axis=0).astype(np.float64, copy=False)


def _adjacency(runs, run_regions, n_regions, width, diagonal) -> tuple[np.ndarray, np.ndarray]:
    """The regions that touch, as CSR: the neighbours of r are neighbours[starts[r]:starts[r+1]],
    each once, in increasing order."""
    arguments = (runs.starts, runs.row_first, run_regions, width, diagonal)
    n_pairs = touching_run_pairs(*arguments, np.empty((0, 2), dtype=np.int32), False)
    pairs = np.empty((n_pairs, 2), dtype=np.int32)
    touching_run_pairs(*arguments, pairs, True)
    starts = np.empty(n_regions + 2, dtype=np.int64)
    neighbours = np.empty(2 * n_pairs, dtype=np.int64)
    total = adjacency_lists(pairs, n_regions, starts, neighbours)
    return starts, neighbours[:total]


def merge_regions(
    regions, image=None, *, n_regions=None, threshold=None, linkage: str = "ward",
    connectivity: int = 1, colors=None,
) -> np.ndarray:  # fmt: skip
    """Merge touching regions hierarchically by colour, down to `n_regions` or up to a cost.

    Parameters
    ----------
    regions : ndarray of shape (H, W), non-negative integers
        Any labelling (superpixels, :func:`connected_regions`); each label is a region.
    image : ndarray of shape (H, W) or (H, W, C), optional
        The colours whose means are compared (or give `colors`, one per label).
    n_regions : int, optional
        Stop when this many regions are left (default 1, unless `threshold` stops first).
    threshold : float, optional
        Stop before a merge that costs more.
    linkage : {"ward", "color"}, default "ward"
        The cost of merging touching regions a and b: "ward", the growth of the sum of squared
        deviations of the pixels from their region's mean colour, ``n_a n_b / (n_a + n_b) *
        |m_a - m_b|**2``; "color", the distance of the mean colours ``|m_a - m_b|`` (what
        ``skimage.graph.merge_hierarchical`` merges by with its mean-colour weights).
    connectivity : {1, 2}, default 1
        Regions touch by pixel sides, or also by corners.
    colors : ndarray of shape (n_labels, C), optional

    Returns
    -------
    merged : ndarray of shape (H, W), int32, numbered 1, 2, ... in raster order

    Notes
    -----
    The cheapest touching pair is merged first (ties: the lowest pair of labels), into one
    region with the size and mean colour of all its pixels; the costs of its pairs with its
    neighbours are then recomputed. Deterministic; the labels of `regions` need not be
    consecutive, nor their regions connected.
    """
    labels = _check_label_image(regions)
    if labels.min() < 0:
        raise ValueError("`regions` must be non-negative labels.")
    largest = int(labels.max())
    if largest >= 2**31 - 1 and colors is not None:
        raise ValueError(f"`regions` labels must be below 2**31 - 1; got {largest}.")
    linkage = _validate.check_choice(linkage, "linkage", LINKAGES)
    connectivity = _validate.check_int(connectivity, "connectivity", 1, 2)
    n_target = 1 if n_regions is None else _validate.check_int(n_regions, "n_regions", 1)
    limit = np.inf if threshold is None else _validate.check_float(threshold, "threshold", 0.0)
    if image is None and colors is None:
        raise ValueError("`merge_regions` compares colours: give `image` (or `colors`).")
    if largest >= labels.size and colors is None:
        # Sparse labels: the regions are renumbered 0, 1, ... first (the tables are indexed by
        # label). Not with `colors`, which is indexed by the labels as given.
        labels = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
        largest = int(labels.max())
    runs = _Runs.of(labels)
    if colors is not None:
        colors = _checked_colors(colors, runs, labels.dtype)
    sizes, sums = _region_colors(runs, runs.values, largest, labels, image, colors)
    starts, neighbours = _adjacency(runs, runs.values, largest, labels.shape[1], connectivity == 2)
    parents = np.arange(largest + 1, dtype=np.int64)
    merge_hierarchy(sizes, sums, starts, neighbours, linkage == "ward", n_target, limit, parents)
    return runs.merged_image(runs.values, parents, labels.shape)


def ward_linkage(points, weights) -> np.ndarray:
    """SciPy's linkage matrix of Ward's hierarchical clustering of weighted points.

    Each point stands for `weights[i]` observations at it (a cluster centre and its pixels). The
    pair whose merge least increases the sum of squared deviations, ``n_a n_b / (n_a + n_b)
    |c_a - c_b|**2`` with n the weights, merges first (ties: the lowest pair of cluster
    numbers); row i of the result is ``[a, b, height, points]`` with a < b, the new cluster
    numbered ``len(points) + i``, the height that of ``scipy.cluster.hierarchy.linkage(...,
    "ward")``, ``sqrt(2 * increase)``, and the count of points under it (SciPy's rule).
    ``scipy.cluster.hierarchy.dendrogram`` draws it. For unit weights it is SciPy's matrix up to
    the last bits of the heights, except where equal increases tie: SciPy's algorithm then may
    merge another of the tied pairs.

    Parameters
    ----------
    points : ndarray of shape (k, d)
    weights : ndarray of shape (k,), positive

    Returns
    -------
    linkage : ndarray of shape (k - 1, 4), float64
    """
    points = np.asarray(points, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if points.ndim != 2 or len(points) < 2 or weights.shape != (len(points),):
        raise ValueError(
            f"`points` must be (k, d) with k >= 2 and `weights` (k,); got {points.shape} and "
            f"{weights.shape}."
        )
    if not (np.isfinite(points).all() and np.isfinite(weights).all() and (weights > 0).all()):
        raise ValueError("`points` must be finite and `weights` finite and > 0.")
    k = len(points)
    centres = points.copy()
    sizes = weights.copy()
    numbers = np.arange(k)  # the cluster number of each slot
    leaves = np.ones(k)
    alive = np.ones(k, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        differences = centres[:, None, :] - centres[None, :, :]
        increases = (sizes[:, None] * sizes[None, :] / (sizes[:, None] + sizes[None, :])) * (
            differences * differences
        ).sum(axis=2)
    increases[np.tril_indices(k)] = np.inf  # each pair once, slot i < slot j
    rows = np.empty((k - 1, 4))
    for step in range(k - 1):
        # The cheapest pair; among equals, the lowest pair of cluster numbers.
        cheapest = increases.min()
        i_slots, j_slots = np.nonzero(increases == cheapest)
        pairs = np.sort(np.stack([numbers[i_slots], numbers[j_slots]], axis=1), axis=1)
        chosen = np.lexsort((pairs[:, 1], pairs[:, 0]))[0]
        i, j = i_slots[chosen], j_slots[chosen]
        a, b = pairs[chosen]
        total = sizes[i] + sizes[j]
        rows[step] = [a, b, np.sqrt(2.0 * cheapest), leaves[i] + leaves[j]]
        # Slot i becomes the merged cluster; slot j is retired.
        centres[i] = (sizes[i] * centres[i] + sizes[j] * centres[j]) / total
        sizes[i] = total
        leaves[i] += leaves[j]
        numbers[i] = k + step
        alive[j] = False
        increases[j, :] = np.inf
        increases[:, j] = np.inf
        others = np.flatnonzero(alive)
        others = others[others != i]
        with np.errstate(over="ignore", invalid="ignore"):
            t = centres[others] - centres[i]
            cost = sizes[others] * total / (sizes[others] + total) * (t * t).sum(axis=1)
        low = np.minimum(others, i)
        high = np.maximum(others, i)
        increases[low, high] = cost
    return rows


def find_boundaries(labels, mode: str = "thick", background: int = 0) -> np.ndarray:
    """Where a label image changes: the boundaries ``skimage.segmentation.find_boundaries``
    finds with 1-connectivity, pixel for pixel.

    Parameters
    ----------
    labels : ndarray of int or bool, 2-D or 3-D
    mode : {"thick", "inner", "outer"}, default "thick"
        "thick": every pixel with a face neighbour of another label (both sides of a change);
        "inner": those not of `background`; "outer": the side of the change outside each
        labelled region (background pixels next to a region, and the pixel of the larger label
        where two regions meet).
    background : int, default 0
        The background label of "inner" and "outer".

    Returns
    -------
    boundaries : ndarray of bool, labels' shape

    Notes
    -----
    scikit-image computes its grey dilations and erosions in float64, fastseg in the labels'
    integers. So for 64-bit labels the two differ where scikit-image's floats do: labels above
    2**53 that round to one float, and, in "outer" mode, next to the background, whose stand-in
    (the largest int64 or uint64) overflows when it comes back from float64.
    """
    labels = _validate.as_array(labels, "labels")
    if labels.dtype.kind not in "biu":
        raise TypeError(f"`labels` must be an integer or boolean array; got {labels.dtype.name}.")
    if labels.ndim not in (2, 3) or labels.size == 0:
        raise ValueError(f"`labels` must be a non-empty 2-D or 3-D array; got {labels.shape}.")
    mode = _validate.check_choice(mode, "mode", BOUNDARY_MODES)
    background = _validate.check_int(background, "background", -(2**63))
    if labels.dtype == bool:
        labels = labels.view(np.uint8)
    labels = _validate.native_byte_order(labels)
    boundaries = _neighbourhood_extreme(labels, True, False) != _neighbourhood_extreme(
        labels, False, False
    )
    if mode == "inner":
        boundaries &= labels != background
    elif mode == "outer":
        outside = labels == background
        raised = labels.copy()
        raised[outside] = np.iinfo(labels.dtype).max
        adjacent = _neighbourhood_extreme(labels, True, True) != _neighbourhood_extreme(
            raised, False, True
        )
        adjacent &= ~outside
        boundaries &= outside | adjacent
    return boundaries


def mark_boundaries(
    image, labels, color=None, mode: str = "outer", background_label: int = 0
) -> np.ndarray:
    """A copy of `image` with the boundaries of `labels` (:func:`find_boundaries`) painted.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C)
        Any dtype; a gray image (H, W) or (H, W, 1) becomes RGB.
    labels : ndarray of int of shape (H, W)
    color : sequence of C numbers, optional
        In the image's units; by default yellow at the dtype's full scale (255 for uint8,
        65535 for uint16, 1.0 for floats).
    mode, background_label
        As in :func:`find_boundaries`.

    Returns
    -------
    marked : ndarray of shape (H, W, C), image's dtype

    Notes
    -----
    ``skimage.segmentation.mark_boundaries`` returns a float image in [0, 1] and takes `color`
    in [0, 1]; this keeps the image's dtype and takes the colour in its units.
    """
    image = _validate.as_array(image, "image")
    labels = _validate.as_array(labels, "labels")
    if image.ndim not in (2, 3) or image.shape[:2] != labels.shape:
        raise ValueError(
            f"`image` must be (H, W) or (H, W, C) with `labels`' shape {labels.shape} first; "
            f"got {image.shape}."
        )
    if image.ndim == 2 or image.shape[2] == 1:
        marked = np.dstack([image.reshape(labels.shape)] * 3)
    else:
        marked = image.copy()
    if color is None:
        full = np.iinfo(image.dtype).max if image.dtype.kind in "iu" else 1
        color = ((full, full, 0) + (full,) * marked.shape[2])[: marked.shape[2]]
    try:
        color = np.asarray(color, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`color` must be a sequence of numbers; got {color!r}.") from None
    if color.shape != (marked.shape[2],):
        raise ValueError(
            f"`color` must have one value per channel ({marked.shape[2]}); got {color.tolist()}."
        )
    if marked.dtype.kind in "iub":
        info = np.iinfo(marked.dtype) if marked.dtype.kind != "b" else np.iinfo(np.uint8)
        low, high = (info.min, info.max) if marked.dtype.kind != "b" else (0, 1)
        if not (np.all(color == np.rint(color)) and np.all((color >= low) & (color <= high))):
            raise ValueError(
                f"`color` must be integers in [{low}, {high}] for a {marked.dtype.name} image; "
                f"got {color.tolist()}."
            )
    elif not np.isfinite(color).all():
        raise ValueError(f"`color` must be finite; got {color.tolist()}.")
    marked[find_boundaries(labels, mode, background_label)] = color
    return marked
