"""Customer segmentation on tabular data: standardised features, elbow and silhouette, profiles.

Usage::

    python examples/customer_segmentation.py                    # made-up customers (4 kinds)
    python examples/customer_segmentation.py customers.csv      # your table: a header line,
                                                                # then numeric columns
    python examples/customer_segmentation.py --plot choice.png  # also draw both curves

The features are standardised (mean 0, standard deviation 1 per column) so that a column in
dollars does not outweigh one in visits per month. For each k of 1-10 the elbow gives the WCSS
curve and its knee; for each k of 2-10 the silhouette score says how well separated the clusters
are; the k with the best silhouette is kept. Each segment is then described by its size and the
mean of each column, in the table's own units.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import fastseg

# Made-up customer kinds: the mean of each column, and its spread within a kind.
COLUMNS = ["age", "income_k", "visits_per_month", "basket_eur", "tenure_years"]
KINDS = {
    "students": [22, 15, 12, 18, 1.5],
    "families": [41, 62, 6, 95, 6.0],
    "retirees": [71, 34, 9, 40, 14.0],
    "high earners": [46, 160, 2, 240, 4.0],
}
SPREAD = [4.0, 8.0, 2.0, 15.0, 1.2]


def make_customers(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` made-up customers (rows, in COLUMNS) and the index of the kind each was drawn from."""
    rng = np.random.default_rng(seed)
    kinds = rng.integers(0, len(KINDS), n)
    means = np.array(list(KINDS.values()))
    table = means[kinds] + rng.normal(0.0, 1.0, (n, len(COLUMNS))) * SPREAD
    return np.maximum(table, 0.0), kinds


def read_table(path: Path) -> tuple[np.ndarray, list[str]]:
    """A CSV file with a header line and numeric columns, as float64 rows and column names."""
    with open(path) as file:
        names = [name.strip() for name in file.readline().split(",")]
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if table.shape[1] != len(names):
        raise SystemExit(f"{path}: {len(names)} column names but {table.shape[1]} columns")
    return table, names


def standardize(table: np.ndarray) -> np.ndarray:
    scale = table.std(axis=0)
    scale[scale == 0] = 1.0  # a constant column carries no information
    return (table - table.mean(axis=0)) / scale


def choose_segments(table: np.ndarray, seed: int = 0):
    """The elbow curve (k = 1-10), the silhouette scores (k = 2-10) and the labels of the best
    silhouette's k, all on the standardised table."""
    features = standardize(table)
    curve = fastseg.elbow(samples=features, ks=range(1, 11), seed=seed)
    scores = fastseg.silhouette(samples=features, ks=range(2, 11), seed=seed)
    labels = fastseg.kmeans(features, scores.best, seed=seed).labels
    return curve, scores, labels


def profiles(table: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, columns) mean of each column in each segment, in the table's units."""
    return np.array([table[labels == segment].mean(axis=0) for segment in range(k)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", help="a table with a header line (default: made up)")
    parser.add_argument("--plot", help="draw the elbow and silhouette curves here (matplotlib)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.csv:
        table, names = read_table(Path(args.csv))
    else:
        table, _ = make_customers(5000, args.seed)
        names = COLUMNS
    print(f"{len(table)} customers, {table.shape[1]} features: {', '.join(names)}")

    curve, scores, labels = choose_segments(table, args.seed)
    print(f"\n{'k':>3} {'WCSS':>10} {'silhouette':>11}")
    for k, wcss in zip(curve.ks.tolist(), curve.wcss.tolist(), strict=True):
        score = dict(zip(scores.ks.tolist(), scores.scores.tolist(), strict=True)).get(k)
        cell = "" if score is None else f"{score:.3f}"  # a silhouette needs 2 clusters
        marks = ("  knee" if k == curve.knee else "") + ("  best" if k == scores.best else "")
        print(f"{k:>3} {wcss:>10.1f} {cell:>11}{marks}")

    k = scores.best
    means = profiles(table, labels, k)
    sizes = np.bincount(labels, minlength=k)
    print(f"\n{k} segments (mean of each feature):")
    print(f"{'segment':>8} {'share':>6} " + " ".join(f"{name:>16}" for name in names))
    for segment in np.argsort(-sizes):
        share = sizes[segment] / len(table)
        cells = " ".join(f"{value:>16.1f}" for value in means[segment])
        print(f"{segment:>8} {share:>6.1%} {cells}")

    if args.plot:
        from matplotlib.figure import Figure  # pip install matplotlib

        figure = Figure(figsize=(8, 3.2))
        left, right = figure.subplots(1, 2)
        left.plot(curve.ks, curve.wcss, "o-")
        left.axvline(curve.knee, color="tab:red", linestyle="--")
        left.set(xlabel="k", ylabel="WCSS", title="Elbow")
        right.plot(scores.ks, scores.scores, "o-")
        right.axvline(scores.best, color="tab:red", linestyle="--")
        right.set(xlabel="k", ylabel="mean silhouette", title="Silhouette")
        figure.tight_layout()
        figure.savefig(args.plot, dpi=100)
        print(f"\ncurves drawn in {args.plot}")


if __name__ == "__main__":
    main()
