"""Labeled Faces in the Wild, aligned (LFW-a), and the LFW view-1 pairs.

LFW (Huang, Ramesh, Berg & Learned-Miller 2007) holds 13,233 photos of 5,749
people collected from news sites; LFW-a (Wolf, Hassner & Taigman 2009) is the
same set aligned with a commercial face aligner, as 250x250 grayscale JPEGs.
Research use; these are photos of real people.

Layout: `lfw/lfwa.tar.gz` in the data folder, holding
`lfw2/<Name>/<Name>_NNNN.jpg` (the copy in ../shared/datasets is the subset
that covers both pair files and the 9 people with the most images), and the
pair files `lfw/pairsDevTrain.txt` / `lfw/pairsDevTest.txt` (LFW view 1: a
count line, then `name i j` for a matched pair or `name1 i name2 j` for a
mismatched one). An extracted folder works too: `lfw/lfw2/`, or the original
LFW layout `lfw/lfw/` (`lfw.tgz`), or any folder given as `root=`. The archive
is extracted into the cache once.

Images are returned as uint8 grayscale, optionally cropped to a central square
first (the aligned faces sit in the middle ~120x150 pixels of the 250x250
frame; the rest is hair, shoulders and background) and resized with PIL's
antialiased bilinear filter.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import paths
from common.datasets.base import extract, find_file
from common.errors import InputError

ARCHIVE = "lfw/lfwa.tar.gz"
# The original LFW-a address (offline here).
URL = "http://www.openu.ac.il/home/hassner/data/lfwa/lfwa.tar.gz"
PAIRS_URL = "http://vis-www.cs.umass.edu/lfw/{}"
PAIR_FILES = {"train": "pairsDevTrain.txt", "test": "pairsDevTest.txt"}
IMAGE_SIZE = 250
# The 9 people with the most LFW images (all politicians), most images first: the suite's
# stand-in for the handout's private set of 9 Israeli politicians.
POLITICIANS = (
    "George_W_Bush",
    "Colin_Powell",
    "Tony_Blair",
    "Donald_Rumsfeld",
    "Gerhard_Schroeder",
    "Ariel_Sharon",
    "Hugo_Chavez",
    "Junichiro_Koizumi",
    "Jean_Chretien",
)
_IMAGE_NAME = re.compile(r"^(.+)_(\d{4})\.jpe?g$", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """One LFW pair: image `index_a` of `name_a` and `index_b` of `name_b` (1-based)."""

    name_a: str
    index_a: int
    name_b: str
    index_b: int

    @property
    def same(self) -> bool:
        """True for a matched pair (the same person)."""
        return self.name_a == self.name_b


def _face_root(folder: Path) -> Path | None:
    """The folder under `folder` whose sub-folders are people (`<Name>/<Name>_NNNN.jpg`) or None."""
    for candidate in (folder, folder / "lfw2", folder / "lfw"):
        if candidate.is_dir() and any(candidate.glob("*/*_0001.jpg")):
            return candidate
    first = next(folder.rglob("*_0001.jpg"), None) if folder.is_dir() else None
    return first.parent.parent if first is not None else None


def lfw_root(data_dir=None, root: str | os.PathLike | None = None) -> Path:
    """The folder holding `<Name>/<Name>_NNNN.jpg`; extracts `lfw/lfwa.tar.gz` into the cache.

    Looks at `root` when given; else for an extracted `lfw/lfw2/` or `lfw/lfw/`
    in the data folder; else for the archive (data folder, cache, then the
    original URL) and extracts it once to `<cache>/extracted/lfwa_<size>/`.

    Raises:
        InputError: `root` or the archive holds no LFW image folders, or the
            archive is corrupt.
        DatasetNotFoundError: no copy anywhere and no network.
    """
    if root is not None:
        found = _face_root(Path(root))
        if found is None:
            raise InputError(f"{root} holds no LFW image folders <Name>/<Name>_0001.jpg")
        return found
    folder = paths.data_dir(data_dir)
    if folder is not None and folder.is_dir():
        for extracted in (folder / "lfw" / "lfw2", folder / "lfw" / "lfw"):
            found = _face_root(extracted) if extracted.is_dir() else None
            if found is not None:
                return found
    archive = find_file(ARCHIVE, URL, data_dir, None, "LFW-a (lfwa.tar.gz)")
    found = _face_root(extract(archive, "lfwa"))
    if found is None:
        raise InputError(
            f"{archive} holds no LFW image folders lfw2/<Name>/<Name>_0001.jpg; "
            "replace it with LFW-a"
        )
    return found


def image_path(root: Path, name: str, index: int) -> Path:
    """`root/<name>/<name>_<index:04d>.jpg`, the LFW file-naming scheme."""
    return Path(root) / name / f"{name}_{index:04d}.jpg"


def people_counts(root: Path) -> Counter:
    """Number of images of every person in `root` (a `Counter` name -> count)."""
    counts = Counter()
    for person in Path(root).iterdir():
        if person.is_dir():
            counts[person.name] = sum(1 for p in person.iterdir() if _IMAGE_NAME.match(p.name))
    return counts


def load_image(path: Path, size: int = IMAGE_SIZE, crop: int = IMAGE_SIZE) -> np.ndarray:
    """One face as uint8 grayscale (size, size): the central `crop`-square, resized to `size`.

    Raises:
        InputError: the file is missing or not a readable image.
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            image = image.convert("L")
            width, height = image.size
            side = min(crop, width, height)
            left, top = (width - side) // 2, (height - side) // 2
            image = image.crop((left, top, left + side, top + side))
            if image.size != (size, size):
                image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=None)
            return np.asarray(image, dtype=np.uint8)
    except FileNotFoundError:
        raise InputError(
            f"{path} is missing; the LFW copy is incomplete (see ../shared/datasets/SOURCES.md)"
        ) from None
    except OSError as error:
        raise InputError(
            f"{path} is not a readable image ({error}); replace the LFW copy"
        ) from None


def load_people(names=POLITICIANS, data_dir=None, size: int = 224, crop: int = 150, root=None):
    """Every image of the given people, for classification.

    Args:
        names: LFW names (`First_Last`); the default is `POLITICIANS`.
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).
        size: output side in pixels.
        crop: side of the central square cut from the 250x250 image first
            (250: the whole frame).
        root: an extracted LFW folder to use instead of the data folder.

    Returns:
        `(images, labels, files)`: uint8 (n, size, size) grayscale; int32 (n,)
        class ids, the position of each person in `names`; the file names
        (`<Name>_NNNN.jpg`), sorted by person then number. For the default
        nine: n = 1,403 (530 Bush ... 55 Chretien).

    Raises:
        InputError: a name has no images, or a bad `size` / `crop`.
        DatasetNotFoundError: no LFW copy.
    """
    if size < 8 or crop < 8:
        raise InputError(f"size and crop must be >= 8 pixels, got {size} and {crop}")
    folder = lfw_root(data_dir, root)
    images, labels, files = [], [], []
    for label, name in enumerate(names):
        person = folder / name
        paths_ = (
            sorted(p for p in person.iterdir() if _IMAGE_NAME.match(p.name))
            if person.is_dir()
            else []
        )
        if not paths_:
            raise InputError(f"no images of {name!r} in {folder}; names look like George_W_Bush")
        for path in paths_:
            images.append(load_image(path, size, crop))
            labels.append(label)
            files.append(path.name)
    return np.stack(images), np.asarray(labels, dtype=np.int32), files


def read_pairs(path: str | os.PathLike) -> list[Pair]:
    """Parse an LFW pairs file (view 1 `pairsDev*.txt`, or one fold of view 2's `pairs.txt`).

    Returns:
        The pairs in file order: matched pairs first, then mismatched in the view-1 files.

    Raises:
        InputError: a line that is neither `name i j` nor `name1 i name2 j`.
    """
    pairs = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or (number == 1 and all(f.isdigit() for f in fields)):
            continue  # the count line ("1100", or "10 300" in view 2)
        try:
            if len(fields) == 3:
                pairs.append(Pair(fields[0], int(fields[1]), fields[0], int(fields[2])))
            elif len(fields) == 4:
                pairs.append(Pair(fields[0], int(fields[1]), fields[2], int(fields[3])))
            else:
                raise ValueError
        except ValueError:
            raise InputError(
                f"{path}:{number}: expected 'name i j' or 'name1 i name2 j', got {line!r}"
            ) from None
    if not pairs:
        raise InputError(f"{path} holds no pairs")
    return pairs


def pairs_file(split: str, data_dir=None) -> Path:
    """The path of `lfw/pairsDevTrain.txt` (split "train") or `lfw/pairsDevTest.txt` ("test")."""
    if split not in PAIR_FILES:
        raise InputError(f"unknown LFW pair split {split!r}; choose 'train' or 'test'")
    name = PAIR_FILES[split]
    return find_file(f"lfw/{name}", PAIRS_URL.format(name), data_dir, None, f"LFW pairs ({name})")


def load_pairs(split: str = "train", data_dir=None, size: int = 105, crop: int = 150, root=None):
    """The images of one LFW view-1 pair split.

    Args:
        split: "train" (pairsDevTrain.txt, 1,100 matched + 1,100 mismatched)
            or "test" (pairsDevTest.txt, 500 + 500).
        size, crop, root, data_dir: as in `load_people`.

    Returns:
        `(images, index_a, index_b, labels, pairs)`: the distinct images,
        uint8 (m, size, size) grayscale; int32 (n,) row of each pair's first
        and second image in `images`; float32 (n,) 1.0 for the same person,
        0.0 otherwise; the `Pair` records (person names, for splitting by
        person and for figures).

    Raises:
        InputError: a bad pairs file or a missing image.
        DatasetNotFoundError: no LFW copy or no pairs file.
    """
    pairs = read_pairs(pairs_file(split, data_dir))
    folder = lfw_root(data_dir, root)
    keys = sorted({(p.name_a, p.index_a) for p in pairs} | {(p.name_b, p.index_b) for p in pairs})
    row = {key: position for position, key in enumerate(keys)}
    images = np.stack(
        [load_image(image_path(folder, name, index), size, crop) for name, index in keys]
    )
    index_a = np.asarray([row[(p.name_a, p.index_a)] for p in pairs], dtype=np.int32)
    index_b = np.asarray([row[(p.name_b, p.index_b)] for p in pairs], dtype=np.int32)
    labels = np.asarray([p.same for p in pairs], dtype=np.float32)
    return images, index_a, index_b, labels, pairs


__all__ = [
    "POLITICIANS",
    "Pair",
    "image_path",
    "lfw_root",
    "load_image",
    "load_pairs",
    "load_people",
    "pairs_file",
    "people_counts",
    "read_pairs",
]
