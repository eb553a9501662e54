"""The example scripts in examples/: their functions on data with known groups, and a run each."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def agreement(truth: np.ndarray, labels: np.ndarray) -> float:
    """The share of samples whose cluster's most common true group is their own."""
    agree = 0
    for label in np.unique(labels):
        agree += np.bincount(truth[labels == label]).max()
    return agree / len(truth)


def test_customer_segments_are_the_planted_kinds():
    customers = load("customer_segmentation")
    table, kinds = customers.make_customers(3000, seed=1)
    curve, scores, labels = customers.choose_segments(table, seed=1)
    assert scores.best == len(customers.KINDS) == curve.knee
    assert agreement(kinds, labels) > 0.99 and agreement(labels, kinds) > 0.99
    means = customers.profiles(table, labels, scores.best)
    planted = np.array(list(customers.KINDS.values()))
    # Each segment's profile is the mean of one planted kind, within its sampling error.
    for profile in means:
        nearest = planted[np.argmin(np.abs((planted - profile) / customers.SPREAD).sum(axis=1))]
        np.testing.assert_allclose(profile, nearest, atol=0.0, rtol=0.06)


def test_customer_script_reads_a_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(12, 1, (40, 3))])
    (tmp_path / "t.csv").write_text(
        "a,b,c\n" + "\n".join(",".join(f"{v:.4f}" for v in row) for row in rows) + "\n"
    )
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "customer_segmentation.py"), str(tmp_path / "t.csv")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "100 customers, 3 features: a, b, c" in result.stdout
    assert "2 segments" in result.stdout and "60.0%" in result.stdout


@pytest.fixture(scope="module")
def colour_folder(tmp_path_factory):
    """24 noisy images in three colour families (reddish, greenish, bluish), 8 of each."""
    folder = tmp_path_factory.mktemp("colours")
    rng = np.random.default_rng(4)
    base = np.array([[200, 40, 40], [40, 180, 60], [50, 60, 210]])
    for index in range(24):
        family = index % 3
        image = base[family] + rng.normal(0, 25, (40, 50, 3))
        image = np.clip(image, 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"img{index:02d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return folder


def test_images_grouped_by_colour_histograms(colour_folder, tmp_path):
    out = tmp_path / "groups.csv"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "group_images_by_embedding.py"), str(colour_folder),
         "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with open(out) as file:
        rows = list(csv.DictReader(file))
    assert [row["file"] for row in rows] == [f"img{i:02d}.png" for i in range(24)]
    groups = np.array([int(row["group"]) for row in rows])
    families = np.arange(24) % 3
    assert len(np.unique(groups)) == 3
    assert agreement(families, groups) == 1.0 and agreement(groups, families) == 1.0


def test_images_grouped_by_given_embeddings():
    grouping = load("group_images_by_embedding")
    rng = np.random.default_rng(7)
    planted = rng.integers(0, 5, 400)
    embeddings = rng.normal(0, 1, (5, 1280))[planted] + rng.normal(0, 0.3, (400, 1280))
    sweep, labels = grouping.group(embeddings.astype(np.float32), seed=0)
    assert sweep.best == 5
    assert agreement(planted, labels) == 1.0 and agreement(labels, planted) == 1.0


def test_colour_histogram_is_a_unit_vector_of_bin_shares():
    grouping = load("group_images_by_embedding")
    image = np.zeros((10, 10, 3), np.uint8)
    image[:, :5] = [255, 0, 0]  # half pure red, half black
    histogram = grouping.color_histogram(image)
    assert histogram.shape == (128,)
    np.testing.assert_allclose((histogram**2).sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.sort(histogram)[-2:], [np.sqrt(0.5)] * 2, rtol=1e-6)
