"""Plastic VLE synapse (forward path, error path, local rule) as a Lava process."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.process import LogConfig

from lava_vle import fixed_point as fxp
from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess, time_constants)
from lava_vle.validation import (check_bool, check_finite, check_int, check_learning_epoch,
                                 check_real)


class PlasticSynapse(ValidatedProcess):
    """Dense plastic synapses from ``n_pre`` to ``n_post`` neurons, learning online.

    Each time step, like Lava's Dense, the synapse first sends what it
    accumulated from the previous step (one-step synaptic delay in both
    directions; this keeps recurrent and error loops deadlock-free), then
    receives and learns::

        a_out   = W r_pre(t-1) (+ b)                    forward, to the post neurons
        e_out   = B^T e_post(t-1)                       error path, to the pre dendrites
        W      += eta * m(t) * e_post(t) r_pre(t-1)^T   local three-factor rule
        b      += eta * m(t) * e_post(t)

    With ``learning_epoch = N > 1`` the synapse keeps traces
    ``y += (eta m e_post(t) - y) / N`` and ``x += (r_pre(t-1) - x) / N`` and
    learns once per epoch (``time_step % N == 0``, Lava's ``t_epoch``):
    ``W += N y x^T``, ``b += N y`` (see ``lava_vle.plasticity``).

    ``B = W`` (mirrored weights: the error path reads the same synapses, so
    it stays equal under the same local rule) unless a fixed random
    ``feedback`` matrix is given (feedback alignment). A recurrent synapse
    under ``recurrent_error="stable"`` (``stable_error=True``) carries
    ``e_out = c B^T v_post(t-1)`` instead, the post dendrites' low-passed
    ``v`` with ``c = min(1, 0.9 / ||B||_F)`` (``lava_vle.dynamics.recurrent_loop_gain``).

    With ``eprop=True`` (``recurrent_error="eprop"``: the recurrent synapses)
    the weights learn every step from a per-synapse eligibility instead of
    the local rule (``lava_vle.plasticity.eligibility_step``), the post
    neurons' own dependence of ``r_i`` on ``W_ij``::

        elig_ij = phi'_i(t) (eps_ij + k_r,i (r_pre,j(t-1) - eps_ij))
        eps_ij += k_m,i (r_pre,j(t-1) - eps_ij)          k_m = dt/tau_m, k_r = tau_r/tau_m
        W_ij   += eta * m(t) * e_total,i(t) * elig_ij     e_total: the post dendrites' input

    ``phi'(t)`` comes from the post neurons' ``phi_prime_now_out`` and
    ``e_total`` from their dendrites' ``e_total_out``; ``tau_m``, ``tau_r`` and
    ``dt`` are the post neurons'.

    Ports
    -----
    s_in : InPort (n_pre,)   presynaptic rates ``r_pre`` (graded spikes).
    e_in : InPort (n_post,)  postsynaptic prospective errors ``e_breve``.
    m_in : InPort (1,)       neuromodulator ``m(t)``; if unconnected, m = 1.
    v_in : InPort (n_post,)  postsynaptic ``v`` (connect it for ``stable_error``).
    phi_prime_in : InPort (n_post,)  ``phi'(u_breve(t))`` of the post neurons (``eprop``).
    e_total_in : InPort (n_post,)    error input of the post dendrites (``eprop``).
    a_out : OutPort (n_post,)  synaptic input of the post neurons.
    e_out : OutPort (n_pre,)   error input of the pre error dendrites.

    Vars
    ----
    weights : (n_post, n_pre) real weights; floating_pt state. fixed_pt keeps
        it equal to ``mantissa * 2**weight_exp`` of the accumulator.
    weight_acc : (n_post, n_pre) fixed_pt state: signed 16-bit accumulator,
        an 8-bit mantissa plus 8 fractional bits (``ACC_FRAC_BITS``); the
        forward and error paths use the rounded 8-bit mantissa. floating_pt
        neither reads nor changes it: it keeps the quantisation of the
        initial weights (what a fixed_pt run would start from); read
        ``weights``.
    bias, bias_acc : (n_post,) the same for the bias (a weight from an
        always-on rate of 1.0, same exponent); zeros if ``bias`` is None.
    weight_exp : (1,) weight exponent, -16..7 (Lava Dense's ``weight_exp``;
        5-bit), read every step like every Var here: ``set`` between runs
        takes effect at the next step (fixed_pt: ``weight_acc``, ``bias_acc``,
        ``feedback``; floating_pt: ``weights``, ``bias``, ``feedback``).
    feedback : (n_post, n_pre) random feedback matrix (real) or zeros;
        feedback_exp its exponent (-16..7).
    r_pre, e_post, v_post : buffered inputs of the previous step (real / Q7.16);
        r_pre_before, e_post_before the step before (sigma-delta counts).
    synops : (3,) effective synaptic operations so far: forward, error path,
        weight updates (``lava_vle.synops.effective_synops``; int64).
    pre_trace, post_trace : (n_pre,), (n_post,) learning traces x and y
        (real / Q7.16 signed 24-bit); equal to r_pre and eta m e_post for N = 1.
    learning_rate : (1,) eta, real in both models (fixed_pt converts it to an
        8-bit mantissa and 5-bit shift when it changes); ``set`` it between
        runs to change or stop learning.
    eligibility : (n_post, n_pre) e-prop's ``eps`` (real / Q7.16 signed
        24-bit, saturating); stays zero unless ``eprop``. It runs whether or
        not the synapse learns (``learning_rate`` gates the weight change only).
    tau_m, tau_r : (n_post,) the post neurons' time constants in the unit of
        ``dt`` (real in both models; fixed_pt derives the 12-bit decay and
        16-bit gain); read every step under ``eprop``, zeros otherwise.

    Parameters
    ----------
    weights : (n_post, n_pre) array of real initial weights.
    bias : (n_post,) real initial biases, or None for no bias.
    weight_exp : exponent of the 8-bit mantissa; default: the smallest one
        holding ``headroom * max|W|``.
    learning_rate : eta >= 0 (0 freezes the synapse); fixed_pt: 8-bit
        mantissa and 5-bit shift.
    feedback : fixed random (n_post, n_pre) feedback matrix, or None (mirrored).
    seed : 32-bit seed of the stochastic-rounding hash (fixed_pt).
    learning_epoch : steps per learning epoch N, 1..4096 (1: learn every step).
    headroom : growth room of the default exponent for learning.
    sigma_delta_pre, sigma_delta_post : the presynaptic rates / postsynaptic
        errors arrive over sigma-delta links; ``synops`` then counts changes
        (messages) instead of nonzero values.
    stable_error : the error path carries ``c B^T v_post`` (see above).
    eprop : learn the weights by e-prop (see above); needs ``tau_m``, ``tau_r``
        and ``dt`` of the post neurons, and no bias (biases learn by the
        local rule on the synapse that carries them).
    tau_m, tau_r : float or (n_post,) array, >= dt (``eprop`` only).
    dt : the post neurons' Euler step (``eprop`` only).
    """

    def __init__(self, *, weights: np.ndarray, bias: ty.Optional[np.ndarray] = None,
                 weight_exp: ty.Optional[int] = None, learning_rate: float = 0.0,
                 feedback: ty.Optional[np.ndarray] = None, seed: int = 0,
                 headroom: float = 2.0, learning_epoch: int = 1, sigma_delta_pre: bool = False,
                 sigma_delta_post: bool = False, stable_error: bool = False,
                 eprop: bool = False,
                 tau_m: ty.Optional[ty.Union[float, np.ndarray]] = None,
                 tau_r: ty.Optional[ty.Union[float, np.ndarray]] = None,
                 dt: ty.Optional[float] = None,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        weights = check_finite("weights", weights)
        if weights.ndim != 2 or 0 in weights.shape:
            raise ValueError(f"weights must be a (n_post, n_pre) matrix, got shape {weights.shape}")
        n_post, n_pre = weights.shape
        has_bias = bias is not None
        bias = np.zeros(n_post) if bias is None else check_finite("bias", bias)
        if bias.shape != (n_post,):
            raise ValueError(f"bias must have shape ({n_post},), got {bias.shape}")
        headroom = check_real("headroom", headroom, 1.0)
        if weight_exp is None:
            weight_exp = fxp.choose_weight_exp(np.abs(weights).max(initial=0.0), headroom)
        weight_exp = fxp.check_weight_exp(weight_exp)
        fxp.learning_rate_to_fixed(learning_rate, "learning_rate")  # raises if not representable
        check_int("seed", seed, 0, 2**32 - 1, "32-bit unsigned")
        has_feedback = feedback is not None
        feedback = (np.zeros_like(weights) if feedback is None
                    else check_finite("feedback", feedback))
        if feedback.shape != weights.shape:
            raise ValueError(f"feedback must have the shape of weights {weights.shape}, "
                             f"got {feedback.shape}")
        feedback_exp = fxp.choose_weight_exp(np.abs(feedback).max(initial=0.0))
        tau_m, tau_r, dt = _eprop_time_constants(check_bool("eprop", eprop), has_bias,
                                                 n_post, tau_m, tau_r, dt)
        weight_acc = fxp.quantize_weights(weights, weight_exp, fxp.ACC_FRAC_BITS, "weights")
        bias_acc = fxp.quantize_weights(bias, weight_exp, fxp.ACC_FRAC_BITS, "bias")
        super().__init__(weights=weights, has_bias=has_bias, weight_exp=weight_exp,
                         has_feedback=has_feedback,
                         learning_epoch=check_learning_epoch(learning_epoch),
                         feedback_exp=feedback_exp, seed=int(seed),
                         sigma_delta_pre=check_bool("sigma_delta_pre", sigma_delta_pre),
                         sigma_delta_post=check_bool("sigma_delta_post", sigma_delta_post),
                         stable_error=check_bool("stable_error", stable_error),
                         eprop=eprop, dt=dt, name=name,
                         log_config=log_config)
        self.s_in = CheckedInPort(shape=(n_pre,))
        self.e_in = CheckedInPort(shape=(n_post,))
        self.m_in = CheckedInPort(shape=(1,))
        self.v_in = CheckedInPort(shape=(n_post,))
        self.phi_prime_in = CheckedInPort(shape=(n_post,))
        self.e_total_in = CheckedInPort(shape=(n_post,))
        self.a_out = CheckedOutPort(shape=(n_post,))
        self.e_out = CheckedOutPort(shape=(n_pre,))
        self.weights = CheckedVar(shape=weights.shape, init=weights)
        self.weight_acc = CheckedVar(shape=weights.shape, init=weight_acc)
        self.bias = CheckedVar(shape=(n_post,), init=bias)
        self.bias_acc = CheckedVar(shape=(n_post,), init=bias_acc)
        self.weight_exp = CheckedVar(shape=(1,), init=weight_exp)
        self.feedback = CheckedVar(shape=weights.shape, init=feedback)
        self.feedback_exp = CheckedVar(shape=(1,), init=feedback_exp)
        self.r_pre = CheckedVar(shape=(n_pre,), init=0)
        self.e_post = CheckedVar(shape=(n_post,), init=0)
        self.v_post = CheckedVar(shape=(n_post,), init=0)
        self.r_pre_before = CheckedVar(shape=(n_pre,), init=0)
        self.e_post_before = CheckedVar(shape=(n_post,), init=0)
        self.synops = CheckedVar(shape=(3,), init=0)
        self.learning_rate = CheckedVar(shape=(1,), init=float(learning_rate))
        self.pre_trace = CheckedVar(shape=(n_pre,), init=0)
        self.post_trace = CheckedVar(shape=(n_post,), init=0)
        self.eligibility = CheckedVar(shape=weights.shape, init=0)
        self.tau_m = CheckedVar(shape=(n_post,), init=tau_m)
        self.tau_r = CheckedVar(shape=(n_post,), init=tau_r)


def _eprop_time_constants(eprop: bool, has_bias: bool, n_post: int, tau_m: ty.Any,
                          tau_r: ty.Any, dt: ty.Optional[float]
                          ) -> ty.Tuple[np.ndarray, np.ndarray, float]:
    """The post neurons' ``(tau_m, tau_r, dt)`` of an e-prop synapse, checked as
    the neurons check them; zeros (unused) for a synapse without e-prop."""
    given = [name for name, value in (("tau_m", tau_m), ("tau_r", tau_r), ("dt", dt))
             if value is not None]
    if not eprop:
        if given:
            raise ValueError(f"{', '.join(given)}: the post neurons' time constants of "
                             "e-prop's eligibility, given with eprop=True only")
        return np.zeros(n_post), np.zeros(n_post), 0.0
    missing = sorted({"tau_m", "tau_r", "dt"} - set(given))
    if missing:
        raise ValueError(f"eprop=True needs the post neurons' {', '.join(missing)} (the "
                         "eligibility relaxes with their k_m = dt/tau_m, k_r = tau_r/tau_m)")
    if has_bias:
        raise ValueError("eprop=True learns the weights only: give bias=None (a population's "
                         "bias learns by the local rule on the synapse that carries it)")
    tau_m, tau_r = time_constants((n_post,), tau_m, tau_r, dt)
    return tau_m, tau_r, float(dt)
