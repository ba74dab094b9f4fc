"""common.config: every Config field is a flag, --quick overrides, one-line errors."""

from dataclasses import dataclass

import pytest

from common.config import BaseConfig, field, parse_config, run_cli
from common.errors import InputError


@dataclass
class Config(BaseConfig):
    sizes: tuple[int, ...] = field((16, 32), "sizes to sweep", minimum=1)
    rate: float = field(0.001, "learning rate", minimum=0)
    fraction: float = field(0.1, "a fraction", minimum=0, maximum=1)
    corpus: str = field("a", "which corpus", choices=("a", "b"))
    augment: bool = field(True, "use augmentation")
    epochs: int = field(50, "epochs", minimum=1)


QUICK = {"epochs": 2, "sizes": (8,)}


def test_defaults_are_the_full_run():
    config = parse_config(Config, QUICK, [])
    assert (config.epochs, config.sizes, config.quick, config.seed) == (50, (16, 32), False, 42)


def test_quick_applies_overrides_and_flags_win():
    config = parse_config(Config, QUICK, ["--quick", "--epochs", "5"])
    assert config.quick and config.epochs == 5 and config.sizes == (8,)


def test_every_field_is_a_flag():
    config = parse_config(
        Config,
        QUICK,
        [
            "--sizes",
            "1",
            "2",
            "3",
            "--rate",
            "0.5",
            "--corpus",
            "b",
            "--no-augment",
            "--batch-size",
            "7",
            "--seed",
            "3",
            "--data-dir",
            "/d",
            "--output-dir",
            "/o",
        ],
    )
    assert config.sizes == (1, 2, 3) and config.rate == 0.5 and config.corpus == "b"
    assert config.augment is False and config.batch_size == 7 and config.seed == 3
    assert (config.data_dir, config.output_dir) == ("/d", "/o")


def test_help_lists_every_flag_with_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(Config, QUICK, ["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--quick",
        "--epochs",
        "--batch-size",
        "--seed",
        "--data-dir",
        "--output-dir",
        "--sizes",
        "--rate",
        "--corpus",
        "--augment",
    ):
        assert flag in text
    assert "default: 50; --quick: 2" in text
    assert "default: 16 32; --quick: 8" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--corpus", "c"], "invalid choice"),
        (["--epochs", "0"], "must be >= 1"),
        (["--rate", "fast"], "expected float"),
        (["--no-such-flag"], "unrecognized arguments"),
        (["--fraction", "1.5"], "must be <= 1"),
        (["--fraction", "-0.1"], "must be >= 0"),
        (["--fraction", "nan"], "must be a finite number"),
        (["--rate", "inf"], "must be a finite number"),
        (["--seed", "-1"], "must be >= 0"),
        (["--seed", "4294967296"], "must be <= 2147483647"),
        (["--batch-size", "0"], "must be >= 1"),
    ],
)
def test_bad_values_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(Config, QUICK, argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_quick_with_unknown_field_is_a_programming_error():
    with pytest.raises(TypeError, match="unknown fields"):
        parse_config(Config, {"nope": 1}, [])


def test_notebook_kernel_arguments_are_ignored(monkeypatch):
    monkeypatch.setattr(
        "sys.argv", ["/usr/lib/python3/ipykernel_launcher.py", "-f", "/tmp/kernel.json"]
    )
    assert parse_config(Config, QUICK, None).epochs == 50


def test_percent_run_arguments_are_honoured(monkeypatch):
    # `%run assignments/x.py --quick` in IPython: argv[0] is the script, not a kernel launcher.
    monkeypatch.setattr("sys.argv", ["assignments/x.py", "--quick"])
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    assert parse_config(Config, QUICK, None).epochs == 2


def test_run_assignment_in_a_kernel_runs_quick_and_never_raises(monkeypatch, capsys):
    from common.config import run_assignment

    monkeypatch.setattr("sys.argv", ["/usr/local/lib/colab_kernel_launcher.py", "-f", "k.json"])
    seen = []
    assert run_assignment(lambda argv: seen.append(argv) or {"passed": True}, True) == {
        "passed": True
    }
    assert run_assignment(lambda argv: seen.append(argv) or {"passed": False}, False) == {
        "passed": False
    }
    assert seen == [["--quick"], []]

    def bad(argv):
        raise InputError("no such file")

    assert run_assignment(bad, True) is None
    assert capsys.readouterr().err == "error: no such file\n"


def test_run_assignment_as_a_script_exits_with_the_code(monkeypatch):
    from common.config import run_assignment

    monkeypatch.setattr("sys.argv", ["assignments/x.py"])
    with pytest.raises(SystemExit) as exit_info:
        run_assignment(lambda: {"passed": False}, True)
    assert exit_info.value.code == 1


def test_run_cli_exit_codes(capsys):
    assert run_cli(lambda: {"passed": True}) == 0
    assert run_cli(lambda: {"passed": False}) == 1

    def bad():
        raise InputError("the data folder /x does not exist")

    assert run_cli(bad) == 2
    assert capsys.readouterr().err == "error: the data folder /x does not exist\n"


def test_jit_compile_and_mixed_precision_flags():
    from common.config import BaseConfig, parse_config

    config = parse_config(BaseConfig, {}, [])
    assert config.keras_jit_compile == "auto" and config.mixed_precision is False
    config = parse_config(BaseConfig, {}, ["--jit-compile", "off", "--mixed-precision"])
    assert config.keras_jit_compile is False and config.mixed_precision is True
    assert parse_config(BaseConfig, {}, ["--jit-compile", "on"]).keras_jit_compile is True
    with pytest.raises(SystemExit):
        parse_config(BaseConfig, {}, ["--jit-compile", "yes"])
