"""Training throughput: each assignment's input pipeline beside a plain `fit` on NumPy arrays.

    ASSIGNMENTS_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/throughput.py \
        [NAME ...] [--steps 20] [--epochs 2] [--repeats 2]

For each assignment, its quick `main` runs until it calls `fit` on its main
model (`MAIN_MODEL` names it where that is not the first `fit`); the call is
captured and the run stopped. The captured model is then trained
alternately (A/B, B/A, ...) on:

- "project": the data exactly as `main` gave it to `fit` (its tf.data
  pipeline, `PyDataset` or arrays), cut to `--steps` batches per epoch;
- "plain": the same batches materialised once into NumPy arrays and given to
  `fit(x, y, batch_size=...)`, the keras.io pattern (Keras then builds its own
  tf.data pipeline with its default, autotuned options);
- "autotuned" (tf.data pipelines only): the project's pipeline with tf.data's
  default autotuning switched back on, as a keras.io script that augments in
  tf.data runs it: the same work per step as "project", so this ratio isolates
  the suite's input options, where "plain" also leaves out on-the-fly
  augmentation.

After one untimed call per arm (tracing), each measurement is one `fit` call
of `--epochs` epochs, whole wall time, so the epoch boundary and the
end-of-`fit` teardown are in it; examples per second = examples x epochs /
seconds.
Medians over `--repeats`; ratio = project / plain. Assignments that train
nothing (rag) are skipped. Writes benchmarks/throughput.md.
"""

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common.reporting import cpu_model, markdown_table, write_keeping_notes  # noqa: E402
from run_all import built_assignments  # noqa: E402

# The model whose `fit` is measured, by a part of its name, where the first
# `fit` of main is not the assignment's main model.
MAIN_MODEL = {"cifar10_fcn_cnn": "cnn", "word_embeddings": "cnn"}
TRAINS_NOTHING = {"rag"}


class Captured(BaseException):
    """Raised from the patched `fit` to stop `main` once the main model's call is captured."""

    def __init__(self, model, args, kwargs):
        super().__init__("captured")
        self.model, self.args, self.kwargs = model, args, kwargs


def capture_fit(name: str, data_dir: str):
    """Run `name`'s quick main until its main model's `fit`; return (model, args, kwargs)."""
    module = importlib.import_module(f"assignments.{name}")
    wanted = MAIN_MODEL.get(name)
    original = keras.Model.fit

    def fit(model, *args, **kwargs):
        if wanted is None or wanted in model.name:
            raise Captured(model, args, kwargs)
        return original(model, *args, **kwargs)

    keras.Model.fit = fit
    try:
        with tempfile.TemporaryDirectory() as output:
            module.main(["--quick", "--data-dir", data_dir, "--output-dir", output])
    except Captured as captured:
        return captured.model, captured.args, captured.kwargs
    finally:
        keras.Model.fit = original
    raise RuntimeError(f"{name}: main finished without calling fit on its main model")


def first_batches(data, steps: int) -> list:
    """The first `steps` batches of a tf.data.Dataset or a PyDataset, as NumPy structures."""
    if isinstance(data, tf.data.Dataset):
        return [
            keras.tree.map_structure(np.asarray, b) for b in data.take(steps).as_numpy_iterator()
        ]
    return [keras.tree.map_structure(np.asarray, data[i]) for i in range(min(steps, len(data)))]


def as_arrays(batches: list):
    """Batches (x, y[, sample_weight]) concatenated into one such structure of arrays.

    Batches cut to their own width (bucketed token sequences) are zero-padded
    to the widest, as a plain script pads every sequence to one length.
    """

    def concatenate(*parts):
        if parts[0].ndim < 2:
            return np.concatenate(parts)
        width = max(part.shape[1] for part in parts)
        pad = lambda part: [(0, 0), (0, width - part.shape[1])] + [(0, 0)] * (part.ndim - 2)
        return np.concatenate([np.pad(part, pad(part)) for part in parts])

    return keras.tree.map_structure(concatenate, *batches)


def project_data(data, steps: int):
    """The project's pipeline cut to `steps` batches per epoch (fit kwargs to add)."""
    if isinstance(data, tf.data.Dataset):
        return data.take(steps), {}
    return data, {"steps_per_epoch": min(steps, len(data))}


def timed_fit(model, epochs: int, *args, **kwargs) -> float:
    started = time.perf_counter()
    model.fit(*args, epochs=epochs, verbose=0, **kwargs)
    return time.perf_counter() - started


def measure(name: str, data_dir: str, steps: int, epochs: int, repeats: int) -> dict:
    """One row of the table: examples/s of the project's pipeline and of plain arrays."""
    keras.backend.clear_session()
    model, args, kwargs = capture_fit(name, data_dir)
    data = args[0] if args else kwargs["x"]
    shared = {k: v for k, v in kwargs.items() if k in ("class_weight",)}
    if isinstance(data, (tf.data.Dataset, keras.utils.PyDataset)):
        batches = first_batches(data, steps)
        batch_size = len(keras.tree.flatten(batches[0])[0])
        structure = as_arrays(batches)
        x, y = structure[0], structure[1] if len(structure) > 1 else None
        weights = structure[2] if len(structure) > 2 else None
        pipeline, extra = project_data(data, steps)
        kind = type(data).__name__
    else:  # main already fits arrays: both arms are the plain pattern
        batch_size = kwargs.get("batch_size", 32)
        count = steps * batch_size
        x = keras.tree.map_structure(lambda a: a[:count], data)
        y = keras.tree.map_structure(
            lambda a: a[:count], args[1] if len(args) > 1 else kwargs.get("y")
        )
        weights, pipeline, extra, kind = None, None, {}, "arrays"
    examples = len(keras.tree.flatten(x)[0])
    arms = {
        "plain": lambda: timed_fit(
            model, epochs, x, y, batch_size=batch_size, sample_weight=weights, **shared
        ),
    }
    if pipeline is not None:
        arms["project"] = lambda: timed_fit(model, epochs, pipeline, **extra, **shared)
    if isinstance(pipeline, tf.data.Dataset):
        autotuned = tf.data.Options()
        autotuned.autotune.enabled = True  # tf.data's default, which the suite turns off
        arms["autotuned"] = lambda: timed_fit(
            model, epochs, pipeline.with_options(autotuned), **extra, **shared
        )
    for arm in arms.values():  # untimed: traces the train step for each kind of input
        arm()
    seconds = {arm: [] for arm in arms}
    for repeat in range(repeats):
        order = list(arms) if repeat % 2 == 0 else list(reversed(arms))  # A/B/C, C/B/A
        for arm in order:
            seconds[arm].append(arms[arm]())
            print(f"{name} {arm}: {seconds[arm][-1]:.2f} s", flush=True)
    rate = {arm: examples * epochs / statistics.median(s) for arm, s in seconds.items()}
    project = rate.get("project", rate["plain"])
    return {
        "assignment": name,
        "model": model.name,
        "project pipeline": kind,
        "batch": batch_size,
        "examples / epoch": examples,
        "project examples/s": round(project, 1),
        "plain examples/s": round(rate["plain"], 1),
        "ratio": round(project / rate["plain"], 2),
        "autotuned examples/s": round(rate["autotuned"], 1) if "autotuned" in rate else "-",
        "ratio to autotuned": round(project / rate["autotuned"], 2) if "autotuned" in rate else "-",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all that train)")
    parser.add_argument("--steps", type=int, default=20, help="batches per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per fit call")
    parser.add_argument("--repeats", type=int, default=2, help="fit calls per arm")
    args = parser.parse_args()
    data_dir = os.environ.get("ASSIGNMENTS_DATA_DIR")
    if not data_dir:
        parser.error("set ASSIGNMENTS_DATA_DIR to the data folder")
    names = args.names or [n for n in built_assignments() if n not in TRAINS_NOTHING]
    load_before = os.getloadavg()[0]
    rows = []
    for name in names:
        try:
            rows.append(measure(name, data_dir, args.steps, args.epochs, args.repeats))
        except Exception as error:  # one assignment's failure must not lose the others' rows
            print(f"{name}: {type(error).__name__}: {error}", flush=True)
            rows.append({"assignment": name, "model": f"failed: {type(error).__name__}"})
    command = "benchmarks/throughput.py " + " ".join(sys.argv[1:])
    text = (
        "# Training throughput: the project's pipelines against plain `fit` on arrays\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} with `{command.strip()}` on {os.cpu_count()} CPU "
        f"cores ({cpu_model()}), Keras {keras.__version__}, TensorFlow {tf.__version__}: "
        f"{args.steps} batches per epoch, {args.epochs} epochs per `fit` call (the epoch "
        f"boundary and the end of `fit` included; tracing done before), {args.repeats} "
        f"alternated calls per arm, medians. Load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after.\n\n"
        f"{markdown_table(rows)}\n\n"
        "Ratio above 1: the project's pipeline trains faster than the keras.io pattern on the "
        "same batches. Where main already fits arrays, only the plain arm runs (ratio 1). "
        "Ratio to autotuned: the project's tf.data pipeline against itself with tf.data's "
        "default autotuning (the same augmentation work per step).\n"
    )
    write_keeping_notes(ROOT / "benchmarks" / "throughput.md", text, "## Reading the table")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
