"""fastseg.find_boundaries and fastseg.mark_boundaries against scikit-image's."""

import numpy as np
import pytest
import skimage.data
import skimage.segmentation

import fastseg


@pytest.fixture(scope="module")
def superpixels():
    image = skimage.data.coffee()[::2, ::2]
    return image, fastseg.slic(image, n_segments=120, start_label=0)


@pytest.mark.parametrize("mode", ["thick", "inner", "outer"])
@pytest.mark.parametrize("background", [0, 3])
def test_boundaries_of_superpixels_are_scikit_images(superpixels, mode, background):
    # int32: scikit-image's "outer" erodes int64 labels in float64, where the largest int64
    # (its stand-in for the background) overflows.
    labels = superpixels[1].astype(np.int32)
    expected = skimage.segmentation.find_boundaries(labels, mode=mode, background=background)
    found = fastseg.find_boundaries(labels, mode=mode, background=background)
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize("mode", ["thick", "inner", "outer"])
@pytest.mark.parametrize(
    "labels",
    [
        np.random.default_rng(0).integers(0, 3, size=(13, 17)).astype(np.uint8),
        np.random.default_rng(1).integers(0, 4, size=(5, 9, 11)).astype(np.int16),
        np.random.default_rng(2).random((12, 12)) > 0.5,
        np.array([[5]], dtype=np.int32),
        np.arange(7, dtype=np.uint16).reshape(1, 7),
    ],
    ids=["uint8", "3-D int16", "bool", "one pixel", "one row"],
)
def test_boundaries_of_small_label_images_are_scikit_images(labels, mode):
    expected = skimage.segmentation.find_boundaries(labels, mode=mode)
    np.testing.assert_array_equal(fastseg.find_boundaries(labels, mode=mode), expected)


def test_marked_boundaries_are_scikit_images_in_the_images_units(superpixels):
    image, labels = superpixels[0], superpixels[1].astype(np.int32)
    expected = skimage.segmentation.mark_boundaries(image, labels)  # float in [0, 1]
    marked = fastseg.mark_boundaries(image, labels)
    assert marked.dtype == np.uint8 and marked.shape == image.shape
    np.testing.assert_array_equal(marked, np.rint(expected * 255).astype(np.uint8))
    gray = fastseg.mark_boundaries(image[..., 0], labels, color=(0, 0, 255))
    assert gray.shape == image.shape and (gray[..., 2] == 255).sum() >= 1


def test_bad_arguments_are_refused_by_name(superpixels):
    image, labels = superpixels
    with pytest.raises(ValueError, match="`mode`"):
        fastseg.find_boundaries(labels, mode="subpixel")
    with pytest.raises(TypeError, match="`labels`"):
        fastseg.find_boundaries(labels.astype(float))
    with pytest.raises(ValueError, match="`image`"):
        fastseg.mark_boundaries(image[:10], labels)
    with pytest.raises(ValueError, match="`color`"):
        fastseg.mark_boundaries(image, labels, color=(1, 2))
