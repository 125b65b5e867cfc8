"""Checks at the boundary, written once for the specs, the simulator and the processes.

Every check raises ``ValueError`` (or ``TypeError``) with a message that names
the parameter, the value given and the allowed range.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from lava_vle import fixed_point as fxp

# a sigma-delta threshold is a state value: below 2**7 in Q7.16 (24-bit)
MAX_THRESHOLD = 2 ** (fxp.STATE_BITS - 1) / fxp.ONE


def check_dt(dt: Any) -> float:
    """The Euler step: a positive finite number."""
    if not (np.isscalar(dt) and np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt={dt} must be a positive finite number")
    return float(dt)


def check_time_constants(size: int, tau_m: Any, tau_r: Any, dt: float,
                         where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``tau_m``, ``tau_r`` broadcast to ``(size,)`` float64, finite and >= dt
    (Euler stability)."""
    taus = []
    for name, tau in (("tau_m", tau_m), ("tau_r", tau_r)):
        arr = np.asarray(tau, dtype=np.float64)
        if arr.ndim == 0:
            arr = np.full(size, float(arr))
        if arr.shape != (size,):
            raise ValueError(f"{where}{name} must be a scalar or have shape ({size},), "
                             f"got {arr.shape}")
        if not np.all(np.isfinite(arr)) or np.any(arr < dt):
            raise ValueError(f"{where}{name} must be finite and >= dt={dt} (Euler stability), "
                             f"got min {arr.min():.6g}")
        taus.append(arr)
    return taus[0], taus[1]


def check_threshold(value: Any, name: str = "sigma_delta") -> float:
    """A sigma-delta threshold in rate units: finite, in 0..128 (a 24-bit state value)."""
    value = float(value)
    if not (np.isfinite(value) and 0 <= value < MAX_THRESHOLD):
        raise ValueError(f"{name}={value} must lie in 0..{MAX_THRESHOLD:g} "
                         f"(state units, {fxp.STATE_BITS}-bit)")
    return value


def check_spiking_or_sigma_delta(spiking: bool, sigma_delta: float, where: str = "") -> None:
    """A population sends spikes or sigma-delta messages, not both."""
    if spiking and sigma_delta:
        raise ValueError(f"{where}choose spiking or sigma_delta, not both")


def check_learning_epoch(value: Any) -> int:
    """Steps per learning epoch: an integer in 1..4096 (the trace decay 1/N is a
    12-bit factor)."""
    if isinstance(value, bool) or not float(value).is_integer() or \
            not 1 <= int(value) <= fxp.DECAY_UNITY:
        raise ValueError(f"learning_epoch={value} must be an integer in 1..{fxp.DECAY_UNITY} "
                         f"(the trace decay 1/N is a {fxp.DECAY_BITS}-bit factor)")
    return int(value)


def check_sequence(name: str, value: Any, width: int, steps: Optional[int] = None,
                   batch: Optional[int] = None) -> np.ndarray:
    """A finite numeric (T, B, width) array, returned as float64."""
    arr = np.asarray(value)
    if arr.ndim != 3 or arr.shape[2] != width:
        raise ValueError(f"{name} must have shape (T, B, {width}), got {arr.shape}")
    if (steps is not None and arr.shape[0] != steps) or (batch is not None and arr.shape[1] != batch):
        raise ValueError(f"{name} must have shape ({steps}, {batch}, {width}), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def per_step(name: str, value: Any, steps: int, batch: int, default: float) -> np.ndarray:
    """A scalar, (T,) or (T, B) value broadcast to (T, B) float64."""
    if value is None:
        return np.full((steps, batch), default)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((steps, batch), float(arr))
    elif arr.ndim == 1 and arr.shape[0] == steps:
        arr = np.repeat(arr[:, None], batch, axis=1)
    elif arr.shape != (steps, batch):
        raise ValueError(f"{name} must be a scalar, shape ({steps},) or ({steps}, {batch}), "
                         f"got {arr.shape}")
    return arr
