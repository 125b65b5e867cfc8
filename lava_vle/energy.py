"""Energy per training sample from counted operations, one boundary at a time.

An energy ratio means something only when both sides stop at the same
boundary (``vle-model.md`` section 5). Every figure below says what it
includes, where it comes from and whether it is *measured*, *simulated*,
*derived* (our arithmetic on published numbers) or *estimated* (our
assumption); each has a nominal value and a low/high range.

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
    B memory       = A + 2 * trajectory bytes * E_dram_byte          (written, read back)
    C GPU          = 3 * forward MACs * E_gpu_mac                    board power at full throughput
    D this CPU     = wall time per sample * package power            measured time

A and B are compared with VLE's core energy, C and D with its system
energy: :func:`compare` returns the ratio per boundary. :func:`vle_counts`
and :func:`bptt_counts` count a training batch's operations for it.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from lava_vle.network import NetworkSpec

LABELS = ("measured", "simulated", "derived", "estimated")
BPTT_BOUNDARIES = {"A": "arithmetic only", "B": "arithmetic + trajectory in DRAM",
                   "C": "GPU board at full throughput", "D": "this CPU, measured time"}
VLE_SIDE = {"A": "core", "B": "core", "C": "system", "D": "system"}


@dataclass(frozen=True)
class Figure:
    """One energy (or power, or time) figure with its range and provenance,
    including the chip generation or device it was measured on (``hardware``)."""

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


FIGURES: dict[str, Figure] = {
    "synop": Figure(23.6, 6.8, 23.6, "pJ", "simulated",
                    "Davies et al., IEEE Micro 2018, Table 1 (Loihi; pre-silicon simulation "
                    "and measurement; 23.6 pJ is the table's minimum synaptic op). Low: our "
                    "division of Hala Point's 2,600 W by its 3.8e14 synops/s (Intel release "
                    "2024), a system-level upper bound for a Loihi 2 synop", 2018,
                    "one synaptic operation in a neuro-core",
                    hardware="Loihi 1 (Intel, 14 nm); low: Loihi 2 system (Hala Point)"),
    "message": Figure(76.8, 3.0, 80.8, "pJ", "simulated",
                      "SANA-FE arch/loihi.yaml: 76.8 pJ per outgoing spike plus 3-4 pJ per "
                      "hop (Boyle et al., tuned Loihi simulator); low: one hop only", 2023,
                      "generating and routing one message (spike or graded value)",
                      hardware="Loihi 1 (SANA-FE model)"),
    "neuron": Figure(81.0, 72.8, 81.0, "pJ", "simulated",
                     "Davies et al. 2018, Table 1: 81 pJ active neuron update; low: SANA-FE "
                     "72.8 pJ active", 2018, "one active compartment update",
                     hardware="Loihi 1 (Intel, 14 nm)"),
    "update": Figure(120.0, 120.0 * 6.8 / 23.6, 120.0, "pJ", "simulated",
                     "Davies et al. 2018, Table 1: 120 pJ synaptic update (pairwise STDP in "
                     "the learning engine); low: scaled by the low/nominal synop ratio (our "
                     "assumption)", 2018, "one weight update by the learning engine",
                     hardware="Loihi 1 learning engine"),
    "chip_power": Figure(0.5, 0.1, 2.26, "W", "estimated",
                         "high: Hala Point 2,600 W / 1,152 chips (Intel release 2024, derived: "
                         "system maximum incl. x86 cores); nominal and low: our assumption for "
                         "one chip running a small network", 2024,
                         "whole chip incl. static power, while the network runs",
                         hardware="Loihi 2 (Hala Point, high); assumed (nominal, low)"),
    "step_time": Figure(1e-5, 1e-6, 1e-4, "s", "estimated",
                        "our assumption: 1-100 us per barrier-synchronised time step of a "
                        "small network", 2024, "wall time of one time step on the chip",
                        hardware="assumed (Loihi-class chip)"),
    "fp32_mul": Figure(3.7, 3.7, 3.7, "pJ", "measured",
                       "Horowitz, ISSCC 2014 (45 nm)", 2014, "the multiplier only",
                       hardware="45 nm CMOS"),
    "fp32_add": Figure(0.9, 0.9, 0.9, "pJ", "measured",
                       "Horowitz, ISSCC 2014 (45 nm)", 2014, "the adder only",
                       hardware="45 nm CMOS"),
    "dram_byte": Figure(162.5, 162.5, 325.0, "pJ", "measured",
                        "Horowitz, ISSCC 2014: DRAM 1.3-2.6 nJ per 64-bit access, per byte",
                        2014, "DRAM access only",
                        hardware="DRAM (45 nm era)"),
    "gpu_mac": Figure(41.0, 41.0, 82.0, "pJ", "derived",
                      "A100 SXM datasheet: 400 W / 19.5 TFLOPS fp32 = 20.5 pJ per FLOP, 2 "
                      "FLOPs per MAC; high: at half of peak throughput", 2020,
                      "whole board at full throughput (memory, idle lanes, host excluded)",
                      hardware="NVIDIA A100 SXM (7 nm)"),
    "cpu_power": Figure(10.0, 5.0, 20.0, "W", "estimated",
                        "our assumption for 2 cores of an AMD EPYC server CPU (225-280 W TDP "
                        "over 64 cores, plus memory); no RAPL energy counter is readable on "
                        "these machines", 2024, "package and memory power of the cores used",
                        hardware="AMD EPYC server CPU (assumed)"),
}


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
    """One BPTT training sample: MACs, the trajectory it keeps, the time it took."""

    forward_macs: float
    trajectory_bytes: float
    wall_s: float


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
    f = {k: getattr(v, pick) for k, v in (figures or FIGURES).items()}
    core_pj = ((counts.forward_events + counts.error_events) * f["synop"]
               + counts.messages * f["message"]
               + (counts.compartment_updates + counts.trace_updates) * f["neuron"]
               + counts.weight_updates * f["update"])
    if boundary == "core":
        return core_pj * 1e-6
    if boundary == "system":
        return core_pj * 1e-6 + f["chip_power"] * counts.steps * f["step_time"] * 1e6
    raise ValueError(f"boundary={boundary!r} must be 'core' or 'system'")


def bptt_energy_uj(counts: BPTTCounts, boundary: str, pick: str = "nominal",
                   figures: Optional[dict[str, Figure]] = None) -> float:
    """BPTT energy per training sample (uJ) at boundary A, B, C or D."""
    f = {k: getattr(v, pick) for k, v in (figures or FIGURES).items()}
    arithmetic = 3 * counts.forward_macs * (f["fp32_mul"] + f["fp32_add"])
    energies_pj = {"A": arithmetic,
                   "B": arithmetic + 2 * counts.trajectory_bytes * f["dram_byte"],
                   "C": 3 * counts.forward_macs * f["gpu_mac"],
                   "D": counts.wall_s * f["cpu_power"] * 1e12}
    if boundary not in energies_pj:
        raise ValueError(f"boundary={boundary!r} must be one of {sorted(energies_pj)}")
    return energies_pj[boundary] * 1e-6


def compare(vle: VLECounts, bptt: BPTTCounts,
            figures: Optional[dict[str, Figure]] = None) -> dict:
    """Per BPTT boundary: both energies (nominal, low, high) and BPTT / VLE.

    The ratio's low pairs BPTT's low with VLE's high and vice versa.
    """
    rows = {}
    for boundary, name in BPTT_BOUNDARIES.items():
        side = VLE_SIDE[boundary]
        v = {p: vle_energy_uj(vle, side, p, figures) for p in ("nominal", "low", "high")}
        b = {p: bptt_energy_uj(bptt, boundary, p, figures) for p in ("nominal", "low", "high")}
        rows[boundary] = {"bptt_boundary": name, "vle_boundary": side, "vle_uj": v,
                          "bptt_uj": b,
                          "bptt_over_vle": {"nominal": b["nominal"] / v["nominal"],
                                            "low": b["low"] / v["high"],
                                            "high": b["high"] / v["low"]}}
    return rows


def figures_table(figures: Optional[dict[str, Figure]] = None) -> dict:
    """The figures as plain data (for JSON)."""
    return {k: asdict(v) for k, v in (figures or FIGURES).items()}


def vle_counts(spec: NetworkSpec, x: np.ndarray, y: np.ndarray,
               loss_weight: np.ndarray) -> VLECounts:
    """Operations per sample of one VLE training batch (time-major ``x``, ``y``)."""
    from lava_vle.network import init_params
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
    (the fastest of ``repeats``)."""
    from lava_vle.bptt import trajectory_bytes
    from lava_vle.network import init_params
    from lava_vle.learners import BPTT
    from lava_vle.synops import dense_synaptic_ops

    steps, batch = x.shape[:2]
    rule = BPTT(spec, init_params(spec), loss_weight, lr=1e-3)
    loss = lambda out: rule.loss(out, y) / batch  # noqa: E731
    stored = trajectory_bytes(rule.net, rule.params.arrays(), x, loss)
    rule.batch(x, y)  # warm-up
    wall = np.inf
    for _ in range(repeats):  # the fastest of a few: other work on the machine only slows
        start = time.perf_counter()
        rule.batch(x, y)
        wall = min(wall, time.perf_counter() - start)
    return BPTTCounts(forward_macs=dense_synaptic_ops(spec, steps)["forward"],
                      trajectory_bytes=stored / batch, wall_s=wall / batch)
