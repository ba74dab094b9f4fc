"""Extractive question answering (SQuAD): two baselines and per-group error analysis.

Used by assignments/question_answering.py beside its fine-tuned model:

- `first_k_words(context, k)`: the paragraph's first k words.
- `sliding_window_answer(context, question, max_words)`: the sliding-window
  baseline of Rajpurkar et al. (2016, section 5; after Richardson et al. 2013),
  over word spans instead of parse-tree constituents.
- `question_word`, `quartile_groups`, `breakdown`, `breakdown_figure`: EM /
  F1 per group of questions (question word, paragraph length, answer length)
  as table rows and a bar chart; `wrong_answers_text` lists the misses.

Scores are per question, float `(n, 2)` arrays of (EM, F1) in [0, 1], as
`common.text_metrics.squad_scores` returns them.
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "FUNCTION_WORDS",
    "QUESTION_WORDS",
    "breakdown",
    "breakdown_figure",
    "first_k_words",
    "quartile_groups",
    "question_word",
    "sliding_window_answer",
    "wrong_answers_text",
]

#: The question words `question_word` looks for, in this order of report.
QUESTION_WORDS = ("what", "who", "when", "where", "why", "how", "which")
#: Words that may not start or end a sliding-window candidate.
FUNCTION_WORDS = frozenset(
    "a an the of in on at to for by with from and or as is was are be".split()
)
_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def first_k_words(context: str, k: int) -> str:
    """The first `k` white-space separated words of `context`, joined by single spaces."""
    return " ".join(context.split()[:k])


def _grams(words) -> set:
    return set(words) | set(zip(words, words[1:]))


def sliding_window_answer(context: str, question: str, max_words: int = 6) -> str:
    """The sliding-window baseline's answer: a span of `context` ("" if it has no word).

    Candidates are word spans of at most `max_words` words inside one sentence
    (no punctuation or `FUNCTION_WORDS` at either end). Those whose sentence,
    without the candidate, shares the most unigrams and bigrams with the
    question are kept; among them wins the one whose best window of |Q u A|
    words has the largest sum of inverse-count weights log(1 + 1/count) of its
    words found in the question or the candidate. Words are lowercased for the
    comparison; the answer is cut from `context` with its original characters.
    """
    matches = list(_WORD.finditer(context))
    words = [match.group().lower() for match in matches]
    question_words = [w.lower() for w in _WORD.findall(question) if w[0].isalnum()]
    question_grams, question_set = _grams(question_words), set(question_words)
    ends = [i + 1 for i, word in enumerate(words) if word in ".?!"] + [len(words)]
    best, best_overlap, start = [], -1, 0
    for end in ends:
        sentence = words[start:end]
        for i in range(start, end):
            for j in range(i, min(i + max_words, end)):
                if words[j] in ".?!":
                    break
                if any(not w[0].isalnum() or w in FUNCTION_WORDS for w in (words[i], words[j])):
                    continue
                rest = _grams(sentence[: i - start]) | _grams(sentence[j + 1 - start :])
                overlap = len(rest & question_grams)
                if overlap > best_overlap:
                    best, best_overlap = [], overlap
                if overlap == best_overlap:
                    best.append((i, j))
        start = end
    if not best:
        return ""
    counts = collections.Counter(words)
    weights = np.array([math.log(1 + 1 / counts[word]) for word in words])

    def window_score(span):
        target = question_set | set(words[span[0] : span[1] + 1])
        hits = weights * np.array([word in target for word in words])
        return np.convolve(hits, np.ones(min(len(target), len(words))), "valid").max()

    i, j = max(best, key=window_score)
    return context[matches[i].start() : matches[j].end()]


def question_word(question: str) -> str:
    """The first of `QUESTION_WORDS` among the question's words, else "other"."""
    words = re.findall(r"[a-z]+", question.lower())
    return next((word for word in words if word in QUESTION_WORDS), "other")


def breakdown(scores: np.ndarray, groups: Sequence[str], order: Sequence[str]) -> list[dict]:
    """Rows {group, questions, EM, F1} (EM and F1 in percent) of per-question scores.

    Args:
      scores: float `(n, 2)` per-question (EM, F1) in [0, 1].
      groups: the group of each question (n strings).
      order: the groups in the order of the rows; groups with no question are left out.
    """
    import pandas as pd

    frame = pd.DataFrame({"group": groups, "EM": 100 * scores[:, 0], "F1": 100 * scores[:, 1]})
    table = frame.groupby("group").agg(
        questions=("EM", "size"), EM=("EM", "mean"), F1=("F1", "mean")
    )
    return table.reindex([g for g in order if g in table.index]).reset_index().to_dict("records")


def breakdown_figure(rows: list[dict], xlabel: str, title: str):
    """Bars of EM and F1 per group (`breakdown` rows), the number of questions under each."""
    import pandas as pd

    from common.plots import plt

    table = pd.DataFrame(rows).set_index("group")
    figure, axis = plt.subplots(figsize=(6.5, 3.8))
    table[["EM", "F1"]].plot.bar(ax=axis, rot=0, ylabel="percent", title=title)
    axis.set_xticklabels([f"{g}\n(n={n})" for g, n in table["questions"].items()], fontsize=8)
    axis.set_xlabel(xlabel)
    figure.tight_layout()
    return figure


def quartile_groups(values: Sequence[float]) -> tuple[list[str], list[str]]:
    """Each value's quartile bin as a label "low-high" (ints), and the labels in order.

    Bins are cut at the 25th, 50th and 75th percentiles (truncated to int);
    equal edges merge, so there may be fewer than four bins.
    """
    values = np.asarray(values)
    edges = np.unique(np.quantile(values, [0, 0.25, 0.5, 0.75, 1]).astype(int))
    edges = edges if len(edges) > 1 else np.repeat(edges, 2)
    order = [f"{a}-{b}" for a, b in zip(edges, edges[1:])]
    return [order[i] for i in np.searchsorted(edges[1:-1], values)], order


def wrong_answers_text(examples, predictions: Sequence[str], scores: np.ndarray, count: int) -> str:
    """The first `count` questions with EM 0: title, question, prediction (its F1), gold answers.

    `examples` are `common.datasets.squad.SquadExample`s; `scores` their (EM, F1).
    """
    wrong = [i for i in range(len(examples)) if scores[i, 0] == 0][:count]
    return (
        "\n\n".join(
            f"[{examples[i].title}] {examples[i].question}\n  predicted: {predictions[i]!r} "
            f"(F1 {scores[i, 1]:.2f})\n  gold:      {' | '.join(sorted(set(examples[i].answers)))}"
            for i in wrong
        )
        + "\n"
    )
