"""One Euler step of a VLE network, written once for float and fixed point.

Per population ``l`` (``docs/model.md`` section 3), from the previous step's
state and the one-step-delayed inputs of every projection:

    a_l      = b_l + sum_{k: pre -> l} W_k r_pre(t-1)          synaptic input
    e_in_l   = sum_{k: l -> post} B_k^T e_breve_post(t-1)      error input
               (+ e_target(t-1) for the output population)
    e_inst   = phi'(u_breve(t-1)) * e_in
    e_breve  = v + (tau_m/tau_r)(e_inst - v)                   prospective error
    v       += (dt/tau_r)(e_inst - v)
    I        = a + gamma * e_breve                             nudged drive
    u_breve  = u + (tau_r/tau_m)(I - u)                        prospective membrane
    u       += (dt/tau_m)(I - u)
    r        = phi(u_breve)          (spiking layers send IF-encoder spikes of r;
                                      sigma-delta layers hold r and e_breve until
                                      they move by more than a threshold)

``B_k = W_k`` for mirrored feedback, a fixed random matrix otherwise. The
output population then computes its target error for the next step. The
local plasticity rule (``dW_k = eta m e_breve_post(t) r_pre(t-1)^T``) lives
in :mod:`lava_vle.plasticity`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.activations import Activation
from lava_vle.arithmetic import Arithmetic, FloatArithmetic
from lava_vle.spec import NetworkSpec

Array = Any


@dataclass(frozen=True)
class Synapses:
    """What one step reads from the synapses, in the arithmetic's own units.

    Per projection ``k``: the forward matrix, its exponent (None in float),
    the error-path matrix (None where the presynaptic population is the
    input) and its exponent, and the bias of the postsynaptic population if
    projection ``k`` carries it (the first projection into each population;
    None otherwise). Fixed point: 8-bit mantissas. ``loop_gain[k]``: the
    factor ``c`` of a recurrent projection's error under
    ``recurrent_error="stable"`` (see :func:`recurrent_loop_gain`).
    """

    forward: Sequence[Array]
    forward_exp: Sequence[Optional[int]]
    backward: Sequence[Optional[Array]]
    backward_exp: Sequence[Optional[int]]
    bias: Sequence[Optional[Array]]
    loop_gain: Optional[Sequence[Optional[Array]]] = None


@dataclass(frozen=True)
class NetworkState:
    """State of every population after a step (index 0 of ``rates`` is the input).

    Tuples are indexed by population ``l = 1..L`` at position ``l - 1``,
    except ``rates`` which holds populations ``0..L``. ``rates`` is what
    each population sends: ``r = phi(u_breve)``, or its spikes for spiking
    layers, whose encoder accumulators are ``spike_acc``.
    """

    u: tuple
    v: tuple
    u_breve: tuple
    e_breve: tuple
    phi_prime: tuple
    rates: tuple
    e_target: Array
    spike_acc: tuple
    pre_trace: Optional[tuple] = None
    post_trace: Optional[tuple] = None
    e_in: Optional[tuple] = None  # per population: the error input of the step
    eligibility: Optional[tuple] = None  # per projection: e-prop's eps (None: local rule)


def synaptic_drive(A: Arithmetic, weights: Array, weight_exp: Optional[int],
                   bias: Optional[Array], rates_pre: Array, out: Optional[Array] = None) -> Array:
    """What a projection delivers: ``W r_pre (+ b)`` (terms saturated, sum not);
    ``out``: a preallocated array it may be written into."""
    drive = A.forward(weights, weight_exp, rates_pre, out=out)
    if bias is not None:
        bias = A.bias(bias, weight_exp)
        if out is None:
            drive = drive + bias
        else:
            drive += bias
    return drive


def neuron_input(A: Arithmetic, drive: list, e_breve: Array, gamma: Any,
                 out: Optional[Array] = None) -> Array:
    """``I = sum_k a_k + gamma * e_breve``: synaptic input nudged by the error
    (``out`` may be the first term's array)."""
    if gamma:
        drive = drive + [A.scale(e_breve, gamma)]
    return A.total(drive, out=out)


def error_dendrite(A: Arithmetic, c: dict, v: Array, e_in: Array, phi_prime_prev: Array,
                   out: Optional[tuple[Array, Array]] = None) -> tuple[Array, Array]:
    """Prospective error: returns ``(v, e_breve)`` after one step (into ``out``
    if given).

    ``e_inst = phi'(u_breve(t-1)) e_in``; ``e_breve = v + (tau_m/tau_r)(e_inst - v)``;
    ``v += (dt/tau_r)(e_inst - v)``.
    """
    e_inst = A.scale(e_in, phi_prime_prev, out=None if out is None else out[0])
    return A.relax_two(v, e_inst, c["k_v"], c["k_e"], out=out)


def representation_neuron(A: Arithmetic, c: dict, act: Activation, u: Array, drive: Array,
                          out: Optional[tuple[Array, Array, Array]] = None
                          ) -> tuple[Array, Array, Array]:
    """Prospective leaky integrator: returns ``(u, u_breve, r)`` after one step
    (into ``out`` if given; ``drive`` may be ``out[0]``).

    ``u_breve = u + (tau_r/tau_m)(I - u)``; ``u += (dt/tau_m)(I - u)``;
    ``r = phi(u_breve)``.
    """
    u, u_breve = A.relax_two(u, drive, c["k_m"], c["k_r"], out=None if out is None else out[:2])
    return u, u_breve, A.phi(act, u_breve, out=None if out is None else out[2])


def sent_rate(A: Arithmetic, rate: Array, last_sent: Array, spike_acc: Array,
              spiking: Any = None, threshold: Any = None) -> tuple[Array, Array]:
    """What a population sends, and its spike encoder's accumulator.

    ``spiking`` (True, or a mask of spiking neurons): the integrate-and-fire
    spikes of ``r`` (``A.spike_encode``); ``threshold`` (not None): sigma-delta,
    ``r`` where it moved by more than the threshold since ``last_sent``, else
    ``last_sent`` (a threshold of 0 sends every change); otherwise ``r``.
    """
    if spiking is not None:
        acc, spikes = A.spike_encode(spike_acc, rate)
        spike_acc, rate = A.select(spiking, acc, spike_acc), A.select(spiking, spikes, rate)
    if threshold is not None:
        rate = A.sigma_delta(rate, last_sent, threshold)
    return spike_acc, rate


def sent_error(A: Arithmetic, e_breve: Array, last_sent: Array, threshold: Any = None) -> Array:
    """What an error dendrite sends: ``e_breve``, held by a sigma-delta link
    (``threshold`` not None) until it moved by more than the threshold."""
    return e_breve if threshold is None else A.sigma_delta(e_breve, last_sent, threshold)


LOOP_GAIN = 0.9  # bound on ||c W_rec^T||_2 under recurrent_error="stable"


def recurrent_loop_gain(A: Arithmetic, weights: np.ndarray) -> Array:
    """``c = min(1, LOOP_GAIN / ||W||_F)`` of a recurrent error path ``W^T``
    (real values; an (L, n, n) stack gives (L, 1, 1)).

    Under ``recurrent_error="stable"`` the recurrent projection carries
    ``c W^T v(t-1)``, the error dendrite's low-passed ``v`` instead of the
    prospective ``e_breve`` (whose gain reaches ``tau_m/tau_r``). With
    ``|phi'| <= 1`` and ``||c W^T||_2 <= c ||W||_F <= LOOP_GAIN``, the loop
    ``v <- v + (dt/tau_r)(phi' (e_ext + c W^T v) - v)`` gives
    ``||v(t)|| <= (1 - k) ||v(t-1)|| + k (||e_ext|| + LOOP_GAIN ||v(t-1)||)``
    with ``k = dt/tau_r <= 1``, so ``||v|| <= max(||v(0)||,
    sup ||e_ext|| / (1 - LOOP_GAIN))`` for every ``tau_m/tau_r``, and
    ``e_breve = v + (tau_m/tau_r)(e_inst - v)`` stays bounded too.
    """
    norm = np.sqrt((np.asarray(weights, dtype=np.float64) ** 2).sum(axis=(-2, -1),
                                                                   keepdims=True))
    gain = np.minimum(1.0, LOOP_GAIN / np.maximum(norm, 1e-12))
    return A.gain(gain if gain.ndim > 2 else gain.reshape(()), "recurrent loop gain")


def stable_recurrent_error(A: Arithmetic, matrix: Array, exp: Optional[int], v_post: Array,
                           gain: Array) -> Array:
    """``c B^T v_post(t-1)``: what a recurrent projection carries back under
    ``recurrent_error="stable"`` (``gain`` from :func:`recurrent_loop_gain`)."""
    return A.scale(A.backward(matrix, exp, v_post), gain)


def loss_scale(A: Arithmetic, beta: float, weight: Any) -> Array:
    """``beta * w_t``, the scale of the output error (16-bit gain in fixed point)."""
    return A.gain(beta * np.asarray(weight, dtype=np.float64), "beta * loss_weight")


def sigma_delta_threshold(A: Arithmetic, value: float) -> Any:
    """A layer's sigma-delta threshold in ``A``'s units; None for graded links (0)."""
    return A.threshold(value) if value else None


class VLEDynamics:
    """The VLE network step for one spec in one arithmetic."""

    def __init__(self, spec: NetworkSpec, arith: Arithmetic = FloatArithmetic,
                 dtype: Any = np.float64):
        self.spec = spec
        self.arith = A = arith
        self.dtype = A.state_dtype(dtype)
        self.activations: list[Activation] = [A.activation(layer.activation)
                                              for layer in spec.layers]
        self.constants = [{k: v.astype(self.dtype) for k, v in
                           A.neuron_constants(spec.dt, *layer.time_constants()).items()}
                          for layer in spec.layers]
        self.gamma = A.gain(spec.gamma, "gamma")
        self.spiking = [True if layer.spiking else None for layer in spec.layers]
        self.thresholds = [sigma_delta_threshold(A, layer.sigma_delta) for layer in spec.layers]
        self.error_thresholds = [sigma_delta_threshold(A, layer.error_sigma_delta)
                                 for layer in spec.layers]
        self.into = [[k for k, p in enumerate(spec.projections) if p.post == l]
                     for l in range(spec.n_layers + 1)]
        self.out_of = [[k for k, p in enumerate(spec.projections)
                        if p.pre == l and spec.carries_error(p)]
                       for l in range(spec.n_layers + 1)]

    def loss_scale(self, weight: np.ndarray) -> np.ndarray:
        """``beta * w_t`` in the arithmetic's units."""
        return loss_scale(self.arith, self.spec.beta, weight)

    def _error_from(self, k: int, state: NetworkState, syn: Synapses) -> Array:
        """What projection ``k`` carries back: ``B_k^T e_breve_post(t-1)``, or
        for a recurrent projection under ``"stable"`` ``c B_k^T v(t-1)``."""
        A, post = self.arith, self.spec.projections[k].post
        if syn.loop_gain is not None and syn.loop_gain[k] is not None:
            return stable_recurrent_error(A, syn.backward[k], syn.backward_exp[k],
                                          state.v[post - 1], syn.loop_gain[k])
        return A.backward(syn.backward[k], syn.backward_exp[k], state.e_breve[post - 1])

    def initial_state(self, batch: int) -> NetworkState:
        """All compartments at rest (zero), phi' evaluated at u_breve = 0."""
        A = self.arith
        zeros = [np.zeros((batch, n), dtype=self.dtype) for n in self.spec.sizes]
        layers = tuple(zeros[1:])
        phi_prime = tuple(A.phi_prime(act, z, A.phi(act, z))
                          for act, z in zip(self.activations, layers))
        return NetworkState(u=layers, v=layers, u_breve=layers, e_breve=layers,
                            phi_prime=phi_prime, rates=tuple(zeros), e_target=zeros[-1],
                            spike_acc=layers)

    def step(self, state: NetworkState, syn: Synapses, x_now: Array,
             target: Optional[np.ndarray] = None, loss_scale: Any = None) -> NetworkState:
        """Advance the network by one step (see the module docstring).

        ``x_now`` becomes population 0's rate for the next step. ``target``
        (in the arithmetic's units) and ``loss_scale`` (``beta * w_t``, per
        sample or scalar) set the output error sent back at the next step (a
        zero ``loss_scale`` sends none).
        """
        A, spec = self.arith, self.spec
        new_u, new_v, new_ub, new_eb, new_pp, new_r, new_ein = [], [], [], [], [], [x_now], []
        new_acc = list(state.spike_acc)
        for l in range(1, spec.n_layers + 1):
            c, act = self.constants[l - 1], self.activations[l - 1]
            drive = [synaptic_drive(A, syn.forward[k], syn.forward_exp[k], syn.bias[k],
                                    state.rates[spec.projections[k].pre])
                     for k in self.into[l]]
            e_in = [self._error_from(k, state, syn) for k in self.out_of[l]]
            if l == spec.n_layers:
                e_in.append(state.e_target)
            e_in = A.total(e_in)
            v, e_breve = error_dendrite(A, c, state.v[l - 1], e_in, state.phi_prime[l - 1])
            new_ein.append(e_in)
            e_breve = sent_error(A, e_breve, state.e_breve[l - 1], self.error_thresholds[l - 1])
            u, u_breve, rate = representation_neuron(
                A, c, act, state.u[l - 1], neuron_input(A, drive, e_breve, self.gamma))
            new_pp.append(A.phi_prime(act, u_breve, rate))
            new_acc[l - 1], rate = sent_rate(A, rate, state.rates[l], state.spike_acc[l - 1],
                                             self.spiking[l - 1], self.thresholds[l - 1])
            new_u.append(u)
            new_v.append(v)
            new_ub.append(u_breve)
            new_eb.append(e_breve)
            new_r.append(rate)
        e_target = A.output_error(spec.loss, new_r[-1], target, loss_scale)
        return NetworkState(u=tuple(new_u), v=tuple(new_v), u_breve=tuple(new_ub),
                            e_breve=tuple(new_eb), phi_prime=tuple(new_pp),
                            rates=tuple(new_r), e_target=e_target, spike_acc=tuple(new_acc),
                            e_in=tuple(new_ein), eligibility=state.eligibility)
