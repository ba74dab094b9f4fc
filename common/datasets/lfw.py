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

For verification (the Siamese-network assignment), `load_pairs` gives a
`FacePairs`; `split_by_person`, `balanced` and `subsample` cut it into training
and validation pairs, and the Keras `PyDataset`s `PeopleBatches` (two photos
each of P people) and `PairBatches` (fixed pairs) feed it to `fit`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import keras
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


@dataclass
class FacePairs:
    """Pairs of face photos over one array of photos, each distinct photo stored once.

    Attributes:
        images: uint8 (m, size, size) grayscale photos, 0..255.
        a, b: int (n,) rows in `images` of each pair's two photos.
        labels: float32 (n,), 1.0 when both photos show one person.
        person_a, person_b: str (n,) the people of the two photos (`First_Last`).
    """

    images: np.ndarray
    a: np.ndarray
    b: np.ndarray
    labels: np.ndarray
    person_a: np.ndarray
    person_b: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, rows) -> FacePairs:
        """The pairs at the positions `rows` (int), over the same photos."""
        rows = np.asarray(rows, dtype=np.int64)
        parts = ("a", "b", "labels", "person_a", "person_b")
        return replace(self, **{name: getattr(self, name)[rows] for name in parts})

    def photos(self) -> dict[int, str]:
        """`{image row: person}` of every photo the pairs use, in row order."""
        person = {}
        for a, b, name_a, name_b in zip(self.a, self.b, self.person_a, self.person_b):
            person[int(a)], person[int(b)] = str(name_a), str(name_b)
        return dict(sorted(person.items()))

    def photos_by_person(self) -> dict[str, np.ndarray]:
        """`{person: int64 (k,) image rows, ascending}`, the people sorted by name."""
        groups: dict[str, list[int]] = {}
        for row, person in self.photos().items():
            groups.setdefault(person, []).append(row)
        return {person: np.asarray(groups[person], dtype=np.int64) for person in sorted(groups)}


def load_pairs(
    split: str = "train", data_dir=None, size: int = 105, crop: int = 150, root=None
) -> FacePairs:
    """The pairs of one LFW view-1 pair file, with their photos.

    Args:
        split: "train" (pairsDevTrain.txt, 1,100 matched + 1,100 mismatched)
            or "test" (pairsDevTest.txt, 500 + 500).
        size, crop, root, data_dir: as in `load_people`.

    Returns:
        A `FacePairs` in file order (matched pairs first); `images` holds the
        distinct photos sorted by person and number, `a` / `b` are int32.

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
    names = np.asarray([(p.name_a, p.name_b) for p in pairs]).reshape(-1, 2)
    return FacePairs(images, index_a, index_b, labels, names[:, 0], names[:, 1])


def split_by_person(pairs: FacePairs, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (train, validation) of `pairs`, int64, with no person on both sides.

    A random `fraction` of the people (at least one) are validation people; a pair goes to
    validation when both its people are validation people and to training when neither is.
    Pairs that mix the two sides are in neither.
    """
    people = sorted(set(pairs.person_a.tolist()) | set(pairs.person_b.tolist()))
    rng = np.random.default_rng(seed)
    held_out = rng.choice(people, size=max(1, round(fraction * len(people))), replace=False)
    in_a, in_b = np.isin(pairs.person_a, held_out), np.isin(pairs.person_b, held_out)
    return np.flatnonzero(~in_a & ~in_b), np.flatnonzero(in_a & in_b)


def balanced(pairs: FacePairs, seed: int) -> FacePairs:
    """`pairs`, then new mismatched pairs of their own photos until half the pairs are mismatched.

    The new pairs join two random photos of different people that are not yet a pair (in either
    order); they stop early when all photos show one person.
    """
    rng = np.random.default_rng(seed)
    person = pairs.photos()
    rows = np.asarray(list(person), dtype=np.int64)
    existing = set(zip(pairs.a.tolist(), pairs.b.tolist()))
    missing, new = int(pairs.labels.sum()) * 2 - len(pairs), []
    while missing > 0 and len(set(person.values())) > 1:
        x, y = (int(v) for v in rng.choice(rows, 2, replace=False))
        if person[x] != person[y] and (x, y) not in existing and (y, x) not in existing:
            new.append((x, y))
            existing.add((x, y))
            missing -= 1
    a, b = np.asarray(new, dtype=np.int64).reshape(-1, 2).T
    return FacePairs(
        pairs.images,
        np.concatenate([pairs.a, a]),
        np.concatenate([pairs.b, b]),
        np.concatenate([pairs.labels, np.zeros(len(new), np.float32)]),
        np.concatenate([pairs.person_a, [person[x] for x in a.tolist()]]),
        np.concatenate([pairs.person_b, [person[y] for y in b.tolist()]]),
    )


def subsample(pairs: FacePairs, count: int, seed: int) -> FacePairs:
    """At most `count` of `pairs` (0: all), half matched and half mismatched where possible,
    in their original order."""
    if not count or count >= len(pairs):
        return pairs
    rng = np.random.default_rng(seed)
    same, different = np.flatnonzero(pairs.labels == 1), np.flatnonzero(pairs.labels == 0)
    take_same = min(len(same), count // 2)
    take_different = min(len(different), count - take_same)
    chosen = [rng.choice(same, take_same, False), rng.choice(different, take_different, False)]
    return pairs.subset(np.sort(np.concatenate(chosen)))


def as_faces(images: np.ndarray) -> np.ndarray:
    """float32 (n, height, width, 1), 0..255, from uint8 (n, height, width[, 1]) photos."""
    faces = np.asarray(images, dtype="float32")
    return faces[..., None] if faces.ndim == 3 else faces


class PeopleBatches(keras.utils.PyDataset):
    """Batches `(faces, same)` of two photos each of `people_per_batch` people, `steps` an epoch.

    Every epoch walks the people in a fresh random order (as many rounds as the steps need);
    each person of a batch gives two distinct random photos.

    Args:
        images: (n_images, size, size[, 1]) photos.
        photos_by_person: `{person: image rows}` (people with one photo are skipped).
        people_per_batch: P (at most the number of people with two photos).
        steps: batches an epoch.
        seed: the seed of the person order and the photo draws.

    Yields:
        faces float32 (2P, size, size, 1), 0..255; `same` float32 (2P, 2P), 1 where two faces
        show one person.

    Raises:
        ValueError: fewer than two people with two photos.
    """

    def __init__(self, images, photos_by_person: dict, people_per_batch: int, steps: int, seed):
        super().__init__()
        self.images, self.steps = images, steps
        self.photos = [rows for rows in photos_by_person.values() if len(rows) >= 2]
        if len(self.photos) < 2:
            raise ValueError("PeopleBatches needs at least two people with two photos each")
        self.size = min(people_per_batch, len(self.photos))
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        chosen = self.order[index * self.size : (index + 1) * self.size]
        rows = np.stack([self.rng.choice(self.photos[p], 2, replace=False) for p in chosen])
        person = np.repeat(np.arange(len(chosen)), 2)
        same = (person[:, None] == person[None, :]).astype("float32")
        return as_faces(self.images[rows.reshape(-1)]), same

    def on_epoch_end(self):
        rounds = -(-self.steps * self.size // len(self.photos))
        self.order = np.concatenate([self.rng.permutation(len(self.photos)) for _ in range(rounds)])


class PairBatches(keras.utils.PyDataset):
    """Batches `((faces_a, faces_b), labels)` of the fixed `pairs`, shuffled every epoch.

    Faces float32 (batch, size, size, 1), 0..255; labels float32 (batch,), 1 = same person.
    """

    def __init__(self, pairs: FacePairs, batch_size: int, seed: int):
        super().__init__()
        self.pairs, self.batch_size = pairs, batch_size
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.pairs) / self.batch_size))

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images, a, b = self.pairs.images, self.pairs.a[batch], self.pairs.b[batch]
        return (as_faces(images[a]), as_faces(images[b])), self.pairs.labels[batch]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.pairs))


__all__ = [
    "POLITICIANS",
    "FacePairs",
    "Pair",
    "PairBatches",
    "PeopleBatches",
    "as_faces",
    "balanced",
    "image_path",
    "lfw_root",
    "load_image",
    "load_pairs",
    "load_people",
    "pairs_file",
    "people_counts",
    "read_pairs",
    "split_by_person",
    "subsample",
]
