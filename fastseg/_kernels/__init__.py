"""Numba kernels: no defaults, no validation; they fill buffers their callers allocate.

Hot loops index views that start at 0 (``rows = values[start:stop]``, then ``rows[i]``) or use
unsigned indices, never ``values[start + i]``: Numba cannot prove such an index non-negative, so
every access pays a wraparound test, which also keeps the loop from being vectorised (the
Lloyd pass ran about a quarter slower that way).

Arrays are filled by loops, not by slice assignments (``out[:m] = 0.0``) or array expressions:
those compile Numba's broadcasting and its error paths into the kernel, which lengthens the
first call (compile time) for no speed.
"""
