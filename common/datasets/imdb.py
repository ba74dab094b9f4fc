"""IMDB Large Movie Review Dataset (Maas et al., 2011): 50,000 labelled reviews.

Source: `imdb/aclImdb_v1.tar.gz` in the data folder, else the official archive
https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz (research use).
The archive is extracted once into the cache; reviews are read from
`aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt` (the unlabelled `unsup/`
part of the official archive is ignored). Tokenising and padding use
`keras.layers.TextVectorization` (`make_vectorizer`).
"""

from __future__ import annotations

import keras
import numpy as np

from common.datasets.base import extract, find_file
from common.errors import InputError

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
CLASS_NAMES = ("negative", "positive")


def load_imdb(data_dir=None, train_samples: int = 0, test_samples: int = 0, seed: int = 0):
    """Load the labelled IMDB reviews as raw text.

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).
        train_samples, test_samples: keep a random class-balanced subset of
            this many reviews (0: all 25,000 of each split).
        seed: seed of the subsets and of the shuffle.

    Returns:
        `(train_texts, train_labels), (test_texts, test_labels)`: texts are
        numpy object arrays of str, shape (n,); labels int32 of shape (n,),
        0 = negative (rating 1-4), 1 = positive (rating 7-10). Shuffled.

    Raises:
        DatasetNotFoundError: no local copy and no network.
        InputError: the archive is corrupt or lacks the expected folders.
    """
    archive = find_file(
        "imdb/aclImdb_v1.tar.gz", URL, data_dir, None, "IMDB reviews (aclImdb_v1.tar.gz)"
    )
    root = extract(archive, "aclImdb_v1") / "aclImdb"
    rng = np.random.default_rng(seed)
    splits = []
    for split, limit in (("train", train_samples), ("test", test_samples)):
        texts, labels = [], []
        for label, folder in enumerate(("neg", "pos")):
            files = sorted((root / split / folder).glob("*.txt"))
            if not files:
                raise InputError(
                    f"{archive}: no reviews in aclImdb/{split}/{folder}/; the archive is incomplete"
                )
            if limit and limit < 2 * len(files):
                files = [
                    files[i] for i in sorted(rng.choice(len(files), limit // 2, replace=False))
                ]
            texts += [path.read_text(encoding="utf-8", errors="replace") for path in files]
            labels += [label] * len(files)
        order = rng.permutation(len(texts))
        splits.append(
            (np.array(texts, dtype=object)[order], np.array(labels, dtype="int32")[order])
        )
    return splits[0], splits[1]


@keras.saving.register_keras_serializable(package="imdb")
def standardize_review(text):
    """Lower-case, drop `<br />` tags and C1 control characters, strip punctuation (tf.string op).

    Registered with Keras, so a saved model holding a `TextVectorization` with
    this standardisation loads once this module is imported.
    """
    import re
    import string

    import tensorflow as tf

    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, "<br\\s*/?>", " ")
    # C1 control characters (U+0080-U+009F: Windows-1252 dashes and ellipses decoded as Latin-1 in
    # some reviews) become spaces: as vocabulary tokens, U+0085 reads back as a line break and the
    # saved TextVectorization would no longer load.
    text = tf.strings.regex_replace(text, "[\\x{80}-\\x{9f}]", " ")
    return tf.strings.regex_replace(text, f"[{re.escape(string.punctuation)}]", "")


def make_vectorizer(texts, max_tokens: int = 20000, sequence_length: int = 200):
    """A `keras.layers.TextVectorization` adapted on `texts`.

    Args:
        texts: training texts, shape (n,) of str.
        max_tokens: vocabulary size including padding (0) and OOV (1).
        sequence_length: every output is padded / truncated to this length.

    Returns:
        A layer mapping a batch of strings, shape (batch,), to int64 token ids
        of shape (batch, sequence_length).
    """
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens,
        output_sequence_length=sequence_length,
        standardize=standardize_review,
    )
    vectorizer.adapt(np.asarray(texts, dtype=str), batch_size=1024)
    return vectorizer
