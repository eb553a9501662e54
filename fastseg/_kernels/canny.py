"""Canny edge kernels: gradients, non-maximum suppression, double threshold and hysteresis.

The rules are OpenCV's (``cv2.Canny``), so that edge maps agree pixel for pixel:

* Sobel derivatives of the 8-bit image with replicated borders, in integers; aperture 7 is scaled
  by 1/16 and rounded half to even (its derivatives would not fit in int16 otherwise).
* Magnitude ``|dx| + |dy|`` (L1) or ``dx² + dy²`` (L2, compared with squared thresholds), in
  int32 with two's-complement wrap-around; with several channels, each pixel takes the first
  channel of largest magnitude, and that channel's dx and dy.
* The gradient direction is one of four sectors, decided in Q15 fixed point against tan(22.5°);
  a pixel survives suppression when its magnitude beats its two neighbours across the edge
  (strictly on the upper/left side, ``>=`` on the other, strictly on both for diagonals).
  Neighbours outside the image have magnitude 0.
* A surviving pixel is strong when its magnitude is ``> high``, a candidate when it is ``> low``.
  Candidates 8-connected to a strong pixel through candidates become edges.

The edge map owned by the caller doubles as the three-state map (:data:`CANDIDATE`,
:data:`NOT_EDGE`, :data:`EDGE`) until :func:`finish_edges` turns it into 0 and 255, so no
full-size gradient or magnitude image is ever stored: each band of rows keeps a few rows of
gradients in small rolling buffers.

Conventions: images arrive as C-contiguous (H, W * C) rows of uint8 (or int16 gradients), the edge
map as a C-contiguous (H, W) uint8 array, thresholds as integers already converted by the caller.
"""

import numba
import numpy as np

from .._config import kernel, parallel_kernel

#: States of the edge map between the passes.
CANDIDATE = 0  # a local maximum above the low threshold, an edge only if linked to a strong one
NOT_EDGE = 1
EDGE = 2  # strong, or linked to a strong pixel
#: tan(22.5°) in Q15 fixed point, rounded to nearest.
TAN_22_5_Q15 = 13573
#: Pixels per block of the suppression loop: blocks with no magnitude above the low threshold are
#: skipped, and strong pixels are looked for only in blocks that have some.
SUPPRESS_BLOCK = 64


@kernel
def _wrap_int32(value):
    """`value` (int64) wrapped to the int32 range, as overflowing int32 arithmetic wraps in C."""
    return ((value + 2147483648) & 4294967295) - 2147483648


@kernel
def _replicate_ends(buffer, pad, n_flat, n_channels):
    """Fill the `pad` elements on each side of buffer[pad : pad + n_flat] with its first and last
    pixel, channel by channel (``pad`` is a multiple of ``n_channels``)."""
    for p in range(pad):
        channel = p % n_channels
        buffer[p] = buffer[pad + channel]
        buffer[pad + n_flat + p] = buffer[pad + n_flat - n_channels + channel]


@kernel
def _vertical_3(r0, r1, r2, smooth, deriv):
    """Vertical taps of aperture 3: smoothing (1, 2, 1) and derivative (-1, 0, 1)."""
    for t in range(smooth.shape[0]):
        smooth[t] = r0[t] + 2 * r1[t] + r2[t]
        deriv[t] = r2[t] - r0[t]


@kernel
def _horizontal_3(s0, s2, d0, d1, d2, dx, dy):
    """Horizontal taps of aperture 3 on the vertical sums shifted by -1, 0, +1 pixel."""
    for t in range(dx.shape[0]):
        dx[t] = s2[t] - s0[t]
        dy[t] = d0[t] + 2 * d1[t] + d2[t]


@kernel
def _vertical_5(r0, r1, r2, r3, r4, smooth, deriv):
    """Vertical taps of aperture 5: smoothing (1, 4, 6, 4, 1) and derivative (-1, -2, 0, 2, 1)."""
    for t in range(smooth.shape[0]):
        smooth[t] = r0[t] + 4 * (r1[t] + r3[t]) + 6 * r2[t] + r4[t]
        deriv[t] = (r4[t] - r0[t]) + 2 * (r3[t] - r1[t])


@kernel
def _horizontal_5(s0, s1, s3, s4, d0, d1, d2, d3, d4, dx, dy):
    """Horizontal taps of aperture 5 on the vertical sums shifted by -2 ... +2 pixels."""
    for t in range(dx.shape[0]):
        dx[t] = (s4[t] - s0[t]) + 2 * (s3[t] - s1[t])
        dy[t] = d0[t] + d4[t] + 4 * (d1[t] + d3[t]) + 6 * d2[t]


@kernel
def _vertical_7(r0, r1, r2, r3, r4, r5, r6, smooth, deriv):
    """Vertical taps of aperture 7: smoothing (1, 6, 15, 20, 15, 6, 1) and derivative
    (-1, -4, -5, 0, 5, 4, 1)."""
    for t in range(smooth.shape[0]):
        smooth[t] = r0[t] + r6[t] + 6 * (r1[t] + r5[t]) + 15 * (r2[t] + r4[t]) + 20 * r3[t]
        deriv[t] = (r6[t] - r0[t]) + 4 * (r5[t] - r1[t]) + 5 * (r4[t] - r2[t])


@kernel
def _round_sixteenth(value):
    """value / 16 rounded half to even, as OpenCV rounds its scaled Sobel (value is an exact
    multiple of 1/16 there)."""
    quotient = value >> 4
    remainder = value & 15
    return quotient + ((remainder > 8) | ((remainder == 8) & ((quotient & 1) == 1)))


@kernel
def _horizontal_7(s0, s1, s2, s4, s5, s6, d0, d1, d2, d3, d4, d5, d6, dx, dy):
    """Horizontal taps of aperture 7 on the vertical sums shifted by -3 ... +3 pixels, / 16."""
    for t in range(dx.shape[0]):
        sx = (s6[t] - s0[t]) + 4 * (s5[t] - s1[t]) + 5 * (s4[t] - s2[t])
        sy = d0[t] + d6[t] + 6 * (d1[t] + d5[t]) + 15 * (d2[t] + d4[t]) + 20 * d3[t]
        dx[t] = _round_sixteenth(np.int32(sx))
        dy[t] = _round_sixteenth(np.int32(sy))


@kernel
def _sobel_row(image, row, n_channels, aperture_size, smooth, deriv, dx, dy):
    """Sobel dx and dy (int16) of one image row, with replicated borders.

    `smooth` and `deriv` are int16 scratch rows of n_flat + 2 * pad elements (pad = aperture_size
    // 2 pixels) that receive the vertical smoothing and vertical derivative of the row; the
    horizontal pass reads them with replicated ends, which equals replicating the image border.
    Every tap reads a shifted view, so that each loop runs over plain unit-stride arrays.
    """
    height, n_flat = image.shape
    radius = aperture_size // 2
    c = n_channels
    pad = radius * c
    inner_smooth = smooth[pad : pad + n_flat]
    inner_deriv = deriv[pad : pad + n_flat]
    if aperture_size == 3:
        _vertical_3(
            image[max(row - 1, 0)], image[row], image[min(row + 1, height - 1)],
            inner_smooth, inner_deriv,
        )  # fmt: skip
    elif aperture_size == 5:
        _vertical_5(
            image[max(row - 2, 0)], image[max(row - 1, 0)], image[row],
            image[min(row + 1, height - 1)], image[min(row + 2, height - 1)],
            inner_smooth, inner_deriv,
        )  # fmt: skip
    else:
        _vertical_7(
            image[max(row - 3, 0)], image[max(row - 2, 0)], image[max(row - 1, 0)], image[row],
            image[min(row + 1, height - 1)], image[min(row + 2, height - 1)],
            image[min(row + 3, height - 1)], inner_smooth, inner_deriv,
        )  # fmt: skip
    _replicate_ends(smooth, pad, n_flat, c)
    _replicate_ends(deriv, pad, n_flat, c)
    # Views of the sums shifted by k pixels: element t is the sum at flat index t + k * c.
    if aperture_size == 3:
        _horizontal_3(
            smooth[0:n_flat], smooth[2 * c : 2 * c + n_flat],
            deriv[0:n_flat], deriv[c : c + n_flat], deriv[2 * c : 2 * c + n_flat],
            dx, dy,
        )  # fmt: skip
    elif aperture_size == 5:
        _horizontal_5(
            smooth[0:n_flat], smooth[c : c + n_flat],
            smooth[3 * c : 3 * c + n_flat], smooth[4 * c : 4 * c + n_flat],
            deriv[0:n_flat], deriv[c : c + n_flat], deriv[2 * c : 2 * c + n_flat],
            deriv[3 * c : 3 * c + n_flat], deriv[4 * c : 4 * c + n_flat],
            dx, dy,
        )  # fmt: skip
    else:
        _horizontal_7(
            smooth[0:n_flat], smooth[c : c + n_flat], smooth[2 * c : 2 * c + n_flat],
            smooth[4 * c : 4 * c + n_flat], smooth[5 * c : 5 * c + n_flat],
            smooth[6 * c : 6 * c + n_flat],
            deriv[0:n_flat], deriv[c : c + n_flat], deriv[2 * c : 2 * c + n_flat],
            deriv[3 * c : 3 * c + n_flat], deriv[4 * c : 4 * c + n_flat],
            deriv[5 * c : 5 * c + n_flat], deriv[6 * c : 6 * c + n_flat],
            dx, dy,
        )  # fmt: skip


@kernel
def _magnitude_row(dx, dy, n_flat, l2_gradient, magnitude):
    """magnitude[1 + t] = |dx| + |dy| or dx² + dy² (int32, wrapping) for t < n_flat."""
    if l2_gradient:
        for t in range(n_flat):
            x = np.int64(dx[t])
            y = np.int64(dy[t])
            magnitude[1 + t] = x * x + y * y  # the store to int32 wraps like C's int arithmetic
    else:
        for t in range(n_flat):
            magnitude[1 + t] = abs(np.int64(dx[t])) + abs(np.int64(dy[t]))


@kernel
def _strongest_channel(flat_magnitude, flat_dx, flat_dy, width, n_channels, magnitude, dx, dy):
    """Per pixel, the first channel of largest magnitude: its magnitude into magnitude[1 + j] and
    its gradient into dx[j], dy[j]. `flat_magnitude` is offset by one, as `magnitude`."""
    for j in range(width):
        first = j * n_channels
        best = first
        for k in range(first + 1, first + n_channels):
            if flat_magnitude[1 + k] > flat_magnitude[1 + best]:
                best = k
        magnitude[1 + j] = flat_magnitude[1 + best]
        dx[j] = flat_dx[best]
        dy[j] = flat_dy[best]


@kernel
def _count_above(values, threshold):
    """Number of elements of `values` greater than `threshold`."""
    count = 0
    for t in range(values.shape[0]):
        count += np.int32(values[t] > threshold)
    return count


@kernel
def _suppress_block(mag_up, mag, mag_down, dx, dy, low, high, states):
    """Non-maximum suppression and double threshold of a run of pixels; returns how many are
    strong.

    ``mag_*`` are the magnitudes of the rows above, at and below, with pixel t at index t + 1.
    Every pixel takes the same branch-free steps (masks select which neighbours to compare), so
    that the loop runs in SIMD lanes: a branch per pixel on the direction would be mispredicted
    all along textured areas.
    """
    n_strong = 0
    for t in range(states.shape[0]):
        m = mag[t + 1]
        xs = np.int32(dx[t])
        ys = np.int32(dy[t])
        x = abs(xs)
        y = abs(ys) << 15
        tg22x = x * TAN_22_5_Q15
        horizontal = y < tg22x  # within 22.5° of horizontal: compare left and right
        vertical = y > _wrap_int32(tg22x + (x << 16))  # beyond 67.5°: compare up and down
        h_mask = -np.int32(horizontal)
        v_mask = -np.int32(vertical & ~horizontal)
        d_mask = ~(h_mask | v_mask)
        s_mask = -np.int32((xs ^ ys) >= 0)  # dx and dy of the same sign
        # Diagonal: up-left and down-right when dx and dy have the same sign, else up-right and
        # down-left (y grows downwards); both must be beaten strictly, hence m >= after + 1.
        diagonal_before = (mag_up[t] & s_mask) | (mag_up[t + 2] & ~s_mask)
        diagonal_after = ((mag_down[t + 2] & s_mask) | (mag_down[t] & ~s_mask)) + 1
        before = (mag[t] & h_mask) | (mag_up[t + 1] & v_mask) | (diagonal_before & d_mask)
        after = (mag[t + 2] & h_mask) | (mag_down[t + 1] & v_mask) | (diagonal_after & d_mask)
        peak = (m > low) & (m > before) & (m >= after)
        strong = peak & (m > high)
        # EDGE (2) if strong, CANDIDATE (0) if a weak peak, else NOT_EDGE (1).
        states[t] = 1 - np.int32(peak) + 2 * np.int32(strong)
        n_strong += np.int32(strong)
    return n_strong


@kernel
def _suppress_row(mag_up, mag, mag_down, dx, dy, width, low, high, states, stack, top, base):
    """Non-maximum suppression and double threshold of one row.

    ``mag_*`` are the magnitudes of the rows above, at and below, with pixel j at index j + 1 and
    zeros at both ends. Writes NOT_EDGE, CANDIDATE or EDGE into states[:width], pushes base + j
    for every EDGE onto `stack` and returns the new top of the stack.

    The row goes by blocks: a block with no magnitude above `low` (most of a photo) is NOT_EDGE
    at once. Blocks are passed as views that start at index 0, which lets the compiler drop
    negative-index handling and vectorise the loops.
    """
    for start in range(0, width, SUPPRESS_BLOCK):
        stop = min(width, start + SUPPRESS_BLOCK)
        block_states = states[start:stop]
        if _count_above(mag[start + 1 : stop + 1], low) == 0:
            block_states[:] = NOT_EDGE
            continue
        n_strong = _suppress_block(
            mag_up[start : stop + 2], mag[start : stop + 2], mag_down[start : stop + 2],
            dx[start:stop], dy[start:stop], low, high, block_states,
        )  # fmt: skip
        if n_strong > 0:
            for t in range(stop - start):
                if block_states[t] == EDGE:
                    stack[top] = base + start + t
                    top += 1
    return top


@kernel
def _follow_band(edge_map, stack, top, row_start, row_stop):
    """Hysteresis inside rows [row_start, row_stop): every CANDIDATE 8-connected to a pushed EDGE
    (stack holds (row - row_start) * width + column) becomes EDGE. Rows outside are not touched."""
    width = edge_map.shape[1]
    while top > 0:
        top -= 1
        local = stack[top]
        i = row_start + local // width
        j = local % width
        for ni in range(max(i - 1, row_start), min(i + 2, row_stop)):
            for nj in range(max(j - 1, 0), min(j + 2, width)):
                if edge_map[ni, nj] == CANDIDATE:
                    edge_map[ni, nj] = EDGE
                    stack[top] = (ni - row_start) * width + nj
                    top += 1


@kernel
def _classify_band(
    image, dx_rows, dy_rows, from_image, n_channels, aperture_size, l2_gradient,
    low, high, row_start, row_stop, edge_map,
):  # fmt: skip
    """Classify rows [row_start, row_stop) of `edge_map` and follow strong pixels inside them.

    Gradients come from `image` (Sobel) when `from_image`, else from the rows of `dx_rows` and
    `dy_rows` (int16, same layout as the image). Rows row_start - 1 and row_stop are computed too
    (the halo that suppression needs) but never written.
    """
    height, width = edge_map.shape
    n_flat = width * n_channels
    pad = (aperture_size // 2) * n_channels
    # Vertical sums fit in int16 for every aperture (at most 64 * 255), and so do the derivatives.
    smooth = np.empty(n_flat + 2 * pad, dtype=np.int16)
    deriv = np.empty(n_flat + 2 * pad, dtype=np.int16)
    # Three rolling rows: magnitude (zero at both ends), dx and dy of the strongest channel.
    magnitude = np.zeros((3, width + 2), dtype=np.int32)
    dx = np.empty((3, width), dtype=np.int16)
    dy = np.empty((3, width), dtype=np.int16)
    if n_channels > 1:
        flat_dx = np.empty(n_flat, dtype=np.int16)
        flat_dy = np.empty(n_flat, dtype=np.int16)
        flat_magnitude = np.empty(n_flat + 1, dtype=np.int32)
    else:
        flat_dx = dx[0]
        flat_dy = dy[0]
        flat_magnitude = magnitude[0]
    # Every pixel of the band is pushed at most once (it is EDGE from then on).
    stack = np.empty((row_stop - row_start) * width, dtype=np.int64)
    top = 0
    for i in range(row_start - 1, row_stop + 1):
        slot = (i - row_start + 1) % 3
        if i < 0 or i >= height:
            magnitude[slot, :] = 0
        else:
            if n_channels == 1:
                flat_dx = dx[slot]
                flat_dy = dy[slot]
                flat_magnitude = magnitude[slot]
            if from_image:
                _sobel_row(image, i, n_channels, aperture_size, smooth, deriv, flat_dx, flat_dy)
            else:
                flat_dx[:] = dx_rows[i]
                flat_dy[:] = dy_rows[i]
            _magnitude_row(flat_dx, flat_dy, n_flat, l2_gradient, flat_magnitude)
            if n_channels > 1:
                _strongest_channel(
                    flat_magnitude, flat_dx, flat_dy, width, n_channels,
                    magnitude[slot], dx[slot], dy[slot],
                )  # fmt: skip
        if i >= row_start + 1:  # rows i - 2, i - 1 and i are ready: decide row i - 1
            up = (slot + 1) % 3
            mid = (slot + 2) % 3
            top = _suppress_row(
                magnitude[up], magnitude[mid], magnitude[slot], dx[mid], dy[mid], width,
                low, high, edge_map[i - 1], stack, top, (i - 1 - row_start) * width,
            )  # fmt: skip
    _follow_band(edge_map, stack, top, row_start, row_stop)


@parallel_kernel
def classify_image(image, n_channels, aperture_size, l2_gradient, low, high, band_rows, edge_map):
    """Sobel, magnitude, suppression, double threshold and in-band hysteresis of an image.

    Parameters
    ----------
    image : (H, W * C) uint8, C-contiguous rows of a C-channel image
    n_channels : int, C
    aperture_size : int, 3, 5 or 7
    l2_gradient : bool
    low, high : int, magnitude thresholds (squared for L2), ``low <= high``
    band_rows : int, rows per band of the parallel loop
    edge_map : (H, W) uint8, overwritten with NOT_EDGE, CANDIDATE and EDGE; links across band
        borders are left to :func:`link_bands`.
    """
    height = edge_map.shape[0]
    n_bands = (height + band_rows - 1) // band_rows
    for band in numba.prange(n_bands):
        row_start = band * band_rows
        row_stop = min(height, row_start + band_rows)
        _classify_band(
            image, image, image, True, n_channels, aperture_size, l2_gradient,
            low, high, row_start, row_stop, edge_map,
        )  # fmt: skip


@parallel_kernel
def classify_gradients(dx, dy, n_channels, l2_gradient, low, high, band_rows, edge_map):
    """As :func:`classify_image`, from given int16 derivatives `dx` and `dy` of shape (H, W * C)."""
    height = edge_map.shape[0]
    n_bands = (height + band_rows - 1) // band_rows
    for band in numba.prange(n_bands):
        row_start = band * band_rows
        row_stop = min(height, row_start + band_rows)
        _classify_band(
            dx, dx, dy, False, n_channels, 3, l2_gradient,
            low, high, row_start, row_stop, edge_map,
        )  # fmt: skip


@kernel
def _is_seed(edge_map, i, j, across):
    """True when (i, j) is EDGE and a CANDIDATE touches it in row `across`."""
    if edge_map[i, j] != EDGE:
        return False
    for k in range(max(j - 1, 0), min(j + 2, edge_map.shape[1])):
        if edge_map[across, k] == CANDIDATE:
            return True
    return False


@kernel
def link_bands(edge_map, band_rows):
    """Hysteresis across band borders, after :func:`classify_image` or
    :func:`classify_gradients`: follow every EDGE that touches a CANDIDATE across a border into
    the whole map. Afterwards every CANDIDATE 8-connected to an EDGE is EDGE."""
    height, width = edge_map.shape
    # Two passes over the border rows (count, then collect) keep the scan free of reallocation.
    n_seeds = 0
    for border in range(band_rows, height, band_rows):
        for j in range(width):
            n_seeds += _is_seed(edge_map, border - 1, j, border)
            n_seeds += _is_seed(edge_map, border, j, border - 1)
    stack = np.empty(max(1024, 2 * n_seeds), dtype=np.int64)
    top = 0
    for border in range(band_rows, height, band_rows):
        for j in range(width):
            if _is_seed(edge_map, border - 1, j, border):
                stack[top] = (border - 1) * width + j
                top += 1
            if _is_seed(edge_map, border, j, border - 1):
                stack[top] = border * width + j
                top += 1
    while top > 0:
        top -= 1
        i = stack[top] // width
        j = stack[top] % width
        for ni in range(max(i - 1, 0), min(i + 2, height)):
            for nj in range(max(j - 1, 0), min(j + 2, width)):
                if edge_map[ni, nj] == CANDIDATE:
                    edge_map[ni, nj] = EDGE
                    if top == stack.shape[0]:
                        stack = _grown(stack)
                    stack[top] = ni * width + nj
                    top += 1


@kernel
def _grown(stack):
    """A copy of `stack` with twice the room."""
    larger = np.empty(2 * stack.shape[0], dtype=stack.dtype)
    larger[: stack.shape[0]] = stack
    return larger


@parallel_kernel
def finish_edges(edge_map, band_rows):
    """Turn the three-state map into the edge image: EDGE becomes 255, everything else 0."""
    height, width = edge_map.shape
    n_bands = (height + band_rows - 1) // band_rows
    for band in numba.prange(n_bands):
        for i in range(band * band_rows, min(height, (band + 1) * band_rows)):
            row = edge_map[i]
            for j in range(width):
                row[j] = 255 if row[j] == EDGE else 0


@parallel_kernel
def band_histograms(values, band_rows, counts):
    """counts[b, v] = occurrences of v in rows [b * band_rows, (b + 1) * band_rows) of the
    (H, N) uint8 array `values`; counts is (n_bands, 256) int64, overwritten."""
    height, n = values.shape
    for band in numba.prange(counts.shape[0]):
        counts[band, :] = 0
        for i in range(band * band_rows, min(height, (band + 1) * band_rows)):
            for t in range(n):
                counts[band, values[i, t]] += 1
