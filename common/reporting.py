"""Run folders: metrics.json, history.csv, figures, models and text outputs.

Every assignment writes `runs/<name>/` (or `--output-dir`):

- `metrics.json`: assignment, mode, metrics, bar, passed, seconds, config,
  seed, library versions and device;
- `history.csv`: one row per epoch (several models: a `model` column);
- figures as PNG, the trained model(s) as `.keras`, text outputs.

Files are written to a temporary name and renamed, so an interrupted run
never leaves a half-written file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common import paths
from common.errors import InputError
from common.files import atomic_path, atomic_write

__all__ = ["Run", "atomic_write", "bar_conditions", "check_bar", "format_bar", "markdown_table"]

OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def bar_conditions(bar: Sequence) -> list[tuple[str, str, float]]:
    """A bar as a list of (metric, comparison, value) conditions.

    A bar is a list of conditions that must all hold, the first naming the
    headline metric; a single condition tuple is accepted as a one-item bar.
    """
    if len(bar) and isinstance(bar[0], str):
        bar = [bar]
    conditions = [tuple(condition) for condition in bar]
    if not conditions:
        raise ValueError("a bar needs at least one condition")
    for condition in conditions:
        if len(condition) != 3 or condition[1] not in OPERATORS:
            raise ValueError(
                f"bad bar condition {condition!r}; use (metric, one of {sorted(OPERATORS)}, value)"
            )
        if isinstance(condition[2], str):
            _reference_parts(condition[2])  # raises ValueError when malformed
    return conditions


# A condition's value may name a metric, with an offset: "first_k_f1 + 5".
_REFERENCE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+(?:\.\d*)?(?:e-?\d+)?))?\s*$")


def _reference_parts(value: str) -> tuple[str, str | None, str | None]:
    """(metric, sign, offset) of a reference such as "first_k_f1 + 5"; ValueError if malformed."""
    match = _REFERENCE.match(value)
    if not match:
        raise ValueError(f"bad bar reference {value!r}; use a number, 'metric' or 'metric + 5'")
    return match.groups()


def reference_value(metrics: Mapping[str, float], value: float | str) -> float:
    """The number a condition compares with: `value`, or the metric it names plus its offset.

    Example: `reference_value({"first_k_f1": 8.4}, "first_k_f1 + 5")` is 13.4.

    Raises:
        KeyError: the named metric is not in `metrics`.
        ValueError: `value` is a string that is not `metric`, `metric + x` or `metric - x`.
    """
    if not isinstance(value, str):
        return float(value)
    name, sign, offset = _reference_parts(value)
    base = float(metrics[name])
    if not sign:
        return base
    return base + float(offset) if sign == "+" else base - float(offset)


def check_condition(metrics: Mapping[str, float], condition: Sequence) -> bool:
    """Whether one condition (metric, comparison, value) holds; NaN never does.

    The value may name another metric (a string), with an offset:
    `("cnn_accuracy", ">", "fcn_accuracy")` compares two measured numbers,
    `("f1", ">=", "first_k_f1 + 5")` asks for a gain of 5 points.

    Raises:
        KeyError: a metric named by the condition is not in `metrics`.
    """
    name, comparison, value = condition
    measured = float(metrics[name])
    reference = reference_value(metrics, value)
    if math.isnan(measured) or math.isnan(reference):
        return False
    return OPERATORS[comparison](measured, reference)


def check_bar(metrics: Mapping[str, float], bar: Sequence) -> bool:
    """Whether `metrics` reaches `bar`: every condition (metric, comparison, value) holds.

    Example: `check_bar({"accuracy": 0.9}, [("accuracy", ">=", 0.86)])` is True.

    Raises:
        KeyError: a bar's metric is not in `metrics`.
        ValueError: an unknown comparison (allowed: <=, >=, <, >).
    """
    conditions = bar_conditions(bar)
    return all([check_condition(metrics, condition) for condition in conditions])


def format_bar(bar: Sequence) -> str:
    """The bar as text: `[("acc", ">=", 0.8), ("f1", ">", "f0")]` -> `acc >= 0.8 and f1 > f0`."""
    return " and ".join(f"{n} {c} {v}" for n, c, v in bar_conditions(bar))


def markdown_table(rows: Sequence[Mapping[str, Any]], floatfmt: str = ".4g") -> str:
    """Rows of dicts (the same keys) as a GitHub Markdown table (pandas + tabulate).

    Floats are shown with `floatfmt`; None as an empty cell.
    """
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    return frame.to_markdown(index=False, floatfmt=floatfmt, missingval="")


def write_keeping_notes(path: str | os.PathLike, text: str, heading: str) -> Path:
    """Write a regenerated report to `path`, keeping the old file's hand-written notes.

    Benchmarks rewrite their tables on every run; whatever the old file has
    from the line `heading` on (e.g. "## Reading the table", notes written by
    hand) is appended to `text`, so a re-run keeps them. Written atomically;
    returns the path.
    """
    path = Path(path)
    marker = "\n" + heading
    old = path.read_text() if path.is_file() else ""
    if marker in old:
        text += marker + old.split(marker, 1)[1]
    return atomic_write(path, text)


def library_versions() -> dict[str, str]:
    """Versions of the libraries a result depends on (those already imported)."""
    versions = {"python": platform.python_version()}
    for module in ("keras", "tensorflow", "jax", "torch", "numpy", "sklearn", "keras_hub"):
        if module in sys.modules:
            versions[module] = getattr(sys.modules[module], "__version__", "?")
    return versions


def cpu_model() -> str:
    """The processor's model name (`/proc/cpuinfo`), else `platform.machine()`, e.g. "AMD EPYC".

    This project's machine kind does not always get the same processor, and
    convolution speed differs by up to 3x between them, so timings name it.
    """
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def device_description() -> str:
    """A short description of the hardware, e.g. `CPU x2 (x86_64)` or `GPU x1 (NVIDIA H100)`."""
    cpu = f"CPU x{os.cpu_count()} ({platform.machine()})"
    try:
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
                return f"GPU x{len(gpus)} ({name}), {cpu}"
        elif keras.backend.backend() == "jax":
            import jax

            devices = [d for d in jax.devices() if d.platform != "cpu"]
            if devices:
                device = devices[0]
                return f"{device.platform.upper()} x{len(devices)} ({device.device_kind}), {cpu}"
    except Exception:  # device queries are best-effort
        pass
    return cpu


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, Path):
        return str(value)
    return value


INCOMPLETE = "RUN_INCOMPLETE.txt"


def check_writable_folder(
    directory: Path,
    what: str = "output folder",
    remedy: str = "pass --output-dir with a writable folder",
) -> None:
    """Check that `directory` exists as a writable folder or can be created; create nothing.

    Args:
        directory: the folder.
        what, remedy: how the error message names the folder and what it tells the user to do.

    Raises:
        InputError: a path through a regular file, or a folder that cannot be
            written (no permission, a read-only or virtual file system).
    """
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(
            f"the {what} {directory} cannot be created: {existing} is a file; {remedy}"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".write-check-", dir=existing))
    except OSError as error:
        raise InputError(
            f"the {what} {directory} cannot be written ({error.strerror or error}); {remedy}"
        ) from None


class Run:
    """The output folder of one assignment run.

    Create it at the start of `main()` (its clock starts then): the folder is
    checked at once (bad `--output-dir` is an InputError before any
    training) but made only on the first write, so bad input found while
    loading leaves no folder behind. From the first write until `finish()`
    the folder holds `RUN_INCOMPLETE.txt` and no metrics.json (an earlier
    run's is removed), so a folder either holds one complete run or says
    that its run did not finish.

    Creating it also sets Keras's dtype policy for the run: "mixed_float16"
    with `--mixed-precision`, else "float32" (models built after it follow).

    Args:
        assignment: the assignment's name, e.g. "autoencoder".
        config: the run's Config dataclass (`output_dir`, `quick`, `seed`,
            `mixed_precision` are read).

    Raises:
        InputError: the output folder cannot be created or written.
    """

    def __init__(self, assignment: str, config: Any):
        self.assignment = assignment
        self.config = config
        self.started = time.perf_counter()
        self.directory = Path(config.output_dir or Path("runs") / assignment)
        check_writable_folder(self.directory)
        check_writable_folder(  # the cache too, before any data is read
            paths.cache_root(), "cache folder", f"set ${paths.CACHE_ENV} to a writable folder"
        )
        self.files: list[str] = []
        self._history_rows: list[dict] = []
        self._opened = False
        if getattr(config, "mixed_precision", None) is not None:  # process-wide: set it each run
            import keras

            policy = "mixed_float16" if config.mixed_precision else "float32"
            keras.config.set_dtype_policy(policy)

    def path(self, name: str) -> Path:
        """The path of an output file called `name` in the run folder (folder created)."""
        if not self._opened:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / "metrics.json").unlink(missing_ok=True)
            atomic_write(
                self.directory / INCOMPLETE,
                f"The {self.assignment} run that writes this folder started at "
                f"{time.strftime('%Y-%m-%d %H:%M:%S')} and has not finished: files here may be "
                "partial or left from an earlier run. metrics.json appears when it finishes.\n",
            )
            self._opened = True
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def training_callbacks(self, name: str) -> list:
        """Callbacks that make one model's `fit` resumable and log each epoch as it ends.

        In a full run, `keras.callbacks.BackupAndRestore` keeps the training
        state in `checkpoints/<name>/` of the run folder (deleted when training
        completes), so running again with the same `--output-dir` after an
        interruption (Ctrl-C, a Colab disconnect) resumes at the last finished
        epoch; quick runs (under 90 s) skip it. `keras.callbacks.CSVLogger`
        writes `history_<name>.csv` row by row (appending when resuming).
        """
        import keras

        backup = self.path(f"checkpoints/{name}")
        resuming = backup.is_dir() and any(backup.iterdir())
        log = self.path(f"history_{name}.csv")
        self.files.append(log.name)
        callbacks = [keras.callbacks.CSVLogger(str(log), append=resuming)]
        if not self.config.quick:
            callbacks.insert(
                0, keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=True)
            )
        return callbacks

    def _written(self, path: Path) -> Path:
        self.files.append(path.name)
        return path

    def save_figure(self, figure, name: str) -> Path:
        """Save a matplotlib figure as PNG (150 dpi); show it in notebooks, then close it."""
        import matplotlib.pyplot as plt

        from common.plots import in_notebook

        path = self.path(name)
        with atomic_path(path, suffix=".png") as temporary:
            figure.savefig(temporary, dpi=150, bbox_inches="tight")
        if in_notebook():
            plt.show()
        plt.close(figure)
        return self._written(path)

    def save_text(self, name: str, text: str) -> Path:
        """Save a text output (samples, reports)."""
        return self._written(atomic_write(self.path(name), text))

    def save_json(self, name: str, data: Any) -> Path:
        """Save JSON (numpy values converted)."""
        return self._written(atomic_write(self.path(name), json.dumps(_jsonable(data), indent=2)))

    def save_model(self, model, name: str | None = None) -> Path:
        """Save a Keras model as `.keras` (default name: `<assignment>.keras`)."""
        path = self.path(name or f"{self.assignment}.keras")
        with atomic_path(path, suffix=".keras") as temporary:
            model.save(temporary)
        return self._written(path)

    def add_history(self, history, **labels: Any) -> None:
        """Record a Keras `History` (or a dict of per-epoch lists) for history.csv.

        `labels` (e.g. `model="latent_32"`) become extra columns, so several
        models' histories share one file.
        """
        logs = history.history if hasattr(history, "history") else history
        epochs = max((len(v) for v in logs.values()), default=0)
        for epoch in range(epochs):
            row = {**labels, "epoch": epoch + 1}
            row.update({k: float(v[epoch]) for k, v in logs.items() if epoch < len(v)})
            self._history_rows.append(row)

    def finish(
        self, metrics: Mapping[str, Any], bar: Sequence, extra: Mapping[str, Any] | None = None
    ) -> dict:
        """Write history.csv and metrics.json, print a summary, return the metrics record.

        Args:
            metrics: name -> measured value (floats).
            bar: the conditions (metric, comparison, value) this mode must
                reach, all of them; the first names the headline metric.
            extra: anything else worth keeping (tables, per-class numbers).

        Returns:
            The dict written to metrics.json; `passed` says whether the bar was reached.
        """
        if self._history_rows:
            import pandas as pd

            atomic_write(
                self.path("history.csv"), pd.DataFrame(self._history_rows).to_csv(index=False)
            )
            self.files.append("history.csv")
        conditions = bar_conditions(bar)
        results = [check_condition(metrics, condition) for condition in conditions]
        passed = all(results)
        headline = conditions[0][0]
        record = {
            "assignment": self.assignment,
            "mode": "quick" if self.config.quick else "full",
            "metrics": dict(metrics),
            "headline": {"metric": headline, "value": metrics[headline]},
            "bar": {
                "conditions": [
                    {
                        "metric": n,
                        "comparison": c,
                        "value": v,
                        "reference": reference_value(metrics, v),
                        "measured": metrics[n],
                        "holds": ok,
                    }
                    for (n, c, v), ok in zip(conditions, results)
                ],
                "text": format_bar(conditions),
            },
            "passed": passed,
            "seconds": round(time.perf_counter() - self.started, 1),
            "config": self.config,
            "seed": self.config.seed,
            "versions": library_versions(),
            "device": device_description(),
            "files": sorted(set(self.files)),
        }
        if extra:
            record["extra"] = dict(extra)
        record = _jsonable(record)
        atomic_write(self.path("metrics.json"), json.dumps(record, indent=2))
        (self.directory / INCOMPLETE).unlink(missing_ok=True)
        checkpoints = self.directory / "checkpoints"
        if checkpoints.is_dir() and not any(checkpoints.rglob("*")):
            checkpoints.rmdir()
        print(
            f"\n{self.assignment} ({record['mode']}) in {record['seconds']} s: "
            f"{'PASS' if passed else 'MISS'}; results in {self.directory}"
        )
        for condition in record["bar"]["conditions"]:
            reference = condition["value"]
            if isinstance(reference, str):
                reference = f"{reference} = {condition['reference']:.6g}"
            print(
                f"  {'ok  ' if condition['holds'] else 'MISS'} {condition['metric']} = "
                f"{condition['measured']} (bar: {condition['comparison']} {reference})"
            )
        return record


def accuracy_and_macro_f1(y_true: Sequence[int], predicted: Sequence[int]) -> tuple[float, float]:
    """Accuracy and macro-averaged F1 (scikit-learn) of predicted class ids against y_true (n,)."""
    from sklearn.metrics import accuracy_score, f1_score

    return float(accuracy_score(y_true, predicted)), float(
        f1_score(y_true, predicted, average="macro")
    )


def classification_scores(
    y_true: Sequence[int],
    predictions: Mapping[str, tuple[Sequence[int], str]],
    names: Mapping[str, str],
) -> tuple[dict[str, float], str]:
    """Accuracy and macro-F1 (scikit-learn) of several classifiers on the same labels.

    Args:
        y_true: integer class ids, shape (n,).
        predictions: key -> (predicted class ids (n,), a note on the model's
            setting such as the chosen hyper-parameter).
        names: key -> the model's name in the table.

    Returns:
        ({"<key>_test_accuracy": ..., "<key>_test_macro_f1": ...} for every key,
        a Markdown table: model, setting, test accuracy, test macro-F1, 3 decimals).
    """
    metrics, rows = {}, []
    for key, (predicted, setting) in predictions.items():
        accuracy, macro_f1 = accuracy_and_macro_f1(y_true, predicted)
        metrics.update({f"{key}_test_accuracy": accuracy, f"{key}_test_macro_f1": macro_f1})
        row = {"model": names[key], "setting": setting, "test accuracy": accuracy}
        rows.append({**row, "test macro-F1": macro_f1})
    return metrics, markdown_table(rows, floatfmt=".3f")
