"""Working with label images: their boundaries, and the boundaries drawn over an image.

:func:`find_boundaries` gives the boundary map ``skimage.segmentation.find_boundaries`` gives
(modes "thick", "inner" and "outer", pixel for pixel); :func:`mark_boundaries` draws it over an
image, as ``skimage.segmentation.mark_boundaries`` does, in the image's own dtype.
"""

from __future__ import annotations

import numpy as np

from . import _validate

__all__ = ["find_boundaries", "mark_boundaries"]

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
    For int64 labels next to the background, scikit-image's "outer" also marks the region's
    side: it erodes the labels in float64, where the largest int64 (its stand-in for the
    background) overflows to the smallest. fastseg computes in the labels' integers.
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
    color = np.asarray(color)
    if color.shape != (marked.shape[2],):
        raise ValueError(
            f"`color` must have one value per channel ({marked.shape[2]}); got {color.tolist()}."
        )
    marked[find_boundaries(labels, mode, background_label)] = color
    return marked
