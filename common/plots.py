"""Figures shared by the assignments (matplotlib / seaborn), returned as Figure objects.

Save them with `Run.save_figure(figure, "name.png")`, which also shows them
inline in Jupyter and Colab. Off a notebook, matplotlib's non-interactive
Agg backend is used, so scripts run on machines with no display.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.ticker
import numpy as np


def in_notebook() -> bool:
    """True inside a Jupyter / Colab kernel."""
    return "ipykernel" in sys.modules


if not in_notebook():
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def image_rows(
    rows: Sequence[np.ndarray],
    row_titles: Sequence[str],
    title: str | None = None,
    cmap: str = "gray",
):
    """A grid with one row per array of images.

    Args:
        rows: arrays of shape (n, height, width) or (n, height, width, channels),
            values in [0, 1] (floats) or 0..255 (uint8); every row has the same n.
        row_titles: one label per row, shown at the left.
        title: the figure title.
        cmap: colormap for single-channel images.
    """
    n_rows, n_columns = len(rows), len(rows[0])
    figure, axes = plt.subplots(
        n_rows, n_columns, figsize=(1.3 * n_columns, 1.4 * n_rows), squeeze=False
    )
    for r, (images, label) in enumerate(zip(rows, row_titles)):
        for c in range(n_columns):
            axis = axes[r, c]
            image = np.asarray(images[c])
            if image.ndim == 3 and image.shape[-1] == 1:
                image = image[..., 0]
            axis.imshow(
                image,
                cmap=cmap if image.ndim == 2 else None,
                vmin=0,
                vmax=1 if image.dtype.kind == "f" else 255,
            )
            axis.set_xticks([])
            axis.set_yticks([])
            if c == 0:
                axis.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def learning_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    metric: str = "loss",
    title: str | None = None,
):
    """Training (dashed) and validation (solid) curves of `metric` for several runs.

    Args:
        histories: run label -> Keras `History.history` dict (per-epoch lists).
        metric: the key to plot; its validation twin is `val_<metric>`.
    """
    figure, axis = plt.subplots(figsize=(6.5, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (label, history) in enumerate(histories.items()):
        color = colors[index % len(colors)]
        if metric in history:
            epochs = np.arange(1, len(history[metric]) + 1)
            axis.plot(
                epochs, history[metric], "--", color=color, alpha=0.7, label=f"{label} (train)"
            )
        if f"val_{metric}" in history:
            epochs = np.arange(1, len(history[f"val_{metric}"]) + 1)
            axis.plot(
                epochs, history[f"val_{metric}"], "-", color=color, label=f"{label} (validation)"
            )
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(
        matplotlib.ticker.MaxNLocator(integer=True)
    )  # whole epochs, also on 2-epoch runs
    axis.set_ylabel(metric)
    axis.set_title(title or f"Learning curves: {metric}")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    class_names: Sequence[str],
    normalize: bool = False,
    title: str | None = None,
):
    """A seaborn heat map of scikit-learn's confusion matrix (rows: true class).

    Args:
        y_true, y_pred: integer class ids, shape (n,).
        class_names: one name per class id.
        normalize: show row fractions (recall per class) instead of counts.
    """
    import seaborn as sns
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    matrix = sk_confusion_matrix(
        y_true,
        y_pred,
        labels=list(range(len(class_names))),
        normalize="true" if normalize else None,
    )
    size = max(4.0, 0.55 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    sns.heatmap(
        matrix,
        annot=True,
        fmt=".2f" if normalize else "d",
        cmap="Blues",
        cbar=False,
        xticklabels=class_names,
        yticklabels=class_names,
        ax=axis,
    )
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title or "Confusion matrix")
    figure.tight_layout()
    return figure


def grouped_bars(
    values: Mapping[str, Sequence[float]],
    categories: Sequence[str],
    ylabel: str = "accuracy",
    title: str | None = None,
    ylim: tuple[float, float] | None = (0, 1),
):
    """Grouped bar chart: one bar per series {label: (n_categories,) values} in each category.

    Args:
        values: series label -> one value per category (e.g. per-class test accuracy).
        categories: the category names on the x axis, e.g. class names.
        ylabel, title: axis label and title; ylim: y range (None: automatic).
    """
    figure, axis = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(values)
    positions = np.arange(len(categories))
    for index, (label, series) in enumerate(values.items()):
        offset = (index - (len(values) - 1) / 2) * width
        axis.bar(positions + offset, series, width, label=label)
    axis.set_xticks(positions, categories, rotation=30)
    axis.set(ylim=ylim, ylabel=ylabel, title=title)
    axis.grid(axis="y", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def confusion_matrices(
    y_true: Sequence[int],
    predictions: Mapping[str, Sequence[int]],
    class_names: Sequence[str],
    columns: int = 3,
):
    """A grid of row-normalised confusion matrices (rows: true class), one per model.

    Args:
        y_true: integer class ids, shape (n,).
        predictions: model name (the panel's title) -> its predicted ids, shape (n,).
        class_names: one name per class id.
        columns: panels per row.
    """
    import seaborn as sns
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    rows = -(-len(predictions) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.9 * rows), squeeze=False)
    for axis, (name, predicted) in zip(axes.flat, predictions.items()):
        labels = list(range(len(class_names)))
        matrix = sk_confusion_matrix(y_true, predicted, labels=labels, normalize="true")
        sns.heatmap(
            matrix,
            annot=True,
            fmt=".2f",
            cmap="Blues",
            cbar=False,
            vmin=0,
            vmax=1,
            xticklabels=class_names,
            yticklabels=class_names,
            ax=axis,
        )
        axis.set_title(name, fontsize=8)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
    for axis in list(axes.flat)[len(predictions) :]:
        axis.axis("off")
    figure.tight_layout()
    return figure


def grouped_learning_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    groups: Mapping[str, Sequence[str]],
    title: str = "Learning curves",
):
    """Learning curves with one column per group: loss on top, accuracy below.

    Args:
        histories: run label -> Keras `History.history` (per-epoch lists with
            "loss", "val_loss", "accuracy", "val_accuracy").
        groups: column title -> labels of the runs drawn in that column
            (validation solid, training dashed).
        title: the figure title.
    """
    columns = max(1, len(groups))
    figure, axes = plt.subplots(2, columns, figsize=(4.6 * columns, 7), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for column, (group_title, labels) in enumerate(groups.items()):
        for index, label in enumerate(labels):
            history, color = histories[label], colors[index % len(colors)]
            for row, metric in enumerate(("loss", "accuracy")):
                axis = axes[row, column]
                epochs = np.arange(1, len(history[metric]) + 1)
                axis.plot(epochs, history[metric], "--", color=color, alpha=0.5, linewidth=1)
                axis.plot(epochs, history[f"val_{metric}"], "-", color=color, label=label)
        axes[0, column].set_title(group_title)
        axes[0, column].set_ylabel("loss (validation solid, training dashed)")
        axes[1, column].set_ylabel("accuracy")
        axes[1, column].set_xlabel("epoch")
        axes[0, column].legend(fontsize=8)
    for axis in axes.flat:
        axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def overlaid_histograms(
    panels: Mapping[str, Mapping[str, np.ndarray]],
    title: str | None = None,
    xlabel: str = "value",
    bins: int = 100,
):
    """Side-by-side panels of overlaid histograms; each series' mean, std, mean |x| in the legend.

    Args:
        panels: panel title -> {series label: array of any shape}. The first
            series of each panel is drawn as a grey outline (e.g. a reference
            such as initial weights), the others filled and half transparent.
        title, xlabel: the figure title and the x axis label.
        bins: bins between the 0.1 and 99.9 percentiles of all values of all panels.
    """
    everything = np.concatenate(
        [np.asarray(a, dtype="float64").ravel() for p in panels.values() for a in p.values()]
    )
    edges = np.linspace(*np.percentile(everything, [0.1, 99.9]), bins + 1)
    figure, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 4.8), squeeze=False)
    for axis, (panel_title, arrays) in zip(axes[0], panels.items()):
        for index, (label, values) in enumerate(arrays.items()):
            values = np.asarray(values, dtype="float64").ravel()
            legend = (
                f"{label}: mean {values.mean():+.4f}, std {values.std():.4f}, "
                f"mean |x| {np.abs(values).mean():.4f}"
            )
            style = dict(histtype="step", color="gray", linewidth=1.5) if index == 0 else {}
            axis.hist(values, bins=edges, alpha=1.0 if index == 0 else 0.5, label=legend, **style)
        axis.set(xlabel=xlabel, ylabel="count", title=panel_title)
        axis.legend(fontsize=7.5, loc="upper left")
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def precision_recall_tradeoff(
    tradeoff: Mapping[str, np.ndarray],
    marks: Mapping[str, float],
    average_precision: float,
    positive_share: float,
    label: str = "model",
    data: str = "test set",
):
    """Two panels: the precision-recall curve, and precision / recall / F1 against the threshold.

    Args:
        tradeoff: "thresholds" (m,), increasing, and "precision", "recall" and
            "f1" (m,) of "positive if score >= threshold" at each threshold
            (e.g. from `sklearn.metrics.precision_recall_curve`).
        marks: name -> a threshold marked on both panels, e.g. {"default": 0.5}.
        average_precision: shown in the curve's legend.
        positive_share: fraction of positives, the chance level of precision.
        label: the model's name in the legend; data: what was scored, for the titles.
    """
    precision, recall, thresholds = (tradeoff[k] for k in ("precision", "recall", "thresholds"))
    figure, (curve, panel) = plt.subplots(1, 2, figsize=(12, 4.5))
    curve.plot(recall, precision, color="C0", label=f"{label} (AP = {average_precision:.3f})")
    curve.axhline(positive_share, color="gray", linestyle=":", label="chance (fraction positive)")
    for (name, threshold), color in zip(marks.items(), ("C3", "C2", "C5", "C6")):
        i = min(np.searchsorted(thresholds, threshold), len(thresholds) - 1)
        text = f"{name} t = {threshold:.2f}: P {precision[i]:.3f}, R {recall[i]:.3f}"
        curve.plot(recall[i], precision[i], "o", color=color, markersize=8, label=text)
        panel.axvline(threshold, color=color, linestyle="--", label=f"{name} t = {threshold:.2f}")
    for key, color in (("precision", "C0"), ("recall", "C1"), ("f1", "C4")):
        panel.plot(thresholds, tradeoff[key], color=color, label=key if key != "f1" else "F1")
    curve.set(xlabel="recall (positives found)", xlim=(0, 1.01), ylim=(0.4, 1.01))
    curve.set(ylabel="precision (called positive that are positive)")
    curve.set_title(f"Precision-recall curve ({data})")
    panel.set(xlabel="decision threshold t (positive if p >= t)", ylabel="score")
    panel.set(xlim=(0, 1), ylim=(0, 1.01), title=f"The threshold trade-off ({data})")
    for axis, where in ((curve, "lower left"), (panel, "lower center")):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc=where)
    figure.tight_layout()
    return figure
