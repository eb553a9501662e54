"""Segmentation and Canny edges of images larger than memory, chunk by chunk with Dask.

The drivers here run the same kernels as :func:`fastseg.segment` and :func:`fastseg.canny` over
the chunks of a ``dask.array`` and reduce the chunks' results in a fixed order, so that they give
the in-memory results (see each function's Notes for what is bit-identical). They work with any
Dask scheduler: threads, processes or a ``dask.distributed`` cluster.

Needs the optional dependencies: ``pip install 'fastseg[dask]'``.
"""

from .edges import canny, halo_depth, skimage_canny
from .io import canny_to_zarr, check_output_store, open_image, segment_to_zarr, to_zarr
from .segmentation import DaskSegmentation, segment

__all__ = [
    "DaskSegmentation",
    "canny",
    "canny_to_zarr",
    "check_output_store",
    "halo_depth",
    "open_image",
    "segment",
    "segment_to_zarr",
    "skimage_canny",
    "to_zarr",
]
