"""Named entity recognition: tags from a token classifier, entity scores, error analysis.

Used by assignments/named_entity_recognition.py, on top of `common.finetuning`
(words labelled on their first subtoken, batches of similar length). A
sentence's tags are a list of IOB2 strings, one per word ("B-PER", "I-PER",
"O"); `gold` and `predicted` are lists of such lists, sentence by sentence,
of equal lengths. Entities are seqeval's (Nakayama 2018,
https://github.com/chakki-works/seqeval), scored in strict IOB2 mode: an
entity counts only when its type and both boundaries are right (an `I-` tag
without its `B-` opens no entity).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2

from common import finetuning
from common.errors import InputError

__all__ = [
    "CASE_SHAPES",
    "case_segment_ids",
    "decode",
    "entity_scores",
    "error_examples",
    "get_entities",
    "predict_ids",
    "split_words",
    "tag_text",
    "type_confusion_figure",
    "with_case_segments",
    "word_case",
]

_SCORES = (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"))


#: Word shapes an uncased encoder gets back as segment ids (`case_segment_ids`);
#: 0 is [CLS], [SEP] and padding.
CASE_SHAPES = ("special", "lower", "Title", "UPPER", "mIxed", "no letter")


def word_case(word: str) -> int:
    """The index of `word`'s shape in `CASE_SHAPES`.

    "the" -> 1 (lower), "Kofi" and "A" -> 2 (Title), "UN" -> 3 (UPPER),
    "iPhone" and "McDonald" -> 4 (mIxed), "1999" and "," -> 5 (no letter).
    """
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return 5
    if all(c.islower() for c in letters):
        return 1
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return 2
    return 3 if all(c.isupper() for c in letters) else 4


def case_segment_ids(batch: dict, sentences: Sequence[Sequence[str]]) -> np.ndarray:
    """Each token's word shape (`word_case`): int32 `(n, sequence_length)`, 0 off the words.

    Args:
      batch: the `finetuning.tokenize_words` result of `sentences` (its `word_ids`).
      sentences: the n lists of words that were tokenised.
    """
    word_ids = batch["word_ids"]
    shapes = np.zeros_like(word_ids)
    for row, words in enumerate(sentences):
        on_words = word_ids[row] >= 0
        cases = np.array([word_case(word) for word in words] or [0], dtype=word_ids.dtype)
        shapes[row, on_words] = cases[word_ids[row, on_words]]
    return shapes


def with_case_segments(backbone):
    """A copy of a keras-hub `BertBackbone` with one segment embedding per `CASE_SHAPES` entry.

    An uncased encoder never sees capitals; BERT adds a learned segment
    embedding to every token's input embedding, and a single-sentence task
    uses only segment 0. Here the segment id carries the word's shape: the
    copy's 6 segment rows all start as the original's row 0, so it computes
    exactly what the original does until fine-tuning tells the shapes apart.

    Raises:
      InputError: a backbone without segment ids (DistilBERT).
    """
    config = backbone.get_config()
    if "num_segments" not in config:
        raise InputError(f"{type(backbone).__name__} has no segment ids to carry word case")
    config["num_segments"] = len(CASE_SHAPES)
    copy = type(backbone).from_config(config)
    weights = []
    for new, old in zip(copy.weights, backbone.weights, strict=True):
        value = np.asarray(old.numpy())
        if tuple(new.shape) != value.shape:  # the segment table: repeat row 0
            value = np.repeat(value[:1], new.shape[0], axis=0)
        weights.append(value)
    copy.set_weights(weights)
    return copy


def predict_ids(model, batch: dict) -> np.ndarray:
    """The most likely label id of every token: int32 `(n, sequence_length)`.

    `model` maps the `tokenize_words` arrays to logits `(n, length, labels)`;
    rows run in batches of similar length (`finetuning.predict_bucketed`).
    """
    return np.argmax(finetuning.predict_bucketed(model, batch), axis=-1).astype("int32")


def decode(ids: np.ndarray, batch: dict, names: Sequence[str]) -> list[list[str]]:
    """Per-word tags: each word's first-subtoken id read through `names` (cut words: id 0).

    Args:
      ids: int `(n, sequence_length)` label ids, e.g. from `predict_ids`.
      batch: the `finetuning.tokenize_words` result they were predicted on.
      names: the tag of each id.
    """
    return [[names[i] for i in row] for row in finetuning.per_word(ids, batch, fill=0)]


def tag_text(
    model, tokenizer, text: str, names: Sequence[str], case_features: bool = False
) -> list[tuple[str, str]]:
    """[(entity type, its words joined by spaces)] that a token classifier finds in `text`.

    The text is split with `split_words` and tokenised whole (up to 512
    tokens); with `case_features` the segment ids carry each word's shape
    (`case_segment_ids`), as in training.

    Raises:
      InputError: `text` holds no word.
    """
    words = split_words(text)
    if not words:
        raise InputError("--predict needs text with at least one word")
    batch = finetuning.tokenize_words(tokenizer, [words], 8, widen=True)
    if case_features:
        batch["segment_ids"] = case_segment_ids(batch, [words])
    tags = decode(predict_ids(model, batch), batch, names)[0]
    return [(kind, " ".join(words[start : end + 1])) for kind, start, end in get_entities(tags)]


def entity_scores(gold: Sequence[list], predicted: Sequence[list], prefix: str) -> dict:
    """Entity precision, recall and F1 (strict IOB2), overall and per type, and word accuracy.

    Returns:
      floats in [0, 1]: `{prefix}_precision`, `_recall`, `_f1` (micro average
      over entities), `{prefix}_token_accuracy` (share of words, O included,
      whose tag is right) and `{prefix}_{precision,recall,f1}_{TYPE}` for
      every entity type in `gold` or `predicted`. No entity at all scores 0.
    """
    report = classification_report(
        gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    scores = {f"{prefix}_{name}": float(report["micro avg"][key]) for name, key in _SCORES}
    words = [(g, p) for gold_row, row in zip(gold, predicted) for g, p in zip(gold_row, row)]
    scores[f"{prefix}_token_accuracy"] = float(np.mean([g == p for g, p in words]))
    for kind, values in report.items():
        if "avg" not in kind:
            for name, key in _SCORES:
                scores[f"{prefix}_{name}_{kind}"] = float(values[key])
    return scores


def error_examples(
    sentences: Sequence[list], gold: Sequence[list], predicted: Sequence[list], limit: int
) -> str:
    """Up to `limit` sentences per kind of error, as text (markdown headings with counts).

    Each gold entity not found exactly is a "wrong type" (a predicted entity
    has its span), "wrong boundaries" (one overlaps it) or "missed" (none
    overlaps); a predicted entity overlapping no gold one is "spurious".
    Each example is the sentence's words, then `gold: TYPE 'words'; predicted: ...`.
    """
    kinds = {"wrong type": [], "wrong boundaries": [], "missed": [], "spurious": []}

    def show(words, entities):
        return ", ".join(f"{t} '{' '.join(words[s : e + 1])}'" for t, s, e in entities) or "nothing"

    for words, gold_tags, tags in zip(sentences, gold, predicted):
        true, found = set(get_entities(gold_tags)), set(get_entities(tags))
        for entity in sorted(true - found, key=lambda x: x[1]):
            overlap = [x for x in found if x[1] <= entity[2] and entity[1] <= x[2]]
            overlap.sort(key=lambda x: (x[1], x[2]))  # sets have no order: by position
            same = [x for x in overlap if x[1:] == entity[1:]]
            kind = "wrong type" if same else "wrong boundaries" if overlap else "missed"
            kinds[kind].append((words, [entity], same or overlap))
        for entity in sorted(found - true, key=lambda x: x[1]):
            if not any(x[1] <= entity[2] and entity[1] <= x[2] for x in true):
                kinds["spurious"].append((words, [], [entity]))
    lines = []
    for kind, examples in kinds.items():
        lines.append(f"## {kind} ({len(examples)} in the test set)\n")
        for words, true, found in examples[:limit]:
            lines += [
                " ".join(words),
                f"    gold: {show(words, true)}; predicted: {show(words, found)}",
            ]
        lines.append("")
    return "\n".join(lines)


def type_confusion_figure(
    gold: Sequence[list], predicted: Sequence[list], types: Sequence[str], title: str
):
    """Row-normalised confusion matrix of the entity type of every word (O, then `types`).

    Raises:
      ValueError: a tag whose type is not in `types`.
    """
    from common import plots

    classes = ("O", *types)

    def kind(tag):
        return classes.index(tag[2:]) if tag != "O" else 0

    true = [kind(t) for row in gold for t in row]
    found = [kind(t) for row in predicted for t in row]
    return plots.confusion_matrix(true, found, classes, normalize=True, title=title)


def split_words(text: str) -> list[str]:
    """Words and punctuation marks: "Kofi Annan spoke in Accra." -> [..., "Accra", "."].

    A word may hold inner hyphens and apostrophes ("O'Neill's", "ex-wife").
    """
    return re.findall(r"\w+(?:[-'’]\w+)*|[^\w\s]", text)
