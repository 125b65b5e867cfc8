"""The API reference (docs/api, Sphinx from the docstrings) builds with no
warning: a docstring that stops being valid reStructuredText, or a name the
reference documents that stops importing, fails here."""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the API reference needs Sphinx: .venv/bin/pip install "
                                     "sphinx")
pytestmark = pytest.mark.slow  # imports the whole package, Lava included

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api"


def test_the_api_reference_builds_with_warnings_as_errors(tmp_path):
    build = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-E", "-W", "--keep-going",
                            "-b", "html", str(DOCS), str(tmp_path / "html")],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-4000:]
    page = (tmp_path / "html" / "processes.html").read_text()
    assert "VLENetwork" in page and "membrane potential" in page
