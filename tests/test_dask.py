"""fastseg.dask: the chunked drivers give the in-memory results, on threads and on a cluster.

The bar for the distinct-colour path, the per-pixel path and Canny is bit-identity with the
in-memory functions (zero differing labels or edge pixels, equal centres), whatever the chunking.
"""

from __future__ import annotations

import collections
import itertools
import subprocess
import sys

import cv2
import dask
import dask.array as da
import dask.callbacks
import numpy as np
import pytest
import skimage.data
import tifffile

import fastseg
import fastseg.dask as fdask
import fastseg.skimage
from fastseg import Criteria, cli
from fastseg.cli import main as cli_main


def chunked(image, chunks):
    """`image` as a dask array; `chunks` gives rows and columns, the channels stay whole unless
    a third entry splits them."""
    if image.ndim == 3 and isinstance(chunks, tuple) and len(chunks) == 2:
        chunks = (*chunks, -1)
    return da.from_array(image, chunks=chunks)


def assert_same_segmentation(result, expected, exact_mean_colours=True):
    labels = result.labels.compute()
    assert labels.dtype == expected.labels.dtype
    assert np.array_equal(labels, expected.labels)
    assert np.array_equal(result.centers, expected.centers)
    assert np.array_equal(result.counts, expected.counts)
    assert np.array_equal(result.palette, expected.palette)
    assert result.compactness == expected.compactness
    assert result.n_iter == expected.n_iter
    assert result.method == expected.method
    if exact_mean_colours:
        assert np.array_equal(result.mean_colors, expected.mean_colors)
    else:
        np.testing.assert_allclose(result.mean_colors, expected.mean_colors, rtol=1e-12, atol=0)


@pytest.fixture(scope="module")
def photos():
    coffee = skimage.data.coffee()
    return {
        "astronaut": skimage.data.astronaut(),
        "coffee": coffee,
        "chelsea": skimage.data.chelsea(),
        "camera": skimage.data.camera(),
        "coffee_small": np.ascontiguousarray(coffee[100:250, 200:400]),
        "camera_top": np.ascontiguousarray(skimage.data.camera()[150:250]),
        "chelsea_left": np.ascontiguousarray(skimage.data.chelsea()[:, 100:160]),
    }


# --- segmentation: the distinct-colour path ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "chunks", "options"),
    [
        ("astronaut", (100, 77), {}),
        ("astronaut", (512, 512), {"color_space": "lab"}),
        ("astronaut", (33, 512, 1), {"color_space": "hsv", "attempts": 2}),  # channels split
        ("coffee", (130, 1000), {"init": "random"}),
        ("chelsea", (1, 451), {"channel_order": "bgr", "color_space": "hsv"}),  # one row each
        ("camera", (200, 70), {}),
    ],
)
def test_distinct_path_is_bit_identical(photos, name, chunks, options):
    image = photos[name]
    expected = fastseg.segment(image, 5, seed=0, **options)
    assert expected.method == "distinct"
    result = fdask.segment(chunked(image, chunks), 5, seed=0, **options)
    assert_same_segmentation(result, expected)
    assert result.labels.chunks == chunked(image, chunks).chunks[:2]


def test_given_init_and_alpha_channel(photos, rng):
    image = photos["coffee_small"]
    alpha = rng.integers(0, 256, image.shape[:2], dtype=np.uint8)
    rgba = np.dstack([image, alpha])
    init = np.array([[20.0, 20, 20], [200, 200, 200], [150, 80, 40], [90, 60, 30]])
    expected = fastseg.segment(rgba, 4, init=init, criteria=Criteria(max_iter=7))
    result = fdask.segment(chunked(rgba, (40, 64)), 4, init=init, criteria=Criteria(max_iter=7))
    assert_same_segmentation(result, expected)
    assert np.array_equal(result.recolor().compute(), expected.recolor())
    assert np.array_equal(result.masks().compute(), expected.masks())


def test_too_many_distinct_colours_take_the_pixel_path(rng):
    image = rng.integers(0, 256, (60, 70, 3), dtype=np.uint8)
    expected = fastseg.segment(image, 3, seed=2)
    assert expected.method == "pixels"
    assert_same_segmentation(fdask.segment(chunked(image, (25, 33)), 3, seed=2), expected)


@pytest.mark.parametrize("method", ["distinct", "auto"])
def test_more_clusters_than_colours_take_the_pixel_path_and_say_so(method):
    image = np.zeros((20, 30, 3), dtype=np.uint8)
    image[:, 10:] = (200, 10, 10)
    with pytest.warns(RuntimeWarning, match="`k` = 3 is more than the image's 2 distinct"):
        expected = fastseg.segment(image, 3, seed=0, method=method)
    assert expected.method == "pixels"
    with pytest.warns(RuntimeWarning, match="`k` = 3 is more than the image's 2 distinct"):
        result = fdask.segment(chunked(image, (7, 11)), 3, seed=0, method=method)
    assert_same_segmentation(result, expected)


# --- segmentation: the per-pixel path -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "chunks", "options"),
    [
        ("uint8", (37, 61), {"method": "pixels"}),
        ("uint8", (150, 200), {"spatial": 0.5}),
        ("uint8", (20, 200), {"method": "pixels", "color_space": "hsv", "attempts": 2}),
        ("uint16", (64, 64), {}),
        ("float32", (50, 41), {"init": "random"}),
        ("float64", (37, 61), {"color_space": "lab"}),
        ("gray_float64", (16, 200), {"spatial": 1.0}),
    ],
)
def test_pixel_path_is_bit_identical(photos, kind, chunks, options):
    image = photos["coffee_small"]
    if kind == "uint16":
        image = image.astype(np.uint16) * 257
    elif kind.endswith("float32"):
        image = (image / 255.0).astype(np.float32)
    elif kind == "float64":
        image = image / 255.0
    elif kind == "gray_float64":
        image = image[:, :, 1] / 255.0
    expected = fastseg.segment(image, 5, seed=3, **options)
    assert expected.method == "pixels"
    result = fdask.segment(chunked(image, chunks), 5, seed=3, **options)
    # Float colours other than the features themselves are summed per block.
    features_are_pixels = options.get("color_space", "rgb") == "rgb" and "spatial" not in options
    exact = image.dtype.kind == "u" or features_are_pixels
    assert_same_segmentation(result, expected, exact_mean_colours=exact)


def test_pixel_path_seeds_from_the_same_subsample(photos):
    # 240 000 pixels: more than the seeding subsample, so the seeding draws rows at random.
    image = photos["coffee"]
    expected = fastseg.segment(image, 6, seed=1, method="pixels", criteria=Criteria(max_iter=4))
    result = fdask.segment(
        chunked(image, (100, 150)), 6, seed=1, method="pixels", criteria=Criteria(max_iter=4)
    )
    assert_same_segmentation(result, expected)


@pytest.mark.parametrize("scale", [1.0, 255.0])  # float pixels; 8-bit ones, summed by chunk
def test_pixel_path_reseeds_empty_clusters_alike(photos, scale):
    image = photos["coffee_small"] / 255.0
    if scale != 1.0:
        image = np.rint(image * scale).astype(np.uint8)
    # Two centres far from every pixel: their clusters are empty after the first pass.
    init = np.array([[0.1] * 3, [0.5] * 3, [0.9] * 3, [50.0] * 3, [60.0] * 3]) * scale
    expected = fastseg.segment(image, 5, init=init, criteria=Criteria(max_iter=5), method="pixels")
    assert (expected.counts > 0).all()
    result = fdask.segment(
        chunked(image, (64, 200)), 5, init=init, criteria=Criteria(max_iter=5), method="pixels"
    )
    assert_same_segmentation(result, expected)


# --- Canny ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("l2_gradient", [False, True])
@pytest.mark.parametrize(
    ("name", "aperture_size", "chunks"),
    [
        ("camera_top", 3, (1, 512)),  # one row per chunk
        ("camera", 5, (129, 61)),  # chunks that do not divide the image
        ("camera_top", 7, (3, 170)),  # chunks smaller than the halo
        ("astronaut", 3, (100, 77)),
        ("astronaut", 7, (512, 512)),  # one chunk
        ("coffee", 5, (2, 600)),
        ("chelsea_left", 3, (64, 3, 1)),  # thin columns; channels split
    ],
)
def test_canny_is_identical_to_the_whole_image(photos, name, aperture_size, chunks, l2_gradient):
    image = photos[name]
    for low, high in ((50, 150), (10, 30)):
        expected = fastseg.canny(
            image, low, high, aperture_size=aperture_size, l2_gradient=l2_gradient
        )
        edges = fdask.canny(
            chunked(image, chunks), low, high, aperture_size=aperture_size,
            l2_gradient=l2_gradient,
        )  # fmt: skip
        assert edges.dtype == np.uint8 and edges.chunks == chunked(image, chunks).chunks[:2]
        computed = edges.compute()
        assert int((computed != expected).sum()) == 0
        assert computed.any()


@pytest.mark.parametrize("l2_gradient", [False, True])
@pytest.mark.parametrize(
    ("name", "aperture_size", "chunks"),
    [
        ("camera_top", 3, (37, 90)),
        ("coffee", 5, (100, 7)),  # columns thinner than the halo
        ("astronaut", 7, (200, 128)),
    ],
)
def test_canny_of_16_bit_and_float_images_is_identical_to_the_whole_image(
    photos, name, aperture_size, chunks, l2_gradient
):
    """Each depth's rules (whole int32 or float64 derivatives) decide every chunk as they decide
    the whole image, on photos made 16-bit with noise and float."""
    rng = np.random.default_rng(aperture_size)
    photo = photos[name]
    wide = (photo.astype(np.uint16) * 251 + rng.integers(0, 251, photo.shape)).astype(np.uint16)
    scale = {3: 1, 5: 4, 7: 60}[aperture_size]
    low, high = 4000.0 * scale, 12000.5 * scale
    for image, unit in (
        (wide, 1.0),
        (wide / np.float32(65535), 1 / 65535),
        (wide / 65535, 1 / 65535),
    ):
        options = {"aperture_size": aperture_size, "l2_gradient": l2_gradient}
        expected = fastseg.canny(image, low * unit, high * unit, **options)
        edges = fdask.canny(chunked(image, chunks), low * unit, high * unit, **options).compute()
        assert int((edges != expected).sum()) == 0, image.dtype
        assert 0.002 < np.mean(edges > 0) < 0.3


def test_canny_of_a_float_image_outside_the_unit_range_fails_when_computed():
    image = np.full((20, 20), 0.5)
    image[15, 15] = 255.0
    edges = fdask.canny(da.from_array(image, chunks=10), 0.1, 0.2)  # lazy: nothing read yet
    with pytest.raises(ValueError, match=r"`image` is a float image, which must lie in \[0, 1\]"):
        edges.compute()
    image[15, 15] = np.nan
    with pytest.raises(ValueError, match="`image`"):
        fdask.canny(da.from_array(image, chunks=10), 0.1, 0.2).compute()


def test_hysteresis_follows_edges_across_many_chunks():
    # A weak ramp edge that is strong only at its far end: every edge pixel in the other chunks
    # is kept only through the chain of chunks.
    image = np.zeros((40, 120), dtype=np.uint8)
    image[:, 60:] = np.linspace(40, 120, 40).astype(np.uint8)[:, None]
    image[35:, 60:] = 250
    expected = fastseg.canny(image, 60, 300)
    assert expected[:30].any()  # the weak part is linked to the strong end
    for chunks in ((3, 7), (1, 120), (40, 1), (6, 61)):
        edges = fdask.canny(da.from_array(image, chunks=chunks), 60, 300).compute()
        assert np.array_equal(edges, expected)


def test_canny_on_multichannel_and_noise(rng):
    for channels in (2, 4):
        image = rng.integers(0, 256, (45, 38, channels), dtype=np.uint8)
        expected = cv2.Canny(np.ascontiguousarray(image[:, :, 0]), 100, 200)
        assert np.array_equal(
            fdask.canny(chunked(image[:, :, 0], (9, 13)), 100, 200).compute(), expected
        )
        expected = fastseg.canny(image, 100, 200, l2_gradient=True)
        edges = fdask.canny(chunked(image, (9, 13)), 100, 200, l2_gradient=True).compute()
        assert np.array_equal(edges, expected)


@pytest.mark.parametrize("aperture_size", [3, 5, 7])
@pytest.mark.parametrize(
    "chunks",
    [
        ((99, 1), (45, 467)),  # a last row chunk of one pixel
        ((98, 2), (511, 1)),  # and a last column chunk of one
        ((30, 30, 30, 9, 1), (200, 200, 109, 3)),
        ((1, 99), (3, 509)),  # a first chunk smaller than the halo
    ],
)
def test_canny_with_chunks_smaller_than_the_halo(photos, aperture_size, chunks):
    image = photos["camera_top"]
    expected = fastseg.canny(image, 50, 150, aperture_size=aperture_size)
    edges = fdask.canny(da.from_array(image, chunks=chunks), 50, 150, aperture_size=aperture_size)
    assert edges.chunks == chunks
    computed = edges.compute()
    assert int((computed != expected).sum()) == 0 and computed.any()


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (3, 5), (2, 9), (9, 2, 3)])
def test_canny_on_images_smaller_than_the_halo(rng, shape):
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    for aperture_size in (3, 5, 7):
        expected = fastseg.canny(image, 50, 150, aperture_size=aperture_size)
        for chunks in (1, 2, 3):
            edges = fdask.canny(chunked(image, (chunks, chunks)), 50, 150,
                                aperture_size=aperture_size)  # fmt: skip
            assert np.array_equal(edges.compute(), expected)


def test_fastseg_does_not_import_dask():
    code = "import sys, fastseg; sys.exit('dask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_halo_depth():
    assert [fdask.halo_depth(a) for a in (3, 5, 7)] == [2, 3, 4]


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: fdask.segment(np.zeros((4, 4, 3), np.uint8), 2), TypeError, "`image`.*dask"),
        (lambda: fdask.segment(da.zeros((4, 4, 3), dtype=np.int32), 2), TypeError, "`image`"),
        (lambda: fdask.segment(da.zeros((4, 4, 3, 1), dtype=np.uint8), 2), ValueError, "`image`"),
        (lambda: fdask.segment(da.zeros((4, 4, 2), dtype=np.uint8), 2), ValueError, "`image`"),
        (lambda: fdask.segment(da.zeros((0, 4), dtype=np.uint8), 1), ValueError, "`image`"),
        (lambda: fdask.segment(da.zeros((4, 4), dtype=np.uint8), 17), ValueError, "`k`"),
        (lambda: fdask.segment(da.zeros((4, 4), dtype=np.uint8), 2.0), TypeError, "`k`"),
        (
            lambda: fdask.segment(da.zeros((4, 4), dtype=np.uint8), 2, method="x"),
            ValueError,
            "`method`",
        ),
        (
            lambda: fdask.segment(da.full((4, 4), np.nan), 2),
            ValueError,
            "`image` must contain only finite",
        ),
        (
            lambda: fdask.segment(da.zeros((4, 4), dtype=np.uint8), 2, color_space="hsv"),
            ValueError,
            "`color_space`",
        ),
        (lambda: fdask.canny(np.zeros((4, 4), np.uint8), 1, 2), TypeError, "`image`.*dask"),
        (lambda: fdask.canny(da.zeros((4, 4), dtype=np.int16), 1, 2), TypeError, "`image`"),
        (lambda: fdask.canny(da.zeros((4,), dtype=np.uint8), 1, 2), ValueError, "`image`"),
        (lambda: fdask.canny(da.zeros((4, 4, 5), dtype=np.uint8), 1, 2), ValueError, "`image`"),
        (lambda: fdask.canny(da.zeros((4, 4), dtype=np.uint8), -1, 2), ValueError, "`threshold1`"),
        (
            lambda: fdask.canny(da.zeros((4, 4), dtype=np.uint8), 1, 2, aperture_size=4),
            ValueError,
            "`aperture_size`",
        ),
        (lambda: fdask.open_image("/nonexistent/x.zarr"), FileNotFoundError, "does not exist"),
        (lambda: fdask.to_zarr(np.zeros(3), "x.zarr"), TypeError, "`array`"),
        (lambda: fdask.segment(da.zeros((4, 4), dtype=bool), 1), TypeError, "`image`"),
        (lambda: fdask.segment(da.zeros((4, 4), dtype=np.int16), 1), TypeError, "`image`"),
        (
            lambda: fdask.segment(da.from_array(np.zeros((4, 4), object), chunks=2), 1),
            TypeError,
            "`image`",
        ),
        (lambda: fdask.canny(da.zeros((4, 4), dtype=bool), 1, 2), TypeError, "`image`"),
        (lambda: fdask.canny(da.zeros((4, 4), dtype=np.uint8), 1, np.inf), ValueError, "`thr"),
        (lambda: fdask.open_image(3), TypeError, "`path`"),
        (lambda: fdask.open_image("x.zarr", chunks=1.5), TypeError, "`chunks`"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "image",
    [
        np.full((4, 5, 3), 200.0, dtype=np.float32),  # what np.float32(image) gives
        np.full((4, 5), -0.5),
        np.dstack([np.full((4, 5, 3), 0.5), np.full((4, 5), 2.0)]),  # alpha outside [0, 1]
        np.full((4, 5), np.inf, dtype=np.float32),
    ],
)
def test_float_images_follow_the_in_memory_rule(image):
    with pytest.raises(ValueError) as in_memory:
        fastseg.segment(image, 2)
    with pytest.raises(ValueError) as chunked_error:
        fdask.segment(da.from_array(image, chunks=2), 2)
    assert str(chunked_error.value) == str(in_memory.value)
    assert str(in_memory.value).startswith("`image`")


def test_k_is_checked_before_any_colour_counting(monkeypatch):
    def count(*args):
        raise AssertionError("colours counted before `k` was checked")

    # Patched where segment looks it up (fastseg.dask is a package since 036648c).
    monkeypatch.setattr("fastseg.dask.segmentation._distinct_colors_of", count)
    image = da.zeros((4, 5, 3), dtype=np.uint8, chunks=2)
    with pytest.raises(ValueError, match=r"`k` must be an integer in \[1, H \* W\] = \[1, 20\]"):
        fdask.segment(image, 21)


@pytest.mark.parametrize(
    "image",
    [
        np.full((1, 1, 3), 9, dtype=np.uint8),
        np.full((1, 1), 9, dtype=np.uint8),
        np.full((1, 1, 1), 900, dtype=np.uint16),
        np.full((1, 1), 0.25),
        np.full((1, 1, 4), 0.5, dtype=np.float32),
    ],
)
def test_one_pixel_images(image):
    expected = fastseg.segment(image, 1, seed=0)
    assert_same_segmentation(fdask.segment(da.from_array(image), 1, seed=0), expected)


def test_open_image_bounds_chunk_sizes(tmp_path):
    # A header of a 10^6 x 10^6 image (nothing stored): its chunks are what the header says.
    zarr = pytest.importorskip("zarr")
    huge = tmp_path / "huge.zarr"
    zarr.create_array(store=str(huge), shape=(10**6, 10**6), chunks=(10**5, 10**5), dtype="u1")
    with pytest.raises(ValueError, match="`path` must give chunks of at most"):
        fdask.open_image(huge)
    many = tmp_path / "many.zarr"
    zarr.create_array(store=str(many), shape=(10**6, 10**6), chunks=(1000, 1000), dtype="u1")
    with pytest.raises(ValueError, match="`path` must give at most 262144 chunks"):
        fdask.open_image(many)
    assert fdask.open_image(many, chunks=4000).numblocks == (250, 250)
    with pytest.raises(ValueError, match="`chunks` must give at most 262144 chunks"):
        fdask.open_image(many, chunks=1000)
    with pytest.raises(ValueError, match="`chunks` must give chunks of at most"):
        fdask.open_image(many, chunks=50000)
    small = tmp_path / "small.zarr"
    fdask.to_zarr(da.zeros((30, 20), dtype=np.uint8, chunks=10), small)
    assert fdask.open_image(small, chunks=10**12).chunks == ((30,), (20,))  # one chunk


def test_open_image_bounds_tiff_strips(tmp_path, monkeypatch):
    # A TIFF in one strip is read whole for any chunk: its strip must fit the bound too.
    tiff = tmp_path / "strip.tif"
    tifffile.imwrite(tiff, np.zeros((100, 80, 3), dtype=np.uint8), rowsperstrip=100)
    monkeypatch.setattr("fastseg.dask.io.MAX_CHUNK_BYTES", 10_000)  # where open_image reads it
    with pytest.raises(ValueError, match="`path` must give chunks of at most 10000 bytes"):
        fdask.open_image(tiff, chunks=10)
    tiled = tmp_path / "tiled.tif"
    tifffile.imwrite(tiled, np.zeros((100, 80, 3), dtype=np.uint8), tile=(32, 32))
    assert fdask.open_image(tiled, chunks=40).numblocks == (3, 2, 1)


# --- files and the command line ------------------------------------------------------------------


def test_zarr_and_tiff_round_trip(photos, tmp_path):
    image = photos["coffee_small"]
    store = tmp_path / "image.zarr"
    fdask.to_zarr(chunked(image, (64, 64)), store)
    opened = fdask.open_image(store)
    assert opened.chunks[:2] == ((64, 64, 22), (64, 64, 64, 8))
    assert np.array_equal(opened.compute(), image)
    assert fdask.open_image(store, chunks=50).chunks[0] == (50, 50, 50)
    tiff = tmp_path / "image.tif"
    tifffile.imwrite(tiff, image, tile=(64, 64))
    assert np.array_equal(fdask.open_image(tiff, chunks=40).compute(), image)
    png = tmp_path / "a.png"
    png.write_bytes(b"not a picture")
    with pytest.raises(ValueError, match="not a zarr store or a TIFF"):
        fdask.open_image(png)


def test_failed_write_leaves_no_output(tmp_path):
    def explode(block):
        raise RuntimeError("chunk failed")

    failing = da.zeros((8, 8), chunks=4, dtype=np.uint8).map_blocks(explode, dtype=np.uint8)
    out = tmp_path / "out.zarr"
    with pytest.raises(RuntimeError, match="chunk failed"):
        fdask.to_zarr(failing, out)
    assert list(tmp_path.iterdir()) == []


def test_cli_chunks_writes_labels_and_edges(photos, tmp_path, capsys):
    image = photos["coffee_small"]
    store = tmp_path / "image.zarr"
    fdask.to_zarr(chunked(image, (64, 64)), store)
    labels_out = tmp_path / "labels.zarr"
    assert (
        cli_main(["segment", str(store), "-k", "4", "--chunks", "50", "-o", str(labels_out)]) == 0
    )
    assert "-> " in capsys.readouterr().out
    expected = fastseg.segment(image, 4, seed=0)
    assert np.array_equal(fdask.open_image(labels_out).compute(), expected.labels)
    edges_out = tmp_path / "edges.zarr"
    argv = ["edges", str(store), "--chunks", "30", "--aperture", "5", "-o", str(edges_out)]
    assert cli_main(argv) == 0
    bgr = np.ascontiguousarray(image[:, :, ::-1])
    expected_edges = cv2.Canny(bgr, 100, 200, apertureSize=5)
    assert np.array_equal(fdask.open_image(edges_out).compute(), expected_edges)


def test_cli_chunks_edges_of_16_bit_and_float_images_use_their_units(photos, tmp_path):
    """The default thresholds (100 and 200 in 8-bit steps) in the image's units, as for an image in
    memory: the photo times 257 (16-bit) gives cv2.Canny's edges of the photo at 100 and 200."""
    image = photos["coffee_small"]
    expected = cv2.Canny(np.ascontiguousarray(image[:, :, ::-1]), 100, 200)
    for name, pixels in (
        ("wide", image.astype(np.uint16) * 257),
        ("unit", image / np.float32(256)),
    ):
        store = tmp_path / f"{name}.zarr"
        fdask.to_zarr(chunked(pixels, (64, 64)), store)
        out = tmp_path / f"{name}-edges.zarr"
        assert cli_main(["edges", str(store), "--chunks", "30", "-o", str(out)]) == 0
        edges = fdask.open_image(out).compute()
        if name == "wide":
            assert np.array_equal(edges, expected)
        whole = fastseg.canny(pixels[:, :, ::-1], *cli._canny_thresholds(pixels.dtype, None, None))
        assert np.array_equal(edges, whole), name


def test_cli_chunks_edges_by_scikit_image_rules(photos, tmp_path):
    gray16 = cv2.cvtColor(photos["coffee_small"], cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
    store = tmp_path / "gray.zarr"
    fdask.to_zarr(chunked(gray16, (64, 64)), store)
    out = tmp_path / "edges.zarr"
    argv = ["edges", str(store), "--chunks", "30", "--sigma", "1.5", "--high", "20000"]
    assert cli_main([*argv, "-o", str(out)]) == 0
    expected = fastseg.skimage.canny(gray16, 1.5, None, 20000)
    assert np.array_equal(fdask.open_image(out).compute(), expected.astype(np.uint8) * 255)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["segment", "{store}", "--chunks", "50", "-o", "{tmp}/out.png"], "-o must end in .zarr"),
        (["segment", "{tmp}/missing.zarr", "--chunks", "50", "-o", "{tmp}/o.zarr"], "not exist"),
        (["segment", "{store}", "-k", "0", "--chunks", "50", "-o", "{tmp}/o.zarr"], "`k`"),
        (["segment", "{store}", "--chunks", "0", "-o", "{tmp}/o.zarr"], "--chunks"),
        (["edges", "{store}", "--chunks", "50", "--auto", "-o", "{tmp}/o.zarr"], "--auto"),
    ],
)
def test_cli_chunks_errors(photos, tmp_path, capsys, argv, message):
    store = tmp_path / "image.zarr"
    fdask.to_zarr(chunked(photos["coffee_small"], (64, 64)), store)
    argv = [a.format(store=store, tmp=tmp_path) for a in argv]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.zarr"]


# --- a process cluster ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
        dashboard_address=None,
    )  # fmt: skip
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def test_cluster_gives_the_same_results(client, photos):
    image = photos["astronaut"]
    expected = fastseg.segment(image, 4, seed=0)
    with dask.config.set(scheduler=client.get):
        result = fdask.segment(chunked(image, (128, 200)), 4, seed=0)
        assert_same_segmentation(result, expected)
        small = photos["coffee_small"] / 255.0
        expected = fastseg.segment(small, 3, seed=0, criteria=Criteria(max_iter=5))
        result = fdask.segment(chunked(small, (75, 100)), 3, seed=0, criteria=Criteria(max_iter=5))
        assert_same_segmentation(result, expected)
        expected_edges = fastseg.canny(image, 50, 150, aperture_size=5)
        edges = fdask.canny(chunked(image, (100, 130)), 50, 150, aperture_size=5).compute()
        assert np.array_equal(edges, expected_edges)


class CountingReads:
    """A NumPy array behind a dask array that records every read: the region (start, stop) of
    each axis, and the dask computation (a pass, numbered from 1 by :class:`ComputationCounter`;
    None outside any) that it belongs to."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim
        self.computation = None
        self.reads = []  # appended from the scheduler's threads: list.append is atomic

    def __getitem__(self, key):
        region = tuple(
            index.indices(length)[:2] for index, length in zip(key, self.shape, strict=True)
        )
        self.reads.append((self.computation, region))
        return self.array[key]


class ComputationCounter(dask.callbacks.Callback):
    """Numbers the dask computations started while it is active, for :class:`CountingReads`."""

    def __init__(self, source: CountingReads):
        super().__init__()
        self.source = source
        self.count = 0

    def _start(self, dsk):
        self.count += 1
        self.source.computation = self.count


@pytest.mark.parametrize("kind", ["rgb uint8", "rgb uint16", "gray uint8"])
def test_pixel_passes_read_each_chunk_once_where_sums_are_exact(photos, kind):
    """Where every sum of a pass is exact in any order (8- and 16-bit pixels clustered as they
    are), each per-pixel pass reads each chunk of the image exactly once, whole: counted on an
    array that records its reads, pass by pass (one dask computation each)."""
    image = photos["coffee_small"]
    if kind == "rgb uint16":
        image = image.astype(np.uint16) * 257
    elif kind == "gray uint8":
        image = np.ascontiguousarray(image[:, :, 1])
    source = CountingReads(image)
    array = da.from_array(source, chunks=(37, 61, *image.shape[2:]), asarray=False)
    # Given centres that are not yet settled (no seeding, whose point reads touch only some
    # chunks; no empty cluster, whose re-seeding reads whole rows) and no tol (no variance
    # passes): every computation of the run is a Lloyd pass or the labelling.
    init = fastseg.segment(image, 4, seed=0, method="pixels", criteria=Criteria(2)).centers
    criteria = Criteria(max_iter=20, tol=None)
    expected = fastseg.segment(image, 4, init=init, method="pixels", criteria=criteria)
    with dask.config.set(scheduler="threads"), ComputationCounter(source) as computations:
        result = fdask.segment(array, 4, init=init, method="pixels", criteria=criteria)
        labels = result.labels.compute()
    assert result.n_iter == expected.n_iter and np.array_equal(labels, expected.labels)
    assert computations.count >= result.n_iter > 1  # at least one pass per update
    # Outside a computation only dask's look at the array's type: no pixel read.
    assert all(
        np.prod([stop - start for start, stop in region]) == 0
        for computation, region in source.reads
        if computation is None
    )
    row_bounds, column_bounds = (np.cumsum((0, *sizes)) for sizes in array.chunks[:2])
    chunks = {
        ((int(top), int(bottom)), (int(left), int(right)), *[(0, n) for n in image.shape[2:]])
        for top, bottom in itertools.pairwise(row_bounds)
        for left, right in itertools.pairwise(column_bounds)
    }
    for computation in range(1, computations.count + 1):
        reads = collections.Counter(
            region for number, region in source.reads if number == computation
        )
        assert reads == dict.fromkeys(chunks, 1), f"computation {computation} of the run"
