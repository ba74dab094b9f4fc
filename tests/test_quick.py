"""Real-data quick runs: every built assignment's `main(["--quick"])` reaches its QUICK_BAR.

Skipped, with the reason, only when $ASSIGNMENTS_DATA_DIR is not set. The
timings are printed by pytest's --durations; the < 90 s budget itself is
measured in benchmarks/quick_times.py, not asserted here.
"""

import importlib
import json

import pytest

from common.reporting import bar_conditions
from run_all import built_assignments

# Assignments that train nothing (RAG retrieves and generates with pretrained
# models): no history.csv and no saved .keras model are expected of them.
USES_PRETRAINED_ONLY = {"rag"}


@pytest.mark.quick
@pytest.mark.parametrize("name", built_assignments())
def test_quick_mode_reaches_its_bar(name, data_dir, tmp_path):
    import keras

    module = importlib.import_module(f"assignments.{name}")
    keras.backend.clear_session()
    output = tmp_path / name
    record = module.main(["--quick", "--data-dir", str(data_dir), "--output-dir", str(output)])

    saved = json.loads((output / "metrics.json").read_text())
    assert saved["assignment"] == name and saved["mode"] == "quick"
    conditions = bar_conditions(module.QUICK_BAR)
    assert saved["headline"]["metric"] == conditions[0][0]
    assert [(c["metric"], c["comparison"], c["value"]) for c in saved["bar"]["conditions"]] == [
        (n, c, v) for n, c, v in conditions
    ]
    assert record["passed"] and saved["passed"], f"{name}: {saved['bar']['conditions']}"
    files = {path.name for path in output.iterdir()}
    assert any(f.endswith(".png") for f in files), files
    if name not in USES_PRETRAINED_ONLY:
        assert "history.csv" in files
        assert any(f.endswith(".keras") for f in files), files
    assert not any(f.startswith(".") for f in files), files  # no temporary leftovers
    # every saved model loads back with the module imported, no custom_objects
    for path in output.glob("*.keras"):
        assert isinstance(keras.saving.load_model(path), keras.Model), path
