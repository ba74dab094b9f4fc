"""Super-resolution on tiny inputs: image-folder loader, x2 degradation, SRCNN, losses, metrics."""

import numpy as np
import pytest
from PIL import Image

from assignments import super_resolution as sr_assignment
from common import sr_evaluation
from common.datasets import sr
from common.errors import DatasetNotFoundError, InputError


def write_set(folder, name, sizes, grayscale_index=None):
    target = folder / "sr" / name
    target.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index, (height, width) in enumerate(sizes):
        if index == grayscale_index:
            Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8)).save(
                target / f"img{index}.png"
            )
        else:
            Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(
                target / f"img{index}.png"
            )
    (target / "README.txt").write_text("not an image")


def test_load_sr_images_converts_grayscale_to_rgb(tmp_path, empty_cache):
    write_set(tmp_path, "CSet14", [(20, 30), (17, 17), (40, 12)], grayscale_index=1)
    images = sr.load_sr_images("CSet14", tmp_path)
    assert [image.shape for image in images] == [(20, 30, 3), (17, 17, 3), (40, 12, 3)]
    assert all(image.dtype == np.uint8 for image in images)
    gray = images[1]
    assert np.array_equal(gray[..., 0], gray[..., 1]) and np.array_equal(gray[..., 0], gray[..., 2])
    assert sr.sr_image_names("CSet14", tmp_path) == ["img0", "img1", "img2"]


def test_load_sr_images_falls_back_to_the_cache(tmp_path, empty_cache):
    write_set(empty_cache, "CSet5", [(8, 8)])
    (tmp_path / "data").mkdir()
    assert len(sr.load_sr_images("CSet5", tmp_path / "data")) == 1


def test_missing_set_names_folder_and_origin(tmp_path, empty_cache):
    with pytest.raises(DatasetNotFoundError, match="majedelhelou/denoising_datasets") as error:
        sr.load_sr_images("CBSD68", tmp_path)
    assert str(tmp_path / "sr" / "CBSD68") in str(error.value)
    with pytest.raises(InputError, match="unknown super-resolution set"):
        sr.load_sr_images("Set99", tmp_path)


def test_make_lr_crops_to_the_scale_and_blurs():
    rng = np.random.default_rng(0)
    hr_uint8 = rng.integers(0, 256, (33, 50, 3), dtype=np.uint8)
    hr, lr = sr.make_lr(hr_uint8, scale=2)
    assert tuple(hr.shape) == (32, 50, 3) and tuple(lr.shape) == (32, 50, 3)
    np.testing.assert_allclose(hr.numpy(), hr_uint8[:32] / 255.0, atol=1e-6)
    assert 0 <= float(lr.numpy().min()) and float(lr.numpy().max()) <= 1
    assert lr.numpy().std() < hr.numpy().std()  # detail is lost
    assert tuple(sr.downscale(hr_uint8, 2).shape) == (16, 25, 3)
    flat = np.full((16, 16, 3), 0.25, np.float32)
    np.testing.assert_allclose(
        sr.make_lr(flat, 2)[1].numpy(), flat, atol=1e-5
    )  # a flat image survives
    batch_hr, batch_lr = sr.make_lr(np.zeros((2, 9, 9, 3), np.float32), scale=3)
    assert tuple(batch_lr.shape) == (2, 9, 9, 3)
    with pytest.raises(ValueError, match="scale"):
        sr.make_lr(hr_uint8, scale=0)


def test_srcnn_shapes_layers_and_identity_start():
    model = sr_assignment.build_srcnn()
    assert [
        model.get_layer(n).kernel_size
        for n in ("patch_extraction", "nonlinear_mapping", "reconstruction")
    ] == [(9, 9), (5, 5), (5, 5)]
    assert [
        model.get_layer(n).filters
        for n in ("patch_extraction", "nonlinear_mapping", "reconstruction")
    ] == [64, 32, 3]
    x = np.random.default_rng(1).random((2, 20, 28, 3)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=0.05)  # residual model starts close to its bicubic input
    plain = sr_assignment.build_srcnn(residual=False)
    assert "add_bicubic" not in [layer.name for layer in plain.layers]
    with pytest.raises(ValueError, match="three kernel sizes"):
        sr_assignment.build_srcnn(kernel_sizes=(9, 5))


def test_y_channel_and_image_scores():
    white = np.ones((8, 8, 3), np.float32)
    black = np.zeros((8, 8, 3), np.float32)
    np.testing.assert_allclose(sr_evaluation.rgb_to_y(white).numpy(), 235 / 255, atol=1e-5)
    np.testing.assert_allclose(sr_evaluation.rgb_to_y(black).numpy(), 16 / 255, atol=1e-6)
    hr = np.random.default_rng(2).random((24, 24, 3)).astype("float32")
    perfect = sr_evaluation.image_scores(hr, hr, shave=2)
    assert perfect["ssim_y"] == pytest.approx(1.0, abs=1e-5) and perfect[
        "ssim_rgb"
    ] == pytest.approx(1.0, abs=1e-5)
    noisy = np.clip(hr + 0.1, 0, 1)
    noisy[:2] = 0  # damage only the shaved border: no effect on the scores
    with_border = sr_evaluation.image_scores(noisy, hr, shave=2)
    clean_border = sr_evaluation.image_scores(np.clip(hr + 0.1, 0, 1), hr, shave=2)
    assert with_border["psnr_rgb"] == pytest.approx(clean_border["psnr_rgb"], abs=1e-4)
    assert (
        19.99 < clean_border["psnr_rgb"] < 24.0
    )  # 10 log10(1 / 0.1 ** 2) = 20 dB, more where clipping shrinks the error


def test_psnr_metric_matches_formula():
    y_true = np.zeros((2, 4, 4, 3), np.float32)
    y_pred = np.full((2, 4, 4, 3), 0.1, np.float32)
    np.testing.assert_allclose(
        np.asarray(sr_assignment.psnr(y_true, y_pred)), [20.0, 20.0], atol=1e-4
    )


def test_perceptual_loss_with_random_feature_network():
    loss = sr_assignment.PerceptualLoss(
        0.5, "efficientnet_lite0", feature_weights=None, reduction=None
    )
    assert loss.layer_names == ("block2b_add",)
    rng = np.random.default_rng(3)
    y_true = rng.random((2, 32, 32, 3)).astype("float32")
    same = np.asarray(loss(y_true, y_true))
    np.testing.assert_allclose(same, 0.0, atol=1e-6)
    different = np.asarray(loss(y_true, np.clip(y_true + 0.2, 0, 1)))
    pixel_only = np.mean(np.square(np.clip(y_true + 0.2, 0, 1) - y_true), axis=(1, 2, 3))
    assert different.shape == (2,) and np.all(
        different > pixel_only
    )  # the feature term adds something
    assert loss.get_config()["feature_weights"] is None


def test_training_pairs_and_patches():
    rng = np.random.default_rng(4)
    images = [
        rng.integers(0, 256, (40, 60, 3), dtype=np.uint8),
        rng.integers(0, 256, (61, 41, 3), dtype=np.uint8),
    ]
    pairs = sr.training_pairs(images, scale=2)
    assert (
        pairs.shape == (2, 40, 60, 6) and pairs.dtype == np.float32
    )  # the portrait image turned, all cropped to even size
    config = sr_assignment.Config(patch_size=32, patches_per_image=3, batch_size=4)
    batches = list(sr_assignment.patch_dataset(pairs, config))
    assert sum(len(x) for x, _ in batches) == 6
    x, y = batches[0]
    assert tuple(x.shape[1:]) == (32, 32, 3) and tuple(y.shape[1:]) == (32, 32, 3)
    inputs, targets = sr.centre_crops(pairs, 16)
    assert inputs.shape == (2, 16, 16, 3) and np.array_equal(targets, pairs[:, 12:28, 22:38, 3:])


def test_detailed_window_finds_the_texture():
    image = np.zeros((64, 64, 3), np.float32)
    image[40:56, 8:24] = np.random.default_rng(5).random((16, 16, 3))
    top, left = sr_evaluation.detailed_window(image, 16, 2)
    assert abs(top - 40) <= 4 and abs(left - 8) <= 4


def test_pet_data_offline_is_dataset_not_found(monkeypatch):
    import tensorflow_datasets as tfds

    def no_network(*args, **kwargs):
        raise ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(tfds, "load", no_network)
    with pytest.raises(DatasetNotFoundError, match="--train-data CBSD68"):
        sr_assignment.load_training_images(sr_assignment.Config(train_data="oxford_iiit_pet"))


def test_feature_layers_without_perceptual_weight_is_input_error(tmp_path):
    with pytest.raises(InputError, match="perceptual-weight"):
        sr_assignment.main(
            [
                "--perceptual-weight",
                "0",
                "--feature-layers",
                "block2b_add",
                "--data-dir",
                str(tmp_path),
            ]
        )


def test_patches_are_fresh_every_epoch():
    import keras

    keras.utils.set_random_seed(42)
    pairs = np.random.default_rng(6).random((1, 64, 64, 6)).astype("float32")
    pairs[..., 3:] = pairs[..., :3] * 0.5  # the target is tied to the input pixel by pixel
    config = sr_assignment.Config(patch_size=32, patches_per_image=1, batch_size=1)
    dataset = sr_assignment.patch_dataset(pairs, config)
    assert len({next(iter(dataset))[0].numpy().tobytes() for _ in range(6)}) > 1
    for x, y in dataset.repeat(4):
        assert tuple(x.shape) == (1, 32, 32, 3)
        np.testing.assert_allclose(
            y.numpy(), x.numpy() * 0.5
        )  # same crop, flips and rotation for both
    # two pipelines of the same seed give the same patches, epoch by epoch
    runs = [sr_assignment.patch_dataset(pairs, config) for _ in range(2)]
    epochs = [[next(iter(run))[0].numpy() for _ in range(3)] for run in runs]
    assert all(np.array_equal(a, b) for a, b in zip(*epochs))


def test_score_sets_gives_the_bar_metrics_and_tables():
    from common.reporting import bar_conditions, reference_value

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (24, 24, 3), dtype=np.uint8) for _ in range(2)]
    models = {"SRCNN-MSE": sr_assignment.build_srcnn(name="srcnn_mse")}
    metrics, per_image, tables = sr_evaluation.score_sets(
        {"CSet5": images}, models, scale=2, keys=sr_assignment.KEYS
    )
    for bar in (sr_assignment.QUICK_BAR, sr_assignment.FULL_BAR):
        for name, _, value in bar_conditions(bar):
            assert name in metrics and np.isfinite(reference_value(metrics, value))
    gain = metrics["cset5_mse_psnr_y"] - metrics["cset5_bicubic_psnr_y"]
    assert metrics["cset5_y_psnr_gain_mse"] == pytest.approx(gain)
    assert len(per_image["CSet5"]["bicubic"]) == 2
    assert (
        "**CSet5** (x2, 2 images)" in tables and "SRCNN-MSE" in tables and "PSNR Y (dB)" in tables
    )
