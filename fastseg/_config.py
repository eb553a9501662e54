"""Numba settings for every kernel in fastseg, kept in one place.

Importing this module compiles nothing. It decides four things:

* the options passed to ``numba.njit`` (on-disk cache, no GIL, no fastmath: user data may hold
  values that fastmath would treat as impossible, and results must match plain NumPy);
* whether kernels are cached on disk: Numba caches into ``NUMBA_CACHE_DIR`` if set and writable,
  else into ``__pycache__`` beside the source, else into the user's cache folder, and refuses to
  define a cached function (an error at import) when none of them is writable, as in a read-only
  container. Then fastseg compiles without caching instead;
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
import tempfile
import threading

import numba
from numba.core.caching import FunctionCache
from numba.misc.appdirs import AppDirs


def _writable(folder: str) -> bool:
    """Whether Numba can cache into `folder`: it makes the folder, then writes a file there."""
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _find_cache_folder() -> str | None:
    """The first folder, in Numba's order of preference, where kernels can be cached; or None."""
    kernels = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_kernels")
    candidates = [numba.config.CACHE_DIR] if numba.config.CACHE_DIR else []
    candidates += [os.path.join(kernels, "__pycache__")]
    candidates += [AppDirs(appname="numba", appauthor=False).user_cache_dir]
    return next((folder for folder in candidates if _writable(folder)), None)


#: Where compiled kernels are cached, or None when no folder is writable (no caching then).
CACHE_FOLDER = _find_cache_folder()
_OPTIONS = {"cache": CACHE_FOLDER is not None, "nogil": True}


class _TolerantCache(FunctionCache):
    """Numba's on-disk cache of one function, for which an unreadable cache file is a miss.

    Numba raises when a cache file is truncated or corrupt (a full disk, a killed process, a
    copied folder), which would make every later call of the function fail. Here such a file
    is recompiled and overwritten. Unpickling garbage can raise almost any exception.
    """

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception:
            return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception:
            try:  # an unreadable index: start it afresh
                self.flush()
                super().save_overload(sig, data)
            except Exception:  # caching is only a saving: the kernel is compiled in memory
                pass


def _compiled(function, **options):
    dispatcher = numba.njit(**_OPTIONS, **options)(function)
    if _OPTIONS["cache"]:
        dispatcher._cache = _TolerantCache(function)
    return dispatcher


def kernel(function):
    """Compile `function` as a serial kernel: lazily, cached on disk, without the GIL."""
    return _compiled(function)


def parallel_kernel(function):
    """Compile `function`, which has a ``prange`` loop, as a parallel kernel."""
    return _compiled(function, parallel=True)


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
