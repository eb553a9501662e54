"""The cv2.kmeans drop-in and the scikit-learn estimator."""

import warnings

import cv2
import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.utils.estimator_checks import check_estimator

from fastseg import opencv
from fastseg.sklearn import KMeans


def pixels_of(photo):
    return cv2.resize(photo, (200, 150), interpolation=cv2.INTER_AREA).reshape(-1, 3)


def test_opencv_flags_match_cv2():
    assert opencv.KMEANS_RANDOM_CENTERS == cv2.KMEANS_RANDOM_CENTERS
    assert opencv.KMEANS_USE_INITIAL_LABELS == cv2.KMEANS_USE_INITIAL_LABELS
    assert opencv.KMEANS_PP_CENTERS == cv2.KMEANS_PP_CENTERS


@pytest.mark.parametrize("flags", [cv2.KMEANS_PP_CENTERS, cv2.KMEANS_RANDOM_CENTERS])
def test_opencv_kmeans_returns_what_cv2_returns(photos, flags):
    pixels = pixels_of(photos["astronaut"]).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(1)
    theirs = cv2.kmeans(pixels, 6, None, criteria, 2, flags)
    ours = opencv.kmeans(pixels, 6, None, criteria, 2, flags)
    for mine, cv in zip(ours[1:], theirs[1:], strict=True):
        assert mine.shape == cv.shape and mine.dtype == cv.dtype
    assert isinstance(ours[0], float)
    # compactness is what the labels and centers say, and as good as OpenCV's
    labels, centers = ours[1][:, 0], ours[2].astype(np.float64)
    recomputed = ((pixels - centers[labels]) ** 2).sum()
    assert ours[0] == pytest.approx(recomputed, rel=1e-5)
    assert ours[0] <= 1.01 * theirs[0]


def test_opencv_kmeans_initial_labels(rng):
    samples = rng.normal(size=(3000, 2)).astype(np.float32)
    initial = ((samples[:, 0] > 0) + 2 * (samples[:, 1] > 0)).astype(np.int32).reshape(-1, 1)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, 2, 0.0)  # one update after the given labels' centers
    _, labels, centers = opencv.kmeans(
        samples, 4, initial, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS
    )
    means = np.array([samples[initial[:, 0] == j].mean(0) for j in range(4)])
    nearest = ((samples[:, None, :] - means[None]) ** 2).sum(2).argmin(1)
    expected = np.array([samples[nearest == j].mean(0) for j in range(4)])
    np.testing.assert_allclose(centers, expected, rtol=1e-5)
    distances = ((samples[:, None, :] - centers[None].astype(np.float64)) ** 2).sum(2)
    np.testing.assert_array_equal(labels[:, 0], distances.argmin(1))


def test_opencv_kmeans_accepts_one_dimensional_data(rng):
    values = rng.normal(size=500).astype(np.float32)
    _, labels, centers = opencv.kmeans(values, 3, None, (1, 10, 0), 1, 2)
    assert labels.shape == (500, 1) and centers.shape == (3, 1)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (dict(K=0), ValueError, "`K` must be an integer in"),
        (dict(flags=4), ValueError, "`flags` must be"),
        (dict(criteria=(0, 10, 1.0)), ValueError, "criteria"),
        (dict(flags=1, bestLabels=None), ValueError, "`bestLabels`"),
        (
            dict(flags=1, bestLabels=np.full(100, 7, np.int32)),
            ValueError,
            "`bestLabels` must be in",
        ),
    ],
)
def test_opencv_kmeans_bad_input(args, error, match):
    call = dict(
        data=np.ones((100, 2), np.float32),
        K=3,
        bestLabels=None,
        criteria=(1, 5, 0),
        attempts=1,
        flags=2,
    )
    call.update(args)
    with pytest.raises(error, match=match):
        opencv.kmeans(**call)


def test_estimator_passes_check_estimator():
    with warnings.catch_warnings():
        # raised by scikit-learn's own checks: pandas is not a test dependency, nor array-api
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=pytest.PytestWarning)
        results = check_estimator(KMeans(), on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    names = {r["check_name"] for r in results if r["status"] == "passed"}
    assert {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
        "check_clustering",
        "check_fit_idempotent",
    } <= names


def test_estimator_agrees_with_scikit_learn(photos):
    pixels = pixels_of(photos["coffee"]).astype(np.float64)
    ours = KMeans(5, n_init=3, random_state=0).fit(pixels)
    theirs = SklearnKMeans(5, n_init=3, random_state=0).fit(pixels)
    assert ours.inertia_ <= 1.01 * theirs.inertia_
    assert ours.labels_.dtype == np.int32
    np.testing.assert_array_equal(ours.predict(pixels), ours.labels_)
    assert ours.score(pixels) == pytest.approx(-ours.inertia_, rel=1e-9)
    distances = ours.transform(pixels)
    np.testing.assert_array_equal(distances.argmin(1), ours.labels_)
    assert ours.n_features_in_ == 3 and ours.n_iter_ >= 1


def test_opencv_kmeans_refuses_data_its_float32_centers_cannot_hold():
    data = np.array([[1e300], [-1e300], [0.0]])
    with pytest.raises(ValueError, match="`data` must lie within the float32 range"):
        opencv.kmeans(data, 2, None, (3, 5, 1.0), 1, 2)


def test_estimator_transform_of_extreme_data():
    data = np.array([[1e300, 0.0], [-1e300, 0.0], [0.0, 1e-300]])
    model = KMeans(2, random_state=0, n_init=1).fit(data)
    distances = model.transform(data)
    assert np.isfinite(distances).all()
    expected = np.hypot(*(data[:, None, :] - model.cluster_centers_[None]).transpose(2, 0, 1))
    np.testing.assert_allclose(distances, expected, rtol=1e-12)
