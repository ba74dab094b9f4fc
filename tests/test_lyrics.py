"""common.lyrics: cleaning, tokenising, the frequency cut, word vectors and unknown words."""

import numpy as np
import pytest

from common import lyrics
from common.errors import InputError, ModelNotAvailableError

SONG = (
    "Oh, oh-oh\n\n[Chorus: Billy Ray Cyrus]\n"
    "Yeah, I\u2019m gonna take my horses to the old town road!\n"
    "Ridin' on a tractor, nothin' 'til 1999\n"
    "See Lil Nas X LiveGet tickets as low as $80You might also like[Verse 2: Lil Nas X]\n"
    "Cheated on my baby, feet were loved340Embed"
)


def tiny_vectors(words=("horse", "road", "baby", "love"), dimension=4):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(vector_size=dimension)
    matrix = np.arange(len(words) * dimension, dtype=np.float32).reshape(len(words), dimension)
    vectors.add_vectors(list(words), matrix)
    return vectors


def test_clean_removes_section_tags_and_page_artefacts_keeps_lines():
    cleaned = lyrics.clean_lyrics(SONG)
    assert "[" not in cleaned and "Chorus" not in cleaned
    assert "tickets" not in cleaned and "You might also like" not in cleaned
    assert not cleaned.endswith("Embed") and cleaned.endswith("loved")
    assert "I'm" in cleaned  # curly apostrophe made straight
    assert cleaned.splitlines()[0] == "Oh, oh-oh"  # empty lines dropped, breaks kept
    assert len(cleaned.splitlines()) == 4
    assert "[Chorus: Billy Ray Cyrus]" in lyrics.clean_lyrics(SONG, sections=True)


def test_tokenize_lowercases_splits_punctuation_and_restores_dropped_g():
    tokens = lyrics.tokenize(SONG)
    assert tokens[:4] == ["oh", "oh", "oh", "yeah"]
    assert "i'm" in tokens and "riding" in tokens and "nothing" in tokens and "til" in tokens
    assert all(token == token.lower() for token in tokens)
    assert not any(set(token) & set(',.!?"[]$') for token in tokens)
    assert "1999" in tokens and "1999" not in lyrics.tokenize(SONG, numbers=False)


def test_stop_words_lemmas_and_line_break_token():
    tokens = lyrics.tokenize(SONG, line_break=True, remove_stop_words=True, lemmatise=True)
    for stop in ("i'm", "my", "to", "the", "on", "a", "were"):
        assert stop not in tokens
    assert {"horse", "ride", "cheat", "foot", "love"} <= set(tokens)
    assert tokens.count(lyrics.LINE_BREAK) == 4 and tokens[-1] == lyrics.LINE_BREAK
    assert lyrics.lemmatize("was") == "be"
    assert lyrics.lemmatize("thinking") == "think"  # simplemma alone says "thinke"
    assert "be" not in lyrics.tokenize("it was", remove_stop_words=True, lemmatise=True)
    assert "oh" not in lyrics.stop_words() and "don't" in lyrics.stop_words()


def test_tokenize_rejects_non_text():
    with pytest.raises(InputError):
        lyrics.tokenize(float("nan"))


def test_drop_rare_words_keeps_frequency_above_the_cut():
    documents = [["a"] * 6 + ["b"] * 5 + [lyrics.LINE_BREAK], ["b", "c"]]
    filtered, counts = lyrics.drop_rare_words(documents, min_count=6)
    assert filtered == [["a"] * 6 + ["b"] * 5 + [lyrics.LINE_BREAK], ["b"]]
    assert counts["b"] == 6 and "c" not in counts
    filtered, counts = lyrics.drop_rare_words([["a"] * 5, ["b"] * 6], min_count=6)
    assert filtered == [[], ["b"] * 6]
    with pytest.raises(InputError):
        lyrics.drop_rare_words(documents, min_count=0)


def test_oov_report_counts_types_and_tokens():
    report = lyrics.oov_report(
        [["horse", "horse", "zebra"], ["road", lyrics.LINE_BREAK]], tiny_vectors()
    )
    assert (report.known_types, report.unknown_types) == (2, 1)
    assert (report.known_tokens, report.unknown_tokens) == (3, 1)
    assert report.most_common_unknown == [("zebra", 1)]
    assert report.type_coverage == pytest.approx(2 / 3) and report.token_coverage == 0.75
    assert "zebra (1)" in report.summary()
    assert lyrics.oov_report({"road": 3}, tiny_vectors()).unknown_types == 0


def test_fallback_vectors_and_embedding_matrix():
    vectors = tiny_vectors()
    assert np.array_equal(lyrics.fallback_vector(vectors, "zeros"), np.zeros(4))
    assert np.allclose(lyrics.fallback_vector(vectors, "mean"), vectors.vectors.mean(axis=0))
    assert lyrics.fallback_vector(vectors, "random").shape == (4,)
    with pytest.raises(InputError):
        lyrics.fallback_vector(vectors, "nearest")
    matrix, known = lyrics.embedding_matrix(["", "road", "zebra", "okapi"], vectors, seed=1)
    assert matrix.shape == (4, 4) and matrix.dtype == np.float32
    assert known.tolist() == [False, True, False, False]
    assert np.array_equal(matrix[0], np.zeros(4)) and np.array_equal(matrix[1], vectors["road"])
    assert not np.array_equal(matrix[2], matrix[3])  # random fallback: one vector per word
    matrix, _ = lyrics.embedding_matrix(["zebra"], vectors, fallback="mean")
    assert np.allclose(matrix[0], vectors.vectors.mean(axis=0))


def test_mean_and_tfidf_document_vectors():
    vectors = tiny_vectors()
    documents = [["horse", "road", "zebra"], ["horse"], ["zebra"]]
    plain = lyrics.document_vectors(documents, vectors)
    assert plain.shape == (3, 4) and plain.dtype == np.float32
    assert np.allclose(plain[0], (vectors["horse"] + vectors["road"]) / 2)
    assert np.array_equal(plain[2], np.zeros(4))
    idf = lyrics.inverse_document_frequencies(documents)
    assert idf["road"] > idf["horse"]  # road is in fewer documents
    assert idf["road"] == pytest.approx(np.log(4 / 2) + 1)
    weighted = lyrics.document_vectors(documents, vectors, idf)
    expected = (idf["horse"] * vectors["horse"] + idf["road"] * vectors["road"]) / (
        idf["horse"] + idf["road"]
    )
    assert np.allclose(weighted[0], expected) and np.allclose(weighted[1], vectors["horse"])


def test_word2vec_is_reproducible_with_one_worker():
    documents = [["horse", "road", "town", "old"], ["baby", "love", "horse"]] * 10
    first = lyrics.train_word2vec(documents, vector_size=8, window=2, epochs=2, seed=3)
    second = lyrics.train_word2vec(documents, vector_size=8, window=2, epochs=2, seed=3)
    assert first.vector_size == 8 and set(first.key_to_index) == {
        "horse",
        "road",
        "town",
        "old",
        "baby",
        "love",
    }
    assert np.array_equal(first.vectors, second.vectors)
    with pytest.raises(InputError):
        lyrics.train_word2vec([["a"]], min_count=2)


def test_load_word_vectors_from_a_saved_file_and_bad_names(tmp_path):
    vectors = tiny_vectors()
    vectors.save(str(tmp_path / "tiny.kv"))
    assert lyrics.load_word_vectors(str(tmp_path / "tiny.kv")).vector_size == 4
    vectors.save_word2vec_format(str(tmp_path / "tiny.txt"))
    assert "road" in lyrics.load_word_vectors(str(tmp_path / "tiny.txt")).key_to_index
    (tmp_path / "broken.bin").write_bytes(b"not vectors")
    with pytest.raises(InputError, match="not a gensim word-vector file"):
        lyrics.load_word_vectors(str(tmp_path / "broken.bin"))
    with pytest.raises(InputError, match="does not exist"):
        lyrics.load_word_vectors(str(tmp_path / "missing.kv"))
    with pytest.raises(InputError, match="Unknown word-vector model"):
        lyrics.load_word_vectors("no-such-vectors")
    saved = lyrics.save_word_vectors(vectors, tmp_path / "out" / "tiny.bin")
    loaded = lyrics.load_word_vectors(str(saved))
    assert loaded.index_to_key == vectors.index_to_key
    assert np.array_equal(loaded.vectors, vectors.vectors)


def test_network_vectors_offline_name_the_offline_model(empty_cache, monkeypatch):
    # An unreachable proxy stands in for "no network"; the download goes to the cache.
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    with pytest.raises(ModelNotAvailableError, match="glove-6b-50d"):
        lyrics.load_word_vectors("word2vec-google-news-300")
    assert not (empty_cache / "gensim-data" / "word2vec-google-news-300").exists()
