"""The public surface is what the README documents, and importing fastseg compiles nothing."""

import re
import subprocess
import sys
from pathlib import Path

import fastseg

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
        "import fastseg, numba.core.dispatcher as d, sys;"
        "from fastseg._kernels import lloyd;"
        "sys.exit(len(lloyd.lloyd_pass.signatures))"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
