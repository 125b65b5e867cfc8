"""Checks at the boundary, written once for the specs, the simulator, the
processes, the trainer and the command line.

Every check raises ``ValueError`` (or ``TypeError`` for a value of the wrong
kind, :class:`~lava_vle.fixed_point.FixedPointRangeError` for a value a
Loihi register cannot hold) with a message that names the parameter, the
value given and the allowed range (and the bit width where one applies).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from lava_vle import fixed_point as fxp

# a sigma-delta threshold is a state value: below 2**7 in Q7.16 (24-bit)
MAX_THRESHOLD = 2 ** (fxp.STATE_BITS - 1) / fxp.ONE
# gains (beta, gamma, loss weights) are 16-bit factors with 12 fractional bits
MAX_GAIN = ((1 << fxp.GAIN_BITS) - 1) / fxp.DECAY_UNITY
GAIN_RANGE = f"{fxp.GAIN_BITS}-bit unsigned, {fxp.DECAY_SHIFT} fractional bits"


def _show(value: Any) -> str:
    """``value`` as the message shows it (arrays by their range)."""
    if isinstance(value, np.ndarray) and value.size > 1:
        finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
        if finite.size < value.size:
            return f"an array with {value.size - finite.size} NaN/inf values"
        return f"an array in [{finite.min():.6g}, {finite.max():.6g}]"
    return repr(value.item() if isinstance(value, np.ndarray) else value)


def check_int(name: str, value: Any, lo: int, hi: Optional[int] = None,
              bits: str = "") -> int:
    """An integer (not a bool) in ``lo..hi`` (``hi`` None: no upper bound)."""
    allowed = f">= {lo}" if hi is None else f"in {lo}..{hi}"
    width = f" ({bits})" if bits else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}={value!r} must be an integer {allowed}{width}")
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name}={value!r} must be an integer {allowed}{width}")
    return int(value)


def check_real(name: str, value: Any, lo: Optional[float] = None, hi: Optional[float] = None,
               lo_open: bool = False, hi_open: bool = False, bits: str = "") -> float:
    """A finite real number in the range given (open or closed at each end)."""
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi:g}")
    allowed = "a finite number" + (" " + " and ".join(parts) if parts else "")
    width = f" ({bits})" if bits else ""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name}={value!r} must be {allowed}{width}")
    number = float(value)
    if (not np.isfinite(number)
            or (lo is not None and (number <= lo if lo_open else number < lo))
            or (hi is not None and (number >= hi if hi_open else number > hi))):
        raise ValueError(f"{name}={value!r} must be {allowed}{width}")
    return number


def check_gain(name: str, value: Any) -> float:
    """A non-negative gain (beta, gamma) that the fixed_pt models hold as a
    16-bit factor; the same range in both precisions."""
    return check_real(name, value, 0.0, MAX_GAIN, bits=GAIN_RANGE)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {tuple(choices)}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """True or False (numpy bools too), not a number or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def check_dt(dt: Any) -> float:
    """The Euler step: a positive finite number."""
    return check_real("dt", dt, 0.0, lo_open=True)


def check_time_constants(size: int, tau_m: Any, tau_r: Any, dt: Optional[float] = None,
                         where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``tau_m``, ``tau_r`` broadcast to ``(size,)`` float64, finite, > 0 and
    >= dt (Euler stability) when ``dt`` is given."""
    need = "> 0" if dt is None else f">= dt={dt} (Euler stability)"
    taus = []
    for name, tau in (("tau_m", tau_m), ("tau_r", tau_r)):
        arr = check_array(where + name, tau)
        if arr.ndim == 0:
            arr = np.full(size, float(arr))
        if arr.shape != (size,):
            raise ValueError(f"{where}{name} must be a scalar or have shape ({size},), "
                             f"got {arr.shape}")
        if (not np.all(np.isfinite(arr)) or np.any(arr <= 0)
                or (dt is not None and np.any(arr < dt))):
            raise ValueError(f"{where}{name} must be finite and {need}, got {_show(arr)}")
        taus.append(arr)
    return taus[0], taus[1]


def check_threshold(value: Any, name: str = "sigma_delta") -> float:
    """A sigma-delta threshold in rate units: finite, in 0..128 (a 24-bit state value)."""
    return check_real(name, value, 0.0, MAX_THRESHOLD, hi_open=True,
                      bits=f"state units, {fxp.STATE_BITS}-bit")


def check_spiking_or_sigma_delta(spiking: bool, sigma_delta: float, where: str = "") -> None:
    """A population sends spikes or sigma-delta messages, not both."""
    if spiking and sigma_delta:
        raise ValueError(f"{where}choose spiking or sigma_delta, not both")


def check_learning_epoch(value: Any) -> int:
    """Steps per learning epoch: an integer in 1..4096 (the trace decay 1/N is a
    12-bit factor)."""
    numeric = isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
    if not numeric or not float(value).is_integer() or not 1 <= int(value) <= fxp.DECAY_UNITY:
        raise ValueError(f"learning_epoch={value!r} must be an integer in 1..{fxp.DECAY_UNITY} "
                         f"(the trace decay 1/N is a {fxp.DECAY_BITS}-bit factor)")
    return int(value)


def check_array(name: str, value: Any) -> np.ndarray:
    """A numeric array (or scalar) as float64; NaN/inf are left to the caller."""
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested sequences
        raise ValueError(f"{name} must be a numeric array: {err}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def check_finite(name: str, value: Any) -> np.ndarray:
    """A numeric array without NaN or inf, as float64."""
    arr = check_array(name, value)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf (in {int(np.sum(~np.isfinite(arr)))} of "
                         f"{arr.size} values): every value must be finite")
    return arr


def check_sequence(name: str, value: Any, width: int, steps: Optional[int] = None,
                   batch: Optional[int] = None, state_range: bool = False) -> np.ndarray:
    """A finite numeric (T, B, width) array with T, B >= 1, returned as float64.

    ``state_range``: the values must also fit the 24-bit Q7.16 state
    (fixed point has no larger rate or target).
    """
    arr = check_array(name, value)
    if arr.ndim != 3 or arr.shape[2] != width or 0 in arr.shape:
        raise ValueError(f"{name} must have shape (T, B, {width}) with T, B >= 1, got {arr.shape}")
    if (steps is not None and arr.shape[0] != steps) or (batch is not None and arr.shape[1] != batch):
        raise ValueError(f"{name} must have shape ({steps}, {batch}, {width}), got {arr.shape}")
    arr = check_finite(name, arr)
    if state_range:
        fxp.check_state_range(name, arr)
    return arr


def per_step(name: str, value: Any, steps: int, batch: int, default: float,
             lo: Optional[float] = None) -> np.ndarray:
    """A finite scalar, (T,) or (T, B) value (``>= lo`` if given) broadcast to (T, B) float64."""
    if value is None:
        return np.full((steps, batch), default)
    arr = check_finite(name, value)
    if arr.ndim == 0:
        arr = np.full((steps, batch), float(arr))
    elif arr.ndim == 1 and arr.shape[0] == steps:
        arr = np.repeat(arr[:, None], batch, axis=1)
    elif arr.shape != (steps, batch):
        raise ValueError(f"{name} must be a scalar, shape ({steps},) or ({steps}, {batch}), "
                         f"got {arr.shape}")
    if lo is not None and np.any(arr < lo):
        raise ValueError(f"{name}={_show(arr)} must be >= {lo:g} everywhere")
    return arr
