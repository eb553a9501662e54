"""fastseg.slic: its kernels against NumPy references, and its labels against scikit-image's."""

import math
import warnings

import naive
import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.data
from skimage.color import rgb2lab
from skimage.segmentation import slic as skimage_slic

import fastseg
import fastseg.skimage
from fastseg import superpixels as slic_module
from fastseg._config import kernel
from fastseg._kernels.slic import enforce_label_connectivity, numpy_cbrt, numpy_power

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def photo(name: str, step: int = 1) -> np.ndarray:
    return np.ascontiguousarray(getattr(skimage.data, name)()[::step, ::step])


def reference(image, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # maskSLIC's k-means may warn of an empty cluster
        return skimage_slic(image, **kwargs)


def assert_same_labels(image, **kwargs):
    expected = reference(image, **kwargs)
    found = fastseg.slic(image, **kwargs)
    assert found.dtype == expected.dtype and found.shape == expected.shape
    differing = int((found != expected).sum())
    assert differing == 0, f"{differing} of {expected.size} pixels differ from scikit-image"


def planar(image: np.ndarray) -> np.ndarray:
    """(D, H, W, C) -> the (rows, C, width) layout of fastseg's SLIC kernels."""
    depth, height, width, n_channels = image.shape
    return np.ascontiguousarray(np.moveaxis(image.reshape(depth * height, width, n_channels), 2, 1))


def grid_segments(shape, n_segments, n_channels, dtype, rng):
    centroids, steps = slic_module._grid_centroids(shape, n_segments)
    colors = rng.random((len(centroids), n_channels))
    return np.concatenate([centroids, colors], axis=1).astype(dtype), max(steps)


# -- kernels against the references ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "n_channels", "slic_zero", "masked", "ignore_color", "start_label"),
    [
        ((1, 40, 56), 3, False, False, False, 1),
        ((1, 40, 56), 3, True, False, False, 0),
        ((1, 33, 47), 1, False, True, False, 1),
        ((1, 33, 47), 2, True, True, False, 1),
        ((1, 40, 56), 3, False, True, True, 1),
        ((5, 20, 24), 1, False, False, False, 1),
        ((4, 18, 22), 3, True, True, False, 0),
    ],
)
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_iterations_match_the_reference(
    dtype, shape, n_channels, slic_zero, masked, ignore_color, start_label, n_threads, rng
):  # fmt: skip
    image = (rng.random((*shape, n_channels)) * 3).astype(dtype)
    mask = None
    if masked:
        mask = np.zeros(shape, dtype=bool)
        mask[:, 3:-2, 5:] = True
        mask[:, 10:12, 8:20] = False
    segments, step = grid_segments(shape, 12, n_channels, dtype, rng)
    spacing = np.array([1.5, 1.0, 0.75], dtype=dtype)
    expected_segments = segments.copy()
    expected = naive.slic_iterations(
        image, mask, expected_segments, step, 6, spacing, slic_zero, start_label, ignore_color
    )
    rows = shape[0] * shape[1]
    mask_rows = None if mask is None else mask.reshape(rows, shape[2]).view(np.uint8)
    previous = fastseg.get_num_threads()
    fastseg.set_num_threads(n_threads)
    try:
        iterations = slic_module._Iterations(
            planar(image), mask_rows, segments, shape, step, spacing, start_label
        )
        iterations.run(6, slic_zero, ignore_color)
    finally:
        fastseg.set_num_threads(previous)
    np.testing.assert_array_equal(iterations.labels.reshape(shape), expected)
    if ignore_color:  # the update of the last iteration is made (maskSLIC's seeds use it)
        np.testing.assert_array_equal(segments, expected_segments)


def test_pixels_in_no_window_keep_their_label_and_count(rng):
    """Centres far apart leave pixels outside every window: they keep the label of an earlier
    iteration and still count in that centre's sums (the serial fallback)."""
    shape = (1, 60, 60)
    image = rng.random((*shape, 1))
    segments = np.array([[0, 5, 5, 0.5], [0, 30, 30, 0.5], [0, 55, 55, 0.5]])
    expected_segments = segments.copy()
    expected = naive.slic_iterations(image, None, expected_segments, 4.0, 5, np.ones(3), False, 1)
    iterations = slic_module._Iterations(planar(image), None, segments, shape, 4.0, np.ones(3), 1)
    iterations.run(5, False, False)
    np.testing.assert_array_equal(iterations.labels.reshape(shape), expected)


@pytest.mark.parametrize(
    ("min_size", "max_size", "start_label"), [(5, 40, 1), (0, 3, 1), (12, 1000, 0), (1, 1, 1)]
)
def test_connectivity_matches_the_reference(min_size, max_size, start_label, rng):
    labels = rng.integers(start_label, start_label + 4, size=(3, 17, 23))
    labels[0, :4, :4] = start_label - 1  # outside a mask
    expected = naive.enforce_connectivity(labels, min_size, max_size, start_label)
    scratch = slic_module._connectivity_scratch(max_size)
    enforce_label_connectivity(labels, min_size, max_size, start_label, *scratch)
    np.testing.assert_array_equal(labels, expected)


@kernel
def _roots_and_powers(values, exponent, svml, roots, powers):
    for i in range(values.shape[0]):
        roots[i] = numpy_cbrt(values[i], svml)
        powers[i] = numpy_power(values[i], exponent, svml)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cube_roots_and_powers_are_numpys(dtype, rng):
    # Whichever functions NumPy calls on this machine (SVML or the C library).
    values = np.concatenate(
        [rng.random(20000), rng.random(2000) * 1e-6, [0.0, 1e-300, 0.008856, 1.0, 0.5, 3.0]]
    ).astype(dtype)
    exponent = dtype(2.4)
    roots, powers = np.empty_like(values), np.empty_like(values)
    _roots_and_powers(values, exponent, slic_module.numpy_uses_svml(), roots, powers)
    np.testing.assert_array_equal(roots, np.cbrt(values))
    np.testing.assert_array_equal(powers, np.power(values, exponent))


def test_without_svml_the_c_library_computes():
    values = np.linspace(0.001, 1.0, 5000)
    roots, powers = np.empty_like(values), np.empty_like(values)
    _roots_and_powers(values, 2.4, False, roots, powers)
    np.testing.assert_array_equal(roots, [math.cbrt(value) for value in values])
    np.testing.assert_array_equal(powers, [math.pow(value, 2.4) for value in values])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64])
def test_lab_equals_rgb2lab(dtype):
    image = photo("coffee", 2)
    if dtype == np.uint16:
        image = image.astype(dtype) * 250
    elif dtype == np.int16:
        image = image.astype(dtype) * 100 - 12000
    elif dtype in (np.float32, np.float64):
        image = (image / 255).astype(dtype) * 3 - 1
    found, scaled = slic_module._working_image(image, None, True, None, 1.0, False)
    float_image = image.astype(slic_module._working_dtype(image.dtype))
    if image.dtype.kind in "iu":
        float_image = image * (1.0 / np.iinfo(image.dtype).max)
        if image.dtype.kind == "i":
            float_image = np.maximum(float_image, -1.0)
    float_image = float_image - float_image.min()
    float_image /= float_image.max()
    expected = rgb2lab(float_image)
    assert scaled
    np.testing.assert_array_equal(found, planar(expected[np.newaxis]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sigmas", [(0.0, 1.0, 1.0), (0.7, 2.0, 0.5), (1.0, 0.0, 3.0)])
def test_smoothing_equals_scipy(dtype, sigmas, rng):
    volume = rng.random((3, 20, 30, 2)).astype(dtype)
    sigmas = np.array(sigmas, dtype=dtype)  # as scikit-image passes them
    expected = ndi.gaussian_filter(volume, [*sigmas, 0], mode="reflect")
    smoothed = np.ascontiguousarray(np.moveaxis(volume, 3, 2))
    slic_module._smooth(smoothed, sigmas)
    np.testing.assert_array_equal(np.moveaxis(smoothed, 2, 3), expected)


@pytest.mark.parametrize("shape", [(512, 512), (1, 37, 91), (10, 10, 10), (5, 300, 7)])
@pytest.mark.parametrize("n_points", [1, 7, 100, 1000, 10**6])
def test_regular_grid_is_scikit_images(shape, n_points):
    from skimage.util import regular_grid

    expected = [(s.start, s.step) for s in regular_grid(shape, n_points)]
    expected = [(start or 0, step or 1) for start, step in expected]
    assert slic_module.regular_grid_steps(shape, n_points) == expected


# -- the public function against scikit-image -----------------------------------------------


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_segments": 250, "compactness": 0.1},
        {"n_segments": 400, "compactness": 100.0},
        {"n_segments": 300, "slic_zero": True},
        {"n_segments": 200, "sigma": 1.5},
        {"n_segments": 150, "spacing": [1.0, 2.5], "sigma": [0.5, 1.0]},
        {"n_segments": 120, "start_label": 0, "max_num_iter": 3},
        {"n_segments": 500, "enforce_connectivity": False},
        {"n_segments": 80, "min_size_factor": 0.2, "max_size_factor": 1.5},
        {"n_segments": 100, "convert2lab": False},
    ],
)
def test_photos_label_as_scikit_image(name, kwargs):
    assert_same_labels(photo(name, 2), **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("n_segments", [100, 1000])
def test_full_size_photos_label_as_scikit_image(name, n_segments):
    assert_same_labels(photo(name), n_segments=n_segments)


@pytest.mark.parametrize(
    "convert",
    [
        lambda im: (im / 255).astype(np.float32),
        lambda im: im / 255.0 * 7 - 3,
        lambda im: (im / 255).astype(np.float16),
        lambda im: im.astype(np.uint16) * 257,
        lambda im: im.astype(np.int16) - 100,
        lambda im: im.astype(np.int32) * 1000,
        lambda im: im[..., 0] > 120,
    ],
    ids=["float32", "float64", "float16", "uint16", "int16", "int32", "bool-gray"],
)
@pytest.mark.parametrize("sigma", [0, 0.7])
def test_every_dtype_labels_as_scikit_image(convert, sigma):
    image = convert(photo("chelsea", 2))
    channel_axis = None if image.ndim == 2 else -1
    assert_same_labels(image, n_segments=150, channel_axis=channel_axis, sigma=sigma)


@pytest.mark.parametrize("name", ["camera", "moon"])
@pytest.mark.parametrize("kwargs", [{}, {"compactness": 0.05, "n_segments": 300}, {"sigma": 1}])
def test_gray_photos_label_as_scikit_image(name, kwargs):
    assert_same_labels(photo(name, 2), channel_axis=None, **kwargs)


def disc_mask(shape) -> np.ndarray:
    height, width = shape
    yy, xx = np.mgrid[:height, :width]
    mask = (yy - height / 2) ** 2 + (xx - width / 3) ** 2 < (height / 3) ** 2
    mask[: height // 5] = True
    return mask


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_segments": 60},
        {"n_segments": 40, "slic_zero": True, "start_label": 0},
        {"n_segments": 90, "compactness": 1.0, "enforce_connectivity": False},
    ],
)
@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_masks_label_as_scikit_image(name, kwargs):
    image = photo(name, 2)
    assert_same_labels(image, mask=disc_mask(image.shape[:2]), **kwargs)


def test_gray_mask_labels_as_scikit_image():
    image = photo("camera", 4)
    assert_same_labels(image, n_segments=50, mask=disc_mask(image.shape), channel_axis=None)


def test_volumes_label_as_scikit_image():
    camera = photo("camera", 4).astype(np.uint16) * 200
    volume = np.stack([np.roll(camera, 3 * i, axis=1) for i in range(12)])
    assert_same_labels(volume, n_segments=150, channel_axis=None)
    assert_same_labels(volume, n_segments=80, channel_axis=None, spacing=[2, 1, 1], sigma=1.0)
    color = np.stack([np.roll(photo("coffee", 4), 5 * i, axis=0) for i in range(6)])
    assert_same_labels(color, n_segments=100, slic_zero=True)
    assert_same_labels(np.moveaxis(color, -1, 0), n_segments=100, channel_axis=0)


def test_noncontiguous_and_big_endian_inputs_label_as_native_ones():
    image = photo("astronaut", 2)
    expected = fastseg.slic(image, n_segments=100)
    np.testing.assert_array_equal(fastseg.slic(image[:, ::-1][:, ::-1], n_segments=100), expected)
    swapped = image.astype(">u2") * 257
    np.testing.assert_array_equal(
        fastseg.slic(swapped, n_segments=100), fastseg.slic(swapped.astype("<u2"), n_segments=100)
    )


def test_the_skimage_module_has_the_same_slic():
    assert fastseg.skimage.slic is fastseg.slic


def test_labels_do_not_depend_on_the_number_of_threads():
    image = photo("rocket")
    previous = fastseg.get_num_threads()
    try:
        results = []
        for n_threads in (1, 2, 5):
            fastseg.set_num_threads(n_threads)
            results.append(fastseg.slic(image, n_segments=700, slic_zero=True))
    finally:
        fastseg.set_num_threads(previous)
    for labels in results[1:]:
        np.testing.assert_array_equal(labels, results[0])


# -- known answers --------------------------------------------------------------------------


def test_four_flat_quadrants_give_four_segments():
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[:32, 32:] = (255, 0, 0)
    image[32:, :32] = (0, 255, 0)
    image[32:, 32:] = (0, 0, 255)
    labels = fastseg.slic(image, n_segments=4, compactness=1.0)
    expected = np.array([[1, 2], [3, 4]]).repeat(32, axis=0).repeat(32, axis=1)
    np.testing.assert_array_equal(labels, expected)


def test_no_iterations_leave_every_pixel_outside():
    labels = fastseg.slic(photo("coffee", 8), max_num_iter=0, enforce_connectivity=False)
    assert (labels == 0).all()


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"n_segments": 0}, ValueError, "`n_segments`"),
        ({"compactness": 0}, ValueError, "`compactness`"),
        ({"compactness": float("nan")}, ValueError, "`compactness`"),
        ({"max_num_iter": -1}, ValueError, "`max_num_iter`"),
        ({"sigma": -1}, ValueError, "`sigma`"),
        ({"sigma": [1, 2, 3]}, ValueError, "`sigma`"),
        ({"spacing": [1, 0]}, ValueError, "`spacing`"),
        ({"spacing": [1, 1, 1]}, ValueError, "`spacing`"),
        ({"start_label": 2}, ValueError, "`start_label`"),
        ({"min_size_factor": -0.5}, ValueError, "`min_size_factor`"),
        ({"convert2lab": "yes"}, TypeError, "`convert2lab`"),
        ({"channel_axis": 5}, ValueError, "`channel_axis`"),
        ({"mask": np.zeros((3, 3), dtype=bool)}, ValueError, "`mask`"),
        ({"mask": np.zeros((32, 32), dtype=bool)}, ValueError, "`mask`"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, error, words):
    with pytest.raises(error, match=words):
        fastseg.slic(photo("coffee", 8)[:32, :32], **kwargs)


def test_bad_images_are_refused_by_name():
    with pytest.raises(ValueError, match="channel_axis"):
        fastseg.slic(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="`image`"):
        fastseg.slic(np.zeros((0, 8, 3)))
    with pytest.raises(TypeError, match="`image`"):
        fastseg.slic(np.zeros((8, 8, 3), dtype=complex))
    with pytest.raises(ValueError, match="`convert2lab`"):
        fastseg.slic(np.zeros((8, 8, 4)), convert2lab=True)
    image = np.random.default_rng(0).random((16, 16, 3))
    image[3, 3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fastseg.slic(image)
    image[3, 3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fastseg.slic(image)
    mask = np.ones((16, 16), dtype=bool)
    mask[3, 3] = False  # NaN outside the mask is allowed, as in scikit-image
    image[3, 3, 1] = np.nan
    assert fastseg.slic(image, mask=mask, n_segments=4)[3, 3] == 0


@pytest.mark.parametrize(
    ("shape", "n_segments", "pixel"), [((6, 8), 10, (2, 3)), ((20, 30), 1, None)]
)
def test_a_mask_with_one_centre_labels_as_scikit_image(shape, n_segments, pixel):
    """One centre: its steps are 0 and scikit-image's spatial weight 1 / 0 = inf (C floats)."""
    image = np.random.default_rng(0).random((*shape, 3))
    mask = np.zeros(shape, dtype=bool)
    if pixel is None:
        mask[5:15, 3:20] = True
    else:
        mask[pixel] = True
    assert_same_labels(image, n_segments=n_segments, mask=mask)


def test_size_factors_beyond_the_image_act_as_the_image():
    image = np.random.default_rng(1).random((60, 60, 3))
    assert_same_labels(image, n_segments=1, max_size_factor=1e5)
    everything = fastseg.slic(image, n_segments=9, min_size_factor=1e300, max_size_factor=1e300)
    np.testing.assert_array_equal(
        everything, fastseg.slic(image, n_segments=9, min_size_factor=1e4, max_size_factor=1e4)
    )
