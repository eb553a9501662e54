"""Peak resident memory of a call, read from the Linux kernel's accounting in /proc.

The extra memory of one call of a case is measured in a fresh Python process, where nothing from
other cases is left on the heap: :func:`peak_extra_bytes` starts it, :func:`_probe_peak_memory`
runs in it.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time

import fastseg

from .timing import Case, prepare

__all__ = ["child_environment", "peak_extra_bytes", "reset_peak_memory", "resident_bytes"]


def resident_bytes(field_name: str) -> int:
    """A memory figure of this process from /proc/self/status: "VmRSS" (now) or "VmHWM" (the
    high-water mark), in bytes (Linux only)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"{field_name} not in /proc/self/status")


def reset_peak_memory() -> int:
    """Restart the kernel's high-water mark of the resident set from the current size
    (/proc/self/clear_refs) and return that size in bytes: ``resident_bytes("VmHWM")`` minus it
    is then the peak growth since this call."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return resident_bytes("VmRSS")


def _probe_peak_memory(case_json: str) -> None:
    """In a fresh process: the extra peak resident memory of one call of a case, as JSON.

    The input is built and the method warmed up on a small input first; then the kernel's
    high-water mark of the resident set is reset to the current size (/proc/self/clear_refs),
    the case runs once, and the growth of the high-water mark is the extra memory of the call.
    """
    case = Case.from_json(case_json)
    call, warm_up, _ = prepare(case)
    warm_up()
    gc.collect()
    before = reset_peak_memory()
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    peak = resident_bytes("VmHWM")
    pixels = case.megapixels * 1e6
    print(json.dumps({"extra_bytes_per_pixel": (peak - before) / pixels, "seconds": seconds}))


def child_environment(**changes: str) -> dict:
    """The environment of a measuring child process: this one's, with the folder that holds
    this fastseg package first on the import path, so that the child times the same code."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fastseg.__file__)))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore", **changes}


def peak_extra_bytes(case: Case, timeout: float = 1800) -> float:
    """Extra peak resident memory of one call of `case`, in bytes per pixel (outputs included),
    measured in a fresh Python process (Linux only)."""
    code = "import sys, fastseg.bench.memory as m; m._probe_peak_memory(sys.argv[1])"
    completed = subprocess.run(
        [sys.executable, "-c", code, case.to_json()], capture_output=True, text=True,
        timeout=timeout, check=True, env=child_environment(),
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])["extra_bytes_per_pixel"]
