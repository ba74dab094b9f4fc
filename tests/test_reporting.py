"""common.reporting: bars, the run folder and metrics.json."""

import json

import pytest

from common.config import BaseConfig
from common.reporting import (
    Run,
    accuracy_and_macro_f1,
    atomic_write,
    bar_conditions,
    check_bar,
    markdown_table,
    reference_value,
    write_keeping_notes,
)


def test_bar_is_a_list_of_conditions_that_must_all_hold():
    bar = [("cnn_accuracy", ">=", 0.5), ("cnn_accuracy", ">", "fcn_accuracy")]
    assert check_bar({"cnn_accuracy": 0.58, "fcn_accuracy": 0.43}, bar)
    assert not check_bar({"cnn_accuracy": 0.58, "fcn_accuracy": 0.60}, bar)
    assert not check_bar({"cnn_accuracy": 0.45, "fcn_accuracy": 0.40}, bar)
    assert not check_bar({"cnn_accuracy": 0.58, "fcn_accuracy": float("nan")}, bar)
    assert bar_conditions(("loss", "<=", 1.0)) == [("loss", "<=", 1.0)]
    with pytest.raises(ValueError, match="at least one"):
        bar_conditions([])
    with pytest.raises(ValueError, match="bad bar condition"):
        bar_conditions([("loss", "<=")])


def test_a_condition_may_ask_for_a_gain_over_another_metric():
    bar = [("f1", ">=", 8.0), ("f1", ">=", "first_k_f1 + 5")]
    assert check_bar({"f1": 13.4, "first_k_f1": 8.3}, bar)
    assert not check_bar({"f1": 13.4, "first_k_f1": 8.5}, bar)
    assert reference_value({"psnr": 33.7}, "psnr - 0.5") == pytest.approx(33.2)
    assert reference_value({}, 2.5) == 2.5
    with pytest.raises(ValueError, match="bad bar reference"):
        bar_conditions([("f1", ">=", "first_k_f1 * 2")])


def test_finish_records_the_headline_and_every_condition(tmp_path):
    config = BaseConfig(quick=False, output_dir=str(tmp_path))
    bar = [("mae", "<", 3.0), ("mae", "<", "mean_mae")]
    record = Run("demo", config).finish({"mae": 2.5, "mean_mae": 59.1}, bar)
    assert record["headline"] == {"metric": "mae", "value": 2.5}
    assert [c["holds"] for c in record["bar"]["conditions"]] == [True, True]
    assert record["bar"]["text"] == "mae < 3.0 and mae < mean_mae"
    assert [c["reference"] for c in record["bar"]["conditions"]] == [3.0, 59.1]
    record = Run("demo", config).finish({"mae": 3.5, "mean_mae": 59.1}, bar)
    assert not record["passed"] and [c["holds"] for c in record["bar"]["conditions"]] == [
        False,
        True,
    ]


def test_markdown_table():
    table = markdown_table(
        [{"model": "cnn", "accuracy": 0.58712}, {"model": "fcn", "accuracy": None}]
    )
    lines = table.splitlines()
    assert len(lines) == 4 and "model" in lines[0] and "accuracy" in lines[0]
    assert "0.5871" in lines[2] and lines[3].rstrip().endswith("|")


def test_check_bar():
    assert check_bar({"accuracy": 0.9}, ("accuracy", ">=", 0.86))
    assert not check_bar({"accuracy": 0.8}, ("accuracy", ">=", 0.86))
    assert check_bar({"loss": 1.5}, ("loss", "<=", 1.6))
    assert not check_bar({"loss": float("nan")}, ("loss", "<=", 1.6))
    with pytest.raises(ValueError, match="bad bar condition"):
        check_bar({"loss": 1.0}, ("loss", "==", 1.0))
    with pytest.raises(KeyError):
        check_bar({}, ("loss", "<=", 1.0))


def test_run_writes_metrics_history_and_figure(tmp_path):
    import matplotlib.pyplot as plt

    config = BaseConfig(quick=True, output_dir=str(tmp_path / "out"))
    run = Run("demo", config)
    assert not (tmp_path / "out").exists()  # nothing written before the first output
    run.add_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, model="a")
    figure, axis = plt.subplots()
    axis.plot([1, 2])
    run.save_figure(figure, "curve.png")
    record = run.finish({"loss": 0.5}, ("loss", "<=", 0.6))
    saved = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert saved == record
    assert saved["passed"] is True and saved["mode"] == "quick" and saved["seed"] == 42
    assert saved["bar"]["text"] == "loss <= 0.6" and saved["config"]["quick"] is True
    assert saved["headline"] == {"metric": "loss", "value": 0.5}
    assert "python" in saved["versions"] and saved["device"]
    assert (tmp_path / "out" / "history.csv").read_text().splitlines()[
        0
    ] == "model,epoch,loss,val_loss"
    assert (tmp_path / "out" / "curve.png").stat().st_size > 1000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "curve.png",
        "history.csv",
        "metrics.json",
    ]


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    class Boom:
        def __str__(self):
            raise RuntimeError

    atomic_write(tmp_path / "a.txt", "hello")
    with pytest.raises(TypeError):
        atomic_write(tmp_path / "b.txt", Boom())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_learning_curves_tick_whole_epochs():
    from common import plots

    figure = plots.learning_curves({"run": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}})
    ticks = figure.axes[0].get_xticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)
    lines = figure.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[1, 2], [1, 2]]


def test_a_run_folder_says_when_its_run_did_not_finish(tmp_path):
    out = tmp_path / "out"
    config = BaseConfig(output_dir=str(out))
    Run("demo", config).finish({"loss": 0.5}, [("loss", "<=", 0.6)])
    assert (out / "metrics.json").is_file()
    run = Run("demo", config)  # a second run into the same folder, interrupted after a write
    run.save_text("samples.txt", "new")
    assert not (out / "metrics.json").exists()  # never the old metrics beside the new files
    assert "has not finished" in (out / "RUN_INCOMPLETE.txt").read_text()
    run.finish({"loss": 0.4}, [("loss", "<=", 0.6)])
    assert not (out / "RUN_INCOMPLETE.txt").exists()
    assert json.loads((out / "metrics.json").read_text())["metrics"]["loss"] == 0.4


@pytest.mark.parametrize("where", ["through_a_file", "proc"])
def test_an_unwritable_output_folder_is_an_input_error_that_writes_nothing(tmp_path, where):
    from common.errors import InputError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    folder = blocker / "out" if where == "through_a_file" else "/proc/keras-assignments-test/out"
    with pytest.raises(InputError, match="output folder"):
        Run("demo", BaseConfig(output_dir=str(folder)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_training_interrupted_then_resumed_from_the_run_folder(tmp_path):
    import keras
    import numpy as np

    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    def model():
        keras.utils.set_random_seed(0)
        built = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        built.compile("sgd", "mse")
        return built

    config = BaseConfig(output_dir=str(tmp_path / "out"))
    run = Run("demo", config)
    with pytest.raises(KeyboardInterrupt):
        model().fit(
            x, y, epochs=5, verbose=0, callbacks=[*run.training_callbacks("m"), Interrupt()]
        )
    log = tmp_path / "out" / "history_m.csv"
    assert len(log.read_text().splitlines()) == 1 + 2  # the two finished epochs, already on disk
    assert (tmp_path / "out" / "RUN_INCOMPLETE.txt").is_file()

    run = Run("demo", config)  # run again with the same output folder: resumes at epoch 3
    history = model().fit(x, y, epochs=5, verbose=0, callbacks=run.training_callbacks("m"))
    assert len(history.history["loss"]) == 3
    assert [row.split(",")[0] for row in log.read_text().splitlines()] == ["epoch", *"01234"]
    run.finish({"loss": history.history["loss"][-1]}, [("loss", ">=", 0)])
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_run_sets_the_dtype_policy_of_its_flags(tmp_path):
    import keras

    Run("demo", BaseConfig(output_dir=str(tmp_path), mixed_precision=True))
    try:
        assert keras.config.dtype_policy().name == "mixed_float16"
        assert keras.layers.Dense(2).dtype_policy.compute_dtype == "float16"
    finally:
        Run("demo", BaseConfig(output_dir=str(tmp_path)))
    assert keras.config.dtype_policy().name == "float32"


def test_quick_runs_log_epochs_but_keep_no_checkpoints(tmp_path):
    import keras

    quick = Run("demo", BaseConfig(output_dir=str(tmp_path / "q"), quick=True))
    full = Run("demo", BaseConfig(output_dir=str(tmp_path / "f")))
    kinds = lambda run: [type(c).__name__ for c in run.training_callbacks("m")]
    assert kinds(quick) == ["CSVLogger"]
    assert kinds(full) == ["BackupAndRestore", "CSVLogger"]
    assert isinstance(full.training_callbacks("m")[0], keras.callbacks.BackupAndRestore)


def test_accuracy_and_macro_f1_by_hand():
    # class 0: precision 1, recall 1/2 -> F1 2/3; class 1: precision 2/3, recall 1 -> F1 4/5
    accuracy, macro_f1 = accuracy_and_macro_f1([0, 0, 1, 1], [0, 1, 1, 1])
    assert accuracy == pytest.approx(0.75)
    assert macro_f1 == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_write_keeping_notes_keeps_the_hand_written_section(tmp_path):
    report = tmp_path / "bench.md"
    write_keeping_notes(report, "# Table\n\n| a |\n", "## Notes")  # no old file: the table
    assert report.read_text() == "# Table\n\n| a |\n"
    report.write_text("# Table\n\n| old |\n\n## Notes\n\nwritten by hand\n")
    write_keeping_notes(report, "# Table\n\n| new |\n", "## Notes")
    assert report.read_text() == "# Table\n\n| new |\n\n## Notes\n\nwritten by hand\n"
    assert [p.name for p in tmp_path.iterdir()] == ["bench.md"]  # no temporary file left
