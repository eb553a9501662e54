"""Numba settings for every kernel in fastseg, kept in one place.

Importing this module compiles nothing. It decides three things:

* the options passed to ``numba.njit`` (on-disk cache, no GIL, no fastmath: user data may hold
  values that fastmath would treat as impossible, and results must match plain NumPy);
* the threading layer: a thread-safe one (TBB, then OpenMP) unless the user chose one through
  ``NUMBA_THREADING_LAYER``; Numba's fallback "workqueue" layer aborts the process when two Python
  threads enter parallel code at once, so with it every parallel call is serialised by a lock;
* the number of threads, which callers may change with :func:`numba.set_num_threads`. Results do not
  depend on it: kernels work on fixed-size chunks that are reduced in a fixed order.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading

import numba

#: Options of every serial kernel.
KERNEL = {"cache": True, "nogil": True}
#: Options of every kernel with a ``prange`` loop.
PARALLEL_KERNEL = {"cache": True, "nogil": True, "parallel": True}

#: Samples per chunk of a parallel pass. Fixed (never derived from the thread count) so that
#: partial sums, and therefore results, are the same for any number of threads.
CHUNK_SIZE = 16384

_THREADSAFE_MODULES = ("numba.np.ufunc.tbbpool", "numba.np.ufunc.omppool")


def _loadable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:  # an ImportError, or a library whose version Numba refuses
        return False
    return True


def _choose_threading_layer() -> str:
    if os.environ.get("NUMBA_THREADING_LAYER"):
        return numba.config.THREADING_LAYER
    # "threadsafe" makes Numba take TBB if its version is accepted, else OpenMP.
    layer = "threadsafe" if any(_loadable(m) for m in _THREADSAFE_MODULES) else "workqueue"
    numba.config.THREADING_LAYER = layer
    return layer


THREADING_LAYER = _choose_threading_layer()
_parallel_lock = threading.Lock() if THREADING_LAYER == "workqueue" else None


def parallel_section():
    """Context for a call into a parallel kernel: a lock when the threading layer needs one."""
    return _parallel_lock if _parallel_lock is not None else contextlib.nullcontext()
