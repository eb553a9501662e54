"""SLIC superpixels by scikit-image's rules (``skimage.segmentation.slic``), bit for bit.

The arithmetic is scikit-image's, in its order, in the working float type (float32 for float32
input, float64 otherwise); see :mod:`fastseg.superpixels` for the steps around these kernels.

* Lab as ``skimage.color.rgb2lab``: the sRGB curve (a power as ``np.power`` computes it), the
  3 x 3 product as OpenBLAS computes it (a chain of fused multiply-adds,
  ``x2*m2 + (x1*m1 + x0*m0)``, each rounded once), the reference white, a cube root as
  ``np.cbrt`` computes it (see :data:`SVML_NAMES`).
* Assignment as scikit-image's Cython loop: a pixel takes, among the centres whose window
  (centre +- 2 steps, truncated) covers it, the first (lowest index) of smallest
  ``((dz + dy + dx) * spatial_weight) + colour`` with ``dz = (sz * (cz - z))**2`` and the colour
  term summed channel by channel (divided by the centre's largest colour distance in SLIC-zero).
  Pixels no window covers keep their label.
* Centre sums in raster order: each centre's sums are added pixel by pixel in the order the
  serial loop adds them, so the bits do not depend on the number of threads. The image is cut
  into bands of rows; a centre belongs to the band holding the first row of its window, and that
  band adds all of the centre's pixels: its own rows while it labels them, then (after every band
  has labelled its rows) the rows of later bands the window reaches.

Working images are planar, (rows, channels, width) arrays of the working float type (each
channel of a row contiguous, for the SIMD lanes of the distance loop), whose rows are the (z, y)
rows of a volume in raster order, ``row = z * height + y``; the Lab kernels read the input's
(rows, width, 3) pixels and write that layout.
"""

import ctypes

import llvmlite.binding
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._config import kernel
from .smooth_canny import _correlate_line


@intrinsic
def fused_multiply_add(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``fma``), for floats of one type."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        float_type = args[0].type
        function_type = ir.FunctionType(float_type, [float_type] * 3)
        function = builder.module.declare_intrinsic("llvm.fma", [float_type], function_type)
        return builder.call(function, args)

    return a(a, a, a), codegen


#: The functions of Intel's SVML that NumPy's ufuncs call for ``np.cbrt`` and ``np.power`` of
#: float64 and float32 arrays, by (function, single). NumPy's Linux x86-64 wheels carry SVML and
#: call it on CPUs with AVX-512; elsewhere NumPy calls the C library. The two differ in the last
#: bit for about half of all values, so the Lab kernels call what NumPy calls: their `svml`
#: argument chooses, at run time (see ``fastseg.superpixels.numpy_uses_svml``).
SVML_NAMES = {
    ("cbrt", False): "__svml_cbrt8_ha",
    ("pow", False): "__svml_pow8_ha",
    ("cbrt", True): "__svml_cbrtf16",
    ("pow", True): "__svml_powf16",
}


def _numpy_math_library():
    """NumPy's compiled math module (its SVML functions are exported there)."""
    try:
        from numpy._core import _multiarray_umath
    except ImportError:  # NumPy 1.26
        from numpy.core import _multiarray_umath
    return ctypes.CDLL(_multiarray_umath.__file__)


#: What the SVML names stand for where NumPy has no SVML: the kernels never call it then.
_NEVER_CALLED = ctypes.CFUNCTYPE(None)(lambda: None)


def _register_svml() -> bool:
    """Tell the JIT linker where NumPy's SVML functions are; whether NumPy has them."""
    try:
        library = _numpy_math_library()
        functions = [getattr(library, name) for name in SVML_NAMES.values()]
        found = True
    except (OSError, AttributeError):
        functions = [_NEVER_CALLED] * len(SVML_NAMES)
        found = False
    for name, function in zip(SVML_NAMES.values(), functions, strict=True):
        llvmlite.binding.add_symbol(name, ctypes.cast(function, ctypes.c_void_p).value)
    return found


#: Whether NumPy's SVML functions are there to be called.
SVML_FOUND = _register_svml()


def _c_call(builder, name, args, lanes):
    """Call the C function `name` of `lanes` floats of args' type per argument (SVML's vector
    functions for lanes > 1, the value in lane 0), and return lane 0 of its result."""
    float_type = args[0].type
    if lanes == 1:
        function_type = ir.FunctionType(float_type, [float_type] * len(args))
        function = cgutils.get_or_insert_function(builder.module, function_type, name)
        return builder.call(function, args)
    vector_type = ir.VectorType(float_type, lanes)
    function_type = ir.FunctionType(vector_type, [vector_type] * len(args))
    function = cgutils.get_or_insert_function(builder.module, function_type, name)
    ones = ir.Constant(vector_type, [ir.Constant(float_type, 1.0)] * lanes)
    lane_0 = ir.Constant(ir.IntType(32), 0)
    vectors = [builder.insert_element(ones, value, lane_0) for value in args]
    return builder.extract_element(builder.call(function, vectors), lane_0)


@intrinsic
def numpy_cbrt(typingctx, x, svml):
    """``np.cbrt(x)``: SVML's cube root when `svml`, else the C library's ``cbrt`` (``cbrtf``
    for float32; Numba's own float32 cube root goes through float64, which rounds differently)."""
    if not isinstance(x, types.Float):
        return None
    return x(x, types.boolean), _math_codegen("cbrt", ("cbrt", "cbrtf"))


@intrinsic
def numpy_power(typingctx, x, y, svml):
    """``np.power(x, y)`` for floats of one type: SVML's when `svml`, else ``pow`` (``powf``)."""
    if not (isinstance(x, types.Float) and x == y):
        return None
    return x(x, y, types.boolean), _math_codegen("pow", ("pow", "powf"))


def _math_codegen(function, c_names):
    """The code of :func:`numpy_cbrt` and :func:`numpy_power`: a branch on `svml` (the last
    argument) between SVML's `function` and the C library's (c_names: double, float)."""

    def codegen(context, builder, signature, values):
        single = values[0].type == ir.FloatType()
        svml = context.cast(builder, values[-1], signature.args[-1], types.boolean)
        floats = values[:-1]
        with builder.if_else(svml) as (vector, scalar):
            with vector:
                name = SVML_NAMES[function, single]
                vector_result = _c_call(builder, name, floats, 16 if single else 8)
                vector_block = builder.block
            with scalar:
                scalar_result = _c_call(builder, c_names[single], floats, 1)
                scalar_block = builder.block
        result = builder.phi(values[0].type)
        result.add_incoming(vector_result, vector_block)
        result.add_incoming(scalar_result, scalar_block)
        return result

    return codegen


@intrinsic
def select(typingctx, condition, if_true, if_false):
    """``if_true if condition else if_false`` as one LLVM ``select``, without branches."""
    if if_true != if_false:
        return None

    def codegen(context, builder, signature, args):
        flag = context.cast(builder, args[0], signature.args[0], types.boolean)
        return builder.select(flag, args[1], args[2])

    return if_true(condition, if_true, if_false), codegen


@kernel
def _linear_rgb(value, constants, svml):
    """The sRGB curve of ``rgb2xyz``: ``((v + 0.055) / 1.055) ** 2.4`` above 0.04045, else
    ``v / 12.92``."""
    if value > constants[0]:
        return numpy_power((value + constants[1]) / constants[2], constants[3], svml)
    return value / constants[4]


@kernel
def _lab_root(t, white, constants, svml):
    """The f(t) of ``xyz2lab`` for t = X, Y or Z over the white's: cbrt above 0.008856, else
    ``7.787 * t + 16 / 116``."""
    t = t / white
    return numpy_cbrt(t, svml) if t > constants[5] else constants[6] * t + constants[7]


@kernel
def _xyz(r0, r1, r2, matrix, c):
    """Column c of (r0, r1, r2) @ matrix as OpenBLAS computes it: ``r2*m2 + (r1*m1 + r0*m0)``,
    each step one fused multiply-add."""
    return fused_multiply_add(
        r2, matrix[2, c], fused_multiply_add(r1, matrix[1, c], r0 * matrix[0, c])
    )


@kernel
def _store_lab(r0, r1, r2, constants, svml, matrix, white, scale, apply_scale, out, x):
    """out[:, x] = the Lab of linear RGB (r0, r1, r2), times `scale` when `apply_scale`."""
    x_ = _xyz(r0, r1, r2, matrix, 0)
    y_ = _xyz(r0, r1, r2, matrix, 1)
    z_ = _xyz(r0, r1, r2, matrix, 2)
    f0 = _lab_root(x_, white[0], constants, svml)
    f1 = _lab_root(y_, white[1], constants, svml)
    f2 = _lab_root(z_, white[2], constants, svml)
    lightness = constants[8] * f1 - constants[9]
    a = constants[10] * (f0 - f1)
    b = constants[11] * (f1 - f2)
    if apply_scale:
        lightness *= scale
        a *= scale
        b *= scale
    out[0, x] = lightness
    out[1, x] = a
    out[2, x] = b


@kernel
def linear_levels(values, constants, svml, out):
    """out[i] = the sRGB curve of values[i] (the table of :func:`levels_to_lab`)."""
    for i in range(values.shape[0]):
        out[i] = _linear_rgb(values[i], constants, svml)


#: Entries of each thread's colour cache in :func:`levels_to_lab` (a power of 2).
COLOR_CACHE_SIZE = 1 << 16


@kernel(division_checks=False)
def levels_to_lab(
    image, bits, linear, constants, svml, matrix, white, scale, apply_scale, cache_keys,
    cache_lab, out, band_rows, first_band, band_step,
):  # fmt: skip
    """out[row, :, x] = Lab of the integer RGB pixel image[row, x], for the bands of `band_rows`
    rows first_band, first_band + band_step, ...

    A pixel of the colour of its left neighbour, or of a colour in the thread's cache, copies
    its Lab: the conversion (three cube roots) is made once per colour and cache slot.

    Parameters
    ----------
    image : (rows, width, 3) unsigned integers of `bits` bits, indices into `linear`
    linear : (levels,) float, the sRGB curve of each level's value in [0, 1]
    constants : (12,) 0.04045, 0.055, 1.055, 2.4, 12.92, 0.008856, 7.787, 16 / 116, 116, 16,
        500, 200, in out's dtype (rounded as NumPy rounds Python floats)
    svml : bool, compute powers and cube roots with NumPy's SVML (see :data:`SVML_NAMES`)
    matrix : (3, 3) ``xyz_from_rgb.T`` and white : (3,) the D65 reference white, in out's dtype
    cache_keys : (n_threads, COLOR_CACHE_SIZE) int64, -1 on entry; cache_lab : (n_threads, 3,
        COLOR_CACHE_SIZE) of out's dtype; row first_band is this thread's
    out : (rows, 3, width) float32 or float64
    """
    n_rows = image.shape[0]
    keys = cache_keys[first_band]
    labs = cache_lab[first_band]
    slots = keys.shape[0] - 1
    for band in range(first_band, (n_rows + band_rows - 1) // band_rows, band_step):
        for r in range(band * band_rows, min(n_rows, (band + 1) * band_rows)):
            pixels = image[r]
            out_row = out[r]
            previous = np.int64(-1)
            slot = 0
            for x in range(pixels.shape[0]):
                key = (
                    (np.int64(pixels[x, 0]) << (2 * bits))
                    | (np.int64(pixels[x, 1]) << bits)
                    | np.int64(pixels[x, 2])
                )
                if key != previous:
                    previous = key
                    slot = ((key * 2654435761) >> 16) & slots
                    if keys[slot] != key:
                        keys[slot] = key
                        _store_lab(
                            linear[pixels[x, 0]], linear[pixels[x, 1]], linear[pixels[x, 2]],
                            constants, svml, matrix, white, scale, apply_scale, labs, slot,
                        )  # fmt: skip
                out_row[0, x] = labs[0, slot]
                out_row[1, x] = labs[1, slot]
                out_row[2, x] = labs[2, slot]


@kernel(division_checks=False)
def floats_to_lab(
    image, offset, extent, constants, svml, matrix, white, scale, apply_scale, out, band_rows,
    first_band, band_step,
):  # fmt: skip
    """As :func:`levels_to_lab` for float RGB: each value v is first rescaled to
    ``(v - offset) / extent`` (``v - offset`` when extent is 0) and put through the sRGB curve.

    image : (rows, width, 3) of out's dtype; offset, extent : of out's dtype
    """
    n_rows = image.shape[0]
    for band in range(first_band, (n_rows + band_rows - 1) // band_rows, band_step):
        for r in range(band * band_rows, min(n_rows, (band + 1) * band_rows)):
            pixels = image[r]
            out_row = out[r]
            for x in range(pixels.shape[0]):
                r0 = pixels[x, 0] - offset
                r1 = pixels[x, 1] - offset
                r2 = pixels[x, 2] - offset
                if extent != 0:
                    r0 = r0 / extent
                    r1 = r1 / extent
                    r2 = r2 / extent
                r0 = _linear_rgb(r0, constants, svml)
                r1 = _linear_rgb(r1, constants, svml)
                r2 = _linear_rgb(r2, constants, svml)
                _store_lab(
                    r0, r1, r2, constants, svml, matrix, white, scale, apply_scale, out_row, x
                )


@kernel
def smooth_lines(values, weights, sources, line, smoothed, first_line, line_step):
    """In place: each line ``values[a, :, b]`` correlated with the symmetric Gaussian `weights`
    as ``scipy.ndimage.gaussian_filter1d`` does (in float64, stored in values' dtype).

    Parameters
    ----------
    values : (A, L, B) float32 or float64; lines a * B + b for a = first_line // B, ...
    weights : (r + 1,) float64, the weights of offsets 0..r
    sources : (L + 2r,) int64, the index in [0, L) of each extended position (the border mode)
    line, smoothed : (n_threads, L + 2r) and (n_threads, L) float64 scratch, row ``first_line``
    """
    n_a, length, n_b = values.shape
    r = weights.shape[0] - 1
    own_line = line[first_line]
    own_smoothed = smoothed[first_line]
    for index in range(first_line, n_a * n_b, line_step):
        a = index // n_b
        b = index - a * n_b
        for t in range(length):
            own_line[r + t] = values[a, t, b]
        _correlate_line(own_line, weights, sources, 0.0, own_smoothed, False)
        for t in range(length):
            values[a, t, b] = own_smoothed[t]  # rounded to float32 when values are


@kernel
def _mask_row(mask, r):
    """Row r of `mask`: (rows, width) uint8, or (1, width) ones when there is no mask."""
    return mask[r if mask.shape[0] > 1 else 0]


@kernel
def _add_owned_row(image, mask, labels, r, z, y, coords, start_label, owner, band, sums, counts):
    """Add the pixels of row r whose centre `band` owns to that centre's sums, left to right.

    Each run of one label is added in registers (the same additions in the same order as pixel
    by pixel into the sums, without a store and a load between two of them)."""
    label_row = labels[r]
    pixels = image[r]
    inside = _mask_row(mask, r)
    n_colors = pixels.shape[0]
    width = label_row.shape[0]
    fz = coords[0][z]
    fy = coords[1][y]
    fx = coords[2]
    x = 0
    while x < width:
        if inside[x] == 0:
            x += 1
            continue
        label = label_row[x]
        end = x + 1
        while end < width and label_row[end] == label and inside[end] != 0:
            end += 1
        k = label - start_label
        if k >= 0 and owner[k] == band:
            counts[k] += end - x
            centre_sums = sums[k]
            sum_z = centre_sums[0]
            sum_y = centre_sums[1]
            sum_x = centre_sums[2]
            sum_0 = centre_sums[3]
            if n_colors == 3:
                sum_1 = centre_sums[4]
                sum_2 = centre_sums[5]
                for t in range(x, end):
                    sum_z += fz
                    sum_y += fy
                    sum_x += fx[t]
                    sum_0 += pixels[0, t]
                    sum_1 += pixels[1, t]
                    sum_2 += pixels[2, t]
                centre_sums[4] = sum_1
                centre_sums[5] = sum_2
            else:
                for t in range(x, end):
                    sum_z += fz
                    sum_y += fy
                    sum_x += fx[t]
                    sum_0 += pixels[0, t]
                for c in range(1, n_colors):
                    total = centre_sums[3 + c]
                    for t in range(x, end):
                        total += pixels[c, t]
                    centre_sums[3 + c] = total
            centre_sums[0] = sum_z
            centre_sums[1] = sum_y
            centre_sums[2] = sum_x
            centre_sums[3] = sum_0
        x = end


@kernel(division_checks=False)
def _color_distances(pixels, centre, x0, x1, scale, slic_zero, out):
    """out[x - x0] = sum over channels c, in order, of (pixels[c, x] - centre[3 + c])**2, divided
    by `scale` in SLIC-zero, for x in [x0, x1)."""
    span = out[: x1 - x0]
    first = pixels[0, x0:x1]
    value = centre[3]
    for x in range(span.shape[0]):
        t = first[x] - value
        span[x] = t * t
    for c in range(1, pixels.shape[0]):
        channel = pixels[c, x0:x1]
        value = centre[3 + c]
        for x in range(span.shape[0]):
            t = channel[x] - value
            span[x] += t * t
    if slic_zero:
        for x in range(span.shape[0]):
            span[x] /= scale


@kernel(division_checks=False)
def _take_closer(best, labels, xs, dzy, cx, sx, weight, colors, with_color, label, zero, no_bits):
    """Where ``(dzy + (sx * (cx - x))**2) * weight [+ colors]`` is below best, it becomes best
    and `label` the label (see :func:`_take_closer_3` for `zero` and `no_bits`)."""
    for x in range(best.shape[0]):
        dx = sx * (cx - xs[x])
        dx *= dx
        d = (dzy + dx) * weight
        if with_color:
            d += colors[x]
        old = best[x]
        closer = old > d
        best[x] = select(closer, d, old + zero)
        labels[x] = select(closer, label, labels[x] | no_bits)


@kernel(division_checks=False)
def _take_closer_3(best, labels, xs, dzy, cx, sx, weight, pixels, x0, centre, label, zero, no_bits):
    """:func:`_take_closer` with the colour term of 3 channels computed in the same loop.

    The values kept are written back plus `zero` (0.0) and or'ed with `no_bits` (0), arguments
    the compiler cannot see: a store of a plain select of the loaded value would be compiled as
    a masked store, which AMD CPUs execute several times slower than a blend and a store."""
    p0 = pixels[0, x0 : x0 + best.shape[0]]
    p1 = pixels[1, x0 : x0 + best.shape[0]]
    p2 = pixels[2, x0 : x0 + best.shape[0]]
    c0 = centre[3]
    c1 = centre[4]
    c2 = centre[5]
    for x in range(best.shape[0]):
        t = p0[x] - c0
        color = t * t
        t = p1[x] - c1
        color += t * t
        t = p2[x] - c2
        color += t * t
        dx = sx * (cx - xs[x])
        dx *= dx
        d = (dzy + dx) * weight + color
        old = best[x]
        closer = old > d
        best[x] = select(closer, d, old + zero)
        labels[x] = select(closer, label, labels[x] | no_bits)


@kernel(division_checks=False)
def assign_bands(
    image, mask, labels, segments, windows, height, coords, spacing, spatial_weight,
    color_scale, slic_zero, ignore_color, start_label, band_starts, owner, sums, counts, flags,
    distance, colors, candidates, zero, no_bits, first_band, band_step,
):  # fmt: skip
    """Label the rows of bands first_band, first_band + band_step, ... and add each row, once
    labelled, to the sums of the centres the band owns.

    Parameters
    ----------
    image : (rows, C, width) float, colours already scaled by 1 / compactness
    mask : (rows, width) uint8, nonzero inside, or (1, width) ones without a mask
    labels : (rows, width) int64, updated: pixels no window covers keep theirs
    segments : (K, 3 + C) float (z, y, x, colour), the centres
    windows : (K, 6) int64, z0, z1, y0, y1, x0, x1 of each centre's window (empty: z0 >= z1)
    height : int, rows per z plane
    coords : tuple of (depth,), (height,), (width,) arrays 0, 1, ... in image's dtype
    spacing : (3,) float; spatial_weight : float; both of image's dtype
    color_scale : (K,) float, SLIC-zero's largest colour distance of each centre
    band_starts : (n_bands + 1,) int64, the first row of each band
    owner : (K,) int64, the band that adds each centre's pixels (-1: none)
    sums : (K, 3 + C) float and counts : (K,) int64, zero on entry; the owned centres' are added
    flags : (2, n_bands) int64, zero on entry; flags[0, band] = 1 when some pixel of the band
        was in no window (it kept its label), flags[1, band] = 1 when some pixel was labelled
    distance, colors : (n_bands, width) float, candidates : (n_bands, K) int64, scratch
    zero, no_bits : 0.0 of image's dtype and int64 0 (see :func:`_take_closer_3`)
    """
    n_centres = segments.shape[0]
    start_label = np.int64(start_label)
    fused = image.shape[1] == 3 and not slic_zero and not ignore_color
    for band in range(first_band, band_starts.shape[0] - 1, band_step):
        first_row = band_starts[band]
        end_row = band_starts[band + 1]
        # The centres whose window reaches some row of the band, in index order.
        listed = candidates[band]
        n_listed = 0
        for k in range(n_centres):
            window = windows[k]
            if window[0] >= window[1] or window[2] >= window[3] or window[4] >= window[5]:
                continue
            first_row_of_window = window[0] * height + window[2]
            last_row_of_window = (window[1] - 1) * height + window[3] - 1
            if first_row_of_window < end_row and last_row_of_window >= first_row:
                listed[n_listed] = k
                n_listed += 1
        best = distance[band]
        color_span = colors[band]
        for r in range(first_row, end_row):
            z = r // height
            y = r - z * height
            label_row = labels[r]
            pixels = image[r]
            inside = _mask_row(mask, r)
            # inf stands for scikit-image's DBL_MAX (no finite distance reaches either); no
            # distance is below -inf, so pixels outside the mask keep their label.
            for x in range(best.shape[0]):
                best[x] = np.inf if inside[x] != 0 else -np.inf
            for i in range(n_listed):
                k = listed[i]
                window = windows[k]
                if not (window[0] <= z < window[1] and window[2] <= y < window[3]):
                    continue
                centre = segments[k]
                dz = spacing[0] * (centre[0] - coords[0][z])
                dz *= dz
                dy = spacing[1] * (centre[1] - coords[1][y])
                dy *= dy
                x0 = window[4]
                x1 = window[5]
                if fused:
                    _take_closer_3(
                        best[x0:x1], label_row[x0:x1], coords[2][x0:x1], dz + dy, centre[2],
                        spacing[2], spatial_weight, pixels, x0, centre, k + start_label, zero,
                        no_bits,
                    )  # fmt: skip
                    continue
                if not ignore_color:
                    _color_distances(pixels, centre, x0, x1, color_scale[k], slic_zero, color_span)
                _take_closer(
                    best[x0:x1], label_row[x0:x1], coords[2][x0:x1], dz + dy, centre[2],
                    spacing[2], spatial_weight, color_span, not ignore_color, k + start_label, zero,
                    no_bits,
                )  # fmt: skip
            for x in range(best.shape[0]):
                if best[x] == np.inf:
                    flags[0, band] = 1
                elif best[x] != -np.inf:
                    flags[1, band] = 1
            _add_owned_row(
                image, mask, labels, r, z, y, coords, start_label, owner, band, sums, counts
            )


@kernel
def add_owned_rows(
    image, mask, labels, height, coords, start_label, owner, row_ranges, sums, counts, first_band,
    band_step,
):  # fmt: skip
    """Add the rows ``row_ranges[band]`` (after every band was labelled) to the sums of the
    centres each band owns; the arguments are those of :func:`assign_bands`."""
    start_label = np.int64(start_label)
    for band in range(first_band, row_ranges.shape[0], band_step):
        for r in range(row_ranges[band, 0], row_ranges[band, 1]):
            z = r // height
            y = r - z * height
            _add_owned_row(
                image, mask, labels, r, z, y, coords, start_label, owner, band, sums, counts
            )


@kernel
def color_spread_bands(
    image, mask, labels, segments, start_label, band_starts, spread, first_band, band_step
):
    """SLIC-zero: spread[band, k] = the largest colour distance of a pixel of the band labelled k
    to centre k, where larger than the value on entry."""
    n_colors = image.shape[1]
    start_label = np.int64(start_label)
    for band in range(first_band, band_starts.shape[0] - 1, band_step):
        largest = spread[band]
        for r in range(band_starts[band], band_starts[band + 1]):
            label_row = labels[r]
            pixels = image[r]
            inside = _mask_row(mask, r)
            for x in range(label_row.shape[0]):
                if inside[x] == 0:
                    continue
                k = label_row[x] - start_label
                if k < 0:
                    continue
                centre = segments[k]
                color = pixels[0, x] - centre[3]
                color *= color
                for c in range(1, n_colors):
                    t = pixels[c, x] - centre[3 + c]
                    color += t * t
                if largest[k] < color:
                    largest[k] = color


@kernel
def _reach(labels, q, zz, yy, xx, label, new_code, found, size, adjacent):
    """One neighbour q = (zz, yy, xx) of the search: joined to the piece if it still has the
    piece's label, else remembered as adjacent if it has another new label (code <= -2)."""
    value = labels[q]
    if value == label:
        labels[q] = new_code
        found[size, 0] = q
        found[size, 1] = zz
        found[size, 2] = yy
        found[size, 3] = xx
        return size + 1, adjacent
    if value <= -2 and value != new_code:
        return size, value
    return size, adjacent


@kernel
def _search(labels, p, z, y, x, shape, min_size, max_size, new_code, found):
    """scikit-image's breadth-first search of the piece of pixel p = (z, y, x): its neighbours in
    the order x + 1, x - 1, y + 1, y - 1, z + 1, z - 1, stopping at `max_size` pixels. Codes the
    piece `new_code`, or the last other code it met when smaller than `min_size`. Returns whether
    new_code was used."""
    depth, height, width = shape
    plane = height * width
    label = labels[p]
    adjacent = new_code
    labels[p] = new_code
    found[0, 0] = p
    found[0, 1] = z
    found[0, 2] = y
    found[0, 3] = x
    size = 1
    visited = 0
    while visited < size < max_size:
        q = found[visited, 0]
        qz = found[visited, 1]
        qy = found[visited, 2]
        qx = found[visited, 3]
        piece = (label, new_code, found)
        if qx + 1 < width:
            size, adjacent = _reach(labels, q + 1, qz, qy, qx + 1, *piece, size, adjacent)
        if size < max_size and qx > 0:
            size, adjacent = _reach(labels, q - 1, qz, qy, qx - 1, *piece, size, adjacent)
        if size < max_size and qy + 1 < height:
            size, adjacent = _reach(labels, q + width, qz, qy + 1, qx, *piece, size, adjacent)
        if size < max_size and qy > 0:
            size, adjacent = _reach(labels, q - width, qz, qy - 1, qx, *piece, size, adjacent)
        if size < max_size and qz + 1 < depth:
            size, adjacent = _reach(labels, q + plane, qz + 1, qy, qx, *piece, size, adjacent)
        if size < max_size and qz > 0:
            size, adjacent = _reach(labels, q - plane, qz - 1, qy, qx, *piece, size, adjacent)
        visited += 1
    if size < min_size:
        for i in range(size):
            labels[found[i, 0]] = adjacent
        return False
    return True


@kernel
def _fill(labels, p, z, y, x, shape, max_size, new_code, runs, seeds):
    """Code `new_code` the piece of pixel p = (z, y, x) (6-connected pixels of its label) a run
    of one row at a time, in any order, until it has `max_size` pixels.

    runs : (n, 3) int64, the filled runs: row (z * height + y), first x, end x
    seeds : (m, 2) int64, scratch: row and x of runs still to fill
    Returns (pixels filled, runs filled).
    """
    depth, height, width = shape
    label = labels[p]
    seeds[0, 0] = z * height + y
    seeds[0, 1] = x
    n_seeds = 1
    size = 0
    n_runs = 0
    while n_seeds > 0:
        n_seeds -= 1
        row = seeds[n_seeds, 0]
        line = labels[row * width : (row + 1) * width]
        start = seeds[n_seeds, 1]
        if line[start] != label:
            continue  # filled since it was pushed
        end = start + 1
        while start > 0 and line[start - 1] == label:
            start -= 1
        while end < width and line[end] == label:
            end += 1
        for position in range(start, end):  # a loop, not a slice assignment
            line[position] = new_code
        runs[n_runs, 0] = row
        runs[n_runs, 1] = start
        runs[n_runs, 2] = end
        n_runs += 1
        size += end - start
        if size >= max_size:
            return size, n_runs
        rz = row // height
        ry = row - rz * height
        for side in range(4):
            if side == 0:
                if ry + 1 >= height:
                    continue
                other = row + 1
            elif side == 1:
                if ry == 0:
                    continue
                other = row - 1
            elif side == 2:
                if rz + 1 >= depth:
                    continue
                other = row + height
            else:
                if rz == 0:
                    continue
                other = row - height
            other_line = labels[other * width : (other + 1) * width]
            t = start
            while t < end:
                if other_line[t] == label:
                    seeds[n_seeds, 0] = other
                    seeds[n_seeds, 1] = t
                    n_seeds += 1
                    t += 1
                    while t < end and other_line[t] == label:
                        t += 1
                else:
                    t += 1
    return size, n_runs


@kernel
def enforce_label_connectivity(labels, min_size, max_size, start_label, found, runs, seeds):
    """In place: scikit-image's connectivity pass. Each 6-connected piece of a label, found
    breadth first from its first pixel in raster order (stopping at `max_size` pixels), gets a
    new label; a piece smaller than `min_size` takes the last neighbouring new label its search
    met. Pixels outside the mask (start_label - 1) stay so.

    The breadth-first order matters only for pieces it cuts (at `max_size` pixels) and for the
    neighbour small pieces take. So each piece is first filled run by run; one with from
    `min_size` to `max_size` pixels is done, and any other is unfilled and searched breadth first.
    While it runs, new label l is coded ``-2 - l`` (below every old label and start_label - 1).

    Parameters
    ----------
    labels : (D, H, W) int64, C-contiguous, start_label - 1 for pixels outside the mask
    found : (max(max_size, 1), 4) int64, scratch: flat index, z, y, x of the piece's pixels
    runs : (max(max_size, 1), 3) int64 and seeds : (4 * max(max_size, 1) + 1, 2) int64, scratch
    """
    depth, height, width = labels.shape
    shape = labels.shape
    flat = labels.ravel()
    outside = start_label - 1
    new_code = -2 - start_label
    p = -1
    for z in range(depth):
        for y in range(height):
            for x in range(width):
                p += 1
                label = flat[p]
                if label == outside or label <= -2:
                    continue
                size, n_runs = _fill(flat, p, z, y, x, shape, max_size, new_code, runs, seeds)
                if min_size <= size < max_size:
                    new_code -= 1
                    continue
                for i in range(n_runs):
                    base = runs[i, 0] * width
                    flat[base + runs[i, 1] : base + runs[i, 2]] = label
                if _search(flat, p, z, y, x, shape, min_size, max_size, new_code, found):
                    new_code -= 1
    for p in range(flat.shape[0]):
        if flat[p] <= -2:
            flat[p] = -2 - flat[p]
