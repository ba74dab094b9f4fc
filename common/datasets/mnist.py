"""MNIST handwritten digits (LeCun, Cortes & Burges), in Keras's `mnist.npz` format.

Source: `mnist/mnist.npz` in the data folder, else Keras's copy
https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz
(licence: CC BY-SA 3.0).
"""

from __future__ import annotations

import zipfile

import numpy as np

from common.datasets.base import find_file
from common.errors import InputError

URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_mnist(
    data_dir=None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as `keras.datasets.mnist.load_data()` does.

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images uint8 of shape
        (60000, 28, 28) and (10000, 28, 28), values 0..255; labels uint8 of
        shape (60000,) and (10000,), values 0..9.

    Raises:
        DatasetNotFoundError: no local copy and no network.
        InputError: the file is not a valid mnist.npz.
    """
    path = find_file("mnist/mnist.npz", URL, data_dir, SHA256, "MNIST (mnist.npz)")
    try:
        with np.load(path) as data:
            arrays = [data[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(
            f"{path} is not a valid mnist.npz ({type(error).__name__}: {error}); "
            "replace it with a fresh copy"
        ) from None
    x_train, y_train, x_test, y_test = arrays
    if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise InputError(
            f"{path}: unexpected shapes {x_train.shape}, {y_train.shape}, {x_test.shape}"
        )
    return (x_train, y_train), (x_test, y_test)


def mnist_flat(data_dir=None, train_samples: int = 0, seed: int = 0):
    """MNIST flattened to float32 vectors in [0, 1], for dense models.

    Args:
        data_dir: the data folder.
        train_samples: keep a random subset of this many training images (0: all 60,000).
        seed: seed of that subset.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x float32 of shape (n, 784) in [0, 1],
        y uint8 of shape (n,).
    """
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    if train_samples and train_samples < len(x_train):
        keep = np.random.default_rng(seed).choice(len(x_train), train_samples, replace=False)
        x_train, y_train = x_train[keep], y_train[keep]
    flat = lambda images: images.reshape(len(images), -1).astype("float32") / 255.0  # noqa: E731
    return (flat(x_train), y_train), (flat(x_test), y_test)


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int = 0):
    """Shuffle (x, y) and hold out `fraction` of it for validation.

    Args:
        x: samples, shape (n, ...); y: labels, shape (n,).
        fraction: share held out, strictly between 0 and 1.
        seed: seed of the shuffle.

    Returns:
        `(x_train, y_train), (x_validation, y_validation)` with
        round(n * fraction) validation samples; no sample is in both.

    Raises:
        InputError: different lengths, or a fraction that leaves one side empty.
    """
    if len(x) != len(y):
        raise InputError(f"{len(x)} samples but {len(y)} labels")
    held_out = int(round(len(x) * fraction))
    if held_out < 1 or held_out >= len(x):
        raise InputError(
            f"a validation split of {fraction} of {len(x)} samples leaves a side empty"
        )
    order = np.random.default_rng(seed).permutation(len(x))
    train, validation = order[held_out:], order[:held_out]
    return (x[train], y[train]), (x[validation], y[validation])


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False):
    """Batches of (x, y) from memory: cached, reshuffled every epoch when `shuffle`, prefetched.

    About twice as fast per epoch as passing the NumPy arrays to `fit()` for
    a small dense network, where the input pipeline dominates. The shuffle
    takes its seed from TensorFlow's global seed (`keras.utils.set_random_seed`).

    Args:
        x: samples, e.g. float32 (n, 784) from `mnist_flat`; y: labels (n,).
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: reshuffle all samples every epoch.

    Returns:
        A `tf.data.Dataset` of (x batch, y batch) with the arrays' dtypes.
    """
    import tensorflow as tf

    from common.datasets.pipeline import prefetched

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), reshuffle_each_iteration=True)
    return prefetched(dataset.batch(batch_size))
