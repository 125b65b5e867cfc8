"""Reader for IDX files, the binary format of MNIST and Fashion-MNIST.

:func:`read_idx` parses one (optionally gzipped) file; :data:`IDX_FILES`
names the four files of a standard train/test set and
:func:`_find_idx_file` locates one of them under its accepted spellings.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from ._common import PathLike

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
    """The file for IDX name ``base`` in ``directory`` (plain, ``.gz``, or with
    ``.idx`` for ``-idx``, e.g. ``train-images.idx3-ubyte``), or ``None``."""
    dotted = base.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte
    for name in (base, base + ".gz", dotted, dotted + ".gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None
