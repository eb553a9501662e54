"""fastseg.dask.skimage_canny: chunked edges equal to the in-memory fastseg.skimage.canny (and so
to skimage.feature.canny), for every chunking, dtype, border mode and mask; bad input refused."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
import skimage.data
import skimage.feature

import fastseg.dask as fdask
import fastseg.skimage

CHUNKINGS = ((100, 130), (37, 512), 512, (256, 200))


@pytest.fixture(autouse=True)
def threaded_scheduler():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return skimage.data.camera()


@pytest.mark.parametrize("mode", ("constant", "reflect", "mirror", "nearest"))
@pytest.mark.parametrize("dtype", ("uint8", "uint16", "float32", "float64"))
def test_chunked_equals_in_memory(camera, mode, dtype):
    image = camera[:300, :260]
    if dtype == "uint16":
        image = image.astype(np.uint16) * 257
    elif dtype != "uint8":
        image = (image / 255.0).astype(dtype)
    for sigma in (0.0, 1.0, 2.5):
        expected = fastseg.skimage.canny(image, sigma, mode=mode)
        for chunks in CHUNKINGS:
            found = fdask.skimage_canny(da.from_array(image, chunks=chunks), sigma, mode=mode)
            assert found.dtype == np.bool_ and found.chunks == da.from_array(image, chunks).chunks
            differing = int(np.count_nonzero(found.compute() != expected))
            assert differing == 0, (sigma, chunks)


def test_equals_scikit_image_with_thresholds_and_cval(camera):
    image = camera.astype(np.float64) / 255.0
    lazy = da.from_array(image, chunks=(128, 96))
    for low, high, cval in ((0.05, 0.1, 0.0), (0.1, 0.3, 0.5), (None, 0.25, 0.0)):
        expected = skimage.feature.canny(image, 2.0, low, high, cval=cval)
        found = fdask.skimage_canny(lazy, 2.0, low, high, cval=cval).compute()
        np.testing.assert_array_equal(found, expected)


def test_masks_as_numpy_or_dask_arrays(camera):
    rng = np.random.default_rng(0)
    mask = rng.random(camera.shape) < 0.95
    mask[100:180, 200:300] = False
    expected = skimage.feature.canny(camera, 1.5, mask=mask)
    for chunks in ((100, 130), 64):
        lazy = da.from_array(camera, chunks=chunks)
        np.testing.assert_array_equal(fdask.skimage_canny(lazy, 1.5, mask=mask).compute(), expected)
        lazy_mask = da.from_array(mask.astype(np.uint8), chunks=77)
        found = fdask.skimage_canny(lazy, 1.5, mask=lazy_mask).compute()
        np.testing.assert_array_equal(found, expected)


def test_chunks_smaller_than_the_halo(camera):
    image = camera[:60, :50]
    for sigma in (0.5, 2.0):
        expected = fastseg.skimage.canny(image, sigma, mode="mirror")
        found = fdask.skimage_canny(da.from_array(image, chunks=(7, 9)), sigma, mode="mirror")
        np.testing.assert_array_equal(found.compute(), expected)


def test_images_smaller_than_the_halo():
    rng = np.random.default_rng(5)
    for shape in ((3, 4), (9, 30), (30, 9)):
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        for sigma in (1.0, 3.0):
            expected = skimage.feature.canny(image, sigma, 10, 30, mode="reflect")
            found = fdask.skimage_canny(
                da.from_array(image, chunks=2), sigma, 10, 30, mode="reflect"
            ).compute()
            np.testing.assert_array_equal(found, expected)


GOOD = da.zeros((20, 20), dtype=np.uint8, chunks=10)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: fdask.skimage_canny(np.zeros((20, 20))), TypeError, "dask"),
        (lambda: fdask.skimage_canny(GOOD.astype(bool)), TypeError, "`image`"),
        (lambda: fdask.skimage_canny(GOOD.astype(np.int64)), TypeError, "`image`"),
        (lambda: fdask.skimage_canny(da.zeros((4, 4, 3), np.uint8)), ValueError, "`image`"),
        (lambda: fdask.skimage_canny(GOOD, sigma=-1), ValueError, "`sigma`"),
        (lambda: fdask.skimage_canny(GOOD, 1, 30, 10), ValueError, "<= `high_threshold`"),
        (lambda: fdask.skimage_canny(GOOD, mode="wrap"), ValueError, "'wrap'"),
        (lambda: fdask.skimage_canny(GOOD, mask=np.ones((20, 21))), ValueError, "`mask`"),
        (lambda: fdask.skimage_canny(GOOD, mask=da.ones((19, 20))), ValueError, "`mask`"),
        (
            lambda: fdask.skimage_canny(da.full((20, 20), np.nan, chunks=10)).compute(),
            ValueError,
            "finite",
        ),
    ],
)
def test_bad_input_is_refused(call, error, words):
    with pytest.raises(error, match=words):
        call()
