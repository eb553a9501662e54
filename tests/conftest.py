import numpy as np
import pytest
import skimage.data as skimage_data

import fastseg


@pytest.fixture(scope="session")
def photos():
    """Real RGB photos from scikit-image's sample data, by name."""
    return {
        "astronaut": skimage_data.astronaut(),
        "coffee": skimage_data.coffee(),
        "chelsea": skimage_data.chelsea(),
    }


@pytest.fixture
def n_threads():
    """Set fastseg's thread count for one test; restores it afterwards."""
    from fastseg import _config

    before = _config._num_threads
    yield fastseg.set_num_threads
    _config._num_threads = before


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)


@pytest.fixture
def run_patched_cli():
    """Run ``fastseg.cli.main(argv)`` in a fresh process after `patch`, Python source that
    replaces a system call (to simulate a full disk or a refused read, say)."""
    import subprocess
    import sys

    def run(patch: str, argv: list[str], cwd) -> subprocess.CompletedProcess:
        code = f"import sys\n{patch}\nfrom fastseg.cli import main\nsys.exit(main({argv!r}))\n"
        return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                              text=True, timeout=300)  # fmt: skip

    return run
