"""On-disk cache of generated arrays (``.npz`` files named by a hash of their recipe).

Used by :func:`~lava_vle.datasets.mnist1d` when it is given ``cache_dir``:
:func:`cache_file` names the file, :func:`load_cached` reads it back (or says
it cannot, with a warning naming a damaged file) and :func:`save_cached`
writes it atomically (or warns, naming the folder, where it cannot).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._common import PathLike


def cache_file(cache_dir: PathLike, prefix: str, key: str) -> Path:
    """``<cache_dir>/<prefix>-<first 16 hex digits of sha256(key)>.npz``."""
    return Path(cache_dir) / f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def load_cached(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays ``names`` stored in ``path``, or ``None`` when the file is
    missing, unreadable or lacks one of them (the caller then regenerates)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in names}
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile) as err:
        warnings.warn(f"{path}: a damaged cache file ({type(err).__name__}: {err}); "
                      "generating the data again", stacklevel=2)
        return None


def save_cached(path: Path, data: dict[str, np.ndarray]) -> None:
    """Store ``data`` in ``path`` (creating its folder), via a temporary file
    renamed into place so that concurrent readers never see a partial file."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, **data)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        warnings.warn(f"cache folder {path.parent} is not writable ({err.strerror or err}): "
                      "the data is not cached (set LAVA_VLE_CACHE or cache_dir to a writable "
                      "folder)", stacklevel=2)
