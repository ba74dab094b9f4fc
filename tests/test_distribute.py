"""common.distribute: the strategy choice, and real training under MirroredStrategy."""

import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT


def test_default_strategy_on_a_single_device():
    from common.distribute import strategy

    chosen = strategy()
    assert chosen.num_replicas_in_sync == 1
    with pytest.raises(ValueError):
        strategy(prefer="tpu-please")


def test_mirrored_strategy_trains_over_two_logical_cpus():
    # Logical devices must be set before TensorFlow starts, so this runs in its own process.
    script = textwrap.dedent(
        """
        import common, numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
        from common.distribute import strategy
        chosen = strategy(prefer="mirrored")
        assert isinstance(chosen, tf.distribute.MirroredStrategy), chosen
        assert chosen.num_replicas_in_sync == 2, chosen.num_replicas_in_sync
        keras.utils.set_random_seed(0)
        x = np.random.rand(256, 4).astype("float32")
        y = (x.sum(axis=1) > 2).astype("float32")
        with chosen.scope():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
            model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=32 * chosen.num_replicas_in_sync, epochs=15, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]
        print("replicas", chosen.num_replicas_in_sync, "loss", history.history["loss"][0], history.history["loss"][-1])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replicas 2" in result.stdout


def test_tf_config_with_two_workers_is_multi_worker(monkeypatch):
    from common import distribute

    monkeypatch.setenv(
        "TF_CONFIG",
        '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}',
    )
    assert distribute._workers_in_tf_config() == 2
    monkeypatch.setenv("TF_CONFIG", "not json")
    assert distribute._workers_in_tf_config() == 0
