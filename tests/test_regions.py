"""fastseg.connected_regions, fastseg.find_boundaries and fastseg.mark_boundaries against
scikit-image's and a NumPy reference."""

import naive
import numpy as np
import pytest
import skimage.data
import skimage.measure
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


@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("seed", range(3))
def test_regions_are_numbered_as_skimage_measure_label(connectivity, seed):
    labels = np.random.default_rng(seed).integers(0, 3, size=(40, 57)).astype(np.uint8)
    expected = skimage.measure.label(labels.astype(np.int32) + 1, connectivity=connectivity)
    found = fastseg.connected_regions(labels, connectivity=connectivity)
    assert found.dtype == np.int32
    np.testing.assert_array_equal(found, expected)


def test_regions_of_a_segmented_photo_are_skimages():
    result = fastseg.segment(skimage.data.chelsea(), 6, seed=0)
    expected = skimage.measure.label(result.labels.astype(np.int32) + 1, connectivity=1)
    np.testing.assert_array_equal(fastseg.connected_regions(result.labels), expected)


@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize(("seed", "min_size"), [(0, 3), (1, 6), (2, 15), (3, 40)])
def test_small_regions_merge_as_the_reference(seed, min_size, connectivity):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=(18, 23)).astype(np.uint8)
    labels[5:12, 4:15] = 4  # a large region among small ones
    image = rng.integers(0, 256, size=(18, 23, 3)).astype(np.uint8)
    regions = skimage.measure.label(labels.astype(np.int32) + 1, connectivity=connectivity)
    expected = naive.merge_small_regions(regions, image, min_size, diagonal=connectivity == 2)
    found = fastseg.connected_regions(labels, image, min_size=min_size, connectivity=connectivity)
    np.testing.assert_array_equal(found, expected)


def test_merged_regions_are_large_and_connected():
    image = skimage.data.astronaut()
    result = fastseg.segment(image, 8, seed=0)
    regions = result.regions(min_size=200)
    sizes = np.bincount(regions.ravel())[1:]
    assert sizes.min() >= 200 and len(sizes) == regions.max()
    np.testing.assert_array_equal(skimage.measure.label(regions, connectivity=1), regions)
    by_image = fastseg.connected_regions(result.labels, image, min_size=200)
    assert np.bincount(by_image.ravel())[1:].min() >= 200


def test_a_region_touching_no_other_stays_whatever_its_size():
    labels = np.zeros((4, 5), dtype=np.uint8)
    found = fastseg.connected_regions(labels, np.zeros((4, 5)), min_size=100)
    np.testing.assert_array_equal(found, np.ones((4, 5), dtype=np.int32))


def test_regions_refuse_bad_arguments():
    labels = np.zeros((4, 5), dtype=np.uint8)
    labels[0, 0] = 1
    with pytest.raises(ValueError, match="`image`"):
        fastseg.connected_regions(labels, min_size=5)
    with pytest.raises(ValueError, match="`connectivity`"):
        fastseg.connected_regions(labels, connectivity=3)
    with pytest.raises(ValueError, match="`min_size`"):
        fastseg.connected_regions(labels, min_size=0)
    with pytest.raises(ValueError, match="`colors`"):
        fastseg.connected_regions(labels, colors=np.zeros((1, 3)), min_size=2)
    with pytest.raises(ValueError, match="`image`"):
        fastseg.connected_regions(labels, np.zeros((5, 4)), min_size=2)
    with pytest.raises(ValueError, match="finite"):
        fastseg.connected_regions(labels, np.full((4, 5), np.nan), min_size=2)
    with pytest.raises(ValueError, match="`labels`"):
        fastseg.connected_regions(np.zeros((2, 2, 2), dtype=np.uint8))
