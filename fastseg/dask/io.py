"""Images larger than memory on disk: opening zarr stores and TIFF files as dask arrays, and
writing results to zarr stores all or nothing, also when interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import threading
import uuid
from pathlib import Path

import dask.array as da
import numpy as np

from .. import _validate
from .edges import canny, skimage_edges
from .segmentation import DaskSegmentation, segment

_TIFF_SUFFIXES = (".tif", ".tiff")


# --- files --------------------------------------------------------------------------------------

#: Most bytes in one chunk: a task reads a whole chunk (and a zarr or TIFF reader a whole stored
#: chunk or tile) into memory, so a larger one, asked for or stored in a file, is refused.
MAX_CHUNK_BYTES = 1 << 30
#: Most chunks of an image: the task graph holds a few objects per chunk.
MAX_CHUNKS = 1 << 18
#: The root attribute that marks a zarr store as written by fastseg, so that it may be replaced.
STORE_MARKER = "fastseg"
#: Entries of a zarr (format 3) store as fastseg writes it: metadata and the chunk folder.
_STORE_ENTRIES = frozenset({"zarr.json", "c"})
#: Largest metadata document read to recognise a store.
_MAX_METADATA_BYTES = 1 << 20
#: Real paths of the files and stores opened by :func:`open_image`, by the name of their layer in
#: the task graph, so that a write can tell whether it would replace its own input.
_OPENED: dict[str, str] = {}


def _check_chunk_grid(shape, chunk_shape, itemsize, name, what, count: bool = True) -> None:
    _validate.check_chunk_grid(
        shape, chunk_shape, itemsize, name, what, MAX_CHUNK_BYTES, MAX_CHUNKS if count else None
    )


def open_image(path, chunks: int | None = None) -> da.Array:
    """A zarr array (a directory) or a TIFF file as a lazy dask array, read chunk by chunk.

    Parameters
    ----------
    path : str or Path
        A zarr array directory, or a .tif/.tiff file (tiled TIFFs are read tile by tile).
    chunks : int or None, default None
        Rows and columns per chunk (channels stay in one chunk); None keeps the stored chunks.

    Returns
    -------
    dask array of shape (H, W) or (H, W, C)

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If `path` is neither a zarr array nor a TIFF file, or holds no image of shape (H, W) or
        (H, W, C); if `chunks` is not positive; if a chunk (asked for, or stored in the file)
        would exceed :data:`MAX_CHUNK_BYTES`, or the image would have more than
        :data:`MAX_CHUNKS` chunks.
    """
    path = _validate.check_path(path, "path")
    if chunks is not None:
        chunks = _validate.check_int(chunks, "chunks", 1)
    if not path.exists():
        raise FileNotFoundError(f"`path` must name a zarr store or a TIFF file; {str(path)!r} "
                                "does not exist.")  # fmt: skip
    import zarr

    try:
        if path.is_dir():
            array = zarr.open_array(str(path), mode="r")
        elif path.suffix.lower() in _TIFF_SUFFIXES:
            array = _TiffPixels(path)
        else:
            raise ValueError(f"cannot read {str(path)!r} lazily: not a zarr store or a TIFF file.")
    except (OSError, KeyError, TypeError, zarr.errors.BaseZarrError) as exc:
        raise ValueError(f"cannot read {str(path)!r} as a zarr array or TIFF: {exc}") from exc
    shape = tuple(int(size) for size in array.shape)
    if len(shape) not in (2, 3) or 0 in shape:
        raise ValueError(
            f"`path` must hold an image of shape (H, W) or (H, W, C); {str(path)!r} holds an "
            f"array of shape {shape}."
        )
    itemsize = np.dtype(array.dtype).itemsize
    # Every read decodes whole stored chunks: they must fit in memory whatever `chunks` says.
    stored = (*(int(size) for size in array.chunks[:2]), *shape[2:])
    _check_chunk_grid(shape, stored, itemsize, "path", "stored chunks", count=chunks is None)
    layout = stored
    if chunks is not None:
        layout = (min(chunks, shape[0]), min(chunks, shape[1]), *shape[2:])
        _check_chunk_grid(shape, layout, itemsize, "chunks", "chunks")
    name = f"fastseg-open-{uuid.uuid4().hex}"
    _OPENED[name] = os.path.realpath(path)
    return da.from_array(array, chunks=layout, asarray=True, name=name)


class _TiffPixels:
    """The first image of a TIFF file as an array-like that reads only the tiles asked for.

    Each read opens the file and closes it again, so no file handle outlives a task and the
    object pickles as its path (for process schedulers).
    """

    def __init__(self, path: Path):
        self.path = path
        array = self._open(lambda pixels: pixels)
        self.shape, self.dtype, self.chunks = array.shape, array.dtype, array.chunks
        self.ndim = len(self.shape)

    def _open(self, read):
        import tifffile
        import zarr

        with tifffile.TiffFile(self.path) as tiff, tiff.series[0].aszarr() as store:
            opened = zarr.open(store, mode="r")
            pixels = opened if isinstance(opened, zarr.Array) else opened["0"]
            return read(pixels)

    def __getitem__(self, key):
        return self._open(lambda pixels: pixels[key])


# Outputs.


def _store_kind(path: Path) -> str | None:
    """The kind ("labels", "edges", "array") of a zarr store that fastseg wrote, else None.

    A store is fastseg's when its folder holds nothing but zarr's metadata and chunk folder and
    its root attributes carry the :data:`STORE_MARKER` entry, which is written last, once every
    chunk is in place.
    """
    try:
        if path.is_symlink() or not path.is_dir():
            return None
        if not set(os.listdir(path)) <= _STORE_ENTRIES:
            return None
        metadata = path / "zarr.json"
        if metadata.is_symlink() or not metadata.is_file():
            return None
        with open(metadata, "rb") as file:
            text = file.read(_MAX_METADATA_BYTES + 1)
        if len(text) > _MAX_METADATA_BYTES:
            return None
        document = json.loads(text)
    except (OSError, ValueError):
        return None
    attributes = document.get("attributes") if isinstance(document, dict) else None
    marker = attributes.get(STORE_MARKER) if isinstance(attributes, dict) else None
    if isinstance(marker, dict) and isinstance(marker.get("kind"), str):
        return marker["kind"]
    return None


def _read_only(path: Path) -> bool:
    """Whether `path` may not be written: no write permission for us, or none for anyone (the
    owner's intent, which root's permissions would otherwise override)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _related(first: Path, second: Path) -> bool:
    """Whether two real paths are the same, or one lies inside the other."""
    return first == second or first in second.parents or second in first.parents


def check_output_store(path, inputs=(), *, name: str = "path", overwrite: bool = True) -> Path:
    """Check, before any work, that a zarr store may be written at `path`; return its real path.

    The store may be new, or replace one that fastseg wrote (see Notes); anything else is
    refused, as is an output that is, holds or lies inside one of `inputs`.

    Parameters
    ----------
    path : str or Path
        Where the store is to be written. A symbolic link is followed: the store it points to
        is the one replaced (the link itself stays).
    inputs : iterable of str or Path, default ()
        The files or stores the output is computed from.
    name : str, default "path"
        The argument's name in messages (for example the option of a command line).
    overwrite : bool, default True
        Whether a store fastseg wrote may be replaced.

    Returns
    -------
    Path
        The real path (links resolved) the store is written to.

    Raises
    ------
    TypeError
        If `path` is not a path.
    ValueError
        If the output resolves to an input (or a folder holding one, or a path inside one); if
        something that is not a store fastseg wrote exists there (a file, a folder of other
        files, a broken store); if the existing store or the folder it goes into is read-only;
        if that folder does not exist; if the name is longer than the file system allows; or if
        `overwrite` is False and a store exists.

    Notes
    -----
    A store is fastseg's when its folder holds only zarr's metadata (``zarr.json``) and chunk
    folder (``c``), and its root attributes hold ``{"fastseg": {"kind": ..., "version": ...}}``,
    written once the last chunk is in place: so an incomplete or foreign store is never taken
    for one.
    """
    path = _validate.check_path(path, name)
    shown = repr(str(path))
    target = Path(os.path.realpath(path))
    for source in inputs:
        source = _validate.check_path(source, "inputs")
        if _related(target, Path(os.path.realpath(source))):
            raise ValueError(
                f"`{name}` must not be the input or lie inside or around it; {shown} "
                f"resolves to {str(target)!r}, which would replace the input {str(source)!r}."
            )
    if len(os.fsencode(target.name)) > 255:
        raise ValueError(
            f"`{name}` must have a name of at most 255 bytes; got {len(os.fsencode(target.name))}."
        )
    parent = target.parent
    if not parent.is_dir():
        raise ValueError(f"`{name}` must be in an existing folder; {str(parent)!r} is not one.")
    if os.path.lexists(target):
        if _store_kind(target) is None:
            raise ValueError(
                f"`{name}` must name a new zarr store or one that fastseg wrote; {shown} exists "
                "and is not a store fastseg wrote (remove it yourself, or choose another name)."
            )
        if not overwrite:
            raise ValueError(f"`{name}` must name a new store (overwrite=False); {shown} exists.")
        if _read_only(target):
            raise ValueError(f"`{name}` must be writable; the store {shown} is read-only.")
    if _read_only(parent):
        raise ValueError(f"`{name}` must be in a writable folder; {str(parent)!r} is read-only.")
    return target


def _graph_inputs(array: da.Array) -> list[str]:
    """The files and stores opened by :func:`open_image` that `array` is computed from."""
    layers = getattr(array.__dask_graph__(), "layers", {})
    return [_OPENED[layer] for layer in layers if layer in _OPENED]


class _SignalGuard:
    """SIGINT and SIGTERM as exceptions in the main thread, deferred inside critical sections.

    Outside a critical section a signal is handled at once: by the handler that was installed
    before (Python's SIGINT handler raises KeyboardInterrupt), or, where that was the default
    action, by an exception (KeyboardInterrupt, or SystemExit with status 128 + signal for
    SIGTERM), so that ``finally`` blocks run and remove temporary files. Inside one (renames and
    clean-up) it is held until the section ends. The previous handlers are restored on exit.
    Off the main thread signals cannot be handled and nothing is installed.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self._previous: dict = {}
        self._depth = 0
        self._pending = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self._SIGNALS:
                previous = signal.getsignal(signum)
                if previous is not None:  # None: a handler installed outside Python, kept
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, exc_type, exc, traceback):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        pending, self._pending = self._pending, None
        if pending is not None and exc_type is None:
            self._deliver(pending, None)
        return False

    def _handle(self, signum, frame):
        if self._depth:
            if self._pending is None:
                self._pending = signum
            return
        self._deliver(signum, frame)

    def _deliver(self, signum, frame):
        previous = self._previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)

    @contextlib.contextmanager
    def critical(self):
        """A section that signals do not interrupt; one that came is handled at its end
        (unless an exception is already on its way)."""
        self._depth += 1
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None and not failed:
                pending, self._pending = self._pending, None
                self._deliver(pending, None)


class _Writes:
    """The chunk writes of one store in this process: counted, and stopped on cancel, so that
    the temporary store is removed only once no task can write to it any more."""

    def __init__(self):
        self.token = uuid.uuid4().hex
        self._condition = threading.Condition()
        self._running = 0
        self._cancelled = False
        #: The zarr array written to, opened once for this process's tasks.
        self.target = None

    def __enter__(self):
        _WRITES[self.token] = self
        return self

    def __exit__(self, *exc):
        self.cancel_and_wait()
        _WRITES.pop(self.token, None)
        return False

    def begin(self) -> bool:
        with self._condition:
            if self._cancelled:
                return False
            self._running += 1
            return True

    def end(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()

    def cancel_and_wait(self) -> None:
        with self._condition:
            self._cancelled = True
            while self._running:
                self._condition.wait()


_WRITES: dict[str, _Writes] = {}


def _store_block(block, store: str, token: str, block_info=None):
    """Write a chunk into the zarr array at `store`; a one-element flag of whether it was."""
    writes = _WRITES.get(token)  # None in another process: nothing there to wait for
    if writes is not None and not writes.begin():
        return np.zeros((1,) * block.ndim, dtype=bool)
    try:
        import zarr

        region = tuple(slice(start, stop) for start, stop in block_info[0]["array-location"])
        target = writes.target if writes is not None else None
        if target is None:
            target = zarr.open_array(store, mode="r+")
        target[region] = block
    finally:
        if writes is not None:
            writes.end()
    return np.ones((1,) * block.ndim, dtype=bool)


def _regular_chunks(chunks: tuple) -> tuple:
    """Chunk sizes that zarr can store one chunk per task: all equal but a smaller last one."""
    regular = []
    for sizes in chunks:
        size = max(sizes, default=0)
        regular.append(sizes if all(s == size for s in sizes[:-1]) else size)
    return tuple(regular)


def _new_hidden_folder(parent: Path, suffix: str) -> Path:
    """A new empty folder with a short hidden name (``.fsXXXXXX.tmp``) in `parent`, made with
    the usual folder mode, so that any final name the file system allows also works beside it."""
    while True:
        folder = parent / f".fs{uuid.uuid4().hex[:6]}{suffix}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _remove(path: Path | None) -> None:
    if path is not None and os.path.lexists(path):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def to_zarr(
    array: da.Array, path, *, overwrite: bool = True, inputs=(), kind: str = "array"
) -> None:
    """Compute `array` into a zarr store at `path`, all or nothing.

    Parameters
    ----------
    array : dask array
        Computed chunk by chunk (irregular chunks are made regular first).
    path : str or Path
        The store: new, or one that fastseg wrote (see :func:`check_output_store`).
    overwrite : bool, default True
        Whether a store that fastseg wrote may be replaced.
    inputs : iterable of str or Path, default ()
        Files the array is computed from, besides those opened with :func:`open_image` (which
        are found in its task graph): the store may not replace any of them.
    kind : str, default "array"
        What the store holds, recorded in its ``fastseg`` root attribute.

    Notes
    -----
    The store is written under a short hidden name (``.fsXXXXXX.tmp``) in the folder of its
    real path and renamed into place once complete; a store it replaces is renamed aside first
    and removed last, and put back if the new one cannot take its place. A failure, SIGINT or
    SIGTERM (in the main thread, taken as an exception during the write) leaves no partial or
    hidden store: the chunk writes under way are waited for, the temporary store removed, and
    the previous store, if any, is left as it was.
    """
    if not isinstance(array, da.Array):
        raise TypeError(f"`array` must be a dask.array.Array; got {type(array).__name__}.")
    if not isinstance(kind, str):
        raise TypeError(f"`kind` must be a str; got {type(kind).__name__}.")
    if any(np.isnan(size) for size in array.shape):
        raise ValueError(f"`array` must have a known shape; got {array.shape}.")
    if array.dtype.hasobject or array.dtype.fields is not None:
        raise TypeError(f"`array` must have a numeric dtype; got {array.dtype}.")
    inputs = [*inputs, *_graph_inputs(array)]
    target = check_output_store(path, inputs, overwrite=overwrite)
    import zarr

    regular = _regular_chunks(array.chunks)
    if regular != array.chunks:
        array = array.rechunk(regular)
    marker = {"kind": kind, "version": _version()}
    with _SignalGuard() as signals, _Writes() as writes:
        temporary = old = None
        try:
            # Critical: zarr does its I/O on a thread of its own, which an exception here would
            # leave writing the metadata after the clean-up.
            with signals.critical():
                temporary = _new_hidden_folder(target.parent, ".tmp")
                writes.target = zarr.create_array(
                    store=str(temporary), shape=array.shape, dtype=array.dtype,
                    chunks=tuple(max(1, *sizes) for sizes in array.chunks), overwrite=True,
                )  # fmt: skip
            if array.size:
                flags = array.map_blocks(
                    _store_block, str(temporary), writes.token, dtype=bool,
                    chunks=tuple((1,) * len(sizes) for sizes in array.chunks),
                )  # fmt: skip
                flags.compute()
            with signals.critical():
                writes.target.attrs.update({STORE_MARKER: marker})
                # The store in place may have changed while this one was computed.
                check_output_store(target, inputs, overwrite=overwrite)
                if os.path.lexists(target):
                    old = _new_hidden_folder(target.parent, ".old")
                    os.replace(target, old)
                os.replace(temporary, target)
                temporary = None
        finally:
            with signals.critical():
                writes.cancel_and_wait()
                if temporary is not None and old is not None and not os.path.lexists(target):
                    os.replace(old, target)  # the new store never took its place
                    old = None
                _remove(temporary)
                _remove(old)


def _version() -> str:
    from .. import __version__

    return __version__


def segment_to_zarr(path_in, k: int, chunks: int | None, out, **options) -> DaskSegmentation:
    """Segment the image at `path_in` (zarr or TIFF, read lazily) and write its labels to the
    zarr store `out`, all or nothing. `options` are those of :func:`segment`.

    The output is checked (:func:`check_output_store`) before any work: it may not be the
    input, nor replace anything but a store fastseg wrote.
    """
    check_output_store(out, [path_in], name="out")
    result = segment(open_image(path_in, chunks), k, **options)
    to_zarr(result.labels, out, inputs=[path_in], kind="labels")
    return result


def canny_to_zarr(
    path_in,
    threshold1: float | None,
    threshold2: float | None,
    chunks: int | None,
    out,
    *,
    aperture_size: int = 3,
    l2_gradient: bool = False,
    channel_order: str = "rgb",
    sigma: float | None = None,
) -> None:
    """Canny edges of the image at `path_in` (zarr or TIFF, read lazily) into the zarr store
    `out`, all or nothing (the output is checked first, as by :func:`segment_to_zarr`).

    With `sigma`, the edges are those of :func:`fastseg.dask.skimage_canny` (scikit-image's rules,
    grey images of any depth; the thresholds may be None for its defaults), written as 0 and 255.

    `channel_order` is the order of the stored colour channels: they are passed to Canny in
    OpenCV's BGR order, so that the edges are those ``cv2.Canny`` finds in ``cv2.imread`` of the
    same picture (the channel order only matters where two channels' gradients tie).
    """
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"`channel_order` must be one of rgb, bgr; got {channel_order!r}.")
    check_output_store(out, [path_in], name="out")
    image = open_image(path_in, chunks)
    if sigma is not None:
        if image.ndim != 2:
            raise ValueError(
                f"`path_in` must hold a grey image for Canny by scikit-image's rules (sigma); got "
                f"shape {image.shape}."
            )
        edges = skimage_edges(image, sigma, threshold1, threshold2, None, "constant", 0.0,
                              np.uint8(255))  # fmt: skip
        to_zarr(edges, out, inputs=[path_in], kind="edges")
        return
    if channel_order == "rgb" and image.ndim == 3 and image.shape[2] >= 3:
        image = image[:, :, 2::-1]
    edges = canny(image, threshold1, threshold2, aperture_size=aperture_size,
                  l2_gradient=l2_gradient)  # fmt: skip
    to_zarr(edges, out, inputs=[path_in], kind="edges")
