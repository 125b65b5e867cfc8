"""Energy per training sample from counted operations, one boundary at a time.

An energy ratio means something only when both sides stop at the same
boundary (``docs/model.md`` section 6). Every figure below names the chip
generation or device it is of (``hardware``), says what it includes, where
it comes from and whether it is *measured*, *simulated*, *derived* (our
arithmetic on published numbers) or *estimated* (our assumption); each has
a nominal value and a low/high range, and every energy is reported as that
range. The per-operation core figures are **Loihi 1**'s (Davies et al.
2018; SANA-FE's fit to Loihi 1): Loihi 2's per-operation energies are not
published. The only Loihi 2 numbers are system-level bounds from Hala Point
(Intel, 2024), which set the low ends.

VLE on a Loihi-like chip, per training sample of ``T`` steps::

    core   = (forward + error-path synaptic events) * E_synop
           + outgoing messages (rates and errors sent) * E_message
           + compartment updates (2 per neuron per step, all active) * E_neuron
           + learning-trace updates (learning epochs N > 1) * E_neuron
           + learning-engine weight updates (once per epoch, both copies
             under mirrored feedback) * E_update
    system = core + chip power * T * step time          (static and idle power)

BPTT in software, at four boundaries, never mixed::

    A arithmetic   = 3 * forward MACs * (E_mul + E_add)             lower bound
    B memory       = A + 2 * trajectory bytes * E_byte(level)        written, read back
    C GPU          = board power * modelled time / batch             launch- and memory-bound
    D this CPU     = wall time per sample * package power            measured time

B charges the trajectory autograd keeps at the memory level it fits in
(:data:`MEMORY_LEVELS`, chosen from the bytes of the whole batch in
flight, :func:`trajectory_level`). C models a GPU running this network's
training step (:func:`gpu_time_s`): no GPU was available, so C is
*modelled*, not measured. A and B are compared with VLE's core energy, C
and D with its system energy: :func:`compare` returns the ratio per
boundary, :func:`sensitivity` how it moves with each assumption and
:func:`break_even` what each assumption would have to be for a given ratio.
:func:`vle_counts` and :func:`bptt_counts` count a training batch's
operations for it.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Optional, Sequence

import numpy as np

from lava_vle.spec import NetworkSpec

LABELS = ("measured", "simulated", "derived", "estimated")
BPTT_BOUNDARIES = {"A": "arithmetic only",
                   "B": "arithmetic + trajectory in the memory level it fits",
                   "C": "GPU board, launch- and memory-bound model",
                   "D": "this CPU, measured time"}
VLE_SIDE = {"A": "core", "B": "core", "C": "system", "D": "system"}
PICKS = ("nominal", "low", "high")
KIB, MIB = 1024, 1024 ** 2

# Hala Point (Intel news release, 17 April 2024): 1,152 Loihi 2 chips,
# 2,600 W maximum (including 2,300+ embedded x86 cores), "over 380 trillion
# 8-bit synapses and over 240 trillion neuron operations per second".
HALA_POINT_WATTS = 2600.0
HALA_POINT_SYNOPS_PER_S = 3.8e14
HALA_POINT_NEURON_OPS_PER_S = 2.4e14
HALA_POINT_CHIPS = 1152
LOIHI1_SYNOP_PJ = 23.6  # Davies et al. 2018, Table 1 (minimum)
LOIHI2_SYNOP_BOUND_PJ = HALA_POINT_WATTS / HALA_POINT_SYNOPS_PER_S * 1e12  # 6.84
LOIHI2_NEURON_BOUND_PJ = HALA_POINT_WATTS / HALA_POINT_NEURON_OPS_PER_S * 1e12  # 10.8

# SRAM energy per 64-bit access grows with capacity: a power law through
# Horowitz's (ISSCC 2014, 45 nm) 8 KB = 10 pJ and 1 MB = 100 pJ (it also
# gives 32 KB = 20 pJ, which the law reproduces to 4 %).
SRAM_EXPONENT = math.log(100 / 10) / math.log(1024 / 8)


def sram_access_pj(capacity_bytes: float) -> float:
    """Energy of one 64-bit SRAM access (pJ, 45 nm) for an array of
    ``capacity_bytes``: ``10 pJ * (capacity / 8 KiB) ** 0.475``."""
    return 10.0 * (capacity_bytes / (8 * KIB)) ** SRAM_EXPONENT


@dataclass(frozen=True)
class Figure:
    """One energy (or power, or time) figure with its range and provenance,
    including the chip generation or device it was measured on (``hardware``).

    ``low`` is always the end that makes energy smaller (for a time per byte
    or per FLOP too), so a ``low`` pick is the cheap end of every figure.
    """

    nominal: float
    low: float
    high: float
    unit: str
    label: str
    source: str
    year: int
    includes: str
    hardware: str = ""  # the chip generation or device the figure is of

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"label={self.label!r} must be one of {LABELS}")
        if not self.low <= self.nominal <= self.high:
            raise ValueError(f"range {self.low}..{self.high} must hold nominal {self.nominal}")
        if not self.hardware:
            raise ValueError("hardware must name the chip generation or device of the figure")

    @property
    def range(self) -> tuple[float, float]:
        """``(low, high)``."""
        return self.low, self.high


FIGURES: dict[str, Figure] = {
    # ---- VLE on a Loihi-class chip: core ----
    "synop": Figure(
        LOIHI1_SYNOP_PJ, LOIHI2_SYNOP_BOUND_PJ, 35.5, "pJ", "simulated",
        "Davies et al., IEEE Micro 2018, Table 1 (23.6 pJ: the table's minimum synaptic op, "
        "pre-silicon simulation). High: SANA-FE arch/loihi.yaml, 35.5 pJ per synaptic op "
        "fitted to Loihi 1 (Boyle et al. 2023). Low: our division of Hala Point's 2,600 W by "
        "its 3.8e14 synops/s (Intel release 2024): an upper bound for a Loihi 2 synop, "
        "system level", 2018, "one synaptic operation in a neuro-core",
        hardware="Loihi 1 (Intel 14 nm), nominal and high; low: Loihi 2 system bound "
                 "(Hala Point, Intel 4)"),
    "message": Figure(
        76.8, 3.0, 80.8, "pJ", "simulated",
        "SANA-FE arch/loihi.yaml: 76.8 pJ per outgoing spike (Boyle et al. 2023, fitted to "
        "Loihi 1); high: plus one 4.2 pJ north-south tile hop; low: one 3.0 pJ east-west hop "
        "only (Davies et al. 2018, Table 1). No Loihi 2 figure is published", 2023,
        "generating and routing one message (spike or graded value)",
        hardware="Loihi 1 (SANA-FE model; Davies 2018 hop energies)"),
    "neuron": Figure(
        81.0, LOIHI2_NEURON_BOUND_PJ, 81.0, "pJ", "simulated",
        "Davies et al. 2018, Table 1: 81 pJ active neuron update (SANA-FE: 72.8 pJ). Low: "
        "our division of Hala Point's 2,600 W by its 2.4e14 neuron ops/s (Intel release "
        "2024), an upper bound for a Loihi 2 neuron update, system level", 2018,
        "one active compartment update",
        hardware="Loihi 1 (Intel 14 nm); low: Loihi 2 system bound (Hala Point)"),
    "update": Figure(
        120.0, 120.0 * LOIHI2_SYNOP_BOUND_PJ / LOIHI1_SYNOP_PJ, 120.0, "pJ", "simulated",
        "Davies et al. 2018, Table 1: 120 pJ synaptic update (pairwise STDP in the learning "
        "engine); low: scaled by the Loihi 2 bound / Loihi 1 synop ratio (our assumption)",
        2018, "one weight update by the learning engine",
        hardware="Loihi 1 learning engine; low: scaled to the Loihi 2 bound"),
    # ---- VLE: system (static power over the run) ----
    "chip_power": Figure(
        0.5, 0.1, HALA_POINT_WATTS / HALA_POINT_CHIPS, "W", "estimated",
        "high: Hala Point 2,600 W / 1,152 chips (Intel release 2024, derived: system maximum "
        "incl. x86 cores); nominal and low: our assumption for one chip running a small "
        "network", 2024, "whole chip incl. static power, while the network runs",
        hardware="Loihi 2 (Hala Point, high); assumed Loihi-class chip (nominal, low)"),
    "step_time": Figure(
        1e-5, 1e-6, 1e-4, "s", "estimated",
        "our assumption: 1-100 us per barrier-synchronised time step of a small network",
        2024, "wall time of one time step on the chip",
        hardware="assumed Loihi-class chip"),
    # ---- BPTT A: arithmetic only ----
    "fp32_mul": Figure(3.7, 3.7, 3.7, "pJ", "measured",
                       "Horowitz, ISSCC 2014 (45 nm, 0.9 V)", 2014, "the multiplier only",
                       hardware="45 nm CMOS ALU"),
    "fp32_add": Figure(0.9, 0.9, 0.9, "pJ", "measured",
                       "Horowitz, ISSCC 2014 (45 nm, 0.9 V)", 2014, "the adder only",
                       hardware="45 nm CMOS ALU"),
    # ---- BPTT B: the trajectory at its memory level (per byte, 64-bit access / 8) ----
    "mem_register_byte": Figure(
        sram_access_pj(2 * KIB) / 8, sram_access_pj(2 * KIB) / 8, 10.0 / 8, "pJ", "derived",
        "our power law through Horowitz's (ISSCC 2014) SRAM figures, at 2 KiB: 5.2 pJ per "
        "64-bit access; high: his 8 KB SRAM, 10 pJ", 2014,
        "one byte read or written in a 2 KiB register file", hardware="45 nm CMOS SRAM"),
    "mem_l1_byte": Figure(
        20.0 / 8, 10.0 / 8, 20.0 / 8, "pJ", "measured",
        "Horowitz, ISSCC 2014: 32 KB SRAM 20 pJ per 64-bit access (low: 8 KB, 10 pJ)", 2014,
        "one byte read or written in a 32 KiB L1 SRAM", hardware="45 nm CMOS SRAM"),
    "mem_l2_byte": Figure(
        100.0 / 8, 100.0 / 8, 100.0 / 8, "pJ", "measured",
        "Horowitz, ISSCC 2014: 1 MB SRAM 100 pJ per 64-bit access", 2014,
        "one byte read or written in a 1 MiB L2 SRAM", hardware="45 nm CMOS SRAM"),
    "mem_l3_byte": Figure(
        sram_access_pj(32 * MIB) / 8, 100.0 / 8, 100.0 * math.sqrt(32) / 8, "pJ", "derived",
        "our power law through Horowitz's (ISSCC 2014) SRAM figures, at 32 MiB: 518 pJ per "
        "64-bit access; high: square-root (wire-length) scaling from his 1 MB, 566 pJ; low: a "
        "banked cache whose access costs one 1 MB bank (our assumption)", 2014,
        "one byte read or written in a 32 MiB last-level SRAM", hardware="45 nm CMOS SRAM"),
    "dram_byte": Figure(162.5, 162.5, 325.0, "pJ", "measured",
                        "Horowitz, ISSCC 2014: DRAM 1.3-2.6 nJ per 64-bit access, per byte",
                        2014, "DRAM access only", hardware="DRAM (45 nm era)"),
    # ---- BPTT C: a GPU running this network (modelled) ----
    "gpu_launch": Figure(
        5e-6, 3e-6, 2e-5, "s", "estimated",
        "5 us: the per-kernel launch cost commonly quoted (issue 23); low: ~3 us for a null "
        "kernel with recent hardware and drivers (NVIDIA developer forum, 2022); high: ~20 us "
        "for an element-wise op launched from eager PyTorch on a V100 (reported from NVIDIA's "
        "Nsight Systems guide, not checked in the original)", 2022,
        "host-side time to launch one kernel; the GPU waits in between",
        hardware="NVIDIA data-centre GPUs (V100-A100 era), CUDA stream launches"),
    "gpu_static_power": Figure(
        75.0, 50.0, 150.0, "W", "estimated",
        "our assumption: an A100 SXM board idles near 50 W and draws more with clocks up while "
        "its SMs wait for launches", 2024,
        "board power while the SMs wait (host CPU excluded)",
        hardware="NVIDIA A100 SXM (7 nm), assumed"),
    "gpu_board_power": Figure(
        400.0, 400.0, 400.0, "W", "measured",
        "A100 SXM datasheet: 400 W maximum board power (a specification)", 2020,
        "board power at full utilisation", hardware="NVIDIA A100 SXM (7 nm)"),
    "gpu_time_per_byte": Figure(
        1 / 1.555e12, 1 / 2.039e12, 1 / 1.555e12, "s", "derived",
        "A100 datasheet memory bandwidth: 1,555 GB/s (40 GB HBM2), low end 2,039 GB/s "
        "(80 GB HBM2e); the time to move one byte at peak bandwidth", 2020,
        "HBM traffic at peak bandwidth", hardware="NVIDIA A100 SXM (7 nm)"),
    "gpu_time_per_flop": Figure(
        1 / 19.5e12, 1 / 19.5e12, 1 / 19.5e12, "s", "derived",
        "A100 datasheet: 19.5 TFLOPS fp32 (no tensor cores); the time per FLOP at peak", 2020,
        "fp32 arithmetic at peak throughput", hardware="NVIDIA A100 SXM (7 nm)"),
    "gpu_mac": Figure(41.0, 41.0, 82.0, "pJ", "derived",
                      "A100 SXM datasheet: 400 W / 19.5 TFLOPS fp32 = 20.5 pJ per FLOP, 2 "
                      "FLOPs per MAC; high: at half of peak throughput. Boundary C's limit "
                      "at full utilisation; no longer charged directly", 2020,
                      "whole board at full throughput (memory, idle lanes, host excluded)",
                      hardware="NVIDIA A100 SXM (7 nm)"),
    # ---- BPTT D: this CPU ----
    "cpu_power": Figure(10.0, 5.0, 20.0, "W", "estimated",
                        "our assumption for 2 cores of an AMD EPYC server CPU (225-280 W TDP "
                        "over 64 cores, plus memory); no RAPL energy counter is readable on "
                        "these machines", 2024, "package and memory power of the cores used",
                        hardware="AMD EPYC server CPU (Zen 4, assumed)"),
}

# Published figures the model does not charge, listed so a reader can place it.
REFERENCE_FIGURES: dict[str, Figure] = {
    "hala_point_op": Figure(
        1 / 15e12 * 1e12, 1 / 15e12 * 1e12, 1 / 15e12 * 1e12, "pJ", "derived",
        "Hala Point: 'over 15 TOPS/W' at 8 bit 'when executing conventional deep neural "
        "networks' (Intel release 2024) = 0.067 pJ per op (0.13 pJ per MAC at 2 ops per MAC); "
        "how these ops are counted (dense-equivalent or executed) is not stated there, so it "
        "is not a per-synop energy", 2024,
        "whole system per 8-bit operation of a DNN workload",
        hardware="Loihi 2 system (Hala Point, 1,152 chips)"),
    "loihi1_backprop_sample": Figure(
        590.0, 590.0, 590.0, "uJ", "measured",
        "Renner et al., Nat. Commun. 2024: on-chip backprop training, 0.59 mJ per sample for "
        "a 400-400-10 network", 2024, "chip energy of one training sample",
        hardware="Loihi 1 (measured on chip)"),
    "cpu_gpu_mac_small": Figure(
        4.5, 2.0, 7.0, "nJ", "derived",
        "derived from Blouw et al. 2019 (arXiv 1812.01739) logs: 2-7 nJ per MAC on CPU and "
        "GPU for a small network at batch 64 (batch 1: 36-172 nJ)", 2019,
        "system per MAC, measured", hardware="Intel CPU and NVIDIA GPU of 2018, system level"),
}


@dataclass(frozen=True)
class MemoryLevel:
    """One level of the memory hierarchy BPTT's trajectory can live in."""

    name: str
    capacity_bytes: float
    figure: str  # key of its per-byte energy in FIGURES


# Capacities of this machine's CPU (AMD EPYC, Zen 4, per lscpu: 32 KiB L1d and
# 1 MiB L2 per core, 32 MiB L3; 32 AVX-512 registers of 64 B = 2 KiB), charged
# at Horowitz's 45 nm energies for arrays of those sizes.
MEMORY_LEVELS: tuple[MemoryLevel, ...] = (
    MemoryLevel("register file", 2 * KIB, "mem_register_byte"),
    MemoryLevel("L1 SRAM", 32 * KIB, "mem_l1_byte"),
    MemoryLevel("L2 SRAM", 1 * MIB, "mem_l2_byte"),
    MemoryLevel("L3 SRAM", 32 * MIB, "mem_l3_byte"),
    MemoryLevel("DRAM", math.inf, "dram_byte"),
)


def memory_level(nbytes: float, levels: Sequence[MemoryLevel] = MEMORY_LEVELS) -> MemoryLevel:
    """The smallest level that holds ``nbytes`` (the last level holds anything)."""
    if nbytes < 0:
        raise ValueError(f"nbytes={nbytes} must be >= 0")
    for level in levels:
        if nbytes <= level.capacity_bytes:
            return level
    return levels[-1]


@dataclass
class VLECounts:
    """Operations of one VLE training sample (events as a run measured them)."""

    steps: int
    forward_events: float
    error_events: float
    messages: float
    compartment_updates: float
    trace_updates: float
    weight_updates: float


@dataclass
class BPTTCounts:
    """One BPTT training sample: MACs, the trajectory it keeps, the time it took.

    ``batch``: samples trained together (their trajectories are held at once,
    they share the kernel launches); ``kernels``: kernels one training step
    of that batch launches when run eagerly (counted torch operators, views
    excluded).
    """

    forward_macs: float
    trajectory_bytes: float
    wall_s: float
    batch: int = 1
    kernels: float = 0.0


def _values(pick: str, figures: Optional[dict[str, Figure]]) -> dict[str, float]:
    if pick not in PICKS:
        raise ValueError(f"pick={pick!r} must be one of {PICKS}")
    return {k: getattr(v, pick) for k, v in (figures or FIGURES).items()}


def learning_copies(spec: NetworkSpec) -> float:
    """Weight updates per counted update: 1, plus the learned transposed copy
    of error-carrying synapses under mirrored feedback (a chip stores W^T
    apart and must update it too), weighted by synapse count."""
    sizes = spec.sizes
    synapses = [sizes[p.post] * sizes[p.pre] for p in spec.projections]
    mirrored = sum(n for n, p in zip(synapses, spec.projections)
                   if spec.feedback == "mirrored" and spec.carries_error(p))
    return 1.0 + mirrored / (sum(synapses) + sum(sizes[1:]))


def trace_updates_per_step(spec: NetworkSpec) -> int:
    """Learning traces each step updates: a pre trace per presynaptic and a
    post trace per postsynaptic neuron of every projection (none for N = 1,
    which learns from the instantaneous values)."""
    if spec.learning_epoch == 1:
        return 0
    sizes = spec.sizes
    return sum(sizes[p.pre] + sizes[p.post] for p in spec.projections)


def vle_energy_uj(counts: VLECounts, boundary: str = "core", pick: str = "nominal",
                  figures: Optional[dict[str, Figure]] = None) -> float:
    """VLE energy per training sample (uJ) at the ``core`` or ``system`` boundary."""
    f = _values(pick, figures)
    core_pj = ((counts.forward_events + counts.error_events) * f["synop"]
               + counts.messages * f["message"]
               + (counts.compartment_updates + counts.trace_updates) * f["neuron"]
               + counts.weight_updates * f["update"])
    if boundary == "core":
        return core_pj * 1e-6
    if boundary == "system":
        return core_pj * 1e-6 + f["chip_power"] * counts.steps * f["step_time"] * 1e6
    raise ValueError(f"boundary={boundary!r} must be 'core' or 'system'")


def trajectory_level(counts: BPTTCounts,
                     levels: Sequence[MemoryLevel] = MEMORY_LEVELS) -> MemoryLevel:
    """The memory level BPTT's trajectory lives in: the smallest that holds the
    trajectories of the whole batch in flight (they are all written before
    the backward pass reads them back)."""
    return memory_level(counts.trajectory_bytes * counts.batch, levels)


def gpu_time_s(counts: BPTTCounts, pick: str = "nominal",
               figures: Optional[dict[str, Figure]] = None) -> dict:
    """Modelled wall time of one BPTT training step of the batch on a GPU (s).

    ``launch_floor`` = kernels * launch time: the GPU cannot run faster
    than the host launches kernels. ``memory`` = bytes moved * time per
    byte at peak bandwidth (the batch's trajectory written and read back,
    the fp32 weights read by the forward and both backward products every
    step). ``compute`` = 6 FLOPs per forward MAC and sample (forward and
    backward) at peak throughput. ``total`` = the larger of the launch
    floor and memory + compute; ``utilisation`` = (memory + compute) /
    total. Modelled, not measured: no GPU was available.
    """
    f = _values(pick, figures)
    launch = counts.kernels * f["gpu_launch"]
    moved = 2 * counts.trajectory_bytes * counts.batch + 3 * 4 * counts.forward_macs
    memory = moved * f["gpu_time_per_byte"]
    compute = 6 * counts.forward_macs * counts.batch * f["gpu_time_per_flop"]
    total = max(launch, memory + compute)
    busy = memory + compute
    return {"launch_floor": launch, "memory": memory, "compute": compute, "total": total,
            "utilisation": busy / total if total > 0 else 0.0}


def gpu_energy_uj(counts: BPTTCounts, pick: str = "nominal",
                  figures: Optional[dict[str, Figure]] = None) -> float:
    """Boundary C per training sample (uJ): board power * :func:`gpu_time_s`
    / batch, the board drawing its static power plus the share of (maximum
    - static) that its utilisation earns."""
    f = _values(pick, figures)
    t = gpu_time_s(counts, pick, figures)
    power = f["gpu_static_power"] + t["utilisation"] * (f["gpu_board_power"]
                                                        - f["gpu_static_power"])
    return power * t["total"] / max(counts.batch, 1) * 1e6


def bptt_energy_uj(counts: BPTTCounts, boundary: str, pick: str = "nominal",
                   figures: Optional[dict[str, Figure]] = None,
                   level: Optional[MemoryLevel] = None) -> float:
    """BPTT energy per training sample (uJ) at boundary A, B, C or D.

    B charges the trajectory at ``level`` (default :func:`trajectory_level`).
    """
    if boundary not in BPTT_BOUNDARIES:
        raise ValueError(f"boundary={boundary!r} must be one of {sorted(BPTT_BOUNDARIES)}")
    f = _values(pick, figures)
    arithmetic = 3 * counts.forward_macs * (f["fp32_mul"] + f["fp32_add"])
    if boundary == "A":
        return arithmetic * 1e-6
    if boundary == "B":
        per_byte = f[(level or trajectory_level(counts)).figure]
        return (arithmetic + 2 * counts.trajectory_bytes * per_byte) * 1e-6
    if boundary == "C":
        return gpu_energy_uj(counts, pick, figures)
    return counts.wall_s * f["cpu_power"] * 1e6


def compare(vle: VLECounts, bptt: BPTTCounts,
            figures: Optional[dict[str, Figure]] = None) -> dict:
    """Per BPTT boundary: both energies (nominal, low, high) and BPTT / VLE.

    The ratio's low pairs BPTT's low with VLE's high and vice versa. Row B
    names the memory level charged, row C the modelled GPU time.
    """
    rows = {}
    for boundary, name in BPTT_BOUNDARIES.items():
        side = VLE_SIDE[boundary]
        v = {p: vle_energy_uj(vle, side, p, figures) for p in PICKS}
        b = {p: bptt_energy_uj(bptt, boundary, p, figures) for p in PICKS}
        rows[boundary] = {"bptt_boundary": name, "vle_boundary": side, "vle_uj": v,
                          "bptt_uj": b,
                          "bptt_over_vle": {"nominal": b["nominal"] / v["nominal"],
                                            "low": b["low"] / v["high"],
                                            "high": b["high"] / v["low"]}}
    rows["B"]["memory_level"] = trajectory_level(bptt).name
    rows["C"]["gpu_time_s"] = gpu_time_s(bptt, "nominal", figures)
    return rows


def scaled_figures(scale: dict[str, float],
                   figures: Optional[dict[str, Figure]] = None) -> dict[str, Figure]:
    """``figures`` with the named ones multiplied by a factor (range too)."""
    figures = dict(figures or FIGURES)
    for key, factor in scale.items():
        fig = figures[key]
        figures[key] = replace(fig, nominal=fig.nominal * factor, low=fig.low * factor,
                               high=fig.high * factor)
    return figures


CORE_FIGURES = ("synop", "message", "neuron", "update")


def _ratio(vle: VLECounts, bptt: BPTTCounts, boundary: str,
           figures: Optional[dict[str, Figure]] = None,
           level: Optional[MemoryLevel] = None) -> float:
    return (bptt_energy_uj(bptt, boundary, "nominal", figures, level)
            / vle_energy_uj(vle, VLE_SIDE[boundary], "nominal", figures))


def _with_static(per_step_uj: float) -> dict[str, Figure]:
    """FIGURES with chip power * step time set to ``per_step_uj`` (via the power)."""
    step = FIGURES["step_time"].nominal
    return {**FIGURES, "chip_power": Figure(
        per_step_uj * 1e-6 / step, per_step_uj * 1e-6 / step, per_step_uj * 1e-6 / step, "W",
        "estimated", "sensitivity sweep", 2024, "static energy per step",
        hardware="assumed Loihi-class chip")}


def sensitivity(vle: VLECounts, bptt: BPTTCounts, points: int = 9) -> dict:
    """BPTT / VLE (nominal figures) as one assumption at a time moves across
    its range, the others held at nominal.

    - ``per_op_scale``: every core per-op figure (synop, message, neuron,
      update) times a factor, from the Loihi 2 Hala Point bound (0.29x) to
      SANA-FE's Loihi 1 fit (1.5x); boundaries A, B, C.
    - ``memory_level``: BPTT's trajectory charged at each level; boundary B.
    - ``static_uj_per_step``: VLE's chip power x step time, from the low to
      the high ends of both (0.1 uJ to 226 uJ per step); boundaries C, D.
    - ``gpu_batch``: samples per GPU training step (launches shared),
      1 to 65,536; boundary C (``C`` at nominal launch time, ``C low`` and
      ``C high`` at the launch time's ends).
    - ``gpu_kernels``: kernels per training step, from 3 per time step (a
      fused forward and two backward kernels) to the eager count; boundary C.
    """
    synop = FIGURES["synop"]
    scales = np.geomspace(synop.low / synop.nominal, synop.high / synop.nominal, points)
    per_op = {b: [_ratio(vle, bptt, b, scaled_figures({k: s for k in CORE_FIGURES}))
                  for s in scales] for b in "ABC"}
    levels = {"B": [_ratio(vle, bptt, "B", level=level) for level in MEMORY_LEVELS]}
    power, step = FIGURES["chip_power"], FIGURES["step_time"]
    static = np.geomspace(power.low * step.low * 1e6, power.high * step.high * 1e6, points)
    statics = {b: [_ratio(vle, bptt, b, _with_static(s)) for s in static] for b in "CD"}
    counted = bptt.kernels
    fewest = 3 * vle.steps  # one fused forward and two backward kernels per time step
    kernels = np.geomspace(min(fewest, counted), max(fewest, counted), points) \
        if counted > 0 else np.zeros(points)
    fused = {"C": [_ratio(vle, replace(bptt, kernels=k), "C") for k in kernels]}
    batches = [2 ** k for k in range(17)]
    launch = FIGURES["gpu_launch"]
    gpu = {}
    for name, seconds in (("C", launch.nominal), ("C low", launch.low), ("C high", launch.high)):
        figures = {**FIGURES, "gpu_launch": replace(launch, nominal=seconds, low=seconds,
                                                    high=seconds)}
        gpu[name] = [bptt_energy_uj(_per_batch(bptt, n), "C", "nominal", figures)
                     / vle_energy_uj(vle, "system") for n in batches]
    return {
        "per_op_scale": {"label": "core per-op energy (x Loihi 1, Davies 2018)",
                         "values": scales.tolist(), "nominal": 1.0, "ratios": per_op},
        "memory_level": {"label": "memory level holding BPTT's trajectory",
                         "values": [level.name for level in MEMORY_LEVELS],
                         "nominal": trajectory_level(bptt).name, "ratios": levels},
        "static_uj_per_step": {"label": "VLE chip power x step time (uJ per step)",
                               "values": static.tolist(),
                               "nominal": power.nominal * step.nominal * 1e6,
                               "ratios": statics},
        "gpu_batch": {"label": "BPTT samples per GPU training step",
                      "values": batches, "nominal": bptt.batch, "ratios": gpu},
        "gpu_kernels": {"label": "GPU kernels per training step",
                        "values": kernels.tolist(), "nominal": counted, "ratios": fused},
    }


def _per_batch(bptt: BPTTCounts, batch: int) -> BPTTCounts:
    return replace(bptt, batch=batch)


def _solve_decreasing(f: Callable[[float], float], target: float, lo: float,
                      hi: float) -> Optional[float]:
    """x in [lo, hi] (log bisection) where the decreasing f crosses target;
    None if f(lo) < target (never reached), inf if f(hi) > target."""
    if f(lo) < target:
        return None
    if f(hi) > target:
        return math.inf
    for _ in range(100):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if f(mid) > target else (lo, mid)
    return math.sqrt(lo * hi)


def break_even(vle: VLECounts, bptt: BPTTCounts, target: float = 2.0) -> dict:
    """What one assumption would have to be (the others nominal) for
    BPTT / VLE to equal ``target``:

    - ``per_op_scale_A``, ``per_op_scale_B``: factor on every core per-op
      figure (1 = Loihi 1; the Loihi 2 Hala Point bound is 0.29);
    - ``trajectory_pj_per_byte``: energy per byte of BPTT's trajectory at
      boundary B (0 when the arithmetic alone reaches the target; the
      levels' nominal figures: register 0.65, L1 2.5, L2 12.5, L3 65,
      DRAM 162.5 pJ);
    - ``static_uj_per_step``: VLE chip power x step time at boundary C
      (None: not even a chip without static power reaches it);
    - ``gpu_batch``: BPTT's batch on the GPU at which C falls to the target
      (None: below it at batch 1; inf: above it at any batch).
    """
    core = vle_energy_uj(vle, "core")
    a = bptt_energy_uj(bptt, "A")
    b = bptt_energy_uj(bptt, "B")
    c = bptt_energy_uj(bptt, "C")
    static = (c / target - core) / vle.steps
    system = vle_energy_uj(vle, "system")
    return {
        "target": target,
        "per_op_scale_A": a / (target * core),
        "per_op_scale_B": b / (target * core),
        "trajectory_pj_per_byte": max(0.0, (target * core - a) * 1e6
                                      / (2 * bptt.trajectory_bytes)),
        "static_uj_per_step": static if static >= 0 else None,
        "gpu_batch": _solve_decreasing(
            lambda n: bptt_energy_uj(_per_batch(bptt, n), "C") / system, target, 1.0, 1e9),
    }


def figures_table(figures: Optional[dict[str, Figure]] = None) -> dict:
    """The figures as plain data (for JSON)."""
    return {k: asdict(v) for k, v in (figures or FIGURES).items()}


USED_BY = {"synop": "VLE core", "message": "VLE core", "neuron": "VLE core",
           "update": "VLE core", "chip_power": "VLE system", "step_time": "VLE system",
           "fp32_mul": "BPTT A-B", "fp32_add": "BPTT A-B", "mem_register_byte": "BPTT B",
           "mem_l1_byte": "BPTT B", "mem_l2_byte": "BPTT B", "mem_l3_byte": "BPTT B",
           "dram_byte": "BPTT B", "gpu_launch": "BPTT C", "gpu_static_power": "BPTT C",
           "gpu_board_power": "BPTT C", "gpu_time_per_byte": "BPTT C",
           "gpu_time_per_flop": "BPTT C", "gpu_mac": "reference (C's limit)",
           "cpu_power": "BPTT D"}


def _figure_value(value: float, unit: str) -> str:
    if unit == "s" and value < 1e-9:
        return f"{value * 1e12:.3g} ps"
    if unit == "s":
        return f"{value * 1e6:.3g} us"
    return f"{value:.3g} {unit}"


def figures_markdown(figures: Optional[dict[str, Figure]] = None,
                     reference: Optional[dict[str, Figure]] = None) -> str:
    """Markdown table of every figure: value and range, the chip generation or
    device, the label, what the model charges it to, the source and year."""
    lines = ["| figure | nominal | low - high | hardware (chip generation) | label | used by "
             "| source (year) |", "|" + "---|" * 7]
    rows = [(key, fig, USED_BY.get(key, "not charged")) for key, fig in
            (figures or FIGURES).items()]
    rows += [(key, fig, "reference only") for key, fig in
             (REFERENCE_FIGURES if reference is None else reference).items()]
    for key, fig, used in rows:
        lines.append(f"| {key} | {_figure_value(fig.nominal, fig.unit)} | "
                     f"{_figure_value(fig.low, fig.unit)} - {_figure_value(fig.high, fig.unit)}"
                     f" | {fig.hardware} | {fig.label} | {used} | {fig.source} ({fig.year}) |")
    return "\n".join(lines)


def count_kernels(run: Callable[[], Any]) -> int:
    """Operators ``run()`` dispatches to torch, views and allocations excluded:
    the kernels an eager GPU run of it would launch (one per operator)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Counter(TorchDispatchMode):
        kernels = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            name = func.__name__
            if not (func.is_view or name.startswith(("empty", "new_empty", "lift_fresh"))):
                Counter.kernels += 1
            return func(*args, **(kwargs or {}))

    with Counter():
        run()
    return Counter.kernels


def vle_counts(spec: NetworkSpec, x: np.ndarray, y: np.ndarray,
               loss_weight: np.ndarray) -> VLECounts:
    """Operations per sample of one VLE training batch (time-major ``x``, ``y``)."""
    from lava_vle.spec import init_params
    from lava_vle.simulator import Simulator

    steps, batch = x.shape[:2]
    run = Simulator(spec, init_params(spec)).run(
        x, y, loss_weight=loss_weight, plasticity="accumulate", count_synops=True,
        record=("rates", "e_breve"))
    sent = run.trace["rates"] + run.trace["e_breve"]
    return VLECounts(
        steps=steps, forward_events=run.synops["forward"] / batch,
        error_events=run.synops["error_path"] / batch,
        messages=sum(np.count_nonzero(s) for s in sent) / batch,
        compartment_updates=2 * sum(spec.sizes[1:]) * steps,
        trace_updates=trace_updates_per_step(spec) * steps,
        weight_updates=run.synops["weight_updates"] / batch * learning_copies(spec))


def bptt_counts(spec: NetworkSpec, x: np.ndarray, y: np.ndarray, loss_weight: np.ndarray,
                repeats: int = 5) -> BPTTCounts:
    """MACs, trajectory bytes and wall time per sample of one BPTT training step
    (the fastest of ``repeats``), the batch and the kernels the step launches."""
    from lava_vle.bptt import trajectory_bytes
    from lava_vle.spec import init_params
    from lava_vle.learners import BPTT
    from lava_vle.synops import dense_synaptic_ops

    steps, batch = x.shape[:2]
    rule = BPTT(spec, init_params(spec), loss_weight, lr=1e-3)
    loss = lambda out: rule.loss(out, y) / batch  # noqa: E731
    stored = trajectory_bytes(rule.net, rule.params.arrays(), x, loss)
    kernels = count_kernels(lambda: rule.batch(x, y))  # also the warm-up
    wall = np.inf
    for _ in range(repeats):  # the fastest of a few: other work on the machine only slows
        start = time.perf_counter()
        rule.batch(x, y)
        wall = min(wall, time.perf_counter() - start)
    return BPTTCounts(forward_macs=dense_synaptic_ops(spec, steps)["forward"],
                      trajectory_bytes=stored / batch, wall_s=wall / batch, batch=batch,
                      kernels=kernels)
