"""The few array operations whose spelling differs between numpy and torch.

The fused trainer runs one step code on numpy arrays (the default) or on
torch tensors on any torch device (``TrainConfig.device``); everything else
it needs is spelled alike in both libraries. torch is imported only when a
tensor is handled.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

Array = Any  # numpy.ndarray or torch.Tensor


def is_numpy(x: Array) -> bool:
    return isinstance(x, np.ndarray)


def zeros_like(x: Array) -> Array:
    return np.zeros_like(x) if is_numpy(x) else x.new_zeros(x.shape)


def zeros(shape: tuple, like: Array) -> Array:
    """Zeros of ``shape`` with the dtype (and device) of ``like``."""
    return np.zeros(shape, like.dtype) if is_numpy(like) else like.new_zeros(shape)


def copy(x: Array) -> Array:
    return x.copy() if is_numpy(x) else x.clone()


def broadcast_to(x: Array, shape: tuple) -> Array:
    return np.broadcast_to(x, shape) if is_numpy(x) else x.expand(shape)


def take_rows(x: Array, index: np.ndarray, axis: int) -> Array:
    """``x``'s entries ``index`` (integers) along ``axis``, as a new array."""
    if is_numpy(x):
        return np.take(x, index, axis=axis)
    import torch

    return x.index_select(axis, torch.as_tensor(index, device=x.device))


def module(x: Array) -> Any:
    """numpy or torch: the module whose ``multiply``, ``add``, ``divide`` and
    ``sqrt`` (with ``out=``) handle ``x``."""
    if is_numpy(x):
        return np
    import torch

    return torch


def copy_into(dst: Array, src: np.ndarray) -> None:
    """Write the numpy values ``src`` into ``dst`` in place (on its device)."""
    dst[...] = src if is_numpy(dst) else dst.new_tensor(src)


def to_numpy(x: Array) -> np.ndarray:
    return x if is_numpy(x) else x.detach().cpu().numpy()


TORCH_HINT = 'pip install "lava-vle[torch]"'


def require_torch(what: str) -> Any:
    """The torch module; an ImportError naming ``what`` needs it and the extra
    that installs it when torch is missing (the core runs on numpy alone)."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{what} needs torch, which is not installed: {TORCH_HINT} "
                          "(the torch==2.13.0 CPU wheel)") from None
    return torch


def on_device(x: np.ndarray, device: str, dtype: Any = None) -> Any:
    """A numpy array as a torch tensor on ``device`` (``dtype``: a numpy dtype)."""
    torch = require_torch("a torch device")

    array = np.asarray(x, dtype=dtype)
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)


def synchronize(device: Optional[str]) -> None:
    """Wait for the work queued on a torch ``device`` (a timer's end on a GPU,
    whose kernels run behind the host); nothing to wait for on numpy or a CPU."""
    if device is not None and device.startswith("cuda"):
        require_torch("a CUDA device").cuda.synchronize(device)
