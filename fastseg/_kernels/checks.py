"""Checks of input values, chunk by chunk (see :func:`fastseg._config.run_in_threads`)."""

import numpy as np

from .._config import CHUNK_SIZE, kernel


@kernel(opt=1)
def chunk_ranges(values, ranges, first_chunk, chunk_step):
    """Per chunk of CHUNK_SIZE rows of the 2-D array `values`: ranges[c] = (smallest element,
    largest element, 1.0 if some element is NaN or infinite else 0.0), for the chunks
    first_chunk, first_chunk + chunk_step, ...; `ranges` is (n_chunks, 3) float64."""
    n_rows = values.shape[0]
    for chunk in range(first_chunk, ranges.shape[0], chunk_step):
        rows = values[chunk * CHUNK_SIZE : min(n_rows, (chunk + 1) * CHUNK_SIZE)]  # see _kernels
        low, high = np.inf, -np.inf
        bad = 0.0
        for i in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                value = np.float64(rows[i, j])
                if not np.isfinite(value):
                    bad = 1.0
                low = min(low, value)
                high = max(high, value)
        ranges[chunk, 0] = low
        ranges[chunk, 1] = high
        ranges[chunk, 2] = bad


@kernel(opt=1)
def chunk_integer_spans(values, spans, first_chunk, chunk_step):
    """Per chunk of CHUNK_SIZE rows of the 2-D array `values`: spans[c] = the largest
    |values[i, j] - values[0, j]| over its rows, or inf if an element is not an integer (those
    of integer dtypes always are), for the chunks first_chunk, first_chunk + chunk_step, ..."""
    n_rows = values.shape[0]
    for chunk in range(first_chunk, spans.shape[0], chunk_step):
        rows = values[chunk * CHUNK_SIZE : min(n_rows, (chunk + 1) * CHUNK_SIZE)]
        span = 0.0
        for i in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                value = np.float64(rows[i, j])
                if value != np.floor(value):
                    span = np.inf
                span = max(span, abs(value - np.float64(values[0, j])))
        spans[chunk] = span
