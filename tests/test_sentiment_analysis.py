"""Fast tests of assignments/sentiment_analysis.py: builders, vectorizer, thresholds (no data)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from assignments import sentiment_analysis as sa
from common import plots
from common.config import parse_config
from common.datasets import imdb, make_vectorizer
from common.datasets.imdb import standardize_review

REVIEWS = [
    "A GREAT movie!<br /><br />Loved it, truly.",
    "Bad, bad film.<br/>Awful acting",
    "great acting and a great story",
    "awful",
]


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("pooling", ["average", "last"])
def test_build_model_output_shape(bidirectional, pooling):
    model = sa.build_model(
        vocabulary_size=50,
        sequence_length=12,
        embedding_dim=8,
        lstm_units=4,
        bidirectional=bidirectional,
        pooling=pooling,
    )
    ids = np.random.default_rng(0).integers(0, 50, size=(3, 12)).astype("int32")
    probabilities = keras.ops.convert_to_numpy(model(ids))
    assert model.input_shape == (None, 12)
    assert probabilities.shape == (3, 1)
    assert np.all((probabilities > 0) & (probabilities < 1))


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("pooling", ["average", "last"])
def test_padding_is_masked(bidirectional, pooling):
    """Trailing padding (id 0) leaves the prediction unchanged: LSTM and average skip it."""
    short = sa.build_model(
        50, 6, 8, 4, bidirectional, dropout=0.5, pooling=pooling, embedding_dropout=0.3
    )
    long = sa.build_model(
        50, 12, 8, 4, bidirectional, dropout=0.5, pooling=pooling, embedding_dropout=0.3
    )
    long.set_weights(short.get_weights())
    review = [5, 17, 3, 42]
    padded_short = np.array([review + [0] * 2], dtype="int32")
    padded_long = np.array([review + [0] * 8], dtype="int32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(short(padded_short)),
        keras.ops.convert_to_numpy(long(padded_long)),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"vocabulary_size": 2},
        {"lstm_units": 0},
        {"sequence_length": 0},
        {"dropout": 1.0},
        {"dropout": -0.1},
        {"embedding_dropout": 1.0},
        {"pooling": "max"},
    ],
)
def test_build_model_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError):
        sa.build_model(**kwargs)


def test_vectorizer_standardises_and_pads():
    vectorizer = make_vectorizer(REVIEWS, max_tokens=30, sequence_length=5)
    vocabulary = vectorizer.get_vocabulary()
    assert vocabulary[:2] == ["", "[UNK]"]  # 0: padding, 1: out of vocabulary
    assert "great" in vocabulary and "GREAT" not in vocabulary  # lower-cased
    assert not any(
        "br" in token or "<" in token or "!" in token or "," in token for token in vocabulary
    )
    ids = keras.ops.convert_to_numpy(
        vectorizer(np.array(REVIEWS + ["never seen words"], dtype=object))
    )
    assert ids.shape == (5, 5)
    assert np.issubdtype(ids.dtype, np.integer)
    assert ids[0].tolist() == [
        vocabulary.index(w) for w in ("a", "great", "movie", "loved", "it")
    ]  # cut to 5
    assert ids[3].tolist() == [vocabulary.index("awful"), 0, 0, 0, 0]  # padded at the end
    assert ids[4].tolist() == [1, 1, 1, 0, 0]  # unknown words


def test_keep_last_words():
    kept = imdb.keep_last_words(tf.constant(["One two, THREE<br />four five!", "Short.", ""]), 3)
    assert kept.numpy().tolist() == [b"three four five", b"short", b""]
    layer = imdb.KeepLastWords(2)
    assert layer(tf.constant(["a b c"])).numpy().tolist() == [b"b c"]
    assert imdb.KeepLastWords.from_config(layer.get_config()).count == 2
    with pytest.raises(ValueError):
        imdb.KeepLastWords(0)


def test_make_dataset_batches_int32_ids_in_order():
    vectorizer = make_vectorizer(REVIEWS, max_tokens=30, sequence_length=7)
    labels = np.array([1, 0, 1, 0], dtype="int32")
    batches = list(
        imdb.make_dataset(np.array(REVIEWS, dtype=object), labels, vectorizer, batch_size=3)
    )
    assert [b[0].shape for b in batches] == [(3, 7), (1, 7)]
    assert batches[0][0].dtype == tf.int32
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), labels)
    shuffled = imdb.make_dataset(
        np.array(REVIEWS, dtype=object), labels, vectorizer, batch_size=2, shuffle_seed=1
    )
    assert sorted(np.concatenate([b[1].numpy() for b in shuffled]).tolist()) == [0, 0, 1, 1]


def test_make_dataset_keeps_first_or_last_words():
    vectorizer = make_vectorizer(REVIEWS, max_tokens=30, sequence_length=3)
    vocabulary = vectorizer.get_vocabulary()
    texts, labels = np.array([REVIEWS[0]], dtype=object), np.array([1], dtype="int32")
    first = next(iter(imdb.make_dataset(texts, labels, vectorizer, batch_size=1)))[0].numpy()
    last = next(iter(imdb.make_dataset(texts, labels, vectorizer, batch_size=1, keep_last=3)))[
        0
    ].numpy()
    assert first[0].tolist() == [vocabulary.index(w) for w in ("a", "great", "movie")]
    assert last[0].tolist() == [vocabulary.index(w) for w in ("loved", "it", "truly")]


def test_threshold_tradeoff_values():
    tradeoff = sa.threshold_tradeoff([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(tradeoff["thresholds"], [0.1, 0.35, 0.4, 0.8])
    np.testing.assert_allclose(tradeoff["precision"], [0.5, 2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(tradeoff["recall"], [1.0, 1.0, 0.5, 0.5])
    np.testing.assert_allclose(tradeoff["f1"], [2 / 3, 0.8, 0.5, 2 / 3])
    assert tradeoff["best_threshold"] == pytest.approx(0.35)
    assert tradeoff["best_f1"] == pytest.approx(0.8)


def test_threshold_tradeoff_perfect_ranking():
    tradeoff = sa.threshold_tradeoff([0, 1, 0, 1], [0.2, 0.9, 0.3, 0.6])
    assert tradeoff["best_threshold"] == pytest.approx(0.6)
    assert tradeoff["best_f1"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "labels, probabilities", [([0, 1], [0.5]), ([1, 1], [0.2, 0.3]), ([0, 2], [0.2, 0.3])]
)
def test_threshold_tradeoff_rejects_bad_input(labels, probabilities):
    with pytest.raises(ValueError):
        sa.threshold_tradeoff(labels, probabilities)


def test_precision_recall_figure_has_two_panels():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    probabilities = np.clip(labels * 0.3 + rng.random(200) * 0.7, 0, 1)
    tradeoff = sa.threshold_tradeoff(labels, probabilities)
    marks = {"default": 0.5, "F1-best": 0.4}
    figure = plots.precision_recall_tradeoff(tradeoff, marks, 0.8, labels.mean(), "LSTM")
    assert len(figure.axes) == 2
    import matplotlib.pyplot as plt

    plt.close(figure)


def test_end_to_end_model_round_trip(tmp_path):
    vectorizer = make_vectorizer(REVIEWS, max_tokens=30, sequence_length=3)
    classifier = sa.build_model(vectorizer.vocabulary_size(), 3, 8, 4)
    model = sa.build_end_to_end_model(vectorizer, classifier, keep_last=3)
    texts = tf.constant(["a great story, really great acting", "awful film"])
    expected = keras.ops.convert_to_numpy(classifier(vectorizer(imdb.keep_last_words(texts, 3))))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(texts)), expected, rtol=1e-5)
    model.save(tmp_path / "end_to_end.keras")
    custom_objects = {"standardize_review": standardize_review, "KeepLastWords": imdb.KeepLastWords}
    reloaded = keras.saving.load_model(tmp_path / "end_to_end.keras", custom_objects=custom_objects)
    assert reloaded.predict(texts, verbose=0).shape == (2, 1)
    np.testing.assert_allclose(reloaded.predict(texts, verbose=0), expected, rtol=1e-5)


def test_quick_config_and_bars():
    config = parse_config(sa.Config, sa.QUICK_OVERRIDES, ["--quick", "--lstm-units", "16"])
    assert (
        config.quick
        and config.train_samples == sa.QUICK_OVERRIDES["train_samples"]
        and config.lstm_units == 16
    )
    assert (
        parse_config(sa.Config, sa.QUICK_OVERRIDES, []).train_samples == 0
    )  # full run: all reviews
    assert sa.QUICK_BAR[0][0] == sa.FULL_BAR[0][0] == "accuracy"  # the headline metric


@pytest.mark.parametrize(
    "flags", [["--validation-split", "1.5"], ["--validation-split", "0"], ["--dropout", "1"]]
)
def test_out_of_range_fraction_exits_2_and_writes_nothing(flags, tmp_path, capsys):
    with pytest.raises(SystemExit) as error:
        sa.main([*flags, "--output-dir", str(tmp_path / "out")])
    assert error.value.code == 2
    assert flags[0] in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_flag_exits_2():
    with pytest.raises(SystemExit) as error:
        parse_config(sa.Config, sa.QUICK_OVERRIDES, ["--max-tokens", "2"])
    assert error.value.code == 2
