"""Looking at words and word vectors: frequent words, neighbours, benchmarks and t-SNE maps.

Used by `word_embeddings.py`. Vectors are gensim `KeyedVectors` (anything
with `key_to_index`, `index_to_key`, `vectors`, `most_similar`).

- `top_words_table(counts)`: each category's most frequent words (Markdown).
- `neighbours_table(models, words, restrict)`: nearest neighbours per model.
- `analogy(vectors)`: "king - man + woman" (3CosAdd) as text.
- `analogy_accuracy(vectors, restrict)`: the Google analogy set
  (`questions-words.txt`, Mikolov et al. 2013, shipped with gensim),
  vectorised; `intrinsic_scores` adds WordSim-353 (Finkelstein et al. 2002).
  `intrinsic_table(models, ...)` scores several models at once.
- `labelled_vectors(scores, vectors)`: (words, vectors, scores) for a regression.
- `extremes_table(words, scores)`: the highest- and lowest-scored words.
- `tsne_2d`, `top_words_map`, `scored_words_map`: 2-D t-SNE maps of words.
- `one_thread()`: BLAS / OpenMP limited to one thread for small problems.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from common.reporting import markdown_table


def one_thread():
    """A context in which NumPy's BLAS and scikit-learn's OpenMP use one thread.

    These problems are small: on a busy 2-core machine, extra threads mostly
    spin. Measured there: a logistic regression 0.5 s instead of 24 s, a
    120-word t-SNE 1.8 s instead of 53 s.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def top_words_table(counts: Mapping[str, Counter], top: int = 10) -> str:
    """Markdown: one row per rank, one column per category {name: Counter}, `word (count)`."""
    columns = {name: counter.most_common(top) for name, counter in counts.items()}
    rows = [
        {"rank": rank + 1, **{g: f"{w[rank][0]} ({w[rank][1]})" for g, w in columns.items()}}
        for rank in range(top)
    ]
    return markdown_table(rows)


def neighbours_table(models: Mapping, words: Sequence[str], restrict: int, topn: int = 5) -> str:
    """Markdown: each word's `topn` nearest neighbours (cosine) in each model {name: vectors}.

    Neighbours are searched among each model's `restrict` most frequent words;
    a word a model lacks shows "(not in vocabulary)".
    """
    rows = []
    for word in words:
        row = {"word": word}
        for name, vectors in models.items():
            known = word in vectors.key_to_index
            similar = (
                vectors.most_similar(word, topn=topn, restrict_vocab=restrict) if known else []
            )
            row[name] = ", ".join(w for w, _ in similar) if known else "(not in vocabulary)"
        rows.append(row)
    return markdown_table(rows)


def analogy(vectors, positive=("king", "woman"), negative=("man",), topn: int = 3) -> str:
    """`positive - negative` (3CosAdd): the `topn` nearest words and cosines, or what is missing."""
    missing = [w for w in (*positive, *negative) if w not in vectors.key_to_index]
    if missing:
        return f"(not in vocabulary: {', '.join(missing)})"
    found = vectors.most_similar(positive=list(positive), negative=list(negative), topn=topn)
    return ", ".join(f"{word} ({score:.2f})" for word, score in found)


def analogy_accuracy(vectors, restrict: int, batch: int = 512) -> tuple[float, float]:
    """(accuracy, share answered) on the Google analogies, as gensim's evaluate_word_analogies.

    3CosAdd over unit vectors: the answer to "a : b :: c : ?" is the word
    nearest to b - a + c among the `restrict` most frequent words, a, b and c
    excluded; questions (lower-cased) with a word outside them are skipped
    (accuracy NaN when none is left). One matrix product per batch of
    questions instead of gensim's Python loop (about 100x faster).
    """
    from gensim.test.utils import datapath

    index = {}
    for position, word in enumerate(vectors.index_to_key[:restrict]):
        index.setdefault(word.lower(), position)
    lines = open(datapath("questions-words.txt"), encoding="utf-8").read().lower().splitlines()
    questions = [line.split() for line in lines if not line.startswith(":")]
    known = np.array([[index[w] for w in q] for q in questions if all(w in index for w in q)])
    if not len(known):
        return float("nan"), 0.0
    matrix = np.asarray(vectors.vectors[: len(vectors.index_to_key[:restrict])], dtype="float32")
    matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    correct = 0
    for start in range(0, len(known), batch):
        a, b, c, expected = known[start : start + batch].T
        scores = (matrix[b] - matrix[a] + matrix[c]) @ matrix.T
        rows = np.arange(len(a))
        scores[rows, a] = scores[rows, b] = scores[rows, c] = -np.inf
        correct += int((scores.argmax(axis=1) == expected).sum())
    return correct / len(known), len(known) / len(questions)


def intrinsic_scores(vectors, analogy_vocabulary: int) -> dict[str, float]:
    """Google-analogy accuracy and share answered, WordSim-353 Spearman and share answered.

    Returns {"analogy_accuracy", "analogy_answered", "wordsim_spearman",
    "wordsim_answered"} (floats; shares in [0, 1]). WordSim-353 pairs are
    compared case-insensitively; pairs with an unknown word are left out.
    """
    import logging

    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.ERROR)
    accuracy, answered = analogy_accuracy(vectors, analogy_vocabulary)
    _, spearman, oov_percent = vectors.evaluate_word_pairs(
        datapath("wordsim353.tsv"), restrict_vocab=10**7, case_insensitive=True
    )
    return {
        "analogy_accuracy": accuracy,
        "analogy_answered": answered,
        "wordsim_spearman": float(spearman.statistic),
        "wordsim_answered": 1 - oov_percent / 100,
    }


def intrinsic_table(models: Mapping, analogy_vocabulary: int) -> tuple[dict, str]:
    """`intrinsic_scores` of every model {name: vectors}: (metrics, Markdown table).

    Metric names are `<score>_<name>` with spaces and hyphens made "_"
    ("analogy_accuracy_word2vec_window_5"); the table adds each model's
    vocabulary size and its "king - man + woman" (`analogy`).
    """
    metrics, rows = {}, []
    for name, vectors in models.items():
        scores = intrinsic_scores(vectors, analogy_vocabulary)
        key = name.replace(" ", "_").replace("-", "_")
        metrics.update({f"{metric}_{key}": value for metric, value in scores.items()})
        rows.append({"model": name, "vocabulary": len(vectors.key_to_index), **scores})
        rows[-1]["king - man + woman"] = analogy(vectors)
    return metrics, markdown_table(rows, floatfmt=".3f")


def extremes_table(words: Sequence[str], scores: np.ndarray, top: int = 15) -> str:
    """Markdown: the `top` highest-scored words beside the `top` lowest, `word (+0.12)`."""
    order = np.argsort(scores)
    rows = [
        {
            "most positive": f"{words[p]} ({scores[p]:+.2f})",
            "most negative": f"{words[n]} ({scores[n]:+.2f})",
        }
        for p, n in zip(order[::-1][:top], order[:top])
    ]
    return markdown_table(rows)


def labelled_vectors(scores: Mapping[str, float], vectors) -> tuple[list, np.ndarray, np.ndarray]:
    """The words of `scores` {word: score} that `vectors` has (in `scores` order), their
    vectors float32 (n, d) and their scores float32 (n,)."""
    words = [word for word in scores if word in vectors.key_to_index]
    x = np.asarray(vectors[words], dtype="float32")
    return words, x, np.array([scores[word] for word in words], dtype="float32")


def tsne_2d(matrix: np.ndarray, seed: int) -> np.ndarray:
    """t-SNE (PCA start, perplexity 30 or less) of the rows of `matrix` (n, d) to float (n, 2)."""
    from sklearn.manifold import TSNE

    with one_thread():
        tsne = TSNE(perplexity=min(30.0, len(matrix) - 1.0), init="pca", random_state=seed)
        return tsne.fit_transform(matrix)


def _finish_map(figure, axis, title: str):
    axis.set_title(title)
    axis.set_xticks([])
    axis.set_yticks([])
    figure.tight_layout()
    return figure


def top_words_map(counts: Mapping[str, Counter], vectors, top: int, seed: int, title: str):
    """t-SNE of the `top` most frequent words of each category {name: Counter} that `vectors` has.

    A word frequent in several categories is coloured by the one where it is
    relatively most frequent (its share of that category's words). Returns a
    matplotlib Figure.
    """
    totals = {name: sum(counter.values()) for name, counter in counts.items()}
    words = sorted(
        {w for c in counts.values() for w, _ in c.most_common(top) if w in vectors.key_to_index}
    )
    colour = {w: max(counts, key=lambda g: counts[g][w] / totals[g]) for w in words}
    points = tsne_2d(np.asarray(vectors[words], dtype="float64"), seed)
    figure, axis = plt.subplots(figsize=(11, 9))
    palette = plt.get_cmap("tab10")
    for index, name in enumerate(counts):
        mask = np.array([colour[w] == name for w in words])
        axis.scatter(*points[mask].T, s=18, color=palette(index), label=name)
    for word, (x, y) in zip(words, points):
        axis.annotate(word, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    axis.legend(title="relatively most frequent in")
    return _finish_map(figure, axis, title)


def scored_words_map(
    words: Sequence[str], vectors, scores: np.ndarray, seed: int, title: str, label: str
):
    """t-SNE of `words` coloured by `scores` float (n,), blue high, red low (colour bar `label`).

    The 12 lowest- and 12 highest-scored words are labelled. Returns a matplotlib Figure.
    """
    points = tsne_2d(np.asarray(vectors[list(words)], dtype="float64"), seed)
    figure, axis = plt.subplots(figsize=(10, 8))
    limit = float(np.abs(scores).max())
    dots = axis.scatter(*points.T, c=scores, cmap="coolwarm_r", vmin=-limit, vmax=limit, s=12)
    figure.colorbar(dots, label=label)
    order = np.argsort(scores)
    for index in (*order[:12], *order[-12:]):
        axis.annotate(
            words[index], points[index], fontsize=7, xytext=(2, 2), textcoords="offset points"
        )
    return _finish_map(figure, axis, title)
