"""scipy.ndimage's Gaussian weights and border extension, computed as it computes them.

For the kernels that repeat its smoothing bit for bit (:mod:`fastseg.skimage`,
:mod:`fastseg.superpixels`).
"""

import numpy as np


def gaussian_weights(sigma) -> np.ndarray:
    """The weights of offsets 0, 1, ..., r of ``scipy.ndimage``'s Gaussian of `sigma` (truncated
    at 4 sigma), computed with its arithmetic; [1.0] where it would not smooth (sigma <= 1e-15)."""
    if not sigma > 1e-15:
        return np.ones(1)
    radius = int(4.0 * float(sigma) + 0.5)
    with np.errstate(all="ignore"):  # a sigma whose square underflows gives NaN weights there too
        offsets = np.arange(-radius, radius + 1)
        density = np.exp(-0.5 / (sigma * sigma) * offsets**2)
        density = density / density.sum()
    # The correlation weights are the reversed density; offset k takes the weight left of the
    # centre, as scipy's symmetric loop does.
    return np.ascontiguousarray(density[::-1][radius::-1], dtype=np.float64)


def extended_indices(length: int, radius: int, mode: str) -> np.ndarray:
    """The source index in [0, `length`) of each position of a line extended by `radius` on each
    side (position p stands for index p - radius), or -1 for the constant, as
    ``scipy.ndimage`` extends a line by `mode` (also when `radius` exceeds `length`)."""
    extended = np.full(length + 2 * radius, -1, dtype=np.int64)
    first, last = radius, radius + length
    extended[first:last] = np.arange(length)
    if mode == "constant" or radius == 0:
        return extended
    if mode == "mirror" and length == 1:
        mode = "nearest"
    if mode == "nearest":
        extended[:first] = 0
        extended[last:] = length - 1
        return extended
    # The two sides are filled outwards from the line, each copy reading positions filled before.
    if mode == "wrap":
        left = [last - 1]
        right = [first]
    elif mode == "reflect":
        left = [first, last - 1]
        right = [last - 1, first]
    else:  # mirror
        left = [first + 1, last - 2]
        right = [last - 2, first + 1]
    _fill_side(extended, first - 1, -1, left, first, last)
    _fill_side(extended, last, +1, right, first, last)
    return extended


def _fill_side(extended, start, step, sources, first, last):
    """Fill `radius` positions from `start` in direction `step`: a reversed copy of the line from
    sources[0] (while it stays inside the line), then, for reflect and mirror, a forward copy
    from sources[1] onwards; wrap has one forward copy."""
    n = first  # the radius
    position = start
    if len(sources) == 1:  # wrap: continue the line periodically
        source = sources[0]
        for _ in range(n):
            extended[position] = extended[source]
            position += step
            source += step
        return
    source = sources[0]
    while n and first <= source < last:
        extended[position] = extended[source]
        position += step
        source -= step
        n -= 1
    source = sources[1]
    while n:
        extended[position] = extended[source]
        position += step
        source += step
        n -= 1
