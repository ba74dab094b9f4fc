"""Song lyrics with their MIDI melodies (the melody-to-lyrics assignment set).

Layout in the data folder, `lyrics_midi/`:

- `lyrics_train_set.csv`, `lyrics_test_set.csv`: CSV without a header,
  `artist,title,lyrics` (lower case), `&` marking a line break, trailing
  empty columns. Twelve training rows hold two songs: the end of one song's
  lyrics, `&  &  &`, then the next song's artist, title and lyrics in the
  following columns (a lost newline). `parse_lyrics_csv` splits them: 594
  rows give 606 songs, two of them repeated (604 distinct); 5 test songs.
- `midi_files.tar.xz`: `midi_files/<Artist>_-_<Title>.mid` (620 files: the
  training melodies and some without lyrics) and `midi_files/test/` (the 5
  test melodies). It is extracted once into the cache
  (`<cache>/extracted/lyrics_midi-<sha256 prefix>/`, tied to the archive's
  content), never into the data folder.

Songs are matched to MIDI files by normalised artist and title
(`normalize_name`: ASCII, lower case, `&` -> "and", punctuation -> spaces);
a song without an exact match takes a file of the same artist whose title
starts with the song's title ("Enjoy_the_Silence-2",
"Thinking_Out_Loud_-_Violin"). With this rule every song of the set has a
file.

For the lyrics-generation assignment, `load_songs_with_melodies` keeps the
songs whose MIDI file pretty_midi can read, splits off the validation songs
and returns the cached MIDI summaries (`common.midi`); `song_tokens` and
`make_vocabulary` turn lyrics into word tokens with `<br>` line breaks and
a training vocabulary.

Source: the GitHub repository OmriKaduri/DeepLyrics (commit e6888059), the
copy of the course's data set that `../shared/datasets/SOURCES.md` names;
copyrighted lyrics and MIDI files, course material. It has no other public
home: without a data folder, the CSVs are downloaded from the repository's
raw GitHub URLs and the MIDI files from its GitHub archive (a tarball of
the whole repository, whose `midi_files/` folder is used). Their hashes
could not be checked from here (no network), so none is enforced.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import lzma
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

from common import paths
from common.datasets.base import extract, find_file
from common.errors import DatasetNotFoundError, InputError
from common.lyrics import LINE_BREAK, tokenize

COMMIT = "e6888059f68dafb9d7ff5b3d9e044dd421d2610c"
RAW_URL = f"https://raw.githubusercontent.com/OmriKaduri/DeepLyrics/{COMMIT}/"
ARCHIVE_URL = f"https://github.com/OmriKaduri/DeepLyrics/archive/{COMMIT}.tar.gz"
FOLDER = "lyrics_midi"
TRAIN_CSV, TEST_CSV, MIDI_ARCHIVE = (
    "lyrics_train_set.csv",
    "lyrics_test_set.csv",
    "midi_files.tar.xz",
)
JOINER = "&  &  &"  # ends a song whose row also holds the next song


@dataclasses.dataclass(frozen=True)
class Song:
    """One song.

    Attributes:
        artist, title: as in the CSV (lower case, stripped).
        lyrics: the lyrics with "\\n" line breaks (the CSV's `&`), each line stripped.
        midi: the matched MIDI file, or None.
    """

    artist: str
    title: str
    lyrics: str
    midi: Path | None = None

    @property
    def name(self) -> str:
        """'artist - title'."""
        return f"{self.artist} - {self.title}"


@dataclasses.dataclass
class LyricsMidi:
    """The data set as `load_lyrics_midi` returns it.

    Attributes:
        train, test: `Song`s with `midi` set where a file matched (duplicates dropped).
        midi_files: every `.mid` file of the archive (training folder and test/).
        unmatched: songs without a MIDI file (train and test).
        duplicates: names of the training songs seen twice (the second copy is dropped).
        archive_key: the first 16 hex digits of the archive's sha256, for derived caches.
    """

    train: list[Song]
    test: list[Song]
    midi_files: list[Path]
    unmatched: list[Song]
    duplicates: list[str]
    archive_key: str


def _lyrics_text(raw: str) -> str:
    lines = (line.strip() for line in raw.split("&"))
    return "\n".join(line for line in lines if line)


def _songs_from_fields(fields: list[str]) -> list[tuple[str, str, str]]:
    artist, title, lyrics = (field.strip() for field in fields[:3])
    rest = fields[3:]
    if JOINER in lyrics:
        first, next_artist = lyrics.split(JOINER, 1)
        if len(rest) < 2:
            raise ValueError(f"{artist!r}, {title!r}: a second song without title and lyrics")
        return [(artist, title, first)] + _songs_from_fields([next_artist, *rest])
    extra = [field for field in rest if field.strip()]
    return [(artist, title, ",".join([lyrics, *extra]))]


def parse_lyrics_csv(text: str, source: str = "lyrics CSV") -> list[tuple[str, str, str]]:
    """The songs of one lyrics CSV as (artist, title, lyrics) triples.

    Args:
        text: the CSV's content: rows `artist,title,lyrics[,...]` without a
            header; `&` separates lines; trailing empty columns are ignored;
            a row whose lyrics contain `&  &  &` holds a second song whose
            artist follows the marker and whose title and lyrics are the next
            columns (recursively). Blank rows are skipped.
        source: the file's name, for error messages.

    Returns:
        A list of (artist, title, lyrics) str triples in file order; lyrics
        use "\\n" between lines, each line stripped, empty lines dropped.

    Raises:
        InputError: a row with fewer than three columns, an empty artist,
            title or lyrics, or a two-song row without the second title.
    """
    songs = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not any(field.strip() for field in fields):
            continue
        if len(fields) < 3:
            raise InputError(f"{source} row {number}: expected artist,title,lyrics, got {fields!r}")
        try:
            triples = _songs_from_fields(fields)
        except ValueError as error:
            raise InputError(f"{source} row {number}: {error}") from None
        for artist, title, lyrics in triples:
            lyrics = _lyrics_text(lyrics)
            if not (artist and title and lyrics):
                raise InputError(f"{source} row {number}: empty artist, title or lyrics")
            songs.append((artist, title, lyrics))
    return songs


def normalize_name(text: str) -> str:
    """An artist or title reduced for matching: ASCII, lower case, `&` -> "and", words only.

    Example: `normalize_name("Jive_Talkin'")` is "jive talkin", and
    `normalize_name("Enjoy_the_Silence-2")` is "enjoy the silence 2".
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("_", " ").replace("&", " and ").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def midi_name(path: str | Path) -> tuple[str, str] | None:
    """(artist, title) of a `<Artist>_-_<Title>.mid` file name, normalised; None for other names."""
    stem = Path(path).stem
    if "_-_" not in stem:
        return None
    artist, title = stem.split("_-_", 1)
    return normalize_name(artist), normalize_name(title)


def match_midi(songs, midi_paths) -> list[Path | None]:
    """The MIDI file of each song, by artist and title.

    Args:
        songs: (artist, title, ...) sequences or `Song`s.
        midi_paths: candidate `.mid` paths named `<Artist>_-_<Title>.mid`.

    Returns:
        One `Path` or None per song, in order: the file whose normalised
        artist and title equal the song's; else the first (sorted) file of
        the same artist whose title starts with the song's title and a space
        (a version suffix such as "2" or "violin"); else None.
    """
    exact, by_artist = {}, {}
    for path in sorted(Path(p) for p in midi_paths):
        name = midi_name(path)
        if name is None:
            continue
        exact.setdefault(name, path)
        by_artist.setdefault(name[0], []).append((name[1], path))
    matches = []
    for song in songs:
        artist, title = (song.artist, song.title) if isinstance(song, Song) else song[:2]
        key = normalize_name(artist), normalize_name(title)
        path = exact.get(key)
        if path is None:
            path = next(
                (p for t, p in by_artist.get(key[0], []) if t.startswith(key[1] + " ")), None
            )
        matches.append(path)
    return matches


# sha256 of the two CSV files at COMMIT (a truncated CSV still parses, so the copy is checked)
CSV_SHA256 = {
    "lyrics_train_set.csv": "239ca20b492959fe017b5b327f67432e58e9cbf95cb6835df9021a87a5b13bae",
    "lyrics_test_set.csv": "e0387a5c9d5122548e15cb8890b1ae4e6d36506141f6db2e53ca9fd56f86e838",
}


def _read_csv(name: str, data_dir) -> list[tuple[str, str, str]]:
    path = find_file(
        f"{FOLDER}/{name}",
        RAW_URL + name,
        data_dir,
        CSV_SHA256.get(name),
        f"Lyrics ({name})",
        verify_local=True,
    )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path} is not UTF-8 text ({error}); replace it with a fresh copy"
        ) from None
    songs = parse_lyrics_csv(text, str(path))
    if not songs:
        raise InputError(f"{path} holds no songs; replace it with a fresh copy")
    return songs


def _sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _midi_archive(data_dir) -> Path:
    """midi_files.tar.xz from the data folder or cache, else the repository's archive downloaded."""
    try:
        return find_file(f"{FOLDER}/{MIDI_ARCHIVE}", None, data_dir, description="MIDI files")
    except DatasetNotFoundError:
        pass
    try:
        return find_file(f"{FOLDER}/DeepLyrics-{COMMIT[:8]}.tar.gz", ARCHIVE_URL, data_dir)
    except DatasetNotFoundError as error:
        folder = paths.data_dir(data_dir)
        searched = f"the data folder {folder}" if folder else "no data folder (none given)"
        problem = str(error).split("; ", 1)[1].split(". Download", 1)[0]
        raise DatasetNotFoundError(
            f"MIDI files ({MIDI_ARCHIVE}) not found. Searched {searched} and the cache "
            f"{paths.cache_dir()} for {FOLDER}/{MIDI_ARCHIVE}; the repository archive "
            f"{ARCHIVE_URL} (which holds midi_files/) could not be fetched: {problem}. Put "
            f"{MIDI_ARCHIVE} at <data folder>/{FOLDER}/{MIDI_ARCHIVE}, then pass --data-dir "
            f"<data folder> or set ${paths.DATA_ENV}."
        ) from None


def extract_midi(archive: str | Path) -> tuple[Path, str]:
    """Extract a MIDI archive into the cache once; return (its `midi_files` folder, sha256 prefix).

    Raises:
        InputError: the archive is truncated or corrupt, or holds no `midi_files/` folder.
    """
    archive = Path(archive)
    if archive.stat().st_size == 0:
        raise InputError(f"{archive} is empty; replace it with a fresh copy")
    key = _sha256_prefix(archive)
    try:
        root = extract(archive, "lyrics_midi")
    except lzma.LZMAError as error:
        raise InputError(
            f"{archive} could not be unpacked (LZMAError: {error}); it is corrupt: replace it"
        ) from None
    except InputError as error:  # tarfile's ReadError can span several lines: keep one
        raise InputError(" ".join(str(error).split())) from None
    folders = sorted(
        (p for p in root.rglob("midi_files") if p.is_dir()), key=lambda p: len(p.parts)
    )
    if not folders:
        raise InputError(
            f"{archive} holds no midi_files/ folder; it is not the lyrics MIDI archive"
        )
    return folders[0], key


def load_lyrics_midi(data_dir=None) -> LyricsMidi:
    """The training and test songs, each matched to its MIDI file.

    Training songs are matched among `midi_files/*.mid`, test songs among
    `midi_files/test/*.mid`. A training song seen twice (same normalised
    artist and title) is kept once.

    Args:
        data_dir: the data folder (None: `$ASSIGNMENTS_DATA_DIR`); files are
            looked for in `<data folder>/lyrics_midi/`, then the cache, then
            downloaded (see the module docstring).

    Returns:
        A `LyricsMidi`: 604 training and 5 test songs on the course's data.

    Raises:
        DatasetNotFoundError: a file is nowhere and cannot be downloaded.
        InputError: a malformed CSV, or a truncated or corrupt archive.
    """
    train_rows, test_rows = _read_csv(TRAIN_CSV, data_dir), _read_csv(TEST_CSV, data_dir)
    folder, key = extract_midi(_midi_archive(data_dir))
    train_files = sorted(folder.glob("*.mid"))
    test_files = sorted((folder / "test").glob("*.mid"))
    seen, duplicates, train = set(), [], []
    for (artist, title, lyrics), path in zip(train_rows, match_midi(train_rows, train_files)):
        name = (normalize_name(artist), normalize_name(title))
        if name in seen:
            duplicates.append(f"{artist} - {title}")
            continue
        seen.add(name)
        train.append(Song(artist, title, lyrics, path))
    test = [
        Song(artist, title, lyrics, path)
        for (artist, title, lyrics), path in zip(test_rows, match_midi(test_rows, test_files))
    ]
    unmatched = [song for song in train + test if song.midi is None]
    return LyricsMidi(train, test, train_files + test_files, unmatched, duplicates, key)


# --------------------------------------------------------------------------
# Songs with readable melodies, as word tokens
# --------------------------------------------------------------------------

PAD, UNKNOWN = "", "<unk>"
_DIRECTION = re.compile(
    r"^[^a-z0-9]*(?:(?:chorus|repeat|verse|bridge|refrain|till|until|to|fade|end|add|"
    r"2nd|time|\d*x?\d*)[^a-z0-9]*)+$"
)


def song_tokens(lyrics: str) -> list[str]:
    """Word tokens of one song's lyrics ("\\n" between lines), `<br>` after each line.

    `common.lyrics.tokenize` lower-cases, drops section tags ("[chorus]") and
    punctuation and restores dropped g's ("lovin'" -> "loving"). Lines that
    are only stage directions ("chorus", "(repeat x2)") are dropped.
    """
    lines = [line for line in lyrics.lower().split("\n") if not _DIRECTION.match(line.strip())]
    return tokenize("\n".join(lines), line_break=True)


def make_vocabulary(documents, min_count: int) -> list[str]:
    """`["", "<unk>", "<br>", words by falling frequency...]`: the words seen `min_count` times.

    `documents`: lists of word tokens; ties are broken alphabetically; id 0
    is padding, id 1 the unknown word, id 2 the line break.
    """
    counts = Counter(word for document in documents for word in document)
    counts.pop(LINE_BREAK, None)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return [PAD, UNKNOWN, LINE_BREAK, *words]


def load_songs_with_melodies(
    data_dir=None, train_songs: int = 0, validation_fraction: float = 0.1, seed: int = 0
):
    """The songs whose MIDI file pretty_midi can read, split, with their MIDI summaries.

    Args:
        data_dir: the data folder (see `load_lyrics_midi`).
        train_songs: training songs to keep, a seeded random subset (0: all).
            With a subset only its songs' and the test songs' MIDI files are
            parsed; otherwise every file of the archive is (to report those
            that cannot be read).
        validation_fraction: share of the kept training songs held out (at least one).
        seed: seeds the order of the training songs.

    Returns:
        `(train, validation, test, summaries)`: lists of `Song` and
        `{midi path: common.midi.MidiSummary, or an error message (str)}`,
        cached in `<cache>/lyrics_midi/summaries-<archive key>/`. Prints what
        was loaded and the unreadable files.

    Raises:
        InputError: fewer than 3 training songs or no test song left; and
            what `load_lyrics_midi` raises.
    """
    from common.midi import load_summaries

    data = load_lyrics_midi(data_dir)
    print(
        f"{len(data.train)} training songs (repeated rows dropped: {data.duplicates}), "
        f"{len(data.test)} test songs, {len(data.midi_files)} MIDI files; songs without one: "
        f"{[s.name for s in data.unmatched]}"
    )
    order = np.random.default_rng(seed).permutation(len(data.train))
    train = [data.train[i] for i in order if data.train[i].midi][: train_songs or None]
    test = [song for song in data.test if song.midi]
    cache = paths.cache_dir("lyrics_midi", f"summaries-{data.archive_key}")
    every = data.midi_files if not train_songs else [s.midi for s in train + test]
    summaries = load_summaries(every, cache)
    failed = {p.name: s for p, s in summaries.items() if isinstance(s, str)}
    print(f"{len(summaries) - len(failed)} of {len(summaries)} MIDI files parsed; unreadable:")
    print("\n".join(f"  {name}: {error}" for name, error in sorted(failed.items())) or "  none")
    train = [song for song in train if not isinstance(summaries[song.midi], str)]
    test = [song for song in test if not isinstance(summaries[song.midi], str)]
    if len(test) == 0 or len(train) < 3:
        raise InputError(
            f"too few songs with a readable MIDI file: {len(train)} train, {len(test)} test"
        )
    held_out = max(1, round(validation_fraction * len(train)))
    return train[held_out:], train[:held_out], test, summaries
