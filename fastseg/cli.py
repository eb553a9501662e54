"""The ``fastseg`` command: segment, edges, elbow, info.

Bad input (unreadable file, unsupported image, k out of range) exits with status 2 and one line on
stderr; a failure to write exits with status 1. Outputs are written to a temporary name and
renamed, so a failed run never leaves a partial file. The command only calls the public API.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import fastseg

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
USAGE_ERROR, FAILURE = 2, 1


class UsageError(Exception):
    """Bad input from the user: exit status 2."""


def _positive_ints(text: str) -> list[int]:
    """'3,5,7' or '1-10' (or a mix: '2,4-6')."""
    values: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            values.extend(range(int(low), int(high) + 1) if high else [int(low)])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected integers like 3,5,7 or 1-10; got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers; got {text!r}")
    return values


def _inputs(paths: list[str]) -> list[Path]:
    """The image files named, folders expanded to the image files they hold (sorted)."""
    if not paths:
        return [fastseg.sample_image_path()]
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise UsageError(f"no image files in folder {name!r}")
            files.extend(found)
        else:
            files.append(path)
    return files


def _read(path: Path) -> np.ndarray:
    try:
        return fastseg.imread(path)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc


def _write_image(path: Path, image: np.ndarray) -> None:
    try:
        fastseg.imwrite(path, image)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc}") from exc


def _write_labels(path: Path, labels: np.ndarray) -> None:
    from .io import write_atomically

    if path.suffix.lower() == ".npy":
        import io

        buffer = io.BytesIO()
        np.save(buffer, labels)
        write_atomically(path, buffer.getvalue())
    elif path.suffix.lower() == ".png":
        _write_image(path, labels)
    else:
        raise UsageError(f"--labels must end in .npy or .png; got {str(path)!r}")


def _titled(image: np.ndarray, title: str) -> np.ndarray:
    """The RGB image with a white title bar above it."""
    import cv2

    bar = np.full((32, image.shape[1], 3), 255, dtype=np.uint8)
    cv2.putText(bar, title, (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return np.vstack([bar, image])


def _as_rgb8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        image = (image // 257).astype(np.uint8)
    elif image.dtype.kind == "f":
        image = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.dstack([image] * 3)
    return image[:, :, :3]


def _segment_one(path: Path, args, out: Path | None) -> str:
    image = _read(path)
    ks = args.compare or [args.k]
    results = []
    start = time.perf_counter()
    for k in ks:
        try:
            results.append(
                fastseg.segment(
                    image, k, color_space=args.color_space, channel_order="rgb",
                    criteria=fastseg.Criteria(max_iter=args.max_iter), attempts=args.attempts,
                    seed=args.seed, spatial=args.spatial,
                )
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{path.name}: {exc}") from exc
    elapsed = time.perf_counter() - start
    if args.compare:
        panels = [_titled(_as_rgb8(image), "original")]
        panels += [
            _titled(_as_rgb8(r.recolor()), f"K = {k}") for k, r in zip(ks, results, strict=True)
        ]
        _write_image(out, np.hstack(panels))
    else:
        _write_image(out, results[0].recolor())
    if args.labels:
        _write_labels(Path(args.labels), results[-1].labels)
    first = results[0]
    mse = first.compactness / first.labels.size
    return (
        f"{path.name}: {image.shape[1]}x{image.shape[0]} k={','.join(map(str, ks))} "
        f"{args.color_space} ({first.method}) mse={mse:.2f} iterations={first.n_iter} "
        f"time={elapsed:.3f}s -> {out}"
    )


def _output_for(path: Path, args, batch: bool, suffix: str) -> Path:
    name = f"{path.stem}_{suffix}.png"
    if args.output is None:
        return Path(name)
    output = Path(args.output)
    if batch:
        output.mkdir(parents=True, exist_ok=True)
        return output / name
    return output


def _run_batch(args, work_one, suffix: str) -> int:
    """Apply `work_one(path, args, out)` to every input; in a batch, skip and report failures."""
    files = _inputs(args.images)
    batch = len(files) > 1
    if batch and getattr(args, "labels", None):
        raise UsageError("--labels takes a single input image")
    # Refuse unwritable formats before any work, so that no output is left half done.
    if args.output and not batch and Path(args.output).suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"cannot write {args.output!r}: unknown image format")
    status = 0
    progress = None
    if batch:
        from tqdm import tqdm

        progress = tqdm(files, unit="image", file=sys.stderr, disable=None)
    for path in progress or files:
        try:
            line = work_one(path, args, _output_for(path, args, batch, suffix))
        except (UsageError, OSError) as exc:
            if not batch:
                raise
            bad_input = isinstance(exc, UsageError)
            what = exc if bad_input else f"cannot write output for {path.name}: {exc}"
            print(f"fastseg: error: {what} (skipped)", file=sys.stderr)
            status = max(status, USAGE_ERROR if bad_input else FAILURE)
            continue
        (progress.write if progress is not None else print)(line)
    return status


def _chunked_paths(args) -> tuple[Path, Path]:
    """The input (zarr store or TIFF) and the zarr output of a --chunks run."""
    if args.chunks < 1:
        raise UsageError(f"--chunks must be at least 1; got {args.chunks}")
    if len(args.images) != 1:
        raise UsageError("--chunks takes one input: a zarr store or a .tif/.tiff file")
    source = Path(args.images[0])
    if not source.exists():
        raise UsageError(f"{str(source)!r} does not exist")
    if not source.is_dir() and source.suffix.lower() not in (".tif", ".tiff"):
        raise UsageError(f"--chunks reads a zarr store or a .tif/.tiff file; got {str(source)!r}")
    if not args.output or Path(args.output).suffix.lower() != ".zarr":
        raise UsageError("--chunks writes a zarr store: -o must end in .zarr")
    try:
        import fastseg.dask  # noqa: F401
    except ImportError as exc:
        raise UsageError("--chunks needs dask: pip install 'fastseg[dask]'") from exc
    return source, Path(args.output)


def _segment_chunked(args) -> int:
    if args.compare or args.labels:
        raise UsageError("--chunks writes the labels to -o; --compare and --labels do not apply")
    source, out = _chunked_paths(args)
    start = time.perf_counter()
    try:
        result = fastseg.dask.segment_to_zarr(
            source, args.k, args.chunks, out, color_space=args.color_space,
            criteria=fastseg.Criteria(max_iter=args.max_iter), attempts=args.attempts,
            seed=args.seed, spatial=args.spatial,
        )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{source.name}: {exc}") from exc
    height, width = result.labels.shape
    mse = result.compactness / (height * width)
    print(
        f"{source.name}: {width}x{height} k={args.k} {args.color_space} ({result.method}) "
        f"mse={mse:.2f} iterations={result.n_iter} time={time.perf_counter() - start:.3f}s "
        f"-> {out}"
    )
    return 0


def _edges_chunked(args) -> int:
    if args.auto or args.blur is not None or args.overlay:
        raise UsageError("--chunks takes --low/--high thresholds; not --auto, --blur or --overlay")
    source, out = _chunked_paths(args)
    start = time.perf_counter()
    try:
        fastseg.dask.canny_to_zarr(
            source, args.low, args.high, args.chunks, out, aperture_size=args.aperture,
            l2_gradient=args.l2,
        )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{source.name}: {exc}") from exc
    print(f"{source.name}: edges time={time.perf_counter() - start:.3f}s -> {out}")
    return 0


def command_segment(args) -> int:
    if args.chunks is not None:
        return _segment_chunked(args)
    if args.labels and Path(args.labels).suffix.lower() not in (".npy", ".png"):
        raise UsageError(f"--labels must end in .npy or .png; got {args.labels!r}")
    return _run_batch(args, _segment_one, "compare" if args.compare else f"k{args.k}")


def _edges_one(path: Path, args, out: Path) -> str:
    image = _read(path)
    # Colour images in OpenCV's channel order, so that the edges are cv2.Canny's on cv2.imread:
    # where two channels have equal gradients, the first one's direction is kept.
    bgr = image[:, :, 2::-1] if image.ndim == 3 else image
    start = time.perf_counter()
    try:
        if args.auto:
            edges = fastseg.auto_canny(bgr)
        else:
            edges = fastseg.canny(
                bgr, args.low, args.high, aperture_size=args.aperture, l2_gradient=args.l2,
                blur=args.blur,
            )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path.name}: {exc}") from exc
    elapsed = time.perf_counter() - start
    if args.overlay:
        picture = _as_rgb8(image).copy()
        picture[edges > 0] = (255, 0, 0)
        _write_image(out, picture)
    else:
        _write_image(out, edges)
    share = np.count_nonzero(edges) / edges.size
    size = f"{edges.shape[1]}x{edges.shape[0]}"
    return f"{path.name}: {size} edges={share:.2%} time={elapsed:.3f}s -> {out}"


def command_edges(args) -> int:
    if args.chunks is not None:
        return _edges_chunked(args)
    return _run_batch(args, _edges_one, "edges")


def command_elbow(args) -> int:
    path = _inputs([args.image] if args.image else [])[0]
    image = _read(path)
    try:
        result = fastseg.elbow(image, args.ks, color_space=args.color_space, seed=args.seed)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path.name}: {exc}") from exc
    print(f"{'k':>4}  {'wcss':>16}  {'mse per pixel':>14}")
    pixels = image.shape[0] * image.shape[1]
    for k, wcss in zip(result.ks, result.wcss, strict=True):
        marker = "  <- knee" if k == result.knee else ""
        print(f"{k:>4}  {wcss:>16.1f}  {wcss / pixels:>14.3f}{marker}")
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise UsageError("--plot needs matplotlib: pip install 'fastseg[plot]'") from exc
        import io

        from .io import write_atomically

        figure, axes = plt.subplots(figsize=(5, 3.5))
        axes.plot(result.ks, result.wcss, "o-")
        axes.axvline(result.knee, color="tab:red", linestyle="--", label=f"knee: k = {result.knee}")
        axes.set(xlabel="k", ylabel="WCSS", title=f"Elbow: {path.name} ({args.color_space})")
        axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        plt.close(figure)
        write_atomically(Path(args.plot), buffer.getvalue())
    return 0


def command_info(args) -> int:
    import cv2
    import numba

    fastseg.kmeans(np.zeros((4, 1)), 1)  # starts the threading layer, so that it can be named
    print(f"fastseg {fastseg.__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"numpy {np.__version__}, numba {numba.__version__}, opencv {cv2.__version__}")
    print(f"threads {numba.get_num_threads()} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})")
    print(f"threading layer {numba.threading_layer()}")
    from ._config import CACHE_FOLDER

    print(f"cache directory {CACHE_FOLDER or 'none writable: kernels compile in every process'}")
    return 0


def command_bench(args) -> int:
    from . import bench

    if args.repeats is not None and args.repeats < 1:
        raise UsageError(f"--repeats must be at least 1; got {args.repeats}")
    cases = bench.matrix("quick" if args.quick else "standard", repeats=args.repeats)
    rows = bench.run_cases(cases, progress=None)
    print(bench.machine_description())
    print()
    print(bench.format_tables(rows), end="")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit status 2."""

    def error(self, message):
        self.exit(USAGE_ERROR, f"fastseg: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fastseg", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    seg = commands.add_parser("segment", help="cluster the colours of images into k segments")
    seg.add_argument("images", nargs="*", help="image files or folders (default: a sample photo)")
    seg.add_argument("-k", type=int, default=3, help="number of colours (default 3)")
    seg.add_argument("--color-space", choices=["rgb", "hsv", "lab", "gray"], default="rgb")
    seg.add_argument("-o", "--output", help="output image (a folder for several inputs)")
    seg.add_argument("--labels", help="also write the label map to OUT.npy or OUT.png")
    seg.add_argument("--compare", type=_positive_ints, help="side-by-side PNG for these k: 3,5,7")
    seg.add_argument("--spatial", type=float, default=0.0, help="weight of pixel coordinates")
    seg.add_argument("--attempts", type=int, default=1)
    seg.add_argument("--max-iter", type=int, default=300)
    seg.add_argument("--seed", type=int, default=0)
    seg.add_argument("--chunks", type=int, help="read a zarr/TIFF lazily in NxN chunks (Dask)")
    seg.set_defaults(run=command_segment)

    elb = commands.add_parser("elbow", help="WCSS for a range of k and the knee of the curve")
    elb.add_argument("image", nargs="?", help="image file (default: a sample photo)")
    elb.add_argument("--ks", type=_positive_ints, default=list(range(1, 11)), help="e.g. 1-10")
    elb.add_argument("--color-space", choices=["rgb", "hsv", "lab", "gray"], default="rgb")
    elb.add_argument("--plot", help="also draw the curve into this PNG (needs matplotlib)")
    elb.add_argument("--seed", type=int, default=0)
    elb.set_defaults(run=command_elbow)

    edg = commands.add_parser("edges", help="Canny edges, identical to cv2.Canny")
    edg.add_argument("images", nargs="*", help="image files or folders (default: a sample photo)")
    thresholds = edg.add_mutually_exclusive_group()
    thresholds.add_argument("--auto", action="store_true", help="thresholds from the median")
    edg.add_argument("--low", type=float, default=100.0, help="lower threshold (default 100)")
    edg.add_argument("--high", type=float, default=200.0, help="upper threshold (default 200)")
    edg.add_argument("--blur", type=float, help="Gaussian sigma applied first")
    edg.add_argument("--aperture", type=int, default=3, choices=[3, 5, 7])
    edg.add_argument("--l2", action="store_true", help="L2 gradient magnitude")
    edg.add_argument("--overlay", action="store_true", help="draw the edges over the photo")
    edg.add_argument("-o", "--output", help="output image (a folder for several inputs)")
    edg.add_argument("--chunks", type=int, help="read a zarr/TIFF lazily in NxN chunks (Dask)")
    edg.set_defaults(run=command_edges)

    inf = commands.add_parser("info", help="versions, threads, threading layer, cache")
    inf.set_defaults(run=command_info)

    ben = commands.add_parser("bench", help="time fastseg against its peers on the same arrays")
    ben.add_argument("--quick", action="store_true", help="1 MP photos only (under a minute)")
    ben.add_argument("--repeats", type=int, help="timed calls per fastseg case")
    ben.set_defaults(run=command_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"fastseg: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:
        print(f"fastseg: error: {exc}", file=sys.stderr)
        return FAILURE
    except KeyboardInterrupt:
        print("fastseg: interrupted", file=sys.stderr)
        return 130
