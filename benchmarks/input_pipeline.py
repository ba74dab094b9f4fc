"""The idle gap at epoch boundaries: tf.data autotuning on (plain Keras) vs the suite's options.

    ASSIGNMENTS_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/input_pipeline.py \
        [--epochs 4] [--steps 50] [--repeats 2]

The CIFAR-10 CNN of `cifar10_fcn_cnn` (quick size: one convolution per block)
trained on real CIFAR-10 batches of 64, augmented, fed two ways that differ
only in the pipeline's options: "autotune" is the keras.io pattern
(`num_parallel_calls=tf.data.AUTOTUNE`, `prefetch(tf.data.AUTOTUNE)`, default
options); "suite" is `common.datasets.pipeline` (`map_with_seeds` with a
fixed parallelism, `prefetched`: autotuning off, deterministic). The two
alternate (A/B, `--repeats` times, medians). A callback records, per epoch,
the time from `on_epoch_begin` to `on_epoch_end` (steps plus the end-of-epoch
work) and the gap from one epoch's end to the next one's begin (where `fit`
replaces its iterator). Writes benchmarks/input_pipeline.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from assignments import cifar10_fcn_cnn as cifar  # noqa: E402
from common.datasets.cifar10 import load_cifar10  # noqa: E402
from common.reporting import cpu_model, markdown_table  # noqa: E402


class EpochClock(keras.callbacks.Callback):
    """Wall seconds of each epoch and of the gap before it (from the previous epoch's end)."""

    def __init__(self):
        super().__init__()
        self.epochs, self.gaps, self._end = [], [], None

    def on_epoch_begin(self, epoch, logs=None):
        self._begin = time.perf_counter()
        if self._end is not None:
            self.gaps.append(self._begin - self._end)

    def on_epoch_end(self, epoch, logs=None):
        self._end = time.perf_counter()
        self.epochs.append(self._end - self._begin)


def autotuned_dataset(images, labels, batch_size, seed):
    """The keras.io pattern: stateful generator, AUTOTUNE parallelism and prefetch."""
    generator = tf.random.Generator.from_seed(seed)

    def prepare(batch_images, batch_labels):
        seed_pair = generator.make_seeds(1)[:, 0]
        return cifar.augment_images(tf.cast(batch_images, tf.float32), seed_pair), batch_labels

    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    dataset = dataset.shuffle(len(images), seed=seed).batch(batch_size)
    return dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def run(kind, images, labels, epochs, batch_size, seed):
    """Train a fresh quick-size CNN; return (median epoch s, median gap s, total fit s)."""
    keras.utils.set_random_seed(seed)
    if kind == "suite":
        dataset = cifar.make_dataset(images, labels, batch_size, seed, augment_seed=seed)
    else:
        dataset = autotuned_dataset(images, labels, batch_size, seed)
    model = cifar.build_cnn(filters=(32, 64, 128), convs_per_block=1)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    clock = EpochClock()
    started = time.perf_counter()
    model.fit(dataset, epochs=epochs, callbacks=[clock], verbose=0)
    total = time.perf_counter() - started
    return statistics.median(clock.epochs[1:]), statistics.median(clock.gaps), total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50, help="steps per epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    (x_train, y_train), _, source = load_cifar10()
    images = x_train[: args.steps * args.batch_size]
    labels = y_train[: args.steps * args.batch_size]
    results = {"autotune": [], "suite": []}
    for repeat in range(args.repeats):
        for kind in ("autotune", "suite") if repeat % 2 == 0 else ("suite", "autotune"):
            results[kind].append(run(kind, images, labels, args.epochs, args.batch_size, 42))
            print(kind, "epoch / gap / fit seconds:", [round(v, 3) for v in results[kind][-1]])
    rows = [
        {
            "pipeline": kind,
            "epoch s (median)": statistics.median(r[0] for r in runs),
            "gap between epochs s (median)": statistics.median(r[1] for r in runs),
            "whole fit s (median)": statistics.median(r[2] for r in runs),
        }
        for kind, runs in results.items()
    ]
    text = (
        "# Input pipeline: the gap at epoch boundaries\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} with `benchmarks/input_pipeline.py` on "
        f"{os.cpu_count()} CPU cores ({cpu_model()}); CIFAR-10 ({source}), quick-size CNN, "
        f"{args.steps} steps of {args.batch_size} per epoch, {args.epochs} epochs, "
        f"{args.repeats} A/B repeats; load average after the run {os.getloadavg()[0]:.1f}.\n\n"
        f"{markdown_table(rows)}\n\n"
        "The epoch column runs from `on_epoch_begin` to `on_epoch_end` (the first epoch, with "
        "tracing, left out); the gap from one epoch's end to the next one's begin. With Keras "
        "3.15 the old iterator's teardown falls inside the epoch column, not in the gap.\n"
    )
    (ROOT / "benchmarks" / "input_pipeline.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
