"""The options every tf.data input pipeline of the suite uses.

At each epoch boundary `fit` replaces its data iterator, and the old
iterator's teardown can wait for tf.data's autotuning thread with the CPU
idle: 8.6-10 s per boundary measured on 50-step CIFAR-10 epochs on a 2-core
CPU (../shared/STACK.md); with autotuning off the boundary took 0.02 s and
the step time was unchanged. So autotuning is off, and pipelines say their
parallelism themselves (`PARALLEL_CALLS`, `PREFETCH`). Deterministic order
is kept (`deterministic = True`), so a seed gives the same batches.
"""

from __future__ import annotations

import os

# Parallel map calls and prefetched batches when autotuning is off: one per core
# (the map functions here are light), and two batches ahead of the model.
PARALLEL_CALLS = max(1, min(8, os.cpu_count() or 1))
PREFETCH = 2


def input_options():
    """`tf.data.Options` with autotuning off and a deterministic order."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.deterministic = True
    return options


def with_input_options(dataset):
    """`dataset` with the suite's `input_options()` (call it on the finished pipeline)."""
    return dataset.with_options(input_options())
