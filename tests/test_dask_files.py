"""fastseg.dask outputs: a zarr store is written whole or not at all, replaces only a store fastseg
wrote, never its own input, and an interrupted write (SIGINT, SIGTERM) leaves nothing behind.
Also the bounds on chunk sizes that a user's number or a file's header sets."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import dask.array as da
import numpy as np
import pytest
import tifffile
import zarr

import fastseg.dask as fdask


def write_store(path, value=7, shape=(40, 30)):
    """A store fastseg wrote, filled with `value`."""
    fdask.to_zarr(da.full(shape, value, dtype=np.uint8, chunks=max(16, shape[0] // 4)), path)


def store_values(path):
    return np.asarray(zarr.open_array(str(path), mode="r")[...])


def listing(folder):
    return sorted(os.listdir(folder))


NEW = da.full((40, 30), 3, dtype=np.uint8, chunks=16)


# --- what an existing output may be ---------------------------------------------------------------


def make_folder(tmp_path):
    out = tmp_path / "out.zarr"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    return out


def make_file(tmp_path):
    out = tmp_path / "out.zarr"
    out.write_text("keep me")
    return out


def make_foreign_store(tmp_path):
    # A zarr store written by another program: no fastseg attribute.
    out = tmp_path / "out.zarr"
    zarr.create_array(store=str(out), shape=(4, 4), dtype="u1")[...] = 5
    return out


def make_store_with_extra_file(tmp_path):
    out = tmp_path / "out.zarr"
    write_store(out)
    (out / "notes.txt").write_text("keep me")
    return out


def make_read_only_store(tmp_path):
    out = tmp_path / "out.zarr"
    write_store(out)
    os.chmod(out, stat.S_IRUSR | stat.S_IXUSR)
    return out


def make_link_to_folder(tmp_path):
    make_folder(tmp_path)
    link = tmp_path / "link.zarr"
    link.symlink_to(tmp_path / "out.zarr")
    return link


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (make_folder, "not a store fastseg wrote"),
        (make_file, "not a store fastseg wrote"),
        (make_foreign_store, "not a store fastseg wrote"),
        (make_store_with_extra_file, "not a store fastseg wrote"),
        (make_read_only_store, "read-only"),
        (make_link_to_folder, "not a store fastseg wrote"),
    ],
)
def test_an_output_fastseg_did_not_write_is_refused_and_kept(tmp_path, make, match):
    out = make(tmp_path)
    before = {p: (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
              for p in tmp_path.rglob("*")}  # fmt: skip
    with pytest.raises(ValueError, match=f"`path`.*{match}"):
        fdask.to_zarr(NEW, out)
    with pytest.raises(ValueError, match=match):
        fdask.check_output_store(out)
    after = {p: (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
             for p in tmp_path.rglob("*")}  # fmt: skip
    assert after == before
    os.chmod(tmp_path / "out.zarr", 0o755)  # let pytest remove it


def test_a_store_fastseg_wrote_is_replaced(tmp_path):
    out = tmp_path / "out.zarr"
    write_store(out)
    fdask.to_zarr(NEW, out)
    assert (store_values(out) == 3).all()
    assert listing(tmp_path) == ["out.zarr"]
    with pytest.raises(ValueError, match="overwrite=False"):
        fdask.to_zarr(NEW, out, overwrite=False)


def test_a_linked_store_is_followed_and_the_link_kept(tmp_path):
    real = tmp_path / "real.zarr"
    write_store(real)
    link = tmp_path / "link.zarr"
    link.symlink_to(real)
    assert fdask.check_output_store(link) == real.resolve()
    fdask.to_zarr(NEW, link)
    assert link.is_symlink() and (store_values(real) == 3).all()
    assert listing(tmp_path) == ["link.zarr", "real.zarr"]


def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(ValueError, match="`path` must be in a writable folder"):
            fdask.to_zarr(NEW, folder / "out.zarr")
        assert listing(folder) == []
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [
        (3, TypeError, "`path` must be a path"),
        ("", ValueError, "`path` must be a path"),
        ("{tmp}/missing/out.zarr", ValueError, "`path` must be in an existing folder"),
        ("{tmp}/" + "x" * 251 + ".zarr", ValueError, "at most 255 bytes"),
    ],
)
def test_bad_output_paths(tmp_path, path, error, match):
    if isinstance(path, str):
        path = path.format(tmp=tmp_path)
    with pytest.raises(error, match=match):
        fdask.to_zarr(NEW, path)
    assert listing(tmp_path) == []


def test_a_long_name_works(tmp_path):
    # The temporary name is short, so any final name the file system takes works.
    out = tmp_path / ("x" * 241 + ".zarr")
    assert len(out.name) == 246
    write_store(out)
    fdask.to_zarr(NEW, out)
    assert (store_values(out) == 3).all()
    assert listing(tmp_path) == [out.name]


# --- the output is never the input ----------------------------------------------------------------


def test_labels_never_replace_the_input_store(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (30, 20, 3), dtype=np.uint8)
    store = tmp_path / "in.zarr"
    fdask.to_zarr(da.from_array(image, chunks=(16, 16, 3)), store)
    link = tmp_path / "link.zarr"
    link.symlink_to(store)
    for out in (store, link, tmp_path / "." / "in.zarr"):
        with pytest.raises(ValueError, match="`out` must not be the input"):
            fdask.segment_to_zarr(store, 3, None, out, seed=0)
        with pytest.raises(ValueError, match="`out` must not be the input"):
            fdask.canny_to_zarr(store, 10, 20, None, out)
        # Through the API: the graph knows which store it reads.
        labels = fdask.segment(fdask.open_image(store, 10), 3, seed=0).labels
        with pytest.raises(ValueError, match="`path` must not be the input"):
            fdask.to_zarr(labels, out)
    with pytest.raises(ValueError, match="`path` must not be the input"):
        fdask.check_output_store(store / "c", [store])  # inside the input
    assert np.array_equal(fdask.open_image(store).compute(), image)
    assert listing(tmp_path) == ["in.zarr", "link.zarr"]


def test_a_tiff_input_is_never_the_output(tmp_path):
    tiff = tmp_path / "in.tif"
    image = np.zeros((20, 20), dtype=np.uint8)
    tifffile.imwrite(tiff, image)
    with pytest.raises(ValueError, match="`out` must not be the input"):
        fdask.segment_to_zarr(tiff, 2, None, tiff)
    assert tifffile.imread(tiff).shape == (20, 20)


def test_the_check_comes_before_any_work(tmp_path, monkeypatch):
    store = tmp_path / "in.zarr"
    write_store(store)
    make_folder(tmp_path)

    def fail(*args, **kwargs):
        raise AssertionError("segmented before the output was checked")

    # Patched where segment_to_zarr and canny_to_zarr look them up: fastseg.dask is a package
    # since 036648c, and patching its re-exported names no longer reached them.
    monkeypatch.setattr("fastseg.dask.io.segment", fail)
    monkeypatch.setattr("fastseg.dask.io.canny", fail)
    with pytest.raises(ValueError, match="`out` must name a new zarr store"):
        fdask.segment_to_zarr(store, 2, None, tmp_path / "out.zarr")
    with pytest.raises(ValueError, match="`out` must name a new zarr store"):
        fdask.canny_to_zarr(store, 1, 2, None, tmp_path / "out.zarr")


# --- failures and interrupts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [
        da.from_array(np.arange(130, dtype=np.uint16).reshape(10, 13), chunks=((3, 5, 2), (4, 9))),
        da.from_array(np.arange(60.0).reshape(3, 4, 5), chunks=(1, 3, 2)),
        da.ones((1, 1), dtype=bool),
        da.zeros((0, 5), dtype=np.uint8),
    ],
    ids=["irregular chunks", "3-D float", "one pixel", "empty"],
)
def test_round_trips(tmp_path, array):
    out = tmp_path / "out.zarr"
    fdask.to_zarr(array, out)
    stored = store_values(out)
    assert stored.dtype == array.dtype and np.array_equal(stored, array.compute())
    assert listing(tmp_path) == ["out.zarr"]


def test_a_failed_write_keeps_the_previous_store(tmp_path):
    out = tmp_path / "out.zarr"
    write_store(out)

    def explode(block, block_info=None):
        if block_info[0]["chunk-location"] == (1, 1):
            raise RuntimeError("chunk failed")
        return block

    failing = NEW.map_blocks(explode, dtype=np.uint8)
    with pytest.raises(RuntimeError, match="chunk failed"):
        fdask.to_zarr(failing, out)
    assert (store_values(out) == 7).all()
    assert listing(tmp_path) == ["out.zarr"]


CHILD = textwrap.dedent(
    """
    import sys, time
    import dask.array as da
    import numpy as np
    import zarr
    import fastseg.dask as fdask

    def slow(block):
        time.sleep(0.02)
        return block + 1

    # 64 chunks of 20 ms on 2 threads: at least 0.6 s of writing.
    array = da.zeros((800, 800), dtype=np.uint8, chunks=100).map_blocks(slow, dtype=np.uint8)
    fdask.to_zarr(array, sys.argv[1])
    print("done", flush=True)
    """
)


def wait_for_temporary_store(folder, child):
    """Wait until the child has started writing (its hidden temporary store exists)."""
    while child.poll() is None:
        if any(name.endswith(".tmp") for name in os.listdir(folder)):
            return
        time.sleep(0.005)


@pytest.mark.slow
def test_an_interrupted_write_leaves_nothing_behind(tmp_path):
    """SIGINT and SIGTERM at random moments of the write, into a new store or over an old one:
    afterwards there is the complete new store, or the old one (or none), and nothing else."""
    rng = np.random.default_rng(20261130)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    interrupted = 0
    for trial in range(12):
        signum = (signal.SIGINT, signal.SIGTERM)[trial % 2]
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        out = folder / "out.zarr"
        replacing = trial % 4 >= 2
        if replacing:
            write_store(out, value=7, shape=(800, 800))
        child = subprocess.Popen(
            [sys.executable, str(script), str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_temporary_store(folder, child)
        time.sleep(rng.uniform(0.0, 0.6))
        child.send_signal(signum)
        output, errors = child.communicate(timeout=300)
        seen = f"trial {trial}, signal {signum}: {listing(folder)}, {child.returncode}, {errors}"
        if "done" in output:
            assert listing(folder) == ["out.zarr"] and (store_values(out) == 1).all(), seen
            continue
        interrupted += 1
        assert child.returncode in (-signum, 128 + signum), seen
        # The old store or none; the new one only if the signal came as it was put in place.
        if listing(folder) != ["out.zarr"]:
            assert listing(folder) == [] and not replacing, seen
        else:
            allowed = ([7], [1]) if replacing else ([1],)
            assert np.unique(store_values(out)).tolist() in allowed
    assert interrupted > 0
