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
"""

from __future__ import annotations

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
