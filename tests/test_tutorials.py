"""The tutorial notebooks: each runs to the end (small size) without an error,
and each is stored executed (figures and printed results) and small.

Regenerate the stored notebooks with ``python -m lava_vle.experiments.tutorials_build``.
"""
import ast
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from lava_vle.experiments.tutorials_build import MAX_BYTES, output_counts

TUTORIALS = sorted((Path(__file__).parent.parent / "tutorials").glob("*.ipynb"))
IDS = [p.stem for p in TUTORIALS]


@pytest.mark.slow  # executes the notebooks (Lava runtime, training, a Ray sweep)
@pytest.mark.parametrize("path", TUTORIALS, ids=IDS)
def test_tutorial_executes_without_error(path, tmp_path, monkeypatch):
    monkeypatch.setenv("LAVA_VLE_TUTORIAL_SMALL", "1")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    counts = output_counts(notebook)
    assert counts["images"], "the tutorial should render its figures"
    assert counts["printed"], "the tutorial should print its numbers"


@pytest.mark.parametrize("path", TUTORIALS, ids=IDS)
def test_stored_tutorial_is_executed_with_figures_and_numbers_and_small(path):
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name}: {size:,} bytes, the limit is {MAX_BYTES:,}"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), \
        f"{path.name}: not every code cell is stored executed (python -m lava_vle.experiments.tutorials_build)"
    counts = output_counts(notebook)
    assert counts["images"] >= 1 and counts["printed"] >= 1, f"{path.name}: {counts}"
    assert counts["errors"] == 0
    assert any(cell.cell_type == "markdown" for cell in notebook.cells[1:]), \
        f"{path.name}: prose between the code cells"


def code_nodes(path):
    """Every AST node of the notebook's code cells."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            yield from ast.walk(ast.parse(cell.source))


@pytest.mark.parametrize("path", TUTORIALS, ids=IDS)
def test_tutorial_uses_only_public_names(path):
    """No ``_private`` names from lava-vle or Lava (dunders such as
    ``__name__`` are public)."""

    def private_name(name):
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    private = []
    for node in code_nodes(path):
        if isinstance(node, ast.ImportFrom):
            private += [a.name for a in node.names if private_name(a.name)]
            private += [node.module] if any(private_name(part)
                                            for part in (node.module or "").split(".")) else []
        elif isinstance(node, ast.Import):
            private += [a.name for a in node.names
                        if any(private_name(part) for part in a.name.split("."))]
        elif isinstance(node, ast.Attribute) and private_name(node.attr):
            private.append(node.attr)
    assert not private, f"{path.name} uses private names: {private}"


def test_there_are_tutorials():
    assert len(TUTORIALS) >= 7


# the modules a user imports from; everything else is the package's inside
FRONT_DOOR = {"lava_vle", "lava_vle.processes", "lava_vle.fixed_point", "lava_vle.energy",
              "lava_vle.experiments.learning_engine_comparison", "lava_vle.datasets", "lava_vle.experiments.compare",
              "lava_vle.cli"}


@pytest.mark.parametrize("path", TUTORIALS, ids=IDS)
def test_tutorial_imports_lava_vle_only_through_its_front_door(path):
    import importlib

    imports = []
    for node in code_nodes(path):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lava_vle"):
            imports += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            imports += [(alias.name, None) for alias in node.names
                        if alias.name.startswith("lava_vle")]
    for module, name in imports:
        assert module in FRONT_DOOR, f"{path.name} imports from {module}"
        if name is not None:  # a public name, or a public submodule (fixed_point)
            public = hasattr(importlib.import_module(module), name) or \
                f"{module}.{name}" in FRONT_DOOR
            assert public, f"{module}.{name}"


def test_front_door_names_all_resolve_without_torch_or_lava():
    import subprocess
    import sys

    code = ("import sys, lava_vle; [getattr(lava_vle, n) for n in lava_vle.__all__]; "
            "print(sorted({'torch', 'lava'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_no_front_door_name_is_shadowed_by_a_submodule():
    """``from lava_vle import X`` gives the documented object even after every
    submodule is imported (a submodule of the same name would replace it)."""
    import importlib
    import pkgutil
    import types

    import lava_vle
    import lava_vle.processes

    for package in (lava_vle, lava_vle.processes):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        for name in package.__all__:
            assert not isinstance(getattr(package, name), types.ModuleType), name


def test_tutorial_01s_stored_output_lists_every_port_of_the_two_processes():
    """Its stored output listed two out ports of VLENeuron where three exist."""
    import json

    from lava_vle.processes import ErrorDendrite, VLENeuron

    notebook = json.loads(next(p for p in TUTORIALS if p.name.startswith("01_")).read_text())
    printed = "".join(line for cell in notebook["cells"] if cell["cell_type"] == "code"
                      for output in cell.get("outputs", []) for line in output.get("text", []))
    for process in (VLENeuron(shape=(1,)), ErrorDendrite(shape=(1,))):
        outs = sorted(port.name for port in process.out_ports)
        assert f"out {outs}" in printed, (type(process).__name__, outs)
