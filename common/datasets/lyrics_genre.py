"""Song lyrics labelled with a genre, and the SemEval-2015 English Twitter sentiment lexicon.

- `load_lyrics_genre`: 4,939 Genius song lyrics in five genres (country 976,
  pop 979, r-b 984, rap 1,000, rock 1,000; 1,417 artists), collected by
  Hunter Blum for Multi-Genre-Classification (copyrighted lyrics, research
  use). File `lyrics_genre/lyrics.csv.gz` in the data folder, else
  https://raw.githubusercontent.com/hunterblum/Multi-Genre-Classification/0779ecd1fb01b2a3f8e68a18866ea035efd76da3/data/lyrics.csv.gz
  (sha256 checked). A CSV with header `,artist,title,lyrics,genre`; the
  first column is the row index. It stands in for the course's MetroLyrics
  set (49,976 songs), which is no longer published.

  The songs were collected genre by genre, so 691 songs appear under two to
  four genres (805 extra rows with identical lyrics). `multi_genre="drop"`
  (the default) removes every copy of those, leaving 3,443 songs with one
  genre each (country 941, pop 442, r-b 556, rap 672, rock 832), so that no
  text is in training and test at once with two labels; `"keep"` returns
  all 4,939 rows.

- `load_sentiment_lexicon`: the SemEval-2015 Task 10 subtask E English
  Twitter lexicon (Kiritchenko, Zhu & Mohammad; research use): 1,515
  lines (1,261 single words, 254 phrases) with a sentiment score from -1
  (most negative) to +1. 83 terms occur twice (the organisers' list holds
  them once as a word and once as a #hashtag, and this copy lost the "#"):
  their two scores are averaged, which leaves 1,432 terms. File
  `texts/SemEval2015-English-Twitter-Lexicon.txt`
  (`score<TAB>term` per line), else
  https://raw.githubusercontent.com/Derekkk/Sentiment-classification-with-senment-dictionary/026f6a76ce411464ea105b9a4560b002ab7357b9/SemEval2015-English-Twitter-Lexicon.txt
  (sha256 checked). The organisers' copy (with `#` before hashtag terms) is
  at https://saifmohammad.com/WebPages/SCL.html.

- `load_genre_corpus`: the genre lyrics tokenised (`common.lyrics`), rare
  words cut and split stratified into train / validation / test, as a
  `GenreCorpus`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from common.datasets.base import find_file
from common.errors import InputError

LYRICS_URL = (
    "https://raw.githubusercontent.com/hunterblum/Multi-Genre-Classification/"
    "0779ecd1fb01b2a3f8e68a18866ea035efd76da3/data/lyrics.csv.gz"
)
LYRICS_SHA256 = "7fd24e8e311d72f0fa58f541ce51d08c2d90f860612ce90e71b7273121bf6007"
LEXICON_URL = (
    "https://raw.githubusercontent.com/Derekkk/Sentiment-classification-with-senment-dictionary/"
    "026f6a76ce411464ea105b9a4560b002ab7357b9/SemEval2015-English-Twitter-Lexicon.txt"
)
LEXICON_SHA256 = "bb81792d0c05857cebca2b3982b98e350bc1840642ff424077992995c8f21e76"
GENRES = ("country", "pop", "r-b", "rap", "rock")
COLUMNS = ("artist", "title", "lyrics", "genre")


def load_lyrics_genre(data_dir=None, multi_genre: str = "drop") -> pd.DataFrame:
    """The genre-labelled lyrics as a DataFrame.

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).
        multi_genre: "drop" every copy of a song listed under several genres
            (3,443 songs left), or "keep" all 4,939 rows.

    Returns:
        A DataFrame with str columns `artist` (a Python-list literal such as
        "['Lil Nas X']"), `title`, `lyrics` (raw Genius text with "\\n" line
        breaks and "[Chorus]" tags) and `genre` (one of `GENRES`), on a fresh
        0..n-1 index, in file order.

    Raises:
        DatasetNotFoundError: no local copy and no network.
        InputError: an unknown `multi_genre`; the file is truncated, not a
            gzipped CSV, lacks a column, or holds an unknown genre or no song.
    """
    if multi_genre not in ("drop", "keep"):
        raise InputError(f"multi_genre must be 'drop' or 'keep', got {multi_genre!r}")
    path = find_file(
        "lyrics_genre/lyrics.csv.gz",
        LYRICS_URL,
        data_dir,
        LYRICS_SHA256,
        "Genre-labelled lyrics (lyrics.csv.gz)",
    )
    try:
        frame = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False)
    except Exception as error:  # gzip, zlib, EOF, parser and decoding errors
        first_line = (str(error).splitlines() or [""])[0][:120]
        raise InputError(
            f"{path} could not be read as a gzipped CSV ({type(error).__name__}: {first_line}); "
            "it is truncated or corrupt: replace it with a fresh copy"
        ) from None
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(f"{path} lacks the column(s) {missing}; expected {list(COLUMNS)}")
    frame = frame[list(COLUMNS)]
    unknown = sorted(set(frame["genre"]) - set(GENRES))
    if unknown:
        raise InputError(f"{path} holds unknown genre(s) {unknown[:5]}; expected {GENRES}")
    frame = frame[frame["lyrics"].str.strip() != ""]
    if multi_genre == "drop":
        genres_per_text = frame.groupby("lyrics")["genre"].transform("nunique")
        frame = frame[genres_per_text == 1].drop_duplicates("lyrics")
    if frame.empty:
        raise InputError(f"{path} holds no song")
    return frame.reset_index(drop=True)


def load_sentiment_lexicon(data_dir=None) -> dict[str, float]:
    """The SemEval-2015 English Twitter lexicon as {term: score}.

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
        A dict of 1,432 lower-case terms (str; some hold a space: "no problem")
        to float scores in [-1, 1] (the mean of a term's scores when it is
        listed twice), in file order (most positive first).

    Raises:
        DatasetNotFoundError: no local copy and no network.
        InputError: a line that is not `score<TAB>term` with a score in
            [-1, 1], a file that is not text, or an empty file.
    """
    path = find_file(
        "texts/SemEval2015-English-Twitter-Lexicon.txt",
        LEXICON_URL,
        data_dir,
        LEXICON_SHA256,
        "SemEval-2015 English Twitter lexicon (SemEval2015-English-Twitter-Lexicon.txt)",
    )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text ({error})") from None
    scores: dict[str, list[float]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        score, _, term = line.partition("\t")
        try:
            value = float(score)
        except ValueError:
            value = float("nan")
        if not term.strip() or not -1 <= value <= 1:
            raise InputError(
                f"{path}, line {number}: expected 'score<TAB>term' with a score in [-1, 1], "
                f"got {line[:60]!r}; the file is corrupt: replace it with a fresh copy"
            )
        scores.setdefault(term.strip().lower(), []).append(value)
    if not scores:
        raise InputError(f"{path} holds no term; replace it with a fresh copy")
    return {term: sum(values) / len(values) for term, values in scores.items()}


@dataclass
class GenreCorpus:
    """Tokenised songs: `documents[i]` (list of str) has genre `labels[i]` (int into `genres`).

    Attributes:
        documents: one token list per song.
        labels: int64 (n_songs,) genre ids.
        genres: the genre names, sorted (id order).
        counts: Counter of every kept word's corpus frequency.
        split: "train" / "validation" / "test" -> int64 index arrays into the songs.
        raw_tokens: word tokens before the frequency cut.
    """

    documents: list
    labels: np.ndarray
    genres: tuple
    counts: Counter
    split: dict
    raw_tokens: int

    def summary(self) -> str:
        """One line: songs, word tokens before and after the frequency cut, vocabulary size."""
        return (
            f"{len(self.labels)} songs, {self.raw_tokens:,} words, "
            f"{sum(self.counts.values()):,} after the cut (vocabulary {len(self.counts):,})"
        )

    def part(self, name: str) -> list:
        """The token lists of the songs in split part `name` ("train", "validation", "test")."""
        return [self.documents[i] for i in self.split[name]]

    def word_ids(self, length: int) -> tuple[list, dict]:
        """The training songs' vocabulary and every part's first `length` word ids.

        Returns (`common.lyrics.frequency_vocabulary` of the training songs:
        "" and "[UNK]" first, {part: int32 (songs, length)} from
        `common.lyrics.encode_documents`: 0 pads, 1 marks a word unseen in training).
        """
        from common import lyrics

        vocabulary = lyrics.frequency_vocabulary(self.part("train"))
        index = {word: i for i, word in enumerate(vocabulary)}
        ids = {part: lyrics.encode_documents(self.part(part), index, length) for part in self.split}
        return vocabulary, ids

    def class_weights(self) -> dict:
        """{genre id: n_train / (n_genres * n_train_of_genre)}: balanced weights for `fit`."""
        train = self.labels[self.split["train"]]
        counts = np.bincount(train, minlength=len(self.genres))
        return {c: len(train) / (len(counts) * n) for c, n in enumerate(counts)}

    def genre_word_counts(self) -> dict:
        """{genre: Counter of its words} over all songs (counting is unsupervised)."""
        counts = {genre: Counter() for genre in self.genres}
        for document, label in zip(self.documents, self.labels):
            counts[self.genres[label]].update(document)
        return counts


def load_genre_corpus(
    data_dir=None,
    songs: int = 0,
    min_count: int = 6,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 42,
) -> GenreCorpus:
    """The genre lyrics as a tokenised, split `GenreCorpus` (multi-genre songs dropped).

    Each song goes through `common.lyrics.tokenize` (section tags and Genius
    text removed, lower case, stop words removed, lemmas); words seen fewer
    than `min_count` times in the kept songs are then dropped. The split is
    stratified by genre (scikit-learn `train_test_split`, `random_state=seed`).

    Args:
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).
        songs: songs to keep, a sample stratified by genre (0: all 3,443).
        min_count: the smallest corpus frequency kept (6: frequency <= 5 dropped).
        validation_fraction, test_fraction: shares of the songs held out.
        seed: seed of the sample and the split.

    Raises:
        DatasetNotFoundError, InputError: as `load_lyrics_genre`.
    """
    from sklearn.model_selection import train_test_split

    from common import lyrics

    frame = load_lyrics_genre(data_dir)
    genres = tuple(sorted(frame["genre"].unique()))
    if songs and songs < len(frame):
        frame, _ = train_test_split(
            frame, train_size=songs, stratify=frame["genre"], random_state=seed
        )
    documents = lyrics.tokenize_corpus(frame["lyrics"], remove_stop_words=True, lemmatise=True)
    raw_tokens = sum(map(len, documents))
    documents, counts = lyrics.drop_rare_words(documents, min_count)
    labels = frame["genre"].map({genre: i for i, genre in enumerate(genres)}).to_numpy("int64")
    held_out = validation_fraction + test_fraction
    train, rest = train_test_split(
        np.arange(len(labels)), test_size=held_out, stratify=labels, random_state=seed
    )
    validation, test = train_test_split(
        rest, test_size=test_fraction / held_out, stratify=labels[rest], random_state=seed
    )
    split = {"train": train, "validation": validation, "test": test}
    return GenreCorpus(documents, labels, genres, counts, split, raw_tokens)
