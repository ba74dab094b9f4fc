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


def random_crop_flip_rotate(tensors, size: int, seed):
    """A random `size` x `size` crop, left-right and up-down flips and a 90-degree rotation.

    An image and its target (a density map, a high-resolution image) given
    together get the same crop and turns: each is cut at the same offsets
    first, then the crops are stacked along the channels and turned as one.
    Cutting before stacking copies only the crops (0.47 instead of 0.82-1.15
    CPU ms per 64-pixel crop of a 256 x 256 image and density map, measured
    on 2 AMD EPYC cores), and the result is bit-identical to
    `tf.image.stateless_random_crop` of the stacked tensor.

    Args:
        tensors: a tensor (height, width, channels) or a tuple / list of
            tensors of the same height and width (>= `size`) and dtype.
        size: side of the square crop in pixels.
        seed: int32/int64 (2,) stateless seed (from `map_with_seeds`).

    Returns:
        One tensor of shape (size, size, all channels) in the input's dtype,
        the crops stacked in the order given.
    """
    import tensorflow as tf

    parts = list(tensors) if isinstance(tensors, (tuple, list)) else [tensors]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4)
    # The offsets tf.image.stateless_random_crop draws for the stacked tensor.
    shape = tf.shape(parts[0])
    limit = tf.stack([shape[0] - size + 1, shape[1] - size + 1, 1])
    tf.debugging.assert_positive(limit, f"the crop of {size} pixels is larger than the image")
    offset = (
        tf.random.stateless_uniform((3,), seeds[0], maxval=tf.int32.max, dtype=tf.int32) % limit
    )
    crops = [tf.slice(part, offset, [size, size, -1]) for part in parts]
    crop = crops[0] if len(crops) == 1 else tf.concat(crops, axis=-1)
    crop = tf.image.stateless_random_flip_left_right(crop, seeds[1])
    crop = tf.image.stateless_random_flip_up_down(crop, seeds[2])
    turns = tf.random.stateless_uniform((), seeds[3], minval=0, maxval=4, dtype=tf.int32)
    return tf.image.rot90(crop, k=turns)
