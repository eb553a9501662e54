"""The benchmark cases and how each is timed.

A :class:`Case` names an operation, a method of :mod:`fastseg.bench.peers`, an input of
:mod:`fastseg.bench.data` and the parameters; :func:`matrix` lists the cases of a run, and
:func:`run_cases` times them into :class:`Row` objects. Each timing carries the quality of its
result (the mean squared error per pixel for k-means), so that speed is never bought with quality.
"""

from __future__ import annotations

import functools
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

import fastseg

from . import peers
from .data import load, photo, photo_size

__all__ = [
    "LEVELS",
    "Case",
    "Row",
    "add_speedups",
    "matrix",
    "prepare",
    "repeats_for",
    "run_case",
    "run_cases",
    "time_calls",
]

#: The work of every k-means case: center updates, attempts and the seed of the initialisation.
MAX_ITER, ATTEMPTS, SEED = 10, 1, 0
#: Hysteresis thresholds of the Canny cases.
CANNY_THRESHOLDS = (50.0, 150.0)
#: The k of the elbow sweep.
ELBOW_KS = tuple(range(1, 11))


# -- cases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One timed call: an operation (`kind`), a method, its input and parameters.

    Attributes
    ----------
    kind : {"kmeans", "canny", "smooth_canny", "slic", "regions", "elbow", "silhouette"}
    method : str
        Key of the method in the kind's registry, ``fastseg.bench.peers.METHODS[kind]``.
    data : tuple
        Key of the input for :func:`load`.
    params : tuple of (name, value) pairs
        k for k-means; low, high, aperture_size, l2_gradient for Canny; sigma for Canny by
        scikit-image's rules; n_segments and max_num_iter for SLIC; min_size for regions;
        n_samples for the silhouette.
    repeats : int
        Timed calls; the table reports the best and the median.
    """

    kind: str
    method: str
    data: tuple
    params: tuple = ()
    repeats: int = 3

    @property
    def parameters(self) -> dict:
        return dict(self.params)

    @property
    def group(self) -> str:
        """The cases timed against each other: same kind, input and parameters."""
        p = self.parameters
        if self.kind == "kmeans":
            return f"{_data_label(self.data)}, K={p['k']}"
        if self.kind == "canny":
            norm = "L2" if p["l2_gradient"] else "L1"
            return f"{_data_label(self.data)}, aperture {p['aperture_size']}, {norm}"
        if self.kind == "smooth_canny":
            return f"{_data_label(self.data)}, sigma {p['sigma']:g}"
        if self.kind == "slic":
            return f"{_data_label(self.data)}, {p['n_segments']} segments"
        if self.kind == "regions":
            return f"{_data_label(self.data)}, regions below {p['min_size']} px"
        if self.kind == "elbow":
            return f"{_data_label(self.data)}, K=1..10"
        return f"{p['n_samples']} pixels of the 1 MP photo, K=8 labels"

    @property
    def megapixels(self) -> float:
        if self.data[0] in ("photo", "gray", "colour_xy", "clusters"):
            width, height = photo_size(self.data[1])
            return width * height / 1e6
        if self.data[0] == "blobs":
            return self.data[2] / 1e6
        return self.parameters.get("n_samples", 0) / 1e6

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Case:
        fields = json.loads(text)
        return cls(
            fields["kind"], fields["method"], tuple(fields["data"]),
            tuple(tuple(pair) for pair in fields["params"]), fields["repeats"],
        )  # fmt: skip


def _data_label(data: tuple) -> str:
    if data[0] == "photo":
        _, megapixels, which, dtype = data
        return f"{_mp(megapixels)} MP {which} photo, {dtype}"
    if data[0] == "gray":
        return f"{_mp(data[1])} MP grey photo" + (f", {data[2]}" if len(data) > 2 else "")
    if data[0] == "colour_xy":
        return f"{_mp(data[1])} MP photo, d=5 (RGB + xy) float32"
    if data[0] == "clusters":
        return f"{_mp(data[1])} MP photo, its K={data[2]} clusters"
    return f"n={data[2]:,} d={data[1]} float32 blobs"


def _mp(megapixels: float) -> str:
    return f"{megapixels:g}"


@dataclass
class Row:
    """The timing of one case.

    `quality` is the MSE per pixel (k-means; the elbow: at the largest k), the number of pixels
    that differ from ``cv2.Canny`` (Canny), or the score (silhouette). `speedup` is the time of
    the method divided by the time of its fastseg twin (how many times faster fastseg is), and
    `speedup_distinct` the same against ``fastseg.segment`` when the group has it.
    """

    kind: str
    group: str
    method: str
    megapixels: float
    seconds: float
    median: float
    times: list[float]
    quality: float | None
    note: str = ""
    twin: str | None = None
    speedup: float | None = None
    speedup_distinct: float | None = None
    peak_bytes_per_pixel: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        """Million pixels (or samples) per second, from the best time."""
        return self.megapixels / self.seconds


def repeats_for(method: peers.Method, megapixels: float, base: int) -> int:
    """Timed calls of a case: `base` for fastseg, fewer for peers as the input grows (a slow
    peer at 12 MP takes seconds per call)."""
    if method.is_fastseg:
        return base if megapixels <= 4.5 else min(base, 3)
    if megapixels <= 1.5:
        return min(base, 3) if not method.slow else min(base, 2)
    if megapixels <= 4.5:
        return 2
    return 2 if megapixels <= 12.5 and not method.slow else 1


def _kmeans_cases(sizes, dtypes, ks, which, methods, base):
    cases = []
    for megapixels in sizes:
        for dtype in dtypes:
            for k in ks:
                for name in methods:
                    method = peers.KMEANS_METHODS[name]
                    if method.takes_image and dtype != "uint8":
                        continue  # the distinct-colour path is for 8-bit images
                    count = repeats_for(method, megapixels, base)
                    data = ("photo", megapixels, which, dtype)
                    cases.append(Case("kmeans", name, data, (("k", k),), count))
    return cases


def _feature_cases(dimensions, methods, base):
    cases = []
    for d in dimensions:
        data, k = (("colour_xy", 1), 8) if d == 5 else (("blobs", d, 100_000), 32)
        for name in methods:
            method = peers.KMEANS_METHODS[name]
            if not method.takes_image:
                count = repeats_for(method, 1, base)
                cases.append(Case("kmeans", name, data, (("k", k),), count))
    return cases


def _repeats(method, base: int) -> int:
    """Timed calls of an edge method: `base`, at most 3 for a slow peer."""
    return min(3, base) if method.slow else base


def _canny_cases(sizes, apertures, norms, base):
    cases = []
    for megapixels in sizes:
        for aperture in apertures:
            for l2_gradient in norms:
                for name, method in peers.CANNY_METHODS.items():
                    if method.requires == "skimage" and (aperture != 3 or not l2_gradient):
                        continue  # no aperture choice and no L1 magnitude
                    params = (
                        ("low", CANNY_THRESHOLDS[0]), ("high", CANNY_THRESHOLDS[1]),
                        ("aperture_size", aperture), ("l2_gradient", l2_gradient),
                    )  # fmt: skip
                    count = _repeats(method, base)
                    cases.append(Case("canny", name, ("gray", megapixels), params, count))
    return cases


def _smooth_canny_cases(sizes, dtypes, base):
    return [
        Case("smooth_canny", name, ("gray", megapixels, dtype), (("sigma", 1.0),),
             _repeats(method, base))
        for megapixels in sizes
        for dtype in dtypes
        for name, method in peers.SMOOTH_CANNY_METHODS.items()
    ]  # fmt: skip


#: Segments and iterations of the SLIC cases (scikit-image's default iterations).
SLIC_SEGMENTS, SLIC_ITERATIONS = 1000, 10


def _slic_cases(sizes, base):
    params = (("n_segments", SLIC_SEGMENTS), ("max_num_iter", SLIC_ITERATIONS))
    return [
        Case("slic", name, ("photo", megapixels, "smooth", "uint8"), params,
             _repeats(method, base))
        for megapixels in sizes
        for name, method in peers.SLIC_METHODS.items()
    ]  # fmt: skip


#: The smallest region kept by the region cases, and the k of their clusters.
REGIONS_MIN_SIZE, REGIONS_K = 64, 8


def _regions_cases(sizes, base):
    return [
        Case("regions", name, ("clusters", megapixels, REGIONS_K),
             (("min_size", REGIONS_MIN_SIZE),), _repeats(method, base))
        for megapixels in sizes
        for name, method in peers.REGIONS_METHODS.items()
    ]  # fmt: skip


def _elbow_cases(sizes, methods, base):
    cases = []
    for megapixels in sizes:
        for name in methods:
            count = base if peers.ELBOW_METHODS[name].is_fastseg else 1
            cases.append(Case("elbow", name, ("photo", megapixels, "smooth", "uint8"), (), count))
    return cases


def _silhouette_cases(sample_counts, base):
    return [
        Case("silhouette", name, ("photo", 1, "smooth", "uint8"), (("n_samples", n),), count)
        for n in sample_counts
        for name, count in (("fastseg", base), ("sklearn.metrics", 1))
    ]


ALL_KMEANS = tuple(peers.KMEANS_METHODS)
#: Methods timed on the noisy photo (which is there for the distinct-colour path).
NOISY_KMEANS = ("fastseg", "fastseg.segment", "cv2.kmeans")
#: Methods timed at 48 MP: the slow peers (scikit-learn, faiss without sampling) take tens of
#: seconds per call there; their scaling shows from 1 to 12 MP.
LARGE_KMEANS = tuple(name for name, m in peers.KMEANS_METHODS.items() if not m.slow)
LEVELS = ("quick", "standard", "full")


def matrix(level: str = "quick", sizes: Iterable[float] | None = None, repeats: int | None = None):
    """The cases of a benchmark run.

    Parameters
    ----------
    level : {"quick", "standard", "full"}
        "quick" (under a minute): the 1 MP photos at K=8 with every k-means method, Canny
        (aperture 3, L1 and L2; by scikit-image's rules on uint16), the silhouette of 5000
        pixels. Canny by scikit-image's rules (sigma 1) runs on uint8, uint16, float32 and
        float64 in the other levels. "standard": the same at 1, 4
        and 12 MP, with the elbow sweep and feature vectors of d = 64. "full": K = 3, 8 and 16
        at 1, 4 and 12 MP; 48 MP at K=8 without the slow peers (scikit-learn, faiss without
        sampling); feature vectors with
        d = 5 (colour + xy), 64 and 256; Canny at 1, 4 and 12 MP, apertures 3 and 5, L1 and L2;
        the elbow sweep; the silhouette of 5000 and 20000 pixels.
    sizes : iterable of float, optional
        Photo sizes in megapixels instead of the level's; the feature vectors, elbow and
        silhouette cases are then left out.
    repeats : int, optional
        Timed calls per fastseg case (default 3 for "quick", else 5); peers get fewer on large
        inputs.

    Returns
    -------
    list of Case
    """
    if level not in LEVELS:
        raise ValueError(f"`level` must be one of {', '.join(LEVELS)}; got {level!r}.")
    base = repeats if repeats is not None else (3 if level == "quick" else 5)
    default_sizes = {"quick": [1], "standard": [1, 4, 12], "full": [1, 4, 12, 48]}[level]
    sizes = default_sizes if sizes is None else list(sizes)
    ks = [3, 8, 16] if level == "full" else [8]
    regular = [s for s in sizes if s < 48]
    large = [s for s in sizes if s >= 48]
    cases = []
    for megapixels in regular:
        for dtype in ("uint8", "float32"):
            cases += _kmeans_cases([megapixels], [dtype], ks, "smooth", ALL_KMEANS, base)
        cases += _kmeans_cases([megapixels], ["uint8"], [8], "noisy", NOISY_KMEANS, base)
    for megapixels in large:
        for dtype in ("uint8", "float32"):
            cases += _kmeans_cases([megapixels], [dtype], [8], "smooth", LARGE_KMEANS, base)
        cases += _kmeans_cases([megapixels], ["uint8"], [8], "noisy", NOISY_KMEANS, base)
    apertures = [3, 5] if level == "full" else [3]
    canny_repeats = repeats if repeats is not None else (5 if level == "quick" else 10)
    cases += _canny_cases([s for s in sizes if s <= 12], apertures, [False, True], canny_repeats)
    smooth_dtypes = ["uint8", "uint16", "float32", "float64"] if level != "quick" else ["uint16"]
    cases += _smooth_canny_cases([s for s in sizes if s <= 12], smooth_dtypes, canny_repeats)
    cases += _slic_cases([s for s in sizes if s <= 12], canny_repeats)
    cases += _regions_cases([s for s in sizes if s <= 12], canny_repeats)
    if sizes != default_sizes:
        return cases
    if level == "quick":
        return cases + _silhouette_cases([5000], 1)
    dimensions = [5, 64, 256] if level == "full" else [64]
    cases += _feature_cases(dimensions, ALL_KMEANS, 3)
    cases += _elbow_cases([1], tuple(peers.ELBOW_METHODS), 3)
    cases += _silhouette_cases([5000, 20000] if level == "full" else [5000], 2)
    return cases


# -- running a case ------------------------------------------------------------------------------


def _small_rows(samples: np.ndarray) -> np.ndarray:
    """The first rows of samples (same dtype and layout), to compile and warm a method up."""
    return np.ascontiguousarray(samples[:20_000])


def _small_image(image: np.ndarray) -> np.ndarray:
    """A corner of an image (same dtype and layout), to compile and warm a method up."""
    return np.ascontiguousarray(image[:150, :200])


@functools.lru_cache(maxsize=2)
def _silhouette_input(n_samples: int):
    """`n_samples` pixels of the 1 MP photo (float32) and their labels from k-means with K=8."""
    pixels = photo(1).reshape(-1, 3)
    chosen = np.sort(np.random.default_rng(0).choice(len(pixels), n_samples, replace=False))
    samples = pixels[chosen].astype(np.float32)
    labels = peers.fastseg_kmeans(samples, 8, MAX_ITER, ATTEMPTS, SEED)[0].astype(np.int64)
    return samples, labels


def prepare(case: Case):
    """(call, warm-up call, quality of a result) for a case; the input is built here."""
    method = peers.METHODS[case.kind][case.method]
    p = case.parameters
    if case.kind == "silhouette":
        samples, labels = _silhouette_input(p["n_samples"])
        return (
            lambda: method.function(samples, labels),
            lambda: method.function(samples[:500], labels[:500]),
            float,
        )
    data = load(case.data)
    if case.kind == "kmeans":
        samples = data if method.takes_image or data.ndim == 2 else data.reshape(-1, 3)
        n = samples.shape[0] * (samples.shape[1] if method.takes_image else 1)
        small = _small_image(samples) if method.takes_image else _small_rows(samples)
        args = (p["k"], MAX_ITER, ATTEMPTS, SEED)
        return (
            lambda: method.function(samples, *args),
            lambda: method.function(small, *args),
            lambda result: float(result[2]) / n,
        )
    if case.kind == "canny":
        args = (p["low"], p["high"], p["aperture_size"], p["l2_gradient"])

        def differing_pixels(edges):
            if method.requires == "skimage":
                return None
            reference = peers.cv2_canny(data, *args)
            return float(np.count_nonzero((edges > 0) != (reference > 0)))

        small = _small_image(data)
        return (
            lambda: method.function(data, *args),
            lambda: method.function(small, *args),
            differing_pixels,
        )
    if case.kind == "smooth_canny":
        sigma = p["sigma"]

        def differing_from_skimage(edges):
            if method.requires == "skimage" or not peers.importable("skimage"):
                return None
            return float(np.count_nonzero(edges != peers.skimage_feature_canny(data, sigma)))

        small = _small_image(data)
        return (
            lambda: method.function(data, sigma),
            lambda: method.function(small, sigma),
            differing_from_skimage,
        )
    if case.kind == "slic":
        args = (p["n_segments"], p["max_num_iter"])

        def differing_from_skimage(labels):
            if method.function is not peers.fastseg_slic or not peers.importable("skimage"):
                return None
            return float(np.count_nonzero(labels != peers.skimage_slic(data, *args)))

        small = _small_image(data)
        return (
            lambda: method.function(data, *args),
            lambda: method.function(small, 20, p["max_num_iter"]),
            differing_from_skimage,
        )
    if case.kind == "regions":
        min_size = p["min_size"]
        small = _small_image(data)
        return (
            lambda: method.function(data, min_size),
            lambda: method.function(small, min_size),
            lambda regions: float(len(np.unique(regions)) - (0 in regions)),
        )
    if case.kind == "elbow":
        n = data.shape[0] * data.shape[1]
        small = _small_image(data)
        return (
            lambda: method.function(data, ELBOW_KS, MAX_ITER, ATTEMPTS, SEED),
            lambda: method.function(small, (1, 2), MAX_ITER, ATTEMPTS, SEED),
            lambda wcss: float(wcss[-1]) / n,
        )
    raise ValueError(f"unknown kind {case.kind!r}")


def time_calls(call: Callable, repeats: int) -> tuple[list[float], object]:
    """Wall-clock seconds of `repeats` calls (garbage collected before each) and the last result.

    The one way every case is timed, by ``fastseg bench`` and ``scripts/bench_report.py``.
    """
    times = []
    result = None
    for _ in range(repeats):
        result = None  # the previous result is freed before the next call, not during it
        gc.collect()
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return times, result


def run_case(case: Case, warmed: set | None = None) -> Row:
    """Time one case: warm the method up on a small input, then `case.repeats` timed calls."""
    call, warm_up, quality_of = prepare(case)
    method = peers.METHODS[case.kind][case.method]
    # Cases that differ in their input or in a parameter (a Canny aperture or norm, say) may
    # run other kernels: each warms its own up.
    key = (case.kind, case.method, case.data, case.params)
    if warmed is None or key not in warmed:
        warm_up()  # compile (or load from the cache), start thread pools
        if warmed is not None:
            warmed.add(key)
    times, result = time_calls(call, case.repeats)
    extra = {}
    if case.kind == "elbow":
        wcss = np.asarray(result, dtype=np.float64)
        extra["knee"] = fastseg.knee_point(np.array(ELBOW_KS), wcss)
    return Row(
        kind=case.kind, group=case.group, method=case.method, megapixels=case.megapixels,
        seconds=min(times), median=statistics.median(times), times=times,
        quality=quality_of(result), note=method.note, twin=method.twin, extra=extra,
    )  # fmt: skip


def run_cases(cases: Iterable[Case], *, progress: bool | None = False) -> list[Row]:
    """Time every case whose method can run here, and fill in the speed-up of fastseg.

    Cases of peers that cannot be imported are left out (:func:`peers.missing_modules` names them).
    `progress` shows a progress bar on stderr: True always, None when stderr is a terminal.
    """
    from tqdm import tqdm

    runnable = [c for c in cases if peers.importable(peers.METHODS[c.kind][c.method].requires)]
    warmed: set = set()
    rows = []
    bar = tqdm(
        runnable,
        unit="case",
        disable=None if progress is None else not progress,
        file=sys.stderr,
        leave=False,
    )
    for case in bar:
        bar.set_description(f"{case.method} {_mp(round(case.megapixels, 1))} MP")
        rows.append(run_case(case, warmed))
    bar.close()
    add_speedups(rows)
    return rows


def add_speedups(rows: list[Row]) -> None:
    """Fill `speedup` (against the twin) and `speedup_distinct` of every peer row."""
    by_group = {}
    for row in rows:
        by_group.setdefault((row.kind, row.group), {})[row.method] = row
    for row in rows:
        group = by_group[(row.kind, row.group)]
        if row.twin is not None and row.twin in group:
            row.speedup = row.seconds / group[row.twin].seconds
        if row.kind == "kmeans" and row.twin is not None and "fastseg.segment" in group:
            row.speedup_distinct = row.seconds / group["fastseg.segment"].seconds
