"""Group a folder of images by their embeddings, with the number of groups chosen by silhouette.

Usage::

    python examples/group_images_by_embedding.py photos/                  # colour-histogram
    python examples/group_images_by_embedding.py photos/ --embeddings e.npy  # your embeddings
    python examples/group_images_by_embedding.py                          # tiles of a sample

Embeddings can come from anywhere: a CNN's pooled features (d = 1280 for MobileNetV2), CLIP, or
any (n_images, d) array saved with ``numpy.save``, one row per image in the sorted order of the
folder's file names. Without them, each image is described by its colour histogram (HSV, 8 hue x
4 saturation x 4 value bins, as square roots of the bin shares, so that Euclidean distance is
the Hellinger distance between histograms). The number of groups is the k of 2-10 with the best
silhouette score; ``-o groups.csv`` writes the groups as CSV lines ``file,group``.
From the command line, for an existing ``.npy``: ``fastseg cluster e.npy --ks 2-10`` (its
k-means runs draw from one generator, so its labels can differ from this script's).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import cv2
import numpy as np

import fastseg

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def color_histogram(image: np.ndarray) -> np.ndarray:
    """The square roots of the shares of an RGB uint8 image's pixels in 8x4x4 HSV bins."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)  # 8-bit hue is in [0, 180)
    counts = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256])
    return np.sqrt(counts.reshape(-1) / counts.sum())


def as_rgb8(image: np.ndarray) -> np.ndarray:
    """Any image fastseg.imread returns, as RGB uint8 (gray repeated, alpha dropped)."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype.kind == "f":
        image = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[:, :, None]
    image = image[:, :, :3]
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else np.ascontiguousarray(image)


def sample_tiles(size: int = 64) -> tuple[list[str], list[np.ndarray]]:
    """The bundled sample photo cut into size x size tiles, named by their row and column."""
    photo = fastseg.sample_image()
    names, tiles = [], []
    for top in range(0, photo.shape[0] - size + 1, size):
        for left in range(0, photo.shape[1] - size + 1, size):
            names.append(f"tile_r{top // size}_c{left // size}")
            tiles.append(photo[top : top + size, left : left + size])
    return names, tiles


def group(embeddings: np.ndarray, ks=range(2, 11), seed: int = 0):
    """The silhouette sweep over `ks` and the k-means labels of its best k."""
    ks = [k for k in ks if k < len(embeddings)]  # a silhouette needs a cluster with 2 images
    sweep = fastseg.silhouette(samples=embeddings, ks=ks, seed=seed)
    return sweep, fastseg.kmeans(embeddings, sweep.best, seed=seed).labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="a folder of images (default: sample tiles)")
    parser.add_argument("--embeddings", help=".npy of shape (n_images, d), sorted file order")
    parser.add_argument("-o", "--output", help="write 'file,group' lines here (CSV)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.folder:
        files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in SUFFIXES)
        names = [p.name for p in files]
        if len(files) < 3:
            sys.exit(f"{args.folder}: grouping needs at least 3 images; found {len(files)}")
    else:
        names, tiles = sample_tiles()
    if args.embeddings:
        embeddings = np.load(args.embeddings, allow_pickle=False)
        embeddings = embeddings.reshape(len(embeddings), -1)
        if len(embeddings) != len(names):
            sys.exit(f"{args.embeddings}: {len(embeddings)} rows for {len(names)} images")
    else:
        images = (as_rgb8(fastseg.imread(p)) for p in files) if args.folder else iter(tiles)
        embeddings = np.array([color_histogram(image) for image in images])
    print(f"{len(names)} images, embeddings of {embeddings.shape[1]} features")

    sweep, labels = group(embeddings, seed=args.seed)
    print("  k  silhouette")
    for k, score in zip(sweep.ks.tolist(), sweep.scores.tolist(), strict=True):
        print(f"{k:>3}  {score:10.3f}{'  <- best' if k == sweep.best else ''}")
    for label in range(sweep.best):
        members = [name for name, mine in zip(names, labels, strict=True) if mine == label]
        shown = ", ".join(members[:6]) + (", ..." if len(members) > 6 else "")
        print(f"group {label}: {len(members)} images: {shown}")

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["file", "group"])
    writer.writerows(zip(names, labels.tolist(), strict=True))
    if args.output:
        Path(args.output).write_text(text.getvalue())
        print(f"groups written to {args.output}")


if __name__ == "__main__":
    main()
