"""Bad input to the functions not covered by their own modules' tables, and awkward valid input.

Each public function has a table of bad calls: kmeans in test_kmeans.py, segment in
test_segment.py, the Canny functions in test_canny.py, silhouette_score and knee_point in
test_select_k.py, the cv2 drop-ins in test_kmeans_dropins.py, the command in test_cli.py. This
file covers the rest (elbow, choose_k, image I/O, the estimator's parameters, edge sizes) and
checks that valid but awkward memory layouts give the results of contiguous copies.
"""

import numpy as np
import pytest

import fastseg
from fastseg import opencv

_IMAGE = np.random.default_rng(0).integers(0, 256, (6, 8, 3)).astype(np.uint8)
_ONE_PIXEL = np.full((1, 1, 3), 7, np.uint8)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: fastseg.elbow(_IMAGE, []), ValueError, "`ks` must be a non-empty sequence"),
        (lambda: fastseg.elbow(_IMAGE, 5), ValueError, "`ks` must be a non-empty sequence"),
        (lambda: fastseg.elbow(_IMAGE, [0, 1]), ValueError, r"`ks\[i\]` must be an integer"),
        (lambda: fastseg.elbow(_IMAGE, [1, 49]), ValueError, r"\[1, H \* W\] = \[1, 48\]"),
        (lambda: fastseg.elbow(_IMAGE, [3, 2]), ValueError, "`ks` must be strictly increasing"),
        (lambda: fastseg.elbow(_IMAGE, [1.5]), TypeError, r"`ks\[i\]` must be an integer"),
        (lambda: fastseg.elbow(_IMAGE, color_space="cmyk"), ValueError, "`color_space`"),
        (lambda: fastseg.elbow(_IMAGE, seed="x"), TypeError, "`seed`"),
        (lambda: fastseg.elbow("photo.png"), TypeError, "`image`"),
        (lambda: fastseg.elbow(np.zeros(5)), ValueError, r"`image` must have shape \(H, W\)"),
        (lambda: fastseg.choose_k(_IMAGE, method="gap"), ValueError, "`method` must be"),
        (lambda: fastseg.choose_k(_IMAGE, [1], method="silhouette"), ValueError, "k >= 2"),
        (
            lambda: fastseg.choose_k(_IMAGE, method="silhouette", sample_size=2),
            ValueError,
            "`sample_size`",
        ),
        (lambda: fastseg.imread(3), TypeError, "`path` must be a str"),
        (lambda: fastseg.imread("no/such/file.png"), FileNotFoundError, "does not exist"),
        (
            lambda: fastseg.imwrite("x.png", np.zeros((4, 4), np.int64)),
            TypeError,
            "`image` must have dtype uint8, uint16, float32 or float64",
        ),
        (
            lambda: fastseg.imwrite("x.png", np.full((4, 4), 2.0, np.float32)),
            ValueError,
            r"`image` is a float image, which must lie in \[0, 1\]",
        ),
        (
            lambda: fastseg.elbow(np.full((4, 4, 3), 200.0)),
            ValueError,
            r"`image` is a float image, which must lie in \[0, 1\]",
        ),
        (
            lambda: fastseg.choose_k(np.full((4, 4, 3), 200.0), method="silhouette"),
            ValueError,
            r"`image` is a float image, which must lie in \[0, 1\]",
        ),
        (
            lambda: fastseg.imwrite("x.png", np.zeros((4, 4, 2), np.uint8)),
            ValueError,
            r"`image` must have shape \(H, W\)",
        ),
        (lambda: fastseg.imwrite("x.png", np.zeros((0, 4), np.uint8)), ValueError, "one pixel"),
        (lambda: fastseg.imwrite("x.unknown", _IMAGE), ValueError, "cannot encode"),
        (lambda: fastseg.imwrite(None, _IMAGE), TypeError, "`path`"),
        (lambda: fastseg.segment(_ONE_PIXEL, 2), ValueError, r"\[1, H \* W\] = \[1, 1\]"),
        (lambda: fastseg.segment(_IMAGE, 10**12), ValueError, "`k` must be an integer in"),
        (lambda: fastseg.segment(_IMAGE, np.float64(2)), TypeError, "`k` must be an integer"),
        (lambda: fastseg.segment(_IMAGE.astype(np.int64), 2), TypeError, "`image` must have"),
        (lambda: fastseg.segment(_IMAGE.astype(np.complex64), 2), TypeError, "`image`"),
        (lambda: fastseg.segment(None, 2), TypeError, "`image` must be a NumPy array"),
        (lambda: fastseg.segment(_IMAGE, 2, criteria=(3, 10)), TypeError, "`criteria`"),
        (lambda: fastseg.segment(_IMAGE, 2, attempts=-1), ValueError, "`attempts`"),
        (
            lambda: fastseg.segment(_IMAGE[:, :, :1].repeat(5, 2), 2),
            ValueError,
            r"`image` must have shape",
        ),
        (lambda: fastseg.kmeans(np.zeros((5, 0)), 1), ValueError, "one feature"),
        (lambda: fastseg.kmeans(np.zeros((5, 2)), 10**12), ValueError, r"\[1, 5\]"),
        (lambda: fastseg.kmeans(np.zeros((5, 2)), None), TypeError, "`k` must be an integer"),
        (
            lambda: fastseg.kmeans(np.zeros((5, 2)), 2, sample_weight=np.ones((5, 1))),
            ValueError,
            "`sample_weight` must have shape",
        ),
        (
            lambda: fastseg.kmeans(np.zeros((5, 2)), 2, sample_weight=np.ones(5, complex)),
            TypeError,
            "`sample_weight`",
        ),
        (lambda: fastseg.canny(_IMAGE, 10, 20, aperture_size=4), ValueError, "`aperture_size`"),
        (lambda: fastseg.canny(_IMAGE.astype(np.int64), 10, 20), TypeError, "`image`"),
        (lambda: fastseg.silhouette_score(np.zeros((4, 2)), [0, 0, 1]), ValueError, "`labels`"),
        (lambda: fastseg.knee_point([1, 2, 3], [3.0, np.nan, 1.0]), ValueError, "`wcss`"),
        (
            lambda: opencv.kmeans(np.zeros((10, 2), np.float32), 2, None, (3, 10), 1, 0),
            TypeError,
            "`criteria`",
        ),
        (
            lambda: opencv.kmeans(np.zeros((10, 2), np.float32), 2, None, (3, 10, 1.0), -1, 0),
            ValueError,
            "`attempts`",
        ),
    ],
)
def test_bad_input_names_the_argument(tmp_path, monkeypatch, call, error, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=match):
        call()
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(n_clusters=0), "n_clusters"),
        (dict(n_clusters=2.5), "n_clusters"),
        (dict(max_iter=0), "max_iter"),
        (dict(tol=-1.0), "tol"),
        (dict(n_init=0), "n_init"),
        (dict(init="fast"), "init"),
    ],
)
def test_estimator_rejects_bad_parameters_at_fit(params, match):
    from fastseg.sklearn import KMeans

    with pytest.raises((ValueError, TypeError), match=match):
        KMeans(**params).fit(np.random.default_rng(0).normal(size=(20, 2)))


def test_one_pixel_and_one_sample_inputs_work():
    result = fastseg.segment(_ONE_PIXEL, 1)
    assert result.labels.tolist() == [[0]] and result.compactness == 0.0
    np.testing.assert_array_equal(result.recolor(), _ONE_PIXEL)
    assert fastseg.canny(_ONE_PIXEL[:, :, 0], 1, 2).tolist() == [[0]]
    assert fastseg.kmeans(np.ones((1, 4)), 1).centers.tolist() == [[1.0] * 4]


def test_elbow_beyond_the_distinct_colours_is_zero():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:2] = 200
    curve = fastseg.elbow(image, range(1, 5), seed=0)
    assert curve.wcss[0] > 0 and curve.wcss[1:].tolist() == [0.0, 0.0, 0.0]
    assert curve.knee == 2


def _awkward_layouts(array: np.ndarray):
    """Views of `array`'s values in awkward memory layouts, each equal to `array`."""
    fortran = np.asfortranarray(array)
    flipped = np.ascontiguousarray(array[::-1])[::-1]
    padded = np.zeros((array.shape[0], 2 * array.shape[1], *array.shape[2:]), array.dtype)
    padded[:, ::2] = array
    read_only = array.copy()
    read_only.flags.writeable = False
    big_endian = array.astype(array.dtype.newbyteorder(">"))
    return {
        "fortran": fortran,
        "negative strides": flipped,
        "strided": padded[:, ::2],
        "read-only": read_only,
        "big-endian": big_endian,
    }


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_awkward_images_segment_like_contiguous_copies(photos, dtype):
    image = photos["chelsea"][::3, ::3]
    if dtype == np.float32:
        image = image.astype(np.float32) / 255
    expected = fastseg.segment(np.ascontiguousarray(image), 5, seed=3, color_space="lab")
    for layout, awkward in _awkward_layouts(np.ascontiguousarray(image)).items():
        np.testing.assert_array_equal(awkward, image)
        result = fastseg.segment(awkward, 5, seed=3, color_space="lab")
        np.testing.assert_array_equal(result.labels, expected.labels, err_msg=layout)
        np.testing.assert_array_equal(result.centers, expected.centers, err_msg=layout)


def test_awkward_images_give_the_same_edges_and_elbow(photos):
    image = np.ascontiguousarray(photos["coffee"][::2, ::2])
    edges = fastseg.canny(image, 40, 120)
    curve = fastseg.elbow(image, [2, 4], seed=1)
    for layout, awkward in _awkward_layouts(image).items():
        np.testing.assert_array_equal(fastseg.canny(awkward, 40, 120), edges, err_msg=layout)
        np.testing.assert_array_equal(fastseg.elbow(awkward, [2, 4], seed=1).wcss, curve.wcss)
