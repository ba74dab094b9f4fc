"""Generating text from a language model and scoring it: sampling, n-gram baselines, similarity.

- `sample_next(probabilities, temperature, rng)`: one draw per row from
  `softmax(log p / T)` (never argmax); `generate(next_distribution, ...)`
  runs any step-wise model (an LSTM step, an n-gram) until each row has
  its number of words.
- `NGramModel`: a smoothed unigram (add-one) or interpolated Kneser-Ney
  bigram model over integer token ids, with `probabilities(previous)` for
  sampling and `perplexity(sequences)`, the reference a neural language
  model should beat (Chen & Goodman 1998 for Kneser-Ney smoothing).
- `text_scores(generated, original, vectors, analyzer)`: how close a
  generated word list is to the original: cosine similarity of the mean
  word vectors, the same over aligned 1-, 2- and 3-word windows
  (`window_cosine`), the word-level Levenshtein distance divided by the
  longer length (the `Levenshtein` package), and the absolute difference of
  VADER compound sentiment (`vaderSentiment`'s `SentimentIntensityAnalyzer`).
- `make_sequences(ids_list, melodies, length)`: songs of ids (and per-step
  features) cut into padded next-word training sequences;
  `model_perplexity(model, songs, melodies)`: a Keras next-word model's
  perplexity on whole songs.
- `distribution_figure(probabilities, temperatures, vocabulary, context)`:
  bars of the likeliest next characters at each sampling temperature.

Pure numpy / scipy; word vectors are gensim `KeyedVectors` (anything with
`key_to_index` and `vectors[list_of_words]`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "NGramModel",
    "distribution_figure",
    "generate",
    "make_sequences",
    "model_perplexity",
    "sample_next",
    "text_scores",
    "window_cosine",
]


class NGramModel:
    """A smoothed unigram (order 1) or interpolated Kneser-Ney bigram (order 2) model of ids.

    Args:
        sequences: int token ids per song (`(n_i,)`), ids in 1 .. vocabulary_size - 1.
        vocabulary_size: V; id 0 (padding) gets probability 0.
        order: 1 or 2.
        discount: the Kneser-Ney discount d in [0, 1].
    """

    def __init__(self, sequences, vocabulary_size: int, order: int = 2, discount: float = 0.75):
        from scipy.sparse import coo_matrix

        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, got {order}")
        self.order, self.discount, self.size = order, discount, vocabulary_size
        tokens = np.concatenate([np.asarray(s) for s in sequences])
        counts = np.bincount(tokens, minlength=vocabulary_size).astype(np.float64)
        counts[0] = 0
        self.unigram = (counts + 1) / (counts.sum() + vocabulary_size - 1)
        self.unigram[0] = 0
        previous = np.concatenate([np.asarray(s)[:-1] for s in sequences])
        following = np.concatenate([np.asarray(s)[1:] for s in sequences])
        self.bigrams = coo_matrix(
            (np.ones(len(previous)), (previous, following)), shape=(vocabulary_size,) * 2
        ).tocsr()
        continuation = np.asarray((self.bigrams > 0).sum(axis=0)).ravel().astype(np.float64)
        continuation[0] = 0  # N1+(. w): how many different words w follows
        self.continuation = (continuation + 1) / (continuation.sum() + vocabulary_size - 1)
        self.continuation[0] = 0

    def probabilities(self, previous) -> np.ndarray:
        """float64 `(batch, V)`: the next-id distribution after each id of `previous` `(batch,)`."""
        previous = np.asarray(previous, dtype=np.int64)
        if self.order == 1:
            return np.tile(self.unigram, (len(previous), 1))
        rows = self.bigrams[previous].toarray()
        totals = rows.sum(axis=1, keepdims=True)
        types = (rows > 0).sum(axis=1, keepdims=True)
        safe = np.maximum(totals, 1)
        mixed = np.maximum(rows - self.discount, 0) / safe
        mixed += self.discount * types / safe * self.continuation
        return np.where(totals > 0, mixed, self.continuation[None, :])

    def perplexity(self, sequences) -> float:
        """Perplexity on songs of ids: every token after the first, given the one before."""
        log_probability, count = 0.0, 0
        for ids in sequences:
            p = self.probabilities(ids[:-1])[np.arange(len(ids) - 1), ids[1:]]
            log_probability += np.log(p).sum()
            count += len(ids) - 1
        return float(np.exp(-log_probability / count))


def _mean_vector(words, vectors):
    known = [w for w in words if w in vectors.key_to_index]
    return np.mean(vectors[known], axis=0) if known else None


def _cosine(a, b) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def window_cosine(generated, original, vectors, width: int) -> float:
    """Mean cosine of aligned `width`-word windows' mean vectors.

    Window i of `generated` is compared with window i of `original` (word
    lists); windows with no word known to `vectors` are skipped; NaN when
    none is left.
    """
    values = []
    for i in range(min(len(generated), len(original)) - width + 1):
        a, b = (
            _mean_vector(generated[i : i + width], vectors),
            _mean_vector(original[i : i + width], vectors),
        )
        if a is not None and b is not None:
            values.append(_cosine(a, b))
    return float(np.mean(values)) if values else float("nan")


def text_scores(generated, original, vectors, analyzer) -> dict:
    """Similarity of two word lists: cosines, normalised Levenshtein, sentiment difference."""
    import Levenshtein

    a, b = _mean_vector(generated, vectors), _mean_vector(original, vectors)
    scores = {"cosine": _cosine(a, b) if a is not None and b is not None else float("nan")}
    for width in (1, 2, 3):
        scores[f"cosine_{width}"] = window_cosine(generated, original, vectors, width)
    scores["levenshtein"] = Levenshtein.distance(generated, original) / max(
        len(generated), len(original), 1
    )
    sentiment = [
        analyzer.polarity_scores(" ".join(words))["compound"] for words in (generated, original)
    ]
    scores["sentiment_difference"] = abs(sentiment[0] - sentiment[1])
    return scores


def sample_next(probabilities: np.ndarray, temperature: float, rng, banned=(0, 1)) -> np.ndarray:
    """Draw one id per row from `softmax(log(probabilities) / temperature)`, `banned` ids excluded.

    Args:
        probabilities: `(batch, V)` non-negative rows.
        temperature: > 0.
        rng: a `numpy.random.Generator`.
        banned: ids that are never drawn (padding, `<unk>`).

    Returns:
        int64 `(batch,)` ids.

    Raises:
        ValueError: a temperature that is not > 0.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    logits = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-300, None)) / temperature
    logits[:, list(banned)] = -np.inf
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random((len(cumulative), 1))
    return np.minimum((cumulative < draws).sum(axis=1), cumulative.shape[1] - 1)


def generate(
    next_distribution,
    first_ids,
    word_counts,
    temperature: float,
    rng,
    banned=(0, 1),
    uncounted=(2,),
) -> list[list[int]]:
    """Sample token ids for several texts at once, each from its first id.

    Args:
        next_distribution: `(previous ids (batch,), step) -> (batch, V)`
            probabilities (a stateful LSTM step or an n-gram model).
        first_ids: the seed word's id per row.
        word_counts: per row, the words to reach, seed included; ids in
            `uncounted` (a line-break token) are not words.
        temperature: the sampling temperature (> 0).
        rng: a `numpy.random.Generator`.
        banned: ids never drawn (padding, unknown word).
        uncounted: ids that do not count as words.

    Returns:
        Per row, a list of ids: the seed, then sampled ids until `word_counts`
        words (at most 4 * max(word_counts) steps).
    """
    rows = [[int(i)] for i in first_ids]
    done = [count <= 1 for count in word_counts]
    for step in range(4 * max(word_counts, default=0)):
        if all(done):
            break
        previous = [r[-1] for r in rows]
        chosen = sample_next(next_distribution(previous, step), temperature, rng, banned)
        for row, (ids, token) in enumerate(zip(rows, chosen)):
            if not done[row]:
                ids.append(int(token))
                done[row] = sum(i not in uncounted for i in ids) >= word_counts[row]
    return rows


def make_sequences(ids_list, melodies, length: int):
    """Cut songs into padded next-word sequences: (inputs dict, int32 targets `(N, length)`).

    `ids_list`: int32 ids per song `(n_i,)`; `melodies`: per song float32
    `(n_i - 1, f)` inputs (row t goes with the step that reads token t), or
    None. Each song is cut into pieces of `length` steps (inputs: tokens
    t .. t + length - 1, targets: the tokens after them); the last piece is
    padded with id 0 (and zero features). The inputs are "word_ids" int32
    `(N, length)` and, with melodies, "melody" float32 `(N, length, f)`.
    """
    inputs, targets, melody = [], [], []
    for position, ids in enumerate(ids_list):
        for start in range(0, len(ids) - 1, length):
            chunk = ids[start : start + length + 1]
            pad = length + 1 - len(chunk)
            inputs.append(np.pad(chunk[:-1], (0, pad)))
            targets.append(np.pad(chunk[1:], (0, pad)))
            if melodies is not None:
                steps = melodies[position][start : start + len(chunk) - 1]
                melody.append(np.pad(steps, ((0, pad), (0, 0))))
    features = {"word_ids": np.stack(inputs).astype(np.int32)}
    if melodies is not None:
        features["melody"] = np.stack(melody).astype(np.float32)
    return features, np.stack(targets).astype(np.int32)


def model_perplexity(model, sequences, melodies=None, batch: int = 8) -> float:
    """Perplexity of a next-word Keras model on whole songs, `batch` songs per call.

    `model` maps `make_sequences`' inputs to `(batch, time, V)` softmax
    probabilities; `sequences`: ids per song `(n_i,)`; `melodies`: per song
    `(n_i - 1, f)` or None. Every token after a song's first is scored
    (padding never): `exp` of the mean negative log-probability, each
    probability clipped at 1e-12.
    """
    log_probability, count = 0.0, 0
    for start in range(0, len(sequences), batch):
        group = sequences[start : start + batch]
        steps = melodies[start : start + batch] if melodies is not None else None
        inputs, targets = make_sequences(group, steps, max(len(s) for s in group) - 1)
        probabilities = model.predict(inputs, verbose=0)
        chosen = np.take_along_axis(probabilities, targets[..., None], axis=-1)[..., 0]
        log_probability += np.log(np.clip(chosen[targets > 0], 1e-12, None)).sum()
        count += int((targets > 0).sum())
    return float(np.exp(-log_probability / count))


def distribution_figure(
    probabilities: np.ndarray, temperatures, vocabulary, context: str, top: int = 12
):
    """Bars of the `top` likeliest next characters per temperature, with each one's entropy.

    Args:
        probabilities: (len(temperatures), len(vocabulary)) next-character
            distributions, one row per temperature (each row sums to 1).
        temperatures: the sampling temperatures (> 0), for the legend.
        vocabulary: id -> character.
        context: the text the distributions follow (its last 30 characters
            are shown in the title).
        top: characters shown, ordered by their probability at the temperature nearest 1.

    Returns:
        A matplotlib figure; the legend gives each distribution's entropy in nats.
    """
    import matplotlib.pyplot as plt

    top = min(top, len(vocabulary))
    reference = int(np.argmin([abs(math.log(t)) for t in temperatures]))
    order = np.argsort(-probabilities[reference])[:top]
    labels = [repr(vocabulary[i])[1:-1] or " " for i in order]
    labels = ["space" if label == " " else label for label in labels]
    figure, axis = plt.subplots(figsize=(7.5, 3.8))
    width = 0.8 / len(temperatures)
    for row, temperature in enumerate(temperatures):
        p = probabilities[row]
        entropy = -np.sum(p * np.log(np.clip(p, 1e-300, None)))
        axis.bar(
            np.arange(top) + (row - (len(temperatures) - 1) / 2) * width,
            p[order],
            width,
            label=f"T = {temperature:g} (entropy {entropy:.2f} nats)",
        )
    axis.set_xticks(np.arange(top), labels)
    axis.set_ylabel("probability")
    axis.set_title(f"Next character after {context[-30:]!r}")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    return figure
