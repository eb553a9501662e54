"""fastseg.imread / imwrite and the all-or-nothing file writer."""

import io
import os
import stat
import struct
import zlib

import cv2
import numpy as np
import pytest

import fastseg
import fastseg.io as fio

PHOTO = fastseg.sample_image()[100:160, 200:280]  # 80 x 60, RGB


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _tiff(array: np.ndarray) -> bytes:
    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, photometric="rgb" if array.ndim == 3 else "minisblack")
    return buffer.getvalue()


def _huge_headers() -> dict:
    """Small files whose headers claim far more than MAX_IMAGE_PIXELS pixels, per format."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 9))
    jpeg = bytearray(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 65535, 65535)
    bmp = bytearray(cv2.imencode(".bmp", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    bmp[18:26] = struct.pack("<ii", 100_000, -100_000)
    tiff = bytearray(_tiff(np.zeros((8, 8), np.uint8)))
    (offset,) = struct.unpack("<I", tiff[4:8])
    for i in range(struct.unpack("<H", tiff[offset : offset + 2])[0]):
        entry = offset + 2 + 12 * i
        (tag,) = struct.unpack("<H", tiff[entry : entry + 2])
        if tag in (256, 257):
            tiff[entry + 2 : entry + 4] = struct.pack("<H", 4)  # LONG
            tiff[entry + 8 : entry + 12] = struct.pack("<I", 100_000)
    gif = b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0" * 20
    pnm = b"P6\n# a comment\n100000 100000\n255\n" + b"\0" * 30
    vp8x = struct.pack("<B3x", 0) + (99_999).to_bytes(3, "little") + (99_999).to_bytes(3, "little")
    webp = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8X" + struct.pack("<I", 10) + vp8x
    return {"png": png, "jpg": bytes(jpeg), "bmp": bytes(bmp), "tif": bytes(tiff), "gif": gif,
            "ppm": pnm, "webp": webp}  # fmt: skip


@pytest.mark.parametrize("suffix", sorted(_huge_headers()))
def test_imread_bounds_the_pixel_count_before_decoding(tmp_path, suffix):
    path = tmp_path / f"huge.{suffix}"
    path.write_bytes(_huge_headers()[suffix])
    with pytest.raises(ValueError, match=r"`path` must name an image of at most MAX_IMAGE_PIXELS"):
        fastseg.imread(path)


def test_header_sizes_agree_with_opencv(tmp_path):
    """The header reader finds the size OpenCV decodes, format by format."""
    image = np.zeros((37, 53, 3), np.uint8)
    for suffix in (".png", ".jpg", ".bmp", ".tif", ".webp", ".ppm", ".pgm"):
        data = cv2.imencode(suffix, image if suffix != ".pgm" else image[:, :, 0])[1].tobytes()
        header = fio._header(data)
        assert header is not None, suffix
        assert (header.width, header.height) == (53, 37), suffix


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int8, np.uint32])
def test_imread_refuses_sample_types_fastseg_cannot_use(tmp_path, dtype):
    path = tmp_path / "x.tif"
    path.write_bytes(_tiff(PHOTO.astype(dtype)))
    with pytest.raises(ValueError, match=rf"`path` must name .* holds {np.dtype(dtype).name}"):
        fastseg.imread(path)


def test_imread_float64_tiff_keeps_values_and_channel_order(tmp_path):
    path = tmp_path / "x.tif"
    path.write_bytes(_tiff(PHOTO.astype(np.float64) / 255))
    image = fastseg.imread(path)
    assert image.dtype == np.float64
    np.testing.assert_array_equal(image, PHOTO / 255)


def test_opencv_errors_become_value_errors(tmp_path, monkeypatch):
    path = tmp_path / "x.png"
    fastseg.imwrite(path, PHOTO)

    def broken(*args):
        raise cv2.error("OpenCV(5.0.0) decoder: (-215:Assertion failed) something")

    monkeypatch.setattr(fio.cv2, "imdecode", broken)
    with pytest.raises(ValueError, match=r"cannot read '.*x\.png' as an image: .*Assertion failed"):
        fastseg.imread(path)


def test_imread_unknown_format(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"hello, not an image")
    with pytest.raises(ValueError, match=r"`path` must name a PNG, JPEG"):
        fastseg.imread(path)


def _exif_orientation_6(kind: str) -> bytes:
    from PIL import Image

    picture = Image.fromarray(PHOTO[:20, :40])
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    picture.save(buffer, kind, exif=exif.tobytes(), **({"quality": 95} if kind == "JPEG" else {}))
    return buffer.getvalue()


@pytest.mark.parametrize(("kind", "suffix"), [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")])
def test_imread_applies_the_exif_orientation_as_cv2_imread(tmp_path, kind, suffix):
    pytest.importorskip("PIL")
    path = tmp_path / f"phone{suffix}"
    path.write_bytes(_exif_orientation_6(kind))
    expected = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert expected.shape == (40, 20, 3)  # cv2.imread turns it
    image = fastseg.imread(path)
    np.testing.assert_array_equal(image, expected)


def test_imread_keeps_alpha_and_gray_and_16_bits(tmp_path):
    rgba = np.dstack([PHOTO, np.full(PHOTO.shape[:2], 7, np.uint8)])
    fastseg.imwrite(tmp_path / "a.png", rgba)
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "a.png"), rgba)
    gray16 = PHOTO[:, :, 0].astype(np.uint16) * 257
    fastseg.imwrite(tmp_path / "g.png", gray16)
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "g.png"), gray16)


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".bmp", ".webp"])
def test_imwrite_refuses_16_bit_where_the_format_holds_8(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    with pytest.raises(ValueError, match=rf"`image` has 16-bit samples, which the '\{suffix}'"):
        fastseg.imwrite(path, PHOTO.astype(np.uint16) * 257)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".png", ".tif", ".ppm"])
def test_imwrite_keeps_16_bit_where_the_format_holds_it(tmp_path, suffix):
    image = PHOTO.astype(np.uint16) * 257 + 3
    fastseg.imwrite(tmp_path / f"x{suffix}", image)
    np.testing.assert_array_equal(fastseg.imread(tmp_path / f"x{suffix}"), image)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_imwrite_float_images_follow_the_unit_range_rule(tmp_path, dtype):
    unit = (PHOTO / 255).astype(dtype)
    fastseg.imwrite(tmp_path / "x.png", unit)
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "x.png"), PHOTO)
    with pytest.raises(ValueError, match=r"`image` is a float image, which must lie in \[0, 1\]"):
        fastseg.imwrite(tmp_path / "y.png", PHOTO.astype(dtype))
    assert not (tmp_path / "y.png").exists()


def test_imwrite_follows_a_symlink(tmp_path):
    (tmp_path / "target.png").write_bytes(b"old")
    (tmp_path / "link.png").symlink_to("target.png")
    fastseg.imwrite(tmp_path / "link.png", PHOTO)
    assert (tmp_path / "link.png").is_symlink()
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "target.png"), PHOTO)


def test_imwrite_refuses_a_read_only_file(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"keep")
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        fastseg.imwrite(path, PHOTO)
    assert path.read_bytes() == b"keep"
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_imwrite_keeps_the_mode_of_a_replaced_file(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"old")
    path.chmod(0o640)
    fastseg.imwrite(path, PHOTO)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_imwrite_longest_names(tmp_path):
    name = "x" * (255 - len(".png")) + ".png"  # the longest name the folder allows
    fastseg.imwrite(tmp_path / name, PHOTO)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_write_files_all_or_nothing_when_a_folder_is_missing(tmp_path):
    (tmp_path / "a.png").write_bytes(b"old a")
    with pytest.raises(FileNotFoundError):
        fio.write_files([(tmp_path / "a.png", b"new a"), (tmp_path / "no" / "b.npy", b"b")])
    assert (tmp_path / "a.png").read_bytes() == b"old a"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_write_files_restores_what_it_replaced_when_a_rename_fails(tmp_path, monkeypatch):
    (tmp_path / "a.png").write_bytes(b"old a")
    renames = []
    real_replace = os.replace

    def failing_second(source, target):
        renames.append(target)
        if len(renames) == 2:
            raise OSError("rename failed")
        return real_replace(source, target)

    monkeypatch.setattr(fio.os, "replace", failing_second)
    with pytest.raises(OSError, match="rename failed"):
        fio.write_files([(tmp_path / "a.png", b"new a"), (tmp_path / "b.png", b"new b")])
    monkeypatch.undo()
    assert (tmp_path / "a.png").read_bytes() == b"old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_write_files_refuses_one_file_twice(tmp_path):
    (tmp_path / "b.png").symlink_to("a.png")
    with pytest.raises(ValueError, match="one file"):
        fio.write_files([(tmp_path / "a.png", b"1"), (tmp_path / "b.png", b"2")])
    assert [p.name for p in tmp_path.iterdir()] == ["b.png"]


def test_imwrite_in_a_thread_writes(tmp_path):
    """Outside the main thread signals cannot be held back; the write still completes."""
    import threading

    thread = threading.Thread(target=fastseg.imwrite, args=(tmp_path / "x.png", PHOTO))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "x.png"), PHOTO)
