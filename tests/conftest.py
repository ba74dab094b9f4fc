"""Shared test set-up: the repository root on sys.path, the data folder, a private cache."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def data_dir() -> Path:
    """The real data folder ($ASSIGNMENTS_DATA_DIR); the test is skipped when it is not set."""
    value = os.environ.get("ASSIGNMENTS_DATA_DIR")
    if not value:
        pytest.skip("ASSIGNMENTS_DATA_DIR is not set: real-data tests need the data folder")
    if not Path(value).is_dir():
        pytest.fail(f"ASSIGNMENTS_DATA_DIR={value} is not a folder")
    return Path(value).resolve()  # absolute: tests link to it from temporary folders


@pytest.fixture
def empty_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty cache folder for the test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ASSIGNMENTS_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="session")
def tokenizer():
    """The offline all-MiniLM-L6-v2 WordPiece tokenizer (uncased), loaded once per session."""
    from common import finetuning

    return finetuning.load_tokenizer()


def tiny_bert_backbone(num_layers: int = 1, max_sequence_length: int = 32):
    """A randomly initialised keras-hub BertBackbone with MiniLM's vocabulary, 8 wide."""
    import keras_hub

    return keras_hub.models.BertBackbone(
        vocabulary_size=30522,
        num_layers=num_layers,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=max_sequence_length,
    )


@pytest.fixture
def run_in_process(tmp_path, monkeypatch, capsys):
    """Run assignment `name`'s main with `args` as the script would: (exit code, stderr)."""
    monkeypatch.setenv("ASSIGNMENTS_CACHE_DIR", str(tmp_path / "cache"))

    def run(name: str, args: list[str]) -> tuple[int, str]:
        import importlib

        from common.config import run_cli

        module = importlib.import_module(f"assignments.{name}")
        capsys.readouterr()
        try:  # argparse's own errors exit with code 2, the rest come back from run_cli
            code = run_cli(lambda: module.main(args))
        except SystemExit as exit:
            code = exit.code
        return code, capsys.readouterr().err

    return run
