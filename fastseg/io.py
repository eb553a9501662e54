"""Reading and writing images (through OpenCV), and the bundled sample photos.

Reading bounds the size of an image by its header before decoding it (:data:`MAX_IMAGE_PIXELS`).
Writing is all or nothing: every file goes to a short temporary name in its folder and is renamed
into place when complete, with SIGINT and SIGTERM held back while files are written and renamed.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import struct
import tempfile
import threading
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

__all__ = ["imread", "imwrite", "sample_image", "sample_image_path"]

#: Largest image (width x height) that :func:`imread` decodes: 2**28 pixels, 16384 x 16384. Larger
#: images are read in chunks with :func:`fastseg.dask.open_image`.
MAX_IMAGE_PIXELS = 1 << 28

#: Formats :func:`imread` reads (their headers give the size before any pixel is decoded).
READ_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "WebP", "GIF", "PNM")

#: File suffixes OpenCV writes 16-bit samples to; other formats would store them as 8-bit (all 255).
SIXTEEN_BIT_SUFFIXES = frozenset({".png", ".tif", ".tiff", ".pgm", ".ppm", ".pnm", ".pxm"})

_READ_DTYPES = frozenset(np.dtype(t) for t in (np.uint8, np.uint16, np.float32, np.float64))


def sample_image_path() -> Path:
    """Path of the bundled sample photo (NASA astronaut portrait, public domain, 512 x 512)."""
    return Path(str(resources.files("fastseg") / "data" / "astronaut.png"))


def sample_image() -> np.ndarray:
    """The bundled sample photo as an RGB uint8 array of shape (512, 512, 3)."""
    return imread(sample_image_path())


class _Header(NamedTuple):
    format: str
    width: int
    height: int
    #: Decode with IMREAD_ANYCOLOR | IMREAD_ANYDEPTH, which applies the EXIF orientation as
    #: cv2.imread does; IMREAD_UNCHANGED (which keeps an alpha channel) does not apply it.
    oriented: bool = False


def _png_header(data: bytes) -> _Header | None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height, _, colour_type = struct.unpack(">IIBB", data[16:26])
    alpha = colour_type in (4, 6)
    exif = False
    position = 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind in (b"IDAT", b"IEND"):
            break
        alpha |= kind == b"tRNS"
        exif |= kind == b"eXIf"
        position += 12 + length
    return _Header("PNG", width, height, exif and not alpha)


def _jpeg_header(data: bytes) -> _Header | None:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if position + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return _Header("JPEG", width, height, True)  # no alpha in JPEG: always orient
        position += 2 + length
    return None


def _tiff_header(data: bytes) -> _Header | None:
    order = "<" if data[:2] == b"II" else ">"
    (version,) = struct.unpack(order + "H", data[2:4])
    if version == 42:
        (offset,) = struct.unpack(order + "I", data[4:8])
        count_format, entry_size, value_at = "H", 12, 8
    elif version == 43:  # BigTIFF
        (offset,) = struct.unpack(order + "Q", data[8:16])
        count_format, entry_size, value_at = "Q", 20, 12
    else:
        return None
    count_size = struct.calcsize(count_format)
    if offset + count_size > len(data):
        return None
    (n_entries,) = struct.unpack(order + count_format, data[offset : offset + count_size])
    size = {}
    for i in range(min(n_entries, 4096)):
        entry = offset + count_size + i * entry_size
        if entry + entry_size > len(data):
            break
        tag, kind = struct.unpack(order + "HH", data[entry : entry + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT, LONG or LONG8
            value_format = {3: "H", 4: "I", 16: "Q"}.get(kind)
            if value_format is None:
                return None
            start = entry + value_at
            (size[tag],) = struct.unpack(
                order + value_format, data[start : start + struct.calcsize(value_format)]
            )
    if 256 not in size or 257 not in size:
        return None
    return _Header("TIFF", size[256], size[257])  # libtiff applies the orientation tag itself


def _bmp_header(data: bytes) -> _Header | None:
    if len(data) < 26:
        return None
    (info_size,) = struct.unpack("<I", data[14:18])
    if info_size == 12:
        width, height = struct.unpack("<HH", data[18:22])
    else:
        width, height = struct.unpack("<ii", data[18:26])
    return _Header("BMP", abs(width), abs(height))


def _webp_header(data: bytes) -> _Header | None:
    kind = data[12:16]
    if kind == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return _Header("WebP", width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8L" and len(data) >= 25:
        (bits,) = struct.unpack("<I", data[21:25])
        return _Header("WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8X" and len(data) >= 30:
        flags = data[20]
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        exif, alpha = bool(flags & 0x08), bool(flags & 0x10)
        return _Header("WebP", width, height, exif and not alpha)
    return None


def _pnm_header(data: bytes) -> _Header | None:
    tokens: list[bytes] = []
    position = 2
    while len(tokens) < 2 and position < min(len(data), 4096):
        character = data[position : position + 1]
        if character == b"#":
            end = data.find(b"\n", position)
            position = len(data) if end < 0 else end + 1
        elif character.isspace():
            position += 1
        else:
            end = position
            while end < len(data) and not data[end : end + 1].isspace() and data[end] != ord("#"):
                end += 1
            tokens.append(data[position:end])
            position = end
    if len(tokens) < 2 or not all(token.isdigit() for token in tokens):
        return None
    return _Header("PNM", int(tokens[0]), int(tokens[1]))


def _header(data: bytes) -> _Header | None:
    """Format and size of the image in `data` from its header, or None if it is not understood."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png_header(data)
        if data.startswith(b"\xff\xd8\xff"):
            return _jpeg_header(data)
        if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
            return _tiff_header(data)
        if data.startswith(b"BM"):
            return _bmp_header(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_header(data)
        if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return _Header("GIF", width, height)
        if len(data) >= 3 and data[:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
            return _pnm_header(data)
    except struct.error:
        return None
    return None


def imread(path) -> np.ndarray:
    """Read an image file into an array in RGB (or RGBA) channel order.

    Gray images come back as (H, W); 8- and 16-bit depths are kept, and float TIFFs come back as
    float32 or float64. The EXIF orientation of a photo is applied as ``cv2.imread`` applies it
    (JPEG, and PNG or WebP without an alpha channel; TIFF through its orientation tag); an image
    with an alpha channel keeps it and is not turned.

    The size is read from the file's header before anything is decoded: images of more than
    :data:`MAX_IMAGE_PIXELS` (2**28) pixels are refused, so a small file that claims to be huge
    cannot exhaust memory. Formats read: PNG, JPEG, TIFF, BMP, WebP, GIF and PNM (PBM/PGM/PPM).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    OSError
        If the file cannot be read (permissions, I/O error).
    ValueError
        If the file cannot be decoded as an image, is larger than :data:`MAX_IMAGE_PIXELS`, or
        holds samples of another type than uint8, uint16, float32 or float64.
    """
    path = _check_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` must name an image file; {str(path)!r} does not exist.")
    data = path.read_bytes()
    header = _header(data)
    if header is None:
        raise ValueError(
            f"`path` must name a {', '.join(READ_FORMATS)} image; cannot read {str(path)!r} as "
            "an image (unknown format or corrupt header)."
        )
    if header.width < 1 or header.height < 1 or header.width * header.height > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"`path` must name an image of at most MAX_IMAGE_PIXELS = {MAX_IMAGE_PIXELS} pixels; "
            f"{str(path)!r} is a {header.format} of {header.width} x {header.height} pixels "
            "(read larger images in chunks with fastseg.dask.open_image)."
        )
    flags = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR if header.oriented else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    except cv2.error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "OpenCV error"
        raise ValueError(f"cannot read {str(path)!r} as an image: {reason}") from None
    if image is None:
        raise ValueError(f"cannot read {str(path)!r} as an image (unknown format or corrupt).")
    if image.dtype not in _READ_DTYPES:
        raise ValueError(
            f"`path` must name an image with uint8, uint16, float32 or float64 samples; "
            f"{str(path)!r} holds {image.dtype.name} samples."
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] in (3, 4):
        order = [2, 1, 0, 3][: image.shape[2]]
        return np.ascontiguousarray(image[:, :, order])
    return image


def encode_image(suffix: str, image: np.ndarray) -> bytes:
    """The bytes of `image` in the format named by the file suffix `suffix` (".png", ".jpg", ...).

    Accepts what :func:`imwrite` accepts; raises its TypeError or ValueError otherwise.
    """
    suffix = suffix.lower() or ".png"
    image = _check_image(image)
    if image.dtype == np.uint16 and suffix not in SIXTEEN_BIT_SUFFIXES:
        raise ValueError(
            f"`image` has 16-bit samples, which the {suffix!r} format cannot hold (it would store "
            f"them as 8-bit); write one of {', '.join(sorted(SIXTEEN_BIT_SUFFIXES))}, or convert "
            "the image with (image // 257).astype(np.uint8)."
        )
    if image.ndim == 3 and image.shape[2] == 3:
        image = image[:, :, ::-1]
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, [2, 1, 0, 3]]
    try:
        ok, encoded = cv2.imencode(suffix, np.ascontiguousarray(image))
    except cv2.error:
        ok = False
    if not ok:
        raise ValueError(f"cannot encode an image of shape {image.shape} as {suffix!r}.")
    return encoded.tobytes()


def imwrite(path, image: np.ndarray) -> None:
    """Write an RGB(A) or gray image, all at once: a temporary file renamed into place.

    `image` has shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) and dtype uint8, uint16, float32
    or float64. Float images follow the rule of every fastseg function that takes an image: values
    lie in [0, 1] (else ValueError); they are written as 8-bit, ``round(value * 255)``. 16-bit
    images are written only to formats that hold 16 bits (PNG, TIFF, PGM/PPM); for others (JPEG,
    BMP, WebP) a ValueError says so instead of storing every sample as 255.

    A symbolic link at `path` is followed: the file it points to is replaced. An existing file
    without write permission is not replaced (PermissionError). A failed write (unknown extension,
    full disk, unwritable folder, interrupt) leaves no file behind and `path` as it was.
    """
    path = _check_path(path)
    write_files([(path, encode_image(path.suffix, image))])


def _check_path(path) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or os.PathLike; got {type(path).__name__}.")
    return Path(path)


def _check_image(image) -> np.ndarray:
    """An image OpenCV can encode, uint8 or uint16; float images in [0, 1] become uint8."""
    from ._validate import as_array, check_image

    image = as_array(image, "image")
    if image.dtype.newbyteorder("=") not in _READ_DTYPES:
        raise TypeError(
            f"`image` must have dtype uint8, uint16, float32 or float64; got {image.dtype}."
        )
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"`image` must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got {image.shape}."
        )
    if image.size == 0:
        raise ValueError(f"`image` must have at least one pixel; got shape {image.shape}.")
    if image.dtype.kind == "f":
        image = check_image(image, "image")  # finite and in [0, 1]
        return np.rint(image * 255.0).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return image.astype(image.dtype.newbyteorder("="), copy=False)


def _umask() -> int:
    """The process's file mode creation mask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def output_target(path) -> Path:
    """The file that writing to `path` replaces: `path` with symbolic links followed.

    Raises PermissionError if that file exists and has no write permission, and
    IsADirectoryError if it is a folder; fastseg replaces neither.
    """
    target = Path(os.path.realpath(path))
    try:
        status = target.stat()
    except FileNotFoundError:
        return target
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not replaced", str(path))
    # Checked on the mode bits as well as with access(), which always allows the superuser.
    if not status.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "is read-only, not replaced", str(path))
    return target


@contextmanager
def _interrupts_held():
    """Hold SIGINT and SIGTERM back until the block ends, then act on them as usual.

    Only the main thread receives Python signal handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        if handler is None:  # installed outside Python: leave it alone
            continue
        previous[number] = handler
        signal.signal(number, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(received):
            handler = previous[number]
            if callable(handler):
                handler(number, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(number)


def write_files(files) -> None:
    """Write several files together: all of them, or none.

    `files` is a sequence of (path, bytes). Each payload goes to a short temporary name in its
    target's folder (``.fastseg-XXXXXXXX.tmp``, so that the longest name the folder allows still
    works); when all are written they are renamed into place. If anything fails, the temporary
    files are removed and files that were already replaced are restored. SIGINT and SIGTERM are
    held back while this runs (in the main thread). Symbolic links are followed; existing files
    without write permission are refused (see :func:`output_target`).
    """
    planned = [(path, output_target(path), payload) for path, payload in files]
    targets = [target for _, target, _ in planned]
    if len(set(targets)) != len(targets):
        raise ValueError(f"two of the files to write are one file: {[str(p) for p, _ in files]}.")
    mask = _umask()
    with _interrupts_held():
        temporaries: list[Path] = []
        backups: dict[Path, Path] = {}
        replaced: list[Path] = []
        try:
            for _, target, payload in planned:
                descriptor, name = tempfile.mkstemp(
                    prefix=".fastseg-", suffix=".tmp", dir=target.parent
                )
                temporaries.append(Path(name))
                try:
                    mode = stat.S_IMODE(target.stat().st_mode)
                except FileNotFoundError:
                    mode = 0o666 & ~mask  # mkstemp makes the file 0600: give it open()'s mode
                os.chmod(name, mode)
                with os.fdopen(descriptor, "wb") as file:
                    file.write(payload)
                    file.flush()
                    os.fsync(file.fileno())
            if len(planned) > 1:  # keep what is replaced until every rename has succeeded
                for target in targets:
                    if target.exists():
                        backup = Path(tempfile.mktemp(prefix=".fastseg-", suffix=".old",
                                                      dir=target.parent))  # fmt: skip
                        try:
                            os.link(target, backup)
                        except OSError:  # no hard links here: replaced without a way back
                            continue
                        backups[target] = backup
            for temporary, target in zip(temporaries, targets, strict=True):
                os.replace(temporary, target)
                replaced.append(target)
        except BaseException:
            for target in replaced:
                if target in backups:
                    os.replace(backups.pop(target), target)
                else:
                    target.unlink(missing_ok=True)
            for temporary in temporaries:
                temporary.unlink(missing_ok=True)
            raise
        finally:
            for backup in backups.values():
                backup.unlink(missing_ok=True)
