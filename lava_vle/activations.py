"""Activation functions phi and their slopes phi', in float and fixed point.

Fixed point can only compute what Loihi 2 microcode can: compare, select,
add, shift. Hence the piecewise-linear family (``linear``, ``relu``,
``hard_tanh``); ``tanh`` exists in float only. In fixed point, ``phi`` maps a
24-bit ``u_breve`` to a rate in the same Q7.16 scale and ``phi'`` is a 12-bit
slope factor (4096 = 1.0) that the error dendrite multiplies with.

The float functions accept numpy arrays and torch tensors alike, so the BPTT
baseline differentiates exactly the function the simulator computes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from lava_vle import fixed_point as fxp

Array = Any  # numpy.ndarray or torch.Tensor


def _tanh(x: Array) -> Array:
    return np.tanh(x) if isinstance(x, np.ndarray) else x.tanh()


def _slope(mask: Array, like: Array) -> Array:
    return mask.astype(like.dtype) if isinstance(mask, np.ndarray) else mask.to(like.dtype)


def _ones_like(x: Array) -> Array:
    return np.ones_like(x) if isinstance(x, np.ndarray) else x.new_ones(x.shape)


@dataclass(frozen=True)
class Activation:
    """phi and phi' of one neuron type, in float and (optionally) fixed point."""

    name: str
    phi: Callable[[Array], Array]
    phi_prime: Callable[[np.ndarray], np.ndarray]
    phi_fixed: Optional[Callable[[np.ndarray], np.ndarray]] = None
    phi_prime_fixed: Optional[Callable[[np.ndarray], np.ndarray]] = None
    phi_prime_of_rate: Optional[Callable[[np.ndarray], np.ndarray]] = None
    # phi(x) written into a preallocated numpy array ``out`` (float only)
    phi_into: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None
    # phi'(x) from the rate, written into ``out`` (float only)
    slope_into: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None

    def slope(self, u_breve: np.ndarray, rate: np.ndarray,
              out: Optional[np.ndarray] = None) -> np.ndarray:
        """phi'(u_breve), from ``rate = phi(u_breve)`` where an identity allows
        (tanh' = 1 - r^2 saves a second tanh); written into ``out`` if given."""
        if out is not None and self.slope_into is not None:
            return self.slope_into(rate, out)
        if self.phi_prime_of_rate is not None:
            value = self.phi_prime_of_rate(rate)
        else:
            value = self.phi_prime(u_breve)
        if out is None:
            return value
        np.copyto(out, value)
        return out

    def apply(self, u_breve: Array, out: Optional[np.ndarray] = None) -> Array:
        """``phi(u_breve)``, written into ``out`` (a numpy array) if given."""
        if out is None:
            return self.phi(u_breve)
        if self.phi_into is not None:
            return self.phi_into(u_breve, out)
        np.copyto(out, self.phi(u_breve))
        return out

    @property
    def fixed_point_capable(self) -> bool:
        return self.phi_fixed is not None


def _one_minus_square(r: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``1 - r^2`` into ``out``: tanh' from the rate."""
    np.multiply(r, r, out=out)
    return np.subtract(1.0, out, out=out)


def _copy_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.copyto(out, x)
    return out


def _fill_one(r: np.ndarray, out: np.ndarray) -> np.ndarray:
    out.fill(1.0)
    return out


def _unity(x: np.ndarray) -> np.ndarray:
    return np.full(np.shape(x), fxp.DECAY_UNITY, dtype=np.int64)


ACTIVATIONS: dict[str, Activation] = {
    # phi(x) = x
    "linear": Activation(
        "linear",
        phi=lambda x: x,
        phi_prime=_ones_like,
        phi_fixed=lambda x: np.asarray(x, dtype=np.int64),
        phi_prime_fixed=_unity,
        phi_prime_of_rate=_ones_like,
        phi_into=_copy_into,
        slope_into=_fill_one,
    ),
    # phi(x) = max(x, 0)
    "relu": Activation(
        "relu",
        phi=lambda x: x.clip(0),
        phi_prime=lambda x: _slope(x >= 0, x),
        phi_fixed=lambda x: np.maximum(x, 0),
        phi_prime_fixed=lambda x: np.where(x >= 0, fxp.DECAY_UNITY, 0),
        phi_into=lambda x, out: np.maximum(x, 0.0, out=out),
    ),
    # phi(x) = clip(x, -1, 1)
    "hard_tanh": Activation(
        "hard_tanh",
        phi=lambda x: x.clip(-1.0, 1.0),
        phi_prime=lambda x: _slope(abs(x) <= 1.0, x),
        phi_fixed=lambda x: np.clip(x, -fxp.ONE, fxp.ONE),
        phi_prime_fixed=lambda x: np.where(np.abs(x) <= fxp.ONE, fxp.DECAY_UNITY, 0),
        phi_into=lambda x, out: np.clip(x, -1.0, 1.0, out=out),
    ),
    # phi(x) = tanh(x): float only (no tanh in Loihi microcode)
    "tanh": Activation(
        "tanh",
        phi=_tanh,
        phi_prime=lambda x: 1.0 - _tanh(x) ** 2,
        phi_prime_of_rate=lambda r: 1.0 - r * r,
        phi_into=lambda x, out: np.tanh(x, out=out),
        slope_into=_one_minus_square,
    ),
}


def get_activation(name: str, fixed_point: bool = False) -> Activation:
    """Look up an activation by name; fixed point rejects non-PWL ones."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation={name!r} is unknown: choose one of {sorted(ACTIVATIONS)}")
    act = ACTIVATIONS[name]
    if fixed_point and not act.fixed_point_capable:
        capable = sorted(k for k, a in ACTIVATIONS.items() if a.fixed_point_capable)
        raise ValueError(
            f"activation={name!r} has no fixed-point form (Loihi microcode has no "
            f"{name}); use one of {capable} for precision='fixed'")
    return act
