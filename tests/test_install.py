"""Installing fastseg: the README's set-up commands in one environment, and cv2 conflicts."""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import fastseg
from fastseg._config import cv2_conflict, cv2_distributions

pytestmark = pytest.mark.outside_kernels  # see pyproject.toml

CHECKOUT = Path(__file__).resolve().parent.parent

# Left out of the copy of the checkout: version control, build output, caches of every kind.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".*cache*", ".numba*", ".hypothesis",
    ".venv", "venv", "*.png", "*.npy", "*.zarr",
)  # fmt: skip


def run(command, cwd, env, timeout=1200) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


def compiled_kernel_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.suffix in (".nbi", ".nbc")]


@pytest.mark.slow
def test_install_then_editable_install_in_one_environment(tmp_path):
    """README command 1 (``pip install .``, run), then command 2 (``pip install -e``), one venv."""
    if not (CHECKOUT / "pyproject.toml").exists():
        pytest.skip("needs a source checkout")
    source = tmp_path / "src"
    shutil.copytree(CHECKOUT, source, ignore=NOT_SOURCE)
    (source / "fastseg" / "data").mkdir(exist_ok=True)
    for image in (CHECKOUT / "fastseg" / "data").glob("*.png"):  # the bundled samples
        shutil.copy(image, source / "fastseg" / "data")
    # The dependencies are those of this interpreter, seen through a .pth file (whether this
    # interpreter runs in a venv or not); only fastseg goes into the new venv.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path, None)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "user-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    pip = [python, "-m", "pip", "install", "--no-deps", "--quiet"]
    site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            tmp_path, env).stdout.strip()
    )  # fmt: skip
    ours = sysconfig.get_paths()
    (site / "dependencies.pth").write_text(f"{ours['purelib']}\n{ours['platlib']}\n")

    # 1. pip install . && fastseg segment -k 4
    run([*pip, "."], source, env)
    work = tmp_path / "work"
    work.mkdir()
    run(["fastseg", "segment", "-k", "4"], work, env)
    assert (work / "astronaut_k4.png").stat().st_size > 0
    assert (site / "fastseg" / "__init__.py").exists()
    assert not compiled_kernel_files(site / "fastseg"), "kernels cached inside the package"
    assert compiled_kernel_files(tmp_path / "user-cache" / "fastseg" / fastseg.__version__)

    # 2. pip install -e . over it; then fastseg is the checkout's, imported from anywhere.
    run([*pip, "-e", "."], source, env)
    assert not (site / "fastseg").exists(), "the installed package left files behind"
    code = textwrap.dedent("""
        import fastseg
        result = fastseg.segment(fastseg.sample_image(), 4, seed=0)
        print(fastseg.__file__, result.labels.shape, result.palette.shape)
    """)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run([python, "-c", code], elsewhere, env).stdout.split()
    assert Path(out[0]).resolve() == (source / "fastseg" / "__init__.py").resolve()
    assert out[1:] == ["(512,", "512)", "(4,", "3)"]
    assert not compiled_kernel_files(source), "kernels cached beside the source"
    assert not compiled_kernel_files(site)


def test_cv2_distributions_lists_the_installed_one():
    installed = cv2_distributions()
    assert installed and all(name.startswith("opencv") for name, _ in installed)
    assert cv2_conflict(installed[:1]) is None


def test_two_cv2_distributions_are_reported_with_a_fix(tmp_path):
    # A second distribution's metadata, as pip would leave it, found first on the path.
    info = tmp_path / "opencv_python-4.10.0.84.dist-info"
    info.mkdir()
    metadata = "Metadata-Version: 2.1\nName: opencv-python\nVersion: 4.10.0.84\n"
    (info / "METADATA").write_text(metadata)
    code = "from fastseg._config import cv2_conflict; print(cv2_conflict())"
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    message = run([sys.executable, "-c", code], tmp_path, env).stdout
    assert "opencv-python 4.10.0.84" in message
    for name, version in cv2_distributions():
        assert f"{name} {version}" in message
    assert "pip uninstall -y opencv-python " in message
    assert message.strip().endswith("pip install opencv-python")
