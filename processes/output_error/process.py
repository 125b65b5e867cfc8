"""Output (target) error of a VLE network as a Lava process."""
from __future__ import annotations

import typing as ty

from lava.magma.core.process.process import LogConfig

from lava_vle.spec import LOSSES
from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess, gain, shape_of)
from lava_vle.validation import check_choice


class OutputError(ValidatedProcess):
    """Target error ``e = beta (y - r)`` (mse) or ``beta (y - softmax r)`` (ce).

    Each step it first sends the error computed at the previous step (one
    step of delay, like a synapse, so the output loop stays deadlock-free),
    then receives the output rates and the target and computes the next one.
    ``-e`` is the gradient of the loss with respect to the output rates. In
    fixed_pt the softmax runs in float64 (on Loihi: the embedded CPU) and
    the error is quantised to Q7.16; targets arrive as Q7.16 integers
    (``lava_vle.fixed_point.to_state``).

    Ports
    -----
    r_in : InPort (n,)       output rates.
    target_in : InPort (n,)  target (one-hot for ce).
    e_out : OutPort (n,)     target error, to the output error dendrites' e_in.

    Vars
    ----
    e_target : (n,) error last computed (fixed_pt: Q7.16, signed 24-bit).
    """

    def __init__(self, *, shape: ty.Union[int, ty.Tuple[int]], loss: str = "mse",
                 beta: float = 1.0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        shape = shape_of(shape)
        check_choice("loss", loss, LOSSES)
        super().__init__(shape=shape, loss=loss, beta=gain(beta, "beta"), name=name,
                         log_config=log_config)
        self.r_in = CheckedInPort(shape=shape)
        self.target_in = CheckedInPort(shape=shape)
        self.e_out = CheckedOutPort(shape=shape)
        self.e_target = CheckedVar(shape=shape, init=0)
