"""Numba kernels: no defaults, no validation; they fill buffers their callers allocate."""
