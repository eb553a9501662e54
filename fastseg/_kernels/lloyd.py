"""Lloyd iteration kernels: nearest-center assignment fused with weighted partial sums.

Conventions shared by every kernel here:

* ``samples`` is (n, d) in uint8, uint16, float32 or float64, any memory layout; it is read as it
  is and converted to float64 one tile at a time.
* ``weights`` is (n,) float64, or empty (shape (0,)) for unit weights.
* ``labels`` is (n,) of any integer dtype wide enough for k; it is overwritten.
* Ties go to the lowest center index, as ``numpy.argmin`` does.
"""

import numpy as np

from .._config import CHUNK_SIZE, kernel, variants
from .seeding import squared_distances_to

#: Samples per tile: small enough for the tile's float copy to stay in L1, long enough for the
#: per-center loop over the tile to vectorise.
TILE = 128
#: Interleaved copies of each chunk's sums (a power of two).
LANES = 4
#: Rows per part of :func:`assign_from_products`: a block of rows of the matrix-product path is
#: split among threads in parts this long (each row's result is its own, so any split gives the
#: same bits).
ASSIGN_ROWS = 1024


@kernel(opt=1)
def half_squared_norms(centers, out):
    """out[j] = |centers[j]|^2 / 2, the constant term of the assignment score."""
    for j in range(centers.shape[0]):
        total = 0.0
        for f in range(centers.shape[1]):
            total += centers[j, f] * centers[j, f]
        out[j] = 0.5 * total


@kernel(opt=1)
def _nearest_pixels_in_tile(tile_samples, origin, centers, half_norms, tile, best_score, best):
    """Copy the tile's samples of 3 features into `tile` (features by rows, from `origin`);
    best[t] = nearest center of sample t. The steps of :func:`_nearest_in_tile`, with the
    feature loop unrolled."""
    m = tile_samples.shape[0]
    # Loops, not slice assignments: those compile Numba's broadcasting and its error paths.
    for t in range(m):
        best_score[t] = np.inf
        best[t] = 0
    # |x - c|^2 = |x|^2 + 2 (|c|^2 / 2 - x.c): the bracket alone decides the nearest center.
    for t in range(m):
        tile[0, t] = tile_samples[t, 0] - origin[0]
        tile[1, t] = tile_samples[t, 1] - origin[1]
        tile[2, t] = tile_samples[t, 2] - origin[2]
    k = centers.shape[0]
    # Four centers per sweep of the tile: each sample's best score and label stay in
    # registers across the four comparisons, made in center order (the same result as one
    # center per sweep), instead of being stored and loaded again for every center.
    for j in range(0, k - k % 4, 4):
        h0, h1, h2, h3 = half_norms[j], half_norms[j + 1], half_norms[j + 2], half_norms[j + 3]
        a0, a1, a2 = centers[j, 0], centers[j, 1], centers[j, 2]
        b0, b1, b2 = centers[j + 1, 0], centers[j + 1, 1], centers[j + 1, 2]
        c0, c1, c2 = centers[j + 2, 0], centers[j + 2, 1], centers[j + 2, 2]
        d0, d1, d2 = centers[j + 3, 0], centers[j + 3, 1], centers[j + 3, 2]
        for t in range(m):
            x0, x1, x2 = tile[0, t], tile[1, t], tile[2, t]
            score, label = best_score[t], best[t]
            s = h0 - a0 * x0 - a1 * x1 - a2 * x2
            label = j if s < score else label
            score = s if s < score else score
            s = h1 - b0 * x0 - b1 * x1 - b2 * x2
            label = j + 1 if s < score else label
            score = s if s < score else score
            s = h2 - c0 * x0 - c1 * x1 - c2 * x2
            label = j + 2 if s < score else label
            score = s if s < score else score
            s = h3 - d0 * x0 - d1 * x1 - d2 * x2
            label = j + 3 if s < score else label
            score = s if s < score else score
            best_score[t], best[t] = score, label
    for j in range(k - k % 4, k):
        half_norm, c0, c1, c2 = half_norms[j], centers[j, 0], centers[j, 1], centers[j, 2]
        for t in range(m):
            s = half_norm - c0 * tile[0, t] - c1 * tile[1, t] - c2 * tile[2, t]
            closer = s < best_score[t]
            best_score[t] = s if closer else best_score[t]
            best[t] = j if closer else best[t]


@kernel(opt=1)
def _nearest_in_tile(tile_samples, origin, centers, half_norms, tile, score, best_score, best):
    """Copy the tile's samples into `tile` (features by rows, from `origin`); best[t] = nearest
    center of sample t."""
    m, d = tile_samples.shape
    for t in range(m):
        best_score[t] = np.inf
        best[t] = 0
    # |x - c|^2 = |x|^2 + 2 (|c|^2 / 2 - x.c): the bracket alone decides the nearest center.
    for t in range(m):
        for f in range(d):
            tile[f, t] = tile_samples[t, f] - origin[f]
    for j in range(centers.shape[0]):
        for t in range(m):
            score[t] = half_norms[j]
        for f in range(d):
            coordinate = centers[j, f]
            for t in range(m):
                score[t] -= coordinate * tile[f, t]
        for t in range(m):
            closer = score[t] < best_score[t]
            best_score[t] = score[t] if closer else best_score[t]
            best[t] = j if closer else best[t]


@kernel(opt=1)
def _accumulate_tile(tile_weights, m, tile, best, lanes):
    """Add the tile's m samples, weighted, to the lane sums of their centers (see lloyd_pass)."""
    d = tile.shape[0]
    weighted = tile_weights.shape[0] > 0
    for t in range(m):
        j = best[t]
        lane = t & (LANES - 1)
        weight = tile_weights[t] if weighted else 1.0
        lanes[lane, j, d] += weight
        if d == 3:
            x0, x1, x2 = tile[0, t], tile[1, t], tile[2, t]
            lanes[lane, j, 0] += weight * x0
            lanes[lane, j, 1] += weight * x1
            lanes[lane, j, 2] += weight * x2
            lanes[lane, j, 4] += weight * (x0 * x0 + x1 * x1 + x2 * x2)
        else:
            square = 0.0
            for f in range(d):
                square += tile[f, t] * tile[f, t]
                lanes[lane, j, f] += weight * tile[f, t]
            lanes[lane, j, d + 1] += weight * square


@kernel(opt=1)
def _accumulate_moves(tile_weights, m, tile, best, previous, lanes):
    """Move the tile's relabelled samples, weighted, from their previous center's lane sums to
    their new one's (as differences: subtracted from the previous, added to the new)."""
    d = tile.shape[0]
    weighted = tile_weights.shape[0] > 0
    for t in range(m):
        j, before = best[t], previous[t]
        if j == before:
            continue
        lane = t & (LANES - 1)
        weight = tile_weights[t] if weighted else 1.0
        lanes[lane, j, d] += weight
        lanes[lane, before, d] -= weight
        square = 0.0
        for f in range(d):
            x = tile[f, t]
            square += x * x
            lanes[lane, j, f] += weight * x
            lanes[lane, before, f] -= weight * x
        lanes[lane, j, d + 1] += weight * square
        lanes[lane, before, d + 1] -= weight * square


def scratch_shapes(n_features: int, k: int) -> tuple[tuple, tuple, tuple]:
    """Shapes of one thread's scratch arrays of :func:`lloyd_pass` (tiles, tile_labels, lanes):
    the caller allocates them with a leading axis of one row per thread."""
    return (n_features + 2, TILE), (2, TILE), (LANES, k, n_features + 2)


@variants
def _lloyd_pass_variant(pixels: bool):
    """The Lloyd pass kernel for samples of 3 features (`pixels`: their unrolled steps) or of
    any other number (see :func:`fastseg._config.variants`)."""

    @kernel(opt=1)
    def lloyd_pass(
        samples, origin, weights, centers, half_norms, labels, sums, weight_sums, square_sums,
        n_changed, moves_only, tiles, tile_labels, lanes, first_chunk, chunk_step,
    ):  # fmt: skip
        """Assign the samples of chunks first_chunk, first_chunk + chunk_step, ... to their nearest
        centers and, per chunk, add them to those centers' sums.

        Chunk ``c`` covers samples ``[c * CHUNK_SIZE, (c + 1) * CHUNK_SIZE)`` and owns row ``c``
        of every output, so chunks never write to shared memory and the caller can reduce the
        partials in chunk order, independent of the number of threads (see
        :func:`fastseg._config.run_in_threads`).

        Parameters
        ----------
        samples : (n, d) array
        origin : (d,) float64, subtracted from every sample: sums of squares measured from a point
            inside the data do not lose precision to a large offset
        weights : (n,) or (0,) float64
        centers : (k, d) float64, relative to `origin`
        half_norms : (chunk_step, k) float64 scratch: row first_chunk is set to this call's
            :func:`half_squared_norms` of `centers`
        labels : (n,) integer, overwritten with the index of the nearest center
        sums : (n_chunks, k, d) float64, overwritten with each chunk's weighted sum of samples
            (relative to `origin`) per center
        weight_sums : (n_chunks, k) float64, overwritten with each chunk's weight per center
        square_sums : (n_chunks, k) float64, overwritten with each chunk's weighted sum of |x|^2 per
            center (with the sums, it gives the inertia without a per-sample distance)
        n_changed : (n_chunks,) int64, overwritten with the number of labels that changed
        moves_only : bool
            Write, instead of the sums, what the pass changes in them: each relabelled
            sample's contribution taken from its previous center and given to its new one. Once
            labels settle, few samples move, and the scatter into the sums, a third of a pass,
            is mostly skipped. `labels` must hold valid labels on entry. Exact when the products
            and sums are (integer samples and weights).
        tiles, tile_labels, lanes : float64, int64, float64 scratch, of shapes
            (chunk_step, *shape) for the shapes of :func:`scratch_shapes`: row first_chunk is this
            call's (the caller allocates them, so that the kernel compiles no allocation)
        first_chunk, chunk_step : int, the chunks of this call
        """
        n, d = samples.shape
        k = centers.shape[0]
        # This call's scratch: the tile's samples (features by rows), its scores, its labels; and
        # LANES interleaved copies of the sums (consecutive samples of one cluster then update
        # different memory, instead of waiting on each other's stores), with each center's weight
        # at feature d and its sum of squares at d + 1.
        tile = tiles[first_chunk, :d]
        score = tiles[first_chunk, d]
        best_score = tiles[first_chunk, d + 1]
        best = tile_labels[first_chunk, 0]
        previous = tile_labels[first_chunk, 1]
        chunk_lanes = lanes[first_chunk]
        # Each thread finds the half norms itself: one kernel call less on every pass.
        center_half_norms = half_norms[first_chunk]
        half_squared_norms(centers, center_half_norms)
        for chunk in range(first_chunk, n_changed.shape[0], chunk_step):
            start = chunk * CHUNK_SIZE
            stop = min(n, start + CHUNK_SIZE)
            for lane in range(LANES):
                for j in range(k):
                    for f in range(d + 2):
                        chunk_lanes[lane, j, f] = 0.0
            changed = 0
            for tile_start in range(start, stop, TILE):
                # Views of the tile, indexed from 0 (see _kernels).
                tile_stop = min(tile_start + TILE, stop)
                m = tile_stop - tile_start
                tile_labels_now = labels[tile_start:tile_stop]
                tile_weights = weights[tile_start:tile_stop]  # empty if weights are
                tile_samples = samples[tile_start:tile_stop]
                if pixels:
                    _nearest_pixels_in_tile(
                        tile_samples, origin, centers, center_half_norms, tile, best_score, best
                    )
                else:
                    _nearest_in_tile(
                        tile_samples, origin, centers, center_half_norms, tile, score, best_score,
                        best,
                    )  # fmt: skip
                tile_changed = 0
                for t in range(m):
                    previous[t] = tile_labels_now[t]
                    tile_changed += previous[t] != best[t]
                    tile_labels_now[t] = best[t]
                changed += tile_changed
                if not moves_only:
                    _accumulate_tile(tile_weights, m, tile, best, chunk_lanes)
                elif tile_changed:
                    _accumulate_moves(tile_weights, m, tile, best, previous, chunk_lanes)
            # Lanes added in order, element by element: an array expression here would compile
            # Numba's shape-mismatch error path, string formatting and all (seconds of compile).
            for j in range(k):
                weight_total = chunk_lanes[0, j, d]
                square_total = chunk_lanes[0, j, d + 1]
                for lane in range(1, LANES):
                    weight_total += chunk_lanes[lane, j, d]
                    square_total += chunk_lanes[lane, j, d + 1]
                weight_sums[chunk, j] = weight_total
                square_sums[chunk, j] = square_total
                for f in range(d):
                    total = chunk_lanes[0, j, f]
                    for lane in range(1, LANES):
                        total += chunk_lanes[lane, j, f]
                    sums[chunk, j, f] = total
            n_changed[chunk] = changed

    return lloyd_pass


def lloyd_pass(n_features: int):
    """The Lloyd pass kernel (see :func:`_lloyd_pass_variant`) for samples of `n_features`."""
    return _lloyd_pass_variant(n_features == 3)


@kernel
def assign_from_products(
    block, products, half_norms, centers, labels, distances, n_changed, first_chunk, chunk_step
):
    """Nearest center of each row of `block` from its dot products with the centers, for the
    parts of ASSIGN_ROWS rows first_chunk, first_chunk + chunk_step, ...

    Parameters
    ----------
    block : (m, d) float32 or float64 samples
    products : (m, k) dot products ``block @ centers.T``
    half_norms : (k,) float64, |centers[j]|^2 / 2
    centers : (k, d) float64
    labels : (m,) integer, overwritten with the index of the nearest center
    distances : (m,) float64, overwritten with the squared distance to that center
    n_changed : (n_parts,) int64, overwritten with the number of labels that changed per part
    first_chunk, chunk_step : int, the chunks of this call
    """
    m, d = block.shape
    k = centers.shape[0]
    for chunk in range(first_chunk, n_changed.shape[0], chunk_step):
        changed = 0
        stop = min(m, (chunk + 1) * ASSIGN_ROWS)
        i = chunk * ASSIGN_ROWS
        # Four rows at a time: each row's minimum and distance are still taken in order (the
        # bits of one row at a time), but the four chains of dependent steps run side by side.
        while i + 4 <= stop:
            best0 = best1 = best2 = best3 = 0
            score0 = score1 = score2 = score3 = np.inf
            for j in range(k):
                half_norm = half_norms[j]
                value0 = half_norm - products[i, j]
                value1 = half_norm - products[i + 1, j]
                value2 = half_norm - products[i + 2, j]
                value3 = half_norm - products[i + 3, j]
                if value0 < score0:
                    score0, best0 = value0, j
                if value1 < score1:
                    score1, best1 = value1, j
                if value2 < score2:
                    score2, best2 = value2, j
                if value3 < score3:
                    score3, best3 = value3, j
            distance0 = distance1 = distance2 = distance3 = 0.0
            for f in range(d):
                diff0 = block[i, f] - centers[best0, f]
                diff1 = block[i + 1, f] - centers[best1, f]
                diff2 = block[i + 2, f] - centers[best2, f]
                diff3 = block[i + 3, f] - centers[best3, f]
                distance0 += diff0 * diff0
                distance1 += diff1 * diff1
                distance2 += diff2 * diff2
                distance3 += diff3 * diff3
            distances[i] = distance0
            distances[i + 1] = distance1
            distances[i + 2] = distance2
            distances[i + 3] = distance3
            changed += (labels[i] != best0) + (labels[i + 1] != best1)
            changed += (labels[i + 2] != best2) + (labels[i + 3] != best3)
            labels[i] = best0
            labels[i + 1] = best1
            labels[i + 2] = best2
            labels[i + 3] = best3
            i += 4
        for i in range(i, stop):  # noqa: B020 (the rows the quads left)
            best = 0
            best_score = np.inf
            for j in range(k):
                score = half_norms[j] - products[i, j]
                if score < best_score:
                    best_score = score
                    best = j
            distance = 0.0
            for f in range(d):
                diff = block[i, f] - centers[best, f]
                distance += diff * diff
            distances[i] = distance
            if labels[i] != best:
                changed += 1
                labels[i] = best
        n_changed[chunk] = changed


@kernel
def nearest_codes(samples, codes, labels, distances, first_chunk, chunk_step):
    """Nearest code of each sample by its exact distance, for the chunks of CHUNK_SIZE samples
    first_chunk, first_chunk + chunk_step, ...: what ``scipy.cluster.vq.vq`` computes.

    Each squared distance is summed feature by feature in float64 from the differences (SciPy's
    direct loop); the lowest index wins ties. No sums are made: a pass for codes alone.

    Parameters
    ----------
    samples : (n, d) uint8, uint16, float32 or float64, coordinates whose squares and their sums
        stay within float64's normal range
    codes : (k, d) float64
    labels : (n,) int32, overwritten with the index of the nearest code
    distances : (n,) float64, overwritten with the Euclidean distance to it
    first_chunk, chunk_step : int, the chunks of this call
    """
    n, d = samples.shape
    k = codes.shape[0]
    n_chunks = (n + CHUNK_SIZE - 1) // CHUNK_SIZE
    # A tile of samples, feature by feature, and its squared distances to every code: each step
    # runs over the tile in SIMD lanes.
    tile = np.empty((d, TILE))
    totals = np.empty((k + 1, TILE))
    best_distance = totals[k]
    best = np.empty(TILE, dtype=np.int64)
    for chunk in range(first_chunk, n_chunks, chunk_step):
        for start in range(chunk * CHUNK_SIZE, min(n, (chunk + 1) * CHUNK_SIZE), TILE):
            m = min(n, start + TILE, (chunk + 1) * CHUNK_SIZE) - start
            for t in range(m):
                for f in range(d):
                    tile[f, t] = np.float64(samples[start + t, f])
            squared_distances_to(tile, 0, m, codes, totals)
            for t in range(m):
                best_distance[t] = np.inf
                best[t] = 0
            for j in range(k):
                total = totals[j]
                for t in range(m):
                    closer = total[t] < best_distance[t]
                    best_distance[t] = total[t] if closer else best_distance[t]
                    best[t] = j if closer else best[t]
            for t in range(m):
                labels[start + t] = best[t]
                distances[start + t] = np.sqrt(best_distance[t])


@kernel(opt=1)
def add_block_sums(block, weights, labels, sums, weight_sums):
    """Add each row of `block`, weighted, to the running sums of its center, in row order.

    Parameters
    ----------
    block : (m, d) float32 or float64
    weights : (m,) or (0,) float64
    labels : (m,) integer
    sums : (k, d) float64, added to
    weight_sums : (k,) float64, added to
    """
    weighted = weights.shape[0] > 0
    for i in range(block.shape[0]):
        j = labels[i]
        weight = weights[i] if weighted else 1.0
        weight_sums[j] += weight
        for f in range(block.shape[1]):
            sums[j, f] += weight * block[i, f]


@kernel
def farthest_samples(
    samples, weights, centers, labels, top_index, top_distance, first_chunk, chunk_step
):
    """Per chunk, the samples farthest from their assigned center, for re-seeding empty clusters
    (the chunks first_chunk, first_chunk + chunk_step, ...).

    Parameters
    ----------
    samples : (n, d) array
    weights : (n,) or (0,) float64; samples of weight 0 are never chosen
    centers : (k, d) float64
    labels : (n,) integer
    top_index : (n_chunks, m) int64, overwritten with the indices of the chunk's m farthest
        samples, farthest first (-1 where the chunk has fewer than m candidates)
    top_distance : (n_chunks, m) float64, overwritten with their squared distances (-1 where none)
    first_chunk, chunk_step : int, the chunks of this call
    """
    n, d = samples.shape
    weighted = weights.shape[0] > 0
    m = top_index.shape[1]
    for chunk in range(first_chunk, top_index.shape[0], chunk_step):
        for position in range(m):  # loops, not slice assignments (see _kernels)
            top_index[chunk, position] = -1
            top_distance[chunk, position] = -1.0
        for i in range(chunk * CHUNK_SIZE, min(n, (chunk + 1) * CHUNK_SIZE)):
            if weighted and weights[i] == 0.0:
                continue
            j = labels[i]
            distance = 0.0
            for f in range(d):
                diff = samples[i, f] - centers[j, f]
                distance += diff * diff
            if distance <= top_distance[chunk, m - 1]:
                continue
            # Insertion into the short sorted list; strict comparison keeps the earlier index first.
            position = m - 1
            while position > 0 and top_distance[chunk, position - 1] < distance:
                top_distance[chunk, position] = top_distance[chunk, position - 1]
                top_index[chunk, position] = top_index[chunk, position - 1]
                position -= 1
            top_distance[chunk, position] = distance
            top_index[chunk, position] = i


@kernel(opt=1)
def indices_by_weight(weights, draws, indices):
    """indices[j] = the first i whose cumulative weight ``weights[0] + ... + weights[i]``
    exceeds ``draws[j]`` times the total weight (n - 1 if none does, by rounding).

    The same indices as ``numpy.searchsorted(numpy.cumsum(weights), draws * total,
    side="right")``, bit for bit (both add the weights in order), in one pass over the weights
    and without their (n,) cumulative sums.

    Parameters
    ----------
    weights : (n,) float64, not negative
    draws : (m,) float64 in [0, 1), sorted
    indices : (m,) int64, overwritten
    """
    n, m = weights.shape[0], draws.shape[0]
    total = 0.0
    for i in range(n):
        total += weights[i]
    cumulative = 0.0
    j = 0
    for i in range(n):
        cumulative += weights[i]
        while j < m and draws[j] * total < cumulative:
            indices[j] = i
            j += 1
    for rest in range(j, m):  # the draws beyond the total, by rounding
        indices[rest] = n - 1
