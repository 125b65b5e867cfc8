"""The arithmetic a VLE step is written in: real numbers or Loihi integers.

:mod:`lava_vle.dynamics` writes each equation once, against the small
interface below. :class:`FloatArithmetic` evaluates it with real numbers
(numpy, or torch tensors for the BPTT baseline); :class:`FixedArithmetic`
with the integer rules of :mod:`lava_vle.fixed_point`. The Lava process
models call the same two classes, so float and fixed models differ only in
the arithmetic they are handed.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.activations import Activation

Array = Any  # numpy.ndarray (float or int64) or torch.Tensor


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    z = x - x.max(axis=-1, keepdims=True)
    ez = np.exp(z)
    return ez / ez.sum(axis=-1, keepdims=True)


class FloatArithmetic:
    """Real-valued VLE arithmetic; works on numpy arrays and torch tensors."""

    fixed = False

    # --- neuron compartments ------------------------------------------------
    @staticmethod
    def relax_two(x: Array, target: Array, k_a: Array, k_b: Array) -> tuple[Array, Array]:
        """``(x + k_a (target - x), x + k_b (target - x))``, the difference shared.

        Leaky integration (``k = dt/tau``) and prospective read-out
        (``k = tau_r/tau_m`` or ``tau_m/tau_r``) of one compartment.
        """
        delta = target - x
        return x + k_a * delta, x + k_b * delta

    @staticmethod
    def scale(x: Array, slope: Array) -> Array:
        """``slope * x`` (phi' times the incoming error, gamma times e_breve)."""
        return slope * x

    @staticmethod
    def total(terms: list) -> Array:
        """Sum of the inputs that meet in one compartment."""
        out = terms[0]
        for term in terms[1:]:
            out = out + term
        return out

    @staticmethod
    def phi(act: Activation, u_breve: Array) -> Array:
        return act.phi(u_breve)

    @staticmethod
    def phi_prime(act: Activation, u_breve: np.ndarray) -> np.ndarray:
        return act.phi_prime(u_breve)

    @staticmethod
    def sigma_delta(value: Array, last_sent: Array, threshold: Array) -> Array:
        """What a sigma-delta link holds: ``value`` where ``|value - last_sent| >
        threshold`` (a message is sent), else ``last_sent``. On torch tensors the
        result carries the straight-through gradient of ``value``."""
        if isinstance(value, np.ndarray):
            return np.where(abs(value - last_sent) > threshold, value, last_sent)
        import torch

        held = torch.where((value - last_sent).abs() > threshold, value, last_sent)
        return value + (held - value).detach()

    @staticmethod
    def threshold(value: float) -> float:
        """A sigma-delta threshold in this arithmetic's units."""
        return float(value)

    @staticmethod
    def spike_encode(acc: Array, rate: Array) -> tuple[Array, Array]:
        """Integrate-and-fire encoder: ``(acc, spikes)`` with spikes in {-1, 0, 1}.

        ``total = acc + r``; a spike of ``sign(total)`` when ``|total| >= 1``,
        subtracted from ``acc``. On torch tensors the spikes carry the
        straight-through gradient of ``r`` (the surrogate BPTT uses), and
        the accumulator carries none.
        """
        if isinstance(rate, np.ndarray):
            total = acc + rate
            spikes = (total >= 1.0).astype(rate.dtype) - (total <= -1.0).astype(rate.dtype)
            return total - spikes, spikes
        total = acc + rate.detach()
        hard = (total >= 1.0).to(rate.dtype) - (total <= -1.0).to(rate.dtype)
        return total - hard, rate + (hard - rate).detach()

    # --- synapses -----------------------------------------------------------
    @staticmethod
    def forward(weights: Array, weight_exp: Optional[int], rates: Array) -> Array:
        """Synaptic input ``r @ W^T`` of a (n_post, n_pre) matrix."""
        return rates @ weights.T

    @staticmethod
    def backward(weights: Array, weight_exp: Optional[int], errors: Array) -> Array:
        """Error-path input ``e @ W``: W^T carries errors from post to pre."""
        return errors @ weights

    @staticmethod
    def bias(bias: Array, bias_exp: Optional[int]) -> Array:
        return bias

    # --- output error -------------------------------------------------------
    @staticmethod
    def output_error(loss: str, rates: np.ndarray, target: np.ndarray,
                     scale: np.ndarray) -> np.ndarray:
        """``scale * (y - r)`` (mse) or ``scale * (y - softmax(r))`` (ce)."""
        prediction = softmax(rates) if loss == "ce" else rates
        return scale * (target - prediction)


class FixedArithmetic:
    """Loihi-2-constrained integer VLE arithmetic (see ``fixed_point``)."""

    fixed = True

    @staticmethod
    def relax_two(x: np.ndarray, target: np.ndarray, k_a: np.ndarray,
                  k_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return fxp.relax_toward(x, target, k_a), fxp.relax_toward(x, target, k_b)

    @staticmethod
    def scale(x: np.ndarray, slope: np.ndarray) -> np.ndarray:
        return fxp.saturate_state(fxp.mul_shift(x, slope))

    @staticmethod
    def total(terms: list) -> np.ndarray:
        """Sum of the inputs that meet in one compartment, saturated once at 24 bits.

        (Lava sums the messages arriving at one InPort; the neuron saturates.)
        """
        return fxp.saturate_state(sum(np.asarray(t, dtype=np.int64) for t in terms))

    @staticmethod
    def phi(act: Activation, u_breve: np.ndarray) -> np.ndarray:
        return act.phi_fixed(u_breve)

    @staticmethod
    def phi_prime(act: Activation, u_breve: np.ndarray) -> np.ndarray:
        return act.phi_prime_fixed(u_breve)

    @staticmethod
    def spike_encode(acc: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return fxp.integrate_and_fire(acc, rate)

    @staticmethod
    def sigma_delta(value: np.ndarray, last_sent: np.ndarray, threshold: int) -> np.ndarray:
        return fxp.sigma_delta_hold(value, last_sent, threshold)

    @staticmethod
    def threshold(value: float) -> int:
        """A sigma-delta threshold in this arithmetic's units."""
        return fxp.threshold_to_fixed(value)

    @staticmethod
    def forward(weight_mant: np.ndarray, weight_exp: int, rates: np.ndarray) -> np.ndarray:
        return fxp.synaptic_sum(weight_mant, rates, weight_exp)

    @staticmethod
    def backward(weight_mant: np.ndarray, weight_exp: int, errors: np.ndarray) -> np.ndarray:
        return fxp.synaptic_sum(weight_mant.T, errors, weight_exp)

    @staticmethod
    def bias(bias_mant: np.ndarray, bias_exp: int) -> np.ndarray:
        """Bias as a weight from an always-on presynaptic rate of 1.0."""
        return fxp.saturate_state(fxp.shift_exponent(bias_mant * fxp.ONE, bias_exp))

    @staticmethod
    def output_error(loss: str, rates: np.ndarray, target: np.ndarray,
                     scale: np.ndarray) -> np.ndarray:
        """Integer target error; ``target`` in state units, ``scale`` a 16-bit gain.

        For ``ce`` the softmax runs in float64 on the host / embedded CPU
        (Loihi's neuro-cores have no exp or division) and is quantised back
        to the state format, identically wherever this function is called.
        """
        prediction = fxp.to_state(softmax(fxp.from_state(rates))) if loss == "ce" else rates
        diff = fxp.saturate_state(np.asarray(target, dtype=np.int64) - prediction)
        return fxp.saturate_state(fxp.mul_shift(diff, scale))


def neuron_constants(dt: float, tau_m: np.ndarray, tau_r: np.ndarray,
                     fixed: bool) -> dict[str, np.ndarray]:
    """Euler factors of a VLE neuron and its error dendrite.

    ``k_m = dt/tau_m``, ``k_r = tau_r/tau_m`` (representation neuron) and the
    swapped ``k_v = dt/tau_r``, ``k_e = tau_m/tau_r`` (error dendrite). In
    fixed point: 12-bit decays and 16-bit gains with 12 fractional bits.
    """
    tau_m = np.asarray(tau_m, dtype=np.float64)
    tau_r = np.asarray(tau_r, dtype=np.float64)
    if not fixed:
        return {"k_m": dt / tau_m, "k_r": tau_r / tau_m,
                "k_v": dt / tau_r, "k_e": tau_m / tau_r}
    return {"k_m": fxp.decay_to_fixed(dt, tau_m, "tau_m"),
            "k_r": fxp.gain_to_fixed(tau_r / tau_m, "tau_r/tau_m"),
            "k_v": fxp.decay_to_fixed(dt, tau_r, "tau_r"),
            "k_e": fxp.gain_to_fixed(tau_m / tau_r, "tau_m/tau_r")}


def scale_to_fixed(scale: float | np.ndarray, name: str) -> np.ndarray:
    """A non-negative gain (beta, gamma, loss weight) as a 16-bit factor; 0 allowed."""
    scale = np.asarray(scale, dtype=np.float64)
    fixed = np.rint(scale * fxp.DECAY_UNITY).astype(np.int64)
    if np.any(fixed < 0) or np.any(fixed >= 1 << fxp.GAIN_BITS):
        raise fxp.FixedPointRangeError(
            f"{name} must lie in 0..{((1 << fxp.GAIN_BITS) - 1) / fxp.DECAY_UNITY:.6g} "
            f"({fxp.GAIN_BITS}-bit unsigned, {fxp.DECAY_SHIFT} fractional bits)")
    return fixed
