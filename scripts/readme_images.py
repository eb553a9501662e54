"""Draw the pictures of the README's superpixel and region sections into docs/images/.

Usage: python scripts/readme_images.py  (needs scikit-image for its sample photos)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import skimage.data

import fastseg

OUT = Path(__file__).resolve().parent.parent / "docs" / "images"
HEIGHT = 384


def _panel(*pictures: np.ndarray) -> np.ndarray:
    """The pictures side by side at one height, with white gaps."""
    scaled = [
        cv2.resize(
            p, (round(p.shape[1] * HEIGHT / p.shape[0]), HEIGHT), interpolation=cv2.INTER_AREA
        )
        for p in pictures
    ]
    gap = np.full((HEIGHT, 8, 3), 255, dtype=np.uint8)
    parts = []
    for picture in scaled:
        parts += [picture, gap]
    return np.hstack(parts[:-1])


def _mean_colours(image: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Each region painted in its mean colour."""
    counts = np.bincount(regions.ravel())
    means = (
        np.stack([np.bincount(regions.ravel(), image[..., c].ravel()) for c in range(3)], axis=1)
        / np.maximum(counts, 1)[:, None]
    )
    return np.rint(means[regions]).astype(np.uint8)


def _save(name: str, picture: np.ndarray) -> None:
    path = OUT / name
    cv2.imwrite(str(path), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    print(path)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    astronaut = fastseg.sample_image()
    coffee = skimage.data.coffee()
    # Superpixels.
    _save(
        "slic.jpg",
        _panel(
            fastseg.mark_boundaries(astronaut, fastseg.slic(astronaut, 400)),
            fastseg.mark_boundaries(coffee, fastseg.slic(coffee, 250, compactness=20)),
        ),
    )
    # Regions of a colour segmentation: 6 colours, then the connected regions of 300 pixels
    # or more (smaller ones merged into their neighbour of nearest colour).
    result = fastseg.segment(coffee, 6, color_space="lab", seed=0)
    regions = result.regions(min_size=300)
    # Merging: 600 superpixels merged by Ward's cost down to 40 regions.
    superpixels = fastseg.slic(coffee, 600, compactness=20)
    merged = fastseg.merge_regions(superpixels, coffee, n_regions=40)
    _save(
        "regions.jpg",
        _panel(
            fastseg.mark_boundaries(result.recolor(), fastseg.connected_regions(result.labels)),
            fastseg.mark_boundaries(_mean_colours(coffee, regions), regions),
            fastseg.mark_boundaries(_mean_colours(coffee, merged), merged),
        ),
    )


if __name__ == "__main__":
    main()
