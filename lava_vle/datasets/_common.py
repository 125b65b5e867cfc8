"""Argument checks and the teaching-window helper shared by the dataset sources."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

#: What the loaders accept as a file or directory name.
PathLike = str | os.PathLike


def _check_int(name: str, value: Any, minimum: int) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is an int >= ``minimum``.

    ``bool`` is rejected although it is an ``int`` subclass.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_fraction(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it lies in (0, 1]."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not (0.0 < v <= 1.0):
        raise ValueError(f"{name} must lie in (0, 1], got {value!r}")
    return v


def _check_dt(dt: Any) -> None:
    """Raise ``ValueError`` unless the Euler step ``dt`` is a positive finite number."""
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")


def _last_steps_window(steps: int, fraction: float) -> np.ndarray:
    """(steps,) float32: ones on the last ``max(1, round(fraction*steps))`` steps."""
    n = max(1, int(np.floor(fraction * steps + 0.5)))
    w = np.zeros(steps, dtype=np.float32)
    w[steps - min(n, steps):] = 1.0
    return w
