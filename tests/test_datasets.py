"""common.datasets on tiny files made here: shapes, dtypes, the cache, and bad input."""

import io
import tarfile
import zipfile

import numpy as np
import pytest

from common.datasets import (
    extract,
    find_file,
    load_imdb,
    load_mnist,
    load_shakespeare,
    make_vectorizer,
    mnist_flat,
)
from common.datasets.mnist import make_dataset, split_validation
from common.errors import DatasetNotFoundError, InputError


@pytest.fixture
def offline(monkeypatch):
    """Make every download fail as it does with no network."""

    def no_network(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("keras.utils.get_file", no_network)


def write_mnist(folder, n_train=12, n_test=5):
    (folder / "mnist").mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(
        folder / "mnist" / "mnist.npz",
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=np.arange(n_train, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=np.arange(n_test, dtype=np.uint8) % 10,
    )


def add_member(bundle: tarfile.TarFile, name: str, text: str):
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    bundle.addfile(info, io.BytesIO(data))


def write_imdb(folder, per_class=3):
    (folder / "imdb").mkdir(parents=True)
    with tarfile.open(folder / "imdb" / "aclImdb_v1.tar.gz", "w:gz") as bundle:
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for i in range(per_class):
                    add_member(
                        bundle,
                        f"aclImdb/{split}/{label}/{i}_{1 if label == 'neg' else 9}.txt",
                        f"A {label} review number {i}.<br /><br />"
                        f"{'Great!' if label == 'pos' else 'Awful.'}",
                    )


def test_load_mnist_shapes(tmp_path, empty_cache):
    write_mnist(tmp_path)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (12, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (12,) and x_test.shape == (5, 28, 28) and y_test.shape == (5,)
    (x_flat, y_flat), (x_test_flat, _) = mnist_flat(tmp_path, train_samples=4, seed=1)
    assert (
        x_flat.shape == (4, 784)
        and x_flat.dtype == np.float32
        and 0 <= x_flat.min()
        and x_flat.max() <= 1
    )
    assert x_test_flat.shape == (5, 784) and y_flat.shape == (4,)


def test_corrupt_mnist_is_input_error(tmp_path, empty_cache):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz").write_bytes(b"not an npz")
    with pytest.raises(InputError, match="not a valid mnist.npz"):
        load_mnist(tmp_path)


def test_load_imdb_extracts_into_the_cache_only(tmp_path, empty_cache):
    data = tmp_path / "data"
    write_imdb(data)
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    (train_texts, train_labels), (test_texts, test_labels) = load_imdb(data)
    assert train_texts.shape == (6,) and test_texts.shape == (6,)
    assert train_labels.dtype == np.int32 and sorted(train_labels.tolist()) == [0, 0, 0, 1, 1, 1]
    for text, label in zip(train_texts, train_labels):
        assert ("pos review" in text) == bool(label)
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before  # data folder untouched
    (extracted,) = (empty_cache / "extracted").glob("aclImdb_v1-*")
    assert (extracted / "aclImdb" / "train" / "pos").is_dir()
    (subset, labels), _ = load_imdb(data, train_samples=2)
    assert len(subset) == 2 and sorted(labels.tolist()) == [0, 1]


def test_make_vectorizer_strips_html_and_pads(tmp_path):
    vectorizer = make_vectorizer(
        np.array(["Great movie<br />great", "awful movie!"]), max_tokens=10, sequence_length=6
    )
    ids = vectorizer(np.array(["great<br />movie", "never seen words here at all today"])).numpy()
    assert ids.shape == (2, 6) and ids.dtype == np.int64
    vocabulary = vectorizer.get_vocabulary()
    assert "br" not in vocabulary and "great" in vocabulary
    assert (
        ids[0].tolist()[:2] == [vocabulary.index("great"), vocabulary.index("movie")]
        and ids[0, 2:].sum() == 0
    )


def test_vectorizer_with_c1_characters_saves_and_loads(tmp_path):
    import keras

    texts = np.array(
        ["wait\x85 what \x96 a film", "caf\u00e9 film"]
    )  # Windows-1252 ellipsis / dash read as Latin-1
    vectorizer = make_vectorizer(texts, max_tokens=20, sequence_length=4)
    assert not any(
        any("\x80" <= c <= "\x9f" for c in token) for token in vectorizer.get_vocabulary()
    )
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorizer])
    model.save(
        tmp_path / "vectorizer.keras"
    )  # a U+0085 token would come back as a line break and fail to load
    loaded = keras.saving.load_model(tmp_path / "vectorizer.keras")
    assert loaded.layers[0].get_vocabulary() == vectorizer.get_vocabulary()


def test_load_shakespeare_and_gutenberg_stripping(tmp_path, empty_cache, monkeypatch):
    from common.datasets import shakespeare

    # hand-made text, not the original file: no sha256 to check it against
    monkeypatch.setitem(
        shakespeare.CORPORA, "tiny_shakespeare", (shakespeare.CORPORA["tiny_shakespeare"][0], None)
    )
    (tmp_path / "shakespeare").mkdir()
    (tmp_path / "shakespeare" / "tiny_shakespeare.txt").write_text(
        "First Citizen:\r\nBefore we proceed\n"
    )
    (tmp_path / "shakespeare" / "sonnets.txt").write_text(
        "Gutenberg header\n*** START OF THE PROJECT GUTENBERG EBOOK ***\nI\n"
        "From fairest creatures\n*** END OF THE PROJECT ***\nlicence"
    )
    assert load_shakespeare("tiny_shakespeare", tmp_path) == "First Citizen:\nBefore we proceed\n"
    assert load_shakespeare("sonnets", tmp_path) == "I\nFrom fairest creatures\n"
    with pytest.raises(InputError, match="unknown corpus"):
        load_shakespeare("hamlet", tmp_path)


def test_missing_data_offline_names_folder_file_and_url(tmp_path, empty_cache, offline):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(DatasetNotFoundError) as error:
        find_file("mnist/mnist.npz", "https://example.org/mnist.npz", data, description="MNIST")
    message = str(error.value)
    assert (
        str(data) in message
        and "mnist/mnist.npz" in message
        and "https://example.org/mnist.npz" in message
    )
    assert "download failed" in message and "\n" not in message
    assert list(data.iterdir()) == []


def test_missing_data_folder_is_input_error(tmp_path, empty_cache):
    with pytest.raises(InputError, match="does not exist"):
        find_file("mnist/mnist.npz", None, tmp_path / "nope")


def test_cache_is_searched_after_the_data_folder(tmp_path, empty_cache, offline):
    (empty_cache / "shakespeare").mkdir(parents=True)
    (empty_cache / "shakespeare" / "sonnets.txt").write_text("I\nsonnet\n")
    assert (
        find_file("shakespeare/sonnets.txt", None, tmp_path)
        == empty_cache / "shakespeare" / "sonnets.txt"
    )


def test_unsafe_tar_member_is_refused(tmp_path, empty_cache):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        add_member(bundle, "../../escaped.txt", "gotcha")
    with pytest.raises(InputError, match="could not be unpacked"):
        extract(archive, "evil")
    assert (
        not (tmp_path / "escaped.txt").exists()
        and not (empty_cache / "extracted" / "evil").exists()
    )
    assert [p.name for p in (empty_cache / "extracted").iterdir()] == []  # no half-extracted folder


def test_unsafe_zip_member_is_refused(tmp_path, empty_cache):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../escaped.txt", "gotcha")
    with pytest.raises(InputError, match="unsafe member"):
        extract(archive, "evil_zip")
    assert not (tmp_path / "escaped.txt").exists()


def test_corrupt_archive_is_input_error(tmp_path, empty_cache):
    archive = tmp_path / "broken.tar.gz"
    write_imdb(tmp_path / "good")
    archive.write_bytes((tmp_path / "good" / "imdb" / "aclImdb_v1.tar.gz").read_bytes()[:60])
    with pytest.raises(InputError, match="corrupt or incomplete"):
        extract(archive, "broken")


def test_extraction_is_tied_to_its_archive(tmp_path, empty_cache):
    """A replaced archive is extracted afresh, never shadowed by the old extraction."""
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        add_member(bundle, "x/file.txt", "cut-down copy")
    first = extract(archive, "a")
    assert (first / "x" / "file.txt").read_text() == "cut-down copy"
    assert extract(archive, "a") == first  # reused
    with tarfile.open(archive, "w:gz") as bundle:
        add_member(bundle, "x/file.txt", "the real, longer archive")
    second = extract(archive, "a")
    assert second != first and (second / "x" / "file.txt").read_text() == "the real, longer archive"


def test_concurrent_extractions_both_succeed_and_abandoned_staging_is_removed(
    tmp_path, empty_cache
):
    import subprocess

    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        for i in range(200):
            add_member(bundle, f"x/{i}.txt", "y" * 1000)
    # A staging folder left by a process that no longer exists (pid of a finished child).
    child = subprocess.run(["true"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    (empty_cache / "extracted").mkdir(parents=True)
    abandoned = empty_cache / "extracted" / f".a.deadbeef.{dead.pid}.staging"
    abandoned.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from common.datasets.base import extract; print(extract(sys.argv[1], 'a'))"
    )
    import os
    import sys

    from conftest import ROOT

    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(archive), str(ROOT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(3)
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], results
    assert len({out.strip() for out, _ in results}) == 1
    assert child.returncode == 0 and not abandoned.exists()
    assert [p.name for p in (empty_cache / "extracted").iterdir() if p.name.startswith(".")] == []


def test_a_cache_folder_that_is_a_file_is_one_input_error(tmp_path, monkeypatch):
    from common import paths

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ASSIGNMENTS_CACHE_DIR", str(blocker))
    with pytest.raises(InputError, match="cannot be created"):
        paths.cache_dir("extracted")


def test_split_validation_is_disjoint_and_seeded():
    x = np.arange(100, dtype="float32").reshape(50, 2)
    y = np.arange(50)
    (x_train, y_train), (x_validation, y_validation) = split_validation(x, y, 0.2, seed=1)
    assert len(x_train) == 40 and len(x_validation) == 10
    assert set(y_train).isdisjoint(y_validation) and set(y_train) | set(y_validation) == set(
        range(50)
    )
    np.testing.assert_array_equal(x_train[:, 0], 2 * y_train)  # pairs stay together
    again = split_validation(x, y, 0.2, seed=1)
    np.testing.assert_array_equal(again[1][1], y_validation)
    for fraction in (0.0, 1.0, 1.5):
        with pytest.raises(InputError):
            split_validation(x, y, fraction)
    with pytest.raises(InputError, match="labels"):
        split_validation(x, y[:10], 0.2)


def test_make_dataset_batches_everything():
    x = np.random.rand(10, 3).astype("float32")
    y = np.arange(10, dtype="uint8")
    batches = list(make_dataset(x, y, batch_size=4, shuffle=True))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate([np.asarray(b[1]) for b in batches]).tolist()) == list(range(10))
