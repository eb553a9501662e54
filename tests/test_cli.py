"""The fastseg command, through a subprocess, including its error paths and the files it writes."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

import fastseg

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "fastseg", *map(str, args)], cwd=cwd, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    image = fastseg.sample_image()
    cv2.imwrite(str(folder / "a.png"), cv2.cvtColor(image[:200, :300], cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "b.jpg"), cv2.cvtColor(image[100:300, 50:250], cv2.COLOR_RGB2BGR))
    return folder


def test_segment_sample_image(tmp_path):
    result = run("segment", "-k", 4, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "astronaut.png" in result.stdout and "mse=" in result.stdout
    written = fastseg.imread(tmp_path / "astronaut_k4.png")
    assert written.shape == (512, 512, 3)
    assert len(np.unique(written.reshape(-1, 3), axis=0)) == 4


def test_segment_writes_labels_and_matches_the_api(photo_dir, tmp_path):
    out, labels = tmp_path / "out.png", tmp_path / "labels.npy"
    result = run("segment", photo_dir / "a.png", "-k", 3, "--color-space", "lab", "-o", out,
                 "--labels", labels, "--seed", 5, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = fastseg.segment(fastseg.imread(photo_dir / "a.png"), 3, color_space="lab", seed=5)
    np.testing.assert_array_equal(np.load(labels), expected.labels)
    np.testing.assert_array_equal(fastseg.imread(out), expected.recolor())


def test_compare_panel(photo_dir, tmp_path):
    result = run("segment", photo_dir / "a.png", "--compare", "3,5,7", "-o", tmp_path / "c.png",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    panel = fastseg.imread(tmp_path / "c.png")
    assert panel.shape == (200 + 32, 4 * 300, 3)


def test_folder_with_a_bad_file_is_reported_and_skipped(photo_dir, tmp_path):
    (photo_dir / "c.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    result = run("segment", photo_dir, "-k", 2, "-o", out, cwd=tmp_path)
    (photo_dir / "c.png").unlink()
    assert result.returncode == 2
    assert "c.png" in result.stderr and "skipped" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_k2.png", "b_k2.png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["segment", "missing.png"], "does not exist"),
        (["segment", "-k", "0"], "`k` must be an integer"),
        (["segment", "-k", "300000"], "`k` must be an integer"),
        (["segment", "truncated.png"], "cannot read"),
        (["segment", "empty_folder"], "no image files"),
        (["segment", "-o", "out.xyz"], "cannot write"),
        (["segment", "--labels", "labels.txt"], "--labels must end in"),
        (["elbow", "--ks", "5-3"], "the range '5-3' is empty"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    png = cv2.imencode(".png", np.zeros((50, 50, 3), np.uint8))[1].tobytes()
    (tmp_path / "truncated.png").write_bytes(png[: len(png) // 2])
    (tmp_path / "empty_folder").mkdir()
    before = set(tmp_path.iterdir())
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # argparse adds a usage line
    assert set(tmp_path.iterdir()) == before  # no partial output


def test_unwritable_output_folder_exits_1(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    result = run("segment", "-o", locked / "missing_dir" / "x.png", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.startswith("fastseg: error:")


def test_elbow_table_and_plot(tmp_path):
    result = run("elbow", "--ks", "1-6", "--plot", tmp_path / "e.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines()[1:] if line.strip()]
    assert len(rows) == 6 and sum("knee" in row for row in rows) == 1
    assert fastseg.imread(tmp_path / "e.png").ndim == 3


def test_info(tmp_path):
    result = run("info", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "threads" in result.stdout and "numba" in result.stdout


def test_edges_match_the_api_and_cv2(photo_dir, tmp_path):
    out = tmp_path / "e.png"
    result = run("edges", photo_dir / "a.png", "--low", 50, "--high", 150, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    gray = cv2.imread(str(photo_dir / "a.png"))
    np.testing.assert_array_equal(fastseg.imread(out), cv2.Canny(gray, 50, 150))


def test_edges_overlay_and_bad_aperture(tmp_path):
    result = run("edges", "--overlay", "--auto", "-o", tmp_path / "o.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert fastseg.imread(tmp_path / "o.png").shape == (512, 512, 3)
    result = run("edges", "--aperture", 4, cwd=tmp_path)
    assert result.returncode == 2 and "--aperture" in result.stderr
    result = run("edges", "--low", -5, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_edges_by_scikit_image_rules_on_a_16_bit_image(tmp_path):
    import skimage.feature

    gray16 = cv2.cvtColor(fastseg.sample_image(), cv2.COLOR_RGB2GRAY)[:200, :240]
    gray16 = gray16.astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "scan.png"), gray16)
    out = tmp_path / "e.png"
    result = run("edges", "scan.png", "--sigma", 2, "--low", 3000, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = skimage.feature.canny(gray16, 2.0, 3000, None)
    np.testing.assert_array_equal(fastseg.imread(out), expected.astype(np.uint8) * 255)
    # The thresholds of cv2's flavour are not applied as defaults.
    result = run("edges", "scan.png", "--sigma", 1, "-o", tmp_path / "d.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = skimage.feature.canny(gray16, 1.0)
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "d.png") > 0, expected)


def test_edges_of_a_16_bit_colour_image_by_cv2s_rules(tmp_path):
    """Without --sigma, 16-bit images take cv2.Canny's rules with the default thresholds in
    16-bit units: an 8-bit photo times 257 gives cv2.Canny's edges of the photo."""
    photo = cv2.cvtColor(fastseg.sample_image()[:200, :240], cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(tmp_path / "deep.png"), photo.astype(np.uint16) * 257)
    result = run("edges", "deep.png", "-o", tmp_path / "e.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(fastseg.imread(tmp_path / "e.png"), cv2.Canny(photo, 100, 200))


@pytest.mark.parametrize("extra", (["--auto"], ["--blur", "1"], ["--aperture", "5"], ["--l2"]))
def test_edges_sigma_refuses_the_options_of_cv2s_flavour(tmp_path, extra):
    result = run("edges", "--sigma", 1, *extra, cwd=tmp_path)
    assert result.returncode == 2 and "--sigma" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not list(tmp_path.iterdir())


def test_edges_sigma_refuses_colour_images(tmp_path):
    result = run("edges", "--sigma", 1, cwd=tmp_path)  # the sample photo is in colour
    assert result.returncode == 2 and "grey" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())


def test_outputs_have_the_usual_file_mode(tmp_path):
    import os
    import stat

    result = run("segment", "-k", 2, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    mode = stat.S_IMODE(os.stat(tmp_path / "astronaut_k2.png").st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_full_disk_exits_1_and_leaves_no_file(tmp_path, run_patched_cli):
    """A write that fails for want of space (simulated in the writer) leaves nothing behind."""
    out = tmp_path / "out"
    out.mkdir()
    patch = (
        "import errno, os\n"
        "def full(fd): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "os.fsync = full\n"
    )
    result = run_patched_cli(patch, ["segment", "-k", "3", "-o", str(out / "x.png")], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "fastseg: error: [Errno 28] No space left on device"
    assert list(out.iterdir()) == []


def test_really_full_disk(tmp_path):
    """The same on a 4 KiB tmpfs, mounted in a private mount namespace (needs unshare)."""
    import shutil

    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f'mount -t tmpfs -o size=4k tmpfs {disk} || exit 99; "$0" -m fastseg segment -k 3 '
        f'-o {disk}/x.png; echo "status=$?"; ls -A {disk}'
    )
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not installed")
    result = subprocess.run([unshare, "-rm", "sh", "-c", script, sys.executable],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)  # fmt: skip
    if result.returncode == 99 or "status=" not in result.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    assert "status=1" in result.stdout, result.stdout + result.stderr
    assert result.stdout.split("status=1")[1].split() == []  # no file left on the full disk
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr


def test_batch_output_that_cannot_be_written_is_skipped(photo_dir, tmp_path):
    out = tmp_path / "out"
    (out / "a_k2.png").mkdir(parents=True)  # a folder where the first output would go
    result = run("segment", photo_dir, "-k", 2, "-o", out, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot write output for a.png" in result.stderr and "skipped" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_k2.png", "b_k2.png"]
    assert (out / "a_k2.png").is_dir() and fastseg.imread(out / "b_k2.png").ndim == 3


def test_slic_draws_the_boundaries_of_the_apis_labels(photo_dir, tmp_path):
    out, labels = tmp_path / "out.png", tmp_path / "labels.npy"
    result = run("slic", photo_dir / "a.png", "-n", 80, "--compactness", 5, "-o", out,
                 "--labels", labels, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = fastseg.imread(photo_dir / "a.png")
    expected = fastseg.slic(image, 80, compactness=5)
    np.testing.assert_array_equal(np.load(labels), expected)
    np.testing.assert_array_equal(fastseg.imread(out), fastseg.mark_boundaries(image, expected))
    assert f"segments={expected.max()}" in result.stdout


def test_slic_of_a_folder_with_16_bit_labels(photo_dir, tmp_path):
    result = run("slic", photo_dir, "-n", 50, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_slic50.png", "b_slic50.png"]
    result = run("slic", "--labels", "l.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    saved = cv2.imread(str(tmp_path / "l.png"), cv2.IMREAD_UNCHANGED)
    assert saved.dtype == np.uint16
    np.testing.assert_array_equal(saved, fastseg.slic(fastseg.sample_image()))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("-n", 0), "-n/--segments must be"),
        (("--compactness", -1), "--compactness must be"),
        (("--iterations", -1), "--iterations must be"),
        (("--labels", "x.txt"), "--labels"),
    ],
)
def test_slic_bad_options_exit_2_with_one_line(tmp_path, args, words):
    result = run("slic", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())
