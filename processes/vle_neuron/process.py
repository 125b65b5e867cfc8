"""VLE representation neuron (prospective leaky integrator) as a Lava process."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.process import LogConfig

from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess, activation_name, gain, shape_of,
                                            threshold, time_constants)
from lava_vle.validation import check_bool


class VLENeuron(ValidatedProcess):
    """Population of VLE representation neurons.

    Dynamics per time step (``docs/model.md`` section 3)::

        I       = a_in + gamma * nudge_in                 synaptic input + error nudging
        u_breve = u + (tau_r/tau_m)(I - u)                 prospective membrane
        u      += (dt/tau_m)(I - u)                        leaky integration
        s_out   = r = phi(u_breve)                         prospective rate (graded spike)
                  (spiking=True: the signed spikes of an integrate-and-fire
                  encoder of r, acc += r, spike +-1 when |acc| >= 1)

    At the start of each step the neuron sends ``phi'(u_breve)`` of the
    previous step on ``phi_prime_out`` for its error dendrite; after its
    update, ``phi'`` of the new ``u_breve`` on ``phi_prime_now_out`` (if
    connected) for synapses that learn by e-prop.

    Ports
    -----
    a_in : InPort (n,)
        Synaptic input (sum of everything connected: plastic synapses, Dense).
    nudge_in : InPort (n,)
        Prospective error ``e_breve`` of the paired error dendrite; it moves
        the membrane by ``gamma * e_breve`` (unused when gamma = 0).
    s_out : OutPort (n,)
        Rate ``r`` as a graded spike (fixed_pt: 24-bit payload, Q7.16).
    phi_prime_out : OutPort (n,)
        ``phi'(u_breve)`` of the previous step (fixed_pt: 0..4096, 4096 = 1).
    phi_prime_now_out : OutPort (n,)
        ``phi'(u_breve(t))`` of this step's update, sent only if connected: the
        postsynaptic factor of e-prop's eligibility (:class:`PlasticSynapse`
        with ``eprop=True``; on Loihi 2 a postsynaptic trace the learning
        engine reads). Same units as ``phi_prime_out``.

    The Vars hold real values in floating_pt and integers in fixed_pt (Q7.16 =
    value * 2**16).

    Vars
    ----
    u : (n,) membrane potential; fixed_pt signed 24-bit, saturating.
    u_breve : (n,) prospective membrane potential; fixed_pt signed 24-bit.
    r : (n,) last value sent (rate or spike); fixed_pt signed 24-bit.
    spike_acc : (n,) spike encoder accumulator (spiking only); fixed_pt 24-bit.
    tau_m, tau_r : (n,) time constants in the unit of ``dt`` (real, both models;
        fixed_pt derives 12-bit decays ``dt/tau_m`` and 16-bit gains ``tau_r/tau_m``).
    gamma : (1,) nudging strength (real; fixed_pt derives a 16-bit gain).
    The models read tau_m, tau_r and gamma every step (converting them again
    when they changed), so ``Var.set`` between runs takes effect, as for
    Lava LIF's du/dv; a value out of the fixed_pt range then raises
    FixedPointRangeError at the next step.

    Parameters
    ----------
    shape : (n,)
    tau_m, tau_r : float or (n,) array, >= dt.
    dt : float, the Euler step.
    activation : ``"hard_tanh"``, ``"relu"`` or ``"linear"``.
    gamma : nudging strength, 0 <= gamma < 16.
    spiking : send binary (signed) spikes instead of graded rates.
    sigma_delta : threshold (rate units, >= 0) of sigma-delta sending: the
        sent rate changes only when r moved by more than it; 0: graded.
    """

    def __init__(self, *, shape: ty.Union[int, ty.Tuple[int]],
                 tau_m: ty.Union[float, np.ndarray] = 1.0,
                 tau_r: ty.Union[float, np.ndarray] = 1.0, dt: float = 0.1,
                 activation: str = "hard_tanh", gamma: float = 0.0,
                 spiking: bool = False, sigma_delta: float = 0.0,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        shape = shape_of(shape)
        tau_m, tau_r = time_constants(shape, tau_m, tau_r, dt)
        gamma = gain(gamma, "gamma")
        super().__init__(shape=shape, dt=float(dt), activation=activation_name(activation),
                         spiking=check_bool("spiking", spiking),
                         sigma_delta=threshold(sigma_delta, spiking), name=name,
                         log_config=log_config)
        self.a_in = CheckedInPort(shape=shape)
        self.nudge_in = CheckedInPort(shape=shape)
        self.s_out = CheckedOutPort(shape=shape)
        self.phi_prime_out = CheckedOutPort(shape=shape)
        self.phi_prime_now_out = CheckedOutPort(shape=shape)
        self.u = CheckedVar(shape=shape, init=0)
        self.u_breve = CheckedVar(shape=shape, init=0)
        self.r = CheckedVar(shape=shape, init=0)
        self.spike_acc = CheckedVar(shape=shape, init=0)
        self.tau_m = CheckedVar(shape=shape, init=tau_m)
        self.tau_r = CheckedVar(shape=shape, init=tau_r)
        self.gamma = CheckedVar(shape=(1,), init=gamma)
