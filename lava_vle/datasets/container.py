"""The dataset container :class:`SequenceDataset` and :func:`one_hot_targets`.

Every loader in :mod:`lava_vle.datasets` returns a :class:`SequenceDataset`:
input sequences ``(N, T, n_in)`` float32, targets (class labels or target
sequences), the per-step loss and readout weights, a recommended Euler step
``dt`` and an ``info`` dict recording where the data came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._common import _check_dt

#: The two kinds of task a :class:`SequenceDataset` can hold.
TASKS = ("classification", "regression")


@dataclass
class SequenceDataset:
    """A train/test pair of sequence sets with their teaching and readout windows.

    Attributes:
        name: dataset name (the :data:`DATASETS` key it came from).
        x_train: ``(N_train, T, n_in)`` float32 input sequences.
        y_train: classification: ``(N_train,)`` int64 labels in
            ``[0, n_out)``; regression: ``(N_train, T, n_out)`` float32
            target sequences.
        x_test: ``(N_test, T, n_in)`` float32.
        y_test: as ``y_train`` for the test split.
        task: ``"classification"`` or ``"regression"``.
        n_out: number of classes (classification) or output channels
            (regression).
        loss_weight: ``(T,)`` float32, weight of the loss / output error at
            each step; 0 means no teaching signal at that step.
        readout_weight: ``(T,)`` float32.  Classification: the prediction is
            ``argmax_k sum_t readout_weight[t] * output[t, k]``.  Regression:
            the steps (nonzero weight) where the error (e.g. :func:`nrmse`) is
            measured.
        dt: recommended Euler step of the network, in the time unit of its
            time constants.
        info: provenance: generator arguments, source files, seeds, layout.
        hold: simulation steps per input (:func:`~lava_vle.datasets.with_time_resolution`);
            ``dt`` is the step, ``dt * hold`` an input's duration.

    The constructor validates shapes, dtypes and label ranges and raises
    ``ValueError`` naming the offending field.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    n_out: int
    loss_weight: np.ndarray
    readout_weight: np.ndarray
    dt: float
    info: dict = field(default_factory=dict)
    hold: int = 1

    def __post_init__(self) -> None:
        self.validate()

    # convenience views -----------------------------------------------------
    @property
    def steps(self) -> int:
        """Sequence length ``T``."""
        return int(self.x_train.shape[1])

    @property
    def n_in(self) -> int:
        """Number of input channels."""
        return int(self.x_train.shape[2])

    @property
    def n_train(self) -> int:
        """Number of training sequences."""
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test sequences."""
        return int(self.x_test.shape[0])

    def validate(self) -> None:
        """Check the invariants documented in the class docstring."""
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if not (isinstance(self.n_out, (int, np.integer)) and self.n_out >= 1):
            raise ValueError(f"n_out must be a positive int, got {self.n_out!r}")
        _check_dt(self.dt)
        if not isinstance(self.hold, (int, np.integer)) or self.hold < 1 \
                or self.steps % self.hold:
            raise ValueError(f"hold must be a positive int dividing T={self.steps}, "
                             f"got {self.hold!r}")
        for split in ("train", "test"):
            x = getattr(self, f"x_{split}")
            y = getattr(self, f"y_{split}")
            if not isinstance(x, np.ndarray) or x.ndim != 3 or x.dtype != np.float32:
                raise ValueError(f"x_{split} must be a (N, T, n_in) float32 array, got "
                                 f"{getattr(x, 'shape', None)} {getattr(x, 'dtype', type(x))}")
            if x.shape[1:] != self.x_train.shape[1:]:
                raise ValueError(f"x_{split} has shape {x.shape}; x_train has "
                                 f"{self.x_train.shape}: T and n_in must agree")
            if self.task == "classification":
                if not isinstance(y, np.ndarray) or y.shape != (x.shape[0],) \
                        or y.dtype != np.int64:
                    raise ValueError(f"y_{split} must be ({x.shape[0]},) int64 labels, got "
                                     f"{getattr(y, 'shape', None)} {getattr(y, 'dtype', type(y))}")
                if y.size and (y.min() < 0 or y.max() >= self.n_out):
                    raise ValueError(f"y_{split} labels must lie in [0, {self.n_out}), got "
                                     f"[{y.min()}, {y.max()}]")
            else:
                want = (x.shape[0], x.shape[1], self.n_out)
                if not isinstance(y, np.ndarray) or y.shape != want or y.dtype != np.float32:
                    raise ValueError(f"y_{split} must be a {want} float32 array, got "
                                     f"{getattr(y, 'shape', None)} {getattr(y, 'dtype', type(y))}")
        for wname in ("loss_weight", "readout_weight"):
            w = getattr(self, wname)
            if not isinstance(w, np.ndarray) or w.shape != (self.steps,) \
                    or w.dtype != np.float32:
                raise ValueError(f"{wname} must be a ({self.steps},) float32 array, got "
                                 f"{getattr(w, 'shape', None)} {getattr(w, 'dtype', type(w))}")
            if np.any(w < 0) or not np.all(np.isfinite(w)) or not np.any(w > 0):
                raise ValueError(f"{wname} must be finite, >= 0 and nonzero somewhere")


def one_hot_targets(dataset: SequenceDataset, split: str,
                    indices: np.ndarray | None = None) -> np.ndarray:
    """Per-step target sequences ``(N, T, n_out)`` float32 for ``split``.

    Classification: the one-hot code of each label repeated over all ``T``
    steps (weight it with ``dataset.loss_weight``).  Regression: ``y_<split>``
    itself (not a copy).  ``indices`` selects samples (a batch) first; use it
    for large sets: one-hot pixel MNIST would be 60000 x 784 x 10 floats
    (1.9 GB).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    y = getattr(dataset, f"y_{split}")
    if indices is not None:
        y = y[np.asarray(indices)]
    if dataset.task == "regression":
        return y
    steps = dataset.steps
    eye = np.eye(dataset.n_out, dtype=np.float32)
    return np.ascontiguousarray(
        np.broadcast_to(eye[y][:, None, :], (y.shape[0], steps, dataset.n_out)))

