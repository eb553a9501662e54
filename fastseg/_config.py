"""Numba settings for every kernel in fastseg, kept in one place.

Importing this module compiles nothing and touches no file. It decides four things:

* the options passed to ``numba.njit`` (no GIL, no fastmath: user data may hold values that
  fastmath would treat as impossible, and results must match plain NumPy);
* where compiled kernels are cached: in ``NUMBA_CACHE_DIR`` when it is set, else in the user's
  cache folder (``$XDG_CACHE_HOME/fastseg/<version>``, by default ``~/.cache/fastseg/<version>``,
  on Linux; the platform's cache folder elsewhere), never inside the installed package or beside
  the source.
  The folder is chosen at the first compilation; when it cannot be written (a read-only container),
  kernels compile in every process and one :class:`CacheWarning` says so;
* how a pass is split among threads: every kernel is serial and releases the GIL, and
  :func:`run_in_threads` runs one call per Python thread over its share of the parts (fixed-size
  chunks, bands or rows).
  Numba's parallel runtime (``prange``, its threading layers) is never started: serial kernels
  compile several times faster, load without starting it, and any number of Python threads may
  call them at once;
* the number of threads: :func:`get_num_threads`, ``NUMBA_NUM_THREADS`` (by default the CPUs
  this process may run on) unless :func:`set_num_threads` says otherwise. Results do not depend
  on it: each part's outputs are its own, and partial results are reduced in a fixed order (or
  are integers, whose sums are exact in any order).
"""

from __future__ import annotations

import _thread
import contextlib
import functools
import os
import queue
import sys
import tempfile
import threading
import time
import warnings

import numba
from numba.core import event
from numba.core.caching import (
    CompileResultCacheImpl,
    FunctionCache,
    NullCache,
    _Cache,
    _CacheLocator,
    _SourceFileBackedLocatorMixin,
)
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import cpu_target
from numba.core.runtime import rtsys
from numba.misc.appdirs import user_cache_dir


class CacheWarning(RuntimeWarning):
    """No folder can hold compiled kernels: they are compiled again in every process."""


def _writable(folder: str) -> bool:
    """Whether Numba can cache into `folder`: it makes the folder, then writes a file there."""
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def user_cache_folder() -> str:
    """The per-user folder for this version's compiled kernels (it may not exist yet)."""
    from . import __version__  # the package has finished importing when this is called

    if sys.platform.startswith(("win", "darwin")):
        return user_cache_dir("fastseg", appauthor=False, version=__version__)
    # XDG: a relative or empty XDG_CACHE_HOME is to be ignored.
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fastseg", __version__)


_folder_lock = threading.Lock()
_folder_found = False
_folder: str | None = None


def cache_folder() -> str | None:
    """Where compiled kernels are cached, or None when no folder is writable (no caching then).

    ``NUMBA_CACHE_DIR`` when it is set, else :func:`user_cache_folder`. Decided once per process,
    at the first call, which creates the folder.
    """
    global _folder, _folder_found
    with _folder_lock:
        if not _folder_found:
            candidates = [numba.config.CACHE_DIR] if numba.config.CACHE_DIR else []
            candidates.append(user_cache_folder())
            _folder = next((f for f in candidates if _writable(f)), None)
            _folder_found = True
        return _folder


def __getattr__(name: str):
    if name == "CACHE_FOLDER":  # computed on first use: importing fastseg touches no file
        return cache_folder()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _FolderLocator(_SourceFileBackedLocatorMixin, _CacheLocator):
    """Numba's cache locator for fastseg: always :func:`cache_folder`, never the source tree.

    Inside the folder, each source folder gets its own subfolder named by a hash of its path
    (Numba's scheme), so installs of the same version in different environments do not share
    files; each index also records a hash of the source file, so an edited or reinstalled file
    makes its old entries stale instead of wrong.
    """

    def __init__(self, py_func, py_file, folder):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(folder, self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        folder = cache_folder()
        if folder is None or not os.path.exists(py_file):
            return None
        locator = cls(py_func, py_file, folder)
        try:
            locator.ensure_cache_path()
        except OSError:
            return None
        return locator


class _FolderCacheImpl(CompileResultCacheImpl):
    _locator_classes = (_FolderLocator,)


class _TolerantCache(FunctionCache):
    """Numba's on-disk cache of one function, for which an unreadable cache file is a miss.

    Numba raises when a cache file is truncated or corrupt (a full disk, a killed process, a
    copied folder), which would make every later call of the function fail. Here such a file
    is recompiled and overwritten. Unpickling garbage can raise almost any exception.
    """

    _impl_class = _FolderCacheImpl

    def _index_key(self, sig, codegen):
        # Numba's key leaves out the settings that change the machine code of the same source:
        # a kernel compiled with bounds checks must not be loaded without them, or the reverse.
        settings = (bool(numba.config.BOUNDSCHECK), int(numba.config.OPT))
        return (*super()._index_key(sig, codegen), settings)

    def load_overload(self, sig, target_context):
        # Numba's load_overload first refreshes the target context: it imports and installs
        # every typing and lowering registry (with SciPy present, numba.np.arraymath imports
        # scipy.linalg), about half a second in a fresh process, that only compiling needs.
        # Loading machine code needs the code generator and Numba's runtime (whose functions the
        # kernels call) alone; a compilation refreshes the context itself.
        try:
            rtsys.initialize(target_context)
            return self._load_overload(sig, target_context)
        except Exception:  # any unreadable file: a miss
            return None

    def save_overload(self, sig, data):
        # Numba reads the index, picks the first free data file name and writes both back: two
        # processes saving different signatures of one kernel at once would pick the same name,
        # and one index would then point at the other's machine code. One at a time, then.
        with _exclusive(self._cache_file._index_path + ".lock"):
            try:
                super().save_overload(sig, data)
            except Exception:
                try:  # an unreadable index: start it afresh
                    self.flush()
                    super().save_overload(sig, data)
                except Exception:  # caching is only a saving: the kernel is compiled in memory
                    pass


#: Descriptors of the lock files this process holds (see :func:`_exclusive`).
_held_locks: set[int] = set()


def _close_inherited_locks() -> None:
    # A process forked while a lock is held shares the lock through its copy of the
    # descriptor; closing the copy leaves the lock to the parent.
    for descriptor in list(_held_locks):
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _held_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


@contextlib.contextmanager
def _exclusive(path: str):
    """Hold an exclusive lock on the file `path` (created if missing) among processes and
    threads. Where no lock can be had (no fcntl, a folder that cannot take the file, a file
    system without locks), go on unlocked: the cache is only a saving."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    descriptor = None
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):  # another user's file: read-only
        try:
            descriptor = os.open(path, flags, 0o644)
            break
        except OSError:
            continue
    if descriptor is not None:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            _held_locks.add(descriptor)
        except OSError:
            os.close(descriptor)
            descriptor = None
    try:
        yield
    finally:
        if descriptor is not None:
            _held_locks.discard(descriptor)
            os.close(descriptor)  # releases the lock


_warned = False


def _warn_no_cache() -> None:
    global _warned
    with _folder_lock:
        if _warned:
            return
        _warned = True
    folder = numba.config.CACHE_DIR or user_cache_folder()
    warnings.warn(
        f"fastseg cannot write its cache of compiled kernels ({folder} is not writable): "
        "kernels are compiled again in every process. Set NUMBA_CACHE_DIR to a writable folder.",
        CacheWarning,
        stacklevel=2,
    )


class _LazyCache(_Cache):
    """The disk cache of one kernel, set up at the kernel's first compilation, not at import."""

    def __init__(self, py_func):
        self._py_func = py_func
        self._cache = None
        self._lock = threading.Lock()

    def _resolved(self) -> _Cache:
        with self._lock:
            if self._cache is None:
                try:
                    self._cache = _TolerantCache(self._py_func)
                except RuntimeError:  # no locator: no writable folder
                    self._cache = NullCache()
                    _warn_no_cache()
            return self._cache

    @property
    def cache_path(self):
        return self._resolved().cache_path

    def load_overload(self, sig, target_context):
        return self._resolved().load_overload(sig, target_context)

    def save_overload(self, sig, data):
        self._resolved().save_overload(sig, data)

    def enable(self):
        self._resolved().enable()

    def disable(self):
        self._resolved().disable()

    def flush(self):
        self._resolved().flush()


# No C-callable wrapper: kernels are called from Python or from other kernels, never through a
# C function pointer, and generating that wrapper is part of every compilation.
_OPTIONS = {"nogil": True, "no_cfunc_wrapper": True}


def kernel(function=None, *, division_checks: bool = True, opt: int | None = None):
    """Compile `function` as a serial kernel: lazily, cached on disk, without the GIL.

    ``@kernel(division_checks=False)`` compiles divisions without Python's test for a zero
    divisor (a float division by zero then gives inf or NaN, as in NumPy): the test is a branch
    that keeps a loop from running in SIMD lanes. For kernels whose divisors are never zero, or
    that rely on a zero divisor giving inf or NaN.

    ``@kernel(opt=1)`` runs LLVM's optimisation passes at level 1 instead of ``NUMBA_OPT``
    (by default 3) for this kernel, and for the Numba library functions first compiled for it
    (code linked into another function is optimised again at that function's level): they take
    about a third less time, which is most of the first call of an entry point, and are given to
    kernels measured to run as fast at that level (``benchmarks/cold_start.py``). A lower
    ``NUMBA_OPT`` still applies.
    """
    if function is None:
        return lambda f: kernel(f, division_checks=division_checks, opt=opt)
    options = dict(_OPTIONS, error_model="python" if division_checks else "numpy")
    # Not njit(cache=True): Numba's own cache would pick a folder beside the source at import.
    dispatcher = numba.njit(**options)(function)
    dispatcher._cache = _LazyCache(function)
    if opt is not None:
        dispatcher.compile = _compiling_at(opt, dispatcher.compile)
    return dispatcher


def variants(factory):
    """Memoise `factory`, which makes a kernel whose choices (its arguments: booleans) are
    constants of the compiled code, so that the compiler leaves out the steps of the other
    choices (Numba drops a branch on a constant of the enclosing function): a first call then
    compiles only what it runs. Each variant is made at its first use, once per process, and
    is cached on disk in files of its own: its name ends in its choices (``_TFT``), so that
    processes compiling different variants at once never write one index. ``.made`` maps the
    choices to the variants made so far.
    """
    made = {}

    @functools.wraps(factory)
    def variant(*choices):
        made_kernel = made.get(choices)
        if made_kernel is None:
            made_kernel = factory(*choices)
            # Before its first compilation, when its disk cache takes the name.
            suffix = "".join("T" if choice else "F" for choice in choices)
            made_kernel.py_func.__qualname__ += f"_{suffix}"
            # Two threads may make it at once (making compiles nothing): one is kept. No lock,
            # which an interrupt or a fork could leave held.
            made_kernel = made.setdefault(choices, made_kernel)
        return made_kernel

    variant.made = made
    return variant


def _compiling_at(opt: int, compile_):
    """`compile_` (a dispatcher's compile method) with LLVM's passes at level ``min(opt,
    NUMBA_OPT)`` for what it compiles.

    Numba reads the level from its configuration each time it builds a pass pipeline, and every
    compilation holds Numba's compiler lock: setting the level while holding the lock, and
    restoring it before letting go, leaves the level of compilations of other code alone. The
    code generator, which also reads it once when it is created, is created first; Numba's
    reading of changed ``NUMBA_*`` variables, which every compilation starts with, is done
    first too, so that it neither undoes the lower level nor is undone by the restoring.
    """

    def compile(sig):
        target_context = cpu_target.target_context
        with global_compiler_lock:
            target_context.codegen()  # created at the level of the process
            numba.config.reload_config()
            saved = numba.config.OPT
            try:  # an interrupt may land between any two lines: restore in every case
                numba.config.OPT = type(saved)(min(opt, int(saved)))
                return compile_(sig)
            finally:
                numba.config.OPT = saved

    return compile


_num_threads: int | None = None


def get_num_threads() -> int:
    """The number of threads fastseg splits a pass among: the last :func:`set_num_threads`, else
    ``NUMBA_NUM_THREADS`` (by default, the CPUs this process may run on)."""
    return _num_threads or numba.config.NUMBA_NUM_THREADS


def set_num_threads(n: int) -> None:
    """Split each pass among `n` threads (for the whole process; results do not change).

    fastseg's kernels are serial and run in Python threads, so ``numba.set_num_threads``, which
    sets the size of Numba's parallel runtime (never started by fastseg), does not apply.
    """
    global _num_threads
    from ._validate import check_int  # _validate imports this module

    _num_threads = check_int(n, "n", 1)


def thread_count(n_parts: int) -> int:
    """The threads :func:`run_in_threads` splits `n_parts` parts among: min(threads, parts)."""
    return max(1, min(get_num_threads(), n_parts))


def run_in_threads(kernel, n_parts: int, *arguments, shares: int | None = None) -> None:
    """Run ``kernel(*arguments, first, step)`` for first = 0, 1, ..., step - 1, each in a
    thread of its own: step = `shares`, by default :func:`thread_count` of `n_parts`. A caller
    that gives each thread scratch memory (row `first` of an array) counts the threads first and
    passes that count as `shares`, so that a change of :func:`set_num_threads` in between cannot
    give a thread a row that was not allocated.

    `kernel` is serial, releases the GIL, and with (first, step) takes the parts first,
    first + step, ... of `n_parts`, each part writing only its own outputs: the result is then
    the same for any number of threads. The calling thread runs share 0, hands the others to
    helper threads kept for the process (starting threads for every pass would cost more than a
    small pass), and runs itself any share no helper has started yet. A serial kernel compiles in
    a fraction of the time of a ``prange`` loop, and loading it does not start Numba's parallel
    runtime.

    An interrupt (a KeyboardInterrupt raised by a signal handler) may land between any two
    bytecodes of the calling thread. So the calling thread never takes a lock that a helper
    needs, and it waits for every share a helper started before the interrupt goes on: the
    caller's arrays are never left to threads still writing them.
    """
    n_threads = thread_count(n_parts) if shares is None else shares
    if n_threads == 1:
        kernel(*arguments, 0, 1)
        return
    _compile_here(kernel, *arguments, 0, n_threads)  # the helpers only run it
    _start_helpers(n_threads - 1)
    shares = [_Share(kernel, (*arguments, first, n_threads)) for first in range(1, n_threads)]
    try:
        for share in shares:
            _inbox.put(share)
        kernel(*arguments, 0, n_threads)
        for share in shares:
            share.finish()
    finally:
        _wait_for(shares)
    for share in shares:
        if share.error is not None:
            raise share.error


class _Share:
    """One thread's share of a pass, run by a helper thread or, if none took it, by the caller.

    Whoever first claims it runs it: the claim is one ``dict.setdefault``, a single step under
    the GIL that an interrupt cannot split, and asking again gives the same answer. The finished
    lock is held until a helper has run the share; only the caller ever waits on it.
    """

    __slots__ = ("arguments", "error", "finished", "kernel", "owner")

    def __init__(self, kernel, arguments):
        self.kernel = kernel
        self.arguments = arguments
        self.owner = {}
        self.error = None
        self.finished = threading.Lock()
        self.finished.acquire()

    def run_in_helper(self) -> None:
        if self.owner.setdefault("by", "helper") != "helper":
            return  # the caller ran it, or gave it up after an interrupt
        try:
            self.kernel(*self.arguments)
        except BaseException as error:  # handed to the caller
            self.error = error
        self.owner["done"] = True
        self.finished.release()

    def finish(self) -> None:
        """In the caller: run the share if no helper took it, else wait for the helper."""
        if self.owner.setdefault("by", "caller") == "caller":
            self.kernel(*self.arguments)
        else:
            self.wait()

    def wait(self) -> None:
        """In the caller: wait for a helper running the share; a share nobody took is given up.
        Safe to call again after an interrupt: "done" is set before the lock is released."""
        if self.owner.setdefault("by", "caller") == "caller":
            return
        while "done" not in self.owner:
            self.finished.acquire()


def _wait_for(shares) -> None:
    """Wait for every share a helper started, through interrupts; the first one is raised then."""
    interrupt = None
    for share in shares:
        while True:
            try:
                share.wait()
                break
            except BaseException as error:  # a signal handler's exception: wait on, then raise
                interrupt = interrupt or error
    if interrupt is not None:
        raise interrupt


#: Shares waiting for a helper thread; each helper takes the next one.
_inbox = queue.SimpleQueue()
#: The helper threads started in this process (a forked child starts its own).
_helpers: list[int] = []


def _start_helpers(count: int) -> None:
    """Make sure at least `count` helper threads run. Threads of ``_thread``: starting them
    takes no lock of ``threading`` that an interrupt could leave held, and like daemon threads
    they never hold up the interpreter's exit (they only wait there, or run a share that a
    caller is waiting for)."""
    while len(_helpers) < count:
        _helpers.append(_thread.start_new_thread(_helper_loop, (_inbox,)))


def _helper_loop(inbox) -> None:
    while True:
        inbox.get().run_in_helper()


def _forget_helpers() -> None:
    # A forked child has none of its parent's threads, and maybe a share half taken from the
    # parent's inbox: it starts helpers of its own, on an inbox of its own.
    global _inbox, _helpers
    _inbox, _helpers = queue.SimpleQueue(), []


os.register_at_fork(after_in_child=_forget_helpers)


def _compile_here(dispatcher, *args) -> None:
    """Compile `dispatcher` (or load it from the cache) for `args`, in the calling thread.

    Call it before handing a kernel to other threads. Compiling takes Numba's compiler lock,
    and an interrupt (KeyboardInterrupt raised by a signal handler) that lands just after the
    lock is taken, and before the ``with`` block that releases it begins, leaves the lock held
    by the interrupted thread: a thread that then needs to compile would wait for ever, and the
    process with it.
    """
    # Numba's typeof costs tens of microseconds per array: a cheap key of the same types first.
    key = (dispatcher, *map(_type_key, args))
    if key not in _compiled_for:
        dispatcher.compile(tuple(numba.typeof(arg) for arg in args))
        _compiled_for.add(key)


#: (dispatcher, type key of each argument) of the kernels compiled by _compile_here.
_compiled_for: set = set()


def _type_key(arg):
    """What Numba's type of `arg` depends on: dtype, dimensions, layout, writability and
    alignment of an array; the Python type of anything else (bool, int, float)."""
    flags = getattr(arg, "flags", None)
    if flags is None:
        return type(arg)
    return (arg.dtype.str, arg.ndim, flags.c_contiguous, flags.f_contiguous, flags.writeable,
            flags.aligned)  # fmt: skip


class CompileTimer(event.Listener):
    """Counts the functions Numba compiles, and the time it takes, while installed.

    Only outermost compilations count: a kernel's helpers compile within its time. Loading a
    kernel from the disk cache is not a compilation. See :func:`compile_timer`.
    """

    def __init__(self):
        self.seconds = 0.0
        self.kernels = 0
        self._depth = 0
        self._started = 0.0

    def on_start(self, ev):
        # Compilations run one at a time (Numba's global compiler lock): no lock needed here.
        if self._depth == 0:
            self._started = time.perf_counter()
        self._depth += 1

    def on_end(self, ev):
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._started
            self.kernels += 1


@contextlib.contextmanager
def compile_timer():
    """Context that measures the compilations inside it, for reports such as "compiled kernels
    in 9.8 s, cached for later runs"::

        with compile_timer() as compiling:
            fastseg.segment(image, 4)
        compiling.kernels, compiling.seconds
    """
    timer = CompileTimer()
    with event.install_listener("numba:compile", timer):
        yield timer


#: The PyPI distributions that install the ``cv2`` module.
CV2_DISTRIBUTIONS = (
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-contrib-python-headless",
)


def cv2_distributions() -> list[tuple[str, str]]:
    """The installed distributions that provide the ``cv2`` module, as (name, version) pairs.

    Read from the packages' metadata (a few milliseconds); cv2 itself is not imported. More than
    one (for example opencv-python beside fastseg's opencv-python-headless) means they overwrite
    each other's files.
    """
    from importlib import metadata

    found = []
    for name in CV2_DISTRIBUTIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append((name, metadata.version(name)))
    return found


def cv2_conflict(distributions: list[tuple[str, str]] | None = None) -> str | None:
    """A message with the fix when several installed distributions provide ``cv2``, else None."""
    if distributions is None:
        distributions = cv2_distributions()
    if len(distributions) < 2:
        return None
    names = [name for name, _ in distributions]
    installed = ", ".join(f"{name} {version}" for name, version in distributions)
    # Keep the one with the most features: fastseg works with any of them.
    keep = max(names, key=lambda name: ("contrib" in name, "headless" not in name))
    return (
        f"{len(names)} packages provide the cv2 module ({installed}) and overwrite each other's "
        f"files, so cv2 may fail or lack functions. Keep one: pip uninstall -y {' '.join(names)} "
        f"&& pip install {keep}"
    )


#: Samples per chunk of a pass split among threads. Fixed (never derived from the thread count)
#: so that partial sums, and therefore results, are the same for any number of threads.
CHUNK_SIZE = 16384
