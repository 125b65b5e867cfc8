"""Contained Python 3.11 fix for lava-nc 0.10.0 (import hook).

lava-nc 0.10.0 supports Python 3.10 only.  On Python >= 3.11 importing almost
any Lava process fails with::

    ValueError: mutable default <class 'lava.magma.compiler.var_model.ByteEncoder'>
    for field x is not allowed: use default_factory

because ``lava/magma/compiler/var_model.py`` gives dataclass fields the default
``= ByteEncoder()`` (a mutable, unhashable instance, rejected since 3.11).

This module installs a ``sys.meta_path`` finder that, on Python >= 3.11 only,
rewrites that ONE module in memory while it is imported:

* ``= ByteEncoder()``  ->  ``= field(default_factory=ByteEncoder)``
* ``from dataclasses import dataclass, InitVar``  ->  ``..., InitVar, field``

Both edits stay on the same lines, so line numbers in tracebacks are kept.  The
patched code is compiled from the source and never written to ``__pycache__``
(the cached bytecode of the unpatched file is bypassed, not replaced).  Nothing
on disk and no other module of lava-nc is touched.  When the text is not found
(a fixed lava-nc release) the finder steps aside and the normal import runs.

Activation: the lava-vle wheel ships ``lava_vle_py311.pth`` in site-packages,
which runs ``import lava_vle._lava_py311`` (this module, through the tiny
``lava_vle/__init__.py``, which calls :func:`install`) at interpreter start-up,
so Lava can be imported first, and Lava's forked workers inherit the hook.
``import lava_vle`` installs it as well.

If you still get the ``ValueError`` above, the hook was not active when Lava
was imported (``python -S``, the ``.pth`` file missing, e.g. after a plain
``PYTHONPATH=...`` setup).  Do ONE of:

* ``import lava_vle`` before importing anything from ``lava`` (in a notebook:
  run ``import lava_vle`` and re-run the failing import; no restart needed);
* reinstall so the ``.pth`` file is present:
  ``pip install --force-reinstall --no-deps lava-vle`` (or ``pip install .`` /
  ``pip install -e .`` from the source tree);
* check the state with
  ``python -c "import lava_vle._lava_py311 as m; m.check()"``.
"""

import re
import sys

__all__ = ["TARGET", "install", "uninstall", "is_installed", "rewrite", "check"]

TARGET = "lava.magma.compiler.var_model"
PTH_NAME = "lava_vle_py311.pth"

_IMPORT_RE = re.compile(
    r"^(from[ \t]+dataclasses[ \t]+import[ \t]+dataclass,[ \t]*InitVar)[ \t]*$",
    re.MULTILINE,
)
_DEFAULT_RE = re.compile(r"=[ \t]*ByteEncoder\(\)")
_MARKER = "_lava_vle_py311_hook"


def rewrite(source):
    """Return the patched text of ``var_model.py``, or None if not applicable.

    None means: the import line or the ``= ByteEncoder()`` defaults are not
    there (e.g. a lava-nc release that fixed the bug), so leave it alone.
    """
    if not _DEFAULT_RE.search(source) or len(_IMPORT_RE.findall(source)) != 1:
        return None
    source = _IMPORT_RE.sub(r"\1, field", source)
    return _DEFAULT_RE.sub("= field(default_factory=ByteEncoder)", source)


def _make_loader_class():
    from importlib.machinery import SourceFileLoader

    class PatchedSourceLoader(SourceFileLoader):
        """Loads var_model.py from its rewritten source, never from bytecode."""

        def get_source(self, fullname):
            source = super().get_source(fullname)
            return rewrite(source) or source

        def get_code(self, fullname):
            path = self.get_filename(fullname)
            source = super().get_source(fullname)
            patched = rewrite(source)
            if patched is None:  # changed on disk since find_spec
                return super().get_code(fullname)
            return self.source_to_code(patched, path)

    return PatchedSourceLoader


class _Finder:
    """``sys.meta_path`` finder acting only on :data:`TARGET`."""

    _lava_vle_py311_hook = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname != TARGET:
            return None
        import importlib.machinery
        import importlib.util

        spec = None
        for finder in list(sys.meta_path):
            if getattr(finder, _MARKER, False):
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        if spec is None or type(spec.loader) is not \
                importlib.machinery.SourceFileLoader:
            return None
        try:
            source = spec.loader.get_source(fullname)
        except (ImportError, OSError):
            return None
        if source is None or rewrite(source) is None:
            return None
        loader = _make_loader_class()(fullname, spec.origin)
        return importlib.util.spec_from_file_location(
            fullname, spec.origin, loader=loader)

    def invalidate_caches(self):
        pass


def is_installed():
    """True if a finder of this fix is on ``sys.meta_path``."""
    return any(getattr(f, _MARKER, False) for f in sys.meta_path)


def install():
    """Activate the fix (idempotent). Returns True if the hook is active.

    Does nothing on Python < 3.11.  Safe to call from several copies of this
    module: a marker attribute, not the class identity, detects the finder.
    """
    if sys.version_info < (3, 11):
        return False
    if not is_installed():
        sys.meta_path.insert(0, _Finder())
    return True


def uninstall():
    """Remove the finder (already imported modules stay as they are)."""
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not getattr(f, _MARKER, False)]


def check():
    """Print whether the fix is active and whether Lava imports; 0 if ok."""
    import os
    print(f"python {sys.version.split()[0]}; hook active: {is_installed()}")
    pth = [os.path.join(d, PTH_NAME) for d in sys.path
           if os.path.isfile(os.path.join(d, PTH_NAME))]
    print(f"{PTH_NAME}: {pth[0] if pth else 'NOT FOUND on sys.path'}")
    try:
        import lava.magma.compiler.var_model as vm
    except Exception as exc:  # noqa: BLE001 -- report any failure
        print(f"import {TARGET}: FAILED: {exc!r}")
        return 1
    patched = type(getattr(vm, "__loader__", None)).__name__ == \
        "PatchedSourceLoader"
    print(f"import {TARGET}: ok ({'patched in memory' if patched else 'unpatched'})")
    return 0
