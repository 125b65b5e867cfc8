"""Training checkpoints: two files in the run folder, no pickle.

The arrays (``checkpoint-epochNNNN.npz``, loaded with ``allow_pickle=False``)
and the manifest ``checkpoint.json`` (format, version, the arrays' file name,
a SHA-256 over the arrays and the rest of the state, which it holds as JSON:
configuration, epoch, history, optimiser counters). Each is written to a
temporary file and renamed; the manifest is renamed last, so a crash at any
moment leaves the previous checkpoint or the new one, whole.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Optional

import numpy as np

CHECKPOINT = "checkpoint.json"  # the manifest; written last, it commits a checkpoint
CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "lava-vle checkpoint", 1
LEGACY_CHECKPOINT = "checkpoint.pkl"  # lava-vle before the safe format: never unpickled
#: the names of the arrays files (and of their temporary files while written)
ARRAYS_NAME = re.compile(r"checkpoint-epoch\d{4,}\.npz(\.tmp)?\Z")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed; the message names the file and what is wrong."""


def write_checkpoint(out: Path, state: dict, epoch: int) -> Path:
    """Write ``state`` as the checkpoint of ``epoch`` in run folder ``out``
    (see the module docstring); return the manifest's path."""
    out.mkdir(parents=True, exist_ok=True)
    tree, arrays = _split_arrays(state)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    name = f"checkpoint-epoch{epoch:04d}.npz"
    _write_atomically(out / name, data)
    manifest = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "arrays": name,
                "sha256": _digest(data, tree), "state": tree}
    _write_atomically(out / CHECKPOINT, json.dumps(manifest, indent=1).encode())
    for stale in checkpoint_files(out):  # older arrays, a killed write's .tmp
        if ARRAYS_NAME.match(stale.name) and stale.name != name:
            stale.unlink()
    return out / CHECKPOINT


def is_checkpoint_name(name: str) -> bool:
    """Whether checkpoints write a file of this exact name: the manifest, an
    arrays file, their temporary files, a legacy pickle."""
    return name in (CHECKPOINT, CHECKPOINT + ".tmp", LEGACY_CHECKPOINT) or bool(
        ARRAYS_NAME.match(name))


def checkpoint_files(out: Path) -> list[Path]:
    """The regular files in ``out`` that checkpoints write (by exact name)."""
    return sorted(path for path in (out.iterdir() if out.is_dir() else ())
                  if is_checkpoint_name(path.name) and path.is_file()
                  and not path.is_symlink())


def read_checkpoint(out: Path) -> dict:
    """The state saved in run folder ``out`` (for :meth:`Trainer.load_state_dict`).

    Raises FileNotFoundError without a checkpoint, and CheckpointError with
    one line naming the file and what is wrong for a pickle checkpoint of an
    older lava-vle, a truncated, corrupt or foreign manifest, a missing
    arrays file or a checksum mismatch; files are only read.
    """
    out = Path(out)
    path, legacy = out / CHECKPOINT, out / LEGACY_CHECKPOINT
    if not path.exists():
        if legacy.exists():
            raise CheckpointError(f"{legacy}: a pickle checkpoint of an older lava-vle, not "
                                  "loaded (unpickling can run any code): start again with "
                                  "--overwrite")
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path}: not a readable checkpoint manifest (truncated or "
                              f"corrupt: {err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a lava-vle checkpoint (no \"format\": "
                              f"\"{CHECKPOINT_FORMAT}\")")
    if manifest.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: checkpoint version {manifest.get('version')!r}; this "
                              f"lava-vle reads version {CHECKPOINT_VERSION}")
    name = manifest.get("arrays")
    if not (isinstance(name, str) and name.startswith("checkpoint") and Path(name).name == name
            and isinstance(manifest.get("sha256"), str) and isinstance(manifest.get("state"), dict)):
        raise CheckpointError(f"{path}: incomplete manifest (arrays, sha256 or state missing)")
    arrays_path = out / name
    if not arrays_path.exists():
        raise CheckpointError(f"{path}: its arrays file {name} is missing")
    data = arrays_path.read_bytes()
    if _digest(data, manifest["state"]) != manifest["sha256"]:
        raise CheckpointError(f"{arrays_path}: checksum mismatch with {CHECKPOINT}: the "
                              "checkpoint is corrupt or was modified")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as err:
        raise CheckpointError(f"{arrays_path}: unreadable arrays ({err})") from None
    return _join_arrays(manifest["state"], arrays)


def _split_arrays(tree: Any, arrays: Optional[dict] = None) -> tuple[Any, dict]:
    """``tree`` with every numpy array replaced by ``{"__array__": key}`` and
    numpy scalars by Python numbers, and the arrays by key."""
    arrays = {} if arrays is None else arrays
    if isinstance(tree, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = tree
        return {"__array__": key}, arrays
    if isinstance(tree, dict):
        return {str(k): _split_arrays(v, arrays)[0] for k, v in tree.items()}, arrays
    if isinstance(tree, (list, tuple)):
        return [_split_arrays(v, arrays)[0] for v in tree], arrays
    return (tree.item() if isinstance(tree, np.generic) else tree), arrays


def _join_arrays(tree: Any, arrays: dict) -> Any:
    """The inverse of :func:`_split_arrays`."""
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        return {k: _join_arrays(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join_arrays(v, arrays) for v in tree]
    return tree


def _digest(data: bytes, tree: Any) -> str:
    """SHA-256 of the arrays file and the JSON state (key order fixed)."""
    return hashlib.sha256(data + json.dumps(tree, sort_keys=True).encode()).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush to disk, rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
