"""LFW loader (on a tiny fake LFW-a archive), transfer_learning and siamese_network builders."""

import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from assignments import siamese_network, transfer_learning
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
    images, index_a, index_b, labels, pairs = lfw.load_pairs("train", tmp_path, size=105, crop=150)
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
    train, validation, test = transfer_learning.split_indices(labels, 0.15, 0.2, seed=0)
    together = np.concatenate([train, validation, test])
    assert len(together) == 100 and len(np.unique(together)) == 100
    assert np.bincount(labels[test]).tolist() == [12, 6, 2]
    with pytest.raises(InputError):
        transfer_learning.split_indices(labels, 0.5, 0.45, seed=0)


def test_balanced_class_weights_equalise_the_classes():
    labels = np.repeat(np.arange(3), [60, 30, 10])
    weights = transfer_learning.balanced_class_weights(labels, 3)
    totals = [weights[c] * n for c, n in enumerate((60, 30, 10))]
    np.testing.assert_allclose(totals, [100 / 3] * 3)


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
        transfer_learning.error_figure(images, np.asarray([0, 1, 0]), probabilities, ["A_a", "B_b"])
        is None
    )
    figure = transfer_learning.error_figure(
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


# siamese_network


def face_pairs(pairs, images=None):
    """A siamese_network.FacePairs of (row_a, person_a, row_b, person_b) tuples."""
    a, person_a, b, person_b = (np.asarray(column) for column in zip(*pairs))
    if images is None:
        images = np.zeros((int(max(a.max(), b.max())) + 1, 105, 105), np.uint8)
    labels = (person_a == person_b).astype(np.float32)
    return siamese_network.FacePairs(images, a, b, labels, person_a, person_b)


def test_face_pairs_load_subset_and_photos(tmp_path, empty_cache):
    fake_lfw(tmp_path)
    pairs = siamese_network.FacePairs.load("train", tmp_path, crop=150)
    assert len(pairs) == 4 and pairs.images.shape == (7, 105, 105)
    assert pairs.person_a.tolist() == ["Ann_Alpha", "Bob_Beta", "Ann_Alpha", "Dee_Delta"]
    assert pairs.person_b.tolist() == ["Ann_Alpha", "Bob_Beta", "Cid_Gamma", "Bob_Beta"]
    assert pairs.labels.tolist() == [1.0, 1.0, 0.0, 0.0]
    photos = pairs.photos()  # Bob_Beta_0002 is in two pairs: one row
    assert list(photos) == sorted(photos) and len(photos) == 7
    assert list(photos.values()).count("Ann_Alpha") == 3
    last_two = pairs.subset([2, 3])
    assert last_two.images is pairs.images and last_two.labels.tolist() == [0.0, 0.0]
    assert last_two.a.tolist() == pairs.a[2:].tolist() and last_two.person_b[1] == "Bob_Beta"
    by_person = last_two.photos_by_person()
    assert list(by_person) == ["Ann_Alpha", "Bob_Beta", "Cid_Gamma", "Dee_Delta"]
    assert all(len(rows) == 1 for rows in by_person.values())


def test_balanced_tops_up_with_new_mismatched_pairs_of_its_own_photos():
    pairs = face_pairs([(0, "A", 1, "A"), (2, "B", 3, "B"), (4, "C", 5, "C"), (0, "A", 2, "B")])
    topped = siamese_network.balanced(pairs, seed=0)
    assert len(topped) == 6 and topped.labels.sum() == 3 and topped.images is pairs.images
    assert topped.a[:4].tolist() == pairs.a.tolist()  # the original pairs come first
    person = pairs.photos()
    new = list(zip(topped.a[4:].tolist(), topped.b[4:].tolist()))
    assert all(person[x] != person[y] for x, y in new) and (0, 2) not in new and (2, 0) not in new
    assert topped.person_a[4:].tolist() == [person[x] for x, _ in new]
    assert siamese_network.balanced(topped, seed=0).a.tolist() == topped.a.tolist()


def test_subsample_keeps_both_kinds_in_file_order():
    pairs = face_pairs([(2 * k, "A", 2 * k + 1, "A" if k % 2 else "B") for k in range(10)])
    half = siamese_network.subsample(pairs, 4, seed=0)
    assert len(half) == 4 and half.labels.sum() == 2 and sorted(half.a) == half.a.tolist()
    assert siamese_network.subsample(pairs, 0, seed=0) is pairs


def test_koch_tower_has_the_papers_shape():
    tower = siamese_network.build_tower(batch_norm=False)
    assert tower.output_shape == (None, 4096)
    assert tower.get_layer("flatten").output.shape[-1] == 9216  # 6 x 6 x 256
    assert tower.count_params() == 38_947_648
    with_bn = siamese_network.build_tower(batch_norm=True)  # no conv biases; 4 BN variables
    assert with_bn.count_params() == 38_947_648 - (64 + 128 + 128 + 256) + 4 * (
        64 + 128 + 128 + 256
    )
    with pytest.raises(ValueError):
        siamese_network.build_tower(dropout=1.0)


def test_scorer_agrees_with_the_siamese_network():
    tower = siamese_network.build_tower(embedding_dim=32)
    siamese, scorer = siamese_network.build_siamese(tower)
    faces = np.random.default_rng(0).uniform(0, 255, (4, 105, 105, 1)).astype("float32")
    direct = siamese.predict([faces[:2], faces[2:]], verbose=0)
    embeddings = tower.predict(faces, verbose=0)
    via_scorer = scorer.predict([embeddings[:2], embeddings[2:]], verbose=0)
    assert direct.shape == (2, 1)
    np.testing.assert_allclose(direct, via_scorer, rtol=1e-5, atol=1e-6)
    for images in (faces[..., 0], faces):  # (n, 105, 105) and (n, 105, 105, 1) photos
        pairs = face_pairs([(0, "A", 2, "B"), (1, "C", 3, "D")], images)
        scores = siamese_network.pair_scores(tower, scorer, pairs)
        np.testing.assert_allclose(scores, direct.reshape(-1), rtol=1e-5, atol=1e-6)
    same = siamese.predict([faces[:1], faces[:1]], verbose=0)  # |e - e| = 0: sigmoid(bias)
    bias = scorer.get_layer("same_person").bias.numpy()
    np.testing.assert_allclose(same.reshape(-1), 1 / (1 + np.exp(-bias)), rtol=1e-5)


def test_saved_siamese_network_loads_and_shares_the_training_weights(tmp_path):
    import keras

    tower = siamese_network.build_tower(embedding_dim=16, filters=(4, 4, 4, 4))
    siamese, _ = siamese_network.build_siamese(tower)
    augmentation = siamese_network.build_augmentation()
    for all_pairs in (True, False):
        trainer = siamese_network.build_trainer(siamese, augmentation, all_pairs)
        assert {id(w) for w in trainer.trainable_weights} == {
            id(w) for w in siamese.trainable_weights
        }
    siamese.save(tmp_path / "siamese.keras")
    loaded = keras.saving.load_model(tmp_path / "siamese.keras")  # no augmentation inside
    faces = np.random.default_rng(0).uniform(0, 255, (2, 105, 105, 1)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict([faces[:1], faces[1:]], verbose=0),
        siamese.predict([faces[:1], faces[1:]], verbose=0),
        rtol=1e-5,
    )


def test_split_by_person_keeps_people_apart():
    rng = np.random.default_rng(0)
    names = [f"P{i}" for i in range(40)]
    pairs = face_pairs(
        [(2 * i, names[rng.integers(40)], 2 * i + 1, names[rng.integers(40)]) for i in range(300)]
    )
    train, validation = siamese_network.split_by_person(pairs, 0.2, seed=1)

    def people(rows):
        return set(pairs.person_a[rows].tolist()) | set(pairs.person_b[rows].tolist())

    assert len(train) and len(validation) and not people(train) & people(validation)
    assert len(set(train) | set(validation)) == len(train) + len(validation)


def test_pair_batches_show_every_fixed_pair_once_an_epoch():
    faces = np.arange(4, dtype=np.float32)[:, None, None] * np.ones((4, 105, 105), np.float32)
    pairs = face_pairs([(0, "A", 1, "A"), (0, "A", 2, "B"), (2, "B", 3, "C")], faces)
    batches = siamese_network.PairBatches(pairs, 2, seed=0)
    assert len(batches) == 2
    seen = set()
    for index in range(len(batches)):
        (face_a, face_b), y = batches[index]
        assert face_a.shape[1:] == (105, 105, 1) and face_a.dtype == np.float32
        seen |= {
            (int(p), int(q), float(t)) for p, q, t in zip(face_a[:, 0, 0, 0], face_b[:, 0, 0, 0], y)
        }
    assert seen == {(0, 1, 1.0), (0, 2, 0.0), (2, 3, 0.0)}


def test_people_batches_hold_two_photos_of_each_person():
    people = np.asarray(["A", "A", "A", "B", "B", "C", "D", "D", "E"])  # C, E: one photo
    by_person = {p: np.flatnonzero(people == p) for p in sorted(set(people))}
    faces = np.arange(9, dtype=np.float32)[:, None, None] * np.ones((9, 105, 105), np.float32)
    batches = siamese_network.PeopleBatches(faces, by_person, 2, steps=3, seed=0)
    assert len(batches) == 3
    drawn = set()
    for index in range(len(batches)):
        x, same = batches[index]
        rows = x[:, 0, 0, 0].astype(int)
        assert x.shape == (4, 105, 105, 1) and same.shape == (4, 4) and same.dtype == np.float32
        assert rows[0] != rows[1] and rows[2] != rows[3]  # two distinct photos per person
        assert same.tolist() == [[float(people[i] == people[j]) for j in rows] for i in rows]
        drawn |= {people[r] for r in rows}
    assert drawn == {"A", "B", "D"}


def test_all_pairs_trainer_scores_every_pair_like_the_siamese_network():
    tower = siamese_network.build_tower(embedding_dim=8, filters=(4, 4, 4, 4))
    siamese, _ = siamese_network.build_siamese(tower)
    trainer = siamese_network.build_trainer(siamese)
    faces = np.random.default_rng(0).uniform(0, 255, (3, 105, 105, 1)).astype("float32")
    matrix = trainer.predict(faces, verbose=0)
    assert matrix.shape == (3, 3, 1)
    np.testing.assert_allclose(
        matrix[0, 2, 0], siamese.predict([faces[:1], faces[2:]], verbose=0)[0, 0], rtol=1e-5
    )


def test_balanced_pair_loss_weighs_matched_and_mismatched_halves_and_skips_the_diagonal():
    same = np.asarray([[1, 1, 0], [1, 1, 0], [0, 0, 1]], np.float32)
    p = np.asarray([[0.01, 0.8, 0.3], [0.8, 0.01, 0.4], [0.3, 0.4, 0.01]], np.float32)[..., None]
    expected = 0.5 * -np.log(0.8) + 0.5 * -np.mean(np.log([0.7, 0.6, 0.7, 0.6]))
    assert float(siamese_network.balanced_pair_loss(same, p)) == pytest.approx(expected, rel=1e-5)


def test_best_threshold_separates_separable_scores():
    labels = np.asarray([0, 0, 1, 1])
    threshold = siamese_network.best_threshold(labels, np.asarray([0.1, 0.3, 0.6, 0.9]))
    assert 0.3 < threshold <= 0.6


@pytest.mark.parametrize("seed", range(5))
def test_best_threshold_is_the_lowest_most_accurate_midpoint(seed):
    """The ROC-curve threshold equals a search over every midpoint (ties: the lowest)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 60).astype(np.float32)
    scores = np.round(rng.uniform(0, 1, 60) + 0.3 * labels, 1).astype(np.float32)  # many ties
    values = np.unique(scores)
    midpoints = np.concatenate(
        [[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]]
    )
    accuracies = [np.mean((scores >= t) == (labels == 1)) for t in midpoints]
    expected = float(midpoints[int(np.argmax(accuracies))])
    assert siamese_network.best_threshold(labels, scores) == expected
    assert siamese_network.accuracy(labels, scores, expected) == max(accuracies)


def test_one_shot_tasks_and_accuracy():
    pairs = face_pairs(
        [(0, "A", 1, "A"), (2, "B", 3, "B"), (4, "C", 5, "D"), (6, "E", 7, "F")]
    )  # photos 4-7: other people, candidates only
    person = pairs.photos()
    tasks = siamese_network.one_shot_tasks(pairs, n_way=5, seed=0)
    assert (
        tasks.shape == (2, 6) and tasks[:, 0].tolist() == [0, 2] and tasks[:, 1].tolist() == [1, 3]
    )
    for task, query in zip(tasks, "AB"):  # the other candidates: distinct people, not the query's
        others = [person[r] for r in task[2:]]
        assert query not in others and len(set(others)) == 4
    assert len(siamese_network.one_shot_tasks(pairs, n_way=7, seed=0)) == 0  # only 5 others
    constant = lambda a, b: np.zeros(len(a))  # noqa: E731
    assert siamese_network.one_shot_accuracy(tasks, constant) == pytest.approx(1 / 5)
    oracle = lambda a, b: np.asarray([person[i] == person[j] for i, j in zip(a, b)], float)  # noqa: E731
    assert siamese_network.one_shot_accuracy(tasks, oracle) == 1.0


def test_pixel_similarity_prefers_the_same_image():
    images = np.random.default_rng(0).integers(0, 255, (3, 10, 10)).astype(np.uint8)
    similarity = siamese_network.pixel_similarity(images)
    scores = similarity(np.asarray([0, 0, 0]), np.asarray([0, 1, 2]))
    assert np.argmax(scores) == 0


@pytest.mark.parametrize(
    "flags",
    [
        ["--dropout", "1.5"],
        ["--validation-people", "0.5"],
        ["--crop", "300"],
        ["--pairs", "resample"],
    ],
)
def test_bad_flags_exit_2_before_loading(tmp_path, capsys, flags):
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        siamese_network.main([*flags, "--data-dir", str(tmp_path), "--output-dir", str(output)])
    assert stop.value.code == 2 and flags[0] in capsys.readouterr().err
    assert not output.exists()


def test_filters_need_four_numbers(tmp_path):
    output = tmp_path / "out"
    with pytest.raises(InputError, match="--filters takes 4 numbers"):
        siamese_network.main(
            ["--filters", "8", "8", "--data-dir", str(tmp_path), "--output-dir", str(output)]
        )
    assert not output.exists()
