"""Connected regions of a label image, their sizes and colours, their adjacency, and the merging
of small regions into their nearest neighbour.

The kernels work on the runs of equal labels along the rows (:func:`row_runs`), not on pixels:
labelling, adjacency and renumbering cost one step per run, and a photo's labelling has tens of
pixels per run. Only the runs' extraction, the colour sums and the final image visit pixels.

Conventions: label images are C-contiguous (H, W) integers; regions numbered from 1 in the raster
order of their first pixel (the order of their first runs); union-find parents (n,) int64, every
root its own parent and the smallest number of its set.
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
def count_row_runs(labels, counts, first_row, row_step):
    """counts[y] = the runs of equal labels along row y, for the rows first_row, first_row +
    row_step, ..."""
    height, width = labels.shape
    for y in range(first_row, height, row_step):
        row = labels[y]
        runs = 1
        for x in range(1, width):
            runs += row[x] != row[x - 1]
        counts[y] = runs


@kernel
def row_runs(labels, row_first, starts, values, first_row, row_step):
    """The runs of equal labels along the rows first_row, first_row + row_step, ...: run i of
    row y (row_first[y] <= i < row_first[y + 1]) starts at column starts[i] and ends where the
    next run of the row starts (or at the row's end), with label values[i].

    Parameters
    ----------
    labels : (H, W) integers
    row_first : (H + 1,) int64, the first run of each row (from :func:`count_row_runs`)
    starts, values : (row_first[H],) int64, overwritten
    """
    height, width = labels.shape
    for y in range(first_row, height, row_step):
        row = labels[y]
        n = row_first[y]
        starts[n] = 0
        values[n] = row[0]
        n += 1
        for x in range(1, width):
            if row[x] != row[x - 1]:
                starts[n] = x
                values[n] = row[x]
                n += 1


@kernel
def _run_end(starts, row_stop, i, width):
    """Where run i ends: the start of the next run of its row (row_stop: the row's last run + 1),
    or the row's end."""
    return starts[i + 1] if i + 1 < row_stop else width


@kernel
def _first_touching(starts, q, row_stop, low, width):
    """The first run from q on (in a row ending at run row_stop) that ends after column `low`:
    runs before it touch no run starting at low + 1 or later."""
    while q < row_stop and _run_end(starts, row_stop, q, width) <= low:
        q += 1
    return q


@kernel
def label_runs(starts, values, row_first, width, diagonal, parents, run_regions):
    """Number the connected regions of equal labels 1, 2, ... in the raster order of their first
    pixel, from the runs of :func:`row_runs`; returns their count.

    A run joins the runs of the row above that it touches (by sides, or with `diagonal` also by
    corners) and that have its label; runs side by side in a row have different labels.

    Parameters
    ----------
    width : int, the image's
    diagonal : bool, 8-connected (else 4-connected)
    parents : (n_runs + 1,) int64, scratch
    run_regions : (n_runs,) int64, overwritten with each run's region
    """
    height = row_first.shape[0] - 1
    reach = 1 if diagonal else 0
    provisional = 0
    for y in range(height):
        first, stop = row_first[y], row_first[y + 1]
        above = row_first[y - 1] if y > 0 else first  # no runs above the first row
        for i in range(first, stop):
            low = starts[i] - reach
            high = _run_end(starts, stop, i, width) + reach
            above = _first_touching(starts, above, first, low, width)
            found = 0
            q = above
            while q < first and starts[q] < high:
                if values[q] == values[i]:
                    other = run_regions[q]
                    if found == 0:
                        found = other
                    elif other != found:
                        _join(parents, found, other)
                q += 1
            if found == 0:
                provisional += 1
                parents[provisional] = provisional
                found = provisional
            run_regions[i] = found
    # Roots are the smallest provisional number of their set, that of the run holding its
    # first pixel: numbering the roots in order numbers the regions by their first pixel.
    numbers = np.zeros(provisional + 1, dtype=np.int64)
    n_regions = 0
    for i in range(1, provisional + 1):
        root = _root(parents, i)
        if root == i:
            n_regions += 1
            numbers[i] = n_regions
    for i in range(run_regions.shape[0]):
        run_regions[i] = numbers[_root(parents, run_regions[i])]
    return n_regions


@kernel
def fill_runs(starts, row_first, run_numbers, out, first_row, row_step):
    """out[y, x] = the number of the run covering (y, x), for the rows first_row, first_row +
    row_step, ..."""
    height, width = out.shape
    for y in range(first_row, height, row_step):
        row = out[y]
        stop = row_first[y + 1]
        for i in range(row_first[y], stop):
            number = run_numbers[i]
            for x in range(starts[i], _run_end(starts, stop, i, width)):
                row[x] = number


@kernel
def run_sums(starts, row_first, run_regions, pixels, all_sizes, all_sums, first_row, row_step):
    """sizes[r] += pixels of region r; sums[r] += the sum of their colours, for the image's (H,
    W, C) `pixels`, of the rows first_row, first_row + row_step, ..., into row first_row of
    all_sizes (row_step, n + 1) and all_sums (row_step, n + 1, C). The sums have the dtype
    of `all_sums`: int64 sums of integers are exact in any order and split among threads;
    float64 sums, with one row_step, add each region's pixels in raster order."""
    height, width = pixels.shape[0], pixels.shape[1]
    n_colors = pixels.shape[2]
    sizes = all_sizes[first_row]
    sums = all_sums[first_row]
    for y in range(first_row, height, row_step):
        row = pixels[y]
        stop = row_first[y + 1]
        for i in range(row_first[y], stop):
            r = run_regions[i]
            start, end = starts[i], _run_end(starts, stop, i, width)
            sizes[r] += end - start
            # Three channels per pass over the run, each in a scalar of its own (2.5x faster
            # than one channel per pass); a last group of one or two repeats its last channel
            # in the spare scalars, whose sums are dropped.
            for c in range(0, n_colors, 3):
                c1 = min(c + 1, n_colors - 1)
                c2 = min(c + 2, n_colors - 1)
                total0, total1, total2 = sums[r, c], sums[r, c1], sums[r, c2]
                for x in range(start, end):
                    total0 += row[x, c]
                    total1 += row[x, c1]
                    total2 += row[x, c2]
                sums[r, c] = total0
                if c + 1 < n_colors:
                    sums[r, c1] = total1
                if c + 2 < n_colors:
                    sums[r, c2] = total2


@kernel
def label_color_run_sums(starts, row_first, run_regions, run_labels, label_colors, width,
                         sizes, sums):  # fmt: skip
    """As :func:`run_sums` with each pixel's colour the colour of its label (float64): each run
    adds its length times its label's colour, runs in raster order (one rounding per run
    instead of one per pixel; exact for colours of whole numbers)."""
    height = row_first.shape[0] - 1
    for y in range(height):
        stop = row_first[y + 1]
        for i in range(row_first[y], stop):
            r = run_regions[i]
            length = _run_end(starts, stop, i, width) - starts[i]
            sizes[r] += length
            color = label_colors[run_labels[i]]
            for c in range(color.shape[0]):
                sums[r, c] += length * color[c]


@kernel
def touching_run_pairs(starts, row_first, run_regions, width, diagonal, pairs, write):
    """The pairs (a, b), a < b, of different regions that touch (by sides, or also by corners),
    from the runs, with repeats (a pair found twice in a row is kept once). Returns their
    count, and writes them into pairs (count, 2) when `write`."""
    height = row_first.shape[0] - 1
    reach = 1 if diagonal else 0
    n = 0
    last_a = -1
    last_b = -1
    for y in range(height):
        first, stop = row_first[y], row_first[y + 1]
        below_stop = row_first[y + 2] if y + 1 < height else stop
        below = stop
        for i in range(first, stop):
            a = run_regions[i]
            low = starts[i] - reach
            high = _run_end(starts, stop, i, width) + reach
            below = _first_touching(starts, below, below_stop, low, width)
            # The runs this one touches, in one loop (one copy of the pair's code): the next
            # in its row first, then those of the row below.
            q = below
            neighbour = i + 1 if i + 1 < stop else -1
            while True:
                if neighbour >= 0:
                    b = run_regions[neighbour]
                    neighbour = -1
                elif q < below_stop and starts[q] < high:
                    b = run_regions[q]
                    q += 1
                else:
                    break
                if a == b:
                    continue
                low_region, high_region = min(a, b), max(a, b)
                if low_region == last_a and high_region == last_b:
                    continue
                last_a, last_b = low_region, high_region
                if write:
                    pairs[n, 0] = low_region
                    pairs[n, 1] = high_region
                n += 1
    return n


@kernel
def adjacency_lists(pairs, n_regions, starts, neighbours):
    """The touching `pairs` as lists: the neighbours of region r (in 0..n_regions) are
    neighbours[starts[r]:starts[r + 1]], each once, in increasing order; returns their total.

    Parameters
    ----------
    pairs : (m, 2) int32, pairs (a, b) of touching regions, with repeats
    starts : (n_regions + 2,) int64, overwritten
    neighbours : (2m,) int64, overwritten (its first entries hold the result)
    """
    counts = np.zeros(n_regions + 2, dtype=np.int64)
    for p in range(pairs.shape[0]):
        counts[pairs[p, 0] + 1] += 1
        counts[pairs[p, 1] + 1] += 1
    for r in range(n_regions + 1):
        counts[r + 1] += counts[r]
    slots = counts[: n_regions + 1].copy()
    for p in range(pairs.shape[0]):
        a, b = pairs[p, 0], pairs[p, 1]
        neighbours[slots[a]] = b
        slots[a] += 1
        neighbours[slots[b]] = a
        slots[b] += 1
    # Each list's repeats dropped (`seen`: the last region that listed each), the rest moved
    # down to follow the previous list, and sorted.
    seen = np.full(n_regions + 1, -1, dtype=np.int64)
    total = 0
    for r in range(n_regions + 1):
        starts[r] = total
        for k in range(counts[r], counts[r + 1]):
            other = neighbours[k]
            if seen[other] != r:
                seen[other] = r
                neighbours[total] = other
                total += 1
        neighbours[starts[r] : total].sort()
    starts[n_regions + 1] = total
    return total


@kernel
def merge_small_regions(sizes, sums, means, starts, neighbours, min_size, parents):
    """Merge every region smaller than `min_size` into its adjacent region of nearest mean
    colour: smallest region first (then lowest number), nearest by squared Euclidean distance
    of mean colours (then lowest number); the merged region keeps the neighbour's number, and
    its size and colour sums add up, its mean colour being their quotient. A region with no
    neighbour stays as it is.

    Parameters
    ----------
    sizes : (n + 1,) int64 and sums : (n + 1, C) float64, of regions 1..n; updated
    means : (n + 1, C) float64, the mean colour of regions 1..n (given, so that regions of one
        label's colour have exactly that colour and tie); updated
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
                    t = means[r, c] - means[other, c]
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
            means[best, c] = sums[best, c] / sizes[best]
        following[last[best]] = first[r]
        last[best] = last[r]
        if sizes[best] < min_size:
            heapq.heappush(heap, sizes[best] * (n + 1) + best)
    for r in range(1, n + 1):
        parents[r] = _root(parents, r)


@kernel
def renumber_runs(run_regions, parents, run_numbers):
    """run_numbers[i] = the region run i's region was merged into, numbered 1, 2, ... in the
    raster order of first pixels (the order of the runs); returns the count."""
    numbers = np.zeros(parents.shape[0], dtype=np.int64)
    count = 0
    for i in range(run_regions.shape[0]):
        root = parents[run_regions[i]]
        if numbers[root] == 0:
            count += 1
            numbers[root] = count
        run_numbers[i] = numbers[root]
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
