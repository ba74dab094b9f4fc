"""Command-line flags and configuration shared by every assignment.

Each assignment declares a dataclass `Config(BaseConfig)` holding every
hyper-parameter with its full-run default and its bounds, and a dict
`QUICK_OVERRIDES` of the values that `--quick` overrides. `parse_config`
turns every field into a flag (`latent_dims` -> `--latent-dims`), so
`--help` lists all of them with both defaults, and flags given on the command
line win over the overrides:

    config = parse_config(Config, QUICK_OVERRIDES, argv, description=__doc__)

The last cells of an assignment are the notebook parameters cell
(`QUICK = True`) and the run cell, `run_assignment(main, QUICK)`: as a
script it exits with `run_cli`'s code; in a Jupyter or Colab kernel it runs
`main(["--quick"])` (or the full run) and ends without an exception.

The shared flags (`--quick`, `--epochs`, `--batch-size`, `--seed`,
`--data-dir`, `--output-dir`) come from `BaseConfig`.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import math
import os
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from common.errors import InputError


@dataclasses.dataclass
class BaseConfig:
    """The flags every assignment has.

    Attributes:
        quick: run the cut-down pipeline (real data, fewer samples and epochs).
        epochs: training epochs (per model where several are trained).
        batch_size: the batch of each replica (`common.distribute.global_batch_size`
            multiplies it by the number of GPUs / TPU cores).
        seed: seed for Python, NumPy and the backend (keras.utils.set_random_seed).
        data_dir: the data folder; default `$ASSIGNMENTS_DATA_DIR`.
        output_dir: where results go; default `runs/<assignment>`.
        jit_compile: XLA compilation of the train step: "auto" (Keras's choice: on
            for a GPU or TPU, off on a CPU, where it measured 2.5-4x slower here),
            "on" or "off"; models are compiled with `config.keras_jit_compile`.
        mixed_precision: compute in float16 with float32 weights (Keras's
            "mixed_float16" policy, set by `common.reporting.Run`): faster on GPUs
            with tensor cores, slower on a CPU.
    """

    quick: bool = dataclasses.field(
        default=False, metadata={"help": "cut-down run on real data (< 90 s on a 2-core CPU)"}
    )
    epochs: int = dataclasses.field(default=10, metadata={"help": "training epochs", "minimum": 1})
    batch_size: int = dataclasses.field(default=32, metadata={"help": "batch size", "minimum": 1})
    seed: int = dataclasses.field(
        default=42, metadata={"help": "random seed", "minimum": 0, "maximum": 2**31 - 1}
    )
    data_dir: str | None = dataclasses.field(
        default=None, metadata={"help": "data folder", "default_text": "$ASSIGNMENTS_DATA_DIR"}
    )
    output_dir: str | None = dataclasses.field(
        default=None, metadata={"help": "output folder", "default_text": "runs/<assignment>"}
    )
    jit_compile: str = dataclasses.field(
        default="auto",
        metadata={
            "help": "XLA compilation: auto is on for a GPU/TPU, off on a CPU",
            "choices": ("auto", "on", "off"),
        },
    )
    mixed_precision: bool = dataclasses.field(
        default=False, metadata={"help": "float16 compute, float32 weights (for GPUs)"}
    )

    @property
    def keras_jit_compile(self) -> bool | str:
        """`jit_compile` as `Model.compile` takes it: "auto", True or False."""
        return {"auto": "auto", "on": True, "off": False}[self.jit_compile]


def field(
    default: Any,
    help: str,
    choices: Sequence[Any] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
):
    """A Config field with its `--help` text and its bounds.

    Args:
        default: the full-run value (a tuple for sequences).
        help: one line for `--help`.
        choices: the allowed values, or None.
        minimum, maximum: inclusive bounds of a number (each value of a
            sequence), or None. Fractions take `minimum=0, maximum=1`.
            NaN and infinity are always rejected for float fields.
    """
    metadata = {"help": help, "choices": choices, "minimum": minimum, "maximum": maximum}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for sequence defaults")
    return dataclasses.field(default=default, metadata=metadata)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (and exit code 2)."""

    def error(self, message: str) -> typing.NoReturn:  # noqa: D401
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def launched_as_kernel() -> bool:
    """True when this process is a Jupyter / Colab kernel whose `sys.argv` are the kernel's own.

    Under `%run script.py --quick` the arguments are the script's (argv[0] is
    the script), so they are honoured; only a kernel launcher's are ignored.
    """
    launcher = os.path.basename(sys.argv[0]) if sys.argv else ""
    return (
        "kernel_launcher" in launcher
        or launcher in ("ipykernel", "__main__.py")
        and "-f" in sys.argv
    )


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _scalar_type(annotation: Any) -> tuple[type, bool]:
    """(element type, is_sequence) of a field annotation such as `tuple[int, ...]`."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (tuple, list):
        return args[0], True
    if origin is typing.Union or (origin is not None and type(None) in typing.get_args(annotation)):
        return args[0], False
    if annotation is type(None):
        return str, False
    return annotation, False


def _bounded(kind: type, minimum: float | None, maximum: float | None) -> Callable[[str], Any]:
    """An argparse `type=` that converts to `kind` and checks the bounds (and finiteness)."""

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum}, got {text}")
        return value

    convert.__name__ = kind.__name__
    return convert


def build_parser(
    config_cls: type, quick: Mapping[str, Any], description: str | None = None
) -> argparse.ArgumentParser:
    """An argparse parser with one flag per field of `config_cls` (defaults suppressed).

    Raises:
        TypeError: `quick` names a field that `config_cls` does not have.
    """
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = set(quick) - set(fields)
    if unknown:
        raise TypeError(f"QUICK names unknown fields: {sorted(unknown)}")
    hints = typing.get_type_hints(config_cls)
    summary = (description or "").strip().split("\n\n")[0]
    parser = _Parser(
        description=summary,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    for name, f in fields.items():
        help_text = f.metadata.get("help", "")
        default = f.default
        shown = f"default: {f.metadata.get('default_text', _show(default))}"
        if name in quick:
            shown += f"; --quick: {_show(quick[name])}"
        help_text = f"{help_text} ({shown})".replace("%", "%%")
        kind, is_sequence = _scalar_type(hints[name])
        if kind is bool:
            parser.add_argument(_flag(name), action=argparse.BooleanOptionalAction, help=help_text)
            continue
        convert = _bounded(kind, f.metadata.get("minimum"), f.metadata.get("maximum"))
        parser.add_argument(
            _flag(name),
            type=convert,
            nargs="+" if is_sequence else None,
            choices=f.metadata.get("choices"),
            metavar=name.upper() if not f.metadata.get("choices") else None,
            help=help_text,
        )
    return parser


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def parse_config(
    config_cls: type,
    quick: Mapping[str, Any] | None = None,
    argv: Sequence[str] | None = None,
    description: str | None = None,
):
    """Parse `argv` into an instance of `config_cls`.

    Order of precedence: flags given in `argv` > `quick` (when `--quick`) >
    the dataclass defaults. With `argv=None` the process arguments are used,
    except inside a Jupyter / Colab kernel, whose own arguments are ignored.

    Args:
        config_cls: a dataclass deriving from `BaseConfig`.
        quick: field -> value overrides applied by `--quick`.
        argv: command-line arguments (without the program name).
        description: shown by `--help` (the first paragraph is used).

    Returns:
        A `config_cls` instance; sequence fields are tuples.

    Raises:
        SystemExit(2): an unknown flag or a bad value (one-line message).
    """
    quick = dict(quick or {})
    if argv is None:
        argv = [] if launched_as_kernel() else sys.argv[1:]
    parser = build_parser(config_cls, quick, description)
    given = vars(parser.parse_args(list(argv)))
    values = {}
    if given.get("quick", False):
        values.update(quick)
    values.update({k: tuple(v) if isinstance(v, list) else v for k, v in given.items()})
    return config_cls(**values)


class _Unknown:
    """A module the flag pre-check does not import: every attribute is None."""

    def __getattr__(self, name: str) -> None:
        return None


def config_from_source(path: str | os.PathLike) -> tuple[type, dict, str | None] | None:
    """`(Config, QUICK_OVERRIDES, docstring)` of an assignment, built from its source alone.

    Executes only the script's upper-case constants, its `Config` class and its
    `QUICK_OVERRIDES` (with `dataclass`, `field` and `BaseConfig` in scope), so
    nothing the script imports (Keras, TensorFlow) is loaded.

    Returns:
        None when the source has no `Config`, or when `Config` needs a name that
        only the full script defines (its own parse then checks the flags).
    """
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, ValueError):
        return None
    module = types.ModuleType("_assignment_flags")
    # Names imported from common stand in as unknown (their modules load TensorFlow):
    # a bound or choice list given by one is checked by main's own parse only.
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("common"):
            for alias in node.names:
                name = alias.asname or alias.name
                module.__dict__[name] = None if name.isupper() else _Unknown()
    module.__dict__.update(dataclass=dataclasses.dataclass, field=field, BaseConfig=BaseConfig)
    sys.modules[module.__name__] = module  # typing.get_type_hints looks the module up
    try:
        for node in tree.body:
            targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            wanted = (isinstance(node, ast.ClassDef) and node.name == "Config") or any(
                name.isupper() for name in targets
            )
            if not wanted:
                continue
            try:
                exec(compile(ast.Module([node], []), str(path), "exec"), module.__dict__)
            except Exception:
                if isinstance(node, ast.ClassDef) or "QUICK_OVERRIDES" in targets:
                    return None  # needs the full script: leave the check to main()
        config_cls = module.__dict__.get("Config")
        if config_cls is None:
            return None
        quick = module.__dict__.get("QUICK_OVERRIDES", {})
        return config_cls, quick, ast.get_docstring(tree)
    finally:
        del sys.modules[module.__name__]


def reject_bad_flags(namespace: Mapping[str, Any]) -> None:
    """Check a script's flags before it imports TensorFlow: exit 2 on a bad one.

    Called by every assignment's set-up cell with `globals()`, before `import
    keras`. Run as a program (`python assignments/x.py --epochs 0`), the
    script's flags are parsed against its `Config` built from the source
    (`config_from_source`): a bad flag prints one line and exits 2 within a
    fraction of a second, instead of after the 3-4 s TensorFlow import.
    Does nothing when the module is imported, in a notebook kernel, for
    `--help`, or when the Config cannot be built from the source alone; `main`
    parses the same flags again in every case.

    Raises:
        SystemExit(2): an unknown flag or a value out of its bounds.
    """
    argv = sys.argv[1:]
    if namespace.get("__name__") != "__main__" or launched_as_kernel():
        return
    if any(arg in ("-h", "--help") for arg in argv):
        return  # main prints the full help (choices read from the imported modules)
    found = config_from_source(namespace.get("__file__", ""))
    if found is not None:
        config_cls, quick, docstring = found
        parse_config(config_cls, quick, argv, description=docstring)


def one_line(error: BaseException) -> str:
    """The error's message on one line (a message may quote a multi-line library error)."""
    return " ".join(str(error).split())


def run_cli(main: Callable[[], dict]) -> int:
    """Run an assignment's `main()` as a program and return its exit code.

    0: finished and reached its bar; 1: finished but missed the bar;
    2: bad input (`InputError`: printed as one `error:` line on stderr).
    """
    try:
        metrics = main()
    except InputError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0 if metrics.get("passed", True) else 1


def run_assignment(main: Callable[..., dict], quick: bool = True) -> dict | None:
    """The run cell of every assignment: run `main` as a script or in a notebook.

    As a script (`python assignments/x.py ...`, or `%run assignments/x.py ...`
    in IPython) it exits with `run_cli`'s code (0 bar reached, 1 missed,
    2 bad input), honouring the command-line arguments. In a Jupyter / Colab
    kernel it runs `main(["--quick"])`, or the full run when `quick` is False
    (the notebook's `QUICK` parameter, which papermill can set), and returns
    the metrics record without raising: bad input prints one `error:` line.
    """
    if not launched_as_kernel():
        sys.exit(run_cli(main))
    try:
        return main(["--quick"] if quick else [])
    except InputError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return None
