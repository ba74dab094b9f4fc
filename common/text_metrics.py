"""Answer metrics of extractive and generative question answering (SQuAD v1.1).

`normalize_answer` is the official SQuAD v1.1 evaluation's normalisation
(Rajpurkar et al. 2016, `evaluate-v1.1.py`): lower case, punctuation
deleted (so "gorse-bush" becomes "gorsebush"), the articles a / an / the
removed, whitespace collapsed. `exact_match` and `token_f1` compare a
prediction with one gold answer or the best of several, as that script does.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence

__all__ = ["normalize_answer", "answer_tokens", "exact_match", "token_f1"]

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: 'The Best  Bear!' -> 'best bear'."""
    text = "".join(character for character in text.lower() if character not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def answer_tokens(text: str) -> list[str]:
    """The whitespace tokens of the normalised text."""
    return normalize_answer(text).split()


def _gold_list(gold: str | Sequence[str]) -> list[str]:
    golds = [gold] if isinstance(gold, str) else list(gold)
    if not golds:
        raise ValueError("at least one gold answer is needed")
    return golds


def exact_match(prediction: str, gold: str | Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer, else 0.0."""
    return float(max(normalize_answer(prediction) == normalize_answer(g) for g in _gold_list(gold)))


def _f1(prediction: str, gold: str) -> float:
    predicted, expected = answer_tokens(prediction), answer_tokens(gold)
    if not predicted or not expected:
        return float(predicted == expected)
    common = collections.Counter(predicted) & collections.Counter(expected)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(predicted), overlap / len(expected)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, gold: str | Sequence[str]) -> float:
    """Harmonic mean of token precision and recall (bag of normalised tokens), best over golds.

    Two empty token lists score 1.0; one empty list scores 0.0 (SQuAD 2.0's rule).
    """
    return max(_f1(prediction, g) for g in _gold_list(gold))
