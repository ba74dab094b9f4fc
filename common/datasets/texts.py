"""Books from Project Gutenberg, as chapters of paragraphs.

- `winnie_the_pooh`: A. A. Milne, *Winnie-the-Pooh* (1926), Project Gutenberg
  eBook #67098 (public domain in the US),
  https://www.gutenberg.org/cache/epub/67098/pg67098.txt

File: `texts/<book>.txt` in the data folder, else the cache, else the
download (Gutenberg updates its files, so no hash is pinned; the text is
checked by its structure instead: a file with no CHAPTER headings is
rejected as truncated or garbled).

`load_book` strips Gutenberg's header and licence, the publisher's front
matter (advertisements, copyright, dedication), the table of contents and
the printer's colophon and transcriber's notes at the end. It keeps the
Introduction (as chapter 0) and chapters I-X. Paragraphs are the blocks
between blank lines, unwrapped (the hard line breaks joined by single
spaces), with Gutenberg's `_italic_` underscores and the `*  *  *` section
breaks removed.
"""

from __future__ import annotations

import dataclasses
import re

from common.datasets.base import find_file
from common.errors import InputError

BOOKS = {
    "winnie_the_pooh": (
        "https://www.gutenberg.org/cache/epub/67098/pg67098.txt",
        None,
        "Winnie-the-Pooh (Gutenberg #67098)",
    ),
}

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_HEADING = re.compile(r"^\s*(?:CHAPTER\s+([IVXLC]+)|(INTRODUCTION)|(CONTENTS))\s*$")
_SECTION_BREAK = re.compile(r"^[\s*]+$")
PARAGRAPH_SEPARATOR = "\n\n"


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One chapter: `number` (0 for the Introduction), `title`, `paragraphs` (unwrapped strings).

    `text` joins the paragraphs with a blank line; character offsets of
    chunks and evidence sentences refer to it.
    """

    number: int
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return PARAGRAPH_SEPARATOR.join(self.paragraphs)

    def paragraph_at(self, offset: int) -> int:
        """Index of the paragraph that holds character `offset` of `text` (0-based)."""
        position = 0
        for index, paragraph in enumerate(self.paragraphs):
            position += len(paragraph) + len(PARAGRAPH_SEPARATOR)
            if offset < position:
                return index
        return len(self.paragraphs) - 1


def roman_to_int(numeral: str) -> int:
    """'XIV' -> 14. Raises ValueError for characters other than I, V, X, L, C."""
    values = [_ROMAN[character] for character in numeral.upper()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def strip_gutenberg(text: str) -> str:
    """The book between Project Gutenberg's `*** START OF ...` and `*** END OF ...` lines.

    Keeps what follows the last START line before the END line (some copies
    repeat the START line above the header), and drops the licence after
    END. Text without the markers is returned unchanged (stripped).
    """
    end = text.find("*** END OF")
    if end != -1:
        text = text[:end]
    start = text.rfind("*** START OF")
    if start != -1:
        newline = text.find("\n", start)
        text = "" if newline == -1 else text[newline + 1 :]
    return text.strip()


def _blocks(lines: list[str]) -> list[list[str]]:
    """Lines grouped into blocks separated by blank lines."""
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _unwrap(block: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(line.strip() for line in block).replace("_", "")).strip()


_SMALL_WORDS = {"a", "an", "and", "the", "to", "of", "in", "into", "by", "on", "at", "for"}


def _title_case(text: str) -> str:
    """'IN WHICH POOH GOES TO WINNIE-THE-POOH' -> 'In Which Pooh Goes to Winnie-the-Pooh'."""

    def word(token: str, first: bool) -> str:
        parts = token.lower().split("-")
        return "-".join(
            p if (p in _SMALL_WORDS and (j or not first)) else p[:1].upper() + p[1:]
            for j, p in enumerate(parts)
        )

    return " ".join(word(token, i == 0) for i, token in enumerate(text.split()))


def _is_end_matter(block: list[str]) -> bool:
    """A centred colophon block (every line indented 10+ spaces) or a bracketed note."""
    return block[0].lstrip().startswith("[") or all(
        len(line) - len(line.lstrip()) >= 10 for line in block
    )


def parse_chapters(text: str) -> list[Chapter]:
    """Chapters of a Gutenberg book text (markers stripped or not).

    A chapter starts at a line `CHAPTER <roman numeral>` (or `INTRODUCTION`,
    numbered 0) and ends at the next heading; its title is the block of
    capital letters right after the heading. A `CONTENTS` section and
    everything before the first heading are dropped, as are the centred
    colophon blocks and bracketed notes at the very end.

    Raises:
        InputError: no CHAPTER heading, or a chapter with no text.
    """
    lines = strip_gutenberg(text).splitlines()
    headings = [(i, _HEADING.match(line)) for i, line in enumerate(lines)]
    headings = [(i, match) for i, match in headings if match]
    if not any(match.group(1) for _, match in headings):
        raise InputError("no CHAPTER headings found: the text is truncated or not the book")
    chapters = []
    for position, (line_number, match) in enumerate(headings):
        if match.group(3):  # CONTENTS
            continue
        end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
        blocks = [
            b for b in _blocks(lines[line_number + 1 : end]) if not _SECTION_BREAK.match("".join(b))
        ]
        if match.group(2):
            number, title = 0, "Introduction"
        else:
            number = roman_to_int(match.group(1))
            title = f"Chapter {match.group(1)}"
            if blocks and _unwrap(blocks[0]).upper() == _unwrap(blocks[0]):
                title += ": " + _title_case(_unwrap(blocks.pop(0)))
        if position + 1 == len(headings):
            while blocks and _is_end_matter(blocks[-1]):
                blocks.pop()
        paragraphs = tuple(p for p in (_unwrap(b) for b in blocks) if p)
        if not paragraphs:
            raise InputError(f"{title} has no text: the file is truncated or garbled")
        chapters.append(Chapter(number, title, paragraphs))
    return chapters


def load_book(book: str = "winnie_the_pooh", data_dir=None) -> list[Chapter]:
    """The chapters of a book (see the module docstring for what is stripped).

    Args:
        book: "winnie_the_pooh".
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
        A list of `Chapter` (for Winnie-the-Pooh: the Introduction and
        chapters I-X, 11 in all, about 1,100 paragraphs and 22,000 words).

    Raises:
        InputError: an unknown book, a file that is not UTF-8 text, empty,
            truncated or garbled (no chapters).
        DatasetNotFoundError: no local copy and no network.
    """
    if book not in BOOKS:
        raise InputError(f"unknown book {book!r}; choose one of {sorted(BOOKS)}")
    url, sha256, description = BOOKS[book]
    path = find_file(f"texts/{book}.txt", url, data_dir, sha256, description)
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text ({error})") from None
    if not text.strip():
        raise InputError(f"{path} is empty; replace it with a fresh copy from {url}")
    try:
        return parse_chapters(text)
    except InputError as error:
        raise InputError(f"{path}: {error}; replace it with a fresh copy from {url}") from None
