"""Connected regions of a label image, their sizes and colours, their adjacency, and the merging
of small regions into their nearest neighbour.

Conventions: label images are C-contiguous (H, W) integers; regions (H, W) int32 numbered from 1
in the raster order of their first pixel; union-find parents (n,) int64, every root its own
parent and the smallest number of its set.
"""

import heapq

import numpy as np

from .._config import kernel
from .components import _root


@kernel
def _join(parents, a, b):
    """Unite the sets of a and b under the smaller root."""
    a = _root(parents, a)
    b = _root(parents, b)
    if a < b:
        parents[b] = a
    elif b < a:
        parents[a] = b


@kernel
def count_runs(labels):
    """The runs of equal labels along the rows: a bound on the provisional numbers of
    :func:`label_regions` (a pixel gets a new one only where a run starts)."""
    height, width = labels.shape
    runs = 0
    for y in range(height):
        row = labels[y]
        runs += 1
        for x in range(1, width):
            if row[x] != row[x - 1]:
                runs += 1
    return runs


@kernel
def label_regions(labels, diagonal, regions, parents):
    """Number the connected regions of equal labels 1, 2, ... in the raster order of their first
    pixel; returns their count.

    Parameters
    ----------
    labels : (H, W) integers
    diagonal : bool, 8-connected (else 4-connected)
    regions : (H, W) int32, overwritten
    parents : (count_runs(labels) + 1,) int64, scratch
    """
    height, width = labels.shape
    provisional = 0
    for y in range(height):
        row = labels[y]
        out = regions[y]
        above = labels[y - 1] if y > 0 else row
        out_above = regions[y - 1] if y > 0 else out
        for x in range(width):
            value = row[x]
            found = 0
            if x > 0 and row[x - 1] == value:
                found = out[x - 1]
            if y > 0:
                if above[x] == value:
                    if found == 0:
                        found = out_above[x]
                    elif out_above[x] != found:
                        _join(parents, found, out_above[x])
                if diagonal:
                    for dx in (-1, 1):
                        if 0 <= x + dx < width and above[x + dx] == value:
                            other = out_above[x + dx]
                            if found == 0:
                                found = other
                            elif other != found:
                                _join(parents, found, other)
            if found == 0:
                provisional += 1
                parents[provisional] = provisional
                found = provisional
            out[x] = found
    # Roots are the smallest provisional number of their set (that of its first pixel), so
    # numbering the roots in order numbers the regions by their first pixel.
    for i in range(1, provisional + 1):
        parents[i] = _root(parents, i)
    numbers = np.zeros(provisional + 1, dtype=np.int64)
    n_regions = 0
    for i in range(1, provisional + 1):
        if parents[i] == i:
            n_regions += 1
            numbers[i] = n_regions
    for y in range(height):
        out = regions[y]
        for x in range(width):
            out[x] = numbers[parents[out[x]]]
    return n_regions


@kernel
def region_sums(regions, colors, sizes, sums):
    """sizes[r] = pixels of region r; sums[r] = the sum of their colours (float64), for the
    image's (H, W, C) `colors`: each run of one region along a row is summed in registers (the
    same additions, in the same order)."""
    height, width = regions.shape
    n_colors = colors.shape[2]
    for y in range(height):
        row = regions[y]
        pixels = colors[y]
        x = 0
        while x < width:
            r = row[x]
            end = x + 1
            while end < width and row[end] == r:
                end += 1
            sizes[r] += end - x
            region = sums[r]
            for c in range(n_colors):
                total = region[c]
                for t in range(x, end):
                    total += pixels[t, c]
                region[c] = total
            x = end


@kernel
def label_color_sums(regions, labels, label_colors, sizes, sums):
    """As :func:`region_sums` with each pixel's colour the colour of its label."""
    height, width = regions.shape
    for y in range(height):
        for x in range(width):
            r = regions[y, x]
            sizes[r] += 1
            color = label_colors[labels[y, x]]
            for c in range(color.shape[0]):
                sums[r, c] += color[c]


@kernel
def touching_pairs(regions, diagonal, pairs, write):
    """The pairs (a, b), a < b, of different regions that touch (4- or 8-connected), with
    repeats; returns their count, and writes them into pairs (count, 2) when `write`."""
    height, width = regions.shape
    n = 0
    for y in range(height):
        for x in range(width):
            a = regions[y, x]
            for step in range(4):
                if step == 0:
                    if x + 1 >= width:
                        continue
                    b = regions[y, x + 1]
                elif step == 1:
                    if y + 1 >= height:
                        continue
                    b = regions[y + 1, x]
                elif not diagonal or y + 1 >= height:
                    continue
                elif step == 2:
                    if x + 1 >= width:
                        continue
                    b = regions[y + 1, x + 1]
                else:
                    if x == 0:
                        continue
                    b = regions[y + 1, x - 1]
                if a != b:
                    if write:
                        pairs[n, 0] = min(a, b)
                        pairs[n, 1] = max(a, b)
                    n += 1
    return n


@kernel
def merge_small_regions(sizes, sums, starts, neighbours, min_size, parents):
    """Merge every region smaller than `min_size` into its adjacent region of nearest mean
    colour: smallest region first (then lowest number), nearest by squared Euclidean distance
    of mean colours (then lowest number); the merged region keeps the neighbour's number, and
    its size and colour sums add up. A region with no neighbour stays as it is.

    Parameters
    ----------
    sizes : (n + 1,) int64 and sums : (n + 1, C) float64, of regions 1..n; updated
    starts, neighbours : CSR adjacency of regions 1..n (neighbours of r at
        neighbours[starts[r]:starts[r + 1]])
    parents : (n + 1,) int64, each region's own number on entry; on return the region each
        was merged into (itself if none)
    """
    n = sizes.shape[0] - 1
    # The regions of each set: a list from first[root] through following[] to last[root].
    first = np.empty(n + 1, dtype=np.int64)
    following = np.empty(n + 1, dtype=np.int64)
    last = np.empty(n + 1, dtype=np.int64)
    for r in range(n + 1):
        first[r] = r
        last[r] = r
        following[r] = -1
    heap = [np.int64(0)]
    heap.pop()
    for r in range(1, n + 1):
        if sizes[r] < min_size:
            heap.append(sizes[r] * (n + 1) + r)
    heapq.heapify(heap)
    n_colors = sums.shape[1]
    while len(heap) > 0:
        key = heapq.heappop(heap)
        r = key % (n + 1)
        if parents[r] != r or sizes[r] != key // (n + 1) or sizes[r] >= min_size:
            continue  # merged, or grown since it was pushed
        best = -1
        best_distance = np.inf
        member = first[r]
        while member != -1:
            for i in range(starts[member], starts[member + 1]):
                other = _root(parents, neighbours[i])
                if other == r:
                    continue
                distance = 0.0
                for c in range(n_colors):
                    t = sums[r, c] / sizes[r] - sums[other, c] / sizes[other]
                    distance += t * t
                if distance < best_distance or (distance == best_distance and other < best):
                    best = other
                    best_distance = distance
            member = following[member]
        if best == -1:
            continue
        parents[r] = best
        sizes[best] += sizes[r]
        for c in range(n_colors):
            sums[best, c] += sums[r, c]
        following[last[best]] = first[r]
        last[best] = last[r]
        if sizes[best] < min_size:
            heapq.heappush(heap, sizes[best] * (n + 1) + best)
    for r in range(1, n + 1):
        parents[r] = _root(parents, r)


@kernel
def renumber(regions, parents, numbers, out):
    """out = the region each pixel's region was merged into, numbered 1, 2, ... in the raster
    order of first pixels; returns the count. numbers : (n + 1,) int64, 0 on entry."""
    height, width = regions.shape
    count = 0
    for y in range(height):
        for x in range(width):
            root = parents[regions[y, x]]
            if numbers[root] == 0:
                count += 1
                numbers[root] = count
            out[y, x] = numbers[root]
    return count


@kernel
def _merge_cost(sizes, sums, a, b, ward):
    """Ward's cost of merging a and b (the growth of the sum of squared deviations from the
    mean colours, ``n_a n_b / (n_a + n_b) |m_a - m_b|^2``), or the distance of their means."""
    squared = 0.0
    for c in range(sums.shape[1]):
        t = sums[a, c] / sizes[a] - sums[b, c] / sizes[b]
        squared += t * t
    if ward:
        return sizes[a] * sizes[b] / (sizes[a] + sizes[b]) * squared
    return np.sqrt(squared)


@kernel
def merge_hierarchy(sizes, sums, starts, neighbours, ward, n_target, threshold, parents):
    """Merge touching regions, cheapest pair first (:func:`_merge_cost`; then the lowest pair of
    numbers), into the lower number, until `n_target` regions are left or the cheapest costs
    more than `threshold`. Returns the number of merges.

    Parameters
    ----------
    sizes : (n + 1,) int64 (0: no such region) and sums : (n + 1, C) float64; updated
    starts, neighbours : CSR adjacency of regions 0..n
    parents : (n + 1,) int64, each region's own number on entry; on return the region each
        was merged into
    """
    n = sizes.shape[0] - 1
    alive = 0
    for r in range(n + 1):
        if sizes[r] > 0:
            alive += 1
    versions = np.zeros(n + 1, dtype=np.int64)
    lists = [neighbours[starts[r] : starts[r + 1]].copy() for r in range(n + 1)]
    heap = [(0.0, np.int64(0), np.int64(0), np.int64(0), np.int64(0))]
    heap.pop()
    for a in range(n + 1):
        for b in lists[a]:
            if a < b:
                heap.append((_merge_cost(sizes, sums, a, b, ward), np.int64(a), b, 0, 0))
    heapq.heapify(heap)
    seen = np.full(n + 1, -1, dtype=np.int64)
    merges = 0
    while len(heap) > 0 and alive > n_target:
        cost, a, b, version_a, version_b = heapq.heappop(heap)
        if versions[a] != version_a or versions[b] != version_b:
            continue  # a or b merged since
        if parents[a] != a or parents[b] != b:
            continue
        if cost > threshold:
            break
        parents[b] = a
        sizes[a] += sizes[b]
        for c in range(sums.shape[1]):
            sums[a, c] += sums[b, c]
        versions[a] += 1
        versions[b] += 1
        alive -= 1
        merges += 1
        # The merged region's neighbours: those of a and b, as they are now, once each.
        joined = np.empty(lists[a].shape[0] + lists[b].shape[0], dtype=np.int64)
        count = 0
        for part in (lists[a], lists[b]):
            for other in part:
                other = _root(parents, other)
                if other != a and seen[other] != merges:
                    seen[other] = merges
                    joined[count] = other
                    count += 1
        lists[a] = joined[:count].copy()
        lists[b] = joined[:0].copy()
        for other in lists[a]:
            low = min(a, other)
            high = max(a, other)
            heapq.heappush(
                heap, (_merge_cost(sizes, sums, low, high, ward), low, high, versions[low],
                       versions[high])
            )  # fmt: skip
    for r in range(n + 1):
        parents[r] = _root(parents, r)
    return merges
