"""Shakespeare texts for character-level language models.

- `tiny_shakespeare`: Karpathy's 1,115,394-character extract (public domain),
  https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
- `sonnets`: Shakespeare's 154 Sonnets, Project Gutenberg #1041 (public domain
  in the US), https://www.gutenberg.org/cache/epub/1041/pg1041.txt

Files: `shakespeare/<corpus>.txt` in the data folder, else the download.
"""

from __future__ import annotations

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
