import numba
import numpy as np

from .._config import CHUNK_SIZE, parallel_kernel


@parallel_kernel
def all_finite(values):
    """True when no element of the 2-D array `values` is NaN or infinite."""
    n_rows = values.shape[0]
    n_chunks = (n_rows + CHUNK_SIZE - 1) // CHUNK_SIZE
    bad = np.zeros(n_chunks, dtype=np.uint8)
    for chunk in numba.prange(n_chunks):
        rows = values[chunk * CHUNK_SIZE : (chunk + 1) * CHUNK_SIZE]  # see _kernels
        for i in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                if not np.isfinite(rows[i, j]):
                    bad[chunk] = 1
    return not bad.any()


@parallel_kernel
def finite_range(values, low_high):
    """True when no element of the 2-D array `values` is NaN or infinite; then `low_high` holds
    the smallest and the largest element."""
    n_rows = values.shape[0]
    n_chunks = (n_rows + CHUNK_SIZE - 1) // CHUNK_SIZE
    bad = np.zeros(n_chunks, dtype=np.uint8)
    lows = np.full(n_chunks, np.inf)
    highs = np.full(n_chunks, -np.inf)
    for chunk in numba.prange(n_chunks):
        rows = values[chunk * CHUNK_SIZE : (chunk + 1) * CHUNK_SIZE]  # see _kernels
        low, high = np.inf, -np.inf
        for i in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                value = np.float64(rows[i, j])
                if not np.isfinite(value):
                    bad[chunk] = 1
                low = min(low, value)
                high = max(high, value)
        lows[chunk] = low
        highs[chunk] = high
    low_high[0] = lows.min()
    low_high[1] = highs.max()
    return not bad.any()


@parallel_kernel
def integer_span(values):
    """Largest |values[i, j] - values[0, j]| over the 2-D array, or inf if a value is not an
    integer (integer dtypes always are)."""
    n_rows = values.shape[0]
    n_chunks = (n_rows + CHUNK_SIZE - 1) // CHUNK_SIZE
    spans = np.zeros(n_chunks)
    for chunk in numba.prange(n_chunks):
        rows = values[chunk * CHUNK_SIZE : (chunk + 1) * CHUNK_SIZE]
        span = 0.0
        for i in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                value = np.float64(rows[i, j])
                if value != np.floor(value):
                    span = np.inf
                span = max(span, abs(value - np.float64(values[0, j])))
        spans[chunk] = span
    return spans.max()
