"""Reading and writing images (through OpenCV), and the bundled sample photos."""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

__all__ = ["imread", "imwrite", "sample_image", "sample_image_path"]


def sample_image_path() -> Path:
    """Path of the bundled sample photo (NASA astronaut portrait, public domain, 512 x 512)."""
    return Path(str(resources.files("fastseg") / "data" / "astronaut.png"))


def sample_image() -> np.ndarray:
    """The bundled sample photo as an RGB uint8 array of shape (512, 512, 3)."""
    return imread(sample_image_path())


def imread(path) -> np.ndarray:
    """Read an image file into an array in RGB (or RGBA) channel order.

    Gray images come back as (H, W); 8- and 16-bit depths are kept.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file cannot be decoded as an image.
    """
    path = _check_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` must name an image file; {str(path)!r} does not exist.")
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise ValueError(f"cannot read {str(path)!r} as an image (unknown format or corrupt).")
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image


def imwrite(path, image: np.ndarray) -> None:
    """Write an RGB(A) or gray image, all at once: a temporary file renamed into place.

    `image` is uint8 or uint16, of shape (H, W), (H, W, 3) or (H, W, 4). A failed write (unknown
    extension, full disk, unwritable folder) leaves no file behind and raises OSError or
    ValueError; an image of another dtype or shape raises TypeError or ValueError.
    """
    path = _check_path(path)
    image = _check_image(image)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    try:
        ok, encoded = cv2.imencode(path.suffix or ".png", image)
    except cv2.error:
        ok = False
    if not ok:
        raise ValueError(f"cannot encode an image as {path.suffix!r}.")
    write_atomically(path, encoded.tobytes())


def _check_path(path) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or os.PathLike; got {type(path).__name__}.")
    return Path(path)


def _check_image(image) -> np.ndarray:
    """An image OpenCV can encode: uint8 or uint16, (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)."""
    from ._validate import as_array

    image = as_array(image, "image")
    if image.dtype.newbyteorder("=") not in (np.uint8, np.uint16):
        raise TypeError(f"`image` must have dtype uint8 or uint16; got {image.dtype}.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"`image` must have shape (H, W), (H, W, 3) or (H, W, 4); got {image.shape}."
        )
    if image.size == 0:
        raise ValueError(f"`image` must have at least one pixel; got shape {image.shape}.")
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


def write_atomically(path, payload: bytes) -> None:
    """Write `payload` to a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        # mkstemp makes the file private (0600): give it the mode a plain open() would.
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
