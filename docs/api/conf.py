"""Sphinx configuration of the API reference (built from the docstrings).

    .venv/bin/sphinx-build -W -b html docs/api docs/api/_build

``tests/test_docs_site.py`` builds it with warnings as errors.
"""
project = "lava-vle"
author = "the lava-vle developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
# Lava and torch are imported where a module needs them; the reference
# documents the signatures, not their internals
nitpicky = False
# the processes document Ports and Vars as numpy-style sections, as lava-nc's do
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_custom_sections = [("Ports", "params_style"), ("Vars", "params_style")]
html_theme = "alabaster"
exclude_patterns = ["_build"]
