"""VLE's local rule on Lava's learning engine: stock ``LearningDense`` synapses
with a ``Loihi3FLearningRule`` (lava-nc 0.10).

Our learning-epoch rule (:mod:`lava_vle.plasticity`, ``learning_epoch = N``)
changes a projection once per epoch of ``N`` steps by

    dW = N y x^T ,   y += (eta m e_post - y) / N ,   x += (r_pre - x) / N

The engine evaluates, at ``time_step % t_epoch == 0``, a sum of products of
non-negative 7-bit traces. This module maps the rule onto it:

    x1      <- graded payload of the presynaptic value v (``GradedSpikeCfg.OVERWRITE``:
               ``x1 = payload / 2``, overwritten by every nonzero payload, so the
               engine sees the epoch's LAST nonzero payload, not a filtered trace)
    x0      <- 1 if the presynaptic neuron sent a nonzero payload in the epoch
    y1, y2  <- y+ = max(y, 0), y- = max(-y, 0): the post population's learning
               trace y, computed and split by its encoder and sent every step to
               ``s_in_y1`` / ``s_in_y2`` (``Loihi3FLearningRule``: the post
               neuron's program owns y1..y3; the engine keeps the last value)
    dw      =  S * x0 * x1 * y1  -  S * x0 * x1 * y2

with the scale ``S = mant * 2**exp`` chosen so that the expected update is
``N y v^T`` (:func:`rule_scale`). ``x0`` gates out a stale ``x1`` (a zero
payload is no spike and leaves ``x1`` at its old value).

Signs: traces and graded payloads into traces are non-negative, so each
population's signed value is split into ``v+`` and ``v-``. A projection ``W``
becomes two ``LearningDense``: one fed ``r+`` (initial weights ``W``), one
fed ``r-`` (initial weights ``-W``); their sum ``W r+ - W r-`` is ``W r``.
Each carries the two products above (four per pre/post pair). A synapse sees
only its own presynaptic trace, so the four terms of a signed weight
``(x+ - x-)(y+ - y-)`` cannot act on one weight: the ``r+`` synapse learns
only while ``r > 0``, the ``r-`` one only while ``r < 0``, and the two halves
drift apart. The error path ``W^T e`` is a second pair of ``LearningDense``
from the post population's ``e+`` / ``e-`` to the pre population's error
dendrite (initial weights ``W^T``, ``-W^T``) that learns the transposed rule
(pre payload ``e``, post traces ``eta m r``): weight transport by mirrored
learning, with its own drift.

fixed_pt: payloads are 8-bit unsigned (``v * 2**P``), traces 7-bit unsigned
(``y * 2**T``), weights 9-bit signed integers with a per-synapse-set
exponent; a product of two traces is shifted right by 3 before it reaches
the 15-bit accumulator (:func:`lava_vle.fixed_point.engine_product_shift`),
so the same dw string changes fixed_pt weights 8x less than floating_pt
ones; :func:`rule_scale` compensates for it. floating_pt: real payloads,
traces and weights (the engine's structure without its bit widths).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lava_vle.arithmetic import PRECISIONS

from lava_vle import fixed_point as fxp

TRACE_NO_DECAY = 2**16 - 1  # the tau Loihi3FLearningRule gives y1..y3 (no decay)
PRODUCTS_PER_SYNAPSE = 2  # S x0 x1 y1 - S x0 x1 y2
SYNAPSE_SETS_PER_PATH = 2  # one fed v+, one fed v-


def split(values: Any) -> tuple[Any, Any]:
    """``(max(v, 0), max(-v, 0))``: a signed value as two non-negative ones."""
    return np.maximum(values, 0), np.maximum(-values, 0)


def check_precision(precision: str) -> str:
    """``precision`` if it is ``"float"`` or ``"fixed"``, else ValueError."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} must be one of {PRECISIONS}")
    return precision


@dataclass(frozen=True)
class SignalCoding:
    """How one signal of a population (rates or errors) reaches the engine.

    fixed_pt: a value ``v >= 0`` is sent as the 8-bit unsigned payload
    ``round(v * 2**payload_frac_bits)``, a learning trace ``y >= 0`` as the
    7-bit unsigned ``round(y * 2**trace_frac_bits)``; floating_pt sends the
    real values (both bit counts 0).
    """

    fixed: bool
    payload_frac_bits: int = 0
    trace_frac_bits: int = 0

    @classmethod
    def fitting(cls, precision: str, value_range: float, learning_rate: float) -> "SignalCoding":
        """The coding whose payloads hold ``|v| <= value_range`` and whose traces
        hold ``eta |v| <= learning_rate * value_range`` (the largest power-of-two
        scales; the top value may saturate by one step)."""
        if check_precision(precision) == "float":
            return cls(False)
        if not value_range > 0 or not learning_rate > 0:
            raise ValueError(f"value_range={value_range!r} and learning_rate={learning_rate!r} "
                             "must be > 0 to fit the fixed_pt engine coding")
        payload = int(np.floor(np.log2((1 << fxp.ENGINE_PAYLOAD_BITS) / value_range)))
        trace = int(np.floor(np.log2((1 << fxp.ENGINE_TRACE_BITS)
                                     / (learning_rate * value_range))))
        return cls(True, payload, trace)

    def payload(self, values: Any) -> Any:
        """Graded payload of non-negative values in the arithmetic's units."""
        return fxp.engine_payload(values, self.payload_frac_bits) if self.fixed else values

    def trace(self, trace: Any, eta: Any) -> Any:
        """Trace value of a non-negative learning trace ``eta m v`` in the
        arithmetic's units (fixed_pt: Q7.16 times ``2**eta_shift``, see
        :func:`lava_vle.fixed_point.modulated_error`; ``eta = (mant, shift)``)."""
        if not self.fixed:
            return trace
        return fxp.engine_trace(trace, fxp.STATE_FRAC_BITS + eta[1] - self.trace_frac_bits)

    @property
    def value_scale_bits(self) -> int:
        """``log2`` of (trace x1 per unit value): ``x1 = payload / 2``."""
        return self.payload_frac_bits - 1 if self.fixed else -1


def rule_scale(learning_epoch: int, pre: SignalCoding, post: SignalCoding,
               engine_weight_exp: int) -> tuple[int, int]:
    """``(mant, exp)`` of ``S`` in ``dw = S x0 x1 y1 - S x0 x1 y2`` with ``E[dW] = N y v``.

    One epoch changes a real weight by ``2**w * S * 2**-k * x1 * y1`` with
    ``w`` the engine weight exponent (0 floating_pt), ``k`` the product shift
    (3 fixed_pt, 0 floating_pt), ``x1 = v 2**(P-1)``, ``y1 = y 2**T``; so
    ``S = N * 2**(k + 1 - w - P - T)``. ``N = mant * 2**n`` needs a mantissa
    of at most 7, and the exponent must lie in -7..8 (the engine's 4-bit
    mantissa and exponent range).
    """
    n = int(learning_epoch)
    odd, power = n, 0
    while odd % 2 == 0:
        odd, power = odd // 2, power + 1
    mant_max = (1 << (fxp.ENGINE_SCALE_MANT_BITS - 1)) - 1
    if odd > mant_max:
        raise fxp.FixedPointRangeError(
            f"learning_epoch={learning_epoch} is not mant * 2**k with mant <= {mant_max} "
            f"({fxp.ENGINE_SCALE_MANT_BITS}-bit scale mantissa of the learning engine)")
    shift = fxp.engine_product_shift(2) if pre.fixed else 0
    weight_exp = engine_weight_exp if pre.fixed else 0
    exp = power + shift - weight_exp - pre.value_scale_bits - post.trace_frac_bits
    lo, hi = fxp.ENGINE_SCALE_EXP_LIMITS
    if not lo <= exp <= hi:
        raise fxp.FixedPointRangeError(
            f"dw scale exponent {exp} (learning_epoch={learning_epoch}, engine weight "
            f"exponent {engine_weight_exp}, payload bits {pre.payload_frac_bits}, trace bits "
            f"{post.trace_frac_bits}) is out of range: allowed {lo}..{hi}; change the "
            "learning rate or the value ranges")
    return odd, exp


def dw_string(mant: int, exp: int) -> str:
    """The engine's dw: ``S x0 x1 y1 - S x0 x1 y2`` with ``S = mant * 2**exp``."""
    scale = f"2^{exp}" if mant == 1 else f"{mant} * 2^{exp}"
    return f"{scale} * x0 * x1 * y1 - {scale} * x0 * x1 * y2"


def loihi3f_rule(dw: str, learning_epoch: int, seed: int = 0):
    """A ``Loihi3FLearningRule`` with ``t_epoch = N`` whose ``x1`` takes graded
    payloads and does not decay (as Loihi3F keeps ``y1..y3``)."""
    from lava.magma.core.learning.learning_rule import Loihi3FLearningRule

    return Loihi3FLearningRule(dw=dw, x1_impulse=0, x1_tau=TRACE_NO_DECAY,
                               t_epoch=int(learning_epoch), rng_seed=int(seed))


def learning_rule(learning_epoch: int, pre: SignalCoding, post: SignalCoding,
                  engine_weight_exp: int = 0, seed: int = 0):
    """The engine rule of one synapse set: :func:`dw_string` scaled by :func:`rule_scale`."""
    return loihi3f_rule(dw_string(*rule_scale(learning_epoch, pre, post, engine_weight_exp)),
                        learning_epoch, seed)


@dataclass(frozen=True)
class EngineWeights:
    """Initial ``LearningDense`` weights of one synapse set and their units.

    ``weights``: what the process takes (fixed_pt: integers, floating_pt:
    real); ``exp``: a real weight is ``weights * 2**exp``; ``dense_exp``: the
    ``weight_exp`` argument that puts ``weights @ payload`` into the post
    compartment's units (fixed_pt: Q7.16; floating_pt: 0, unused).
    """

    weights: np.ndarray
    exp: int
    dense_exp: int

    def real(self, weights: np.ndarray) -> np.ndarray:
        """Real values of (learned) engine weights."""
        return np.ldexp(np.asarray(weights, dtype=np.float64), self.exp)


def engine_weights(weights: np.ndarray, weight_exp: int, pre: SignalCoding) -> EngineWeights:
    """Engine weights equal to our 8-bit mantissas ``weights`` (fixed_pt) or
    real ``weights`` (floating_pt).

    fixed_pt: the engine holds 9-bit signed integers and, in sign mode MIXED,
    truncates initial weights to even values (``lava.utils.weightutils.
    truncate_weights``); ``2 * mantissa`` with exponent ``weight_exp - 1`` is
    the same real weight and survives the truncation.
    """
    if not pre.fixed:
        return EngineWeights(np.asarray(weights, dtype=np.float64), 0, 0)
    exp = int(weight_exp) - 1
    return EngineWeights(2 * np.asarray(weights, dtype=np.int64), exp,
                         exp + fxp.STATE_FRAC_BITS - pre.payload_frac_bits)
