"""VLE error dendrite (prospective error compartment) as a Lava process."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.process import LogConfig

from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess, shape_of, threshold, time_constants)


class ErrorDendrite(ValidatedProcess):
    """Error dendrites of a population of VLE neurons (time constants swapped).

    Dynamics per time step::

        e_inst  = phi'(u_breve(t-1)) * e_in               e_in = sum of W^T e_breve above
        e_breve = v + (tau_m/tau_r)(e_inst - v)           prospective error, sent on e_out
        v      += (dt/tau_r)(e_inst - v)

    Ports
    -----
    e_in : InPort (n,)
        Error from above: ``W^T e_breve`` of plastic synapses' error paths, or
        the target error of an :class:`OutputError` for the output population.
    phi_prime_in : InPort (n,)
        ``phi'(u_breve)`` from the paired :class:`VLENeuron` (must be connected).
    e_out : OutPort (n,)
        ``e_breve``: to the plastic synapses below (error path and learning)
        and to the neuron's ``nudge_in``.
    v_out : OutPort (n,)
        ``v`` (sent only if connected): the error a recurrent synapse carries
        back under ``recurrent_error="stable"``.
    e_total_out : OutPort (n,)
        The summed error input ``e_in`` of this step (sent only if
        connected): e-prop's learning signal for synapses that learn by
        e-prop (:class:`PlasticSynapse` with ``eprop=True``).

    The Vars hold real values in floating_pt and Q7.16 integers (signed
    24-bit, saturating) in fixed_pt.

    Vars
    ----
    v : (n,) error compartment potential.
    e_breve : (n,) prospective error last sent.
    tau_m, tau_r : (n,) time constants of the paired neuron (fixed_pt derives
        a 12-bit decay ``dt/tau_r`` and a 16-bit gain ``tau_m/tau_r``); read
        every step, so ``Var.set`` between runs takes effect.

    Parameter ``sigma_delta`` (>= 0): send a new e_breve only when it moved
    by more than this since the last one sent; 0: graded.
    """

    def __init__(self, *, shape: ty.Union[int, ty.Tuple[int]],
                 tau_m: ty.Union[float, np.ndarray] = 1.0,
                 tau_r: ty.Union[float, np.ndarray] = 1.0, dt: float = 0.1,
                 sigma_delta: float = 0.0, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        shape = shape_of(shape)
        tau_m, tau_r = time_constants(shape, tau_m, tau_r, dt)
        super().__init__(shape=shape, dt=float(dt), sigma_delta=threshold(sigma_delta), name=name, log_config=log_config)
        self.e_in = CheckedInPort(shape=shape)
        self.phi_prime_in = CheckedInPort(shape=shape)
        self.e_out = CheckedOutPort(shape=shape)
        self.v_out = CheckedOutPort(shape=shape)
        self.e_total_out = CheckedOutPort(shape=shape)
        self.v = CheckedVar(shape=shape, init=0)
        self.e_breve = CheckedVar(shape=shape, init=0)
        self.tau_m = CheckedVar(shape=shape, init=tau_m)
        self.tau_r = CheckedVar(shape=shape, init=tau_r)
