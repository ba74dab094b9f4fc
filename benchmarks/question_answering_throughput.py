"""Fine-tuning throughput of the question-answering span extractor (all-MiniLM-L6-v2 + span head).

    ASSIGNMENTS_DATA_DIR=../shared/datasets .venv/bin/python \
        benchmarks/question_answering_throughput.py [--settings 96:8 304:32] [--steps 4]

Real SQuAD v1.1 windows (dev set, first articles) made by
assignments/question_answering.py at each sequence length, the model of that
assignment compiled as there (AdamW from finetuning_optimizer, start and end
cross-entropy). Each setting is `length:batch`; the first step (tracing) is
timed apart, the rate is sequences per second over the next `--steps` steps,
per wall second and per CPU second of this process (all its threads). Prints
a Markdown table with the load average before and after.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from assignments import question_answering as qa  # noqa: E402
from common import finetuning  # noqa: E402
from common.datasets.squad import load_squad  # noqa: E402
from common.reporting import markdown_table  # noqa: E402


def measure(encoder, examples, length, batch_size, steps):
    """(first step seconds, sequences per wall second, sequences per CPU second)."""
    windows = qa.make_windows(encoder.tokenizer, examples, length, min(128, length // 4))
    rows = batch_size * (steps + 1)
    features = {k: v[:rows] for k, v in encoder.features(windows).items()}
    targets = {"start": windows["start_positions"][:rows], "end": windows["end_positions"][:rows]}
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = qa.build_model(encoder, length)
    model.compile(finetuning.finetuning_optimizer(1e-4, 1000), {"start": loss, "end": loss})

    def step(index):
        part = slice(index * batch_size, (index + 1) * batch_size)
        model.train_on_batch(
            {k: v[part] for k, v in features.items()}, {k: v[part] for k, v in targets.items()}
        )

    started = time.perf_counter()
    step(0)
    first = time.perf_counter() - started
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(1, steps + 1):
        step(index)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return first, steps * batch_size / wall, steps * batch_size / cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", nargs="+", default=["96:8", "304:32"], help="length:batch")
    parser.add_argument("--steps", type=int, default=4, help="timed steps per setting")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    examples = load_squad("dev")[:600]
    encoder = finetuning.load_encoder()
    rows = []
    for setting in args.settings:
        length, batch_size = (int(value) for value in setting.split(":"))
        first, per_second, per_cpu_second = measure(
            encoder, examples, length, batch_size, args.steps
        )
        rows.append(
            {
                "sequence length": length,
                "batch": batch_size,
                "first step (s)": first,
                "sequences / s": per_second,
                "sequences / CPU s": per_cpu_second,
            }
        )
        print(rows[-1], flush=True)
    print(f"\nload average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(markdown_table(rows, floatfmt=".3g"))


if __name__ == "__main__":
    main()
