"""Shared set-up of the benchmark suites: the photo sizes, the `large` marker, timing one case.

Run: python -m pytest benchmarks/ --benchmark-only           (1, 4 and 12 MP photos)
     python -m pytest benchmarks/ --benchmark-only --large   (also 48 MP)

Every case is a :class:`fastseg.bench.Case`: the same inputs, methods and quality measure as
``fastseg bench`` and ``scripts/bench_report.py``. Each records its quality in extra_info beside
its time (the MSE per pixel for k-means), so that speed is never bought with quality.
"""

import pytest

from fastseg import bench

#: Photo sizes in megapixels; 48 MP only with --large.
SIZES = [1, 4, 12, pytest.param(48, marks=pytest.mark.large)]


def pytest_addoption(parser):
    parser.addoption("--large", action="store_true", help="also run the 48 MP cases")


def pytest_configure(config):
    config.addinivalue_line("markers", "large: 48 MP inputs, run only with --large")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--large"):
        return
    skip = pytest.mark.skip(reason="48 MP case: pass --large to run it")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def compiled():
    import fastseg

    fastseg.warmup()


def time_case(benchmark, case: bench.Case):
    """Time `case` with pytest-benchmark (`case.repeats` rounds after a warm-up on a small
    input) and record its quality; skip it when the peer is not installed."""
    method = bench.METHODS[case.kind][case.method]
    if not bench.importable(method.requires):
        pytest.skip(f"{method.requires} is not installed")
    call, warm_up, quality_of = bench.prepare(case)
    warm_up()
    benchmark.group = case.group
    result = benchmark.pedantic(call, rounds=case.repeats, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(
        quality=quality_of(result), megapixels=case.megapixels, note=method.note,
        same_work_as=method.twin or "",
    )  # fmt: skip
    return result
