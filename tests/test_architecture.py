"""The house's layout: no import cycles, the harness above the library, every
module named in docs/architecture.md, no function longer than 90 lines."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: package folder -> its import name (processes/ installs as lava_vle.processes)
PACKAGES = {ROOT / "lava_vle": "lava_vle", ROOT / "processes": "lava_vle.processes"}
MAX_FUNCTION_LINES = 90


def modules() -> dict[str, Path]:
    """Every module of the installed package: import name -> file."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports at run time, at module level or in a
    function (an import under ``if TYPE_CHECKING:`` does not run)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            targets = []
        found.update(t for t in targets if t in known and t != name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    # importing a submodule runs its package's __init__, which imports nothing of
    # the package at run time here (the front doors load lazily)
    return {name: imported(name, path, set(known)) for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` as a list of modules (empty if none)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_find_cycle_reports_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_package_has_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_no_library_module_imports_the_harness_or_the_command_line():
    """Layers: the library -> experiments/ (the harness) -> cli. Only the
    harness itself and the command line may import the harness."""
    above = ("lava_vle.experiments", "lava_vle.cli")
    for name, deps in import_graph().items():
        if name.startswith(above):
            continue
        offending = sorted(d for d in deps if d.startswith(above))
        assert not offending, f"{name} imports {offending}"


def test_the_harness_does_not_import_the_command_line():
    for name, deps in import_graph().items():
        if name.startswith("lava_vle.experiments"):
            assert "lava_vle.cli" not in deps, name


def test_docs_architecture_names_every_module():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for path in modules().values():
        relative = path.relative_to(ROOT).as_posix()
        folder = path.parent.relative_to(ROOT).as_posix() + "/"
        in_process_folder = path.parent.parent == ROOT / "processes"
        if relative not in page and not (in_process_folder and folder in page):
            missing.append(relative)
    assert not missing, f"docs/architecture.md does not name {missing}"


@pytest.mark.parametrize("path", sorted(modules().values()), ids=lambda p: p.name)
def test_no_function_is_longer_than_90_lines(path):
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(ROOT)}: {long}"


def test_no_doc_records_a_path_of_the_machine_that_wrote_it():
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "docs").rglob("*.json")]
    for page in pages:
        text = page.read_text()
        for prefix in ("/tmp/", "/home/", "/root/", "/work/"):
            assert prefix not in text, f"{page.relative_to(ROOT)} names a path under {prefix}"


def test_a_recorded_command_names_no_folder_outside_the_current_one(tmp_path, monkeypatch):
    from lava_vle.cli import portable_path

    monkeypatch.chdir(tmp_path)
    assert portable_path(str(tmp_path / "results" / "run")) == "results/run"
    assert portable_path("/elsewhere/campaign/mnist1d") == "$OUT/mnist1d"
    assert portable_path("--lrs") == "--lrs" and portable_path("results/a") == "results/a"


def test_type_checkers_see_every_name_of_the_front_door_from_its_module():
    """The names load lazily at run time; the TYPE_CHECKING imports (and
    py.typed) let editors and type checkers see them."""
    import lava_vle

    init = Path(lava_vle.__file__)
    tree = ast.parse(init.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and getattr(node.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.name: node.module.removeprefix("lava_vle.") for node in block.body
            for alias in node.names}
    assert seen == lava_vle._EXPORTS
    assert (init.parent / "py.typed").is_file()
