"""Fine-tuning throughput of all-MiniLM-L6-v2 with a token-classification head.

    ASSIGNMENTS_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/finetuning_throughput.py \
        [--lengths 16 32 40 64 128] [--batch-size 32] [--steps 6] [--jit-lengths 40]

Real WikiANN training sentences, tokenised by common.finetuning and padded to
each length; one compiled model per length (AdamW from finetuning_optimizer,
masked sparse cross-entropy). The first step (tracing) is timed apart; the
rate is sequences per second over the next `--steps` steps. `jit_compile` is
off except for the lengths named by `--jit-lengths`; `--frozen-lengths` adds
rows with the 30,522 x 384 token-embedding table frozen. Writes the table, with
the machine and its load, to benchmarks/finetuning_throughput.md.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from common import finetuning  # noqa: E402
from common.datasets import load_wikiann  # noqa: E402
from common.reporting import markdown_table, write_keeping_notes  # noqa: E402


def measure(encoder, sentences, length, batch_size, steps, jit, frozen=False):
    """(seconds of the first step, sequences per wall second, per CPU second of this process)."""
    encoder.backbone.get_layer("token_embedding").trainable = not frozen
    inputs = encoder.model_inputs(length)
    logits = keras.layers.Dense(7)(encoder.sequence_output(inputs))
    model = keras.Model(inputs, logits)
    model.compile(
        finetuning.finetuning_optimizer(5e-5, 1000),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit,
    )
    rows = batch_size * (steps + 1)
    batch = finetuning.tokenize_words(
        encoder.tokenizer, sentences[:rows], length, labels=[[0] * len(s) for s in sentences[:rows]]
    )
    features = encoder.features(batch)

    def step(index):
        part = slice(index * batch_size, (index + 1) * batch_size)
        model.train_on_batch(
            {k: v[part] for k, v in features.items()},
            batch["labels"][part],
            sample_weight=batch["sample_weight"][part],
        )

    started = time.perf_counter()
    step(0)
    first = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    for index in range(1, steps + 1):
        step(index)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return first, batch_size * steps / wall, batch_size * steps / cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[16, 32, 40, 64, 128])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--jit-lengths", type=int, nargs="*", default=[40])
    parser.add_argument(
        "--frozen-lengths",
        type=int,
        nargs="*",
        default=[32],
        help="also with token embeddings frozen",
    )
    args = parser.parse_args()
    sentences, _ = load_wikiann("train")
    encoder = finetuning.load_encoder()
    rows = []
    load_before = os.getloadavg()[0]
    for length in args.lengths:
        variants = [(False, False)] + [(True, False)] * (length in args.jit_lengths)
        variants += [(False, True)] * (length in args.frozen_lengths)
        for jit, frozen in variants:
            first, rate, cpu_rate = measure(
                encoder, sentences, length, args.batch_size, args.steps, jit, frozen
            )
            rows.append(
                {
                    "sequence length": length,
                    "jit_compile": jit,
                    "token embeddings": "frozen" if frozen else "trained",
                    "first step (s)": round(first, 1),
                    "sequences / s": round(rate, 1),
                    "sequences / CPU s": round(cpu_rate, 1),
                }
            )
            print(rows[-1], flush=True)
    load_after = os.getloadavg()[0]
    command = " ".join(["benchmarks/finetuning_throughput.py", *sys.argv[1:]])
    text = "\n".join(
        [
            "# Fine-tuning throughput: all-MiniLM-L6-v2 + token-classification head",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} with `{command}` "
            f"on {os.cpu_count()} CPU cores ({platform.machine()}), Keras {keras.__version__}, "
            f"batch {args.batch_size}, {args.steps} timed training steps per row after one "
            f"tracing step. Load average {load_before:.1f} before, {load_after:.1f} after "
            "(above 2 the machine was shared: the wall rates are lower bounds; sequences per "
            "CPU second of this process, summed over its threads, are less sensitive to sharing).",
            "",
            markdown_table(rows),
            "",
        ]
    )
    # The hand-written QA section and the ones after it survive a re-run.
    write_keeping_notes(
        ROOT / "benchmarks" / "finetuning_throughput.md", text, "## Question answering"
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
