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
