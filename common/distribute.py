"""Choosing a `tf.distribute` strategy for the hardware at hand, once, and the global batch.

    with distribute.strategy().scope():
        model = build_model(...)
        model.compile(optimizer=keras.optimizers.Adam(scaled_learning_rate(1e-3)), ...)
    model.fit(dataset.batch(global_batch_size(config.batch_size)), ...)

`--batch-size` is the batch of each replica (GPU, TPU core); the global batch
is that times the number of replicas, so each device's share stays the same
as devices are added. The learning rate follows the linear scaling rule
(Goyal et al. 2017, "Accurate, Large Minibatch SGD"): multiplied by the
number of replicas, so one epoch moves the weights as far as on one device.
On one device both are the identity.

Under a non-TensorFlow Keras backend (JAX) this returns a no-op stand-in with
the same `scope()` and `num_replicas_in_sync`, so scripts run unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os


class _SingleDevice:
    """Stand-in for the default strategy outside TensorFlow (e.g. the JAX backend)."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()

    def __repr__(self) -> str:
        return "SingleDevice()"


_CHOSEN: dict = {}


def strategy(prefer: str | None = None):
    """The best `tf.distribute.Strategy` available, created once per process (then reused).

    In order: TPUStrategy (a TPU is attached, e.g. Colab TPU),
    MultiWorkerMirroredStrategy (`TF_CONFIG` names more than one worker),
    MirroredStrategy (more than one GPU, or more than one logical CPU device
    when `prefer="mirrored"`), otherwise the default strategy.

    Args:
        prefer: None (automatic), "default" or "mirrored" to force a choice.

    Returns:
        A strategy with `.scope()` and `.num_replicas_in_sync`.

    Raises:
        ValueError: `prefer` is not None, "default" or "mirrored".
    """
    if prefer not in (None, "default", "mirrored"):
        raise ValueError(f"prefer must be None, 'default' or 'mirrored', got {prefer!r}")
    if prefer not in _CHOSEN:  # a TPU system must be initialised only once
        _CHOSEN[prefer] = _choose(prefer)
    return _CHOSEN[prefer]


def replicas() -> int:
    """How many replicas the chosen strategy trains on (1 on a CPU or one GPU)."""
    return strategy().num_replicas_in_sync


def global_batch_size(per_replica: int) -> int:
    """The global batch: `per_replica` examples on each replica (`--batch-size`)."""
    return per_replica * replicas()


def scaled_learning_rate(learning_rate: float) -> float:
    """The linear scaling rule: the one-device learning rate times the number of replicas."""
    return learning_rate * replicas()


def _choose(prefer: str | None):
    import keras

    if keras.backend.backend() != "tensorflow":
        return _SingleDevice()
    import tensorflow as tf

    if prefer == "default":
        return tf.distribute.get_strategy()
    if prefer == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    tpu = _tpu_resolver()
    if tpu is not None:
        tf.config.experimental_connect_to_cluster(tpu)
        tf.tpu.experimental.initialize_tpu_system(tpu)
        return tf.distribute.TPUStrategy(tpu)
    if _workers_in_tf_config() > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _tpu_resolver():
    if not (
        os.environ.get("COLAB_TPU_ADDR")
        or os.environ.get("TPU_NAME")
        or os.path.exists("/dev/accel0")
    ):
        return None
    import tensorflow as tf

    try:
        return tf.distribute.cluster_resolver.TPUClusterResolver()
    except (ValueError, RuntimeError):
        return None


def _workers_in_tf_config() -> int:
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError:
        return 0
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))
