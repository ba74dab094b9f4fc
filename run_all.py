"""Run every built assignment (or `--only a,b`) and summarise the results.

    python run_all.py --quick                      # the grader's run: every built assignment
    python run_all.py --quick --only autoencoder,sentiment_analysis
    python run_all.py --list                       # which assignments exist and are built

Each assignment runs as its own process (`python assignments/<name>.py`,
`--quick` passed through) with its output in `<output-dir>/<name>/` and its log
in `<output-dir>/logs/<name>.log`. One progress line runs across the
assignments; at the end a table (assignment, metric, value, bar, pass/fail,
seconds) is printed and written to `<output-dir>/summary.md` and
`summary.json`. The exit code is 0 when every assignment finished and reached
its bar, 1 otherwise (all of them still run), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# The fifteen assignments, in course order (DESIGN.md fixes the file names).
ASSIGNMENTS = {
    "autoencoder": "Dense autoencoder on MNIST, latent-size sweep",
    "denoising_autoencoder": "Gaussian-noise denoising AE vs the basic AE",
    "text_generation": "Character-level LSTM on Shakespeare, temperature sampling",
    "sentiment_analysis": "IMDB LSTM classifier, confusion matrix, precision-recall",
    "mnist_mlp": "4-layer MLP: batch size / LR / batch-norm / L2 experiments",
    "cifar10_fcn_cnn": "Fully connected vs convolutional networks on CIFAR-10",
    "transfer_learning": "Fine-tuning ImageNet CNNs on a 9-class face set",
    "siamese_network": "Koch et al. Siamese network, one-shot verification",
    "super_resolution": "SRCNN x2 with MSE + perceptual loss",
    "cell_counting": "Count regressors vs a UNet density-map model",
    "word_embeddings": "word2vec, sentiment regression, genre classification",
    "named_entity_recognition": "BERT token classification, label-space alignment",
    "question_answering": "BERT extractive QA, EM / F1",
    "rag": "Retrieval-augmented generation over a book",
    "lyrics_generation": "LSTM lyrics generation conditioned on MIDI melody",
}


def built_assignments() -> list[str]:
    """The assignments whose script exists, in course order."""
    return [name for name in ASSIGNMENTS if (ROOT / "assignments" / f"{name}.py").is_file()]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args(argv=None) -> argparse.Namespace:
    parser = _Parser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="run each assignment's quick mode (default: full)"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated assignment names (default: every built one)"
    )
    parser.add_argument("--output-dir", default="runs", help="results folder (default: runs)")
    parser.add_argument(
        "--data-dir", default=None, help="data folder (default: $ASSIGNMENTS_DATA_DIR)"
    )
    parser.add_argument("--list", action="store_true", help="list the assignments and exit")
    return parser.parse_args(argv)


def select(only: str) -> list[str]:
    """The names to run: every built one, or those in `only` (comma-separated).

    Raises:
        ValueError: a name that is not an assignment, or one not built yet.
    """
    built = built_assignments()
    if not only.strip():
        return built
    names = [name.strip() for name in only.split(",") if name.strip()]
    for name in names:
        if name not in ASSIGNMENTS:
            raise ValueError(f"unknown assignment {name!r}; choose from: {', '.join(built)}")
        if name not in built:
            raise ValueError(
                f"assignment {name!r} is planned but not built yet; built: {', '.join(built)}"
            )
    return names


def run_one(name: str, args: argparse.Namespace, output_dir: Path) -> dict:
    """Run one assignment in a subprocess; return its summary row."""
    run_dir = output_dir / name
    log_path = output_dir / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path = run_dir / "metrics.json"
    metrics_path.unlink(missing_ok=True)  # never report a stale result
    command = [
        sys.executable,
        str(ROOT / "assignments" / f"{name}.py"),
        "--output-dir",
        str(run_dir),
    ]
    if args.quick:
        command.append("--quick")
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    environment = dict(os.environ)
    for variable in ("ASSIGNMENTS_DATA_DIR", "ASSIGNMENTS_CACHE_DIR"):  # the child runs in ROOT
        if environment.get(variable):
            environment[variable] = str(Path(environment[variable]).expanduser().absolute())
    started = time.perf_counter()
    with open(log_path, "w") as log:
        code = subprocess.call(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=environment
        )
    seconds = time.perf_counter() - started
    row = {
        "assignment": name,
        "exit_code": code,
        "seconds": round(seconds, 1),
        "log": str(log_path),
    }
    if metrics_path.is_file():
        record = json.loads(metrics_path.read_text())
        row.update(
            metric=record["headline"]["metric"],
            value=record["headline"]["value"],
            bar=record["bar"]["text"],
            conditions=record["bar"]["conditions"],
            passed=record["passed"],
        )
    else:
        row.update(metric="", value=None, bar="", passed=False)
    row["status"] = (
        "pass"
        if code == 0 and row["passed"]
        else ("crash" if not metrics_path.is_file() else "miss")
    )
    return row


def summary_table(rows: list[dict], quick: bool) -> str:
    """The results as a Markdown table."""
    lines = [
        f"# {'Quick' if quick else 'Full'} run of {len(rows)} assignment(s)",
        "",
        "| assignment | headline metric | value | bar (every condition, measured) | result "
        "| seconds |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        value = "" if row["value"] is None else f"{row['value']:.4g}"
        conditions = "; ".join(
            f"{c['metric']} {c['comparison']} {c['value']}: {_number(c['measured'])}"
            f"{'' if c['holds'] else ' (MISS)'}"
            for c in row.get("conditions", [])
        )
        lines.append(
            f"| {row['assignment']} | {row['metric']} | {value} | {conditions} "
            f"| {row['status'].upper()} | {row['seconds']} |"
        )
    passed = sum(row["status"] == "pass" for row in rows)
    lines += ["", f"{passed} of {len(rows)} passed, total {sum(r['seconds'] for r in rows):.0f} s."]
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    return "nan" if value is None else f"{value:.4g}"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.list:
        built = set(built_assignments())
        for name, title in ASSIGNMENTS.items():
            print(f"{name:26s} {'built  ' if name in built else 'planned'}  {title}")
        return 0
    try:
        names = select(args.only)
    except ValueError as error:
        print(f"run_all.py: error: {error}", file=sys.stderr)
        return 2
    if args.data_dir and not Path(args.data_dir).is_dir():
        print(f"run_all.py: error: the data folder {args.data_dir} does not exist", file=sys.stderr)
        return 2
    # Relative paths are relative to where run_all was started; children run in ROOT.
    output_dir = Path(args.output_dir).expanduser().absolute()
    if args.data_dir:
        args.data_dir = str(Path(args.data_dir).expanduser().absolute())
    from tqdm import tqdm

    rows = []
    progress = tqdm(names, unit="assignment", file=sys.stdout, dynamic_ncols=True)
    interrupted = False
    try:
        for name in progress:
            progress.set_description(f"{name} ({'quick' if args.quick else 'full'})")
            row = run_one(name, args, output_dir)
            rows.append(row)
            progress.write(
                f"{row['status'].upper():5s} {name}: {row['metric']} = {row['value']} "
                f"({row['bar']}) in {row['seconds']} s"
            )
            if row["status"] == "crash":
                tail = Path(row["log"]).read_text(errors="replace").splitlines()[-15:]
                progress.write("\n".join("      | " + line for line in tail))
    except KeyboardInterrupt:
        interrupted = True
        print(
            f"\ninterrupted: the summary lists the {len(rows)} assignment(s) that finished",
            file=sys.stderr,
        )
    progress.close()
    table = summary_table(rows, args.quick)
    print("\n" + table)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "summary.md").write_text(table)
    (output_dir / "summary.json").write_text(
        json.dumps({"quick": args.quick, "results": rows}, indent=2)
    )
    print(
        f"Summary written to {output_dir / 'summary.md'} and summary.json; "
        f"logs in {output_dir / 'logs'}"
    )
    if interrupted:
        return 130
    return 0 if all(row["status"] == "pass" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
