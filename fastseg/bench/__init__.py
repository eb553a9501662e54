"""Benchmarks of fastseg against its peers, on the same arrays and with the same work.

The peers (``cv2.kmeans``, scikit-learn's ``KMeans`` with the Lloyd and Elkan algorithms,
``faiss.Kmeans``, ``cv2.Canny``, ``skimage.feature.canny``, scikit-learn's silhouette score) are
named once, in :mod:`fastseg.bench.peers`: the ``fastseg bench`` command,
``scripts/bench_report.py``, the pytest-benchmark suites in ``benchmarks/`` and the oracle tests
all take them from there. Peers from scikit-learn, faiss and scikit-image are used only when they
can be imported.

Same work for everyone: every k-means method is given the same k, the same number of center
updates (``max_iter``), the same number of attempts and, where the peer has it, k-means++ seeding.
faiss has only random seeding: it is compared with fastseg seeded at random rows. Each timing is
reported with the mean squared error per pixel of its result, so that speed is never bought with
quality.

- :mod:`fastseg.bench.peers`: the methods timed, and how each is called;
- :mod:`fastseg.bench.data`: their inputs (the sample photo at given sizes, features, blobs);
- :mod:`fastseg.bench.timing`: the cases of a run, and how each is timed;
- :mod:`fastseg.bench.memory`: the peak memory of a call, in a fresh process;
- :mod:`fastseg.bench.report`: the Markdown tables.

Examples
--------
>>> from fastseg import bench
>>> rows = bench.run_cases(bench.matrix("quick"))  # doctest: +SKIP
>>> print(bench.format_tables(rows))  # doctest: +SKIP
"""

from __future__ import annotations

from .data import gray_photo, load, photo
from .memory import child_environment, peak_extra_bytes, reset_peak_memory, resident_bytes
from .peers import (
    CANNY_METHODS,
    ELBOW_METHODS,
    KMEANS_METHODS,
    METHODS,
    REGIONS_METHODS,
    SILHOUETTE_METHODS,
    SLIC_METHODS,
    SMOOTH_CANNY_METHODS,
    Method,
    fastseg_kmeans,
    fastseg_segment,
    importable,
    missing_modules,
)
from .report import format_tables, machine_description, thread_pools
from .timing import (
    CANNY_THRESHOLDS,
    LARGE_KMEANS,
    LEVELS,
    REGIONS_K,
    REGIONS_MIN_SIZE,
    SLIC_ITERATIONS,
    SLIC_SEGMENTS,
    Case,
    Row,
    add_speedups,
    matrix,
    prepare,
    repeats_for,
    run_case,
    run_cases,
    time_calls,
)

__all__ = [
    "CANNY_METHODS",
    "CANNY_THRESHOLDS",
    "ELBOW_METHODS",
    "KMEANS_METHODS",
    "LARGE_KMEANS",
    "LEVELS",
    "METHODS",
    "REGIONS_K",
    "REGIONS_METHODS",
    "REGIONS_MIN_SIZE",
    "SILHOUETTE_METHODS",
    "SLIC_ITERATIONS",
    "SLIC_METHODS",
    "SLIC_SEGMENTS",
    "SMOOTH_CANNY_METHODS",
    "Case",
    "Method",
    "Row",
    "add_speedups",
    "child_environment",
    "fastseg_kmeans",
    "fastseg_segment",
    "format_tables",
    "gray_photo",
    "importable",
    "load",
    "machine_description",
    "matrix",
    "missing_modules",
    "peak_extra_bytes",
    "photo",
    "prepare",
    "repeats_for",
    "reset_peak_memory",
    "resident_bytes",
    "run_case",
    "run_cases",
    "thread_pools",
    "time_calls",
]
