"""The tree passes ruff's lint and format checks (settings in pyproject.toml)."""

import shutil
import subprocess

import pytest
from conftest import ROOT


def ruff() -> list[str]:
    executable = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if executable is None:
        pytest.skip("ruff is not installed (it is in requirements.txt)")
    return [executable]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command):
    result = subprocess.run(
        [*ruff(), *command, "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
