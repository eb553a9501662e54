"""What the first call of Canny and of the colour path compiles: few kernels, one version each.

Compile time is the first thing a user meets, and it grows with every kernel and every type
specialisation a call needs. These tests pin down which kernels a path compiles and that calls
of the same kind share one compiled version (Canny's band kernel compiles the variant of the
steps a call uses, and only it); the time itself belongs in benchmarks/cold_start.py.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numba
import pytest

from fastseg._kernels import canny as canny_kernels
from fastseg._kernels import checks, colors, components, lloyd, seeding, silhouette

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

CANNY_CALLS = r"""
import json
import numba
import numpy as np
import fastseg
from fastseg import opencv
from fastseg._kernels import canny

image = fastseg.sample_image()[:150, :130]
gray = np.ascontiguousarray(image[:, :, 1])
rng = np.random.default_rng(0)
for pixels in (gray, image, image[:, :, :2], np.dstack([image, gray]), image[::-1, ::2]):
    for aperture_size in (3, 5, 7):
        for l2_gradient in (False, True, np.bool_(True)):
            fastseg.canny(pixels, 50, np.float32(150), aperture_size=aperture_size,
                          l2_gradient=l2_gradient)
fastseg.auto_canny(gray)
opencv.Canny(gray, 50, 150, np.empty(gray.shape, np.uint8), 5, True)
dx = rng.integers(-500, 500, image.shape).astype(np.int16)
for l2_gradient in (False, True):
    opencv.Canny(dx, dx[::-1].copy(), 50, 150, L2gradient=l2_gradient)
    opencv.Canny(dx[:, :, 0], dx[:, :, 1], 50, 150, L2gradient=l2_gradient)
versions = {
    name: len(kernel.signatures)
    for name, kernel in vars(canny).items()
    if isinstance(kernel, numba.core.registry.CPUDispatcher) and kernel.signatures
}
made = canny._classify_bands_variant.made
variants = {repr(choices): len(kernel.signatures) for choices, kernel in made.items()}
print(json.dumps([versions, variants]))
"""

FIRST_CANNY = r"""
import json
import numpy as np
import fastseg
from fastseg._config import compile_timer
from fastseg._kernels import canny

gray = np.ascontiguousarray(fastseg.sample_image()[:100, :100, 0])
with compile_timer() as compiling:
    fastseg.canny(gray, 50, 150)
made = canny._classify_bands_variant.made
print(json.dumps([compiling.kernels, [repr(choices) for choices in made]]))
"""


def run_child(script: str, tmp_path=None):
    env = os.environ.copy()
    if tmp_path is not None:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")  # empty: everything compiles
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_canny_compiles_each_kernel_variant_once_for_every_input():
    """Grey or colour, any aperture and norm, image or gradient form: one version of each variant
    of the band kernel that the inputs use (8 from images: aperture 3 or wide, L1 or L2, one
    channel or several; 4 from given gradients, of aperture 3), of the linking kernel and of the
    histogram for auto_canny, nothing else."""
    versions, variants = run_child(CANNY_CALLS)
    # The in-band hysteresis shows a version when it was compiled (for the band kernels that
    # call it), none when they were loaded from the cache.
    assert versions.pop("follow_edges_in_band", 1) == 1
    assert versions == {"link_bands": 1, "band_histograms": 1}
    expected = {
        repr((from_image, wide, l2, multichannel))
        for from_image in (True, False)
        for wide in ((False, True) if from_image else (False,))
        for l2 in (False, True)
        for multichannel in (False, True)
    }
    assert variants == dict.fromkeys(expected, 1)


def test_first_canny_compiles_only_the_variant_it_uses(tmp_path):
    n_compiled, variants = run_child(FIRST_CANNY, tmp_path)
    assert variants == [repr((True, False, False, False))]  # image, aperture 3, L1, grey
    # That variant (with the in-band hysteresis it calls) and the linking across bands: the
    # outermost compilations.
    assert n_compiled == 2


TWO_VARIANTS = r"""
import json
import numpy as np
import fastseg

gray = np.ascontiguousarray(fastseg.sample_image()[:60, :60, 0])
fastseg.canny(gray, 50, 150)
fastseg.canny(gray, 50, 150, l2_gradient=True)
print(json.dumps([]))
"""


def test_each_variant_has_cache_files_of_its_own(tmp_path):
    """Variants share their source; each is cached under a name that ends in its choices, so
    that processes compiling different variants at once never write the same index."""
    run_child(TWO_VARIANTS, tmp_path)
    indexes = sorted(path.name for path in (tmp_path / "cache").rglob("*classify_bands*.nbi"))
    assert len(indexes) == 2, indexes
    assert "classify_bands_TFFF-" in indexes[0] and "classify_bands_TFTF-" in indexes[1]


def test_every_kernel_is_serial_and_releases_the_gil():
    """Passes are split among Python threads (fastseg._config.run_in_threads): no kernel is a
    parfor, whose compilation takes several times longer and whose loading starts Numba's
    parallel runtime."""
    kernels = {
        f"{module.__name__}.{name}": value
        for module in (canny_kernels, checks, colors, components, lloyd, seeding, silhouette)
        for name, value in vars(module).items()
        if isinstance(value, numba.core.registry.CPUDispatcher)
        and value.py_func.__module__ == module.__name__
        and value.targetoptions.get("inline") != "always"  # helpers compiled inside callers
    }
    # The variants, made (not compiled) here: every Lloyd pass and Canny band kernel.
    for n_features in (3, 5):
        kernels[f"lloyd.lloyd_pass({n_features})"] = lloyd.lloyd_pass(n_features)
    for choices in itertools.product((False, True), repeat=4):
        kernels[f"canny band kernel {choices}"] = canny_kernels._classify_bands_variant(*choices)
    assert len(kernels) > 30
    assert [name for name, k in kernels.items() if k.targetoptions.get("parallel")] == []
    assert [name for name, k in kernels.items() if not k.targetoptions.get("nogil")] == []
