"""fastseg.connected_regions, fastseg.find_boundaries and fastseg.mark_boundaries against
scikit-image's and a NumPy reference."""

import naive
import numpy as np
import pytest
import skimage.data
import skimage.measure
import skimage.segmentation

import fastseg
from fastseg._kernels.regions import label_runs, run_sums
from fastseg.regions import _adjacency, _Runs


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


def _random_runs(seed, shape):
    """Labels 0..2 in runs of random lengths (1 to 9 pixels) along the rows."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 10, size=shape[0] * shape[1])
    values = np.repeat(rng.integers(0, 3, size=lengths.size), lengths)
    return values[: shape[0] * shape[1]].reshape(shape).astype(np.uint8)


@pytest.mark.parametrize("seed", range(3))
def test_runs_and_their_sums_are_numpys(seed):
    labels = _random_runs(seed, (21, 34))
    runs = _Runs.of(labels)
    starts_a_run = np.ones(labels.shape, dtype=bool)
    starts_a_run[:, 1:] = labels[:, 1:] != labels[:, :-1]
    run_of_pixel = np.cumsum(starts_a_run.ravel()).reshape(labels.shape) - 1
    assert runs.count == starts_a_run.sum()
    np.testing.assert_array_equal(runs.image(np.arange(runs.count), labels.shape), run_of_pixel)
    np.testing.assert_array_equal(runs.values[run_of_pixel], labels)
    # Sums per run's region (here: the run's label), of every channel count the kernel groups
    # by three, integer (exact) and float, of a channel view of a wider image, and with the
    # rows split in two shares (each into its own row of the tables).
    rng = np.random.default_rng(seed)
    wide = rng.integers(0, 256, size=(*labels.shape, 6)).astype(np.uint8)
    for pixels in (wide[..., :1], wide[..., :2], wide[..., :3], wide[..., 1:5], wide[..., 1:6]):
        expected = np.zeros((3, pixels.shape[2]))
        np.add.at(expected, labels.ravel(), pixels.reshape(-1, pixels.shape[2]))
        for sums_dtype in (np.int64, np.float64):
            for shares in (1, 2):
                sizes = np.zeros((shares, 3), dtype=np.int64)
                sums = np.zeros((shares, 3, pixels.shape[2]), dtype=sums_dtype)
                for first in range(shares):
                    run_sums(runs.starts, runs.row_first, runs.values, pixels, sizes, sums,
                             first, shares)  # fmt: skip
                counts = np.bincount(labels.ravel(), minlength=3)
                np.testing.assert_array_equal(sizes.sum(axis=0), counts)
                np.testing.assert_array_equal(sums.sum(axis=0), expected)


@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("seed", range(3))
def test_adjacency_lists_are_the_touching_pairs(seed, connectivity):
    labels = _random_runs(seed, (17, 26))
    runs = _Runs.of(labels)
    run_regions = np.empty(runs.count, dtype=np.int64)
    n_regions = label_runs(runs.starts, runs.values, runs.row_first, labels.shape[1],
                           connectivity == 2, np.empty(runs.count + 1, dtype=np.int64),
                           run_regions)  # fmt: skip
    regions = runs.image(run_regions, labels.shape)
    expected = [set() for _ in range(n_regions + 1)]
    shifts = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if connectivity == 2 else [])
    height, width = labels.shape
    for dy, dx in shifts:
        for y in range(height - dy):
            for x in range(max(0, -dx), width - max(0, dx)):
                a, b = regions[y, x], regions[y + dy, x + dx]
                if a != b:
                    expected[a].add(b)
                    expected[b].add(a)
    starts, neighbours = _adjacency(runs, run_regions, n_regions, width, connectivity == 2)
    found = [neighbours[starts[r] : starts[r + 1]].tolist() for r in range(n_regions + 1)]
    assert found == [sorted(e) for e in expected]


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


@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize(("seed", "min_size"), [(0, 3), (1, 6), (2, 15)])
def test_small_regions_merge_by_label_colours_as_the_reference(seed, min_size, connectivity):
    """`colors=` (a colour per label) merges as the image of those colours does; whole-number
    colours keep every sum exact on both sides."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=(18, 23)).astype(np.uint8)
    labels[5:12, 4:15] = 4
    colors = rng.integers(0, 256, size=(5, 3)).astype(np.float64)
    regions = skimage.measure.label(labels.astype(np.int32) + 1, connectivity=connectivity)
    expected = naive.merge_small_regions(
        regions, colors[labels], min_size, diagonal=connectivity == 2
    )
    found = fastseg.connected_regions(
        labels, colors=colors, min_size=min_size, connectivity=connectivity
    )
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize("height", [5, 9, 17])
def test_regions_of_one_label_colour_tie_and_the_lowest_numbered_wins(height):
    """A one-pixel region between two stripes of one label (whose colour is not a whole number)
    goes to the left stripe, the lower numbered, whatever the stripes' sizes: their mean colours
    are that colour exactly, not sums of it divided by sizes."""
    colors = np.array([[0.3, 0.3, 0.3], [0.1, 0.7, 0.2], [0.9, 0.9, 0.9]])
    for left in range(1, 8):
        for right in range(1, 8):
            labels = np.ones((height, left + 1 + right), dtype=np.uint8)
            labels[:, left] = 2
            labels[height // 2, left] = 0
            found = fastseg.connected_regions(labels, colors=colors, min_size=2)
            assert found[height // 2, left] == found[0, 0], (left, right)


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


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.ravel().tolist(), b.ravel().tolist(), strict=True))
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


@pytest.mark.parametrize("linkage", ["ward", "color"])
@pytest.mark.parametrize(
    ("seed", "n_regions", "threshold"), [(0, 1, None), (1, 5, None), (2, 1, 40.0), (3, 3, 2000.0)]
)
def test_hierarchical_merging_follows_the_reference(linkage, seed, n_regions, threshold):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 12, size=(9, 11)) * 2  # labels need not be consecutive
    image = rng.integers(0, 256, size=(9, 11, 3)).astype(np.uint8)
    limit = np.inf if threshold is None else threshold
    expected = naive.merge_hierarchy(labels, image, n_regions, limit, linkage == "ward")
    found = fastseg.merge_regions(
        labels, image, n_regions=n_regions, threshold=threshold, linkage=linkage
    )
    np.testing.assert_array_equal(found, expected)


def merge_like_scikit_image(image, labels, threshold):
    from skimage import graph

    def weight(g, src, dst, n):
        return {"weight": np.linalg.norm(g.nodes[dst]["mean color"] - g.nodes[n]["mean color"])}

    def merge(g, src, dst):
        g.nodes[dst]["total color"] += g.nodes[src]["total color"]
        g.nodes[dst]["pixel count"] += g.nodes[src]["pixel count"]
        g.nodes[dst]["mean color"] = g.nodes[dst]["total color"] / g.nodes[dst]["pixel count"]

    rag = graph.rag_mean_color(image, labels)
    return graph.merge_hierarchical(
        labels, rag, thresh=threshold, rag_copy=False, in_place_merge=True, merge_func=merge,
        weight_func=weight,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "threshold"), [("coffee", 35), ("astronaut", 20), ("chelsea", 50)]
)
def test_colour_merging_gives_skimage_graph_merge_hierarchical_partition(name, threshold):
    image = getattr(skimage.data, name)()[::2, ::2]
    labels = fastseg.slic(image, 300, compactness=20)
    expected = merge_like_scikit_image(image, labels, threshold)
    found = fastseg.merge_regions(labels, image, threshold=threshold, linkage="color")
    assert same_partition(found, expected)


def test_merging_stops_at_n_regions_and_at_the_threshold():
    image = skimage.data.coffee()[::2, ::2]
    labels = fastseg.slic(image, 200)
    assert fastseg.merge_regions(labels, image, n_regions=12).max() == 12
    coarse = fastseg.merge_regions(labels, image, threshold=1e12)
    assert coarse.max() == 1
    assert fastseg.merge_regions(labels, image, threshold=0.0).max() == labels.max()


def test_merging_refuses_bad_arguments():
    labels = np.arange(6).reshape(2, 3)
    image = np.zeros((2, 3, 3))
    with pytest.raises(ValueError, match="`linkage`"):
        fastseg.merge_regions(labels, image, linkage="single")
    with pytest.raises(ValueError, match="`n_regions`"):
        fastseg.merge_regions(labels, image, n_regions=0)
    with pytest.raises(ValueError, match="`threshold`"):
        fastseg.merge_regions(labels, image, threshold=-1)
    with pytest.raises(ValueError, match="`image`"):
        fastseg.merge_regions(labels)
    with pytest.raises(ValueError, match="non-negative"):
        fastseg.merge_regions(labels - 1, image)


def test_ward_linkage_of_unit_weights_is_scipys():
    from scipy.cluster.hierarchy import linkage

    points = np.random.default_rng(0).random((12, 3)) * 100
    found = fastseg.regions.ward_linkage(points, np.ones(12))
    np.testing.assert_allclose(found, linkage(points, "ward"), rtol=1e-12)


def test_ward_linkage_of_weights_is_that_of_repeated_points():
    from scipy.cluster.hierarchy import linkage

    points = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 30.0], [50.0, 50.0]])
    weights = np.array([1, 1, 2, 3])
    found = fastseg.regions.ward_linkage(points, weights)
    # The same points repeated: their copies merge first at height 0, then as the weighted ones.
    repeated = linkage(np.repeat(points, weights, axis=0), "ward")
    np.testing.assert_allclose(found[:, 2], repeated[repeated[:, 2] > 0][:, 2], rtol=1e-12)
    assert found[-1, 3] == len(points)  # SciPy counts the leaves


def test_segmentation_linkage_draws_a_dendrogram():
    from scipy.cluster.hierarchy import dendrogram, is_valid_linkage

    result = fastseg.segment(skimage.data.coffee(), 6, seed=0)
    matrix = result.linkage()
    assert matrix.shape == (5, 4) and is_valid_linkage(matrix)
    assert matrix[-1, 3] == 6
    assert sorted(dendrogram(matrix, no_plot=True)["leaves"]) == list(range(6))


def test_sparse_labels_are_merged_without_tables_of_their_range():
    labels = np.array([[0, 0, 10**9, 10**9], [5, 5, 10**9, 10**9]])
    image = np.array([[0, 0.1, 0.9, 1.0], [0.2, 0.2, 1.0, 1.0]])
    merged = fastseg.merge_regions(labels, image, n_regions=2)
    np.testing.assert_array_equal(merged, [[1, 1, 2, 2], [1, 1, 2, 2]])


def test_colours_and_labels_are_checked():
    image = skimage.data.coffee()[:20, :20]
    labels = np.zeros((20, 20), dtype=np.int64)
    labels[5:, 5:] = 1
    for color in [(300, 0, 0), (-1, 0, 0), (0.5, 0, 0), (np.nan, 0, 0)]:
        with pytest.raises(ValueError, match="`color`"):
            fastseg.mark_boundaries(image, labels, color=color)
    with pytest.raises(TypeError, match="`color`"):
        fastseg.mark_boundaries(image, labels, color=("a", "b", "c"))
    with pytest.raises(ValueError, match="not both"):
        fastseg.connected_regions(labels, image, colors=np.zeros((2, 3)), min_size=5)
    with pytest.raises(ValueError, match=">= 0"):
        fastseg.connected_regions(labels - 1, colors=np.zeros((2, 3)), min_size=5)
    huge = fastseg.connected_regions(labels, image, min_size=10**30)
    np.testing.assert_array_equal(huge, np.ones((20, 20), dtype=np.int32))
