"""The NER loaders (common.datasets.conll2003, .wikiann) on tiny files made here."""

import gzip

import pytest

from common.datasets import iob1_to_iob2, load_conll2003, load_wikiann
from common.datasets.conll2003 import sample_sentences
from common.errors import DatasetNotFoundError, InputError

CONLL = """-DOCSTART- -X- -X- O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
met VBD I-VP O
Clinton NNP I-NP I-PER
Gore NNP I-NP B-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP I-NP I-LOC
"""

WIKIANN = "en:Kofi\tB-PER\nen:Annan\tI-PER\nin\tO\nAccra\tB-LOC\n\nUnited\tB-ORG\nNations\tI-ORG\n"


@pytest.fixture
def offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("keras.utils.get_file", no_network)


def write_gz(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.write(text)


def test_iob1_to_iob2():
    assert iob1_to_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG"]) == [
        "B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG",
    ]  # fmt: skip
    assert iob1_to_iob2(["B-PER", "I-PER"]) == ["B-PER", "I-PER"]  # IOB2 stays
    with pytest.raises(InputError, match="bad IOB tag"):
        iob1_to_iob2(["X-PER"])


def test_load_conll2003_skips_docstart_and_converts_to_iob2(tmp_path, empty_cache):
    write_gz(tmp_path / "conll2003" / "eng.testb.gz", CONLL)
    sentences, tags = load_conll2003("test", tmp_path)
    assert sentences == [
        ["EU", "rejects", "German", "call", "."],
        ["Peter", "Blackburn", "met", "Clinton", "Gore"],
        ["BRUSSELS"],
    ]
    assert tags[0] == ["B-ORG", "O", "B-MISC", "O", "O"]
    assert tags[1] == ["B-PER", "I-PER", "O", "B-PER", "B-PER"]
    _, iob1 = load_conll2003("testb", tmp_path, scheme="IOB1")
    assert iob1[1] == ["I-PER", "I-PER", "O", "I-PER", "B-PER"]


def test_load_wikiann_strips_language_prefix(tmp_path, empty_cache):
    write_gz(tmp_path / "wikiann" / "dev-en.tsv.gz", WIKIANN)
    sentences, tags = load_wikiann("validation", tmp_path)
    assert sentences == [["Kofi", "Annan", "in", "Accra"], ["United", "Nations"]]
    assert tags == [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG"]]


def test_uncompressed_download_in_the_cache_is_used(tmp_path, empty_cache, offline):
    (empty_cache / "wikiann").mkdir(parents=True)
    (empty_cache / "wikiann" / "test-en.tsv").write_text(WIKIANN, encoding="utf-8")
    sentences, _ = load_wikiann("test", tmp_path)
    assert len(sentences) == 2


@pytest.mark.parametrize(
    "content",
    [b"", b"\x1f\x8b\x08\x00garbage", gzip.compress(CONLL.encode())[:40], b"\x1f\x8b"],
    ids=["empty", "corrupt", "truncated", "header-only"],
)
def test_corrupt_files_are_one_line_input_errors(tmp_path, empty_cache, content):
    path = tmp_path / "conll2003" / "eng.train.gz"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_conll2003("train", tmp_path)
    assert "eng.train.gz" in str(caught.value) and "\n" not in str(caught.value)


def test_wrong_format_and_tags_are_input_errors(tmp_path, empty_cache):
    write_gz(tmp_path / "conll2003" / "eng.testa.gz", "EU I-ORG\n")
    with pytest.raises(InputError, match="line 1: expected 4 columns"):
        load_conll2003("testa", tmp_path)
    write_gz(tmp_path / "wikiann" / "train-en.tsv.gz", "Kofi\tB-MISC\n")
    with pytest.raises(InputError, match="unknown WikiANN tag 'B-MISC'"):
        load_wikiann("train", tmp_path)
    with pytest.raises(InputError, match="unknown CoNLL-2003 split"):
        load_conll2003("dev2", tmp_path)


def test_missing_offline_names_both_files_and_the_url(tmp_path, empty_cache, offline):
    with pytest.raises(DatasetNotFoundError) as caught:
        load_wikiann("train", tmp_path)
    message = str(caught.value)
    assert "wikiann/train-en.tsv.gz (or wikiann/train-en.tsv)" in message
    assert "https://raw.githubusercontent.com/KyGao/" in message
    with pytest.raises(DatasetNotFoundError, match="conll2003/eng.train.gz"):
        load_conll2003("train", tmp_path)


def test_sample_sentences_is_seeded_ordered_and_keeps_pairs():
    sentences = [[f"w{i}"] for i in range(20)]
    tags = [[f"t{i}"] for i in range(20)]
    kept, kept_tags = sample_sentences((sentences, tags), 5, seed=3)
    assert len(kept) == 5 and kept == sorted(kept, key=lambda words: int(words[0][1:]))
    assert [w[0][1:] for w in kept] == [t[0][1:] for t in kept_tags]
    assert sample_sentences((sentences, tags), 5, seed=3) == (kept, kept_tags)
    assert sample_sentences((sentences, tags), 0, seed=3) == (sentences, tags)
    assert sample_sentences((sentences, tags), 50, seed=3) == (sentences, tags)


def test_real_files_have_the_official_counts(data_dir):
    assert [len(load_conll2003(split, data_dir)[0]) for split in ("train", "testa", "testb")] == [
        14041, 3250, 3453,
    ]  # fmt: skip
    sentences, tags = load_wikiann("test", data_dir)
    assert len(sentences) == 10000 and sum(map(len, tags)) == 80326
