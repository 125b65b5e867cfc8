"""Losses whose negative gradients are the VLE output errors.

``L = sum_t sum_b w_t(b) l(r_L(t, b), y(t, b))`` with

    mse: l = beta/2 ||y - r||^2          -dl/dr = beta (y - r)
    ce:  l = -beta sum_i y_i log softmax(r)_i   -dl/dr = beta (y - softmax(r))

so the target error ``e = beta w_t (y - prediction)`` that the output error
dendrite receives is exactly ``-dL/dr_L``.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def softmax(x: Any) -> Any:
    """Numerically stable softmax over the last axis (numpy or torch)."""
    if not isinstance(x, np.ndarray):
        return x.softmax(-1)
    z = x - x.max(axis=-1, keepdims=True)
    ez = np.exp(z)
    return ez / ez.sum(axis=-1, keepdims=True)


def log_softmax(x: Any) -> Any:
    """Numerically stable log-softmax over the last axis (numpy or torch)."""
    if not isinstance(x, np.ndarray):
        return x.log_softmax(-1)
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def sequence_loss(loss: str, outputs: Any, target: Any, weight: Any, beta: float) -> Any:
    """Total loss over (T, B, n) ``outputs``; numpy arrays or torch tensors.

    ``weight`` is (T, B).
    """
    if loss == "mse":
        per_step = 0.5 * ((target - outputs) ** 2).sum(-1)
    elif loss == "ce":
        per_step = -(target * log_softmax(outputs)).sum(-1)
    else:
        raise ValueError(f"loss={loss!r} must be 'mse' or 'ce'")
    return beta * (weight * per_step).sum()
