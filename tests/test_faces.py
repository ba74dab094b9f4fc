"""LFW loader (on a tiny fake LFW-a archive), transfer_learning and siamese_network builders and helpers."""

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
    """<folder>/lfw/lfwa.tar.gz in the LFW-a layout (lfw2/<Name>/<Name>_NNNN.jpg) and view-1 pair files."""
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


# siamese_network


def test_koch_tower_has_the_papers_shape():
    tower = siamese_network.build_tower(batch_norm=False)
    assert tower.output_shape == (None, 4096)
    assert tower.get_layer("flatten").output.shape[-1] == 9216  # 6 x 6 x 256
    assert tower.count_params() == 38_947_648
    with_bn = siamese_network.build_tower(
        batch_norm=True
    )  # no conv biases, 4 x (gamma, beta, mean, variance)
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
    pairs = siamese_network.pair_scores(
        tower, scorer, faces[..., 0], np.asarray([0, 1]), np.asarray([2, 3])
    )
    np.testing.assert_allclose(
        pairs, direct.reshape(-1), rtol=1e-5, atol=1e-6
    )  # (n, 105, 105) images
    np.testing.assert_allclose(
        siamese_network.pair_scores(tower, scorer, faces, np.asarray([0, 1]), np.asarray([2, 3])),
        pairs,
        rtol=1e-6,
    )  # (n, 105, 105, 1) images, as the validation callback passes
    same = siamese.predict(
        [faces[:1], faces[:1]], verbose=0
    )  # |e - e| = 0: the score is sigmoid(bias)
    np.testing.assert_allclose(
        same.reshape(-1), 1 / (1 + np.exp(-scorer.get_layer("same_person").bias.numpy())), rtol=1e-5
    )


def test_saved_siamese_network_loads_and_shares_the_training_weights(tmp_path):
    import keras

    tower = siamese_network.build_tower(embedding_dim=16, filters=(4, 4, 4, 4))
    siamese, _ = siamese_network.build_siamese(tower)
    trainer = siamese_network.with_augmentation(siamese, siamese_network.build_augmentation())
    assert {id(w) for w in trainer.trainable_weights} == {id(w) for w in siamese.trainable_weights}
    siamese.save(tmp_path / "siamese.keras")
    loaded = keras.saving.load_model(
        tmp_path / "siamese.keras"
    )  # no augmentation inside: it loads without custom objects
    faces = np.random.default_rng(0).uniform(0, 255, (2, 105, 105, 1)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict([faces[:1], faces[1:]], verbose=0),
        siamese.predict([faces[:1], faces[1:]], verbose=0),
        rtol=1e-5,
    )


def test_split_by_person_keeps_people_apart():
    rng = np.random.default_rng(0)
    names = [f"P{i}" for i in range(40)]
    pairs = [
        lfw.Pair(*(names[rng.integers(40)], 1, names[rng.integers(40)], 2)) for _ in range(300)
    ]
    train, validation = siamese_network.split_by_person(pairs, 0.2, seed=1)
    people = lambda rows: {n for i in rows for n in (pairs[i].name_a, pairs[i].name_b)}  # noqa: E731
    assert len(train) and len(validation) and not people(train) & people(validation)
    assert len(set(train) | set(validation)) == len(train) + len(validation)


def test_sampled_pairs_are_balanced_and_correctly_labelled():
    image_rows = np.asarray([3, 4, 5, 6, 7, 9])
    people = np.asarray(["A", "A", "A", "B", "B", "C"])
    person = dict(zip(image_rows.tolist(), people.tolist()))
    a, b, labels = siamese_network.sample_pairs(image_rows, people, 11, np.random.default_rng(0))
    assert (
        len(a) == len(b) == len(labels) == 11 and labels.sum() == 5 and labels.dtype == np.float32
    )
    assert set(a) | set(b) <= set(image_rows.tolist()) and all(x != y for x, y in zip(a, b))
    assert [float(person[x] == person[y]) for x, y in zip(a, b)] == labels.tolist()
    many = siamese_network.sample_pairs(image_rows, people, 400, np.random.default_rng(1))
    matched_people = [person[x] for x, label in zip(many[0], many[2]) if label]
    assert (
        0.4 < matched_people.count("A") / 200 < 0.6
    )  # people are drawn uniformly, not by their number of images
    with pytest.raises(ValueError, match="two images"):
        siamese_network.sample_pairs(
            image_rows[[0, 3, 5]], people[[0, 3, 5]], 4, np.random.default_rng(0)
        )


def test_pair_batches_keep_or_resample_the_pairs():
    pairs = [lfw.Pair("A", 1, "A", 2), lfw.Pair("A", 1, "B", 1), lfw.Pair("B", 1, "C", 1)]
    index_a, index_b = np.asarray([0, 0, 2]), np.asarray([1, 2, 3])
    labels = np.asarray([1.0, 0.0, 0.0], dtype=np.float32)
    faces = np.arange(4, dtype=np.float32)[:, None, None, None] * np.ones(
        (4, 105, 105, 1), np.float32
    )
    image_rows, people = siamese_network.image_people(pairs, index_a, index_b, np.arange(3))
    assert image_rows.tolist() == [0, 1, 2, 3] and people.tolist() == ["A", "A", "B", "C"]
    fixed = siamese_network.PairBatches(
        faces, index_a, index_b, labels, image_rows, people, 2, resample=False, seed=0
    )
    assert len(fixed) == 2
    seen = set()
    for index in range(len(fixed)):
        (face_a, face_b), y = fixed[index]
        seen |= {
            (int(p), int(q), float(t)) for p, q, t in zip(face_a[:, 0, 0, 0], face_b[:, 0, 0, 0], y)
        }
    assert seen == {(0, 1, 1.0), (0, 2, 0.0), (2, 3, 0.0)}
    fresh = siamese_network.PairBatches(
        faces, index_a, index_b, labels, image_rows, people, 4, resample=True, seed=0
    )
    (face_a, face_b), y = fresh[0]
    assert len(y) == 3 and y.sum() == 1
    assert all(
        (people[int(p)] == people[int(q)]) == bool(t)
        for p, q, t in zip(face_a[:, 0, 0, 0], face_b[:, 0, 0, 0], y)
    )


def test_people_images_adds_the_photos_the_pairs_leave_out(tmp_path, empty_cache):
    fake_lfw(tmp_path)
    images, index_a, index_b, labels, pairs = lfw.load_pairs("train", tmp_path, size=105, crop=150)
    pool = siamese_network.image_people(pairs, index_a, index_b, np.arange(len(pairs)))
    grown, (rows, people) = siamese_network.add_people_images(
        images, pairs, index_a, index_b, pool, tmp_path, 150
    )
    assert len(grown) == len(images) + 1 and np.array_equal(
        grown[: len(images)], images
    )  # only Dee_Delta_0002 was missing
    assert rows.tolist() == [*pool[0].tolist(), len(images)] and people[-1] == "Dee_Delta"
    assert abs(float(grown[-1].mean()) - (40 * 3 + 20)) < 3  # Dee_Delta's second photo (see `face`)


def test_people_batches_hold_two_photos_of_each_person():
    image_rows = np.arange(9)
    people = np.asarray(
        ["A", "A", "A", "B", "B", "C", "D", "D", "E"]
    )  # C and E have one photo: never drawn
    faces = np.arange(9, dtype=np.float32)[:, None, None, None] * np.ones(
        (9, 105, 105, 1), np.float32
    )
    batches = siamese_network.PeopleBatches(faces, image_rows, people, 2, steps=3, seed=0)
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
    trainer = siamese_network.build_all_pairs_trainer(siamese)
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


def test_one_shot_tasks_and_accuracy():
    pairs = [lfw.Pair("A", 1, "A", 2), lfw.Pair("B", 1, "B", 2)]
    pool_rows = np.arange(8)
    pool_people = ["A", "A", "B", "B", "C", "D", "E", "F"]
    tasks = siamese_network.one_shot_tasks(
        pairs, [0, 2], [1, 3], pool_rows, pool_people, n_way=5, seed=0
    )
    assert tasks.shape == (2, 6) and tasks[:, 1].tolist() == [1, 3]
    for task, person in zip(
        tasks, "AB"
    ):  # the other candidates are distinct people other than the query's
        others = [pool_people[r] for r in task[2:]]
        assert person not in others and len(set(others)) == 4
    constant = lambda a, b: np.zeros(len(a))  # noqa: E731
    assert siamese_network.one_shot_accuracy(tasks, constant) == pytest.approx(1 / 5)
    oracle = lambda a, b: np.asarray(
        [pool_people[i] == pool_people[j] for i, j in zip(a, b)], float
    )  # noqa: E731
    assert siamese_network.one_shot_accuracy(tasks, oracle) == 1.0


def test_pixel_similarity_prefers_the_same_image():
    images = np.random.default_rng(0).integers(0, 255, (3, 10, 10)).astype(np.uint8)
    similarity = siamese_network.pixel_similarity(images)
    scores = similarity(np.asarray([0, 0, 0]), np.asarray([0, 1, 2]))
    assert np.argmax(scores) == 0


def test_people_images_need_resampled_pairs(tmp_path):
    with pytest.raises(InputError, match="--train-images people"):
        siamese_network.main(
            [
                "--train-images",
                "people",
                "--pairs",
                "file",
                "--data-dir",
                str(tmp_path),
                "--output-dir",
                str(tmp_path / "out"),
            ]
        )
    assert not (tmp_path / "out").exists()


def test_bad_dropout_is_an_input_error_before_loading(tmp_path):
    with pytest.raises(InputError, match="--dropout"):
        siamese_network.main(
            ["--dropout", "1.5", "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "out")]
        )
    assert not (tmp_path / "out").exists()
