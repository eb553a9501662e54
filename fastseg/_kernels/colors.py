"""Distinct 8-bit colours: a table over all 2^24 packed colours, built and read by threads.

A colour (c0, c1, c2) packs into ``c0 << 16 | c1 << 8 | c2``. The table is first the count of
each packed colour, from which the distinct colours are listed in increasing packed order.
Pixels are labelled through a table of labels, one per packed colour.

Only the passes over every pixel (counting, labelling) are split among threads (see
:func:`fastseg._config.run_in_threads`); the passes over the distinct colours or the table take
a few milliseconds even on large images.
"""

import numba
import numpy as np

from .._config import CHUNK_SIZE, kernel

N_COLOURS = 1 << 24
#: Most parts a count is split into, and the table's spare entries: one cache line per part.
MAX_PARTS = 64
TABLE_SIZE = N_COLOURS + 16 * MAX_PARTS


@numba.njit(inline="always")
def _packed(pixels, i):
    """Packed colour of pixel i, unsigned: an index with no wraparound test (see _kernels)."""
    return (
        (np.uint64(pixels[i, 0]) << np.uint64(16))
        | (np.uint64(pixels[i, 1]) << np.uint64(8))
        | np.uint64(pixels[i, 2])
    )


@kernel(opt=1)
def count_colors(pixels, table, distinct_per_part, first_part, part_step):
    """table[code] = number of pixels of each packed colour, counted in parts.

    The table splits into as many equal slices as there are parts. Part p counts only the
    colours of slice p, scanning every pixel: parts never write to the same bin, and the counts
    are exact whatever the number of parts. The loop has no branch: a pixel of another slice is
    counted in the part's spare entry, past the colours, instead (a branch taken at random costs
    more than the increment).

    Parameters
    ----------
    pixels : (n, 3) uint8
    table : (TABLE_SIZE,) uint32, zeroed by the caller; its spare entries are zero again on return
    distinct_per_part : (n_parts,) int64, 1 <= n_parts <= MAX_PARTS (the number of threads is a
        good choice), overwritten with the number of distinct colours in each slice
    first_part, part_step : int, the parts of this call
    """
    n_parts = distinct_per_part.shape[0]
    part_size = np.uint64((N_COLOURS + n_parts - 1) // n_parts)
    for part in range(first_part, n_parts, part_step):
        low = np.uint64(part) * part_size
        spare = np.uint64(N_COLOURS + 16 * part)
        first_seen = 0
        for i in range(pixels.shape[0]):
            code = _packed(pixels, i)
            inside = code - low < part_size  # wraps around below `low`
            index = code if inside else spare
            count = table[index]
            first_seen += count == 0
            table[index] = count + 1
        distinct_per_part[part] = first_seen - (table[spare] != 0)
        table[spare] = 0


@kernel(opt=1)
def gather_distinct(table, part_starts, colours, counts):
    """List the distinct colours and their counts, and set the table back to zero.

    Parameters
    ----------
    table : (TABLE_SIZE,) uint32 counts, from :func:`count_colors`; all zero on return (each
        entry is cleared as it is read, while its cache line is at hand)
    part_starts : (n_parts,) int64, index of the first distinct colour of each slice of the
        table (the slices of :func:`count_colors`)
    colours : (m, 3) uint8, overwritten with the distinct colours, in increasing packed order
    counts : (m,) float64, overwritten with their pixel counts
    """
    n_parts = part_starts.shape[0]
    part_size = (N_COLOURS + n_parts - 1) // n_parts
    for part in range(n_parts):
        index = part_starts[part]
        low = part * part_size
        part_table = table[low : min(low + part_size, N_COLOURS)]  # see _kernels
        for offset in range(part_table.shape[0]):
            count = part_table[offset]
            if count != 0:
                code = low + offset
                colours[index, 0] = (code >> 16) & 255
                colours[index, 1] = (code >> 8) & 255
                colours[index, 2] = code & 255
                counts[index] = count
                part_table[offset] = 0
                index += 1


@kernel(opt=1)
def put_color_labels(colours, colour_labels, label_table):
    """label_table[packed colour of colours[j]] = colour_labels[j] for every j (zeros for
    `colour_labels` set the table back to zero).

    Parameters
    ----------
    colours : (m, 3) uint8, distinct colours
    colour_labels : (m,) integer
    label_table : (2^24,) integer, written at the m packed colours only
    """
    for j in range(colours.shape[0]):
        label_table[_packed(colours, j)] = colour_labels[j]


@kernel(opt=1)
def label_pixels(pixels, label_table, labels, first_chunk, chunk_step):
    """labels[i] = label_table[packed colour of pixel i], for the pixels of the chunks of
    CHUNK_SIZE pixels first_chunk, first_chunk + chunk_step, ...

    Parameters
    ----------
    pixels : (n, 3) uint8
    label_table : (2^24,) integer, the label of each colour present in `pixels`
    labels : (n,) integer, overwritten
    first_chunk, chunk_step : int, the chunks of this call
    """
    n = pixels.shape[0]
    for chunk in range(first_chunk, (n + CHUNK_SIZE - 1) // CHUNK_SIZE, chunk_step):
        start, stop = chunk * CHUNK_SIZE, min(n, (chunk + 1) * CHUNK_SIZE)
        chunk_pixels, chunk_labels = pixels[start:stop], labels[start:stop]  # see _kernels
        for i in range(stop - start):
            chunk_labels[i] = label_table[_packed(chunk_pixels, i)]
