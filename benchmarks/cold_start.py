"""First-call time of each public entry point in a fresh process, with an empty and a warm cache.

Each entry point runs in its own fresh Python process on the bundled 512x512 sample, first with an
empty kernel cache (``NUMBA_CACHE_DIR`` set to a new folder: everything compiles), then again with
the cache that run left behind (everything loads). The table gives the time of ``import fastseg``,
of the first call, of a second call in the same process (the work alone), and what the first call
compiled or loaded: kernels (dispatchers), signatures, and the time spent loading cached ones.

Usage::

    python benchmarks/cold_start.py                  # every entry point
    python benchmarks/cold_start.py segment canny    # some of them
    python benchmarks/cold_start.py --detail segment # also each compiled/loaded kernel
    python benchmarks/cold_start.py --warmup         # warm cache made by fastseg.warmup() instead

Takes about a minute per entry point on 2 cores (mostly compiling).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ENTRY_POINTS = {
    "segment": "fastseg.segment(image, 4, seed=0)",
    "canny": "fastseg.canny(gray, 100, 200)",
    "kmeans": "fastseg.kmeans(image.reshape(-1, 3).astype(np.float32), 4, seed=0)",
    "elbow": "fastseg.elbow(image, range(1, 9), seed=0)",
    "choose_k": 'fastseg.choose_k(image, method="silhouette", seed=0)',
    "silhouette_score": "fastseg.silhouette_score(image.reshape(-1, 3), halves, sample_size=4000, "
    "seed=0)",
    "dask.segment": "fastseg.dask.segment(da.from_array(image, chunks=(256, 256, 3)), 4, seed=0)",
    "skimage.canny": "fastseg.skimage.canny(gray)",
    "slic": "fastseg.slic(image, 300)",
}

CHILD = r"""
import json, sys, time
started = time.perf_counter()
import fastseg
imported = time.perf_counter()
import numpy as np
from numba.core import event
from fastseg import _config

entry, call = sys.argv[1], sys.argv[2]
if entry.startswith("skimage"):
    import fastseg.skimage
if entry.startswith("dask"):
    import dask, dask.array as da, fastseg.dask
    dask.config.set(scheduler="threads")
image = fastseg.sample_image()
gray = np.ascontiguousarray(image.mean(axis=2).astype(np.uint8))
halves = (image[..., 0] > 127).reshape(-1).astype(np.int64)

compiled = []  # (function, signature, exclusive seconds, fastseg kernel it was compiled for)
loads = []  # (kernel, seconds, hit) of each look-up in the disk cache
stack = []  # [name, started, seconds spent in nested compilations]


def name_of(dispatcher):
    function = dispatcher.py_func
    return function.__module__ + "." + function.__name__


def ours(name):
    return name.startswith("fastseg.")


class Listener(event.Listener):
    def on_start(self, ev):
        stack.append([name_of(ev.data["dispatcher"]), time.perf_counter(), 0.0])

    def on_end(self, ev):
        name, started, nested = stack.pop()
        total = time.perf_counter() - started
        if stack:
            stack[-1][2] += total
        # Numba's own functions are charged to the innermost fastseg kernel that needed them.
        owner = "" if ours(name) else next((f[0] for f in reversed(stack) if ours(f[0])), "?")
        compiled.append((name, str(ev.data["args"]), total - nested, owner))


load = _config._LazyCache.load_overload


def timed_load(self, sig, target_context):
    start = time.perf_counter()
    result = load(self, sig, target_context)
    name = self._py_func.__module__ + "." + self._py_func.__name__
    loads.append((name, time.perf_counter() - start, result is not None))
    return result


_config._LazyCache.load_overload = timed_load
event.register("numba:compile", Listener())
namespace = dict(fastseg=fastseg, np=np, image=image, gray=gray, halves=halves,
                 da=sys.modules.get("dask.array"))
if entry == "warmup":
    start = time.perf_counter(); fastseg.warmup(); first = time.perf_counter() - start
    second = 0.0
else:
    start = time.perf_counter(); eval(call, namespace); first = time.perf_counter() - start
    start = time.perf_counter(); eval(call, namespace); second = time.perf_counter() - start
print(json.dumps(dict(
    import_s=imported - started, first_s=first, second_s=second,
    compiled=compiled, loads=loads,
)))
"""


def run_child(entry: str, cache: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    call = ENTRY_POINTS.get(entry, "")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, entry, call],
        env=env, capture_output=True, text=True, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    if child.returncode != 0:
        raise SystemExit(f"{entry} failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def summary(run: dict) -> str:
    own = [(name, signature) for name, signature, _, owner in run["compiled"] if not owner]
    library = [name for name, _, _, owner in run["compiled"] if owner]
    hits = [(name, s) for name, s, hit in run["loads"] if hit]
    return (
        f"{run['import_s']:6.2f} {run['first_s']:8.2f} {run['second_s']:8.3f}  "
        f"{len({name for name, _ in own}):3d} kernels {len(own):3d} sigs "
        f"(+{len(library):3d} Numba functions) compiled, "
        f"{len(hits):3d} loaded in {sum(s for _, s in hits):5.2f} s"
    )


def detail(run: dict) -> None:
    """Compile time (exclusive of nested compilations) per fastseg kernel, its own and that of
    the Numba library functions it compiled; then each cache look-up."""
    own, library = {}, {}
    for name, signature, seconds, owner in run["compiled"]:
        if owner:
            library[owner] = library.get(owner, 0.0) + seconds
        else:
            own.setdefault(name, []).append((seconds, signature))
    for name, sigs in sorted(own.items(), key=lambda item: -sum(s for s, _ in item[1])):
        seconds = sum(s for s, _ in sigs)
        print(
            f"      compiled {seconds:6.2f} s  {name} ({len(sigs)} signatures), "
            f"+{library.get(name, 0.0):.2f} s for library code it uses"
        )
    for name, seconds, hit in sorted(run["loads"], key=lambda c: -c[1]):
        print(f"      {'loaded' if hit else 'missed'}   {seconds:6.3f} s  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", nargs="*", default=list(ENTRY_POINTS))
    parser.add_argument("--detail", action="store_true", help="list each kernel")
    parser.add_argument("--warmup", action="store_true", help="warm the cache with warmup()")
    args = parser.parse_args()
    unknown = set(args.entries) - set(ENTRY_POINTS)
    if unknown:
        parser.error(f"unknown entry points {sorted(unknown)}; choose from {list(ENTRY_POINTS)}")
    print("entry point        cache  import  first s  second s  what the first call did")
    for entry in args.entries:
        with tempfile.TemporaryDirectory(prefix="fastseg-cold-") as cache:
            runs = [("warmup", run_child("warmup", cache))] if args.warmup else []
            runs.append(("cold" if not args.warmup else "warm", run_child(entry, cache)))
            if not args.warmup:
                runs.append(("warm", run_child(entry, cache)))
            for label, run in runs:
                print(f"{entry:18s} {label:6s} {summary(run)}", flush=True)
                if args.detail:
                    detail(run)


if __name__ == "__main__":
    main()
