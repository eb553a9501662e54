"""What the Dask drivers share: the check of a dask image, its blocks, tree reductions."""

from __future__ import annotations

import dask
import dask.array as da

#: Partial results merged by one task of a tree reduction.
FAN_IN = 8


# --- input --------------------------------------------------------------------------------------


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
