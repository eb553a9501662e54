"""The command's contract on files, one row per case: a correct result, or exit status 2 (bad
input) or 1 (failure) with one line on stderr and no traceback; never a lost, clobbered or partial
file. Each row names the files that must exist afterwards and whether their bytes are unchanged.
"""

import io
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
from processes import child_environment, communicate_or_fail

import fastseg
from fastseg.cli import build_parser

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

SAME, IMAGE, ABSENT = "same", "image", "absent"


def run(*args, cwd, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "fastseg", *map(str, args)], cwd=cwd, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _tiff(array: np.ndarray) -> bytes:
    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, photometric="rgb")
    return buffer.getvalue()


PHOTO = fastseg.sample_image()[100:160, 200:280]  # 80 x 60, RGB


def _photo_bgr():
    return cv2.cvtColor(PHOTO, cv2.COLOR_RGB2BGR)


def setup_photo(folder: Path):
    (folder / "in.png").write_bytes(_png(_photo_bgr()))


def setup_symlink_to_input(folder: Path):
    setup_photo(folder)
    (folder / "link.png").symlink_to("in.png")


def setup_hard_link_to_input(folder: Path):
    setup_photo(folder)
    os.link(folder / "in.png", folder / "hard.png")


def setup_symlink_to_other(folder: Path):
    setup_photo(folder)
    (folder / "other.png").write_bytes(b"old bytes")
    (folder / "link.png").symlink_to("other.png")


def setup_dangling_symlink(folder: Path):
    setup_photo(folder)
    (folder / "link.png").symlink_to("missing_folder/x.png")


def setup_read_only_output(folder: Path):
    setup_photo(folder)
    (folder / "out.png").write_bytes(b"keep me")
    (folder / "out.png").chmod(0o444)


def setup_same_stem(folder: Path):
    (folder / "batch").mkdir()
    (folder / "batch" / "a.png").write_bytes(_png(_photo_bgr()))
    (folder / "batch" / "a.jpg").write_bytes(cv2.imencode(".jpg", _photo_bgr())[1].tobytes())


def setup_batch(folder: Path):
    (folder / "batch").mkdir()
    (folder / "batch" / "a.png").write_bytes(_png(_photo_bgr()))
    (folder / "batch" / "b.png").write_bytes(_png(_photo_bgr()[::-1]))


def setup_batch_with_an_earlier_output(folder: Path):
    setup_batch(folder)
    (folder / "batch" / "a_k2.png").write_bytes(_png(_photo_bgr()[:, ::-1]))


def setup_gray(folder: Path):
    (folder / "gray.png").write_bytes(_png(_photo_bgr()[:, :, 0]))


def setup_photo16(folder: Path):
    (folder / "in16.png").write_bytes(_png(_photo_bgr().astype(np.uint16) * 257))


def setup_bomb(folder: Path):
    (folder / "bomb.png").write_bytes(_bomb_png(100_000, 100_000))


def setup_tiffs(folder: Path):
    (folder / "int16.tif").write_bytes(_tiff(PHOTO.astype(np.int16)))
    (folder / "int32.tif").write_bytes(_tiff(PHOTO.astype(np.int32)))
    (folder / "unit.tif").write_bytes(_tiff(PHOTO.astype(np.float64) / 255))
    (folder / "float255.tif").write_bytes(_tiff(PHOTO.astype(np.float64)))


def setup_zarr_store(folder: Path):
    (folder / "big.zarr").mkdir()
    (folder / "big.zarr" / "zarr.json").write_text("{}")


@dataclass
class Case:
    name: str
    args: list
    status: int
    stderr: str = ""  # a regular expression the one stderr line must match (when status != 0)
    setup: object = setup_photo
    files: dict = field(default_factory=dict)  # name -> SAME, IMAGE or ABSENT
    stdout: str = ""


LONG = "x" * 242 + ".png"  # 246 characters: the longest names most file systems allow are 255

CASES = [
    Case("segment -o is the input", ["segment", "in.png", "-o", "in.png"], 2,
         "would replace the input", files={"in.png": SAME}),
    Case("edges -o is the input", ["edges", "in.png", "-o", "in.png"], 2,
         "would replace the input", files={"in.png": SAME}),
    Case("-o is a symlink to the input", ["segment", "in.png", "-o", "link.png"], 2,
         "would replace the input", setup_symlink_to_input, {"in.png": SAME}),
    Case("-o is a hard link to the input", ["edges", "in.png", "-o", "hard.png"], 2,
         "would replace the input", setup_hard_link_to_input, {"in.png": SAME, "hard.png": SAME}),
    Case("--labels is the input", ["segment", "in.png", "-o", "o.png", "--labels", "in.png"], 2,
         "would replace the input", files={"in.png": SAME, "o.png": ABSENT}),
    Case("--labels is -o", ["segment", "in.png", "-o", "o.png", "--labels", "o.png"], 2,
         "--labels and -o name the same file", files={"o.png": ABSENT}),
    Case("--plot is the input", ["elbow", "in.png", "--ks", "1-3", "--plot", "in.png"], 2,
         "would replace the input", files={"in.png": SAME}),
    Case("failing --labels leaves no image output",
         ["segment", "in.png", "-o", "o.png", "--labels", "missing/l.npy"], 1, "No such file",
         files={"o.png": ABSENT, "in.png": SAME}),
    Case("-o and --labels written together", ["segment", "in.png", "-o", "o.png", "--labels",
         "l.npy", "-k", "2"], 0, files={"o.png": IMAGE, "l.npy": "npy", "in.png": SAME}),
    Case("symlinked -o is followed", ["edges", "in.png", "-o", "link.png"], 0,
         setup=setup_symlink_to_other, files={"other.png": IMAGE, "in.png": SAME}),
    Case("dangling symlinked -o", ["edges", "in.png", "-o", "link.png"], 1, "No such file",
         setup_dangling_symlink, {"in.png": SAME}),
    Case("read-only -o is not replaced", ["edges", "in.png", "-o", "out.png"], 1, "read-only",
         setup_read_only_output, {"out.png": SAME, "in.png": SAME}),
    Case("246-character output name", ["edges", "in.png", "-o", LONG], 0,
         files={LONG: IMAGE, "in.png": SAME}),
    Case("batch: two inputs of one stem", ["segment", "batch", "-o", "out", "-k", "2"], 2,
         r"a\.(png|jpg) and a\.(png|jpg) would both be written", setup_same_stem,
         {"out": ABSENT, "batch/a.png": SAME, "batch/a.jpg": SAME}),
    Case("batch: output folder is the input folder, collision",
         ["segment", "batch", "-o", "batch", "-k", "2"], 2, "would replace the input",
         setup_batch_with_an_earlier_output,
         {"batch/a.png": SAME, "batch/b.png": SAME, "batch/a_k2.png": SAME,
          "batch/b_k2.png": ABSENT, "batch/a_k2_k2.png": ABSENT}),
    Case("batch: output folder is the input folder, no collision",
         ["segment", "batch", "-o", "batch", "-k", "2"], 0, setup=setup_batch,
         files={"batch/a.png": SAME, "batch/b.png": SAME, "batch/a_k2.png": IMAGE,
                "batch/b_k2.png": IMAGE, "batch/a_k2_k2.png": ABSENT}),
    Case("batch -o names a file", ["segment", "batch", "-o", "in.png"], 2, "must be a folder",
         lambda f: (setup_batch(f), setup_photo(f)), {"in.png": SAME}),
    Case("16-bit image to JPEG", ["segment", "in16.png", "-k", "2", "-o", "o.jpg"], 2,
         r"16-bit.*'\.jpg'", setup_photo16, {"o.jpg": ABSENT, "in16.png": SAME}),
    Case("16-bit image to BMP", ["segment", "in16.png", "-k", "2", "-o", "o.bmp"], 2,
         r"16-bit.*'\.bmp'", setup_photo16, {"o.bmp": ABSENT}),
    Case("16-bit image to PNG", ["segment", "in16.png", "-k", "2", "-o", "o.png"], 0,
         setup=setup_photo16, files={"o.png": "uint16"}),
    Case("--plot writes the format of its suffix",
         ["elbow", "in.png", "--ks", "1-3", "--plot", "p.jpg"], 0, files={"p.jpg": "jpeg"}),
    Case("--plot with an unknown suffix", ["elbow", "in.png", "--ks", "1-3", "--plot", "p.xyz"],
         2, r"cannot write 'p\.xyz'", files={"p.xyz": ABSENT}),
    Case("decompression bomb", ["segment", "bomb.png"], 2, "MAX_IMAGE_PIXELS", setup_bomb),
    Case("int16 TIFF", ["segment", "int16.tif", "-o", "o.png"], 2, "int16", setup_tiffs,
         {"o.png": ABSENT}),
    Case("int32 TIFF", ["edges", "int32.tif", "-o", "o.png"], 2, "int32", setup_tiffs),
    Case("float64 TIFF in [0, 1]", ["segment", "unit.tif", "-k", "2", "-o", "o.png"], 0,
         setup=setup_tiffs, files={"o.png": IMAGE}),
    Case("float64 TIFF in [0, 255]", ["segment", "float255.tif", "-o", "o.png"], 2,
         r"\[0, 1\].*255", setup_tiffs, {"o.png": ABSENT}),
    Case("--blur 1e300", ["edges", "in.png", "--blur", "1e300", "-o", "o.png"], 2,
         "MAX_BLUR_SIGMA", files={"o.png": ABSENT}),
    Case("--blur 1e5", ["edges", "in.png", "--blur", "1e5", "-o", "o.png"], 2, "MAX_BLUR_SIGMA"),
    Case("--compare 1-1000000000", ["segment", "in.png", "--compare", "1-1000000000"], 2,
         "at most 16 values of k"),
    Case("--ks 1-2000000000", ["elbow", "in.png", "--ks", "1-2000000000"], 2,
         "at most 256 values of k"),
    Case("--compare k above the pixel count", ["segment", "in.png", "--compare", "2,9999"], 2,
         "at most the number of pixels"),
    Case("--ks k above the pixel count", ["elbow", "in.png", "--ks", "2,9999"], 2,
         "at most the number of pixels"),
    Case("--ks descending range", ["elbow", "in.png", "--ks", "10-1"], 2, "'10-1' is empty"),
    Case("-k with --compare", ["segment", "in.png", "-k", "4", "--compare", "2,3"], 2,
         "-k and --compare"),
    Case("--attempts 0", ["segment", "in.png", "--attempts", "0"], 2, "--attempts must be"),
    Case("elbow on a gray image", ["elbow", "gray.png", "--ks", "1-3"], 0, setup=setup_gray,
         stdout=r"gray\.png(.|\n)*<- knee"),
    Case("elbow on a folder", ["elbow", "batch"], 2, "is a folder", setup_batch),
    Case("edges --auto --low", ["edges", "in.png", "--auto", "--low", "10"], 2,
         "--auto sets the thresholds", files={"in_edges.png": ABSENT}),
    Case("zarr store without --chunks", ["segment", "big.zarr"], 2, "needs? --chunks|--chunks N",
         setup_zarr_store),
    Case("--overlay has its own default name", ["edges", "in.png", "--overlay", "--auto"], 0,
         files={"in_overlay.png": IMAGE, "in_edges.png": ABSENT}),
    Case("plain edges default name", ["edges", "in.png"], 0,
         files={"in_edges.png": IMAGE, "in_overlay.png": ABSENT}),
    Case("--version", ["--version"], 0, stdout=rf"^fastseg {re.escape(fastseg.__version__)}$"),
]  # fmt: skip


def _snapshot(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _check_file(path: Path, expected: str, before: dict, key: str):
    if expected == ABSENT:
        assert not path.exists(), f"{key} exists"
        return
    assert path.exists(), f"{key} is missing"
    data = path.read_bytes()
    if expected == SAME:
        assert data == before[key], f"{key} was changed"
    elif expected == IMAGE:
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is not None
    elif expected == "uint16":
        assert fastseg.imread(path).dtype == np.uint16
    elif expected == "jpeg":
        assert data.startswith(b"\xff\xd8\xff")
    elif expected == "npy":
        assert np.load(path).shape == PHOTO.shape[:2]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_file_contract(tmp_path, case):
    case.setup(tmp_path)
    before = _snapshot(tmp_path)
    result = run(*case.args, cwd=tmp_path)
    assert result.returncode == case.status, result.stderr
    assert "Traceback" not in result.stderr
    if case.status:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("fastseg: error: ")
        assert re.search(case.stderr, lines[0]), lines[0]
    if case.stdout:
        assert re.search(case.stdout, result.stdout.strip()), result.stdout
    for name, expected in case.files.items():
        _check_file(tmp_path / name, expected, before, name)
    if case.status:  # a refused or failed run leaves every file as it was, and adds none
        assert _snapshot(tmp_path) == before
    assert not [p for p in tmp_path.rglob(".fastseg-*")], "temporary file left behind"


def test_zarr_output_equal_to_the_input_store_is_refused(tmp_path):
    pytest.importorskip("dask")
    zarr = pytest.importorskip("zarr")
    store = zarr.open_array(str(tmp_path / "in.zarr"), mode="w", shape=PHOTO.shape,
                            dtype=np.uint8, chunks=(32, 32, 3))  # fmt: skip
    store[:] = PHOTO
    before = _snapshot(tmp_path)
    for command in ("segment", "edges"):
        for out in ("in.zarr", "./in.zarr/", "in.zarr/labels.zarr"):
            result = run(command, "in.zarr", "--chunks", 32, "-o", out, cwd=tmp_path)
            assert result.returncode == 2, result.stderr
            assert "input" in result.stderr and "Traceback" not in result.stderr
            assert _snapshot(tmp_path) == before


def test_unreadable_input_is_reported_as_reading(tmp_path, run_patched_cli):
    """A read that the system refuses (simulated: as root, permissions do not stop a read)."""
    setup_photo(tmp_path)
    target = str(tmp_path / "in.png")
    patch = (
        "import errno, pathlib\n"
        "read = pathlib.Path.read_bytes\n"
        "def refuse(self):\n"
        f"    if str(self) == {target!r}:\n"
        "        raise PermissionError(errno.EACCES, 'Permission denied')\n"
        "    return read(self)\n"
        "pathlib.Path.read_bytes = refuse\n"
    )
    result = run_patched_cli(patch, ["segment", target, "-o", "o.png"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"fastseg: error: cannot read {target!r}: Permission denied"
    assert not (tmp_path / "o.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signal_name", "status", "message"),
    [("SIGINT", 130, "fastseg: interrupted"), ("SIGTERM", 143, "fastseg: terminated")],
)
def test_interrupt_that_lands_in_a_finaliser_still_stops_the_command(
    tmp_path, run_patched_cli, signal_name, status, message
):
    """Python cannot raise an exception from a finaliser (nor from a C callback, such as
    LLVM's while kernels load): it prints it and goes on. The command must stop all the same,
    with its one line, and write nothing."""
    setup_photo(tmp_path)
    patch = (
        "import signal, time, fastseg\n"
        # Python's own SIGINT handler, as in a terminal: a job started in the background of a
        # non-interactive shell inherits SIGINT ignored, and would rightly not stop at all.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "class Finalised:\n"
        "    def __del__(self):\n"
        f"        signal.raise_signal(signal.{signal_name})\n"
        "canny = fastseg.canny\n"
        "def canny_interrupted_in_a_finaliser(*args, **kwargs):\n"
        "    Finalised()\n"
        "    time.sleep(5)  # where the interrupt, sent again, lands\n"
        "    return canny(*args, **kwargs)\n"
        "fastseg.canny = canny_interrupted_in_a_finaliser\n"
    )
    result = run_patched_cli(patch, ["edges", "in.png", "-o", "out.png"], tmp_path)
    assert result.stderr.strip() == message
    assert result.returncode in (status, -getattr(signal, signal_name))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.skipif(os.geteuid() == 0, reason="the superuser reads files without permission")
def test_unreadable_input_without_permission(tmp_path):
    setup_photo(tmp_path)
    (tmp_path / "in.png").chmod(0)
    result = run("segment", "in.png", "-o", "o.png", cwd=tmp_path)
    assert result.returncode == 2 and "cannot read 'in.png'" in result.stderr


def test_every_option_has_help():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in commands.choices.items():
        for action in subparser._actions:
            assert action.help, f"fastseg {name} {action.option_strings or action.dest}: no help"


def test_info_is_quick_and_names_the_opencv_distribution(tmp_path):
    """`fastseg info` compiles nothing (an empty kernel cache stays empty)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    result = subprocess.run([sys.executable, "-m", "fastseg", "info"], capture_output=True,
                            text=True, env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"^cv2 from opencv(-contrib)?-python", result.stdout, re.M), result.stdout
    assert list(cache.rglob("*.nbi")) == []  # no kernel was compiled


def test_info_warns_about_two_opencv_distributions(tmp_path):
    code = (
        "import importlib.metadata as m, sys\n"
        "real = m.version\n"
        "m.version = lambda name: '4.10.0' if name == 'opencv-python' else real(name)\n"
        "from fastseg.cli import main\n"
        "sys.exit(main(['info']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0
    assert "opencv-python 4.10.0" in result.stdout
    assert "pip uninstall -y opencv-python opencv-python-headless" in result.stderr
    assert "&& pip install opencv-python\n" in result.stderr  # keeps the one with a GUI


@pytest.mark.slow
def test_compile_time_is_reported_apart(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    setup_photo(tmp_path)
    first = subprocess.run([sys.executable, "-m", "fastseg", "edges", "in.png"], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert re.search(r"time=\d+\.\d+s \(first call compiled kernels in \d+\.\d s, cached for "
                     r"later runs\)", first.stdout), first.stdout  # fmt: skip
    second = subprocess.run([sys.executable, "-m", "fastseg", "edges", "in.png"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert re.search(r"time=\d+\.\d+s -> ", second.stdout), second.stdout
    assert "compiled" not in second.stdout


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_writes_leave_no_partial_file(tmp_path, signal_number):
    """A real signal at a random moment: the output is complete or absent, and no temporary file
    is left. The image (4000 x 3000 noise) is large enough that encoding and writing take a while.
    """
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    (tmp_path / "in.png").write_bytes(
        cv2.imencode(".png", noise, [cv2.IMWRITE_PNG_COMPRESSION, 0])[1].tobytes()
    )
    start = time.perf_counter()
    expected = run("edges", "in.png", "--overlay", "-o", "full.png", cwd=tmp_path)
    total = time.perf_counter() - start
    assert expected.returncode == 0, expected.stderr
    # Signals from the moment the command runs (Python's own start-up and imports are not ours).
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import fastseg.cli"], check=True, timeout=300)
    started = 1.5 * (time.perf_counter() - start) + 0.1  # with room for a busy machine
    complete = (tmp_path / "full.png").read_bytes()
    chooser = random.Random(20261130)
    for _ in range(8):
        process = subprocess.Popen(
            [sys.executable, "-m", "fastseg", "edges", "in.png", "--overlay", "-o", "out.png"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=child_environment(),
        )  # fmt: skip
        moment = chooser.uniform(started, total + 0.2)
        time.sleep(moment)
        process.send_signal(signal_number)
        _, stderr = communicate_or_fail(process, 300, f"hung after the signal at {moment:.3f} s")
        assert "Traceback" not in stderr, stderr
        out = tmp_path / "out.png"
        if out.exists():
            assert out.read_bytes() == complete
            out.unlink()
        else:
            assert process.returncode in (130, 128 + signal.SIGTERM, -signal_number), stderr
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
