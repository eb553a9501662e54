"""The ``fastseg`` command: segment, slic, edges, elbow, cluster, warmup, info, bench.

Bad input (unreadable file, unsupported image, k out of range, an output that would replace an
input) exits with status 2 and one line on stderr; a failure to write exits with status 1. Every
check of the inputs and outputs runs before any work starts. The outputs of one input are written
together or not at all: each to a temporary file, renamed into place when all are complete, so a
failed or interrupted run (SIGINT, SIGTERM) never leaves a partial file. The command only calls
the public API.
"""

from __future__ import annotations

import _thread
import argparse
import io
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

import fastseg
from fastseg import _config, _warmup
from fastseg.io import encode_image, write_files

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
USAGE_ERROR, FAILURE = 2, 1
#: Most values of k that one --compare panel or one --ks curve takes.
MAX_COMPARE, MAX_KS = 16, 256


class UsageError(Exception):
    """Bad input from the user: exit status 2."""


def _k_values(limit: int):
    """An argparse type for '3,5,7' or '1-10' (or a mix: '2,4-6'), with at most `limit` values."""

    def parse(text: str) -> list[int]:
        ranges = []
        for part in text.split(","):
            low, dash, high = part.strip().partition("-")
            try:
                low_value, high_value = int(low), int(high) if dash else int(low)
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"expected integers like 3,5,7 or 1-10; got {text!r}"
                ) from None
            if low_value < 1:
                raise argparse.ArgumentTypeError(
                    f"k must be at least 1; got {low_value} in {text!r}"
                )
            if high_value < low_value:
                raise argparse.ArgumentTypeError(
                    f"the range {part.strip()!r} is empty: write it low-high, as in 1-10"
                )
            ranges.append((low_value, high_value))
        count = sum(high - low + 1 for low, high in ranges)  # counted before anything is built
        if count > limit:
            raise argparse.ArgumentTypeError(f"at most {limit} values of k; {text!r} has {count}")
        return [k for low, high in ranges for k in range(low, high + 1)]

    return parse


def _is_zarr_store(path: Path) -> bool:
    return path.suffix.lower() == ".zarr" or any(
        (path / name).exists() for name in ("zarr.json", ".zarray", ".zgroup")
    )


def _inputs(paths: list[str]) -> tuple[list[Path], bool]:
    """The image files named, folders expanded to the image files they hold (sorted), listed once
    before any work; and whether this is a batch (several files, or a folder)."""
    if not paths:
        return [fastseg.sample_image_path()], False
    files: list[Path] = []
    folder = False
    for name in paths:
        path = Path(name)
        if path.is_dir():
            if _is_zarr_store(path):
                raise UsageError(f"{name!r} is a zarr store: read it with --chunks N (-o OUT.zarr)")
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise UsageError(f"no image files in folder {name!r}")
            files.extend(found)
            folder = True
        else:
            files.append(path)
    return files, folder or len(files) > 1


def _read(path: Path) -> np.ndarray:
    try:
        return fastseg.imread(path)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc


def _encoded(path: Path, image: np.ndarray) -> tuple[Path, bytes]:
    try:
        return path, encode_image(path.suffix, image)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc}") from exc


def _encoded_labels(path: Path, labels: np.ndarray) -> tuple[Path, bytes]:
    if path.suffix.lower() == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, labels)
        return path, buffer.getvalue()
    return _encoded(path, labels)


def _file_identity(path: Path) -> tuple:
    """What makes two names one file: the resolved path, and device and inode where it exists."""
    real = os.path.realpath(path)
    try:
        status = os.stat(real)
    except OSError:
        return (real,)
    return (real, (status.st_dev, status.st_ino))


def _check_outputs(inputs: list[Path], plans: list[tuple[Path, list[Path]]]) -> None:
    """Refuse, before any work, outputs that would replace an input or another output."""
    taken: dict = {}
    for path in inputs:
        for key in _file_identity(path):
            taken[key] = ("input", path)
    for source, outputs in plans:
        for out in outputs:
            for key in _file_identity(out):
                if key not in taken:
                    continue
                role, other = taken[key]
                if role == "input":
                    raise UsageError(
                        f"output {str(out)!r} would replace the input {str(other)!r}; "
                        "fastseg never overwrites its inputs: choose another output name or folder"
                    )
                if other == source:
                    raise UsageError(f"two outputs of {source.name} are one file: {str(out)!r}")
                raise UsageError(
                    f"{other.name} and {source.name} would both be written to {str(out)!r}; "
                    "rename one of them or run them separately"
                )
            for key in _file_identity(out):
                taken[key] = ("output", source)


def _timing(elapsed: float, compiled: float) -> str:
    """'time=0.050s', with the compile time apart when kernels were compiled meanwhile."""
    if compiled < 0.01:
        return f"time={elapsed:.3f}s"
    cached = "cached for later runs" if _config.CACHE_FOLDER else "no writable cache folder"
    return (
        f"time={max(elapsed - compiled, 0.0):.3f}s (first call compiled kernels in "
        f"{compiled:.1f} s, {cached})"
    )


def _segment_one(path: Path, args, out: Path) -> tuple[str, list[tuple[Path, bytes]]]:
    image = _read(path)
    ks = args.compare or [args.k]
    pixels = image.shape[0] * image.shape[1]
    if args.compare and max(ks) > pixels:
        raise UsageError(
            f"{path.name}: --compare k must be at most the number of pixels ({pixels}); "
            f"got {max(ks)}"
        )
    results = []
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
        for k in ks:
            try:
                results.append(
                    fastseg.segment(
                        image, k, color_space=args.color_space, channel_order="rgb",
                        criteria=fastseg.Criteria(max_iter=args.max_iter),
                        attempts=args.attempts, seed=args.seed, spatial=args.spatial,
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
        files = [_encoded(out, np.hstack(panels))]
    else:
        files = [_encoded(out, results[0].recolor())]
    if args.labels:
        files.append(_encoded_labels(Path(args.labels), results[-1].labels))
    first = results[0]
    mse = first.compactness / first.labels.size
    line = (
        f"{path.name}: {image.shape[1]}x{image.shape[0]} k={','.join(map(str, ks))} "
        f"{args.color_space} ({first.method}) mse={mse:.2f} iterations={first.n_iter} "
        f"{_timing(elapsed, compiling.seconds)} -> {out}"
    )
    return line, files


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


def _output_for(path: Path, args, batch: bool, suffix: str) -> Path:
    name = f"{path.stem}_{suffix}.png"
    if args.output is None:
        return Path(name)
    output = Path(args.output)
    return output / name if batch else output


def _run_batch(args, work_one, suffix: str) -> int:
    """Apply `work_one(path, args, out)` to every input; in a batch, skip and report failures.

    The inputs are listed and every planned output checked before the first input is read.
    """
    files, batch = _inputs(args.images)
    labels = getattr(args, "labels", None)
    if batch and labels:
        raise UsageError("--labels takes a single input image")
    if args.output and not batch and Path(args.output).suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"cannot write {args.output!r}: unknown image format")
    if batch and args.output and Path(args.output).exists() and not Path(args.output).is_dir():
        raise UsageError(f"-o {args.output!r} must be a folder for several inputs")
    if labels and args.output and _file_identity(Path(labels)) == _file_identity(Path(args.output)):
        raise UsageError("--labels and -o name the same file: give the label map its own name")
    plans = []
    for path in files:
        outputs = [_output_for(path, args, batch, suffix)]
        if labels:
            outputs.append(Path(labels))
        plans.append((path, outputs))
    _check_outputs(files, plans)
    if batch and args.output:
        Path(args.output).mkdir(parents=True, exist_ok=True)
    status = 0
    progress = None
    if batch:
        from tqdm import tqdm

        progress = tqdm(plans, unit="image", file=sys.stderr, disable=None)
    for path, outputs in progress or plans:
        try:
            line, written = work_one(path, args, outputs[0])
            write_files(written)
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
    out = Path(args.output)
    real_source, real_out = os.path.realpath(source), os.path.realpath(out)
    if real_out == real_source or os.path.commonpath([real_source, real_out]) in (
        real_source,
        real_out,
    ):
        raise UsageError(
            f"-o {str(out)!r} would replace or sit inside the input {str(source)!r}; "
            "fastseg never overwrites its inputs: choose another output name"
        )
    try:
        import fastseg.dask
    except ImportError as exc:
        raise UsageError("--chunks needs dask: pip install 'fastseg[dask]'") from exc
    try:  # a new store, or one that fastseg wrote: nothing else is replaced
        fastseg.dask.check_output_store(out, [source], name="-o")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return source, out


def _segment_chunked(args) -> int:
    if args.compare or args.labels:
        raise UsageError("--chunks writes the labels to -o; --compare and --labels do not apply")
    source, out = _chunked_paths(args)
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
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
        f"mse={mse:.2f} iterations={result.n_iter} "
        f"{_timing(time.perf_counter() - start, compiling.seconds)} -> {out}"
    )
    return 0


def _edges_chunked(args) -> int:
    if args.auto or args.blur is not None or args.overlay:
        raise UsageError("--chunks takes --low/--high thresholds; not --auto, --blur or --overlay")
    source, out = _chunked_paths(args)
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
        try:
            low, high = args.low, args.high
            if args.sigma is None:  # the default thresholds in the stored image's units
                dtype = fastseg.dask.open_image(source, args.chunks).dtype
                low, high = _canny_thresholds(dtype, low, high)
            fastseg.dask.canny_to_zarr(
                source, low, high, args.chunks, out, aperture_size=args.aperture,
                l2_gradient=args.l2, sigma=args.sigma,
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{source.name}: {exc}") from exc
    timing = _timing(time.perf_counter() - start, compiling.seconds)
    print(f"{source.name}: edges {timing} -> {out}")
    return 0


def _check_k_options(args) -> None:
    for name in ("attempts", "max_iter"):
        value = getattr(args, name)
        if value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1; got {value}")


def command_segment(args) -> int:
    _check_k_options(args)
    if args.chunks is not None:
        return _segment_chunked(args)
    if args.compare and args.k_given:
        raise UsageError("-k and --compare do not go together: --compare takes the values of k")
    if args.labels and Path(args.labels).suffix.lower() not in (".npy", ".png"):
        raise UsageError(f"--labels must end in .npy or .png; got {args.labels!r}")
    return _run_batch(args, _segment_one, "compare" if args.compare else f"k{args.k}")


def _edges_one(path: Path, args, out: Path) -> tuple[str, list[tuple[Path, bytes]]]:
    image = _read(path)
    # Colour images in OpenCV's channel order, so that the edges are cv2.Canny's on cv2.imread:
    # where two channels have equal gradients, the first one's direction is kept.
    bgr = image[:, :, 2::-1] if image.ndim == 3 else image
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
        try:
            if args.sigma is not None:
                if image.ndim != 2:
                    raise ValueError(
                        f"--sigma (scikit-image's rules) takes grey images; got {image.shape[2]} "
                        "channels (convert the image to grey first)"
                    )
                from . import skimage  # only this flavour needs it

                edges = skimage.canny(image, args.sigma, args.low, args.high)
                edges = edges.view(np.uint8)
                edges *= np.uint8(255)  # in place: the 0/1 map becomes 0/255
            elif args.auto:
                edges = fastseg.auto_canny(
                    bgr, aperture_size=args.aperture, l2_gradient=args.l2, blur=args.blur
                )
            else:
                low, high = _canny_thresholds(image.dtype, args.low, args.high)
                edges = fastseg.canny(
                    bgr, low, high, aperture_size=args.aperture, l2_gradient=args.l2,
                    blur=args.blur,
                )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{path.name}: {exc}") from exc
    elapsed = time.perf_counter() - start
    if args.overlay:
        picture = _as_rgb8(image)
        if np.shares_memory(picture, image):  # a view of the input: draw on a copy
            picture = picture.copy()
        picture[edges > 0] = (255, 0, 0)
        files = [_encoded(out, picture)]
    else:
        files = [_encoded(out, edges)]
    share = np.count_nonzero(edges) / edges.size
    size = f"{edges.shape[1]}x{edges.shape[0]}"
    line = f"{path.name}: {size} edges={share:.2%} {_timing(elapsed, compiling.seconds)} -> {out}"
    return line, files


def _canny_thresholds(dtype, low, high) -> tuple[float, float]:
    """--low and --high, or their defaults of 100 and 200 in 8-bit steps, in the image's units:
    times 257 for 16-bit images, divided by 255 for float ones."""
    unit = 1.0 if dtype == np.uint8 else {"u": 257.0, "f": 1 / 255}.get(dtype.kind, 1.0)
    return (100.0 * unit if low is None else low, 200.0 * unit if high is None else high)


def command_edges(args) -> int:
    if args.auto and (args.low is not None or args.high is not None):
        raise UsageError("--auto sets the thresholds from the image: drop --low and --high")
    scikit_image_rules = args.sigma is not None
    if scikit_image_rules and (
        args.auto or args.blur is not None or args.aperture is not None or args.l2
    ):
        raise UsageError(
            "--sigma (Canny by scikit-image's rules) takes --low/--high; not --auto, --blur, "
            "--aperture or --l2"
        )
    args.aperture = 3 if args.aperture is None else args.aperture
    if args.chunks is not None:
        return _edges_chunked(args)
    return _run_batch(args, _edges_one, "overlay" if args.overlay else "edges")


#: The options of ``fastseg slic`` by the argument of :func:`fastseg.slic` they set.
_SLIC_OPTIONS = {
    "n_segments": "-n/--segments",
    "compactness": "--compactness",
    "max_num_iter": "--iterations",
    "sigma": "--sigma",
}


def _slic_one(path: Path, args, out: Path) -> tuple[str, list[tuple[Path, bytes]]]:
    image = _read(path)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]  # the alpha channel is not a colour
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
        try:
            labels = fastseg.slic(
                image, args.segments, compactness=args.compactness,
                max_num_iter=args.iterations, sigma=args.sigma, slic_zero=args.zero,
                channel_axis=None if image.ndim == 2 else -1,
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            message = str(exc)
            for argument, option in _SLIC_OPTIONS.items():
                message = message.replace(f"`{argument}`", option)
            raise UsageError(f"{path.name}: {message}") from exc
    elapsed = time.perf_counter() - start
    files = [_encoded(out, fastseg.mark_boundaries(_as_rgb8(image), labels))]
    if args.labels:
        label_path = Path(args.labels)
        if label_path.suffix.lower() == ".png":
            if labels.max() > np.iinfo(np.uint16).max:
                raise UsageError(f"{path.name}: more than 65535 labels do not fit a PNG: use .npy")
            labels = labels.astype(np.uint16)
        files.append(_encoded_labels(label_path, labels))
    n_found = int(labels.max()) if labels.size else 0
    line = (
        f"{path.name}: {image.shape[1]}x{image.shape[0]} segments={n_found} "
        f"{_timing(elapsed, compiling.seconds)} -> {out}"
    )
    return line, files


def command_slic(args) -> int:
    if args.labels and Path(args.labels).suffix.lower() not in (".npy", ".png"):
        raise UsageError(f"--labels must end in .npy or .png; got {args.labels!r}")
    return _run_batch(args, _slic_one, f"slic{args.segments}")


def _plot_format(name: str) -> str:
    """The matplotlib format for the file `name`, from its suffix."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise UsageError("--plot needs matplotlib: pip install 'fastseg[plot]'") from exc
    supported = Figure().canvas.get_supported_filetypes()
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in supported:
        raise UsageError(
            f"cannot write {name!r}: --plot writes one of "
            f"{', '.join('.' + s for s in sorted(supported))}"
        )
    return suffix


def command_elbow(args) -> int:
    path = Path(args.image) if args.image else fastseg.sample_image_path()
    if path.is_dir():
        raise UsageError(f"elbow takes one image file; {str(path)!r} is a folder")
    plot_format = _plot_format(args.plot) if args.plot else None
    if args.plot:
        _check_outputs([path], [(path, [Path(args.plot)])])
    image = _read(path)
    pixels = image.shape[0] * image.shape[1]
    if max(args.ks) > pixels:
        raise UsageError(
            f"{path.name}: --ks k must be at most the number of pixels ({pixels}); "
            f"got {max(args.ks)}"
        )
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
        try:
            result = fastseg.elbow(image, args.ks, color_space=args.color_space, seed=args.seed)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{path.name}: {exc}") from exc
    timing = _timing(time.perf_counter() - start, compiling.seconds)
    print(f"{'k':>4}  {'wcss':>16}  {'mse per pixel':>14}    {path.name}: {timing}")
    for k, wcss in zip(result.ks, result.wcss, strict=True):
        marker = "  <- knee" if k == result.knee else ""
        print(f"{k:>4}  {wcss:>16.1f}  {wcss / pixels:>14.3f}{marker}")
    if args.plot:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5, 3.5))
        axes = figure.subplots()
        axes.plot(result.ks, result.wcss, "o-")
        axes.axvline(result.knee, color="tab:red", linestyle="--", label=f"knee: k = {result.knee}")
        axes.set(xlabel="k", ylabel="WCSS", title=f"Elbow: {path.name} ({args.color_space})")
        axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format=plot_format, dpi=100)
        write_files([(Path(args.plot), buffer.getvalue())])
    return 0


def _read_features(path: Path) -> np.ndarray:
    """The (n_samples, n_features) array of a .npy file: more axes are flattened after the first;
    integer dtypes other than uint8/uint16 become float64 (exact up to 2**53)."""
    if path.suffix.lower() != ".npy":
        raise UsageError(f"{str(path)!r}: expected a .npy file of shape (n_samples, n_features)")
    try:
        features = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise UsageError(f"no such file: {str(path)!r}") from None
    except (ValueError, OSError, EOFError) as exc:
        raise UsageError(f"cannot read {str(path)!r} as a .npy array: {exc}") from exc
    if not isinstance(features, np.ndarray):  # an .npz archive under a .npy name
        features.close()
        raise UsageError(f"cannot read {str(path)!r} as a .npy array: it is an .npz archive")
    if features.ndim < 2:
        raise UsageError(
            f"{path.name}: expected samples of shape (n_samples, n_features); got shape "
            f"{features.shape} (for one feature, save it as shape (n, 1))"
        )
    if features.dtype.kind not in "uif" or features.dtype.itemsize > 8:
        raise UsageError(f"{path.name}: expected integer or float features; got {features.dtype}")
    n_features = int(np.prod(features.shape[1:]))
    if features.shape[0] == 0 or n_features == 0:
        raise UsageError(
            f"{path.name}: expected at least one sample and one feature; got shape {features.shape}"
        )
    features = features.reshape(features.shape[0], n_features)
    if features.dtype == np.float16:
        features = features.astype(np.float32)  # exact
    elif features.dtype.kind in "ui" and features.dtype not in (np.uint8, np.uint16):
        features = features.astype(np.float64)
    return features


def _standardized(features: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features minus their mean, divided by their standard deviation, column by column, in
    float64; and the means and scales, to bring centers back to the input's units."""
    values = np.asarray(features, dtype=np.float64)
    if not np.isfinite(values).all():
        raise UsageError(f"{name}: the features hold NaN or infinity")
    with np.errstate(over="ignore", invalid="ignore"):
        mean = values.mean(axis=0)
        scale = values.std(axis=0)
    if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
        raise UsageError(
            f"{name}: --standardize: the mean or standard deviation of a feature exceeds the "
            "float64 range (values near 1e308); scale the features first"
        )
    constant = scale == 0
    if constant.all():
        raise UsageError(f"{name}: --standardize: every feature is constant")
    scale[constant] = 1.0  # a constant feature becomes 0 everywhere: it separates nothing
    return (values - mean) / scale, mean, scale


def command_cluster(args) -> int:
    path = Path(args.features)
    output = Path(args.output) if args.output else Path(f"{path.stem}_labels.npy")
    outputs = [output] + ([Path(args.centers)] if args.centers else [])
    for out in outputs:
        if out.suffix.lower() != ".npy":
            raise UsageError(f"cannot write {str(out)!r}: labels and centers are .npy files")
    _check_outputs([path], [(path, outputs)])
    if args.k is not None and args.method is not None:
        raise UsageError("-k gives the number of clusters: --method chooses one from --ks")
    method = args.method or "silhouette"
    if args.sample_size is not None and (args.k is not None or method == "elbow"):
        raise UsageError("--sample-size applies to the silhouette method only")
    sample_size = 2000 if args.sample_size is None else args.sample_size
    for option, value, low in (
        ("--attempts", args.attempts, 1), ("--max-iter", args.max_iter, 1),
        ("--sample-size", sample_size, 3),
    ):  # fmt: skip
        if value < low:
            raise UsageError(f"{option} must be at least {low}; got {value}")
    features = _read_features(path)
    n_samples, n_features = features.shape
    ks = [args.k] if args.k is not None else args.ks
    if max(ks) > n_samples:
        raise UsageError(
            f"{path.name}: k must be at most the number of samples ({n_samples}); got {max(ks)}"
        )
    if args.k is None and method == "silhouette" and max(ks) < 2:
        raise UsageError("--ks: the silhouette method needs a k of at least 2")
    data, mean, scale = features, None, None
    if args.standardize:
        data, mean, scale = _standardized(features, path.name)
    criteria = fastseg.Criteria(max_iter=args.max_iter)
    seed = np.random.default_rng(args.seed)  # one generator: the sweep, then the final run
    print(f"{path.name}: {n_samples} samples x {n_features} features ({features.dtype})")
    start = time.perf_counter()
    with _config.compile_timer() as compiling:
        try:
            if args.k is not None:
                k = args.k
            elif method == "elbow":
                curve = fastseg.elbow(samples=data, ks=ks, criteria=criteria,
                                      attempts=args.attempts, seed=seed)  # fmt: skip
                k = curve.knee
                print(f"{'k':>5}  {'wcss':>16}")
                for each, wcss in zip(curve.ks.tolist(), curve.wcss.tolist(), strict=True):
                    print(f"{each:>5}  {wcss:>16.6g}{'  <- knee' if each == k else ''}")
            else:
                sweep = fastseg.silhouette(
                    samples=data, ks=ks, sample_size=sample_size, criteria=criteria,
                    attempts=args.attempts, seed=seed,
                )  # fmt: skip
                k = sweep.best
                print(f"{'k':>5}  {'silhouette':>10}")
                for each, score in zip(sweep.ks.tolist(), sweep.scores.tolist(), strict=True):
                    print(f"{each:>5}  {score:>10.4f}{'  <- best' if each == k else ''}")
            result = fastseg.kmeans(data, k, criteria=criteria, attempts=args.attempts, seed=seed)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{path.name}: {exc}") from exc
    elapsed = time.perf_counter() - start
    labels = result.labels.astype(np.int32)
    files = [_encoded_labels(output, labels)]
    if args.centers:
        centers = result.centers if scale is None else result.centers * scale + mean
        files.append(_encoded_labels(Path(args.centers), centers))
    write_files(files)
    sizes = np.bincount(labels, minlength=k)
    print(
        f"k={k}: wcss={result.compactness:.6g} iterations={result.n_iter} "
        f"sizes={' '.join(map(str, sizes.tolist()))} {_timing(elapsed, compiling.seconds)} "
        f"-> {', '.join(str(out) for out in outputs)}"
    )
    return 0


def command_info(args) -> int:
    """Versions and settings, without compiling or running a kernel."""
    import cv2
    import numba

    print(f"fastseg {fastseg.__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"numpy {np.__version__}, numba {numba.__version__}, opencv {cv2.__version__}")
    distributions = _config.cv2_distributions()
    installed = ", ".join(f"{name} {version}" for name, version in distributions)
    print(f"cv2 from {installed or 'no pip distribution (built or packaged apart)'}")
    threads = fastseg.get_num_threads()
    print(f"threads {threads} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})")
    print(f"cache directory {_config.CACHE_FOLDER or 'none writable: kernels compile every time'}")
    conflict = _config.cv2_conflict(distributions)
    if conflict:
        print(f"warning: {conflict}", file=sys.stderr)
    return 0


def command_warmup(args) -> int:
    if args.processes is not None and args.processes < 1:
        raise UsageError(f"--processes must be at least 1; got {args.processes}")
    start = time.perf_counter()
    processes = _warmup.effective_processes(args.processes)
    try:
        compiling = fastseg.warmup(progress=not args.quiet, processes=processes)
    except RuntimeError as exc:  # a step failed in its process: its first line says which
        print(f"fastseg: {str(exc).splitlines()[0]}", file=sys.stderr)
        return FAILURE
    folder = _config.CACHE_FOLDER
    where = f"cached in {folder}" if folder else "not cached: no writable cache folder"
    print(
        f"warmup: {time.perf_counter() - start:.1f} s; compiling took {compiling:.1f} s in "
        f"{processes} process{'es' if processes > 1 else ''} ({where})"
    )
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


class _StoreK(argparse.Action):
    """-k, remembering that it was given (it conflicts with --compare)."""

    def __call__(self, parser, namespace, values, option_string=None):
        namespace.k = values
        namespace.k_given = True


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """--attempts, --max-iter and --seed: how each k-means runs."""
    parser.add_argument(
        "--attempts",
        type=int,
        default=1,
        help="runs from different seeds (for each k); the best is kept (default 1)",
    )
    parser.add_argument(
        "--max-iter", type=int, default=300, help="most k-means iterations per run (default 300)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed: the same seed gives the same result (default 0)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fastseg", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"fastseg {fastseg.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    seg = commands.add_parser("segment", help="cluster the colours of images into k segments")
    seg.add_argument("images", nargs="*", help="image files or folders (default: a sample photo)")
    seg.add_argument(
        "-k", type=int, default=3, action=_StoreK, help="number of colours (default 3)"
    )
    seg.set_defaults(k_given=False)
    seg.add_argument(
        "--color-space",
        choices=["rgb", "hsv", "lab", "gray"],
        default="rgb",
        help="colour space to cluster in (default rgb)",
    )
    seg.add_argument("-o", "--output", help="output image (a folder for several inputs)")
    seg.add_argument("--labels", help="also write the label map to OUT.npy or OUT.png")
    seg.add_argument(
        "--compare",
        type=_k_values(MAX_COMPARE),
        help=f"side-by-side PNG for these k: 3,5,7 (at most {MAX_COMPARE})",
    )
    seg.add_argument(
        "--spatial",
        type=float,
        default=0.0,
        help="weight of pixel coordinates (default 0: colour only)",
    )
    _add_run_options(seg)
    seg.add_argument(
        "--chunks", type=int, help="read a zarr/TIFF lazily in NxN chunks (Dask); -o OUT.zarr"
    )
    seg.set_defaults(run=command_segment)

    elb = commands.add_parser("elbow", help="WCSS for a range of k and the knee of the curve")
    elb.add_argument("image", nargs="?", help="image file (default: a sample photo)")
    elb.add_argument(
        "--ks",
        type=_k_values(MAX_KS),
        default=list(range(1, 11)),
        help=f"values of k: 1-10 (default) or 2,4,8 (at most {MAX_KS})",
    )
    elb.add_argument(
        "--color-space",
        choices=["rgb", "hsv", "lab", "gray"],
        default="rgb",
        help="colour space to cluster in (default rgb)",
    )
    elb.add_argument(
        "--plot",
        help="also draw the curve into this file, in the format its "
        "suffix names (.png, .jpg, .svg, .pdf, ...; needs matplotlib)",
    )
    elb.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed: the same seed gives the same result (default 0)",
    )
    elb.set_defaults(run=command_elbow)

    clu = commands.add_parser(
        "cluster", help="k-means of feature vectors (.npy), k chosen by silhouette or elbow"
    )
    clu.add_argument(
        "features",
        help="a .npy array (n_samples, n_features); more axes are flattened after the first",
    )
    which_k = clu.add_mutually_exclusive_group()
    which_k.add_argument(
        "--ks",
        type=_k_values(MAX_KS),
        default=list(range(2, 11)),
        help=f"values of k to choose from: 2-10 (default) or 2,4,8 (at most {MAX_KS})",
    )
    which_k.add_argument("-k", type=int, help="this number of clusters (no choice of k)")
    clu.add_argument(
        "--method",
        choices=["silhouette", "elbow"],
        help="how k is chosen from --ks: best silhouette score (default) or the elbow's knee",
    )
    clu.add_argument(
        "--standardize",
        action="store_true",
        help="scale each feature to mean 0 and standard deviation 1 first (tabular data)",
    )
    clu.add_argument(
        "--sample-size",
        type=int,
        help="silhouette: the most samples scored for each k (default 2000)",
    )
    clu.add_argument("-o", "--output", help="labels as int32 .npy (default NAME_labels.npy, here)")
    clu.add_argument("--centers", help="also write the centers to this .npy, in the input's units")
    _add_run_options(clu)
    clu.set_defaults(run=command_cluster)

    edg = commands.add_parser(
        "edges",
        help="Canny edges, identical to cv2.Canny, also on 16-bit and float images (with "
        "--sigma: skimage.feature.canny)",
    )
    edg.add_argument("images", nargs="*", help="image files or folders (default: a sample photo)")
    edg.add_argument(
        "--auto",
        action="store_true",
        help="thresholds from the median intensity (not with --low/--high)",
    )
    edg.add_argument(
        "--low",
        type=float,
        help="lower threshold, in the image's units (default 100 for 8-bit images, 25700 for "
        "16-bit, 100/255 for float; with --sigma 10%% of the range)",
    )
    edg.add_argument(
        "--high",
        type=float,
        help="upper threshold (default 200 for 8-bit images, 51400 for 16-bit, 200/255 for "
        "float; with --sigma 20%% of the range)",
    )
    edg.add_argument(
        "--sigma",
        type=float,
        help="Canny by scikit-image's rules (skimage.feature.canny) with this Gaussian sigma, "
        "on grey images of any depth (8/16-bit, float TIFF); thresholds in the image's units",
    )
    edg.add_argument("--blur", type=float, help="Gaussian sigma applied first (at most 64)")
    edg.add_argument(
        "--aperture", type=int, choices=[3, 5, 7], help="Sobel aperture size (default 3)"
    )
    edg.add_argument("--l2", action="store_true", help="L2 gradient magnitude")
    edg.add_argument(
        "--overlay",
        action="store_true",
        help="draw the edges in red over the photo (default name NAME_overlay.png)",
    )
    edg.add_argument("-o", "--output", help="output image (a folder for several inputs)")
    edg.add_argument(
        "--chunks", type=int, help="read a zarr/TIFF lazily in NxN chunks (Dask); -o OUT.zarr"
    )
    edg.set_defaults(run=command_edges)

    sli = commands.add_parser(
        "slic", help="SLIC superpixels (skimage.segmentation.slic's), boundaries drawn in yellow"
    )
    sli.add_argument("images", nargs="*", help="image files or folders (default: a sample photo)")
    sli.add_argument(
        "-n", "--segments", type=int, default=100, help="about how many segments (default 100)"
    )
    sli.add_argument(
        "--compactness",
        type=float,
        default=10.0,
        help="weight of position against colour: higher gives squarer segments (default 10)",
    )
    sli.add_argument("--iterations", type=int, default=10, help="iterations (default 10)")
    sli.add_argument("--sigma", type=float, default=0.0, help="Gaussian smoothing first")
    sli.add_argument("--zero", action="store_true", help="SLIC-zero (adaptive compactness)")
    sli.add_argument("-o", "--output", help="output image (a folder for several inputs)")
    sli.add_argument("--labels", help="also write the labels to OUT.npy or OUT.png (16-bit)")
    sli.set_defaults(run=command_slic)

    war = commands.add_parser("warmup", help="compile the kernels ahead of time, into the cache")
    war.add_argument("--quiet", action="store_true", help="no progress bar")
    war.add_argument(
        "--processes", type=int, default=None, metavar="N",
        help="compile in N processes at once (default: the CPUs, at most 4; 1: in this one)",
    )  # fmt: skip
    war.set_defaults(run=command_warmup)

    inf = commands.add_parser("info", help="versions, threads, cache, OpenCV")
    inf.set_defaults(run=command_info)

    ben = commands.add_parser("bench", help="time fastseg against its peers on the same arrays")
    ben.add_argument("--quick", action="store_true", help="1 MP photos only (under a minute)")
    ben.add_argument("--repeats", type=int, help="timed calls per fastseg case")
    ben.set_defaults(run=command_bench)
    return parser


class _Terminated(BaseException):
    """SIGTERM, raised so that the temporary files are removed on the way out."""


def _on_sigterm(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up is not interrupted again
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    # An interrupt can land anywhere, also while the handlers are put back: caught out here.
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("fastseg: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("fastseg: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM


def _redelivering_interrupts(previous_hook):
    """A ``sys.unraisablehook`` for while the command runs: an interrupt that Python cannot
    raise, because it landed in a finaliser or a C callback, is sent again instead of being
    printed and dropped (the command would go on, after printing a traceback). Anything else
    goes to `previous_hook`."""

    def hook(unraisable) -> None:
        exception = unraisable.exc_value
        if not isinstance(exception, (KeyboardInterrupt, _Terminated)):
            previous_hook(unraisable)
            return
        if isinstance(exception, _Terminated):
            signal.signal(signal.SIGTERM, _on_sigterm)  # its handler ignores a second one
        signum = signal.SIGTERM if isinstance(exception, _Terminated) else signal.SIGINT
        # From another thread, a moment later: sent from here, it would land in this hook.
        timer = threading.Timer(0.01, _thread.interrupt_main, (signum,))
        timer.daemon = True
        timer.start()

    return hook


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Signals reach the main thread only (a KeyboardInterrupt or _Terminated is raised there).
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        previous_hook = sys.unraisablehook
        sys.unraisablehook = _redelivering_interrupts(previous_hook)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"fastseg: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:
        print(f"fastseg: error: {exc}", file=sys.stderr)
        return FAILURE
    finally:
        if in_main_thread:
            sys.unraisablehook = previous_hook
            if previous is not None:  # None: installed outside Python, left alone
                signal.signal(signal.SIGTERM, previous)
