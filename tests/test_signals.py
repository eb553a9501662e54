"""Interrupts: a real SIGINT at a random moment of a call leaves the process able to work on.

The child process calls the function in a loop while the parent interrupts it at random moments;
afterwards the child's next call must give the bits of an uninterrupted one.
"""

from __future__ import annotations

import importlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from processes import child_environment, communicate_or_fail

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    import fastseg

    stop_file = sys.argv[1]
    rng = np.random.default_rng(0)
    # 1 MP with about 300k distinct colours: the distinct-colour path and its reused table.
    image = rng.integers(0, 256, size=(1000, 1000, 3), dtype=np.uint8) & 0b11111100
    image[:500] >>= 1

    def run():
        return fastseg.segment(image, 6, seed=0, criteria=(3, 4, 0.0))

    reference = run()
    calls = interrupts = 0
    armed = False

    def on_sigint(signum, frame):
        # Raises inside the calls below only, and once per call: never in the loop's bookkeeping.
        global armed
        if armed:
            armed = False
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    print("ready", flush=True)
    while not os.path.exists(stop_file):
        try:
            armed = True
            run()
            armed = False
            calls += 1
        except KeyboardInterrupt:
            interrupts += 1
    armed = False
    for _ in range(3):
        result = run()
        assert np.array_equal(result.labels, reference.labels)
        assert np.array_equal(result.counts, reference.counts)
        assert result.compactness == reference.compactness
    print("ok", calls, interrupts, flush=True)
    """
)


@pytest.mark.parametrize("trial", range(4))
def test_segment_survives_random_interrupts(tmp_path, trial):
    stop_file = tmp_path / "stop"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(stop_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_environment(),
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        randomness = random.Random(trial)
        for _ in range(60):
            time.sleep(randomness.uniform(0.002, 0.06))
            child.send_signal(signal.SIGINT)
        time.sleep(0.1)
        stop_file.touch()
        out, err = communicate_or_fail(child, 300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err[-2000:]
    words = out.split()
    assert words[0] == "ok", out
    assert int(words[2]) > 0, "no interrupt landed inside a call"  # the test tested something


EVERY_STEP_CHILD = textwrap.dedent(
    """
    import sys
    import numba
    import numpy as np
    import fastseg
    from fastseg import _config

    @numba.njit(nogil=True)
    def fill(out, first, step):
        for part in range(first, out.shape[0], step):
            for j in range(out.shape[1]):
                out[part, j] = part * 1000 + j

    fastseg.set_num_threads(3)  # two helper threads
    expected = np.arange(6)[:, None] * 1000 + np.arange(20000)

    def run():
        out = np.zeros((6, 20000), np.int64)
        _config.run_in_threads(fill, 6, out)
        return out

    assert np.array_equal(run(), expected)

    class Interrupt:
        # Raises KeyboardInterrupt at the at-th bytecode the calling thread runs, as a signal
        # handler can: in run_in_threads and in everything of Python's it calls.
        def __init__(self, at):
            self.at, self.seen = at, 0

        def __call__(self, frame, event, arg):
            frame.f_trace_opcodes = True
            if event == "opcode":
                self.seen += 1
                if self.seen == self.at:
                    raise KeyboardInterrupt
            return self

    landed = at = 0
    while True:
        at += 1
        tracer = Interrupt(at)
        sys.settrace(tracer)
        try:
            run()
        except KeyboardInterrupt:
            landed += 1
        finally:
            sys.settrace(None)
        if tracer.seen < at:  # the call ended first: every step has been tried
            break
        assert np.array_equal(run(), expected), at
    print("ok", landed, flush=True)
    """
)


def test_an_interrupt_at_any_step_of_a_threaded_pass_leaves_the_threads_working():
    """The moments the random test may miss, each hit in turn: a KeyboardInterrupt at every
    bytecode of a pass split among threads, then a pass that must finish with the right result
    (a lock left held by the interrupted thread would make it wait for ever)."""
    child = subprocess.Popen(
        [sys.executable, "-c", EVERY_STEP_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_environment(),
    )
    out, err = communicate_or_fail(child, 300)
    assert child.returncode == 0, err[-3000:]
    words = out.split()
    assert words[0] == "ok", out
    assert int(words[1]) > 100, out  # the interrupts landed: the test tested something


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_interrupt_between_labels_and_clear_drops_table(monkeypatch):
    """The window the random test aims at, hit deterministically: an exception after the colour
    table's memory took labels must not hand the table back dirty."""
    import numpy as np

    import fastseg
    from fastseg._kernels import colors

    segment_module = importlib.import_module("fastseg.segmentation")

    image = (np.arange(64 * 64 * 3, dtype=np.int64).reshape(64, 64, 3) * 7919 % 256).astype(
        np.uint8
    )
    reference = fastseg.segment(image, 4, seed=0)
    original = colors.label_pixels

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(colors, "label_pixels", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fastseg.segment(image, 4, seed=0)
    monkeypatch.setattr(colors, "label_pixels", original)
    spare = getattr(segment_module._spare_tables, "table", None)
    assert spare is None or not spare.any()
    again = fastseg.segment(image, 4, seed=0)
    assert np.array_equal(again.labels, reference.labels)
    assert np.array_equal(again.counts, reference.counts)


LEAKED_COMPILER_LOCK = textwrap.dedent(
    """
    import fastseg
    from numba.core.compiler_lock import global_compiler_lock

    # What an interrupt can leave behind: it lands after Numba's compiler lock is taken and
    # before the block that releases it begins, so the lock stays with this thread.
    global_compiler_lock.acquire()
    image = fastseg.sample_image()
    edges = fastseg.canny(image, 50, 150)
    fastseg.auto_canny(image)
    print("ok", int(edges.any()), flush=True)
    """
)


def test_canny_threads_do_not_wait_for_a_compiler_lock_left_held():
    """Canny shares its kernel with other threads: they must never need to compile it, or a
    compiler lock left held by an interrupted caller hangs the process (as it did under a real
    SIGINT to ``fastseg edges``). A fresh process, so that the kernels are not yet loaded."""
    environment = dict(os.environ, NUMBA_NUM_THREADS="4")  # threads even on a one-core machine
    child = subprocess.Popen(
        [sys.executable, "-c", LEAKED_COMPILER_LOCK],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    try:
        out, err = child.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("Canny waited for ever on the compiler lock that its caller holds")
    assert child.returncode == 0, err[-2000:]
    assert out.split() == ["ok", "1"]
