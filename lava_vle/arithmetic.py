"""The arithmetic a VLE step is written in: real numbers or Loihi integers.

:mod:`lava_vle.dynamics` and :mod:`lava_vle.plasticity` write each equation
once, against the :class:`Arithmetic` protocol below. :class:`FloatArithmetic`
evaluates it with real numbers (numpy, or torch tensors for the BPTT
baseline); :class:`FixedArithmetic` with the integer rules of
:mod:`lava_vle.fixed_point`. The simulator, the fused trainer and the Lava
process models are handed one of the two classes, so float and fixed differ
only in the arithmetic: constants, gains, activations, port units and the
plastic update all come from it.
"""
from __future__ import annotations

from typing import Any, Optional, Protocol

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle import kernels
from lava_vle.arrays import module
from lava_vle.activations import Activation, get_activation
from lava_vle.losses import softmax

Array = Any  # numpy.ndarray (float or int64) or torch.Tensor


class Arithmetic(Protocol):
    """What a VLE equation may ask of the numbers it is written in."""

    name: str

    # --- parameters in this arithmetic's units ---------------------------------
    def neuron_constants(self, dt: float, tau_m: Any, tau_r: Any) -> dict[str, Array]:
        """Euler factors ``k_m = dt/tau_m``, ``k_r = tau_r/tau_m`` (neuron) and
        ``k_v = dt/tau_r``, ``k_e = tau_m/tau_r`` (error dendrite)."""

    def gain(self, value: Any, name: str) -> Array:
        """A non-negative gain (gamma, beta, loss weight)."""

    def activation(self, name: str) -> Activation:
        """The activation ``name``, checked to exist in this arithmetic."""

    def threshold(self, value: float) -> Any:
        """A sigma-delta threshold."""

    def state_dtype(self, float_dtype: Any) -> Any:
        """dtype of states and constants (``float_dtype`` where real)."""

    def learning_rate(self, eta: float) -> Any:
        """The learning rate of the local rule."""

    def trace_decay(self, learning_epoch: int) -> Any:
        """``1 / N``, by which a learning trace relaxes toward its input per step."""

    # --- port units ---------------------------------------------------------------
    def to_units(self, x: np.ndarray) -> Array:
        """Real values (rates, targets) in the units this arithmetic's ports carry."""

    def from_units(self, x: Array) -> np.ndarray:
        """Port values as real numbers."""

    def modulator(self, m: np.ndarray, name: str = "m") -> Array:
        """Third-factor values ``m(t)`` in this arithmetic's units (errors name ``name``)."""

    # --- compartments -------------------------------------------------------------
    def relax_two(self, x: Array, target: Array, k_a: Array, k_b: Array,
                  out: Optional[tuple[Array, Array]] = None) -> tuple[Array, Array]:
        """``(x + k_a (target - x), x + k_b (target - x))``.

        ``out``: two preallocated arrays the result may be written into
        (``target`` may be the first, ``x`` neither); every method with an
        ``out`` returns its result, which is ``out`` where it was used."""

    def relax(self, x: Array, target: Array, k: Array) -> Array:
        """``x + k (target - x)``."""

    def scale(self, x: Array, slope: Array, out: Optional[Array] = None) -> Array:
        """``slope * x``."""

    def total(self, terms: list, out: Optional[Array] = None) -> Array:
        """Sum of the inputs that meet in one compartment."""

    def phi(self, act: Activation, u_breve: Array, out: Optional[Array] = None) -> Array:
        """``r = phi(u_breve)``."""

    def phi_prime(self, act: Activation, u_breve: Array, rate: Array,
                  out: Optional[Array] = None) -> Array:
        """``phi'(u_breve)`` (``rate = phi(u_breve)`` may stand in for it)."""

    def sigma_delta(self, value: Array, last_sent: Array, threshold: Any) -> Array:
        """``value`` where it moved by more than ``threshold``, else ``last_sent``."""

    def spike_encode(self, acc: Array, rate: Array) -> tuple[Array, Array]:
        """Integrate-and-fire encoder: ``(acc, spikes)``."""

    def select(self, mask: Any, a: Array, b: Array) -> Array:
        """``a`` where ``mask`` (True: everywhere), else ``b``."""

    # --- synapses and the local rule -------------------------------------------------
    def forward(self, weights: Array, weight_exp: Optional[int], rates: Array,
                out: Optional[Array] = None) -> Array:
        """``W r``."""

    def backward(self, weights: Array, weight_exp: Optional[int], errors: Array,
                 out: Optional[Array] = None) -> Array:
        """``W^T e``."""

    def bias(self, bias: Array, bias_exp: Optional[int]) -> Array:
        """The bias as a synaptic input."""

    def output_error(self, loss: str, rates: Array, target: Array, scale: Array) -> Array:
        """``scale (y - r)`` (mse) or ``scale (y - softmax(r))`` (ce)."""

    def learning_trace(self, e_breve: Array, modulator: Optional[Array], eta: Any) -> Array:
        """``eta m(t) e_breve``, the post-synaptic factor of the rule
        (``modulator`` None: ``m = 1``)."""

    def plastic_update(self, weights: Array, bias: Optional[Array], trace: Array,
                       r_pre: Array, weight_exp: Optional[int], eta: Any, seed: int,
                       step: int) -> tuple[Array, Optional[Array]]:
        """Weights (and bias) after ``W += trace^T r_pre``, ``b += sum trace``."""

    def eligibility_update(self, weights: Array, signal: Array, elig: Array,
                           weight_exp: Optional[int], eta: Any, seed: int, step: int) -> Array:
        """Weights after e-prop's ``W += sum_b signal_i elig_ij``."""


def _swap(x: Array) -> Array:
    """Transpose the last two axes; numpy stacks are made contiguous (a
    stacked matmul with a contiguous operand is one BLAS call)."""
    if not isinstance(x, np.ndarray):
        return x.transpose(-1, -2)
    return x.T if x.ndim == 2 else np.ascontiguousarray(x.swapaxes(-1, -2))


def weight_delta(trace: Array, r_pre: Array) -> Array:
    """``trace^T r_pre`` summed over the batch, in real numbers (works on (L, B, n) stacks)."""
    return trace.swapaxes(-1, -2) @ r_pre


def eligibility_delta(signal: Array, elig: Array) -> Array:
    """``sum_b signal_i(b) elig_ij(b)``: e-prop's update, (..., B, n_post) and
    (..., B, n_post, n_pre) -> (..., n_post, n_pre), as one einsum (on numpy
    faster than a batched matmul over the batch; exact for integers)."""
    return module(signal).einsum("...bi,...bij->...ij", signal, elig)


def bias_delta(trace: Array) -> Array:
    """``sum_batch trace``: ``(n,)``, or ``(L, n)`` for a stack."""
    total = kernels.sum_rows(trace)  # numpy's order, several times faster on stacks
    return trace.sum(axis=-2) if total is None else total


class FloatArithmetic:
    """Real-valued VLE arithmetic; works on numpy arrays and torch tensors."""

    name = "float"

    @staticmethod
    def neuron_constants(dt: float, tau_m: Any, tau_r: Any) -> dict[str, np.ndarray]:
        tau_m = np.asarray(tau_m, dtype=np.float64)
        tau_r = np.asarray(tau_r, dtype=np.float64)
        return {"k_m": dt / tau_m, "k_r": tau_r / tau_m, "k_v": dt / tau_r, "k_e": tau_m / tau_r}

    @staticmethod
    def gain(value: Any, name: str) -> Any:
        return value

    @staticmethod
    def activation(name: str) -> Activation:
        return get_activation(name)

    @staticmethod
    def threshold(value: float) -> float:
        return float(value)

    @staticmethod
    def state_dtype(float_dtype: Any) -> Any:
        return float_dtype

    @staticmethod
    def learning_rate(eta: float) -> float:
        return float(eta)

    @staticmethod
    def trace_decay(learning_epoch: int) -> float:
        return 1.0 / learning_epoch

    @staticmethod
    def to_units(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def from_units(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def modulator(m: np.ndarray, name: str = "m") -> np.ndarray:
        return m

    # --- compartments ---------------------------------------------------------
    @staticmethod
    def relax_two(x: Array, target: Array, k_a: Array, k_b: Array,
                  out: Optional[tuple[Array, Array]] = None) -> tuple[Array, Array]:
        """Leaky integration (``k = dt/tau``) and prospective read-out
        (``k = tau_r/tau_m`` or ``tau_m/tau_r``) of one compartment, the
        difference ``target - x`` shared (in ``out[1]`` when given)."""
        if out is None:
            delta = target - x
            return x + k_a * delta, x + k_b * delta
        a, b = out
        if kernels.relax_two_into(x, target, k_a, k_b, a, b):  # the lines below, fused
            return a, b
        delta = np.subtract(target, x, out=b)
        np.multiply(k_a, delta, out=a)
        a += x
        delta *= k_b
        delta += x
        return a, b

    @staticmethod
    def relax(x: Array, target: Array, k: Array) -> Array:
        return x + k * (target - x)

    @staticmethod
    def scale(x: Array, slope: Array, out: Optional[Array] = None) -> Array:
        return slope * x if out is None else np.multiply(slope, x, out=out)

    @staticmethod
    def total(terms: list, out: Optional[Array] = None) -> Array:
        if out is None:
            out = terms[0]
            for term in terms[1:]:
                out = out + term
            return out
        if terms[0] is not out:
            np.copyto(out, terms[0])
        for term in terms[1:]:
            out += term
        return out

    @staticmethod
    def phi(act: Activation, u_breve: Array, out: Optional[Array] = None) -> Array:
        return act.apply(u_breve, out)

    @staticmethod
    def phi_prime(act: Activation, u_breve: Array, rate: Array,
                  out: Optional[Array] = None) -> Array:
        return act.slope(u_breve, rate, out)

    @staticmethod
    def sigma_delta(value: Array, last_sent: Array, threshold: Array) -> Array:
        """On torch tensors the result carries the straight-through gradient of ``value``."""
        if isinstance(value, np.ndarray):
            return np.where(abs(value - last_sent) > threshold, value, last_sent)
        import torch

        held = torch.where((value - last_sent).abs() > threshold, value, last_sent)
        return value + (held - value).detach()

    @staticmethod
    def spike_encode(acc: Array, rate: Array) -> tuple[Array, Array]:
        """``total = acc + r``; a spike of ``sign(total)`` when ``|total| >= 1``,
        subtracted from ``acc``. On torch tensors the spikes carry the
        straight-through gradient of ``r`` (the surrogate BPTT uses), the
        accumulator none."""
        if isinstance(rate, np.ndarray):
            total = acc + rate
            spikes = (total >= 1.0).astype(rate.dtype) - (total <= -1.0).astype(rate.dtype)
            return total - spikes, spikes
        total = acc + rate.detach()
        hard = (total >= 1.0).to(rate.dtype) - (total <= -1.0).to(rate.dtype)
        return total - hard, rate + (hard - rate).detach()

    @staticmethod
    def select(mask: Any, a: Array, b: Array) -> Array:
        if mask is True:
            return a
        if isinstance(a, np.ndarray):
            return np.where(mask, a, b)
        return a.where(mask, b)

    # --- synapses ---------------------------------------------------------------
    @staticmethod
    def forward(weights: Array, weight_exp: Optional[int], rates: Array,
                out: Optional[Array] = None) -> Array:
        """Synaptic input ``r @ W^T`` of a (n_post, n_pre) matrix (or a stack)."""
        w_t = _swap(weights)
        return rates @ w_t if out is None else np.matmul(rates, w_t, out=out)

    @staticmethod
    def backward(weights: Array, weight_exp: Optional[int], errors: Array,
                 out: Optional[Array] = None) -> Array:
        """Error-path input ``e @ W``: W^T carries errors from post to pre."""
        return errors @ weights if out is None else np.matmul(errors, weights, out=out)

    @staticmethod
    def bias(bias: Array, bias_exp: Optional[int]) -> Array:
        return bias

    @staticmethod
    def output_error(loss: str, rates: np.ndarray, target: np.ndarray,
                     scale: np.ndarray) -> np.ndarray:
        prediction = softmax(rates) if loss == "ce" else rates
        return scale * (target - prediction)

    # --- the local rule -------------------------------------------------------------
    @staticmethod
    def learning_trace(e_breve: Array, modulator: Optional[Array], eta: float) -> Array:
        """``eta * m * e_breve`` with ``m`` per sample (batch,); ``e_breve``
        itself (no copy) for ``m = 1`` (None) and ``eta = 1``."""
        if modulator is None:
            return e_breve if eta == 1.0 else eta * e_breve
        return eta * np.asarray(modulator, dtype=e_breve.dtype)[:, None] * e_breve

    @staticmethod
    def plastic_update(weights: np.ndarray, bias: Optional[np.ndarray], trace: np.ndarray,
                       r_pre: np.ndarray, weight_exp: Optional[int], eta: float, seed: int,
                       step: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """``W + trace^T r_pre`` and ``b + sum_batch trace``."""
        new_bias = None if bias is None else bias + bias_delta(trace)
        return weights + weight_delta(trace, r_pre), new_bias

    @staticmethod
    def eligibility_update(weights: np.ndarray, signal: np.ndarray, elig: np.ndarray,
                           weight_exp: Optional[int], eta: float, seed: int,
                           step: int) -> np.ndarray:
        return weights + eligibility_delta(signal, elig)


class FixedArithmetic:
    """Loihi-2-constrained integer VLE arithmetic (see ``fixed_point``).

    ``out`` arguments are accepted and ignored: the integer rules return new arrays.
    """

    name = "fixed"

    @staticmethod
    def neuron_constants(dt: float, tau_m: Any, tau_r: Any) -> dict[str, np.ndarray]:
        """12-bit decays and 16-bit gains with 12 fractional bits; raises
        :class:`~lava_vle.fixed_point.FixedPointRangeError` naming the parameter."""
        tau_m = np.asarray(tau_m, dtype=np.float64)
        tau_r = np.asarray(tau_r, dtype=np.float64)
        return {"k_m": fxp.decay_to_fixed(dt, tau_m, "tau_m"),
                "k_r": fxp.gain_to_fixed(tau_r / tau_m, "tau_r/tau_m"),
                "k_v": fxp.decay_to_fixed(dt, tau_r, "tau_r"),
                "k_e": fxp.gain_to_fixed(tau_m / tau_r, "tau_m/tau_r")}

    @staticmethod
    def gain(value: Any, name: str) -> np.ndarray:
        return fxp.scale_to_fixed(value, name)

    @staticmethod
    def activation(name: str) -> Activation:
        return get_activation(name, fixed_point=True)

    @staticmethod
    def threshold(value: float) -> int:
        return fxp.threshold_to_fixed(value)

    @staticmethod
    def state_dtype(float_dtype: Any) -> Any:
        return np.int64

    @staticmethod
    def learning_rate(eta: float) -> tuple[int, int]:
        """(8-bit mantissa, 5-bit shift)."""
        return fxp.learning_rate_to_fixed(eta)

    @staticmethod
    def trace_decay(learning_epoch: int) -> np.ndarray:
        return fxp.trace_decay_to_fixed(learning_epoch)

    @staticmethod
    def to_units(x: np.ndarray) -> np.ndarray:
        """Q7.16 state integers."""
        return fxp.to_state(x)

    @staticmethod
    def from_units(x: np.ndarray) -> np.ndarray:
        return fxp.from_state(x)

    @staticmethod
    def modulator(m: np.ndarray, name: str = "m") -> np.ndarray:
        return fxp.modulator_to_fixed(m, name)

    # --- compartments ---------------------------------------------------------
    @staticmethod
    def relax_two(x: np.ndarray, target: np.ndarray, k_a: np.ndarray, k_b: np.ndarray,
                  out: Optional[tuple] = None) -> tuple[np.ndarray, np.ndarray]:
        return fxp.relax_toward(x, target, k_a, k_b)

    @staticmethod
    def relax(x: np.ndarray, target: np.ndarray, k: np.ndarray) -> np.ndarray:
        return fxp.relax_toward(x, target, k)

    @staticmethod
    def scale(x: np.ndarray, slope: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        return fxp.saturate_state(fxp.mul_shift(x, slope))

    @staticmethod
    def total(terms: list, out: Optional[np.ndarray] = None) -> np.ndarray:
        """Saturated once at 24 bits (Lava sums the messages arriving at one
        InPort; the neuron saturates)."""
        return fxp.saturate_state(sum(np.asarray(t, dtype=np.int64) for t in terms))

    @staticmethod
    def phi(act: Activation, u_breve: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        return act.phi_fixed(u_breve)

    @staticmethod
    def phi_prime(act: Activation, u_breve: np.ndarray, rate: np.ndarray,
                  out: Optional[np.ndarray] = None) -> np.ndarray:
        """12-bit slope factor (4096 = 1.0)."""
        return act.phi_prime_fixed(u_breve)

    @staticmethod
    def sigma_delta(value: np.ndarray, last_sent: np.ndarray, threshold: int) -> np.ndarray:
        return fxp.sigma_delta_hold(value, last_sent, threshold)

    @staticmethod
    def spike_encode(acc: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return fxp.integrate_and_fire(acc, rate)

    @staticmethod
    def select(mask: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a if mask is True else np.where(mask, a, b)

    # --- synapses ---------------------------------------------------------------
    @staticmethod
    def forward(weight_mant: np.ndarray, weight_exp: int, rates: np.ndarray,
                out: Optional[np.ndarray] = None) -> np.ndarray:
        return fxp.synaptic_sum(weight_mant, rates, weight_exp)

    @staticmethod
    def backward(weight_mant: np.ndarray, weight_exp: int, errors: np.ndarray,
                 out: Optional[np.ndarray] = None) -> np.ndarray:
        return fxp.synaptic_sum(weight_mant.swapaxes(-1, -2), errors, weight_exp)

    @staticmethod
    def bias(bias_mant: np.ndarray, bias_exp: int) -> np.ndarray:
        """Bias as a weight from an always-on presynaptic rate of 1.0."""
        return fxp.saturate_state(fxp.shift_exponent(bias_mant * fxp.ONE, bias_exp))

    @staticmethod
    def output_error(loss: str, rates: np.ndarray, target: np.ndarray,
                     scale: np.ndarray) -> np.ndarray:
        """``target`` in state units, ``scale`` a 16-bit gain. For ``ce`` the
        softmax runs in float64 on the host / embedded CPU (Loihi's
        neuro-cores have no exp or division) and is quantised back to the
        state format, identically wherever this function is called."""
        prediction = fxp.to_state(softmax(fxp.from_state(rates))) if loss == "ce" else rates
        diff = fxp.saturate_state(np.asarray(target, dtype=np.int64) - prediction)
        return fxp.saturate_state(fxp.mul_shift(diff, scale))

    # --- the local rule -------------------------------------------------------------
    @staticmethod
    def learning_trace(e_breve: np.ndarray, modulator: Optional[np.ndarray],
                       eta: tuple[int, int]) -> np.ndarray:
        """:func:`~lava_vle.fixed_point.modulated_error` with the eta mantissa
        (``modulator`` None: ``m = 1``)."""
        if modulator is None:
            modulator = fxp.modulator_to_fixed(np.ones(np.shape(e_breve)[-2]))
        return fxp.modulated_error(e_breve, modulator, eta[0])

    @staticmethod
    def plastic_update(weights: np.ndarray, bias: Optional[np.ndarray], trace: np.ndarray,
                       r_pre: np.ndarray, weight_exp: int, eta: tuple[int, int], seed: int,
                       step: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """16-bit accumulators after :func:`~lava_vle.fixed_point.plastic_update`;
        the bias is the last column of the accumulator with an always-on rate of
        ``ONE``, so one stochastic-rounding call with one hash stream covers a
        projection's weights and bias."""
        eta_shift = eta[1]
        if bias is None:
            return fxp.plastic_update(weights, trace, r_pre, weight_exp, eta_shift,
                                      seed, step), None
        always_on = np.full((r_pre.shape[0], 1), fxp.ONE, dtype=np.int64)
        acc = fxp.plastic_update(np.column_stack([weights, bias]), trace,
                                 np.column_stack([r_pre, always_on]), weight_exp,
                                 eta_shift, seed, step)
        return acc[:, :-1], acc[:, -1]

    @staticmethod
    def eligibility_update(weights: np.ndarray, signal: np.ndarray, elig: np.ndarray,
                           weight_exp: int, eta: tuple[int, int], seed: int,
                           step: int) -> np.ndarray:
        """16-bit accumulators after e-prop's exact integer product sum, with
        the local rule's shift and stochastic rounding."""
        prod = eligibility_delta(np.asarray(signal, dtype=np.int64),
                                 np.asarray(elig, dtype=np.int64))
        return fxp.add_update(weights, prod, weight_exp, eta[1], seed, step)


ARITHMETICS: dict[str, Arithmetic] = {"float": FloatArithmetic, "fixed": FixedArithmetic}
#: The two precisions of every simulation, trainer and process: real numbers,
#: or Loihi 2's integer arithmetic.
PRECISIONS = tuple(ARITHMETICS)
#: The Lava ``select_tag`` of each precision's process models.
LAVA_TAGS = {"float": "floating_pt", "fixed": "fixed_pt"}
