"""The CIFAR-10 assignment and loader on tiny inputs: builders, augmentation, metrics, caches."""

import io
import json
import tarfile

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from PIL import Image

from assignments import cifar10_fcn_cnn as assignment
from common.datasets import cifar10
from common.errors import DatasetNotFoundError, InputError

# Solid colours, far apart, so they survive JPEG compression recognisably.
COLOURS = {"airplane": (230, 20, 20), "cat": (20, 230, 20), "truck": (20, 20, 230)}


# %% Loader: a fake data folder with the layout of cifar10_jpg.tar.gz


def jpeg_bytes(colour, size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()


def add_member(bundle: tarfile.TarFile, name: str, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    bundle.addfile(info, io.BytesIO(data))


def write_cifar_jpg(folder, per_class=(3, 2), classes=COLOURS, extra=None):
    """`folder/cifar10/cifar10_jpg.tar.gz` with `{train,test}/<class>/NNNN.jpg`."""
    (folder / "cifar10").mkdir(parents=True)
    with tarfile.open(folder / "cifar10" / "cifar10_jpg.tar.gz", "w:gz") as bundle:
        for split, count in zip(("train", "test"), per_class):
            for name, colour in classes.items():
                for i in range(count):
                    add_member(bundle, f"{split}/{name}/{i:04d}.jpg", jpeg_bytes(colour))
        for name, data in (extra or {}).items():
            add_member(bundle, name, data)
    return folder


@pytest.fixture
def offline(monkeypatch):
    """keras.utils.get_file fails as it does with no network; counts the calls."""
    calls = []

    def no_network(*args, **kwargs):
        calls.append(1)
        raise Exception(f"URL fetch failure on {cifar10.URL}: None")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    monkeypatch.delenv("ASSIGNMENTS_DATA_DIR", raising=False)
    return calls


def test_jpeg_archive_is_decoded_mapped_to_class_ids_and_cached(
    tmp_path, empty_cache, offline, monkeypatch
):
    data = write_cifar_jpg(tmp_path / "data")
    (x_train, y_train), (x_test, y_test), source = cifar10.load_cifar10(data)
    assert source == cifar10.SOURCE_JPEG == "cifar10_jpg.tar.gz (JPEG q75)"
    assert x_train.shape == (9, 32, 32, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (6, 32, 32, 3) and y_train.shape == (9,) and y_test.shape == (6,)
    ids = {cifar10.CLASS_NAMES.index(name): colour for name, colour in COLOURS.items()}
    assert sorted(ids) == [0, 3, 9]  # airplane, cat, truck in CIFAR-10's order
    assert sorted(y_train.tolist()) == [0, 0, 0, 3, 3, 3, 9, 9, 9]
    assert sorted(y_test.tolist()) == [0, 0, 3, 3, 9, 9]
    for images, labels in ((x_train, y_train), (x_test, y_test)):
        for image, label in zip(images, labels):  # each image its class's colour (JPEG: roughly)
            assert np.abs(image.reshape(-1, 3).mean(axis=0) - ids[int(label)]).max() < 8
    assert y_train.tolist() != sorted(y_train.tolist())  # shuffled, not sorted by class

    cached = list((empty_cache / "cifar10").iterdir())
    assert [p.name for p in cached] == [
        f"cifar10-jpg-{cifar10.source_key(data / cifar10.ARCHIVE)}.npz"
    ]  # one npz tied to the archive, written atomically (no leftovers)
    assert offline == []  # the data folder is used first: no download tried
    monkeypatch.setattr(cifar10, "decode_jpeg_archive", lambda *a: pytest.fail("decoded again"))
    (x_again, y_again), _, source_again = cifar10.load_cifar10(data)  # from the cache
    assert source_again == source
    assert np.array_equal(x_again, x_train) and np.array_equal(y_again, y_train)


def test_replaced_archive_is_decoded_afresh(tmp_path, empty_cache, offline):
    data = write_cifar_jpg(tmp_path / "data")
    (x_first, _), _, _ = cifar10.load_cifar10(data)
    (data / cifar10.ARCHIVE).unlink()
    (data / "cifar10").rmdir()
    write_cifar_jpg(data, per_class=(2, 1))  # a different archive at the same path
    (x_second, _), (x_test, _), _ = cifar10.load_cifar10(data)
    assert len(x_first) == 9 and len(x_second) == 6 and len(x_test) == 3
    assert len(list((empty_cache / "cifar10").glob("cifar10-jpg-*.npz"))) == 2


def fake_cifar_batches(folder, rng):
    """The layout of cifar-10-python.tar.gz: pickled dicts of (n, 3072) uint8 rows and labels."""
    import pickle

    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), b"labels": [1, 9]}
        (folder / name).write_bytes(pickle.dumps(batch))


def test_lossless_download_lands_in_the_cache_not_in_home(tmp_path, empty_cache, monkeypatch):
    monkeypatch.delenv("ASSIGNMENTS_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    requests = []

    def get_file(fname, origin, extract, cache_dir, cache_subdir):
        requests.append((origin, cache_dir))
        target = tmp_path / "unpacked"
        fake_cifar_batches(target / "cifar-10-batches-py", np.random.default_rng(0))
        return str(target)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    (x_train, y_train), (x_test, y_test), source = cifar10.load_cifar10()
    assert source == cifar10.SOURCE_LOSSLESS
    assert requests == [(cifar10.URL, str(empty_cache / "cifar10"))]
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.tolist() == [1, 9] * 5 and y_test.tolist() == [1, 9]
    assert (empty_cache / "cifar10" / cifar10.LOSSLESS_NAME).is_file()
    assert not (tmp_path / "home").exists()  # nothing in ~/.keras
    _, _, again = cifar10.load_cifar10()  # served from the cache: no second download
    assert again == source and len(requests) == 1


def test_no_copy_anywhere_names_folder_file_and_url(tmp_path, empty_cache, offline):
    (tmp_path / "data").mkdir()
    with pytest.raises(DatasetNotFoundError) as error:
        cifar10.load_cifar10(tmp_path / "data")
    message = str(error.value)
    assert str(tmp_path / "data") in message and "cifar10/cifar10_jpg.tar.gz" in message
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in message
    assert not (empty_cache / "cifar10" / cifar10.LOSSLESS_NAME).exists()


def test_unknown_class_folder_is_input_error(tmp_path, empty_cache, offline):
    data = write_cifar_jpg(
        tmp_path / "data", extra={"train/unicorn/0000.jpg": jpeg_bytes((1, 2, 3))}
    )
    with pytest.raises(InputError, match="unicorn"):
        cifar10.load_cifar10(data)
    assert not list(empty_cache.rglob("*.npz"))


def test_wrong_size_and_corrupt_images_are_input_errors(tmp_path):
    archive = (
        write_cifar_jpg(
            tmp_path / "a", extra={"train/cat/big.jpg": jpeg_bytes((1, 2, 3), (40, 40))}
        )
        / "cifar10"
        / "cifar10_jpg.tar.gz"
    )
    with pytest.raises(InputError, match="expected"):
        cifar10.decode_jpeg_archive(archive)
    archive = (
        write_cifar_jpg(tmp_path / "b", extra={"test/cat/bad.jpg": b"not a jpeg"})
        / "cifar10"
        / "cifar10_jpg.tar.gz"
    )
    with pytest.raises(InputError, match="not a readable image"):
        cifar10.decode_jpeg_archive(archive)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(InputError, match="corrupt"):
        cifar10.decode_jpeg_archive(truncated)


def test_corrupt_caches_are_input_errors(tmp_path, empty_cache, offline):
    data = write_cifar_jpg(tmp_path / "data")
    key = cifar10.source_key(data / cifar10.ARCHIVE)
    (empty_cache / "cifar10").mkdir(parents=True)
    (empty_cache / "cifar10" / f"cifar10-jpg-{key}.npz").write_bytes(b"garbage")
    with pytest.raises(InputError, match="delete it"):
        cifar10.load_cifar10(data)
    (empty_cache / "cifar10" / cifar10.LOSSLESS_NAME).write_bytes(b"garbage")
    with pytest.raises(InputError, match="delete it"):
        cifar10.load_cifar10()


# %% Models


def test_fcn_baseline_and_better_shapes_and_parameters():
    images = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    baseline = assignment.build_fcn((100, 20))
    probabilities = np.asarray(baseline(images))
    assert probabilities.shape == (3, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert baseline.count_params() == 3072 * 100 + 100 + 100 * 20 + 20 + 20 * 10 + 10
    better = assignment.build_fcn((512, 256), dropout=0.3)
    assert better.count_params() == 3072 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
    assert [layer.rate for layer in better.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.3,
        0.3,
    ]
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in baseline.layers)


@pytest.mark.parametrize("kwargs", [{"hidden_units": ()}, {"hidden_units": (0,)}, {"dropout": 1.0}])
def test_fcn_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        assignment.build_fcn(**kwargs)


def test_cnn_blocks_shapes_and_parameters():
    model = assignment.build_cnn(
        (32, 64, 128), dropout=(0.2, 0.3, 0.4), convs_per_block=2, dense_units=128, head_dropout=0.5
    )
    probabilities = np.asarray(model(np.full((2, 32, 32, 3), 128.0, "float32")))
    assert probabilities.shape == (2, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    shapes = [tuple(model.get_layer(f"block{b}_pool").output.shape[1:]) for b in (1, 2, 3)]
    assert shapes == [(16, 16, 32), (8, 8, 64), (4, 4, 128)]
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.filters for layer in convolutions] == [32, 32, 64, 64, 128, 128]
    assert sum(layer.count_params() for layer in convolutions) == 9 * (
        3 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 128 * 128
    )
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 7
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.2,
        0.3,
        0.4,
        0.5,
    ]
    assert (
        model.count_params() < assignment.build_fcn((512, 256)).count_params() / 2
    )  # weight sharing


def test_cnn_single_dropout_rate_and_bad_arguments():
    model = assignment.build_cnn(
        (4, 8), dropout=0.1, convs_per_block=1, dense_units=0, head_dropout=0.0
    )
    assert tuple(model(np.zeros((1, 32, 32, 3), "float32")).shape) == (1, 10)
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.1,
        0.1,
    ]
    with pytest.raises(ValueError, match="one per block"):
        assignment.build_cnn((4, 8, 16), dropout=(0.1, 0.2))
    with pytest.raises(ValueError, match="below one pixel"):
        assignment.build_cnn((4,) * 6, dropout=0.1)
    with pytest.raises(ValueError):
        assignment.build_cnn((), dropout=0.1)


# %% Augmentation and input pipeline


def test_augmentation_is_a_flip_and_a_shift_per_image():
    images = tf.constant(np.random.default_rng(1).uniform(0, 255, (16, 8, 8, 3)).astype("float32"))
    seed = tf.constant([0, 1], tf.int64)
    flipped_only = cifar10.augment_images(images, seed, padding=0).numpy()
    for original, output in zip(images.numpy(), flipped_only):
        assert np.array_equal(output, original) or np.array_equal(output, original[:, ::-1])
    augment = cifar10.augment_images(images, seed, padding=2).numpy()
    assert augment.shape == (16, 8, 8, 3)
    shifts = set()
    for original, output in zip(images.numpy(), augment):
        matches = [
            (dy, dx, flip)
            for flip in (False, True)
            for dy in range(5)
            for dx in range(5)
            if np.array_equal(
                output,
                np.pad(original[:, ::-1] if flip else original, ((2, 2), (2, 2), (0, 0)))[
                    dy : dy + 8, dx : dx + 8
                ],
            )
        ]
        assert matches, "each output must be a window of the zero-padded (possibly flipped) image"
        shifts.add(matches[0][:2])
    assert len(shifts) > 3  # offsets are drawn per image


def test_augmented_dataset_changes_every_epoch_even_with_a_global_seed():
    keras.utils.set_random_seed(
        0
    )  # with plain tf.random ops, every epoch would repeat the same crops
    images = np.random.default_rng(2).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(8) % 10
    dataset = cifar10.make_dataset(images, labels, 4, augment_seed=0)
    first, second = [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(2)]
    rerun = cifar10.make_dataset(images, labels, 4, augment_seed=0)
    assert np.array_equal(first, np.concatenate([x.numpy() for x, _ in rerun]))  # same seed
    assert first.dtype == np.float32 and first.shape == (8, 32, 32, 3)
    assert not np.array_equal(first, second)
    assert np.concatenate([y.numpy() for _, y in dataset]).tolist() == labels.tolist()
    plain = np.concatenate([x.numpy() for x, _ in cifar10.make_dataset(images, labels, 4)])
    assert np.array_equal(plain, images.astype("float32"))


# %% Training helpers and metrics


def test_optimizer_schedule_and_weight_decay():
    adam = assignment.make_optimizer(1e-3, total_steps=100)
    assert isinstance(adam, keras.optimizers.Adam) and not isinstance(adam, keras.optimizers.AdamW)
    adamw = assignment.make_optimizer(2e-3, total_steps=100, weight_decay=0.05)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == pytest.approx(0.05)
    schedule = adamw.learning_rate if callable(adamw.learning_rate) else adamw._learning_rate
    assert float(schedule(0)) == pytest.approx(2e-3)
    assert float(schedule(50)) == pytest.approx(
        2e-3 * (0.01 + 0.99 * 0.5), rel=1e-4
    )  # half-way down the cosine
    assert float(schedule(100)) == pytest.approx(2e-5, rel=1e-3)


def test_split_data_holds_out_validation():
    x = np.arange(100).reshape(100, 1, 1, 1).astype(np.uint8)
    y = np.arange(100) % 10
    splits = cifar10.split_cifar10((x, y), (x[:50], y[:50]), 20, train_samples=30, test_samples=5)
    (xt, yt), (xv, yv), (xs, ys) = splits
    assert len(xt) == 30 and len(xv) == 20 and len(xs) == 5
    assert not set(xt.ravel()) & set(xv.ravel())
    with pytest.raises(InputError, match="validation"):
        cifar10.split_cifar10((x, y), (x, y), validation_samples=100)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--cnn-dropout", "0.1", "0.2"], "one rate or one per block"),
        (["--filters", "8", "8", "8", "8", "8", "8", "--cnn-dropout", "0.1"], "at most 5 blocks"),
    ],
)
def test_bad_flags_are_input_errors_before_loading(flags, message, monkeypatch, tmp_path):
    monkeypatch.setattr(
        assignment,
        "load_cifar10",
        lambda data_dir=None: pytest.fail("data loaded before the flags were checked"),
    )
    with pytest.raises(InputError, match=message):
        assignment.main(flags + ["--output-dir", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "flags",
    [["--fcn-dropout", "1.5"], ["--cnn-dropout", "0.1", "1", "0.2"], ["--head-dropout", "-0.1"]],
)
def test_out_of_range_dropout_exits_2_before_loading(flags, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(
        assignment,
        "load_cifar10",
        lambda data_dir=None: pytest.fail("data loaded before the flags were checked"),
    )
    with pytest.raises(SystemExit) as error:
        assignment.main(flags + ["--output-dir", str(tmp_path / "run")])
    assert error.value.code == 2 and flags[0] in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_main_end_to_end_on_tiny_data(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    fake = (
        (
            rng.integers(0, 256, (96, 32, 32, 3), dtype=np.uint8),
            rng.integers(0, 10, 96).astype(np.uint8),
        ),
        (
            rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8),
            rng.integers(0, 10, 40).astype(np.uint8),
        ),
        "tiny fake copy",
    )
    monkeypatch.setattr(assignment, "load_cifar10", lambda data_dir=None: fake)
    arguments = [
        "--quick",
        "--epochs",
        "1",
        "--fcn-epochs",
        "1",
        "--train-samples",
        "64",
        "--validation-samples",
        "32",
        "--test-samples",
        "20",
        "--filters",
        "4",
        "8",
        "8",
        "--dense-units",
        "8",
        "--baseline-units",
        "8",
        "4",
        "--better-units",
        "16",
        "8",
        "--batch-size",
        "32",
    ]
    output = tmp_path / "run"
    record = assignment.main([*arguments, "--output-dir", str(output)])
    saved = json.loads((output / "metrics.json").read_text())
    metrics = saved["metrics"]
    for name in (
        "cnn_test_accuracy",
        "fcn_baseline_test_accuracy",
        "fcn_better_test_accuracy",
        "best_fcn_test_accuracy",
    ):
        assert 0 <= metrics[name] <= 1, name
    assert not {"quick_bar_margin", "full_bar_margin", "cnn_minus_best_fcn"} & set(metrics)
    assert metrics["best_fcn_test_accuracy"] in (
        metrics["fcn_baseline_test_accuracy"],
        metrics["fcn_better_test_accuracy"],
    )
    assert saved["extra"]["data_source"] == "tiny fake copy" and saved["extra"]["images"] == {
        "train": 64,
        "validation": 32,
        "test": 20,
    }
    assert saved["headline"] == {
        "metric": "cnn_test_accuracy",
        "value": metrics["cnn_test_accuracy"],
    }
    cnn, best_fcn = metrics["cnn_test_accuracy"], metrics["best_fcn_test_accuracy"]
    assert record["passed"] == saved["passed"] == (cnn > best_fcn and cnn > 0.40)

    # the same seed gives the same numbers (augmentation included), epoch by epoch
    again = tmp_path / "again"
    assignment.main([*arguments, "--output-dir", str(again)])
    rerun = json.loads((again / "metrics.json").read_text())["metrics"]
    assert {k: v for k, v in rerun.items() if "seconds" not in k} == {
        k: v for k, v in metrics.items() if "seconds" not in k
    }
    history, history_again = (
        pd.read_csv(folder / "history.csv").filter(regex="loss|accuracy")
        for folder in (output, again)
    )
    pd.testing.assert_frame_equal(history, history_again)
    files = {path.name for path in output.iterdir()}
    assert {
        "fcn_baseline.keras",
        "fcn_better.keras",
        "cnn.keras",
        "history.csv",
        "results.md",
        "per_class_accuracy.png",
        "confusion_matrix_cnn.png",
        "confusion_matrix_best_fcn.png",
        "learning_curves_accuracy.png",
    } <= files
    reloaded = keras.models.load_model(output / "cnn.keras")
    assert tuple(reloaded(np.zeros((1, 32, 32, 3), "float32")).shape) == (1, 10)
