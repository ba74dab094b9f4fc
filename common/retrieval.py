"""Chunks, sentence embeddings and FAISS index files for retrieval-augmented generation.

- `Chunk`: a passage of a book with its chapter, paragraph range and
  character span (offsets into `common.datasets.texts.Chapter.text`).
- `wordpiece_counter(tokenizer)`: a fast token counter for a keras-hub
  WordPiece tokenizer's vocabulary (Hugging Face `tokenizers`), for sizing
  chunks in the encoder's own tokens.
- `split_chapters(...)`: langchain-text-splitters' recursive splitter cuts
  each chapter at paragraph breaks, then sentence ends, then clause breaks
  and words, into chunks of at most `chunk_size` tokens that overlap by up
  to `chunk_overlap` tokens; chunks never cross a chapter.
- `embed_texts(encoder, texts, sequence_length, cache)`: mean-pooled, L2-normalised
  embeddings (sentence-transformers' recipe) from a `common.pretrained.TextEncoder`,
  optionally kept in the cache folder (`<cache>/embeddings/`).
- `save_index` / `load_index`: a FAISS `IndexFlatIP` (inner product = cosine
  of unit vectors) with its chunks as JSON, written atomically.
- `load_questions(path)`: a validated question set, a JSON list of
  `{"question": str, "answer": str, "evidence"?: str | [str]}`.
- `evidence_spans`, `relevant_chunks`, `retrieval_scores`: which chunks
  answer a question, and hit@k / MRR of rankings.
- `Retriever`: dense (FAISS), BM25 (bm25s) and hybrid search, the hybrid
  by `reciprocal_rank_fusion` (Cormack, Clarke & Buettcher 2009).
- `faithfulness`, `answer_scores`: EM, token F1, "contains", "I don't know"
  and faithfulness of generated answers; `best_sentences`: the reader
  baseline (the retrieved sentence closest to the question).
- `hit_curves_figure`: hit@k against k, per retriever and chunk size.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from common.errors import InputError
from common.files import atomic_path
from common.text_metrics import answer_tokens, exact_match, normalize_answer, token_f1

__all__ = [
    "Chunk",
    "SENTENCE_END",
    "wordpiece_counter",
    "split_chapters",
    "embed_texts",
    "save_index",
    "load_index",
    "load_questions",
    "evidence_spans",
    "relevant_chunks",
    "retrieval_scores",
    "reciprocal_rank_fusion",
    "bm25_tokens",
    "Retriever",
    "IDK",
    "faithfulness",
    "answer_scores",
    "best_sentences",
    "hit_curves_figure",
]

#: A regular expression for the white space after a sentence end (also after a closing quote).
SENTENCE_END = r"(?<=[.!?])\s+|(?<=[.!?][\"'])\s+"


@dataclasses.dataclass(frozen=True)
class Chunk:
    """A passage: `text`; its `chapter` number and `title`; the 0-based paragraphs
    `first_paragraph..last_paragraph` it covers; its span `start:end` in `Chapter.text`."""

    text: str
    chapter: int
    title: str
    first_paragraph: int
    last_paragraph: int
    start: int
    end: int

    @property
    def indexed_text(self) -> str:
        """What is embedded and indexed: the chapter title, a blank line, the text.

        The title is a "contextual chunk header": it tells a passage of
        dialogue which story it belongs to.
        """
        return f"{self.title}\n\n{self.text}"


def wordpiece_counter(tokenizer) -> Callable[[str], int]:
    """`text -> number of WordPiece tokens` (no [CLS] / [SEP]) in `tokenizer`'s vocabulary.

    `tokenizer` is a keras-hub `BertTokenizer` (its vocabulary and lower-casing
    are copied into a Hugging Face `tokenizers` WordPiece, about 100x faster
    per call, which matters when a splitter measures thousands of pieces).
    """
    from tokenizers import BertWordPieceTokenizer

    lowercase = bool(getattr(tokenizer, "lowercase", True))
    vocabulary = {token: i for i, token in enumerate(tokenizer.get_vocabulary())}
    fast = BertWordPieceTokenizer(vocabulary, lowercase=lowercase, strip_accents=lowercase)
    return lambda text: len(fast.encode(text, add_special_tokens=False).ids)


def split_chapters(
    chapters: Sequence, chunk_size: int, chunk_overlap: int, count_tokens: Callable[[str], int]
) -> list[Chunk]:
    """Chunks of at most `chunk_size` tokens (as `count_tokens` counts), chapter by chapter.

    Args:
        chapters: `common.datasets.texts.Chapter`s (`number`, `title`, `text`, `paragraph_at`).
        chunk_size: the largest chunk, in tokens (a single word longer than
            that is cut by characters).
        chunk_overlap: tokens that neighbouring chunks may share.
        count_tokens: `text -> int`, e.g. `wordpiece_counter(encoder.tokenizer)`.

    Returns:
        Chunks in reading order.

    Raises:
        InputError: `chunk_size < 1` or `chunk_overlap` not in `[0, chunk_size)`.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if chunk_size < 1 or not 0 <= chunk_overlap < chunk_size:
        raise InputError(
            f"chunk overlap {chunk_overlap} must be in [0, chunk size {chunk_size}) tokens"
        )
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        length_function=count_tokens,
        separators=["\n\n", SENTENCE_END, r"(?<=[,;:])\s+", r"\s+", ""],
        is_separator_regex=True,
        keep_separator="end",
    )
    chunks = []
    for chapter in chapters:
        text, cursor = chapter.text, 0
        for piece in splitter.split_text(text):
            start = text.find(piece, cursor)  # an overlapping chunk starts after the previous one
            if start < 0:
                raise RuntimeError(f"chunk not found in chapter {chapter.number}: {piece[:60]!r}")
            end, cursor = start + len(piece), start + 1
            first, last = chapter.paragraph_at(start), chapter.paragraph_at(end - 1)
            chunks.append(Chunk(piece, chapter.number, chapter.title, first, last, start, end))
    return chunks


def embed_texts(
    encoder, texts: Sequence[str], sequence_length: int = 256, cache: bool = False
) -> np.ndarray:
    """Sentence embeddings: float32 `(len(texts), encoder.dimension)`, unit L2 norm.

    Mean pooling over the non-padding token states of `encoder.backbone`, then
    L2 normalisation, with the texts packed to `sequence_length` tokens
    ([CLS] and [SEP] included; longer texts are truncated). A packer length
    fitted to the texts avoids paying for padding.

    With `cache=True` the vectors are kept in
    `<cache>/embeddings/<sha256>.npy`, keyed by the encoder's name,
    `sequence_length`, the Keras dtype policy and the texts, and a later
    call with the same key reads them instead of running the encoder (the
    chunks of a book are the same on every run). Raises `InputError` when the
    cache folder cannot be created.
    """
    import keras

    texts = list(texts)
    if not texts:
        return np.zeros((0, encoder.dimension), dtype="float32")
    path = _embedding_cache_path(encoder, texts, sequence_length) if cache else None
    if path is not None and path.exists():
        try:
            vectors = np.load(path)
        except (OSError, ValueError):  # a damaged file: computed again and replaced
            vectors = None
        if vectors is not None and vectors.shape == (len(texts), encoder.dimension):
            return vectors
    import keras_hub

    preprocessor = keras_hub.models.BertTextEmbedderPreprocessor(
        encoder.tokenizer, sequence_length=sequence_length
    )
    embedder = keras_hub.models.BertTextEmbedder(
        encoder.backbone, preprocessor, pooling_mode="mean", normalize=True
    )
    vectors = embedder.predict(texts, batch_size=32, verbose=0)
    vectors = np.asarray(keras.ops.convert_to_numpy(vectors), dtype="float32")
    if path is not None:
        with atomic_path(path, suffix=".npy") as temporary:
            np.save(temporary, vectors)
    return vectors


def _embedding_cache_path(encoder, texts: list[str], sequence_length: int) -> Path:
    """`<cache>/embeddings/<sha256 of encoder, length, dtype policy and texts>.npy`."""
    import hashlib

    import keras

    from common.paths import cache_dir

    digest = hashlib.sha256()
    policy = keras.config.dtype_policy().name
    for part in (encoder.name, str(sequence_length), policy, *texts):
        digest.update(part.encode("utf-8") + b"\0")
    return cache_dir("embeddings") / f"{digest.hexdigest()}.npy"


def _index_paths(directory: Path, name: str) -> tuple[Path, Path]:
    return Path(directory) / f"index_{name}.faiss", Path(directory) / f"chunks_{name}.json"


def save_index(directory, name: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> list[Path]:
    """Write `index_<name>.faiss` (an `IndexFlatIP` of `vectors`) and `chunks_<name>.json`.

    Raises:
        ValueError: one vector per chunk is needed.
    """
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype="float32")
    if vectors.ndim != 2 or len(vectors) != len(chunks):
        raise ValueError(f"{len(chunks)} chunks need {len(chunks)} vectors, got {vectors.shape}")
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    index_path, chunks_path = _index_paths(directory, name)
    with atomic_path(index_path, suffix=".faiss") as temporary:
        faiss.write_index(index, str(temporary))
    with atomic_path(chunks_path) as temporary:
        temporary.write_text(json.dumps([dataclasses.asdict(c) for c in chunks]), encoding="utf-8")
    return [index_path, chunks_path]


def load_index(directory, name: str):
    """`(faiss index, list of Chunk)` as `save_index` wrote them.

    Raises:
        InputError: the files are missing, unreadable, or disagree in length.
    """
    import faiss

    index_path, chunks_path = _index_paths(directory, name)
    if not index_path.is_file() or not chunks_path.is_file():
        raise InputError(f"no saved index {index_path.name} / {chunks_path.name} in {directory}")
    try:
        index = faiss.read_index(str(index_path))
        chunks = [Chunk(**item) for item in json.loads(chunks_path.read_text(encoding="utf-8"))]
    except (RuntimeError, ValueError, TypeError) as error:
        raise InputError(f"the saved index in {directory} is corrupt ({error})") from None
    if index.ntotal != len(chunks):
        raise InputError(f"{index_path} holds {index.ntotal} vectors for {len(chunks)} chunks")
    return index, chunks


# --------------------------------------------------------------------------
# Question sets and retrieval scores
# --------------------------------------------------------------------------


def load_questions(path) -> list[dict]:
    """Read and validate `[{"question": str, "answer": str, "evidence"?: str | [str]}, ...]`.

    Raises:
        InputError: a missing file, bad JSON, or an item of another shape
            (the message names the item).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"questions file {path} does not exist")
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"questions file {path} is not valid JSON ({error})") from None
    if not isinstance(items, list) or not items:
        raise InputError(f"questions file {path} must hold a non-empty JSON list")
    for index, item in enumerate(items):
        where = f"questions file {path}, item {index}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected an object, got {type(item).__name__}")
        if set(item) - {"question", "answer", "evidence"}:
            raise InputError(
                f"{where}: unknown key(s) {sorted(set(item) - {'question', 'answer', 'evidence'})}"
            )
        for key in ("question", "answer"):
            if not (isinstance(item.get(key), str) and item[key].strip()):
                raise InputError(f"{where}: {key!r} must be a non-empty string")
        evidence = item.get("evidence", "-")
        evidence = [evidence] if isinstance(evidence, str) else evidence
        if (
            not isinstance(evidence, list)
            or not evidence
            or not all(isinstance(e, str) and e.strip() for e in evidence)
        ):
            raise InputError(f"{where}: 'evidence' must be a sentence or a non-empty list of them")
    return items


def evidence_spans(chapters: Sequence, evidence: str | list[str]) -> list[tuple[int, int, int]]:
    """Every `(chapter, start, end)` of the evidence sentence(s) (white space normalised).

    Raises:
        InputError: a sentence that is not in the book.
    """
    spans = []
    for sentence in [evidence] if isinstance(evidence, str) else evidence:
        needle, found = " ".join(sentence.replace("_", "").split()), 0
        for chapter in chapters:
            start = chapter.text.find(needle)
            while start >= 0:
                spans.append((chapter.number, start, start + len(needle)))
                start, found = chapter.text.find(needle, start + 1), found + 1
        if not found:
            raise InputError(f"evidence not in the book (check its spelling): {sentence[:80]!r}")
    return spans


def relevant_chunks(chunks: Sequence[Chunk], question: dict, spans=None) -> set[int]:
    """Indices of the chunks that answer `question`; `spans` from `evidence_spans` (or None)."""
    if spans:
        return {
            i
            for i, c in enumerate(chunks)
            for chapter, start, end in spans
            if c.chapter == chapter and min(c.end, end) - max(c.start, start) >= (end - start) / 2
        }
    answer = f" {normalize_answer(question['answer'])} "
    return {i for i, c in enumerate(chunks) if answer in f" {normalize_answer(c.text)} "}


def retrieval_scores(rankings: list[list[int]], relevant: list[set[int]], max_k: int) -> dict:
    """hit@k (k = 1..max_k) and MRR@max_k of ranked chunk indices against the relevant sets.

    hit@k: the share of questions with a relevant chunk among the first k.
    MRR: the mean of 1 / rank of the first relevant chunk (0 beyond max_k).
    """
    first = [
        next((rank for rank, i in enumerate(ranking[:max_k], 1) if i in wanted), 0)
        for ranking, wanted in zip(rankings, relevant)
    ]
    scores = {
        f"hit_at_{k}": float(np.mean([0 < r <= k for r in first])) for k in range(1, max_k + 1)
    }
    scores["mrr"] = float(np.mean([1 / r if r else 0.0 for r in first]))
    return scores


# --------------------------------------------------------------------------
# Retrievers
# --------------------------------------------------------------------------


def reciprocal_rank_fusion(rankings: list[list[int]], rrf_k: int = 60) -> list[tuple[int, float]]:
    """Fuse rankings (ids, best first) into `[(id, score), ...]`, best first.

    score(id) = sum, over the rankings that hold it, of 1 / (rrf_k + rank),
    ranks from 1; ties keep the order in which the ids were first seen.
    """
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased words of two or more letters, English stop words out, lemmatised (simplemma)."""
    import bm25s
    import simplemma

    lemmas = lambda words: [simplemma.lemmatize(word, lang="en") for word in words]
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=lemmas, return_ids=False, show_progress=False
    )


class Retriever:
    """Dense, BM25 and hybrid search over `chunks` (their `indexed_text`).

    - dense: inner product of unit vectors (cosine) in `index`, a FAISS
      index of the chunks' embeddings (`save_index` / `load_index`);
    - bm25: bm25s (Lucene variant; k1 1.5, b 0.75) over `bm25_tokens`;
    - hybrid: `reciprocal_rank_fusion` of the two top-50 rankings.

    `search(name, questions, vectors, depth)` takes the questions and their
    embeddings `(n, dimension)` and gives per question `[(chunk index,
    score), ...]`, best first, `depth` of them (fewer when there are fewer
    chunks): the cosine, the BM25 score or the RRF score.
    """

    def __init__(self, index, chunks: list[Chunk], rrf_k: int = 60):
        import bm25s

        self.index, self.chunks, self.rrf_k = index, chunks, rrf_k
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25_tokens([chunk.indexed_text for chunk in chunks]), show_progress=False)

    def search(self, name: str, questions: list[str], vectors: np.ndarray, depth: int):
        if name not in ("dense", "bm25", "hybrid"):
            raise ValueError(f"unknown retriever {name!r}")
        depth = min(depth, len(self.chunks))
        pool = depth if name != "hybrid" else min(len(self.chunks), max(50, depth))
        dense = lexical = None
        if name != "bm25":
            scores, ids = self.index.search(np.ascontiguousarray(vectors, dtype="float32"), pool)
            dense = [
                [(int(i), float(s)) for i, s in zip(*row) if i >= 0] for row in zip(ids, scores)
            ]
        if name != "dense":
            ids, scores = self.bm25.retrieve(bm25_tokens(questions), k=pool, show_progress=False)
            lexical = [[(int(i), float(s)) for i, s in zip(*row)] for row in zip(ids, scores)]
        if name != "hybrid":
            return dense or lexical
        return [
            reciprocal_rank_fusion([[i for i, _ in d], [i for i, _ in b]], self.rrf_k)[:depth]
            for d, b in zip(dense, lexical)
        ]


# --------------------------------------------------------------------------
# Answer scores, the reader baseline and the hit@k figure
# --------------------------------------------------------------------------

#: Replies that abstain: "I don't know", "the passages do not say", "not mentioned".
IDK = re.compile(
    r"\b(don'?t|do not|does not|doesn'?t) (know|say|mention)|\bnot (mentioned|stated)\b", re.I
)


def faithfulness(answer: str, passages: list[str]) -> float:
    """Share of `answer`'s normalised tokens that occur in the passages (NaN: an empty answer)."""
    tokens = answer_tokens(answer)
    if not tokens:
        return float("nan")
    vocabulary = set(answer_tokens(" ".join(passages)))
    return sum(token in vocabulary for token in tokens) / len(tokens)


def answer_scores(answers: list[str], golds: list[str], passages: list[list[str]] | None) -> dict:
    """Mean scores of answers against gold answers (one string each), as floats in [0, 1].

    "em", "f1": SQuAD exact match and token F1 (`common.text_metrics`);
    "contains": the normalised gold answer occurs in the normalised answer;
    "idk": share of answers matching `IDK`; "faithfulness": mean
    `faithfulness` of the other answers against their passages (NaN when
    none is left, None when `passages` is None: closed-book).
    """
    idk = [bool(IDK.search(a)) for a in answers]
    faithful = [faithfulness(a, p) for a, p, u in zip(answers, passages or [], idk) if not u]
    faithful = [value for value in faithful if not np.isnan(value)]
    return {
        "em": float(np.mean([exact_match(a, g) for a, g in zip(answers, golds)])),
        "f1": float(np.mean([token_f1(a, g) for a, g in zip(answers, golds)])),
        "contains": float(
            np.mean(
                [
                    f" {normalize_answer(g)} " in f" {normalize_answer(a)} "
                    for a, g in zip(answers, golds)
                ]
            )
        ),
        "idk": float(np.mean(idk)),
        "faithfulness": None
        if passages is None
        else float(np.mean(faithful))
        if faithful
        else float("nan"),
    }


def best_sentences(encoder, question_vectors: np.ndarray, passages: list[list[str]]) -> list[str]:
    """Per question, the sentence of its passages with the highest cosine to the question.

    `question_vectors`: `(n, dimension)` unit vectors from `embed_texts`;
    `passages`: n lists of passage texts, split at sentence ends and blank
    lines. Returns n strings ("" where a question has no sentence).
    """
    groups = [
        [s for p in ps for s in re.split(SENTENCE_END + r"|\n\n", p) if s.strip()]
        for ps in passages
    ]
    unique = sorted({s for group in groups for s in group})
    vectors = dict(zip(unique, embed_texts(encoder, unique, 96)))
    return [
        max(g, key=lambda s: float(vectors[s] @ q), default="")
        for g, q in zip(groups, question_vectors)
    ]


def hit_curves_figure(curves: dict, max_k: int, title: str):
    """hit@k (k = 1..max_k) per retriever, one panel per chunk size, as a matplotlib figure.

    `curves[(chunk size, retriever name)]` is the list of hit@1..hit@max_k.
    """
    import matplotlib.pyplot as plt

    sizes = sorted({size for size, _ in curves})
    figure, axes = plt.subplots(
        1, len(sizes), figsize=(4.5 * len(sizes), 3.6), squeeze=False, sharey=True
    )
    for axis, size in zip(axes[0], sizes):
        for name, values in ((n, v) for (s, n), v in curves.items() if s == size):
            axis.plot(range(1, max_k + 1), values, marker="o", label=name)
        axis.set(title=f"chunks of {size} tokens", xlabel="k", ylim=(0, 1.02))
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("hit@k (share of questions)")
    axes[0][-1].legend(loc="lower right")
    figure.suptitle(title)
    figure.tight_layout()
    return figure
