"""Bad input to every built assignment: one `error:` line, exit code 2, nothing written.

The checks happen before any data is loaded. Each assignment's `main` runs
in this process through `common.config.run_cli` (the same code path as the
script's run cell, without paying a TensorFlow import per case); one case
runs a script as a separate process, as a student would, to check the wiring
of the exit code and stderr. The assignments come from run_all's list, so
new ones are covered as soon as their file exists.
"""

import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

from common.config import config_from_source
from run_all import built_assignments

CHATTER = ("WARNING: All log messages", "I0000", "W0000", "E0000", "WARNING:absl")


def error_lines(stderr: str) -> list[str]:
    """stderr without TensorFlow's start-up chatter and tqdm progress bars (`..%|..|`)."""
    lines = [line for line in re.split(r"[\r\n]", stderr) if line.strip()]
    return [line for line in lines if not line.startswith(CHATTER) and "%|" not in line]


def written(tmp_path) -> list[str]:
    return sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "cache" not in p.parts
    )


@pytest.mark.parametrize("name", built_assignments())
def test_out_of_range_flag_exits_2_with_one_line(name, tmp_path, run_in_process):
    # Every flag's parsing and bounds are tested in test_config; this checks the wiring.
    code, stderr = run_in_process(name, ["--seed", "-1", "--output-dir", str(tmp_path / "out")])
    assert code == 2, stderr[-2000:]
    lines = error_lines(stderr)
    assert len(lines) == 1 and "must be >= 0" in lines[0], lines
    assert written(tmp_path) == []


@pytest.mark.parametrize("name", built_assignments())
def test_unwritable_output_folder_exits_2_before_training(name, tmp_path, run_in_process):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code, stderr = run_in_process(name, ["--quick", "--output-dir", str(blocker / "out")])
    assert code == 2, stderr[-2000:]
    lines = error_lines(stderr)
    assert len(lines) == 1 and "output folder" in lines[0], lines
    assert written(tmp_path) == ["file"]


@pytest.mark.parametrize("name", built_assignments())
def test_cache_folder_that_is_a_file_exits_2_before_training(
    name, tmp_path, run_in_process, monkeypatch
):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("ASSIGNMENTS_CACHE_DIR", str(blocker / "cache"))
    code, stderr = run_in_process(name, ["--quick", "--output-dir", str(tmp_path / "out")])
    assert code == 2, stderr[-2000:]
    lines = error_lines(stderr)
    assert len(lines) == 1 and "cache folder" in lines[0], lines
    assert written(tmp_path) == ["file"]


def test_bad_input_as_a_script_prints_one_line_and_exits_2(tmp_path):
    environment = {
        **os.environ,
        "ASSIGNMENTS_CACHE_DIR": str(tmp_path / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    result = subprocess.run(
        [sys.executable, "assignments/autoencoder.py", "--output-dir", str(blocker / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "output folder" in lines[0]
    assert result.stdout == ""
    assert written(tmp_path) == ["file"]


# Runs a script with Keras and TensorFlow made unimportable: a bad flag must be
# rejected by the set-up cell's `reject_bad_flags`, before the script imports them.
WITHOUT_TENSORFLOW = """
import runpy, sys
for blocked in ("keras", "tensorflow", "jax", "torch"):
    sys.modules[blocked] = None
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("name", built_assignments())
@pytest.mark.parametrize(
    "flags, message",
    [(["--seed", "-1"], "must be >= 0"), (["--no-such-flag"], "unrecognized arguments")],
)
def test_bad_flag_is_rejected_before_tensorflow_is_imported(name, flags, message, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORFLOW, f"assignments/{name}.py", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ASSIGNMENTS_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and message in lines[0], lines
    assert written(tmp_path) == []


@pytest.mark.parametrize("name", built_assignments())
def test_flags_read_from_the_source_match_the_scripts_config(name):
    import dataclasses
    import importlib
    import inspect

    module = importlib.import_module(f"assignments.{name}")
    config_cls, quick, docstring = config_from_source(ROOT / "assignments" / f"{name}.py")
    early = {f.name: f for f in dataclasses.fields(config_cls)}
    real = {f.name: f for f in dataclasses.fields(module.Config)}
    assert early.keys() == real.keys()
    for field_name, f in early.items():
        for key in ("minimum", "maximum", "choices"):
            if f.metadata.get(key) is not None:  # None: a name imported from common
                assert f.metadata[key] == real[field_name].metadata.get(key), (field_name, key)
    assert quick == module.QUICK_OVERRIDES and docstring == inspect.cleandoc(module.__doc__)
