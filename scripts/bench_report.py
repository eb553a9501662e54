"""Run the benchmark matrix and write benchmarks/RESULTS.md and benchmarks/throughput.png.

    python scripts/bench_report.py --quick     # 1 MP photos: a couple of minutes
    python scripts/bench_report.py             # 1, 4 and 12 MP at K=8
    python scripts/bench_report.py --full      # the whole matrix (K = 3, 8, 16; up to 48 MP)
    python scripts/bench_report.py --quick --readme   # also the table in README.md

Every case is timed by fastseg.bench (the code behind ``fastseg bench``): a warm-up call on a
small input, then several timed calls; the tables give the best and the median. Peak extra
memory is measured for the cases at one size (1 MP with --quick, else 12 MP), each in a fresh
process. Compile time is measured in fresh processes, first with an empty Numba cache folder
(cold), then with the cache it filled (warm).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's fastseg, installed or not

from fastseg import bench  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
CHART = ROOT / "benchmarks" / "throughput.png"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"

FIRST_CALLS = r"""
import json, sys, time
start = time.perf_counter()
import fastseg
timings = {"import fastseg": time.perf_counter() - start}
from fastseg import bench
if sys.argv[1] == "warmup":
    start = time.perf_counter()
    fastseg.warmup()
    timings["fastseg.warmup()"] = time.perf_counter() - start
else:
    image = bench.photo(1)
    pixels, gray = image.reshape(-1, 3), bench.gray_photo(1)
    calls = {
        "fastseg.kmeans 1 MP": lambda: bench.fastseg_kmeans(pixels, 8, 10, 1, 0),
        "fastseg.segment 1 MP": lambda: bench.fastseg_segment(image, 8, 10, 1, 0),
        "fastseg.canny 1 MP": lambda: fastseg.canny(gray, 50, 150),
    }
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        first = time.perf_counter() - start
        start = time.perf_counter()
        call()
        timings[name] = (first, time.perf_counter() - start)
print(json.dumps(timings))
"""


def first_call_times(cache_dir: str, what: str) -> dict:
    """Seconds to import fastseg and for its first (and second) calls, in a fresh process."""
    completed = subprocess.run(
        [sys.executable, "-c", FIRST_CALLS, what], capture_output=True, text=True, check=True,
        env=bench.child_environment(NUMBA_CACHE_DIR=cache_dir), timeout=1800,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def compile_times(with_warmup: bool) -> list[tuple[str, dict]]:
    """Cold (empty cache folder) and warm (the cache just filled) first-call times."""
    runs = []
    modes = ["calls", "warmup"] if with_warmup else ["calls"]
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache_dir:
            runs.append((f"cold ({mode})", first_call_times(cache_dir, mode)))
            runs.append((f"warm ({mode})", first_call_times(cache_dir, mode)))
    return runs


def format_compile_times(runs: list[tuple[str, dict]]) -> str:
    lines = [
        "| process | cache | import fastseg | call | first call | second call |",
        "|---|---|---|---|---|---|",
    ]
    for label, timings in runs:
        state = "empty (cold)" if label.startswith("cold") else "filled (warm)"
        for name, value in timings.items():
            if name == "import fastseg":
                continue
            first, second = value if isinstance(value, list) else (value, None)
            lines.append(
                f"| fresh | {state} | {timings['import fastseg']:.2f} s | {name} | {first:.2f} s "
                f"| {'' if second is None else f'{second:.3f} s'} |"
            )
    return "\n".join(lines) + "\n"


def memory_cases(rows: list[bench.Row], cases: list[bench.Case], megapixels: float):
    """The cases at `megapixels` (k-means at K=8, Canny at aperture 3, Canny by scikit-image's
    rules, SLIC) paired with their rows."""
    chosen = []
    for row, case in zip(rows, cases, strict=True):
        if case.data[0] not in ("photo", "gray") or case.data[1] != megapixels:
            continue
        p = case.parameters
        kmeans_at_8 = case.kind == "kmeans" and p["k"] == 8
        canny_at_3 = case.kind == "canny" and p["aperture_size"] == 3
        if kmeans_at_8 or canny_at_3 or case.kind in ("smooth_canny", "slic"):
            chosen.append((row, case))
    return chosen


#: The chart's panels: the kind of case, the groups drawn (one line per method and group
#: label), and the title.
CHART_PANELS = [
    ("kmeans", {"smooth photo, uint8, K=8": ""}, "k-means, uint8 photo, K=8, 10 updates"),
    ("canny", {"aperture 3, L2": ""}, "Canny by OpenCV's rules, grey photo, aperture 3, L2"),
    ("smooth_canny", {", uint16, ": "uint16", ", float32, ": "float32"},
     "Canny by scikit-image's rules, grey photo, sigma 1"),
    ("slic", {"uint8, ": ""}, "SLIC, RGB photo, 1000 segments, 10 iterations"),
]  # fmt: skip


def draw_chart(rows: list[bench.Row], path: Path) -> None:
    """Throughput against image size, one panel per entry of CHART_PANELS that has rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    panels = [panel for panel in CHART_PANELS if any(row.kind == panel[0] for row in rows)]
    if not panels:
        return
    n_columns = min(2, len(panels))
    n_rows = -(-len(panels) // n_columns)
    figure, grid = plt.subplots(n_rows, n_columns, figsize=(6 * n_columns, 4.6 * n_rows),
                                squeeze=False)  # fmt: skip
    for axes, (kind, groups, title) in zip(grid.flat, panels, strict=False):
        lines = {}
        for row in rows:
            for marker, label in groups.items():
                if row.kind == kind and marker in row.group:
                    name = f"{row.method}, {label}" if label else row.method
                    lines.setdefault((row.method, name), []).append(
                        (row.megapixels, row.throughput)
                    )
        for (method, name), points in lines.items():
            points.sort()
            style = "-" if bench.METHODS[kind][method].is_fastseg else "--"
            axes.plot(*zip(*points, strict=True), style, marker="o", label=name)
        axes.set(xscale="log", yscale="log", xlabel="image size (megapixels)",
                 ylabel="throughput (megapixels per second)", title=title)  # fmt: skip
        axes.title.set_fontsize(10)
        axes.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        # A panel spanning less than a decade has no major tick labels but one.
        axes.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axes.yaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    for axes in list(grid.flat)[len(panels) :]:
        axes.set_visible(False)
    figure.suptitle("fastseg (solid) and its peers (dashed): higher is faster", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def results_markdown(level, rows, compile_runs, memory_size, duration, command) -> str:
    kmeans_rows = [row for row in rows if row.kind == "kmeans"]
    runs = sorted({len(row.times) for row in kmeans_rows})
    contrib = any(row.method == "cv2.ximgproc SLIC" for row in rows)
    return f"""# Benchmark results

Generated by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the whole run took
{duration / 60:.1f} minutes.

Machine: {bench.machine_description()}.{CONTRIB_NOTE if contrib else ""}

How it is measured:

* Every case is a call of `fastseg.bench` (the code behind `fastseg bench`): one warm-up call on
  a small input (compilation, thread pools), then {", ".join(map(str, runs))} timed calls
  (garbage collected before each); "best" and "median" are over those calls. Throughput
  (Mpx/s) is from the best time. The machine is shared, so medians are noisier than bests.
* Same work for every k-means method: the same K, 10 center updates at most (each stops
  earlier only at a fixed point), 1 attempt, k-means++ seeding. faiss has only random seeding:
  its ratio is to fastseg seeded at random rows ("fastseg random init"). `faiss.Kmeans` trains
  on at most 256 samples per centroid by default (then labels every sample);
  `faiss.Kmeans all points` has that sampling turned off. cv2.kmeans gets float32 copies of
  uint8 input, as a cv2 user must make them; scikit-learn converts uint8 to float64 itself.
* "fastseg faster" is the peer's best time over fastseg's best time for the same work;
  "distinct faster" is the same against `fastseg.segment` (distinct-colour path) on the same
  photo. MSE/px is the mean squared error per pixel of each result, so that a speed-up is never
  bought with quality.
* "extra B/px": the growth of the peak resident memory during one call, per pixel, outputs
  included, measured for the {memory_size} MP cases, each in a fresh process after a warm-up call
  (the kernel's high-water mark is reset through /proc/self/clear_refs just before the call).
  The distinct-colour path also keeps one 64 MB colour table per calling thread from call to
  call; the warm-up call allocates it, so it is not counted here.
* Photos: the astronaut (fastseg's sample image) resized bilinearly to 1, 4, 12 and 48 MP;
  "noisy" adds Gaussian noise (sigma 12, seed 0). Feature vectors: (R, G, B, x, y) of the 1 MP
  photo, and Gaussian blobs (n = 100,000, 32 centers) for d = 64 and 256.
{"" if level != "full" else LARGE_NOTE}
![throughput](throughput.png)

## Compile time

Fresh processes; "cold" with an empty `NUMBA_CACHE_DIR`, "warm" with the cache the cold process
filled. The first call includes compiling (or loading) its kernels; the second is the steady state.

{format_compile_times(compile_runs)}
## Timings

{bench.format_tables(rows)}"""


CONTRIB_NOTE = """ OpenCV's contrib module was installed
(`opencv-contrib-python-headless` in place of `opencv-python-headless`), so that its SLIC
(`cv2.ximgproc`, a different algorithm, timed for time only) runs beside the others."""

LARGE_NOTE = """* At 48 MP only K=8 is timed, and the slow peers (scikit-learn's KMeans, and
  faiss.Kmeans with sampling off) are left out: tens of seconds per call, and their scaling is
  visible from 1 to 12 MP. The noisy photo is timed at K=8 only.
"""


def update_readme(table: str, machine: str, command: str) -> None:
    """Replace the block between the benchmark markers of README.md, and nothing else."""
    text = README.read_text()
    if README_START not in text or README_END not in text:
        raise SystemExit(f"README.md has no {README_START} ... {README_END} block to update")
    block = (
        f"{README_START}\n<!-- written by `{command}`; do not edit by hand -->\n\n"
        f"Machine: {machine}.\n\n{table}{README_END}"
    )
    pattern = re.escape(README_START) + r".*?" + re.escape(README_END)
    README.write_text(re.sub(pattern, lambda _: block, text, count=1, flags=re.DOTALL))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="1 MP photos only")
    size.add_argument("--full", action="store_true", help="the whole matrix (about 25 minutes)")
    parser.add_argument("--readme", action="store_true", help="also update README.md's table")
    parser.add_argument("--repeats", type=int, help="timed calls per fastseg case")
    args = parser.parse_args()
    level = "quick" if args.quick else ("full" if args.full else "standard")
    command = "python scripts/bench_report.py" + {"quick": " --quick", "full": " --full"}.get(
        level, ""
    )
    started = time.perf_counter()

    cases = [c for c in bench.matrix(level, repeats=args.repeats)
             if bench.importable(bench.METHODS[c.kind][c.method].requires)]  # fmt: skip
    rows = bench.run_cases(cases, progress=True)

    memory_size = 1 if level == "quick" else 12
    probes = memory_cases(rows, cases, memory_size)
    for row, case in tqdm(probes, desc="peak memory", unit="case", leave=False):
        row.peak_bytes_per_pixel = bench.peak_extra_bytes(case)

    print("compile times (fresh processes) ...", file=sys.stderr)
    compile_runs = compile_times(with_warmup=level != "quick")

    draw_chart(rows, CHART)
    duration = time.perf_counter() - started
    RESULTS.write_text(results_markdown(level, rows, compile_runs, memory_size, duration, command))
    if args.readme:
        update_readme(bench.format_tables(rows), bench.machine_description(), command)
    print(bench.format_tables(rows))
    print(format_compile_times(compile_runs))
    print(f"wrote {RESULTS.relative_to(ROOT)} and {CHART.relative_to(ROOT)} "
          f"in {duration / 60:.1f} minutes")  # fmt: skip


if __name__ == "__main__":
    main()
