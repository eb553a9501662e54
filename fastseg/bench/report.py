"""Markdown tables of benchmark rows, and a description of the machine that timed them.

One table per kind of operation: for each method its best and median time, throughput, the
quality of its result and how many times faster fastseg was at the same work.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import cv2
import numpy as np

import fastseg

from . import peers
from .timing import ATTEMPTS, CANNY_THRESHOLDS, MAX_ITER, Row

__all__ = ["format_tables", "machine_description"]

_TITLES = {
    "kmeans": f"k-means ({MAX_ITER} center updates, {ATTEMPTS} attempt)",
    "canny": "Canny (thresholds {:g}/{:g}; quality: pixels differing from cv2.Canny)".format(
        *CANNY_THRESHOLDS
    ),
    "smooth_canny": "Canny by scikit-image's rules (default thresholds; quality: pixels "
    "differing from skimage.feature.canny)",
    "slic": "SLIC superpixels (compactness 10; quality: pixels whose label differs from "
    "skimage.segmentation.slic's)",
    "regions": "Connected regions of a K=8 segmentation, small ones merged (fastseg) or removed "
    "(scikit-image); quality: regions left",
    "elbow": f"Elbow sweep K=1..10 ({MAX_ITER} center updates per K)",
    "silhouette": "Silhouette score (exact, Euclidean)",
}
_QUALITY = {
    "kmeans": "MSE/px", "canny": "≠ cv2 px", "smooth_canny": "≠ skimage px", "slic": "≠ skimage px",
    "regions": "regions",
    "elbow": "MSE/px K=10", "silhouette": "score",
}  # fmt: skip


def _seconds(value: float) -> str:
    if value < 1e-2:
        return f"{value * 1e3:.2f} ms"
    if value < 1:
        return f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s"


def _quality(row: Row) -> str:
    if row.quality is None:
        return "n/a"
    if row.kind in ("canny", "smooth_canny", "slic", "regions"):
        return f"{row.quality:.0f}"
    if row.kind == "silhouette":
        return f"{row.quality:.6f}"
    text = f"{row.quality:.1f}"
    if "knee" in row.extra:
        text += f" (knee {row.extra['knee']})"
    return text


def format_tables(rows: list[Row], *, memory: bool | None = None) -> str:
    """Markdown tables of the rows, one per kind of operation, in the order of the rows.

    "fastseg faster" is the time of the peer over the time of the fastseg method that did the
    same work (named in the note when it is not plain ``fastseg``); "distinct faster" is the time
    over that of ``fastseg.segment`` (distinct-colour path) on the same photo.
    """
    if memory is None:
        memory = any(row.peak_bytes_per_pixel is not None for row in rows)
    lines = []
    for kind in dict.fromkeys(row.kind for row in rows):
        kind_rows = [row for row in rows if row.kind == kind]
        header = ["case", "method", "best", "median", "runs", "Mpx/s", _QUALITY[kind],
                  "fastseg faster"]  # fmt: skip
        distinct = any(row.speedup_distinct is not None for row in kind_rows)
        if distinct:
            header.append("distinct faster")
        if memory:
            header.append("extra B/px")
        lines += [f"**{_TITLES[kind]}**", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join("---" for _ in header) + "|")
        for row in kind_rows:
            speedup = "" if row.speedup is None else f"{row.speedup:.1f}x"
            if row.twin not in (None, "fastseg", "fastseg.elbow") and row.speedup is not None:
                speedup += f" (vs {row.twin})"
            cells = [
                row.group, row.method, _seconds(row.seconds), _seconds(row.median),
                str(len(row.times)), f"{row.throughput:.1f}", _quality(row), speedup,
            ]  # fmt: skip
            if distinct:
                value = row.speedup_distinct
                cells.append("" if value is None else f"{value:.1f}x")
            if memory:
                value = row.peak_bytes_per_pixel
                cells.append("" if value is None else f"{value:.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        notes = {row.method: row.note for row in kind_rows if row.note}
        lines.append("")
        lines += [f"- {method}: {note}" for method, note in notes.items()]
        lines.append("")
    missing = peers.missing_modules()
    if missing:
        lines.append(f"Peers not installed (left out): {', '.join(missing)}.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def thread_pools() -> list[str]:
    """fastseg's threads, the CPUs, and each BLAS/OpenMP library loaded with its thread count
    (through threadpoolctl, when it is installed)."""
    lines = [f"fastseg threads: {fastseg.get_num_threads()}; CPUs: {os.cpu_count()}"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [*lines, "threadpoolctl not installed: BLAS threads unknown"]
    for pool in threadpool_info():
        lines.append(
            f"{pool['user_api']} {pool['internal_api']} {pool.get('version') or ''}: "
            f"{pool['num_threads']} threads ({os.path.basename(pool['filepath'])})"
        )
    return lines


def machine_description() -> str:
    """CPU model, cores, RAM and the versions of the libraries that were timed."""
    import numba

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    memory = ""
    with contextlib.suppress(ValueError, OSError):
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {ram / 2**30:.0f} GB RAM"
    versions = [
        f"Python {sys.version.split()[0]}", f"fastseg {fastseg.__version__}",
        f"numpy {np.__version__}", f"numba {numba.__version__}",
        f"{fastseg.get_num_threads()} fastseg threads", f"OpenCV {cv2.__version__}",
    ]  # fmt: skip
    optional = {"sklearn": "scikit-learn", "faiss": "faiss", "skimage": "scikit-image"}
    for module, label in optional.items():
        if peers.importable(module):
            versions.append(f"{label} {importlib.import_module(module).__version__}")
    return f"{cpu}, {os.cpu_count()} cores{memory}; " + ", ".join(versions)
