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
``smnist``              pixel-wise sequential MNIST from IDX files the user
                        has (:func:`load_mnist_idx`, 784 steps x 1 pixel)
``smnist-row``          row-wise sequential MNIST (28 steps x 28 pixels)
``fashion-smnist``      the same for Fashion-MNIST, by default from Debian's
``fashion-smnist-row``  ``dataset-fashion-mnist`` package (:func:`fashion_mnist`)
``delayed-xor``         spiking delayed XOR (:func:`delayed_xor`)
``pattern``             temporal pattern generation (:func:`pattern_generation`)
``digits``              scikit-learn's bundled 8x8 digits, 8 rows as 8 steps
                        (:func:`digits`), a seconds-long smoke task
======================  ==================================================

Only numpy is imported at module import; ``mnist1d`` and ``scikit-learn`` are
imported inside the functions that need them.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = [
    "SequenceDataset",
    "mnist1d",
    "read_idx",
    "load_mnist_idx",
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
]

PathLike = str | os.PathLike

TASKS = ("classification", "regression")


# ---------------------------------------------------------------------------
# container
# ---------------------------------------------------------------------------

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
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])

    def validate(self) -> None:
        """Check the invariants documented in the class docstring."""
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if not (isinstance(self.n_out, (int, np.integer)) and self.n_out >= 1):
            raise ValueError(f"n_out must be a positive int, got {self.n_out!r}")
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise ValueError(f"dt must be a positive finite number, got {self.dt!r}")
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


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_fraction(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not (0.0 < v <= 1.0):
        raise ValueError(f"{name} must lie in (0, 1], got {value!r}")
    return v


def _last_steps_window(steps: int, fraction: float) -> np.ndarray:
    """(steps,) float32: ones on the last ``max(1, round(fraction*steps))`` steps."""
    n = max(1, int(np.floor(fraction * steps + 0.5)))
    w = np.zeros(steps, dtype=np.float32)
    w[steps - min(n, steps):] = 1.0
    return w


# ---------------------------------------------------------------------------
# MNIST-1D
# ---------------------------------------------------------------------------

_MNIST1D_FIXED = ("final_seq_length", "seed", "url")


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

    Supersampling: each MNIST-1D signal is built from a 72-point sequence
    (``template_len + padding[1]`` = 12 + 60) that the generator finally
    resamples to ``final_seq_length`` points by linear interpolation.  The
    GLE reference (gle-code, ``experiments/mnist1d/plastic_e2e.py``) asks the
    generator for ``final_seq_length = int(72 / dt)`` = 360 at ``dt = 0.2``
    (its ``get_dataset(..., download=False)`` falls back to
    ``make_dataset``); it does not repeat samples.  This function does the
    same, so the sequence is the 72-point signal linearly interpolated to
    ``steps`` points, and the recommended ``dt`` is ``72 / steps`` (0.2 for
    360 steps: the sequence spans 72 time units).  Pass ``dt`` to override.

    Standardisation: none beyond the generator's own, which centres and
    scales the whole 5000-sample set (train and test together) to mean 0,
    std 1; the GLE reference feeds these values unchanged.

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
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "mnist1d() needs the 'mnist1d' package (pure Python): "
            "pip install 'mnist1d==0.0.2.post1'") from exc
    seed = _check_int("seed", seed, 0)
    steps = _check_int("steps", steps, 2)
    num_samples = _check_int("num_samples", num_samples, 10)
    train_split = _check_fraction("train_split", train_split)

    args = get_dataset_args(as_dict=True)
    unknown = sorted(set(generator_args) - (set(args) - set(_MNIST1D_FIXED)))
    if unknown:
        allowed = sorted(set(args) - set(_MNIST1D_FIXED) - {"num_samples", "train_split"})
        raise ValueError(f"mnist1d(): unknown generator argument(s) {unknown}; valid: "
                         f"{allowed} (use seed=, steps=, num_samples=, train_split= "
                         "for the others)")
    args.update(generator_args)
    args.update(seed=seed, final_seq_length=steps, num_samples=num_samples,
                train_split=train_split)
    args.pop("url", None)
    n_train = int(num_samples // 10 * 10 * train_split)
    if n_train < 1 or n_train >= num_samples // 10 * 10:
        raise ValueError(f"train_split={train_split} with num_samples={num_samples} "
                         "leaves an empty train or test split")
    base_len = int(args["template_len"]) + int(args["padding"][1])
    if dt is None:
        dt = base_len / steps
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    version = _package_version("mnist1d")

    key = json.dumps({"args": args, "mnist1d": version}, sort_keys=True, default=str)
    cache_file = None
    data = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"mnist1d-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
        if cache_file.is_file():
            try:
                with np.load(cache_file, allow_pickle=False) as f:
                    data = {k: f[k] for k in ("x", "y", "x_test", "y_test")}
            except (OSError, ValueError, KeyError, zlib.error):
                data = None  # unreadable cache: regenerate and overwrite
    from_cache = data is not None
    if data is None:
        np_state, py_state = np.random.get_state(), random.getstate()
        try:
            raw = make_dataset(_ObjectView(dict(args)))
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
        data = {"x": raw["x"], "y": raw["y"], "x_test": raw["x_test"], "y_test": raw["y_test"]}
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(cache_file.name + f".tmp{os.getpid()}.npz")
            np.savez(tmp, **data)
            os.replace(tmp, cache_file)

    x_train = np.asarray(data["x"], dtype=np.float32)[:, :, None]
    x_test = np.asarray(data["x_test"], dtype=np.float32)[:, :, None]
    ones = np.ones(steps, dtype=np.float32)
    info = {
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
        "cache_file": None if cache_file is None else str(cache_file),
        "from_cache": from_cache,
    }
    return SequenceDataset(
        name="mnist1d", x_train=np.ascontiguousarray(x_train),
        y_train=np.asarray(data["y"], dtype=np.int64),
        x_test=np.ascontiguousarray(x_test), y_test=np.asarray(data["y_test"], dtype=np.int64),
        task="classification", n_out=10, loss_weight=ones.copy(), readout_weight=ones.copy(),
        dt=float(dt), info=info)


class _ObjectView:
    """Attribute view of a dict (what ``mnist1d`` expects for its arguments)."""

    def __init__(self, d: dict) -> None:
        self.__dict__ = d


def _package_version(dist: str) -> str | None:
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:  # pragma: no cover - metadata missing
        return None


# ---------------------------------------------------------------------------
# IDX files (MNIST, Fashion-MNIST)
# ---------------------------------------------------------------------------

#: IDX element type codes (third magic byte) -> big-endian numpy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}

#: The four standard IDX file names (each may also end in ``.gz``).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

#: Where Debian's ``dataset-fashion-mnist`` package installs the IDX files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path: PathLike) -> np.ndarray:
    """Read one IDX file (plain, or gzip-compressed when the name ends in .gz).

    The header is ``0x00 0x00 <type> <ndim>`` followed by ``ndim`` big-endian
    uint32 dimensions, then the big-endian data.  Returns the array in native
    byte order with shape ``dims``.  Raises ``ValueError`` (naming the file)
    for a bad magic number, an unknown type code, a truncated header or a data
    size that does not match the dimensions, and for unreadable gzip data.
    """
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"cannot read IDX file {path}: {exc} (corrupt or truncated "
                         "file; replace it with a fresh copy)") from exc
    if len(raw) < 4:
        raise ValueError(f"{path} is not an IDX file: only {len(raw)} bytes")
    magic = raw[:4]
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES or magic[3] == 0:
        raise ValueError(
            f"{path} is not an IDX file: magic number 0x{magic.hex()}; expected "
            "0x0000TTNN with type TT in {08,09,0b,0c,0d,0e} and NN >= 1 dimensions "
            "(is it a corrupt download, or gzip data without a .gz name?)")
    ndim = magic[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _IDX_DTYPES[magic[2]]
    count = int(np.prod(dims, dtype=np.int64))
    expected = count * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: IDX header says dims {dims} ({expected} data bytes) but "
                         f"the file holds {len(raw) - header}: truncated or corrupt file")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def _find_idx_file(directory: Path, base: str) -> Path | None:
    dotted = base.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte
    for name in (base, base + ".gz", dotted, dotted + ".gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


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
    if variant not in ("pixel", "row"):
        raise ValueError(f"variant must be 'pixel' or 'row', got {variant!r}")
    for pname, lim in (("limit_train", limit_train), ("limit_test", limit_test)):
        if lim is not None:
            _check_int(pname, lim, 1)
    teach_fraction = _check_fraction("teach_fraction", teach_fraction)
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    directory = Path(directory).expanduser()
    found = {key: (_find_idx_file(directory, base) if directory.is_dir() else None)
             for key, base in IDX_FILES.items()}
    missing = [IDX_FILES[k] for k, p in found.items() if p is None]
    if missing:
        where = ("does not exist" if not directory.is_dir() else "lacks " + ", ".join(missing))
        raise FileNotFoundError(
            f"IDX files not found: directory {directory} {where}. Expected the four files "
            f"{', '.join(IDX_FILES.values())} (each optionally gzipped, name + '.gz') in "
            f"{directory}; {missing_hint}.")

    splits = {}
    for split, limit in (("train", limit_train), ("test", limit_test)):
        img_path, lab_path = found[f"{split}_images"], found[f"{split}_labels"]
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
        splits[split] = (np.ascontiguousarray(x, dtype=np.float32) / np.float32(255.0),
                         labels.astype(np.int64), str(img_path), str(lab_path))
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


# ---------------------------------------------------------------------------
# delayed XOR (spiking)
# ---------------------------------------------------------------------------

def delayed_xor(n_train: int = 2000, n_test: int = 500, seed: int = 0,
                bit_steps: int = 20, gap_steps: int = 20, delay_steps: int = 50,
                answer_steps: int = 20, n_channels_per_bit: int = 5, rate: float = 0.2,
                spikes: str = "poisson", cue: bool = True, shared_channels: bool = False,
                noise_rate: float = 0.0) -> SequenceDataset:
    """Spiking delayed XOR: two bits at separate times, answer after a delay.

    Timeline at the defaults (T = 2 bit_steps + gap_steps + delay_steps +
    answer_steps = 20 + 20 + 20 + 50 + 20 = 130 steps)::

        step        0        20       40       60                 110      130
                    | bit A  |  gap   | bit B  |      delay        | answer |
        A=0 or A=1  |:|::|:|:|
        B=0 or B=1                    |:|::|:|:|
        cue                                                       |::|:|:|:|
        loss_weight  0 ...................................... 0   | 1 .. 1 |
        readout      0 ...................................... 0   | 1 .. 1 |

    Inputs ``x`` ``(N, T, n_in)`` float32 are binary spike trains (0 or 1).
    Channel groups, each ``k = n_channels_per_bit`` wide, in this order:
    ``A=0, A=1, B=0, B=1, cue`` (``n_in = 5k``; without the cue ``4k``).
    With ``shared_channels=True`` both bits use the same two groups
    ``bit=0, bit=1`` (then ``cue``), told apart only by their timing.
    During bit A's window only the group for A's value spikes; likewise for
    B; the cue group spikes in the answer window.  ``info["groups"]`` and
    ``info["windows"]`` give the channel ranges and step windows.

    Spikes: ``"poisson"``: each channel of an active group spikes at each
    step with probability ``rate`` (spikes per step: dt = 1); ``"regular"``:
    each channel spikes every ``round(1/rate)`` steps with a random phase.
    Every active group is guaranteed at least one spike in its window.
    ``noise_rate`` adds background spikes on all channels at all steps.

    Labels: ``y = A xor B`` (int64, 2 classes).  The four bit combinations
    are equally frequent (exactly, up to ``N mod 4``), so the classes are
    balanced.  ``loss_weight`` and ``readout_weight`` are 1 exactly in the
    answer window, 0 elsewhere.  ``dt = 1.0``: time constants in steps.

    Train and test sets come from independent streams spawned from ``seed``
    (``numpy.random.SeedSequence(seed).spawn(2)``).
    """
    n_train = _check_int("n_train", n_train, 1)
    n_test = _check_int("n_test", n_test, 1)
    seed = _check_int("seed", seed, 0)
    bit_steps = _check_int("bit_steps", bit_steps, 1)
    gap_steps = _check_int("gap_steps", gap_steps, 0)
    delay_steps = _check_int("delay_steps", delay_steps, 0)
    answer_steps = _check_int("answer_steps", answer_steps, 1)
    k = _check_int("n_channels_per_bit", n_channels_per_bit, 1)
    rate = _check_fraction("rate", rate)
    if spikes not in ("poisson", "regular"):
        raise ValueError(f"spikes must be 'poisson' or 'regular', got {spikes!r}")
    noise_rate = float(noise_rate)
    if not (0.0 <= noise_rate < 1.0):
        raise ValueError(f"noise_rate must lie in [0, 1), got {noise_rate!r}")

    a_start = 0
    b_start = bit_steps + gap_steps
    ans_start = b_start + bit_steps + delay_steps
    steps = ans_start + answer_steps
    windows = {"A": (a_start, a_start + bit_steps), "B": (b_start, b_start + bit_steps),
               "answer": (ans_start, steps)}
    if shared_channels:
        group_names = ["bit=0", "bit=1"]
        group_of = {("A", 0): 0, ("A", 1): 1, ("B", 0): 0, ("B", 1): 1}
    else:
        group_names = ["A=0", "A=1", "B=0", "B=1"]
        group_of = {("A", 0): 0, ("A", 1): 1, ("B", 0): 2, ("B", 1): 3}
    if cue:
        group_names.append("cue")
    n_groups = len(group_names)
    groups = {g: (i * k, (i + 1) * k) for i, g in enumerate(group_names)}
    period = max(1, int(round(1.0 / rate)))

    def spike_block(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
        if spikes == "poisson":
            block = rng.random((n, length, k)) < rate
        else:
            phase = rng.integers(0, period, size=(n, 1, k))
            block = ((np.arange(length)[None, :, None] - phase) % period) == 0
        empty = ~block.any(axis=(1, 2))
        if empty.any():  # guarantee at least one spike per active group
            idx = np.flatnonzero(empty)
            block[idx, rng.integers(0, length, idx.size), rng.integers(0, k, idx.size)] = True
        return block

    def make(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        combos = rng.permutation(np.arange(n) % 4)
        bits = {"A": combos // 2, "B": combos % 2}
        x = np.zeros((n, steps, n_groups, k), dtype=bool)
        for which in ("A", "B"):
            s, e = windows[which]
            block = spike_block(rng, n, e - s)
            for value in (0, 1):
                sel = bits[which] == value
                x[sel, s:e, group_of[(which, value)]] = block[sel]
        if cue:
            s, e = windows["answer"]
            x[:, s:e, n_groups - 1] = spike_block(rng, n, e - s)
        if noise_rate > 0:
            x |= rng.random(x.shape) < noise_rate
        y = (bits["A"] ^ bits["B"]).astype(np.int64)
        return x.reshape(n, steps, n_groups * k).astype(np.float32), y

    train_ss, test_ss = np.random.SeedSequence(seed).spawn(2)
    x_train, y_train = make(np.random.default_rng(train_ss), n_train)
    x_test, y_test = make(np.random.default_rng(test_ss), n_test)
    window = np.zeros(steps, dtype=np.float32)
    window[ans_start:] = 1.0
    info = {
        "generator": "delayed_xor",
        "args": dict(n_train=n_train, n_test=n_test, seed=seed, bit_steps=bit_steps,
                     gap_steps=gap_steps, delay_steps=delay_steps, answer_steps=answer_steps,
                     n_channels_per_bit=k, rate=rate, spikes=spikes, cue=cue,
                     shared_channels=shared_channels, noise_rate=noise_rate),
        "windows": {w: list(v) for w, v in windows.items()},
        "groups": {g: list(v) for g, v in groups.items()},
        "label": "A xor B",
        "streams": "SeedSequence(seed).spawn(2): train, test",
    }
    return SequenceDataset(
        name="delayed-xor", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        task="classification", n_out=2, loss_weight=window, readout_weight=window.copy(),
        dt=1.0, info=info)


# ---------------------------------------------------------------------------
# temporal pattern generation
# ---------------------------------------------------------------------------

def pattern_generation(n_channels: int = 3, steps: int = 500, seed: int = 0,
                       input: str = "clock", dt: float = 0.1, n_components: int = 3,
                       max_harmonic: int = 6, clock_channels: int = 4,
                       clock_sharpness: float = 4.0,
                       warmup_steps: int = 50) -> SequenceDataset:
    """Temporal pattern generation: reproduce a fixed multi-channel time series.

    Target ``y`` ``(1, steps, n_channels)`` float32: with ``P = steps * dt``
    the pattern duration and ``t = step * dt``, channel ``c`` is
    ``sum_j a_j sin(2 pi k_j t / P + phi_j)`` over ``n_components``
    sinusoids with distinct integer harmonics ``k_j`` drawn from
    ``1..max_harmonic`` (so the pattern is exactly periodic with period
    ``P`` and can be looped), amplitudes ``a_j`` uniform in [0.5, 1] and
    phases uniform in [0, 2 pi), then scaled so ``max_t |y_c| = 1``.  All
    drawn from ``numpy.random.default_rng(seed)``.

    Input ``x`` ``(1, steps, n_in)`` float32:

    * ``"constant"``: one channel equal to 1 (the network must generate the
      pattern from its own dynamics);
    * ``"clock"``: ``clock_channels`` phase-shifted periodic bumps, channel
      ``j`` = ``exp(s * (cos(2 pi (t/P - j/clock_channels)) - 1))`` with
      ``s = clock_sharpness``: period ``P``, peak 1 at ``t = j P /
      clock_channels``, values in ``(0, 1]``.

    Train and test are the same single sequence (pattern generation is
    evaluated on the pattern it was trained to produce).  ``loss_weight`` is
    1 at every step; ``readout_weight`` is 0 for the first ``warmup_steps``
    steps (the network's transient) and 1 after: measure :func:`nrmse` with
    it.  Regression, ``n_out = n_channels``, ``dt`` as given (default 0.1:
    with ``steps = 500`` the pattern lasts 50 time units, the slowest
    harmonic has period 50 and the fastest ``50 / max_harmonic``).
    """
    n_channels = _check_int("n_channels", n_channels, 1)
    steps = _check_int("steps", steps, 2)
    seed = _check_int("seed", seed, 0)
    n_components = _check_int("n_components", n_components, 1)
    max_harmonic = _check_int("max_harmonic", max_harmonic, 1)
    if n_components > max_harmonic:
        raise ValueError(f"n_components={n_components} needs max_harmonic >= n_components "
                         f"(distinct harmonics), got max_harmonic={max_harmonic}")
    clock_channels = _check_int("clock_channels", clock_channels, 1)
    warmup_steps = _check_int("warmup_steps", warmup_steps, 0)
    if warmup_steps >= steps:
        raise ValueError(f"warmup_steps={warmup_steps} must be smaller than steps={steps}")
    if input not in ("clock", "constant"):
        raise ValueError(f"input must be 'clock' or 'constant', got {input!r}")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    if not (np.isfinite(clock_sharpness) and clock_sharpness > 0):
        raise ValueError(f"clock_sharpness must be positive, got {clock_sharpness!r}")

    rng = np.random.default_rng(seed)
    duration = steps * dt
    t = np.arange(steps) * dt
    target = np.zeros((steps, n_channels))
    components = []
    for c in range(n_channels):
        harmonics = rng.choice(np.arange(1, max_harmonic + 1), size=n_components, replace=False)
        amps = rng.uniform(0.5, 1.0, size=n_components)
        phases = rng.uniform(0.0, 2 * np.pi, size=n_components)
        sig = (amps * np.sin(2 * np.pi * np.outer(t / duration, harmonics) + phases)).sum(-1)
        target[:, c] = sig / np.abs(sig).max()
        components.append({"harmonics": harmonics.tolist(), "amplitudes": amps.tolist(),
                           "phases": phases.tolist()})
    if input == "constant":
        x = np.ones((steps, 1))
    else:
        shifts = np.arange(clock_channels) / clock_channels
        x = np.exp(clock_sharpness * (np.cos(2 * np.pi * (t[:, None] / duration - shifts)) - 1))
    x = x.astype(np.float32)[None]
    y = target.astype(np.float32)[None]
    readout = np.ones(steps, dtype=np.float32)
    readout[:warmup_steps] = 0.0
    info = {
        "generator": "pattern_generation",
        "args": dict(n_channels=n_channels, steps=steps, seed=seed, input=input, dt=dt,
                     n_components=n_components, max_harmonic=max_harmonic,
                     clock_channels=clock_channels, clock_sharpness=clock_sharpness,
                     warmup_steps=warmup_steps),
        "period": duration,
        "components": components,
        "evaluation": "test = train (the same pattern); nrmse over readout_weight > 0",
    }
    return SequenceDataset(
        name="pattern", x_train=x, y_train=y, x_test=x.copy(), y_test=y.copy(),
        task="regression", n_out=n_channels, loss_weight=np.ones(steps, dtype=np.float32),
        readout_weight=readout, dt=float(dt), info=info)


def nrmse(prediction: np.ndarray, target: np.ndarray,
          weight: np.ndarray | None = None) -> float:
    """Normalised root-mean-square error over the measured steps.

    ``prediction`` and ``target`` have the same shape ``(T, C)`` or
    ``(N, T, C)``; ``weight`` ``(T,)`` (default all ones) weights the steps,
    and steps with weight 0 are not measured::

        mse   = sum_{n,t,c} w_t (p - y)^2    / (N C sum_t w_t)
        var   = sum_{n,t,c} w_t (y - m_c)^2  / (N C sum_t w_t),
                m_c = weighted mean of channel c over (n, t)
        nrmse = sqrt(mse / var)

    So the target itself scores 0, the per-channel mean scores exactly 1, and
    zeros score about 1 for zero-mean targets.  Raises ``ValueError`` for
    mismatched shapes, negative or all-zero weights, or a constant target.
    """
    p = np.asarray(prediction, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    if p.shape != y.shape:
        raise ValueError(f"prediction shape {p.shape} != target shape {y.shape}")
    if y.ndim == 2:
        p, y = p[None], y[None]
    if y.ndim != 3:
        raise ValueError(f"target must be (T, C) or (N, T, C), got shape {y.shape}")
    steps = y.shape[1]
    w = np.ones(steps) if weight is None else np.asarray(weight, dtype=np.float64)
    if w.shape != (steps,):
        raise ValueError(f"weight must have shape ({steps},), got {w.shape}")
    if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ValueError("weight must be finite, >= 0 and positive somewhere")
    wb = w[None, :, None]
    norm = y.shape[0] * y.shape[2] * w.sum()
    mse = float((wb * (p - y) ** 2).sum() / norm)
    mean_c = (wb * y).sum(axis=(0, 1), keepdims=True) / (y.shape[0] * w.sum())
    var = float((wb * (y - mean_c) ** 2).sum() / norm)
    if var <= 0:
        raise ValueError("target is constant over the measured steps: NRMSE is undefined")
    return float(np.sqrt(mse / var))


# ---------------------------------------------------------------------------
# scikit-learn digits
# ---------------------------------------------------------------------------

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
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - sklearn is a dependency
        raise ImportError("digits() needs scikit-learn: pip install scikit-learn") from exc
    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float64) / 16.0  # (n, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(np.floor(test_fraction * idx.size + 0.5))
        test_idx.append(idx[:n_test])
    test_idx = np.concatenate(test_idx)
    is_test = np.zeros(labels.size, dtype=bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test_idx)
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


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

def _no_variant(name: str, kwargs: dict) -> None:
    for key in ("variant", "name"):
        if key in kwargs:
            raise ValueError(f"dataset {name!r} fixes {key}; do not pass {key}= (pick the "
                             "registry name instead: '...' for pixels, '...-row' for rows)")


def _needs_directory(name: str, variant: str) -> Callable[..., SequenceDataset]:
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
