"""Shape, sampling and bad-input tests of assignments/text_generation.py (no data, no network).

Also the character pipeline of common/datasets/shakespeare.py and the temperature figure.
"""

import keras
import numpy as np
import pytest

from assignments import text_generation
from common.datasets import shakespeare
from common.textgen import distribution_figure


def test_build_model_outputs_logits_per_position():
    model = text_generation.build_model(
        vocabulary_size=7, embedding_dim=4, lstm_units=(8, 6), dropout=0.1
    )
    ids = np.random.default_rng(0).integers(0, 7, size=(3, 5)).astype("int32")
    logits = model(ids)
    assert tuple(logits.shape) == (3, 5, 7)
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    assert [layer.name for layer in model.layers if layer.name.startswith("lstm")] == [
        "lstm_1",
        "lstm_2",
    ]


def test_build_model_rejects_bad_sizes():
    with pytest.raises(ValueError):
        text_generation.build_model(vocabulary_size=0)
    with pytest.raises(ValueError):
        text_generation.build_model(vocabulary_size=5, lstm_units=())
    with pytest.raises(ValueError):
        text_generation.build_model(vocabulary_size=5, dropout=1.0)


def test_dataset_pairs_inputs_with_next_characters():
    ids = np.arange(23, dtype=np.int32)
    batches = list(shakespeare.make_dataset(ids, sequence_length=4, batch_size=3, shuffle=False))
    inputs = np.concatenate([x.numpy() for x, _ in batches])
    targets = np.concatenate([y.numpy() for _, y in batches])
    assert inputs.shape == targets.shape == (4, 4)  # 23 // 5 chunks of 4 + 1
    np.testing.assert_array_equal(inputs[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(targets[0], [1, 2, 3, 4])
    np.testing.assert_array_equal(inputs[1], [5, 6, 7, 8])


@pytest.fixture(scope="module")
def tiny_model():
    keras.utils.set_random_seed(0)
    vocabulary = list("abc .\n")
    model = text_generation.build_model(len(vocabulary), embedding_dim=4, lstm_units=(8, 8))
    kernel = model.get_layer("logits").kernel
    kernel.assign(kernel * 30.0)  # peaked predictions: no near-ties between the top characters
    return model, vocabulary


def test_step_model_matches_full_model(tiny_model):
    model, vocabulary = tiny_model
    ids = shakespeare.encode("a b.\nc", vocabulary)
    expected = keras.ops.convert_to_numpy(model(ids[None, :]))[0]  # (time, vocabulary)
    step_model = text_generation.build_step_model(model)
    states = [np.zeros((1, size), "float32") for size in step_model.state_sizes]
    for position, character_id in enumerate(ids):
        logits, *states = step_model.predict_on_batch([np.array([character_id], "int32"), *states])
        np.testing.assert_allclose(logits[0], expected[position], rtol=1e-4, atol=1e-4)


def test_generate_length_and_vocabulary(tiny_model):
    model, vocabulary = tiny_model
    for temperature in (0.2, 1.0, 1.5):
        sample = text_generation.generate(model, "ab", 25, temperature, vocabulary, seed=1)
        assert len(sample) == 25
        assert set(sample) <= set(vocabulary)
    again = text_generation.generate(model, "ab", 25, 1.5, vocabulary, seed=1)
    assert again == sample  # the same seed gives the same sample


def test_low_temperature_is_greedy(tiny_model):
    """Near T = 0, sampling follows the full model's argmax predictions."""
    model, vocabulary = tiny_model
    samples = text_generation.generate_many(model, "a b", 6, [1e-3, 1.0], vocabulary, seed=0)
    assert set(samples) == {1e-3, 1.0} and all(len(s) == 6 for s in samples.values())
    text = "a b"
    for _ in range(6):
        logits = keras.ops.convert_to_numpy(model(shakespeare.encode(text, vocabulary)[None, :]))
        text += vocabulary[int(np.argmax(logits[0, -1]))]
    assert samples[1e-3] == text[3:]


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_generate_rejects_non_positive_temperature(tiny_model, temperature):
    model, vocabulary = tiny_model
    with pytest.raises(ValueError):
        text_generation.generate(model, "ab", 5, temperature, vocabulary)


def test_generate_rejects_unknown_seed_characters(tiny_model):
    model, vocabulary = tiny_model
    with pytest.raises(ValueError):
        text_generation.generate(model, "xyz", 5, 1.0, vocabulary)


def test_unknown_corpus_exits_with_code_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        text_generation.main(["--corpus", "nope"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert "--corpus" in error and len(error.splitlines()) == 1


@pytest.mark.parametrize(
    "flags",
    [["--temperatures", "0", "1"], ["--validation-fraction", "0.8"], ["--dropout", "1"]],
)
def test_out_of_range_flag_is_bad_input(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        text_generation.main([*flags, "--data-dir", "/nonexistent"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert flags[0] in error and len(error.splitlines()) == 1


def test_encode_matches_vocabulary_indices():
    vocabulary = shakespeare.make_vocabulary("to be, or not — to be\n")
    ids = shakespeare.encode("be — not\n", vocabulary)
    assert ids.dtype == np.int32 and ids.shape == (9,)
    assert "".join(vocabulary[i] for i in ids) == "be — not\n"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        shakespeare.encode("xyz", vocabulary)


def test_distribution_figure_shows_the_top_characters_per_temperature():
    vocabulary = list("ab c\n")
    probabilities = np.array([[0.7, 0.1, 0.1, 0.05, 0.05], [0.2, 0.2, 0.2, 0.2, 0.2]])
    figure = distribution_figure(probabilities, [0.5, 1.0], vocabulary, "seed", top=3)
    axis = figure.axes[0]
    assert [tick.get_text() for tick in axis.get_xticklabels()] == ["a", "b", "space"]
    assert len(axis.patches) == 6 and "entropy 1.61 nats" in axis.get_legend().texts[1].get_text()
