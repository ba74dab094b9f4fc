"""Evaluation of face verification: scores, ROC AUC, the threshold, N-way one-shot tasks, figures.

A verification model gives each pair of photos a same-person score (higher:
more alike). For a Siamese network split into a `tower` (face -> embedding)
and a `scorer` (two embeddings -> probability), `pair_scores` embeds every
distinct photo once and scores the pairs with the cheap scorer, and
`ValidationAUC` tracks the validation ROC AUC while training. The other
functions turn scores into the numbers and figures the Siamese-network
assignment reports: the ROC AUC, the threshold that maximises accuracy on
validation pairs and the accuracy it gives on test pairs, and Koch et al.'s
N-way one-shot tasks (one query photo, N candidates, one of them the same
person) with a pixel nearest-neighbour baseline.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from common.datasets.lfw import FacePairs, as_faces
from common.plots import plt


def embed(tower: keras.Model, images: np.ndarray, rows) -> np.ndarray:
    """Embeddings float32 (n_images, dim) of `images` (n_images, size, size[, 1]), 0..255:
    the rows `rows` (int) filled in by `tower`, zeros elsewhere."""
    rows = np.unique(rows)
    embeddings = np.zeros((len(images), int(tower.outputs[0].shape[-1])), dtype="float32")
    embeddings[rows] = tower.predict(as_faces(images[rows]), batch_size=128, verbose=0)
    return embeddings


def score(scorer: keras.Model, embeddings: np.ndarray, a, b) -> np.ndarray:
    """Same-person probabilities float32 (n,) of the pairs of embedding rows (a[i], b[i])."""
    return scorer.predict([embeddings[a], embeddings[b]], batch_size=4096, verbose=0).reshape(-1)


def pair_scores(tower: keras.Model, scorer: keras.Model, pairs: FacePairs) -> np.ndarray:
    """Same-person probabilities float32 (n,) of `pairs`, each photo embedded once."""
    embeddings = embed(tower, pairs.images, np.concatenate([pairs.a, pairs.b]))
    return score(scorer, embeddings, pairs.a, pairs.b)


class ValidationAUC(keras.callbacks.Callback):
    """Adds `val_auc` (ROC AUC of the `validation` pairs, scored by `tower` and `scorer`) to the
    logs after every epoch and prints it; at the end of training, restores the weights of the
    trained model from the epoch with the best `val_auc`."""

    def __init__(self, tower: keras.Model, scorer: keras.Model, validation: FacePairs):
        super().__init__()
        self.tower, self.scorer, self.validation = tower, scorer, validation
        self.best, self.best_weights = -1.0, None

    def on_epoch_end(self, epoch, logs=None):
        scores = pair_scores(self.tower, self.scorer, self.validation)
        logs["val_auc"] = auc = roc_auc(self.validation.labels, scores)
        if auc > self.best:
            self.best, self.best_weights = auc, self.model.get_weights()
        print(f"  validation AUC {auc:.4f}")

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """scikit-learn's ROC AUC of `scores` (n,) for `labels` (n,), 1 = same; 0.5 with one class."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(np.unique(labels)) == 2 else 0.5


def best_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold t that maximises the accuracy of `scores >= t` (labels (n,): 1 = same).

    `roc_curve` gives the true and false positive rates of every cut between distinct scores,
    high to low; t is midway between the best cut's two scores (1e-6 beyond the extremes), the
    lowest of equally good cuts.
    """
    from sklearn.metrics import roc_curve

    same = np.asarray(labels) == 1
    fpr, tpr, _ = roc_curve(same, scores, drop_intermediate=False)
    correct = np.rint(np.nan_to_num(tpr) * same.sum() + (1 - np.nan_to_num(fpr)) * (~same).sum())
    best = len(correct) - 1 - int(np.argmax(correct[::-1]))  # 0: no pair accepted
    values = np.unique(scores)
    cuts = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    return float(cuts[len(values) - best])


def accuracy(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Fraction of pairs whose decision `scores >= threshold` matches `labels` (1 = same)."""
    return float(np.mean((scores >= threshold) == (labels == 1)))


def one_shot_tasks(pairs: FacePairs, n_way: int, seed: int) -> np.ndarray:
    """N-way tasks of the matched pairs, with candidates among all photos of `pairs`.

    Each matched pair (a, b) of a person P gives one task: the query a, the true candidate b
    and one photo each of n_way - 1 other people drawn at random, without repetition.

    Returns:
        int64 (tasks, 1 + n_way) image rows: the query, then the true candidate (column 1) and
        the others. Pairs with fewer than n_way - 1 other people are skipped.
    """
    rng = np.random.default_rng(seed)
    by_person = pairs.photos_by_person()
    people = np.asarray(list(by_person))
    matched = pairs.labels == 1
    tasks = []
    for a, b, person in zip(pairs.a[matched], pairs.b[matched], pairs.person_a[matched]):
        others = people[people != person]
        if len(others) < n_way - 1:
            continue
        chosen = rng.choice(others, n_way - 1, replace=False)
        tasks.append([int(a), int(b), *(int(rng.choice(by_person[p])) for p in chosen)])
    return np.asarray(tasks, dtype=np.int64).reshape(-1, 1 + n_way)


def one_shot_accuracy(tasks: np.ndarray, similarity: Callable) -> float:
    """Fraction of `one_shot_tasks` whose true candidate (column 1) has the highest similarity.

    `similarity(query_rows, candidate_rows)` -> float (n,). Ties count as a fraction (1 / number
    of tied best candidates), so a constant similarity scores chance, 1/N.
    """
    queries, candidates = tasks[:, 0], tasks[:, 1:]
    flat = similarity(np.repeat(queries, candidates.shape[1]), candidates.reshape(-1))
    scores = flat.reshape(candidates.shape)
    tied = np.isclose(scores, scores.max(axis=1, keepdims=True), rtol=1e-6, atol=1e-9)
    return float(np.mean(tied[:, 0] / tied.sum(axis=1)))


def pixel_similarity(images: np.ndarray) -> Callable:
    """The pixel baseline: `similarity(rows_a, rows_b)` -> float32 (n,), minus the Euclidean
    distance between the photos `images[rows]` (m, height, width), each standardised to mean 0
    and standard deviation 1."""
    flat = images.reshape(len(images), -1).astype("float32")
    flat = (flat - flat.mean(axis=1, keepdims=True)) / (flat.std(axis=1, keepdims=True) + 1e-6)
    return lambda a, b: -np.linalg.norm(flat[a] - flat[b], axis=1)


def one_shot_results(pairs: FacePairs, similarity: Callable, ways, seed: int) -> dict:
    """N-way one-shot accuracy of `similarity` and of the pixel baseline, for each N of `ways`.

    The tasks of N come from `one_shot_tasks(pairs, N, seed + N)`; an N with no task is left out.

    Returns:
        `{N: {"tasks": count, "siamese": accuracy of similarity, "pixel_nearest_neighbour":
        accuracy of pixel_similarity, "chance": 1 / N}}`.
    """
    pixels, results = pixel_similarity(pairs.images), {}
    for n_way in ways:
        tasks = one_shot_tasks(pairs, n_way, seed + n_way)
        if len(tasks):
            results[n_way] = {
                "tasks": len(tasks),
                "siamese": one_shot_accuracy(tasks, similarity),
                "pixel_nearest_neighbour": one_shot_accuracy(tasks, pixels),
                "chance": 1.0 / n_way,
            }
    return results


def roc_figure(labels: np.ndarray, scores: np.ndarray, auc: float, threshold: float):
    """The ROC curve of pairs (labels, scores (n,)) with the operating point of `threshold`."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, scores)
    figure, axis = plt.subplots(figsize=(4.5, 4.5))
    axis.plot(fpr, tpr, label=f"Siamese network (AUC {auc:.3f})")
    axis.plot([0, 1], [0, 1], "--", color="gray", label="chance")
    predicted = scores >= threshold
    point = (np.mean(predicted[labels == 0]), np.mean(predicted[labels == 1]))
    axis.plot(*point, "o", color="black", label=f"threshold {threshold:.2f} (from validation)")
    axis.set(xlabel="false positive rate", ylabel="true positive rate")
    axis.set_title("ROC on the LFW test pairs")
    axis.legend(fontsize=8, loc="lower right")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def pairs_figure(pairs: FacePairs, scores, threshold: float, per_kind: int = 4, seed: int = 0):
    """Up to `per_kind` random pairs of each kind, with their scores (n,): same person accepted
    / rejected, different people rejected / accepted at `threshold`."""
    predicted, same = scores >= threshold, pairs.labels == 1
    kinds = {
        "same, accepted": same & predicted,
        "same, rejected (wrong)": same & ~predicted,
        "different, rejected": ~same & ~predicted,
        "different, accepted (wrong)": ~same & predicted,
    }
    rng = np.random.default_rng(seed)
    size = (2.6 * per_kind, 1.6 * len(kinds))
    figure, axes = plt.subplots(len(kinds), per_kind, figsize=size, squeeze=False)
    for row, (title, mask) in enumerate(kinds.items()):
        chosen = np.flatnonzero(mask)
        if len(chosen):
            chosen = rng.choice(chosen, min(per_kind, len(chosen)), replace=False)
        for column, axis in enumerate(axes[row]):
            axis.axis("off")
            if column < len(chosen):
                i = chosen[column]
                both = np.concatenate([pairs.images[pairs.a[i]], pairs.images[pairs.b[i]]], axis=1)
                axis.imshow(both, cmap="gray", vmin=0, vmax=255)
                axis.set_title(f"p = {scores[i]:.2f}", fontsize=8)
        axis = axes[row, 0]
        axis.text(-0.05, 0.5, title, transform=axis.transAxes, ha="right", va="center", fontsize=9)
    figure.suptitle(f"Test pairs and same-person probabilities (threshold {threshold:.2f})")
    figure.tight_layout()
    return figure
