"""VGG synthetic fluorescence-microscopy cells (Lempitsky & Zisserman, NIPS 2010).

200 synthetic images of bacterial cells, each with a dot annotation image
that marks every cell centre with one red pixel; 74 to 317 cells per image
(mean 176). Source: https://www.robots.ox.ac.uk/~vgg/research/counting/cells.zip
(research use). Layout in the data folder: `cells/cells.zip`, holding
`cells/NNNcell.png` (256x256 RGB, cells in the blue channel mostly) and
`cells/NNNdots.png` (256x256 RGB, black with one (255, 0, 0) pixel per cell),
NNN = 001..200. The archive is extracted into the cache once; the decoded
images and dot maps are cached as one `.npz` beside it.

Density maps follow Lempitsky & Zisserman: a unit impulse at every dot,
smoothed with a Gaussian of standard deviation `sigma` pixels
(`scipy.ndimage.gaussian_filter`). The boundary mode is `"reflect"`: mass of a
dot near the border that would fall outside the image is folded back in, so
each map sums to its image's count exactly (checked to 1e-3 relative), and no
mass moves away from its own cell as a global renormalisation would do.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from common import paths
from common.datasets.base import extract, find_file, source_key
from common.errors import InputError
from common.files import atomic_path

URL = "https://www.robots.ox.ac.uk/~vgg/research/counting/cells.zip"
IMAGE_SIZE = 256
TRAIN_IMAGES = 180  # the handout's split: the first 180 images train, the last 20 validate
_CELL_NAME = re.compile(r"^(\d{3})cell\.png$")


def _decode(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except OSError as error:
        raise InputError(
            f"{path} is not a readable PNG ({error}); replace cells.zip with a fresh copy"
        ) from None


def dots_from_annotation(annotation: np.ndarray) -> np.ndarray:
    """The cell centres of one dot-annotation image, as a 0/1 map.

    Args:
        annotation: uint8 (height, width, 3) RGB; a cell centre is a red pixel
            (red > 0 with green and blue below 100; the VGG files use exactly
            (255, 0, 0) on black).

    Returns:
        uint8 (height, width), 1 at every cell centre, else 0.
    """
    red, green, blue = (annotation[..., channel].astype(np.int32) for channel in range(3))
    return ((red > 0) & (green < 100) & (blue < 100)).astype(np.uint8)


def density_map(dots: np.ndarray, sigma: float) -> np.ndarray:
    """A density map that sums to the number of dots.

    Args:
        dots: (height, width) map of cell centres (any numeric dtype; a value
            n > 1 counts n cells).
        sigma: standard deviation of the Gaussian in pixels (> 0).

    Returns:
        float32 (height, width), non-negative; its sum equals `dots.sum()`
        (to 1e-3 relative: `"reflect"` boundaries keep all the mass inside).

    Raises:
        ValueError: `sigma` is not positive.
    """
    from scipy.ndimage import gaussian_filter

    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    density = gaussian_filter(dots.astype(np.float64), sigma=sigma, mode="reflect", truncate=4.0)
    count = float(dots.sum())
    if abs(density.sum() - count) > 1e-3 * max(count, 1.0):
        raise ValueError(f"density map sums to {density.sum():.4f}, expected {count:.0f}")
    return density.astype(np.float32)


def _read_folder(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (n, 256, 256, 3) and dot maps (n, 256, 256) from NNNcell/NNNdots.png."""
    cells = sorted(
        (p for p in folder.rglob("*cell.png") if _CELL_NAME.match(p.name)), key=lambda p: p.name
    )
    if not cells:
        raise InputError(
            f"{folder} holds no NNNcell.png images; cells.zip is not the VGG cells archive"
        )
    images, dots = [], []
    for cell in cells:
        annotation = cell.with_name(cell.name.replace("cell.png", "dots.png"))
        if not annotation.is_file():
            raise InputError(
                f"{cell} has no dot annotation {annotation.name}; cells.zip is incomplete"
            )
        image, annotation_image = _decode(cell), _decode(annotation)
        if image.shape != annotation_image.shape:
            raise InputError(
                f"{cell.name} and {annotation.name} differ in size: "
                f"{image.shape} vs {annotation_image.shape}"
            )
        images.append(image)
        dots.append(dots_from_annotation(annotation_image))
    if len({image.shape for image in images}) != 1:
        raise InputError(f"the images in {folder} differ in size")
    return np.stack(images), np.stack(dots)


def load_cells_raw(data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The images and dot maps, decoded once and cached.

    Returns:
        `(images, dots)`: uint8 (n, 256, 256, 3) with values 0..255, and uint8
        (n, 256, 256) with 1 at each cell centre; n = 200 for the VGG set,
        ordered by file number.

    Raises:
        DatasetNotFoundError: no local copy and no network.
        InputError: a corrupt or incomplete archive.
    """
    archive = find_file("cells/cells.zip", URL, data_dir, None, "VGG synthetic cells (cells.zip)")
    cache = paths.cache_dir("cells") / f"cells-{source_key(archive)}.npz"
    if cache.is_file():
        try:
            with np.load(cache) as data:
                return data["images"], data["dots"]
        except (OSError, KeyError, ValueError):
            cache.unlink(missing_ok=True)  # a damaged cache: decode again
    folder = extract(archive, "cells")
    images, dots = _read_folder(folder)
    with atomic_path(cache, suffix=".npz") as temporary:
        np.savez(temporary, images=images, dots=dots)
    return images, dots


def load_cells(data_dir=None, sigma: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The VGG cells with density maps and counts.

    The handout's split is by position: `[:180]` trains, `[180:]` validates
    (images 181-200); `TRAIN_IMAGES` holds 180.

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).
        sigma: standard deviation (pixels) of the Gaussian put on each dot.

    Returns:
        `(images, density_maps, counts)`: float32 (200, 256, 256, 3) in [0, 1];
        float32 (200, 256, 256, 1), non-negative, each summing to its count;
        float32 (200,) cell counts (74..317 for the VGG set).

    Raises:
        DatasetNotFoundError: no local copy and no network.
        InputError: a corrupt archive.
        ValueError: `sigma` is not positive.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    images, dots = load_cells_raw(data_dir)
    densities = np.stack([density_map(d, sigma) for d in dots])[..., None]
    counts = dots.reshape(len(dots), -1).sum(axis=1).astype(np.float32)
    return images.astype(np.float32) / 255.0, densities, counts


def augment(image, density, crop_size: int, seed):
    """A random `crop_size` crop, left-right / up-down flip and 90-degree rotation of both tensors.

    The image and its density map are cut at the same offsets and turned as
    one 4-channel tensor (`common.datasets.pipeline.random_crop_flip_rotate`),
    so the two never disagree.

    Args:
        image: float32 (height, width, 3).
        density: float32 (height, width, 1).
        crop_size: side of the square crop (at most height and width).
        seed: int64 (2,) stateless seed of this example (`map_with_seeds`).

    Returns:
        `(image, density)` of shapes (crop_size, crop_size, 3) and (crop_size, crop_size, 1).
    """
    from common.datasets.pipeline import random_crop_flip_rotate

    stacked = random_crop_flip_rotate((image, density), crop_size, seed)
    return stacked[..., :3], stacked[..., 3:]


def tiles(array: np.ndarray, size: int) -> np.ndarray:
    """Cut (n, h, w, c) into non-overlapping tiles (n * (h // size) * (w // size), size, size, c).

    Tiles are ordered image by image, row by row; a remainder at the bottom
    or right edge is left out.
    """
    n, height, width, channels = array.shape
    rows, columns = height // size, width // size
    array = array[:, : rows * size, : columns * size]
    array = array.reshape(n, rows, size, columns, size, channels).transpose(0, 1, 3, 2, 4, 5)
    return array.reshape(n * rows * columns, size, size, channels)


def tile_targets(images, densities, size: int, density_scale: float, targets: str):
    """Validation tiles of `size` and their targets, no augmentation.

    Args:
        images: float32 (n, h, w, 3).
        densities: float32 (n, h, w, 1), density maps multiplied by `density_scale`.
        targets: "density" (the tiles of the scaled maps) or "count" (each
            tile's count in cells, float32 (tiles, 1)).

    Returns:
        `(image_tiles, labels)`, both float32, one row per tile (`tiles`).
    """
    image_tiles, density_tiles = tiles(images, size), tiles(densities, size)
    if targets == "count":
        labels = density_tiles.sum(axis=(1, 2)) / density_scale  # (tiles, 1)
    else:
        labels = density_tiles
    return image_tiles, labels.astype("float32")


def split_cells(data_dir=None, sigma: float = 2.0, density_scale: float = 100.0) -> dict:
    """`load_cells`, split as the handout does: images 1-180 train, 181-200 validate.

    Returns:
        {"x_train", "x_val"}: float32 images (n, 256, 256, 3) in [0, 1];
        {"d_train", "d_val"}: float32 density maps (n, 256, 256, 1) multiplied
        by `density_scale`; {"c_train", "c_val"}: float32 counts (n,) in cells.

    Raises:
        as `load_cells`.
    """
    images, densities, counts = load_cells(data_dir, sigma=sigma)
    scaled = densities * density_scale
    return {
        "x_train": images[:TRAIN_IMAGES],
        "x_val": images[TRAIN_IMAGES:],
        "d_train": scaled[:TRAIN_IMAGES],
        "d_val": scaled[TRAIN_IMAGES:],
        "c_train": counts[:TRAIN_IMAGES],
        "c_val": counts[TRAIN_IMAGES:],
    }
