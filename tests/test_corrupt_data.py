"""Corrupted copies of every dataset that each built assignment reads: exit 2, one line.

For each assignment, one file of the data folder is replaced by an empty,
a truncated and a wrong-format copy (the rest of a temporary data folder
links to the real one), and `main(["--quick"])` runs in this process through
`common.config.run_cli`. Each case must end with exit code 2, a single
`error:` line naming the file, and nothing written to the output folder:
the loaders check what they read before any training. Skipped when
$ASSIGNMENTS_DATA_DIR is not set.
"""

import os

import pytest
from test_bad_input import error_lines

from run_all import built_assignments

# The file each assignment reads first (relative to the data folder).
DATA_FILES = {
    "autoencoder": "mnist/mnist.npz",
    "denoising_autoencoder": "mnist/mnist.npz",
    "mnist_mlp": "mnist/mnist.npz",
    "text_generation": "shakespeare/tiny_shakespeare.txt",
    "sentiment_analysis": "imdb/aclImdb_v1.tar.gz",
    "cifar10_fcn_cnn": "cifar10/cifar10_jpg.tar.gz",
    "transfer_learning": "lfw/lfwa.tar.gz",
    "siamese_network": "lfw/pairsDevTrain.txt",
    "super_resolution": "sr/CSet5/baby.png",
    "cell_counting": "cells/cells.zip",
    "word_embeddings": "lyrics_genre/lyrics.csv.gz",
    "named_entity_recognition": "conll2003/eng.train.gz",
    "question_answering": "squad/dev-v1.1.json",
    "rag": "texts/winnie_the_pooh.txt",
    "lyrics_generation": "lyrics_midi/lyrics_train_set.csv",
}
CORRUPTIONS = ("empty", "truncated", "wrong_format")


def corrupted_data_folder(real, relative: str, corruption: str, folder):
    """A data folder linking to `real` except `relative`, which is a corrupted copy."""
    target = folder / relative
    folder.mkdir()
    for entry in real.iterdir():
        if entry.name != relative.split("/")[0]:
            (folder / entry.name).symlink_to(entry)
    parent_real = real / os.path.dirname(relative)
    target.parent.mkdir(parents=True)
    for entry in parent_real.iterdir():
        if entry.name != target.name:
            (target.parent / entry.name).symlink_to(entry)
    original = (real / relative).read_bytes()
    target.write_bytes(
        {
            "empty": b"",
            "truncated": original[: max(1, min(len(original) // 2, 4096))],
            "wrong_format": b"<html><body>404 Not Found</body></html>\n" * 3,
        }[corruption]
    )
    return folder


def test_every_built_assignment_has_a_data_file():
    assert set(built_assignments()) <= set(DATA_FILES)


@pytest.mark.parametrize("corruption", CORRUPTIONS)
@pytest.mark.parametrize("name", built_assignments())
def test_corrupted_data_file_exits_2_with_one_line(
    name, corruption, data_dir, tmp_path, run_in_process
):
    relative = DATA_FILES[name]
    data = corrupted_data_folder(data_dir, relative, corruption, tmp_path / "data")
    output = tmp_path / "out"
    code, stderr = run_in_process(
        name, ["--quick", "--data-dir", str(data), "--output-dir", str(output)]
    )
    lines = error_lines(stderr)
    assert code == 2, stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert os.path.basename(relative) in lines[0] or os.path.dirname(relative) in lines[0], lines
    assert not output.exists() or not any(output.iterdir())
