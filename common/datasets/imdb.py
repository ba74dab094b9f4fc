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


def keep_last_words(texts, count: int):
    """Standardise reviews (`standardize_review`) and keep their last `count` words.

    Reviewers tend to close with their verdict, so the end of a long review
    says more than its start (`TextVectorization` alone keeps the first tokens).

    Args:
        texts: a string tensor (any shape, usually (batch,)).
        count: words to keep, >= 1.

    Returns:
        A string tensor of the same shape: lower-cased, without `<br />`
        tags and punctuation, at most `count` words joined by single spaces.
    """
    import tensorflow as tf

    words = tf.strings.split(standardize_review(texts))  # ragged: (..., words)
    return tf.strings.reduce_join(words[..., -count:], axis=-1, separator=" ")


# Registered under the name it had in assignments/sentiment_analysis.py, so models saved there load.
@keras.saving.register_keras_serializable(package="sentiment_analysis")
class KeepLastWords(keras.layers.Layer):
    """A layer form of `keep_last_words`: strings (batch,) -> strings (batch,).

    It puts the training-time truncation into an end-to-end model, so that a
    saved model sees exactly what its classifier was trained on. Importing
    this module registers it (and `standardize_review`) for
    `keras.saving.load_model`.

    Raises:
        ValueError: a `count` below 1.
    """

    def __init__(self, count: int, **kwargs):
        super().__init__(**kwargs)
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        self.count = count

    def call(self, texts):
        return keep_last_words(texts, self.count)

    def compute_output_spec(self, texts):
        return keras.KerasTensor(texts.shape, dtype="string")

    def get_config(self):
        return {**super().get_config(), "count": self.count}


def make_dataset(
    texts: np.ndarray,
    labels: np.ndarray,
    vectorizer,
    batch_size: int,
    shuffle_seed: int | None = None,
    keep_last: int = 0,
):
    """A `tf.data.Dataset` of (int32 token ids (batch, sequence_length), int32 labels (batch,)).

    The vectorizer runs on batches of 1,024 strings in a parallel `map`; the
    ids are cached after the first pass, so later epochs only shuffle and
    batch integers.

    Args:
        texts: reviews, shape (n,) of str; labels: shape (n,) of 0 / 1.
        vectorizer: an adapted `TextVectorization` (see `make_vectorizer`).
        batch_size: examples per batch (the last batch may be smaller).
        shuffle_seed: reshuffle the examples every epoch with this seed;
            None keeps the order of `texts` (predictions aligned with `labels`).
        keep_last: keep only the last `keep_last` words of each review
            (`keep_last_words`); 0 keeps the vectorizer's own cut (the first
            sequence_length tokens).
    """
    import tensorflow as tf

    from common.datasets.pipeline import PARALLEL_CALLS, prefetched

    @tf.autograph.experimental.do_not_convert  # plain Python branching on keep_last
    def vectorize(text, label):
        if keep_last:
            text = keep_last_words(text, keep_last)
        return tf.cast(vectorizer(text), tf.int32), label

    dataset = tf.data.Dataset.from_tensor_slices((np.asarray(texts, dtype=str), labels))
    dataset = dataset.batch(1024).map(vectorize, num_parallel_calls=PARALLEL_CALLS)
    # unbatch() hides the size from Keras; state it so epochs have a known length.
    dataset = dataset.unbatch().apply(tf.data.experimental.assert_cardinality(len(texts))).cache()
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(texts), seed=shuffle_seed, reshuffle_each_iteration=True)
    return prefetched(dataset.batch(batch_size))
