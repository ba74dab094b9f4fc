"""Super-resolution benchmark images: CSet5, CSet14 and CBSD68, and the x2 degradation.

- CSet5 (Bevilacqua et al. 2012): 5 colour images, 228x344 to 512x512.
- CSet14 (Zeyde et al. 2010): 14 images, 250x361 to 768x512 (bridge.png is
  grayscale; it is returned as RGB with three equal channels).
- CBSD68 (Martin et al. 2001, the Berkeley segmentation test images in
  colour): 68 images of 481x321 or 321x481, used here for training.

Layout in the data folder: loose PNG files in `sr/CSet5/`, `sr/CSet14/` and
`sr/CBSD68/`, as in the GitHub repository majedelhelou/denoising_datasets
(https://github.com/majedelhelou/denoising_datasets, folders `CSet5`,
`CSet14`, `CBSD68`), research use. These are folders of images with no single
canonical archive to download, so `common.datasets.base.find_file` (one file,
one URL) does not apply; `find_image_folder` follows the same order for a
folder: the data folder, then the cache (`<cache>/sr/<name>/`, where a user
may put a copy), else a `DatasetNotFoundError` that names both places and the
repository to copy the folder from.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from common import paths
from common.errors import DatasetNotFoundError, InputError

ORIGIN = "https://github.com/majedelhelou/denoising_datasets"
SETS = {"CSet5": 5, "CSet14": 14, "CBSD68": 68}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def find_image_folder(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds the images of one benchmark set.

    Looks in `<data folder>/sr/<name>/` (`data_dir`, else
    `$ASSIGNMENTS_DATA_DIR`), then in `<cache>/sr/<name>/`; a folder counts
    only if it holds at least one image file.

    Raises:
        InputError: an unknown set name, or `data_dir` given but not a folder.
        DatasetNotFoundError: neither place holds the images (the message
            names both folders and the repository to copy them from).
    """
    if name not in SETS:
        raise InputError(f"unknown super-resolution set {name!r}; choose one of {', '.join(SETS)}")
    folder = paths.data_dir(data_dir)
    if folder is not None and not folder.is_dir():
        raise InputError(
            f"the data folder {folder} does not exist; pass --data-dir or set "
            f"${paths.DATA_ENV} to a folder that holds sr/{name}/"
        )
    candidates = ([folder / "sr" / name] if folder is not None else []) + [
        paths.cache_dir() / "sr" / name
    ]
    for candidate in candidates:
        if _images_in(candidate):
            return candidate
    searched = " and ".join(str(c) for c in candidates)
    unset = "" if folder is not None else f" (no data folder: --data-dir / ${paths.DATA_ENV} unset)"
    raise DatasetNotFoundError(
        f"super-resolution set {name} ({SETS[name]} images) not found: searched {searched}{unset}. "
        f"Copy the folder {name}/ of {ORIGIN} to <data folder>/sr/{name}/, then pass --data-dir "
        f"<data folder> or set ${paths.DATA_ENV}."
    )


def load_sr_images(name: str, data_dir: str | os.PathLike | None = None) -> list[np.ndarray]:
    """The images of one set, sorted by file name.

    Args:
        name: "CSet5", "CSet14" or "CBSD68".
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
        A list of uint8 arrays (height, width, 3), values 0..255; sizes
        differ between images. Grayscale files are repeated to three
        channels, alpha channels dropped.

    Raises:
        InputError: an unknown name or an unreadable image.
        DatasetNotFoundError: the folder is missing (see `find_image_folder`).
    """
    from PIL import Image

    images = []
    for path in _images_in(find_image_folder(name, data_dir)):
        try:
            with Image.open(path) as image:
                images.append(np.asarray(image.convert("RGB"), dtype=np.uint8))
        except OSError as error:
            raise InputError(
                f"{path} is not a readable image ({error}); replace it with a fresh copy"
            ) from None
    return images


def sr_image_names(name: str, data_dir: str | os.PathLike | None = None) -> list[str]:
    """The file names (without extension) of one set, in the order of `load_sr_images`."""
    return [path.stem for path in _images_in(find_image_folder(name, data_dir))]


def crop_to_multiple(image, scale: int):
    """Crop the bottom and right edges so height and width are multiples of `scale`.

    Args:
        image: (height, width, channels) or (batch, height, width, channels) array or tensor.
        scale: the super-resolution factor (>= 1).
    """
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    height, width = image.shape[-3], image.shape[-2]
    return image[..., : height - height % scale, : width - width % scale, :]


def make_lr(hr, scale: int = 2):
    """The low-resolution input of a high-resolution image: bicubic down by `scale`, then up.

    Both resizes are `tf.image.resize(method="bicubic", antialias=True)`; the
    result has the size of `hr` cropped to a multiple of `scale` (as SRCNN's
    "interpolated" input), and is clipped to [0, 1].

    Args:
        hr: float (height, width, 3) or (batch, height, width, 3) in [0, 1];
            uint8 input is scaled by 1/255 first.
        scale: the downscaling factor (>= 1).

    Returns:
        `(hr_cropped, lr_upscaled)`: two float32 tensors of the same shape,
        height and width the largest multiples of `scale` that fit.

    Raises:
        ValueError: `scale` < 1, or an image smaller than `scale` pixels.
    """
    import tensorflow as tf

    hr = _as_float(hr)
    hr = crop_to_multiple(hr, scale)
    height, width = int(hr.shape[-3]), int(hr.shape[-2])
    upscaled = tf.image.resize(
        downscale(hr, scale), (height, width), method="bicubic", antialias=True
    )
    return hr, tf.clip_by_value(upscaled, 0.0, 1.0)


def _as_float(image):
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    return (
        tf.cast(image, tf.float32) / 255.0
        if image.dtype == tf.uint8
        else tf.cast(image, tf.float32)
    )


def downscale(hr, scale: int = 2):
    """The low-resolution image itself: `hr` (cropped to a multiple of `scale`) resized 1/`scale`.

    `tf.image.resize(method="bicubic", antialias=True)`; float32, not clipped
    (bicubic overshoots slightly); uint8 input is scaled by 1/255 first.

    Raises:
        ValueError: `scale` < 1, or an image smaller than `scale` pixels.
    """
    import tensorflow as tf

    hr = crop_to_multiple(_as_float(hr), scale)
    height, width = int(hr.shape[-3]), int(hr.shape[-2])
    if height < scale or width < scale:
        raise ValueError(f"image of {height}x{width} pixels is smaller than the scale {scale}")
    return tf.image.resize(hr, (height // scale, width // scale), method="bicubic", antialias=True)


def load_pet_squares(count: int, size: int = 256) -> list[np.ndarray]:
    """The first `count` Oxford-IIIT Pet training photos (tensorflow-datasets), as squares.

    Oxford-IIIT Pet (Parkhi et al. 2012, CC BY-SA 4.0) needs a network. The
    photos differ in size: a centred square of each is kept and resized to
    `size` x `size` (`tf.image.resize`, bilinear, antialiased).

    Returns:
        uint8 (size, size, 3) images.

    Raises:
        DatasetNotFoundError: tensorflow-datasets could not load the set (offline).
    """
    import tensorflow as tf

    try:
        import tensorflow_datasets as tfds

        dataset = tfds.load("oxford_iiit_pet", split="train", as_supervised=False)
        images = [example["image"].numpy() for example in dataset.take(count)]
    except Exception as error:  # offline, tfds raises several kinds of download errors
        raise DatasetNotFoundError(
            "Oxford-IIIT Pet could not be loaded through tensorflow-datasets "
            f"({type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}); "
            "it needs a network. Offline, use --train-data CBSD68."
        ) from None
    squares = []
    for image in images:
        side = min(image.shape[:2])
        top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
        square = tf.image.resize(
            image[top : top + side, left : left + side], (size, size), antialias=True
        )
        squares.append(np.clip(np.round(square.numpy()), 0, 255).astype(np.uint8))
    return squares


def training_pairs(images: list[np.ndarray], scale: int) -> np.ndarray:
    """Stack (bicubic input, HR) pairs of every image into one float32 array.

    Each image is degraded as a whole (`make_lr`), so patches cut later carry
    no border effects of the resize.

    Args:
        images: uint8 (h, w, 3) HR images of any sizes.
        scale: the SR factor.

    Returns:
        float32 (n, height, width, 6) in [0, 1]: channels 0-2 the bicubic
        input (`make_lr`), 3-5 the HR image; height and width are the
        smallest over the (portrait ones turned to landscape) images, cropped
        to a multiple of `scale`, every image cropped at its centre.
    """
    import tensorflow as tf

    landscape = [np.rot90(image) if image.shape[0] > image.shape[1] else image for image in images]
    height = min(image.shape[0] for image in landscape) // scale * scale
    width = min(image.shape[1] for image in landscape) // scale * scale
    pairs = []
    for image in landscape:
        hr, lr = make_lr(image, scale)
        top, left = (
            (hr.shape[0] - height) // 2 // scale * scale,
            (hr.shape[1] - width) // 2 // scale * scale,
        )
        pair = tf.concat([lr, hr], axis=-1)[top : top + height, left : left + width]
        pairs.append(pair.numpy())
    return np.stack(pairs)


def centre_crops(pairs: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The centred `size` x `size` crop of each `training_pairs` pair: (bicubic inputs, HR targets).

    Both float32 (n, size, size, 3).
    """
    top, left = (pairs.shape[1] - size) // 2, (pairs.shape[2] - size) // 2
    crops = pairs[:, top : top + size, left : left + size]
    return crops[..., :3], crops[..., 3:]
