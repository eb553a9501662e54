"""fastseg.segment: synthetic images with known answers, both paths, colour spaces, peers."""

import importlib

import cv2
import naive
import numpy as np
import pytest

import fastseg
from fastseg import Criteria, segment
from fastseg._kernels import colors
from fastseg.segmentation import ColorTable

QUADRANT_COLOURS = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200], [220, 220, 40]])


def quadrants(noise=0, rng=None, size=64):
    image = np.zeros((size, size, 3), dtype=np.int64)
    half = size // 2
    for index, (rows, columns) in enumerate(
        [(slice(0, half), slice(0, half)), (slice(0, half), slice(half, None)),
         (slice(half, None), slice(0, half)), (slice(half, None), slice(half, None))]
    ):  # fmt: skip
        image[rows, columns] = QUADRANT_COLOURS[index]
    if noise:
        image = image + rng.integers(-noise, noise + 1, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def same_partition(labels, expected):
    """Labels equal up to a renaming of the clusters."""
    pairs = set(zip(labels.ravel().tolist(), expected.ravel().tolist(), strict=True))
    return len(pairs) == len(np.unique(labels)) == len(np.unique(expected))


def quadrant_truth(size=64):
    truth = np.zeros((size, size), dtype=int)
    half = size // 2
    truth[:half, half:], truth[half:, :half], truth[half:, half:] = 1, 2, 3
    return truth


# --- the working space, written from segment's Notes (not from fastseg.segment's code) ---

TO_WORKING_SPACE = {"hsv": cv2.COLOR_RGB2HSV, "lab": cv2.COLOR_RGB2Lab, "gray": cv2.COLOR_RGB2GRAY}
FLOAT32_EPS = float(np.finfo(np.float32).eps)
FLOAT64_EPS = float(np.finfo(np.float64).eps)


def working_features(image, color_space, spatial=0.0):
    """(H * W, n_features) float64 features that segment documents for an RGB (or one-channel)
    image: "rgb" the channels as they are; "gray" OpenCV's luma of the [0, 1] image times 255;
    "lab" OpenCV's float L*a*b*; "hsv" (255 S cos H, 255 S sin H, 255 V). With `spatial`, the
    column and row times spatial * 255 / (longer side) are appended."""
    height, width = image.shape[:2]
    pixels = image.reshape(height * width, -1)
    if pixels.shape[1] == 1 or color_space == "rgb":
        features = pixels.astype(np.float64)
    else:
        unit = pixels.astype(np.float32)
        if pixels.dtype.kind == "u":
            unit /= np.float32(np.iinfo(pixels.dtype).max)
        converted = cv2.cvtColor(unit[:, None, :], TO_WORKING_SPACE[color_space])
        converted = converted.reshape(height * width, -1).astype(np.float64)
        if color_space == "gray":
            features = 255.0 * converted
        elif color_space == "lab":
            features = converted
        else:
            hue, chroma = np.deg2rad(converted[:, 0]), 255.0 * converted[:, 1]
            features = np.column_stack(
                [chroma * np.cos(hue), chroma * np.sin(hue), 255.0 * converted[:, 2]]
            )
    if spatial > 0:
        rows, columns = np.divmod(np.arange(height * width), width)
        scale = spatial * 255.0 / max(height, width)
        features = np.column_stack([features, columns * scale, rows * scale])
    return features


def distance_rounding(features, centers, converted):
    """Per sample, how much a squared distance to any center may be off through rounding: the
    float64 arithmetic of a distance (a few units of 2^-52 of the squared magnitudes involved,
    measured from 0 or from the first sample, whichever is larger) and, for features that come
    out of OpenCV's float32 conversions (`converted`), an error of the feature vector of up to
    2^-22 of its norm (float32 rounding, 2^-24 per feature, with a margin), which moves a
    distance by at most 2 |x - c| |error| + |error|^2, for each of the two distances compared."""
    n_features = features.shape[1]
    points = np.concatenate([features, centers])
    origin = points[0]  # the first sample (or a center, when there is no sample)
    magnitude = max((points**2).sum(axis=1).max(), ((points - origin) ** 2).sum(axis=1).max())
    rounding = np.full(len(features), 8 * (n_features + 2) * FLOAT64_EPS * magnitude)
    if converted:
        error = 2 * FLOAT32_EPS * np.sqrt((features**2).sum(axis=1))
        reach = np.sqrt(((features[:, None, :] - centers[None]) ** 2).sum(axis=2)).max(axis=1)
        rounding += 2 * (2 * reach * error + error**2)
    return rounding


def assert_labels_are_nearest_centres(features, labels, centers, converted):
    """Each sample's label is a center at the least distance: another center may be nearer
    only by the rounding of the distances (a tie)."""
    labels = np.asarray(labels).ravel().astype(np.int64)
    distances = naive.squared_distances(features, centers)
    own = distances[np.arange(len(labels)), labels]
    excess = own - distances.min(axis=1)
    slack = distance_rounding(features, centers, converted)
    worst = int(np.argmax(excess - slack))
    assert (excess <= slack).all(), (
        f"sample {worst} has label {labels[worst]} at squared distance {own[worst]:.17g}, but a "
        f"center at {distances[worst].min():.17g} (rounding allows {slack[worst]:.3g})"
    )


@pytest.mark.parametrize("color_space", ["rgb", "hsv", "lab"])
@pytest.mark.parametrize("method", ["distinct", "pixels"])
def test_four_flat_quadrants_give_four_segments(rng, color_space, method):
    image = quadrants(noise=6, rng=rng)
    result = segment(image, 4, color_space=color_space, method=method, seed=0, attempts=3)
    assert same_partition(result.labels, quadrant_truth())
    assert result.labels.dtype == np.uint8 and result.labels.shape == (64, 64)
    assert sorted(result.counts.tolist()) == [1024] * 4
    # the palette is each quadrant's mean colour
    for j in range(4):
        np.testing.assert_allclose(result.palette[j], image[result.labels == j].mean(0), atol=0.51)
    assert result.method == method


def test_recolor_and_masks(rng):
    image = quadrants(noise=3, rng=rng)
    result = segment(image, 4, seed=1)
    recoloured = result.recolor()
    assert recoloured.shape == image.shape and recoloured.dtype == np.uint8
    assert len(np.unique(recoloured.reshape(-1, 3), axis=0)) == 4
    masks = result.masks()
    assert masks.shape == (4, 64, 64) and (masks.sum(0) == 1).all()


def test_alpha_is_not_clustered_and_is_kept(rng):
    image = quadrants(noise=3, rng=rng)
    alpha = rng.integers(0, 256, (64, 64)).astype(np.uint8)
    result = segment(np.dstack([image, alpha]), 4, seed=1)
    assert same_partition(result.labels, quadrant_truth())
    recoloured = result.recolor()
    assert recoloured.shape == (64, 64, 4)
    np.testing.assert_array_equal(recoloured[:, :, 3], alpha)


def test_bgr_channel_order_flips_only_the_order(rng):
    image = quadrants(noise=3, rng=rng)
    rgb = segment(image, 4, color_space="hsv", seed=2)
    bgr = segment(
        np.ascontiguousarray(image[:, :, ::-1]), 4, color_space="hsv", channel_order="bgr", seed=2
    )
    np.testing.assert_array_equal(rgb.labels, bgr.labels)
    np.testing.assert_array_equal(rgb.palette, bgr.palette[:, ::-1])


def test_hue_is_circular():
    # Saturated reds at both ends of the hue circle, and a saturated cyan and green.
    hues = np.array([0, 2, 177, 179, 90, 60], dtype=np.uint8)
    hsv = np.stack([np.repeat(hues, 50), np.full(300, 255), np.full(300, 255)], 1).astype(np.uint8)
    rgb = cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)
    result = segment(rgb, 3, color_space="hsv", seed=0, attempts=3)
    labels = result.labels[0]
    assert len(set(labels[:200].tolist())) == 1  # hues 0, 2, 177, 179: one red cluster
    assert len(set(labels.tolist())) == 3


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64])
def test_sixteen_bit_and_float_images(rng, dtype):
    image8 = quadrants(noise=3, rng=rng)
    image = image8.astype(np.float64) / 255.0
    if dtype == np.uint16:
        image = np.rint(image * 65535)
    image = image.astype(dtype)
    result = segment(image, 4, seed=0, attempts=2)
    assert result.method == "pixels"
    assert same_partition(result.labels, quadrant_truth())
    for j in range(4):
        mean = image8[result.labels == j].mean(0)
        np.testing.assert_allclose(result.palette[j], mean, atol=1.01)
    recoloured = result.recolor()
    assert recoloured.dtype == dtype


def test_gray_images(rng):
    image = np.repeat(np.array([10, 100, 200], dtype=np.uint8), 100).reshape(10, 30)
    image = np.clip(image + rng.integers(-2, 3, image.shape), 0, 255).astype(np.uint8)
    for method in ("distinct", "pixels"):
        result = segment(image, 3, seed=0, method=method)
        assert result.palette.shape == (3, 1)
        assert same_partition(result.labels, np.repeat([0, 1, 2], 100).reshape(10, 30))
    assert segment(np.dstack([image] * 3), 3, color_space="gray", seed=0).palette.shape == (3, 3)


def test_spatial_separates_equal_colours():
    image = np.zeros((20, 40, 3), dtype=np.uint8)
    image[:, :, :] = 100
    image[:, 18:22] = 250  # a stripe divides two regions of the same colour
    colour_only = segment(image, 3, seed=0, method="pixels")
    assert colour_only.labels[0, 0] == colour_only.labels[0, -1]  # colour alone cannot split them
    assert np.isfinite(colour_only.centers).all()
    spatial = segment(image, 3, seed=0, spatial=2.0, attempts=4)
    left, right = spatial.labels[:, :15], spatial.labels[:, 25:]
    assert len(np.unique(left)) == 1 and len(np.unique(right)) == 1
    assert left[0, 0] != right[0, 0]


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
@pytest.mark.parametrize("color_space", ["rgb", "hsv", "lab"])
def test_distinct_path_equals_pixel_path_from_same_centers(photos, name, color_space):
    image = photos[name]
    pixel_path = segment(
        image, 6, color_space=color_space, method="pixels", seed=0, criteria=Criteria(max_iter=15)
    )
    init = pixel_path.centers  # any shared start will do: take the pixel path's result
    init = init + np.linspace(1.0, 3.0, init.size).reshape(init.shape)
    a = segment(
        image, 6, color_space=color_space, method="pixels", init=init, criteria=Criteria(20)
    )
    b = segment(
        image, 6, color_space=color_space, method="distinct", init=init, criteria=Criteria(20)
    )
    assert a.n_iter == b.n_iter
    if color_space == "rgb":  # integer sums: bit for bit
        assert a.centers.tobytes() == b.centers.tobytes()
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.compactness == b.compactness
    else:
        np.testing.assert_allclose(a.centers, b.centers, rtol=1e-9)
        differ = np.flatnonzero(a.labels.ravel() != b.labels.ravel())
        assert len(differ) <= 10  # distance ties only: a handful at most
        assert a.compactness == pytest.approx(b.compactness, rel=1e-9)
        # Each differing pixel is a tie: the two paths' centres for it are equally near, up to
        # the rounding of the distances and what the centres' own difference (< 1e-9 of them)
        # can change in a distance.
        features = working_features(image, color_space)[differ]
        ours = a.labels.ravel()[differ].astype(np.int64)
        theirs = b.labels.ravel()[differ].astype(np.int64)
        rows = np.arange(len(differ))
        moved = np.sqrt(((a.centers - b.centers) ** 2).sum(axis=1)).max()
        for centers in (a.centers, b.centers):
            distances = naive.squared_distances(features, centers)
            reach = np.sqrt(distances.max(axis=1))
            slack = distance_rounding(features, centers, converted=True)
            slack = slack + 2 * (2 * reach * moved + moved**2)
            gap = np.abs(distances[rows, ours] - distances[rows, theirs])
            assert (gap <= slack).all(), f"pixels {differ[gap > slack]} differ without a tie"


def test_distinct_colours_kernel_matches_numpy(photos):
    pixels = np.ascontiguousarray(photos["coffee"].reshape(-1, 3))
    with ColorTable() as table:
        colours, counts = table.count(pixels)
    expected, expected_counts = np.unique(pixels, axis=0, return_counts=True)
    np.testing.assert_array_equal(colours, expected)
    np.testing.assert_array_equal(counts, expected_counts)
    with ColorTable() as table:  # the table given back is reused: it starts from zero again
        again = table.count(pixels)
    np.testing.assert_array_equal(again[1], expected_counts)


@pytest.mark.parametrize("n_parts", [1, 2, 3, colors.MAX_PARTS])
def test_colour_counts_match_numpy_for_any_number_of_parts(photos, n_parts):
    pixels = np.ascontiguousarray(photos["astronaut"].reshape(-1, 3))
    table = np.zeros(colors.TABLE_SIZE, dtype=np.uint32)
    distinct_per_part = np.empty(n_parts, dtype=np.int64)
    naive.in_parts(colors.count_colors, pixels, table, distinct_per_part, step=min(n_parts, 3))
    codes = (pixels[:, 0].astype(np.int64) << 16) | (pixels[:, 1].astype(np.int64) << 8)
    expected = np.bincount(codes | pixels[:, 2], minlength=colors.N_COLOURS)
    np.testing.assert_array_equal(table[: colors.N_COLOURS], expected)
    assert not table[colors.N_COLOURS :].any()  # the spare entries are left as they were
    slices = np.array_split(expected != 0, np.arange(1, n_parts) * -(-colors.N_COLOURS // n_parts))
    np.testing.assert_array_equal(distinct_per_part, [part.sum() for part in slices])
    starts = np.concatenate([[0], np.cumsum(distinct_per_part)[:-1]])
    colours = np.empty((distinct_per_part.sum(), 3), dtype=np.uint8)
    counts = np.empty(len(colours))
    colors.gather_distinct(table, starts, colours, counts)
    unique, unique_counts = np.unique(pixels, axis=0, return_counts=True)
    np.testing.assert_array_equal(colours, unique)
    np.testing.assert_array_equal(counts, unique_counts)
    assert not table.any()  # cleared as it was read


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
def test_label_table_kernels_match_numpy(photos, rng, dtype):
    pixels = np.ascontiguousarray(photos["chelsea"].reshape(-1, 3))
    colours, inverse = np.unique(pixels, axis=0, return_inverse=True)
    colour_labels = rng.integers(0, np.iinfo(dtype).max, len(colours)).astype(dtype)
    table = np.zeros(colors.N_COLOURS, dtype=dtype)
    colors.put_color_labels(colours, colour_labels, table)
    labels = np.empty(len(pixels), dtype=dtype)
    naive.in_parts(colors.label_pixels, pixels, table, labels)
    np.testing.assert_array_equal(labels, colour_labels[inverse.ravel()])
    colors.put_color_labels(colours, np.zeros_like(colour_labels), table)  # as ColorTable clears
    assert not table.any()


def test_the_kept_colour_table_is_clean_after_a_segmentation(photos):
    from fastseg.segmentation import _spare_tables

    for k in (5, 300):  # 1- and 2-byte labels
        segment(photos["astronaut"], k, seed=0, criteria=Criteria(max_iter=3))
        assert not _spare_tables.table.any()


def test_compactness_against_scikit_learn_and_cv2(photos):
    from sklearn.cluster import KMeans

    image = cv2.resize(photos["astronaut"], (256, 256), interpolation=cv2.INTER_AREA)
    pixels = image.reshape(-1, 3).astype(np.float32)
    ours = np.median(
        [
            segment(image, 8, seed=s, attempts=3, criteria=Criteria(10, tol=None)).compactness
            for s in range(5)
        ]
    )
    theirs = np.median(
        [
            KMeans(8, n_init=3, max_iter=10, tol=0, random_state=s).fit(pixels).inertia_
            for s in range(5)
        ]
    )
    assert ours <= 1.01 * theirs
    cv2.setRNGSeed(0)
    cv = cv2.kmeans(pixels, 8, None, (3, 10, 1.0), 3, cv2.KMEANS_PP_CENTERS)[0]
    assert segment(image, 8, seed=0, attempts=3, criteria=(3, 10, 1.0)).compactness <= 1.01 * cv


def test_compactness_is_recomputable(photos):
    image = photos["chelsea"]
    result = segment(image, 5, color_space="rgb", seed=3)
    pixels = image.reshape(-1, 3)
    recomputed = ((pixels.astype(float) - result.centers[result.labels.ravel()]) ** 2).sum()
    assert result.compactness == pytest.approx(recomputed, rel=1e-9)
    # Every pixel carries the label of its nearest centre; a different label only on an exact tie.
    nearest, nearest_distance = naive.assign(pixels, result.centers)
    ours = result.labels.ravel()
    differ = nearest != ours
    ours_distance = naive.squared_distances(pixels[differ], result.centers)[
        np.arange(differ.sum()), ours[differ]
    ]
    np.testing.assert_array_equal(ours_distance, nearest_distance[differ])


@pytest.mark.parametrize("criteria", [Criteria(3, tol=None), None], ids=["3-updates", "default"])
@pytest.mark.parametrize(
    ("dtype", "color_space", "method", "spatial"),
    [
        *[(np.uint8, space, method, 0.0) for space in ("rgb", "hsv", "lab", "gray")
          for method in ("distinct", "pixels")],
        (np.uint8, "one channel", "distinct", 0.0),
        (np.uint8, "one channel", "pixels", 0.0),
        (np.uint16, "rgb", "pixels", 0.0),
        (np.uint16, "lab", "pixels", 0.0),
        (np.float32, "hsv", "pixels", 0.0),
        (np.float64, "rgb", "pixels", 0.0),
        (np.uint8, "rgb", "pixels", 1.5),
        (np.uint8, "lab", "pixels", 0.4),
    ],
)  # fmt: skip
def test_each_pixel_carries_the_label_of_its_nearest_centre(
    photos, dtype, color_space, method, spatial, criteria
):
    """In the working space (colour features, and the scaled coordinates with `spatial`), every
    pixel's label is its nearest centre, ties within rounding aside: also when the run stops
    before the labels settle (3 updates), since the pixels are labelled once more from the
    last centres."""
    image = photos["coffee"][::4, ::4]
    if color_space == "one channel":
        image, color_space = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), "gray"
    if dtype == np.uint16:
        image = image.astype(np.uint16) * 257
    elif dtype != np.uint8:
        image = (image / 255.0).astype(dtype)
    result = segment(
        image, 6, color_space=color_space, method=method, spatial=spatial, seed=0,
        criteria=criteria,
    )  # fmt: skip
    assert result.method == method
    features = working_features(image, color_space, spatial)
    assert result.centers.shape == (6, features.shape[1])
    converted = image.ndim == 3 and color_space != "rgb"
    assert_labels_are_nearest_centres(features, result.labels, result.centers, converted)


def test_float_images_must_lie_in_the_unit_range(photos):
    """A float image in 0-255 (what np.float32(image) gives) is refused, not clustered as if in
    [0, 1] (which gave an all-255 palette); the same image scaled to [0, 1] is the 8-bit one."""
    image = photos["coffee"][::4, ::4]
    for dtype in (np.float32, np.float64):
        for color_space in ("rgb", "lab", "hsv", "gray"):
            with pytest.raises(ValueError, match=r"`image` is a float image.*divide by 255"):
                segment(image.astype(dtype), 3, seed=0, color_space=color_space)
        with pytest.raises(ValueError, match=r"got values in \[-0.5, 1\]"):
            segment(np.dstack([np.full((4, 4), -0.5, dtype), np.ones((4, 4, 2), dtype)]), 1)
        unit = segment(image.astype(dtype) / 255, 3, seed=0)
        for j in range(3):  # the palette is in 0-255, each cluster's mean colour
            mean = image[unit.labels == j].mean(0)
            np.testing.assert_allclose(unit.palette[j], mean, atol=0.51)


def test_k_is_checked_before_the_colours_are_counted(monkeypatch):
    segment_module = importlib.import_module("fastseg.segmentation")

    def count(*args):
        raise AssertionError("colours counted before k was checked")

    monkeypatch.setattr(segment_module, "distinct_colors", count)
    with pytest.raises(ValueError, match=r"`k` must be an integer in \[1, H \* W\] = \[1, 64\]"):
        segment(np.zeros((8, 8, 3), np.uint8), 65)


def test_more_clusters_than_distinct_colours_is_said():
    image = np.zeros((10, 10, 3), np.uint8)
    image[5:] = 200
    with pytest.warns(RuntimeWarning, match=r"`k` = 4 is more than the image's 2 distinct colours"):
        result = segment(image, 4, seed=0)
    assert result.method == "pixels"
    assert (result.counts > 0).sum() == 2
    assert result.counts.sum() == 100


def test_recolor_keeps_a_single_channel_axis(rng):
    image = rng.integers(0, 256, (12, 9, 1)).astype(np.uint8)
    for method in ("distinct", "pixels"):
        result = segment(image, 3, seed=0, method=method)
        assert result.recolor().shape == (12, 9, 1)
        assert result.labels.shape == (12, 9)
    assert segment(image[:, :, 0], 3, seed=0).recolor().shape == (12, 9)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            dict(image=np.zeros((4, 4, 2), np.uint8)),
            ValueError,
            r"`image` must have shape \(H, W\)",
        ),
        (dict(image=np.zeros((0, 4, 3), np.uint8)), ValueError, "at least one pixel"),
        (dict(image=np.zeros((4, 4, 3), np.int64)), TypeError, "`image` must have dtype"),
        (dict(image=np.full((4, 4, 3), np.nan)), ValueError, "finite"),
        (dict(k=0), ValueError, r"`k` must be an integer in \[1, H \* W\] = \[1, 16\]"),
        (dict(k=17), ValueError, "`k` must be an integer in"),
        (dict(color_space="xyz"), ValueError, "`color_space` must be one of"),
        (dict(channel_order="rbg"), ValueError, "`channel_order`"),
        (dict(method="fast"), ValueError, "`method`"),
        (dict(spatial=-1.0), ValueError, "`spatial` must be >= 0"),
        (
            dict(image=np.zeros((4, 4), np.uint8), color_space="hsv"),
            ValueError,
            "needs a colour image",
        ),
        (dict(image=np.zeros((4, 4, 3), np.float32), method="distinct"), ValueError, "8-bit"),
    ],
)
def test_bad_input(kwargs, error, match):
    call = dict(image=np.random.default_rng(0).integers(0, 255, (4, 4, 3)).astype(np.uint8), k=2)
    call.update(kwargs)
    with pytest.raises(error, match=match):
        segment(call.pop("image"), call.pop("k"), **call)


@pytest.mark.parametrize("method", ["distinct", "pixels"])
def test_mean_colours_are_those_of_the_labelled_pixels(photos, method):
    """Also when the run stops before the labels settle (3 updates): the palette is each
    cluster's mean colour, not the centre its pixels were last assigned to."""
    image = photos["coffee"][::3, ::3]
    result = segment(image, 5, seed=1, method=method, criteria=Criteria(3, tol=None))
    pixels = image.reshape(-1, 3).astype(np.float64)
    labels = result.labels.ravel()
    means = np.array([pixels[labels == j].mean(0) for j in range(5)])
    np.testing.assert_allclose(result.mean_colors, means, rtol=1e-12)
    np.testing.assert_array_equal(result.palette, np.rint(means).astype(np.uint8))
    np.testing.assert_array_equal(result.counts, np.bincount(labels, minlength=5))


def test_cluster_colours_is_a_deprecated_alias_of_cluster_colors():
    result = segment(np.arange(48, dtype=np.uint8).reshape(4, 4, 3), 2, seed=0)
    with pytest.warns(DeprecationWarning, match="use cluster_colors"):
        old = result.cluster_colours()
    np.testing.assert_array_equal(old, result.cluster_colors())


def test_big_endian_images_give_the_palette_of_native_ones(photos):
    image = photos["astronaut"][::4, ::4].astype(np.uint16) * 257
    native = segment(image, 4, seed=0)
    swapped = segment(image.astype(">u2"), 4, seed=0)
    np.testing.assert_array_equal(swapped.labels, native.labels)
    np.testing.assert_array_equal(swapped.palette, native.palette)
    assert swapped.dtype == np.dtype(np.uint16)


@pytest.mark.parametrize("method", ["distinct", "pixels"])
def test_a_mask_clusters_only_its_pixels(method):
    import skimage.data

    image = skimage.data.coffee()
    mask = np.zeros(image.shape[:2], dtype=bool)
    mask[50:300, 100:500] = True
    result = fastseg.segment(image, 5, seed=0, mask=mask, method=method)
    crop = fastseg.segment(np.ascontiguousarray(image[50:300, 100:500]), 5, seed=0, method=method)
    np.testing.assert_array_equal(result.labels[50:300, 100:500], crop.labels)
    np.testing.assert_array_equal(result.centers, crop.centers)
    assert result.outside_label == 5 and (result.labels[~mask] == 5).all()
    assert result.counts.sum() == mask.sum()
    recolored = result.recolor()
    assert (recolored[~mask] == 0).all()
    np.testing.assert_array_equal(recolored[mask], crop.recolor().reshape(-1, 3))


def test_a_mask_is_checked():
    image = fastseg.sample_image()
    mask = np.zeros(image.shape[:2], dtype=bool)
    mask[0, :3] = True
    with pytest.raises(ValueError, match="`k`"):
        fastseg.segment(image, 4, mask=mask)
    with pytest.raises(ValueError, match="`mask`"):
        fastseg.segment(image, 2, mask=mask[:10])


def test_predict_labels_other_images_with_the_fitted_centers():
    image = fastseg.sample_image()
    result = fastseg.segment(image, 6, seed=0, color_space="lab")
    np.testing.assert_array_equal(result.predict(image), result.labels)
    tile = np.ascontiguousarray(image[100:200, 50:300])
    np.testing.assert_array_equal(result.predict(tile), result.labels[100:200, 50:300])
    with pytest.raises(ValueError, match="`image`"):
        result.predict(image.astype(np.uint16))
    with pytest.raises(ValueError, match="`image`"):
        result.predict(image[:, :, 0])
