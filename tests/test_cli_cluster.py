"""``fastseg cluster``: feature vectors from a .npy file, k chosen by silhouette or elbow.

Run in this process through ``fastseg.cli.main`` (what ``python -m fastseg`` calls), against the
public functions with the same arguments.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastseg
from fastseg import cli

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml


def blobs(n=3000, d=24, k=4, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0.0, 10.0, (k, d))
    return (centers[rng.integers(0, k, n)] + rng.normal(0.0, 1.0, (n, d))).astype(dtype)


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    folder = tmp_path_factory.mktemp("features")
    data = blobs()
    np.save(folder / "blobs.npy", data)
    return folder / "blobs.npy", data


def run(capsys, *args):
    status = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_silhouette_choice_and_labels_are_the_public_functions(features, tmp_path, capsys):
    path, data = features
    status, out, err = run(capsys, "cluster", path, "-o", tmp_path / "l.npy", "--seed", 3)
    assert status == 0, err
    rng = np.random.default_rng(3)  # one generator: the sweep, then the run at the chosen k
    criteria = fastseg.Criteria(max_iter=300)
    sweep = fastseg.silhouette(samples=data, ks=range(2, 11), criteria=criteria, seed=rng)
    expected = fastseg.kmeans(data, sweep.best, criteria=criteria, seed=rng)
    assert sweep.best == 4  # the planted number of blobs
    labels = np.load(tmp_path / "l.npy")
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels, expected.labels)
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [int(row[0]) for row in rows] == list(range(2, 11))
    np.testing.assert_allclose([float(row[1]) for row in rows], sweep.scores, atol=6e-5)
    assert [row[0] for row in rows if "best" in row] == ["4"]
    assert f"k=4: wcss={expected.compactness:.6g}" in out


def test_elbow_choice(features, tmp_path, capsys):
    path, data = features
    status, out, err = run(capsys, "cluster", path, "--method", "elbow", "--ks", "1-7",
                           "-o", tmp_path / "l.npy")  # fmt: skip
    assert status == 0, err
    rng = np.random.default_rng(0)
    curve = fastseg.elbow(samples=data, ks=range(1, 8), seed=rng)
    expected = fastseg.kmeans(data, curve.knee, seed=rng)
    assert curve.knee == 4 and "<- knee" in out
    np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), expected.labels)


def test_fixed_k_standardized_with_centers_in_the_input_units(tmp_path, capsys):
    rng = np.random.default_rng(1)
    table = np.column_stack([rng.normal(50_000, 5_000, 400), rng.normal(3, 0.5, 400)])
    table[:200] += [60_000, 0.0]  # the income column alone would decide without scaling
    table[::2, 1] += 6.0
    np.save(tmp_path / "table.npy", table)
    status, _, err = run(capsys, "cluster", tmp_path / "table.npy", "-k", 4, "--standardize",
                         "--centers", tmp_path / "c.npy", "-o", tmp_path / "l.npy")  # fmt: skip
    assert status == 0, err
    labels, centers = np.load(tmp_path / "l.npy"), np.load(tmp_path / "c.npy")
    scaled = (table - table.mean(axis=0)) / table.std(axis=0)
    expected = fastseg.kmeans(scaled, 4, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(labels, expected.labels)
    truth = (np.arange(400) < 200) * 2 + (np.arange(400) % 2 == 0)
    assert (
        len({(a, b) for a, b in zip(truth, labels, strict=True)}) == 4
    )  # each group is one cluster
    for label in range(4):
        np.testing.assert_allclose(centers[label], table[labels == label].mean(axis=0), rtol=1e-9)


def test_more_axes_are_flattened_and_integers_are_read_as_float64(tmp_path, capsys):
    data = blobs(n=600, d=12, k=3, seed=2)
    np.save(tmp_path / "cube.npy", np.round(data * 100).astype(np.int64).reshape(600, 3, 4))
    status, _, err = run(capsys, "cluster", tmp_path / "cube.npy", "-k", 3, "-o",
                         tmp_path / "l.npy")  # fmt: skip
    assert status == 0, err
    flat = np.round(data * 100).astype(np.float64)
    expected = fastseg.kmeans(flat, 3, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), expected.labels)


def test_default_output_is_named_after_the_input_in_the_current_folder(
    features, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "cluster", features[0], "-k", 2)
    assert status == 0, err
    assert np.load(tmp_path / "blobs_labels.npy").shape == (3000,)


@pytest.mark.parametrize(
    "make, args, message",
    [
        (lambda p: np.save(p / "x.npy", np.zeros(10)), ["-k", 2], "shape (n, 1)"),
        (lambda p: np.save(p / "x.npy", np.zeros((5, 2), complex)), ["-k", 2],
         "integer or float features"),
        (lambda p: np.save(p / "x.npy", np.array([[None]] * 3)), ["-k", 2], "cannot read"),
        (lambda p: (p / "x.npy").write_bytes(b"not numpy"), ["-k", 2], "cannot read"),
        (lambda p: np.save(p / "x.npy", np.zeros((5, 0))), ["-k", 2], "one feature"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 6], "at most the number"),
        (lambda p: np.save(p / "x.npy", np.full((5, 2), np.nan)), ["-k", 2], "x.npy: "),
        (lambda p: np.save(p / "x.npy", np.full((5, 2), np.nan)), ["-k", 2, "--standardize"],
         "NaN"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 2, "--standardize"],
         "constant"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 2, "--method", "elbow"],
         "--method"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["--ks", "1"], "at least 2"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["--sample-size", 2],
         "--sample-size"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["--attempts", 0], "--attempts"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 2, "-o", "x.npy"],
         "replace the input"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 2, "-o", "x.csv"], ".npy"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 2, "--centers", "c.txt"],
         ".npy"),
        (lambda p: None, ["-k", 2], "no such file"),
        (lambda p: (p / "x.npy").write_bytes(b""), ["-k", 2], "cannot read"),
        (lambda p: np.savez(p / "x.npz", a=np.ones((5, 2))) or (p / "x.npz").rename(p / "x.npy"),
         ["-k", 2], ".npz archive"),
        (lambda p: np.save(p / "x.npy", np.zeros((0, 3))), ["-k", 2], "at least one sample"),
        (lambda p: np.save(p / "x.npy", np.zeros((0, 3, 4))), ["-k", 2], "at least one sample"),
        (lambda p: np.save(p / "x.npy", np.array([[1e308, 0.0], [-1e308, 1.0], [1e308, 2.0]])),
         ["-k", 2, "--standardize"], "float64 range"),
        (lambda p: np.save(p / "x.npy", np.ones((10, 2))), ["--ks", "2-3"], "single distinct"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["-k", 2, "--sample-size", 100],
         "silhouette method only"),
        (lambda p: np.save(p / "x.npy", np.ones((5, 2))), ["--method", "elbow",
         "--sample-size", 100], "silhouette method only"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(make, args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    status, _, err = run(capsys, "cluster", "x.npy", *args)
    assert status == 2
    assert err.startswith("fastseg: error:") and err.count("\n") == 1 and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_float16_features_are_read_as_float32(tmp_path, capsys):
    data = blobs(n=300, d=4, k=2, seed=5).astype(np.float16)
    np.save(tmp_path / "h.npy", data)
    status, _, err = run(capsys, "cluster", tmp_path / "h.npy", "-k", 2, "-o", tmp_path / "l.npy")
    assert status == 0, err
    expected = fastseg.kmeans(data.astype(np.float32), 2, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), expected.labels)


def test_suffix_other_than_npy_is_refused(tmp_path, capsys):
    (tmp_path / "x.csv").write_text("1,2\n3,4\n")
    status, _, err = run(capsys, "cluster", tmp_path / "x.csv")
    assert status == 2 and "expected a .npy file" in err


def test_k_and_ks_together_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["cluster", "x.npy", "-k", "3", "--ks", "2-5"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
