"""Child processes of the tests that may hang: wait for them, or show where they hang."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

#: The environment of a child whose threads' stacks are printed when it is sent SIGABRT.
FAULT_HANDLER = {"PYTHONFAULTHANDLER": "1"}


def child_environment() -> dict:
    return dict(os.environ, **FAULT_HANDLER)


def communicate_or_fail(process: subprocess.Popen, timeout: float, what: str = "hung"):
    """``process.communicate()`` within `timeout` seconds; a child that takes longer is sent
    SIGABRT, so that its fault handler prints where each thread is, and the test fails with
    that."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        _, stderr = process.communicate()
        pytest.fail(f"{what}:\n{stderr[-6000:]}")
