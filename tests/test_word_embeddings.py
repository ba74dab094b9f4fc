"""Builders, loaders and bad input of assignments/word_embeddings.py (no real data, no network)."""

import gzip
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from assignments import word_embeddings
from common import lyrics, word_analysis
from common.datasets.lyrics_genre import (
    load_genre_corpus,
    load_lyrics_genre,
    load_sentiment_lexicon,
)
from common.errors import InputError

LEXICON = "0.984\tloves\n0.875\tlove\r\n0.700\tlove\n-0.563\tsad\n-0.2\tno problem\n"


def write_lyrics(folder, rows):
    (folder / "lyrics_genre").mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=["artist", "title", "lyrics", "genre"])
    frame.to_csv(folder / "lyrics_genre" / "lyrics.csv.gz", compression="gzip")
    return folder / "lyrics_genre" / "lyrics.csv.gz"


def write_lexicon(folder, text=LEXICON):
    (folder / "texts").mkdir(parents=True, exist_ok=True)
    (folder / "texts" / "SemEval2015-English-Twitter-Lexicon.txt").write_text(text)


SONGS = [
    ("['A']", "One", "[Chorus]\nLove you, baby\n12Embed", "pop"),
    ("['A']", "One", "[Chorus]\nLove you, baby\n12Embed", "r-b"),  # the same song in two genres
    ("['B']", "Two", "Trucks and beer", "country"),
    ("['C']", "Three", "Money, money", "rap"),
]


def test_lyrics_loader_drops_songs_listed_under_several_genres(tmp_path):
    write_lyrics(tmp_path, SONGS)
    frame = load_lyrics_genre(tmp_path)
    assert list(frame.columns) == ["artist", "title", "lyrics", "genre"]
    assert frame["title"].tolist() == ["Two", "Three"]
    assert list(frame.index) == [0, 1]
    assert len(load_lyrics_genre(tmp_path, multi_genre="keep")) == 4
    with pytest.raises(InputError, match="multi_genre"):
        load_lyrics_genre(tmp_path, multi_genre="first")


def test_lyrics_loader_rejects_corrupt_files(tmp_path):
    path = write_lyrics(tmp_path, SONGS)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated gzip
    with pytest.raises(InputError, match="truncated or corrupt"):
        load_lyrics_genre(tmp_path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="truncated or corrupt"):
        load_lyrics_genre(tmp_path)
    path.write_bytes(gzip.compress(b",artist,title,words,genre\n0,a,b,c,pop\n"))
    with pytest.raises(InputError, match="lacks the column"):
        load_lyrics_genre(tmp_path)
    write_lyrics(tmp_path, [("['A']", "x", "la la", "jazz")])
    with pytest.raises(InputError, match="unknown genre"):
        load_lyrics_genre(tmp_path)


def test_lexicon_loader_averages_repeated_terms_and_rejects_bad_lines(tmp_path):
    write_lexicon(tmp_path)
    lexicon = load_sentiment_lexicon(tmp_path)
    assert lexicon == pytest.approx(
        {"loves": 0.984, "love": 0.7875, "sad": -0.563, "no problem": -0.2}
    )
    write_lexicon(tmp_path, "0.5\tgood\nbad line\n")
    with pytest.raises(InputError, match="line 2"):
        load_sentiment_lexicon(tmp_path)
    write_lexicon(tmp_path, "1.5\tgood\n")
    with pytest.raises(InputError, match="line 1"):
        load_sentiment_lexicon(tmp_path)


def test_cnn_shapes_and_frozen_embeddings():
    model = word_embeddings.build_cnn(
        50, sequence_length=16, embedding_dim=8, num_classes=5, trainable_embeddings=False
    )
    ids = np.random.default_rng(0).integers(0, 50, size=(3, 16)).astype("int32")
    probabilities = keras.ops.convert_to_numpy(model(ids))
    assert probabilities.shape == (3, 5)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert not model.get_layer("embedding").trainable
    assert model.get_layer("embedding").get_weights()[0].shape == (50, 8)
    assert word_embeddings.build_cnn(50, 16, 8).get_layer("embedding").trainable
    with pytest.raises(ValueError):
        word_embeddings.build_cnn(50, sequence_length=4, kernel_size=5)
    with pytest.raises(ValueError):
        word_embeddings.build_cnn(0)


def test_sentiment_network_outputs_scores_in_range():
    model = word_embeddings.build_sentiment_network(6, hidden_units=4)
    scores = keras.ops.convert_to_numpy(model(np.full((2, 6), 50.0, dtype="float32")))
    assert scores.shape == (2, 1) and np.all(np.abs(scores) <= 1)
    with pytest.raises(ValueError):
        word_embeddings.build_sentiment_network(0)


def test_encode_documents_truncates_pads_and_marks_unknown_words():
    index = {"": 0, "[UNK]": 1, "love": 2, "baby": 3}
    ids = lyrics.encode_documents([["love", "zebra", "baby", "love"], ["baby"]], index, 3)
    assert ids.dtype == np.int32
    assert ids.tolist() == [[2, 1, 3], [3, 0, 0]]
    vocabulary = lyrics.frequency_vocabulary([["baby", "love"], ["love"]])
    assert vocabulary == ["", "[UNK]", "love", "baby"]


def test_genre_corpus_is_tokenised_cut_and_split_by_genre(tmp_path):
    genres = ("country", "pop", "r-b", "rap", "rock")
    rows = [
        ("['A']", f"song {i}", f"Loved the {genre} trucks, baby, number {i}\nAnd I ride", genre)
        for genre in genres
        for i in range(20)
    ]
    write_lyrics(tmp_path, rows)
    corpus = load_genre_corpus(tmp_path, songs=50, min_count=6, seed=0)
    assert corpus.genres == genres and corpus.labels.dtype == np.int64
    assert len(corpus.documents) == len(corpus.labels) == 50
    assert sorted(np.concatenate(list(corpus.split.values())).tolist()) == list(range(50))
    assert [len(corpus.split[p]) for p in ("train", "validation", "test")] == [35, 7, 8]
    assert np.bincount(corpus.labels[corpus.split["test"]]).min() >= 1  # stratified
    assert "love" in corpus.counts and "the" not in corpus.counts  # lemmas, stop words
    assert not any(word.isdigit() for word in corpus.counts)  # numbers seen < 6 times cut
    assert set(corpus.genre_word_counts()) == set(genres)
    assert corpus.summary().startswith("50 songs")
    vocabulary, ids = corpus.word_ids(4)
    assert vocabulary[:2] == ["", "[UNK]"] and ids["test"].shape == (8, 4)
    assert ids["train"].dtype == np.int32 and ids["train"].max() < len(vocabulary)


def test_analogy_accuracy_matches_the_question_file():
    from gensim.models import KeyedVectors

    # The file's first question: athens greece baghdad iraq (greece - athens + baghdad = iraq).
    vectors = KeyedVectors(vector_size=3)
    words = ["athens", "greece", "baghdad", "iraq", "other"]
    matrix = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1]], dtype="float32")
    vectors.add_vectors(words, matrix)
    accuracy, answered = word_analysis.analogy_accuracy(vectors, restrict=5)
    assert accuracy == 1.0 and 0 < answered < 0.001  # one question of 19,544
    accuracy, answered = word_analysis.analogy_accuracy(vectors, restrict=3)  # no iraq
    assert np.isnan(accuracy) and answered == 0.0
    assert word_analysis.analogy(vectors, ("greece", "baghdad"), ("athens",), topn=1).startswith(
        "iraq"
    )
    assert "not in vocabulary: king" in word_analysis.analogy(vectors)
    table = word_analysis.extremes_table(words, np.array([0.5, -0.2, 0.1, 0.9, -0.7]), top=2)
    assert "iraq (+0.90)" in table.splitlines()[2] and "other (-0.70)" in table.splitlines()[2]


def test_word_tables_maps_and_classifier_scores():
    from collections import Counter

    from gensim.models import KeyedVectors

    from common.plots import confusion_matrices
    from common.reporting import classification_scores

    words = ["love", "money", "truck", "beer", "baby", "cash"]
    vectors = KeyedVectors(vector_size=3)
    vectors.add_vectors(words, np.random.default_rng(0).normal(size=(6, 3)).astype("float32"))
    counts = {"pop": Counter(love=5, baby=3, money=1), "rap": Counter(money=6, cash=4, love=1)}
    assert "love (5)" in word_analysis.top_words_table(counts, top=2)
    assert "(not in vocabulary)" in word_analysis.neighbours_table({"m": vectors}, ["zebra"], 6)
    figure = word_analysis.top_words_map(counts, vectors, 2, seed=0, title="t")
    assert len(figure.axes[0].texts) == 4  # love, baby, money, cash
    figure = word_analysis.scored_words_map(words, vectors, np.linspace(-1, 1, 6), 0, "t", "s")
    assert figure.axes[0].collections[0].get_offsets().shape == (6, 2)
    found, x, y = word_analysis.labelled_vectors({"love": 0.5, "zebra": 0.1}, vectors)
    assert found == ["love"] and x.shape == (1, 3) and y.dtype == np.float32
    truth = np.array([0, 1, 1, 0])
    predictions = {"a": (np.array([0, 1, 0, 0]), "C 1"), "b": (truth, "")}
    metrics, table = classification_scores(truth, predictions, {"a": "model A", "b": "B"})
    assert metrics["a_test_accuracy"] == 0.75 and metrics["b_test_macro_f1"] == 1.0
    assert "model A" in table and "0.750" in table
    figure = confusion_matrices(truth, {"a": predictions["a"][0]}, ["x", "y"])
    assert len(figure.axes) == 3 and not figure.axes[1].axison  # two panels switched off


def test_check_config_rejects_a_reference_window_not_trained():
    config = word_embeddings.Config(windows=(2, 10), reference_window=5)
    with pytest.raises(InputError, match="reference-window"):
        word_embeddings.check_config(config)


def run_script(args, tmp_path):
    environment = {
        "ASSIGNMENTS_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "assignments/word_embeddings.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    chatter = ("WARNING: All log messages", "I0000", "W0000", "E0000", "To enable the following")
    lines = [
        line for line in result.stderr.splitlines() if line.strip() and not line.startswith(chatter)
    ]
    return result, lines


def test_corrupt_lyrics_file_exits_2_with_one_line_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    write_lexicon(data)
    path = write_lyrics(data, SONGS)
    path.write_bytes(path.read_bytes()[:40])
    output = tmp_path / "out"
    result, lines = run_script(
        ["--quick", "--data-dir", str(data), "--output-dir", str(output)], tmp_path
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "corrupt" in lines[0], lines
    assert not output.exists()


def test_reference_window_flag_exits_2(tmp_path):
    result, lines = run_script(["--windows", "2", "--reference-window", "10"], tmp_path)
    assert result.returncode == 2
    assert len(lines) == 1 and "--reference-window 10" in lines[0], lines
