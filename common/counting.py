"""Report of the cell-counting experiment (cell_counting): the density figure and the MAE tables.

Validation images are the VGG cells 181-200 (`common.datasets.cells`), so
image i of the validation part is numbered `TRAIN_IMAGES + i + 1`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from common.datasets.cells import TRAIN_IMAGES
from common.reporting import markdown_table

MODEL_NAMES = {
    "baseline": "baseline CNN regressor",
    "deeper": "deeper CNN regressor",
    "unet": "UNet density map",
}


def density_figure(data: Mapping, unet_densities, unet_counts, shown: int, density_scale: float):
    """One column per validation image: the image, its true and its UNet density map, counts.

    Args:
        data: "x_val" float32 images (n, h, w, 3) in [0, 1], "d_val" float32
            density maps (n, h, w, 1) multiplied by `density_scale`, "c_val" (n,) counts.
        unet_densities: float32 (n, h, w, 1), the UNet's maps in cells per pixel.
        unet_counts: (n,) the UNet's counts in cells.
        shown: the first `shown` validation images are drawn.
    """
    import matplotlib.pyplot as plt

    images, true_counts = data["x_val"][:shown], data["c_val"][:shown]
    true_densities = data["d_val"][:shown] / density_scale
    predicted_densities, predicted_counts = unet_densities[:shown], unet_counts[:shown]
    n = len(images)
    figure, axes = plt.subplots(3, n, figsize=(2.6 * n, 8), squeeze=False)
    for column in range(n):
        top = max(true_densities[column].max(), predicted_densities[column].max())
        style = {"cmap": "magma", "vmin": 0, "vmax": top}
        panels = [
            (images[column], f"image {column + TRAIN_IMAGES + 1}", {}),
            (true_densities[column, ..., 0], f"true density: {true_counts[column]:.0f}", style),
            (predicted_densities[column, ..., 0], f"UNet: {predicted_counts[column]:.1f}", style),
        ]
        for row, (picture, title, options) in enumerate(panels):
            axes[row, column].imshow(np.clip(picture, 0, 1) if row == 0 else picture, **options)
            axes[row, column].set_title(title, fontsize=9)
            axes[row, column].axis("off")
    figure.suptitle("Validation images, true and predicted density maps (counts = map sums)")
    figure.tight_layout()
    return figure


def results_tables(metrics: Mapping, predictions: Mapping, data: Mapping) -> tuple[str, str]:
    """(the MAE table, the per-image counts table), as Markdown.

    Args:
        metrics: `mean_predictor_mae` and `<kind>_mae` (cells) of every kind in `predictions`.
        predictions: kind ("baseline", "deeper", "unet") -> (n_val,) predicted counts.
        data: "c_train" (n_train,) and "c_val" (n_val,) true counts.
    """
    mean = data["c_train"].mean()
    names = {"mean_predictor": f"predict the training mean ({mean:.1f})", **MODEL_NAMES}
    kinds = ["mean_predictor", *predictions]
    rows = [{"model": names[k], "validation MAE (cells)": metrics[f"{k}_mae"]} for k in kinds]
    per_image = [
        {"image": TRAIN_IMAGES + i + 1, "true": count}
        | {kind: float(counts[i]) for kind, counts in predictions.items()}
        for i, count in enumerate(data["c_val"])
    ]
    formats = (".0f", ".0f") + (".1f",) * len(predictions)
    return markdown_table(rows, floatfmt=".2f"), markdown_table(per_image, floatfmt=formats)
