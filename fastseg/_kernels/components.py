"""Connected components and union-find, for hysteresis that spans the chunks of an image.

Conventions: masks are C-contiguous (H, W) uint8 (nonzero is foreground), labels (H, W) int32 with
0 for the background, union-find parents (n,) int64 with every root its own parent.
"""

from .._config import kernel


@kernel
def label_components(mask, labels, stack):
    """Label the 8-connected components of `mask` 1, 2, ... in raster order of their first pixel.

    Parameters
    ----------
    mask : (H, W) uint8
    labels : (H, W) int32, overwritten: 0 on the background, else the component's label
    stack : (H * W,) int64, scratch (every pixel is pushed at most once)

    Returns
    -------
    n_components : int
    """
    height, width = mask.shape
    for i in range(height):  # loops, not slice assignments (see _kernels)
        for j in range(width):
            labels[i, j] = 0
    n_components = 0
    for i0 in range(height):
        for j0 in range(width):
            if mask[i0, j0] == 0 or labels[i0, j0] != 0:
                continue
            n_components += 1
            labels[i0, j0] = n_components
            stack[0] = i0 * width + j0
            top = 1
            while top > 0:
                top -= 1
                i = stack[top] // width
                j = stack[top] % width
                for ni in range(max(i - 1, 0), min(i + 2, height)):
                    for nj in range(max(j - 1, 0), min(j + 2, width)):
                        if mask[ni, nj] != 0 and labels[ni, nj] == 0:
                            labels[ni, nj] = n_components
                            stack[top] = ni * width + nj
                            top += 1
    return n_components


@kernel
def _root(parent, node):
    """Root of `node`, halving the path on the way up."""
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


@kernel
def union_pairs(parent, first, second):
    """Join the sets of first[p] and second[p] for every p; the smaller root becomes the root.

    Parameters
    ----------
    parent : (n,) int64, updated
    first, second : (m,) int64 nodes in [0, n)
    """
    for p in range(first.shape[0]):
        a = _root(parent, first[p])
        b = _root(parent, second[p])
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b


@kernel
def find_roots(parent, roots):
    """roots[node] = root of each node's set; parent is compressed on the way."""
    for node in range(parent.shape[0]):
        roots[node] = _root(parent, node)
