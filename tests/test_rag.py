"""Tests of assignments/rag.py, common/retrieval.py, common/datasets/texts.py (no data or network).

Chunking, Gutenberg stripping, chapter parsing, RRF, hit@k / MRR, relevance,
questions-file validation, index save / reload, faithfulness, prompts and
generation, and bad input from the command line (exit code 2, one line).
"""

import json
import re

import numpy as np
import pytest
from test_cli import error_lines, run

from assignments import rag
from common import pretrained
from common.datasets import texts
from common.errors import InputError
from common.retrieval import (
    Chunk,
    Retriever,
    answer_scores,
    evidence_spans,
    faithfulness,
    hit_curves_figure,
    load_index,
    load_questions,
    reciprocal_rank_fusion,
    relevant_chunks,
    retrieval_scores,
    save_index,
    split_chapters,
)

BOOK = """\
*** START OF THE PROJECT GUTENBERG EBOOK 1 ***
The Project Gutenberg eBook of A Test
*** START OF THE PROJECT GUTENBERG EBOOK A TEST ***

                     A TEST BOOK
                 Copyright, 1926

                     INTRODUCTION

An introduction that is
wrapped over two lines.

                       CONTENTS

        I. IN WHICH A BEAR EATS HONEY

                      CHAPTER I

               IN WHICH A BEAR
                  EATS HONEY


Here is _Edward_ Bear, coming
downstairs. He likes honey.

"So do I," said Piglet.

                 *        *        *

Eeyore lost his tail. Pooh found it at Owl's house.

                      CHAPTER II

                 IN WHICH IT RAINS


It rained and it rained. Piglet wrote a message and put it in a bottle.

                 Printed in Canada

[Transcriber's Note: none.]

*** END OF THE PROJECT GUTENBERG EBOOK 1 ***
The licence text that must go.
"""


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def chapters():
    return texts.parse_chapters(BOOK)


# --- The book -----------------------------------------------------------------


def test_strip_gutenberg_keeps_the_text_after_the_last_start_line():
    stripped = texts.strip_gutenberg(BOOK)
    assert stripped.startswith("A TEST BOOK") and "eBook of" not in stripped
    assert "licence" not in stripped and "END OF" not in stripped
    assert texts.strip_gutenberg("  no markers here \n") == "no markers here"


def test_parse_chapters_drops_front_matter_contents_and_colophon(chapters):
    assert [c.number for c in chapters] == [0, 1, 2]
    assert chapters[0].title == "Introduction"
    assert chapters[0].paragraphs == ("An introduction that is wrapped over two lines.",)
    assert chapters[1].title == "Chapter I: In Which a Bear Eats Honey"
    assert chapters[1].paragraphs == (
        "Here is Edward Bear, coming downstairs. He likes honey.",
        '"So do I," said Piglet.',
        "Eeyore lost his tail. Pooh found it at Owl's house.",
    )
    assert chapters[2].title == "Chapter II: In Which It Rains"
    assert chapters[2].paragraphs[-1].endswith("in a bottle.")  # colophon and note dropped
    text = chapters[1].text
    assert chapters[1].paragraph_at(text.index("Eeyore")) == 2
    assert chapters[1].paragraph_at(0) == 0
    assert texts.roman_to_int("XIV") == 14 and texts.roman_to_int("ix") == 9


@pytest.mark.parametrize("content", ["", "   \n\n", "just some words\nwith no chapters\n"])
def test_empty_or_garbled_book_is_an_input_error(tmp_path, content):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "winnie_the_pooh.txt").write_text(content)
    with pytest.raises(InputError, match="winnie_the_pooh.txt"):
        texts.load_book("winnie_the_pooh", tmp_path)


def test_non_utf8_book_is_an_input_error(tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "winnie_the_pooh.txt").write_bytes(b"CHAPTER I\n\xff\xfe\xfa")
    with pytest.raises(InputError, match="not UTF-8"):
        texts.load_book("winnie_the_pooh", tmp_path)


# --- Chunks -------------------------------------------------------------------


@pytest.mark.parametrize("size, overlap", [(6, 0), (8, 3), (12, 4), (40, 8)])
def test_chunks_respect_size_and_overlap_and_keep_their_place(chapters, size, overlap):
    chunks = split_chapters(chapters, size, overlap, words)
    by_number = {c.number: c for c in chapters}
    assert {c.chapter for c in chunks} == {0, 1, 2}
    for chunk in chunks:
        chapter = by_number[chunk.chapter]
        assert words(chunk.text) <= size
        assert chapter.text[chunk.start : chunk.end] == chunk.text
        assert chunk.title == chapter.title
        assert chunk.first_paragraph == chapter.paragraph_at(chunk.start)
        assert chunk.last_paragraph == chapter.paragraph_at(chunk.end - 1)
    covered = {(c.chapter, i) for c in chunks for i in range(c.start, c.end)}
    for chapter in chapters:  # every word of every chapter is in some chunk
        for match in re.finditer(r"\S+", chapter.text):
            assert (chapter.number, match.start()) in covered
    pairs = [(a, b) for a, b in zip(chunks, chunks[1:]) if a.chapter == b.chapter]
    assert all(b.start > a.start for a, b in pairs)


@pytest.mark.parametrize("overlap", [0, 2, 5])
def test_chunk_overlap_in_tokens(overlap):
    sentences = " ".join(f"Sentence {n} has words." for n in range(12))  # 4 words each
    chapter = texts.Chapter(1, "Chapter I", (sentences,))
    chunks = split_chapters([chapter], 12, overlap, words)
    assert len(chunks) > 3 and all(words(c.text) <= 12 for c in chunks)
    shared = [sentences[b.start : a.end] for a, b in zip(chunks, chunks[1:])]
    if overlap < 4:  # sentences of 4 words: no whole sentence fits in the overlap
        assert all(b.start >= a.end for a, b in zip(chunks, chunks[1:]))
    else:
        assert all(text and words(text) <= overlap for text in shared)


def test_chunks_split_at_paragraphs_before_sentences(chapters):
    chunks = split_chapters(chapters, 40, 0, words)
    assert [c.text for c in chunks if c.chapter == 0] == [chapters[0].paragraphs[0]]
    sentence_chunks = split_chapters(chapters, 9, 0, words)
    assert "Eeyore lost his tail." in [c.text for c in sentence_chunks]


def test_chunk_overlap_must_be_below_the_size(chapters):
    with pytest.raises(InputError, match="overlap"):
        split_chapters(chapters, 8, 8, words)


def test_wordpiece_counter_counts_the_encoders_tokens():
    import keras_hub

    from common.retrieval import wordpiece_counter

    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "bear", "honey", "##s"]
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True)
    count = wordpiece_counter(tokenizer)
    assert count("The bears") == 3  # the, bear, ##s
    assert count("Honey honey") == 2 and count("") == 0


# --- Relevance and retrieval scores ------------------------------------------------


def test_retrieval_scores_on_hand_cases():
    rankings = [[3, 1, 2], [0, 1, 2], [5, 6, 7], [2, 9, 4]]
    relevant = [{1}, {0, 2}, {8}, {4}]
    scores = retrieval_scores(rankings, relevant, max_k=3)
    assert scores["hit_at_1"] == pytest.approx(1 / 4)
    assert scores["hit_at_2"] == pytest.approx(2 / 4)
    assert scores["hit_at_3"] == pytest.approx(3 / 4)
    assert scores["mrr"] == pytest.approx((1 / 2 + 1 + 0 + 1 / 3) / 4)
    assert retrieval_scores([[4, 1]], [{1}], max_k=1)["mrr"] == 0.0  # beyond max_k


def test_relevant_chunks_by_evidence_span_or_by_answer(chapters):
    chunks = split_chapters(chapters, 6, 0, words)
    spans = evidence_spans(chapters, ["Eeyore lost his tail.", "Piglet wrote a message"])
    hits = relevant_chunks(chunks, {"answer": "x"}, spans)
    assert {chunks[i].chapter for i in hits} == {1, 2}
    assert all("Eeyore lost" in chunks[i].text or "Piglet wrote" in chunks[i].text for i in hits)
    by_answer = relevant_chunks(chunks, {"answer": "a Bottle!"})
    assert by_answer and all("bottle" in chunks[i].text for i in by_answer)
    with pytest.raises(InputError, match="evidence not in the book"):
        evidence_spans(chapters, "Pooh never said this.")


def test_half_an_evidence_sentence_makes_a_hit():
    chunk = Chunk(
        "x" * 10, chapter=1, title="", first_paragraph=0, last_paragraph=0, start=0, end=10
    )
    assert relevant_chunks([chunk], {"answer": "-"}, [(1, 5, 15)]) == {0}  # 5 of 10 characters
    assert relevant_chunks([chunk], {"answer": "-"}, [(1, 6, 16)]) == set()  # 4 of 10
    assert relevant_chunks([chunk], {"answer": "-"}, [(2, 0, 10)]) == set()  # another chapter


def test_reciprocal_rank_fusion_on_hand_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], rrf_k=60)
    scores = dict(fused)
    assert [item for item, _ in fused] == [1, 3, 2, 4]
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert scores[4] == pytest.approx(1 / 63)
    assert [i for i, _ in reciprocal_rank_fusion([[7, 8], [8, 7]])] == [7, 8]  # tie: first seen


# --- Questions file -------------------------------------------------------------


def write(tmp_path, content, name="questions.json"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_load_questions_accepts_the_schema(tmp_path):
    items = [
        {"question": "Who?", "answer": "Pooh"},
        {"question": "Where?", "answer": "a tree", "evidence": "in a tree"},
        {"question": "What?", "answer": "honey", "evidence": ["honey", "more honey"]},
    ]
    assert load_questions(write(tmp_path, items)) == items


@pytest.mark.parametrize(
    "content, message",
    [
        ("[{", "not valid JSON"),
        ({"question": "Who?", "answer": "Pooh"}, "non-empty JSON list"),
        ([], "non-empty JSON list"),
        (["Who?"], "item 0: expected an object"),
        ([{"question": "Who?"}], "item 0: 'answer' must be a non-empty string"),
        ([{"question": " ", "answer": "Pooh"}], "'question' must be a non-empty string"),
        ([{"question": "Who?", "answer": 3}], "'answer' must be a non-empty string"),
        ([{"question": "Who?", "answer": "P", "evidence": []}], "'evidence' must be"),
        ([{"question": "Who?", "answer": "P", "evidence": [""]}], "'evidence' must be"),
        ([{"question": "Who?", "answer": "P", "answr": "x"}], "unknown key"),
    ],
)
def test_load_questions_rejects_bad_files(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        load_questions(write(tmp_path, content))


def test_load_questions_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_questions(tmp_path / "nope.json")


def test_gold_set_is_valid_and_large_enough():
    items = load_questions(rag.GOLD_QUESTIONS)
    assert len(items) >= 40
    assert all("evidence" in item for item in items)
    assert len({item["question"] for item in items}) == len(items)


def test_gold_evidence_is_in_the_book(data_dir):
    chapters = texts.load_book("winnie_the_pooh", data_dir)
    assert [c.number for c in chapters] == list(range(11))
    for item in load_questions(rag.GOLD_QUESTIONS):
        evidence = item["evidence"] if isinstance(item["evidence"], list) else [item["evidence"]]
        assert len(evidence_spans(chapters, evidence)) == len(evidence), item["question"]


# --- Index and retrievers ---------------------------------------------------------


def unit_vectors(count, dimension=8, seed=0):
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype("float32")
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_index_save_and_reload(tmp_path, chapters):
    chunks = split_chapters(chapters, 8, 2, words)
    vectors = unit_vectors(len(chunks))
    paths = save_index(tmp_path, "8", chunks, vectors)
    assert sorted(p.name for p in paths) == ["chunks_8.json", "index_8.faiss"]
    index, loaded = load_index(tmp_path, "8")
    assert loaded == chunks and index.ntotal == len(chunks)
    scores, ids = index.search(vectors[3:4], 2)
    assert ids[0][0] == 3 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
    with pytest.raises(InputError, match="no saved index"):
        load_index(tmp_path, "16")
    (tmp_path / "chunks_8.json").write_text(json.dumps([]))
    with pytest.raises(InputError, match="vectors for 0 chunks"):
        load_index(tmp_path, "8")
    with pytest.raises(ValueError):
        save_index(tmp_path, "9", chunks, vectors[:-1])


def test_retrievers_rank_the_matching_chunk_first(tmp_path, chapters):
    chunks = split_chapters(chapters, 9, 0, words)
    vectors = unit_vectors(len(chunks), seed=1)
    save_index(tmp_path, "9", chunks, vectors)
    retriever = Retriever(*load_index(tmp_path, "9"))
    target = next(i for i, c in enumerate(chunks) if "tail" in c.text)
    question = ["Who lost his tails?"]  # lemmatised: "tails" finds "tail"
    assert retriever.search("bm25", question, vectors[:1], 3)[0][0][0] == target
    assert retriever.search("dense", question, vectors[target : target + 1], 3)[0][0][0] == target
    hybrid = retriever.search("hybrid", question, vectors[target : target + 1], 3)[0]
    assert hybrid[0][0] == target and hybrid[0][1] == pytest.approx(2 / 61)
    assert len(retriever.search("bm25", question, vectors[:1], 500)[0]) == len(chunks)
    assert chunks[target].indexed_text.startswith("Chapter I: In Which a Bear Eats Honey\n\n")
    with pytest.raises(ValueError):
        retriever.search("sparse", question, vectors[:1], 3)


# --- Answers ----------------------------------------------------------------------


def test_faithfulness_and_answer_scores():
    passages = [["Pooh found the tail at Owl's house."]]
    assert faithfulness("Owl's house", passages[0]) == 1.0
    assert faithfulness("the red house", passages[0]) == 0.5  # "the" dropped: red, house
    assert np.isnan(faithfulness("the", passages[0]))
    scores = answer_scores(["Owl's house."], ["Owl's house"], passages)
    assert scores["em"] == 1.0 and scores["f1"] == 1.0 and scores["faithfulness"] == 1.0
    scores = answer_scores(["At Owl's house"], ["Owl's house"], passages)
    assert scores["em"] == 0.0 and scores["f1"] == pytest.approx(0.8) and scores["contains"] == 1
    scores = answer_scores(["I don't know.", "Pooh"], ["Eeyore", "Pooh"], passages * 2)
    assert scores["idk"] == 0.5 and scores["em"] == 0.5 and scores["faithfulness"] == 1.0
    assert answer_scores(["Pooh did it"], ["Pooh"], None)["faithfulness"] is None
    assert answer_scores(["Pooh did it"], ["Pooh"], None)["contains"] == 1.0


class FakeLM:
    """Echoes the last line of each prompt; counts characters as tokens."""

    def __init__(self):
        self.calls = []

    def chat_prompt(self, messages, system_prompt=None):
        return pretrained.chat_prompt(messages, system_prompt=system_prompt)

    def count_tokens(self, text):
        return len(text)

    def generate(self, prompt, max_new_tokens):
        self.calls.append((prompt, max_new_tokens))
        return f"\n  {prompt.splitlines()[-1]}  \nsecond line"


def test_prompts_and_generation():
    lm = FakeLM()
    grounded = rag.build_prompt(lm, "Who?", ["Pooh ate.", "Owl read."], "grounded")
    assert "[1] Pooh ate.\n\n[2] Owl read." in grounded and "I don't know" in grounded
    assert grounded.endswith("<|im_start|>assistant\n") and not grounded.startswith("<|im_start|>")
    assert "Question: Who?" in grounded
    assert grounded.count("Question: Who?") == 2 and grounded.index("[1]") < grounded.rindex("Who?")
    plain = rag.build_prompt(lm, "Who?", ["Pooh ate."], "plain")
    assert "SmolLM" in plain and "[1] Pooh ate.\n\nWho?" in plain
    closed = rag.build_prompt(lm, "Who?", [], "closed_book")
    assert "Passages" not in closed and "Who?" in closed
    answers, speed = rag.generate_answers(lm, ["ccc", "a", "bb"], rag.Config(max_new_tokens=5))
    assert answers == ["ccc", "a", "bb"]  # each reply's first non-empty line, stripped
    assert lm.calls == [("ccc", 5), ("a", 5), ("bb", 5)]
    assert speed["tokens"] == sum(len(f"\n  {p}  \nsecond line") for p in ("ccc", "a", "bb"))
    assert speed["tokens_per_second"] > 0


def test_answer_of_takes_the_first_line_without_its_opening():
    assert rag.answer_of("  Sanders.\nThe passage says more.") == "Sanders."
    assert rag.answer_of("The answer to this question is:\n a Very Deep Pit\nmore") == (
        "a Very Deep Pit"
    )
    assert rag.answer_of("Answer: Eeyore") == "Eeyore"
    assert rag.answer_of("") == ""


def test_select_keeps_order_and_is_seeded():
    items = list(range(20))
    assert rag.select(items, 0, 1) == items and rag.select(items, 30, 1) == items
    chosen = rag.select(items, 5, 1)
    assert len(chosen) == 5 and chosen == sorted(chosen) and chosen == rag.select(items, 5, 1)


# --- Bad input from the command line ------------------------------------------------


def test_bad_questions_file_exits_2_before_any_model_loads(tmp_path):
    bad = write(tmp_path, [{"question": "Who?"}])
    output = tmp_path / "out"
    result = run(
        ["assignments/rag.py", "--questions", str(bad), "--output-dir", str(output)], tmp_path
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert (
        len(lines) == 1 and lines[0].startswith("error: questions file") and "'answer'" in lines[0]
    )
    assert not output.exists()


def test_empty_book_exits_2(tmp_path):
    (tmp_path / "data" / "texts").mkdir(parents=True)
    (tmp_path / "data" / "texts" / "winnie_the_pooh.txt").write_text("")
    output = tmp_path / "out"
    args = ["assignments/rag.py", "--quick", "--data-dir", str(tmp_path / "data")]
    result = run([*args, "--output-dir", str(output)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and "winnie_the_pooh.txt is empty" in lines[0], lines
    assert not output.exists()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--chunk-sizes", "64", "--generation-chunk-size", "128"], "--generation-chunk-size"),
        (["--chunk-overlap", "300"], "--chunk-overlap"),
        (["--retrievers", "bm25"], "--generation-retriever"),
        (["--ask", "Who?", "--output-dir", "{tmp}/none"], "no saved index"),
    ],
)
def test_bad_flag_combinations_exit_2(tmp_path, flags, message):
    flags = [flag.replace("{tmp}", str(tmp_path)) for flag in flags]
    result = run(["assignments/rag.py", *flags], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and message in lines[0], lines


def test_hit_curves_figure_has_one_panel_per_chunk_size():
    curves = {(64, "bm25"): [0.5, 1.0], (64, "dense"): [0.0, 0.5], (128, "bm25"): [1.0, 1.0]}
    figure = hit_curves_figure(curves, 2, "test")
    assert len(figure.axes) == 2 and len(figure.axes[0].lines) == 2


def test_embed_texts_cache_is_reused_and_keyed_by_texts(empty_cache, monkeypatch):
    """A cached call reads `<cache>/embeddings/*.npy` instead of running the encoder."""
    import keras_hub
    from conftest import tiny_bert_backbone

    from common.retrieval import embed_texts

    words = "pooh went to see rabbit . eeyore lost his tail".split()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = keras_hub.models.BertTokenizer([*special, *words])
    encoder = pretrained.TextEncoder("tiny", tiny_bert_backbone(), tokenizer, None, None)
    chunks = ["Pooh went to see Rabbit.", "Eeyore lost his tail."]
    first = embed_texts(encoder, chunks, 16, cache=True)
    assert first.shape == (2, 8) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1, rtol=1e-5)
    assert len(list((empty_cache / "embeddings").glob("*.npy"))) == 1
    assert not list((empty_cache / "embeddings").glob(".*"))  # no temporary file left

    def no_encoder(*args, **kwargs):
        raise RuntimeError("the encoder ran")

    monkeypatch.setattr(keras_hub.models, "BertTextEmbedder", no_encoder)
    np.testing.assert_array_equal(embed_texts(encoder, chunks, 16, cache=True), first)
    with pytest.raises(RuntimeError):  # other texts, other key: the encoder runs
        embed_texts(encoder, chunks[:1], 16, cache=True)
    with pytest.raises(RuntimeError):  # another sequence length is another key
        embed_texts(encoder, chunks, 32, cache=True)
    with pytest.raises(RuntimeError):  # no cache asked for
        embed_texts(encoder, chunks, 16)
