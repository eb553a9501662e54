"""Results pinned bit for bit: a change of design must not change a single bit of any answer.

`pinned_results.json` holds a digest of each case's results (labels, centers, compactness,
counts, edges), computed by this module from the code of the commit named in the file. Run

    python tests/test_pinned_results.py --write

to record them again, only when a change of results is intended, and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import fastseg

PINS = pathlib.Path(__file__).with_name("pinned_results.json")


def _photos() -> dict[str, np.ndarray]:
    from skimage import data

    return {
        "sample": fastseg.sample_image(),
        "chelsea": data.chelsea(),
        "coffee": data.coffee(),
        "camera": data.camera(),
    }


def _digest(*parts) -> str:
    """sha256 of the parts' bytes, dtypes and shapes (floats by their exact bits)."""
    digest = hashlib.sha256()
    for part in parts:
        array = np.asarray(part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _segmentation_digest(result) -> str:
    return _digest(
        np.asarray(result.labels), result.centers, result.palette, result.counts,
        result.compactness, result.n_iter,
    )  # fmt: skip


def _feature_vectors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261130)
    blobs = rng.normal(size=(6, 16)) * 4
    points = blobs[rng.integers(0, 6, 5000)] + rng.normal(size=(5000, 16))
    return {
        "f64x16": points,
        "f32x16": points.astype(np.float32),
        "f32x96": np.repeat(points, 6, axis=1).astype(np.float32),  # the products path
        "u8x3": (rng.random((20000, 3)) * 256).astype(np.uint8),
    }


def cases():
    """(name, function computing the digest) for every pinned case."""
    photos = _photos()
    for name, image in photos.items():
        for method in ("distinct", "pixels"):
            for color_space in ("rgb", "hsv", "lab") if image.ndim == 3 else ("rgb",):
                yield (
                    f"segment/{name}/{method}/{color_space}",
                    lambda image=image, method=method, color_space=color_space: (
                        _segmentation_digest(
                            fastseg.segment(
                                image, 5, seed=0, method=method, color_space=color_space
                            )
                        )
                    ),
                )
        yield (
            f"segment/{name}/random/attempts3",
            lambda image=image: _segmentation_digest(
                fastseg.segment(image, 7, seed=1, init="random", attempts=3)
            ),
        )
        for low, high in ((50, 150), (10, 30)):
            yield (
                f"canny/{name}/{low}-{high}",
                lambda image=image, low=low, high=high: _digest(fastseg.canny(image, low, high)),
            )
        yield (
            f"canny/{name}/l2-5",
            lambda image=image: _digest(
                fastseg.canny(image, 100, 300, aperture_size=5, l2_gradient=True)
            ),
        )
        yield f"auto_canny/{name}", lambda image=image: _digest(fastseg.auto_canny(image))
    for name, points in _feature_vectors().items():
        for k in (3, 40):
            yield (
                f"kmeans/{name}/k{k}",
                lambda points=points, k=k: _digest(
                    *(lambda r: (r.labels, r.centers, r.compactness, r.n_iter))(
                        fastseg.kmeans(points, k, seed=0, criteria=(3, 20, 0.0))
                    )
                ),
            )
        weights = np.random.default_rng(1).random(len(points))
        yield (
            f"kmeans/{name}/weighted-random",
            lambda points=points, weights=weights: _digest(
                *(lambda r: (r.labels, r.centers, r.compactness, r.n_iter))(
                    fastseg.kmeans(points, 5, seed=2, init="random", sample_weight=weights)
                )
            ),
        )
    for name in ("sample", "coffee", "camera"):
        image = photos[name]
        yield (
            f"elbow/{name}",
            lambda image=image: _digest(
                *(lambda e: (e.ks, e.wcss, e.knee))(fastseg.elbow(image, range(1, 7), seed=0))
            ),
        )
        for color_space in ("rgb", "lab") if image.ndim == 3 else ("rgb",):
            yield (
                f"choose_k/{name}/silhouette/{color_space}",
                lambda image=image, color_space=color_space: _digest(
                    fastseg.choose_k(image, range(2, 7), method="silhouette", seed=0,
                                     color_space=color_space, sample_size=500)
                ),
            )  # fmt: skip
    for name, points in _feature_vectors().items():
        labels = fastseg.kmeans(points, 4, seed=0).labels
        yield (
            f"silhouette_score/{name}",
            lambda points=points, labels=labels: _digest(
                fastseg.silhouette_score(points, labels, sample_size=1500, seed=0)
            ),
        )
    yield from _dask_cases(photos)


def _dask_cases(photos):
    import dask.array as da

    import fastseg.dask

    for name in ("sample", "chelsea", "camera"):
        image = photos[name]
        chunks = (97, 131, *image.shape[2:])
        for method in ("distinct", "pixels"):
            yield (
                f"dask.segment/{name}/{method}",
                lambda image=image, chunks=chunks, method=method: _segmentation_digest(
                    fastseg.dask.segment(da.from_array(image, chunks=chunks), 5, seed=0,
                                         method=method)
                ),
            )  # fmt: skip
        yield (
            f"dask.canny/{name}",
            lambda image=image, chunks=chunks: _digest(
                fastseg.dask.canny(da.from_array(image, chunks=chunks), 50, 150).compute()
            ),
        )


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=PINS.parent,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _pinned() -> dict:
    return json.loads(PINS.read_text())


@pytest.mark.parametrize("name", sorted(_pinned()["digests"]))
def test_result_is_pinned(name):
    computed = dict(_CASES)[name]()
    assert computed == _pinned()["digests"][name], (
        f"{name} gives different bits from commit {_pinned()['commit']}"
    )


def test_every_case_is_pinned():
    assert sorted(name for name, _ in _CASES) == sorted(_pinned()["digests"])


_CASES = list(cases())

if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    digests = {name: compute() for name, compute in _CASES}
    PINS.write_text(json.dumps({"commit": _commit(), "digests": digests}, indent=1) + "\n")
    print(f"{len(digests)} cases written to {PINS}")
