"""common.reporting: bars, the run folder and metrics.json."""

import json

import pytest

from common.config import BaseConfig
from common.reporting import Run, atomic_write, bar_conditions, check_bar, markdown_table


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


def test_finish_records_the_headline_and_every_condition(tmp_path):
    config = BaseConfig(quick=False, output_dir=str(tmp_path))
    bar = [("mae", "<", 3.0), ("mae", "<", "mean_mae")]
    record = Run("demo", config).finish({"mae": 2.5, "mean_mae": 59.1}, bar)
    assert record["headline"] == {"metric": "mae", "value": 2.5}
    assert [c["holds"] for c in record["bar"]["conditions"]] == [True, True]
    assert record["bar"]["text"] == "mae < 3.0 and mae < mean_mae"
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
