"""LFW loader (on a tiny fake LFW-a archive) and transfer_learning; siamese: its own file."""

import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from assignments import transfer_learning
from common import image_classification
from common.datasets import lfw
from common.errors import InputError

PEOPLE = {"Ann_Alpha": 3, "Bob_Beta": 2, "Cid_Gamma": 1, "Dee_Delta": 2}


def face(value: int) -> bytes:
    """A 250x250 grayscale JPEG: a bright centre square of brightness `value` on black."""
    image = np.zeros((250, 250), np.uint8)
    image[50:200, 50:200] = value
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def fake_lfw(folder, with_pairs=True):
    """<folder>/lfw/lfwa.tar.gz in the LFW-a layout (lfw2/<Name>/<Name>_NNNN.jpg), view-1 pairs."""
    (folder / "lfw").mkdir(parents=True)
    with tarfile.open(folder / "lfw" / "lfwa.tar.gz", "w:gz") as bundle:
        for p, (name, count) in enumerate(PEOPLE.items()):
            for index in range(1, count + 1):
                data = face(40 * p + 10 * index)
                member = tarfile.TarInfo(f"lfw2/{name}/{name}_{index:04d}.jpg")
                member.size = len(data)
                bundle.addfile(member, io.BytesIO(data))
    if with_pairs:
        (folder / "lfw" / "pairsDevTrain.txt").write_text(
            "2\nAnn_Alpha\t1\t2\nBob_Beta\t1\t2\nAnn_Alpha\t3\tCid_Gamma\t1\nDee_Delta\t1\tBob_Beta\t2\n"
        )
        (folder / "lfw" / "pairsDevTest.txt").write_text(
            "1\nDee_Delta\t1\t2\nAnn_Alpha\t1\tDee_Delta\t2\n"
        )
    return folder


def test_read_pairs_parses_matched_and_mismatched_lines(tmp_path):
    path = fake_lfw(tmp_path) / "lfw" / "pairsDevTrain.txt"
    pairs = lfw.read_pairs(path)
    assert [p.same for p in pairs] == [True, True, False, False]
    assert pairs[2] == lfw.Pair("Ann_Alpha", 3, "Cid_Gamma", 1)


def test_read_pairs_rejects_a_bad_line(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("1\nAnn_Alpha\tone\t2\n")
    with pytest.raises(InputError, match="pairs.txt:2"):
        lfw.read_pairs(path)


def test_load_pairs_indexes_each_distinct_image_once(tmp_path, empty_cache):
    fake_lfw(tmp_path)
    pairs = lfw.load_pairs("train", tmp_path, size=105, crop=150)
    images, index_a, index_b, labels = pairs.images, pairs.a, pairs.b, pairs.labels
    assert images.dtype == np.uint8 and images.shape == (
        7,
        105,
        105,
    )  # 8 image slots, Bob_Beta_0002 twice
    assert labels.tolist() == [1.0, 1.0, 0.0, 0.0] and labels.dtype == np.float32
    # the crop keeps the bright centre square: the whole 105x105 image is the person's brightness
    assert (
        abs(float(images[index_a[0]].mean()) - 10) < 3
        and abs(float(images[index_b[0]].mean()) - 20) < 3
    )
    assert index_b[1] == index_b[3] and len({*index_a.tolist(), *index_b.tolist()}) == 7
    assert not any(
        p.name for p in tmp_path.rglob(".*")
    )  # no temporary leftovers in the data folder


def test_load_people_labels_follow_the_name_order(tmp_path, empty_cache):
    fake_lfw(tmp_path)
    images, labels, files = lfw.load_people(["Bob_Beta", "Ann_Alpha"], tmp_path, size=64, crop=250)
    assert images.shape == (5, 64, 64) and labels.tolist() == [0, 0, 1, 1, 1]
    assert files[0] == "Bob_Beta_0001.jpg"
    with pytest.raises(InputError, match="no images of 'Nobody'"):
        lfw.load_people(["Nobody"], tmp_path)


def test_an_extracted_folder_works_too(tmp_path, empty_cache):
    root = tmp_path / "data" / "lfw" / "lfw2" / "Ann_Alpha"
    root.mkdir(parents=True)
    for index in (1, 2):
        (root / f"Ann_Alpha_{index:04d}.jpg").write_bytes(face(100))
    images, labels, _ = lfw.load_people(["Ann_Alpha"], tmp_path / "data", size=32)
    assert images.shape == (2, 32, 32) and not (empty_cache / "extracted").exists()


def test_a_missing_image_is_an_input_error(tmp_path, empty_cache):
    fake_lfw(tmp_path)
    (tmp_path / "lfw" / "pairsDevTest.txt").write_text("1\nDee_Delta\t1\t9\n")
    with pytest.raises(InputError, match="Dee_Delta_0009.jpg is missing"):
        lfw.load_pairs("test", tmp_path)


# transfer_learning


def test_stratified_split_partitions_and_keeps_proportions():
    labels = np.repeat(np.arange(3), [60, 30, 10])
    train, validation, test = image_classification.split_indices(labels, 0.15, 0.2, seed=0)
    together = np.concatenate([train, validation, test])
    assert len(together) == 100 and len(np.unique(together)) == 100
    assert np.bincount(labels[test]).tolist() == [12, 6, 2]
    with pytest.raises(InputError):
        image_classification.split_indices(labels, 0.5, 0.45, seed=0)


def test_balanced_class_weights_equalise_the_classes():
    labels = np.repeat(np.arange(3), [60, 30, 10])
    weights = image_classification.balanced_class_weights(labels, 3)
    totals = [weights[c] * n for c, n in enumerate((60, 30, 10))]
    np.testing.assert_allclose(totals, [100 / 3] * 3)


def test_labelled_images_split_and_majority():
    labels = np.repeat(np.arange(3), [60, 30, 10])
    images = np.zeros((100, 4, 4), np.uint8)
    faces = image_classification.LabelledImages.split(["a", "b", "c"], images, labels, 0.15, 0.2, 0)
    assert faces.x.shape == (100, 4, 4, 1) and faces.x.dtype == np.float32
    assert faces.majority == pytest.approx(0.6) and faces.class_weight[2] > faces.class_weight[0]
    x, y = faces.part(faces.x, "test")
    assert len(x) == len(y) == 20


def test_classifier_shapes_and_frozen_backbone():
    from common import pretrained

    backbone = pretrained.image_backbone(
        "efficientnet_lite0", input_shape=(64, 64, 3), pooling="avg", weights=None
    )
    backbone.trainable = False
    head = transfer_learning.build_head(1280, 9, dropout=0.3)
    model = transfer_learning.build_classifier(
        backbone, head, 64, transfer_learning.build_augmentation(0)
    )
    faces = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 1)).astype("float32")
    probabilities = model.predict(faces, verbose=0)
    assert probabilities.shape == (2, 9)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert {w.name for w in model.trainable_weights} == {w.name for w in head.trainable_weights}


def test_error_figure_shows_only_mistakes():
    images = np.zeros((3, 8, 8), np.uint8)
    probabilities = np.asarray([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    assert (
        image_classification.error_figure(
            images, np.asarray([0, 1, 0]), probabilities, ["A_a", "B_b"]
        )
        is None
    )
    figure = image_classification.error_figure(
        images, np.asarray([0, 0, 0]), probabilities, ["A_a", "B_b"]
    )
    assert "1 of 3" in figure._suptitle.get_text()


def test_fine_tuning_rows_follow_the_flags():
    config = transfer_learning.Config()
    plans = transfer_learning.fine_tunings(config)
    assert [(p.key, p.start, p.augment) for p in plans] == [
        ("finetuned_augmented", "frozen_augmented", True),
        ("finetuned", "frozen_weighted", False),
    ]
    quick = transfer_learning.Config(plain_finetune=False)
    assert [p.key for p in transfer_learning.fine_tunings(quick)] == ["finetuned_augmented"]
    plain = transfer_learning.Config(augment=False, plain_finetune=False)
    assert [p.key for p in transfer_learning.fine_tunings(plain)] == ["finetuned"]


def test_transfer_bars_name_real_metrics():
    assert transfer_learning.QUICK_BAR[0][0] == transfer_learning.FULL_BAR[0][0] == "test_accuracy"
    assert ("test_accuracy", ">=", "majority_class_accuracy") in transfer_learning.QUICK_BAR


@pytest.mark.parametrize(
    "flags", [["--dropout", "1.5"], ["--test-fraction", "0.7"], ["--validation-fraction", "0"]]
)
def test_transfer_out_of_range_flags_exit_2(flags, tmp_path, capsys):
    with pytest.raises(SystemExit) as error:
        transfer_learning.main([*flags, "--output-dir", str(tmp_path / "out")])
    assert error.value.code == 2 and flags[0] in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_transfer_fractions_checked_before_loading(tmp_path):
    flags = ["--validation-fraction", "0.45", "--test-fraction", "0.45"]
    with pytest.raises(InputError, match="must be < 0.9"):
        transfer_learning.main(
            [*flags, "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "out")]
        )
    assert not (tmp_path / "out").exists()
