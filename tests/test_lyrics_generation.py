"""Lyrics generation: CSV parsing, MIDI matching and features, models, n-grams, sampling, bad input.

No data, no network: the MIDI objects are built here with pretty_midi.
"""

import io
import lzma
import tarfile

import keras
import numpy as np
import pretty_midi
import pytest
from test_bad_input import error_lines

from assignments import lyrics_generation as lg
from common import midi
from common.datasets import lyrics_midi
from common.errors import DatasetNotFoundError, InputError
from common.textgen import (
    NGramModel,
    generate,
    make_sequences,
    model_perplexity,
    sample_next,
    text_scores,
    window_cosine,
)

CSV = (
    "elton john,candle in the wind,goodbye norma jean & though i never knew you &,,\n"
    "cat stevens,moonshadow,i'm bein' followed & by a moonshadow &  &  &cat stevens,"
    "morning has broken,morning has broken & like the first morning &\n"
)


def test_csv_rows_split_line_breaks_and_two_song_rows():
    songs = lyrics_midi.parse_lyrics_csv(CSV)
    assert [(artist, title) for artist, title, _ in songs] == [
        ("elton john", "candle in the wind"),
        ("cat stevens", "moonshadow"),
        ("cat stevens", "morning has broken"),
    ]
    assert songs[0][2] == "goodbye norma jean\nthough i never knew you"
    assert songs[1][2] == "i'm bein' followed\nby a moonshadow"
    assert songs[2][2] == "morning has broken\nlike the first morning"


def test_csv_with_spaces_after_commas_and_bad_rows():
    songs = lyrics_midi.parse_lyrics_csv(
        "the bangles, eternal flame, close your eyes & give me &\n"
    )
    assert songs == [("the bangles", "eternal flame", "close your eyes\ngive me")]
    with pytest.raises(InputError, match="row 1"):
        lyrics_midi.parse_lyrics_csv("just an artist\n")
    with pytest.raises(InputError, match="second song"):
        lyrics_midi.parse_lyrics_csv("a,b,words &  &  &c\n")


def test_songs_match_midi_files_by_artist_and_title(tmp_path):
    names = ["Bee_Gees_-_Jive_Talkin'.mid", "Depeche_Mode_-_Enjoy_the_Silence-2.mid",
             "Cat_Stevens_-_Moonshadow.mid", "Cat_Stevens_-_Moonshadow_Live.mid",
             "readme.mid"]  # fmt: skip
    paths = [tmp_path / name for name in names]
    songs = [("bee gees", "jive talkin'"), ("depeche mode", "enjoy the silence"),
             ("cat stevens", "moonshadow"), ("abba", "sos")]  # fmt: skip
    assert lyrics_midi.match_midi(songs, paths) == [paths[0], paths[1], paths[2], None]
    assert lyrics_midi.normalize_name("Guns_N'_Roses & Co") == "guns n roses and co"
    assert lyrics_midi.midi_name("x/ABBA_-_S.O.S.mid") == ("abba", "s o s")


def test_corrupt_or_empty_archive_is_an_input_error(tmp_path, empty_cache):
    empty = tmp_path / "empty.tar.xz"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        lyrics_midi.extract_midi(empty)
    garbage = tmp_path / "garbage.tar.xz"
    garbage.write_bytes(lzma.compress(b"not a tar file" * 100)[:40])
    with pytest.raises(InputError, match="corrupt|could not be unpacked"):
        lyrics_midi.extract_midi(garbage)


@pytest.fixture
def unchecked_csvs(monkeypatch):
    """The hand-made CSVs of these tests are not the original files: skip the sha256 check."""
    monkeypatch.setattr(lyrics_midi, "CSV_SHA256", {})


def test_loader_reads_a_data_folder_and_matches_train_and_test_songs(
    tmp_path, empty_cache, unchecked_csvs
):
    folder = tmp_path / "lyrics_midi"
    folder.mkdir()
    (folder / "lyrics_train_set.csv").write_text(CSV + "elton john,candle in the wind,again &,,\n")
    (folder / "lyrics_test_set.csv").write_text("cat stevens, moonshadow, i'm bein' followed &\n")
    song = io.BytesIO()
    tiny_midi().write(song)
    with tarfile.open(folder / "midi_files.tar.xz", "w:xz") as archive:
        for name in ("midi_files/Elton_John_-_Candle_in_the_Wind.mid",
                     "midi_files/Cat_Stevens_-_Morning_Has_Broken.mid",
                     "midi_files/test/Cat_Stevens_-_Moonshadow.mid"):  # fmt: skip
            member = tarfile.TarInfo(name)
            member.size = len(song.getvalue())
            archive.addfile(member, io.BytesIO(song.getvalue()))
    data = lyrics_midi.load_lyrics_midi(tmp_path)
    assert [s.title for s in data.train] == [
        "candle in the wind",
        "moonshadow",
        "morning has broken",
    ]
    assert data.duplicates == ["elton john - candle in the wind"]
    assert [s.name for s in data.unmatched] == ["cat stevens - moonshadow"]  # its file is in test/
    assert data.test[0].midi.name == "Cat_Stevens_-_Moonshadow.mid"
    assert data.test[0].midi.parent.name == "test" and len(data.midi_files) == 3
    assert empty_cache in data.test[0].midi.parents and len(data.archive_key) == 16


def test_missing_data_offline_names_the_files_and_urls(
    tmp_path, empty_cache, monkeypatch, unchecked_csvs
):
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")  # no network
    (tmp_path / "lyrics_midi").mkdir()
    with pytest.raises(DatasetNotFoundError) as error:
        lyrics_midi.load_lyrics_midi(tmp_path)
    message = str(error.value)
    assert "lyrics_midi/lyrics_train_set.csv" in message and lyrics_midi.RAW_URL in message
    (tmp_path / "lyrics_midi" / "lyrics_train_set.csv").write_text(CSV)
    (tmp_path / "lyrics_midi" / "lyrics_test_set.csv").write_text(CSV)
    with pytest.raises(DatasetNotFoundError) as error:
        lyrics_midi.load_lyrics_midi(tmp_path)
    message = str(error.value)
    assert "lyrics_midi/midi_files.tar.xz" in message and lyrics_midi.ARCHIVE_URL in message
    assert "\n" not in message


def tiny_midi() -> pretty_midi.PrettyMIDI:
    """4 s at 120 bpm: a C-E-G-C piano line, 20 sung A4 notes from 2 s to 4 s, a kick a second."""
    song = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    piano = pretty_midi.Instrument(program=0, name="Piano")
    for i, pitch in enumerate([60, 64, 67, 72]):
        piano.notes.append(pretty_midi.Note(velocity=100, pitch=pitch, start=i, end=i + 1.0))
    voice = pretty_midi.Instrument(program=52, name="Lead Vocals")
    for i in range(20):
        start = 2.0 + 0.1 * i
        voice.notes.append(pretty_midi.Note(velocity=80, pitch=69, start=start, end=start + 0.1))
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="Drums")
    drums.notes = [pretty_midi.Note(velocity=90, pitch=36, start=t, end=t + 0.1) for t in range(4)]
    song.instruments = [piano, voice, drums]
    return song


def test_song_level_features_of_a_tiny_midi():
    summary = midi.summarize_midi(tiny_midi())
    features = dict(zip(midi.SONG_FEATURES, summary.song))
    assert summary.song.shape == (len(midi.SONG_FEATURES),) and summary.song.dtype == np.float32
    assert features["tempo / 200 bpm"] == pytest.approx(0.6)
    key = summary.song[1:25]
    assert key.sum() == 1 and set(np.unique(key)) == {0, 1}
    chroma = np.array([features[f"chroma {p}"] for p in midi.PITCH_CLASSES])
    assert chroma.sum() == pytest.approx(1) and chroma[0] == pytest.approx(2 / 6)  # 2 s of C of 6
    assert features["instrument piano"] == pytest.approx(4 / 28)
    assert features["instrument ensemble"] == pytest.approx(20 / 28)  # program 52: choir
    assert features["instrument drums"] == pytest.approx(4 / 28)
    assert features["duration / 300 s"] == pytest.approx(4 / 300)


def test_time_aligned_features_follow_the_vocal_track():
    summary = midi.summarize_midi(tiny_midi())
    assert summary.span == pytest.approx((2.0, 4.0)) and summary.vocal == "track Lead Vocals"
    assert summary.frames.shape == (16, 19)  # 4 s of 0.25 s frames
    features = midi.aligned_features(summary, 2)  # word 1: 2-3 s, word 2: 3-4 s
    assert features.shape == (2, len(midi.ALIGNED_FEATURES)) and features.dtype == np.float32
    named = [dict(zip(midi.ALIGNED_FEATURES, row)) for row in features]
    assert named[0]["vocal pitch / 127"] == pytest.approx(69 / 127)
    assert named[0]["vocal sounding share"] == pytest.approx(1.0)
    assert 67 / 127 < named[0]["mean pitch / 127"] < 69 / 127  # G (piano) and A (voice) sound
    assert 69 / 127 < named[1]["mean pitch / 127"] < 72 / 127  # then C5 and A
    assert named[0]["drum hits per second / 10"] == pytest.approx(0.1)
    assert features[:, 7:].sum(axis=1) == pytest.approx([1, 1])
    assert midi.aligned_features(summary, 0).shape == (0, 19)
    many = midi.aligned_features(summary, 50)  # more words than frames: every step gets a frame
    assert many.shape == (50, 19) and np.isfinite(many).all()


def test_key_estimate_and_summary_cache(tmp_path, monkeypatch):
    assert midi.estimate_key(midi._MAJOR) == 0
    assert midi.KEYS[midi.estimate_key(np.roll(midi._MINOR, 9))] == "A minor"
    path = tmp_path / "midi_files" / "Someone_-_Tiny.mid"
    path.parent.mkdir()
    tiny_midi().write(str(path))
    broken = path.with_name("Broken_-_File.mid")
    broken.write_bytes(b"MThd nonsense")
    first = midi.load_summaries([path, broken], tmp_path / "cache", progress=None)
    assert isinstance(first[path], midi.MidiSummary) and isinstance(first[broken], str)

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again instead of using the cache")

    monkeypatch.setattr(pretty_midi, "PrettyMIDI", no_parsing)
    second = midi.load_summaries([path, broken], tmp_path / "cache", progress=None)
    np.testing.assert_array_equal(second[path].frames, first[path].frames)
    assert second[broken] == first[broken]


def test_song_tokens_drop_stage_directions():
    lyrics = "Hold on, I'm comin'\n(repeat x2)\nchorus\n[Chorus]\nyeah"
    expected = ["hold", "on", "i'm", "coming", "<br>", "yeah", "<br>"]
    assert lyrics_midi.song_tokens(lyrics) == expected
    vocabulary = lyrics_midi.make_vocabulary([["b", "a", "b", "<br>"], ["c", "b"]], min_count=1)
    assert vocabulary == ["", "<unk>", "<br>", "b", "a", "c"]


def test_sequences_and_melody_steps_line_up():
    summary = midi.summarize_midi(tiny_midi())
    ids = [np.arange(1, 8, dtype=np.int32), np.array([5, 6], dtype=np.int32)]
    for strategy, width in (("song", len(midi.SONG_FEATURES)), ("aligned", 19)):
        melodies = [lg.melody_steps(summary, len(i), strategy) for i in ids]
        assert [m.shape for m in melodies] == [(6, width), (1, width)]
        inputs, targets = make_sequences(ids, melodies, length=4)
        assert inputs["word_ids"].shape == targets.shape == (3, 4)
        assert inputs["melody"].shape == (3, 4, width)
    np.testing.assert_array_equal(inputs["word_ids"], [[1, 2, 3, 4], [5, 6, 0, 0], [5, 0, 0, 0]])
    np.testing.assert_array_equal(targets, [[2, 3, 4, 5], [6, 7, 0, 0], [6, 0, 0, 0]])
    np.testing.assert_array_equal(inputs["melody"][1, :2], melodies[0][4:6])
    assert not inputs["melody"][1, 2:].any()


@pytest.mark.parametrize("melody_dim", [0, 5])
def test_model_shapes_frozen_vectors_and_masked_padding(melody_dim):
    vectors = np.random.default_rng(0).normal(size=(11, 4)).astype(np.float32)
    model = lg.build_model(
        11, 4, melody_dim, 6, 3, 0.0, vectors, np.ones(melody_dim) if melody_dim else None
    )
    inputs = {"word_ids": np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]], dtype=np.int32)}
    if melody_dim:
        inputs["melody"] = (
            np.random.default_rng(1).normal(size=(2, 5, melody_dim)).astype("float32")
        )
    probabilities = keras.ops.convert_to_numpy(model(inputs))
    assert probabilities.shape == (2, 5, 11)
    np.testing.assert_allclose(probabilities.sum(-1), 1, rtol=1e-5)
    embedding = model.get_layer("word_vectors")
    assert not embedding.trainable and np.allclose(embedding.get_weights()[0], vectors)
    model.compile(loss="sparse_categorical_crossentropy")
    targets = np.array([[4, 5, 6, 0, 0], [2, 3, 4, 5, 6]])
    other_padding = np.array([[4, 5, 6, 9, 9], [2, 3, 4, 5, 6]])
    loss = model.evaluate(inputs, targets, verbose=0)
    assert loss == pytest.approx(model.evaluate(inputs, other_padding, verbose=0))  # masked


def test_model_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    class Uniform:
        def predict(self, inputs, verbose=0):
            return np.full((*inputs["word_ids"].shape, 7), 1 / 7)

    songs = [np.array([1, 2, 3, 4], dtype=np.int32), np.array([5, 6], dtype=np.int32)]
    assert model_perplexity(Uniform(), songs, batch=1) == pytest.approx(7)
    assert model_perplexity(Uniform(), songs) == pytest.approx(7)


def test_step_function_reproduces_the_full_model():
    model = lg.build_model(
        9, 4, 3, 5, 2, 0.0, None, np.zeros(3), np.full(3, 2.0), melody_dropout=0.5
    )  # dropout is off at inference: the step function matches the model
    assert model.get_layer("melody_dropout").rate == 0.5
    ids = np.array([[2, 5, 7, 1]], dtype=np.int32)
    melody = np.random.default_rng(0).normal(size=(1, 4, 3)).astype("float32")
    full = keras.ops.convert_to_numpy(model({"word_ids": ids, "melody": melody}))[0]
    step = lg.step_function(model, [melody[0]])
    stepped = [step(ids[:, t], t)[0] for t in range(4)]
    np.testing.assert_allclose(stepped, full, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError):
        lg.build_model(0)
    with pytest.raises(ValueError):
        lg.build_model(9, 4, 0, 5, 2, 0.0, np.zeros((8, 4)))
    with pytest.raises(ValueError, match="dropout"):
        lg.build_model(9, 4, 3, 5, 2, 0.0, melody_dropout=1.0)


def test_unigram_and_bigram_perplexity_on_a_toy_corpus():
    train = [np.array([1, 3, 4, 3, 4]), np.array([3, 4, 5])]  # V = 6, id 0 is padding
    unigram = NGramModel(train, 6, order=1)
    p = unigram.probabilities([3])[0]
    assert p[0] == 0 and p.sum() == pytest.approx(1) and p[3] == pytest.approx((3 + 1) / (8 + 5))
    test = [np.array([3, 4, 3, 4])]
    expected = np.exp(
        -np.mean(np.log([unigram.unigram[4], unigram.unigram[3], unigram.unigram[4]]))
    )
    assert unigram.perplexity(test) == pytest.approx(expected)
    bigram = NGramModel(train, 6, order=2, discount=0.75)
    rows = bigram.probabilities([0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(rows.sum(axis=1), 1)
    assert (rows[:, 1:] > 0).all() and (rows[:, 0] == 0).all()
    assert rows[3, 4] == pytest.approx(0.75 + 0.25 * bigram.continuation[4])  # c(3 4) = 3
    assert bigram.perplexity(test) < unigram.perplexity(test) < 5


def test_temperature_sampling_is_never_argmax_only():
    rng = np.random.default_rng(0)
    probabilities = np.tile([0.05, 0.05, 0.5, 0.4], (2000, 1))
    draws = sample_next(probabilities, 1.0, rng)
    assert set(np.unique(draws)) == {2, 3}  # banned 0 and 1 never, the runner-up often
    assert 0.3 < np.mean(draws == 3) < 0.5
    cold = sample_next(probabilities, 0.2, rng)
    hot = sample_next(probabilities, 3.0, rng)
    assert np.mean(cold == 3) < np.mean(draws == 3) < np.mean(hot == 3)
    with pytest.raises(ValueError):
        sample_next(probabilities, 0.0, rng)


def test_generate_counts_words_not_line_breaks():
    def next_distribution(previous, t):
        return np.tile([0, 0, 0.5, 0.5], (len(previous), 1))  # "<br>" or word 3

    rows = generate(next_distribution, [3, 3], [4, 1], 1.0, np.random.default_rng(0))
    assert sum(i == 3 for i in rows[0]) == 4 and rows[0][-1] == 3
    assert rows[1] == [3]


def test_text_scores_of_identical_and_unrelated_texts():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vectors = keras_vectors({"love": [1, 0], "hate": [-1, 0], "sun": [0, 1]})
    analyzer = SentimentIntensityAnalyzer()
    same = text_scores(["love", "sun", "x"], ["love", "sun", "x"], vectors, analyzer)
    assert same == pytest.approx(
        {
            "cosine": 1,
            "cosine_1": 1,
            "cosine_2": 1,
            "cosine_3": 1,
            "levenshtein": 0,
            "sentiment_difference": 0,
        }  # fmt: skip
    )
    other = text_scores(["hate", "hate"], ["love", "love"], vectors, analyzer)
    assert other["cosine"] == pytest.approx(-1) and other["levenshtein"] == 1
    assert other["sentiment_difference"] > 1
    assert np.isnan(window_cosine(["x"], ["y"], vectors, 1))


def keras_vectors(table):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(vector_size=2)
    vectors.add_vectors(list(table), np.array(list(table.values()), dtype=np.float32))
    return vectors


def test_corrupt_midi_archive_exits_2_with_one_line(tmp_path, run_in_process, unchecked_csvs):
    data = tmp_path / "data" / "lyrics_midi"
    data.mkdir(parents=True)
    (data / "lyrics_train_set.csv").write_text(CSV)
    (data / "lyrics_test_set.csv").write_text("cat stevens, moonshadow, i'm bein' followed &\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        content = b"MThd" + bytes(5000)
        member = tarfile.TarInfo("midi_files/Cat_Stevens_-_Moonshadow.mid")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    (data / "midi_files.tar.xz").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    output = tmp_path / "out"
    code, stderr = run_in_process(
        "lyrics_generation",
        ["--quick", "--data-dir", str(tmp_path / "data"), "--output-dir", str(output)],
    )
    lines = error_lines(stderr)
    assert code == 2, stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "midi_files.tar.xz" in lines[0], (
        lines
    )
    assert "corrupt" in lines[0] or "could not be unpacked" in lines[0]
    assert not output.exists()
