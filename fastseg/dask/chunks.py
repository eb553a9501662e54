"""What the Dask drivers share: the check of a dask image, its blocks, tree reductions."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

#: Partial results merged by one task of a tree reduction.
FAN_IN = 8


# --- input --------------------------------------------------------------------------------------


def check_dask_image(image, name: str, dtypes, dtype_names: str, max_channels: int) -> da.Array:
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


def delayed_blocks(array: da.Array) -> list:
    """The blocks of a 2-D or 3-D array as a grid (list of rows) of Delayed objects."""
    blocks = array.to_delayed()
    if array.ndim == 3:
        blocks = blocks[:, :, 0]
    return [list(row) for row in blocks]


def tree_reduce(parts: list, merge):
    """Delayed merge of `parts` in a tree of FAN_IN-way merges that keeps their order."""
    while len(parts) > 1:
        parts = [
            dask.delayed(merge, pure=True)(*parts[i : i + FAN_IN])
            for i in range(0, len(parts), FAN_IN)
        ]
    return parts[0]
