"""Public names of a package that load their module on first use (PEP 562)."""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable


def lazy_exports(package: str, exports: dict[str, str], namespace: dict
                 ) -> tuple[Callable[[str], Any], Callable[[], list]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` whose public name ``X``
    is defined in its submodule ``exports[X]``; a loaded name is kept in
    ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list:  # public names, loaded public submodules, dunders; no helpers
        return sorted(set(exports) | {
            name for name, value in namespace.items() if name.startswith("__") or (
                isinstance(value, ModuleType) and not name.startswith("_")
                and value.__name__.startswith(package + "."))})

    return __getattr__, __dir__
