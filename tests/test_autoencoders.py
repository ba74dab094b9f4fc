"""Shape tests of the two autoencoder assignments: tiny inputs, no data."""

import numpy as np
import pytest

from assignments import autoencoder, denoising_autoencoder


@pytest.mark.parametrize("latent_dim", [2, 32])
def test_autoencoder_shapes(latent_dim):
    model = autoencoder.build_model(input_dim=784, latent_dim=latent_dim)
    outputs = model(np.random.rand(3, 784).astype("float32"))
    assert tuple(outputs.shape) == (3, 784)
    assert model.get_layer("code").units == latent_dim
    values = np.asarray(outputs)
    assert values.min() > 0 and values.max() < 1  # sigmoid output
    assert model.count_params() == 784 * latent_dim + latent_dim + latent_dim * 784 + 784


def test_autoencoder_rejects_bad_sizes():
    with pytest.raises(ValueError, match=">= 1"):
        autoencoder.build_model(latent_dim=0)


def test_denoising_model_and_noise():
    model = denoising_autoencoder.build_model(input_dim=16, hidden_units=8, latent_dim=4)
    assert tuple(model(np.zeros((2, 16), "float32")).shape) == (2, 16)
    clean = np.full((500, 16), 0.5, "float32")
    noisy = denoising_autoencoder.add_noise(clean, 0.5, seed=0)
    assert noisy.shape == clean.shape and noisy.dtype == np.float32
    assert noisy.min() >= 0 and noisy.max() <= 1 and 0.3 < noisy.std() < 0.5
    assert np.array_equal(noisy, denoising_autoencoder.add_noise(clean, 0.5, seed=0))  # seeded


def test_denoising_dataset_gives_fresh_noise_each_epoch():
    import keras

    keras.utils.set_random_seed(
        1
    )  # a global seed makes plain tf.random ops in map() repeat each epoch
    images = np.full((8, 16), 0.5, "float32")
    dataset = denoising_autoencoder.noisy_dataset(images, 0.5, batch_size=4, shuffle=False)
    first, second = [np.concatenate([x for x, _ in dataset]) for _ in range(2)]
    targets = np.concatenate([y for _, y in dataset])
    assert first.shape == (8, 16) and np.array_equal(targets, images)
    assert not np.array_equal(first, second)
    rerun = denoising_autoencoder.noisy_dataset(images, 0.5, batch_size=4, shuffle=False)
    assert np.array_equal(first, np.concatenate([x for x, _ in rerun]))  # same seed, same noise


def test_restoration_scores_match_psnr_formula():
    clean = np.zeros((2, 784), "float32")
    restored = np.full((2, 784), 0.1, "float32")
    scores = denoising_autoencoder.restoration_scores(restored, clean)
    assert scores["mse"] == pytest.approx(0.01, rel=1e-4)
    assert scores["psnr"] == pytest.approx(20.0, abs=1e-3)  # 10 log10(1 / 0.01)
