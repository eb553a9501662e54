"""Canny edges by scikit-image's rules (``skimage.feature.canny``), for images of any bit depth.

The arithmetic is scikit-image's, step by step, so that edge maps agree pixel for pixel:

* The image is made float as ``img_as_float`` makes it: integers times ``1 / max`` in float64
  (signed ones clipped at -1), float32 kept. The working float type is float32 for float32 input
  and float64 otherwise; every step below stores its result in it, and :data:`single` says when
  that means rounding a float64 result to float32.
* Gaussian smoothing as ``scipy.ndimage.gaussian_filter``: along columns (axis 0), stored, then
  along rows, stored; each 1-D pass in float64 as ``x[0] * w[0]``, plus ``(x[-k] + x[k]) * w[k]``
  for k from the radius down to 1, with the border extension of the mode given as a table of
  source indices (-1 for the constant `cval`).
* Bleed-over: with ``mode='constant'`` or a mask, the smoothed image is divided by the smoothed
  mask (ones without a mask) plus the float type's epsilon, the image being zero outside the mask.
* Sobel as ``scipy.ndimage.sobel`` (reflected borders): the derivative ``x[1] - x[-1]`` along one
  axis, stored, then ``2 * x[0] + (x[-1] + x[1])`` along the other, stored; magnitude
  ``sqrt(i * i + j * j)`` in the float type.
* Non-maximum suppression interpolating the magnitude between the two neighbours on each side
  along the gradient, as scikit-image's Cython does it (the product of a neighbour and the weight
  in the float type, the rest in float64), inside the mask eroded by one pixel (never on the
  image border); a survivor is a candidate when its magnitude is ``>= low`` and strong when also
  ``>= high``. Candidates 8-connected to a strong pixel through candidates are edges.

Rounding a float64 result to float32 gives the float32 operation's result for each of +, -, *,
/ and sqrt, so the float32 steps of NumPy and of C are reproduced by float64 steps and a rounding.

The edge map is the three-state map of :mod:`fastseg._kernels.canny` (its :func:`link_bands`
links bands); no full-size float image is stored: each band keeps a few rows in rolling buffers.
"""

import numpy as np

from .._config import kernel
from .canny import CANDIDATE, EDGE, NOT_EDGE, follow_edges_in_band

#: The image dtypes :func:`classify_smoothed_bands` reads, by code.
IMAGE_DTYPES = tuple(
    np.dtype(t)
    for t in (np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32, np.float32, np.float64)
)


@kernel
def _stored(value, single):
    """`value` as the working float type stores it: rounded to float32 when `single`."""
    return np.float64(np.float32(value)) if single else value


@kernel
def _round_row(values, single):
    """Store `values` in the working float type: round to float32 when `single`."""
    if single:
        for t in range(values.shape[0]):
            values[t] = np.float32(values[t])


@kernel
def _tap(taps, first_slot, shift, t, width):
    """Tap t of :func:`_correlate`: taps[(first_slot + t) % n_rows, t * shift :][:width]."""
    start = t * shift
    return taps[(first_slot + t) % taps.shape[0], start : start + width]


@kernel
def _correlate(taps, first_slot, shift, weights, out):
    """out = the symmetric `weights` correlated with the 2r + 1 taps, in scipy's order.

    Tap t (offset t - r) is row (first_slot + t) % n_rows of `taps` from column t * shift: the
    rows of a ring (shift 0) or shifted views of one row (one row, shift 1). The sum is scipy's,
    ``tap[r] * w[0]``, plus ``(tap[r - k] + tap[r + k]) * w[k]`` for k from r down to 1, each
    step rounded to float64. Two steps are taken per pass over `out`, with the same roundings:
    fewer loads and stores of `out` (15-30% less time per pass than one step, measured on rows
    of 2048).
    """
    r = weights.shape[0] - 1
    width = out.shape[0]
    centre = _tap(taps, first_slot, shift, r, width)
    w0 = weights[0]
    # The first pass starts from the centre; the others add to `out`.
    if r == 0:
        for j in range(width):
            out[j] = centre[j] * w0
    elif r == 1:
        a = _tap(taps, first_slot, shift, 0, width)
        b = _tap(taps, first_slot, shift, 2, width)
        w = weights[1]
        for j in range(width):
            out[j] = centre[j] * w0 + (a[j] + b[j]) * w
    else:
        a1 = _tap(taps, first_slot, shift, 0, width)
        b1 = _tap(taps, first_slot, shift, 2 * r, width)
        a2 = _tap(taps, first_slot, shift, 1, width)
        b2 = _tap(taps, first_slot, shift, 2 * r - 1, width)
        w1, w2 = weights[r], weights[r - 1]
        for j in range(width):
            out[j] = (centre[j] * w0 + (a1[j] + b1[j]) * w1) + (a2[j] + b2[j]) * w2
    k = max(r - 2, 0)
    while k >= 2:
        a1 = _tap(taps, first_slot, shift, r - k, width)
        b1 = _tap(taps, first_slot, shift, r + k, width)
        a2 = _tap(taps, first_slot, shift, r - k + 1, width)
        b2 = _tap(taps, first_slot, shift, r + k - 1, width)
        w1, w2 = weights[k], weights[k - 1]
        for j in range(width):
            out[j] = (out[j] + (a1[j] + b1[j]) * w1) + (a2[j] + b2[j]) * w2
        k -= 2
    if k == 1:
        a = _tap(taps, first_slot, shift, r - 1, width)
        b = _tap(taps, first_slot, shift, r + 1, width)
        w = weights[1]
        for j in range(width):
            out[j] += (a[j] + b[j]) * w


@kernel
def _correlate_line(line, weights, source_columns, cval, out, single):
    """out = `line`'s middle correlated with the symmetric `weights`, stored.

    line : (W + 2r,) float64, contiguous, with the W values at [r, r + W); its ends are filled
        here from `source_columns` (the index in [0, W) of each extended position, -1 for
        `cval`).
    """
    r = weights.shape[0] - 1
    width = out.shape[0]
    for q in range(r):
        for p in (q, width + r + q):
            source = source_columns[p]
            line[p] = cval if source < 0 else line[r + source]
    _correlate(line.reshape((1, line.shape[0])), 0, 1, weights, out)
    _round_row(out, single)


@kernel
def _correlate_rows(rows, s, weights, out, single):
    """out = the column pass of row s: rows of extended position p are rows[(p + r) % (2r + 1)]
    (a ring), correlated with the symmetric `weights` in scipy's order, stored."""
    _correlate(rows, s, 0, weights, out)
    _round_row(out, single)


@kernel(division_checks=False)
def classify_smoothed_bands(
    image, dtype_code, mask, scale, clip_negative, weights, source_rows, source_columns, cval,
    bleed, eps, single, low, high, magnitude_out, follow, band_rows, edge_map, nonfinite,
    first_band, band_step,
):  # fmt: skip
    """Smoothing, Sobel, magnitude, suppression, double threshold and in-band hysteresis of the
    bands first_band, first_band + band_step, ... of `band_rows` rows.

    Parameters
    ----------
    image : (H, W * itemsize) uint8, the bytes of C-contiguous rows of an image of dtype
        :data:`IMAGE_DTYPES` [dtype_code]
    dtype_code : int
    mask : (H, W) uint8, nonzero inside the mask, or (0, 0) for no mask
    scale : float64, the factor to float (``1 / max`` of integers, 1 for floats)
    clip_negative : bool, clip converted values at -1 (signed integers)
    weights : (r + 1,) float64, the Gaussian weight of offsets 0, 1, ..., r
    source_rows, source_columns : (H + 2r,) and (W + 2r,) int64, the source index of each
        extended position (position p stands for index p - r), -1 for `cval`
    cval : float64
    bleed : bool, divide by the smoothed mask (ones without a mask) plus `eps`
    eps : float64, the machine epsilon of the working float type
    single : bool, the working float type is float32
    low, high : float64, the thresholds (as the comparisons see them)
    magnitude_out : (H, W) float64 to receive the magnitudes instead of classifying, or (0, 0)
    follow : bool, follow strong pixels through candidates inside the band (else EDGE marks the
        strong pixels alone)
    band_rows : int
    edge_map : (H, W) uint8, the rows of the bands overwritten with NOT_EDGE, CANDIDATE and EDGE
    nonfinite : (n_bands,) uint8, set to 1 for a band that read NaN or infinity (float images;
        the caller zeroes it and refuses the image then)
    first_band, band_step : int
    """
    height, width = edge_map.shape
    r = weights.shape[0] - 1
    span = 2 * r + 1
    has_mask = mask.shape[0] > 0
    magnitudes_only = magnitude_out.shape[0] > 0
    # Float image rows (and mask rows) of the extended positions the column pass needs, by
    # position modulo 2r + 1.
    rows = np.empty((span, width))
    mask_rows = np.empty((span if has_mask and bleed else 0, width))
    line = np.empty(width + 2 * r)
    column_pass = line[r : r + width]
    bleed_row = np.empty(width)
    bleed_for = np.nan  # the column-pass value bleed_row was computed for (no mask)
    # Rolling rows by row index modulo 3: the smoothed image with one reflected element at each
    # end, its derivative along rows, and the Sobel results.
    smoothed = np.empty((3, width + 2))
    row_derivative = np.empty((3, width))
    column_derivative = np.empty(width + 2)
    isobel = np.empty((3, width))
    jsobel = np.empty((3, width))
    magnitude = np.empty((3, width))
    stack = np.empty(band_rows * width, dtype=np.int64)
    above_low = np.empty(width, dtype=np.int64)  # columns of one row, see the suppression
    n_bands = (height + band_rows - 1) // band_rows
    for band in range(first_band, n_bands, band_step):
        row_start = band * band_rows
        row_stop = min(height, row_start + band_rows)
        for i in range(row_start, row_stop):
            states = edge_map[i]
            for j in range(width):
                states[j] = NOT_EDGE
        top = 0
        # Gradient rows g_first..g_last (the band and its halo); smoothed rows one further.
        g_first = max(row_start - 1, 0)
        g_last = min(row_stop, height - 1)
        s_first = max(g_first - 1, 0)
        s_last = min(g_last + 1, height - 1)
        loaded = s_first - r - 1  # the last extended position in `rows`
        for s in range(s_first, s_last + 1):
            while loaded < s + r:
                loaded += 1
                slot = (loaded + r) % span
                source = source_rows[loaded + r]
                values = rows[slot]
                if source < 0:
                    for j in range(width):
                        values[j] = cval
                else:
                    # The row's bytes read as the image's dtype (one branch each, one compiled
                    # kernel for all).
                    raw = image[source]
                    if dtype_code == 0:
                        for j in range(width):
                            values[j] = np.float64(raw[j]) * scale
                    elif dtype_code == 1:
                        as_uint16 = raw.view(np.uint16)
                        for j in range(width):
                            values[j] = np.float64(as_uint16[j]) * scale
                    elif dtype_code == 2:
                        as_uint32 = raw.view(np.uint32)
                        for j in range(width):
                            values[j] = np.float64(as_uint32[j]) * scale
                    elif dtype_code == 3:
                        as_int8 = raw.view(np.int8)
                        for j in range(width):
                            values[j] = np.float64(as_int8[j]) * scale
                    elif dtype_code == 4:
                        as_int16 = raw.view(np.int16)
                        for j in range(width):
                            values[j] = np.float64(as_int16[j]) * scale
                    elif dtype_code == 5:
                        as_int32 = raw.view(np.int32)
                        for j in range(width):
                            values[j] = np.float64(as_int32[j]) * scale
                    else:
                        if dtype_code == 6:
                            as_float32 = raw.view(np.float32)
                            for j in range(width):
                                values[j] = np.float64(as_float32[j]) * scale
                        else:
                            as_float64 = raw.view(np.float64)
                            for j in range(width):
                                values[j] = as_float64[j] * scale
                        # x - x is 0 for finite x, NaN for NaN and infinity: any that is not 0
                        # flags the band (the caller refuses the image). An or of comparisons,
                        # not a sum, so that the loop runs in SIMD lanes.
                        nonzero = False
                        for j in range(width):
                            nonzero |= values[j] - values[j] != 0.0
                        if nonzero:
                            nonfinite[band] = 1
                    if clip_negative:
                        for j in range(width):
                            values[j] = max(values[j], -1.0)
                    if has_mask:
                        inside = mask[source]
                        for j in range(width):
                            if inside[j] == 0:
                                values[j] = 0.0
                if has_mask and bleed:
                    mask_values = mask_rows[slot]
                    if source < 0:
                        for j in range(width):
                            mask_values[j] = cval
                    else:
                        inside = mask[source]
                        for j in range(width):
                            mask_values[j] = 1.0 if inside[j] != 0 else 0.0
            # The column pass of row s, then the row pass, straight into the rolling rows.
            slot = s % 3
            padded = smoothed[slot]
            inner = padded[1 : width + 1]
            _correlate_rows(rows, s, weights, column_pass, single)
            _correlate_line(line, weights, source_columns, cval, inner, single)
            if bleed:
                if has_mask:
                    _correlate_rows(mask_rows, s, weights, column_pass, single)
                    new_bleed = True
                else:
                    # Ones: the column pass is the same along the row, and rows with the same
                    # value (all but those near the top and bottom) share the row pass.
                    value = weights[0]
                    for k in range(r, 0, -1):
                        above = 1.0 if source_rows[s - k + r] >= 0 else cval
                        below = 1.0 if source_rows[s + k + r] >= 0 else cval
                        value += (above + below) * weights[k]
                    value = _stored(value, single)
                    new_bleed = value != bleed_for
                    if new_bleed:
                        bleed_for = value
                        for j in range(width):
                            column_pass[j] = value
                if new_bleed:
                    _correlate_line(line, weights, source_columns, cval, bleed_row, single)
                    for j in range(width):
                        bleed_row[j] += eps
                    _round_row(bleed_row, single)
                for j in range(width):
                    quotient = inner[j] / bleed_row[j]
                    inner[j] = _stored(quotient, single)
            padded[0] = padded[1]
            padded[width + 1] = padded[width]
            # Derivative along the row (axis 1), for jsobel.
            after = padded[2 : width + 2]
            before = padded[0:width]
            derivative = row_derivative[slot]
            for j in range(width):
                difference = after[j] - before[j]
                derivative[j] = _stored(difference, single)
            # Gradient rows now complete: g = s - 1, and g = s on the last row.
            for g in range(s - 1, s + 1 if s == height - 1 else s):
                if g < g_first or g > g_last:
                    continue
                up = max(g - 1, 0) % 3
                down = min(g + 1, height - 1) % 3
                mid = g % 3
                row_i = isobel[mid]
                row_j = jsobel[mid]
                row_m = magnitude[mid]
                d_mid, d_up, d_down = row_derivative[mid], row_derivative[up], row_derivative[down]
                # The derivative along columns, with the reflected element at each end that
                # scipy's smoothing along rows reads; then jsobel, isobel and the magnitude in
                # one pass.
                s_up = smoothed[up]
                s_down = smoothed[down]
                for j in range(width + 2):
                    difference = s_down[j] - s_up[j]
                    column_derivative[j] = _stored(difference, single)
                for j in range(width):
                    value = d_mid[j] * 2.0 + (d_up[j] + d_down[j])
                    gj = _stored(value, single)
                    value = column_derivative[j + 1] * 2.0 + (
                        column_derivative[j] + column_derivative[j + 2]
                    )
                    gi = _stored(value, single)
                    row_j[j] = gj
                    row_i[j] = gi
                    squares = _stored(gi * gi, single) + _stored(gj * gj, single)
                    row_m[j] = _stored(np.sqrt(_stored(squares, single)), single)
                if magnitudes_only:
                    if row_start <= g < row_stop:
                        out = magnitude_out[g]
                        for j in range(width):
                            out[j] = row_m[j]
                    continue
                x = g - 1
                if x < row_start or x >= row_stop or x < 1 or x > height - 2:
                    continue
                m_up = magnitude[(x - 1) % 3]
                m_mid = magnitude[x % 3]
                m_down = magnitude[(x + 1) % 3]
                i_row = isobel[x % 3]
                j_row = jsobel[x % 3]
                states = edge_map[x]
                # The columns at or above the low threshold first, without branches (most
                # pixels are below it, in no pattern a branch predictor could learn); then
                # those alone, their four directions chosen by selects, not branches.
                n_above = 0
                for y in range(1, width - 1):
                    above_low[n_above] = y
                    n_above += m_mid[y] >= low
                base = (x - row_start) * width
                for c in range(n_above):
                    y = above_low[c]
                    if has_mask:
                        inside = True
                        for a_row in range(x - 1, x + 2):
                            for a_col in range(y - 1, y + 2):
                                if mask[a_row, a_col] == 0:
                                    inside = False
                        if not inside:
                            continue
                    m = m_mid[y]
                    gi = i_row[y]
                    gj = j_row[y]
                    abs_i = abs(gi)
                    abs_j = abs(gj)
                    same_sign = (gi <= 0) == (gj <= 0)
                    # The gradient nearer axis 0 than axis 1, ties sent as scikit-image's
                    # branches send them.
                    i_major = abs_i > abs_j if same_sign else abs_i >= abs_j
                    numerator = abs_j if i_major else abs_i
                    denominator = abs_i if i_major else abs_j
                    above, below = m_up[y], m_down[y]
                    n11 = (below if same_sign else above) if i_major else m_mid[y + 1]
                    n21 = (above if same_sign else below) if i_major else m_mid[y - 1]
                    n12 = m_down[y + 1] if same_sign else m_up[y + 1]
                    n22 = m_up[y - 1] if same_sign else m_down[y - 1]
                    # A zero gradient gives 0 / 0 = NaN (no ZeroDivisionError: the kernel is
                    # compiled without division checks), and no comparison with NaN holds;
                    # scikit-image skips the pixel too. A zero denominator only comes with a
                    # zero numerator (the larger of the two).
                    w = numerator / denominator
                    w = _stored(w, single)
                    # The product in the working type, the rest in float64 (scikit-image's C).
                    plus = _stored(n12 * w, single) + n11 * (1.0 - w)
                    minus = _stored(n22 * w, single) + n21 * (1.0 - w)
                    # Without branches: whether a pixel survives follows no pattern either.
                    survives = (plus <= m) & (minus <= m)
                    strong = survives & (m >= high)
                    state = EDGE if strong else CANDIDATE
                    states[y] = state if survives else NOT_EDGE
                    stack[top] = base + y
                    top += strong
        if follow:
            follow_edges_in_band(edge_map, stack, np.int64(top), row_start, row_stop)
