"""Bad input to every built assignment: one `error:` line, exit code 2, nothing written.

Runs each assignment as a process (as a student would) with no training: the
checks happen before any data is loaded. The assignments come from
run_all's list, so new ones are covered as soon as their file exists.
"""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from run_all import built_assignments

CHATTER = ("WARNING: All log messages", "I0000", "W0000", "E0000", "WARNING:absl")


def run_assignment(name, args, tmp_path):
    environment = {
        **os.environ,
        "ASSIGNMENTS_CACHE_DIR": str(tmp_path / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    return subprocess.run(
        [sys.executable, f"assignments/{name}.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def error_lines(result) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return [line for line in lines if not line.startswith(CHATTER)]


def written(tmp_path) -> list[str]:
    return sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "cache" not in p.parts
    )


@pytest.mark.parametrize("name", built_assignments())
def test_out_of_range_flag_exits_2_with_one_line(name, tmp_path):
    # Every flag's parsing and bounds are tested in test_config; this checks the wiring.
    result = run_assignment(name, ["--seed", "-1", "--output-dir", str(tmp_path / "out")], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and "must be >= 0" in lines[0], lines
    assert written(tmp_path) == []


@pytest.mark.parametrize("name", built_assignments())
def test_unwritable_output_folder_exits_2_before_training(name, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    result = run_assignment(name, ["--quick", "--output-dir", str(blocker / "out")], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result)
    assert len(lines) == 1 and "output folder" in lines[0], lines
    assert written(tmp_path) == ["file"]
