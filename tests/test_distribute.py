"""common.distribute: the strategy choice, and real training under MirroredStrategy."""

import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT


def test_default_strategy_on_a_single_device():
    from common.distribute import global_batch_size, scaled_learning_rate, strategy

    chosen = strategy()
    assert chosen.num_replicas_in_sync == 1
    assert strategy() is chosen  # created once, then reused
    assert global_batch_size(32) == 32 and scaled_learning_rate(1e-3) == 1e-3
    with pytest.raises(ValueError):
        strategy(prefer="tpu-please")


def test_mirrored_strategy_trains_every_pipeline_kind_over_two_logical_cpus():
    # Logical devices must be set before TensorFlow starts, so this runs in its own process.
    script = textwrap.dedent(
        """
        import common, numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
        from common.datasets.pipeline import with_input_options
        from common.distribute import global_batch_size, scaled_learning_rate, strategy
        chosen = strategy(prefer="mirrored")
        assert isinstance(chosen, tf.distribute.MirroredStrategy), chosen
        assert chosen.num_replicas_in_sync == 2, chosen.num_replicas_in_sync
        assert strategy(prefer="mirrored") is chosen
        import common.distribute as d
        d._CHOSEN[None] = chosen  # what strategy() returns on a two-GPU machine
        batch = global_batch_size(32)
        assert batch == 64 and scaled_learning_rate(1e-3) == 2e-3
        keras.utils.set_random_seed(0)
        x = np.random.rand(256, 4).astype("float32")
        y = (x.sum(axis=1) > 2).astype("float32")

        class Batches(keras.utils.PyDataset):
            def __len__(self):
                return len(x) // batch
            def __getitem__(self, i):
                return x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]

        dataset = with_input_options(tf.data.Dataset.from_tensor_slices((x, y)).batch(batch))
        kinds = [("arrays", (x, y)), ("tf.data", (dataset,)), ("PyDataset", (Batches(),))]
        for kind, data in kinds:
            with chosen.scope():
                model = keras.Sequential([
                    keras.Input((4,)),
                    keras.layers.Dense(8, activation="relu"),
                    keras.layers.Dense(1, activation="sigmoid"),
                ])
                optimizer = keras.optimizers.Adam(scaled_learning_rate(5e-3))
                model.compile(optimizer, "binary_crossentropy")
            extra = {"batch_size": batch} if kind == "arrays" else {}
            history = model.fit(*data, epochs=10, verbose=0, **extra)
            losses = history.history["loss"]
            assert losses[-1] < losses[0], (kind, losses)
            print(kind, "replicas", chosen.num_replicas_in_sync, "loss", losses[0], losses[-1])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for kind in ("arrays", "tf.data", "PyDataset"):
        assert f"{kind} replicas 2" in result.stdout, result.stdout


def test_tf_config_with_two_workers_is_multi_worker(monkeypatch):
    from common import distribute

    monkeypatch.setenv(
        "TF_CONFIG",
        '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}',
    )
    assert distribute._workers_in_tf_config() == 2
    monkeypatch.setenv("TF_CONFIG", "not json")
    assert distribute._workers_in_tf_config() == 0
