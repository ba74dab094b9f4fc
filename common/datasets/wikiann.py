"""WikiANN (PAN-X) English named entities (Pan et al., 2017), the XTREME split.

Wikipedia sentences with entities found through Wikipedia links: PER, ORG,
LOC in IOB2 (`O`, `B-PER`, `I-PER`, `B-ORG`, `I-ORG`, `B-LOC`, `I-LOC`), no
MISC. Splits (= Hugging Face `wikiann/en`): `train` 20,000 sentences
(160,394 tokens), `validation` 10,000 (80,536), `test` 10,000 (80,326).
Format: `token<TAB>tag` one a line, a blank line between sentences (some
copies prefix tokens with `en:`, which is removed). Wikipedia text is CC BY-SA.

Files: `wikiann/{train,dev,test}-en.tsv.gz` in the data folder (or the
cache), else the uncompressed `.tsv` downloaded from a public copy of the
XTREME PAN-X files, checked by its sha256:
https://raw.githubusercontent.com/KyGao/token-level-classification/348bb8f1.../download/panx/train-en.tsv
"""

from __future__ import annotations

from common.datasets.conll2003 import find_text_file, read_columns, read_lines
from common.errors import InputError

_REPOSITORY = (
    "https://raw.githubusercontent.com/KyGao/token-level-classification/"
    "348bb8f13d083635f92d12e7d6f41d7f0bfb69f1/download/panx"
)
#: split -> (file stem, sha256 of the uncompressed file)
FILES = {
    "train": ("train-en", "28f5492d1cfd0be1b936a4d40a7d17568df66957a77fd608f94bd6c0862f27d8"),
    "validation": ("dev-en", "d70ce55d6e88b6c4cabcd8dbb927219c1dd4cd1c523ff045c7994527ce5fa782"),
    "test": ("test-en", "188a37dcd7320ef600e354b6cda3a3abe78ca8250e8a675facdcb81a188719cb"),
}
SPLIT_ALIASES = {"dev": "validation"}
#: The tags, in Hugging Face wikiann's id order (id = position).
TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


def load_wikiann(split: str = "train", data_dir=None) -> tuple[list[list[str]], list[list[str]]]:
    """One split of WikiANN English as words and IOB2 tags per sentence.

    Args:
      split: "train", "validation" (alias "dev") or "test".
      data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
      `(sentences, tags)`: two lists of the same length; sentence i is a
      list of word strings and tags[i] a list of as many tags from `TAGS`.
      train: 20,000 sentences; validation and test: 10,000 each.

    Raises:
      InputError: an unknown split, a corrupt file, or an unknown tag.
      DatasetNotFoundError: no local copy and no network.
    """
    split = SPLIT_ALIASES.get(split, split)
    if split not in FILES:
        raise InputError(f"unknown WikiANN split {split!r}; choose one of {sorted(FILES)}")
    stem, sha256 = FILES[split]
    path = find_text_file(
        f"wikiann/{stem}.tsv.gz",
        f"{_REPOSITORY}/{stem}.tsv",
        data_dir,
        sha256,
        f"WikiANN English ({stem}.tsv.gz)",
    )
    sentences, tags = read_columns(read_lines(path), str(path), columns=2, separator="\t")
    if not sentences:
        raise InputError(f"{path} holds no sentences")
    known = set(TAGS)
    for row in tags:
        for tag in row:
            if tag not in known:
                raise InputError(f"{path}: unknown WikiANN tag {tag!r}")
    sentences = [
        [word[3:] if word.startswith("en:") else word for word in row] for row in sentences
    ]
    return sentences, tags
