"""Load time and peak memory of the offline pretrained models (common.pretrained).

For each model, two fresh Python processes share one empty temporary cache
folder (`ASSIGNMENTS_CACHE_DIR`): the first converts the pip package's
weights and writes the cache ("first load"), the second reads the cache
("cached load"). Each process reports:

- import: seconds to `import common.pretrained` (Keras + TensorFlow);
- load: wall seconds of the `common.pretrained` call, and its CPU seconds
  (user + system; steadier than wall time on a shared machine);
- first use: wall and CPU seconds of one small real call after loading (one
  224x224 image, five sentences, one chat answer, one analogy), which
  includes tracing / compiling;
- RSS: the process's peak resident memory (MiB) after import and after
  loading (`resource.getrusage(...).ru_maxrss`, so it includes TensorFlow);
- cache: size (MiB) of what the model wrote to the cache.

Run (writes benchmarks/pretrained_models.md):

    .venv/bin/python benchmarks/pretrained_models.py
    .venv/bin/python benchmarks/pretrained_models.py --only glove-6b-50d --no-write
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("efficientnet_lite0", "all-minilm-l6-v2", "smollm2-135m-instruct", "glove-6b-50d")
FIRST_USE = {
    "efficientnet_lite0": "predict 1 image 224x224",
    "all-minilm-l6-v2": "encode 5 sentences",
    "smollm2-135m-instruct": "answer 1 question (greedy)",
    "glove-6b-50d": "king - man + woman, top 5",
}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _folder_size_mb(path: Path) -> float:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) / 2**20


def child(model: str) -> dict:
    """Load one model in this process and measure it (run in a subprocess)."""
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    import numpy as np

    import common.pretrained as pretrained

    import_seconds = time.perf_counter() - started
    rss_after_import = _peak_rss_mb()

    cpu, started = _cpu_seconds(), time.perf_counter()
    if model == "efficientnet_lite0":
        loaded = pretrained.image_backbone(model, include_top=True)
    elif model == "all-minilm-l6-v2":
        loaded = pretrained.text_encoder(model)
    elif model == "smollm2-135m-instruct":
        loaded = pretrained.causal_lm(model)
    elif model == "glove-6b-50d":
        loaded = pretrained.word_vectors(model)
    else:
        raise SystemExit(f"unknown model {model!r}")
    load_seconds, load_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    rss_after_load = _peak_rss_mb()

    cpu, started = _cpu_seconds(), time.perf_counter()
    if model == "efficientnet_lite0":
        import skimage.data

        probabilities = loaded.predict(
            pretrained.preprocess_image(skimage.data.chelsea()), verbose=0
        )
        result = pretrained.decode_imagenet_predictions(probabilities, top=1)[0][0][1]
    elif model == "all-minilm-l6-v2":
        result = str(loaded.encode(["a", "b c", "d e f", "g", "h i"]).shape)
    elif model == "smollm2-135m-instruct":
        result = loaded.answer("What is the capital of France?", max_new_tokens=32)
    else:
        result = loaded.most_similar(positive=["king", "woman"], negative=["man"], topn=5)[0][0]
    use_seconds, use_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    del np
    return {
        "model": model,
        "import_s": import_seconds,
        "load_s": load_seconds,
        "load_cpu_s": load_cpu,
        "first_use_s": use_seconds,
        "first_use_cpu_s": use_cpu,
        "rss_import_mb": rss_after_import,
        "rss_load_mb": rss_after_load,
        "rss_peak_mb": _peak_rss_mb(),
        "result": str(result),
    }


def run_child(model: str, cache: Path) -> dict:
    environment = dict(os.environ, ASSIGNMENTS_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    process = subprocess.run(
        [sys.executable, __file__, "--child", model],
        env=environment,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if process.returncode != 0:
        raise RuntimeError(f"{model} failed:\n{process.stderr[-3000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def hardware() -> str:
    cpu = platform.processor() or "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as file:
        for line in file:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.release()}"
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {system}, "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    from importlib.metadata import version

    packages = ("keras", "tensorflow", "keras-hub", "torch", "gguf", "gensim")
    return ", ".join(f"{package} {version(package)}" for package in packages)


def markdown(rows: list[dict], started: str, load: tuple[float, float]) -> str:
    lines = [
        "# Pretrained models: load time and memory",
        "",
        "Measured by `benchmarks/pretrained_models.py` (see its docstring for what each",
        "column means). Command:",
        "",
        "    .venv/bin/python benchmarks/pretrained_models.py",
        "",
        f"- Date: {started}",
        f"- Hardware: {hardware()}",
        f"- Versions: {versions()}",
        f"- Load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f}. "
        "The 2 cores were shared",
        "  with other jobs while this ran, so wall times are upper bounds; CPU seconds",
        "  are the steadier figure.",
        "",
        '"first" = empty cache (conversion from the pip package + cache write);',
        '"cached" = a new process reading the cache. RSS is the process peak',
        '(TensorFlow included); "after import" is the peak before the model loads.',
        "",
        "| model | load | load wall s | load CPU s | peak RSS after import MiB "
        "| peak RSS after load MiB | first use | first use wall s | first use CPU s "
        "| cache MiB | import wall s |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['phase']} | {row['load_s']:.1f} | {row['load_cpu_s']:.1f} | "
            f"{row['rss_import_mb']:.0f} | {row['rss_load_mb']:.0f} | "
            f"{FIRST_USE[row['model']]} -> {row['result']!r} | "
            f"{row['first_use_s']:.1f} | {row['first_use_cpu_s']:.1f} | {row['cache_mb']:.0f} | "
            f"{row['import_s']:.1f} |"
        )
    lines += [
        "",
        "Notes:",
        "",
        "- all-minilm-l6-v2 needs no conversion: keras-hub reads the Hugging Face",
        "  folder inside the pip package directly, so first and cached loads are alike",
        "  and it writes no cache.",
        "- smollm2-135m-instruct's first use includes tracing keras-hub's generate",
        "  loop once (about 20 CPU s); later answers of a sentence take 1-2 CPU s",
        "  whatever the prompt length (about 0.1 CPU s per generated token).",
        "- The cache holds float32 weights: 18 MiB (EfficientNet-Lite0), 515 MiB",
        "  (SmolLM2, dequantized from the 94 MiB Q4_1 GGUF), 84 MiB (GloVe).",
        "- Peak RSS after import (~700 MiB) is TensorFlow + Keras; the first EfficientNet",
        "  and SmolLM2 loads also import PyTorch / gguf for the conversion.",
        "",
        "Correctness checks of the conversions (one-off, 2026-11-22, same machine):",
        "",
        '- EfficientNet-Lite0 on skimage `chelsea` / `coffee` (224x224 resize): TF "same"',
        "  padding + `(x - 127) / 128` gives Egyptian cat 0.79 / espresso 0.91; symmetric",
        "  (PyTorch-style) padding gives 0.65 / 0.91 and ImageNet mean/std 0.77 / 0.71:",
        "  TF padding and the Lite normalisation fit the TF checkpoints these weights come from.",
        "- all-minilm-l6-v2: cosine with sentence-transformers 6.2.0 >= 0.99999 on five",
        "  sentences (with `strip_accents=True`; without it an accented sentence gives 0.20).",
        "- smollm2-135m-instruct: logits of the 37-token chat prompt agree with",
        "  transformers' own GGUF loader (`AutoModelForCausalLM.from_pretrained(...,",
        "  gguf_file=...)`) within 1.3e-4 (largest logit 37.6), same argmax at every",
        "  position, same token ids and same chat-template text.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--only", help="comma-separated model names (default: all)")
    parser.add_argument(
        "--no-write", action="store_true", help="print the table instead of writing the .md file"
    )
    arguments = parser.parse_args(argv)
    if arguments.child:
        print(json.dumps(child(arguments.child)))
        return 0
    models = arguments.only.split(",") if arguments.only else list(MODELS)
    started = datetime.datetime.now().isoformat(timespec="minutes")
    load_start = os.getloadavg()[0]
    rows = []
    for model in models:
        cache = Path(tempfile.mkdtemp(prefix="pretrained-bench-"))
        try:
            for phase in ("first", "cached"):
                row = run_child(model, cache)
                row["phase"] = phase
                row["cache_mb"] = _folder_size_mb(cache)
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    text = markdown(rows, started, (load_start, os.getloadavg()[0]))
    if arguments.no_write:
        print(text)
    else:
        (ROOT / "benchmarks" / "pretrained_models.md").write_text(text, encoding="utf-8")
        print(f"wrote {ROOT / 'benchmarks' / 'pretrained_models.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
