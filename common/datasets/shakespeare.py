"""Shakespeare texts for character-level language models.

- `tiny_shakespeare`: Karpathy's 1,115,394-character extract (public domain),
  https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
- `sonnets`: Shakespeare's 154 Sonnets, Project Gutenberg #1041 (public domain
  in the US), https://www.gutenberg.org/cache/epub/1041/pg1041.txt

Files: `shakespeare/<corpus>.txt` in the data folder, else the download.

For a character-level model: `make_vocabulary(text)` (the sorted distinct
characters), `encode(text, vocabulary)` (int32 ids) and `make_dataset(ids,
...)` (a `tf.data.Dataset` of (input ids, next-character ids) sequences).
"""

from __future__ import annotations

import numpy as np

from common.datasets.base import find_file
from common.datasets.texts import strip_gutenberg
from common.errors import InputError

CORPORA = {
    "tiny_shakespeare": (
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
    "sonnets": ("https://www.gutenberg.org/cache/epub/1041/pg1041.txt", None),
}


def load_shakespeare(corpus: str = "tiny_shakespeare", data_dir=None) -> str:
    """The text of one corpus as a Python string (Windows line ends normalised).

    Args:
        corpus: "tiny_shakespeare" or "sonnets".
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Raises:
        InputError: an unknown corpus, an empty file, a file that is not UTF-8
            text, or (tiny_shakespeare) a copy whose sha256 is not the original's.
        DatasetNotFoundError: no local copy and no network.
    """
    if corpus not in CORPORA:
        raise InputError(f"unknown corpus {corpus!r}; choose one of {sorted(CORPORA)}")
    url, sha256 = CORPORA[corpus]
    # The Gutenberg download is named pg1041.txt; keep the data-folder name for both.
    path = find_file(
        f"shakespeare/{corpus}.txt",
        url,
        data_dir,
        sha256,
        f"Shakespeare corpus {corpus!r}",
        verify_local=True,
    )
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text ({error})") from None
    if not text.strip():
        raise InputError(f"{path} is empty; replace it with a fresh copy")
    return strip_gutenberg(text) + "\n" if corpus == "sonnets" else text


def make_vocabulary(text: str) -> list[str]:
    """The sorted distinct characters of `text`; a character's id is its index.

    Raises:
        InputError: `text` is empty.
    """
    if not text:
        raise InputError("the corpus is empty")
    return sorted(set(text))


def encode(text: str, vocabulary) -> np.ndarray:
    """Character ids of `text` (indices into `vocabulary`), shape (len(text),), int32.

    A `keras.layers.StringLookup` over `vocabulary` maps the characters.

    Raises:
        ValueError: `text` has a character that is not in `vocabulary`.
    """
    import keras
    import tensorflow as tf

    unknown = sorted(set(text) - set(vocabulary))
    if unknown:
        raise ValueError(f"characters not in the vocabulary: {unknown!r}")
    if not text:
        return np.zeros((0,), dtype=np.int32)
    lookup = keras.layers.StringLookup(vocabulary=list(vocabulary), num_oov_indices=0)
    ids = lookup(tf.strings.unicode_split(text, "UTF-8"))
    return keras.ops.convert_to_numpy(ids).astype(np.int32)


def split_input_target(chunk):
    """A chunk of `n + 1` ids -> (its first n ids, its last n ids)."""
    return chunk[:-1], chunk[1:]


def make_dataset(ids: np.ndarray, sequence_length: int, batch_size: int, shuffle: bool, seed=0):
    """Batches of (input ids, next-character ids), int32 (batch, sequence_length) each.

    Chunks of `sequence_length + 1` ids are cut without overlap (the incomplete
    last one is dropped), cached and prefetched; `shuffle` reshuffles them
    every epoch, seeded by `seed`. Returns a `tf.data.Dataset`.

    Raises:
        InputError: `ids` is too short for one sequence.
    """
    import tensorflow as tf

    from common.datasets.pipeline import PARALLEL_CALLS, prefetched

    if len(ids) < sequence_length + 1:
        raise InputError(
            f"{len(ids)} characters are too few for one sequence of {sequence_length} + 1"
        )
    dataset = tf.data.Dataset.from_tensor_slices(ids)
    dataset = dataset.batch(sequence_length + 1, drop_remainder=True)
    dataset = dataset.map(split_input_target, num_parallel_calls=PARALLEL_CALLS).cache()
    if shuffle:  # after cache(), so that every epoch gets a new order
        dataset = dataset.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)
    return prefetched(dataset.batch(batch_size))
