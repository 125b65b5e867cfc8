"""Parameter checks shared by the lava-vle processes (run at construction).

Every process validates its physical parameters for both precisions, so a
``fixed_pt`` run never fails late inside the runtime.
"""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.process import AbstractProcess

from lava_vle import fixed_point as fxp
from lava_vle.activations import get_activation
from lava_vle.arithmetic import FixedArithmetic
from lava_vle.network import FixedParams, FloatParams, NetworkSpec, check_params, init_params
from lava_vle.validation import (check_dt, check_spiking_or_sigma_delta, check_threshold,
                                 check_time_constants)


def shape_of(shape: ty.Union[int, ty.Tuple[int, ...]]) -> ty.Tuple[int]:
    """A 1-D population shape ``(n,)``; lava-vle populations are flat."""
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    if len(shape) != 1 or int(shape[0]) < 1:
        raise ValueError(f"shape={shape} must be (n,) with n >= 1")
    return (int(shape[0]),)


def time_constants(shape: ty.Tuple[int], tau_m: ty.Any, tau_r: ty.Any,
                   dt: float) -> ty.Tuple[np.ndarray, np.ndarray]:
    """Broadcast and check ``tau_m``, ``tau_r`` (>= dt, representable on Loihi 2)."""
    tau_m, tau_r = check_time_constants(shape[0], tau_m, tau_r, check_dt(dt))
    FixedArithmetic.neuron_constants(dt, tau_m, tau_r)  # raises FixedPointRangeError
    return tau_m, tau_r


def activation_name(name: str) -> str:
    """An activation both models can compute (piecewise linear)."""
    get_activation(name, fixed_point=True)
    return name


def gain(value: float, name: str) -> float:
    """A non-negative gain representable as a 16-bit factor."""
    fxp.scale_to_fixed(value, name)
    return float(value)


def threshold(value: float, spiking: bool = False) -> float:
    """A sigma-delta threshold: finite, >= 0, representable as a 24-bit state value."""
    value = check_threshold(value)
    check_spiking_or_sigma_delta(spiking, value)
    return value


def lava_recurrent_error(spec: NetworkSpec) -> None:
    """The Lava processes' error paths carry ``e_breve``: ``recurrent_error``
    'loop' or 'none' only."""
    if spec.recurrent_error not in ("loop", "none"):
        raise ValueError(f"recurrent_error={spec.recurrent_error!r} is not available in the Lava "
                         "processes (their error paths carry e_breve): use 'loop' or 'none'")


def network(spec: NetworkSpec, params: ty.Optional[FloatParams], learning_rate: float,
            seed: int, modulator: float) -> FloatParams:
    """Check a whole network's arguments for both precisions; returns the
    parameters (``init_params(spec, seed)`` when ``params`` is None)."""
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec must be a lava_vle.network.NetworkSpec, got {type(spec)}")
    for layer in spec.layers:
        activation_name(layer.activation)
    lava_recurrent_error(spec)
    params = init_params(spec, seed) if params is None else params
    check_params(spec, params)
    FixedParams.from_float(spec, params)  # raises unless representable in fixed_pt
    fxp.learning_rate_to_fixed(learning_rate)
    fxp.modulator_to_fixed(modulator)
    return params


class ValidatedProcess(AbstractProcess):
    """An AbstractProcess that checks its parameters before building itself.

    A constructor that raises before ``AbstractProcess.__init__`` leaves an
    object without a runtime; Lava's ``__del__`` would then raise again
    during garbage collection. This one only stops what was built.
    """

    def __del__(self) -> None:
        if "_runtime" in self.__dict__:
            super().__del__()
