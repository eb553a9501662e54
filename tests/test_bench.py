"""fastseg.bench on a tiny matrix: the cases, the table and the memory probe (no timing checks)."""

import math
import subprocess
import sys

import numpy as np
import pytest

from fastseg import bench
from fastseg.cli import main

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

TINY = 0.02  # megapixels: 163 x 122 photos


@pytest.fixture(scope="module")
def rows():
    return bench.run_cases(bench.matrix("quick", sizes=[TINY], repeats=1))


def test_matrix_levels_grow():
    sizes = [len(bench.matrix(level)) for level in bench.LEVELS]
    assert sizes == sorted(sizes) and sizes[0] > 0
    with pytest.raises(ValueError, match="`level` must be one of"):
        bench.matrix("huge")


def test_every_installed_method_is_timed(rows):
    timed = {(row.kind, row.method) for row in rows}
    for kind, methods in bench.METHODS.items():
        if kind in ("elbow", "silhouette"):
            continue  # not in a matrix of custom sizes
        for name, method in methods.items():
            if bench.importable(method.requires):
                assert (kind, name) in timed


def test_rows_are_complete(rows):
    for row in rows:
        assert len(row.times) == 1 and row.seconds > 0 and math.isfinite(row.throughput)
        if row.kind == "kmeans":
            assert math.isfinite(row.quality) and row.quality > 0
        if row.kind == "canny" and row.method in ("fastseg", "cv2.Canny"):
            assert row.quality == 0  # the same edges as cv2.Canny
        if row.kind == "slic" and row.method == "fastseg.slic":
            assert row.quality == 0  # the same labels as skimage.segmentation.slic
        if row.twin is not None:
            assert row.speedup is not None and row.speedup > 0


def test_same_work_gives_comparable_quality(rows):
    """Same k, iterations and seeding family: no peer's MSE is far from fastseg's."""
    for group in {row.group for row in rows if row.kind == "kmeans"}:
        mse = {row.method: row.quality for row in rows if row.group == group}
        for method, value in mse.items():
            if method != "faiss.Kmeans":  # trains on a sample of the pixels
                assert value < 1.25 * mse["fastseg"], (group, method)


def test_table_structure(rows):
    table = bench.format_tables(rows)
    header = "| case | method | best | median | runs | Mpx/s | MSE/px | fastseg faster |"
    assert header in table
    kmeans_lines = [line for line in table.splitlines() if "K=8 |" in line]
    assert len(kmeans_lines) == sum(row.kind == "kmeans" for row in rows)
    widths = {line.count("|") for line in kmeans_lines}
    assert len(widths) == 1  # every row has every column
    assert "Canny" in table
    for row in rows:  # each timed method's note under its table
        assert not row.note or f"- {row.method}: {row.note}" in table
    if bench.importable("faiss"):  # the test extra does not install faiss; the bench extra does
        assert "trains on at most 256 samples per centroid" in table


def test_missing_peers_are_named(rows, monkeypatch):
    def importable(module):
        return module in (None, "sklearn")

    monkeypatch.setattr(bench.peers, "importable", importable)
    assert bench.missing_modules() == ["faiss", "skimage"]
    assert "Peers not installed (left out): faiss, skimage." in bench.format_tables(rows)
    cases = bench.matrix("quick", sizes=[TINY])
    assert all(importable(bench.METHODS[c.kind][c.method].requires) for c in cases) is False


def test_registry_imports_no_optional_peer():
    """The optional peers are imported by their calls only: listing them needs none of them."""
    code = (
        "import sys, fastseg.bench;"
        "print(sorted(m for m in ('sklearn', 'faiss', 'skimage') if m in sys.modules))"
    )
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)  # fmt: skip
    assert listed.stdout.strip() == "[]"


def test_case_round_trips_through_json():
    case = bench.matrix("full")[0]
    assert bench.Case.from_json(case.to_json()) == case


def test_peak_memory_probe_runs_in_a_fresh_process():
    case = bench.Case("kmeans", "fastseg", ("photo", TINY, "smooth", "uint8"), (("k", 4),), 1)
    extra = bench.peak_extra_bytes(case)
    assert np.isfinite(extra) and extra >= 0


def test_cli_rejects_zero_repeats(capsys):
    assert main(["bench", "--repeats", "0"]) == 2
    assert "--repeats must be at least 1" in capsys.readouterr().err
