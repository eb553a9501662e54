import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

# The peers registry lives with the tests, which compare against the same peers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

MEGAPIXELS = {1: (1155, 866), 4: (2310, 1732), 12: (4000, 3000)}


@pytest.fixture(scope="session")
def photo_at():
    """The astronaut photo resized (bilinear) to about 1, 4 or 12 megapixels, cached."""
    cache = {}

    def make(megapixels: int) -> np.ndarray:
        if megapixels not in cache:
            size = MEGAPIXELS[megapixels]
            cache[megapixels] = cv2.resize(
                skimage.data.astronaut(), size, interpolation=cv2.INTER_LINEAR
            )
        return cache[megapixels]

    return make
