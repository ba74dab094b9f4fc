"""Super-resolution evaluation (super_resolution): Y channel, PSNR / SSIM, benchmark tables, crops.

The conventions of the SR literature: luma Y is ITU-R BT.601 in the "studio"
range [16, 235] / 255 (MATLAB's `rgb2ycbcr`), a border of `scale` pixels is
shaved before scoring, and PSNR / SSIM are `tf.image.psnr` / `tf.image.ssim`
with max value 1. Low-resolution inputs come from `common.datasets.sr.make_lr`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from common.datasets.sr import downscale, make_lr
from common.reporting import markdown_table


def rgb_to_y(images):
    """BT.601 luma of RGB in [0, 1]: `16/255 + (65.481 R + 128.553 G + 24.966 B) / 255`.

    Shape (..., h, w, 3) -> float32 (..., h, w, 1), in [16/255, 235/255].
    """
    weights = tf.constant([65.481, 128.553, 24.966], tf.float32) / 255.0
    return 16.0 / 255.0 + tf.reduce_sum(
        tf.cast(images, tf.float32) * weights, axis=-1, keepdims=True
    )


def image_scores(restored, hr, shave: int) -> dict:
    """PSNR (dB) and SSIM of one image against its HR original, on Y and RGB, `shave` pixels shaved.

    Args:
        restored, hr: float (h, w, 3) in [0, 1] (`restored` is clipped).
        shave: border width in pixels left out on every side (0: none).

    Returns:
        {"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb"}: Python floats.
    """
    restored = tf.clip_by_value(tf.convert_to_tensor(restored, tf.float32), 0.0, 1.0)
    hr = tf.convert_to_tensor(hr, tf.float32)
    if shave:
        restored, hr = restored[shave:-shave, shave:-shave], hr[shave:-shave, shave:-shave]
    y_restored, y_hr = rgb_to_y(restored), rgb_to_y(hr)
    return {
        "psnr_y": float(tf.image.psnr(y_restored, y_hr, max_val=1.0)),
        "ssim_y": float(tf.image.ssim(y_restored, y_hr, max_val=1.0)),
        "psnr_rgb": float(tf.image.psnr(restored, hr, max_val=1.0)),
        "ssim_rgb": float(tf.image.ssim(restored, hr, max_val=1.0)),
    }


def evaluate_set(images: list[np.ndarray], models: Mapping, scale: int) -> tuple[dict, dict]:
    """Mean scores of bicubic and of each model over one benchmark set.

    Args:
        images: uint8 (h, w, 3) HR images.
        models: label -> Keras model, bicubic input (1, h, w, 3) -> output of that shape.
        scale: the SR factor (also the shaved border).

    Returns:
        `(means, per_image)`: label ("bicubic" and each model) -> metric ->
        mean value; and label -> list of per-image Y PSNR (dB).
    """
    totals, per_image = {}, {}
    for image in images:
        hr, lr = make_lr(image, scale)
        outputs = {"bicubic": lr.numpy()}
        for label, model in models.items():
            outputs[label] = model.predict(lr[None], verbose=0)[0]
        for label, output in outputs.items():
            scores = image_scores(output, hr, shave=scale)
            for metric, value in scores.items():
                totals.setdefault(label, {}).setdefault(metric, []).append(value)
            per_image.setdefault(label, []).append(scores["psnr_y"])
    means = {
        label: {metric: float(np.mean(values)) for metric, values in metrics.items()}
        for label, metrics in totals.items()
    }
    return means, per_image


def score_sets(
    test_sets: Mapping[str, list], models: Mapping, scale: int, keys: Mapping[str, str]
) -> tuple[dict, dict, str]:
    """Scores of bicubic and every model on every set: (metrics, per-image Y PSNR, tables).

    Args:
        test_sets: set name -> uint8 HR images.
        models: label -> Keras model (see `evaluate_set`).
        scale: the SR factor.
        keys: label ("bicubic" and each model's) -> its short name in metric keys.

    Returns:
        metrics `<set>_<key>_<metric>` (set name lower-cased; metric psnr_y,
        ssim_y, psnr_rgb, ssim_rgb) and `<set>_y_psnr_gain_<key>` (dB over
        bicubic) per model; set -> label -> per-image Y PSNR; one Markdown
        table per set.
    """
    metrics, per_image, tables = {}, {}, []
    for set_name, images in test_sets.items():
        means, per_image[set_name] = evaluate_set(images, models, scale)
        prefix = set_name.lower()
        for label, scores in means.items():
            for metric, value in scores.items():
                metrics[f"{prefix}_{keys[label]}_{metric}"] = value
        for label in models:
            gain = means[label]["psnr_y"] - means["bicubic"]["psnr_y"]
            metrics[f"{prefix}_y_psnr_gain_{keys[label]}"] = gain
        headers = {"psnr_y": "PSNR Y (dB)", "ssim_y": "SSIM Y", "psnr_rgb": "PSNR RGB (dB)"}
        headers["ssim_rgb"] = "SSIM RGB"
        rows = [
            {"method": label, **{headers[k]: v for k, v in scores.items()}}
            for label, scores in means.items()
        ]
        table = markdown_table(rows, floatfmt=("", ".2f", ".4f", ".2f", ".4f"))
        tables.append(f"**{set_name}** (x{scale}, {len(images)} images)\n\n{table}")
    return metrics, per_image, "\n\n".join(tables) + "\n"


def detailed_window(hr: np.ndarray, size: int, scale: int) -> tuple[int, int]:
    """(top, left) of the `size`-square window of `hr` with most gradient energy, `scale` grid.

    Args:
        hr: float (h, w, 3) image; h and w at least `size`.
    """
    gray = hr.mean(axis=-1)
    energy = np.square(np.diff(gray, axis=0))[:, :-1] + np.square(np.diff(gray, axis=1))[:-1, :]
    best, position = -1.0, (0, 0)
    step = max(scale, size // 8 // scale * scale)
    for top in range(0, energy.shape[0] - size + 1, step):
        for left in range(0, energy.shape[1] - size + 1, step):
            value = energy[top : top + size, left : left + size].sum()
            if value > best:
                best, position = value, (top, left)
    return position


def crops_figure(image: np.ndarray, models: Mapping, scale: int, size: int, image_name: str):
    """One row of crops: LR, bicubic, each model's output, HR; whole-image Y PSNR in the titles.

    The LR image is shown at its own resolution, enlarged by pixel repetition;
    the crop is the `detailed_window` of side `size` (at most the image's).

    Args:
        image: uint8 (h, w, 3) HR image of CSet5.
        models: label -> Keras model (see `evaluate_set`).
    """
    import matplotlib.pyplot as plt

    hr, lr = make_lr(image, scale)
    hr = hr.numpy()
    small = np.clip(downscale(hr, scale).numpy(), 0, 1)
    size = min(size, hr.shape[0], hr.shape[1]) // scale * scale
    top, left = detailed_window(hr, size, scale)
    window = (slice(top, top + size), slice(left, left + size))
    lr_crop = small[top // scale : (top + size) // scale, left // scale : (left + size) // scale]
    enlarged = np.repeat(np.repeat(lr_crop, scale, axis=0), scale, axis=1)
    panels = [(enlarged, f"LR (1/{scale}, pixels enlarged)")]
    outputs = {
        "bicubic": lr.numpy(),
        **{label: model.predict(lr[None], verbose=0)[0] for label, model in models.items()},
    }
    for label, output in outputs.items():
        psnr_y = image_scores(output, hr, scale)["psnr_y"]
        panels.append((np.clip(output, 0, 1)[window], f"{label}: {psnr_y:.2f} dB"))
    panels.append((hr[window], "HR (original)"))
    figure, axes = plt.subplots(1, len(panels), figsize=(2.7 * len(panels), 3.1))
    for axis, (picture, title) in zip(axes, panels):
        axis.imshow(picture, interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.axis("off")
    figure.suptitle(f"x{scale} super-resolution of CSet5 {image_name} (Y PSNR of the whole image)")
    figure.tight_layout()
    return figure
