"""Plumbing of an image-classification experiment (transfer_learning): split, weights, scores.

A stratified train / validation / test split with scikit-learn, "balanced"
class weights, accuracy and macro-F1, a table of scored configurations, the
per-class report, and a grid of the misclassified images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from common import plots
from common.errors import InputError
from common.reporting import accuracy_and_macro_f1, markdown_table


def check_fractions(validation_fraction: float, test_fraction: float) -> None:
    """Raise InputError when validation and test together leave less than 10% for training."""
    if validation_fraction + test_fraction >= 0.9:
        raise InputError(
            "--validation-fraction + --test-fraction must be < 0.9, "
            f"got {validation_fraction + test_fraction:.2f}"
        )


def split_indices(labels: np.ndarray, validation_fraction: float, test_fraction: float, seed: int):
    """Stratified train / validation / test indices that partition `range(len(labels))`.

    Args:
        labels: int (n,) class ids.
        validation_fraction, test_fraction: shares of the n examples, in (0, 1).
        seed: scikit-learn's `random_state` of both `train_test_split` calls.

    Returns:
        Three sorted int arrays (train, validation, test); every class keeps
        about the same share in each.

    Raises:
        InputError: the fractions leave less than 10% for training.
        ValueError: (scikit-learn) a class too small to split.
    """
    from sklearn.model_selection import train_test_split

    check_fractions(validation_fraction, test_fraction)
    indices = np.arange(len(labels))
    rest, test = train_test_split(
        indices, test_size=test_fraction, stratify=labels, random_state=seed
    )
    share = validation_fraction / (1.0 - test_fraction)
    train, validation = train_test_split(
        rest, test_size=share, stratify=labels[rest], random_state=seed
    )
    return np.sort(train), np.sort(validation), np.sort(test)


def balanced_class_weights(labels: np.ndarray, num_classes: int) -> dict[int, float]:
    """scikit-learn's "balanced" weights n / (num_classes * n_c) of int labels (n,).

    Returns {class id: weight}: every class then weighs the same in total.
    """
    from sklearn.utils.class_weight import compute_class_weight

    weights = compute_class_weight("balanced", classes=np.arange(num_classes), y=labels)
    return {int(c): float(w) for c, w in enumerate(weights)}


@dataclass
class LabelledImages:
    """Grayscale images with int labels, split stratified into train / validation / test.

    Attributes:
        names: class names, indexed by label.
        images: uint8 (n, height, width), 0..255.
        x: a classifier's input, the images as float32 (n, height, width, 1), 0..255.
        labels: int (n,) class ids.
        train, validation, test: sorted int index arrays (`split_indices`).
        class_weight: `balanced_class_weights` of the training labels.
        majority: test accuracy of always answering the largest training class.
    """

    names: list[str]
    images: np.ndarray
    x: np.ndarray
    labels: np.ndarray
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    class_weight: dict[int, float]
    majority: float

    @classmethod
    def split(cls, names, images, labels, validation_fraction, test_fraction, seed: int):
        """Split `images` (uint8 (n, h, w)) and `labels` (int (n,)) with `split_indices`.

        Raises:
            InputError: the fractions leave less than 10% for training.
        """
        train, validation, test = split_indices(labels, validation_fraction, test_fraction, seed)
        counts = np.bincount(labels[train], minlength=len(names))
        majority = float(np.mean(labels[test] == np.argmax(counts)))
        class_weight = balanced_class_weights(labels[train], len(names))
        x = images[..., None].astype("float32")
        return cls(list(names), images, x, labels, train, validation, test, class_weight, majority)

    def part(self, inputs: np.ndarray, name: str):
        """(inputs[indices], labels[indices]) of one part, "train", "validation" or "test"."""
        indices = getattr(self, name)
        return inputs[indices], self.labels[indices]

    def describe(self) -> str:
        """The sizes of the parts, the training examples per class and the majority accuracy."""
        counts = np.bincount(self.labels[self.train], minlength=len(self.names))
        return (
            f"{len(self.labels)} faces: {len(self.train)} train / {len(self.validation)} "
            f"validation / {len(self.test)} test; training images per person {counts.min()}..."
            f"{counts.max()}; majority-class test accuracy {self.majority:.3f}"
        )


def scores(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy and macro-F1 (scikit-learn) of probabilities (n, classes) against int labels (n,).

    Returns {"accuracy": float, "macro_f1": float, "predictions": int (n,)}.
    """
    predictions = probabilities.argmax(axis=1)
    accuracy, macro_f1 = accuracy_and_macro_f1(labels, predictions)
    return {"accuracy": accuracy, "macro_f1": macro_f1, "predictions": predictions}


class Results:
    """Configurations of one experiment, each scored on the validation and the test examples.

    Args:
        run: the `common.reporting.Run` whose history.csv gets every History.
        labels: int (n,) class ids of all examples.
        validation, test: int index arrays into them.
    """

    def __init__(self, run, labels: np.ndarray, validation: np.ndarray, test: np.ndarray):
        self.run, self.labels, self.validation, self.test = run, labels, validation, test
        self.rows, self.models, self.histories = {}, {}, {}

    def add(self, key: str, label: str, model, inputs: np.ndarray, history, seconds: float):
        """Score `model` (probabilities (batch, classes) of `inputs` (n, ...)) and keep it.

        The row holds label, test accuracy and macro-F1, validation accuracy,
        epochs, seconds and the test probabilities.
        """
        probabilities = model.predict(inputs[self.test], batch_size=64, verbose=0)
        test = scores(probabilities, self.labels[self.test])
        validation_probabilities = model.predict(inputs[self.validation], batch_size=64, verbose=0)
        validation = scores(validation_probabilities, self.labels[self.validation])
        self.rows[key] = {
            "label": label,
            "test_accuracy": test["accuracy"],
            "test_macro_f1": test["macro_f1"],
            "validation_accuracy": validation["accuracy"],
            "epochs": len(history.history["loss"]),
            "seconds": seconds,
            "probabilities": probabilities,
        }
        self.histories[label] = history.history
        self.run.add_history(history, configuration=key)
        self.models[key] = model
        print(
            f"{label}: test accuracy {test['accuracy']:.4f}, "
            f"macro-F1 {test['macro_f1']:.4f} ({seconds:.0f} s)"
        )

    def best(self) -> str:
        """The key of the best validation accuracy (ties: the later, more trained row)."""
        order = list(self.rows)
        return max(order, key=lambda k: (self.rows[k]["validation_accuracy"], order.index(k)))

    def row_metrics(self) -> dict:
        """`<key>_test_accuracy` of every row, then `<key>_test_macro_f1` of every row."""
        rows = self.rows.items()
        return {
            **{f"{key}_test_accuracy": r["test_accuracy"] for key, r in rows},
            **{f"{key}_test_macro_f1": r["test_macro_f1"] for key, r in rows},
        }

    def records(self) -> dict:
        """Every row without its test probabilities (for metrics.json)."""
        rows = self.rows.items()
        return {key: {k: v for k, v in r.items() if k != "probabilities"} for key, r in rows}

    def table(self) -> str:
        """The rows as a Markdown table (label, epochs, accuracies, macro-F1, seconds)."""
        columns = ("label", "epochs", "validation_accuracy", "test_accuracy", "test_macro_f1")
        rows = [{c: row[c] for c in (*columns, "seconds")} for row in self.rows.values()]
        return markdown_table(rows, floatfmt=("", "", ".3f", ".3f", ".3f", ".0f"))

    def save_report(self, best: str, heading: str, names: Sequence[str], images: np.ndarray):
        """Write row `best`'s report to the run folder.

        results.md (`heading`, the table, the per-class report of `best`),
        learning_curves_accuracy.png and learning_curves_loss.png (every row
        per epoch), confusion_matrix.png and misclassified_faces.png (`best`
        on the test examples, whose uint8 (n_test, h, w) `images` are given).
        """
        row, labels = self.rows[best], self.labels[self.test]
        predictions = row["probabilities"].argmax(axis=1)
        report = per_class_report(labels, predictions, names)
        text = f"{heading}\n\n{self.table()}\n\n"
        text += f"Final model (best validation accuracy): {row['label']}.\n"
        print("\n" + text + "\n" + report)
        per_class = f"\nPer-person test scores of the final model:\n\n```\n{report}```\n"
        self.run.save_text("results.md", text + per_class)
        for metric, title in (("accuracy", "Accuracy"), ("loss", "Cross-entropy")):
            curves = plots.learning_curves(
                self.histories, metric, f"{title} per epoch (dashed: training)"
            )
            self.run.save_figure(curves, f"learning_curves_{metric}.png")
        short = [name.replace("_", " ") for name in names]
        title = f"{row['label']}: test accuracy {row['test_accuracy']:.3f} (rows: true person)"
        figure = plots.confusion_matrix(labels, predictions, short, title=title)
        self.run.save_figure(figure, "confusion_matrix.png")
        errors = error_figure(images, labels, row["probabilities"], names)
        if errors is not None:
            self.run.save_figure(errors, "misclassified_faces.png")


def per_class_report(labels: np.ndarray, predictions: np.ndarray, names: Sequence[str]) -> str:
    """scikit-learn's classification report (precision, recall, F1 per class), 3 digits."""
    from sklearn.metrics import classification_report

    return classification_report(
        labels,
        predictions,
        labels=list(range(len(names))),
        target_names=names,
        digits=3,
        zero_division=0,
    )


def error_figure(
    images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, names, max_images: int = 24
):
    """A grid of the misclassified images, titled "true -> predicted (p)"; None if none.

    Args:
        images: uint8 (n, height, width) grayscale, 0..255.
        labels: int (n,) true class ids.
        probabilities: float (n, classes).
        names: class names "First_Last"; the titles show the last word.
        max_images: at most this many mistakes are shown (the first ones).
    """
    import matplotlib.pyplot as plt

    predictions = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predictions != labels)[:max_images]
    if len(wrong) == 0:
        return None
    columns = min(6, len(wrong))
    rows = int(np.ceil(len(wrong) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(2.1 * columns, 2.5 * rows), squeeze=False)
    short = [name.replace("_", " ").split()[-1] for name in names]
    for axis in axes.flat:
        axis.axis("off")
    for axis, index in zip(axes.flat, wrong):
        axis.imshow(images[index], cmap="gray", vmin=0, vmax=255)
        title = f"{short[labels[index]]} -> {short[predictions[index]]}"
        axis.set_title(f"{title}\n(p = {probabilities[index].max():.2f})", fontsize=8)
    errors = int((predictions != labels).sum())
    figure.suptitle(f"Misclassified test faces ({errors} of {len(labels)}): true -> predicted")
    figure.tight_layout()
    return figure
