"""fastseg.skimage.canny: pixel-identical to skimage.feature.canny at every bit depth, equal to the
NumPy reference, strict about input.

The bar for every comparison is zero differing pixels.
"""

from __future__ import annotations

import cv2
import naive
import numpy as np
import pytest
import skimage.data
import skimage.feature

from fastseg._kernels.smooth_canny import _correlate_line, _correlate_rows
from fastseg.skimage import BAND_ROWS, MODES, canny, extended_indices

SIGMAS = (0, 0.5, 1.0, 2.0, 5.0)
DTYPES = ("uint8", "uint16", "uint32", "int8", "int16", "int32", "float16", "float32", "float64")


def as_dtype(image: np.ndarray, dtype: str) -> np.ndarray:
    """An 8-bit photo in another dtype, spread over much of that dtype's range (signed ones
    with negative values too)."""
    values = image.astype(np.int64)
    if dtype == "uint8":
        return image
    if dtype == "uint16":
        return (values * 257).astype(np.uint16)
    if dtype == "uint32":
        return (values * 16843009).astype(np.uint32)
    if dtype == "int8":
        return (values - 128).astype(np.int8)
    if dtype == "int16":
        return (values * 200 - 25000).astype(np.int16)
    if dtype == "int32":
        return (values * 8_000_000 - 1_000_000_000).astype(np.int32)
    return (values / 255.0).astype(dtype)


@pytest.fixture(scope="module")
def gray_photos() -> dict[str, np.ndarray]:
    """Gray 8-bit photos, one of them tall enough for several bands of rows."""
    photos = {
        "camera": skimage.data.camera(),
        "coins": skimage.data.coins(),
        "page": skimage.data.page(),
        "astronaut": cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2GRAY),
        "chelsea": cv2.cvtColor(skimage.data.chelsea(), cv2.COLOR_RGB2GRAY),
    }
    photos["astronaut_1100x700"] = cv2.resize(photos["astronaut"], (700, 1100))
    assert photos["astronaut_1100x700"].shape[0] > 4 * BAND_ROWS
    return photos


def assert_same_edges(image, *args, **kwargs) -> None:
    expected = skimage.feature.canny(image, *args, **kwargs)
    found = canny(image, *args, **kwargs)
    assert found.dtype == np.bool_ and found.shape == expected.shape
    differing = int(np.count_nonzero(found != expected))
    assert differing == 0, f"{differing} pixels differ from skimage ({int(expected.sum())} edges)"


@pytest.mark.parametrize("dtype", DTYPES)
def test_photos_at_every_bit_depth_and_sigma(gray_photos, dtype):
    for photo in gray_photos.values():
        image = as_dtype(photo, dtype)
        for sigma in SIGMAS:
            assert_same_edges(image, sigma)


@pytest.mark.parametrize("dtype", ("uint8", "uint16", "int16", "float32", "float64"))
def test_thresholds_given_defaulted_and_quantiles(gray_photos, dtype):
    image = as_dtype(gray_photos["coins"], dtype)
    unit = float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0
    for low, high in ((0.02, 0.05), (0.1, 0.3), (0.0, 0.0), (0.2, 0.2), (0.05, None), (None, 0.4)):
        in_units = [None if t is None else t * unit for t in (low, high)]
        assert_same_edges(image, 1.5, *in_units)
    for low, high in ((0.5, 0.9), (0.0, 1.0), (0.8, 0.8), (0.95, 0.99), (0.0, 0.0)):
        assert_same_edges(image, 1.5, low, high, use_quantiles=True)
    # Threshold types steer NumPy's comparison dtype: an int, a NumPy float64 and a float32.
    assert_same_edges(image, 1.0, int(0.05 * unit), np.float64(0.15 * unit))
    assert_same_edges(image, 1.0, np.float32(0.05 * unit), np.float32(0.15 * unit))


def _masks(shape) -> dict[str, np.ndarray]:
    height, width = shape
    rows, cols = np.ogrid[:height, :width]
    disc = (rows - height / 2) ** 2 + (cols - width / 2) ** 2 < (min(shape) / 2.5) ** 2
    rng = np.random.default_rng(3)
    holes = np.ones(shape, dtype=bool)
    for _ in range(40):
        i, j = rng.integers(0, height), rng.integers(0, width)
        holes[max(i - 9, 0) : i + 9, max(j - 9, 0) : j + 9] = False
    return {
        "disc": disc,
        "holes": holes,
        "all_false": np.zeros(shape, dtype=bool),
        "all_true": np.ones(shape, dtype=bool),
        "left_half_as_uint8": (cols < width // 2).repeat(height, axis=0).astype(np.uint8),
        "speckle": rng.random(shape) < 0.9,
    }


@pytest.mark.parametrize("mode", MODES)
def test_masks_in_every_mode(gray_photos, mode):
    photo = gray_photos["astronaut"][::2, ::2]
    for dtype in ("uint8", "float32", "float64"):
        image = as_dtype(photo, dtype)
        for mask in _masks(image.shape).values():
            for sigma in (0.0, 1.0, 3.0):
                assert_same_edges(image, sigma, mask=mask, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_modes_and_cval(gray_photos, mode):
    image = as_dtype(gray_photos["chelsea"], "float32")
    for cval in (0.0, 0.5, -1.0):
        for sigma in (1.0, 3.0):
            assert_same_edges(image, sigma, mode=mode, cval=cval)


@pytest.mark.parametrize("mode", MODES)
def test_tiny_images_smaller_than_the_gaussian(mode):
    rng = np.random.default_rng(11)
    for shape in ((1, 1), (1, 6), (6, 1), (2, 2), (3, 3), (3, 7), (9, 4), (17, 5)):
        for dtype in ("uint8", "float64"):
            image = as_dtype(rng.integers(0, 256, shape, dtype=np.uint8), dtype)
            for sigma in (0.0, 0.7, 2.0, 6.0):
                assert_same_edges(image, sigma, 0.01, 0.05, mode=mode)
                assert_same_edges(image, sigma, mode=mode, mask=rng.random(shape) < 0.8)


def test_synthetic_square_has_its_edges_on_the_border():
    image = np.zeros((64, 80), dtype=np.uint16)
    image[16:48, 20:60] = 50000
    edges = canny(image, sigma=1.0)
    np.testing.assert_array_equal(edges, skimage.feature.canny(image, sigma=1.0))
    # The edge runs along the square's border (within a pixel), and nowhere else.
    rows, cols = np.nonzero(edges)
    near_border = (
        (np.minimum(np.abs(rows - 15.5), np.abs(rows - 47.5)) <= 1) & (cols >= 18) & (cols <= 61)
    ) | ((np.minimum(np.abs(cols - 19.5), np.abs(cols - 59.5)) <= 1) & (rows >= 14) & (rows <= 49))
    assert edges.sum() > 100 and near_border.all()


def test_float_images_outside_zero_one_with_thresholds_in_their_units(gray_photos):
    image = gray_photos["camera"].astype(np.float64) * 4.0 - 300.0
    for sigma in (0.0, 1.0, 2.0):
        assert_same_edges(image, sigma, 20.0, 60.0)
        assert_same_edges(image, sigma, 0.3, 0.7, use_quantiles=True)


@pytest.mark.parametrize("n", (1, 2, 3))
def test_bands_and_threads_give_the_same_edges(gray_photos, n_threads, n):
    n_threads(n)
    image = as_dtype(gray_photos["astronaut_1100x700"], "float32")
    assert_same_edges(image, 2.0, 0.05, 0.15)
    assert_same_edges(image, 1.0, mask=_masks(image.shape)["holes"])


def test_layouts_and_byte_orders_are_read_alike(gray_photos):
    photo = as_dtype(gray_photos["coins"], "uint16")
    expected = skimage.feature.canny(photo, 1.5)
    for variant in (
        np.asfortranarray(photo),
        np.pad(photo, ((0, 0), (0, 3)))[:, :-3],
        photo.astype(">u2"),
        np.flipud(np.flipud(photo)),
    ):
        np.testing.assert_array_equal(canny(variant, 1.5), expected)


@pytest.mark.parametrize("dtype", ("uint8", "int16", "float32", "float64"))
def test_equals_the_numpy_reference(gray_photos, dtype):
    image = as_dtype(gray_photos["page"], dtype)
    for mode in MODES:
        # Radii 0, 1, 3, 4, 5 and 10: the passes take the taps two at a time, odd radii end on
        # a single one.
        for sigma in (0.0, 0.3, 0.7, 1.0, 1.3, 2.5):
            expected = naive.smooth_canny(image, sigma, 0.1, 0.2, mode)
            np.testing.assert_array_equal(canny(image, sigma, mode=mode), expected)


@pytest.mark.parametrize("radius", range(8))
def test_gaussian_passes_add_in_scipys_order(radius):
    # scipy's sum: x[0] * w[0], then + (x[-k] + x[k]) * w[k] for k from the radius down to 1,
    # each step rounded to float64. Any other grouping differs in the last bit on these values.
    rng = np.random.default_rng(radius)
    weights = rng.random(radius + 1)
    width, span = 37, 2 * radius + 1
    ring = rng.normal(size=(span, width)) * 10.0 ** rng.integers(-3, 4, size=(span, 1))
    for s in range(span):
        rows = [ring[(s + t) % span] for t in range(span)]  # extended positions s - r .. s + r
        expected = rows[radius] * weights[0]
        for k in range(radius, 0, -1):
            expected = expected + (rows[radius - k] + rows[radius + k]) * weights[k]
        found = np.empty(width)
        _correlate_rows(ring, s, weights, found, False)
        np.testing.assert_array_equal(found, expected)
        _correlate_rows(ring, s, weights, found, True)
        np.testing.assert_array_equal(found, expected.astype(np.float32))

    values = ring[0]
    for mode in MODES:
        sources = extended_indices(width, radius, mode)
        extended = np.where(sources >= 0, values[np.maximum(sources, 0)], 0.5)
        expected = extended[radius : radius + width] * weights[0]
        for k in range(radius, 0, -1):
            left = extended[radius - k : radius - k + width]
            expected = expected + (left + extended[radius + k : radius + k + width]) * weights[k]
        line = np.full(width + 2 * radius, np.nan)
        line[radius : radius + width] = values
        found = np.empty(width)
        _correlate_line(line, weights, sources, 0.5, found, False)
        np.testing.assert_array_equal(found, expected)
        _correlate_line(line, weights, sources, 0.5, found, True)
        np.testing.assert_array_equal(found, expected.astype(np.float32))


@pytest.mark.parametrize("mode", ("reflect", "mirror", "wrap", "nearest", "constant"))
def test_extension_matches_numpy_pad_while_the_radius_fits(mode):
    pad_mode = naive.NUMPY_PAD_MODES[mode]
    for length in (2, 3, 7):
        for radius in range(0, length):
            found = extended_indices(length, radius, mode)
            kwargs = {"constant_values": -1} if mode == "constant" else {}
            expected = np.pad(np.arange(length), radius, mode=pad_mode, **kwargs)
            np.testing.assert_array_equal(found, expected)


def test_inputs_are_not_modified(gray_photos):
    image = as_dtype(gray_photos["coins"], "float32")
    mask = _masks(image.shape)["disc"]
    image_before, mask_before = image.copy(), mask.copy()
    canny(image, 1.0, mask=mask)
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(mask, mask_before)


GOOD = np.zeros((20, 20), dtype=np.uint8)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: canny(GOOD.astype(bool)), TypeError, "`image` must have an integer dtype"),
        (lambda: canny(GOOD.astype(np.complex64)), TypeError, "`image`"),
        (lambda: canny(GOOD.astype(np.int64)), TypeError, "at most 32 bits"),
        (lambda: canny(GOOD.astype(np.uint64)), TypeError, "at most 32 bits"),
        (lambda: canny(np.zeros((4, 4, 3), np.uint8)), ValueError, "2-D"),
        (lambda: canny(np.zeros((0, 4), np.uint8)), ValueError, "at least one row"),
        (lambda: canny(np.full((4, 4), np.nan)), ValueError, "finite"),
        (lambda: canny(np.full((4, 4), np.inf, np.float16)), ValueError, "finite"),
        (lambda: canny("image.png"), TypeError, "`image`"),
        (lambda: canny(GOOD, sigma=-1), ValueError, "`sigma`"),
        (lambda: canny(GOOD, sigma=float("nan")), ValueError, "`sigma`"),
        (lambda: canny(GOOD, sigma=65), ValueError, "`sigma`"),
        (lambda: canny(GOOD, sigma="1"), TypeError, "`sigma`"),
        (lambda: canny(GOOD, sigma=(1, 2)), TypeError, "`sigma`"),
        (lambda: canny(GOOD, 1, 0.5, 1.5, use_quantiles=True), ValueError, "`high_threshold`"),
        (lambda: canny(GOOD, 1, -0.1, 0.5, use_quantiles=True), ValueError, "`low_threshold`"),
        (lambda: canny(GOOD, 1, 50, 20), ValueError, "<= `high_threshold`"),
        (lambda: canny(GOOD, 1, 0.9, 0.2, use_quantiles=True), ValueError, "<= `high_thresh"),
        (lambda: canny(GOOD, 1, float("nan")), ValueError, "`low_threshold`"),
        (lambda: canny(GOOD, 1, None, "high"), TypeError, "`high_threshold`"),
        (lambda: canny(GOOD, mask=np.ones((20, 21), bool)), ValueError, "`mask`"),
        (lambda: canny(GOOD, mask=np.ones((20, 20), "U1")), TypeError, "`mask`"),
        (lambda: canny(GOOD, use_quantiles="yes"), TypeError, "`use_quantiles`"),
        (lambda: canny(GOOD, mode="grid-wrap"), ValueError, "`mode`"),
        (lambda: canny(GOOD, cval=float("nan")), ValueError, "`cval`"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace("[", r"\[")):
        call()
