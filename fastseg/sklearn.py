"""A scikit-learn estimator over fastseg's k-means (needs the ``sklearn`` extra)."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _validate, clustering
from .clustering import Criteria, RunOptions
from .passes import MemoryPasses

__all__ = ["KMeans"]


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means clustering with scikit-learn's interface and fastseg's engine.

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features), default "k-means++"
    n_init : int or "auto", default "auto"
        Runs from different seeds; "auto" is 1 for k-means++ and given centers, 10 for random.
    max_iter : int, default 300
    tol : float, default 1e-4
        Relative to the mean per-feature variance of the data, as in scikit-learn.
    random_state : int, numpy.random.Generator or None, default None

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features), float64
    labels_ : ndarray of shape (n_samples,), int32
    inertia_ : float
    n_iter_ : int
    n_features_in_ : int

    Notes
    -----
    uint8, uint16, float32 and float64 data are clustered as they are; other numeric dtypes are
    converted to float64, and sparse input is made dense. With the same ``random_state``, a
    sample weight of w gives the same clustering as w copies of the sample, in any row order.
    """

    def __init__(
        self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300, tol=1e-4,
        random_state=None,
    ):  # fmt: skip
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _samples(self, X, reset: bool) -> np.ndarray:
        X = validate_data(self, X, accept_sparse=True, dtype=None, reset=reset)
        if sparse.issparse(X):
            X = X.toarray()
        if X.dtype.newbyteorder("=") not in _validate.SAMPLE_DTYPES:
            X = X.astype(np.float64)
        return _validate.check_samples(X, "X")

    def _seed(self):
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            seed = seed.randint(np.iinfo(np.int32).max)
        return _validate.check_seed(seed)

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering of X (y is ignored)."""
        samples = self._samples(X, reset=True)
        n_samples, n_features = samples.shape
        k = _validate.check_int(self.n_clusters, "n_clusters", 1, n_samples, "n_samples")
        init = _validate.check_init(self.init, k, n_features)
        if self.n_init == "auto":
            attempts = 10 if isinstance(init, str) and init == "random" else 1
        else:
            attempts = _validate.check_int(self.n_init, "n_init", 1)
        criteria = Criteria(max_iter=self.max_iter, tol=self.tol)
        weights = _validate.check_sample_weight(sample_weight, n_samples)
        options = RunOptions(criteria, attempts, init, self._seed())
        result = clustering.fit(MemoryPasses(samples, weights, k), options)
        self.cluster_centers_ = result.centers
        self.labels_ = result.labels.astype(np.int32)
        self.inertia_ = result.compactness
        self.n_iter_ = result.n_iter
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return the label of each sample."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def _assign(self, X, sample_weight=None):
        check_is_fitted(self)
        samples = self._samples(X, reset=False)
        weights = _validate.check_sample_weight(sample_weight, samples.shape[0])
        source = MemoryPasses(samples, weights, self.cluster_centers_.shape[0])
        inertia = source.assign(self.cluster_centers_).inertia
        return source.labels, inertia

    def predict(self, X):
        """Index of the nearest cluster center of each sample, int32 of shape (n_samples,)."""
        return self._assign(X)[0].astype(np.int32)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the weighted sum of squared distances of X to their nearest center."""
        return -self._assign(X, sample_weight)[1]

    def transform(self, X):
        """Euclidean distance of each sample to each center, shape (n_samples, n_clusters)."""
        check_is_fitted(self)
        samples = self._samples(X, reset=False).astype(np.float64)
        centers = self.cluster_centers_
        # Computed on both divided by one power of two (exact) so that no square overflows.
        largest = max(np.abs(samples).max(initial=0.0), np.abs(centers).max(initial=0.0))
        exponent = math.frexp(largest)[1] if largest > 0.0 else 0
        samples, centers = np.ldexp(samples, -exponent), np.ldexp(centers, -exponent)
        squared = (
            (samples**2).sum(axis=1)[:, None] + (centers**2).sum(axis=1)[None, :]
            - 2.0 * samples @ centers.T
        )  # fmt: skip
        with np.errstate(over="ignore"):  # a distance beyond the float64 range is infinite
            return np.ldexp(np.sqrt(np.maximum(squared, 0.0)), exponent)
