"""Fixed-point rules of lava-vle: the one home of every Loihi 2 bit width.

Every integer operation that a ``fixed_pt`` process model or the batched
fixed-point simulator performs is a function of this module, so the two cannot
drift apart. Formats (all signed two's complement unless noted):

======================  =========  ==========================================
quantity                bits       meaning of the integer
======================  =========  ==========================================
u, u_breve, v, e_breve  24         value * 2**STATE_FRAC_BITS (Q7.16)
rate r (graded spike)   <= 24      same scale as the state (payload bits)
decay k = dt/tau        12 (u)     k * 2**12, 1..4096 (4096 = 1.0, Lava LIF)
gain  k = tau_a/tau_b   16 (u)     k * 2**12, prospective factor < 16
phi'(u_breve)           13 (u)     slope * 2**12, 0..4096
weight mantissa          8         w = mantissa * 2**weight_exp (Lava Dense)
weight accumulator      16         w = acc * 2**(weight_exp - ACC_FRAC_BITS)
modulator m              8         m * 2**MODULATOR_FRAC_BITS
learning rate eta       8 (u)+5    eta = mant * 2**-(8 + shift)
learning traces x, y    24         Q7.16, like the state; decay 1/N (12 bits)
======================  =========  ==========================================

Learning epochs (``NetworkSpec.learning_epoch = N``): a plastic synapse keeps
a pre trace ``x`` (of ``r_pre``) and a post trace ``y`` (of ``eta m e_post``),
each relaxing toward its input by the 12-bit factor ``round(4096 / N)`` per
step (:func:`relax_toward`, the compartments' own update, so
``1 <= N <= 4096``), and changes its weights once per epoch, at
``time_step % N == 0`` as Lava's ``t_epoch``, by ``N y x^T``. The Loihi 2
learning engine itself keeps 7-bit unsigned traces; this synapse keeps signed
24-bit ones (see the learning-engine path for the difference).

Roundings: decays and gains multiply and shift with rounding toward zero,
exactly as Lava's LIF fixed_pt model (``sign(x) * (|x| >> 12)``); weight
exponents shift like Lava's bit-accurate Dense (arithmetic shift, floor);
plastic updates round stochastically with a counter-based hash so that two
implementations draw the same bits.
"""
from __future__ import annotations

import warnings
from typing import Union

import numpy as np

from lava_vle import kernels

IntArray = Union[np.ndarray, int]
FloatOrArray = Union[np.ndarray, float]

# --- Neuron state: 24-bit registers (Loihi 2 u / v) -----------------------
STATE_BITS = 24
STATE_FRAC_BITS = 16
ONE = 1 << STATE_FRAC_BITS  # the fixed-point value 1.0 in state units
STATE_MAX_REAL = ((1 << (STATE_BITS - 1)) - 1) / ONE  # largest real value a state holds

# --- Decays and gains: 12-bit fractions, as Lava LIF's du / dv ------------
DECAY_SHIFT = 12
DECAY_UNITY = 1 << DECAY_SHIFT
DECAY_BITS = 12  # a decay may also equal DECAY_UNITY itself (k = 1)
GAIN_BITS = 16  # prospective factors tau_r/tau_m, tau_m/tau_r

# --- Synapses --------------------------------------------------------------
WEIGHT_BITS = 8
WEIGHT_EXP_MIN, WEIGHT_EXP_MAX = -16, 7
ACC_FRAC_BITS = 8  # extra fraction kept by the plastic synapse accumulator
ACC_BITS = WEIGHT_BITS + ACC_FRAC_BITS

# --- Graded spikes ---------------------------------------------------------
MAX_PAYLOAD_BITS = 24

# --- Third factor and learning rate ----------------------------------------
MODULATOR_BITS = 8
MODULATOR_FRAC_BITS = 6  # m = 1.0 is 64
ETA_MANT_BITS = 8
ETA_SHIFT_BITS = 5
STOCHASTIC_BITS = 32  # random bits one hash draw provides


class FixedPointRangeError(ValueError):
    """A physical parameter cannot be represented in its Loihi register."""


# ---------------------------------------------------------------------------
# Limits and saturation
# ---------------------------------------------------------------------------
def signed_limits(bits: int) -> tuple[int, int]:
    """Return (min, max) of a signed two's-complement integer of ``bits``."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def saturate(x: IntArray, bits: int) -> np.ndarray:
    """Clip ``x`` to the signed range of ``bits`` bits (saturating register).

    ``minimum(maximum(x, lo), hi)``: the same integers as ``np.clip``, whose
    dispatch dominates on the small arrays of a step (one compiled pass,
    :func:`lava_vle.kernels.saturate`, where numba runs).
    """
    lo, hi = signed_limits(bits)
    fused = kernels.saturate(x, lo, hi)
    if fused is not None:
        return fused
    return np.minimum(np.maximum(np.asarray(x, dtype=np.int64), lo), hi)


def saturate_state(x: IntArray) -> np.ndarray:
    """Saturate to the 24-bit neuron state register."""
    return saturate(x, STATE_BITS)


def saturate_payload(x: IntArray, num_message_bits: int) -> np.ndarray:
    """Saturate a graded-spike payload to ``num_message_bits`` signed bits."""
    check_int_range("num_message_bits", num_message_bits, 2, MAX_PAYLOAD_BITS)
    return saturate(x, num_message_bits)


# ---------------------------------------------------------------------------
# Shifts and multiplications
# ---------------------------------------------------------------------------
def mul_shift(x: IntArray, factor: IntArray, shift: int = DECAY_SHIFT) -> np.ndarray:
    """Return ``sign(x*f) * (|x*f| >> shift)``: Lava LIF's decay rounding.

    This is the microcode "multiply with shift" with rounding toward zero.
    """
    prod = np.asarray(x, dtype=np.int64) * np.asarray(factor, dtype=np.int64)
    return np.sign(prod) * (np.abs(prod) >> shift)


def shift_exponent(x: IntArray, exponent: IntArray) -> np.ndarray:
    """Return ``x * 2**exponent`` as Lava's bit-accurate Dense does it.

    Positive exponents shift left, negative ones shift right arithmetically
    (floor). ``exponent`` may be an array broadcasting against ``x`` (one
    exponent per layer of a stack).
    """
    x = np.asarray(x, dtype=np.int64)
    if np.ndim(exponent) == 0:
        exponent = int(exponent)
        return x << exponent if exponent >= 0 else x >> (-exponent)
    exponent = np.asarray(exponent, dtype=np.int64)
    return (x << np.maximum(exponent, 0)) >> np.maximum(-exponent, 0)


def shift_round(x: IntArray, shift: int) -> np.ndarray:
    """Return ``round(x / 2**shift)`` with ties rounded up: ``(x + 2**(s-1)) >> s``."""
    x = np.asarray(x, dtype=np.int64)
    if shift <= 0:
        return x << (-shift)
    return (x + (1 << (shift - 1))) >> shift


def relax_toward(x: IntArray, target: IntArray, factor: IntArray, *more: IntArray
                 ) -> Union[np.ndarray, tuple[np.ndarray, ...]]:
    """Return ``x + k (target - x)`` in 24-bit state with a 12-bit factor ``k``;
    with several factors, one result per factor (the saturated difference
    ``target - x`` computed once, as the microcode shares it).

    The one update every VLE compartment uses: the leaky integration
    ``u += dt/tau_m (I - u)`` and the prospective read-out
    ``u_breve = u + tau_r/tau_m (I - u)`` (likewise for v and e_breve).
    """
    fused = kernels.relax_toward(x, target, (factor,) + more, *signed_limits(STATE_BITS),
                                 DECAY_SHIFT)
    if fused is not None:  # the lines below in one pass
        return fused if more else fused[0]
    x = np.asarray(x, dtype=np.int64)
    delta = saturate_state(np.asarray(target, dtype=np.int64) - x)
    results = tuple(saturate_state(x + mul_shift(delta, k)) for k in (factor,) + more)
    return results if more else results[0]


def int_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer ``a @ b`` for int64 arrays, using float64 BLAS.

    Products are exact in float64 while every partial sum stays below 2**53;
    when the bound could be exceeded, ``b`` is split into a high and a low
    part (``b = hi * 2**k + lo``) and the two exact products are recombined
    in int64. Raises OverflowError if even that could lose bits.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    fused = kernels.int_matmul(a, b)  # a small product, exact in int64, in one pass
    if fused is not None:
        return fused
    inner = a.shape[-1]
    max_a = int(np.abs(a).max(initial=0))
    max_b = int(np.abs(b).max(initial=0))
    if max_a * max_b * inner < 2**53:
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    split = (max_b.bit_length() + 1) // 2
    hi, lo = b >> split, b & ((1 << split) - 1)
    if max_a * max(int(np.abs(hi).max(initial=0)), 1 << split) * inner >= 2**53:
        raise OverflowError(
            f"int_matmul: |a| <= {max_a}, |b| <= {max_b} over {inner} terms "
            "exceeds 2**53 even after splitting; reduce the batch or bit width")
    a64 = a.astype(np.float64)
    hi_prod = np.rint(a64 @ hi.astype(np.float64)).astype(np.int64)
    lo_prod = np.rint(a64 @ lo.astype(np.float64)).astype(np.int64)
    return (hi_prod << split) + lo_prod


def integrate_and_fire(acc: IntArray, rate: IntArray) -> tuple[np.ndarray, np.ndarray]:
    """Signed spike encoder in state units: returns ``(acc, spikes)``.

    ``total = acc + r``; ``spikes = ONE`` if ``total >= ONE``, ``-ONE`` if
    ``total <= -ONE``, else 0; ``acc = total - spikes`` (24-bit saturating).
    Compare, select and add only: what a Loihi neuron's microcode can do.
    """
    total = saturate_state(np.asarray(acc, dtype=np.int64) + rate)
    spikes = np.where(total >= ONE, ONE, np.where(total <= -ONE, -ONE, 0))
    return total - spikes, spikes


def sigma_delta_hold(value: IntArray, last_sent: IntArray, threshold: int) -> np.ndarray:
    """Sigma-delta link: ``value`` where ``|value - last_sent| > threshold``, else
    ``last_sent`` (compare and select; the receiver holds the last message)."""
    value = np.asarray(value, dtype=np.int64)
    return np.where(np.abs(value - last_sent) > threshold, value, last_sent)


def threshold_to_fixed(threshold: float) -> int:
    """A sigma-delta threshold in state units (``round(threshold * ONE)``)."""
    return int(round(float(threshold) * ONE))


# ---------------------------------------------------------------------------
# Counter-based hash and stochastic rounding
# ---------------------------------------------------------------------------
# the mix's constants (mask, shifts, multipliers): Python ints, and as uint32
_MIX_INT = (0xFFFFFFFF, 16, 15, 0x7FEB352D, 0x846CA68B)
_MIX_UINT32 = tuple(np.uint32(c) for c in _MIX_INT)


def _mix32(x: Union[int, np.ndarray]) -> Union[int, np.ndarray]:
    """32-bit avalanche mix (the 'lowbias32' integer hash) of a Python int
    (masked to 32 bits after each product) or of a uint32 array (numpy
    wraps its products modulo 2**32, in place): the same bits either way."""
    if isinstance(x, int):
        mask, s16, s15, m1, m2 = _MIX_INT
        x = x & mask
        x ^= x >> s16
        x = (x * m1) & mask
        x ^= x >> s15
        x = (x * m2) & mask
        x ^= x >> s16
        return x
    _, s16, s15, m1, m2 = _MIX_UINT32
    x ^= x >> s16
    x *= m1
    x ^= x >> s15
    x *= m2
    x ^= x >> s16
    return x


def hash_key(seed: int, step: int) -> int:
    """``mix(mix(seed) ^ step)``: the key of every hash of one (seed, step),
    one number mixed in Python ints (see :func:`counter_hash`)."""
    return _mix32(_mix32(int(seed) & 0xFFFFFFFF) ^ (int(step) & 0xFFFFFFFF))


def keyed_hash(key: IntArray, index: IntArray) -> np.ndarray:
    """``mix(key ^ index)`` as uint32 (``index`` modulo 2**32); ``key`` may
    be an array (one key per layer of a stack) broadcasting against ``index``."""
    index = np.asarray(index)
    # a new array (the xor's), mixed in place
    idx = np.atleast_1d(index.astype(np.uint32) ^ np.asarray(key).astype(np.uint32))
    return _mix32(idx).reshape(np.broadcast_shapes(index.shape, np.shape(key)))


def counter_hash(seed: int, step: int, index: IntArray) -> np.ndarray:
    """Return 32 pseudo-random bits for (seed, step, index), as uint32.

    ``hash = mix(mix(mix(seed) ^ step) ^ index)``: a pure function of its
    counters, so the Lava process model and the batched simulator that
    evaluate it for the same synapse at the same step get the same bits.
    """
    return keyed_hash(hash_key(seed, step), index)


def stochastic_shift(x: IntArray, shift: int, seed: int, step: int,
                     index: IntArray) -> np.ndarray:
    """Return ``floor((x + h) / 2**shift)`` with ``h`` uniform in [0, 2**shift).

    Unbiased stochastic rounding of ``x / 2**shift``. ``h`` comes from
    :func:`counter_hash`; shifts beyond 32 bits first drop the low bits
    (``x >> (shift - 32)``, floor) and then round the remaining 32 bits
    stochastically.
    """
    return keyed_shift(x, shift, hash_key(seed, step), index)


def keyed_shift(x: IntArray, shift: IntArray, key: IntArray, index: IntArray) -> np.ndarray:
    """:func:`stochastic_shift` with the hash key given (:func:`hash_key`);
    ``shift`` and ``key`` may be arrays broadcasting against ``x`` (one per
    layer of a stack): ``x << -shift`` where ``shift <= 0``."""
    x = np.asarray(x, dtype=np.int64)
    if np.ndim(shift) == 0:
        shift = int(shift)
        if shift <= 0:
            return x << (-shift)
        if shift > STOCHASTIC_BITS:
            x = x >> (shift - STOCHASTIC_BITS)
            shift = STOCHASTIC_BITS
        noise = keyed_hash(key, index).astype(np.int64) & ((1 << shift) - 1)
        return (x + noise) >> shift
    shift = np.asarray(shift, dtype=np.int64)
    if shift.min() <= 0 or shift.max() > STOCHASTIC_BITS:
        x = (x << np.maximum(-shift, 0)) >> np.maximum(shift - STOCHASTIC_BITS, 0)
        shift = np.clip(shift, 0, STOCHASTIC_BITS)
    noise = keyed_hash(key, index).astype(np.int64) & ((1 << shift) - 1)
    return (x + noise) >> shift


# ---------------------------------------------------------------------------
# Weights: 8-bit mantissa with a per-projection exponent
# ---------------------------------------------------------------------------
def choose_weight_exp(max_abs_weight: float, headroom: float = 1.0,
                      name: str = "weights") -> int:
    """Smallest exponent with ``headroom * max|w| <= 127 * 2**weight_exp``
    (at most ``WEIGHT_EXP_MAX``: larger weights fail in :func:`quantize_weights`)."""
    lo, hi = signed_limits(WEIGHT_BITS)
    target = float(max_abs_weight) * headroom
    if not np.isfinite(target):
        raise FixedPointRangeError(f"{name} has max|w|={float(max_abs_weight)!r} "
                                   f"(headroom {headroom!r}): weights must be finite")
    if target <= 0.0:
        return WEIGHT_EXP_MIN
    return int(np.clip(np.ceil(np.log2(target / hi)), WEIGHT_EXP_MIN, WEIGHT_EXP_MAX))


def check_weight_exp(weight_exp: int) -> int:
    """Validate a weight exponent (one integer, or a Var's one-element array)
    and return it as int."""
    if np.size(weight_exp) != 1:
        raise FixedPointRangeError(f"weight_exp={weight_exp!r} must be one integer in "
                                   f"{WEIGHT_EXP_MIN}..{WEIGHT_EXP_MAX}")
    check_int_range("weight_exp", weight_exp, WEIGHT_EXP_MIN, WEIGHT_EXP_MAX)
    return int(np.reshape(weight_exp, -1)[0])


def quantize_weights(weights: np.ndarray, weight_exp: int, extra_frac_bits: int = 0,
                     name: str = "weights", saturate: bool = False,
                     remedy: str = "scale the weights down or choose a larger weight_exp"
                     ) -> np.ndarray:
    """Round real weights to ``w = q * 2**(weight_exp - extra_frac_bits)``.

    ``extra_frac_bits = 0`` gives the 8-bit mantissa; ``ACC_FRAC_BITS`` gives
    the 16-bit plastic accumulator. A weight beyond the register raises
    :class:`FixedPointRangeError` naming the matrix ``name`` and the largest
    representable value and ``remedy`` (what the caller's user can change);
    ``saturate=True`` clips it with a warning instead.
    """
    check_weight_exp(weight_exp)
    weights = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(weights)):
        raise FixedPointRangeError(f"{name} contains NaN or inf: weights must be finite")
    bits = WEIGHT_BITS + extra_frac_bits
    scaled = np.rint(np.ldexp(weights, extra_frac_bits - weight_exp)).astype(np.int64)
    lo, hi = signed_limits(bits)
    if scaled.size and (scaled.min() < lo or scaled.max() > hi):
        largest = float(np.ldexp(hi, weight_exp - extra_frac_bits))
        problem = (f"{name} has |w| up to {np.abs(weights).max():.6g}, beyond the largest "
                   f"representable value {largest:.6g} ({bits}-bit register, "
                   f"weight_exp={weight_exp})")
        if not saturate:
            raise FixedPointRangeError(f"{problem}: {remedy}")
        warnings.warn(f"{problem}: clipped to +-{largest:.6g}", stacklevel=2)
    return np.clip(scaled, lo, hi)


def accumulator_to_mantissa(acc: IntArray) -> np.ndarray:
    """8-bit weight mantissa read from the 16-bit accumulator (round, saturate)."""
    return saturate(shift_round(acc, ACC_FRAC_BITS), WEIGHT_BITS)


def dequantize_weights(q: IntArray, weight_exp: int, extra_frac_bits: int = 0) -> np.ndarray:
    """Real value of ``q * 2**(weight_exp - extra_frac_bits)``."""
    return np.ldexp(np.asarray(q, dtype=np.float64), weight_exp - extra_frac_bits)


def synaptic_sum(weight_mant: np.ndarray, x: np.ndarray, weight_exp: IntArray) -> np.ndarray:
    """Dendritic input ``(x @ W^T) * 2**weight_exp`` in state units, saturated.

    ``weight_mant`` is (n_post, n_pre), or an (L, n_post, n_pre) stack with
    ``x`` (L, ..., n_pre) and one exponent per layer (L, 1, 1); ``x`` is in
    state units.
    """
    acc = int_matmul(np.asarray(x, dtype=np.int64), np.asarray(weight_mant).swapaxes(-1, -2))
    return saturate_state(shift_exponent(acc, weight_exp))


# ---------------------------------------------------------------------------
# Conversions of physical quantities to integers, with clear errors
# ---------------------------------------------------------------------------
def check_int_range(name: str, value: IntArray, lo: int, hi: int,
                    bits: str = "") -> None:
    """Raise FixedPointRangeError unless every ``value`` is an integer in [lo, hi]."""
    arr = np.asarray(value) if isinstance(value, (int, float, np.number, np.ndarray)) else None
    width = f" ({bits})" if bits else ""
    if (arr is None or arr.dtype.kind not in "iuf"
            or (arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.rint(arr))))):
        raise FixedPointRangeError(f"{name}={value!r} must be an integer in {lo}..{hi}{width}")
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise FixedPointRangeError(
            f"{name}={value!r} is out of range: allowed {lo}..{hi}{width}")


def to_state(x: np.ndarray) -> np.ndarray:
    """Real values to 24-bit state integers (round to nearest, saturate at
    -128 .. ``STATE_MAX_REAL`` with a warning naming how many values did);
    NaN or inf raise FixedPointRangeError."""
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise FixedPointRangeError(
            f"to_state: x contains {int(np.sum(~np.isfinite(x)))} NaN or inf values; "
            f"Q7.16 state integers hold finite values in +-{STATE_MAX_REAL:.6g}")
    low = -(1 << (STATE_BITS - 1)) / ONE
    beyond = (x > STATE_MAX_REAL) | (x < low)
    if beyond.any():
        warnings.warn(f"to_state: {int(beyond.sum())} of {x.size} values lie outside the Q7.16 "
                      f"state range {low:g}..{STATE_MAX_REAL:.6g} (largest |x| "
                      f"{float(np.abs(x).max()):.6g}) and saturate; scale them into range",
                      RuntimeWarning, stacklevel=2)
    return saturate_state(np.rint(np.clip(x, low, STATE_MAX_REAL) * ONE).astype(np.int64))


def check_state_range(name: str, x: np.ndarray) -> None:
    """Raise FixedPointRangeError unless real values ``x`` fit the 24-bit Q7.16 state."""
    largest = float(np.abs(x).max(initial=0.0))
    if largest > STATE_MAX_REAL:
        raise FixedPointRangeError(
            f"{name} has |values| up to {largest:.6g}: allowed -{STATE_MAX_REAL:.6g}.."
            f"{STATE_MAX_REAL:.6g} (Q7.16 state, {STATE_BITS}-bit signed)")


def from_state(x: IntArray) -> np.ndarray:
    """24-bit state integers to real values."""
    return np.asarray(x, dtype=np.float64) / ONE


def fraction_to_fixed(name: str, ratio: np.ndarray, bits: int,
                      allow_unity: bool = False) -> np.ndarray:
    """Return ``round(ratio * 2**12)`` as an unsigned ``bits``-bit factor.

    Used for decays (``dt/tau``, 12 bits, unity 4096 allowed) and for
    prospective gains (``tau_r/tau_m`` and ``tau_m/tau_r``, 16 bits). The
    error names the parameter, the allowed real range and the bit width.
    """
    ratio = np.asarray(ratio, dtype=np.float64)
    fixed = np.rint(ratio * DECAY_UNITY).astype(np.int64)
    hi = DECAY_UNITY if allow_unity else (1 << bits) - 1
    if np.any(fixed < 1) or np.any(fixed > hi):
        raise FixedPointRangeError(
            f"{name}={_show(ratio)} is not representable: allowed "
            f"{1 / DECAY_UNITY:.6g}..{hi / DECAY_UNITY:.6g} "
            f"({bits}-bit unsigned, {DECAY_SHIFT} fractional bits)")
    return fixed


def decay_to_fixed(dt: float, tau: np.ndarray, name: str) -> np.ndarray:
    """12-bit decay ``round(dt / tau * 4096)`` for ``tau`` named ``name``."""
    tau = np.asarray(tau, dtype=np.float64)
    if np.any(tau < dt):
        raise FixedPointRangeError(
            f"{name}={_show(tau)} must be >= dt={dt}: the Euler factor dt/{name} "
            f"is a 12-bit decay in 1/{DECAY_UNITY}..1")
    return fraction_to_fixed(f"dt/{name}", dt / tau, DECAY_BITS, allow_unity=True)


def gain_to_fixed(ratio: np.ndarray, name: str) -> np.ndarray:
    """16-bit prospective gain ``round(ratio * 4096)``, ratio < 16."""
    return fraction_to_fixed(name, ratio, GAIN_BITS)


def scale_to_fixed(scale: FloatOrArray, name: str) -> np.ndarray:
    """A non-negative gain (beta, gamma, loss weight) as a 16-bit factor
    ``round(scale * 4096)``; 0 allowed."""
    scale = np.asarray(scale, dtype=np.float64)
    # non-finite values are refused below; as 0 here they cast without a warning
    fixed = np.rint(np.nan_to_num(scale, posinf=0.0, neginf=0.0) * DECAY_UNITY).astype(np.int64)
    if not np.all(np.isfinite(scale)) or np.any(fixed < 0) or np.any(fixed >= 1 << GAIN_BITS):
        raise FixedPointRangeError(
            f"{name}={_show(scale)} must lie in 0..{((1 << GAIN_BITS) - 1) / DECAY_UNITY:.6g} "
            f"({GAIN_BITS}-bit unsigned, {DECAY_SHIFT} fractional bits)")
    return fixed


def trace_decay_to_fixed(learning_epoch: int) -> np.ndarray:
    """12-bit factor ``round(4096 / N)`` by which a learning trace relaxes per step."""
    check_int_range("learning_epoch", learning_epoch, 1, DECAY_UNITY,
                    f"12-bit trace decay 1/N, N <= {DECAY_UNITY}")
    return decay_to_fixed(1.0, float(learning_epoch), "learning_epoch")


def learning_rate_to_fixed(eta: float, name: str = "eta") -> tuple[int, int]:
    """Split ``eta`` into (mantissa, shift) with ``eta = mant * 2**-(8+shift)``.

    The mantissa is an 8-bit unsigned integer normalised to 128..255; the
    shift is a 5-bit unsigned integer. ``eta = 0`` gives (0, 0). Errors name
    the parameter ``name``.
    """
    if isinstance(eta, (bool, np.bool_)) or not isinstance(eta, (int, float, np.number)):
        raise FixedPointRangeError(f"{name}={eta!r} must be a finite number >= 0")
    eta = float(eta)
    if eta < 0 or not np.isfinite(eta):
        raise FixedPointRangeError(f"{name}={eta!r} must be a finite number >= 0")
    if eta == 0.0:
        return 0, 0
    max_shift = (1 << ETA_SHIFT_BITS) - 1
    scaled = min(eta, 1.0) * (1 << ETA_MANT_BITS)  # eta >= 1 is out of range anyway
    # smallest shift that lifts the mantissa into 128..255
    shift = int(np.clip(np.ceil(np.log2(127.5 / scaled)), 0, max_shift + 1))
    mant = int(np.rint(scaled * 2.0 ** shift))
    if mant >= 1 << ETA_MANT_BITS or shift > max_shift:
        raise FixedPointRangeError(
            f"{name}={eta!r} is not representable: allowed "
            f"{128 * 2.0 ** -(ETA_MANT_BITS + max_shift):.3g}..{255 / 256:.3g} "
            f"({ETA_MANT_BITS}-bit mantissa, {ETA_SHIFT_BITS}-bit shift)")
    return mant, shift


def modulator_to_fixed(m: np.ndarray, name: str = "m") -> np.ndarray:
    """Neuromodulator values to signed 8-bit integers, ``m * 64``; errors name ``name``."""
    m = np.asarray(m, dtype=np.float64)
    fixed = np.rint(np.nan_to_num(m) * (1 << MODULATOR_FRAC_BITS))
    lo, hi = signed_limits(MODULATOR_BITS)
    if not np.all(np.isfinite(m)) or np.any(fixed < lo) or np.any(fixed > hi):
        raise FixedPointRangeError(
            f"{name}={_show(m)} is out of range: allowed {lo / 64}..{hi / 64} "
            f"({MODULATOR_BITS}-bit signed, {MODULATOR_FRAC_BITS} fractional bits)")
    return fixed.astype(np.int64)


def _show(x: np.ndarray) -> str:
    x = np.asarray(x)
    if x.size == 1 or np.all(x == x.flat[0]):
        return f"{float(x.flat[0]):.6g}"
    return f"[{float(x.min()):.6g}..{float(x.max()):.6g}]"


# ---------------------------------------------------------------------------
# The local plasticity rule dW = eta * m * e_post * r_pre, in integers
# ---------------------------------------------------------------------------
def stream_seed(seed: int, stream: int) -> int:
    """Seed of one plastic array (``stream``) derived from a network seed."""
    return _mix32((int(seed) * 0x9E3779B1 + int(stream)) & 0xFFFFFFFF)


def modulated_error(e_breve: np.ndarray, modulator: np.ndarray, eta_mant: int) -> np.ndarray:
    """Post-synaptic learning trace ``e_breve * m * eta_mant >> 14`` (24-bit).

    ``modulator`` is the 8-bit third factor (64 = 1.0) per sample, broadcast
    over neurons; ``eta_mant`` the 8-bit learning-rate mantissa. The result
    is in state units and equals ``e * m * eta * 2**eta_shift``.
    """
    m = np.asarray(modulator, dtype=np.int64)
    if m.ndim == 1:
        m = m[:, None]
    prod = np.asarray(e_breve, dtype=np.int64) * m * int(eta_mant)
    return saturate_state(shift_round(prod, MODULATOR_FRAC_BITS + ETA_MANT_BITS))


def update_shift(weight_exp: int, eta_shift: int) -> int:
    """Right shift from ``trace * r_pre`` (2 x 16 fractional bits) to accumulator units.

    ``S = 2 * STATE_FRAC_BITS + eta_shift - (ACC_FRAC_BITS - weight_exp)``.
    """
    return 2 * STATE_FRAC_BITS + eta_shift - ACC_FRAC_BITS + weight_exp


def plastic_update(acc: np.ndarray, trace: np.ndarray, r_pre: np.ndarray,
                   weight_exp: int, eta_shift: int, seed: int, step: int) -> np.ndarray:
    """Return the 16-bit accumulator after one local update.

    ``acc += SR(sum_batch trace^T r_pre, S)`` with ``S`` from
    :func:`update_shift` and stochastic rounding keyed by (seed, step,
    synapse index ``i * n_pre + j``); the result saturates at 16 bits.
    ``trace`` is (batch, n_post), ``r_pre`` (batch, n_pre).
    """
    prod = int_matmul(np.asarray(trace, dtype=np.int64).T, np.asarray(r_pre, dtype=np.int64))
    return add_update(acc, prod, weight_exp, eta_shift, seed, step)


def add_update(acc: np.ndarray, prod: np.ndarray, weight_exp: int, eta_shift: int, seed: int,
               step: int) -> np.ndarray:
    """``acc + SR(prod, S)`` saturated at 16 bits: an update given as its exact
    product sum in (trace x rate) units (see :func:`plastic_update`)."""
    prod = np.asarray(prod, dtype=np.int64)
    index = np.arange(prod.size, dtype=np.int64).reshape(prod.shape)
    return keyed_update(acc, prod, update_shift(weight_exp, eta_shift), hash_key(seed, step),
                        index)


def keyed_update(acc: np.ndarray, prod: np.ndarray, shift: IntArray, key: IntArray,
                 index: IntArray) -> np.ndarray:
    """``saturate_16(acc + SR(prod, shift))`` with the hash ``key`` and synapse
    ``index`` given: :func:`add_update` of one array, or of a layer stack
    with one shift and key per layer (:func:`keyed_shift`)."""
    fused = kernels.keyed_update(acc, prod, shift, key, index, *signed_limits(ACC_BITS),
                                 STOCHASTIC_BITS)
    if fused is not None:  # the lines below in one pass
        return fused
    delta = keyed_shift(prod, shift, key, index)
    return saturate(np.asarray(acc, dtype=np.int64) + delta, ACC_BITS)


# ---------------------------------------------------------------------------
# Lava's learning engine (stock LearningDense, bit-approximate fixed_pt model)
# ---------------------------------------------------------------------------
# Widths of lava-nc 0.10 ``lava/magma/core/learning/constants.py`` and
# ``lava/magma/core/model/py/connection.py`` (lava_vle.learning_engine maps
# the local rule onto them):
ENGINE_TRACE_BITS = 7  # x1, x2, y1..y3: unsigned (W_TRACE); factors clip to 0..127
ENGINE_PAYLOAD_BITS = 8  # a graded payload enters x1 as round(payload / 2) in uint8
ENGINE_WEIGHT_LIMITS = (-256, 255)  # learned weights, sign mode MIXED (W_WEIGHTS_U = 8)
ENGINE_SCALE_MANT_BITS = 4  # dw scale factor: mantissa -8..7 (W_S_MANT) ...
ENGINE_SCALE_EXP_LIMITS = (-7, 8)  # ... times 2**exp, exp -7..8
ENGINE_ACCUMULATOR_BITS = 15  # unsigned width of the dw accumulator (W_ACCUMULATOR_U)


def engine_product_shift(n_traces: int) -> int:
    """Right shift the engine applies to a product of ``n_traces`` 7-bit traces.

    ``max(0, 7 n + 4 - 15)`` (``LearningRuleApplierBitApprox.apply``): 3 for
    ``x1 * y1``, so the same dw string changes fixed_pt weights 8x less
    than floating_pt ones.
    """
    width = ENGINE_TRACE_BITS * n_traces + ENGINE_SCALE_MANT_BITS
    return max(0, width - ENGINE_ACCUMULATOR_BITS)


def engine_payload(x: IntArray, frac_bits: int) -> np.ndarray:
    """Non-negative state values (Q7.16) as 8-bit unsigned graded payloads.

    ``payload = round(x * 2**frac_bits)``, saturating at 0 and 255; a
    payload of 0 is no spike (the engine records nothing for it).
    """
    payload = shift_round(x, STATE_FRAC_BITS - frac_bits)
    return np.clip(payload, 0, (1 << ENGINE_PAYLOAD_BITS) - 1)


def engine_trace(y: IntArray, shift: int) -> np.ndarray:
    """Non-negative integers as 7-bit unsigned trace values ``round(y / 2**shift)``,
    saturating at 0 and 127 (what a post neuron can send to ``s_in_y1..y3``)."""
    return np.clip(shift_round(y, shift), 0, (1 << ENGINE_TRACE_BITS) - 1)
