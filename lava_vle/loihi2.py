"""Loihi 2 resource estimate of a VLE network, every figure checked against a published limit.

``estimate(spec)`` counts, per population and per projection, what a VLE
network needs on Loihi 2: compartments, synapses, synaptic memory, learning
traces and tags, product terms of the learning rule, the microcode a neuron
runs per step, and from these the neurocores and chips. ``estimate(...).checks``
compares each count with the limit it must respect (:data:`LIMITS`, each with
its source and year); a broken capacity limit is named in
``Estimate.failures``. ``lava-vle resources --task T`` prints the estimate of a
benchmark network; :func:`markdown_report` generates ``docs/loihi2.md``.

The mapping counted here (an assumption of this estimate, stated once):

- **A VLE neuron is two compartments on one core**: the *soma* integrates
  the forward drive ``W r + b`` into ``u``, ``u_breve`` and sends ``r``; the
  *error dendrite* integrates ``W^T e_breve`` into ``v`` and sends
  ``e_breve``. They receive different messages (forward vs error
  synapses), keep state with swapped time constants and send on different
  axons, and a Loihi compartment has one synaptic input and one output; they
  exchange ``phi'`` and ``e_breve`` every step, which is why they share a core
  (as Loihi's multi-compartment neurons do). An MSE output neuron has a third
  compartment for ``beta (y - r)``; cross-entropy's softmax runs on an
  embedded x86 core (no exp or division in neuron microcode).
- **Synapses are the learning-engine path** (:mod:`lava_vle.learning_engine`):
  traces and learned payloads are unsigned, so each projection is two
  synapse sets (fed ``r+`` and ``r-``), the ``r+`` set also holding the bias
  as a synapse from an always-on input; a mirrored error path is two more
  learned sets (weight transport by mirrored learning), a random one a
  fixed signed set. Synapses live on the core of the receiving compartment.
  Only one of ``r+``, ``r-`` is nonzero, so the split doubles memory, not
  synaptic work.
- **Learning traces**: ``x1`` per presynaptic input, ``y1..y3`` per
  compartment, tags per synapse. The local rule
  ``dw = S x0 x1 y1 - S x0 x1 y2`` needs one pre trace, two post traces
  (``y+``, ``y-``) and 2 product terms per synapse set. e-prop (derived here,
  not built in lava-vle): a signed tag ``t`` holds the eligibility ``eps``,
  ``dt = k_m (x1 - t)``, ``dw = A ((1 - k_r) t + k_r x1)`` with
  ``A = eta m e_in phi'`` split into ``A+``, ``A-``; per-neuron ``k_m``,
  ``k_r`` (time constants that differ across the population) must come in
  as post traces too.
- **One population per core at least** (as Lava's and nengo-loihi's mappers
  place processes); the input and the targets come from an embedded x86
  core as graded spikes.
"""
from __future__ import annotations

import json
from dataclasses import asdict, astuple, dataclass, replace
from typing import Optional, Sequence

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.learning_engine import PRODUCTS_PER_SYNAPSE, SYNAPSE_SETS_PER_PATH
from lava_vle.spec import LayerSpec, NetworkSpec, Projection
from lava_vle.validation import check_int

KIB = 1024


# ---------------------------------------------------------------------------
# Published figures: every limit with its source and year
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A publication or code base a figure comes from."""

    key: str
    citation: str
    year: int
    where: str


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("Intel 2021", "Intel Labs, \"Taking Neuromorphic Computing to the Next Level with "
           "Loihi 2\", technology brief", 2021, "Intel newsroom, September 2021 (PDF)"),
    Source("Davies 2018", "M. Davies et al., \"Loihi: A Neuromorphic Manycore Processor with "
           "On-Chip Learning\", IEEE Micro 38(1):82-99", 2018, "doi:10.1109/MM.2018.112130359"),
    Source("Orchard 2021", "G. Orchard et al., \"Efficient Neuromorphic Signal Processing with "
           "Loihi 2\", IEEE SiPS", 2021, "arXiv:2111.03746"),
    Source("Shrestha 2024", "S. B. Shrestha, J. Timcheck, P. Frady, L. Campos-Macias, M. Davies, "
           "\"Efficient Video and Audio Processing with Loihi 2\", IEEE ICASSP", 2024,
           "arXiv:2310.03251"),
    Source("lava-nc 0.10", "Intel, lava-nc 0.10.0: lava/magma/core/learning/constants.py and "
           "string_symbols.py, lava/magma/compiler/subcompilers/constants.py, "
           "lava/proc/lif/models.py", 2024, "https://github.com/lava-nc/lava"),
    Source("nengo-loihi", "Applied Brain Research, nengo-loihi 1.1: nengo_loihi/block.py "
           "(MAX_COMPARTMENTS, MAX_IN_AXONS, MAX_OUT_AXONS, MAX_SYNAPSE_BITS; Loihi 1)", 2022,
           "https://github.com/nengo/nengo-loihi"),
    Source("Intel 2024", "Intel, \"Intel Builds World's Largest Neuromorphic System\" "
           "(Hala Point, 1,152 Loihi 2 processors), press release", 2024,
           "Intel newsroom, April 2024"),
)}


@dataclass(frozen=True)
class Limit:
    """A published hardware figure. ``value`` is what the checks use; ``low``,
    ``high`` bound it where it is uncertain (``note`` says why);
    ``generation`` is the chip it was published for."""

    value: int
    unit: str
    source: str
    year: int
    note: str = ""
    generation: str = "Loihi 2"
    low: Optional[int] = None
    high: Optional[int] = None

    def __post_init__(self) -> None:
        """Refuse a source not in :data:`SOURCES`, a year other than its
        source's, or a range that does not hold ``value``."""
        if self.source not in SOURCES:
            raise ValueError(f"source={self.source!r} must be one of {sorted(SOURCES)}")
        if SOURCES[self.source].year != self.year:
            raise ValueError(f"year={self.year} differs from {self.source}'s "
                             f"{SOURCES[self.source].year}")
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        if not low <= self.value <= high:
            raise ValueError(f"value={self.value} must lie in its range low..high = "
                             f"{low}..{high}")

    @property
    def range_text(self) -> str:
        """``"2,048..4,096"`` where uncertain, else the value."""
        if self.low is None and self.high is None:
            return f"{self.value:,}"
        return f"{self.low if self.low is not None else self.value:,}.." \
               f"{self.high if self.high is not None else self.value:,}"


LIMITS: dict[str, Limit] = {
    "cores_per_chip": Limit(
        128, "neurocores", "Intel 2021", 2021,
        "lava-nc 0.10's mapper uses the same figure (NUM_VIRTUAL_CORES_L2 = 128)"),
    "compartments_per_core": Limit(
        8192, "neurons", "Intel 2021", 2021,
        "'up to 8,192 neurons per core'; counted here per compartment (conservative: one "
        "program holding soma and dendrite would count once). Loihi 1: 1,024 compartments "
        "(Davies 2018)"),
    "compartments_per_chip": Limit(
        1_000_000, "neurons", "Intel 2021", 2021, "'up to 1 million neurons per chip'"),
    "synapses_per_chip": Limit(
        120_000_000, "synapses", "Intel 2021", 2021,
        "at the densest synapse encoding; 8-bit dense weights hit the memory per core first"),
    "memory_per_core": Limit(
        128 * KIB, "bytes", "Davies 2018", 2018,
        "Loihi 1: 128 KB synaptic memory per core (16 MB per chip; nengo-loihi MAX_SYNAPSE_BITS "
        "= 16384 x 64). Loihi 2 partitions a core's memory flexibly among synapses, neuron "
        "state and routing (Intel 2021); its size is reported as 128 KB (press coverage of the "
        "release) and as 192 KB (reproductions of the brief's table), not confirmed here: "
        "range 128-192 KiB, checks use 128 KiB for synapses and neuron state together",
        "Loihi 1; Loihi 2: 128-192 KiB", 128 * KIB, 192 * KIB),
    "fan_in_per_core": Limit(
        4096, "input axons", "Davies 2018", 2018,
        "Loihi 1 (nengo-loihi MAX_IN_AXONS = 4096; a plastic input takes 2 axon slots there, "
        "hence 2,048 for learning synapses); no Loihi 2 figure is published",
        "Loihi 1", 2048, 4096),
    "fan_out_per_core": Limit(
        4096, "output axons", "Davies 2018", 2018,
        "Loihi 1 (nengo-loihi MAX_OUT_AXONS = 4096); counted here as one axon per neuron, sign "
        "stream and destination core (no population axons); no Loihi 2 figure is published",
        "Loihi 1"),
    "weight_bits": Limit(
        9, "bits (signed)", "lava-nc 0.10", 2024,
        "learned weights W_WEIGHTS_S = 9 (8 magnitude bits and sign, -256..255)"),
    "state_bits": Limit(
        24, "bits (signed)", "lava-nc 0.10", 2024, "bit-accurate LIF: u, v precision=24"),
    "message_bits": Limit(
        24, "bits (signed)", "lava-nc 0.10", 2024,
        "graded spikes of the bit-accurate neuron models (s_out precision=24)"),
    "learning_payload_bits": Limit(
        8, "bits (unsigned)", "lava-nc 0.10", 2024,
        "a graded payload loads the pre trace x1 as an unsigned 8-bit value"),
    "trace_bits": Limit(
        7, "bits (unsigned)", "lava-nc 0.10", 2024, "W_TRACE = 7 (x1, x2, y1, y2, y3)"),
    "pre_traces": Limit(
        2, "traces per input", "lava-nc 0.10", 2024, "PRE_TRACES = {x1, x2}"),
    "post_traces": Limit(
        3, "traces per compartment", "lava-nc 0.10", 2024, "POST_TRACES = {y1, y2, y3}"),
    "tags_per_synapse": Limit(
        2, "tags", "lava-nc 0.10", 2024, "SYNAPTIC_VARIABLES = {w, d, t}: tag_2 (d), tag_1 (t)"),
    "tag_bits": Limit(
        9, "bits (signed)", "lava-nc 0.10", 2024, "W_TAG_1_S = W_TAG_2_S = 9"),
    "embedded_cores_per_chip": Limit(
        3, "x86 cores", "lava-nc 0.10", 2024,
        "MAX_EMBEDDED_CORES_PER_CHIP = 3 in Lava's compiler; the chip has 6 (Intel 2021)",
        low=3, high=6),
    "chips_per_system": Limit(
        1152, "chips", "Intel 2024", 2024, "Hala Point, the largest Loihi 2 system"),
}

#: What is published about Loihi 2's neuron microcode (and what is not).
MICROCODE_FACTS: tuple[tuple[str, str, int], ...] = (
    ("Neuron models are programs: Loihi 2 'supports a wide range of stateful spiking neuron "
     "models with fully programmable dynamics'; resonate-and-fire neurons and Hopf resonators "
     "are shown as microcode on (emulated) Loihi 2.", "Orchard 2021", 2021),
    ("New in Loihi 2: neuron models programmed in microcode, graded (integer-valued) spikes "
     "and three-factor learning rules; Loihi 1's neuron was a fixed CUBA LIF compartment.",
     "Intel 2021", 2021),
    ("Sigma-delta encapsulation, resonate-and-fire neurons and integer-valued spikes are "
     "characterised on Loihi 2 for video, audio denoising and spectral transforms.",
     "Shrestha 2024", 2024),
    ("Lava's bit-accurate models of the chip use 24-bit neuron state, 12-bit decays with a "
     "multiply and a right shift (rounding toward zero), compares and selects.",
     "lava-nc 0.10", 2024),
    ("Loihi 1 (fixed LIF): 81 pJ per active and 52 pJ per inactive neuron update; no Loihi 2 "
     "per-update figure is published.", "Davies 2018", 2018),
)
MICROCODE_UNPUBLISHED = ("Not published for Loihi 2: the microcode instruction set, the cycles "
                         "or energy of an instruction, the longest program, the number of state "
                         "words a neuron may keep, a limit on learning-rule product terms.")


# ---------------------------------------------------------------------------
# Microcode: operations per step, counted from the fixed-point rules
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Ops:
    """Operations of a program: arithmetic (add/sub, multiply, shift,
    compare/select) and memory reads and writes of state words."""

    add: int = 0
    mul: int = 0
    shift: int = 0
    compare: int = 0
    read: int = 0
    write: int = 0

    def __add__(self, other: "Ops") -> "Ops":
        return Ops(*(a + b for a, b in zip(astuple(self), astuple(other))))

    def __mul__(self, times: int) -> "Ops":
        return Ops(*(a * times for a in astuple(self)))

    @property
    def arithmetic(self) -> int:
        """``add + mul + shift + compare``."""
        return self.add + self.mul + self.shift + self.compare

    def text(self) -> str:
        """``"4 add, 2 mul, 2 shift, 14 cmp; 4 rd, 4 wr"``."""
        return (f"{self.add} add, {self.mul} mul, {self.shift} shift, {self.compare} cmp; "
                f"{self.read} rd, {self.write} wr")


def saturate_ops() -> Ops:
    """``min(max(x, lo), hi)`` (:func:`lava_vle.fixed_point.saturate`): 2 compares."""
    return Ops(compare=2)


def mul_shift_ops() -> Ops:
    """``sign(x k) (|x k| >> 12)`` (:func:`~lava_vle.fixed_point.mul_shift`): a
    multiply, a shift and the sign select of rounding toward zero."""
    return Ops(mul=1, shift=1, compare=1)


def scale_ops() -> Ops:
    """``saturate(mul_shift(x, k))``: a gain applied to a 24-bit value."""
    return mul_shift_ops() + saturate_ops()


def relax_ops(outputs: int) -> Ops:
    """``delta = sat(target - x)``; per output ``x + sat(mul_shift(delta, k))``
    (:func:`~lava_vle.fixed_point.relax_toward`; ``relax_two`` shares ``delta``)."""
    return Ops(add=1) + saturate_ops() + (mul_shift_ops() + Ops(add=1) + saturate_ops()) * outputs


def activation_ops(name: str) -> Ops:
    """``phi`` and ``phi'`` of a fixed-point activation: linear 0; relu
    ``max(x, 0)`` and ``x >= 0`` (2 compares); hard_tanh ``clip(x, -1, 1)`` and
    ``|x| <= 1`` (4 compares). tanh has no microcode form."""
    per_name = {"linear": Ops(), "relu": Ops(compare=2), "hard_tanh": Ops(compare=4)}
    if name not in per_name:
        raise ValueError(f"activation={name!r} has no fixed-point microcode form: allowed "
                         f"{', '.join(per_name)} (no tanh on Loihi 2's neuron cores)")
    return per_name[name]


def spike_encoder_ops() -> Ops:
    """``total = sat(acc + r)``; ``s = +-1`` by two compares; ``acc = total - s``
    (:func:`~lava_vle.fixed_point.integrate_and_fire`)."""
    return Ops(add=2) + saturate_ops() + Ops(compare=2, read=1, write=1)


def sigma_delta_ops() -> Ops:
    """``value if |value - last| > threshold else last``
    (:func:`~lava_vle.fixed_point.sigma_delta_hold`): sub, abs, compare, select."""
    return Ops(add=1, compare=3, read=1)


def learning_trace_ops(learning_epoch: int) -> Ops:
    """``y = sat((v m eta_mant + 2^13) >> 14)`` (:func:`~lava_vle.fixed_point.modulated_error`),
    relaxed by ``1/N`` per step when ``N > 1`` (:meth:`~lava_vle.plasticity.LocalRule.filtered`)."""
    trace = Ops(mul=2, add=1, shift=1, read=2) + saturate_ops()
    if learning_epoch > 1:
        trace = trace + relax_ops(1) + Ops(read=1, write=1)
    return trace


def engine_split_ops() -> Ops:
    """A signed value as two unsigned engine inputs: ``v+ = max(v, 0)``,
    ``v- = max(-v, 0)``, each ``clip(round(v / 2^s), 0, top)``
    (:func:`~lava_vle.fixed_point.engine_payload`, :func:`~lava_vle.fixed_point.engine_trace`)."""
    return Ops(add=1, compare=2) + Ops(add=1, shift=1, compare=2, write=1) * 2


def eprop_signal_ops(learning_epoch: int) -> Ops:
    """e-prop's post factor ``A = eta m e_in phi'`` (:func:`learning_trace_ops`
    of ``e_in``, scaled by ``phi'``) split into ``A+``, ``A-``, and ``k_r``,
    ``k_m`` written to their post traces
    (:func:`~lava_vle.plasticity.eligibility_step`)."""
    return learning_trace_ops(learning_epoch) + scale_ops() + engine_split_ops() + Ops(write=2)


def soma_ops(layer: LayerSpec, gamma: float, feeds_plastic: bool, mirrored_learning: bool,
             eprop: bool, learning_epoch: int) -> Ops:
    """One step of the soma (:class:`~lava_vle.processes.vle_neuron.VLENeuron`'s fixed_pt model):
    ``I = sat(a_in [+ gamma e_breve])``; ``u, u_breve`` by ``relax_two``;
    ``r = phi(u_breve)``, ``phi'``; the spike encoder or sigma-delta link; the
    engine coding of ``r`` into ``r+``, ``r-`` payloads when plastic synapses
    receive ``r``; with a mirrored (learned) error path ending at this
    population also the post trace ``eta m r`` split into ``y+``, ``y-``; with
    e-prop synapses into it their post factor (:func:`eprop_signal_ops`)."""
    ops = Ops(read=4, write=3) + saturate_ops() + relax_ops(2) + activation_ops(layer.activation)
    if gamma:
        ops = ops + scale_ops() + Ops(add=1, read=1)
    if layer.spiking:
        ops = ops + spike_encoder_ops()
    if layer.sigma_delta:
        ops = ops + sigma_delta_ops()
    if feeds_plastic:
        ops = ops + engine_split_ops()
    if mirrored_learning:
        ops = ops + learning_trace_ops(learning_epoch) + engine_split_ops()
    if eprop:
        ops = ops + eprop_signal_ops(learning_epoch)
    return ops


def dendrite_ops(layer: LayerSpec, learning_epoch: int, sends_errors: bool) -> Ops:
    """One step of the error dendrite (:class:`~lava_vle.processes.error_dendrite.ErrorDendrite`):
    ``e_inst = sat(mul_shift(sat(e_in), phi'))``; ``v, e_breve`` by
    ``relax_two``; sigma-delta link; the post trace ``eta m e_breve`` split
    into ``y+``, ``y-`` for the forward synapses; ``e+``, ``e-`` payloads when
    a learned error path carries ``e_breve`` down."""
    ops = Ops(read=5, write=2) + saturate_ops() + scale_ops() + relax_ops(2)
    if layer.error_sigma_delta:
        ops = ops + sigma_delta_ops()
    ops = ops + learning_trace_ops(learning_epoch) + engine_split_ops()
    if sends_errors:
        ops = ops + engine_split_ops()
    return ops


def output_error_ops(loss: str) -> Ops:
    """The MSE output compartment (:class:`~lava_vle.processes.output_error.OutputError`):
    ``e = sat(mul_shift(sat(y - r), beta))``; cross-entropy: none (its softmax
    runs on an embedded x86 core)."""
    if loss == "ce":
        return Ops()
    return Ops(add=1, read=3, write=1) + saturate_ops() + scale_ops()


def lif_ops() -> Ops:
    """Reference: one step of Lava's bit-accurate LIF (the fixed Loihi 1 neuron):
    ``u = wrap(mul_shift(u, 4096 - du) + (a_in << 6))``;
    ``v = clip(mul_shift(v, 4096 - dv) + u + bias)``; ``s = v > vth``; reset."""
    u = mul_shift_ops() + Ops(shift=1, add=1) + saturate_ops()
    v = mul_shift_ops() + Ops(add=2) + saturate_ops()
    return u + v + Ops(compare=2, read=7, write=3)


def plastic_synapse_epoch_ops() -> Ops:
    """Reference: our exact integer rule per synapse and learning epoch
    (:func:`~lava_vle.fixed_point.plastic_update`): ``N y x`` (2 multiplies),
    a counter-hash draw (2 multiplies, 3 xor-shifts, 4 xors counted as adds),
    ``(p + h) >> S``, ``acc = sat16(acc + d)``. On Loihi 2 the learning engine
    does this in hardware with its own stochastic rounding."""
    return Ops(mul=4, shift=4, add=6, read=3, write=1) + saturate_ops()


# ---------------------------------------------------------------------------
# Synapses and learning rules of the engine mapping
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleNeeds:
    """What one synapse set's learning rule needs on the engine."""

    name: str
    exact_products: int  # product terms of the signed rule in lava-vle's fixed_pt model
    products_per_set: int  # product terms of the engine's (unsigned-trace) rule per set
    pre_traces: int
    post_traces: int
    tags: int


def varies(values: np.ndarray) -> bool:
    """Whether a per-neuron constant differs across the population (then it
    must be a post trace, not a rule constant)."""
    return bool(np.ptp(np.asarray(values, dtype=np.float64)) > 0)


def rule_needs(spec: NetworkSpec, proj: Projection) -> RuleNeeds:
    """The learning rule of projection ``proj``: e-prop for recurrent weights
    under ``recurrent_error="eprop"`` and for every weight under
    ``"eprop-all"``, else the local rule.

    Local: ``dw = S x0 x1 y1 - S x0 x1 y2`` (2 terms, x1, y+ and y-). e-prop:
    ``dt = k_m x1 - k_m t`` (2 terms), ``dw = A t - A k_r t + A k_r x1`` per sign
    of ``A`` (6 terms; 4 when ``k_r`` is one constant), post traces ``A+``,
    ``A-`` plus ``k_r`` and ``k_m`` where they vary per neuron, one tag."""
    eprop = spec.recurrent_error == "eprop-all" or (
        spec.recurrent_error == "eprop" and proj.pre == proj.post)
    if not eprop:
        return RuleNeeds("local", 1, PRODUCTS_PER_SYNAPSE, 1, 2, 0)
    tau_m, tau_r = spec.layers[proj.post - 1].time_constants(spec.dt)
    k_r_varies, k_m_varies = varies(tau_r / tau_m), varies(spec.dt / tau_m)
    return RuleNeeds("e-prop", 4, 2 + (6 if k_r_varies else 4), 1,
                     2 + int(k_r_varies) + int(k_m_varies), 1)


@dataclass(frozen=True)
class ProjectionEstimate:
    """One projection ``W{post}_{pre}`` on the chip.

    ``weights = n_post n_pre`` signed weights (one synapse each in lava-vle's
    plastic synapse); ``engine_synapses`` what the engine mapping stores:
    ``2 n_post n_pre (+ n_post bias synapses)`` forward, plus the error path
    (mirrored: 2 learned sets, random: 1 fixed set); bytes at
    ``WEIGHT_BITS`` per synapse, tags at ``tag_bits``.
    """

    name: str
    pre: int
    post: int
    rule: str
    weights: int
    weight_bytes: int
    has_bias: bool
    error_path: str
    error_sets: int
    engine_synapses: int
    engine_bytes: int
    tags: int
    tag_bytes: int
    pre_traces: int
    post_traces: int
    tags_per_synapse: int
    exact_products: int
    products_per_set: int
    products_per_weight: int

    @property
    def plastic_synapses(self) -> int:
        """Engine synapses that learn: all but a fixed random error path."""
        return self.engine_synapses - (self.error_sets == 1) * self.weights


def error_path(spec: NetworkSpec, proj: Projection) -> tuple[str, int]:
    """(kind, synapse sets) of a projection's error path: mirrored (learned,
    2 sets), random (fixed signed feedback, 1 set) or none."""
    if not spec.carries_error(proj):
        return "none", 0
    if spec.feedback == "mirrored":
        return "mirrored (learned)", SYNAPSE_SETS_PER_PATH
    return "random (fixed)", 1


def synapse_bytes(count: int, bits: int) -> int:
    """``ceil(count bits / 8)``: bytes of ``count`` synapse fields of ``bits``."""
    return -(-count * bits // 8)


def projection_estimate(spec: NetworkSpec, index: int) -> ProjectionEstimate:
    """:class:`ProjectionEstimate` of ``spec.projections[index]``."""
    proj = spec.projections[index]
    n_pre, n_post = spec.sizes[proj.pre], spec.sizes[proj.post]
    weights = n_post * n_pre
    has_bias = index in spec.bias_carriers()
    kind, error_sets = error_path(spec, proj)
    engine = SYNAPSE_SETS_PER_PATH * weights + n_post * has_bias + error_sets * weights
    needs = rule_needs(spec, proj)
    tags = needs.tags * (SYNAPSE_SETS_PER_PATH * weights + n_post * has_bias)
    return ProjectionEstimate(
        name=proj.name, pre=proj.pre, post=proj.post, rule=needs.name, weights=weights,
        weight_bytes=synapse_bytes(weights, fxp.WEIGHT_BITS), has_bias=has_bias,
        error_path=kind, error_sets=error_sets, engine_synapses=engine,
        engine_bytes=synapse_bytes(engine, fxp.WEIGHT_BITS), tags=tags,
        tag_bytes=synapse_bytes(tags, LIMITS["tag_bits"].value), pre_traces=needs.pre_traces,
        post_traces=needs.post_traces, tags_per_synapse=needs.tags,
        exact_products=needs.exact_products, products_per_set=needs.products_per_set,
        products_per_weight=needs.products_per_set * SYNAPSE_SETS_PER_PATH)


# ---------------------------------------------------------------------------
# Populations: compartments, memory and cores
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PopulationEstimate:
    """One population on the chip; per-neuron figures and its cores.

    ``neurons_per_core = min(compartments_per_core // compartments_per_neuron,
    memory_per_core // bytes_per_neuron)``; ``cores = ceil(neurons /
    neurons_per_core)``. Fan-in counts the input axons every core of the
    population receives (dense: all of them), fan-out the output axons of the
    fullest core.
    """

    name: str
    index: int
    neurons: int
    compartments_per_neuron: int
    compartments: int
    synapses_per_neuron: int
    tags_per_neuron: int
    state_bits_per_neuron: int
    bytes_per_neuron: int
    input_trace_bytes: int
    fan_in: int
    post_traces: int
    neurons_per_core: int
    limited_by: str
    cores: int
    cores_high_memory: int
    fan_out_per_core: int
    soma: Ops
    dendrite: Ops
    output_error: Ops

    @property
    def step_ops(self) -> Ops:
        """The population's microcode per step: ``neurons (soma + dendrite + output error)``."""
        return (self.soma + self.dendrite + self.output_error) * self.neurons


def state_bits(layer: LayerSpec, output_mse: bool, filtered_traces: int,
               post_traces: int) -> int:
    """Bits of state per VLE neuron: soma ``u, u_breve`` (24 each), ``k_m``
    (12), ``k_r`` (16), ``phi'`` (13); dendrite ``v, e_breve`` (24 each),
    ``k_v`` (12), ``k_e`` (16); a spike accumulator or the last sent rate (24)
    when spiking or sigma-delta; the last sent error (24) under an error
    sigma-delta; ``filtered_traces`` 24-bit learning traces (``N > 1``);
    ``post_traces`` 7-bit engine traces; an MSE output's error and target
    (24 each)."""
    state, decay, gain = fxp.STATE_BITS, fxp.DECAY_BITS, fxp.GAIN_BITS
    bits = 2 * state + decay + gain + (decay + 1) + 2 * state + decay + gain
    bits += state * (int(layer.spiking or bool(layer.sigma_delta))
                     + int(bool(layer.error_sigma_delta)) + filtered_traces)
    return bits + post_traces * fxp.ENGINE_TRACE_BITS + 2 * state * output_mse


@dataclass(frozen=True)
class NeuronInputs:
    """What one neuron of a population receives: synapses, e-prop tags and the
    input axons every core of the population takes (dense: all of them)."""

    synapses: int
    tags: int
    axons: int


def neuron_inputs(spec: NetworkSpec, projections: Sequence[ProjectionEstimate],
                  index: int) -> NeuronInputs:
    """Per neuron of population ``index``: the forward sets of the projections
    into it, ``2 n_pre`` synapses and axons (+1 bias synapse and always-on
    axon), and the error sets of those it projects through, ``sets n_post``;
    one neuromodulator axon; an output neuron's target (or cross-entropy
    error) synapse (its axon is counted per core)."""
    synapses = tags = 0
    axons = 1
    for p in projections:
        if p.post == index:
            forward = SYNAPSE_SETS_PER_PATH * spec.sizes[p.pre] + int(p.has_bias)
            synapses += forward
            axons += forward
            tags += forward * p.tags_per_synapse
        if p.pre == index and p.error_sets:
            error = p.error_sets * spec.sizes[p.post]
            synapses += error
            axons += error
    return NeuronInputs(synapses + int(index == spec.n_layers), tags, axons)


def ends_learned_error_path(projections: Sequence[ProjectionEstimate], index: int) -> bool:
    """Whether a learned (mirrored) error path ends at population ``index``'s
    dendrites, whose rule then needs the post trace ``eta m r``."""
    return any(p.pre == index and p.error_sets == SYNAPSE_SETS_PER_PATH for p in projections)


def post_traces(projections: Sequence[ProjectionEstimate], index: int) -> tuple[int, int]:
    """(soma, dendrite) post traces of a neuron of population ``index``: the
    soma one set per distinct rule of its incoming projections (``y+, y-`` of
    the local rule, e-prop's own), the dendrite ``y+, y-`` of ``r`` when a
    learned error path ends there."""
    soma = sum({p.rule: p.post_traces for p in projections if p.post == index}.values())
    return soma, 2 * ends_learned_error_path(projections, index)


def neurons_per_core(compartments_per_neuron: int, bytes_per_neuron: int,
                     memory_per_core: int) -> tuple[int, str]:
    """``min(compartments // per_neuron, max(memory, 0) // bytes_per_neuron)``
    and which of the two limits it (0 when one neuron exceeds the memory)."""
    by_compartments = LIMITS["compartments_per_core"].value // compartments_per_neuron
    by_memory = max(memory_per_core, 0) // bytes_per_neuron
    if by_memory < by_compartments:
        return by_memory, "memory"
    return by_compartments, "compartments"


def cores_for(neurons: int, per_core: int) -> int:
    """``ceil(neurons / per_core)``; 0 when a neuron does not fit a core at all."""
    return -(-neurons // per_core) if per_core else 0


@dataclass(frozen=True)
class PopulationLayout:
    """The per-neuron needs of one population before fan-out is known."""

    index: int
    neurons: int
    compartments_per_neuron: int
    inputs: NeuronInputs
    post_traces: int
    state: int
    bytes_per_neuron: int
    per_core: int
    limited_by: str
    cores: int
    cores_high_memory: int


def input_trace_bytes(axons: int) -> int:
    """Bytes of the 7-bit pre traces ``x1`` a core keeps, one per input axon."""
    return synapse_bytes(axons, fxp.ENGINE_TRACE_BITS)


def layout_population(spec: NetworkSpec, projections: Sequence[ProjectionEstimate],
                      index: int) -> PopulationLayout:
    """Per-neuron synapses, tags, axons and state of population ``index`` and
    its cores (at the memory limit's value and at its high end), the core's
    input traces taken off its memory first."""
    layer = spec.layers[index - 1]
    output_mse = index == spec.n_layers and spec.loss == "mse"
    inputs = neuron_inputs(spec, projections, index)
    soma_traces, dendrite_traces = post_traces(projections, index)
    filtered = (1 + ends_learned_error_path(projections, index)) * (spec.learning_epoch > 1)
    state = state_bits(layer, output_mse, filtered, soma_traces + dendrite_traces)
    bits = inputs.synapses * fxp.WEIGHT_BITS + inputs.tags * LIMITS["tag_bits"].value + state
    per_neuron_bytes = -(-bits // 8)
    compartments = 2 + int(output_mse)
    memory, traces = LIMITS["memory_per_core"], input_trace_bytes(inputs.axons)
    per_core, limited_by = neurons_per_core(compartments, per_neuron_bytes, memory.value - traces)
    per_core_high, _ = neurons_per_core(compartments, per_neuron_bytes, memory.high - traces)
    return PopulationLayout(index, layer.size, compartments, inputs,
                            max(soma_traces, dendrite_traces), state, per_neuron_bytes, per_core,
                            limited_by, cores_for(layer.size, per_core),
                            cores_for(layer.size, per_core_high))


def fan_out_per_neuron(spec: NetworkSpec, projections: Sequence[ProjectionEstimate],
                       layouts: dict[int, PopulationLayout], index: int) -> int:
    """Output axons of one neuron of population ``index``: ``2`` sign streams of
    ``r`` to every core of each population it projects to, and the error
    streams of ``e_breve`` to every core of each population whose projection
    carries errors back to it."""
    axons = 0
    for p in projections:
        if p.pre == index:
            axons += SYNAPSE_SETS_PER_PATH * layouts[p.post].cores
        if p.post == index and p.error_sets:
            axons += p.error_sets * layouts[p.pre].cores
    return axons


def population_estimate(spec: NetworkSpec, projections: Sequence[ProjectionEstimate],
                        layouts: dict[int, PopulationLayout], index: int) -> PopulationEstimate:
    """:class:`PopulationEstimate` of population ``index`` (1..L); an output
    core also takes one target (or cross-entropy error) axon per neuron."""
    lay, layer = layouts[index], spec.layers[index - 1]
    is_output = index == spec.n_layers
    sends_errors = any(p.post == index and p.error_sets == SYNAPSE_SETS_PER_PATH
                       for p in projections)
    fullest_core = min(lay.neurons, lay.per_core)
    return PopulationEstimate(
        name="output" if is_output else f"layer {index}", index=index, neurons=lay.neurons,
        compartments_per_neuron=lay.compartments_per_neuron,
        compartments=lay.neurons * lay.compartments_per_neuron,
        synapses_per_neuron=lay.inputs.synapses, tags_per_neuron=lay.inputs.tags,
        state_bits_per_neuron=lay.state, bytes_per_neuron=lay.bytes_per_neuron,
        input_trace_bytes=input_trace_bytes(lay.inputs.axons),
        fan_in=lay.inputs.axons + fullest_core * is_output, post_traces=lay.post_traces,
        neurons_per_core=lay.per_core, limited_by=lay.limited_by, cores=lay.cores,
        cores_high_memory=lay.cores_high_memory,
        fan_out_per_core=fullest_core * fan_out_per_neuron(spec, projections, layouts, index),
        soma=soma_ops(layer, spec.gamma, any(p.pre == index for p in projections),
                      ends_learned_error_path(projections, index),
                      any(p.post == index and p.rule == "e-prop" for p in projections),
                      spec.learning_epoch),
        dendrite=dendrite_ops(layer, spec.learning_epoch, sends_errors),
        output_error=output_error_ops(spec.loss) if is_output else Ops())


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One count against one limit.

    ``kind``: ``"capacity"`` (exceeded: the network does not fit),
    ``"precision"`` (exceeded: the chip holds the value in fewer bits than
    lava-vle's fixed_pt model, so it runs, not bit-exactly) or ``"unpublished"``
    (no limit to check). ``margin = limit - value``.
    """

    name: str
    value: int
    unit: str
    kind: str
    where: str
    limit: Optional[Limit]

    @property
    def ok(self) -> bool:
        """``value <= limit`` (True without a limit)."""
        return self.limit is None or self.value <= self.limit.value

    @property
    def margin(self) -> Optional[int]:
        """``limit - value``; negative when exceeded, None without a limit."""
        return None if self.limit is None else self.limit.value - self.value

    @property
    def message(self) -> str:
        """``"fan-in per core: 6,004 input axons > 4,096 [Davies 2018; Loihi 1] in layer 2"``."""
        if self.limit is None:
            return f"{self.name}: {self.value:,} {self.unit} in {self.where}; no published limit"
        relation = "<=" if self.ok else ">"
        return (f"{self.name}: {self.value:,} {self.unit} {relation} {self.limit.value:,} "
                f"[{self.limit.source}; {self.limit.generation}] in {self.where}")


def worst(populations: Sequence[PopulationEstimate], attribute: str) -> PopulationEstimate:
    """The population with the largest ``attribute``."""
    return max(populations, key=lambda p: getattr(p, attribute))


def core_compartments(pop: PopulationEstimate) -> int:
    """Compartments on the fullest core of ``pop``: ``min(neurons, per core) per_neuron``."""
    return min(pop.neurons, pop.neurons_per_core) * pop.compartments_per_neuron


def per_core_memory(pop: PopulationEstimate) -> int:
    """Bytes on the fullest core of ``pop``: ``min(neurons, per core) bytes_per_neuron``
    (one neuron's when not even one fits) plus the input traces."""
    neurons = max(min(pop.neurons, pop.neurons_per_core), 1)
    return neurons * pop.bytes_per_neuron + pop.input_trace_bytes


def capacity_checks(populations: Sequence[PopulationEstimate],
                    projections: Sequence[ProjectionEstimate], totals: dict) -> list[Check]:
    """Per-core limits at the worst population, per-chip limits at the average
    chip (``ceil(total / chips)``), the system and embedded-core limits."""
    by_compartments = max(populations, key=core_compartments)
    by_memory = max(populations, key=per_core_memory)
    by_fan_in, by_fan_out = worst(populations, "fan_in"), worst(populations, "fan_out_per_core")
    by_traces = worst(populations, "post_traces")
    chips = totals["chips"]
    return [
        Check("compartments per core", core_compartments(by_compartments), "compartments",
              "capacity", by_compartments.name, LIMITS["compartments_per_core"]),
        Check("memory per core (synapses + neuron state)", per_core_memory(by_memory), "bytes",
              "capacity", by_memory.name, LIMITS["memory_per_core"]),
        Check("fan-in per core", by_fan_in.fan_in, "input axons", "capacity", by_fan_in.name,
              LIMITS["fan_in_per_core"]),
        Check("fan-out per core", by_fan_out.fan_out_per_core, "output axons", "capacity",
              by_fan_out.name, LIMITS["fan_out_per_core"]),
        Check("pre traces per input", max(p.pre_traces for p in projections), "traces",
              "capacity", "every projection", LIMITS["pre_traces"]),
        Check("post traces per compartment", by_traces.post_traces, "traces", "capacity",
              by_traces.name, LIMITS["post_traces"]),
        Check("tags per synapse", max(p.tags_per_synapse for p in projections), "tags",
              "capacity", "every projection", LIMITS["tags_per_synapse"]),
        Check("learning-rule product terms per synapse set",
              max(p.products_per_set for p in projections), "terms", "unpublished",
              "every projection", None),
        Check("cores per chip", -(-totals["cores"] // chips), "neurocores", "capacity",
              "network", LIMITS["cores_per_chip"]),
        Check("compartments per chip", -(-totals["compartments"] // chips), "compartments",
              "capacity", "network", LIMITS["compartments_per_chip"]),
        Check("synapses per chip", -(-totals["engine_synapses"] // chips), "synapses",
              "capacity", "network", LIMITS["synapses_per_chip"]),
        Check("chips", chips, "chips", "capacity", "network", LIMITS["chips_per_system"]),
        Check("embedded x86 cores per chip", totals["embedded_cores"], "x86 cores", "capacity",
              "network", LIMITS["embedded_cores_per_chip"]),
    ]


def precision_checks(projections: Sequence[ProjectionEstimate]) -> list[Check]:
    """lava-vle's fixed_pt widths against the chip's: what the engine mapping
    requantizes (exceeded: the chip runs the network, not bit-exactly)."""
    checks = [
        Check("weight mantissa", fxp.WEIGHT_BITS, "bits", "precision", "every synapse",
              LIMITS["weight_bits"]),
        Check("plastic weight accumulator", fxp.ACC_BITS, "bits", "precision",
              "every plastic synapse", LIMITS["weight_bits"]),
        Check("neuron state (u, u_breve, v, e_breve)", fxp.STATE_BITS, "bits", "precision",
              "every compartment", LIMITS["state_bits"]),
        Check("graded messages (rates, errors)", fxp.MAX_PAYLOAD_BITS, "bits", "precision",
              "every axon", LIMITS["message_bits"]),
        Check("rate payload into a learning synapse", fxp.MAX_PAYLOAD_BITS, "bits",
              "precision", "every plastic synapse", LIMITS["learning_payload_bits"]),
        Check("learning traces x, y", fxp.STATE_BITS, "bits", "precision",
              "every plastic synapse", LIMITS["trace_bits"]),
    ]
    if any(p.tags for p in projections):
        checks.append(Check("e-prop eligibility (tag)", fxp.STATE_BITS, "bits", "precision",
                            "e-prop synapses", LIMITS["tag_bits"]))
    return checks


# ---------------------------------------------------------------------------
# The estimate of a network
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A network's resource estimate (see the module docstring for the mapping)."""

    label: str
    sizes: tuple[int, ...]
    parameters: int
    loss: str
    feedback: str
    recurrent_error: str
    learning_epoch: int
    populations: tuple[PopulationEstimate, ...]
    projections: tuple[ProjectionEstimate, ...]
    totals: dict
    checks: tuple[Check, ...]
    microcode: dict

    @property
    def fits(self) -> bool:
        """Every capacity check holds."""
        return all(c.ok for c in self.checks if c.kind == "capacity")

    @property
    def failures(self) -> list[str]:
        """The message of every broken capacity limit."""
        return [c.message for c in self.checks if c.kind == "capacity" and not c.ok]

    @property
    def requantized(self) -> list[str]:
        """The message of every precision the chip narrows."""
        return [c.message for c in self.checks if c.kind == "precision" and not c.ok]

    def to_dict(self) -> dict:
        """Everything as JSON-ready values (limits with their sources)."""
        data = asdict(self)
        data["checks"] = [{**asdict(c), "ok": c.ok, "margin": c.margin, "message": c.message}
                          for c in self.checks]
        data.update(fits=self.fits, failures=self.failures, requantized=self.requantized)
        return data


def network_totals(populations: Sequence[PopulationEstimate],
                   projections: Sequence[ProjectionEstimate], loss: str) -> dict:
    """Sums over the network. ``engine_synapses`` adds one target synapse per
    output neuron; ``memory_bytes`` the neurons' bytes and each core's input
    traces; ``chips = max(ceil(cores / 128), ceil(compartments / 10^6),
    ceil(engine synapses / 1.2e8))``; the learning engine evaluates
    ``sum(plastic synapses x terms per set)`` product terms per epoch."""
    cores = sum(p.cores for p in populations)
    compartments = sum(p.compartments for p in populations)
    engine = sum(p.engine_synapses for p in projections) + populations[-1].neurons
    chips = max(-(-cores // LIMITS["cores_per_chip"].value),
                -(-compartments // LIMITS["compartments_per_chip"].value),
                -(-engine // LIMITS["synapses_per_chip"].value))
    return {
        "compartments": compartments,
        "weights": sum(p.weights for p in projections),
        "weight_bytes": sum(p.weight_bytes for p in projections),
        "engine_synapses": engine,
        "engine_bytes": sum(p.engine_bytes for p in projections),
        "tag_bytes": sum(p.tag_bytes for p in projections),
        "memory_bytes": sum(p.bytes_per_neuron * p.neurons + p.input_trace_bytes * p.cores
                            for p in populations),
        "cores": cores,
        "cores_high_memory": sum(p.cores_high_memory for p in populations),
        "chips": chips,
        "embedded_cores": 1 + int(loss == "ce"),
        "engine_products_per_epoch": sum(p.plastic_synapses * p.products_per_set
                                         for p in projections),
    }


def microcode_summary(populations: Sequence[PopulationEstimate]) -> dict[str, object]:
    """The network's microcode per step, one neuron of the first population
    (soma + dendrite) and Lava's LIF, and their ratio of arithmetic operations."""
    step = Ops()
    for pop in populations:
        step = step + pop.step_ops
    neuron = populations[0].soma + populations[0].dendrite
    return {"network_per_step": step, "first_population_neuron": neuron, "lif_neuron": lif_ops(),
            "vle_over_lif": neuron.arithmetic / lif_ops().arithmetic,
            "plastic_synapse_epoch": plastic_synapse_epoch_ops()}


def estimate(spec: NetworkSpec, label: str = "") -> Estimate:
    """The Loihi 2 resource estimate of ``spec`` (learning on, fixed point)."""
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec must be a NetworkSpec, got {type(spec).__name__}")
    projections = tuple(projection_estimate(spec, k) for k in range(len(spec.projections)))
    layouts = {l: layout_population(spec, projections, l) for l in range(1, spec.n_layers + 1)}
    populations = tuple(population_estimate(spec, projections, layouts, l) for l in layouts)
    totals = network_totals(populations, projections, spec.loss)
    checks = capacity_checks(populations, projections, totals) + precision_checks(projections)
    return Estimate(label=label, sizes=spec.sizes, parameters=spec.n_parameters(),
                    loss=spec.loss, feedback=spec.feedback,
                    recurrent_error=spec.recurrent_error, learning_epoch=spec.learning_epoch,
                    populations=populations, projections=projections, totals=totals,
                    checks=tuple(checks), microcode=microcode_summary(populations))


# ---------------------------------------------------------------------------
# Benchmark networks
# ---------------------------------------------------------------------------
#: (label, task, width, recurrent-error mode; None: the VLE recipe's) of the
#: networks docs/loihi2.md tabulates.
BENCHMARKS: tuple[tuple[str, str, Optional[int], Optional[str]], ...] = (
    ("mnist1d, 15k parameters (width 53)", "mnist1d", None, None),
    ("mnist1d, 41k parameters (width 89)", "mnist1d", 89, None),
    ("delayed-xor (recipe: plain local rule)", "delayed-xor", None, None),
    ("delayed-xor, eligibilities on every weight (a variant)", "delayed-xor", None,
     "eprop-all"),
    ("smnist-row", "smnist-row", None, None),
    ("fashion-smnist-row", "fashion-smnist-row", None, None),
    ("smnist", "smnist", None, None),
    ("psmnist", "psmnist", None, None),
    ("fashion-smnist", "fashion-smnist", None, None),
    ("pattern", "pattern", None, None),
    ("digits", "digits", None, None),
)


def benchmark_network(task: str, width: Optional[int] = None, feedback: str = "mirrored",
                      recurrent_error: Optional[str] = None, learning_epoch: int = 1,
                      activation: Optional[str] = None, sigma_delta: float = 0.0,
                      error_sigma_delta: float = 0.0) -> NetworkSpec:
    """The fixed-point network ``lava-vle train --task task --precision fixed``
    builds (:func:`~lava_vle.task_networks.default_network`), with the
    recurrent-error mode of the task's VLE recipe unless given (the mode its
    reported results train with; fixed-point training defaults to ``"none"``)."""
    from lava_vle.task_networks import default_network
    from lava_vle.datasets import load_dataset
    from lava_vle.recipes import recipe

    if width is not None:
        check_int("width", width, 3)
    mode = recurrent_error or recipe(task, "vle").get("recurrent_error", "none")
    spec = default_network(load_dataset(task), "fixed", feedback, activation, sigma_delta,
                           error_sigma_delta, width)
    return replace(spec, recurrent_error=mode, learning_epoch=learning_epoch)


# ---------------------------------------------------------------------------
# Text and markdown
# ---------------------------------------------------------------------------
def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; integers with thousands separators."""
    def cell(value: object) -> str:
        return f"{value:,}" if isinstance(value, (int, np.integer)) and not isinstance(
            value, bool) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def population_table(est: Estimate) -> str:
    """Per population: neurons, compartments, synapses, memory, fan-in/out, cores, microcode."""
    header = ("population", "neurons", "compartments (per neuron)", "synapses / neuron",
              "bytes / neuron", "fan-in", "fan-out / core", "post traces", "neurons / core",
              "cores", "microcode / neuron / step")
    rows = [(p.name, p.neurons, f"{p.compartments:,} ({p.compartments_per_neuron})",
             p.synapses_per_neuron, p.bytes_per_neuron, p.fan_in, p.fan_out_per_core,
             p.post_traces, f"{p.neurons_per_core:,} ({p.limited_by})", p.cores,
             (p.soma + p.dendrite + p.output_error).arithmetic) for p in est.populations]
    return markdown_table(header, rows)


def projection_table(est: Estimate) -> str:
    """Per projection: weights, bytes, engine synapses, error path, traces, tags, terms."""
    header = ("projection", "rule", "weights", "bytes (8-bit)", "error path",
              "engine synapses", "engine bytes (+ tags)", "x / y / tags",
              "terms: exact / per set")
    rows = [(p.name, p.rule, p.weights, p.weight_bytes, p.error_path, p.engine_synapses,
             p.engine_bytes + p.tag_bytes, f"{p.pre_traces} / {p.post_traces} / "
             f"{p.tags_per_synapse}", f"{p.exact_products} / {p.products_per_set}")
            for p in est.projections]
    return markdown_table(header, rows)


def status(check: Check) -> str:
    """``ok``; ``EXCEEDED`` (capacity), ``requantized`` (precision); ``unpublished``."""
    if check.limit is None:
        return "unpublished"
    if check.ok:
        return "ok"
    return "EXCEEDED" if check.kind == "capacity" else "requantized"


def check_table(est: Estimate) -> str:
    """Every check: value, limit, source, margin, status."""
    rows = [(f"{c.name} [{c.where}]", f"{c.value:,}",
             "none published" if c.limit is None else f"{c.limit.value:,} {c.limit.unit}",
             "-" if c.limit is None else f"{c.limit.source} ({c.limit.generation})",
             "-" if c.margin is None else f"{c.margin:,}", status(c)) for c in est.checks]
    return markdown_table(("check", "value", "limit", "source", "margin", "status"), rows)


def high_memory_kib() -> int:
    """The high end of the memory per core, in KiB (the optimistic core count)."""
    return LIMITS["memory_per_core"].high // KIB


def summary_line(est: Estimate) -> str:
    """``"14,956 parameters; 7 neurocores (7 at 192 KiB), 1 chip: fits"``."""
    t = est.totals
    verdict = "fits" if est.fits else "DOES NOT FIT: " + "; ".join(est.failures)
    return (f"{est.parameters:,} parameters ({t['weights']:,} weights); "
            f"{t['compartments']:,} compartments, {t['engine_synapses']:,} engine synapses, "
            f"{t['memory_bytes'] / KIB:,.1f} KiB; {t['cores']:,} neurocores "
            f"({t['cores_high_memory']:,} at {high_memory_kib()} KiB per core), {t['chips']:,} "
            f"chip{'s' * (t['chips'] != 1)}: {verdict}")


def format_estimate(est: Estimate) -> str:
    """The text ``lava-vle resources`` prints."""
    mc = est.microcode
    return "\n".join([
        f"{est.label or 'network'}: sizes {' -> '.join(map(str, est.sizes))}, loss {est.loss}, "
        f"feedback {est.feedback}, recurrent_error {est.recurrent_error}, learning epoch "
        f"{est.learning_epoch}",
        summary_line(est), "", "populations:", population_table(est), "",
        "projections:", projection_table(est), "", "checks:", check_table(est), "",
        f"microcode per step: network {mc['network_per_step'].arithmetic:,} arithmetic ops; one "
        f"{est.populations[0].name} neuron (soma + dendrite) {mc['first_population_neuron'].text()}"
        f", {mc['vle_over_lif']:.1f}x Lava's LIF ({mc['lif_neuron'].text()}); learning engine "
        f"{est.totals['engine_products_per_epoch']:,} product terms per epoch",
    ] + ([f"precision narrowed on the chip: {len(est.requantized)} (see checks)"]
         if est.requantized else []))


def limits_markdown() -> str:
    """The table of :data:`LIMITS`."""
    rows = [(name, f"{lim.value:,}", lim.range_text, lim.unit, lim.generation, lim.source,
             str(lim.year), lim.note) for name, lim in LIMITS.items()]
    return markdown_table(("limit", "value", "range", "unit", "chip", "source", "year", "note"),
                          rows)


def sources_markdown() -> str:
    """One line per :data:`SOURCES` entry."""
    return "\n".join(f"- **{s.key}**: {s.citation}, {s.year}. {s.where}"
                     for s in SOURCES.values())


def microcode_markdown(est: Estimate) -> str:
    """Operations per step of each program of one network, beside Lava's LIF."""
    pop = est.populations
    rows = [(f"soma, {p.name}", p.soma.text(), p.soma.arithmetic) for p in pop]
    rows += [(f"error dendrite, {p.name}", p.dendrite.text(), p.dendrite.arithmetic)
             for p in pop]
    out = pop[-1].output_error
    rows.append(("output error (MSE)" if out.arithmetic else "output error (CE: on an "
                 "embedded x86 core)", out.text(), out.arithmetic))
    rows.append(("plastic synapse, per synapse and epoch (our exact rule; on chip: the "
                 "learning engine)", plastic_synapse_epoch_ops().text(),
                 plastic_synapse_epoch_ops().arithmetic))
    rows.append(("reference: Lava bit-accurate LIF", lif_ops().text(), lif_ops().arithmetic))
    return markdown_table(("program", "operations per step", "arithmetic"), rows)


def network_section(est: Estimate) -> str:
    """One network's section of docs/loihi2.md."""
    return "\n\n".join([f"### {est.label}", summary_line(est), population_table(est),
                        projection_table(est), check_table(est)])


REPORT_INTRO = """\
# Loihi 2 resource estimate of the benchmark networks

Generated by `lava_vle.loihi2.markdown_report()` (`lava-vle resources --markdown >
docs/loihi2.md`); `tests/test_loihi2.py` checks that this page equals what the code
generates. One network at a time: `lava-vle resources --task T [--width W]
[--json PATH]`.

**What is counted.** Each network is the fixed-point network `lava-vle train --task T
--precision fixed` builds, with the recurrent-error mode of its VLE recipe (the mode
its reported results train with: e-prop for smnist-row, fashion-smnist-row and
pattern; delayed-xor's variant with eligibilities on every weight, which lava-vle
trains in float only, is a row of its own), learning on. The mapping (module
docstring of `lava_vle/loihi2.py`): a VLE neuron is two compartments on one core,
a soma (`u`, `u_breve`, sends `r`) and an error dendrite (`v`, `e_breve`, sends the
error down); an MSE output neuron has a third one for
`beta (y - r)`, a cross-entropy softmax runs on an embedded x86 core. Synapses are
the learning-engine path of `lava_vle.learning_engine`: two synapse sets per
projection (fed `r+` and `r-`, the bias a synapse from an always-on input), a
mirrored error path two more learned sets, a random one a fixed set. `weights` are
the network's weights (its parameters minus the biases), one signed 8-bit synapse each
in lava-vle's own plastic synapse; `engine synapses` what the engine mapping stores.
Memory per neuron counts its synapses at 8 bits, e-prop tags at 9 bits, its state
words at their fixed-point widths and its 7-bit post traces; a core also keeps a 7-bit
pre trace per input axon. A population takes `ceil(neurons / min(8192 // compartments
per neuron, (memory per core - input traces) // bytes per neuron))` cores, at least
one. `x / y / tags`: pre traces per input, post traces per
compartment and tags per synapse a projection's rule needs; `terms`: product terms of
lava-vle's signed rule and of the engine's unsigned one per synapse set (local:
`S x0 x1 y1 - S x0 x1 y2`). e-prop's engine form is derived here, not built.

**Reading the checks.** `EXCEEDED`: a capacity limit is broken and the network does
not fit as mapped (the message names the constraint, the value and the limit).
`requantized`: the chip keeps the quantity in fewer bits than lava-vle's fixed_pt
model (the learning-engine path's 8-bit payloads and 7-bit traces), so it runs, not
bit-exactly. Figures marked Loihi 1 are the only published ones (no Loihi 2 figure);
ranges say how uncertain a figure is.
"""


def markdown_report(benchmarks: Sequence[tuple[str, str, Optional[int], Optional[str]]]
                    = BENCHMARKS) -> str:
    """docs/loihi2.md: the limits with sources, the microcode, and every
    benchmark network's estimate."""
    estimates = [estimate(benchmark_network(task, width, recurrent_error=mode), label)
                 for label, task, width, mode in benchmarks]
    summary = markdown_table(
        ("network", "parameters", "compartments", "engine synapses", "memory KiB",
         "neurocores", "chips", "fits", "requantized"),
        [(e.label, e.parameters, e.totals["compartments"], e.totals["engine_synapses"],
          f"{e.totals['memory_bytes'] / KIB:,.1f}",
          f"{e.totals['cores']:,} ({e.totals['cores_high_memory']:,} at {high_memory_kib()} KiB)",
          e.totals["chips"], "yes" if e.fits else "no: " + "; ".join(
              c.name for c in e.checks if c.kind == "capacity" and not c.ok),
          len(e.requantized)) for e in estimates])
    facts = "\n".join(f"- {text} ({source}, {year})" for text, source, year in MICROCODE_FACTS)
    mc = estimates[0].microcode
    parts = [
        REPORT_INTRO, "## Summary", summary,
        "## Limits and their sources", limits_markdown(),
        "## Neuron microcode per step",
        "Counted from the fixed-point rules the process models call "
        "(`lava_vle.fixed_point`, `lava_vle.dynamics`): a multiply with shift counts 1 mul, "
        "1 shift and the compare of its rounding toward zero; a saturation 2 compares; reads "
        "and writes are state words. For the first network "
        f"({estimates[0].label}), one VLE neuron (soma and dendrite, learning) costs "
        f"{mc['first_population_neuron'].arithmetic} arithmetic operations per step, "
        f"{mc['vle_over_lif']:.1f}x Lava's bit-accurate LIF:",
        microcode_markdown(estimates[0]),
        "What is published about the neuron microcode:\n\n" + facts + "\n\n"
        + MICROCODE_UNPUBLISHED,
        "## The networks",
    ] + [network_section(e) for e in estimates] + ["## Sources", sources_markdown()]
    return "\n\n".join(parts) + "\n"


def write_json(est: Estimate, path: str) -> None:
    """``est.to_dict()`` with the limits as JSON at ``path``."""
    data = {"estimate": est.to_dict(), "limits": {k: asdict(v) for k, v in LIMITS.items()},
            "sources": {k: asdict(v) for k, v in SOURCES.items()}}
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, default=int)
        out.write("\n")
