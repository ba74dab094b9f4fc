"""CIFAR-10 (Krizhevsky, 2009): 60,000 colour images of 32x32 pixels in 10 classes.

Sources, in the order they are tried by `load_cifar10`:

1. `cifar10/cifar10_jpg.tar.gz` in the data folder (or the cache): image
   folders `train/<class>/NNNN.jpg` (5,000 per class) and
   `test/<class>/NNNN.jpg` (1,000 per class), 32x32 RGB JPEG at quality 75.
   The JPEGs are decoded once, straight from the archive, into the cache as
   `<cache>/cifar10/cifar10-jpg-<size>-<mtime>.npz` (uncompressed: it loads
   in under a second), a name tied to the archive, so a replaced archive is
   decoded afresh. JPEG compression costs a little accuracy against the
   lossless set, so every result says which copy it came from (`source`);
2. the lossless original, https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz
   (about 170 MB), downloaded once with `keras.utils.get_file` into the
   cache (never into `~/.keras`) and kept there as
   `<cache>/cifar10/cifar10-lossless.npz`; offline it fails within a second;
3. otherwise `DatasetNotFoundError` naming the folder, the file and the URL.

Licence: research use (the CIFAR-10 page asks to cite Krizhevsky, 2009,
"Learning Multiple Layers of Features from Tiny Images").
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np

from common import paths
from common.datasets.base import find_file, source_key
from common.errors import DatasetNotFoundError, InputError
from common.files import atomic_path

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE = "cifar10/cifar10_jpg.tar.gz"
LOSSLESS_NAME = "cifar10-lossless.npz"
CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
SOURCE_LOSSLESS = "cifar-10-python.tar.gz (lossless)"
SOURCE_JPEG = "cifar10_jpg.tar.gz (JPEG q75)"
IMAGE_SHAPE = (32, 32, 3)


def load_cifar10(data_dir=None):
    """Load CIFAR-10 as numpy arrays, and say which copy they came from.

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
        `((x_train, y_train), (x_test, y_test), source)`: images uint8 of
        shape (50000, 32, 32, 3) and (10000, 32, 32, 3), RGB, values 0..255;
        labels uint8 of shape (50000,) and (10000,), values 0..9 indexing
        `CLASS_NAMES`; `source` is `SOURCE_JPEG` ("cifar10_jpg.tar.gz (JPEG
        q75)") or `SOURCE_LOSSLESS` ("cifar-10-python.tar.gz (lossless)").
        The lossless copy keeps the original order; the JPEG copy is shuffled
        once with a fixed seed (the archive is sorted by class).

    Raises:
        DatasetNotFoundError: no archive in the data folder or the cache, no
            cached lossless copy and no network.
        InputError: the archive, the download or a cached npz is corrupt, or
            the archive holds a folder that is not a CIFAR-10 class.
    """
    try:
        archive = find_file(ARCHIVE, None, data_dir, None, "CIFAR-10 (cifar10_jpg.tar.gz)")
    except DatasetNotFoundError as error:
        missing = error
    else:
        cached = paths.cache_dir("cifar10") / f"cifar10-jpg-{source_key(archive)}.npz"
        arrays = _read_npz(cached)
        if arrays is None:
            arrays = decode_jpeg_archive(archive)
            _write_npz(cached, *arrays)
        return _checked(*arrays, SOURCE_JPEG, str(archive))
    lossless = paths.cache_dir("cifar10") / LOSSLESS_NAME
    arrays = _read_npz(lossless)
    if arrays is None:
        try:
            arrays = _download_lossless()
        except DatasetNotFoundError as error:
            raise DatasetNotFoundError(
                f"{missing} The download of {URL} failed too: {error}"
            ) from None
        _write_npz(lossless, *arrays)
    return _checked(*arrays, SOURCE_LOSSLESS, URL)


def _download_lossless():
    """The lossless python release, fetched into the cache: (x_train, y_train, x_test, y_test).

    Raises DatasetNotFoundError when the download fails, InputError when the
    downloaded batches cannot be read.
    """
    import pickle

    import keras

    folder = paths.cache_dir("cifar10")
    try:
        path = keras.utils.get_file(
            "cifar-10-batches-py", URL, extract=True, cache_dir=str(folder), cache_subdir="."
        )
    except Exception as error:  # network errors come in many types
        raise DatasetNotFoundError(f"{type(error).__name__}: {str(error)[:120]}") from None
    batches = Path(path)
    if not (batches / "test_batch").is_file():
        batches = batches / "cifar-10-batches-py"

    def read(name):
        try:
            with open(batches / name, "rb") as file:
                batch = pickle.load(file, encoding="bytes")
            images = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            return images.transpose(0, 2, 3, 1), np.asarray(batch[b"labels"], dtype=np.uint8)
        except (OSError, KeyError, ValueError, EOFError, pickle.UnpicklingError) as error:
            raise InputError(
                f"{batches / name} is unreadable ({type(error).__name__}); delete {folder} "
                "and run again"
            ) from None

    train = [read(f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = read("test_batch")
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return x_train, y_train, x_test, y_test


def decode_jpeg_archive(archive: str | os.PathLike, seed: int = 0):
    """Decode every `{train,test}/<class>/*.jpg` of a tar archive, without extracting it.

    Args:
        archive: a .tar / .tar.gz whose members are `train/<class>/<name>.jpg`
            and `test/<class>/<name>.jpg`, `<class>` one of `CLASS_NAMES`
            (a leading folder, e.g. `cifar10/train/...`, is allowed).
        seed: seed of the shuffle of each split.

    Returns:
        `(x_train, y_train, x_test, y_test)`: uint8 arrays of shape
        (n, 32, 32, 3) and (n,), each split shuffled.

    Raises:
        InputError: a corrupt archive or image, a folder that is not a class,
            an image that is not 32x32, or a split with no images.
    """
    from PIL import Image
    from tqdm.auto import tqdm

    class_ids = {name: index for index, name in enumerate(CLASS_NAMES)}
    images = {"train": [], "test": []}
    labels = {"train": [], "test": []}
    try:
        with (
            open(archive, "rb") as raw,
            tarfile.open(fileobj=raw, mode="r:*") as bundle,
            tqdm(
                total=os.path.getsize(archive),
                desc=f"decoding {Path(archive).name}",
                unit="B",
                unit_scale=True,
                mininterval=1.0,
            ) as progress,
        ):
            for (
                member
            ) in bundle:  # one forward pass through the compressed stream, nothing extracted
                progress.update(raw.tell() - progress.n)
                parts = Path(member.name).parts
                if not member.isfile() or not member.name.lower().endswith((".jpg", ".jpeg")):
                    continue
                if len(parts) < 3 or parts[-3] not in images:
                    continue  # not under train/ or test/
                split, folder = parts[-3], parts[-2]
                if folder not in class_ids:
                    raise InputError(
                        f"{archive}: folder {split}/{folder}/ is not a CIFAR-10 class "
                        f"(expected one of {', '.join(CLASS_NAMES)})"
                    )
                data = bundle.extractfile(member).read()
                try:
                    with Image.open(io.BytesIO(data)) as image:
                        pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
                except (OSError, SyntaxError, ValueError) as error:
                    raise InputError(
                        f"{archive}: {member.name} is not a readable image ({error})"
                    ) from None
                if pixels.shape != IMAGE_SHAPE:
                    raise InputError(
                        f"{archive}: {member.name} has shape {pixels.shape}, expected {IMAGE_SHAPE}"
                    )
                images[split].append(pixels)
                labels[split].append(class_ids[folder])
            progress.update(progress.total - progress.n)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(
            f"{archive} could not be read ({type(error).__name__}: {error}); "
            "it is corrupt or incomplete: "
            "replace it with a fresh copy"
        ) from None
    arrays = []
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        if not images[split]:
            raise InputError(
                f"{archive}: no images under {split}/<class>/; "
                f"expected the layout {split}/airplane/0000.jpg"
            )
        order = rng.permutation(len(images[split]))
        arrays += [np.stack(images[split])[order], np.asarray(labels[split], dtype=np.uint8)[order]]
    return tuple(arrays)


def _checked(x_train, y_train, x_test, y_test, source: str, origin: str):
    """Labels flattened to (n,) uint8; shapes checked."""
    y_train = np.asarray(y_train).reshape(-1).astype(np.uint8)
    y_test = np.asarray(y_test).reshape(-1).astype(np.uint8)
    x_train, x_test = np.asarray(x_train, dtype=np.uint8), np.asarray(x_test, dtype=np.uint8)
    if (
        x_train.shape[1:] != IMAGE_SHAPE
        or x_test.shape[1:] != IMAGE_SHAPE
        or len(x_train) != len(y_train)
        or len(x_test) != len(y_test)
    ):
        raise InputError(
            f"{origin}: unexpected shapes {x_train.shape}, {y_train.shape}, "
            f"{x_test.shape}, {y_test.shape}"
        )
    if max(y_train.max(initial=0), y_test.max(initial=0)) >= len(CLASS_NAMES):
        raise InputError(f"{origin}: labels outside 0..{len(CLASS_NAMES) - 1}")
    return (x_train, y_train), (x_test, y_test), source


def _read_npz(path: Path):
    """`(x_train, y_train, x_test, y_test)` from a cached npz, or None when there is none.

    Raises InputError when the file is there but unreadable.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            return tuple(data[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    except (OSError, KeyError, ValueError, EOFError) as error:
        raise InputError(
            f"the cached {path} is corrupt ({type(error).__name__}: {error}); "
            "delete it and run again"
        ) from None


def _write_npz(path: Path, x_train, y_train, x_test, y_test) -> Path:
    """Save the arrays as an npz in the cache, atomically (temporary file + rename).

    Not compressed: decoded JPEG pixels compress by only about 7% with zlib
    (171 MB instead of 184 MB, measured), while decompressing costs seconds
    on every load; the uncompressed file loads in well under a second.
    """
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


# Per-channel mean and standard deviation of the CIFAR-10 training images (RGB, 0..255).
CHANNEL_MEAN = (125.3, 123.0, 113.9)
CHANNEL_STD = (63.0, 62.1, 66.7)


def split_cifar10(
    train,
    test,
    validation_samples: int = 5000,
    train_samples: int = 0,
    test_samples: int = 0,
    seed: int = 0,
):
    """Hold out validation images from the training images, then cut train and test to size.

    Args:
        train, test: `(images, labels)` pairs as `load_cifar10` returns them.
        validation_samples: training images held out for validation (a seeded random choice).
        train_samples: training images kept after the hold-out (0: all the rest).
        test_samples: test images kept, a random subset (seed + 1) in their original order
            (0: all).
        seed: seed of the choices.

    Returns:
        `(train, validation, test)`, each an `(images, labels)` pair of the input's dtypes.

    Raises:
        InputError: the hold-out leaves no training images.
    """
    (x_train, y_train), (x_test, y_test) = train, test
    if validation_samples >= len(x_train):
        raise InputError(
            f"--validation-samples {validation_samples} leaves no training images "
            f"(of {len(x_train)})"
        )
    order = np.random.default_rng(seed).permutation(len(x_train))
    validation, training = order[:validation_samples], order[validation_samples:]
    if train_samples:
        training = training[:train_samples]
    if test_samples and test_samples < len(x_test):
        shuffled = np.random.default_rng(seed + 1).permutation(len(x_test))
        keep = np.sort(shuffled[:test_samples])
        x_test, y_test = x_test[keep], y_test[keep]
    training_pair = (x_train[training], y_train[training])
    return training_pair, (x_train[validation], y_train[validation]), (x_test, y_test)


def augment_images(images, seed, padding: int = 4):
    """Random horizontal flip and random crop after zero padding, drawn per image (tf ops).

    Args:
        images: float32 tensor (batch, height, width, channels).
        seed: int32/int64 (2,) stateless seed of this batch.
        padding: pixels of zeros added on each side before cropping back to
            (height, width): a shift of up to `padding` pixels; 0 disables the crop.

    Returns:
        A float32 tensor of the same shape; each image flipped with probability 1/2.
    """
    import tensorflow as tf

    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    flip_seed, crop_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    flip = tf.random.stateless_uniform([batch, 1, 1, 1], flip_seed) < 0.5
    images = tf.where(flip, tf.reverse(images, axis=[2]), images)
    if padding <= 0:
        return images
    padded = tf.pad(images, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
    offsets = tf.random.stateless_uniform(  # 0..2*padding
        [batch, 2], crop_seed, minval=0, maxval=2 * padding + 1, dtype=tf.int32
    )
    rows = offsets[:, :1] + tf.range(height)[tf.newaxis, :]  # (batch, height)
    columns = offsets[:, 1:] + tf.range(width)[tf.newaxis, :]  # (batch, width)
    images = tf.gather(
        padded, rows, axis=1, batch_dims=1
    )  # (batch, height, width + 2 padding, channels)
    return tf.gather(images, columns, axis=2, batch_dims=1)


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    shuffle_seed: int | None = None,
    augment_seed: int | None = None,
    padding: int = 4,
):
    """Batches of (float32 images 0..255 of shape (batch, 32, 32, 3), int32 labels (batch,)).

    The images stay uint8 in memory; each batch is cast to float32. With
    `augment_seed`, each batch gets its own seed for stateless random ops
    (`common.datasets.pipeline.map_with_seeds`): every epoch new crops and
    flips, every run of the same seed the same ones.

    Args:
        images: uint8 (n, 32, 32, 3); labels: integers (n,).
        batch_size: images per batch (the last batch may be smaller).
        shuffle_seed: shuffle every epoch with this seed (None: keep the order).
        augment_seed: augment every batch with `augment_images`, seeds drawn from
            this one (None: no augmentation).
        padding: the crop padding passed to `augment_images`.

    Returns:
        A prefetched `tf.data.Dataset`.
    """
    import tensorflow as tf

    from common.datasets.pipeline import PARALLEL_CALLS, map_with_seeds, prefetched

    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    as_float = lambda batch_images, batch_labels: (tf.cast(batch_images, tf.float32), batch_labels)
    if augment_seed is None:
        return prefetched(dataset.map(as_float, num_parallel_calls=PARALLEL_CALLS))

    def augmented(batch_images, batch_labels, seed):
        batch_images, batch_labels = as_float(batch_images, batch_labels)
        return augment_images(batch_images, seed, padding), batch_labels

    return prefetched(map_with_seeds(dataset, augmented, augment_seed))
