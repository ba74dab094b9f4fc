"""Answer metrics of extractive and generative question answering (SQuAD v1.1).

`normalize_answer` is the official SQuAD v1.1 evaluation's normalisation
(Rajpurkar et al. 2016, `evaluate-v1.1.py`): lower case, punctuation
deleted (so "gorse-bush" becomes "gorsebush"), the articles a / an / the
removed, whitespace collapsed. `exact_match` and `token_f1` compare a
prediction with one gold answer or the best of several, as that script does;
`squad_scores` gives both for many questions, exactly as the v1.1 script.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence

import numpy as np

__all__ = ["normalize_answer", "answer_tokens", "exact_match", "token_f1", "squad_scores"]

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


def _f1(prediction: str, gold: str, both_empty: float = 1.0) -> float:
    predicted, expected = answer_tokens(prediction), answer_tokens(gold)
    if not predicted or not expected:
        return float(both_empty) if predicted == expected else 0.0
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


def squad_scores(predictions: Sequence[str], golds: Sequence[Sequence[str]]) -> np.ndarray:
    """Per question (EM, F1) as SQuAD v1.1's `evaluate-v1.1.py` scores them: float `(n, 2)`.

    Each value is the best over the question's gold answers, in [0, 1]. F1 is
    v1.1's: a prediction and a gold answer that are both empty after
    normalisation score 0 (`token_f1`, SQuAD 2.0's rule, scores them 1).

    Raises:
      ValueError: a question without a gold answer.
    """
    scores = [
        [exact_match(prediction, gold), max(_f1(prediction, g, 0.0) for g in _gold_list(gold))]
        for prediction, gold in zip(predictions, golds)
    ]
    return np.array(scores, dtype=float).reshape(-1, 2)
