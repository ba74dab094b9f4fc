"""Bad input from the command line: one clear line on stderr, exit code 2, nothing written."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

import run_all


def run(args, tmp_path, **env):
    environment = {**os.environ, "ASSIGNMENTS_CACHE_DIR": str(tmp_path / "cache"), **env}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def error_lines(result):
    """stderr lines that are not TensorFlow / absl start-up chatter."""
    chatter = ("WARNING: All log messages", "I0000", "W0000", "E0000")
    return [
        line for line in result.stderr.splitlines() if line.strip() and not line.startswith(chatter)
    ]


def test_missing_data_with_no_network_exits_2(tmp_path):
    # An unreachable proxy stands in for "no network" on any machine.
    offline = {
        "ASSIGNMENTS_DATA_DIR": "",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    output = tmp_path / "out"
    result = run(
        ["assignments/autoencoder.py", "--quick", "--output-dir", str(output)], tmp_path, **offline
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: MNIST (mnist.npz) not found"), lines
    assert "mnist/mnist.npz" in lines[0] and "https://storage.googleapis.com" in lines[0]
    assert not output.exists()


@pytest.mark.parametrize(
    "script, message",
    [
        ("transfer_learning.py", "error: LFW-a (lfwa.tar.gz) not found"),
        ("siamese_network.py", "error: LFW pairs (pairsDevTrain.txt) not found"),
    ],
)
def test_missing_lfw_with_no_network_exits_2(tmp_path, script, message):
    offline = {
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
    }
    (tmp_path / "empty").mkdir()
    output = tmp_path / "out"
    result = run(
        [
            f"assignments/{script}",
            "--quick",
            "--data-dir",
            str(tmp_path / "empty"),
            "--output-dir",
            str(output),
        ],
        tmp_path,
        **offline,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not output.exists() and not (tmp_path / "empty" / "lfw").exists()


def test_nonexistent_data_dir_exits_2(tmp_path):
    output = tmp_path / "out"
    result = run(
        [
            "assignments/autoencoder.py",
            "--data-dir",
            str(tmp_path / "nope"),
            "--output-dir",
            str(output),
        ],
        tmp_path,
    )
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "does not exist" in lines[0], lines
    assert not output.exists()


@pytest.mark.skipif(
    not (ROOT / "assignments" / "text_generation.py").exists(), reason="text_generation not built"
)
def test_wrong_corpus_exits_2(tmp_path):
    result = run(["assignments/text_generation.py", "--corpus", "hamlet"], tmp_path)
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "invalid choice: 'hamlet'" in lines[0], lines


def test_wrong_flag_value_exits_2(tmp_path):
    result = run(["assignments/autoencoder.py", "--latent-dims", "0"], tmp_path)
    assert result.returncode == 2
    assert len(error_lines(result)) == 1 and "must be >= 1" in result.stderr


def test_run_all_unknown_only_name_exits_2(tmp_path):
    result = run(
        [
            "run_all.py",
            "--quick",
            "--only",
            "autoencoder,nonsense",
            "--output-dir",
            str(tmp_path / "runs"),
        ],
        tmp_path,
    )
    assert result.returncode == 2
    assert error_lines(result) == [
        "run_all.py: error: unknown assignment 'nonsense'; "
        f"choose from: {', '.join(run_all.built_assignments())}"
    ]
    assert not (tmp_path / "runs").exists()


def test_run_all_select():
    assert run_all.select("") == run_all.built_assignments()
    assert run_all.select(" autoencoder ") == ["autoencoder"]
    with pytest.raises(ValueError, match="unknown assignment"):
        run_all.select("nonsense")
    planned = [name for name in run_all.ASSIGNMENTS if name not in run_all.built_assignments()]
    if planned:
        with pytest.raises(ValueError, match="planned but not built"):
            run_all.select(planned[0])


def test_run_all_summary_table():
    conditions = [
        {"metric": "cnn_acc", "comparison": ">=", "value": 0.5, "measured": 0.587, "holds": True},
        {
            "metric": "cnn_acc",
            "comparison": ">",
            "value": "fcn_acc",
            "measured": 0.587,
            "holds": True,
        },
    ]
    rows = [
        {
            "assignment": "a",
            "metric": "cnn_acc",
            "value": 0.587,
            "conditions": conditions,
            "bar": "",
            "status": "pass",
            "seconds": 10.0,
        },
        {
            "assignment": "b",
            "metric": "",
            "value": None,
            "bar": "",
            "status": "crash",
            "seconds": 2.0,
        },
    ]
    table = run_all.summary_table(rows, quick=True)
    assert (
        "| a | cnn_acc | 0.587 | cnn_acc >= 0.5: 0.587; cnn_acc > fcn_acc: 0.587 | PASS | 10.0 |"
        in table
    )
    assert "| b |  |  |  | CRASH | 2.0 |" in table
    assert "1 of 2 passed" in table


def test_run_all_from_another_folder_keeps_relative_paths_there(tmp_path):
    """Relative --output-dir and --data-dir are relative to where run_all was started."""
    (tmp_path / "data").mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run_all.py"),
            "--quick",
            "--only",
            "autoencoder",
            "--output-dir",
            "out",
            "--data-dir",
            "data",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "ASSIGNMENTS_CACHE_DIR": str(tmp_path / "cache"),
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
        },
    )
    # The empty data folder makes the child stop with exit 2 (MNIST not found) before training.
    assert result.returncode == 1, result.stdout[-2000:]
    log = (tmp_path / "out" / "logs" / "autoencoder.log").read_text()
    assert str(tmp_path / "data") in log, log[-2000:]
    assert (tmp_path / "out" / "summary.md").is_file()
    assert not (ROOT / "out").exists() and not (ROOT / "data").exists()
