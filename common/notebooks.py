"""The committed notebooks: made from the scripts by jupytext, kept in sync.

    python -m common.notebooks            # sync set-up cells, (re)write notebooks/*.ipynb
    python -m common.notebooks --check    # exit 1 if a notebook differs from its script

Each `assignments/<name>.py` (jupytext "percent" format) becomes
`notebooks/<name>.ipynb` with a Python 3 kernel and no outputs. Before that,
the Colab set-up lines (`common.colab.SETUP_LINES`, the one place the
repository's address is written) are put into each script's first code
cell, just before the repository-root lines, or replaced where they are.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from common.colab import SETUP_LINES, SETUP_MARKER

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
ROOT_LINE = "HERE = Path(__file__).resolve().parent"


def scripts() -> list[Path]:
    """Every assignment script, in course order (run_all's list)."""
    sys.path.insert(0, str(ROOT))
    from run_all import built_assignments

    return [ROOT / "assignments" / f"{name}.py" for name in built_assignments()]


def with_setup_cell(text: str) -> str:
    """The script `text` with `SETUP_LINES` before its repository-root line (idempotent).

    Raises:
        ValueError: the script has no repository-root line to anchor on.
    """
    lines = text.splitlines(keepends=True)
    if SETUP_MARKER + "\n" in lines:
        start = lines.index(SETUP_MARKER + "\n")
        end = start + 1
        while end < len(lines) and not lines[end].startswith('    os.system(f"{sys.executable}'):
            end += 1
        del lines[start : end + 1]
    anchors = [i for i, line in enumerate(lines) if line.startswith(ROOT_LINE)]
    if not anchors:
        raise ValueError(f"no line starting with {ROOT_LINE!r} to put the Colab set-up before")
    lines[anchors[0] : anchors[0]] = [SETUP_LINES]
    return "".join(lines)


def notebook_text(script: Path) -> str:
    """The .ipynb text jupytext makes from `script` (Python 3 kernel, no outputs)."""
    import jupytext

    notebook = jupytext.read(script)
    for index, cell in enumerate(notebook.cells):  # stable ids: the same script, the same file
        digest = hashlib.sha1(cell.source.encode()).hexdigest()[:8]
        cell.id = f"{index:03d}-{digest}"
    notebook.metadata["kernelspec"] = KERNELSPEC
    notebook.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    return jupytext.writes(notebook, fmt="ipynb")


def notebook_path(script: Path) -> Path:
    return ROOT / "notebooks" / f"{script.stem}.ipynb"


def stale_notebooks() -> list[str]:
    """Names of the assignments whose committed notebook differs from (or lacks) its script's."""
    stale = []
    for script in scripts():
        path = notebook_path(script)
        if not path.is_file() or path.read_text() != notebook_text(script):
            stale.append(script.stem)
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_notebooks()
        for name in stale:
            print(
                f"notebooks/{name}.ipynb differs from assignments/{name}.py: run `make notebooks`"
            )
        return 1 if stale else 0
    for script in scripts():
        text = script.read_text()
        synced = with_setup_cell(text)
        if synced != text:
            script.write_text(synced)
            print(f"set-up cell synced: {script.relative_to(ROOT)}")
        path = notebook_path(script)
        path.parent.mkdir(exist_ok=True)
        new = notebook_text(script)
        if not path.is_file() or path.read_text() != new:
            path.write_text(new)
            print(f"written: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
