"""Wall time of every built assignment's quick mode (budget: < 90 s each on a 2-core CPU).

    ASSIGNMENTS_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/quick_times.py [--only a,b]

Runs `run_all.py --quick` (each assignment in its own process, so the time
includes Python start-up, the TensorFlow import and data loading) and writes
the table, with the machine it ran on, to benchmarks/quick_times.md. Run it
on an otherwise idle machine: other work on the two cores inflates the times.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BUDGET_SECONDS = 90

from common.reporting import cpu_model, markdown_table, write_keeping_notes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated assignment names")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as output:
        command = [sys.executable, str(ROOT / "run_all.py"), "--quick", "--output-dir", output]
        if args.only:
            command += ["--only", args.only]
        subprocess.call(command, cwd=ROOT)
        results = json.loads((Path(output) / "summary.json").read_text())["results"]
    load = os.getloadavg()[0]
    rows = [
        {
            "assignment": row["assignment"],
            "seconds": row["seconds"],
            "within budget": "yes" if row["seconds"] < BUDGET_SECONDS else "NO",
            "headline metric": row["metric"],
            "value": row["value"],
            "bar": row["bar"],
            "result": row["status"],
        }
        for row in results
    ]
    lines = [
        "# Quick-mode wall times",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `benchmarks/quick_times.py` on "
        f"{os.cpu_count()} CPU cores ({cpu_model()}), Python "
        f"{platform.python_version()}; load average after the run {load:.1f}. "
        f"Budget: {BUDGET_SECONDS} s each (process start to exit).",
        "",
        markdown_table(rows),
    ]
    table = "\n".join(lines) + "\n"
    write_keeping_notes(ROOT / "benchmarks" / "quick_times.md", table, "## Earlier measurements")
    print(table)
    return 0 if all(r["seconds"] < BUDGET_SECONDS and r["status"] == "pass" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
