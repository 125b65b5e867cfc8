"""MNIST-1D, generated locally by the ``mnist1d`` package (no download).

:func:`mnist1d` calls ``mnist1d.data.make_dataset`` with the package's
standard arguments and ``final_seq_length = steps``, optionally caching the
arrays (:mod:`~lava_vle.datasets.cache`).  ``mnist1d`` is imported only
when the function runs.

Supersampling: each MNIST-1D signal is built from a 72-point sequence
(``template_len + padding[1]`` = 12 + 60) that the generator finally
resamples to ``final_seq_length`` points by linear interpolation.  The
GLE reference (gle-code, ``experiments/mnist1d/plastic_e2e.py``) asks the
generator for ``final_seq_length = int(72 / dt)`` = 360 at ``dt = 0.2``
(its ``get_dataset(..., download=False)`` falls back to
``make_dataset``); it does not repeat samples.  :func:`mnist1d` does the
same, so the sequence is the 72-point signal linearly interpolated to
``steps`` points, and the recommended ``dt`` is ``72 / steps`` (0.2 for
360 steps: the sequence spans 72 time units).

Standardisation: none beyond the generator's own, which centres and
scales the whole 5000-sample set (train and test together) to mean 0,
std 1; the GLE reference feeds these values unchanged.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._common import PathLike, _check_dt, _check_fraction, _check_int
from .cache import cache_file, load_cached, save_cached
from .container import SequenceDataset

#: ``get_dataset_args()`` fields that :func:`mnist1d` sets itself or drops.
_MNIST1D_FIXED = ("final_seq_length", "seed", "url")

#: The arrays ``make_dataset`` returns that :func:`mnist1d` uses (and caches).
_MNIST1D_ARRAYS = ("x", "y", "x_test", "y_test")


def mnist1d(seed: int = 42, steps: int = 360, num_samples: int = 5000,
            train_split: float = 0.8, dt: float | None = None,
            cache_dir: PathLike | None = None,
            **generator_args: Any) -> SequenceDataset:
    """MNIST-1D generated locally, at the GLE paper's resolution (360 steps).

    Produces ``x`` of shape ``(N, steps, 1)`` float32 and int64 labels in
    ``0..9``; with the defaults 4000 train and 1000 test sequences of 360
    steps.  The data are what ``mnist1d.data.make_dataset`` returns for the
    package's standard arguments (``get_dataset_args()``: 5000 samples, split
    0.8, seed 42, ...) with ``final_seq_length = steps``.  The package's
    downloader (``get_dataset``) is never called.

    Supersampling and standardisation are the generator's own, as in the
    GLE reference (see :mod:`lava_vle.datasets.mnist1d_gen`): the 72-point
    signal is linearly interpolated to ``steps`` points (no sample
    repetition), hence the recommended ``dt = 72 / steps`` (0.2 for 360
    steps; pass ``dt`` to override), and the whole set (train and test
    together) is scaled to mean 0, std 1 and used unchanged.

    Windows: ``loss_weight`` and ``readout_weight`` are ones at every step;
    the prediction is the argmax of the output summed over all steps, as in
    the GLE reference.

    The call takes about 1-2 s.  It saves and restores the global
    ``numpy.random`` and ``random`` states, which the generator reseeds.

    Args:
        seed: generator seed (``args.seed``); 42 is MNIST-1D's standard.
        steps: sequence length (``final_seq_length``), >= 2.
        num_samples: total samples (multiple of 10 for balanced classes).
        train_split: fraction of samples in the train split.
        dt: recommended Euler step; default ``(template_len+padding[1])/steps``.
        cache_dir: if given, the arrays are stored there as
            ``mnist1d-<hash>.npz`` (hash of all generator arguments and the
            ``mnist1d`` version) and reused by later calls; ``None`` (default)
            writes nothing.
        **generator_args: any other ``get_dataset_args()`` field
            (``template_len``, ``padding``, ``scale_coeff``,
            ``max_translation``, ``corr_noise_scale``, ``iid_noise_scale``,
            ``shear_scale``, ``shuffle_seq``).
    """
    get_dataset_args, make_dataset = _import_generator()
    seed = _check_int("seed", seed, 0)
    steps = _check_int("steps", steps, 2)
    num_samples = _check_int("num_samples", num_samples, 10)
    train_split = _check_fraction("train_split", train_split)
    args = _generator_args(get_dataset_args(as_dict=True), generator_args, seed=seed,
                           steps=steps, num_samples=num_samples, train_split=train_split)
    base_len = int(args["template_len"]) + int(args["padding"][1])
    if dt is None:
        dt = base_len / steps
    _check_dt(dt)
    version = _package_version("mnist1d")
    data, path, from_cache = _load_or_generate(make_dataset, args, version, cache_dir)

    x_train = np.asarray(data["x"], dtype=np.float32)[:, :, None]
    x_test = np.asarray(data["x_test"], dtype=np.float32)[:, :, None]
    ones = np.ones(steps, dtype=np.float32)
    info = _mnist1d_info(args, version, base_len, steps, dt, path, from_cache)
    return SequenceDataset(
        name="mnist1d", x_train=np.ascontiguousarray(x_train),
        y_train=np.asarray(data["y"], dtype=np.int64),
        x_test=np.ascontiguousarray(x_test), y_test=np.asarray(data["y_test"], dtype=np.int64),
        task="classification", n_out=10, loss_weight=ones.copy(), readout_weight=ones.copy(),
        dt=float(dt), info=info)


def _import_generator() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(get_dataset_args, make_dataset)`` from ``mnist1d.data``, or an
    ``ImportError`` saying how to install the package."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "mnist1d() needs the 'mnist1d' package (pure Python): "
            "pip install 'mnist1d==0.0.2.post1'") from exc
    return get_dataset_args, make_dataset


def _generator_args(defaults: dict, overrides: dict, seed: int, steps: int,
                    num_samples: int, train_split: float) -> dict:
    """The full ``make_dataset`` argument dict: ``defaults`` updated by the
    user's ``overrides`` and the named arguments, without ``url``.

    Raises ``ValueError`` for an override that is not a generator field (or
    is one :func:`mnist1d` sets itself) and for a split that leaves the train
    or test set empty.
    """
    args = dict(defaults)
    unknown = sorted(set(overrides) - (set(args) - set(_MNIST1D_FIXED)))
    if unknown:
        allowed = sorted(set(args) - set(_MNIST1D_FIXED) - {"num_samples", "train_split"})
        raise ValueError(f"mnist1d(): unknown generator argument(s) {unknown}; valid: "
                         f"{allowed} (use seed=, steps=, num_samples=, train_split= "
                         "for the others)")
    args.update(overrides)
    args.update(seed=seed, final_seq_length=steps, num_samples=num_samples,
                train_split=train_split)
    args.pop("url", None)
    n_train = int(num_samples // 10 * 10 * train_split)
    if n_train < 1 or n_train >= num_samples // 10 * 10:
        raise ValueError(f"train_split={train_split} with num_samples={num_samples} "
                         "leaves an empty train or test split")
    return args


def _load_or_generate(make_dataset: Callable[..., Any], args: dict, version: str | None,
                      cache_dir: PathLike | None
                      ) -> tuple[dict[str, np.ndarray], Path | None, bool]:
    """``(arrays, cache file or None, whether they came from the cache)``.

    Without ``cache_dir`` the arrays are generated.  With it they are read
    from the file named by the hash of ``args`` and the ``mnist1d``
    ``version``, or generated and written there when that file is missing
    or unreadable.
    """
    path = None
    data = None
    if cache_dir is not None:
        key = json.dumps({"args": args, "mnist1d": version}, sort_keys=True, default=str)
        path = cache_file(cache_dir, "mnist1d", key)
        data = load_cached(path, _MNIST1D_ARRAYS)
    from_cache = data is not None
    if data is None:
        data = _generate(make_dataset, args)
        if path is not None:
            save_cached(path, data)
    return data, path, from_cache


def _generate(make_dataset: Callable[..., Any], args: dict) -> dict[str, np.ndarray]:
    """Run the generator on a copy of ``args``, restoring the global
    ``numpy.random`` and ``random`` states it reseeds; the arrays it returns."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = make_dataset(_ObjectView(dict(args)))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {k: raw[k] for k in _MNIST1D_ARRAYS}


def _mnist1d_info(args: dict, version: str | None, base_len: int, steps: int, dt: float,
                  path: Path | None, from_cache: bool) -> dict[str, Any]:
    """The provenance record (``SequenceDataset.info``) of an MNIST-1D set."""
    return {
        "source": "mnist1d.data.make_dataset (local generation; downloader not used)",
        "mnist1d_version": version,
        "generator_args": args,
        "supersampling": (f"generator's final linear interpolation of the {base_len}-point "
                          f"signal to final_seq_length={steps} points (as the GLE "
                          "reference gle-code does); no sample repetition"),
        "standardisation": ("generator's own: whole set (train+test) to mean 0, std 1; "
                            "nothing else"),
        "prediction": "argmax of the output summed over all steps",
        "dt_rule": f"dt = {base_len} / steps" if dt == base_len / steps else "user-given",
        "cache_file": None if path is None else str(path),
        "from_cache": from_cache,
    }


class _ObjectView:
    """Attribute view of a dict (what ``mnist1d`` expects for its arguments)."""

    def __init__(self, d: dict) -> None:
        self.__dict__ = d


def _package_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or ``None`` if unknown."""
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:  # pragma: no cover - metadata missing
        return None
