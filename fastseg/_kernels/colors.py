"""Distinct 8-bit colours: a table over all 2^24 packed colours, built and read in parallel.

A colour (c0, c1, c2) packs into ``c0 << 16 | c1 << 8 | c2``. The table is first the count of
each packed colour, then the index of each present colour among the distinct colours (in
increasing packed order), then the label of each colour.
"""

import numba
import numpy as np

from .._config import CHUNK_SIZE, parallel_kernel

N_COLOURS = 1 << 24
#: Bins per block when scanning the table.
TABLE_BLOCK = 1 << 16


@numba.njit(inline="always")
def _packed(pixels, i):
    return (np.int64(pixels[i, 0]) << 16) | (np.int64(pixels[i, 1]) << 8) | np.int64(pixels[i, 2])


@parallel_kernel
def count_colours(pixels, table, n_parts):
    """table[code] = number of pixels of each packed colour.

    Part p counts only the colours of the p-th slice of the table, scanning every pixel: parts
    never write to the same bin, and the counts are exact whatever the number of parts.

    Parameters
    ----------
    pixels : (n, 3) uint8
    table : (2^24,) uint32, zeroed by the caller
    n_parts : int, at least 1 (the number of threads is a good choice)
    """
    part_size = (N_COLOURS + n_parts - 1) // n_parts
    for part in numba.prange(n_parts):
        low = part * part_size
        high = low + part_size
        # Neighbouring pixels often share a colour: add runs, not single pixels.
        run_code = -1
        run_length = 0
        for i in range(pixels.shape[0]):
            code = _packed(pixels, i)
            if code == run_code:
                run_length += 1
                continue
            if low <= run_code < high:
                table[run_code] += run_length
            run_code = code
            run_length = 1
        if low <= run_code < high:
            table[run_code] += run_length


@parallel_kernel
def count_distinct_per_block(table, block_counts):
    """block_counts[b] = number of nonzero bins in block b of the table."""
    for block in numba.prange(block_counts.shape[0]):
        total = 0
        for code in range(block * TABLE_BLOCK, (block + 1) * TABLE_BLOCK):
            total += table[code] != 0
        block_counts[block] = total


@parallel_kernel
def gather_distinct(table, block_starts, colours, counts):
    """List the distinct colours and their counts, and put each one's index in the table.

    Parameters
    ----------
    table : (2^24,) uint32 counts, overwritten with the index of each present colour
    block_starts : (n_blocks,) int64, index of the first distinct colour of each block
    colours : (m, 3) uint8, overwritten with the distinct colours, in increasing packed order
    counts : (m,) float64, overwritten with their pixel counts
    """
    for block in numba.prange(block_starts.shape[0]):
        index = block_starts[block]
        for code in range(block * TABLE_BLOCK, (block + 1) * TABLE_BLOCK):
            count = table[code]
            if count != 0:
                colours[index, 0] = (code >> 16) & 255
                colours[index, 1] = (code >> 8) & 255
                colours[index, 2] = code & 255
                counts[index] = count
                table[code] = index
                index += 1


@parallel_kernel
def label_pixels(pixels, table, colour_labels, labels):
    """labels[i] = colour_labels[table[packed colour of pixel i]].

    Parameters
    ----------
    pixels : (n, 3) uint8
    table : (2^24,) uint32, the index of each present colour among the distinct colours
    colour_labels : (m,) integer, the label of each distinct colour
    labels : (n,) integer, overwritten
    """
    n = pixels.shape[0]
    for chunk in numba.prange((n + CHUNK_SIZE - 1) // CHUNK_SIZE):
        for i in range(chunk * CHUNK_SIZE, min(n, (chunk + 1) * CHUNK_SIZE)):
            labels[i] = colour_labels[table[_packed(pixels, i)]]
