"""Cell counting: the loader on a tiny fake archive, density maps, pipeline, builders, loss."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from assignments import cell_counting
from common import counting
from common.datasets import cells
from common.errors import DatasetNotFoundError


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def write_cells_zip(folder, dot_positions, size=32):
    """A cells.zip in the VGG layout: cells/NNNcell.png, cells/NNNdots.png (red pixel: a cell)."""
    (folder / "cells").mkdir(parents=True)
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(folder / "cells" / "cells.zip", "w") as bundle:
        for index, positions in enumerate(dot_positions, start=1):
            image = np.zeros((size, size, 3), np.uint8)
            image[..., 2] = rng.integers(0, 256, (size, size))
            dots = np.zeros((size, size, 3), np.uint8)
            for row, column in positions:
                dots[row, column] = (255, 0, 0)
            bundle.writestr(f"cells/{index:03d}cell.png", png_bytes(image))
            bundle.writestr(f"cells/{index:03d}dots.png", png_bytes(dots))


def test_density_map_sums_to_the_count_even_at_the_border():
    dots = np.zeros((40, 40), np.uint8)
    dots[0, 0] = dots[39, 20] = dots[20, 20] = dots[5, 39] = 1
    density = cells.density_map(dots, sigma=3.0)
    assert density.dtype == np.float32 and density.shape == (40, 40)
    assert density.min() >= 0
    assert density.sum() == pytest.approx(4.0, rel=1e-4)
    assert np.unravel_index(np.argmax(density[10:30, 10:30]), (20, 20)) == (
        10,
        10,
    )  # the peak stays on its dot
    with pytest.raises(ValueError, match="sigma"):
        cells.density_map(dots, sigma=0)


def test_dots_from_annotation_keeps_red_pixels_only():
    annotation = np.zeros((4, 4, 3), np.uint8)
    annotation[0, 0] = (255, 0, 0)
    annotation[1, 1] = (255, 255, 255)  # white is not a dot
    annotation[2, 2] = (200, 10, 10)
    assert cells.dots_from_annotation(annotation).tolist() == [
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
    ]


def test_load_cells_shapes_counts_and_cache(tmp_path, empty_cache):
    data = tmp_path / "data"
    write_cells_zip(data, [[(3, 4), (10, 10), (31, 31)], [(0, 0)], [(5, 5), (6, 6)]])
    images, densities, counts = cells.load_cells(data, sigma=1.5)
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1 and images[..., 2].max() > 0.5
    assert densities.shape == (3, 32, 32, 1) and densities.dtype == np.float32
    assert counts.tolist() == [3.0, 1.0, 2.0]
    np.testing.assert_allclose(densities.sum(axis=(1, 2, 3)), counts, rtol=1e-4)
    assert list((empty_cache / "cells").glob("*.npz"))  # decoded once, cached
    again = cells.load_cells(data, sigma=1.5)
    np.testing.assert_array_equal(again[0], images)
    assert sorted(p.name for p in (data / "cells").iterdir()) == [
        "cells.zip"
    ]  # data folder untouched


def test_missing_cells_is_dataset_not_found(tmp_path, empty_cache, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("keras.utils.get_file", no_network)
    with pytest.raises(DatasetNotFoundError, match="cells/cells.zip"):
        cells.load_cells(tmp_path)


def test_augment_applies_the_same_transform_to_image_and_density():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    image = rng.random((16, 16, 3)).astype("float32")
    density = image[..., :1] * 2.0  # any geometric transform keeps this relation only if shared
    for seed in range(8):
        cropped_image, cropped_density = cells.augment(
            tf.constant(image), tf.constant(density), 8, tf.constant([seed, 1], tf.int64)
        )
        assert tuple(cropped_image.shape) == (8, 8, 3) and tuple(cropped_density.shape) == (8, 8, 1)
        np.testing.assert_allclose(cropped_density.numpy(), cropped_image.numpy()[..., :1] * 2.0)


def test_crop_of_parts_equals_tf_image_crop_of_the_stack():
    """Cutting image and density separately draws the offsets of stateless_random_crop."""
    import tensorflow as tf

    from common.datasets.pipeline import random_crop_flip_rotate

    rng = np.random.default_rng(2)
    image, density = rng.random((20, 24, 3), "float32"), rng.random((20, 24, 1), "float32")
    stacked = tf.concat([image, density], axis=-1)
    for seed in range(6):
        seed = tf.constant([seed, 7], tf.int64)
        first = tf.random.experimental.stateless_split(seed, 4)[0]
        crop = tf.image.stateless_random_crop(stacked, (8, 8, 4), first)
        expected = random_crop_flip_rotate(crop, 8, seed)  # an 8 x 8 crop of 8 x 8: no shift
        got = random_crop_flip_rotate((tf.constant(image), tf.constant(density)), 8, seed)
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than the image"):
        random_crop_flip_rotate(tf.constant(image), 21, tf.constant([0, 0], tf.int64))


def test_training_crops_are_the_same_for_a_seed_and_new_every_epoch():
    config = cell_counting.Config(crop_size=8, crops_per_image=2, batch_size=3)
    rng = np.random.default_rng(0)
    images = rng.random((3, 16, 16, 3)).astype("float32")
    densities = rng.random((3, 16, 16, 1)).astype("float32")

    def epochs(dataset, count=2):
        return [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(count)]

    first, second = epochs(cell_counting.training_dataset(images, densities, config, "density"))
    again = epochs(cell_counting.training_dataset(images, densities, config, "density"))
    assert first.shape == (6, 8, 8, 3) and not np.array_equal(first, second)
    assert np.array_equal(first, again[0]) and np.array_equal(second, again[1])


def test_tiles_cover_the_image_without_overlap():
    array = np.arange(2 * 8 * 8 * 1, dtype="float32").reshape(2, 8, 8, 1)
    pieces = cells.tiles(array, 4)
    assert pieces.shape == (8, 4, 4, 1)
    np.testing.assert_array_equal(pieces[0], array[0, :4, :4])
    np.testing.assert_array_equal(pieces[1], array[0, :4, 4:])
    np.testing.assert_array_equal(pieces[4], array[1, :4, :4])
    assert pieces.sum() == array.sum()


def test_baseline_regressor_shapes_and_initial_count():
    model = cell_counting.build_count_regressor((32, 64, 128), initial_count=40.0, count_scale=10.0)
    assert [model.get_layer(f"block{i}_conv1").filters for i in (1, 2, 3)] == [32, 64, 128]
    outputs = np.asarray(model(np.zeros((2, 64, 64, 3), "float32")))
    assert outputs.shape == (2, 1)
    np.testing.assert_allclose(
        outputs, 40.0, atol=1e-4
    )  # black image: zero features, output = initial count
    assert tuple(model(np.zeros((1, 128, 96, 3), "float32")).shape) == (1, 1)  # any size
    with pytest.raises(ValueError, match="at least one block"):
        cell_counting.build_count_regressor(())


def test_deeper_regressor_is_deeper():
    baseline = cell_counting.build_count_regressor((32, 64, 128))
    deeper = cell_counting.build_deeper_regressor((8, 16, 32, 64, 128))
    conv_layers = lambda m: [x for x in m.layers if x.__class__.__name__ == "Conv2D"]
    assert len(conv_layers(deeper)) == 10 > len(conv_layers(baseline)) == 3
    assert tuple(deeper(np.random.rand(2, 64, 64, 3).astype("float32")).shape) == (2, 1)


def test_unet_shapes_and_non_negative_density():
    model = cell_counting.build_unet((4, 8, 16))
    outputs = np.asarray(model(np.random.rand(2, 32, 48, 3).astype("float32")))
    assert outputs.shape == (2, 32, 48, 1)
    assert outputs.min() >= 0
    with pytest.raises(ValueError, match="two positive"):
        cell_counting.build_unet((8,))


def test_density_count_loss_and_metric():
    y_true = np.zeros((2, 4, 4, 1), "float32")
    y_true[0, 0, 0, 0] = 100.0  # one cell at density scale 100
    y_pred = np.zeros_like(y_true)
    loss = cell_counting.DensityCountLoss(count_weight=0.5, density_scale=100.0, reduction=None)
    values = np.asarray(loss(y_true, y_pred))
    # example 0: pixel MSE 100**2 / 16 = 625, count error 1 cell -> + 0.5; example 1: 0
    np.testing.assert_allclose(values, [625.5, 0.0], rtol=1e-6)
    metric = cell_counting.DensityCountError(density_scale=100.0)
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(0.5)


@pytest.mark.filterwarnings(
    "ignore:Skipping variable loading for optimizer"
)  # never fitted: no optimizer state
def test_unet_saves_and_loads_with_its_loss(tmp_path):
    import keras

    model = cell_counting.build_unet((4, 8))
    model.compile(
        "adam",
        loss=cell_counting.DensityCountLoss(0.01, 100.0),
        metrics=[cell_counting.DensityCountError(100.0)],
    )
    x = np.random.rand(2, 16, 16, 3).astype("float32")
    model.save(tmp_path / "unet.keras")
    loaded = keras.models.load_model(tmp_path / "unet.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-5)
    assert loaded.loss.count_weight == 0.01


def test_bad_crop_size_is_input_error_before_loading_data(tmp_path):
    from common.errors import InputError

    with pytest.raises(InputError, match="multiple of 32"):
        cell_counting.main(
            [
                "--crop-size",
                "100",
                "--data-dir",
                str(tmp_path),
                "--output-dir",
                str(tmp_path / "out"),
            ]
        )
    assert not (tmp_path / "out").exists()


def test_crop_size_above_the_image_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as error:
        cell_counting.main(["--crop-size", "512", "--output-dir", str(tmp_path / "out")])
    assert error.value.code == 2 and "--crop-size" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_tile_targets_give_each_tile_its_count():
    images = np.zeros((1, 8, 8, 3), "float32")
    densities = np.full((1, 8, 8, 1), 100.0, "float32")  # one cell per pixel, scaled by 100
    image_tiles, counts = cells.tile_targets(images, densities, 4, 100.0, "count")
    assert image_tiles.shape == (4, 4, 4, 3) and counts.shape == (4, 1)
    np.testing.assert_allclose(counts, 16.0)
    _, maps = cells.tile_targets(images, densities, 4, 100.0, "density")
    assert maps.shape == (4, 4, 4, 1) and maps.dtype == np.float32


def test_results_tables_and_bars():
    data = {"c_train": np.array([10.0, 30.0]), "c_val": np.array([12.0, 40.0])}
    metrics = {"mean_predictor_mae": 11.0, "unet_mae": 1.5}
    table, per_image = counting.results_tables(metrics, {"unet": np.array([11.0, 41.5])}, data)
    assert "predict the training mean (20.0)" in table and "11.00" in table and "1.50" in table
    assert "181" in per_image and "41.5" in per_image
    assert cell_counting.QUICK_BAR[0] == ("unet_mae", "<", "mean_predictor_mae")
    assert [c[0] for c in cell_counting.FULL_BAR] == ["unet_mae", "baseline_mae"]


def test_training_crops_are_fresh_every_epoch():
    import keras

    keras.utils.set_random_seed(
        42
    )  # as main() does: plain tf.random ops in map would then repeat every epoch
    images = np.random.default_rng(2).random((1, 64, 64, 3)).astype("float32")
    densities = np.random.default_rng(3).random((1, 64, 64, 1)).astype("float32")
    config = cell_counting.Config(crop_size=32, crops_per_image=1, batch_size=1)
    dataset = cell_counting.training_dataset(images, densities, config, "count")
    epochs = [next(iter(dataset))[0].numpy().tobytes() for _ in range(6)]
    assert len(set(epochs)) > 1
    x, y = next(iter(dataset))
    assert tuple(x.shape) == (1, 32, 32, 3) and tuple(y.shape) == (1, 1)
