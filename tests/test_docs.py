"""Every Python block of README.md and docs/*.md runs as written, and the
results tables in them are the ones the comparisons generate."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCKS = [(page, i, block) for page in PAGES
          for i, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))]


def test_the_readme_has_runnable_examples():
    assert sum(page.name == "README.md" for page, _, _ in BLOCKS) >= 3


@pytest.mark.slow  # some start the Lava runtime
@pytest.mark.parametrize("page, index, block", BLOCKS,
                         ids=[f"{p.relative_to(ROOT)}#{i}" for p, i, _ in BLOCKS])
def test_python_block_runs_as_written(page, index, block, tmp_path):
    run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"{page.name} block {index}:\n{run.stderr[-3000:]}"


def test_readme_results_table_is_generated_from_the_comparisons():
    from lava_vle.experiments.compare import load_summaries, summary_table, tasks_as_defined

    table = summary_table(tasks_as_defined(load_summaries(ROOT / "docs" / "compare")))
    assert table in (ROOT / "README.md").read_text()


def test_ci_installs_exactly_as_the_readmes_first_command():
    """.ci/run copies the README's install; a package added to one only (Norse)
    made CI skip the test that needs it."""
    readme = (ROOT / "README.md").read_text()
    first = next(line for line in readme.splitlines() if line.startswith("python3 -m venv"))
    install = first.split(" && .venv/bin/lava-vle ")[0]
    assert install in (ROOT / ".ci" / "run").read_text()
