"""The dataset registry: :data:`DATASETS` (name -> loader) and :func:`load_dataset`."""
from __future__ import annotations

from typing import Any, Callable

from ._common import PathLike
from .container import SequenceDataset
from .idx import IDX_FILES
from .mnist import fashion_mnist, load_mnist_idx
from .mnist1d_gen import mnist1d
from .pattern import pattern_generation
from .sklearn_digits import digits
from .xor import delayed_xor


def _no_variant(name: str, kwargs: dict) -> None:
    """Raise ``ValueError`` if ``kwargs`` sets ``variant`` or ``name``, which the
    registry entry ``name`` fixes."""
    for key in ("variant", "name"):
        if key in kwargs:
            raise ValueError(f"dataset {name!r} fixes {key}; do not pass {key}= (pick the "
                             "registry name instead: '...' for pixels, '...-row' for rows)")


def _needs_directory(name: str, variant: str) -> Callable[..., SequenceDataset]:
    """Registry loader for MNIST IDX files: :func:`load_mnist_idx` with
    ``variant`` and ``name`` fixed and ``directory=`` required."""
    def load(directory: PathLike | None = None, **kwargs: Any) -> SequenceDataset:
        _no_variant(name, kwargs)
        if directory is None:
            raise ValueError(
                f"dataset {name!r} needs directory=: the folder holding the MNIST IDX files "
                f"({', '.join(IDX_FILES.values())}, optionally .gz)")
        return load_mnist_idx(directory, variant=variant, name=name, **kwargs)
    load.__name__ = f"load_{name.replace('-', '_')}"
    load.__doc__ = f"{name!r}: :func:`load_mnist_idx` with variant={variant!r}."
    return load


def _fashion(variant: str) -> Callable[..., SequenceDataset]:
    """Registry loader for Fashion-MNIST: :func:`fashion_mnist` with ``variant`` fixed."""
    def load(**kwargs: Any) -> SequenceDataset:
        _no_variant("fashion-smnist" + ("-row" if variant == "row" else ""), kwargs)
        return fashion_mnist(variant=variant, **kwargs)
    load.__name__ = f"load_fashion_{variant}"
    load.__doc__ = f":func:`fashion_mnist` with variant={variant!r}."
    return load


#: name -> loader; call through :func:`load_dataset`.
DATASETS: dict[str, Callable[..., SequenceDataset]] = {
    "mnist1d": mnist1d,
    "smnist": _needs_directory("smnist", "pixel"),
    "smnist-row": _needs_directory("smnist-row", "row"),
    "fashion-smnist": _fashion("pixel"),
    "fashion-smnist-row": _fashion("row"),
    "delayed-xor": delayed_xor,
    "pattern": pattern_generation,
    "digits": digits,
}


def load_dataset(name: str, **kwargs: Any) -> SequenceDataset:
    """Build the dataset registered as ``name`` in :data:`DATASETS` with ``kwargs``.

    Raises ``ValueError`` listing the valid names for an unknown ``name``.
    """
    try:
        loader = DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; valid names: "
                         f"{', '.join(sorted(DATASETS))}") from None
    return loader(**kwargs)
