"""Drop-in replacements with OpenCV's signatures and return values.

``fastseg.opencv.kmeans`` and ``fastseg.opencv.Canny`` take the arguments ``cv2.kmeans`` and
``cv2.Canny`` take, including OpenCV's integer flags, and return what they return.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from . import _validate
from .clustering import Criteria, centers_of_labels, run_attempts
from .edges import canny_from_gradients, edges_from_image
from .passes import MemoryPasses

# --- k-means ---

#: OpenCV's k-means flags (cv2.KMEANS_RANDOM_CENTERS, KMEANS_USE_INITIAL_LABELS, KMEANS_PP_CENTERS).
KMEANS_RANDOM_CENTERS = 0
KMEANS_USE_INITIAL_LABELS = 1
KMEANS_PP_CENTERS = 2


def kmeans(data, K, bestLabels, criteria, attempts, flags, centers=None):
    """``cv2.kmeans`` with fastseg's engine: same arguments, same return values.

    Parameters
    ----------
    data : array of shape (N, d) or (N,)
        Samples, one per row (a 1-D array is N samples of one feature). Unlike OpenCV, uint8,
        uint16 and float64 are accepted as well as float32, and are not converted.
    K : int
        Number of clusters, in [1, N].
    bestLabels : array of N int32 labels or None
        Initial labels, read only with ``KMEANS_USE_INITIAL_LABELS``.
    criteria : tuple (type, max_iter, epsilon)
        OpenCV's termination criteria, read as :meth:`fastseg.Criteria.from_opencv` says.
    attempts : int
        Number of runs; the one with the lowest compactness is returned.
    flags : int
        ``KMEANS_RANDOM_CENTERS`` (0), ``KMEANS_PP_CENTERS`` (2), optionally plus
        ``KMEANS_USE_INITIAL_LABELS`` (1): the first attempt then starts from the centers of
        `bestLabels`, later ones from the other flag's seeding.
    centers : ignored
        Present for signature compatibility; OpenCV's Python binding returns the centers.

    Returns
    -------
    compactness : float
    labels : ndarray of shape (N, 1), int32
    centers : ndarray of shape (K, d), float32

    Notes
    -----
    Seeding is deterministic: the same call gives the same result. ``KMEANS_RANDOM_CENTERS``
    seeds with K samples drawn at random; OpenCV instead draws K points
    uniformly in the bounding box of the data, which often leaves clusters empty at first.
    """
    samples = _validate.as_array(data, "data")
    if samples.ndim == 1:
        samples = samples[:, None]
    samples = _validate.check_samples(samples, "data")
    if samples.dtype == np.float64 and np.abs(samples).max() > np.finfo(np.float32).max:
        raise ValueError(
            "`data` must lie within the float32 range (about ±3.4e38), as the returned float32 "
            "centers do; got larger values (use fastseg.kmeans for float64 centers)."
        )
    n_samples = samples.shape[0]
    k = _validate.check_int(K, "K", 1, n_samples, "N")
    attempts = max(_validate.check_int(attempts, "attempts", 0), 1)  # 0 means 1, as in OpenCV
    if isinstance(flags, bool) or not isinstance(flags, numbers.Integral) or not 0 <= flags <= 3:
        raise ValueError(
            "`flags` must be KMEANS_RANDOM_CENTERS (0) or KMEANS_PP_CENTERS (2), optionally plus "
            f"KMEANS_USE_INITIAL_LABELS (1); got {_validate._describe(flags)}."
        )
    criteria = Criteria.from_opencv(criteria)
    init = "k-means++" if flags & KMEANS_PP_CENTERS else "random"
    source = MemoryPasses(samples, None, k)
    # Like OpenCV's default generator: the same call, the same result.
    rng = np.random.default_rng(0)
    first_init = init
    if flags & KMEANS_USE_INITIAL_LABELS:
        first_init = _centers_of_labels(source, bestLabels)
    first = run_attempts(source, first_init, criteria, None, 1, rng)
    best = (first.compactness, first.labels.astype(np.int32), first.centers)
    if attempts > 1:
        other = run_attempts(source, init, criteria, None, attempts - 1, rng)
        if other.compactness < best[0]:
            best = (other.compactness, other.labels.astype(np.int32), other.centers)
    compactness, labels, centers = best
    return compactness, labels.reshape(n_samples, 1), centers.astype(np.float32)


def _centers_of_labels(source: MemoryPasses, labels) -> np.ndarray:
    """Centers of the clusters given by `labels` (empty ones re-seeded), to start from."""
    expected = (
        f"`bestLabels` must hold N = {source.n_samples} integer labels "
        "with KMEANS_USE_INITIAL_LABELS"
    )
    if labels is None:
        raise ValueError(f"{expected}; got None.")
    labels = _validate.as_array(labels, "bestLabels")
    if labels.size != source.n_samples or labels.dtype.kind not in "iu":
        raise ValueError(f"{expected}; got shape {labels.shape}, dtype {labels.dtype.name}.")
    labels = labels.reshape(-1)
    if labels.min() < 0 or labels.max() >= source.k:
        raise ValueError(f"`bestLabels` must be in [0, K - 1] = [0, {source.k - 1}].")
    source.labels[:] = labels
    return centers_of_labels(source)


# --- Canny ---


def Canny(*args, **kwargs):
    """``cv2.Canny`` with fastseg's kernels: same arguments, same edges, both forms.

    ``Canny(image, threshold1, threshold2, edges=None, apertureSize=3, L2gradient=False)``
    finds the edges of an 8-bit image; ``Canny(dx, dy, threshold1, threshold2, edges=None,
    L2gradient=False)`` finds them from given int16 derivatives. As in OpenCV's Python binding,
    the second form is taken when the second positional argument is an array (it is then `dy`)
    or when `dx` or `dy` is given by keyword.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C), dtype uint8
        Grey or colour image, 1 <= C <= 4, any memory layout.
    dx, dy : arrays of shape (H, W) or (H, W, C), C in {1, 3}, dtype int16
        Horizontal and vertical derivatives, of one shape.
    threshold1, threshold2 : float
        Hysteresis thresholds, >= 0, in either order.
    edges : ndarray of shape (H, W), dtype uint8, or None
        When it has that shape and dtype (and is writeable), the edges are written into it and
        it is returned; otherwise a new array is returned, as OpenCV does.
    apertureSize : int, default 3
        Sobel aperture: 3, 5 or 7.
    L2gradient : bool, default False
        Use the L2 norm of the gradient instead of the L1 norm.

    Returns
    -------
    edges : ndarray of shape (H, W), dtype uint8
        255 on edges, 0 elsewhere: equal to what ``cv2.Canny`` returns.

    Notes
    -----
    See :func:`fastseg.canny` for the rules. Unlike OpenCV, negative or non-finite thresholds and
    empty images raise ValueError (``cv2.Canny`` returns None for an empty image).
    """
    use_gradients = "dx" in kwargs or "dy" in kwargs or (len(args) >= 2 and _is_array(args[1]))
    form = _canny_gradient_form if use_gradients else _canny_image_form
    try:
        bound = inspect.signature(form).bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"Canny(): {exc}") from None
    return form(*bound.args, **bound.kwargs)


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and not isinstance(value, numbers.Number)
    )


def _canny_image_form(image, threshold1, threshold2, edges=None, apertureSize=3, L2gradient=False):
    pixels = _validate.check_uint8_image(image, "image")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    aperture_size = _validate.check_aperture_size(apertureSize, "apertureSize")
    l2_gradient = _validate.check_bool(L2gradient, "L2gradient")
    threshold1 = _validate.check_float(threshold1, "threshold1", 0.0)
    threshold2 = _validate.check_float(threshold2, "threshold2", 0.0)
    target = _usable_edges(edges, pixels.shape[:2])
    out = _direct_output(target, (pixels,))
    result = edges_from_image(pixels, threshold1, threshold2, aperture_size, l2_gradient, out)
    return _deliver(result, target)


def _canny_gradient_form(dx, dy, threshold1, threshold2, edges=None, L2gradient=False):
    dx, dy = _validate.check_gradients(dx, dy)
    target = _usable_edges(edges, dx.shape[:2])
    out = _direct_output(target, (dx, dy))
    result = canny_from_gradients(dx, dy, threshold1, threshold2, l2_gradient=L2gradient, out=out)
    return _deliver(result, target)


def _usable_edges(edges, shape) -> np.ndarray | None:
    """`edges` when the result goes there: an (H, W) writeable uint8 array (OpenCV reallocates
    an output of another size or type)."""
    if not isinstance(edges, np.ndarray) or edges.dtype != np.uint8 or edges.shape != shape:
        return None
    return edges if edges.flags.writeable else None


def _direct_output(target: np.ndarray | None, inputs) -> np.ndarray | None:
    """`target` when the kernels can write into it directly: C-contiguous and apart from the
    input, which the kernels read while they write the edge map."""
    if target is None or not target.flags.c_contiguous:
        return None
    if any(np.may_share_memory(target, array) for array in inputs):
        return None
    return target


def _deliver(result: np.ndarray, target: np.ndarray | None) -> np.ndarray:
    if target is None or result is target:
        return result
    target[...] = result  # `edges` strided or over the input: computed apart, then copied in
    return target
