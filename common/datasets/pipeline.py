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


def prefetched(dataset):
    """The last step of every input pipeline: `PREFETCH` batches ahead, the suite's options."""
    return with_input_options(dataset.prefetch(PREFETCH))


def map_with_seeds(dataset, function, seed: int):
    """`dataset.map`, each element handed its own seed for stateless random ops.

    `function(*element, seed)` gets, after the element's parts, an int64
    tensor of shape (2,) to pass to `tf.random.stateless_*` /
    `tf.image.stateless_random_*`. The seeds come from
    `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)` zipped
    with the data: element i of epoch e gets the same seed in every run with
    the same `seed`, whatever the number of parallel calls, and each epoch
    gets new ones. (A stateful `tf.random.Generator` shared by parallel map
    calls hands its numbers to whichever call comes first, so two runs of
    the same seed differed; plain `tf.random` ops replay the same numbers
    every epoch once a global seed is set.)
    """
    import tensorflow as tf

    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def call(element, element_seed):
        parts = element if isinstance(element, tuple) else (element,)
        return function(*parts, element_seed)

    return tf.data.Dataset.zip((dataset, seeds)).map(call, num_parallel_calls=PARALLEL_CALLS)


def random_crop_flip_rotate(tensor, size: int, seed):
    """A random `size` x `size` crop, left-right and up-down flips and a 90-degree rotation.

    Stack an image with its target (a density map, a high-resolution image)
    along the channels first, so the two get the same crop and turns.

    Args:
        tensor: (height, width, channels), height and width >= `size`.
        size: side of the square crop in pixels.
        seed: int32/int64 (2,) stateless seed (from `map_with_seeds`).

    Returns:
        A tensor of shape (size, size, channels) and the input's dtype.
    """
    import tensorflow as tf

    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4)
    crop = tf.image.stateless_random_crop(tensor, (size, size, tf.shape(tensor)[-1]), seeds[0])
    crop = tf.image.stateless_random_flip_left_right(crop, seeds[1])
    crop = tf.image.stateless_random_flip_up_down(crop, seeds[2])
    turns = tf.random.stateless_uniform((), seeds[3], minval=0, maxval=4, dtype=tf.int32)
    return tf.image.rot90(crop, k=turns)
