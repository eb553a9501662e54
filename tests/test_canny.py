"""Canny edges: pixel-identical to cv2.Canny, equal to the NumPy reference, strict about input.

The bar for every comparison with cv2.Canny and with ``naive.canny`` is zero differing pixels.
"""

from __future__ import annotations

import itertools

import cv2
import naive
import numpy as np
import pytest
import skimage.data
from peers import CANNY_PEERS

import fastseg
from fastseg.edges import BAND_ROWS, _median_thresholds, auto_canny, canny, canny_from_gradients
from fastseg.opencv import Canny

APERTURES = (3, 5, 7)
THRESHOLD_PAIRS = ((0, 0), (10, 30), (50, 150), (100, 200), (200, 100), (300, 600))
PHOTOS = ("camera", "astronaut", "coffee", "chelsea", "coins", "moon", "page")


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    """skimage's photos as they come (grey or RGB), the grey version of each RGB one, and a
    larger grey photo spanning many bands."""
    images = {}
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        images[name] = image
        if image.ndim == 3:
            images[f"{name}_gray"] = _gray(image)
    images["astronaut_gray_1100x900"] = cv2.resize(
        _gray(skimage.data.astronaut()), (1100, 900), interpolation=cv2.INTER_LINEAR
    )
    return images


def _disc(size: int = 101, radius: int = 30) -> np.ndarray:
    image = np.zeros((size, size), dtype=np.uint8)
    cv2.circle(image, (size // 2, size // 2), radius, 255, thickness=-1)
    return image


@pytest.fixture(scope="module")
def synthetic() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    images = {
        "disc": _disc(),
        "noise": rng.integers(0, 256, (131, 77), dtype=np.uint8),
        "noise_rgb": rng.integers(0, 256, (70, 90, 3), dtype=np.uint8),
        "noise_2ch": rng.integers(0, 256, (40, 33, 2), dtype=np.uint8),
        "noise_4ch": rng.integers(0, 256, (40, 33, 4), dtype=np.uint8),
        "constant": np.full((50, 60), 128, dtype=np.uint8),
        "constant_rgb": np.full((20, 30, 3), 7, dtype=np.uint8),
        "tall_noise": rng.integers(0, 256, (3 * BAND_ROWS + 5, 9), dtype=np.uint8),
    }
    for shape in ((1, 1), (1, 9), (9, 1), (2, 3), (3, 2), (3, 3), (1, 2), (2, 1)):
        images[f"noise{shape}"] = rng.integers(0, 256, shape, dtype=np.uint8)
        images[f"noise_rgb{shape}"] = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    images["step(1, 9)"] = np.array([[0, 0, 0, 0, 255, 255, 255, 255, 255]], dtype=np.uint8)
    return images


def _mismatches(images, aperture_size, l2_gradient) -> list[str]:
    """The cases where fastseg's Canny and cv2.Canny (as the benchmarks call them) differ."""
    peer, ours_with_same_work = CANNY_PEERS["cv2.Canny"]
    failures = []
    for (name, image), (t1, t2) in itertools.product(images.items(), THRESHOLD_PAIRS):
        ours = ours_with_same_work(image, t1, t2, aperture_size, l2_gradient)
        theirs = peer(image, t1, t2, aperture_size, l2_gradient)
        assert ours.dtype == np.uint8 and ours.shape == image.shape[:2]
        if not np.array_equal(ours, theirs):
            failures.append(f"{name} {t1}/{t2}: {(ours != theirs).sum()} pixels differ")
    return failures


# --- equal to cv2.Canny ---


@pytest.mark.parametrize("l2_gradient", [False, True])
@pytest.mark.parametrize("aperture_size", APERTURES)
def test_photos_match_cv2(photos, aperture_size, l2_gradient):
    assert _mismatches(photos, aperture_size, l2_gradient) == []


@pytest.mark.parametrize("l2_gradient", [False, True])
@pytest.mark.parametrize("aperture_size", APERTURES)
def test_synthetic_images_match_cv2(synthetic, aperture_size, l2_gradient):
    assert _mismatches(synthetic, aperture_size, l2_gradient) == []


def test_opencv_signature_matches_cv2(photos):
    image = photos["coffee"]
    for aperture_size, l2_gradient in itertools.product(APERTURES, (False, True)):
        expected = cv2.Canny(image, 40, 120, None, aperture_size, l2_gradient)
        assert np.array_equal(Canny(image, 40, 120, None, aperture_size, l2_gradient), expected)
        assert np.array_equal(
            Canny(image, threshold1=40, threshold2=120, apertureSize=aperture_size,
                  L2gradient=l2_gradient),
            expected,
        )  # fmt: skip


@pytest.mark.parametrize("l2_gradient", [False, True])
def test_gradient_form_matches_cv2(photos, l2_gradient):
    rng = np.random.default_rng(3)
    cases = []
    for name in ("camera", "coffee"):
        image = photos[name]
        dx = cv2.Sobel(image, cv2.CV_16S, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
        dy = cv2.Sobel(image, cv2.CV_16S, 0, 1, ksize=3, borderType=cv2.BORDER_DEFAULT)
        cases.append((dx, dy))
    for shape in ((1, 1), (5, 3), (70, 41), (33, 20, 3), (2, 2, 3)):
        # Full int16 range but -32768 (see test_saturated_l1_derivatives), and its extremes.
        dx = rng.integers(-32767, 32768, shape).astype(np.int16)
        dy = rng.choice(np.array([-32767, -30000, -1, 0, 1, 30000, 32767]), shape).astype(np.int16)
        cases.append((dx, dy))
    for (dx, dy), (t1, t2) in itertools.product(cases, ((0, 0), (50, 150), (20000, 1000))):
        expected = cv2.Canny(dx, dy, t1, t2, L2gradient=l2_gradient)
        assert np.array_equal(Canny(dx, dy, t1, t2, L2gradient=l2_gradient), expected)
        assert np.array_equal(
            Canny(dx=dx, dy=dy, threshold1=t1, threshold2=t2, L2gradient=l2_gradient), expected
        )


def test_l2_overflow_matches_cv2():
    """dx = dy = -32768 overflows dx² + dy² in int32; OpenCV's wrapped value is kept."""
    dx = np.full((6, 7), -32768, dtype=np.int16)
    dx[2:4, 3] = 100
    dy = dx.copy()
    for t1, t2 in ((0, 0), (10, 20)):
        expected = cv2.Canny(dx, dy, t1, t2, L2gradient=True)
        assert np.array_equal(canny_from_gradients(dx, dy, t1, t2, l2_gradient=True), expected)


def test_saturated_l1_derivatives_follow_the_reference():
    """|-32768| is 32768 here (cv2.Canny's vectorised columns take -32768 instead)."""
    rng = np.random.default_rng(5)
    values = np.array([-32768, -32767, 0, 5, 32767])
    dx = rng.choice(values, (12, 10)).astype(np.int16)
    dy = rng.choice(values, (12, 10)).astype(np.int16)
    expected = naive.canny_from_gradients(dx, dy, 0, 0, False)
    assert np.array_equal(canny_from_gradients(dx, dy, 0, 0), expected)


# --- equal to the NumPy reference ---


def test_kernels_match_reference_on_random_images():
    rng = np.random.default_rng(11)
    for _ in range(40):
        height, width = rng.integers(1, 40, 2)
        n_channels = int(rng.choice([1, 3]))
        shape = (height, width) if n_channels == 1 else (height, width, n_channels)
        # Smooth-ish images (few grey levels, then blocky) as well as raw noise.
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        if rng.random() < 0.5:
            image = (image // 64 * 64).astype(np.uint8)
        aperture_size = int(rng.choice(APERTURES))
        l2_gradient = bool(rng.random() < 0.5)
        t1, t2 = sorted(rng.uniform(0, 400, 2))
        expected = naive.canny(image, t1, t2, aperture_size, l2_gradient)
        ours = canny(image, t1, t2, aperture_size=aperture_size, l2_gradient=l2_gradient)
        assert np.array_equal(ours, expected), (shape, aperture_size, l2_gradient, t1, t2)


def test_kernels_match_reference_on_random_gradients():
    rng = np.random.default_rng(12)
    for _ in range(20):
        height, width = rng.integers(1, 40, 2)
        shape = (height, width) if rng.random() < 0.5 else (height, width, 3)
        dx = rng.integers(-32768, 32768, shape).astype(np.int16)
        dy = rng.integers(-2000, 2000, shape).astype(np.int16)
        l2_gradient = bool(rng.random() < 0.5)
        t1, t2 = rng.uniform(0, 40000, 2)
        low, high = naive.canny_thresholds(t1, t2, 3, l2_gradient)
        expected = naive.canny_from_gradients(dx, dy, low, high, l2_gradient)
        ours = canny_from_gradients(dx, dy, t1, t2, l2_gradient=l2_gradient)
        assert np.array_equal(ours, expected)


def test_reference_matches_cv2(synthetic):
    """The reference itself is checked against the oracle, so that it can stand in for it."""
    for name in ("disc", "noise", "noise_rgb", "noise(2, 3)"):
        image = synthetic[name]
        for aperture_size, l2_gradient in itertools.product(APERTURES, (False, True)):
            expected = cv2.Canny(image, 20, 90, apertureSize=aperture_size, L2gradient=l2_gradient)
            assert np.array_equal(naive.canny(image, 20, 90, aperture_size, l2_gradient), expected)


# --- known answers ---


def test_disc_gives_a_ring_of_edges():
    size, radius = 101, 30
    edges = canny(_disc(size, radius), 50, 150)
    rows, cols = np.nonzero(edges)
    distance = np.hypot(rows - size // 2, cols - size // 2)
    assert set(np.unique(edges)) == {0, 255}
    assert np.all(np.abs(distance - radius) <= 1.5)
    # A closed ring: every direction from the centre crosses an edge pixel.
    angles = np.arctan2(rows - size // 2, cols - size // 2)
    assert np.histogram(angles, bins=90, range=(-np.pi, np.pi))[0].min() > 0


def test_step_edge_by_hand():
    image = np.zeros((8, 8), dtype=np.uint8)
    image[:, 4:] = 200
    expected = np.zeros((8, 8), dtype=np.uint8)
    expected[:, 3] = 255  # |dx| = 800 on columns 3 and 4; the left one wins (strict on the left)
    assert np.array_equal(canny(image, 50, 150), expected)


def test_constant_and_single_pixel_images_have_no_edges():
    assert not canny(np.full((30, 40), 9, np.uint8), 0, 0).any()
    assert not canny(np.full((1, 1, 3), 9, np.uint8), 0, 0).any()


def test_thresholds_in_either_order():
    image = skimage.data.camera()
    assert np.array_equal(canny(image, 200, 100), canny(image, 100, 200))


def test_hysteresis_crosses_band_borders():
    """A vertical edge, strong only in its first rows, fades over several bands: the weak part is
    kept through every band border because it is linked to the strong start."""
    height = 4 * BAND_ROWS + 3
    contrast = np.linspace(250, 30, height)
    image = np.zeros((height, 20), dtype=np.uint8)
    image[:, 10:] = contrast[:, None].astype(np.uint8)
    high = 920  # |dx| = 4 * contrast: strong only where the contrast exceeds 230
    edges = canny(image, 50, high)
    assert np.array_equal(edges, cv2.Canny(image, 50, high))
    assert edges.any(axis=1).all()  # every row, down to the last band
    # Without the strong start nothing survives.
    assert not canny(image[BAND_ROWS:], 50, high).any()


def test_result_does_not_depend_on_thread_count(photos):
    image = photos["astronaut_gray_1100x900"]
    before = fastseg.get_num_threads()
    try:
        fastseg.set_num_threads(1)
        one = canny(image, 30, 90)
    finally:
        fastseg.set_num_threads(before)
    assert np.array_equal(one, canny(image, 30, 90))


def test_huge_thresholds_mark_no_edge():
    image = skimage.data.camera()
    assert not canny(image, 2.0**31, 2.0**40).any()
    assert not canny(image, 1e300, 1e300, l2_gradient=True).any()


# --- blur and automatic thresholds ---


@pytest.mark.parametrize("blur", [1.5, (5, 0), (7, 2.0), (0, 1.0)])
def test_blur_then_cv2(photos, blur):
    image = photos["chelsea"]
    ksize, sigma = (0, blur) if isinstance(blur, float) else blur
    expected = cv2.Canny(cv2.GaussianBlur(image, (ksize, ksize), sigma), 30, 90)
    assert np.array_equal(canny(image, 30, 90, blur=blur), expected)


def test_auto_canny_thresholds_from_median(photos):
    for name in ("camera", "coffee", "page"):
        image = photos[name]
        median = float(np.median(image))
        lower = max(0.0, 0.67 * median)
        upper = min(255.0, 1.33 * median)
        assert _median_thresholds(image, 0.33) == pytest.approx((lower, upper))
        assert np.array_equal(auto_canny(image), cv2.Canny(image, lower, upper))
    blurred = cv2.GaussianBlur(photos["camera"], (0, 0), 2.0)
    median = float(np.median(blurred))
    expected = cv2.Canny(blurred, max(0.0, 0.5 * median), min(255.0, 1.5 * median))
    assert np.array_equal(auto_canny(photos["camera"], 0.5, blur=2.0), expected)


def test_median_of_even_and_odd_counts():
    for values in ([3, 1, 2], [1, 2, 3, 10], [0, 255], [7]):
        image = np.array([values], dtype=np.uint8)
        lower, _ = _median_thresholds(image, 0.0)
        assert lower == np.median(values)


# --- layouts and the edges argument ---


def test_awkward_layouts_give_the_same_edges(photos):
    image = photos["coffee"]
    views = {
        "strided": image[::2, ::3],
        "reversed": image[::-1, ::-1],
        "fortran": np.asfortranarray(image),
        "channel_slice": image[:, :, 1],
        "one_channel_axis": image[:, :, 1:2],
    }
    readonly = image.copy()
    readonly.flags.writeable = False
    views["readonly"] = readonly
    for name, view in views.items():
        expected = canny(np.ascontiguousarray(view), 40, 120)
        assert np.array_equal(canny(view, 40, 120), expected), name
        assert np.array_equal(Canny(view, 40, 120), cv2.Canny(np.ascontiguousarray(view), 40, 120))
    dx = cv2.Sobel(photos["camera"], cv2.CV_16S, 1, 0)
    dy = cv2.Sobel(photos["camera"], cv2.CV_16S, 0, 1)
    expected = canny_from_gradients(dx, dy, 40, 120)
    flipped_dx, flipped_dy = dx[::-1, ::-1], dy[::-1, ::-1]
    assert np.array_equal(
        canny_from_gradients(flipped_dx, flipped_dy, 40, 120),
        canny_from_gradients(flipped_dx.copy(), flipped_dy.copy(), 40, 120),
    )
    assert np.array_equal(
        canny_from_gradients(dx.astype(">i2"), dy.astype(">i2"), 40, 120), expected
    )
    assert np.array_equal(
        canny_from_gradients(np.asfortranarray(dx), np.asfortranarray(dy), 40, 120), expected
    )


def test_edges_argument_is_written_and_returned(photos):
    image = photos["camera"]
    expected = cv2.Canny(image, 40, 120)
    edges = np.full(image.shape, 7, dtype=np.uint8)
    assert Canny(image, 40, 120, edges) is edges and np.array_equal(edges, expected)
    strided = np.zeros((image.shape[0], 2 * image.shape[1]), dtype=np.uint8)[:, ::2]
    assert Canny(image, 40, 120, strided) is strided and np.array_equal(strided, expected)
    in_place = image.copy()
    assert Canny(in_place, 40, 120, in_place) is in_place
    assert np.array_equal(in_place, expected)
    for unusable in (np.zeros((3, 3), np.uint8), np.zeros(image.shape, np.int16)):
        result = Canny(image, 40, 120, unusable)
        assert result is not unusable and np.array_equal(result, expected)
    dx = cv2.Sobel(image, cv2.CV_16S, 1, 0)
    dy = cv2.Sobel(image, cv2.CV_16S, 0, 1)
    edges = np.empty(image.shape, dtype=np.uint8)
    assert Canny(dx, dy, 40, 120, edges) is edges
    assert np.array_equal(edges, cv2.Canny(dx, dy, 40, 120))


# --- 16-bit and float images: cv2.Canny's rules in wider arithmetic ---


DEEP_CASES = [
    (aperture, l2, pair)
    for aperture in (3, 5)
    for l2 in (False, True)
    for pair in ((10, 30), (60, 140), (200, 100))
]


@pytest.mark.parametrize(("aperture_size", "l2_gradient", "thresholds"), DEEP_CASES)
@pytest.mark.parametrize("name", ["astronaut", "astronaut_gray", "coins", "page"])
def test_deeper_images_scaled_exactly_give_cv2_canny(
    photos, name, aperture_size, l2_gradient, thresholds
):
    """An 8-bit photo times 257 as uint16 (thresholds times 257), or divided by 256 as float32
    and float64 (thresholds divided by 256): exact scalings, so cv2.Canny's edges exactly."""
    image = photos[name]
    low, high = thresholds
    expected = cv2.Canny(image, low, high, apertureSize=aperture_size, L2gradient=l2_gradient)
    options = {"aperture_size": aperture_size, "l2_gradient": l2_gradient}
    wide = image.astype(np.uint16) * np.uint16(257)
    np.testing.assert_array_equal(canny(wide, low * 257, high * 257, **options), expected)
    for dtype in (np.float32, np.float64):
        unit = image.astype(dtype) / dtype(256)
        np.testing.assert_array_equal(canny(unit, low / 256, high / 256, **options), expected)


@pytest.mark.parametrize("l2_gradient", [False, True])
@pytest.mark.parametrize("aperture_size", APERTURES)
@pytest.mark.parametrize("name", ["coffee", "camera"])
def test_deeper_images_match_the_reference(photos, name, aperture_size, l2_gradient):
    """Any 16-bit values (not a scaled 8-bit image), all apertures (7 unscaled): the NumPy
    reference; the same image as float64 divided by 2**16 gives the same edges."""
    image = photos[name]
    rng = np.random.default_rng(aperture_size)
    wide = (image.astype(np.uint16) * 251 + rng.integers(0, 251, image.shape)).astype(np.uint16)
    scale = {3: 1, 5: 4, 7: 60}[aperture_size]  # larger apertures, larger derivatives
    low, high = 4000.0 * scale, 12000.5 * scale
    options = {"aperture_size": aperture_size, "l2_gradient": l2_gradient}
    edges = canny(wide, low, high, **options)
    np.testing.assert_array_equal(edges, naive.canny(wide, low, high, aperture_size, l2_gradient))
    assert 0.002 < np.mean(edges > 0) < 0.3  # thresholds that mean something on this photo
    unit = wide / 65536.0
    np.testing.assert_array_equal(canny(unit, low / 65536, high / 65536, **options), edges)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64])
def test_deeper_images_any_layout_and_in_bands(photos, dtype):
    base = photos["astronaut_gray_1100x900"]  # many bands of rows
    image = base.astype(dtype) * 257 if dtype == np.uint16 else base.astype(dtype) / 256
    unit = 257 if dtype == np.uint16 else 1 / 256
    expected = cv2.Canny(base, 50, 150)
    np.testing.assert_array_equal(canny(image, 50 * unit, 150 * unit), expected)
    flipped = np.asfortranarray(image[::-1, ::-1])
    np.testing.assert_array_equal(
        canny(flipped, 50 * unit, 150 * unit),
        cv2.Canny(np.ascontiguousarray(base[::-1, ::-1]), 50, 150),
    )
    swapped = image.astype(image.dtype.newbyteorder(">"))
    np.testing.assert_array_equal(canny(swapped, 50 * unit, 150 * unit), expected)


@pytest.mark.parametrize("l2_gradient", [False, True])
def test_huge_thresholds_on_16_bit_images_mark_no_edge(l2_gradient):
    image = np.zeros((20, 20), np.uint16)
    image[:, 10:] = 65535
    assert canny(image, 1000, 2000, l2_gradient=l2_gradient).any()
    for high in (4e9, 1e19, 1e300):
        assert not canny(image, 1000, high, l2_gradient=l2_gradient).any()


def test_auto_canny_of_deeper_images_uses_their_range(photos):
    image = photos["coins"]
    for wide, top in ((image.astype(np.uint16) * 257, 65535.0), (image / 255.0, 1.0)):
        median = float(np.median(wide))
        lower, upper = _median_thresholds(wide, 0.33)
        assert (lower, upper) == (max(0.0, (1 - 0.33) * median), min(top, (1 + 0.33) * median))
        np.testing.assert_array_equal(auto_canny(wide), canny(wide, lower, upper))


# --- bad input ---

_IMAGE = np.zeros((10, 12), dtype=np.uint8)
_DX = np.zeros((10, 12), dtype=np.int16)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: canny(_IMAGE.astype(np.int16), 1, 2),
            TypeError,
            "`image` must have dtype uint8, uint16, float32 or float64",
        ),
        (lambda: canny(_IMAGE.astype(np.float16), 1, 2), TypeError, "`image`"),
        (lambda: canny(_IMAGE.astype(bool), 1, 2), TypeError, "`image`"),
        (lambda: canny(_IMAGE + np.float32(2), 1, 2), ValueError, "must lie in \\[0, 1\\]"),
        (lambda: canny(_IMAGE - 0.5, 1, 2), ValueError, "must lie in \\[0, 1\\]"),
        (lambda: canny(_IMAGE + np.nan, 1, 2), ValueError, "only finite values"),
        (lambda: auto_canny(_IMAGE + 300.0), ValueError, "divide by 255"),
        (lambda: Canny(_IMAGE.astype(np.uint16), 1, 2), TypeError, "must have dtype uint8"),
        (lambda: canny("image", 1, 2), TypeError, "`image`"),
        (
            lambda: canny(np.zeros(5, np.uint8), 1, 2),
            ValueError,
            "`image` must be an array of shape",
        ),
        (lambda: canny(np.zeros((4, 4, 5), np.uint8), 1, 2), ValueError, "1 <= C <= 4"),
        (lambda: canny(np.zeros((2, 2, 2, 2), np.uint8), 1, 2), ValueError, "`image`"),
        (lambda: canny(np.zeros((0, 4), np.uint8), 1, 2), ValueError, "at least one row"),
        (lambda: canny(np.zeros((4, 0, 3), np.uint8), 1, 2), ValueError, "at least one row"),
        (lambda: canny(_IMAGE, -1, 2), ValueError, "`threshold1` must be >= 0"),
        (lambda: canny(_IMAGE, 1, -2), ValueError, "`threshold2` must be >= 0"),
        (lambda: canny(_IMAGE, float("nan"), 2), ValueError, "`threshold1` must be finite"),
        (lambda: canny(_IMAGE, 1, float("inf")), ValueError, "`threshold2` must be finite"),
        (lambda: canny(_IMAGE, "1", 2), TypeError, "`threshold1`"),
        (
            lambda: canny(_IMAGE, 1, 2, aperture_size=4),
            ValueError,
            "`aperture_size` must be 3, 5 or 7",
        ),
        (lambda: canny(_IMAGE, 1, 2, aperture_size=9), ValueError, "`aperture_size`"),
        (lambda: canny(_IMAGE, 1, 2, aperture_size=3.0), TypeError, "`aperture_size`"),
        (lambda: canny(_IMAGE, 1, 2, l2_gradient="yes"), TypeError, "`l2_gradient`"),
        (lambda: canny(_IMAGE, 1, 2, blur=0), ValueError, "`blur` must be > 0"),
        (lambda: canny(_IMAGE, 1, 2, blur=(4, 1.0)), ValueError, "must be odd"),
        (lambda: canny(_IMAGE, 1, 2, blur=(0, 0)), ValueError, "`blur`"),
        (lambda: canny(_IMAGE, 1, 2, blur=(3, 1.0, 2)), ValueError, "`blur`"),
        (lambda: auto_canny(_IMAGE, sigma=-0.1), ValueError, "`sigma` must be >= 0"),
        (lambda: Canny(_IMAGE, 1, 2, None, 2), ValueError, "`apertureSize` must be 3, 5 or 7"),
        (lambda: Canny(_IMAGE), TypeError, "threshold1"),
        (lambda: Canny(_DX.astype(np.int32), _DX, 1, 2), TypeError, "`dx` must have dtype int16"),
        (lambda: Canny(_DX, _DX.astype(np.uint8), 1, 2), TypeError, "`dy` must have dtype int16"),
        (lambda: Canny(_DX, _DX[:, :5], 1, 2), ValueError, "`dy` must have the shape of `dx`"),
        (
            lambda: Canny(_DX[:, :, None].repeat(2, 2), _DX[:, :, None].repeat(2, 2), 1, 2),
            ValueError,
            "C = 1 or 3",
        ),
        (lambda: Canny(_DX[:0], _DX[:0], 1, 2), ValueError, "`dx` must have at least one row"),
        (lambda: Canny(_DX, _DX, -1, 2), ValueError, "`threshold1` must be >= 0"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
