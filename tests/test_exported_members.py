"""The public surface is what the README documents, and importing fastseg compiles nothing."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastseg

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

README = Path(__file__).resolve().parent.parent / "README.md"


def test_exported_names_exist():
    for name in fastseg.__all__:
        assert hasattr(fastseg, name), name


def test_every_exported_function_is_in_the_readme():
    documented = set(re.findall(r"fastseg\.(\w+)", README.read_text()))
    public = {name for name in fastseg.__all__ if not name.startswith("_")}
    undocumented = (
        public - documented - {"Criteria", "KMeansResult", "Segmentation", "Elbow", "Silhouette"}
    )
    assert undocumented == set()


def test_import_compiles_nothing():
    code = (
        "import sys, numba, fastseg;"
        "from fastseg._kernels import canny, checks, colors, lloyd, seeding, silhouette;"
        "modules = (canny, checks, colors, lloyd, seeding, silhouette);"
        "kernels = [k for m in modules for k in vars(m).values()"
        "           if isinstance(k, numba.core.registry.CPUDispatcher)];"
        "assert len(kernels) > 20;"
        "variants = [*lloyd._lloyd_pass_variant.made, *canny._classify_bands_variant.made];"
        "sys.exit(sum(len(k.signatures) for k in kernels) + len(variants))"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
