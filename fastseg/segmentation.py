"""Colour segmentation of images with k-means.

image -> working colour space -> (distinct colours + counts | pixels) -> kmeans -> Segmentation
"""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import threading
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

from . import _config, _validate
from ._kernels import colors
from ._validate import COLOR_SPACES
from .clustering import Criteria, check_run_options, fit
from .passes import MemoryPasses, label_sums

__all__ = ["COLOR_SPACES", "Segmentation", "segment"]

#: The distinct-colour path is taken while distinct colours are at most this share of the pixels.
DISTINCT_SHARE = 0.5

_CONVERSIONS = {
    ("hsv", "rgb"): cv2.COLOR_RGB2HSV,
    ("hsv", "bgr"): cv2.COLOR_BGR2HSV,
    ("lab", "rgb"): cv2.COLOR_RGB2Lab,
    ("lab", "bgr"): cv2.COLOR_BGR2Lab,
    ("gray", "rgb"): cv2.COLOR_RGB2GRAY,
    ("gray", "bgr"): cv2.COLOR_BGR2GRAY,
}


@dataclass(frozen=True, eq=False)
class Segmentation:
    """The outcome of :func:`segment`.

    Attributes
    ----------
    labels : ndarray of shape (H, W), uint8 (uint16 when k > 255)
        Cluster of each pixel.
    centers : ndarray of shape (k, n_features), float64
        Cluster centers in the working space (see :func:`segment`, Notes).
    palette : ndarray of shape (k, channels), uint8
        Mean colour of each cluster's pixels, in the input's channel order (channels is 1 for a
        gray image, else 3), scaled to 0-255 for 16-bit and float images.
    counts : ndarray of shape (k,), int64
        Pixels in each cluster.
    compactness : float
        Sum of squared distances of the pixels to their centers, in the working space.
    n_iter : int
    method : str
        "distinct" or "pixels": the path that was taken.
    outside_label : int or None
        With a mask, the label of the pixels outside it: k (past the clusters' labels).
    """

    labels: np.ndarray
    centers: np.ndarray
    palette: np.ndarray
    counts: np.ndarray
    compactness: float
    n_iter: int
    method: str
    mean_colors: np.ndarray
    alpha: np.ndarray | None
    dtype: np.dtype
    #: The input had shape (H, W, 1): :meth:`recolor` keeps that axis.
    channel_axis_kept: bool = False
    #: How the image was clustered (for :meth:`predict`).
    plan: ImagePlan | None = None
    #: The label of pixels outside the mask (k), or None without a mask.
    outside_label: int | None = None

    def regions(self, min_size: int = 1, connectivity: int = 1) -> np.ndarray:
        """The connected regions of the clusters, those below `min_size` pixels merged into
        their neighbour of nearest colour (:func:`fastseg.connected_regions` with each
        cluster's mean colour).

        Returns
        -------
        regions : ndarray of shape (H, W), int32, numbered 1, 2, ... in raster order
        """
        from .regions import connected_regions

        return connected_regions(
            self.labels, min_size=min_size, connectivity=connectivity, colors=self.mean_colors
        )

    def linkage(self) -> np.ndarray:
        """The hierarchy of the clusters: Ward's clustering of the centers weighted by their
        pixel counts, as a SciPy linkage matrix (``scipy.cluster.hierarchy.dendrogram(
        result.linkage())`` draws it); see :func:`fastseg.regions.ward_linkage`. Empty
        clusters count as one pixel.

        Returns
        -------
        linkage : ndarray of shape (k - 1, 4), float64
        """
        from .regions import ward_linkage

        return ward_linkage(self.centers, np.maximum(self.counts, 1))

    def cluster_colors(self) -> np.ndarray:
        """Mean colour of each cluster in the input's dtype (rounded for integer images)."""
        colours = self.mean_colors
        if self.dtype.kind == "u":
            colours = np.clip(np.rint(colours), 0, np.iinfo(self.dtype).max)
        return colours.astype(self.dtype)

    def cluster_colours(self) -> np.ndarray:
        """Deprecated spelling of :meth:`cluster_colors`, kept for one release."""
        warnings.warn(
            "Segmentation.cluster_colours() is deprecated; use cluster_colors().",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.cluster_colors()

    def recolor(self) -> np.ndarray:
        """The image with each pixel replaced by its cluster's mean colour (0 outside the
        mask, if any).

        Same shape, dtype and channel order as the input; an alpha channel is kept as it was.
        """
        colours = self.cluster_colors()
        if self.outside_label is not None:  # pixels outside the mask are painted 0
            colours = np.vstack([colours, np.zeros_like(colours[:1])])
        image = colours[self.labels]
        if image.shape[-1] == 1 and not self.channel_axis_kept:
            image = image[..., 0]
        if self.alpha is not None:
            image = np.dstack([image, self.alpha])
        return image

    def predict(self, image) -> np.ndarray:
        """Label another image with these clusters: each pixel takes its nearest center, in the
        same working space (video frames, tiles of a larger image).

        Parameters
        ----------
        image : ndarray of shape (H', W'[, C])
            Of the dtype and colour channels of the segmented image (any size; with spatial
            features, its coordinates are scaled by its own longer side).

        Returns
        -------
        labels : ndarray of shape (H', W'), the dtype of :attr:`labels`
        """
        if self.plan is None:
            raise ValueError("this segmentation has no clustering plan to predict with.")
        checked = _validate.check_image(image)
        channels, _ = split_channels(checked)
        n_channels = 1 if channels.ndim == 2 else channels.shape[2]
        if checked.dtype.newbyteorder("=") != self.plan.dtype or n_channels != self.plan.n_channels:
            raise ValueError(
                f"`image` must have the segmented image's dtype {self.plan.dtype.name} and "
                f"{self.plan.n_channels} colour channel(s); got {checked.dtype.name} with "
                f"{n_channels}."
            )
        plan = dataclasses.replace(self.plan, shape=checked.shape[:2])
        pixels = channels.reshape(plan.n_pixels, plan.n_channels)
        rows = columns = None
        if plan.spatial > 0:
            rows, columns = np.divmod(np.arange(plan.n_pixels), plan.shape[1])
        source = MemoryPasses(plan.features(pixels, rows, columns), None, len(self.centers))
        source.assign(self.centers)
        return source.labels.astype(self.labels.dtype).reshape(plan.shape)

    def masks(self) -> np.ndarray:
        """Boolean masks of shape (k, H, W), one per cluster."""
        return self.labels[None, :, :] == np.arange(len(self.centers))[:, None, None]


def _unit_range(colours: np.ndarray) -> np.ndarray:
    """Colours as float32 in [0, 1] (8- and 16-bit scaled; float images taken as they are)."""
    if colours.dtype.kind == "u":
        return colours.astype(np.float32) / np.float32(np.iinfo(colours.dtype).max)
    return colours.astype(np.float32)


def color_features(colours: np.ndarray, color_space: str, channel_order: str) -> np.ndarray:
    """Features of (m, 3) colours in the working space (see :func:`segment`, Notes)."""
    if color_space == "rgb":
        return colours
    converted = cv2.cvtColor(
        _unit_range(colours)[:, None, :], _CONVERSIONS[(color_space, channel_order)]
    )[:, 0]
    if color_space == "gray":
        return 255.0 * converted.astype(np.float64)[:, None]
    if color_space == "lab":
        return converted.astype(np.float64)
    hue = np.deg2rad(converted[:, 0].astype(np.float64))
    chroma = 255.0 * converted[:, 1].astype(np.float64)
    return np.stack([chroma * np.cos(hue), chroma * np.sin(hue), 255.0 * converted[:, 2]], 1)


_spare_tables = threading.local()


def _borrow_table() -> np.ndarray:
    """A zeroed colour table (2^24 counts and a few spare entries, 64 MB), reused within a thread.

    A new table costs more in page faults than counting the colours of a 12 MP image; each
    thread keeps one for its next call.
    """
    table = getattr(_spare_tables, "table", None)
    _spare_tables.table = None
    if table is None:
        # Anonymous memory of our own, in ordinary pages: NumPy asks Linux for huge pages for
        # large arrays, and where the kernel must first compact memory to find them, faulting
        # in these 64 MB took from 8 ms to a quarter of a second; ordinary pages take a steady
        # 35 ms, and the random reads of the table are no slower (measured on 2 cores).
        # Private (copied on write, as NumPy's memory is) where the platform says so: a shared
        # mapping would be the same table in a forked child.
        private = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}
        try:
            memory = mmap.mmap(-1, colors.TABLE_SIZE * 4, **private)
        except OSError as error:  # as NumPy reports it
            raise MemoryError("cannot allocate the 64 MB colour table") from error
        if hasattr(mmap, "MADV_NOHUGEPAGE"):  # also where Linux gives huge pages unasked
            memory.madvise(mmap.MADV_NOHUGEPAGE)
        table = np.frombuffer(memory, dtype=np.uint32)  # zeros; keeps `memory` alive
        table.fill(0)  # fault the pages in now, in one sequential sweep
    return table


class ColorTable:
    """The table that counts the colours of 8-bit pixels, borrowed for a ``with`` block.

    Each use sets the entries it wrote back to 0, and on leaving the block the table is given
    back for the thread's next call; a table that an exception (an interrupt, say) left in an
    unknown state is dropped instead, never handed back dirty::

        with ColorTable() as table:
            colors, counts = table.count(pixels)
            ...
            table.label(pixels, colors, color_labels, labels)
    """

    def __init__(self):
        self._table = None
        self._clean = False  # whether every entry of the table is zero

    def __enter__(self) -> ColorTable:
        self._table = _borrow_table()
        self._clean = True
        return self

    def __exit__(self, *exc_info) -> None:
        table, self._table = self._table, None
        if table is not None and self._clean:
            _spare_tables.table = table

    def count(self, pixels: np.ndarray):
        """Distinct colours of (n, 3) C-contiguous uint8 pixels, in increasing packed order, and
        their counts (float64)."""
        table = self._table
        self._clean = False
        distinct_per_part = np.empty(
            min(_config.get_num_threads(), colors.MAX_PARTS), dtype=np.int64
        )
        _config.run_in_threads(
            colors.count_colors, distinct_per_part.shape[0], pixels, table, distinct_per_part
        )
        starts = np.concatenate([[0], np.cumsum(distinct_per_part)[:-1]])
        n_distinct = int(distinct_per_part.sum())
        distinct = np.empty((n_distinct, 3), dtype=np.uint8)
        counts = np.empty(n_distinct)
        colors.gather_distinct(table, starts, distinct, counts)  # and clears the table
        self._clean = True
        return distinct, counts

    def label(self, pixels, distinct, distinct_labels, labels) -> None:
        """labels[i] = the label of pixel i's colour, from `distinct_labels`, the labels of the
        colours :meth:`count` gave (`distinct`)."""
        # The table's memory, reused as a table of labels: with 1-byte labels it takes a quarter
        # of the space (16 MB), and the random reads of the labelling pass hit the cache more
        # often. Its entries are set back to 0 for the table's next use.
        label_table = self._table.view(labels.dtype)[: colors.N_COLOURS]
        self._clean = False
        colors.put_color_labels(distinct, distinct_labels, label_table)
        label_pixels(pixels, label_table, labels)
        colors.put_color_labels(distinct, np.zeros_like(distinct_labels), label_table)
        self._clean = True


def packed_codes(colours: np.ndarray) -> np.ndarray:
    """The packed code ``c0 << 16 | c1 << 8 | c2`` of each (m, 3) uint8 colour, int64."""
    return (
        (colours[:, 0].astype(np.int64) << 16)
        | (colours[:, 1].astype(np.int64) << 8)
        | colours[:, 2].astype(np.int64)
    )


def label_pixels(pixels: np.ndarray, label_table: np.ndarray, labels: np.ndarray) -> None:
    """labels[i] = label_table[packed colour of pixel i] (see :func:`colors.label_pixels`)."""
    n_chunks = -(-pixels.shape[0] // _config.CHUNK_SIZE)
    _config.run_in_threads(colors.label_pixels, n_chunks, pixels, label_table, labels)


def takes_distinct(method: str, n_colours: int, n_pixels: int) -> bool:
    """Whether an 8-bit image with `n_colours` distinct colours takes the distinct-colour path."""
    return method == "distinct" or n_colours <= DISTINCT_SHARE * n_pixels


def spatial_features(features, rows, columns, shape, spatial: float) -> np.ndarray:
    """`features` of pixels at (rows, columns) with their scaled column and row appended."""
    height, width = shape
    # Coordinates scaled so that spatial=1 spans the image's longer side like the 0-255 range.
    scale = spatial * 255.0 / max(height, width, 2)
    return np.column_stack([features, columns * scale, rows * scale])


def palette_of(mean_colours: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Mean colours as uint8, scaled to 0-255 from 16-bit and float images."""
    scale = 1.0 if dtype == np.uint8 else (255.0 / 65535.0 if dtype == np.uint16 else 255.0)
    return np.clip(np.rint(mean_colours * scale), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class ImagePlan:
    """How an image is clustered, decided once from its shape, its dtype and the options; shared
    by :func:`segment` and :func:`fastseg.dask.segment`."""

    shape: tuple[int, int]  #: (H, W)
    n_channels: int  #: colour channels clustered: 1 or 3 (alpha is never clustered)
    dtype: np.dtype
    k: int
    color_space: str  #: "gray" for one-channel images
    channel_order: str
    spatial: float
    method: str  #: as asked: "auto", "distinct" or "pixels"

    @property
    def n_pixels(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def counts_colors(self) -> bool:
        """Whether the distinct colours are counted, to see if they are clustered instead of
        the pixels (see :func:`distinct_path`)."""
        return self.method != "pixels" and self.dtype == np.uint8 and self.spatial == 0

    @property
    def features_are_pixels(self) -> bool:
        """Whether a pixel's features are its channels, as they are."""
        return (self.n_channels == 1 or self.color_space == "rgb") and self.spatial == 0

    @property
    def n_features(self) -> int:
        width = 1 if self.n_channels == 1 or self.color_space == "gray" else 3
        return width + (2 if self.spatial > 0 else 0)

    def features(self, pixels: np.ndarray, rows=None, columns=None) -> np.ndarray:
        """Features of (n, channels) pixels (or colours) at image coordinates (rows, columns),
        which only spatial features need."""
        features = pixels
        if self.n_channels == 3:
            features = color_features(pixels, self.color_space, self.channel_order)
        if self.spatial > 0:
            features = spatial_features(features, rows, columns, self.shape, self.spatial)
        return features


def plan_image(shape, dtype, k, color_space, channel_order, spatial, method) -> ImagePlan:
    """Check the options of :func:`segment` against an image of `shape` (checked) and `dtype`."""
    height, width = shape[:2]
    n_channels = 1 if len(shape) == 2 or shape[2] == 1 else 3
    k = _validate.check_int(k, "k", 1, height * width, "H * W")
    color_space, channel_order, spatial, method = _validate.check_segment_options(
        color_space, channel_order, spatial, method, np.dtype(dtype), n_channels
    )
    return ImagePlan(
        (height, width), n_channels, np.dtype(dtype), k, color_space, channel_order, spatial,
        method,
    )  # fmt: skip


def split_channels(image):
    """The colour channels of an (H, W[, C]) image (NumPy or Dask), (H, W) for one channel, and
    its alpha channel (the fourth) or None."""
    alpha = image[:, :, 3] if image.ndim == 3 and image.shape[2] == 4 else None
    channels = image if image.ndim == 2 else image[:, :, : min(3, image.shape[2])]
    if channels.ndim == 3 and channels.shape[2] == 1:
        channels = channels[:, :, 0]
    return channels, alpha


def distinct_path(plan: ImagePlan, n_colors: int) -> bool:
    """Whether the `n_colors` distinct colours of an image are clustered instead of its pixels.

    Not when there are too many (see `method` of :func:`segment`), nor when k exceeds them: the
    surplus clusters would be empty, which a warning says, and every pixel is clustered.
    """
    if not takes_distinct(plan.method, n_colors, plan.n_pixels):
        return False
    if plan.k <= n_colors:
        return True
    warnings.warn(
        f"`k` = {plan.k} is more than the image's {n_colors} distinct colours: at least "
        f"{plan.k - n_colors} clusters are empty; every pixel is clustered (method 'pixels').",
        RuntimeWarning,
        stacklevel=3,  # the caller of segment()
    )
    return False


def mean_colors_of(result, colors_clustered, weights, plan: ImagePlan):
    """Mean colour and total weight (pixel count) of each cluster.

    Where the colours themselves were clustered (pixels, or distinct colours weighted by their
    counts), the last pass summed and counted them (its centers are not the mean colours when it
    stopped before the labels settled): for 8-bit colours and whole counts those sums are exact,
    the same whatever their order. Else the colours are summed per label.
    """
    if plan.features_are_pixels:
        totals = result.cluster_weights
        sums = result.cluster_sums
    else:
        sums, totals = label_sums(colors_clustered, weights, result.labels, plan.k)
    return sums / np.maximum(totals, 1e-300)[:, None], totals


def segmentation_fields(result, mean_colors, totals, path: str, dtype) -> dict:
    """The fields of a :class:`Segmentation` that do not depend on where the labels live."""
    return {
        "centers": result.centers,
        "palette": palette_of(mean_colors, dtype),
        "counts": np.rint(totals).astype(np.int64),
        "compactness": result.compactness,
        "n_iter": result.n_iter,
        "method": path,
        "mean_colors": mean_colors,
    }


def segment(
    image,
    k: int,
    *,
    color_space: str = "rgb",
    channel_order: str = "rgb",
    criteria: Criteria | tuple | None = None,
    attempts: int = 1,
    init="k-means++",
    seed=None,
    spatial: float = 0.0,
    method: str = "auto",
    mask=None,
) -> Segmentation:
    """Segment an image into k colour clusters with k-means.

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)
        uint8, uint16, float32 or float64. Float images must lie in [0, 1]; one in 0-255 (what
        ``np.float32(image)`` gives) is refused with a ValueError rather than guessed at.
        A fourth channel is alpha: it is not clustered and is kept by :meth:`Segmentation.recolor`.
    k : int
        Number of clusters, in [1, H * W]. When an 8-bit image has fewer distinct colours than
        k, the surplus clusters are necessarily empty: a RuntimeWarning says so, and every pixel
        is clustered (``method`` becomes "pixels").
    color_space : {"rgb", "hsv", "lab", "gray"}, default "rgb"
        Space in which colours are compared (see Notes).
    channel_order : {"rgb", "bgr"}, default "rgb"
        Order of the colour channels: ``cv2.imread`` gives "bgr", :func:`fastseg.imread` "rgb".
    criteria, attempts, init, seed
        As for :func:`fastseg.kmeans`.
    spatial : float, default 0.0
        Weight of the pixel coordinates, which are added to the features when > 0 for spatially
        coherent segments; at 1, the longer side of the image counts as much as the 0-255 range.
        At most 1e6.
    method : {"auto", "distinct", "pixels"}, default "auto"
        "distinct" clusters the distinct colours of an 8-bit image weighted by their pixel counts
        (the same objective as all pixels, a fraction of the work); "pixels" clusters every pixel;
        "auto" takes "distinct" for 8-bit images without spatial features unless more than half
        the pixels have a colour of their own.
    mask : ndarray of bool of shape (H, W), optional
        Cluster only the pixels where True; the others get label k (see
        :attr:`Segmentation.outside_label`), and k is at most their count.

    Returns
    -------
    Segmentation

    Notes
    -----
    Working spaces: "rgb" takes the channels as they are; "gray" is OpenCV's luma scaled to
    0-255; "lab" is CIE L*a*b* (L in 0-100) from OpenCV's float conversion; "hsv" respects that
    hue is an angle: a colour becomes (255 S cos H, 255 S sin H, 255 V), so hues 0 and 359 are
    neighbours and greys, whatever their hue, sit on the axis.

    Examples
    --------
    >>> import fastseg
    >>> result = fastseg.segment(fastseg.sample_image(), 4, seed=0)
    >>> result.labels.shape, result.palette.shape
    ((512, 512), (4, 3))
    """
    array = _validate.as_array(image, "image")
    if array.ndim in (2, 3) and array.shape[0] * array.shape[1] > 0:  # k first: before counting
        _validate.check_int(k, "k", 1, array.shape[0] * array.shape[1], "H * W")
    checked = _validate.check_image(array)
    plan = plan_image(checked.shape, checked.dtype, k, color_space, channel_order, spatial, method)
    options = check_run_options(criteria, attempts, init, seed, plan.k, plan.n_features)
    channels, alpha = split_channels(checked)
    pixels = channels.reshape(plan.n_pixels, plan.n_channels)
    chosen = None  # with a mask, the pixels inside it (the only ones clustered)
    if mask is not None:
        inside = _validate.check_mask(mask, plan.shape).reshape(-1).view(bool)
        chosen = np.flatnonzero(inside)
        _validate.check_int(plan.k, "k", 1, len(chosen), "the pixels inside `mask`")
        pixels = pixels[chosen]
    if plan.counts_colors:
        pixels = _countable(pixels)  # once, for the count and the labelling
        with _color_table(pixels) as table:
            distinct, counts = distinct_colors(pixels, table)
            if distinct_path(plan, len(distinct)):
                source = MemoryPasses(plan.features(distinct), counts, plan.k, counts=True)
                result = fit(source, options)
                labels = label_by_color(pixels, distinct, result.labels, table)
                return _segmentation(
                    plan, result, labels, "distinct", array, alpha, distinct, counts, chosen
                )
    rows = columns = None
    if plan.spatial > 0:
        where = np.arange(plan.n_pixels) if chosen is None else chosen
        rows, columns = np.divmod(where, plan.shape[1])
    result = fit(MemoryPasses(plan.features(pixels, rows, columns), None, plan.k), options)
    return _segmentation(plan, result, result.labels, "pixels", array, alpha, pixels, None, chosen)


def _countable(pixels: np.ndarray) -> np.ndarray:
    """8-bit pixels as :func:`distinct_colors` reads them: three-channel ones C-contiguous (the
    table's kernels need it), gray ones as they are (a histogram reads any layout)."""
    return np.ascontiguousarray(pixels) if pixels.shape[1] == 3 else pixels


def _color_table(pixels: np.ndarray):
    """The table that counts three-channel pixels, lent for a ``with`` block; none (a null
    context giving None) for gray ones."""
    return ColorTable() if pixels.shape[1] == 3 else contextlib.nullcontext()


def distinct_colors(pixels: np.ndarray, table: ColorTable | None):
    """The distinct colours (m, channels) uint8 of 8-bit pixels, in increasing (packed) order,
    and their counts (m,) float64: three-channel pixels (C-contiguous) counted in `table`, gray
    ones by a histogram (`table` None)."""
    if table is None:
        counts = np.bincount(pixels[:, 0], minlength=256).astype(np.float64)
        return np.flatnonzero(counts).astype(np.uint8)[:, None], counts[counts > 0]
    return table.count(pixels)


def label_by_color(pixels, distinct, distinct_labels, table: ColorTable | None) -> np.ndarray:
    """The label of each pixel from the labels of the distinct colours :func:`distinct_colors`
    gave."""
    if table is None:  # gray: the intensities index a 256-entry table
        lookup = np.zeros(256, dtype=distinct_labels.dtype)
        lookup[distinct[:, 0]] = distinct_labels
        return lookup[pixels[:, 0]]
    labels = np.empty(len(pixels), dtype=distinct_labels.dtype)
    table.label(pixels, distinct, distinct_labels, labels)
    return labels


def sweep_samples(image: np.ndarray, color_space: str, channel_order: str):
    """What a sweep over k (:func:`fastseg.elbow`, :func:`fastseg.choose_k`) clusters for every
    k: the samples and weights :func:`segment` clusters with method "auto" and no spatial
    features, whatever k. `image` is checked."""
    plan = plan_image(image.shape, image.dtype, 1, color_space, channel_order, 0.0, "auto")
    channels, _ = split_channels(image)
    pixels = channels.reshape(plan.n_pixels, plan.n_channels)
    if plan.counts_colors:
        pixels = _countable(pixels)
        with _color_table(pixels) as table:
            distinct, counts = distinct_colors(pixels, table)
        if takes_distinct(plan.method, len(distinct), plan.n_pixels):
            return plan.features(distinct), counts
    return plan.features(pixels), None


def _segmentation(plan, result, labels, path, image, alpha, colors_clustered, weights, chosen):
    """The Segmentation of `image` (the array as given, any byte order); with a mask, `labels`
    are those of the pixels `chosen` inside it, and the others get label k."""
    mean_colors, totals = mean_colors_of(result, colors_clustered, weights, plan)
    outside_label = None
    if chosen is not None:
        outside_label = plan.k
        everywhere = np.full(plan.n_pixels, outside_label, dtype=labels.dtype)
        everywhere[chosen] = labels
        labels = everywhere
    dtype = image.dtype.newbyteorder("=")  # palette_of compares with native dtypes
    return Segmentation(
        labels=labels.reshape(plan.shape),
        alpha=alpha,
        dtype=dtype,
        channel_axis_kept=image.ndim == 3 and image.shape[2] == 1,
        plan=plan,
        outside_label=outside_label,
        **segmentation_fields(result, mean_colors, totals, path, dtype),
    )
