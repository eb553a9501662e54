"""Plain NumPy references for every kernel: slow, obvious, and the oracle of the kernel tests."""

from __future__ import annotations

import numpy as np

# --- k-means ---


def squared_distances(samples, centers):
    """(n, k) squared Euclidean distances, computed from differences in float64."""
    diff = np.asarray(samples, dtype=np.float64)[:, None, :] - np.asarray(centers)[None, :, :]
    return (diff**2).sum(axis=2)


def assign(samples, centers):
    """Nearest center of each sample (lowest index on ties) and the squared distance to it."""
    distances = squared_distances(samples, centers)
    labels = distances.argmin(axis=1)
    return labels, distances[np.arange(len(labels)), labels]


def weighted_sums(samples, labels, k, weights=None):
    """Per-cluster weighted sums (k, d) and weights (k,)."""
    samples = np.asarray(samples, dtype=np.float64)
    weights = np.ones(len(samples)) if weights is None else np.asarray(weights, dtype=np.float64)
    sums = np.zeros((k, samples.shape[1]))
    totals = np.zeros(k)
    for i, j in enumerate(labels):
        sums[j] += weights[i] * samples[i]
        totals[j] += weights[i]
    return sums, totals


def lloyd(samples, centers, n_iter, weights=None):
    """`n_iter` plain Lloyd updates from `centers` (no empty clusters expected), then labels.

    Returns labels, centers and the weighted compactness of the final assignment.
    """
    weights = np.ones(len(samples)) if weights is None else np.asarray(weights, dtype=np.float64)
    centers = np.array(centers, dtype=np.float64)
    for _ in range(n_iter):
        labels, _ = assign(samples, centers)
        sums, totals = weighted_sums(samples, labels, len(centers), weights)
        assert (totals > 0).all(), "the reference does not handle empty clusters"
        centers = sums / totals[:, None]
    labels, distances = assign(samples, centers)
    return labels, centers, float((weights * distances).sum())


# --- Canny ---

#: Sobel kernels of OpenCV's ``getDerivKernels``: smoothing and first-derivative taps per aperture.
SOBEL_SMOOTHING = {3: (1, 2, 1), 5: (1, 4, 6, 4, 1), 7: (1, 6, 15, 20, 15, 6, 1)}
SOBEL_DERIVATIVE = {3: (-1, 0, 1), 5: (-1, -2, 0, 2, 1), 7: (-1, -4, -5, 0, 5, 4, 1)}
#: tan(22.5°) in Q15 fixed point, rounded: the direction test of OpenCV's non-maximum suppression.
TAN_22_5_Q15 = 13573


def wrap_int32(values: np.ndarray) -> np.ndarray:
    """int64 values wrapped to int32 the way two's-complement overflow wraps them in C."""
    return ((values + 2**31) % 2**32 - 2**31).astype(np.int64)


def sobel_whole(values: np.ndarray, aperture_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sobel derivatives (H, W, C) of (H, W) or (H, W, C) int64 or float64 `values`, with
    replicated borders, unscaled, in the type of `values`."""
    if values.ndim == 2:
        values = values[:, :, None]
    height, width = values.shape[:2]
    radius = aperture_size // 2
    padded = np.pad(values, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    smoothing = SOBEL_SMOOTHING[aperture_size]
    derivative = SOBEL_DERIVATIVE[aperture_size]
    dx = np.zeros(values.shape, dtype=values.dtype)
    dy = np.zeros(values.shape, dtype=values.dtype)
    for a in range(aperture_size):
        for b in range(aperture_size):
            window = padded[a : a + height, b : b + width]
            dx += smoothing[a] * derivative[b] * window
            dy += derivative[a] * smoothing[b] * window
    return dx, dy


def sobel(image: np.ndarray, aperture_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sobel derivatives as ``cv2.Sobel(image, CV_16S, ..., borderType=BORDER_REPLICATE)``.

    `image` is (H, W) or (H, W, C) uint8; dx and dy are int16 of shape (H, W, C). Aperture 7 is
    scaled by 1/16 and rounded half to even, as Canny asks of OpenCV's Sobel.
    """
    dx, dy = sobel_whole(image.astype(np.int64), aperture_size)
    if aperture_size == 7:
        dx = np.round(dx / 16.0).astype(np.int64)  # exact halves, rounded to even as cvRound does
        dy = np.round(dy / 16.0).astype(np.int64)
    return np.clip(dx, -32768, 32767).astype(np.int16), np.clip(dy, -32768, 32767).astype(np.int16)


def canny_thresholds(threshold1, threshold2, aperture_size, l2_gradient):
    """Integer magnitude thresholds (low, high) compared with ``>`` by OpenCV's Canny."""
    low, high = float(threshold1), float(threshold2)
    if aperture_size == 7:
        low, high = low / 16.0, high / 16.0
    low, high = min(low, high), max(low, high)
    if l2_gradient:
        low, high = min(32767.0, low), min(32767.0, high)
        low, high = low * low, high * high
    return int(np.floor(low)), int(np.floor(high))


def canny_from_gradients(dx, dy, low, high, l2_gradient, wrap=True):
    """Canny edges (H, W) uint8 of 0/255 from gradients (H, W, C) and thresholds.

    int16 gradients (OpenCV's): int32 magnitudes and sector bound, wrapping as in C. With
    ``wrap=False``, int64 or float64 gradients as they are (fastseg's other depths).
    """
    if dx.dtype.kind != "f":
        dx = dx.astype(np.int64)
        dy = dy.astype(np.int64)
    if dx.ndim == 2:
        dx, dy = dx[:, :, None], dy[:, :, None]
    magnitude = dx * dx + dy * dy if l2_gradient else np.abs(dx) + np.abs(dy)
    if l2_gradient and wrap:
        magnitude = wrap_int32(magnitude)
    # Several channels: per pixel the first channel with the largest magnitude.
    best = np.argmax(magnitude, axis=2)[:, :, None]
    magnitude = np.take_along_axis(magnitude, best, 2)[:, :, 0]
    dx = np.take_along_axis(dx, best, 2)[:, :, 0]
    dy = np.take_along_axis(dy, best, 2)[:, :, 0]
    height, width = magnitude.shape

    # Magnitude with a frame of zeros, so that neighbours outside the image never win.
    framed = np.zeros((height + 2, width + 2), dtype=magnitude.dtype)
    framed[1:-1, 1:-1] = magnitude

    def neighbour(di, dj):
        return framed[1 + di : 1 + di + height, 1 + dj : 1 + dj + width]

    x = np.abs(dx)
    y = np.abs(dy) * 32768
    tg22x = x * TAN_22_5_Q15
    tg67x = tg22x + x * 65536
    if wrap:
        tg67x = wrap_int32(tg67x)
    horizontal = y < tg22x
    vertical = ~horizontal & (y > tg67x)
    diagonal = ~horizontal & ~vertical
    same_sign = (dx < 0) == (dy < 0)
    maximum = np.zeros((height, width), dtype=bool)
    maximum |= horizontal & (magnitude > neighbour(0, -1)) & (magnitude >= neighbour(0, 1))
    maximum |= vertical & (magnitude > neighbour(-1, 0)) & (magnitude >= neighbour(1, 0))
    # Diagonal: same signs compare up-left with down-right, else up-right with down-left.
    up_left = (magnitude > neighbour(-1, -1)) & (magnitude > neighbour(1, 1))
    up_right = (magnitude > neighbour(-1, 1)) & (magnitude > neighbour(1, -1))
    maximum |= diagonal & np.where(same_sign, up_left, up_right)
    candidate = maximum & (magnitude > low)
    strong = candidate & (magnitude > high)
    return hysteresis(candidate, strong).astype(np.uint8) * 255


def hysteresis(candidate: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """The candidates 8-connected to a strong pixel through candidates (strong ones included)."""
    height, width = candidate.shape
    # Breadth-first search from strong pixels through 8-connected candidates.
    edges = strong.copy()
    queue = list(zip(*np.nonzero(strong), strict=True))
    head = 0
    while head < len(queue):
        i, j = queue[head]
        head += 1
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                ni, nj = i + di, j + dj
                if 0 <= ni < height and 0 <= nj < width and candidate[ni, nj] and not edges[ni, nj]:
                    edges[ni, nj] = True
                    queue.append((ni, nj))
    return edges


#: numpy.pad's names of scipy.ndimage's border modes.
NUMPY_PAD_MODES = {
    "constant": "constant", "nearest": "edge", "reflect": "symmetric", "mirror": "reflect",
    "wrap": "wrap",
}  # fmt: skip


def smooth_canny(image, sigma, low, high, mode="constant", cval=0.0):
    """Reference of ``skimage.feature.canny`` for a 2-D image without a mask, with thresholds
    as fractions of the range, when the Gaussian's radius is below the image's sides.

    Each 1-D filter works in float64 on a padded copy and stores in the working float type
    (float32 for float32 images, else float64).
    """
    float_type = np.float32 if image.dtype == np.float32 else np.float64
    if image.dtype.kind in "ui":
        values = image.astype(np.float64) * (1.0 / np.iinfo(image.dtype).max)
        if image.dtype.kind == "i":
            values = np.maximum(values, -1.0)
    else:
        values = image.astype(float_type)

    def correlate(x, weights, axis, pad_mode, constant=0.0):
        # weights[k] multiplies the values at offsets -k and +k, summed from k = r down to 1.
        r = len(weights) - 1
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        kwargs = {"constant_values": constant} if pad_mode == "constant" else {}
        padded = np.pad(x.astype(np.float64), pad, mode=NUMPY_PAD_MODES[pad_mode], **kwargs)
        n = x.shape[axis]

        def shifted(offset):
            return np.take(padded, np.arange(r + offset, r + offset + n), axis=axis)

        out = shifted(0) * weights[0]
        for k in range(r, 0, -1):
            out += (shifted(-k) + shifted(k)) * weights[k]
        return out.astype(float_type)

    def derivative(x, axis):  # scipy's [-1, 0, 1], reflected borders
        pad = [(0, 0), (0, 0)]
        pad[axis] = (1, 1)
        padded = np.pad(x.astype(np.float64), pad, mode="symmetric")
        n = x.shape[axis]
        after = np.take(padded, np.arange(2, n + 2), axis=axis)
        before = np.take(padded, np.arange(0, n), axis=axis)
        return (after - before).astype(float_type)

    if sigma > 1e-15:
        radius = int(4.0 * sigma + 0.5)
        offsets = np.arange(-radius, radius + 1)
        density = np.exp(-0.5 / (sigma * sigma) * offsets**2)
        weights = (density / density.sum())[radius:]
    else:
        weights = np.ones(1)
    smoothed = correlate(correlate(values, weights, 0, mode, cval), weights, 1, mode, cval)
    if mode == "constant":
        ones = np.ones(image.shape, dtype=float_type)
        bleed = correlate(correlate(ones, weights, 0, mode, cval), weights, 1, mode, cval)
        smoothed = smoothed / (bleed + np.finfo(float_type).eps)
    jsobel = correlate(derivative(smoothed, 1), np.array([2.0, 1.0]), 0, "reflect")
    isobel = correlate(derivative(smoothed, 0), np.array([2.0, 1.0]), 1, "reflect")
    magnitude = np.sqrt(isobel * isobel + jsobel * jsobel)

    # Interpolating suppression (scikit-image's four cases), inside the border.
    height, width = image.shape
    interior = np.zeros((height, width), dtype=bool)
    interior[1:-1, 1:-1] = True
    framed = np.zeros((height + 2, width + 2), dtype=float_type)
    framed[1:-1, 1:-1] = magnitude

    def at(di, dj):
        return framed[1 + di : 1 + di + height, 1 + dj : 1 + dj + width]

    abs_i, abs_j = np.abs(isobel), np.abs(jsobel)
    same_sign = (isobel <= 0) == (jsobel <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cases = [
            (same_sign & (abs_i > abs_j), abs_j / abs_i, (1, 0), (1, 1), (-1, 0), (-1, -1)),
            (same_sign & ~(abs_i > abs_j), abs_i / abs_j, (0, 1), (1, 1), (0, -1), (-1, -1)),
            (~same_sign & (abs_i < abs_j), abs_i / abs_j, (0, 1), (-1, 1), (0, -1), (1, -1)),
            (~same_sign & ~(abs_i < abs_j), abs_j / abs_i, (-1, 0), (-1, 1), (1, 0), (1, -1)),
        ]
        low32 = np.float32(low) if np.float32(low) != 0 else np.float32(1e-14)
        peak = np.zeros((height, width), dtype=bool)
        for where, w, n11, n12, n21, n22 in cases:
            w = w.astype(float_type)
            # The neighbour times the weight in the float type, the rest in float64.
            plus = (at(*n12) * w).astype(np.float64) + at(*n11) * (1.0 - w.astype(np.float64))
            minus = (at(*n22) * w).astype(np.float64) + at(*n21) * (1.0 - w.astype(np.float64))
            peak |= where & (plus <= magnitude) & (minus <= magnitude)
    candidate = peak & interior & (magnitude >= low32)
    strong = candidate & (magnitude >= high)
    return hysteresis(candidate, strong)


def canny(image, threshold1, threshold2, aperture_size=3, l2_gradient=False):
    """Reference of ``cv2.Canny`` for a (H, W) or (H, W, C) uint8 image, and of
    :func:`fastseg.canny` for uint16 and float ones: the same rules, with derivatives kept whole
    (int64, or float64) and magnitudes compared with the thresholds (squared for L2; floored for
    integer images) without the int32 limits."""
    if image.dtype == np.uint8:
        dx, dy = sobel(image, aperture_size)
        low, high = canny_thresholds(threshold1, threshold2, aperture_size, l2_gradient)
        return canny_from_gradients(dx, dy, low, high, l2_gradient)
    whole = image.dtype.kind != "f"
    dx, dy = sobel_whole(image.astype(np.int64 if whole else np.float64), aperture_size)
    low, high = sorted((float(threshold1), float(threshold2)))
    if l2_gradient:
        low, high = low * low, high * high
    if whole:
        low, high = np.floor(low), np.floor(high)
    return canny_from_gradients(dx, dy, low, high, l2_gradient, wrap=False)


# --- silhouette and knee ---


def silhouette_score(samples, labels):
    """Mean silhouette coefficient from the full (n, n) Euclidean distance matrix."""
    points = np.asarray(samples, dtype=np.float64)
    labels = np.asarray(labels)
    distances = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    clusters = np.unique(labels)
    coefficients = np.zeros(len(points))
    for i in range(len(points)):
        own = labels == labels[i]
        if own.sum() == 1:
            continue  # a singleton's coefficient is 0
        a = distances[i, own].sum() / (own.sum() - 1)
        b = min(distances[i, labels == c].mean() for c in clusters if c != labels[i])
        if max(a, b) > 0:
            coefficients[i] = (b - a) / max(a, b)
    return coefficients.mean()


def knee_point(ks, wcss):
    """Kneedle knee of a decreasing curve: largest (1 - y_n) - x_n, first on ties, ks[0] if flat."""
    ks = [int(k) for k in ks]
    wcss = [float(w) for w in wcss]
    low, high = min(wcss), max(wcss)
    if high == low:
        return ks[0]
    best, best_difference = ks[0], -np.inf
    for k, w in zip(ks, wcss, strict=True):
        difference = (1.0 - (w - low) / (high - low)) - (k - ks[0]) / (ks[-1] - ks[0])
        if difference > best_difference:
            best, best_difference = k, difference
    return best


def scaled_to_unit(values):
    """`values` (float64) times the power of two that puts their largest magnitude in [0.5, 1).

    An exact change of scale (as long as the results stay normal floats): the silhouette and the
    knee do not depend on it, and nothing scaled this way overflows when squared or subtracted.
    The factor is at most 2^1023, so that it is a finite float itself.
    """
    values = np.asarray(values, dtype=np.float64)
    largest = np.abs(values).max()
    if largest == 0:
        return values
    _, exponent = np.frexp(largest)
    return values * np.ldexp(1.0, min(-int(exponent), 1023))


def silhouette_of_scaled(samples, labels):
    """:func:`silhouette_score` of the samples brought near 1 by :func:`scaled_to_unit`."""
    return silhouette_score(scaled_to_unit(samples), labels)


def knee_point_of_scaled(ks, wcss):
    """:func:`knee_point` of the curve brought near 1 by :func:`scaled_to_unit`."""
    return knee_point(ks, scaled_to_unit(wcss))


def silhouette_coefficients(cluster_sums, codes, cluster_weights):
    """Each sample's silhouette coefficient from its (n, k) weighted sums of distances to each
    cluster: a over its own cluster's other weight, b the least mean over the others."""
    rows = np.arange(len(codes))
    own_weights = cluster_weights[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = cluster_sums[rows, codes] / (own_weights - 1.0)
        ratios = cluster_sums / cluster_weights
        ratios[rows, codes] = np.inf
        b = ratios.min(axis=1)
        largest = np.maximum(a, b)
        return np.where((own_weights > 1.0) & (largest > 0.0), (b - a) / largest, 0.0)


def weighted_silhouette_score(samples, weights, labels):
    """Silhouette of the samples repeated by their integer weights (a weight w is w copies)."""
    counts = np.asarray(weights).astype(np.int64)
    return silhouette_score(np.repeat(samples, counts, axis=0), np.repeat(labels, counts))


def draw_by_share(shares, u):
    """The row drawn by u in [0, 1): the first whose cumulative share exceeds u times the total
    (the last row with a share if rounding puts the target beyond them all)."""
    cumulative = np.cumsum(shares)
    index = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return index if index < len(shares) else int(np.flatnonzero(shares > 0)[-1])


def greedy_kmeans_pp(rows, weights, k, rng):
    """Indices of the rows that greedy k-means++ picks, with fastseg's draws from `rng`: one
    for the first center, then 2 + log(k) candidates per center, the best of which (lowest
    weighted sum of squared distances to the nearest center, first on ties) is kept."""
    n_trials = 2 + int(np.log(k))
    draws = rng.random(1 + (k - 1) * n_trials)
    chosen = [draw_by_share(weights, draws[0])]
    closest = squared_distances(rows, rows[chosen])[:, 0]
    for step in range(1, k):
        shares = weights * closest
        if shares.sum() <= 0:
            shares = weights
        offset = 1 + (step - 1) * n_trials
        candidates = [draw_by_share(shares, u) for u in draws[offset : offset + n_trials]]
        distances = np.minimum(closest[:, None], squared_distances(rows, rows[candidates]))
        best = int(np.argmin(weights @ distances))
        chosen.append(candidates[best])
        closest = distances[:, best]
    return np.array(chosen)


def exact_squared_distances(samples, centers):
    """(n, k) squared distances as exact fractions (no overflow, no rounding)."""
    from fractions import Fraction

    rows = [[Fraction(float(v)) for v in row] for row in np.asarray(samples)]
    points = [[Fraction(float(v)) for v in row] for row in np.asarray(centers)]
    return [
        [sum((a - b) ** 2 for a, b in zip(row, c, strict=True)) for c in points] for row in rows
    ]


def in_parts(kernel, *arguments, step: int = 3) -> None:
    """Run ``kernel(*arguments, first, step)`` for first = 0 .. step - 1, one after the other:
    the calls that fastseg._config.run_in_threads makes from threads, so that a kernel test
    also checks that the parts cover the work exactly once."""
    for first in range(step):
        kernel(*arguments, first, step)


def slic_iterations(
    image, mask, segments, step, n_iter, spacing, slic_zero, start_label, ignore_color=False
):  # fmt: skip
    """Reference of scikit-image's SLIC loop (``_slic_cython``): centres one by one in index
    order, each labelling the pixels of its window it is strictly closer to; then the sums of
    each centre in raster order (``np.add.at`` adds in index order). All arithmetic in the
    dtype of `image` (D, H, W, C); `segments` (K, 3 + C) is updated in place. Returns labels."""
    from skimage.util import regular_grid

    dtype = image.dtype.type
    shape = image.shape[:3]
    n_centres = len(segments)
    grid = regular_grid(shape, n_centres)
    steps = [int(s.step if s.step is not None else 1) for s in grid]
    labels = np.full(shape, start_label - 1, dtype=np.intp)
    weight = dtype(1.0 / float(np.float32(step) * np.float32(step)))
    largest_color = np.ones(n_centres, dtype=dtype)
    inside = np.ones(shape, dtype=bool) if mask is None else mask.astype(bool)
    axes = [np.arange(n, dtype=dtype) for n in shape]
    for _ in range(n_iter):
        distance = np.full(shape, np.inf, dtype=dtype)
        changed = False
        for k in range(n_centres):
            centre = segments[k]
            if np.isnan(centre[:3]).any():
                continue
            window = []
            for axis, n in enumerate(shape):
                two_steps = dtype(2 * steps[axis])
                low = max(centre[axis] - two_steps, dtype(0))
                high = min((centre[axis] + two_steps) + dtype(1), dtype(n))
                window.append(slice(int(low), int(high)))
            window = tuple(window)
            dz, dy, dx = ((spacing[a] * (centre[a] - axes[a][window[a]])) ** 2 for a in range(3))
            d = ((dz[:, None, None] + dy[None, :, None]) + dx[None, None, :]) * weight
            if not ignore_color:
                pixels = image[window]
                color = (pixels[..., 0] - centre[3]) ** 2
                for c in range(1, image.shape[3]):
                    color = color + (pixels[..., c] - centre[3 + c]) ** 2
                if slic_zero:
                    color = color / largest_color[k]
                d = d + color
            closer = (distance[window] > d) & inside[window]
            labels[window][closer] = k + start_label
            distance[window][closer] = d[closer]
            changed = changed or bool(closer.any())
        if not changed:
            break
        labelled = inside & (labels >= start_label)
        index = labels[labelled] - start_label
        counts = np.bincount(index, minlength=n_centres)
        sums = np.zeros_like(segments)
        for axis, positions in enumerate(np.nonzero(labelled)):
            np.add.at(sums[:, axis], index, axes[axis][positions])
        colors = image[labelled]
        for c in range(image.shape[3]):
            np.add.at(sums[:, 3 + c], index, colors[:, c])
        with np.errstate(divide="ignore", invalid="ignore"):
            segments[:] = sums / counts.astype(dtype)[:, None]
        if slic_zero:
            distances = ((colors - segments[index, 3:]) ** 2)[:, 0]
            for c in range(1, image.shape[3]):
                distances = distances + (colors[:, c] - segments[index, 3 + c]) ** 2
            np.maximum.at(largest_color, index, distances)
    return labels


def enforce_connectivity(labels, min_size, max_size, start_label):
    """Reference of scikit-image's connectivity pass: each 6-connected piece of a label, searched
    breadth first from its first pixel in raster order and cut at `max_size` pixels, gets the
    next label, unless smaller than `min_size`: then it takes the last neighbouring new label
    its search met."""
    outside = start_label - 1
    connected = np.full(labels.shape, outside, dtype=np.intp)
    depth, height, width = labels.shape
    steps = ((0, 0, 1), (0, 0, -1), (0, 1, 0), (0, -1, 0), (1, 0, 0), (-1, 0, 0))
    new_label = start_label
    for start in np.ndindex(labels.shape):
        label = labels[start]
        if label == outside or connected[start] > outside:
            continue
        adjacent = new_label
        connected[start] = new_label
        found = [start]
        visited = 0
        while visited < len(found) < max_size:
            z, y, x = found[visited]
            for dz, dy, dx in steps:
                at = (z + dz, y + dy, x + dx)
                if not (0 <= at[0] < depth and 0 <= at[1] < height and 0 <= at[2] < width):
                    continue
                if labels[at] == label and connected[at] == outside:
                    connected[at] = new_label
                    found.append(at)
                    if len(found) >= max_size:
                        break
                elif connected[at] > outside and connected[at] != new_label:
                    adjacent = connected[at]
            visited += 1
        if len(found) < min_size:
            for at in found:
                connected[at] = adjacent
        else:
            new_label += 1
    return connected


def merge_small_regions(regions, colors, min_size, diagonal=False):
    """Reference of the merging of :func:`fastseg.connected_regions`: while some region with a
    neighbour has fewer than `min_size` pixels, the smallest (then lowest numbered) takes the
    number of its touching region of nearest mean colour (then lowest numbered). Regions are
    renumbered 1, 2, ... by first pixel at the end. `colors` (H, W, C) of integers (exact sums)."""
    regions = regions.astype(np.int64).copy()
    colors = colors.reshape((*regions.shape, -1)).astype(np.float64)
    while True:
        numbers, sizes = np.unique(regions, return_counts=True)
        candidates = []
        for number, size in zip(numbers, sizes, strict=True):
            if size >= min_size:
                continue
            inside = regions == number
            grown = inside.copy()
            grown[1:] |= inside[:-1]
            grown[:-1] |= inside[1:]
            grown[:, 1:] |= inside[:, :-1]
            grown[:, :-1] |= inside[:, 1:]
            if diagonal:
                grown[1:, 1:] |= inside[:-1, :-1]
                grown[1:, :-1] |= inside[:-1, 1:]
                grown[:-1, 1:] |= inside[1:, :-1]
                grown[:-1, :-1] |= inside[1:, 1:]
            neighbours = sorted(set(regions[grown & ~inside].tolist()))
            if neighbours:
                candidates.append((size, number, neighbours))
        if not candidates:
            break
        size, number, neighbours = min(candidates, key=lambda c: (c[0], c[1]))
        mean = colors[regions == number].sum(axis=0) / size
        distances = []
        for other in neighbours:
            t = mean - colors[regions == other].sum(axis=0) / (regions == other).sum()
            total = 0.0
            for value in t:
                total += value * value
            distances.append((total, other))
        target = min(distances)[1]
        regions[regions == number] = target
    _, first = np.unique(regions.ravel(), return_index=True)
    order = np.argsort(first)
    renumbered = np.zeros_like(regions)
    for new, index in enumerate(order, start=1):
        renumbered[regions == regions.ravel()[first[index]]] = new
    return renumbered


def merge_hierarchy(labels, colors, n_target, threshold, ward, diagonal=False):
    """Reference of :func:`fastseg.merge_regions`: while more than `n_target` regions are left,
    the touching pair (a, b), a < b, of lowest (cost, a, b) merges into a, unless its cost
    exceeds `threshold`. `colors` (H, W, C) of integers (exact sums)."""
    labels = labels.astype(np.int64)
    colors = colors.reshape((*labels.shape, -1)).astype(np.float64)
    sizes = {int(r): int((labels == r).sum()) for r in np.unique(labels)}
    sums = {r: colors[labels == r].sum(axis=0) for r in sizes}
    touching = set()
    shifts = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if diagonal else [])
    height, width = labels.shape
    for dy, dx in shifts:
        for y in range(height - dy):
            for x in range(max(0, -dx), width - max(0, dx)):
                a, b = int(labels[y, x]), int(labels[y + dy, x + dx])
                if a != b:
                    touching.add((min(a, b), max(a, b)))
    owner = {r: r for r in sizes}

    def cost(a, b):
        t = sums[a] / sizes[a] - sums[b] / sizes[b]
        squared = 0.0
        for value in t:
            squared += value * value
        if ward:
            return sizes[a] * sizes[b] / (sizes[a] + sizes[b]) * squared
        return float(np.sqrt(squared))

    while len(sizes) > n_target and touching:
        best = min((cost(a, b), a, b) for a, b in touching)
        if best[0] > threshold:
            break
        _, a, b = best
        sizes[a] += sizes.pop(b)
        sums[a] = sums[a] + sums.pop(b)
        for r, o in owner.items():
            if o == b:
                owner[r] = a
        renamed = ((a if p == b else p, a if q == b else q) for p, q in touching)
        touching = {(min(p, q), max(p, q)) for p, q in renamed if p != q}
    merged = np.vectorize(owner.get)(labels)
    _, first = np.unique(merged.ravel(), return_index=True)
    renumbered = np.zeros_like(merged)
    for new, index in enumerate(np.sort(first), start=1):
        renumbered[merged == merged.ravel()[index]] = new
    return renumbered
