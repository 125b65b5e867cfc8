"""scikit-learn's bundled 8x8 digits as row sequences: a seconds-long smoke task.

:func:`digits` loads them (scikit-learn is imported only when it runs) and
:func:`_stratified_split` splits them per class.
"""
from __future__ import annotations

import numpy as np

from ._common import _check_dt, _check_fraction, _check_int, _last_steps_window
from .container import SequenceDataset


def digits(seed: int = 0, test_fraction: float = 0.25, repeat: int = 1,
           teach_fraction: float = 1.0, dt: float = 1.0) -> SequenceDataset:
    """scikit-learn's bundled 8x8 digits (offline) as row sequences: a smoke task.

    ``x`` ``(N, 8 * repeat, 8)`` float32: the 8 image rows, top to bottom,
    one per step (each held for ``repeat`` consecutive steps), pixel values
    0..16 scaled to [0, 1].  Labels int64 ``0..9``, 10 classes.  1797
    images, split per class: ``round(test_fraction * n_class)`` of each
    class (chosen with ``numpy.random.default_rng(seed)``) go to the test
    set (451 test / 1346 train at the defaults), then both sets are shuffled.

    Windows: ``loss_weight`` = ``readout_weight`` = 1 on the last
    ``max(1, round(teach_fraction * T))`` steps; the default 1.0 teaches and
    reads out at every step, so a feed-forward network accumulates evidence
    row by row (prediction: argmax of the output summed over the window) and
    a recurrent one can integrate the rows.  ``dt = 1.0``: one row per time
    unit.
    """
    seed = _check_int("seed", seed, 0)
    test_fraction = float(test_fraction)
    if not (0.0 < test_fraction < 1.0):
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    repeat = _check_int("repeat", repeat, 1)
    teach_fraction = _check_fraction("teach_fraction", teach_fraction)
    _check_dt(dt)
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - sklearn is a dependency
        raise ImportError("digits() needs scikit-learn: pip install scikit-learn") from exc
    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float64) / 16.0  # (n, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    train_idx, test_idx = _stratified_split(labels, test_fraction,
                                            np.random.default_rng(seed))
    x = np.repeat(images, repeat, axis=1).astype(np.float32)
    steps = x.shape[1]
    window = _last_steps_window(steps, teach_fraction)
    info = {
        "source": "sklearn.datasets.load_digits (bundled with scikit-learn, offline)",
        "args": dict(seed=seed, test_fraction=test_fraction, repeat=repeat,
                     teach_fraction=teach_fraction, dt=dt),
        "split": "stratified per class with numpy.random.default_rng(seed)",
        "scaling": "pixel / 16",
    }
    return SequenceDataset(
        name="digits", x_train=x[train_idx], y_train=labels[train_idx], x_test=x[test_idx],
        y_test=labels[test_idx], task="classification", n_out=10, loss_weight=window,
        readout_weight=window.copy(), dt=float(dt), info=info)


def _stratified_split(labels: np.ndarray, test_fraction: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled ``(train indices, test indices)`` of ``labels`` (classes 0..9).

    Of each class, ``round(test_fraction * n_class)`` randomly chosen samples
    go to the test set, the rest to the train set; then each set is shuffled.
    """
    test_parts = []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(np.floor(test_fraction * idx.size + 0.5))
        test_parts.append(idx[:n_test])
    test_idx = np.concatenate(test_parts)
    is_test = np.zeros(labels.size, dtype=bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    return train_idx, rng.permutation(test_idx)
