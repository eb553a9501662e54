"""Segment a 1-gigapixel image chunk by chunk with fastseg.dask, and time dask-ml's KMeans on it.

The image (32768 x 32768 x 3 uint8 by default, 3 GB uncompressed) is a mosaic of scikit-image's
photos (astronaut, coffee, chelsea), each tile shifted by a small colour offset so that the colours
vary; it is written to a zarr store one chunk at a time and never held in memory. Each contender
then runs in a fresh process on the threaded scheduler, reading the store lazily, and reports its
wall time, and its peak resident memory during the run (the high-water mark, reset after the
imports and a warm-up call on one chunk, Linux only) and that peak's growth beyond the memory
at the reset, in chunks of the image:

* fastseg.dask.segment on the distinct-colour path (the default for 8-bit images) and on the
  per-pixel path (``method="pixels"``), k=8, 10 Lloyd iterations (tol=None), labels written to
  zarr;
* dask_ml.cluster.KMeans, k=8, max_iter=10, tol=0, on the same pixels as an (n, 3) float32 dask
  array (dask-ml's Lloyd step sums samples in their own dtype, so uint8 would overflow).

All start from the same centers: k-means++ (scikit-learn's ``kmeans_plusplus``, seed 0) on 32768
pixels drawn from 16 chunks, so the times compare the same iterations from the same start, and
the compactness (sum of squared distances, divided by the pixel count) is printed beside each.
``--dask-ml-init k-means||`` gives dask-ml its own default seeding instead (which, at this size,
takes most of its time). ``--dask-ml-rows`` limits dask-ml to the top rows of the image; its time
is then also scaled to the full image.

If dask-ml fails with the installed Dask, the exact error is printed in its place.

Usage::

    python scripts/bench_dask.py [--size 32768] [--chunk 1024] [--store DIR] [--dask-ml-rows N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def make_store(path: Path, size: int, chunk: int) -> None:
    """Write the mosaic into a zarr array at `path`, chunk by chunk."""
    import cv2
    import skimage.data
    import zarr

    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()]
    tiles = [cv2.resize(photo, (chunk, chunk), interpolation=cv2.INTER_AREA) for photo in photos]
    array = zarr.create_array(
        store=str(path), shape=(size, size, 3), chunks=(chunk, chunk, 3), dtype=np.uint8
    )
    n = -(-size // chunk)
    for i in range(n):
        for j in range(n):
            offset = np.array([(i * 7 + j * 3) % 13, (i * 5 + j) % 11, (i + j * 5) % 9]) - 5
            tile = np.clip(tiles[(i * 7 + j) % 3].astype(np.int16) + offset, 0, 255)
            rows = slice(i * chunk, min(size, (i + 1) * chunk))
            columns = slice(j * chunk, min(size, (j + 1) * chunk))
            height, width = rows.stop - rows.start, columns.stop - columns.start
            array[rows, columns] = tile[:height, :width].astype(np.uint8)


def resident_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MiB."""
    from fastseg import bench

    return bench.resident_bytes(field) / 2**20


def start_memory_watch() -> float:
    """Reset the process's peak resident size to the current one and return it, in MiB."""
    from fastseg import bench

    return bench.reset_peak_memory() / 2**20


def shared_init(store: Path, k: int) -> np.ndarray:
    """k-means++ centers of 32768 pixels drawn from 16 chunks of the image (seed 0)."""
    from sklearn.cluster import kmeans_plusplus

    import fastseg.dask

    image = fastseg.dask.open_image(store)
    rng = np.random.default_rng(0)
    row_chunks, column_chunks = image.numblocks[:2]
    picks = rng.choice(row_chunks * column_chunks, size=min(16, row_chunks * column_chunks))
    blocks = [image.blocks[int(p // column_chunks), int(p % column_chunks)] for p in picks]
    pixels = np.concatenate([np.asarray(b.compute()).reshape(-1, 3) for b in blocks])
    sample = pixels[rng.choice(len(pixels), size=min(32768, len(pixels)), replace=False)]
    centers, _ = kmeans_plusplus(sample.astype(np.float64), k, random_state=0)
    return centers


def memory_report(baseline: float, chunk_bytes: int) -> dict:
    """Peak resident size since :func:`start_memory_watch`, and its growth in image chunks."""
    peak = resident_mb("VmHWM")
    return {
        "peak_rss_mb": peak,
        "rss_after_imports_mb": baseline,
        "peak_growth_in_chunks": (peak - baseline) * 2**20 / chunk_bytes,
        "chunk_mb": chunk_bytes / 2**20,
    }


def chunk_bytes_of(image) -> int:
    return int(np.prod([chunks[0] for chunks in image.chunks])) * image.dtype.itemsize


def run_fastseg(store: Path, out: Path, k: int, iterations: int, init, method: str) -> dict:
    import dask

    import fastseg
    import fastseg.dask

    dask.config.set(scheduler="threads")
    image = fastseg.dask.open_image(store)
    criteria = fastseg.Criteria(iterations, tol=None)
    # Warm-up on one chunk, so that the baseline includes the loaded kernels.
    fastseg.dask.segment(image[:256, :256], k, init=init, method=method, criteria=criteria)
    baseline = start_memory_watch()
    start = time.perf_counter()
    result = fastseg.dask.segment(image, k, init=init, method=method, criteria=criteria)
    clustered = time.perf_counter()
    peak_of_kmeans = resident_mb("VmHWM")
    fastseg.dask.to_zarr(result.labels, out)
    done = time.perf_counter()
    return {
        "method": result.method,
        "n_iter": result.n_iter,
        "kmeans_s": clustered - start,
        "labels_to_zarr_s": done - clustered,
        "total_s": done - start,
        "mse": result.compactness / (image.shape[0] * image.shape[1]),
        "peak_rss_before_labels_mb": peak_of_kmeans,
        **memory_report(baseline, chunk_bytes_of(image)),
    }


def min_squared_distances(block: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared distance of each row of `block` to its nearest center, in float64."""
    rows = block.astype(np.float64)
    squared = (rows * rows).sum(axis=1)[:, None] - 2.0 * rows @ centers.T
    return np.maximum((squared + (centers * centers).sum(axis=1)).min(axis=1), 0.0)


def run_dask_ml(store: Path, k: int, iterations: int, rows: int | None, init) -> dict:
    import dask

    import fastseg.dask

    dask.config.set(scheduler="threads")
    try:
        from dask_ml.cluster import KMeans
    except Exception as exc:  # report whatever stops it
        return {"error": f"{type(exc).__name__}: {exc}"}
    image = fastseg.dask.open_image(store)
    chunk_bytes = chunk_bytes_of(image)
    if rows is not None:
        image = image[:rows]
    height, width = image.shape[:2]
    chunk_rows = max(1, (1 << 20) // width)  # about a million pixels per block
    pixels = image.rechunk((chunk_rows, width, 3)).reshape(height * width, 3).astype(np.float32)
    # Warm-up on one block, so that the baseline includes what the first fit loads.
    KMeans(n_clusters=k, max_iter=1, init=init, random_state=0).fit(pixels[:65536])
    baseline = start_memory_watch()
    start = time.perf_counter()
    try:
        model = KMeans(n_clusters=k, max_iter=iterations, tol=0, random_state=0, init=init)
        model.fit(pixels)
    except Exception as exc:  # report whatever stops it
        return {"error": f"{type(exc).__name__}: {exc}", "rows": height}
    elapsed = time.perf_counter() - start
    memory = memory_report(baseline, chunk_bytes)
    # dask-ml's inertia_ sums distances, not squared distances: the MSE is computed here.
    centers = model.cluster_centers_.astype(np.float64)
    squared = pixels.map_blocks(
        min_squared_distances, centers, drop_axis=1, dtype=np.float64
    )  # fmt: skip
    return {
        "rows": height,
        "n_iter": int(model.n_iter_),
        "fit_s": elapsed,
        "mse": float(squared.sum().compute()) / (height * width),
        **memory,
    }


def in_subprocess(*args: str) -> dict:
    """Run this script's worker mode in a fresh process; its last stdout line is JSON."""
    completed = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr else "?"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32768, help="image side in pixels")
    parser.add_argument("--chunk", type=int, default=1024, help="chunk side in pixels")
    parser.add_argument("--store", type=Path, help="zarr store (default: a temporary folder)")
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--dask-ml-rows", type=int, help="rows of the image given to dask-ml")
    parser.add_argument("--dask-ml-init", choices=["shared", "k-means||"], default="shared")
    parser.add_argument("--skip-dask-ml", action="store_true")
    parser.add_argument("--methods", default="distinct,pixels", help="fastseg paths to run")
    parser.add_argument("--worker", choices=["fastseg", "dask-ml"], help=argparse.SUPPRESS)
    parser.add_argument("--method", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--init", help=argparse.SUPPRESS)  # JSON centers
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    init = "k-means||" if args.init is None else np.array(json.loads(args.init))
    if args.worker == "fastseg":
        result = run_fastseg(args.store, args.out, args.k, args.iterations, init, args.method)
        print(json.dumps(result))
        return
    if args.worker == "dask-ml":
        print(json.dumps(run_dask_ml(args.store, args.k, args.iterations, args.dask_ml_rows, init)))
        return

    folder = Path(tempfile.mkdtemp(prefix="fastseg-bench-")) if args.store is None else None
    store = args.store or folder / "image.zarr"
    labels = store.with_name(store.stem + "_labels.zarr")
    needed = args.size * args.size * 3 * 2  # image and labels, uncompressed: an upper bound
    free = shutil.disk_usage(store.parent).free
    if free < needed:
        sys.exit(f"need {needed / 1e9:.1f} GB free beside {store}; {free / 1e9:.1f} GB free")
    if not store.exists():
        start = time.perf_counter()
        make_store(store, args.size, args.chunk)
        print(f"wrote {store} ({args.size}x{args.size}x3, chunks {args.chunk}) "
              f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
    common = ["--store", str(store), "--k", str(args.k), "--iterations", str(args.iterations)]
    centers = json.dumps(shared_init(store, args.k).tolist())
    megapixels = args.size * args.size / 1e6
    for method in args.methods.split(","):
        ours = in_subprocess(
            "--worker", "fastseg", "--method", method, "--init", centers, "--out", str(labels),
            *common,
        )  # fmt: skip
        name = f"fastseg.dask.segment ({method}), {megapixels:.0f} MP, k={args.k}"
        print(f"{name}: {json.dumps(ours)}")
        shutil.rmtree(labels, ignore_errors=True)
    if not args.skip_dask_ml:
        rows = [] if args.dask_ml_rows is None else ["--dask-ml-rows", str(args.dask_ml_rows)]
        own_init = [] if args.dask_ml_init == "k-means||" else ["--init", centers]
        theirs = in_subprocess("--worker", "dask-ml", *common, *rows, *own_init)
        if "fit_s" in theirs and theirs["rows"] < args.size:
            theirs["fit_s_scaled_to_full_image"] = theirs["fit_s"] * args.size / theirs["rows"]
        print(f"dask_ml KMeans ({args.dask_ml_init} init), k={args.k}: {json.dumps(theirs)}")
    if folder is not None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
