"""SQuAD v1.1 (Rajpurkar et al., 2016): extractive question answering on Wikipedia paragraphs.

Source: `squad/{train,dev}-v1.1.json` in the data folder, else the official
files https://rajpurkar.github.io/SQuAD-explorer/dataset/{train,dev}-v1.1.json
(CC BY-SA 4.0; sha256 checked). The dev set has 48 articles, 2,067
paragraphs, 10,570 questions (with up to 3+ gold answers each); the train set
442 articles and 87,599 questions (one answer each).

`load_squad` reads one file into `SquadExample`s; `split_articles` divides
examples into two sets of whole articles (so that no paragraph of a held-out
article was trained on); `load_squad_splits` picks the training and evaluation
sets: train-v1.1.json and the dev set where it can be found or downloaded, else
the dev set's articles split in two.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from common.datasets.base import find_file
from common.errors import DatasetNotFoundError, InputError

URL = "https://rajpurkar.github.io/SQuAD-explorer/dataset/"
FILES = {
    "train": (
        "train-v1.1.json",
        "3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955",
    ),
    "dev": ("dev-v1.1.json", "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9"),
}
SOURCES = ("auto", "train-dev", "dev-articles")


@dataclasses.dataclass(frozen=True)
class SquadExample:
    """One question on one paragraph.

    Attributes:
        id: SQuAD's question id.
        article: index of the article in its file (0-based); `title` its title.
        context: the paragraph (str).
        question: the question (str).
        answers: the gold answer texts (tuple of str, at least one; repeats kept).
        answer_starts: the character offset of each answer in `context`.
    """

    id: str
    article: int
    title: str
    context: str
    question: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]


def _parse(data, path) -> list[SquadExample]:
    """SquadExamples from the parsed JSON of a SQuAD v1.1 file (InputError if malformed)."""
    examples = []
    try:
        for article_index, article in enumerate(data["data"]):
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                for qa in paragraph["qas"]:
                    answers = tuple(str(a["text"]) for a in qa["answers"])
                    starts = tuple(int(a["answer_start"]) for a in qa["answers"])
                    if not answers or not isinstance(context, str):
                        raise ValueError(f"question {qa.get('id')} has no answer")
                    examples.append(
                        SquadExample(
                            str(qa["id"]),
                            article_index,
                            str(article.get("title", "")),
                            context,
                            str(qa["question"]),
                            answers,
                            starts,
                        )
                    )
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"{path} is not a SQuAD v1.1 file ({type(error).__name__}: {error}); "
            "replace it with a fresh copy"
        ) from None
    if not examples:
        raise InputError(f"{path} holds no questions; replace it with a fresh copy")
    return examples


def load_squad(split: str = "dev", data_dir=None) -> list[SquadExample]:
    """Read `squad/<split>-v1.1.json` (data folder -> cache -> download).

    Args:
        split: "train" or "dev".
        data_dir: the data folder (default `$ASSIGNMENTS_DATA_DIR`).

    Returns:
        A list of `SquadExample`, in file order (article, paragraph, question).

    Raises:
        InputError: an unknown split, or a file that is truncated, empty, not
            JSON or not in the SQuAD v1.1 layout.
        DatasetNotFoundError: no local copy and no network.
    """
    if split not in FILES:
        raise InputError(f"unknown SQuAD split {split!r}; choose one of {sorted(FILES)}")
    name, sha256 = FILES[split]
    path = find_file(f"squad/{name}", URL + name, data_dir, sha256, f"SQuAD v1.1 ({name})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            f"{path} is not valid JSON ({type(error).__name__}: {str(error)[:80]}); it is "
            "truncated or corrupt: replace it with a fresh copy"
        ) from None
    return _parse(data, path)


def split_articles(examples, held_out_fraction: float = 0.2, seed: int = 0):
    """Split examples into two sets of whole articles, about `held_out_fraction` of them held out.

    The articles are shuffled with `seed`; articles are moved to the held-out
    side in that order until it holds at least `held_out_fraction` of the
    questions. Each side keeps at least one article.

    Args:
        examples: a sequence of `SquadExample` (their `article` field groups them).
        held_out_fraction: the share of questions to hold out, in (0, 1).
        seed: the shuffle's seed; the same seed gives the same split.

    Returns:
        `(kept, held_out)`: two lists of examples in their original order.

    Raises:
        ValueError: a fraction outside (0, 1), or fewer than two articles.
    """
    if not 0 < held_out_fraction < 1:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    articles = sorted({example.article for example in examples})
    if len(articles) < 2:
        raise ValueError(f"need at least two articles to split, got {len(articles)}")
    counts = {article: 0 for article in articles}
    for example in examples:
        counts[example.article] += 1
    order = np.random.default_rng(seed).permutation(articles)
    held_out, total = set(), 0
    for article in order[:-1]:
        if total >= held_out_fraction * len(examples):
            break
        held_out.add(int(article))
        total += counts[int(article)]
    kept = [example for example in examples if example.article not in held_out]
    return kept, [example for example in examples if example.article in held_out]


def load_squad_splits(
    source: str = "auto", data_dir=None, held_out_fraction: float = 0.2, seed: int = 0
):
    """The training and evaluation examples, and a sentence that says where they came from.

    Sources:
        "train-dev": train-v1.1.json for training, the whole dev set for evaluation;
        "dev-articles": the dev set's articles split in two (`split_articles`),
            for use where only the dev set exists (as here, offline);
        "auto": "train-dev" if train-v1.1.json is found or downloaded, else "dev-articles".

    Returns:
        `(train_examples, eval_examples, description)`.

    Raises:
        InputError: an unknown source, or a corrupt file.
        DatasetNotFoundError: a file that is needed is nowhere and cannot be downloaded.
    """
    if source not in SOURCES:
        raise InputError(f"unknown SQuAD source {source!r}; choose one of {list(SOURCES)}")
    train = None
    if source in ("auto", "train-dev"):
        try:
            train = load_squad("train", data_dir)
        except DatasetNotFoundError:
            if source == "train-dev":
                raise
    dev = load_squad("dev", data_dir)
    if train is not None:
        return train, dev, "train-v1.1.json for training, the whole dev-v1.1.json for evaluation"
    kept, held_out = split_articles(dev, held_out_fraction, seed)
    description = (
        f"dev-v1.1.json split by article (seed {seed}): {len(kept)} questions of "
        f"{len({e.article for e in kept})} articles for training, {len(held_out)} of "
        f"{len({e.article for e in held_out})} held-out articles for evaluation"
    )
    return kept, held_out, description


def sample_examples(examples, count: int, seed: int) -> list:
    """A seeded random sample of `count` examples, in their original order.

    `count` 0 (or at least the number of examples) returns them all, as a
    new list. The same seed gives the same sample.
    """
    if not 0 < count < len(examples):
        return list(examples)
    chosen = np.random.default_rng(seed).choice(len(examples), count, replace=False)
    return [examples[i] for i in sorted(chosen)]
