import numba
import numpy as np
import pytest
import skimage.data as skimage_data


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
    """Set Numba's thread count for one test; restores it afterwards."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)
