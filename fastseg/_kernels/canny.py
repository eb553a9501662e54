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
:data:`NOT_EDGE`, :data:`EDGE`) until :data:`FINISH_LUT` turns it into 0 and 255, so no
full-size gradient or magnitude image is ever stored: each band of rows keeps a few rows of
gradients in small rolling buffers.

Compile time shapes the kernels: a call compiles one variant of the band kernel
(:func:`classify_bands` gives the one for its inputs: gradients from the image or given,
aperture 3 or 5/7, L1 or L2, one channel or several, fixed in the compiled code so that the
steps of the other variants are left out), :func:`link_bands` and the in-band hysteresis
:func:`follow_edges_in_band` (shared with the kernel of :mod:`fastseg._kernels.smooth_canny`);
the work memory comes from the caller (:func:`classify_scratch`), and the steps of a band are
written out in one function rather than as small functions that each compile (and are
optimised again inside every caller).

Conventions: images arrive as C-contiguous (H, W * C) rows of uint8 (or int16 gradients), the edge
map as a C-contiguous (H, W) uint8 array, thresholds as integers already converted by the caller.
"""

import numpy as np

from .._config import kernel, variants

#: States of the edge map between the passes.
CANDIDATE = 0  # a local maximum above the low threshold, an edge only if linked to a strong one
NOT_EDGE = 1
EDGE = 2  # strong, or linked to a strong pixel
#: tan(22.5°) in Q15 fixed point, rounded to nearest.
TAN_22_5_Q15 = 13573
#: Pixels per block of the suppression loop: blocks with no magnitude above the low threshold are
#: skipped, and strong pixels are looked for only in blocks that have some.
SUPPRESS_BLOCK = 64
#: Sobel taps of apertures 5 and 7 (smoothing, derivative), centred on index 3; the smoothing
#: taps are symmetric, the derivative ones antisymmetric. Aperture 3 has its own loops.
SOBEL_TAPS = np.array(
    [
        [[0, 1, 4, 6, 4, 1, 0], [0, -1, -2, 0, 2, 1, 0]],
        [[1, 6, 15, 20, 15, 6, 1], [-1, -4, -5, 0, 5, 4, 1]],
    ],
    dtype=np.int64,
)


@variants
def _classify_bands_variant(
    from_image: bool, wide_aperture: bool, l2_gradient: bool, multichannel: bool
):
    """The band kernel for one variant of the steps: gradients computed from the image or given,
    aperture 3 or 5/7, L2 or L1 norm, several channels or one (see :func:`fastseg._config.variants`:
    a first call compiles about half the code of a kernel that serves them all).
    """

    @kernel(opt=1)
    def classify_bands(
        image, dx_rows, dy_rows, magnitude_type, n_channels, aperture_size, scale_aperture_7,
        wrap_int32, low, high, follow, band_rows, edge_map, gradient_rows, magnitude_rows, stacks,
        first_band, band_step,
    ):  # fmt: skip
        """Sobel, magnitude, suppression, double threshold and in-band hysteresis of bands of rows.

        Classifies the bands first_band, first_band + band_step, ... of `band_rows` rows each, so
        that `band_step` threads calling it with first_band = 0, 1, ... cover the image. Each band
        computes the gradients of one more row on each side (the halo that suppression needs) but
        writes only its own rows.

        Parameters
        ----------
        image : (H, W * C) uint8, uint16, float32 or float64, C-contiguous rows of a C-channel
            image; read when `from_image`
        dx_rows, dy_rows : (H, W * C) derivatives of the same layout, read when not `from_image`;
            their dtype is that of the derivatives: int16 for uint8 images (OpenCV's), int32 for
            uint16 ones, float64 for float ones
        magnitude_type : (0,) array whose dtype is that of the magnitudes: int32 (OpenCV's, with its
            wrap-around) with int16 derivatives, int64 with int32 ones, float64 with float64 ones
        n_channels : int, C (more than 1 for a multichannel variant, 1 otherwise)
        aperture_size : int, 3, 5 or 7: 5 or 7 for a wide-aperture variant, 3 otherwise
        scale_aperture_7 : bool, divide the derivatives of aperture 7 by 16, rounded half to even
            (OpenCV's, for 8-bit images: they would not fit in int16 otherwise)
        wrap_int32 : bool, take the bound of the 67.5° sector in int32 with wrap-around, as OpenCV
            does for int16 derivatives
        low, high : magnitude thresholds (squared for L2), ``low <= high``, of the magnitudes' type
        follow : bool, follow strong pixels through candidates inside the band (else EDGE marks the
            strong pixels alone, CANDIDATE the weak ones)
        band_rows : int
        edge_map : (H, W) uint8, its rows of the bands classified overwritten with NOT_EDGE,
            CANDIDATE and EDGE; links across band borders are left to :func:`link_bands`.
        gradient_rows, magnitude_rows, stacks : work memory, one row per thread (row first_band
            is this call's), from :func:`classify_scratch`
        first_band, band_step : int, the bands to classify

        Notes
        -----
        Written as one function on purpose, and serial: each step is a loop over views that start at
        index 0 (which lets the compiler drop negative-index handling and vectorise), and one body
        compiles in a fraction of the time of a small function per step (each compiled alone, then
        optimised again inside every caller) or of a ``prange`` loop around it. The source that a
        variant does not read is an empty array of the same type.
        """
        height, width = edge_map.shape
        c = n_channels
        n_flat = width * c
        radius = aperture_size // 2
        pad = radius * c
        taps = SOBEL_TAPS[max(0, radius - 2), :, 3 - radius : 4 + radius]  # centred on `radius`
        # A zero of the magnitudes' type: added to a value, it brings it to the type the arithmetic
        # runs in (int64 for integers of any width, float64 for floats).
        zero = magnitude_type.dtype.type(0)
        # This call's work rows, given by the caller (an allocation compiles code of its own).
        gradient_work = gradient_rows[first_band]
        magnitude_work = magnitude_rows[first_band]
        # Vertical Sobel sums of a row with `pad` replicated elements at each end, in the type of
        # the derivatives: for 8-bit images they fit in int16 for every aperture (at most
        # 64 * 255).
        sums = gradient_work[0:2]
        smooth = sums[0]
        deriv = sums[1]
        inner_smooth = smooth[pad : pad + n_flat]
        inner_deriv = deriv[pad : pad + n_flat]
        # dx and dy of apertures 5 and 7 before rounding, in the magnitudes' type.
        wide = magnitude_work[0:2]
        wide_dx = wide[0]
        wide_dy = wide[1]
        # Three rolling rows: magnitude (pixel j at index j + 1, zero at both ends), dx and dy of
        # the strongest channel.
        magnitude = magnitude_work[2:5]
        for slot in range(3):
            magnitude[slot, 0] = 0
            magnitude[slot, width + 1] = 0
        dx = gradient_work[2:5]
        dy = gradient_work[5:8]
        # The derivatives and magnitudes of every channel, with several channels (pixel t's
        # magnitude at index t + 1, after a zero).
        channels_dx = gradient_work[8]
        channels_dy = gradient_work[9]
        channels_magnitude = magnitude_work[5]
        channels_magnitude[0] = 0
        # Every pixel of a band is pushed at most once (it is EDGE from then on).
        stack = stacks[first_band]
        n_bands = (height + band_rows - 1) // band_rows
        for band in range(first_band, n_bands, band_step):
            row_start = band * band_rows
            row_stop = min(height, row_start + band_rows)
            top = 0
            for i in range(row_start - 1, row_stop + 1):
                slot = (i - row_start + 1) % 3
                if i < 0 or i >= height:
                    outside = magnitude[slot]
                    for j in range(width + 2):
                        outside[j] = 0
                else:
                    # Where the gradients of every channel go: with one channel, the rolling rows.
                    # Chosen anew for each row: an array variable carried from row to row keeps
                    # the compiler from optimising the loops that use it (2-3 times slower).
                    flat_dx = channels_dx if multichannel else dx[slot]
                    flat_dy = channels_dy if multichannel else dy[slot]
                    flat_magnitude = channels_magnitude if multichannel else magnitude[slot]
                    if not from_image:
                        row_dx = dx_rows[i]
                        row_dy = dy_rows[i]
                        for t in range(n_flat):
                            flat_dx[t] = row_dx[t]
                            flat_dy[t] = row_dy[t]
                    else:
                        # Sobel with replicated borders: vertical taps on the image rows into the
                        # inner part of `smooth` and `deriv`, replicated ends, then horizontal taps
                        # on views of the sums shifted by k pixels (element t of a view is the sum
                        # at t + k * c).
                        if not wide_aperture:
                            r0 = image[max(i - 1, 0)]
                            r1 = image[i]
                            r2 = image[min(i + 1, height - 1)]
                            for t in range(n_flat):  # smoothing (1, 2, 1), derivative (-1, 0, 1)
                                a = zero + r0[t]
                                inner_smooth[t] = a + 2 * r1[t] + r2[t]
                                inner_deriv[t] = (zero + r2[t]) - a
                        else:  # apertures 5 and 7: the rows at distance r above and below
                            # together (the taps are symmetric); the sums fit all along.
                            centre = image[i]
                            centre_tap = taps[0, radius]
                            for t in range(n_flat):
                                inner_smooth[t] = centre_tap * (zero + centre[t])
                                inner_deriv[t] = 0
                            for r in range(1, radius + 1):
                                above = image[max(i - r, 0)]
                                below = image[min(i + r, height - 1)]
                                smooth_tap = taps[0, radius + r]
                                deriv_tap = taps[1, radius + r]
                                for t in range(n_flat):
                                    a = zero + above[t]
                                    b = zero + below[t]
                                    inner_smooth[t] += smooth_tap * (a + b)
                                    inner_deriv[t] += deriv_tap * (b - a)
                        for p in range(pad):  # `pad` is a multiple of c: replicate pixel by pixel
                            first = pad + p % c
                            last = pad + n_flat - c + p % c
                            smooth[p] = smooth[first]
                            deriv[p] = deriv[first]
                            smooth[pad + n_flat + p] = smooth[last]
                            deriv[pad + n_flat + p] = deriv[last]
                        if not wide_aperture:
                            s0, s2 = smooth[0:n_flat], smooth[2 * c : 2 * c + n_flat]
                            d0, d1, d2 = (
                                deriv[0:n_flat],
                                deriv[c : c + n_flat],
                                deriv[2 * c : 2 * c + n_flat],
                            )
                            for t in range(n_flat):
                                flat_dx[t] = s2[t] - s0[t]
                                flat_dy[t] = d0[t] + 2 * d1[t] + d2[t]
                        else:  # dx and dy in the magnitudes' type (aperture 7 scaled afterwards)
                            centre_tap = taps[0, radius]
                            for t in range(n_flat):
                                wide_dx[t] = 0
                                wide_dy[t] = centre_tap * inner_deriv[t]
                            for k in range(1, radius + 1):
                                left = (radius - k) * c
                                right = (radius + k) * c
                                smooth_left = smooth[left : left + n_flat]
                                smooth_right = smooth[right : right + n_flat]
                                deriv_left = deriv[left : left + n_flat]
                                deriv_right = deriv[right : right + n_flat]
                                smooth_tap = taps[0, radius + k]
                                deriv_tap = taps[1, radius + k]
                                for t in range(n_flat):
                                    wide_dx[t] += deriv_tap * (smooth_right[t] - smooth_left[t])
                                    wide_dy[t] += smooth_tap * (deriv_left[t] + deriv_right[t])
                            if aperture_size == 5 or not scale_aperture_7:
                                for t in range(n_flat):
                                    flat_dx[t] = wide_dx[t]
                                    flat_dy[t] = wide_dy[t]
                            else:  # / 16, rounded half to even as OpenCV rounds its scaled Sobel
                                for t in range(n_flat):  # (integer derivatives only)
                                    vx = np.int64(wide_dx[t])
                                    vy = np.int64(wide_dy[t])
                                    qx = vx >> 4
                                    rx = vx & 15
                                    qy = vy >> 4
                                    ry = vy & 15
                                    flat_dx[t] = qx + ((rx > 8) | ((rx == 8) & ((qx & 1) == 1)))
                                    flat_dy[t] = qy + ((ry > 8) | ((ry == 8) & ((qy & 1) == 1)))
                    # Magnitudes: the stores into int32 wrap like C's int arithmetic.
                    row_magnitude = flat_magnitude[1 : n_flat + 1]
                    if l2_gradient:
                        for t in range(n_flat):
                            x = zero + flat_dx[t]
                            y = zero + flat_dy[t]
                            row_magnitude[t] = x * x + y * y
                    else:
                        for t in range(n_flat):
                            row_magnitude[t] = abs(zero + flat_dx[t]) + abs(zero + flat_dy[t])
                    if multichannel:  # each pixel takes the first channel of largest magnitude
                        pixel_magnitude = magnitude[slot]
                        pixel_dx = dx[slot]
                        pixel_dy = dy[slot]
                        for j in range(width):
                            best = j * c
                            for k in range(j * c + 1, (j + 1) * c):
                                if row_magnitude[k] > row_magnitude[best]:
                                    best = k
                            pixel_magnitude[1 + j] = row_magnitude[best]
                            pixel_dx[j] = flat_dx[best]
                            pixel_dy[j] = flat_dy[best]
                if i < row_start + 1:
                    continue
                # Rows i - 2, i - 1 and i are ready: non-maximum suppression and double threshold
                # of row i - 1, by blocks. A block with no magnitude above `low` (most of a photo)
                # is NOT_EDGE at once. Every EDGE is pushed as (row - row_start) * width + j.
                row = i - 1
                mid = (slot + 2) % 3
                up_row = magnitude[(slot + 1) % 3]
                mid_row = magnitude[mid]
                down_row = magnitude[slot]
                row_states = edge_map[row]
                for start in range(0, width, SUPPRESS_BLOCK):
                    stop = min(width, start + SUPPRESS_BLOCK)
                    states = row_states[start:stop]
                    n_above = 0
                    above = mid_row[start + 1 : stop + 1]
                    for t in range(stop - start):
                        n_above += np.int32(above[t] > low)
                    if n_above == 0:
                        for t in range(stop - start):
                            states[t] = NOT_EDGE
                        continue
                    # Pixel t of the block is at index t + 1 of the magnitude views. Every pixel
                    # takes the same branch-free steps (all eight neighbours are read, then
                    # selected), so that the loop runs in SIMD lanes: a branch per pixel on the
                    # direction would be mispredicted all along textured areas.
                    mag_up = up_row[start : stop + 2]
                    mag = mid_row[start : stop + 2]
                    mag_down = down_row[start : stop + 2]
                    block_dx = dx[mid, start:stop]
                    block_dy = dy[mid, start:stop]
                    n_strong = 0
                    for t in range(stop - start):
                        m = mag[t + 1]
                        xs = zero + block_dx[t]
                        ys = zero + block_dy[t]
                        # The sector, in Q15 fixed point (in float64 for float images: exact for
                        # the derivatives of float32 pixels, rounded for float64 ones).
                        x = abs(xs)
                        y = abs(ys) * 32768
                        tg22x = x * TAN_22_5_Q15
                        tg67x = tg22x + x * 65536
                        if wrap_int32:  # as int32 in C (only derivatives near 2**15 reach it)
                            tg67x = (tg67x + 2147483648) % 4294967296 - 2147483648
                        horizontal = y < tg22x  # within 22.5° of horizontal: compare left and right
                        vertical = (y > tg67x) & ~horizontal  # beyond 67.5°: compare up and down
                        same_sign = (xs < 0) == (ys < 0)  # dx and dy of the same sign
                        # Diagonal: up-left and down-right when dx and dy have the same sign, else
                        # up-right and down-left (y grows downwards); both must be beaten strictly.
                        left, right = mag[t], mag[t + 2]
                        up, down = mag_up[t + 1], mag_down[t + 1]
                        up_left, up_right = mag_up[t], mag_up[t + 2]
                        down_left, down_right = mag_down[t], mag_down[t + 2]
                        diagonal_before = up_left if same_sign else up_right
                        diagonal_after = down_right if same_sign else down_left
                        before = left if horizontal else (up if vertical else diagonal_before)
                        after = right if horizontal else (down if vertical else diagonal_after)
                        straight = horizontal | vertical
                        beats_after = (m > after) | ((m == after) & straight)
                        peak = (m > low) & (m > before) & beats_after
                        strong = peak & (m > high)
                        # EDGE (2) if strong, CANDIDATE (0) if a weak peak, else NOT_EDGE (1).
                        states[t] = 1 - np.int32(peak) + 2 * np.int32(strong)
                        n_strong += np.int32(strong)
                    if n_strong > 0:
                        base = (row - row_start) * width + start
                        for t in range(stop - start):
                            if states[t] == EDGE:
                                stack[top] = base + t
                                top += 1
            if follow:
                follow_edges_in_band(edge_map, stack, np.int64(top), row_start, row_stop)

    return classify_bands


def classify_bands(from_image: bool, aperture_size: int, l2_gradient: bool, n_channels: int):
    """The variant of the band kernel (see :func:`_classify_bands_variant`) for these inputs."""
    return _classify_bands_variant(
        bool(from_image), aperture_size > 3, bool(l2_gradient), n_channels > 1
    )


def classify_scratch(shares, width, n_channels, aperture_size, band_rows, gradient_dtype,
                     magnitude_dtype):  # fmt: skip
    """Work memory of the band kernel for `shares` threads of a (H, W, C) image: gradient rows,
    magnitude rows (each as long as a row of Sobel sums) and stacks of pixels."""
    length = (width + 2 * (aperture_size // 2)) * n_channels
    return (
        np.empty((shares, 10, length), dtype=gradient_dtype),
        np.empty((shares, 6, length + 2), dtype=magnitude_dtype),
        np.empty((shares, band_rows * width), dtype=np.int64),
    )


@kernel(opt=1)
def follow_edges_in_band(edge_map, stack, top, row_start, row_stop):
    """Hysteresis inside rows [row_start, row_stop) of `edge_map`: follow the EDGE pixels pushed
    on stack[:top] (as (row - row_start) * width + column) through 8-connected CANDIDATEs, which
    become EDGE. `stack` has room for every pixel of the band (each is pushed at most once).
    Callers pass `top` as an int64 (``np.int64(top)``): a literal count would compile a second
    version."""
    width = edge_map.shape[1]
    while top > 0:
        top -= 1
        i = row_start + stack[top] // width
        j = stack[top] % width
        for ni in range(max(i - 1, row_start), min(i + 2, row_stop)):
            for nj in range(max(j - 1, 0), min(j + 2, width)):
                if edge_map[ni, nj] == CANDIDATE:
                    edge_map[ni, nj] = EDGE
                    stack[top] = (ni - row_start) * width + nj
                    top += 1


#: Stand-ins for the unused source of gradients of :func:`classify_bands`.
NO_IMAGE = np.empty((0, 0), dtype=np.uint8)
NO_GRADIENTS = np.empty((0, 0), dtype=np.int16)
#: The type of the magnitudes of int16 derivatives (OpenCV's).
INT32_MAGNITUDES = np.empty(0, dtype=np.int32)


@kernel(opt=1)
def link_bands(edge_map, band_rows):
    """Hysteresis across band borders, after :func:`classify_bands`: follow every EDGE that
    touches a CANDIDATE across a border into the whole map. Afterwards every CANDIDATE
    8-connected to an EDGE is EDGE."""
    height, width = edge_map.shape
    # The seeds: EDGE pixels on either side of a border that touch a CANDIDATE on the other side.
    # There are at most 2 * width per border; the stack grows if following them needs more.
    n_borders = max(0, (height - 1) // band_rows)
    stack = np.empty(max(1024, 2 * width * n_borders), dtype=np.int64)
    top = 0
    for border in range(band_rows, height, band_rows):
        for side in range(2):
            i = border - 1 + side
            across = edge_map[border - side]
            row = edge_map[i]
            for j in range(width):
                if row[j] == EDGE:
                    for k in range(max(j - 1, 0), min(j + 2, width)):
                        if across[k] == CANDIDATE:
                            stack[top] = i * width + j
                            top += 1
                            break
    while top > 0:
        top -= 1
        i = stack[top] // width
        j = stack[top] % width
        for ni in range(max(i - 1, 0), min(i + 2, height)):
            for nj in range(max(j - 1, 0), min(j + 2, width)):
                if edge_map[ni, nj] == CANDIDATE:
                    edge_map[ni, nj] = EDGE
                    if top == stack.shape[0]:  # twice the room
                        larger = np.empty(2 * top, dtype=np.int64)
                        for t in range(top):
                            larger[t] = stack[t]
                        stack = larger
                    stack[top] = ni * width + nj
                    top += 1


#: Lookup table that turns the three-state map into the edge image (EDGE to 255, else 0), for
#: ``cv2.LUT``.
FINISH_LUT = np.zeros(256, dtype=np.uint8)
FINISH_LUT[EDGE] = 255


@kernel(opt=1)
def band_histograms(values, band_rows, counts, first_band, band_step):
    """counts[b, v] = occurrences of v in rows [b * band_rows, (b + 1) * band_rows) of the
    (H, N) uint8 array `values`, for the bands b = first_band, first_band + band_step, ...;
    counts is (n_bands, 256) int64, those rows overwritten."""
    height, n = values.shape
    for band in range(first_band, counts.shape[0], band_step):
        band_counts = counts[band]
        for v in range(256):
            band_counts[v] = 0
        for i in range(band * band_rows, min(height, (band + 1) * band_rows)):
            row = values[i]
            for t in range(n):
                band_counts[row[t]] += 1
