"""An independent integer reference of the fixed-point VLE step, for tests only.

Written from the model description (now ``docs/model.md``, sections 1-4: the equations
and the Euler step) and the bit-width table that opens
``lava_vle/fixed_point.py``; it imports nothing from ``lava_vle``. Plain
Python integers and scalar loops: every value is an ``int`` (or a nested list
of them), every rounding is written out where it happens, and every constant
(decay, gain, slope, shift, saturation bound, learning-rate split) is derived
here from the float parameters (``dt``, ``tau_m``, ``tau_r``, ``beta``,
``gamma``, ``eta``, ``N``, thresholds). The only numbers taken from the
project are the network's float parameters and its initial integer synapses
(accumulators, mantissas, exponents), handed over as plain numbers.

Formats (two's complement unless noted):

=====================  =========  ==========================================
quantity               bits       integer
=====================  =========  ==========================================
u, u_breve, v, e_breve  24        value * 2**16 (Q7.16), saturating
rate r, target          24        same scale
decay dt/tau            12 (u)    round(dt/tau * 4096), 1..4096
gain tau_a/tau_b        16 (u)    round(ratio * 4096), 1..65535
gain beta w, gamma, c   16 (u)    round(value * 4096), 0..65535
phi'(u_breve)           13 (u)    slope * 4096, 0..4096
weight mantissa          8        w = mant * 2**exp
weight accumulator      16        w = acc * 2**(exp - 8), saturating
modulator m              8        round(m * 64)
learning rate eta       8 (u)+5   eta = mant * 2**-(8 + shift), mant 128..255
learning traces         24        Q7.16, relaxing by round(4096 / N)
=====================  =========  ==========================================

Roundings: products with a 12-bit factor round toward zero
(``sign(p) (|p| >> 12)``, Lava LIF); weight exponents shift arithmetically
(floor, Lava Dense); accumulator -> mantissa and the modulated error round
half up; the plastic update rounds stochastically with the noise of a
counter-based hash (:func:`counter_hash`), so that a reference and the
simulator draw the same bits without sharing a generator's state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

# --- the bit-width table -----------------------------------------------------------
STATE_BITS = 24
STATE_FRAC_BITS = 16
ONE = 1 << STATE_FRAC_BITS          # 1.0 in Q7.16
FACTOR_FRAC_BITS = 12               # decays, gains and slopes: 1.0 = 4096
UNITY = 1 << FACTOR_FRAC_BITS
DECAY_MAX = UNITY                   # a 12-bit decay may be 1.0 itself
GAIN_MAX = (1 << 16) - 1            # 16-bit unsigned gain
WEIGHT_BITS = 8
WEIGHT_EXP_MIN, WEIGHT_EXP_MAX = -16, 7
ACC_FRAC_BITS = 8                   # the plastic accumulator's extra fraction
ACC_BITS = WEIGHT_BITS + ACC_FRAC_BITS
MODULATOR_BITS = 8
MODULATOR_FRAC_BITS = 6             # m = 1.0 is 64
ETA_MANT_BITS = 8
ETA_SHIFT_BITS = 5
NOISE_BITS = 32                     # random bits one hash draw gives
LOOP_GAIN = 0.9                     # recurrent_error="stable": c ||W_rec||_F <= 0.9
                                    # (NetworkSpec's documentation of the mode)
ACTIVATIONS = ("linear", "relu", "hard_tanh")  # piecewise linear: microcode can do them
MASK32 = 0xFFFFFFFF


# ===================================================================================
# Registers and the three roundings
# ===================================================================================
def saturate(x: int, bits: int) -> int:
    """Clip ``x`` to the signed range of a ``bits``-bit register."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return lo if x < lo else hi if x > hi else x


def sat24(x: int) -> int:
    """The 24-bit neuron state register."""
    return saturate(x, STATE_BITS)


def mul_factor(x: int, factor: int) -> int:
    """``x * factor / 4096`` rounded toward zero: ``sign(p) (|p| >> 12)``."""
    p = x * factor
    return -((-p) >> FACTOR_FRAC_BITS) if p < 0 else p >> FACTOR_FRAC_BITS


def shift_floor(x: int, exp: int) -> int:
    """``x * 2**exp``, floor for negative ``exp`` (arithmetic shift)."""
    return x << exp if exp >= 0 else x >> (-exp)


def round_half_up(x: int, shift: int) -> int:
    """``round(x / 2**shift)``, ties up: ``(x + 2**(shift-1)) >> shift``."""
    return x if shift <= 0 else (x + (1 << (shift - 1))) >> shift


# ===================================================================================
# Constants from the float parameters
# ===================================================================================
def decay(dt: float, tau: float) -> int:
    """12-bit Euler factor ``k = round(dt / tau * 4096)``, 1..4096 (tau >= dt)."""
    k = round(dt / tau * UNITY)
    if not 1 <= k <= DECAY_MAX:
        raise ValueError(f"dt/tau={dt / tau} is not a 12-bit decay")
    return k


def prospective_gain(ratio: float) -> int:
    """16-bit prospective factor ``round(ratio * 4096)`` (``tau_r/tau_m`` or
    ``tau_m/tau_r``), 1..65535."""
    k = round(ratio * UNITY)
    if not 1 <= k <= GAIN_MAX:
        raise ValueError(f"ratio={ratio} is not a 16-bit gain")
    return k


def scale_gain(value: float) -> int:
    """A non-negative scale (``beta w_t``, ``gamma``, loop gain ``c``) as
    ``round(value * 4096)``, 0..65535."""
    k = round(value * UNITY)
    if not 0 <= k <= GAIN_MAX:
        raise ValueError(f"scale={value} is not a 16-bit gain")
    return k


def trace_decay(learning_epoch: int) -> int:
    """Factor ``round(4096 / N)`` by which a learning trace relaxes per step
    (``y += (value - y) / N``)."""
    return decay(1.0, float(learning_epoch))


def to_state(x: float) -> int:
    """A real value (rate, target, threshold) in Q7.16: ``round(x * 2**16)``, saturated."""
    return sat24(round(x * ONE))


def modulator_to_int(m: float) -> int:
    """Third factor ``m`` as a signed 8-bit integer ``round(m * 64)``."""
    q = round(m * (1 << MODULATOR_FRAC_BITS))
    if q != saturate(q, MODULATOR_BITS):
        raise ValueError(f"m={m} is not an 8-bit modulator")
    return q


def learning_rate(eta: float) -> tuple[int, int]:
    """``eta = mant * 2**-(8 + shift)``: the smallest 5-bit ``shift`` that lifts
    ``eta * 256 * 2**shift`` to 127.5 or more, and ``mant`` its rounding
    (128..255); ``eta = 0`` is (0, 0)."""
    if eta == 0.0:
        return 0, 0
    scaled = min(eta, 1.0) * (1 << ETA_MANT_BITS)
    shift = 0
    while scaled * 2.0 ** shift < 127.5 and shift <= (1 << ETA_SHIFT_BITS) - 1:
        shift += 1
    mant = round(scaled * 2.0 ** shift)
    if mant >= 1 << ETA_MANT_BITS or shift > (1 << ETA_SHIFT_BITS) - 1:
        raise ValueError(f"eta={eta} is not representable")
    return mant, shift


def weight_exponent(max_abs: float, headroom: float = 2.0) -> int:
    """Smallest exponent with ``headroom * max|w| <= 127 * 2**exp`` (-16..7)."""
    target = max_abs * headroom
    if target <= 0.0:
        return WEIGHT_EXP_MIN
    exp = WEIGHT_EXP_MIN
    while exp < WEIGHT_EXP_MAX and 127 * 2.0 ** exp < target:
        exp += 1
    return exp


def quantize(w: float, exp: int, frac_bits: int) -> int:
    """``round(w * 2**(frac_bits - exp))`` (ties to even, as ``round``)."""
    return round(math.ldexp(w, frac_bits - exp))


def accumulator_to_mantissa(acc: int) -> int:
    """The 8-bit mantissa the synapse sends with: ``sat8(round(acc / 2**8))``."""
    return saturate(round_half_up(acc, ACC_FRAC_BITS), WEIGHT_BITS)


def loop_gain(mantissas: list, exp: int) -> int:
    """``c = min(1, LOOP_GAIN / ||W||_F)`` of a recurrent error path, from the
    effective weights ``mant * 2**exp``, as a 16-bit gain. ``sum mant**2`` is
    an exact integer, so ``||W||_F = sqrt(sum) * 2**exp`` whatever the order."""
    squares = sum(m * m for row in mantissas for m in row)
    norm = math.sqrt(math.ldexp(float(squares), 2 * exp))
    return scale_gain(min(1.0, LOOP_GAIN / max(norm, 1e-12)))


# ===================================================================================
# The neuron: activation, leaky integration, prospective rate, error dendrite
# ===================================================================================
def phi(activation: str, u_breve: int) -> int:
    """``r = phi(u_breve)`` in Q7.16: ``x`` (linear), ``max(x, 0)`` (relu),
    ``clip(x, -1, 1)`` (hard_tanh)."""
    if activation == "linear":
        return u_breve
    if activation == "relu":
        return max(u_breve, 0)
    if activation == "hard_tanh":
        return min(max(u_breve, -ONE), ONE)
    raise ValueError(f"activation={activation!r} has no fixed-point form")


def phi_prime(activation: str, u_breve: int) -> int:
    """``phi'(u_breve)`` as a 12-bit slope (4096 = 1): 1 (linear); 1 for
    ``x >= 0`` else 0 (relu; slope 1 at the kink); 1 for ``|x| <= 1`` else 0
    (hard_tanh)."""
    if activation == "linear":
        return UNITY
    if activation == "relu":
        return UNITY if u_breve >= 0 else 0
    if activation == "hard_tanh":
        return UNITY if abs(u_breve) <= ONE else 0
    raise ValueError(f"activation={activation!r} has no fixed-point form")


def relax(x: int, target: int, k: int) -> int:
    """``x + k (target - x)`` in the 24-bit state: the difference saturates,
    the product rounds toward zero, the sum saturates."""
    return sat24(x + mul_factor(sat24(target - x), k))


def neuron_step(u: int, drive: int, k_m: int, k_r: int, activation: str
                ) -> tuple[int, int, int, int]:
    """Representation neuron, one Euler step with ``I = drive``:

        u_breve = u + (tau_r/tau_m)(I - u)      prospective membrane (old u)
        u      += (dt/tau_m)(I - u)             leaky integration
        r       = phi(u_breve),  phi'(u_breve)

    Returns ``(u, u_breve, r, phi')``."""
    u_breve = relax(u, drive, k_r)
    u_new = relax(u, drive, k_m)
    return u_new, u_breve, phi(activation, u_breve), phi_prime(activation, u_breve)


def error_dendrite(v: int, e_in: int, phi_prime_prev: int, k_v: int, k_e: int
                   ) -> tuple[int, int]:
    """Error dendrite, one Euler step (constants swapped):

        e_inst  = phi'(u_breve(t-1)) e_in
        e_breve = v + (tau_m/tau_r)(e_inst - v) prospective error
        v      += (dt/tau_r)(e_inst - v)

    Returns ``(v, e_breve)``."""
    e_inst = sat24(mul_factor(e_in, phi_prime_prev))
    return relax(v, e_inst, k_v), relax(v, e_inst, k_e)


def nudged_input(drive: int, e_breve: int, gamma: int) -> int:
    """``I = W r_pre + b + gamma e_breve``, saturated once."""
    return sat24(drive + sat24(mul_factor(e_breve, gamma)))


def softmax(values: list) -> list:
    """Softmax of real values, ``exp(x - max) / sum`` (the host's float64 step)."""
    top = max(values)
    ez = [math.exp(x - top) for x in values]
    total = 0.0
    for z in ez:
        total += z
    return [z / total for z in ez]


def output_error(loss: str, rates: list, target: list, scale: int) -> list:
    """``e_L = beta w_t (y - r_L)`` (mse) or ``beta w_t (y - softmax(r_L))``
    (ce; the softmax in float64 on the host, quantised to Q7.16)."""
    if loss == "ce":
        prediction = [to_state(p) for p in softmax([r / ONE for r in rates])]
    else:
        prediction = rates
    return [sat24(mul_factor(sat24(y - p), scale)) for y, p in zip(target, prediction)]


# ===================================================================================
# Synapses: forward and error paths
# ===================================================================================
def synapse_forward(mantissa: list, exp: int, rates_pre: list) -> list:
    """``a_i = sat24((sum_j W_ij r_j) * 2**exp)``: the drive of one projection
    (``mantissa`` is n_post x n_pre)."""
    return [sat24(shift_floor(sum(w * r for w, r in zip(row, rates_pre)), exp))
            for row in mantissa]


def synapse_error(mantissa: list, exp: int, e_post: list) -> list:
    """``e_j = sat24((sum_i B_ij e_i) * 2**exp)``: ``B^T e_breve_post`` carried
    back to the presynaptic population (B = W mirrored, or fixed random)."""
    n_pre = len(mantissa[0])
    return [sat24(shift_floor(sum(mantissa[i][j] * e_post[i] for i in range(len(e_post))), exp))
            for j in range(n_pre)]


def bias_input(mantissa: int, exp: int) -> int:
    """The bias: a weight from an always-on rate of 1.0, ``sat24(b * 2**16 * 2**exp)``."""
    return sat24(shift_floor(mantissa * ONE, exp))


def stable_recurrent_error(mantissa: list, exp: int, v_post: list, gain: int) -> list:
    """``recurrent_error="stable"``: ``c B^T v(t-1)``, the low-passed error of
    the population scaled by the loop gain ``c``."""
    return [sat24(mul_factor(e, gain)) for e in synapse_error(mantissa, exp, v_post)]


# ===================================================================================
# Spikes and sigma-delta
# ===================================================================================
def sigma_delta(value: int, last_sent: int, threshold: int) -> int:
    """Sigma-delta link: send ``value`` if ``|value - last_sent| > threshold``,
    else the receiver keeps ``last_sent``."""
    return value if abs(value - last_sent) > threshold else last_sent


def integrate_and_fire(acc: int, rate: int) -> tuple[int, int]:
    """Signed spike encoder: ``total = acc + r``; a spike of ``+-1.0`` when
    ``|total| >= 1``, subtracted. Returns ``(acc, spike)``."""
    total = sat24(acc + rate)
    spike = ONE if total >= ONE else -ONE if total <= -ONE else 0
    return total - spike, spike


# ===================================================================================
# Stochastic rounding: the counter-based hash the simulator draws its noise from
# ===================================================================================
# The simulator does not use a generator with state: its rounding noise is a
# pure function of (seed, step, synapse index), the public 'lowbias32'
# integer hash (C. Wellons' hash-prospector) applied three times. Written
# here from that definition, so both draw the same bits from the same seed
# (no numpy Generator is involved on either side).
def lowbias32(x: int) -> int:
    """lowbias32, mod 2**32: ``x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15;
    x *= 0x846ca68b; x ^= x >> 16``."""
    x &= MASK32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK32
    x ^= x >> 15
    x = (x * 0x846CA68B) & MASK32
    x ^= x >> 16
    return x


def stream_seed(seed: int, stream: int) -> int:
    """Seed of projection ``stream``'s noise: ``mix((seed * 0x9E3779B1 + stream) mod 2**32)``."""
    return lowbias32((seed * 0x9E3779B1 + stream) & MASK32)


def counter_hash(seed: int, step: int, index: int) -> int:
    """32 random bits for synapse ``index`` at time step ``step``:
    ``mix(mix(mix(seed) ^ step) ^ index)``."""
    key = lowbias32(lowbias32(seed & MASK32) ^ (step & MASK32))
    return lowbias32(key ^ (index & MASK32))


def stochastic_round(x: int, shift: int, seed: int, step: int, index: int) -> int:
    """``floor((x + h) / 2**shift)``, ``h`` uniform in ``[0, 2**shift)`` from the
    hash (unbiased rounding of ``x / 2**shift``). Beyond 32 bits of shift the
    low bits are dropped first (floor), then 32 bits round stochastically."""
    if shift <= 0:
        return x << (-shift)
    if shift > NOISE_BITS:
        x >>= shift - NOISE_BITS
        shift = NOISE_BITS
    noise = counter_hash(seed, step, index) & ((1 << shift) - 1)
    return (x + noise) >> shift


# ===================================================================================
# The local rule dW = eta m e_post r_pre, learning epochs, e-prop
# ===================================================================================
def modulated_error(e: int, m: int, eta_mant: int) -> int:
    """Post factor ``eta m e`` in Q7.16 up to ``2**-shift``:
    ``sat24(round(e * m * eta_mant / 2**(6 + 8)))`` (m has 6 fractional bits,
    the mantissa 8), i.e. ``e * m_real * eta * 2**eta_shift``."""
    return sat24(round_half_up(e * m * eta_mant, MODULATOR_FRAC_BITS + ETA_MANT_BITS))


def update_shift(weight_exp: int, eta_shift: int) -> int:
    """``trace * r_pre`` has 2 x 16 fractional bits and lacks ``2**-eta_shift``;
    the accumulator counts ``2**(exp - 8)``: ``S = 32 + eta_shift - (8 - exp)``."""
    return 2 * STATE_FRAC_BITS + eta_shift - (ACC_FRAC_BITS - weight_exp)


def local_update(acc: list, bias_acc: Optional[list], post: list, pre: list, weight_exp: int,
                 eta_shift: int, seed: int, step: int) -> tuple[list, Optional[list]]:
    """One update of a projection's 16-bit accumulators:

        acc_ij += SR(sum_b post_bi pre_bj, S),   bias_i += SR(sum_b post_bi ONE, S)

    ``post`` (batch x n_post) is ``eta m e_breve_post`` (times N with epochs),
    ``pre`` (batch x n_pre) ``r_pre(t-1)`` or its trace. The bias (if this
    projection carries it) is one more column from an always-on rate 1.0;
    synapse ``(i, j)`` draws the noise of index ``i * n_cols + j``."""
    n_post = len(acc)
    n_pre = len(acc[0])
    columns = n_pre + (0 if bias_acc is None else 1)
    shift = update_shift(weight_exp, eta_shift)
    new_acc = [row[:] for row in acc]
    new_bias = None if bias_acc is None else bias_acc[:]
    for i in range(n_post):
        for j in range(columns):
            if j < n_pre:
                prod = sum(post[b][i] * pre[b][j] for b in range(len(post)))
            else:
                prod = sum(post[b][i] * ONE for b in range(len(post)))
            delta = stochastic_round(prod, shift, seed, step, i * columns + j)
            if j < n_pre:
                new_acc[i][j] = saturate(acc[i][j] + delta, ACC_BITS)
            else:
                new_bias[i] = saturate(bias_acc[i] + delta, ACC_BITS)
    return new_acc, new_bias


def eligibility_step(eps: list, r_pre: list, phi_prime_post: list, k_m: list, k_r: list
                     ) -> tuple[list, list]:
    """e-prop's eligibility of the synapses W_ij into VLE neurons i (one sample):

        elig_ij = phi'_i(t) (eps_ij + k_r,i (r_j(t-1) - eps_ij))    d r_i / d W_ij
        eps_ij += k_m,i (r_j(t-1) - eps_ij)                         d u_i / d W_ij

    Returns ``(eps, elig)`` (n_post x n_pre)."""
    new_eps, elig = [], []
    for i, row in enumerate(eps):
        new_eps.append([relax(e, r, k_m[i]) for e, r in zip(row, r_pre)])
        elig.append([sat24(mul_factor(relax(e, r, k_r[i]), phi_prime_post[i]))
                     for e, r in zip(row, r_pre)])
    return new_eps, elig


def eprop_update(acc: list, signal: list, elig: list, weight_exp: int, eta_shift: int,
                 seed: int, step: int) -> list:
    """``acc_ij += SR(sum_b signal_bi elig_bij, S)`` (16-bit), ``signal = eta m e_in``,
    the error reaching neuron i (before phi')."""
    shift = update_shift(weight_exp, eta_shift)
    n_pre = len(acc[0])
    out = []
    for i, row in enumerate(acc):
        new_row = []
        for j, a in enumerate(row):
            prod = sum(signal[b][i] * elig[b][i][j] for b in range(len(signal)))
            new_row.append(saturate(a + stochastic_round(prod, shift, seed, step, i * n_pre + j),
                                    ACC_BITS))
        out.append(new_row)
    return out


# ===================================================================================
# The network
# ===================================================================================
@dataclass
class Layer:
    """One population: size, per-neuron time constants, phi, its options."""

    size: int
    tau_m: list
    tau_r: list
    activation: str = "hard_tanh"
    recurrent: bool = False
    spiking: bool = False
    sigma_delta: float = 0.0
    error_sigma_delta: float = 0.0


@dataclass
class Net:
    """The float parameters of a network (populations 1..L, input 0)."""

    n_in: int
    layers: list
    dt: float
    loss: str = "mse"
    beta: float = 1.0
    gamma: float = 0.0
    feedback: str = "mirrored"
    recurrent_error: str = "loop"
    learning_epoch: int = 1

    def projections(self) -> list:
        """(pre, post) per projection: into each population its forward one
        from below, then its recurrent one; the forward one carries the bias."""
        out = []
        for post, layer in enumerate(self.layers, start=1):
            out.append((post - 1, post))
            if layer.recurrent:
                out.append((post, post))
        return out

    def carries_error(self, pre: int, post: int) -> bool:
        """A projection carries errors to its presynaptic population unless that
        is the input, or it is recurrent and ``recurrent_error`` is ``none``/``eprop``."""
        if pre == 0:
            return False
        return pre != post or self.recurrent_error in ("loop", "stable")


@dataclass
class Synapses:
    """Initial integer synapses, per projection (in :meth:`Net.projections`
    order) and per population."""

    weight_acc: list
    weight_exp: list
    bias_acc: list
    bias_exp: list
    feedback_mant: list
    feedback_exp: list


@dataclass
class Result:
    """Per step ``records[name][t][pop][b][i]`` (``rates`` includes the input as
    population 0, the others populations 1..L; ``e_target`` one entry); the
    final synapses and the final learning state."""

    records: dict
    weight_acc: list
    bias_acc: list
    pre_trace: Optional[list] = None
    post_trace: Optional[list] = None
    eligibility: dict = field(default_factory=dict)
    spike_acc: Optional[list] = None


def _zeros(batch: int, n: int) -> list:
    return [[0] * n for _ in range(batch)]


def simulate(net: Net, syn: Synapses, x: list, target: Optional[list] = None,
             loss_weight: Optional[list] = None, modulator: Optional[list] = None,
             learn: bool = False, eta: float = 1e-3, seed: int = 0, first_step: int = 1,
             traces: str = "filtered") -> Result:
    """Run the network on ``x`` [T][B][n_in] (real values), step by step.

    Per step ``s`` (numbered from ``first_step``) and population ``l``, from
    the previous step's state (docs/model.md section 3):

        a_l     = b_l + sum_k W_k r_pre(t-1)
        e_in_l  = sum_k B_k^T e_breve_post(t-1)  (+ e_target(t-1) at the output;
                  "stable" recurrence: c B^T v(t-1))
        (v, e_breve) = error_dendrite(...)  -> sigma-delta held if configured
        I       = a_l + gamma e_breve
        (u, u_breve, r, phi') = neuron_step(...) -> spikes / sigma-delta if configured
    then ``e_target = output_error(r_L, y(t))`` for the next step. With
    ``learn``: post traces of ``eta m e_breve(t)``, pre traces of ``r(t-1)``
    (relaxed by 1/N, or the value itself for N = 1 or ``traces="sampled"``);
    e-prop projections learn every step; the others at ``s % N == 0`` by
    ``acc += SR(N y x^T)``.
    ``target`` [T][B][n_out] (None: no output error), ``loss_weight`` [T][B],
    ``modulator`` [T][B] (real values; default 1)."""
    steps, batch = len(x), len(x[0])
    sizes = [net.n_in] + [layer.size for layer in net.layers]
    n_layers = len(net.layers)
    projections = net.projections()
    if target is None:
        target = [[[0.0] * sizes[-1] for _ in range(batch)] for _ in range(steps)]
        loss_weight = [[0.0] * batch for _ in range(steps)]
    if loss_weight is None:
        loss_weight = [[1.0] * batch for _ in range(steps)]
    if modulator is None:
        modulator = [[1.0] * batch for _ in range(steps)]

    # --- constants, from the float parameters ------------------------------------
    k_m = [[decay(net.dt, t) for t in layer.tau_m] for layer in net.layers]
    k_r = [[prospective_gain(tr / tm) for tm, tr in zip(layer.tau_m, layer.tau_r)]
           for layer in net.layers]
    k_v = [[decay(net.dt, t) for t in layer.tau_r] for layer in net.layers]
    k_e = [[prospective_gain(tm / tr) for tm, tr in zip(layer.tau_m, layer.tau_r)]
           for layer in net.layers]
    gamma = scale_gain(net.gamma)
    rate_threshold = [to_state(layer.sigma_delta) if layer.sigma_delta else None
                      for layer in net.layers]
    error_threshold = [to_state(layer.error_sigma_delta) if layer.error_sigma_delta else None
                       for layer in net.layers]
    scales = [[scale_gain(net.beta * w) for w in row] for row in loss_weight]
    mods = [[modulator_to_int(m) for m in row] for row in modulator]
    eta_mant, eta_shift = learning_rate(eta)
    epoch = net.learning_epoch
    relax_traces = epoch > 1 and traces == "filtered"
    k_trace = trace_decay(epoch) if relax_traces else None
    eprop = [k for k, (pre, post) in enumerate(projections)
             if net.recurrent_error == "eprop" and pre == post]
    seeds = [stream_seed(seed, k) for k in range(len(projections))]

    weight_acc = [[row[:] for row in a] for a in syn.weight_acc]
    bias_acc = [b[:] for b in syn.bias_acc]

    # --- state at rest --------------------------------------------------------------
    u = [_zeros(batch, n) for n in sizes[1:]]
    v = [_zeros(batch, n) for n in sizes[1:]]
    e_breve = [_zeros(batch, n) for n in sizes[1:]]
    spike_acc = [_zeros(batch, n) for n in sizes[1:]]
    slope = [[[phi_prime(layer.activation, 0)] * layer.size for _ in range(batch)]
             for layer in net.layers]
    rates = [_zeros(batch, n) for n in sizes]
    e_target = _zeros(batch, sizes[-1])
    pre_trace = [_zeros(batch, n) for n in sizes] if learn else None
    post_trace = [_zeros(batch, n) for n in sizes[1:]] if learn else None
    eps = {k: [_zeros(sizes[projections[k][1]], sizes[projections[k][0]])
               for _ in range(batch)] for k in eprop}
    names = ("u", "v", "u_breve", "e_breve", "phi_prime", "rates", "e_target")
    records = {name: [] for name in names}

    for t in range(steps):
        step = first_step + t
        # the synapses as the step reads them (mantissas of the accumulators)
        weight_mant = [[[accumulator_to_mantissa(a) for a in row] for row in acc]
                       for acc in weight_acc]
        bias_mant = [[accumulator_to_mantissa(a) for a in b] for b in bias_acc]
        backward = [(weight_mant[k], syn.weight_exp[k]) if syn.feedback_mant[k] is None
                    else (syn.feedback_mant[k], syn.feedback_exp[k])
                    for k in range(len(projections))]
        gains = {k: loop_gain(*backward[k]) for k, (pre, post) in enumerate(projections)
                 if net.recurrent_error == "stable" and pre == post}

        new = {name: [] for name in ("u", "v", "u_breve", "e_breve", "phi_prime", "e_in")}
        new_rates = [[[to_state(value) for value in sample] for sample in x[t]]]
        new_spike_acc = list(spike_acc)
        for l in range(1, n_layers + 1):
            layer, i_l = net.layers[l - 1], l - 1
            per = {name: [] for name in ("u", "v", "u_breve", "e_breve", "phi_prime",
                                         "e_in", "r", "acc")}
            for b in range(batch):
                drive = [0] * sizes[l]
                errors = [0] * sizes[l]
                for k, (pre, post) in enumerate(projections):
                    if post == l:
                        a = synapse_forward(weight_mant[k], syn.weight_exp[k], rates[pre][b])
                        if pre == l - 1:  # the forward projection carries the bias
                            a = [ai + bias_input(bm, syn.bias_exp[i_l])
                                 for ai, bm in zip(a, bias_mant[i_l])]
                        drive = [d + ai for d, ai in zip(drive, a)]
                    if pre == l and net.carries_error(pre, post):
                        mant, exp = backward[k]
                        if k in gains:
                            e = stable_recurrent_error(mant, exp, v[post - 1][b], gains[k])
                        else:
                            e = synapse_error(mant, exp, e_breve[post - 1][b])
                        errors = [ei + ej for ei, ej in zip(errors, e)]
                if l == n_layers:
                    errors = [ei + et for ei, et in zip(errors, e_target[b])]
                row = {name: [] for name in per}
                for i in range(sizes[l]):
                    e_in = sat24(errors[i])
                    v_i, eb_i = error_dendrite(v[i_l][b][i], e_in, slope[i_l][b][i],
                                               k_v[i_l][i], k_e[i_l][i])
                    if error_threshold[i_l] is not None:
                        eb_i = sigma_delta(eb_i, e_breve[i_l][b][i], error_threshold[i_l])
                    u_i, ub_i, r_i, pp_i = neuron_step(
                        u[i_l][b][i], nudged_input(drive[i], eb_i, gamma),
                        k_m[i_l][i], k_r[i_l][i], layer.activation)
                    acc_i = spike_acc[i_l][b][i]
                    if layer.spiking:
                        acc_i, r_i = integrate_and_fire(acc_i, r_i)
                    elif rate_threshold[i_l] is not None:
                        r_i = sigma_delta(r_i, rates[l][b][i], rate_threshold[i_l])
                    for name, value in (("u", u_i), ("v", v_i), ("u_breve", ub_i),
                                        ("e_breve", eb_i), ("phi_prime", pp_i),
                                        ("e_in", e_in), ("r", r_i), ("acc", acc_i)):
                        row[name].append(value)
                for name in per:
                    per[name].append(row[name])
            for name in new:
                new[name].append(per[name])
            new_rates.append(per["r"])
            new_spike_acc[i_l] = per["acc"]
        new_e_target = [output_error(net.loss, new_rates[-1][b],
                                     [to_state(y) for y in target[t][b]], scales[t][b])
                        for b in range(batch)]

        if learn:
            post_value = [[[modulated_error(e, mods[t][b], eta_mant) for e in new["e_breve"][i][b]]
                           for b in range(batch)] for i in range(n_layers)]
            if relax_traces:
                post_trace = [[[relax(y, val, k_trace) for y, val in zip(ys, vals)]
                               for ys, vals in zip(post_trace[i], post_value[i])]
                              for i in range(n_layers)]
                pre_trace = [[[relax(xt, r, k_trace) for xt, r in zip(xs, rs)]
                              for xs, rs in zip(pre_trace[p], rates[p])]
                             for p in range(n_layers + 1)]
            else:
                post_trace = post_value
                pre_trace = [[row[:] for row in rates[p]] for p in range(n_layers + 1)]
            for k in eprop:  # every step, from the eligibility of r(t-1)
                pre, post = projections[k]
                elig = []
                for b in range(batch):
                    eps[k][b], elig_b = eligibility_step(eps[k][b], rates[pre][b],
                                                         new["phi_prime"][post - 1][b],
                                                         k_m[post - 1], k_r[post - 1])
                    elig.append(elig_b)
                signal = [[modulated_error(e, mods[t][b], eta_mant)
                           for e in new["e_in"][post - 1][b]] for b in range(batch)]
                weight_acc[k] = eprop_update(weight_acc[k], signal, elig, syn.weight_exp[k],
                                             eta_shift, seeds[k], step)
            if step % epoch == 0:
                for k, (pre, post) in enumerate(projections):
                    if k in eprop:
                        continue
                    factor = [[y * epoch for y in row] for row in post_trace[post - 1]]
                    carried = bias_acc[post - 1] if pre == post - 1 else None
                    weight_acc[k], new_bias = local_update(
                        weight_acc[k], carried, factor, pre_trace[pre], syn.weight_exp[k],
                        eta_shift, seeds[k], step)
                    if carried is not None:
                        bias_acc[post - 1] = new_bias

        u, v, e_breve, slope = new["u"], new["v"], new["e_breve"], new["phi_prime"]
        rates, e_target, spike_acc = new_rates, new_e_target, new_spike_acc
        for name in ("u", "v", "u_breve", "e_breve", "phi_prime"):
            records[name].append(new[name])
        records["rates"].append(rates)
        records["e_target"].append([e_target])

    return Result(records, weight_acc, bias_acc, pre_trace, post_trace, eps, spike_acc)
