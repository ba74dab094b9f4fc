"""common.reporting: bars, the run folder and metrics.json."""

import json
from dataclasses import dataclass

import pytest

from common.config import BaseConfig
from common.reporting import Run, atomic_write, check_bar


def test_check_bar():
    assert check_bar({"accuracy": 0.9}, ("accuracy", ">=", 0.86))
    assert not check_bar({"accuracy": 0.8}, ("accuracy", ">=", 0.86))
    assert check_bar({"loss": 1.5}, ("loss", "<=", 1.6))
    assert not check_bar({"loss": float("nan")}, ("loss", "<=", 1.6))
    with pytest.raises(ValueError, match="unknown comparison"):
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
    assert "python" in saved["versions"] and saved["device"]
    assert (tmp_path / "out" / "history.csv").read_text().splitlines()[0] == "model,epoch,loss,val_loss"
    assert (tmp_path / "out" / "curve.png").stat().st_size > 1000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["curve.png", "history.csv", "metrics.json"]


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
