"""Error measure for regression datasets: the normalised RMSE :func:`nrmse`."""
from __future__ import annotations

import numpy as np


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
