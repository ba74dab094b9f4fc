"""CoNLL-2003 English named entities (Tjong Kim Sang & De Meulder, 2003).

Reuters news (RCV1), four entity types: PER, ORG, LOC, MISC. Splits: `train`
(14,041 sentences, 203,621 tokens), `testa` (the development set, 3,250 /
51,362) and `testb` (the test set, 3,453 / 46,435). Files in the original
format: one token a line, `token POS chunk NER`, tags in IOB1 (`I-` opens an
entity unless it follows one of the same type; `B-` only between two
adjacent entities of one type), `-DOCSTART-` lines between documents, a blank
line between sentences. Licence: Reuters RCV1, research use only.

Files: `conll2003/eng.{train,testa,testb}.gz` in the data folder (or the
cache), else the uncompressed file downloaded from a public copy of the
shared-task data, checked by its sha256:
https://raw.githubusercontent.com/ZhixiuYe/HSCRF-pytorch/<commit>/data/eng.train
(the same bytes as the data folder's decompressed files).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from common import paths
from common.datasets.base import find_file
from common.errors import DatasetNotFoundError, InputError

_REPOSITORY = "https://raw.githubusercontent.com/ZhixiuYe/HSCRF-pytorch"
#: split -> (URL of the uncompressed file, its sha256)
FILES = {
    "train": (
        f"{_REPOSITORY}/7817d82d3b905a83c1e1aaa52e1f4300cb3512e7/data/eng.train",
        "bed631399cb0e859c4b446438ce57dfe0208792ca6106ef11620877355494c3a",
    ),
    "testa": (
        f"{_REPOSITORY}/3479f4594af3a704da85689c0b1a67cee1b600de/data/eng.testa",
        "aa83a45b88e4952998156583e2ff5a8be7c1f04fb9efa3a29cd87fac2c883807",
    ),
    "testb": (
        f"{_REPOSITORY}/7817d82d3b905a83c1e1aaa52e1f4300cb3512e7/data/eng.testb",
        "443914daf51328868558859b28252a28caee2fd02b65e77987977d6489246c5f",
    ),
}
#: The split names of Hugging Face's conll2003 map onto the original ones.
SPLIT_ALIASES = {"validation": "testa", "dev": "testa", "test": "testb"}
#: The entity types, in the shared task's order.
ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")


def find_text_file(
    relative_gz: str,
    url: str,
    data_dir: str | os.PathLike | None,
    sha256: str | None,
    description: str,
) -> Path:
    """A gzip file of the data folder or the cache, else its uncompressed download.

    Looks for `relative_gz` (e.g. "conll2003/eng.train.gz") in the data
    folder and the cache, then for the uncompressed name (without ".gz") in
    both, then downloads `url` (uncompressed text) into the cache under that
    name, checked against `sha256`.

    Raises:
      InputError: the data folder does not exist.
      DatasetNotFoundError: nowhere, and the download failed (the message
        names the folder, both file names and the URL).
    """
    folder = paths.data_dir(data_dir)
    for root in (folder if folder is not None and folder.is_dir() else None, paths.cache_dir()):
        if root is not None and (root / relative_gz).is_file():
            return root / relative_gz
    plain = relative_gz.removesuffix(".gz")
    try:
        return find_file(plain, url, data_dir, sha256, description)
    except DatasetNotFoundError as error:
        message = str(error).replace(f"for {plain};", f"for {relative_gz} (or {plain});", 1)
        raise DatasetNotFoundError(message) from None


def read_lines(path: str | os.PathLike) -> list[str]:
    """The lines of a UTF-8 text file, gzip-compressed when its name ends in ".gz".

    Raises:
      InputError: a truncated or corrupt gzip file, an empty file, or bytes
        that are not UTF-8 (one line naming the file).
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as file:
                text = file.read()
        else:
            text = path.read_text(encoding="utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(
            f"{path} could not be read ({type(error).__name__}: {reason}); it is corrupt or "
            "incomplete: replace it with a fresh copy"
        ) from None
    if not text.strip():
        raise InputError(f"{path} is empty; replace it with a fresh copy")
    return text.splitlines()


def iob1_to_iob2(tags: list[str]) -> list[str]:
    """Convert one sentence's tags from IOB1 to IOB2 (every entity opens with `B-`).

    In IOB1 an entity starts with `I-` unless it directly follows an entity
    of the same type, where `B-` marks the boundary. In IOB2 every entity
    starts with `B-`. Example: `I-PER I-PER O I-LOC B-LOC` -> `B-PER I-PER O
    B-LOC B-LOC`. IOB2 input is returned unchanged.

    Raises:
      InputError: a tag that is neither `O` nor `B-X` / `I-X`.
    """
    converted = []
    previous = "O"
    for tag in tags:
        if tag != "O" and (len(tag) < 3 or tag[:2] not in ("B-", "I-")):
            raise InputError(f"bad IOB tag {tag!r}")
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        converted.append(tag)
        previous = tag
    return converted


def read_columns(
    lines: list[str], source: str, columns: int | None, separator: str | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences of a one-token-a-line file: (words per sentence, last column per sentence).

    Blank lines end sentences; `-DOCSTART-` lines are skipped.

    Raises:
      InputError: a line with the wrong number of columns (names the line).
    """
    sentences, tags, words, labels = [], [], [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if words:
                sentences.append(words)
                tags.append(labels)
            words, labels = [], []
            continue
        parts = line.rstrip("\n").split(separator)
        if parts[0] == "-DOCSTART-":
            continue
        if (columns is not None and len(parts) != columns) or len(parts) < 2:
            raise InputError(
                f"{source}, line {number}: expected {columns or 'at least 2'} columns, got "
                f"{len(parts)} ({line[:60]!r}); the file is not in the expected format"
            )
        words.append(parts[0])
        labels.append(parts[-1])
    if words:
        sentences.append(words)
        tags.append(labels)
    return sentences, tags


def load_conll2003(
    split: str = "train", data_dir=None, scheme: str = "IOB2"
) -> tuple[list[list[str]], list[list[str]]]:
    """One split of CoNLL-2003 English as words and entity tags per sentence.

    Args:
      split: "train", "testa" (alias "validation", "dev") or "testb" (alias "test").
      data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).
      scheme: "IOB2" (default: every entity starts with `B-`, as seqeval's
        strict mode and Hugging Face's copy expect) or "IOB1" (the file's tags).

    Returns:
      `(sentences, tags)`: two lists of the same length; sentence i is a list
      of word strings and tags[i] a list of as many tag strings (`O`,
      `B-PER`, `I-PER`, ... `I-MISC`). train: 14,041 sentences; testa: 3,250;
      testb: 3,453.

    Raises:
      InputError: an unknown split or scheme, a corrupt file or bad tags.
      DatasetNotFoundError: no local copy and no network.
    """
    split = SPLIT_ALIASES.get(split, split)
    if split not in FILES:
        raise InputError(f"unknown CoNLL-2003 split {split!r}; choose one of {sorted(FILES)}")
    if scheme not in ("IOB1", "IOB2"):
        raise InputError(f"scheme must be 'IOB1' or 'IOB2', got {scheme!r}")
    url, sha256 = FILES[split]
    path = find_text_file(
        f"conll2003/eng.{split}.gz", url, data_dir, sha256, f"CoNLL-2003 (eng.{split}.gz)"
    )
    sentences, tags = read_columns(read_lines(path), str(path), columns=4)
    if not sentences:
        raise InputError(f"{path} holds no sentences")
    for row in tags:
        for tag in row:
            if tag != "O" and (tag[:2] not in ("B-", "I-") or tag[2:] not in ENTITY_TYPES):
                raise InputError(f"{path}: unknown CoNLL-2003 tag {tag!r}")
    if scheme == "IOB2":
        tags = [iob1_to_iob2(row) for row in tags]
    return sentences, tags


def sample_sentences(data: tuple[list, list], size: int, seed: int) -> tuple[list, list]:
    """A seeded random subset of `size` sentences of `(sentences, tags)`, in their file order.

    Works on any `(sentences, tags)` pair of equal-length lists (CoNLL-2003,
    WikiANN). `size` 0 (or at least the number of sentences) returns the data
    unchanged. The same seed gives the same subset.
    """
    sentences, tags = data
    if not size or size >= len(sentences):
        return sentences, tags
    keep = np.sort(np.random.default_rng(seed).choice(len(sentences), size, replace=False))
    return [sentences[i] for i in keep], [tags[i] for i in keep]
